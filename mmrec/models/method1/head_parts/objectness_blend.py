"""The blend of method 1's three scores, all distributions over an image's K proposals::

    score = clip_weight * clip + (1 - clip_weight) * ((1 - branch_weight) * objectness + branch_weight * branch)
"""
from typing import Optional

from mmdet.registry import TASK_UTILS
from torch import Tensor


def objectness_distribution(objectness: Tensor, normalize: bool = True) -> Tensor:
    """``(K,)`` objectness as weights over the proposals: divided by its sum (``normalize``) or as is."""
    objectness = objectness.float()
    return objectness / objectness.sum().clamp(min=1e-12) if normalize else objectness


def blend_scores(clip_scores: Tensor, detector_scores: Tensor, clip_weight: float,
                 branch_scores: Optional[Tensor] = None, branch_weight: float = 0.0) -> Tensor:
    """``clip_weight * clip + (1 - clip_weight) * ((1 - branch_weight) * detector + branch_weight * branch)``.

    Args:
        clip_scores: ``(E, K)`` CLIP scores of K proposals for E expressions.
        detector_scores: ``(K,)`` (shared by all expressions) or ``(E, K)`` detector scores.
        clip_weight: lambda in [0, 1].
        branch_scores: ``(E, K)`` scores of the trained branch, or ``None``.
        branch_weight: share of the detector side given to the branch (ignored without branch scores).

    Returns:
        ``(E, K)`` blended scores.
    """
    detector_side = detector_scores.to(clip_scores).expand_as(clip_scores)
    if branch_scores is not None and branch_weight > 0:
        detector_side = (1 - branch_weight) * detector_side + branch_weight * branch_scores.to(clip_scores)
    return clip_weight * clip_scores + (1 - clip_weight) * detector_side


@TASK_UTILS.register_module()
class ObjectnessBlend:
    """Blends the CLIP, objectness and branch distributions of the proposals (see the module docstring).

    Args:
        clip_weight: lambda in [0, 1]: 1 is CLIP alone, 0 the detector alone (CLIP is then not run).
        branch_weight: ``w`` in [0, 1]: share of the detector side given to the trained branch (if any).
        normalize_objectness: turn objectness into a distribution over the proposals before blending;
            ``False`` blends the raw sigmoid objectness.
    """

    def __init__(self, clip_weight: float = 0.5, branch_weight: float = 0.5,
                 normalize_objectness: bool = True) -> None:
        for name, value in (('clip_weight', clip_weight), ('branch_weight', branch_weight)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f'ObjectnessBlend: {name} must be in [0, 1], got {value}')
        self.clip_weight = float(clip_weight)
        self.branch_weight = float(branch_weight)
        self.normalize_objectness = bool(normalize_objectness)

    @property
    def uses_clip(self) -> bool:
        """Whether CLIP has a say (``clip_weight > 0``); without it no crop or prompt is encoded."""
        return self.clip_weight > 0

    @property
    def uses_branch(self) -> bool:
        """Whether the branch's scores enter the blend (``branch_weight > 0``)."""
        return self.branch_weight > 0

    def detector_scores(self, objectness: Tensor) -> Tensor:
        """``(K,)`` objectness -> the ``(K,)`` detector side's weights (see ``normalize_objectness``)."""
        return objectness_distribution(objectness, self.normalize_objectness)

    def __call__(self, clip_scores: Tensor, detector_scores: Tensor,
                 branch_scores: Optional[Tensor] = None) -> Tensor:
        """``(E, K)`` blend of ``(E, K)`` CLIP scores, ``(K,)`` detector scores and ``(E, K)`` branch scores."""
        return blend_scores(clip_scores, detector_scores, self.clip_weight, branch_scores, self.branch_weight)
