"""``RefL4Dataset``: Ref-L4 (Chen et al. 2024), long referring expressions over COCO and Objects365 images.

The benchmark is published on Hugging Face (``JierunChen/Ref-L4``) as ``ref-l4-val.parquet``,
``ref-l4-test.parquet`` and ``images.tar.gz``. A Parquet row is one expression; the columns used here are the
ones its dataset card lists and its own loader and evaluator read (github.com/JierunChen/Ref-L4,
``ref_l4/dataloader.py`` and ``ref_l4/evaluation.py``): ``id`` (the annotation id predictions are matched by),
``caption`` (the expression), ``bbox`` (``[x, y, w, h]`` pixels), ``file_name`` (the image's name inside
``images.tar.gz``); optional ``image_id``, ``height``, ``width``, ``ori_category_id``, ``bbox_id``,
``is_rewrite``, ``split``. Other columns are ignored. docs/datasets.md says how to lay the files out.
"""
import math
import os.path as osp
from typing import Any, Dict, List

from mmdet.registry import DATASETS

from .expression_dataset import ExpressionListDataset, ExpressionRecord, parse_box
from .skipped_records import EMPTY_EXPRESSION, SkippedRecords

#: Columns without which a file is not Ref-L4 (``ann_id`` is accepted for ``id``: the first release's name).
REQUIRED_COLUMNS = ('caption', 'bbox', 'file_name')
ID_COLUMNS = ('id', 'ann_id')
OPTIONAL_COLUMNS = ('image_id', 'height', 'width', 'ori_category_id', 'bbox_id', 'is_rewrite', 'split')


def read_parquet_rows(path: str, owner: str) -> List[Dict[str, Any]]:
    """The rows of a Parquet file as dicts (pyarrow; only the columns Ref-L4 uses are read)."""
    try:
        import pyarrow.parquet as pq
    except ImportError as err:
        raise ImportError(f'{owner} reads Parquet with pyarrow, which is not installed: '
                          "pip install 'mmrec[benchmarks]' (or pip install pyarrow)") from err
    try:
        schema = pq.read_schema(path)
    except Exception as err:  # pyarrow raises ArrowInvalid / OSError subclasses for a non-Parquet file
        raise ValueError(f'{owner}: {path} is not a readable Parquet file: {err}') from err
    present = list(schema.names)
    id_column = next((name for name in ID_COLUMNS if name in present), None)
    missing = [name for name in REQUIRED_COLUMNS if name not in present] + ([] if id_column else ['id'])
    if missing:
        raise ValueError(f'{owner}: {path} is not a Ref-L4 annotation file: it lacks columns {missing} '
                         f'(its columns are {present}); see docs/datasets.md')
    columns = [id_column, *REQUIRED_COLUMNS, *(name for name in OPTIONAL_COLUMNS if name in present)]
    rows = pq.read_table(path, columns=columns).to_pylist()
    if id_column != 'id':
        for row in rows:
            row['id'] = row.pop(id_column)
    return rows


@DATASETS.register_module()
class RefL4Dataset(ExpressionListDataset):
    """Ref-L4's expressions from one of its Parquet files, image-major like ``REFERDataset``.

    Each ``data_info`` is ``dict(img_path, img_id, height, width, expressions=[...])`` with expressions
    ``dict(text, bbox=[x1, y1, x2, y2], box_size, ref_id=None, sent_id=<id>, ann_id=<bbox_id>,
    category_id=<ori_category_id>, split, kind=None, is_rewrite)``: ``sent_id`` is the row's ``id`` (what Ref-L4's
    evaluator matches predictions by) and ``box_size`` is ``sqrt(w * h)`` of the row's ``[x, y, w, h]``, the size
    ``RefL4Metric`` buckets by (computed from the file's numbers, as Ref-L4's evaluator does). ``img_id`` is the
    ``image_id`` column (``'coco_128974'``), else the file name.

    Skipped, counted per reason with the row number (one warning): rows without a caption or with an empty or
    blank one, a ``bbox`` that is not ``[x, y, w, h]`` with a positive area, no ``file_name``, an ``id`` seen
    before. Image files: the policy of :class:`~mmrec.datasets.rec_base_dataset.RECBaseDataset` (refused, or
    skipped and counted with ``skip_missing_images=True``). A file without the required columns, or left with
    no row, stops with one line naming it.

    Args:
        ann_file: ``ref-l4-val.parquet`` or ``ref-l4-test.parquet`` (relative to ``data_root``).
        **kwargs: See :class:`~mmrec.datasets.expression_dataset.ExpressionListDataset`.
    """

    FIX = ('Use ref-l4-val.parquet / ref-l4-test.parquet from the Hugging Face dataset JierunChen/Ref-L4 and '
           'its images.tar.gz extracted into data_prefix (docs/datasets.md)')

    def __init__(self, data_root: str = 'data/ref-l4/', ann_file: str = 'ref-l4-val.parquet',
                 data_prefix: dict = dict(img_path='images/'), **kwargs) -> None:
        super().__init__(data_root=data_root, ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def read_expressions(self, skips: SkippedRecords) -> List[ExpressionRecord]:
        name = osp.basename(self.ann_file)
        records, seen = [], set()
        for index, row in enumerate(read_parquet_rows(self.ann_file, type(self).__name__)):
            place = f'{name} row {index} (id={row["id"]!r})'
            text = row['caption'].strip() if isinstance(row['caption'], str) else None
            box = parse_box(row['bbox'], 'xywh')
            if text is None:
                skips.add('rows without a caption', place)
            elif not text:
                skips.add(EMPTY_EXPRESSION, place)
            elif box is None:
                skips.add('rows whose bbox is not [x, y, w, h] with a positive area', place)
            elif not isinstance(row['file_name'], str) or not row['file_name']:
                skips.add('rows without a file_name', place)
            elif row['id'] in seen:
                skips.add('rows whose id repeats an earlier row', place)
            else:
                seen.add(row['id'])
                records.append((self._image(row), self._expression(row, text, box), place))
        return records

    @staticmethod
    def _image(row: Dict[str, Any]) -> Dict[str, Any]:
        image_id = row.get('image_id')
        return dict(file_name=row['file_name'], img_id=row['file_name'] if image_id is None else image_id,
                    height=row.get('height'), width=row.get('width'))

    @staticmethod
    def _expression(row: Dict[str, Any], text: str, box: List[float]) -> Dict[str, Any]:
        _, _, w, h = (float(v) for v in row['bbox'])
        return dict(text=text, bbox=box, box_size=math.sqrt(w * h), ref_id=None, sent_id=row['id'],
                    ann_id=row.get('bbox_id'), category_id=row.get('ori_category_id'), split=row.get('split'),
                    kind=None, is_rewrite=row.get('is_rewrite'))
