"""The spatial reasoner: expressions parsed into what / where, and known boxes chosen by geometry."""
import pytest
import torch

from mmrec.models.spatial_reasoning import SpatialReasoner, beyond_products, parse_expression, parse_phrase

IMAGE_SIZE = (100, 200)  # height, width


def test_parse_strips_location_and_size_words():
    phrase = parse_phrase('The little one furthest to the LEFT')
    assert (phrase.what, phrase.extremes, phrase.size) == ('the one', ['left'], 'small')
    assert not phrase.says_what
    phrase = parse_phrase('the big red circle at the top')
    assert (phrase.what, phrase.extremes, phrase.size) == ('the red circle', ['top'], 'large')
    assert phrase.says_what


def test_parse_splits_at_the_first_relation():
    parsed = parse_expression('the small square to the left of the blue circle')
    assert parsed.relation == 'left of'
    assert (parsed.subject.what, parsed.subject.size) == ('the square', 'small')
    assert parsed.landmark.what == 'the blue circle'
    assert parse_expression('the circle under the square').relation == 'below'
    assert parse_expression('the one on top of the box').relation == 'above'
    plain = parse_expression('the red circle')
    assert plain.relation is None and not plain.is_spatial


def _similarities(table):
    """A similarity function answering each phrase with a fixed row of per-box similarities."""
    def similarity_fn(phrases):
        return torch.tensor([table[phrase] for phrase in phrases])
    return similarity_fn


# Four boxes: two red squares (left, right), a blue circle in the middle, a small red square far right.
BOXES = torch.tensor([[10., 40., 40., 70.], [120., 40., 150., 70.], [80., 10., 110., 40.], [180., 80., 190., 90.]])
RED_SQUARE = [1.0, 1.0, 0.0, 1.0]
BLUE_CIRCLE = [0.0, 0.0, 1.0, 0.0]


def test_plain_expression_is_left_to_clip():
    reasoner = SpatialReasoner(temperature=0.1)
    assert reasoner('the red square', BOXES, _similarities({'the red square': RED_SQUARE}), IMAGE_SIZE) is None


def test_extreme_picks_the_leftmost_matching_box():
    reasoner = SpatialReasoner(temperature=0.1)
    scores = reasoner('the red square on the left', BOXES, _similarities({'the red square': RED_SQUARE}),
                      IMAGE_SIZE)
    assert int(scores.argmax()) == 0
    scores = reasoner('the rightmost red square', BOXES, _similarities({'the red square': RED_SQUARE}),
                      IMAGE_SIZE)
    assert int(scores.argmax()) == 3


def test_size_words_compare_areas_and_combine_with_extremes():
    reasoner = SpatialReasoner(temperature=0.1)
    similarity_fn = _similarities({'the red square': RED_SQUARE})
    assert int(reasoner('the small red square', BOXES, similarity_fn, IMAGE_SIZE).argmax()) == 3
    # the large red squares are boxes 0 and 1; of those, the rightmost is 1 (not the small box 3)
    assert int(reasoner('the large red square on the right', BOXES, similarity_fn, IMAGE_SIZE).argmax()) == 1


def test_relations_use_the_landmark():
    reasoner = SpatialReasoner(temperature=0.1)
    similarity_fn = _similarities({'the red square': RED_SQUARE, 'the blue circle': BLUE_CIRCLE})
    assert int(reasoner('the red square left of the blue circle', BOXES, similarity_fn, IMAGE_SIZE).argmax()) == 0
    assert int(reasoner('the red square right of the blue circle', BOXES, similarity_fn,
                        IMAGE_SIZE).argmax()) in (1, 3)
    # next to: of the red squares, box 1 is the closest to the circle (box 3 is further right and lower)
    assert int(reasoner('the red square next to the blue circle', BOXES, similarity_fn, IMAGE_SIZE).argmax()) == 1
    # below: every red square's centre is below the circle's; a prior removes boxes the detector doubts
    prior = torch.tensor([0.1, 0.9, 0.9, 0.1])
    assert int(reasoner('the red square below the blue circle', BOXES, similarity_fn, IMAGE_SIZE,
                        prior=prior).argmax()) == 1


def test_beyond_products_by_hand():
    probs = torch.tensor([0.5, 0.2, 0.3])
    key = torch.tensor([2.0, 0.0, 1.0])  # box 1 lies furthest, then box 2, then box 0
    assert torch.allclose(beyond_products(probs, key), torch.tensor([0.8 * 0.7, 1.0, 0.8]))


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match='temperature'):
        SpatialReasoner(temperature=0)


def test_refcoco_style_shorthand():
    phrase = parse_phrase('guy on left in red')
    assert (phrase.what, phrase.extremes) == ('guy in red', ['left'])
    phrase = parse_phrase('bottom right side zebra')
    assert (phrase.what, sorted(phrase.extremes)) == ('zebra', ['bottom', 'right'])


def test_unsupported_words_leave_the_expression_to_clip():
    for text in ('second from right', 'the man closest to the camera', 'bear facing left'):
        assert not parse_expression(text).is_spatial, text
    assert parse_expression('man on left side of table').relation == 'left of'
    assert parse_expression('left most zebra').subject.what == 'zebra'


def test_relation_scores_are_a_distribution():
    reasoner = SpatialReasoner(temperature=0.1)
    similarity_fn = _similarities({'the red square': RED_SQUARE, 'the blue circle': BLUE_CIRCLE})
    for text in ('the red square left of the blue circle', 'the red square next to the blue circle'):
        scores = reasoner(text, BOXES, similarity_fn, IMAGE_SIZE)
        assert float(scores.sum()) == pytest.approx(1.0)


def test_next_to_the_same_kind_of_object():
    """"the square next to the square": the landmark is a square too, and must not count as its own rival."""
    boxes = torch.tensor([[10., 10., 30., 30.], [35., 10., 55., 30.], [150., 60., 170., 80.]])
    square = [1.0, 1.0, 1.0]
    landmark_first = lambda phrases: torch.tensor([square if 'square' in p else [0.0] * 3 for p in phrases])  # noqa
    reasoner = SpatialReasoner(temperature=0.1)
    scores = reasoner('the square next to the square', boxes, landmark_first, IMAGE_SIZE)
    # the far square (2) is nobody's nearest neighbour; the two close squares are each other's. By hand, with
    # every box 1/3 likely a square: unnormalised 1/3 * sum_j 1/3 rel[i, j], rel = [[0, 1, 2/3], [1, 0, 1],
    # [2/3, 2/3, 0]] -> 5/27, 6/27, 4/27
    torch.testing.assert_close(scores, torch.tensor([5.0, 6.0, 4.0]) / 15)


def test_a_relation_without_a_landmark_falls_back_to_the_subject():
    """One box cannot be left of another: the subject's own probability is returned, not zeros."""
    reasoner = SpatialReasoner(temperature=0.1)
    scores = reasoner('the red square left of the blue circle', BOXES[:1],
                      lambda phrases: torch.ones(len(phrases), 1), IMAGE_SIZE)
    torch.testing.assert_close(scores, torch.ones(1))
