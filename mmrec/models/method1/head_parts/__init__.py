"""The parts that :class:`~mmrec.models.method1.text_conditioned_bbox_head.CLIPTextConditionedHead` is composed
of, each registered in mmdet's ``TASK_UTILS`` and built from a config dict (importing registers them):

- ``SpatialPromptScorer`` (:mod:`.prompt_scorer`): CLIP similarity of crops to an expression's spatial prompts;
- ``ObjectnessBlend`` (:mod:`.objectness_blend`): the CLIP / objectness / branch blend;
- ``PromptLocalSearch`` (:mod:`.prompt_local_search`): refines the chosen boxes by local search.

Its ``reasoner`` is the part both methods share, ``SpatialReasoningRescorer``
(:mod:`mmrec.models.scoring.reasoning`).
"""
from .objectness_blend import ObjectnessBlend, blend_scores, objectness_distribution
from .prompt_local_search import BoxEmbeddingMemo, PromptLocalSearch
from .prompt_scorer import SpatialPromptScorer

__all__ = ['ObjectnessBlend', 'blend_scores', 'objectness_distribution', 'BoxEmbeddingMemo', 'PromptLocalSearch',
           'SpatialPromptScorer']
