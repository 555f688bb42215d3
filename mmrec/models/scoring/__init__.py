"""Scoring shared by both methods: score subtraction (:mod:`.score_subtraction`), the box-size prior
(:mod:`.size_prior`) and the cached image work of the REC detectors (:mod:`.cached_work`)."""
from .cached_work import CachedWorkMixin
from .score_subtraction import build_score_subtraction
from .size_prior import check_min_box_fraction, large_enough

__all__ = ['CachedWorkMixin', 'build_score_subtraction', 'check_min_box_fraction', 'large_enough']
