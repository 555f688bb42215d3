"""Building blocks for tests of the REC models: known-answer images, real detector inputs, tiny models.

Everything here runs offline and in a few seconds on a CPU: images are generated, the detector is a tiny
ResNet-18/FPN Faster R-CNN built from ``configs/method2.py`` with ``TINY_DETECTOR_OPTIONS`` (defined in
:mod:`mmrec.models.method2.tiny_detector`, which the benchmark uses too, and re-exported here), and CLIP is a
randomly initialised few-layer ``transformers`` CLIP saved with ``save_pretrained``.
"""
from typing import Dict, Iterable, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config

from mmrec.models.method2.tiny_detector import TINY_DETECTOR_OPTIONS
from mmrec.paths import REPO_ROOT, repo_path

__all__ = [
    'REPO_ROOT', 'SQUARE_RGB', 'TINY_DETECTOR_OPTIONS', 'cli_options', 'colored_squares', 'detector_input',
    'save_tiny_clip', 'save_tiny_detector', 'squares_view', 'tiny_method2_config', 'tiny_method2_options'
]

#: RGB of the squares drawn by :func:`colored_squares`.
SQUARE_RGB = {'red': (230, 20, 20), 'green': (20, 200, 20), 'blue': (20, 20, 230), 'yellow': (230, 230, 20)}


def colored_squares(size: Tuple[int, int] = (96, 64), squares: Optional[Dict[str, Sequence[float]]] = None,
                    background: int = 128, colours: Optional[Dict[str, Sequence[int]]] = None
                    ) -> Tuple[np.ndarray, Dict[str, np.ndarray]]:
    """A mid-grey BGR image (``size = (width, height)``) with filled squares of known colours.

    Args:
        squares: ``colour name -> [x1, y1, x2, y2]`` (integer pixel edges) of each square; by default a red,
            a blue and a green square spread over the image.
        colours: ``name -> RGB`` for names that are not colour names (two squares of one colour need two
            names); a name without an entry is a colour of ``SQUARE_RGB``.

    Returns:
        ``(image_bgr uint8 (h, w, 3), {colour: box float32 (4,)})``.
    """
    width, height = size
    if squares is None:
        squares = {'red': [0.55 * width, 0.15 * height, 0.85 * width, 0.45 * height],
                   'blue': [0.1 * width, 0.5 * height, 0.4 * width, 0.9 * height],
                   'green': [0.6 * width, 0.6 * height, 0.8 * width, 0.95 * height]}
    image = np.full((height, width, 3), background, dtype=np.uint8)
    boxes = {}
    for colour, box in squares.items():
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        rgb = (colours or {})[colour] if colour in (colours or {}) else SQUARE_RGB[colour]
        image[y1:y2, x1:x2] = tuple(rgb)[::-1]  # BGR
        boxes[colour] = np.array([x1, y1, x2, y2], dtype=np.float32)
    return image, boxes


def detector_input(image_bgr: np.ndarray, scale: Optional[Tuple[int, int]] = None, keep_ratio: bool = True,
                   preprocessor: Optional[dict] = None) -> Tuple[torch.Tensor, dict, torch.nn.Module]:
    """Run mmdet's ``Resize`` and ``DetDataPreprocessor`` on an image, as the detector's test pipeline does.

    Args:
        image_bgr: ``(h, w, 3)`` BGR image as ``LoadImageFromFile`` gives it; a ``(h, w)`` grayscale image is
            repeated to 3 channels, as ``LoadImageFromFile`` (``color_type='color'``) does with grayscale files.
        scale: ``Resize`` scale ``(w, h)``; ``None`` keeps the image size.
        preprocessor: ``DetDataPreprocessor`` config; Faster R-CNN's (ImageNet mean/std, BGR -> RGB, padded
            to 32) by default.

    Returns:
        ``(input (3, H, W) float tensor, metainfo with ori_shape/img_shape/scale_factor, the preprocessor)``.
    """
    from mmdet.datasets.transforms import Resize
    from mmdet.registry import MODELS
    from mmdet.structures import DetDataSample

    if image_bgr.ndim == 2:
        image_bgr = np.repeat(image_bgr[..., None], 3, axis=2)
    results = dict(img=image_bgr, img_shape=image_bgr.shape[:2], ori_shape=image_bgr.shape[:2])
    if scale is not None:
        results = Resize(scale=scale, keep_ratio=keep_ratio)(results)
    img = results['img']
    metainfo = dict(ori_shape=tuple(image_bgr.shape[:2]), img_shape=tuple(results['img'].shape[:2]),
                    scale_factor=tuple(results.get('scale_factor', (1.0, 1.0))))
    preprocessor = MODELS.build(preprocessor or dict(
        type='DetDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True, pad_size_divisor=32))
    sample = DetDataSample(metainfo=metainfo)
    tensor = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
    batch = preprocessor(dict(inputs=[tensor], data_samples=[sample]), False)
    return batch['inputs'][0], dict(batch['data_samples'][0].metainfo), preprocessor


def squares_view(encoder, scale: Tuple[int, int] = (150, 100)) -> Tuple[object, torch.Tensor]:
    """The default :func:`colored_squares` image as ``encoder``'s crops see it after the detector's resize to
    ``scale`` (its crop geometry with Faster R-CNN's preprocessor): ``(CropView, boxes (3, 4) in original
    pixels)``."""
    from mmrec.models.crops.crop_geometry import CropGeometry

    image, boxes = colored_squares()
    inputs, meta, preprocessor = detector_input(image, scale=scale)
    view = CropGeometry.for_detector(preprocessor, encoder).view(inputs, meta)
    return view, torch.from_numpy(np.stack(list(boxes.values())))


def save_tiny_clip(save_dir: str, texts: Iterable[str] = ('red', 'green', 'blue', 'square', 'the'),
                   image_size: int = 32, seed: int = 0) -> str:
    """Save a randomly initialised tiny ``transformers`` CLIP (2 layers, width 32, 77 text tokens, patch 8) and
    its tokenizer to ``save_dir`` with ``save_pretrained``; returns ``save_dir``."""
    from mmrec.models.clip_training.tiny_clip import build_tiny_clip

    torch.manual_seed(seed)
    layers = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2)
    model, tokenizer = build_tiny_clip(texts, max_text_length=77, text_config=layers,
                                       vision_config=dict(layers, image_size=image_size, patch_size=8),
                                       projection_dim=16)
    model.save_pretrained(save_dir)
    tokenizer.save_pretrained(save_dir)
    return save_dir


def tiny_method2_config(clip_dir: Optional[str] = None, encoder: Optional[dict] = None,
                        config: str = 'configs/method2.py', image_scale: Tuple[int, int] = (192, 128),
                        **scorer_options) -> Config:
    """``configs/method2.py`` with the tiny detector, test images resized to ``image_scale`` (instead of
    1333x800), and either a tiny CLIP directory or another encoder config."""
    cfg = Config.fromfile(repo_path(config))
    cfg.merge_from_dict(TINY_DETECTOR_OPTIONS)
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] == 'Resize':
            step['scale'] = image_scale
    if encoder is not None:
        cfg.model.scorer.encoder = encoder
    elif clip_dir is not None:
        cfg.model.scorer.encoder.name_or_path = clip_dir
    cfg.model.scorer.update(scorer_options)
    return cfg


def _resize_step(cfg: Config) -> int:
    """The index of the one ``Resize`` step of ``cfg``'s test pipeline."""
    steps = [i for i, step in enumerate(cfg.test_dataloader.dataset.pipeline) if step['type'] == 'Resize']
    assert len(steps) == 1, f'the test pipeline has {len(steps)} Resize steps, the tiny configs need one'
    return steps[0]


def save_tiny_detector(path: str, clip_dir: str, seed: int = 0) -> str:
    """Save the randomly initialised tiny Faster R-CNN of :func:`tiny_method2_config` as a detector checkpoint
    (``state_dict`` and ``meta``, as a user's would be) to ``path``; returns ``path``."""
    from mmdet.registry import MODELS

    detector_cfg = tiny_method2_config(clip_dir=clip_dir).model
    detector_cfg.type = 'FasterRCNN'
    detector_cfg.pop('scorer')
    torch.manual_seed(seed)
    torch.save(dict(state_dict=MODELS.build(detector_cfg).state_dict(), meta=dict()), path)
    return path


def tiny_method2_options(clip_dir: str, image_scale: Tuple[int, int] = (144, 96)) -> dict:
    """``--cfg-options`` of ``configs/method2.py`` for the tiny detector and CLIP, test images resized to
    ``image_scale``, and every detection kept (a random detector's scores are low)."""
    resize = _resize_step(Config.fromfile(repo_path('configs/method2.py')))
    return dict(TINY_DETECTOR_OPTIONS, **{'model.scorer.encoder.name_or_path': clip_dir,
                                          'model.test_cfg.rcnn.score_thr': 0.0,
                                          f'test_dataloader.dataset.pipeline.{resize}.scale': image_scale})


def cli_options(options: dict) -> list:
    """``key=value`` strings that mmengine's ``DictAction`` (``--cfg-options``) parses back into ``options``."""
    def text(value) -> str:
        if isinstance(value, (list, tuple)):
            inner = ','.join(text(v) for v in value)
            return f'[{inner}]' if isinstance(value, list) else f'({inner})'
        return 'None' if value is None else str(value)

    return [f'{key}={text(value)}' for key, value in options.items()]
