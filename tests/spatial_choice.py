"""The box the spatial reasoner chooses from geometry alone: the shared helper of the spatial rule tests."""
from typing import List, Optional, Sequence, Tuple

import torch

from mmrec.models.spatial_reasoning import SpatialReasoner

IMAGE_SIZE = (100, 200)  # height, width


def geometry_choice(text: str, boxes: Sequence[List[float]], image_size: Tuple[int, int] = IMAGE_SIZE) -> Optional[int]:
    """Index of the box (``boxes``: (N, 4) x1, y1, x2, y2 pixels) the reasoner picks for ``text`` when CLIP says
    nothing (every phrase scores 0 on every box), or ``None`` when the reasoner leaves the choice to CLIP."""
    probs = SpatialReasoner()(text, torch.tensor(boxes, dtype=torch.float32),
                              lambda phrases: torch.zeros(len(phrases), len(boxes)), image_size)
    return None if probs is None else int(probs.argmax())
