"""Rules of the spatial reasoner added in round five of real RefCOCO language (issue 21): several cues of one
phrase, ordinals, size and the words that imply a size; each with small hand-made boxes where the rule decides
and a case where it must not apply."""
from mmrec.models.spatial_reasoning import parse_expression
from spatial_choice import geometry_choice as _choice


# a baseball scene: the batter standing (0), the catcher crouching (1), the umpire bent over behind him (2)
PLATE = [[20., 10., 60., 95.], [80., 55., 120., 95.], [110., 35., 150., 85.]]


def test_the_catcher_crouches():
    assert parse_expression('the catcher').subject.size == 'short'
    assert _choice('catcher', PLATE) == 1
    # a location word singles the catcher out among several; the implied height is not read then
    assert parse_expression('catcher on the left').subject.size is None
    # the catcher's object is not the subject: "man next to the catcher" is not short
    assert parse_expression('man next to the catcher').subject.size is None


def test_the_main_one_is_the_largest():
    boxes = [[10., 30., 50., 60.], [60., 5., 190., 95.], [0., 70., 20., 90.]]
    assert parse_expression('main guy').subject.size == 'large'
    assert _choice('main elephant', boxes) == 1
    # "main" before a preposition or a verb is a misspelt "man", no size word
    parsed = parse_expression('the main in the background')
    assert parsed.subject.size is None and 'man' in parsed.subject.what.split()
    assert parse_expression('main next to guy in glasses').subject.size is None


def test_a_posture_word_decides_before_an_age_word():
    # two kids: one sitting (0, its top low), one standing (1, reaching higher)
    kids = [[20., 60., 60., 95.], [100., 20., 140., 95.]]
    assert parse_expression('kid standing').subject.size == 'tall'
    assert _choice('kid standing', kids) == 1
    assert _choice('kid sitting', kids) == 0
    # without a posture word the age word still reads short ("kid" among adults)
    assert parse_expression('kid in white shirt').subject.size == 'short'


def test_the_batter_stands_with_the_bat_out():
    assert parse_expression('the batter').subject.size == 'large'
    assert _choice('batter', PLATE) == 0
    # the role word belongs to the landmark there, not to the subject
    assert parse_expression('umpire behind the batter').subject.size is None
    # a location word decides where there is one
    assert parse_expression('batter on the right').subject.size is None


def test_lying_down_reaches_least_high():
    # a dog lying (0, long and low) and one standing (1, reaching higher)
    dogs = [[10., 70., 90., 95.], [110., 30., 160., 95.]]
    assert parse_expression('dog laying down').subject.size == 'short'
    assert _choice('dog laying down', dogs) == 0
    assert _choice('dog lying in the grass', dogs) == 0
    # the standing one is the tall one
    assert _choice('dog standing', dogs) == 1


def test_left_to_right_after_an_ordinal_is_the_way_of_counting():
    row = [[0., 40., 20., 60.], [40., 40., 60., 60.], [80., 40., 100., 60.], [150., 40., 170., 60.]]
    parsed = parse_expression('second person from left to right')
    assert [(e.direction, e.rank) for e in parsed.subject.extremes] == [('left', 2)]
    assert _choice('second chair left to right', row) == 1
    assert _choice('second chair right to left', row) == 2
    # without an ordinal nothing is counted: the words are left as they are
    assert len(parse_expression('bus going left to right').subject.extremes) == 2


def test_right_in_the_middle_is_exactly_in_the_middle():
    three = [[0., 40., 40., 60.], [80., 40., 120., 60.], [160., 40., 200., 60.]]
    assert [e.direction for e in parse_expression('person right in the middle').subject.extremes] == ['middle']
    assert _choice('person right in the middle', three) == 1
    # "on the right in the middle" names a side
    directions = {e.direction for e in parse_expression('man on the right in the middle').subject.extremes}
    assert directions == {'right', 'middle'}


def test_short_before_its_noun_is_a_size_word():
    people = [[20., 20., 60., 95.], [100., 55., 140., 95.]]
    assert parse_expression('short guy').subject.size == 'short'
    assert _choice('short guy in white shirt', people) == 1
    # hair, clothes and books named "short" say nothing of the object's height
    for text in ('guy with short hair', 'short hair guy', 'short sleeved shirt', 'white short', 'short stories'):
        assert parse_expression(text).subject.size is None, text


def test_a_little_person_is_a_child_read_by_reach():
    # a child (0) standing near the camera, its box large, its top low; an adult (1) further back, a smaller box
    # reaching higher
    people = [[10., 50., 90., 100.], [120., 10., 140., 60.]]
    assert parse_expression('little girl').subject.size == 'short'
    assert _choice('little girl', people) == 0
    # a little thing keeps its size by area
    assert parse_expression('little bowl').subject.size == 'small'
    assert _choice('little bowl', people) == 1


def test_one_swinging_a_bat_covers_the_most_area():
    assert parse_expression('player swinging bat').subject.size == 'large'
    assert _choice('guy swinging', PLATE) == 0
    # the word of a landmark is not the subject's
    assert parse_expression('man next to the boy swinging').subject.size is None


def test_a_jumping_person_reaches_higher():
    # one player in the air (0, its top highest although its box is no taller), one standing (1)
    players = [[20., 5., 60., 60.], [100., 30., 140., 95.]]
    assert parse_expression('guy jumping').subject.size == 'tall'
    assert _choice('girl jumping', players) == 0
    # a location word decides where there is one
    assert parse_expression('guy jumping on the right').subject.size is None
