"""Rules of the spatial reasoner added in round seven of real RefCOCO language (issue 21): parse slips of the
geometry-only val (numbers said as ordinals, an ordinal after a verb's object, ...), each with small hand-made boxes
where the rule decides, and a case where it must not apply."""
from mmrec.models.spatial_reasoning import parse_expression
from spatial_choice import geometry_choice as _choice


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


def test_an_ordinal_after_a_verbs_object_moves_to_the_subject_whole():
    parsed = parse_expression('the man holding hat first from right')
    assert parsed.relation == 'holding' and _cue('the man holding hat first from right') == [('right', 1)]
    assert not parsed.landmark.extremes and parsed.landmark.what == 'hat'
    assert _cue('girl next to dog second from right') == [('right', 2)]
    # three men in a row: the second from the left is man 1; with a hat held by each, the first from the right man 2
    men = [[10., 10., 50., 90.], [70., 10., 110., 90.], [130., 10., 170., 90.]]
    hats = [[20., 12., 40., 25.], [80., 12., 100., 25.], [140., 12., 160., 25.]]
    assert _choice('man holding hat second from left', men) == 1
    assert _choice('the man holding hat first from right', men + hats) == 2
    # an ordinal before the landmark's noun stays with it
    parsed = parse_expression('man next to the second dog from left')
    assert not parsed.subject.extremes and parsed.landmark.extremes[0].rank == 2


def test_a_superlative_side_of_a_group_is_the_extreme_of_it_not_a_relation():
    boxes = [[10., 40., 50., 90.], [70., 40., 110., 90.], [130., 40., 170., 90.]]
    parsed = parse_expression('kid in purple shirt furthest right of the four')
    assert parsed.relation is None and _cue('kid in purple shirt furthest right of the four') == [('right', None)]
    assert 'four' in parsed.subject.what  # CLIP still reads the group
    assert _choice('kid furthest to the right of the three', boxes) == 2
    # a side of the picture stays one; a plain "left of" and "to the far left of" stay relations
    assert parse_expression('person farthest right of screen').subject.what == 'person'
    assert parse_expression('man to the far left of the guy').relation == 'left of'
    assert parse_expression('cup left of the plate').relation == 'left of'


def test_an_ordinal_of_a_superlative_counts_in_size_order():
    # four boxes left to right, areas 3rd, 1st, 4th, 2nd largest; tops (reach) in a different order
    boxes = [[10., 50., 40., 90.], [50., 20., 110., 90.], [120., 70., 140., 90.], [150., 40., 195., 90.]]
    assert _cue('second largest elephant') == [('large', 2)]
    assert parse_expression('second largest elephant').subject.size is None
    assert _choice('second largest elephant', boxes) == 3  # not the second from the left
    assert _choice('second smallest one', boxes) == 0
    assert _choice('third tallest one', boxes) == 0  # reach: box 1, box 3, box 0
    assert _cue('second highest shelf') == [('top', 2)]
    # a plain superlative and an ordinal with a side are as before
    assert parse_expression('largest elephant').subject.size == 'large'
    assert _cue('second from left') == [('left', 2)]


def test_sitting_at_a_named_thing_says_nothing_of_height():
    # a woman seated at a table (0) reaches higher than the table (1)
    for text in ('a woman in a green shirt sitting at the table', 'a black man sits at a table alone'):
        parsed = parse_expression(text)
        assert parsed.subject.size is None and not parsed.is_spatial, text
    # a stranded "at" describes the seat or the table; other postures as before
    assert parse_expression('chair that the person at the computer would be sitting at').subject.size == 'short'
    assert parse_expression('man sitting on a bench').subject.size == 'short'
    boxes = [[20., 10., 60., 90.], [120., 50., 160., 90.]]
    assert _choice('woman sitting', boxes) == 1
    assert parse_expression('a car sitting at an intersection').subject.size == 'short'  # no table
