"""Building the scoring parts both methods share from their config dicts, the same way in both.

A part config is a dict of the part's arguments, with ``type`` (its registered name in ``TASK_UTILS``)
defaulting to the part's own, or ``None`` (the part is off):

- ``reasoner``: :class:`~mmrec.models.scoring.reasoning.SpatialReasoningRescorer` (method 1:
  ``model.roi_head.bbox_head.reasoner``; method 2: ``model.scorer.reasoner``);
- ``score_subtraction``: :class:`~mmrec.models.scoring.score_subtraction.ScoreSubtraction` (method 2:
  ``model.scorer.score_subtraction``).
"""
from typing import Optional

import torch
from mmdet.registry import TASK_UTILS

from .reasoning import REASONER_TYPE, SpatialReasoningRescorer
from .score_subtraction import ScoreSubtraction

#: the registered type of the score subtraction part, the default of a config without ``type``.
SCORE_SUBTRACTION_TYPE = 'ScoreSubtraction'


def with_type(cfg: Optional[dict], default_type: str) -> Optional[dict]:
    """``cfg`` with ``type`` defaulting to ``default_type`` (a part config may leave it out); ``None`` stays."""
    return None if cfg is None else dict(dict(type=default_type), **cfg)


def build_reasoner(cfg: Optional[dict], encoder: torch.nn.Module) -> Optional[SpatialReasoningRescorer]:
    """The ``reasoner`` part (the encoder handed to it), or ``None`` for ``None``."""
    if cfg is None:
        return None
    return TASK_UTILS.build(with_type(cfg, REASONER_TYPE), default_args=dict(encoder=encoder))


def build_score_subtraction(cfg: Optional[dict]) -> Optional[ScoreSubtraction]:
    """The ``score_subtraction`` part, or ``None`` for ``None`` (off)."""
    return None if cfg is None else TASK_UTILS.build(with_type(cfg, SCORE_SUBTRACTION_TYPE))
