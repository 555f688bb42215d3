"""``LoadGRECExpressions``: the generalised-REC counterpart of ``LoadReferExpressions``.

In generalised REC (gRefCOCO, ``RECJsonlDataset(generalized=True)``) an expression refers to any number of
objects, so "row i of the boxes is the box of ``texts[i]``" cannot hold: the ground truth boxes of all the
expressions are stacked and each box is labelled with the index of its expression.
"""
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import HorizontalBoxes


@TRANSFORMS.register_module()
class LoadGRECExpressions(BaseTransform):
    """Turn ``results['expressions']`` (each with ``bboxes``, possibly empty) into mmdet's ground truth keys.

    Adds ``texts`` (the expressions' text, in order), ``gt_bboxes`` (``HorizontalBoxes`` (M, 4): the target boxes
    of expression 0, then of expression 1, ...; M is the total number of targets, 0 when no expression has one),
    ``gt_bboxes_labels`` (M,) int64: the index in ``texts`` of each box's expression, and ``gt_ignore_flags``
    (M,) False. mmdet's geometric transforms move the boxes; the metric reads the original-pixel boxes from
    ``expressions`` (packed by ``PackRECInputs``).
    """

    def transform(self, results: dict) -> dict:
        expressions = results.get('expressions')
        if expressions is None:
            raise KeyError(f'LoadGRECExpressions needs "expressions" in the sample (img_path='
                           f'{results.get("img_path")}); is the dataset GRefCOCODataset or RECJsonlDataset?')
        boxes, owners = [], []
        for index, expression in enumerate(expressions):
            if 'bboxes' not in expression:
                raise KeyError(f'expression {index} ({expression.get("text")!r}) of {results.get("img_path")} '
                               'has no "bboxes": LoadGRECExpressions reads generalised-REC data sets')
            boxes.extend(expression['bboxes'])
            owners.extend([index] * len(expression['bboxes']))
        results['gt_bboxes'] = HorizontalBoxes(np.array(boxes, dtype=np.float32).reshape(-1, 4))
        results['gt_bboxes_labels'] = np.array(owners, dtype=np.int64)
        results['gt_ignore_flags'] = np.zeros(len(owners), dtype=bool)
        results['texts'] = [expression['text'] for expression in expressions]
        return results
