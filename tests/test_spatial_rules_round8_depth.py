"""Rules of the spatial reasoner added in round eight of real RefCOCO language, depth / size / combined cues (issue
21): each with small hand-made boxes where the rule decides, and a case where it must not apply."""
from mmrec.models.spatial_reasoning import parse_expression
from spatial_choice import geometry_choice as _choice

#: batter (large, standing with the bat out), catcher (crouching, lowest top), umpire behind (higher, smaller)
PLATE = [[20., 10., 70., 95.], [80., 55., 120., 95.], [110., 35., 140., 85.]]


def test_a_bat_in_hand_names_the_batter():
    # "kid" alone is an age (short: the crouching catcher's box); with the bat in hand it is the batter's role
    assert _choice('kid', PLATE) == 1
    for text in ('kid with bat', 'kid with the bat', 'kid batting', 'boy at bat', 'guy up to bat', 'man with bat'):
        assert parse_expression(text).subject.size == 'large', text
        assert _choice(text, PLATE) == 0, text
    # equipment named after batting is worn by runners too: no role ("guy in batting helmet" is left to CLIP)
    assert parse_expression('guy in batting helmet').subject.size is None
    assert _choice('guy in batting helmet', PLATE) is None
    # a named role says more than the bat in hand: the catcher holding a bat is still the catcher (short)
    assert parse_expression('catcher with bat').subject.size == 'short'
    # a location word decides where there is one; a batting word in the landmark is not the subject's
    assert parse_expression('kid with bat on the right').subject.size is None
    assert parse_expression('umpire behind kid with bat').subject.size is None


def test_a_view_and_a_possessed_rear_are_no_depth():
    # a near cow (low, large) and a far one (high, small)
    boxes = [[10., 40., 90., 98.], [120., 20., 160., 45.]]
    for text in ('front view', 'back view of woman', 'the rear view of a truck', 'i can see its rear end',
                 'elephants rear end'):
        assert 'depth' not in parse_expression(text).cue_types, text
        assert _choice(text, boxes) is None, text
    # said of the picture, the words keep their depth
    assert _choice('cow in front', boxes) == 0
    assert _choice('cow in the back', boxes) == 1
    assert _choice('rear cow', boxes) == 1


def test_half_before_a_food_names_a_piece():
    # two pizza halves, the second a little smaller: "half pizza" is one of the pieces, not the smaller one
    boxes = [[10., 10., 90., 90.], [110., 20., 180., 85.]]
    for text in ('half pizza', 'half a sandwich with lettuce', 'half an egg salad sandwich', 'half banana'):
        assert not parse_expression(text).subject.size, text
        assert _choice(text, boxes) is None, text
    # of things that are not cut, "half" is how much of them shows: the smaller box
    for text in ('half zebra', 'half a man', 'half bus', 'half visible orange'):
        assert parse_expression(text).subject.size == 'small', text
        assert _choice(text, boxes) == 1, text
    # a location word still places the piece
    assert _choice('half pizza on the right', boxes) == 1
