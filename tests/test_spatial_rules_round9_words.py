"""Rules of the spatial reasoner added in round nine of real RefCOCO language (issue 21), on the plain reading of
words: each with small hand-made boxes where the rule decides, and a case where it must not apply."""
from mmrec.models.spatial_reasoning import parse_expression
from spatial_choice import geometry_choice as _choice


def test_clock_positions_are_places_in_the_frame():
    # four slices of a pizza round the middle of a 200 x 100 picture: top, right, bottom, left
    boxes = [[80., 5., 120., 35.], [150., 30., 195., 70.], [80., 65., 120., 95.], [5., 30., 50., 70.]]
    for text, target in (('slice at 12 oclock', 0), ('slice at 3 o clock', 1), ('pizza slice at 6 oclock', 2),
                         ('man at 9 o clock', 3), ('slice at nine o clock', 3), ("the 3 o'clock piece", 1),
                         ('orange at3oclock', 1), ('donut at 5 to 6 o clock', 2)):
        assert _choice(text, boxes) == target, text
    # the hours between name a corner: top right, bottom left
    corners = [[5., 5., 45., 45.], [155., 5., 195., 45.], [5., 55., 45., 95.], [155., 55., 195., 95.]]
    for text, target in (('slice at 1 o clock', 1), ('slice at 7 oclock', 2), ('muffin 11 o clock', 0),
                         ('bowl at 5 o clock', 3)):
        assert _choice(text, corners) == target, text
    # a clock that is not a time ("the clock on the wall", "clock tower") is a thing, and a number alone stays a count
    for text in ('the clock on the wall', 'clock tower', '18 o clock'):
        assert not parse_expression(text).subject.extremes, text
    assert _choice('the clock on the wall', boxes) is None


def test_common_misspellings_of_location_words():
    # three chairs left to right, the middle one far back (small, high), the right one nearest (largest, lowest)
    boxes = [[5., 40., 60., 90.], [90., 10., 110., 30.], [130., 30., 195., 99.]]
    for text, target in (('fartest chair', 1), ('fartherest chair', 1), ('chair behing the table', 1),
                         ('lefty chair', 0), ('righty chair', 2), ('chair in bakground', 1),
                         ('second chair fron left', 1), ('frotn chair', 2), ('frt chair', 2),
                         ('chair closes to us', 2)):
        assert _choice(text, boxes) == target, text
    # a word that is English keeps its meaning: a door that "closes" is not the closest, "closet" is a room
    for text in ('door closes', 'the closet', 'chair by the closet'):
        assert _choice(text, boxes) is None, text


def test_location_words_run_together_are_two_words():
    # a three by two grid of donuts
    boxes = [[5., 5., 60., 45.], [75., 5., 125., 45.], [140., 5., 195., 45.],
             [5., 55., 60., 95.], [75., 55., 125., 95.], [140., 55., 195., 95.]]
    for text, target in (('topcenter donut', 1), ('donut bottomcenter', 4), ('donut on rightbottom', 5)):
        assert _choice(text, boxes) == target, text
    # two columns of three: the left one's middle, and the far left of a row (no tie: one box lies furthest left)
    column = [[5., 5., 60., 30.], [5., 35., 60., 60.], [5., 65., 60., 95.],
              [140., 5., 195., 30.], [140., 35., 195., 60.], [140., 65., 195., 95.]]
    assert _choice('leftmiddle donut', column) == 1
    row = [[30., 40., 70., 80.], [5., 40., 25., 80.], [120., 40., 160., 80.]]
    assert _choice('the donut farleft', row) == 1
    # a location word inside a longer word is not split off ("backpack", "topping", "leftover")
    for text in ('the backpack', 'donut with topping', 'leftover donut'):
        assert _choice(text, boxes) is None, text


def test_near_the_viewer_without_to_is_the_front():
    # a far small chair on the left and a large near one on the right
    boxes = [[20., 20., 50., 45.], [110., 30., 190., 98.]]
    for text in ('chair near us', 'the chair nearest the camera', 'chair near camera', 'near us chair'):
        assert _choice(text, boxes) == 1, text
    # near something else is a relation to a landmark, not the front ("chair near the table" has no cue of its own
    # among these two boxes)
    assert parse_expression('chair near the table').relation is not None
    assert not parse_expression('chair near the table').subject.extremes


def test_an_hour_told_or_a_five_oclock_shadow_is_no_place():
    boxes = [[10., 10., 50., 50.], [150., 60., 190., 95.]]
    assert _choice('guy at 9 o clock', boxes) == 0
    assert _choice('clock at 5 o clock out of frame', boxes) == 1  # a clock placed, not read
    for text in ("clock that says 10 o'clock", 'clock reading two o clock', 'clock with hands at 12 o clock',
                 "man with 5 o'clock shadow"):
        assert _choice(text, boxes) is None, text


def test_the_viewer_is_not_a_noun_it_begins():
    boxes = [[10., 10., 50., 50.], [150., 60., 190., 95.]]
    for text in ('chair near u shaped table', 'strap near the camera bag'):
        assert parse_expression(text).relation == 'next to', text
    assert parse_expression('hot dog near us').relation is None
    assert _choice('hot dog near us', boxes) == 1
    assert _choice('closest to the camera man', boxes) == 1  # the man closest to the camera
