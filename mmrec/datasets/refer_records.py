"""Checks of single REFER / COCO records, each answering with the reason a record cannot be used, or ``None``.

``REFERDataset`` skips a record that fails a check and counts it under the reason in its
:class:`~mmrec.datasets.skipped_records.SkippedRecords` (the reasons below are the words of its warning), so one
bad record among thousands costs that record, not the evaluation, and is never counted as a wrong answer.
"""
import math
from typing import Any, List, Optional, Tuple

from .refer_io import REQUIRED_REF_KEYS

#: How far (pixels) a box may pass the image's right or bottom border: COCO's own boxes pass it by up to a
#: fraction of a pixel (polygon points on the edge, e.g. a box ending at y = 427.07 in a 427-pixel-high image;
#: the converted RefCOCO val annotations have 42 such boxes, all within 0.5 pixel).
BORDER_TOLERANCE = 1.0

MISSING_REF_FIELDS = 'refs missing fields'
BAD_ID = 'refs whose ref_id, ann_id or image_id is not an integer or string'
BAD_SPLIT = 'refs whose split is not a string'
BAD_SENTENCES = 'refs whose sentences are not a list'
DUPLICATE = 'duplicated refs (a ref_id seen before)'
NO_BBOX = 'refs whose annotation has no bbox'
NULL_BOX = 'refs with a null box'
MALFORMED_BOX = 'refs whose box is not 4 numbers'
NON_FINITE_BOX = 'refs with a NaN or infinite box'
NEGATIVE_BOX = 'refs with negative box coordinates or size'
ZERO_AREA = 'refs with a zero-area box'
OUTSIDE = 'refs with a box outside the image'
IMAGE_FIELDS = 'refs whose image lacks file_name, height or width'
IMAGE_SIZE = 'refs whose image height or width is not a positive number'


def _is_id(value: Any) -> bool:
    return isinstance(value, (int, str)) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def ref_problem(ref: dict) -> Optional[str]:
    """The reason the ref dict itself is unusable (missing fields, ids, split, sentences), or ``None``."""
    if any(key not in ref for key in REQUIRED_REF_KEYS):
        return MISSING_REF_FIELDS
    if not all(_is_id(ref[key]) for key in ('ref_id', 'ann_id', 'image_id')):
        return BAD_ID
    if not isinstance(ref['split'], str):
        return BAD_SPLIT
    if not isinstance(ref['sentences'], list):
        return BAD_SENTENCES
    return None


def image_problem(img: dict) -> Optional[str]:
    """The reason a COCO image record cannot be used (its file name or size), or ``None``."""
    if not isinstance(img.get('file_name'), str) or not img['file_name'] or 'height' not in img \
            or 'width' not in img:
        return IMAGE_FIELDS
    for key in ('height', 'width'):
        if not _is_number(img[key]) or not math.isfinite(img[key]) or img[key] <= 0:
            return IMAGE_SIZE
    return None


def box_problem(ann: dict, img: dict) -> Tuple[Optional[str], Optional[List[float]]]:
    """``(reason, None)`` when the annotation's COCO ``[x, y, w, h]`` box cannot be used in the image
    ``img`` (missing, null, not 4 numbers, not finite, negative, zero area, past the image's border by more
    than :data:`BORDER_TOLERANCE`), else ``(None, [x1, y1, x2, y2])``. A box exactly on the border is valid."""
    if 'bbox' not in ann:
        return NO_BBOX, None
    bbox = ann['bbox']
    if bbox is None:
        return NULL_BOX, None
    if not isinstance(bbox, (list, tuple)) or len(bbox) != 4 or not all(_is_number(v) for v in bbox):
        return MALFORMED_BOX, None
    x, y, w, h = (float(v) for v in bbox)
    if not all(math.isfinite(v) for v in (x, y, w, h)):
        return NON_FINITE_BOX, None
    if min(x, y, w, h) < 0:
        return NEGATIVE_BOX, None
    if w == 0 or h == 0:
        return ZERO_AREA, None
    if x + w > img['width'] + BORDER_TOLERANCE or y + h > img['height'] + BORDER_TOLERANCE:
        return OUTSIDE, None
    return None, [x, y, x + w, y + h]
