"""``RECJsonlDataset``: your own images and expressions, one JSON object per line.

The minimal line (docs/datasets.md has the whole format)::

    {"image": "street/0001.jpg", "expression": "the red car on the left", "box": [12, 40, 230, 190]}

``image`` is relative to ``data_prefix['img_path']``; ``box`` is ``[x1, y1, x2, y2]`` in pixels of the image file
(``box_format='xywh'`` reads ``[x, y, w, h]``). ``"boxes": [[...], ...]`` gives several referred objects and
``"boxes": []`` none (generalised REC, kept with ``generalized=True``). Optional keys: ``id`` (the expression's
id, else its line number), ``image_id`` (else the image path), ``split``, ``kind``, ``width``, ``height``.
"""
import json
import os.path as osp
from typing import Any, Dict, List, Optional

from mmdet.registry import DATASETS

from .expression_dataset import ExpressionListDataset, ExpressionRecord, parse_box
from .skipped_records import EMPTY_EXPRESSION, SkippedRecords

BOX_FORMATS = ('xyxy', 'xywh')


@DATASETS.register_module()
class RECJsonlDataset(ExpressionListDataset):
    """Expressions from a JSON-lines file (see the module docstring), image-major like ``REFERDataset``.

    Each ``data_info`` is ``dict(img_path, img_id, height, width, expressions=[...])`` with expressions
    ``dict(text, bboxes=[[x1, y1, x2, y2], ...], no_target, bbox (exactly one box), ref_id=None, sent_id,
    ann_id=None, category_id=None, split, kind)``; image sizes come from the line or the image header.

    Skipped, counted per reason with ``file:line`` (one warning): lines that are not JSON, not an object, without
    an ``image`` or an ``expression``, without ``box`` / ``boxes`` or with both, with a box that is not 4 numbers
    with a positive area, with no or several boxes when not ``generalized``, whose ``id`` repeats an earlier
    line's, with an ``id`` / ``image_id`` that is not a string or an integer; empty or blank expressions. Image
    files: the policy of :class:`~mmrec.datasets.rec_base_dataset.RECBaseDataset` (refused, or skipped and counted
    with ``skip_missing_images=True``). No line left stops with one line naming the file and the reasons.

    Args:
        ann_file: The ``.jsonl`` file (relative to ``data_root``).
        data_prefix: ``dict(img_path=...)``, the folder the lines' ``image`` paths are relative to.
        box_format: ``'xyxy'`` (default) or ``'xywh'``, for every box of the file.
        generalized: Keep expressions with several boxes or none (evaluate with ``GRECMetric``); by default
            every expression needs exactly one box (``RECMetric``).
        split: Keep only the lines whose ``split`` is this (or one of these); ``None`` keeps every line.
        **kwargs: See :class:`~mmrec.datasets.expression_dataset.ExpressionListDataset`.
    """

    FIX = ('Each line needs "image", "expression" and "box" (or "boxes"): see docs/datasets.md, '
           '"Your own data"')

    def __init__(self,
                 ann_file: str = 'expressions.jsonl',
                 box_format: str = 'xyxy',
                 generalized: bool = False,
                 split: Optional[Any] = None,
                 **kwargs) -> None:
        if box_format not in BOX_FORMATS:
            raise ValueError(f"RECJsonlDataset box_format must be 'xyxy' or 'xywh', got {box_format!r}")
        self.box_format = box_format
        self.generalized = generalized
        self.splits = None if split is None else ({split} if isinstance(split, str) else set(split))
        super().__init__(ann_file=ann_file, **kwargs)

    def read_expressions(self, skips: SkippedRecords) -> List[ExpressionRecord]:
        name = osp.basename(self.ann_file)
        records, seen = [], set()
        with open(self.ann_file, encoding='utf-8') as stream:
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                place = f'{name}:{number}'
                record = self._read_line(line, number, skips, place)
                if record is None:
                    continue
                image, expression = record
                if self.splits is not None and expression['split'] not in self.splits:
                    continue
                if expression['sent_id'] in seen:
                    skips.add('lines whose "id" repeats an earlier line', place)
                    continue
                seen.add(expression['sent_id'])
                records.append((image, expression, place))
        return records

    def _read_line(self, line: str, number: int, skips: SkippedRecords, place: str):
        """``(image, expression)`` of one line, or None (the reason counted in ``skips``)."""
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            return skips.add('lines that are not JSON', place)
        if not isinstance(item, dict):
            return skips.add('lines that are not a JSON object', place)
        image_path, text = item.get('image'), item.get('expression')
        if not isinstance(image_path, str) or not image_path.strip():
            return skips.add('lines without an "image" path', place)
        if not isinstance(text, str):
            return skips.add('lines without an "expression" text', place)
        if not text.strip():
            return skips.add(EMPTY_EXPRESSION, place)
        ids = [item[key] for key in ('id', 'image_id') if key in item]
        if not all(isinstance(value, (str, int)) and not isinstance(value, bool) for value in ids):
            return skips.add('lines whose "id" or "image_id" is not a string or an integer', place)
        boxes = self._boxes(item, skips, place)
        if boxes is None:
            return None
        image = dict(file_name=image_path.strip(), img_id=item.get('image_id', image_path.strip()),
                     height=item.get('height'), width=item.get('width'))
        expression = dict(text=text.strip(), bboxes=boxes, no_target=not boxes, ref_id=None,
                          sent_id=item.get('id', number), ann_id=None, category_id=None,
                          split=item.get('split'), kind=item.get('kind'))
        if len(boxes) == 1:
            expression['bbox'] = list(boxes[0])
        return image, expression

    def _boxes(self, item: Dict[str, Any], skips: SkippedRecords, place: str) -> Optional[List[List[float]]]:
        if ('box' in item) == ('boxes' in item):
            reason = 'lines with both "box" and "boxes"' if 'box' in item else 'lines without "box" or "boxes"'
            return skips.add(reason, place)
        raw = [item['box']] if 'box' in item else item['boxes']
        if not isinstance(raw, list):
            return skips.add('lines whose "boxes" is not a list of boxes', place)
        boxes = [parse_box(box, self.box_format) for box in raw]
        if any(box is None for box in boxes):
            return skips.add(f'lines with a box that is not 4 numbers ({self.box_format}) with a positive area',
                             place)
        if not self.generalized and len(boxes) != 1:
            return skips.add('lines with no or several boxes (REC needs exactly one; generalized=True keeps '
                             'them)', place)
        return boxes
