"""Depth rules of the spatial reasoner added in round five of real RefCOCO language (issue 21): each with small
hand-made boxes (or parses) where the rule decides, and a case where it must not apply."""
import torch

from mmrec.models.spatial_reasoning import SpatialReasoner, parse_expression

IMAGE_SIZE = (100, 200)  # height, width


def _choice(text, boxes, image_size=IMAGE_SIZE):
    probs = SpatialReasoner()(text, torch.tensor(boxes, dtype=torch.float32),
                              lambda phrases: torch.zeros(len(phrases), len(boxes)), image_size)
    return None if probs is None else int(probs.argmax())


def _directions(text):
    parsed = parse_expression(text)
    return sorted(e.direction for phrase in parsed.phrases for e in phrase.extremes)


def test_far_before_a_side_intensifies_the_side():
    # "far bottom right" is the very corner, "far right side" the very right: no depth word
    assert _directions('far bottom right donut') == ['bottom', 'right']
    assert _directions('far right side orange') == ['right']
    assert _directions('the cow on the far right of the herd') == []  # a relation "right of" the herd
    assert parse_expression('the cow on the far right of the herd').relation == 'right of'
    # "far" alone, or before no side, is depth
    for text in ('far zebra', 'the far end of the table', 'bird far away', 'far back girl'):
        assert _directions(text) == ['back'], text
