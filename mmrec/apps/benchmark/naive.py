"""Naive reference pipelines: one expression at a time, as the report describes its methods.

They are the baseline the benchmark measures mmrec against, and the reference its answers are compared with,
so they are written independently of mmrec's batched code paths (no ``encode_boxes``, no ``local_search``,
no prompt bank): for every expression the detector runs on the image, every box is cropped from the original
image with PIL, resized to the CLIP input size and normalised box by box, and encoded by its own CLIP forward.
They share with mmrec only the networks and settings of the model under test (the detector, the CLIP weights
and tokenizer, K, the prompt templates, lambda, tau, the local-search steps), read from the built model, so
that any disagreement comes from cropping and numerics, not from different weights or settings.
"""
import re
import time
from contextlib import nullcontext
from itertools import product
from typing import Callable, ContextManager, Dict, List, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dataset import pseudo_collate
from PIL import Image
from torch import Tensor

from mmrec.models.crops import crop_boxes
from mmrec.models.encoders.clip_encoder import clip_image_features, clip_text_features
from .workload import WorkloadImage

Box = Tuple[float, float, float, float]
PIL_RESAMPLE = {'bicubic': Image.BICUBIC, 'bilinear': Image.BILINEAR}
#: Crop resamplers of the naive pipelines: PIL's filters, or ``'roi_align'``, mmrec's tensor crop applied to
#: the original image (the same pixels as mmrec when the detector does not resize: a check that the naive
#: pipelines compute the same thing, leaving crop resampling out).
RESAMPLERS = (*PIL_RESAMPLE, 'roi_align')


class NaiveCLIP:
    """CLIP used one crop and one expression at a time (the networks of an mmrec ``CLIPEncoder``).

    Args:
        encoder: mmrec's ``CLIPEncoder`` of the model under test (its ``clip``, ``tokenizer``, pixel
            statistics and crop size are used; none of its batched code paths).
        resample: one of :data:`RESAMPLERS`; ``'bicubic'`` is OpenAI CLIP's preprocessing filter.
        autocast: context manager factory wrapping every network call (e.g. float16 autocast on a GPU).
    """

    def __init__(self, encoder: torch.nn.Module, resample: str = 'bicubic',
                 autocast: Callable[[], ContextManager] = nullcontext) -> None:
        if resample not in RESAMPLERS:
            raise ValueError(f'resample must be one of {RESAMPLERS}, got {resample!r}')
        self.clip = encoder.clip
        self.tokenizer = encoder.tokenizer
        self.max_text_tokens = encoder.max_text_tokens
        self.size = encoder.crop_size
        self.mean = np.array(encoder.image_mean.flatten().tolist(), dtype=np.float32)
        self.std = np.array(encoder.image_std.flatten().tolist(), dtype=np.float32)
        self.device = encoder.device
        self.resample = resample
        self.autocast = autocast
        self.num_crops = 0

    @torch.no_grad()
    def encode_crop(self, image: Image.Image, box: Box) -> Tensor:
        """Unit-length ``(D,)`` embedding of ``box`` (original image pixels) of the RGB PIL ``image``."""
        pixels = (self._crop(image, box) / 255.0 - self.mean) / self.std
        tensor = torch.from_numpy(pixels.transpose(2, 0, 1).copy())[None].to(self.device)
        with self.autocast():
            embedding = clip_image_features(self.clip, tensor)
        self.num_crops += 1
        return F.normalize(embedding.float(), dim=-1)[0]

    def _crop(self, image: Image.Image, box: Box) -> np.ndarray:
        """``(S, S, 3)`` float32 RGB crop of ``box``, values in [0, 255]."""
        if self.resample == 'roi_align':
            rgb = torch.from_numpy(np.asarray(image, dtype=np.float32).transpose(2, 0, 1).copy())
            crop = crop_boxes(rgb, torch.tensor([box], dtype=torch.float32), self.size)[0]
            return crop.numpy().transpose(1, 2, 0)
        crop = image.resize((self.size, self.size), resample=PIL_RESAMPLE[self.resample],
                            box=tuple(float(v) for v in box))
        return np.asarray(crop, dtype=np.float32)

    @torch.no_grad()
    def encode_texts(self, texts: Sequence[str]) -> Tensor:
        """Unit-length ``(N, D)`` embeddings of ``texts`` (one forward, no cache)."""
        tokens = self.tokenizer(list(texts), padding=True, truncation=True, max_length=self.max_text_tokens,
                                return_tensors='pt').to(self.device)
        with self.autocast():
            embeddings = clip_text_features(self.clip, tokens['input_ids'], tokens['attention_mask'])
        return F.normalize(embeddings.float(), dim=-1)


def _detector_batch(inferencer, image: WorkloadImage, text: str) -> dict:
    """The detector's preprocessed input for one image and one expression (run again for every expression)."""
    data = dict(img=image.image_bgr, img_id=image.img_id, img_path=None, texts=[text],
                expressions=[dict(text=text)])
    return inferencer.model.data_preprocessor(pseudo_collate([inferencer.pipeline(data)]), False)


def _clip_to_image(box: Sequence[float], width: float, height: float, min_size: float = 1.0) -> Box:
    """``box`` clipped into the image, one box in plain Python: the behaviour of mmrec's
    ``crops.clip_boxes`` (each side sorted and clamped; a side thinner than ``min_size`` grown to it around
    its clipped centre, kept inside the image)."""
    sides = []
    for low, high, limit in ((box[0], box[2], width), (box[1], box[3], height)):
        low, high = min(max(min(low, high), 0.0), limit), min(max(max(low, high), 0.0), limit)
        side = min(min_size, limit)
        if high - low < side:
            centre = min(max((low + high) / 2, side / 2), limit - side / 2)
            low, high = centre - side / 2, centre + side / 2
        sides.append((low, high))
    (x1, x2), (y1, y2) = sides
    return (x1, y1, x2, y2)


class NaiveMethod2:
    """Method 2, one expression at a time: detector forward, top-K detections, each cropped with PIL and
    encoded alone, the expression encoded, the most similar box wins.

    Args:
        inferencer: the :class:`~mmrec.apis.RECInferencer` of method 2 under test (its detector, pipeline and
            ``scorer`` settings: ``top_k``, ``prompt_templates``; only ``crop_mode='crop'`` and plain cosine).
    """

    def __init__(self, inferencer, resample: str = 'bicubic',
                 autocast: Callable[[], ContextManager] = nullcontext) -> None:
        scorer = inferencer.model.scorer
        if scorer.crop_modes != ('crop',) or scorer.detector_score_weight != 0:
            raise ValueError('the naive method 2 reproduces tight crops and plain cosine only; got crop_mode '
                             f'{scorer.crop_modes} and detector_score_weight {scorer.detector_score_weight}')
        self.inferencer = inferencer
        self.top_k = scorer.top_k
        self.templates = scorer.prompt_templates
        self.clip = NaiveCLIP(scorer.encoder, resample, autocast)
        self.autocast = autocast
        self.detector_seconds = 0.0  # time spent in the detector (preprocessing included), for the report

    @torch.no_grad()
    def detect(self, image: WorkloadImage, text: str):
        """The detector's detections (original image pixels) for one expression's forward."""
        start = time.perf_counter()
        batch = _detector_batch(self.inferencer, image, text)
        with self.autocast():
            detections = self.inferencer.model.detector.predict(batch['inputs'], batch['data_samples'],
                                                                 rescale=True)[0].pred_instances
        self.detector_seconds += time.perf_counter() - start
        return detections

    @torch.no_grad()
    def answer(self, image: WorkloadImage, text: str) -> Box:
        """The box (original image pixels) chosen for ``text``."""
        detections = self.detect(image, text)
        width, height = image.size
        order = torch.argsort(detections.scores.float(), descending=True, stable=True).tolist()
        boxes = [_clip_to_image(detections.bboxes[i].tolist(), width, height, 0.0) for i in order]
        boxes = [box for box in boxes if box[2] > box[0] and box[3] > box[1]][:self.top_k]
        if not boxes:
            boxes = [(0.0, 0.0, float(width), float(height))]
        query = self.clip.encode_texts([template.format(text) for template in self.templates]).mean(dim=0)
        query = F.normalize(query, dim=0)
        pil = Image.fromarray(np.ascontiguousarray(image.image_bgr[..., ::-1]))
        similarities = [float(self.clip.encode_crop(pil, box) @ query) for box in boxes]
        return boxes[int(np.argmax(similarities))]

    def __call__(self, images: Sequence[WorkloadImage]) -> List[Box]:
        """Answers of every expression of every image, in order."""
        return [self.answer(image, text) for image in images for text in image.texts]


class NaiveMethod1:
    """Method 1 (zero-shot: CLIP with spatial prompts, objectness, local search), one expression at a time.

    For every expression: backbone and RPN forward, then for each of the top-K proposals a PIL crop encoded
    alone and its location label's prompts ("{query}, {loc}", ...) encoded (the prompts of a label are
    encoded once per expression); ``lambda * softmax(S / tau) + (1 - lambda) * objectness / sum`` picks the
    start box; the local search then crops and encodes every variant of every round one by one.

    Args:
        inferencer: the :class:`~mmrec.apis.RECInferencer` of method 1 under test; its head must have no
            trained branch and tight crops.
    """

    def __init__(self, inferencer, resample: str = 'bicubic',
                 autocast: Callable[[], ContextManager] = nullcontext) -> None:
        head = inferencer.model.roi_head.bbox_head
        if head.with_branch or head.crop_mode != 'crop':
            raise ValueError('the naive method 1 reproduces the zero-shot head (no trained branch, tight crops); '
                             f'got with_branch={head.with_branch}, crop_mode={head.crop_mode!r}')
        self.inferencer = inferencer
        self.templates = head.prompt_scorer.templates
        self.labels = head.prompt_scorer.labels
        self.clip_weight = head.blend.clip_weight
        self.temperature = head.prompt_scorer.temperature
        self.normalize_objectness = head.blend.normalize_objectness
        self.search = head.local_search.config
        self.clip = NaiveCLIP(head.encoder, resample, autocast)
        self.autocast = autocast
        self.detector_seconds = 0.0  # time spent in the detector (preprocessing included), for the report

    def _label(self, box: Box, width: float, height: float) -> str:
        col = min(max(int(np.floor((box[0] + box[2]) / 2 * 3 / width)), 0), 2)
        row = min(max(int(np.floor((box[1] + box[3]) / 2 * 3 / height)), 0), 2)
        return self.labels[row * 3 + col]

    def _score(self, pil: Image.Image, box: Box, query: str, prompts: Dict[str, Tensor]) -> float:
        """Mean cosine of the crop of ``box`` to the prompts of its location label."""
        label = self._label(box, pil.width, pil.height)
        if label not in prompts:
            prompts[label] = self.clip.encode_texts([t.format(query=query, loc=label) for t in self.templates])
        return float((prompts[label] @ self.clip.encode_crop(pil, box)).mean())

    def _variants(self, box: Box, round_index: int, width: float, height: float) -> List[Box]:
        factor = self.search.shrink ** round_index
        shifts = [t * factor for t in self.search.translations]
        scales = [1.0 + (s - 1.0) * factor for s in self.search.scales]
        cx, cy, w, h = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2, box[2] - box[0], box[3] - box[1]
        variants = [box]
        for dx, dy, s in product(shifts, shifts, scales):
            x, y = cx + dx * w, cy + dy * h
            variants.append(_clip_to_image((x - w * s / 2, y - h * s / 2, x + w * s / 2, y + h * s / 2),
                                           width, height, self.search.min_size))
        return variants

    @torch.no_grad()
    def detect(self, image: WorkloadImage, text: str):
        """The RPN's proposals (input pixels) for one expression's forward, and the input's scale factor."""
        model = self.inferencer.model
        start = time.perf_counter()
        batch = _detector_batch(self.inferencer, image, text)
        with self.autocast():
            features = model.extract_feat(batch['inputs'])
            proposals = model.rpn_head.predict(features, batch['data_samples'], rescale=False)[0]
        self.detector_seconds += time.perf_counter() - start
        return proposals, batch['data_samples'][0].metainfo['scale_factor'][:2]

    @torch.no_grad()
    def answer(self, image: WorkloadImage, text: str) -> Box:
        """The box (original image pixels) chosen for ``text``."""
        proposals, (w_scale, h_scale) = self.detect(image, text)
        width, height = image.size
        boxes = [_clip_to_image((b[0] / w_scale, b[1] / h_scale, b[2] / w_scale, b[3] / h_scale), width, height,
                                self.search.min_size) for b in proposals.bboxes.float().tolist()]
        objectness = proposals.scores.float().cpu()
        if not boxes:
            return (0.0, 0.0, float(width), float(height))
        detector = objectness / objectness.sum().clamp(min=1e-12) if self.normalize_objectness else objectness
        query = text.strip()
        if re.search(r'\w', query) is None:
            return boxes[int(torch.argmax(detector))]
        pil = Image.fromarray(np.ascontiguousarray(image.image_bgr[..., ::-1]))
        prompts: Dict[str, Tensor] = {}
        similarity = torch.tensor([self._score(pil, box, query, prompts) for box in boxes])
        scores = (self.clip_weight * torch.softmax(similarity / self.temperature, dim=0)
                  + (1 - self.clip_weight) * detector)
        current = boxes[int(torch.argmax(scores))]
        if self.clip_weight == 0 or not self.search.enable:
            return current
        for round_index in range(self.search.rounds):
            variants = self._variants(current, round_index, width, height)
            variant_scores = [self._score(pil, box, query, prompts) for box in variants]
            current = variants[int(np.argmax(variant_scores))]  # first maximum: the current box wins ties
        return current

    def __call__(self, images: Sequence[WorkloadImage]) -> List[Box]:
        """Answers of every expression of every image, in order."""
        return [self.answer(image, text) for image in images for text in image.texts]
