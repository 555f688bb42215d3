"""The *Browse results* tab's work: a ``tools/test.py --out`` predictions file (one JSON row per expression, as
:class:`~mmrec.evaluation.RECMetric` dumps it) checked against the data config it was made with, then filtered,
counted and paged, each expression drawn with its ground truth and prediction.

A file that does not match the config's data set (another data root, split, or a different file) is refused
with a :class:`PredictionsMismatch` that names the first row that differs and how; so is a file whose ``iou``
or ``correct`` disagree with its boxes (IoU recomputed, correct at the config's ``RECMetric`` threshold). A file
that holds only part of the data set's expressions loads, and its summary says how many are present. A row
repeated word for word (same ``sent_id`` and prediction) is counted once and the summary says how many were
dropped; two rows of one ``sent_id`` that differ are refused. Messages name files by :func:`display_path`,
never by a server path.
"""
import json
import math
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmrec.evaluation.iou import box_iou_pairwise
from mmrec.paths import REPO_ROOT
from mmrec.visualization import draw_rec_prediction
from .cues import cue_kinds
from .inputs import DEFAULT_LIMITS, InputError, Limits, check_file_size

#: Keys every predictions row must have (``tools/test.py --out`` writes these and more).
REQUIRED_KEYS = ('img_id', 'split', 'text', 'gt_bbox', 'pred_bbox', 'iou', 'correct')
ALL = 'all'
OUTCOMES = (ALL, 'correct', 'wrong')
CUE_PREFIX = 'cue: '
BOX_TOLERANCE = 0.5  # pixels: a ground-truth box written to JSON and read back is the same box
IOU_TOLERANCE = 1e-4  # a stored IoU is the recomputed one up to float rounding


class PredictionsMismatch(InputError):
    """The predictions file and the data config describe different expressions."""


def read_predictions(path: Optional[str], limits: Limits = DEFAULT_LIMITS) -> List[dict]:
    """The rows of a JSON-lines predictions file (blank lines skipped).

    Raises:
        InputError: no file, too large, not UTF-8, a line that is not a JSON object, a row without one of
            :data:`REQUIRED_KEYS` (named with the line number), or no rows at all.
    """
    check_file_size(path, limits.max_predictions_bytes, 'predictions file')
    rows = []
    try:
        with open(path, encoding='utf-8') as stream:
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as error:
                    raise InputError(f'predictions file line {number} is not JSON ({error.msg}): is it the '
                                     '--out file of tools/test.py?') from None
                if not isinstance(row, dict):
                    raise InputError(f'predictions file line {number} is not a JSON object')
                missing = [key for key in REQUIRED_KEYS if key not in row]
                if missing:
                    raise InputError(f'predictions file line {number} lacks {", ".join(missing)} (a tools/test.py '
                                     f'--out row has {", ".join(REQUIRED_KEYS)})')
                row['line'] = number
                rows.append(row)
    except UnicodeDecodeError:
        raise InputError('the predictions file is not UTF-8 text: is it the --out file of tools/test.py?') from None
    if not rows:
        raise InputError('the predictions file holds no rows')
    return rows


def display_path(path: str) -> str:
    """A short name of a served file or folder that tells nothing of the server's folders: the path relative to
    the repository when inside it, else its folder's name and its own (``eval/predictions.jsonl``: two files of
    the same name in different folders stay apart)."""
    path = osp.abspath(path)
    relative = osp.relpath(path, REPO_ROOT)
    if not relative.startswith('..'):
        return relative
    folder = osp.basename(osp.dirname(path))
    return osp.join(folder, osp.basename(path)) if folder else osp.basename(path)


def _hide_paths(text: str, *paths: str) -> str:
    """``text`` with each of ``paths`` (absolute or as given) replaced by its :func:`display_path`."""
    for path in sorted({p for path in paths if path for p in (path, osp.abspath(path))}, key=len, reverse=True):
        text = text.replace(path, display_path(path))
    return text


def _resolve(path: str) -> str:
    """``path`` as given when it exists from here, else relative to the repository (configs say ``data/...``)."""
    return path if osp.isabs(path) or osp.exists(path) else osp.join(REPO_ROOT, path)


def load_data_expressions(data_config: str, splits: Sequence[str]) -> Tuple[Dict[object, dict], str]:
    """The expressions of ``data_config``'s test data set for ``splits``, by ``sent_id``, each
    ``dict(img_id, img_path, text, bbox, split)``; and a short description of the data set for messages.

    Raises:
        PredictionsMismatch: the data set has none of these splits, or cannot be read (the reason is named).
    """
    from mmdet.registry import DATASETS
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    import mmrec  # noqa: F401  (registers REFERDataset)

    cfg = Config.fromfile(data_config)
    dataset_cfg = cfg.test_dataloader.dataset.copy()
    if dataset_cfg.get('type') != 'REFERDataset':
        raise InputError(f'{data_config}: the test data set is {dataset_cfg.get("type")!r}, not a REFERDataset')
    dataset_cfg.update(split=list(splits), pipeline=[], one_expression_per_sample=False, with_candidates=False,
                       serialize_data=False)  # keeps data_list readable
    dataset_cfg['data_root'] = _resolve(dataset_cfg.get('data_root', ''))
    described = (f'{osp.basename(data_config)} (data_root {display_path(dataset_cfg["data_root"])}, split(s) '
                 f'{", ".join(splits)})')
    try:
        with DefaultScope.overwrite_default_scope('mmdet'):
            dataset = DATASETS.build(dataset_cfg)
    except (FileNotFoundError, ValueError) as error:
        reason = _hide_paths(str(error), dataset_cfg['data_root'], REPO_ROOT + osp.sep, data_config)
        raise PredictionsMismatch(f'the predictions do not match the data config {described}: {reason}') from None
    expressions = {}
    for info in dataset.data_list:
        for expression in info['expressions']:
            expressions[expression['sent_id']] = dict(img_id=info['img_id'], img_path=info['img_path'],
                                                      text=expression['text'], bbox=expression['bbox'],
                                                      split=expression['split'])
    return expressions, described


def drop_repeated_rows(rows: List[dict]) -> Tuple[List[dict], int]:
    """``rows`` with each ``sent_id`` once and how many repeats were dropped: a repeat that says the same
    (text, boxes, outcome) is dropped; one that differs is a :class:`PredictionsMismatch` naming both lines.
    Rows without a ``sent_id`` are kept (:func:`match_rows` refuses them)."""
    first: Dict[object, dict] = {}
    kept = []
    for row in rows:
        sent_id = row.get('sent_id')
        if sent_id is None or sent_id not in first:
            first.setdefault(sent_id, row)
            kept.append(row)
            continue
        same = all(row.get(key) == first[sent_id].get(key) for key in REQUIRED_KEYS + ('score', ))
        if not same:
            raise PredictionsMismatch(f'the predictions file has sent_id {sent_id} twice with different answers '
                                      f'(lines {first[sent_id]["line"]} and {row["line"]}): which one counts is '
                                      'unknown; write the file again with tools/test.py --out')
    return kept, len(rows) - len(kept)


def _row_mismatch(row: dict, expected: Optional[dict]) -> Optional[str]:
    """How ``row`` differs from the data set's expression of the same ``sent_id`` (``None``: it matches)."""
    if expected is None:
        return 'no expression of the data set has this sent_id'
    for key, data_key in (('img_id', 'img_id'), ('split', 'split'), ('text', 'text')):
        if row[key] != expected[data_key]:
            return f'{key} {row[key]!r} differs from the data set\'s {expected[data_key]!r}'
    gt = np.asarray(row['gt_bbox'], np.float64).reshape(-1)
    if gt.shape != (4, ) or np.abs(gt - np.asarray(expected['bbox'], np.float64)).max() > BOX_TOLERANCE:
        return f'gt_bbox {row["gt_bbox"]} differs from the data set\'s {expected["bbox"]}'
    return None


def match_rows(rows: List[dict], expressions: Dict[object, dict], described: str) -> None:
    """Attach each row's image path from the data set; :class:`PredictionsMismatch` naming the first row that
    differs (line, ``sent_id``, how) and the count of such rows when any does."""
    mismatches = []
    for row in rows:
        expected = expressions.get(row.get('sent_id'))
        problem = _row_mismatch(row, expected)
        if problem is not None:
            mismatches.append((row, problem))
        else:
            row['img_path'] = expected['img_path']
    if mismatches:
        row, problem = mismatches[0]
        raise PredictionsMismatch(
            f'the predictions file does not match the data config {described}: {len(mismatches)} of {len(rows)} '
            f'rows differ; first, line {row["line"]} (sent_id {row.get("sent_id")}): {problem}')


@dataclass
class BrowseSet:
    """A checked predictions file: its rows (with ``img_path`` and ``cue_kinds`` added) and where it came from."""
    rows: List[dict]
    description: str

    @property
    def splits(self) -> List[str]:
        return sorted({str(row['split']) for row in self.rows})

    @property
    def kinds(self) -> List[str]:
        """The filter's kind choices: the file's ``kind`` values, then the parser's cue types present."""
        kinds = sorted({str(row['kind']) for row in self.rows if row.get('kind')})
        cues = sorted({cue for row in self.rows for cue in row['cue_kinds']})
        return kinds + [CUE_PREFIX + cue for cue in cues]


def metric_iou_threshold(data_config: str) -> float:
    """The ``iou_thr`` of ``data_config``'s ``RECMetric`` test evaluator (0.5, the metric's default, without)."""
    from mmengine.config import Config

    evaluators = Config.fromfile(data_config).get('test_evaluator')
    for evaluator in evaluators if isinstance(evaluators, (list, tuple)) else [evaluators]:
        if isinstance(evaluator, dict) and str(evaluator.get('type', '')).split('.')[-1] == 'RECMetric':
            return float(evaluator.get('iou_thr', 0.5))
    return 0.5


def check_outcomes(rows: List[dict], iou_thr: float) -> None:
    """Recompute each row's ``iou`` from its ``gt_bbox`` and ``pred_bbox`` and ``correct`` as ``iou >= iou_thr``,
    replacing the stored values; :class:`PredictionsMismatch` naming the first row whose stored values disagree
    (line, ``sent_id``, both values) and the count of such rows."""
    try:
        ious = box_iou_pairwise([row['pred_bbox'] for row in rows], [row['gt_bbox'] for row in rows])
    except (TypeError, ValueError) as error:
        raise InputError(f'the predictions file has a box that is not [x1, y1, x2, y2] ({error})') from None
    disagreements = []
    for row, iou in zip(rows, ious.tolist()):
        correct = iou >= iou_thr
        stored_iou = row['iou']
        if not isinstance(stored_iou, (int, float)) or abs(stored_iou - iou) > IOU_TOLERANCE:
            disagreements.append((row, f'iou {stored_iou!r}, its boxes give {iou:.4f}'))
        elif bool(row['correct']) != correct:
            disagreements.append((row, f'correct {row["correct"]!r}, but IoU {iou:.4f} at the threshold {iou_thr} '
                                  f'is {"correct" if correct else "wrong"}'))
        row['iou'], row['correct'] = iou, correct
    if disagreements:
        row, problem = disagreements[0]
        raise PredictionsMismatch(
            f'the predictions file\'s outcomes disagree with its boxes in {len(disagreements)} of {len(rows)} rows; '
            f'first, line {row["line"]} (sent_id {row.get("sent_id")}): {problem}')


def load_browse_set(predictions: Optional[str], data_config: str, limits: Limits = DEFAULT_LIMITS) -> BrowseSet:
    """Read ``predictions``, check every row against ``data_config``'s data set (see :func:`match_rows`) and
    its outcomes against its boxes (:func:`check_outcomes`), and count the data set's expressions present."""
    rows, repeated = drop_repeated_rows(read_predictions(predictions, limits))
    expressions, described = load_data_expressions(data_config, sorted({str(row['split']) for row in rows}))
    match_rows(rows, expressions, described)
    check_outcomes(rows, metric_iou_threshold(data_config))
    for row in rows:
        row['cue_kinds'] = cue_kinds(row['text'])
    present = len({row['sent_id'] for row in rows})
    coverage = (f'{present} of {len(expressions)} data-set expressions present'
                + ('' if present == len(expressions) else ' (a partial predictions file)'))
    dropped = (f'; {repeated} repeated row(s) of the file counted once (warning: the file holds the same '
               'expression more than once)') if repeated else ''
    return BrowseSet(rows=rows, description=f'{len(rows)} expressions checked against {described}; {coverage}'
                                            f'{dropped}')


@dataclass
class BrowseFilter:
    """Which rows to show: a split, an outcome (:data:`OUTCOMES`), a kind (a ``kind`` value or
    ``'cue: <type>'``) and a case-insensitive text search; :data:`ALL` (or empty text) keeps every row."""
    split: str = ALL
    outcome: str = ALL
    kind: str = ALL
    search: str = ''

    def keeps(self, row: dict) -> bool:
        if self.split != ALL and str(row['split']) != self.split:
            return False
        if self.outcome != ALL and bool(row['correct']) != (self.outcome == 'correct'):
            return False
        if self.kind != ALL:
            if self.kind.startswith(CUE_PREFIX):
                if self.kind[len(CUE_PREFIX):] not in row['cue_kinds']:
                    return False
            elif str(row.get('kind')) != self.kind:
                return False
        return self.search.strip().lower() in str(row['text']).lower()


@dataclass
class BrowsePage:
    """One page of the filtered rows: the rows, the page number (from 1) and count, and the filter's totals."""
    rows: List[dict]
    page: int
    num_pages: int
    num_rows: int
    num_correct: int
    stats: Dict[str, float] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        if not self.num_rows:
            return 'No expression matches this filter.'
        return (f'{self.num_rows} expressions match; accuracy {100.0 * self.num_correct / self.num_rows:.1f}% '
                f'({self.num_correct}/{self.num_rows}), mean IoU {self.stats["mean_iou"]:.3f}; '
                f'page {self.page} of {self.num_pages}')


def browse_page(browse_set: BrowseSet, flt: BrowseFilter, page: int, per_page: int = 8) -> BrowsePage:
    """The ``page``-th page (from 1; clamped to the pages there are) of the rows ``flt`` keeps, in file order."""
    kept = [row for row in browse_set.rows if flt.keeps(row)]
    num_pages = max(1, math.ceil(len(kept) / per_page))
    page = min(max(1, int(page)), num_pages)
    stats = dict(mean_iou=float(np.mean([row['iou'] for row in kept]))) if kept else {}
    return BrowsePage(rows=kept[(page - 1) * per_page:page * per_page], page=page, num_pages=num_pages,
                      num_rows=len(kept), num_correct=sum(bool(row['correct']) for row in kept), stats=stats)


def draw_row(row: dict) -> np.ndarray:
    """RGB ``(H, W, 3)`` uint8 drawing of one row: its image, ground truth green, prediction red, text and IoU."""
    import mmcv

    image = mmcv.imread(row['img_path'], flag='color', channel_order='bgr')
    if image is None:
        raise InputError(f'the image {display_path(row["img_path"])} could not be read')
    drawing = draw_rec_prediction(image, row['text'], gt_bbox=row['gt_bbox'], pred_bbox=row['pred_bbox'],
                                  score=row.get('score'), iou=row['iou'])
    return np.ascontiguousarray(drawing[:, :, ::-1])
