"""GroundingDINO inference with the image side shared across an image's expressions.

mmdet's ``GroundingDINO.predict`` runs the backbone and neck for every (image, prompt) pair. With one prompt
per expression (``prompt='subject'`` or ``'expression'``) an image with 7 expressions would pay for its backbone
7 times. :func:`predict_prompts` runs the backbone and neck once per image and the text-dependent part (BERT,
the encoder's image-text fusion, the decoder and the head) once per batch of prompts, on the image features
repeated along the batch (a view, no copy). The text side is mmdet's own code path
(``get_tokens_positive_and_prompts``, ``language_model``, ``forward_transformer``, ``bbox_head.predict``), so the
boxes are those of ``predict`` on each prompt alone.

Only prompts with the same token layout (length, and where the phrase separators fall) share a batch, since
mmdet 3.3 couples the rows of a batch in two places: its image-to-text fusion attention does not mask padding
tokens (``BiMultiHeadAttention`` fills a boolean mask with -9e15, which leaves it all True;
open-mmlab/mmdetection#11803), and its text encoder layers hand ``nn.MultiheadAttention`` the sub-sentence masks
as ``masks.repeat(num_heads, 1, 1)``, head-major where batch-major is read, so a row attends with another row's
mask. Prompts of one layout have the same masks and no padding, and get the boxes they get alone up to the float
rounding of batched kernels: bit for bit with the tiny test model, but at MM-GDINO-T's size on CPU a batch of 3
gave other top boxes than alone for most of its prompts (random weights: near-tied scores among 900 queries).
The default, ``prompt_batch=1``, shares only the backbone and neck and gives exactly ``predict``'s boxes.
"""
import warnings
from collections import defaultdict
from typing import List, Optional, Sequence, Tuple

import torch
from mmdet.models.detectors import GroundingDINO
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData
from torch import Tensor

from .prompts import Prompt, prompted_sample


def check_grounding_detector(detector) -> None:
    """Refuse a detector whose image side cannot be shared this way (one line naming the class)."""
    if not isinstance(detector, GroundingDINO):
        raise TypeError(f'sharing image work needs mmdet GroundingDINO (or a subclass); got '
                        f'{type(detector).__name__}: run its own predict per prompt instead')


def _label_names(pred_instances: InstanceData, entities, is_rec: bool) -> List[str]:
    """What ``GroundingDINO.predict`` names each detection: the caption for REC, else its entity."""
    if is_rec:
        return [entities] * len(pred_instances)
    names = []
    for label in pred_instances.labels.tolist():
        if label >= len(entities):
            warnings.warn('a label beyond the prompt\'s entities; named "unobject" as mmdet does')
            names.append('unobject')
        else:
            names.append(entities[label])
    return names


def encode_prompt(detector: GroundingDINO, sample: DetDataSample) -> tuple:
    """mmdet's reading of ``sample``'s prompt: ``(token_positive_map, caption, positive_map, entities)``."""
    return detector.get_tokens_positive_and_prompts(sample.text, sample.get('custom_entities', False),
                                                    sample.get('caption_prompt', None),
                                                    sample.get('tokens_positive', None))


def token_layout(detector: GroundingDINO, caption: str) -> Tuple[int, ...]:
    """What decides ``caption``'s text masks: its token count (after truncation) then, with sub-sentence
    masks, the positions of the phrase-ending tokens."""
    model = detector.language_model
    ids = model.tokenizer(caption, max_length=model.max_tokens, truncation=True)['input_ids']
    separators = set(model.special_tokens) if getattr(model, 'use_sub_sentence_represent', False) else set()
    return (len(ids), ) + tuple(i for i, id_ in enumerate(ids) if id_ in separators)


def predict_with_features(detector: GroundingDINO, visual_feats: Tuple[Tensor, ...],
                          data_samples: Sequence[DetDataSample], rescale: bool = True,
                          encoded: Optional[Sequence[tuple]] = None) -> List[DetDataSample]:
    """``GroundingDINO.predict`` (its unchunked branch) on backbone + neck features computed beforehand.

    Args:
        visual_feats: the neck's levels, each (B, C, H_l, W_l), row ``b`` for ``data_samples[b]``.
        data_samples: B samples, each with its prompt (:func:`~.prompts.prompted_sample`) and the image's metainfo.
        encoded: :func:`encode_prompt` of each sample, when already computed.

    Returns:
        ``data_samples`` with ``pred_instances`` (``bboxes`` (N, 4), ``scores``, ``labels``, ``label_names``).
    """
    check_grounding_detector(detector)
    encoded = encoded or [encode_prompt(detector, sample) for sample in data_samples]
    positive_maps, captions, _, entities = zip(*encoded)
    text_dict = detector.language_model(list(captions))
    if detector.text_feat_map is not None:
        text_dict['embedded'] = detector.text_feat_map(text_dict['embedded'])
    for sample, positive_map in zip(data_samples, positive_maps):
        sample.token_positive_map = positive_map
    head_inputs = detector.forward_transformer(visual_feats, text_dict, list(data_samples))
    results = detector.bbox_head.predict(**head_inputs, rescale=rescale, batch_data_samples=list(data_samples))
    for sample, pred_instances, entity, positive_map in zip(data_samples, results, entities, positive_maps):
        if len(pred_instances) > 0:
            pred_instances.label_names = _label_names(pred_instances, entity, positive_map is None)
        sample.pred_instances = pred_instances
    return list(data_samples)


@torch.no_grad()
def predict_prompts(detector: GroundingDINO, inputs: Tensor, image_sample: DetDataSample,
                    prompts: Sequence[Prompt], rescale: bool = True,
                    prompt_batch: Optional[int] = 1) -> List[InstanceData]:
    """One image's detections for each prompt, with the backbone and neck run once.

    Args:
        inputs: (1, 3, H, W) the image after the detector's data preprocessor.
        image_sample: the image's preprocessed data sample (its metainfo is copied to every prompt's sample).
        prompts: one per expression (:func:`~.prompts.detector_prompt`).
        prompt_batch: at most this many prompts (of one token layout) per text-side call; 1 (default): the text
            side runs per prompt, exactly as ``predict``; ``None``: all prompts of a layout at once.

    Returns:
        One ``InstanceData`` per prompt, in order, as ``detector.predict`` would give for that prompt alone.
    """
    check_grounding_detector(detector)
    if inputs.dim() != 4 or len(inputs) != 1:
        raise ValueError(f'predict_prompts takes one image, (1, 3, H, W); got shape {tuple(inputs.shape)}')
    if prompt_batch is not None and prompt_batch < 1:
        raise ValueError(f'prompt_batch must be at least 1, got {prompt_batch}')
    samples = [prompted_sample(image_sample, prompt) for prompt in prompts]
    encoded = [encode_prompt(detector, sample) for sample in samples]
    by_layout = defaultdict(list)
    for index, (_, caption, _, _) in enumerate(encoded):
        by_layout[token_layout(detector, caption)].append(index)
    visual_feats = detector.extract_feat(inputs)
    results: List[Optional[InstanceData]] = [None] * len(prompts)
    for indices in by_layout.values():
        step = prompt_batch or len(indices)
        for start in range(0, len(indices), step):
            chunk = indices[start:start + step]
            repeated = tuple(feat.expand(len(chunk), *feat.shape[1:]) for feat in visual_feats)
            done = predict_with_features(detector, repeated, [samples[i] for i in chunk], rescale,
                                         [encoded[i] for i in chunk])
            for index, sample in zip(chunk, done):
                results[index] = sample.pred_instances
    return results
