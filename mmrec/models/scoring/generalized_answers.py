"""Generalised REC answers: every candidate scored at or above a threshold, for each expression, or none.

The one-box rule answers expression n with the argmax of column n of the ``(K, N)`` scores; in generalised REC
(gRefCOCO) an expression may refer to several candidates or to none, so each (candidate, expression) pair whose
score reaches the threshold is an answer. The layout is the one ``GRECMetric`` reads (``docs/design.md``).
"""
import torch
from mmengine.structures import InstanceData
from torch import Tensor


def answers_above(scores: Tensor, boxes: Tensor, score_thr: float, reasoned: Tensor,
                  answerable: Tensor) -> InstanceData:
    """Every (candidate, expression) pair scored ``>= score_thr``.

    Args:
        scores: (K, N) score of candidate k for expression n (the scorer's final scores: similarities, or the
            spatial reasoner's probabilities in the columns it answered).
        boxes: (K, 4) the candidates' boxes.
        score_thr: the threshold.
        reasoned: (N,) bool, whether the reasoner scored expression n.
        answerable: (N,) bool; a False expression (no words) gets no answer.

    Returns:
        ``bboxes`` (M, 4), ``scores`` (M,), ``expression_index`` (M,) int64 and ``reasoned`` (M,) bool, ordered by
        expression, then by score (highest first; ties in candidate order).
    """
    keep = (scores >= score_thr) & answerable.to(scores.device)[None, :]
    box_index, expression_index = keep.nonzero(as_tuple=True)
    kept_scores = scores[box_index, expression_index]
    order = torch.argsort(-kept_scores, stable=True)  # by score first, then (stable) by expression
    order = order[torch.argsort(expression_index[order], stable=True)]
    box_index, expression_index = box_index[order], expression_index[order]
    return InstanceData(bboxes=boxes[box_index.to(boxes.device)], scores=kept_scores[order],
                        expression_index=expression_index, reasoned=reasoned.to(scores.device)[expression_index])
