"""The discrete local search of method 1 as a pure function over a batched score callback."""
import pytest
import torch

from mmrec.models.crops import clip_boxes
from mmrec.models.method1.local_search import LocalSearchConfig, box_variants, local_search


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of matching rows of xyxy boxes (broadcasting)."""
    lt = torch.maximum(a[..., :2], b[..., :2])
    rb = torch.minimum(a[..., 2:], b[..., 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    area = lambda x: (x[..., 2:] - x[..., :2]).prod(-1)  # noqa: E731
    return inter / (area(a) + area(b) - inter)


class IoUScore:
    """Scores candidates by their IoU with a hidden target box; records every call."""

    def __init__(self, targets: torch.Tensor) -> None:
        self.targets = targets
        self.calls = []

    def __call__(self, variants: torch.Tensor) -> torch.Tensor:
        self.calls.append(variants.clone())
        return box_iou(variants, self.targets[:, None, :])


def test_refined_box_moves_towards_the_score_peak():
    targets = torch.tensor([[40.0, 30.0, 80.0, 70.0], [10.0, 10.0, 30.0, 50.0]])
    starts = torch.tensor([[35.0, 34.0, 71.0, 70.0], [12.0, 6.0, 34.0, 46.0]])  # slightly off
    score = IoUScore(targets)
    refined = local_search(starts, score, image_size=(100, 120))
    before, after = box_iou(starts, targets), box_iou(refined, targets)
    assert (after > before + 0.05).all(), (before, after)
    # the returned box is the best of the last round's variants
    torch.testing.assert_close(after, box_iou(score.calls[-1], targets[:, None, :]).max(dim=1).values)
    # two rounds, each one batched call with all variants of both boxes: 1 + 3 * 3 * 3 per box
    assert len(score.calls) == 2 and score.calls[0].shape == (2, 28, 4)


def test_second_round_searches_a_finer_neighbourhood():
    config = LocalSearchConfig(translations=(-0.2, 0.0, 0.2), scales=(0.8, 1.0, 1.25), shrink=0.5)
    assert config.round_steps(0) == ((-0.2, 0.0, 0.2), (0.8, 1.0, 1.25))
    translations, scales = config.round_steps(1)
    assert translations == pytest.approx((-0.1, 0.0, 0.1))
    assert scales == pytest.approx((0.9, 1.0, 1.125))
    score = IoUScore(torch.tensor([[50.0, 50.0, 90.0, 90.0]]))
    local_search(torch.tensor([[40.0, 40.0, 80.0, 80.0]]), score, (200, 200), config)
    first, second = score.calls
    largest_shift = lambda calls: (calls[0, 1:, :2] - calls[0, :1, :2]).abs().max()  # noqa: E731
    assert largest_shift(second) < largest_shift(first)


def test_switched_off_or_zero_rounds_leaves_boxes_unchanged():
    starts = torch.tensor([[35.0, 34.0, 71.0, 70.0]])
    score = IoUScore(torch.tensor([[40.0, 30.0, 80.0, 70.0]]))
    for config in (LocalSearchConfig(enable=False), LocalSearchConfig(rounds=0)):
        refined = local_search(starts, score, (100, 120), config)
        assert torch.equal(refined, starts)
    assert score.calls == []


def test_current_box_wins_ties_and_a_round_never_lowers_the_score():
    starts = torch.tensor([[20.0, 20.0, 40.0, 40.0]])
    refined = local_search(starts, lambda v: torch.zeros(v.shape[:2]), (100, 100))
    assert torch.equal(refined, starts)
    score = IoUScore(torch.tensor([[20.0, 20.0, 40.0, 40.0]]))
    refined = local_search(starts, score, (100, 100))
    assert torch.equal(refined, starts) and box_iou(refined, score.targets).item() == pytest.approx(1.0)


def test_variants_pushed_outside_the_image_are_clipped():
    # a box on the image's corner: shifts and growth push variants past the border
    starts = torch.tensor([[0.0, 0.0, 30.0, 20.0], [70.0, 40.0, 100.0, 60.0]])
    variants = box_variants(starts, (-0.5, 0.0, 0.5), (0.5, 1.0, 2.0), image_size=(60, 100))
    assert variants.shape == (2, 28, 4)
    assert (variants[..., 0::2] >= 0).all() and (variants[..., 0::2] <= 100).all()
    assert (variants[..., 1::2] >= 0).all() and (variants[..., 1::2] <= 60).all()
    assert ((variants[..., 2:] - variants[..., :2]) >= 1.0).all()
    # the search towards a target outside the image ends at a box inside the image
    score = IoUScore(torch.tensor([[-40.0, -40.0, 10.0, 10.0]]))
    refined = local_search(starts[:1], score, (60, 100))
    assert (refined[:, :2] >= 0).all() and refined[0, 2] <= 100 and refined[0, 3] <= 60


def test_clip_keeps_a_minimum_size_even_for_boxes_entirely_outside():
    boxes = torch.tensor([[120.0, 70.0, 150.0, 90.0], [-30.0, 10.0, -5.0, 20.0], [5.0, 5.0, 5.0, 5.0]])
    clipped = clip_boxes(boxes, (60, 100), min_size=2.0)
    # a zero-size box grows around its centre (the one clipper: mmrec.models.crops.clip_boxes)
    torch.testing.assert_close(clipped, torch.tensor([[98.0, 58.0, 100.0, 60.0], [0.0, 10.0, 2.0, 20.0],
                                                      [4.0, 4.0, 6.0, 6.0]]))
    # an image smaller than min_size: the box is the whole image
    torch.testing.assert_close(clip_boxes(torch.tensor([[0.0, 0.0, 3.0, 3.0]]), (1, 1), 2.0),
                               torch.tensor([[0.0, 0.0, 1.0, 1.0]]))


def test_empty_input_and_bad_settings():
    refined = local_search(torch.zeros(0, 4), lambda v: torch.zeros(v.shape[:2]), (10, 10))
    assert refined.shape == (0, 4)
    with pytest.raises(ValueError, match='score_fn returned shape'):
        local_search(torch.tensor([[1.0, 1.0, 5.0, 5.0]]), lambda v: torch.zeros(3), (10, 10))
    for bad in (dict(shrink=0.0), dict(scales=(0.0, 1.0)), dict(rounds=-1), dict(translations=())):
        with pytest.raises(ValueError, match='local search'):
            LocalSearchConfig(**bad)
