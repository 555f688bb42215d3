"""``ExpressionListDataset``: the shared part of the loaders that read one record per expression.

Ref-L4 (Parquet rows), gRefCOCO (refs with several sentences) and the JSON-lines format each turn their file into
``(image, expression, place)`` triples; this base groups them per image (image-major, as ``REFERDataset``: one
sample is one image with all its expressions, unless ``one_expression_per_sample``), applies the image-file
policy of :class:`~mmrec.datasets.rec_base_dataset.RECBaseDataset`, and stops with one line when nothing is left.
"""
import os.path as osp
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Tuple

from mmengine.logging import MMLogger

from .rec_base_dataset import RECBaseDataset
from .skipped_records import SkippedRecords

#: ``(image, expression, place)``: image = ``dict(file_name, img_id, height, width)`` (sizes may be None),
#: expression = the dict of ``REFERDataset``'s ``expressions`` list, place = where the record is (for messages).
ExpressionRecord = Tuple[Dict[str, Any], Dict[str, Any], str]


def image_size(path: str) -> Optional[Tuple[int, int]]:
    """``(width, height)`` read from the image header (PIL reads no pixels for this), None if unreadable."""
    from PIL import Image
    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, ValueError):
        return None


class ExpressionListDataset(RECBaseDataset):
    """Base of datasets whose annotation file has one record per expression (see the module docstring).

    Subclasses implement :meth:`read_expressions` and set ``FIX``, the hint of the error raised when no
    expression is left. Each ``data_info`` is ``dict(img_path, img_id, height, width, expressions=[...])``.

    Args:
        data_root: Root that relative paths are joined to.
        ann_file: The benchmark's annotation file.
        data_prefix: ``dict(img_path=...)``, the image folder.
        one_expression_per_sample: One sample per expression instead of one per image.
        **kwargs: ``check_images`` / ``skip_missing_images`` (the image-file policy of
            :class:`~mmrec.datasets.rec_base_dataset.RECBaseDataset`) and the rest of
            :class:`mmengine.dataset.BaseDataset` (``pipeline``, ``test_mode``, ...).
    """

    FIX = 'Check the file against docs/datasets.md.'

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = '',
                 data_prefix: dict = dict(img_path=''),
                 one_expression_per_sample: bool = False,
                 **kwargs) -> None:
        self.one_expression_per_sample = one_expression_per_sample
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix, **kwargs)

    def read_expressions(self, skips: SkippedRecords) -> List[ExpressionRecord]:
        """Read ``self.ann_file``; records that cannot be used go to ``skips`` with their reason and place."""
        raise NotImplementedError

    def load_data_list(self) -> List[dict]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'{type(self).__name__} annotation file not found: {self.ann_file}')
        self.skipped = SkippedRecords(type(self).__name__)
        images: Dict[Any, dict] = OrderedDict()
        expressions: Dict[Any, List[dict]] = OrderedDict()
        for image, expression, _ in self.read_expressions(self.skipped):
            key = image['img_id']
            if key not in images:
                path = osp.join(self.data_prefix.get('img_path', ''), image['file_name'])
                images[key] = dict(img_path=path, img_id=key, height=image.get('height'), width=image.get('width'))
            expressions.setdefault(key, []).append(expression)
        for key in self.unreadable_images({key: info['img_path'] for key, info in images.items()}, expressions):
            del images[key], expressions[key]
        self.report_skipped(self.ann_file)
        if not expressions:
            raise self.skipped.nothing_left(self.ann_file, self.FIX)

        data_list = []
        for key, info in images.items():
            self._fill_size(info)
            groups = [[e] for e in expressions[key]] if self.one_expression_per_sample else [expressions[key]]
            data_list.extend(dict(info, expressions=group) for group in groups)
        self.num_expressions = sum(len(group) for group in expressions.values())
        MMLogger.get_current_instance().info(
            f'{type(self).__name__} {self.ann_file}: {len(images)} images, {self.num_expressions} expressions, '
            f'{len(data_list)} samples, {self.skipped.total} records skipped')
        return data_list

    def _fill_size(self, info: dict) -> None:
        """Read an image's size from its header when the annotation file did not give it."""
        if info['height'] is None or info['width'] is None:
            size = image_size(info['img_path']) if self.check_images else None
            if size is not None:
                info['width'], info['height'] = size


def parse_box(value: Any, box_format: str = 'xyxy') -> Optional[List[float]]:
    """A box of 4 finite numbers as ``[x1, y1, x2, y2]`` floats, or None when it is not one or has no area.

    Args:
        value: ``[x1, y1, x2, y2]`` (``box_format='xyxy'``) or ``[x, y, w, h]`` (``'xywh'``), any sequence.
        box_format: ``'xyxy'`` or ``'xywh'``.
    """
    if isinstance(value, (str, bytes, dict)):
        return None
    try:
        x1, y1, a, b = (float(v) for v in value)
    except (TypeError, ValueError):  # not a sequence, not 4 items, not numbers
        return None
    x2, y2 = (x1 + a, y1 + b) if box_format == 'xywh' else (a, b)
    box = [x1, y1, x2, y2]
    if not all(v == v and abs(v) != float('inf') for v in box) or x2 <= x1 or y2 <= y1:
        return None
    return box
