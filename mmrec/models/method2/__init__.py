"""Method 2: any mmdet detector proposes candidates, :class:`CLIPProposalScorer` picks one per expression.

- :mod:`.rec_detector`: :class:`RECDetector` (a detector config + a scorer config, by composition);
  :mod:`.rec_two_stage_detector`: the former ``RECTwoStageDetector`` arguments, as a Faster R-CNN inside it;
- :mod:`.proposal_scorer`: :class:`CLIPProposalScorer`;
- :mod:`.candidate_sets`: candidates shared by an image's expressions or one set per expression;
- :mod:`.prompts`: what a grounding detector is asked (``prompt=``);
- :mod:`.detector_keys`: plain detector checkpoints loaded under ``detector.``;
- :mod:`.gt_candidates`: the annotated objects as candidates (``candidate_source='ground_truth'``).
"""
from .candidate_sets import EXPRESSION_INDEX, CandidateSets
from .gt_candidates import CANDIDATE_SOURCES
from .prompts import PROMPT_MODES
from .proposal_scorer import CLIPProposalScorer
from .rec_detector import RECDetector
from .rec_two_stage_detector import RECTwoStageDetector

__all__ = ['CANDIDATE_SOURCES', 'CLIPProposalScorer', 'CandidateSets', 'EXPRESSION_INDEX', 'PROMPT_MODES',
           'RECDetector', 'RECTwoStageDetector']
