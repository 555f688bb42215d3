"""``GRECMetric``: generalised REC (gRefCOCO): Precision@(F1=1, IoU>=0.5), N-acc and T-acc.

The definition follows gRefCOCO's evaluator, ``RefExpEvaluator.summarize`` in ``mdetr/datasets/refexp.py`` of
github.com/henghuiding/gRefCOCO, which mmdet 3.3's ``gRefCOCOMetric`` (``mmdet/evaluation/metrics/
grefcoco_metric.py``) re-implements. Per expression:

1. keep the predicted boxes whose score is ``>= score_thr`` (``thresh_score``, 0.7 there), compared in the
   scores' own precision as torch compares there (a float32 score 0.7 is kept at 0.7);
2. a no-target expression is right when no box is kept (N-acc counts those: "TP" / ("TP" + "FN") there) and
   then has F1 = 1, else F1 = 0;
3. otherwise boxes are matched greedily: repeatedly the pair with the highest overlap, if ``>= iou_thr``
   (``thresh_iou``, 0.5), counts as a true positive and its row and column are zeroed, at most
   min(predictions, targets) times; F1 = 2 TP / (2 TP + FP + FN) with FP = kept - TP, FN = targets - TP;
   T-acc is the share of target expressions with at least one kept box;
4. Precision@(F1=1, IoU>=0.5) is the share of expressions with F1 >= ``f1_thr`` (``thresh_F1``, 1.0).

Why not mmdet's ``gRefCOCOMetric``: it reads the ground truth from an MDETR-converted COCO file with one "image"
per expression (not mmrec's image-major samples), and it loads ``loadAnns(ann_ids[0])``, the **first** target
only, so an expression with several targets is scored against one box (a perfect answer gets F1 < 1).
``tests/test_grec_metric.py`` shows both: equal results on single- and no-target expressions, and that case.
gRefCOCO's evaluator measures overlap with GIoU (``generalized_box_iou``), mmdet's with IoU: ``overlap`` picks
(IoU by default, the metric's name). Ties between equal overlaps go to the first pair in row-major order.

Predictions: ``pred_instances.bboxes`` (M, 4) and ``scores`` (M,), original pixels. With a field
``expression_index`` (M,) each box answers the expression of that index (any number per expression);
without it row i answers expression i (the one-box models: M equals the number of expressions).
"""
import logging
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmdet.registry import METRICS

from .iou import as_boxes, box_iou_matrix
from .rec_metric import _ID_KEYS, _format_table, _plain, split_groups, split_metrics, write_rows
from .skipped_report import report_skipped

#: The ``pred_instances`` field that maps each predicted box to its expression (generalised predictions).
EXPRESSION_INDEX_FIELD = 'expression_index'
OVERLAPS = ('iou', 'giou')


def giou_matrix(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """Generalised IoU of every box in ``boxes_a`` (N, 4) with every box in ``boxes_b`` (M, 4): (N, M)."""
    boxes_a, boxes_b = as_boxes(boxes_a), as_boxes(boxes_b)
    iou = box_iou_matrix(boxes_a, boxes_b)
    inter_w = np.clip(np.minimum(boxes_a[:, None, 2], boxes_b[None, :, 2]) -
                      np.maximum(boxes_a[:, None, 0], boxes_b[None, :, 0]), 0, None)
    inter_h = np.clip(np.minimum(boxes_a[:, None, 3], boxes_b[None, :, 3]) -
                      np.maximum(boxes_a[:, None, 1], boxes_b[None, :, 1]), 0, None)
    area = lambda b: np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)  # noqa: E731
    union = area(boxes_a)[:, None] + area(boxes_b)[None, :] - inter_w * inter_h
    hull = ((np.maximum(boxes_a[:, None, 2], boxes_b[None, :, 2]) - np.minimum(boxes_a[:, None, 0],
                                                                               boxes_b[None, :, 0])) *
            (np.maximum(boxes_a[:, None, 3], boxes_b[None, :, 3]) - np.minimum(boxes_a[:, None, 1],
                                                                               boxes_b[None, :, 1])))
    penalty = np.divide(hull - union, hull, out=np.zeros_like(hull, dtype=np.float64), where=hull > 0)
    return iou - penalty


def greedy_true_positives(overlaps: np.ndarray, iou_thr: float) -> int:
    """Matches of the greedy one-to-one assignment of step 3 (module docstring); ``overlaps`` is (P, G)."""
    overlaps = np.array(overlaps, dtype=np.float64)
    matches = 0
    for _ in range(min(overlaps.shape) if overlaps.size else 0):
        row, col = np.unravel_index(int(np.argmax(overlaps)), overlaps.shape)
        if overlaps[row, col] < iou_thr:
            break
        matches += 1
        overlaps[row, :] = 0.0
        overlaps[:, col] = 0.0
    return matches


def grec_row(gt_bboxes: np.ndarray, pred_bboxes: np.ndarray, iou_thr: float, overlap: str = 'iou') -> dict:
    """Score one expression's kept predictions (P, 4) against its targets (G, 4, G may be 0).

    Returns ``dict(no_target, num_pred, num_gt, true_positives, f1)``.
    """
    num_pred, num_gt = len(pred_bboxes), len(gt_bboxes)
    if num_gt == 0:
        return dict(no_target=True, num_pred=num_pred, num_gt=0, true_positives=0,
                    f1=1.0 if num_pred == 0 else 0.0)
    overlaps = (giou_matrix if overlap == 'giou' else box_iou_matrix)(pred_bboxes, gt_bboxes)
    tp = greedy_true_positives(overlaps, iou_thr)
    return dict(no_target=False, num_pred=num_pred, num_gt=num_gt, true_positives=tp,
                f1=2 * tp / (2 * tp + (num_pred - tp) + (num_gt - tp)))


def grec_summary(rows: Sequence[dict], f1_thr: float = 1.0) -> Dict[str, float]:
    """``pr_f1``, and ``n_acc`` / ``t_acc`` where there are no-target / target expressions; counts."""
    metrics = OrderedDict(pr_f1=float(np.mean([row['f1'] >= f1_thr for row in rows])) if rows else 0.0)
    no_target = [row for row in rows if row['no_target']]
    target = [row for row in rows if not row['no_target']]
    if no_target:
        metrics['n_acc'] = float(np.mean([row['num_pred'] == 0 for row in no_target]))
    if target:
        metrics['t_acc'] = float(np.mean([row['num_pred'] >= 1 for row in target]))
    metrics['no_target_count'] = len(no_target)
    metrics['target_count'] = len(target)
    return metrics


def _gt_of(expression: dict, where: str) -> np.ndarray:
    if 'bboxes' in expression:
        return as_boxes(expression['bboxes'])
    if expression.get('bbox') is not None:
        return as_boxes(expression['bbox'])
    raise ValueError(f'{where} has neither "bboxes" nor "bbox": GRECMetric needs the ground truth '
                     '(GRefCOCODataset, RECJsonlDataset)')


def _numpy(value: Any) -> np.ndarray:
    """A tensor (any device) or array-like as a numpy array of its own dtype."""
    return np.asarray(value.detach().cpu().numpy() if hasattr(value, 'detach') else value)


def kept(scores: np.ndarray, score_thr: float) -> np.ndarray:
    """``scores >= score_thr`` compared in the scores' own precision, as torch compares a float32 tensor with a
    Python number (mmdet's metric): a float32 score of 0.7 is kept at ``score_thr=0.7``."""
    return scores >= scores.dtype.type(score_thr)


def _predictions_per_expression(sample: Any, num_expressions: int, where: str) -> List[tuple]:
    """``[(boxes (P_i, 4), scores (P_i,)), ...]`` for each expression of the sample."""
    pred = sample.get('pred_instances')
    if pred is None or pred.get('bboxes') is None or pred.get('scores') is None:
        raise ValueError(f'{where} has no pred_instances.bboxes and .scores; GRECMetric needs both')
    boxes = as_boxes(pred.get('bboxes'))
    scores = _numpy(pred.get('scores')).reshape(-1)
    if not np.issubdtype(scores.dtype, np.floating):
        scores = scores.astype(np.float64)
    index = pred.get(EXPRESSION_INDEX_FIELD)
    if index is None:
        if len(boxes) != num_expressions:
            raise ValueError(f'{where} has {len(boxes)} predicted boxes for {num_expressions} expressions and no '
                             f'pred_instances.{EXPRESSION_INDEX_FIELD} saying which box answers which')
        index = np.arange(len(boxes))
    index = _numpy(index).astype(np.int64).reshape(-1)
    if not len(boxes) == len(scores) == len(index):
        raise ValueError(f'{where}: pred_instances has {len(boxes)} boxes, {len(scores)} scores and '
                         f'{len(index)} {EXPRESSION_INDEX_FIELD} values')
    if len(index) and (index.min() < 0 or index.max() >= num_expressions):  # else answers vanish: N-acc inflated
        raise ValueError(f'{where}: pred_instances.{EXPRESSION_INDEX_FIELD} holds {int(index.min())}..'
                         f'{int(index.max())}, outside 0..{num_expressions - 1} (the sample\'s expressions)')
    return [(boxes[index == i], scores[index == i]) for i in range(num_expressions)]


@METRICS.register_module()
class GRECMetric(BaseMetric):
    """gRefCOCO's Precision@(F1=1, IoU>=0.5), N-acc and T-acc, overall and per split (module docstring).

    Keys (prefix ``grec``): ``pr_f1``, ``n_acc`` (with no-target expressions), ``t_acc`` (with target
    expressions), ``no_target_count``, ``target_count``, and ``<split>/...`` for each split. Fractions in [0, 1].

    Args:
        score_thr: Predictions scored below it are dropped (gRefCOCO's ``thresh_score``).
        iou_thr: Overlap from which a matched box is a true positive.
        f1_thr: F1 from which an expression counts as right.
        overlap: ``'iou'`` (mmdet's ``gRefCOCOMetric``) or ``'giou'`` (gRefCOCO's MDETR evaluator).
        dump_file: Optional JSON-lines file (``tools/test.py --out``), one line per expression, written by rank 0:
            its ids (``img_id``, ``ref_id``, ``sent_id``, ``ann_id``, ``split``, ``kind``), ``text``,
            ``gt_bboxes`` (every target, ``[]`` for no target), ``no_target``, ``pred_bboxes`` and ``scores``
            (the boxes kept at ``score_thr``, any number, ``[]`` when none is), ``true_positives``, ``f1`` and
            ``correct`` (F1 >= ``f1_thr``).
        collect_device, prefix, collect_dir: See :class:`mmengine.evaluator.BaseMetric`.
    """

    default_prefix: Optional[str] = 'grec'

    def __init__(self, score_thr: float = 0.7, iou_thr: float = 0.5, f1_thr: float = 1.0, overlap: str = 'iou',
                 dump_file: Optional[str] = None, collect_device: str = 'cpu', prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        if overlap not in OVERLAPS:
            raise ValueError(f"GRECMetric overlap must be 'iou' or 'giou', got {overlap!r}")
        self.score_thr, self.iou_thr, self.f1_thr, self.overlap = float(score_thr), float(iou_thr), f1_thr, overlap
        self.dump_file = dump_file

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """One result per sample: the rows of its expressions (see ``RECMetric.process`` for why per sample)."""
        for sample in data_samples:
            where = f'sample img_id={sample.get("img_id")!r} (img_path={sample.get("img_path")!r})'
            expressions = list(sample.get('expressions') or [])
            predictions = _predictions_per_expression(sample, len(expressions), where)
            rows = []
            for number, (expression, (boxes, scores)) in enumerate(zip(expressions, predictions)):
                gt = _gt_of(expression, f'expression {number} of {where}')
                keep = kept(scores, self.score_thr)
                row = grec_row(gt, boxes[keep], self.iou_thr, self.overlap)
                row.update(split=expression.get('split'), sent_id=expression.get('sent_id'))
                if self.dump_file is not None:
                    row['dump'] = self._dump_row(sample, expression, gt, boxes[keep], scores[keep], row)
                rows.append(row)
            self.results.append(rows)

    def _dump_row(self, sample: Any, expression: dict, gt: np.ndarray, boxes: np.ndarray, scores: np.ndarray,
                  row: dict) -> dict:
        """The ``--out`` line of one expression (see ``dump_file``)."""
        line = dict(img_id=_plain(sample.get('img_id')))
        line.update({key: _plain(expression.get(key)) for key in _ID_KEYS})
        line.update(text=expression.get('text'), gt_bboxes=gt.tolist(), no_target=row['no_target'],
                    pred_bboxes=boxes.tolist(), scores=[float(score) for score in scores],
                    true_positives=row['true_positives'], f1=row['f1'], correct=bool(row['f1'] >= self.f1_thr))
        return line

    def compute_metrics(self, results: List[List[dict]]) -> Dict[str, float]:
        rows = [row for sample_rows in results for row in sample_rows]
        if self.dump_file is not None:
            write_rows(self.dump_file, [row.pop('dump') for row in rows], 'GRECMetric')
        if not rows:
            print_log('GRECMetric got no expressions to evaluate; reporting zeros.', logger='current',
                      level=logging.WARNING)
        metrics = grec_summary(rows, self.f1_thr)
        report_skipped(metrics, self.dataset_meta, 'GRECMetric', len(rows))
        groups = split_groups(rows)
        metrics.update(split_metrics(groups, lambda group: grec_summary(group, self.f1_thr)))
        body = [[name, str(len(group))] + [f'{100 * summary[key]:.2f}' if key in summary else '-'
                                           for key in ('pr_f1', 'n_acc', 't_acc')]
                for name, group in list(groups.items()) + [('all', rows)]
                for summary in [grec_summary(group, self.f1_thr)]]
        print_log('\n' + _format_table(['split', 'expressions', 'Pr@(F1=1)', 'N-acc', 'T-acc'], body),
                  logger='current')
        return dict(metrics)
