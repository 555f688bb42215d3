"""Pipeline steps that carry referring expressions through mmdet's detection transforms.

A REC pipeline is ``LoadImageFromFile`` -> [``KeepOriginalImage``] -> ``LoadReferExpressions`` -> ``Resize``
(and other geometric transforms that keep every box) -> ``PackRECInputs``. ``KeepOriginalImage`` is needed
by test pipelines whose CLIP encoder crops from the loaded image (``crop_source='original'``). Do not use ``RandomFlip``: flipping swaps "left"
and "right" without changing the text. Do not use transforms that drop boxes (``RandomCrop``,
``FilterAnnotations``, ...): row i of the boxes must stay the box of ``texts[i]``.
"""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.datasets.transforms import PackDetInputs
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import HorizontalBoxes

from ..structures import GT_CANDIDATES_FIELD, pack_candidates


@TRANSFORMS.register_module()
class LoadReferExpressions(BaseTransform):
    """Turn ``results['expressions']`` (from ``REFERDataset``) into mmdet's ground truth keys.

    Adds ``gt_bboxes`` (``HorizontalBoxes``, one row per expression, so mmdet's ``Resize`` etc. move
    them with the image), ``gt_bboxes_labels`` (zeros), ``gt_ignore_flags`` (False) and ``texts``
    (the expressions' text, in the same order).
    """

    def transform(self, results: dict) -> dict:
        if 'expressions' not in results:
            raise KeyError(f'LoadReferExpressions needs "expressions" in the sample (img_path='
                           f'{results.get("img_path")}); is the dataset a REFERDataset?')
        expressions = results['expressions']
        boxes = np.array([expr['bbox'] for expr in expressions], dtype=np.float32).reshape(-1, 4)
        results['gt_bboxes'] = HorizontalBoxes(boxes)
        results['gt_bboxes_labels'] = np.zeros(len(expressions), dtype=np.int64)
        results['gt_ignore_flags'] = np.zeros(len(expressions), dtype=bool)
        results['texts'] = [expr['text'] for expr in expressions]
        return results


#: Where :class:`KeepOriginalImage` stores the loaded image in the pipeline's results.
ORIGINAL_IMAGE_KEY = 'original_img'


@TRANSFORMS.register_module()
class KeepOriginalImage(BaseTransform):
    """Keep a copy of the loaded image, before any resize, for CLIP crops from the original pixels.

    Place it right after the image loading step. It stores the image as ``results['original_img']``: a
    ``(H, W, 3)`` uint8 RGB array (the loaded image is converted from ``channel_order``; a grayscale image is
    repeated to three channels), which ``PackRECInputs`` packs as the data sample's ``original_image``.

    Args:
        channel_order: channel order of the loaded image: ``'bgr'`` (mmcv's default) or ``'rgb'``.
    """

    def __init__(self, channel_order: str = 'bgr') -> None:
        if channel_order not in ('bgr', 'rgb'):
            raise ValueError(f"KeepOriginalImage: channel_order must be 'bgr' or 'rgb', got {channel_order!r}")
        self.channel_order = channel_order

    def transform(self, results: dict) -> dict:
        image = results.get('img')
        if image is None:
            raise KeyError(f'KeepOriginalImage needs the loaded "img" (img_path={results.get("img_path")}); put it '
                           'right after the image loading step')
        image = np.asarray(image)
        if image.dtype != np.uint8:
            raise TypeError(f'KeepOriginalImage expects a uint8 image, got {image.dtype} '
                            f'(img_path={results.get("img_path")})')
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=2)
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f'KeepOriginalImage expects an (H, W, 3) or (H, W) image, got shape {image.shape} '
                             f'(img_path={results.get("img_path")})')
        rgb = image[..., ::-1] if self.channel_order == 'bgr' else image
        results[ORIGINAL_IMAGE_KEY] = np.ascontiguousarray(rgb)  # always a copy: later steps cannot alter it
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(channel_order={self.channel_order!r})'


@TRANSFORMS.register_module()
class PackRECInputs(PackDetInputs):
    """mmdet's ``PackDetInputs`` that also keeps ``texts`` and ``expressions`` in the metainfo.

    ``gt_instances.bboxes`` row i is the (transformed) box of ``texts[i]``; ``expressions`` keep the
    boxes in original image pixels for the metric and the visualiser. When the pipeline kept the loaded image
    (:class:`KeepOriginalImage`), the data sample also carries it as ``original_image``: a ``(3, H, W)``
    uint8 RGB tensor (moved to the model's device with the data sample by the data preprocessor). When the
    dataset gave the image's annotated objects (``REFERDataset(with_candidates=True)``), it carries them as
    ``gt_candidates`` (:func:`~mmrec.structures.pack_candidates`: ``bboxes`` (M, 4) in **original** image
    pixels, untouched by the geometric transforms, ``ann_ids``, ``category_ids``), the candidates of the REC models'
    ``candidate_source='ground_truth'``; without them the field is absent.
    """

    def __init__(self,
                 meta_keys: Sequence[str] = ('img_id', 'img_path', 'ori_shape', 'img_shape',
                                             'scale_factor', 'flip', 'flip_direction', 'texts',
                                             'expressions')) -> None:
        super().__init__(meta_keys=tuple(meta_keys))

    def transform(self, results: dict) -> dict:
        packed = super().transform(results)
        original = results.get(ORIGINAL_IMAGE_KEY)
        if original is not None:
            packed['data_samples'].original_image = torch.from_numpy(
                np.ascontiguousarray(original.transpose(2, 0, 1)))
        candidates = results.get('candidates')
        if candidates is not None:
            packed['data_samples'].set_field(pack_candidates(candidates), GT_CANDIDATES_FIELD)
        return packed
