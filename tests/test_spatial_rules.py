"""Rules of the spatial reasoner added for real RefCOCO language (issue 21): each with a case where the rule
decides, and one where it must not apply."""
import torch

from mmrec.models.spatial_reasoning import SpatialReasoner, parse_expression
from spatial_choice import IMAGE_SIZE, geometry_choice as _choice


# A: furthest left, half-way down; B: a little right of A, at the very top; C: right, bottom
CORNER_BOXES = [[0., 40., 40., 80.], [30., 0., 70., 20.], [150., 70., 190., 100.]]


def test_two_sides_name_one_corner():
    # sequentially, "left" would decide (A is furthest left); B is nearer the top-left corner
    assert _choice('top left one', CORNER_BOXES) == 1
    assert _choice('thing in the upper left corner', CORNER_BOXES) == 1
    assert _choice('bottom right', CORNER_BOXES) == 2
    # one side alone is still that side's extreme
    assert _choice('left one', CORNER_BOXES) == 0
    assert _choice('top one', CORNER_BOXES) == 1


def test_a_part_is_not_a_location_when_the_object_is_located_otherwise():
    # "upper part" says where on the girl; "far left" says which girl
    parsed = parse_expression('far left girl upper part')
    assert [e.direction for e in parsed.subject.extremes] == ['left']
    assert parsed.subject.what == 'girl upper part'  # CLIP still reads the part
    # the only location word: the part locates the object
    assert [e.direction for e in parse_expression('bottom left part of the bunch').subject.extremes] == [
        'left', 'bottom']
    # a half is an object of its own (cut food): its side counts
    assert sorted(e.direction for e in parse_expression('right half of the left sandwich').subject.extremes) == [
        'left', 'right']


def test_closest_after_its_noun_takes_an_object():
    for text in ('guy nearest woman', 'flip phone black nearest mug'):
        parsed = parse_expression(text)
        assert parsed.relation == 'next to' and not parsed.subject.extremes, text
    # before its noun, or of the viewer, it is depth
    for text in ('the closest girl', 'closest brown donut', 'man in nearest chair', 'pizza closest to us',
                 'pizza on plate closest', 'closest one'):
        parsed = parse_expression(text)
        assert parsed.relation is None and [e.direction for e in parsed.subject.extremes] == ['front'], text


# one box on the left; a column of three on the right, in the lower half of the image
COLUMNS = [[10., 40., 50., 60.], [150., 40., 190., 60.], [150., 60., 190., 80.], [150., 80., 190., 100.]]


def test_middle_with_a_side_is_the_middle_along_the_other_axis():
    # among the boxes on the right, the one between the others vertically (not the one nearest the centre, 1)
    assert _choice('middle bowl on right', COLUMNS) == 2
    assert _choice('right one in the middle', COLUMNS) == 2
    # no side: between the others horizontally
    assert _choice('middle one', [[10., 40., 50., 60.], [80., 0., 120., 20.], [150., 40., 190., 60.]]) == 1


# an adult on the left reaching high, a child in the middle, a seated adult on the right (all on one floor)
PEOPLE = [[10., 10., 50., 100.], [80., 60., 110., 100.], [150., 45., 190., 100.]]


def test_age_and_posture_words_say_how_high_a_person_reaches():
    assert _choice('the kid', PEOPLE) == 1
    assert _choice('baby elephant', PEOPLE) == 1
    assert _choice('standing woman', PEOPLE) == 0
    assert _choice('mother', PEOPLE) == 0
    assert parse_expression('man sitting on a bench').subject.size == 'short'
    assert parse_expression('the kid').subject.what == 'the kid'  # CLIP still reads the word
    # only the head counts: the woman holds the baby
    assert _choice('woman holding a baby', PEOPLE) is None
    # a location word singles the object out; the age word only names its kind
    assert parse_expression('left kid').subject.size is None and _choice('left kid', PEOPLE) == 0
    # an explicit size word wins
    assert parse_expression('tall kid').subject.size == 'tall'


def test_the_first_size_word_is_the_objects():
    assert parse_expression('a small zebra being nibbled on by a larger zebra').subject.size == 'small'
    assert parse_expression('tiny girl throwing to the huge guy').subject.size == 'small'
    assert parse_expression('huge guy next to a tiny girl').subject.size == 'large'


def test_posture_counts_after_a_modifier_but_age_does_not():
    assert parse_expression('a man in a blue shirt sitting on a bench').subject.size == 'short'
    assert parse_expression('a woman in red standing').subject.size == 'tall'
    assert parse_expression('a woman with a baby').subject.size is None


def test_verb_relations_where_the_boxes_say_something():
    parsed = parse_expression('man sitting on a bench')
    assert (parsed.relation, parsed.subject.what, parsed.subject.size) == ('on', 'man sitting on a bench', 'short')
    assert parse_expression('woman holding an umbrella').relation == 'holding'
    # a spatial relation comes first; a place after the verb is no object
    assert parse_expression('man holding a cup left of the car').relation == 'left of'
    assert parse_expression('soldier standing on the right').relation is None
    assert parse_expression('man looking at a dog').relation is None  # no geometry: left to CLIP
    # two horses (0 left, 1 right), a rider over each (2 on 0, 3 on 1)
    riders = [[0., 50., 60., 100.], [120., 50., 190., 100.], [20., 20., 50., 75.], [130., 20., 170., 75.]]
    assert _choice('person riding the left horse', riders) == 2
    assert _choice('person riding the right horse', riders) == 3
    # a small bag inside the left woman's box, a large one against the right woman's
    bags = [[10., 10., 60., 100.], [30., 50., 45., 65.], [120., 10., 170., 100.], [100., 40., 160., 100.]]
    assert _choice('woman holding the small bag', bags) == 0
    # an unidentified worn or carried thing: every box overlaps something, geometry says nothing (a held one:
    # tests/test_spatial_rules_round2.py)
    assert _choice('woman wearing a bag', bags) is None


def test_a_side_of_the_picture_without_preposition_is_a_location():
    for text, direction in (('standing girl in pink left of photo', 'left'),
                            ('bottomright of picture the space', 'right'), ('man right side of the image', 'right')):
        parsed = parse_expression(text)
        assert parsed.relation is None and direction in [e.direction for e in parsed.subject.extremes], text
    assert parse_expression('cup left of the plate').relation == 'left of'  # another object: a relation


def test_visibility_words_say_how_much_of_the_object_the_box_holds():
    boxes = [[0., 0., 100., 100.], [120., 40., 150., 70.], [160., 20., 200., 80.]]
    assert parse_expression('partially hidden giraffe').subject.size == 'small'
    assert _choice('giraffe cut off by the frame', boxes) == 1
    assert _choice('the whole pizza', boxes) == 0
    # a location word decides where there is one
    assert parse_expression('right half of the pizza').subject.size is None


def test_where_someone_sits_is_a_location_and_leftest_is_leftmost():
    assert [e.direction for e in parse_expression('woman sitting right').subject.extremes] == ['right']
    assert parse_expression('man sitting to the left of a woman').relation == 'left of'
    assert not parse_expression('man sitting up').subject.extremes  # a posture
    assert [e.direction for e in parse_expression('leftest man').subject.extremes] == ['left']
    assert [e.direction for e in parse_expression('rightest chair').subject.extremes] == ['right']


def test_depth_of_a_sized_phrase_is_read_from_the_ground_line():
    # both stand at the bottom edge: without a size word the larger box is the nearer one (the wider one: its mass
    # lies about as low, see front_closeness)
    boxes = [[10., 20., 38., 100.], [100., 10., 140., 100.]]  # sizes close: the size word decides gently
    assert _choice('person in front', boxes) == 1
    # "shortest" asks for the small one; depth may not count the size again, against it
    assert _choice('shortest person in front', boxes) == 0


def test_a_relation_to_the_subject_itself_says_nothing_about_where_it_is():
    # not as said: the relation is what the subject has; turned round (round five), where the subject is against it
    parsed = parse_expression('a couch with a table in front of it')
    assert parsed.relation == 'behind' and parsed.landmark.what == 'a table' and not parsed.subject.extremes
    assert parse_expression('a white car with two cats underneath it').relation == 'above'
    assert parse_expression('chair under her').relation == 'below'  # her: someone else


# a back row of three (high in the frame) and a front row of three (low), the front row's right box the largest
TWO_ROWS = [[20., 10., 50., 50.], [80., 10., 110., 50.], [140., 10., 170., 50.],
            [10., 55., 45., 100.], [75., 60., 105., 100.], [125., 35., 195., 100.]]


def test_a_depth_word_with_an_ordinal_names_the_row_counted_in():
    # counted along the front row from the right: the big box, then the one beside it
    assert _choice('second from the right in front', TWO_ROWS) == 4
    assert _choice('front person third from the left', TWO_ROWS) == 5
    assert _choice('second from left in the back', TWO_ROWS) == 1
    # without an ordinal "front" is still the single front-most object
    assert _choice('person in front', TWO_ROWS) == 5


# A: furthest left, half-way up (further back); B: left of the centre, at the bottom (near); C: right, at the top
GROUND = [[0., 40., 40., 60.], [70., 70., 100., 100.], [140., 0., 190., 40.]]


def test_a_side_and_a_depth_word_name_one_corner_of_the_ground():
    # one after the other, "left" would decide (A is furthest left); B is nearer the front-left corner
    assert _choice('front left chair', GROUND) == 1
    assert _choice('chair on the left in front', GROUND) == 1
    assert _choice('back left one', GROUND) == 0
    assert _choice('left chair', GROUND) == 0  # one side alone is still its extreme


def test_in_front_of_and_behind_are_along_the_line_of_sight():
    # a table (0) in the middle; a cup (1) behind it and overlapping it; a vase (2) off to the right, higher still;
    # a chair (3) in front of the table and overlapping it; a stool (4) to the left, lower still
    boxes = torch.tensor([[80., 40., 120., 60.], [90., 20., 110., 50.], [160., 10., 190., 40.],
                          [85., 50., 115., 90.], [0., 60., 30., 95.]])
    reasoner = SpatialReasoner()
    for text, expected in (('the thing behind the table', 1), ('the thing in front of the table', 3)):
        probs = reasoner(text, boxes, _table_first(len(boxes)), IMAGE_SIZE)
        assert int(probs.argmax()) == expected, text
    # beside the table only, depth still decides (a tenth of the weight, the same for every box)
    beside = torch.tensor([[80., 40., 120., 60.], [150., 20., 170., 50.], [0., 50., 30., 90.]])
    assert int(reasoner('the thing behind the table', beside, _table_first(3), IMAGE_SIZE).argmax()) == 1


def _table_first(num_boxes):
    """A similarity function under which "table" is box 0 and every other phrase matches every box."""
    def similarity_fn(phrases):
        return torch.tensor([[0.] + [-10.] * (num_boxes - 1) if 'table' in p else [0.] * num_boxes for p in phrases])
    return similarity_fn
