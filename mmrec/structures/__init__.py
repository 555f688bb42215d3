"""Data structures shared by :mod:`mmrec.datasets` and :mod:`mmrec.models` (imports neither)."""
from .candidates import GT_CANDIDATES_FIELD, pack_candidates
from .gt_candidates import CANDIDATE_SOURCES, check_candidate_source, ground_truth_candidates

__all__ = ['CANDIDATE_SOURCES', 'GT_CANDIDATES_FIELD', 'check_candidate_source', 'ground_truth_candidates',
           'pack_candidates']
