"""``RefL4Metric``: the figures of Ref-L4's own evaluator, from mmrec's REC predictions.

Followed line by line: ``RefL4Evaluator`` in ``ref_l4/evaluation.py`` of github.com/JierunChen/Ref-L4
(``evaluate``), with its default arguments:

* IoU of each prediction with its ground truth box (``bbox_overlaps(..., is_aligned=True)``, xyxy, no "+1");
* "Ann-level acc iou t" for t in ``ann_level_acc_ths = [0.5, 0.75, 0.9]``: the share of expressions whose IoU
  is **strictly greater** than t (``(iou > th).sum() / len(iou)``; ``RECMetric`` counts ``>=``);
* "Ann-level macc iou 0.5:0.95": the mean of those shares over ``ann_level_macc_ths = [i/100 for i in
  range(50, 100, 5)]``, i.e. 0.50, 0.55, ..., 0.95, strict as well;
* sizes: ``obj_size = sqrt(w * h)`` of the ground truth ``[x, y, w, h]``; small if ``obj_size < 128``
  (``small_size_th``), medium if ``<= 256`` (``large_size_th``), large otherwise; per size the accuracy at 0.5
  (``size_level_acc_ths = [0.5]``) and the mAcc over 0.5:0.95 (``size_level_macc_ths``).

Differences, all deliberate: values are fractions in [0, 1] (the evaluator prints percent; the log table here
does too); a size with no expression is left out (the evaluator divides by zero); IoUs are float64 (it
converts the boxes to a float32 tensor), which can only matter for an IoU within ~1e-7 of a threshold; an
inverted or empty predicted box has IoU 0 (its area is clipped at 0; the evaluator would use a negative area).
Not computed: the "Average class-level" figures, which group by ``ori_category_id`` through the evaluator's own
RefCOCO-to-Objects365 category table; a grouping without that table would print a different number.
"""
import logging
import math
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmdet.registry import METRICS

from .rec_metric import _format_table, expression_rows
from .rec_sample import unpack_rec_sample
from .skipped_report import report_skipped

#: ``ann_level_acc_ths`` of Ref-L4's evaluator.
ACC_THRESHOLDS = (0.5, 0.75, 0.9)
#: ``ann_level_macc_ths`` / ``size_level_macc_ths``: 0.50, 0.55, ..., 0.95, computed as the evaluator does.
MACC_THRESHOLDS = tuple(i / 100 for i in range(50, 100, 5))
#: ``small_size_th`` and ``large_size_th``: small < 128 <= medium <= 256 < large, on sqrt(w * h) in pixels.
SMALL_SIZE, LARGE_SIZE = 128, 256
SIZES = ('small', 'medium', 'large')


def size_bucket(size: float) -> str:
    """Ref-L4's size class of a box whose ``sqrt(w * h)`` is ``size``."""
    if size < SMALL_SIZE:
        return 'small'
    return 'medium' if size <= LARGE_SIZE else 'large'


def accuracy_above(ious: np.ndarray, thr: float) -> float:
    """Share of IoUs strictly above ``thr`` (Ref-L4's ``iou > th``); 0.0 for none."""
    ious = np.asarray(ious, dtype=np.float64)
    return float(np.mean(ious > thr)) if ious.size else 0.0


def mean_accuracy_above(ious: np.ndarray) -> float:
    """Ref-L4's mAcc: the mean of :func:`accuracy_above` over 0.50, 0.55, ..., 0.95."""
    return float(np.mean([accuracy_above(ious, thr) for thr in MACC_THRESHOLDS]))


def ref_l4_summary(ious: Sequence[float], sizes: Sequence[float]) -> Dict[str, float]:
    """Ref-L4's figures of one set of expressions (unprefixed keys, fractions).

    Args:
        ious: (N,) IoU of each expression's prediction with its ground truth.
        sizes: (N,) ``sqrt(w * h)`` of each ground truth box, in pixels.

    Returns:
        ``acc_50``, ``acc_75``, ``acc_90``, ``macc`` (0.5:0.95), and for each size class with expressions
        ``<size>_acc_50``, ``<size>_macc`` and ``<size>_count``.
    """
    ious = np.asarray(ious, dtype=np.float64)
    metrics = OrderedDict((f'acc_{round(100 * thr)}', accuracy_above(ious, thr)) for thr in ACC_THRESHOLDS)
    metrics['macc'] = mean_accuracy_above(ious)
    buckets = np.array([size_bucket(size) for size in sizes])
    for size in SIZES:
        chosen = ious[buckets == size] if len(buckets) else ious[:0]
        if chosen.size:
            metrics[f'{size}_acc_50'] = accuracy_above(chosen, 0.5)
            metrics[f'{size}_macc'] = mean_accuracy_above(chosen)
            metrics[f'{size}_count'] = int(chosen.size)
    return metrics


def _box_size(expression: Dict[str, Any], gt_bbox: Sequence[float]) -> float:
    """``box_size`` given by ``RefL4Dataset`` (from the file's w and h), else sqrt(w * h) of the xyxy box."""
    if expression.get('box_size') is not None:
        return float(expression['box_size'])
    x1, y1, x2, y2 = gt_bbox
    return math.sqrt(max(x2 - x1, 0.0) * max(y2 - y1, 0.0))


@METRICS.register_module()
class RefL4Metric(BaseMetric):
    """Ref-L4's accuracy at IoU 0.5 / 0.75 / 0.9, mAcc over 0.5:0.95 and the same by box size.

    See the module docstring for the definition and where it comes from. Reads predictions as ``RECMetric``
    does (one box per expression, ``pred_instances.bboxes[i]`` answers ``expressions[i]``); it works on any
    data set whose expressions have a ``bbox`` (with ``RefL4Dataset`` the size comes from the file's w, h).

    Keys (prefix ``refl4``): ``acc_50``, ``acc_75``, ``acc_90``, ``macc``; ``small_acc_50``, ``small_macc``,
    ``small_count`` and the same for ``medium`` and ``large`` (a size with no expression has no keys).
    Values are fractions in [0, 1]; the log table shows percent, as Ref-L4's evaluator prints.
    """

    default_prefix: Optional[str] = 'refl4'

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """One result per sample (so that distributed collection counts images, as ``RECMetric``)."""
        for data_sample in data_samples:
            sample = unpack_rec_sample(data_sample)
            rows = expression_rows(sample)
            self.results.append([
                dict(iou=row['iou'], size=_box_size(expression, row['gt_bbox']))
                for row, expression in zip(rows, sample.expressions)])

    def compute_metrics(self, results: List[List[dict]]) -> Dict[str, float]:
        rows = [row for sample_rows in results for row in sample_rows]
        if not rows:
            print_log('RefL4Metric got no expressions to evaluate; reporting zeros.', logger='current',
                      level=logging.WARNING)
        metrics = ref_l4_summary([row['iou'] for row in rows], [row['size'] for row in rows])
        report_skipped(metrics, self.dataset_meta, 'RefL4Metric', len(rows))
        print_log('\n' + self._table(metrics, len(rows)), logger='current')
        return dict(metrics)

    @staticmethod
    def _table(metrics: Dict[str, float], count: int) -> str:
        body = [['all', str(count)] + [f'{100 * metrics[key]:.2f}' for key in ('acc_50', 'acc_75', 'acc_90',
                                                                               'macc')]]
        for size in SIZES:
            if f'{size}_count' in metrics:
                body.append([size, str(metrics[f'{size}_count']), f'{100 * metrics[f"{size}_acc_50"]:.2f}', '-',
                             '-', f'{100 * metrics[f"{size}_macc"]:.2f}'])
        return _format_table(['Ref-L4', 'expressions', 'acc@0.5', 'acc@0.75', 'acc@0.9', 'mAcc@0.5:0.95'], body)
