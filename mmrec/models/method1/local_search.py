"""Discrete local search that refines boxes around their start by translations and scales.

Method 1 refines its best box in a few rounds: every round builds the variants of the current box (shifted
by fractions of its width/height, rescaled about its centre), clips them to the image, scores all variants
of all boxes with one call of ``score_fn`` (one batched CLIP forward) and keeps the best; the next round
searches a finer neighbourhood (steps multiplied by ``shrink``). The current box is always a candidate, so a
round never lowers the score.
"""
from dataclasses import dataclass
from itertools import product
from typing import Callable, Sequence, Tuple

import torch
from torch import Tensor

from ..crops import clip_boxes

ScoreFn = Callable[[Tensor], Tensor]


@dataclass(frozen=True)
class LocalSearchConfig:
    """Settings of :func:`local_search`.

    Attributes:
        enable: switch the search off to keep boxes as they are.
        rounds: number of rounds.
        translations: shifts of the first round, as fractions of the box width (x) and height (y); every
            (dx, dy) pair is tried.
        scales: size factors of the first round, applied about the box centre.
        shrink: factor applied to shifts and to ``scale - 1`` after every round.
        min_size: smallest side, in pixels, that a variant keeps after clipping
            (:func:`~mmrec.models.crops.clip_boxes`).
    """
    enable: bool = True
    rounds: int = 2
    translations: Tuple[float, ...] = (-0.1, 0.0, 0.1)
    scales: Tuple[float, ...] = (0.9, 1.0, 1.1)
    shrink: float = 0.5
    min_size: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, 'translations', tuple(float(t) for t in self.translations))
        object.__setattr__(self, 'scales', tuple(float(s) for s in self.scales))
        if self.rounds < 0:
            raise ValueError(f'local search: rounds must be >= 0, got {self.rounds}')
        if not self.translations or not self.scales:
            raise ValueError('local search: translations and scales must not be empty')
        if any(s <= 0 for s in self.scales):
            raise ValueError(f'local search: scales must be positive, got {self.scales}')
        if not 0 < self.shrink <= 1:
            raise ValueError(f'local search: shrink must be in (0, 1], got {self.shrink}')
        if self.min_size <= 0:
            raise ValueError(f'local search: min_size must be positive, got {self.min_size}')

    def round_steps(self, round_index: int) -> Tuple[Tuple[float, ...], Tuple[float, ...]]:
        """Translations and scales of round ``round_index`` (0-based)."""
        factor = self.shrink**round_index
        return (tuple(t * factor for t in self.translations),
                tuple(1.0 + (s - 1.0) * factor for s in self.scales))


def box_variants(boxes: Tensor, translations: Sequence[float], scales: Sequence[float],
                 image_size: Tuple[int, int], min_size: float = 1.0) -> Tensor:
    """All shifted and rescaled variants of each box, clipped to the image.

    Args:
        boxes: ``(N, 4)`` xyxy boxes.
        translations: shifts as fractions of the box size; each (dx, dy) pair is used.
        scales: size factors about the centre.
        image_size: ``(height, width)``.

    Returns:
        ``(N, 1 + V, 4)``: variant 0 is the (clipped) box itself, then ``V = len(translations)**2 *
        len(scales)`` variants (the identity may appear again; ties go to the earlier variant).
    """
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    size = boxes[:, 2:] - boxes[:, :2]
    steps = torch.tensor([(dx, dy, s) for dx, dy, s in product(translations, translations, scales)],
                         dtype=boxes.dtype, device=boxes.device)
    new_centre = centre[:, None, :] + steps[None, :, :2] * size[:, None, :]
    half = size[:, None, :] * steps[None, :, 2:] / 2
    variants = torch.cat([new_centre - half, new_centre + half], dim=-1)
    variants = torch.cat([boxes[:, None, :], variants], dim=1)
    return clip_boxes(variants, image_size, min_size)


def local_search(boxes: Tensor, score_fn: ScoreFn, image_size: Tuple[int, int],
                 config: LocalSearchConfig = LocalSearchConfig()) -> Tensor:
    """Refine ``boxes`` by a discrete search over translations and scales.

    Args:
        boxes: ``(N, 4)`` xyxy start boxes, in the pixels of an image of ``image_size``.
        score_fn: maps ``(N, V, 4)`` candidate boxes to ``(N, V)`` scores (higher is better); called once per
            round with all variants of all boxes, so it can batch them in one forward.
        image_size: ``(height, width)``; variants are clipped to it.
        config: the search settings.

    Returns:
        The refined ``(N, 4)`` boxes (the best-scoring variant of the last round); with the search disabled
        (or ``rounds=0``, or no boxes) the boxes are returned unchanged.
    """
    if not config.enable or config.rounds == 0 or boxes.numel() == 0:
        return boxes
    current = clip_boxes(boxes, image_size, config.min_size)
    for round_index in range(config.rounds):
        translations, scales = config.round_steps(round_index)
        variants = box_variants(current, translations, scales, image_size, config.min_size)
        scores = score_fn(variants)
        if scores.shape != variants.shape[:2]:
            raise ValueError(f'local search: score_fn returned shape {tuple(scores.shape)} for '
                             f'{tuple(variants.shape[:2])} variants')
        best = scores.argmax(dim=1)  # first maximum: the current box wins ties
        current = variants[torch.arange(len(variants), device=variants.device), best.to(variants.device)]
    return current
