"""Rules of the spatial reasoner added in round seven of real RefCOCO language (issue 21), from the wrong answers
of the geometry-only val: each with small hand-made boxes where the rule decides, and a case where it must not
apply."""
from mmrec.models.spatial_reasoning import parse_expression
from spatial_choice import geometry_choice as _choice


def test_a_possessors_left_or_right_body_part_is_no_side_of_the_picture():
    for text in ('the mans right foot', 'the persons left foot', 'woman with tattoos on her left forearm'):
        assert not parse_expression(text).is_spatial, text
    # the picture's side stays: "man on the right", "right hand side", a side of a plural noun ("hands")
    boxes = [[10., 10., 60., 90.], [120., 10., 170., 90.]]
    assert _choice('man on the right', boxes) == 1
    assert _choice('the person on the right hand side', boxes) == 1
    assert _choice('left hand', boxes) == 0  # no possessor: the left one of the hands


def test_the_middle_of_two_is_the_one_nearer_the_pictures_centre_line_across():
    # two trains: one at the picture's centre line across but low in the frame (0), one off to the right at mid-height
    # (1): the middle train is the one across the middle, whatever its height
    boxes = [[80., 70., 120., 100.], [140., 40., 180., 60.]]
    assert _choice('middle train', boxes) == 0
    # of three, the one between the others stays the middle one, wherever the group stands
    boxes = [[0., 10., 20., 30.], [30., 60., 50., 90.], [60., 10., 80., 30.]]
    assert _choice('middle train', boxes) == 1
