"""Full-size models with random weights for speed measurements, built through mmrec's real configs.

Speed does not depend on the weights, so the benchmark needs no download: CLIP gets the ViT-B/32 geometry
of ``transformers.CLIPConfig()`` (12-layer 768-wide vision tower on 224x224 crops in 32x32 patches, 12-layer
512-wide text tower, 512-d projections) with random weights and a word tokenizer for the workload's
vocabulary (:func:`mmrec.models.clip_training.tiny_clip.build_word_tokenizer`), saved with ``save_pretrained`` where
``CLIPEncoder`` loads it; the detectors are the configs' Faster R-CNN R50-FPN without a pretrained backbone.
``tiny=True`` swaps in a 2-layer CLIP and a quarter-width ResNet-18 detector on small images (tests).

Speed does not depend on the weights, but the agreement between two pipelines does: it depends on how far
apart the scores of the candidates are compared with what a different crop resampling changes. At
transformers' default initialisation a random CLIP embeds every crop almost alike (crop-to-crop cosine
0.85-0.99, similarities spread by about 0.008 across the candidates of an image), so resampling noise decides
many choices; a trained CLIP tells crops apart (cosine around 0.5-0.6). The weights are therefore drawn with
``initializer_factor`` :data:`CLIP_INIT_FACTOR`, which gives such a spread (crop-to-crop cosine about 0.57,
similarity spread about 0.05); ``init_factor=1`` restores transformers' default.
"""
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from transformers import CLIPConfig, CLIPModel

from mmrec.apis import RECInferencer
from mmrec.models.clip_training.tiny_clip import build_word_tokenizer, tiny_clip_config
from mmrec.models.method2.tiny_detector import TINY_DETECTOR_OPTIONS
from mmrec.paths import repo_path
from .workload import WorkloadImage

METHOD2_CONFIG = repo_path('configs', 'method2.py')
#: Method 1 as evaluated without training (CLIP + spatial prompts + objectness + local search).
METHOD1_CONFIG = repo_path('configs', 'method1_clip-vit-b32_r50_fpn_zeroshot_refcoco.py')

_GEOMETRY_KEYS = ('hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads')
_TINY_LAYERS = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2)
#: The tiny detector's backbone/neck/RPN (method 1's zero-shot head has no RoI extractor or box head).
_TINY_BACKBONE_OPTIONS = {key: value for key, value in TINY_DETECTOR_OPTIONS.items()
                          if not key.startswith('model.roi_head.')}
TINY_IMAGE_SCALE = (160, 120)
#: ``CLIPConfig.initializer_factor`` of the random CLIP (see the module docstring).
CLIP_INIT_FACTOR = 5.0


def save_random_clip(save_dir: str, words: Sequence[str], tiny: bool = False, seed: int = 0,
                     init_factor: float = CLIP_INIT_FACTOR) -> str:
    """Save a randomly initialised CLIP (ViT-B/32 geometry, or a 2-layer one with ``tiny``; weights drawn with
    ``initializer_factor=init_factor``) and a tokenizer knowing ``words`` to ``save_dir``; returns it."""
    reference = CLIPConfig()
    if tiny:
        text, vision = dict(_TINY_LAYERS), dict(_TINY_LAYERS, image_size=32, patch_size=8)
        projection_dim = 16
    else:
        text = {key: getattr(reference.text_config, key) for key in _GEOMETRY_KEYS}
        vision = {key: getattr(reference.vision_config, key) for key in _GEOMETRY_KEYS + ('image_size', 'patch_size')}
        projection_dim = reference.projection_dim
    tokenizer = build_word_tokenizer(words, model_max_length=reference.text_config.max_position_embeddings)
    torch.manual_seed(seed)
    config = tiny_clip_config(tokenizer, text, vision, projection_dim)
    config.initializer_factor = float(init_factor)
    model = CLIPModel(config)
    model.save_pretrained(save_dir)
    tokenizer.save_pretrained(save_dir)
    return save_dir


def _set_resize_scale(cfg: Config, scale: Tuple[int, int]) -> None:
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] == 'Resize':
            step['scale'] = tuple(scale)


def method_config(method: int, clip_dir: str, top_k: int = 10, tiny: bool = False,
                  options: Optional[Dict[str, object]] = None, config_file: Optional[str] = None,
                  image_scale: Optional[Tuple[int, int]] = None, crop_source: str = 'original') -> Config:
    """The config of method 1 or 2 set up for the benchmark: random detector (no pretrained backbone, no
    ``load_from``), CLIP from ``clip_dir`` cropping from ``crop_source`` (``'original'``: PIL-exact bicubic
    crops of the loaded image, as the RefCOCO configs; ``'input'``: ``roi_align`` from the detector's input),
    ``top_k`` candidates per image; ``options`` are extra ``--cfg-options``-style overrides applied last;
    ``image_scale`` replaces the test pipeline's ``Resize`` scale (default: the config's 1333x800, or
    :data:`TINY_IMAGE_SCALE` with ``tiny``).

    The detector's score threshold is 0: a randomly initialised classifier scores every class near 1/81,
    under the configs' 0.05, and would leave no detection to re-rank (a trained detector keeps hundreds).
    """
    if method not in (1, 2):
        raise ValueError(f'method must be 1 or 2, got {method!r}')
    cfg = Config.fromfile(config_file or (METHOD1_CONFIG if method == 1 else METHOD2_CONFIG))
    overrides: Dict[str, object] = {'load_from': None, 'model.backbone.init_cfg': None}
    encoder_key = 'model.scorer.encoder' if method == 2 else 'model.roi_head.bbox_head.encoder'
    overrides.update({f'{encoder_key}.name_or_path': clip_dir, f'{encoder_key}.crop_source': crop_source})
    if method == 2:
        overrides.update({'model.scorer.top_k': top_k, 'model.test_cfg.rcnn.score_thr': 0.0})
    else:
        overrides.update({'model.test_cfg.rpn.max_per_img': top_k})
    if tiny:
        overrides.update(TINY_DETECTOR_OPTIONS if method == 2 else _TINY_BACKBONE_OPTIONS)
    if image_scale is not None or tiny:
        _set_resize_scale(cfg, image_scale or TINY_IMAGE_SCALE)
    overrides.update(options or {})
    cfg.merge_from_dict(overrides)
    return cfg


def build_inferencer(cfg: Config, device: str = 'cpu', seed: int = 0):
    """mmrec's :class:`~mmrec.apis.RECInferencer` for ``cfg`` (the path users run), with seeded random
    detector weights."""
    torch.manual_seed(seed)
    return RECInferencer(cfg, checkpoint=None, device=device, allow_random_weights=True)


@torch.no_grad()
def calibrate_score_threshold(inferencer, image: WorkloadImage, pairs: int) -> float:
    """Set the random detector's score threshold so that about ``pairs`` class-box pairs of ``image`` pass it.

    A randomly initialised classifier scores every class of every RoI near 1/81: with the configs' threshold
    of 0.05 nothing survives, with 0 all 80,000 pairs go to NMS, which then costs seconds. A trained detector
    passes a few hundred pairs; the threshold is set so that the random one does too. Returns the threshold.
    """
    model = inferencer.model
    captured = []
    head = model.detector.roi_head.bbox_head
    handle = head.register_forward_hook(lambda module, args, output: captured.append(output[0]))
    try:
        data = dict(img=image.image_bgr, img_id=image.img_id, img_path=None, texts=list(image.texts),
                    expressions=[dict(text=text) for text in image.texts])
        model.test_step(pseudo_collate([inferencer.pipeline(data)]))
    finally:
        handle.remove()
    scores = torch.softmax(captured[0].float(), dim=-1)[:, :-1].flatten()  # the last column is background
    threshold = float(scores.topk(min(pairs, scores.numel())).values[-1]) * (1 - 1e-6)
    model.detector.roi_head.test_cfg.score_thr = threshold
    return threshold
