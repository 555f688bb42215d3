"""ReCLIP's size prior: candidate boxes smaller than a share of the image cannot be the answer.

ReCLIP (``Environment.filter_area``, ``--box_area_threshold``) keeps the boxes whose area is more than the
threshold times the image's and falls back to all boxes when none is; here a box of exactly the threshold is
kept too.
"""
from typing import Sequence

from torch import Tensor


def check_min_box_fraction(min_box_fraction: float, owner: str) -> float:
    """``min_box_fraction`` as a float in ``[0, 1)``, else a ``ValueError`` naming ``owner``."""
    if not 0.0 <= float(min_box_fraction) < 1.0:
        raise ValueError(f'{owner}: min_box_fraction must be in [0, 1) (0 switches the size prior off), '
                         f'got {min_box_fraction!r}')
    return float(min_box_fraction)


def large_enough(boxes: Tensor, img_shape: Sequence[int], min_box_fraction: float) -> Tensor:
    """``(K,)`` bool: which of the ``(K, 4)`` xyxy boxes (pixels of an image of ``img_shape = (h, w)``) cover at
    least ``min_box_fraction`` of the image; all of them when none does (never every candidate dropped)."""
    areas = (boxes[:, 2] - boxes[:, 0]).clamp(min=0) * (boxes[:, 3] - boxes[:, 1]).clamp(min=0)
    keep = areas >= min_box_fraction * float(img_shape[0]) * float(img_shape[1])
    return keep if bool(keep.any()) else keep.new_ones(keep.shape)
