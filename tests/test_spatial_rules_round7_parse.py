"""Rules of the spatial reasoner added in round seven of real RefCOCO language (issue 21): parse slips of the
geometry-only val (numbers said as ordinals, an ordinal after a verb's object, ...), each with small hand-made boxes
where the rule decides, and a case where it must not apply."""
import torch

from mmrec.models.spatial_reasoning import SpatialReasoner, parse_expression

IMAGE_SIZE = (100, 200)  # height, width


def _choice(text, boxes, image_size=IMAGE_SIZE):
    probs = SpatialReasoner()(text, torch.tensor(boxes, dtype=torch.float32),
                              lambda phrases: torch.zeros(len(phrases), len(boxes)), image_size)
    return None if probs is None else int(probs.argmax())


def _cue(text):
    extremes = parse_expression(text).subject.extremes
    return [(e.direction, e.rank) for e in extremes]


def test_a_number_before_from_a_side_is_an_ordinal():
    # four boxes in a row, left to right
    boxes = [[10., 40., 40., 80.], [60., 40., 90., 80.], [110., 40., 140., 80.], [160., 40., 190., 80.]]
    assert _cue('three from the right') == [('right', 3)]
    assert _choice('three from the right', boxes) == 1
    assert _cue('dude 3 in from right') == [('right', 3)]
    assert _cue('2 from left') == [('left', 2)]
    # a step count: "one up from the bottom" is the second from the bottom
    assert _cue('suitcase one up from the bottom') == [('bottom', 2)]
    stacked = [[50., 70., 150., 95.], [50., 45., 150., 70.], [50., 20., 150., 45.]]
    assert _choice('suitcase one up from the bottom', stacked) == 1
    # a number word not right before "from" is no ordinal ("two to the right" may be a pair); ordinals as before
    assert _cue('two kids to the right') == [('right', None)]
    assert _cue('second one from the left') == [('left', 2)]
