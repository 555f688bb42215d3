"""Rules of the spatial reasoner added in round two of real RefCOCO language (issue 21): each with small hand-made
boxes where the rule decides."""
from spatial_choice import geometry_choice as _choice


def test_middle_of_an_even_group_is_nearest_the_group_centre():
    # four in a row, the group off to the right of the picture: B and C are both balanced (one box on one side,
    # two on the other); C is a little nearer the picture's centre, B nearer the group's
    row = [[0., 40., 20., 60.], [60., 40., 80., 60.], [118., 40., 138., 60.], [140., 40., 160., 60.]]
    assert _choice('middle one', row) == 1
    # an odd count still has one box between the others, wherever the picture's centre is
    assert _choice('middle one', row[:3]) == 1


def test_a_holder_holds_some_candidate_before_the_held_one_is_identified():
    # a woman (0) with a small bag (1) inside her box; a woman (2) and a bag (3) beside her, overlapping her box
    bags = [[10., 10., 60., 100.], [30., 50., 45., 65.], [120., 10., 170., 100.], [100., 40., 160., 100.]]
    # "holding": the box that holds a whole candidate in it
    assert _choice('woman holding a bag', bags) == 0
    # "wearing" / "carrying": the worn thing is mostly no candidate (a shirt), geometry says nothing
    assert _choice('woman wearing a hat', bags) is None
    assert _choice('woman carrying a bag', bags) is None


def test_the_front_of_an_object_is_a_part_of_it_after_filler_words_too():
    from mmrec.models.spatial_reasoning import parse_expression
    # "the front of a van" is the van's front, as "front of a van" is: no relation to a landmark
    for text in ('front of the van', 'the front of a green van'):
        parsed = parse_expression(text)
        assert parsed.relation is None and [e.direction for e in parsed.subject.extremes] == ['front'], text
    # a subject that names something keeps the relation
    assert parse_expression('the car front of the van').relation == 'in front of'
    assert parse_expression('the one in front of the van').relation == 'in front of'
