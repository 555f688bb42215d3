"""Rules of the spatial reasoner added in round six of real RefCOCO language (issue 21), from the wrong answers
of the geometry-only val: each with small hand-made boxes where the rule decides, and a case where it must not
apply."""
import torch

from mmrec.models.spatial_reasoning import SpatialReasoner, parse_expression
from spatial_choice import IMAGE_SIZE, geometry_choice as _choice


def test_a_relation_to_scenery_leaves_the_subject_its_own_words():
    # two players seen through a fence that is no candidate: one on the left standing further back (0), one on the
    # right nearer (1), overlapping across the image
    boxes = [[60., 10., 120., 60.], [100., 30., 160., 90.]]
    for text in ('player on right behind fence', 'person sitting behind green pole on right',
                 'cow to the left of the tree on right', 'white chaise under window on the right'):
        parsed = parse_expression(text)
        assert parsed.relation is None and parsed.subject.extremes, text
        assert parsed.subject.what.split()[-1] == text.split()[-1], text  # CLIP still reads the whole expression
        assert _choice(text, boxes) == 1, text
    # without words of its own the subject is not located by a relation to scenery: CLIP decides
    assert _choice('couch in front of window', boxes) is None
    # "behind" a fence or a tree with nothing else said: hidden by what is nearer, the further one
    assert parse_expression('animal behind fence').relation == 'behind'
    assert _choice('animal behind fence', boxes) == 0
    # a landmark that can be a candidate keeps the relation
    parsed = parse_expression('player on right behind the catcher')
    assert parsed.relation == 'behind' and parsed.landmark.what == 'the catcher'
    # a posture verb before the relation says where the subject stands, not how high it reaches
    assert parse_expression('a giraffe stands near his fence').subject.size is None
    # the landmark's own noun decides, not a noun after its preposition ("a tv next to a door" is a tv)
    assert parse_expression('a futon next to a tv right next to a glass door').relation == 'next to'
    # a verb's object is left alone ("sitting on the floor" keeps its posture and its relation)
    parsed = parse_expression('woman sitting on floor')
    assert parsed.relation == 'on' and parsed.subject.size == 'short'


def test_a_back_said_to_be_someones_is_the_body_part_not_the_far_side():
    for text in ('mans back walking away', 'womans back', 'guy who you can only see his back', "zebra ' s back",
                 "the man's back"):
        parsed = parse_expression(text)
        assert not parsed.is_spatial, text
        assert parsed.subject.what.split()[-1] in ('back', 'away'), text  # CLIP still reads "back"
    # another location word of the phrase still applies: of two men seen from behind, the left one
    boxes = [[10., 10., 60., 90.], [120., 40., 170., 70.]]
    assert _choice('guys back on the left', boxes) == 0
    # a back turned to the viewer is a facing direction; "in the back" and "back of his head" stay as they were
    assert not parse_expression('person with his back to the camera').is_spatial
    assert parse_expression('man in the back').subject.extremes[0].direction == 'back'
    assert parse_expression('back of mans head').subject.extremes[0].direction == 'back'


def test_size_posture_and_age_words_after_a_negation_say_what_the_object_is_not():
    for text in ('man not jumping', 'the full vase not the half', 'not the tallest suitcase', 'not standing',
                 'guy in black not jumping'):
        parsed = parse_expression(text)
        assert parsed.subject.size is None and not parsed.is_spatial, text
        assert parsed.subject.what.endswith(text.split()[-1]), text  # CLIP still reads the denied words
    # what comes before the negation still counts: the standing man (0) of a standing and a sitting one (1)
    boxes = [[20., 10., 60., 90.], [120., 50., 160., 90.]]
    assert parse_expression('old man standing not sitting').subject.size == 'tall'
    assert _choice('old man standing not sitting', boxes) == 0
    assert parse_expression('darker brown bigger case not the small one').subject.size == 'large'
    assert _choice('far right man not smaller one', boxes + [[170., 40., 180., 60.]]) == 2  # the far right one
    # no negation: as before
    assert parse_expression('man sitting').subject.size == 'short'
    assert parse_expression('a little boy wearing a big hat').subject.size == 'short'


def test_the_first_with_no_side_named_is_the_nearest():
    # three pizzas: the leftmost further back (0), one in front (1), one on the right further back (2)
    boxes = [[10., 20., 60., 50.], [70., 60., 140., 100.], [150., 20., 190., 50.]]
    parsed = parse_expression('first pizza')
    assert parsed.subject.extremes[0].direction == 'front' and parsed.subject.what == 'pizza'
    assert _choice('first pizza', boxes) == 1
    # a named side is counted from: "first pizza on the left", "first from right"
    assert _choice('first pizza on the left', boxes) == 0
    assert _choice('first one from right', boxes) == 2
    # "second", "third" still count in reading order, "last" from the right
    assert parse_expression('second pizza').subject.extremes[0].direction == 'left'
    assert parse_expression('last pizza').subject.extremes[0].direction == 'right'


def test_the_back_of_a_seat_is_its_part_not_the_far_side():
    for text in ('back of her chair', 'the back of a chair without cushions', 'a seat back behind a baby'):
        parsed = parse_expression(text)
        assert all(e.direction != 'back' for p in parsed.phrases for e in p.extremes), text
        assert 'back' in parsed.subject.what.split(), text  # CLIP reads it
    # the seat's other location words decide: of two chairs, the one in front (1) for "seat back in front"
    boxes = [[20., 10., 60., 40.], [100., 50., 150., 95.]]
    assert _choice('couch back on the left', boxes) == 0
    assert _choice('chair back in front', boxes) == 1
    # "in back", "back couch", "back row" stay where they are
    assert parse_expression('couch in back').subject.extremes[0].direction == 'back'
    assert parse_expression('back couch').subject.extremes[0].direction == 'back'
    assert parse_expression('chair back row').subject.extremes[0].row


def test_a_holder_placed_by_its_own_words_is_not_outweighed_by_an_unidentified_held_thing():
    # a man on the left (0) holding a small thing (1) within his box, a woman on the right (2) holding nothing
    # among the boxes
    boxes = [[10., 10., 60., 90.], [30., 40., 45., 55.], [130., 10., 180., 90.]]
    assert _choice('woman holding mic on right', boxes) == 2
    assert _choice('leftmost person holding something', boxes) == 0
    # without location words the holder is the box that holds a candidate
    assert _choice('person holding something', boxes) == 0
    # an identified held thing still decides: CLIP names box 1 as the mic, which lies within box 0
    probs = SpatialReasoner()('person holding mic on right', torch.tensor(boxes),
                              lambda phrases: torch.tensor([[0., 0., 0.], [0., 9., 0.]][:len(phrases)]), IMAGE_SIZE)
    assert int(probs.argmax()) == 0
