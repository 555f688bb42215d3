"""Method 1's generalised-REC answer: every proposal scored at or above a threshold answers an expression, or
none does (:func:`~mmrec.models.scoring.generalized_answers.answers_above`, shared with method 2's scorer), each
kept box then refined against its own expression."""
from typing import Callable, Optional, Sequence

import torch
from mmengine.structures import InstanceData
from torch import Tensor

from ...scoring.generalized_answers import answers_above
from ...scoring.policy import has_words

#: ``refine(boxes, rows)``: ``(M, 4)`` kept boxes and ``(M,)`` rows of their expressions among those with words
#: -> ``(M, 4)`` refined boxes (the head's local search).
Refine = Callable[[Tensor, Tensor], Tensor]


def generalized_head_answers(scores: Tensor, boxes: Tensor, texts: Sequence[str], reasoned: Tensor,
                             score_thr: float, refine: Optional[Refine] = None) -> InstanceData:
    """Every (box, expression) pair whose score is ``>= score_thr``; none for an expression without words.

    Args:
        scores: ``(E, K)`` scores of the ``(K, 4)`` ``boxes`` for the E ``texts`` (the head's blend).
        reasoned: ``(E,)`` bool, whether the spatial reasoner scored each expression.
        score_thr: the threshold (kept when equal).
        refine: refines the kept boxes (see :data:`Refine`), or ``None``.

    Returns:
        ``bboxes`` (M, 4), ``scores`` (M,), ``expression_index`` (M,) and ``reasoned`` (M,), ordered by
        expression, then by score (highest first).
    """
    answerable = torch.tensor([has_words(text) for text in texts], dtype=torch.bool)
    answers = answers_above(scores.T, boxes, score_thr, reasoned, answerable)
    if refine is not None and len(answers):
        rows = (torch.cumsum(answerable.long(), dim=0) - 1).to(answers.expression_index.device)
        answers.bboxes = refine(answers.bboxes, rows[answers.expression_index])
    return answers
