"""Method 2: any mmdet detector proposes candidates, :class:`CLIPProposalScorer` picks one per expression.

- :mod:`.rec_detector`: :class:`RECDetector` (a detector config + a scorer config, by composition);
  :mod:`.rec_two_stage_detector`: the former ``RECTwoStageDetector`` arguments, as a Faster R-CNN inside it;
- :mod:`.proposal_scorer`: :class:`CLIPProposalScorer`;
- :mod:`.candidate_sets`: candidates shared by an image's expressions or one set per expression;
- :mod:`.prompts`: what a grounding detector is asked (``prompt=``), :mod:`.subject_prompt`: the ``'subject'`` text;
- :mod:`.grounding`: GroundingDINO with its backbone and neck run once per image (:func:`predict_prompts`);
- :mod:`.bert_language_model`: :class:`RECBertModel`, mmdet's GroundingDINO / GLIP language model on transformers 5;
- :mod:`.detector_keys`: plain detector checkpoints loaded under ``detector.``.

The annotated objects as candidates (``candidate_source='ground_truth'``) are shared with method 1:
:mod:`mmrec.structures.gt_candidates`.
"""
from .bert_language_model import RECBertModel
from .candidate_sets import EXPRESSION_INDEX, CandidateSets
from .grounding import check_grounding_detector, predict_prompts, predict_with_features
from .prompts import COCO_PROMPT, PROMPT_MODES, check_prompt, class_names, detector_prompt, prompted_sample
from .proposal_scorer import CLIPProposalScorer
from .rec_detector import RECDetector
from .rec_two_stage_detector import RECTwoStageDetector
from .subject_prompt import subject_prompt

__all__ = [
    'CLIPProposalScorer', 'COCO_PROMPT', 'CandidateSets', 'EXPRESSION_INDEX', 'PROMPT_MODES',
    'RECBertModel', 'RECDetector', 'RECTwoStageDetector', 'check_grounding_detector', 'check_prompt', 'class_names',
    'detector_prompt', 'predict_prompts', 'predict_with_features', 'prompted_sample', 'subject_prompt'
]
