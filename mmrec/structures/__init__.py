"""Data structures shared by :mod:`mmrec.datasets` and :mod:`mmrec.models` (imports neither)."""
from .candidates import GT_CANDIDATES_FIELD, pack_candidates

__all__ = ['GT_CANDIDATES_FIELD', 'pack_candidates']
