"""``RECMetric``: accuracy of Referring Expression Comprehension predictions.

One prediction per expression is right when its IoU with the referred box is at
least ``iou_thr`` (0.5: the "Accuracy" of the REC literature). The metric also
reports the mean IoU, the accuracy averaged over IoU 0.5:0.05:0.95 and, when the
model exposes the candidate boxes it chose from, the proposal upper bound: the
share of expressions for which any candidate reaches ``iou_thr``, which tells
whether the detector or the scorer limits the accuracy.

All values are fractions in [0, 1]; the log table shows them in percent.
"""
import json
import logging
import os.path as osp
import re
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np
from mmengine.dist import is_main_process
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmengine.utils import mkdir_or_exist

from mmdet.registry import METRICS

from .iou import accuracy_50_95, accuracy_at, box_iou_matrix, box_iou_pairwise
from .rec_sample import RECSample, unpack_rec_sample
from .skipped_report import report_skipped

#: Expression metadata copied into every per-expression row (and dump line).
_ID_KEYS = ('ref_id', 'sent_id', 'ann_id', 'split', 'kind')


def _plain(value: Any) -> Any:
    """Turn numpy / torch scalars into Python ones (JSON and pickle friendly)."""
    if hasattr(value, 'item') and getattr(value, 'ndim', 0) == 0:
        return value.item()
    return value


def _key_part(name: Any) -> str:
    """Make a split or kind name safe inside a metric key (no '/', no spaces)."""
    return re.sub(r'[^A-Za-z0-9_.-]+', '_', str(name))


def split_groups(rows: List[dict]) -> 'OrderedDict[str, List[dict]]':
    """The evaluated rows of each split, keyed by the split's metric key part, in first-seen order (rows without
    a split belong to none)."""
    groups = OrderedDict()
    for row in rows:
        if row.get('split') is not None:
            groups.setdefault(_key_part(row['split']), []).append(row)
    return groups


def split_metrics(groups: Dict[str, List[dict]],
                  summarise: Callable[[List[dict]], Dict[str, float]]) -> Dict[str, float]:
    """``'<split>/<key>'`` metrics: ``summarise`` (the metric's figures of a list of rows) of each split group."""
    return {f'{split}/{key}': value for split, split_rows in groups.items()
            for key, value in summarise(split_rows).items()}


def _gt_boxes(sample: RECSample) -> np.ndarray:
    """The (N, 4) ground-truth boxes of a sample; ValueError names the culprit."""
    boxes = []
    for index, expression in enumerate(sample.expressions):
        bbox = expression.get('bbox')
        if bbox is None or np.asarray(bbox).shape != (4, ):
            raise ValueError(
                f'expression {index} (sent_id={expression.get("sent_id")!r}) '
                f'of {sample.describe()} needs a ground-truth "bbox" '
                f'[x1, y1, x2, y2], got {bbox!r}')
        boxes.append(np.asarray(bbox, dtype=np.float64))
    return np.stack(boxes) if boxes else np.zeros((0, 4))


def expression_rows(sample: RECSample, iou_thr: float = 0.5) -> List[dict]:
    """One evaluation row per expression of ``sample``.

    ``upper_bound_hit`` is ``None`` when the sample has no candidates, else
    whether any candidate (of that expression, when the candidates differ
    per expression) overlaps the gt box with IoU >= ``iou_thr`` (False
    for an empty candidate set).
    """
    gt_bboxes = _gt_boxes(sample)
    ious = box_iou_pairwise(sample.pred_bboxes, gt_bboxes)
    hits: Optional[np.ndarray] = None
    if sample.candidate_bboxes is not None:
        reached = box_iou_matrix(gt_bboxes, sample.candidate_bboxes) >= iou_thr
        if sample.candidate_expressions is not None:  # each expression's own candidates only
            reached &= sample.candidate_expressions[None, :] == np.arange(len(gt_bboxes))[:, None]
        hits = reached.any(axis=1)

    rows = []
    for index, expression in enumerate(sample.expressions):
        row = dict(img_id=_plain(sample.img_id))
        row.update({key: _plain(expression.get(key)) for key in _ID_KEYS})
        row.update(
            text=expression.get('text'),
            gt_bbox=gt_bboxes[index].tolist(),
            pred_bbox=sample.pred_bboxes[index].tolist(),
            score=(None if sample.pred_scores is None else float(
                sample.pred_scores[index])),
            iou=float(ious[index]),
            correct=bool(ious[index] >= iou_thr),
            upper_bound_hit=None if hits is None else bool(hits[index]))
        rows.append(row)
    return rows


def summarise_rows(rows: Sequence[dict], iou_thr: float = 0.5) -> Dict[str, float]:
    """Metrics of a group of rows (unprefixed keys, fractions in [0, 1]).

    Keys: ``accuracy``, ``mean_iou``, ``accuracy_50_95``; ``upper_bound`` when
    any row carries candidates (computed over those rows only); and
    ``accuracy_<kind>`` for every expression kind present.
    """
    ious = np.array([row['iou'] for row in rows], dtype=np.float64)
    metrics = OrderedDict(
        accuracy=accuracy_at(ious, iou_thr),
        mean_iou=float(ious.mean()) if ious.size else 0.0,
        accuracy_50_95=accuracy_50_95(ious))
    hits = [row['upper_bound_hit'] for row in rows
            if row.get('upper_bound_hit') is not None]
    if hits:
        metrics['upper_bound'] = float(np.mean(hits))
    kinds = OrderedDict()
    for row in rows:
        if row.get('kind') is not None:
            kinds.setdefault(_key_part(row['kind']), []).append(row['iou'])
    for kind, kind_ious in kinds.items():
        key = f'accuracy_{kind}'
        if key in metrics:  # a kind named like a metric, e.g. '50_95'
            key = f'accuracy_kind_{kind}'
        metrics[key] = accuracy_at(np.array(kind_ious), iou_thr)
    return metrics


def write_rows(path: str, rows: Sequence[dict], owner: str) -> None:
    """Write one JSON line per row to ``path`` (rank 0 only; parent folders created) and log it."""
    if not is_main_process():
        return
    mkdir_or_exist(osp.dirname(osp.abspath(path)))
    with open(path, 'w', encoding='utf-8') as stream:
        for row in rows:
            stream.write(json.dumps(row, ensure_ascii=False) + '\n')
    print_log(f'{owner}: wrote {len(rows)} per-expression predictions to {path}', logger='current')


def _format_table(header: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    """A plain fixed-width text table."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *body)]
    line = '+' + '+'.join('-' * (width + 2) for width in widths) + '+'

    def render(cells):
        return '| ' + ' | '.join(
            str(cell).rjust(width) for cell, width in zip(cells, widths)) + ' |'

    return '\n'.join([line, render(header), line] + [render(r) for r in body] + [line])


@METRICS.register_module()
class RECMetric(BaseMetric):
    """Referring Expression Comprehension metric, overall and per split.

    Each data sample is one image with all its expressions (image-major, see
    ``docs/design.md``): ground truth from the metainfo ``expressions[i]['bbox']``,
    prediction from ``pred_instances.bboxes[i]``, both in original image pixels;
    optional ``candidates.bboxes`` give the proposal upper bound.

    Keys (with the default prefix ``rec``): ``rec/accuracy``, ``rec/mean_iou``,
    ``rec/accuracy_50_95``, ``rec/upper_bound`` (with candidates),
    ``rec/accuracy_<kind>`` (expressions with a ``kind``), and the same for each
    split as ``rec/<split>/accuracy``, ... Values are fractions in [0, 1].

    Args:
        iou_thr: IoU from which a prediction counts as correct; the proposal
            upper bound uses the same threshold so that it bounds ``accuracy``.
        dump_file: optional path of a JSON-lines file with one row per
            expression (ids, split, kind, text, boxes, score, iou, correct,
            upper_bound_hit), written by rank 0; parent directories are created.
        collect_device: ``'cpu'`` or ``'gpu'``, how ranks gather results.
        prefix: metric key prefix; ``None`` means ``'rec'``.
        collect_dir: shared directory for CPU collection (see ``BaseMetric``).

    An evaluation with no results logs a warning and reports zeros rather than
    raising: ``compute_metrics`` runs on rank 0 only, and an exception there
    would leave the other ranks waiting forever in the result broadcast.
    """

    default_prefix: Optional[str] = 'rec'

    def __init__(self,
                 iou_thr: float = 0.5,
                 dump_file: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(
            collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        if not 0.0 < iou_thr <= 1.0:
            raise ValueError(f'iou_thr must be in (0, 1], got {iou_thr}')
        self.iou_thr = float(iou_thr)
        self.dump_file = dump_file

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Append one result per data sample: the list of its expression rows.

        One entry per *sample* (not per expression) matters under distributed
        evaluation: ``mmengine.dist.collect_results`` interleaves the ranks'
        results and truncates them to the dataset length to drop the samples
        the distributed sampler padded in; that length counts images, so
        results must be counted in images too for every expression to be kept
        exactly once. ``compute_metrics`` flattens the lists.
        """
        for data_sample in data_samples:
            sample = unpack_rec_sample(data_sample)
            self.results.append(expression_rows(sample, self.iou_thr))

    def compute_metrics(self, results: List[List[dict]]) -> Dict[str, float]:
        """Flatten the per-sample rows and summarise them overall and per split."""
        rows = [row for sample_rows in results for row in sample_rows]
        if self.dump_file is not None:
            self._dump(rows)
        if not rows:
            print_log(
                'RECMetric got no expressions to evaluate (empty dataset or '
                'empty predictions); reporting zeros.',
                logger='current',
                level=logging.WARNING)
            return summarise_rows(rows, self.iou_thr)

        self._warn_partial_candidates(rows)
        metrics = summarise_rows(rows, self.iou_thr)
        report_skipped(metrics, self.dataset_meta, 'RECMetric', len(rows))
        groups = split_groups(rows)
        metrics.update(split_metrics(groups, lambda group: summarise_rows(group, self.iou_thr)))

        print_log(
            '\n' + self._table(rows, groups), logger='current', level=logging.INFO)
        return dict(metrics)

    def _warn_partial_candidates(self, rows: List[dict]) -> None:
        with_candidates = sum(row['upper_bound_hit'] is not None for row in rows)
        if 0 < with_candidates < len(rows):
            print_log(
                f'RECMetric: only {with_candidates} of {len(rows)} expressions '
                'come with candidate boxes; the upper bound covers those only.',
                logger='current',
                level=logging.WARNING)

    def _table(self, rows: List[dict], groups: Dict[str, List[dict]]) -> str:
        """Readable summary: one line per split plus 'all', values in percent."""
        named_groups = list(groups.items())
        if len(named_groups) != 1 or len(named_groups[0][1]) != len(rows):
            named_groups.append(('all', rows))
        header = ['split', 'expressions', f'acc@{self.iou_thr:g}', 'mean IoU',
                  'acc@0.5:0.95', 'upper bound']
        kinds = []
        for row in rows:
            kind = row.get('kind')
            if kind is not None and _key_part(kind) not in kinds:
                kinds.append(_key_part(kind))
        header += [f'acc {kind}' for kind in kinds]

        body = []
        for name, group_rows in named_groups:
            summary = summarise_rows(group_rows, self.iou_thr)

            def percent(key):
                return f'{100 * summary[key]:.2f}' if key in summary else '-'

            body.append([name, str(len(group_rows)), percent('accuracy'),
                         percent('mean_iou'), percent('accuracy_50_95'),
                         percent('upper_bound')] +
                        [self._kind_cell(group_rows, kind) for kind in kinds])
        return _format_table(header, body)

    def _kind_cell(self, rows: List[dict], kind: str) -> str:
        """Accuracy (percent) of the rows of one kind, '-' when there are none."""
        ious = [row['iou'] for row in rows
                if row.get('kind') is not None and _key_part(row['kind']) == kind]
        return f'{100 * accuracy_at(np.array(ious), self.iou_thr):.2f}' if ious else '-'

    def _dump(self, rows: List[dict]) -> None:
        """Write one JSON line per expression (rank 0 only)."""
        write_rows(self.dump_file, rows, 'RECMetric')
