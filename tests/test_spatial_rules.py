"""Rules of the spatial reasoner added for real RefCOCO language (issue 21): each with a case where the rule
decides, and one where it must not apply."""
import torch

from mmrec.models.spatial_reasoning import SpatialReasoner, parse_expression

IMAGE_SIZE = (100, 200)  # height, width


def _uniform(phrases):
    return torch.zeros(len(phrases), 3)


def _choice(text, boxes, image_size=IMAGE_SIZE):
    probs = SpatialReasoner()(text, torch.tensor(boxes, dtype=torch.float32),
                              lambda phrases: torch.zeros(len(phrases), len(boxes)), image_size)
    return None if probs is None else int(probs.argmax())


# A: furthest left, half-way down; B: a little right of A, at the very top; C: right, bottom
CORNER_BOXES = [[0., 40., 40., 80.], [30., 0., 70., 20.], [150., 70., 190., 100.]]


def test_two_sides_name_one_corner():
    # sequentially, "left" would decide (A is furthest left); B is nearer the top-left corner
    assert _choice('top left one', CORNER_BOXES) == 1
    assert _choice('thing in the upper left corner', CORNER_BOXES) == 1
    assert _choice('bottom right', CORNER_BOXES) == 2
    # one side alone is still that side's extreme
    assert _choice('left one', CORNER_BOXES) == 0
    assert _choice('top one', CORNER_BOXES) == 1
