"""One image's candidate boxes when they may differ per expression, and how the scorer answers over them.

A closed-set detector (or a grounding detector given one class list) proposes one set of boxes per image,
shared by all the image's expressions; a grounding detector prompted per expression (``prompt='expression'``
or ``'subject'``) proposes a set per distinct prompt. :class:`CandidateSets` holds either.

The output layout (``docs/design.md``): ``pred_instances`` has one row per expression, as always; a shared set
is returned as ``candidates`` (``bboxes`` (K, 4), ``scores`` (K,)) exactly as before, and per-expression sets
as ``candidates`` whose rows are every expression's candidates in expression order, with ``expression_index``
(K_total,) naming the expression each row belongs to.
"""
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

import torch
from mmengine.structures import InstanceData

#: The field of ``candidates`` naming each row's expression when the sets differ per expression.
EXPRESSION_INDEX = 'expression_index'

Scorer = Callable[[InstanceData, Sequence[str]], Tuple[InstanceData, InstanceData]]


@dataclass
class CandidateSets:
    """The candidates of one image.

    Attributes:
        sets: each ``InstanceData`` with ``bboxes`` (M_j, 4) in original image pixels and ``scores`` (M_j,).
        owner: per expression, the index of its set in ``sets``; ``None``: ``sets`` holds one set shared by
            every expression of the image (a closed-set detector, a class list, the annotated objects).
    """

    sets: List[InstanceData]
    owner: Optional[List[int]] = None

    @classmethod
    def shared(cls, candidates: InstanceData) -> 'CandidateSets':
        """One set for all the image's expressions."""
        return cls([candidates])

    @property
    def is_shared(self) -> bool:
        return self.owner is None


def answer_sets(score: Scorer, found: CandidateSets, texts: Sequence[str]) -> Tuple[InstanceData, InstanceData]:
    """Answer every expression of one image among its own candidates.

    Args:
        score: ``score(candidates, texts) -> (predictions, chosen_from)`` for a group of expressions sharing
            ``candidates`` (the scorer on the image's crop view).
        found: the image's candidate sets.
        texts: the image's N expressions.

    Returns:
        ``(predictions, candidates)`` in the layout of the module docstring: ``predictions`` ``bboxes`` (N, 4),
        ``scores`` (N,), ``reasoned`` (N,) in expression order; with a scorer's generalised answers (rows
        carrying ``expression_index``), every expression's rows, ordered by expression.
    """
    texts = list(texts)
    if found.is_shared:
        return score(found.sets[0], texts)
    if len(found.owner) != len(texts):
        raise ValueError(f'{len(found.owner)} candidate owners for {len(texts)} expressions')
    answers: List[Optional[InstanceData]] = [None] * len(texts)
    chosen: List[Optional[InstanceData]] = [None] * len(texts)
    generalized: List[InstanceData] = []  # a scorer answering with every candidate above a threshold
    for index, candidates in enumerate(found.sets):
        members = [i for i, owner in enumerate(found.owner) if owner == index]
        if not members:
            continue
        predictions, chosen_from = score(candidates, [texts[i] for i in members])
        for row, member in enumerate(members):
            answers[member] = predictions[row:row + 1]
            chosen[member] = chosen_from
        if EXPRESSION_INDEX in predictions:  # rows name their expression within the group: renumber them
            rows = torch.tensor(members, dtype=torch.long, device=predictions.expression_index.device)
            predictions.expression_index = rows[predictions.expression_index]
            generalized.append(predictions)
    if not texts:
        empty = InstanceData(bboxes=torch.zeros(0, 4), scores=torch.zeros(0), reasoned=torch.zeros(0, dtype=torch.bool))
        return empty, InstanceData(bboxes=torch.zeros(0, 4), scores=torch.zeros(0),
                                   **{EXPRESSION_INDEX: torch.zeros(0, dtype=torch.long)})
    tagged = [InstanceData(bboxes=c.bboxes, scores=c.scores,
                           **{EXPRESSION_INDEX: torch.full((len(c), ), i, dtype=torch.long, device=c.bboxes.device)})
              for i, c in enumerate(chosen)]
    if generalized:  # ordered by expression, each expression's rows kept in the scorer's order
        answered = InstanceData.cat(generalized)
        return answered[torch.argsort(answered.expression_index, stable=True)], InstanceData.cat(tagged)
    return InstanceData.cat(answers), InstanceData.cat(tagged)
