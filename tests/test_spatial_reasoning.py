"""The spatial reasoner: expressions parsed into what / where, and known boxes chosen by geometry."""
import pytest
import torch

from mmrec.models.spatial_reasoning import (Extreme, SpatialReasoner, beyond_products, parse_expression, parse_phrase,
                                           rank_probabilities)

IMAGE_SIZE = (100, 200)  # height, width


def test_parse_strips_location_and_size_words():
    phrase = parse_phrase('The little one furthest to the LEFT')
    assert (phrase.what, phrase.extremes, phrase.size) == ('the one', [Extreme('left')], 'small')
    assert not phrase.says_what
    phrase = parse_phrase('the big red circle at the top')
    assert (phrase.what, phrase.extremes, phrase.size) == ('the red circle', [Extreme('top')], 'large')
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
    assert (phrase.what, phrase.extremes) == ('guy in red', [Extreme('left')])
    phrase = parse_phrase('bottom right side zebra')
    assert (phrase.what, sorted(e.direction for e in phrase.extremes)) == ('zebra', ['bottom', 'right'])


def test_unsupported_words_leave_the_expression_to_clip():
    for text in ('second row on the left', 'the man furthest from the tree', 'bear facing left', 'red shirt',
                 'man with his back to the camera'):
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
    """"the square next to the blue square": the landmark is a square too, and must not count as its own rival."""
    boxes = torch.tensor([[10., 10., 30., 30.], [35., 10., 55., 30.], [150., 60., 170., 80.]])
    similarity_fn = _similarities({'the square': [1.0, 1.0, 1.0], 'the blue square': [1.0, 0.0, 0.0]})
    scores = SpatialReasoner(temperature=0.1)('the square next to the blue square', boxes, similarity_fn, IMAGE_SIZE)
    assert int(scores.argmax()) == 1  # box 0 is the blue square; box 1 is the square nearest to it


def test_next_to_an_unidentified_landmark_is_left_to_clip():
    """Every box is next to *some* box: when nothing tells which box is the landmark, the reasoner has nothing to
    say (an answer here would only prefer central boxes)."""
    boxes = torch.tensor([[10., 10., 30., 30.], [35., 10., 55., 30.], [150., 60., 170., 80.]])
    uninformative = lambda phrases: torch.zeros(len(phrases), 3)  # noqa: E731
    assert SpatialReasoner(temperature=0.1)('the square next to the square', boxes, uninformative, IMAGE_SIZE) is None


def test_a_relation_without_a_landmark_falls_back_to_the_subject():
    """One box cannot be left of another: the subject's own probability is returned, not zeros."""
    reasoner = SpatialReasoner(temperature=0.1)
    scores = reasoner('the red square left of the blue circle', BOXES[:1],
                      lambda phrases: torch.ones(len(phrases), 1), IMAGE_SIZE)
    torch.testing.assert_close(scores, torch.ones(1))


# ------------------------------------------------------------------------------ real RefCOCO language
def _answer(text, boxes, image_size=IMAGE_SIZE, similarity_fn=None):
    """Index of the box the reasoner picks for ``text`` when every phrase matches every box equally."""
    similarity_fn = similarity_fn or (lambda phrases: torch.zeros(len(phrases), len(boxes)))
    scores = SpatialReasoner(temperature=0.1)(text, boxes, similarity_fn, image_size)
    assert scores is not None, f'the reasoner declined {text!r}'
    return int(scores.argmax())


# four identical boxes in a row, left to right, in a 100 x 200 image
ROW = torch.tensor([[10., 40., 40., 70.], [60., 40., 90., 70.], [110., 40., 140., 70.], [160., 40., 190., 70.]])


@pytest.mark.parametrize('text, expected', [
    ('second from left', 1), ('the second one from the left', 1), ('third from the right', 1),
    ('second person from right', 2), ('2nd from left', 1), ('first from right', 3), ('last one', 3),
    ('the second sheep', 1), ('third guy right', 1), ('second to right lady', 2), ('secnd from rigth', 2),
    ('2 from left', 1), ('fourth from right', 0)])
def test_ordinals_count_along_the_named_side(text, expected):
    assert _answer(text, ROW) == expected


def test_ordinals_count_among_boxes_that_match_the_phrase():
    """"the second red square from the left": the blue square between them does not count."""
    similarity_fn = _similarities({'red square': [1.0, 0.0, 1.0, 1.0]})
    assert _answer('second red square from the left', ROW, similarity_fn=similarity_fn) == 2


def test_rank_probabilities_by_hand():
    match = torch.tensor([0.5, 1.0, 0.2])
    beyond = torch.tensor([[False, False, False], [True, False, False], [True, True, False]])
    # box 2 has boxes 0 and 1 beyond it: exactly one of them matches with 0.5 * 0 + 0.5 * 1 = 0.5
    torch.testing.assert_close(rank_probabilities(match, beyond, 2), torch.tensor([0.0, 0.5, 0.5]))
    torch.testing.assert_close(rank_probabilities(match, beyond, 1), torch.tensor([1.0, 0.5, 0.0]))


# two people: one lower in the frame and larger (closer to the camera), one higher and smaller
NEAR_FAR = torch.tensor([[20., 10., 50., 50.], [100., 30., 160., 100.]])


@pytest.mark.parametrize('text, expected', [
    ('front', 1), ('man in front', 1), ('closest guy', 1), ('person closest to the camera', 1),
    ('nearest to us', 1), ('foreground', 1), ('woman in the back', 0), ('behind', 0), ('far guy', 0),
    ('farthest person', 0), ('guy in background', 0), ('one furthest from camera', 0)])
def test_depth_words_use_the_ground_line_and_size(text, expected):
    assert _answer(text, NEAR_FAR) == expected


def test_depth_relations():
    boxes = torch.tensor([[20., 10., 50., 50.], [100., 30., 160., 100.], [60., 20., 90., 60.]])
    similarity_fn = _similarities({'man': [1.0, 1.0, 0.0], 'the car': [0.0, 0.0, 1.0]})
    # the car (2) stands at y2 = 60: the man whose feet are lower is in front of it, the other behind it
    assert _answer('man in front of the car', boxes, similarity_fn=similarity_fn) == 1
    assert _answer('man behind the car', boxes, similarity_fn=similarity_fn) == 0
    assert parse_expression('the man in back of the car').relation == 'behind'


# a 2 x 2 grid: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right (the bottom row is nearer the camera)
GRID = torch.tensor([[20., 10., 60., 40.], [120., 10., 160., 40.], [20., 55., 60., 90.], [120., 55., 160., 90.]])


@pytest.mark.parametrize('text, expected', [
    ('woman right front', 3), ('right side front person', 3), ('top left corner', 0), ('bottom left corner', 2),
    ('left corner bottom', 2), ('far left top person', 0), ('back right', 1), ('guy left in back', 0),
    ('upper right', 1), ('bottomright', 3)])
def test_several_cues_in_one_phrase_combine(text, expected):
    assert _answer(text, GRID) == expected


def test_bottom_row_second_from_the_right():
    """Two rows of four: the ordinal is counted within the named row."""
    top = ROW.clone()
    bottom = ROW.clone() + torch.tensor([0., 45., 0., 45.])
    boxes = torch.cat([top, bottom])  # 0-3 top row, 4-7 bottom row, left to right
    assert _answer('bottom row second from the right', boxes) == 6
    assert _answer('top row second from left', boxes) == 1
    assert _answer('front row second from left', boxes) == 5


@pytest.mark.parametrize('text, direction', [
    ('left guy', 'left'), ('guy left', 'left'), ('right most', 'right'), ('rigth girl', 'right'),
    ('man far right', 'right'), ('man farthest right', 'right'), ('lady on the very left', 'left'),
    ('woman to the left of the photo', 'left'), ('the botom one', 'bottom'), ('leftside chair', 'left')])
def test_shorthand_word_orders_and_misspellings(text, direction):
    parsed = parse_expression(text)
    assert parsed.relation is None, text
    assert [e.direction for e in parsed.subject.extremes] == [direction], text


@pytest.mark.parametrize('text', [
    'woman in a white tank top', 'laptop on the desk', 'the woman holding a pan in her left hand',
    'cake with a ribbon on top', 'man with his back to the camera', 'giraffe facing right'])
def test_location_words_that_are_not_locations(text):
    parsed = parse_expression(text)
    # no location cue anywhere ("holding a pan" is a verb relation, whose object is no location)
    assert not any(p.extremes or p.size for p in parsed.phrases), text
    assert parsed.relation in (None, 'holding'), text


def test_a_location_after_the_landmark_belongs_to_the_subject():
    """RefCOCO's "man next to dog on left" puts the man on the left; "the left dog" keeps its word."""
    parsed = parse_expression('man next to dog on left')
    assert (parsed.subject.what, parsed.subject.extremes, parsed.landmark.what) == ('man', [Extreme('left')], 'dog')
    parsed = parse_expression('man next to the left dog')
    assert parsed.subject.extremes == [] and parsed.landmark.extremes == [Extreme('left')]


def test_size_words_of_a_modifier_clause_are_not_the_subject_size():
    # (a little boy is a child, short: round five of issue 21; the hat's size is not read either way)
    assert parse_phrase('a little boy wearing a big hat').size == 'short'
    assert parse_phrase('a small dog wearing a big hat').size == 'small'
    assert parse_phrase('woman with a big smile').size is None


def test_tallest_is_the_box_reaching_highest():
    boxes = torch.tensor([[10., 40., 40., 100.], [60., 5., 90., 100.], [110., 20., 140., 60.]])
    assert _answer('tallest giraffe', boxes) == 1
    assert _answer('the shorter one', boxes[:2]) == 0


def test_between_two_landmarks():
    similarity_fn = _similarities({'the cup': [1.0, 1.0, 1.0, 1.0], 'the plate': [1.0, 0.0, 0.0, 0.0],
                                   'the bowl': [0.0, 0.0, 1.0, 0.0]})
    assert _answer('the cup between the plate and the bowl', ROW, similarity_fn=similarity_fn) == 1


def test_cue_types():
    assert parse_expression('second from left').cue_types == ('ordinal',)
    assert parse_expression('big man in front of the car on the right').cue_types == (
        'extreme', 'depth', 'size', 'relation')
    assert parse_expression('man in red').cue_types == ('none',)


@pytest.mark.parametrize('text', ['', '   ', '?!.,', '12345', 'ñandú à gauche 左边的人', 'left ' * 300,
                                  'the man on the left ' * 50 + 'second from right', '3rd 4th 5th from'])
def test_odd_expressions_neither_raise_nor_guess_wildly(text):
    scores = SpatialReasoner(temperature=0.1)(text, ROW, lambda phrases: torch.zeros(len(phrases), 4), IMAGE_SIZE)
    assert scores is None or (scores.shape == (4,) and float(scores.sum()) == pytest.approx(1.0))


def test_depth_extremes_count_size_but_depth_relations_only_the_ground_line():
    """A small box standing lowest and a much larger one a little higher: as the same kind of thing, the larger
    is nearer the camera; between two kinds of thing (a cup on a table, a man) sizes say nothing of depth."""
    boxes = torch.tensor([[10., 90., 20., 100.], [100., 40., 160., 96.]])  # front_closeness 1.02 vs 1.09
    assert _answer('the front one', boxes) == 1
    similarity_fn = _similarities({'the cup': [1.0, 0.0], 'the man': [0.0, 1.0]})
    assert _answer('the cup in front of the man', boxes, similarity_fn=similarity_fn) == 0


def test_an_expression_that_starts_with_a_relation_is_about_something_else():
    parsed = parse_expression('behind the car')
    assert (parsed.subject.what, parsed.relation, parsed.landmark.what) == ('the object', 'behind', 'the car')
    assert parse_expression('front of the bus').relation is None  # a part of the bus, not something before it


def test_closer_to_an_object_is_next_to_it_but_closer_to_us_is_front():
    assert parse_expression('wineglass closer to woman').relation == 'next to'
    assert parse_expression('wineglass closer to us').subject.extremes == [Extreme('front')]
    assert parse_expression('the second last car').subject.extremes == [Extreme('right', rank=2)]


def test_a_location_that_does_not_end_the_landmark_stays_there():
    parsed = parse_expression('a futon next to a tv right next to a glass door')
    assert parsed.subject.extremes == [] and parsed.subject.what == 'a futon'


def test_names_with_location_words_reach_clip_whole():
    phrase = parse_phrase('woman in blue top on the left')
    assert (phrase.what, phrase.extremes) == ('woman in blue top', [Extreme('left')])
    assert parse_phrase('man with back pack').extremes == []


def test_size_strength_grows_smoothly_with_the_spread():
    from mmrec.models.spatial_reasoning.geometry import size_factor

    def larger_share(ratio):
        boxes = torch.tensor([[0., 0., 10., 10.], [0., 0., 10., 10. * ratio]])
        return float(size_factor(boxes, 'large', 2.0, IMAGE_SIZE)[1])
    shares = [larger_share(r) for r in (1.0, 1.5, 1.99, 2.01, 4.0, 16.0, 64.0)]
    assert shares[0] == pytest.approx(0.5) and shares[2] == pytest.approx(shares[3], abs=0.01)
    assert shares[3] == pytest.approx(0.731, abs=0.01) and shares[5] == pytest.approx(0.982, abs=0.01)
    assert all(a < b for a, b in zip(shares, shares[1:-1])) and shares[-1] == pytest.approx(shares[-2])
