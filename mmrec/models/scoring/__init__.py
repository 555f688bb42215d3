"""Scoring shared by both methods: the spatial reasoner part (:mod:`.reasoning`), score subtraction
(:mod:`.score_subtraction`), how both are built from configs (:mod:`.parts`), the box-size prior
(:mod:`.size_prior`) and the cached image work of the REC detectors (:mod:`.cached_work`)."""
from .cached_work import CachedWorkMixin
from .parts import build_reasoner, build_score_subtraction, with_type
from .reasoning import SpatialReasoningRescorer
from .score_subtraction import ScoreSubtraction
from .size_prior import check_min_box_fraction, large_enough

__all__ = ['CachedWorkMixin', 'ScoreSubtraction', 'SpatialReasoningRescorer', 'build_reasoner',
           'build_score_subtraction', 'check_min_box_fraction', 'large_enough', 'with_type']
