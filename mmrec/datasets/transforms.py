"""Pipeline steps that carry referring expressions through mmdet's detection transforms.

A REC pipeline is ``LoadImageFromFile`` -> ``LoadReferExpressions`` -> ``Resize`` (and other geometric
transforms that keep every box) -> ``PackRECInputs``. Do not use ``RandomFlip``: flipping swaps "left"
and "right" without changing the text. Do not use transforms that drop boxes (``RandomCrop``,
``FilterAnnotations``, ...): row i of the boxes must stay the box of ``texts[i]``.
"""
from typing import Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.datasets.transforms import PackDetInputs
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import HorizontalBoxes


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


@TRANSFORMS.register_module()
class PackRECInputs(PackDetInputs):
    """mmdet's ``PackDetInputs`` that also keeps ``texts`` and ``expressions`` in the metainfo.

    ``gt_instances.bboxes`` row i is the (transformed) box of ``texts[i]``; ``expressions`` keep the
    boxes in original image pixels for the metric and the visualiser.
    """

    def __init__(self,
                 meta_keys: Sequence[str] = ('img_id', 'img_path', 'ori_shape', 'img_shape',
                                             'scale_factor', 'flip', 'flip_direction', 'texts',
                                             'expressions')) -> None:
        super().__init__(meta_keys=tuple(meta_keys))
