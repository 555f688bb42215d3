"""Depth rules of the spatial reasoner added in round five of real RefCOCO language (issue 21): each with small
hand-made boxes (or parses) where the rule decides, and a case where it must not apply."""
from mmrec.models.spatial_reasoning import parse_expression
from spatial_choice import geometry_choice as _choice


def _directions(text):
    parsed = parse_expression(text)
    return sorted(e.direction for phrase in parsed.phrases for e in phrase.extremes)


def test_far_before_a_side_intensifies_the_side():
    # "far bottom right" is the very corner, "far right side" the very right: no depth word
    assert _directions('far bottom right donut') == ['bottom', 'right']
    assert _directions('far right side orange') == ['right']
    assert _directions('the cow on the far right of the herd') == []  # a relation "right of" the herd
    assert parse_expression('the cow on the far right of the herd').relation == 'right of'
    # "far" alone, or before no side, is depth
    for text in ('far zebra', 'the far end of the table', 'bird far away', 'far back girl'):
        assert _directions(text) == ['back'], text


# a group photo: a seated front row (tops low, cut by the bottom of the frame), a standing back row behind it (its
# feet hidden by the front row) and one standing person at the far left whose box also reaches the frame's bottom
GROUP = [[0., 20., 30., 100.],  # 0 standing at the side
         [40., 55., 70., 100.], [80., 55., 110., 100.], [120., 55., 150., 100.],  # 1-3 seated front row
         [50., 20., 80., 60.], [100., 20., 130., 60.]]  # 4-5 back row


def test_a_named_lower_row_is_told_apart_by_top_edges():
    # the standing person reaches the frame's bottom as the front row does, but stands head and shoulders above it
    assert _choice('front row far left', GROUP) == 1
    assert _choice('bottom row second from left', GROUP) == 2
    # the top row keeps its rule: tops higher by half a box (the standing person's top is level with the back row)
    assert _choice('back row on the right', GROUP) == 5


def test_a_depth_row_counted_across_is_still_read_from_ground_lines():
    # objects on one ground line (a tall bottle, two cups) in front of two cups further back: "in front" with an
    # ordinal counts along the ground line, where the tall bottle stands, whatever the height of its top
    table = [[10., 10., 30., 80.], [40., 60., 60., 80.], [70., 60., 90., 80.],  # 0 bottle, 1-2 cups in front
             [20., 20., 40., 40.], [50., 20., 70., 40.]]  # 3-4 cups further back
    assert _choice('second from the left in front', table) == 1


def test_a_posture_word_before_a_relation_is_its_verb_not_a_height():
    # "standing behind X" says where the subject stands, not that it is the tallest
    assert parse_expression('man standing behind the woman').subject.size is None
    assert parse_expression('a couch sitting in front of a red rug').subject.size is None
    assert parse_expression('guy sitting next to the lady').subject.size is None
    # a tall person just behind a table's front edge and a shorter one further behind it: the relation decides
    # (read as "tall", the posture word picked the tall one)
    boxes = [[40., 5., 60., 75.], [70., 30., 85., 60.], [35., 55., 90., 80.]]
    assert _choice('person standing behind the table', boxes) == 1
    # a posture word elsewhere still says how high the subject reaches, and so does an age word before the verb
    assert parse_expression('the standing man behind the woman').subject.size == 'tall'
    assert parse_expression('man sitting').subject.size == 'short'
    assert parse_expression('baby elephant standing next to its mother').subject.size == 'short'


def test_the_front_or_back_of_the_picture_is_no_landmark():
    for text in ('black chair at front of photo', 'hand foreground of screen', 'the chair at the front of the image'):
        parsed = parse_expression(text)
        assert parsed.relation is None and _directions(text) == ['front'], text
    assert parse_expression('bed at the back of the photo').relation is None
    assert _directions('bed at the back of the photo') == ['back']
    # the front of a thing is still a part of it, or a relation to it
    assert parse_expression('the man in front of the bus').relation == 'in front of'


def test_a_back_toward_the_viewer_is_no_depth():
    assert _directions('a man with no hat , with his back toward the camera') == []
    assert _directions('man walking toward the left') == []


def test_the_front_one_is_ordered_by_where_its_box_lies_not_by_its_bottom_edge_alone():
    # both boxes end at the bottom of the frame: a person standing a little further back (tall) and a nearer one cut
    # by the frame (only the upper half shows); the nearer one's box lies lower
    cut = [[10., 0., 40., 100.], [100., 50., 150., 100.]]
    assert _choice('person in front', cut) == 1
    assert _choice('closest person', cut) == 1
    # the back one keeps the ground line: the box ending higher is further back, however its centre lies
    far = [[10., 0., 20., 60.], [100., 30., 130., 55.]]
    assert _choice('the one in the back', far) == 1


def test_a_negated_depth_word_is_no_cue():
    for text in ('wine glass not the closest', 'pizza that isnt close to us', 'not closer man walking toward us'):
        parsed = parse_expression(text)
        assert _directions(text) == [] and not parsed.is_spatial, text
    assert parse_expression('wine glass not the closest').subject.what == 'wine glass not the closest'  # CLIP
    assert parse_expression('boy not behind netting').relation is None
    # without the negation the words are depth as before
    assert _directions('the closest wine glass') == ['front']
    assert parse_expression('boy behind netting').relation == 'behind'


def test_a_back_turned_to_the_viewer_is_no_depth_however_it_is_said():
    for text in ('woman with back to u', 'chef with back turn to us', 'man whos back is completely turn',
                 'chair with back fully facing viewer'):
        assert _directions(text) == [], text
    assert _directions('pizza close to u') == ['front']  # "u" is the viewer
    assert _directions('woman in the back') == ['back']


def test_an_ordinal_before_a_depth_superlative_counts_from_that_end():
    assert [(e.direction, e.rank) for e in parse_expression('third farthest umbrella').subject.extremes] == [
        ('back', 3)]
    assert [(e.direction, e.rank) for e in parse_expression('next closest guy').subject.extremes] == [('front', 2)]
    # three people one behind the other, side by side: the second closest is the middle one, not the second from
    # the left
    depth = [[10., 50., 40., 98.], [60., 30., 80., 60.], [100., 15., 112., 35.]]
    assert _choice('the second closest person', depth) == 1
    assert _choice('second farthest person', depth) == 1
    assert _choice('the closest person', depth) == 0
    # an ordinal with its own side keeps it
    assert [(e.direction, e.rank) for e in parse_expression('second from the left closest').subject.extremes] == [
        ('left', 2), ('front', None)]
