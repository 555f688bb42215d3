"""Grounding detectors: the image side shared across an image's expressions against mmdet's per-expression
``predict`` (``tools/benchmark.py --parts grounding``).

On the RefCOCO-shaped workload (COCO-sized images resized as MM-GDINO's test pipeline does, 7 expressions per
image, each expression its own prompt as mmdet evaluates REC), it times mmdet's ``GroundingDINO.predict`` run
once per expression (backbone, neck and text side every time) against
:func:`~mmrec.models.method2.grounding.predict_prompts` (backbone and neck once per image, the text side per
batch of prompts with one token layout), checks that both compute the same thing (the largest difference of the
head's last-layer outputs, ``grounding_max_head_difference``, and how many expressions get bit-identical boxes,
``grounding_same_boxes``: random weights leave near-tied scores among the queries, so a rounding difference of
the last bit, which BLAS kernels give for the same product at another memory alignment or on another CPU, may
reorder them), and reports what the backbone
and neck are worth: their share of one full forward (``grounding_image_share``) and the speed-up that sharing
them alone gives for E expressions per image, ``1 / (1 - share + share / E)`` (``grounding_image_sharing_speedup``;
batching the text side adds to it). The model is
MM-GDINO-T's layout from ``configs/_base_/models/method2_mm-gdino-t_clip-vit-b32.py`` with random weights and a
random bert-base-sized BERT (speed does not depend on the weights); ``tiny`` swaps in
:data:`~mmrec.models.method2.tiny_grounding_dino.TINY_GROUNDING_DINO`.
"""
import contextlib
import copy
import shutil
import tempfile
from typing import Dict, List, Optional

import mmcv
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope

from mmrec.models.method2.grounding import predict_prompts
from mmrec.models.method2.prompts import prompted_sample
from mmrec.models.method2.tiny_bert import BERT_BASE_GEOMETRY, save_tiny_bert
from mmrec.models.method2.tiny_grounding_dino import tiny_grounding_dino_config
from mmrec.paths import repo_path
from .timing import timed
from .workload import VOCABULARY, WorkloadImage, make_workload

GROUNDING_MODEL_CONFIG = repo_path('configs', '_base_', 'models', 'method2_mm-gdino-t_clip-vit-b32.py')
#: MM-GDINO's test resize (FixScaleResize to 800 x 1333); the tiny model gets small images.
TEST_SCALE, TINY_SCALE = (800, 1333), (64, 96)


def grounding_detector_config(bert_dir: str, tiny: bool = False) -> ConfigDict:
    """The benchmark's GroundingDINO config: MM-GDINO-T's from the configs (or the tiny one), its BERT read from
    ``bert_dir``."""
    if tiny:
        return tiny_grounding_dino_config(bert_dir)
    config = copy.deepcopy(Config.fromfile(GROUNDING_MODEL_CONFIG).grounding_detector)
    config.language_model.name = bert_dir
    return config


def preprocess(detector, image: WorkloadImage, scale) -> tuple:
    """``image`` resized as MM-GDINO's test pipeline (keep ratio within ``scale``) and through the detector's
    data preprocessor: ``(inputs (1, 3, H, W), data_sample)``."""
    resized, factor = mmcv.imrescale(image.image_bgr, scale, return_scale=True, backend='pillow')
    meta = dict(img_id=image.img_id, ori_shape=image.image_bgr.shape[:2], img_shape=resized.shape[:2],
                scale_factor=(factor, factor))
    pixels = torch.from_numpy(resized).permute(2, 0, 1).contiguous()
    data = detector.data_preprocessor(dict(inputs=[pixels], data_samples=[DetDataSample(metainfo=meta)]), False)
    return data['inputs'], data['data_samples'][0]


@torch.no_grad()
def per_expression(detector, inputs, sample: DetDataSample, texts) -> List:
    """mmdet's way: ``predict`` once per expression (the whole network every time)."""
    return [detector.predict(inputs, [prompted_sample(sample, text)])[0].pred_instances
            for text in texts]


class HeadOutputs:
    """Records the bbox head's last-layer outputs, one ``(cls_scores (B, Q, T), bbox_preds (B, Q, 4))`` per call,
    while :meth:`recording` is open."""

    def __init__(self, head: torch.nn.Module):
        self.head = head
        self.calls: List[tuple] = []

    def _record(self, module, args, outputs) -> None:
        all_layers_cls_scores, all_layers_bbox_preds = outputs[:2]
        self.calls.append((all_layers_cls_scores[-1].detach().clone(), all_layers_bbox_preds[-1].detach().clone()))

    @contextlib.contextmanager
    def recording(self):
        handle = self.head.register_forward_hook(self._record)
        try:
            yield self.calls
        finally:
            handle.remove()


def largest_difference(first: List[tuple], second: List[tuple]) -> float:
    """The largest absolute difference between two runs' head outputs (calls paired in order, B = 1 each)."""
    if len(first) != len(second):
        raise ValueError(f'the two runs called the head {len(first)} and {len(second)} times')
    return max((float((a - b).abs().max()) for call_a, call_b in zip(first, second)
                for a, b in zip(call_a, call_b)), default=0.0)


@torch.no_grad()
def measure_grounding(settings, bert_dir: Optional[str] = None) -> Dict[str, float]:
    """Time per-expression ``predict`` against :func:`predict_prompts` on ``settings``'s workload (see the module
    docstring). Returns the ``grounding_*`` figures."""
    init_default_scope('mmdet')
    workdir = None if bert_dir else tempfile.mkdtemp(prefix='mmrec-benchmark-bert-')
    try:
        if workdir:
            bert_dir = save_tiny_bert(workdir, VOCABULARY, seed=settings.seed,
                                      **({} if settings.tiny else BERT_BASE_GEOMETRY))
        with torch.random.fork_rng():
            torch.manual_seed(settings.seed)
            detector = MODELS.build(grounding_detector_config(bert_dir, settings.tiny))
        detector = detector.to(settings.device).eval()
    finally:
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    workload = make_workload(settings.num_images + 1, settings.expressions_per_image, seed=settings.seed)
    scale = TINY_SCALE if settings.tiny else TEST_SCALE
    prepared = [preprocess(detector, image, scale) + (image.texts, ) for image in workload]
    warm_inputs, warm_sample, warm_texts = prepared[0]
    per_expression(detector, warm_inputs, warm_sample, warm_texts[:1])
    predict_prompts(detector, warm_inputs, warm_sample, warm_texts)
    text_calls = []
    handle = detector.language_model.register_forward_hook(lambda *args: text_calls.append(1))
    naive_seconds = shared_seconds = image_seconds = 0.0
    same = 0
    max_head_difference = 0.0
    try:
        for inputs, sample, texts in prepared[1:]:
            with HeadOutputs(detector.bbox_head).recording() as reference_outputs:
                reference, seconds = timed(lambda: per_expression(detector, inputs, sample, texts), settings.device)
            naive_seconds += seconds
            with HeadOutputs(detector.bbox_head).recording() as our_outputs:
                ours, seconds = timed(lambda: predict_prompts(detector, inputs, sample, texts), settings.device)
            shared_seconds += seconds
            max_head_difference = max(max_head_difference, largest_difference(reference_outputs, our_outputs))
            _, seconds = timed(lambda: detector.extract_feat(inputs), settings.device)
            image_seconds += seconds
            same += sum(torch.equal(a.bboxes, b.bboxes) and torch.equal(a.labels, b.labels)
                        for a, b in zip(ours, reference))
    finally:
        handle.remove()
    num_expressions = sum(len(texts) for _, _, texts in prepared[1:])
    num_images = len(prepared) - 1
    share = image_seconds / (naive_seconds / num_expressions)  # of one full forward
    per_image = num_expressions / num_images
    return dict(
        grounding_speedup=naive_seconds / shared_seconds,
        grounding_same_boxes=same / num_expressions,
        grounding_max_head_difference=max_head_difference,
        grounding_image_share=share,
        grounding_image_sharing_speedup=1 / (1 - share + share / per_image),
        grounding_seconds=shared_seconds,
        grounding_naive_seconds=naive_seconds,
        grounding_text_calls_per_image=(len(text_calls) - num_expressions) / num_images,
        grounding_expressions=num_expressions)
