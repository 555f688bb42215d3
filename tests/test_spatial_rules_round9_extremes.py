"""Rules of the spatial reasoner added in round nine for location extremes (issue 21): each with small hand-made
boxes where the rule decides, and a case where it must not apply."""
from mmrec.models.spatial_reasoning import parse_expression
from spatial_choice import geometry_choice as _choice


def test_up_high_and_down_low_are_heights_in_the_frame():
    # two shirts on the left, one high in the frame, the other low and a little further left; a third on the right
    boxes = [[20., 5., 70., 35.], [5., 60., 55., 95.], [140., 30., 190., 60.]]
    for text in ('white shirt on the left up high', 'shirt high up on the left'):
        assert _choice(text, boxes) == 0, text
    assert _choice('shirt on the left down low', boxes) == 1
    assert [e.direction for e in parse_expression('oven down low').subject.extremes] == ['bottom']
    # "high" alone is no location ("high chair", "high heels"), nor "up" ("man looking up")
    for text in ('high chair', 'man looking up', 'woman in high heels'):
        assert not parse_expression(text).subject.extremes, text


def test_an_ordinal_before_a_corner_counts_from_the_corner():
    # a diagonal of donuts from the bottom left corner, plus one far left but high up and one low but far right
    boxes = [[5., 75., 35., 98.], [40., 55., 70., 78.], [0., 5., 30., 28.], [150., 80., 180., 99.]]
    # counted along the corner's diagonal the second one is box 1; counted from the left among the low ones (or
    # from the bottom among the left ones) it was another
    assert _choice('second lower left donut', boxes) == 1
    assert [(e.direction, e.rank) for e in parse_expression('third dog front left').subject.extremes] == \
        [('front left', 3)]
    # a corner counted from is a depth cue as well as an ordinal (the cue filters of the web demo and the tables)
    assert parse_expression('second dog back right').cue_types == ('ordinal', 'depth')
    # a row is named, not a corner counted from: "second row back left" keeps the row's ordinal
    assert ('back left', 2) not in [(e.direction, e.rank) for e in parse_expression('guy in second row back left')
                                    .subject.extremes]
    # "second from the bottom" keeps its own order, the side after it apart
    assert [(e.direction, e.rank) for e in parse_expression('second from bottom left').subject.extremes] == \
        [('bottom', 2), ('left', None)]


def test_a_side_with_ish_is_still_that_side():
    boxes = [[10., 10., 50., 50.], [80., 40., 120., 80.], [150., 60., 190., 95.]]
    assert _choice('lamb on very rightish', boxes) == 2
    assert _choice('leftish one', boxes) == 0
    assert _choice('table cloth on bottomish rightish corner', boxes) == 2
    # a word that only begins like a side is none ("topping")
    assert _choice('topping', boxes) is None


def test_two_location_words_run_together_are_both():
    # a top row and a bottom row of three
    boxes = [[10., 5., 50., 40.], [80., 5., 120., 40.], [150., 5., 190., 40.],
             [10., 55., 50., 95.], [80., 55., 120., 95.], [150., 55., 190., 95.]]
    assert _choice('topcenter donut', boxes) == 1
    assert _choice('person in red bottomcenter', boxes) == 4
    assert _choice('elephant in backleft', boxes) == 0
    assert _choice('banana leftmiddle', boxes) == _choice('banana left middle', boxes)
    # a word merely containing two location words is not split ("centerpiece", "topple", "backrest")
    for text in ('centerpiece', 'backrest', 'upperclassman'):
        assert not parse_expression(text).subject.extremes, text


def test_superlatives_of_a_side_and_far_run_into_a_side():
    boxes = [[10., 10., 50., 50.], [80., 40., 120., 80.], [150., 60., 190., 95.]]
    for text in ('leftiest bag', 'player most leftiest', 'farthest leftier', 'the cop farleft'):
        assert _choice(text, boxes) == 0, text
    for text in ('lead rightiest chocolate', 'farright one'):
        assert _choice(text, boxes) == 2, text
    assert _choice('bottomest one', boxes) == 2
    # a word that only ends like one ("farmer") is none
    assert _choice('farmer', boxes) is None
