"""Rules of the spatial reasoner for relations and verbs, added in round five of real RefCOCO language (issue 21):
each with small hand-made boxes where the rule decides, and a case where it must not apply."""
from mmrec.models.spatial_reasoning import parse_expression
from spatial_choice import geometry_choice as _choice


def test_a_seat_named_by_a_pronoun_is_the_object_under_its_sitter():
    # a person (0) sitting on a bench (1), her box rising above it; a second bench (2) with nothing on it
    boxes = [[20., 10., 60., 70.], [10., 50., 80., 80.], [120., 50., 190., 80.]]
    for text in ('a bench with a woman sitting on it', 'she is sitting on it', 'horse with girl riding it'):
        parsed = parse_expression(text)
        assert parsed.relation == 'bearing' and parsed.subject.size is None, text  # "sitting" is not the seat's
        assert _choice(text, boxes) == 1, text
    # the seat's own location words stay the seat's: of two occupied chairs, the one on the right
    two = boxes[:2] + [[130., 10., 170., 70.], [120., 50., 190., 80.]]
    assert _choice('chair on right man with white shirt sitting in it', two) == 3
    # an empty seat is under nothing
    assert parse_expression('a chair with no one sitting in it').relation is None
    # not a pronoun: the sitter is the subject ("sitting on" a named seat)
    parsed = parse_expression('woman sitting on a bench')
    assert parsed.relation == 'on' and parsed.subject.size == 'short'


def test_a_negated_relation_says_nothing_of_where_the_subject_is():
    # a boy (0) behind a net (1), another boy (2) off to the side: "not behind" singles out no box by geometry
    boxes = [[20., 10., 60., 60.], [10., 20., 80., 90.], [120., 10., 160., 90.]]
    for text in ('boy not behind netting', 'man not holding beer', 'a burger that is not next to the white bowl'):
        parsed = parse_expression(text)
        assert parsed.relation is None and parsed.subject.what.endswith(text.split()[-1]), text  # CLIP reads all
        assert _choice(text, boxes) is None, text
    # the subject's own location words still apply
    assert _choice('the boy on the right that is not behind the net', boxes) == 2
    # without the negation the relation stands
    assert parse_expression('boy behind netting').relation == 'behind'
    assert _choice('boy behind netting', boxes) == 0


def test_near_a_corner_of_the_picture_is_a_location_not_a_landmark():
    # pants top right (0), a person in the middle (1), a bench bottom left (2)
    boxes = [[160., 0., 190., 30.], [80., 30., 120., 70.], [0., 70., 60., 100.]]
    for text in ('black pants near upper right corner', 'a green bench closest to the top right corner'):
        parsed = parse_expression(text)
        assert parsed.relation is None and {e.direction for e in parsed.subject.extremes} == {'top', 'right'}, text
    assert _choice('black pants near upper right corner', boxes) == 0
    assert _choice('bench near the lower left corner', boxes) == 2
    # a location word before a noun names the landmark: "next to the upper right dog" stays a relation
    parsed = parse_expression('cat next to the upper right dog')
    assert parsed.relation == 'next to' and {e.direction for e in parsed.landmark.extremes} == {'top', 'right'}


def test_what_the_subject_has_in_a_relation_to_it_says_where_the_subject_is_turned_round():
    # a giraffe (0) high in the picture, a calf (1) under it, a tree (2) off to the right at the bottom
    boxes = [[20., 0., 80., 50.], [30., 55., 60., 95.], [140., 60., 190., 100.]]
    parsed = parse_expression('a tan giraffe with a small giraffe under it')
    assert parsed.relation == 'above' and parsed.landmark.what == 'a giraffe'
    assert _choice('a tan giraffe with a small giraffe under it', boxes) == 0
    # the last "with" names what is in the relation: "a man with a blue shirt with his dogs in front of him"
    parsed = parse_expression('a man with a blue shirt with his two dogs in front of him')
    assert parsed.relation == 'behind' and parsed.landmark.what == 'his two dogs'
    # nothing there: no relation ("a chair with nothing in front of it")
    assert parse_expression('wooden chair with nothing in front of it').relation is None
    # a landmark that is not the subject keeps the relation as said ("chair under her")
    assert parse_expression('chair under her').relation == 'below'


def test_a_thing_held_by_someone_lies_within_its_holders_box():
    # a man (0) with a racket (1) inside his box; a second racket (2) on the ground, off to the side
    boxes = [[20., 10., 70., 100.], [50., 30., 68., 55.], [120., 85., 150., 100.]]
    parsed = parse_expression('a tennis racket held by a bearded man')
    assert parsed.relation == 'held' and parsed.landmark.what == 'a bearded man'
    assert _choice('a tennis racket held by a bearded man', boxes) == 1
    assert _choice('skis being worn by a woman in a pink jacket', boxes) == 1
    # the active verb is the holder's: "man holding a racket"
    assert _choice('man holding a racket', boxes) == 0
    # "by" alone is no holding ("racket by the fence")
    assert parse_expression('racket by the fence').relation is None
