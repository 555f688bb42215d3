"""Relation and ordinal rules of the spatial reasoner added in round eight of real RefCOCO language (issue 21):
each with small hand-made boxes where the rule decides, and a case where it must not apply."""
from mmrec.models.spatial_reasoning import parse_expression
from spatial_choice import geometry_choice as _choice

# a man on the left, clear of the others and near the camera; a far box partly hidden by a near one on the right
_BEHIND_BOXES = [[5., 30., 45., 95.], [60., 10., 110., 60.], [70., 20., 130., 95.]]


def test_behind_an_unidentified_landmark_does_not_outweigh_the_subjects_own_location():
    # the subject places itself on the left; "behind the car" names no car the geometry can find, and some box is
    # behind some other wherever boxes overlap, so the man on the left is the leftmost box
    for text in ('man on the left behind the car', 'leftmost man behind the car'):
        assert _choice(text, _BEHIND_BOXES) == 0, text


def test_behind_still_decides_for_a_subject_without_location_words():
    # nothing else places the man: he is the box hidden behind another
    assert _choice('man behind the car', _BEHIND_BOXES) == 1


def test_a_landmarks_own_relation_is_no_location_of_the_landmark():
    # "beer behind plate": the beer is the landmark, "behind plate" says where it is, not that it is the back-most box
    for text in ('wood table next to beer behind plate', 'chair next to table behind cats head',
                 'a man beside a truck with two men standing in front of him'):
        parsed = parse_expression(text)
        assert parsed.relation == 'next to' and not parsed.landmark.extremes, text
    parsed = parse_expression('wood table next to beer behind plate')
    assert parsed.landmark.what == 'beer plate'  # what CLIP reads is as before
    # next to a landmark that nothing identifies: left to CLIP (read as "the back beer", a neighbour of the top box)
    boxes = [[10., 5., 60., 30.], [70., 5., 120., 30.], [10., 50., 190., 95.]]
    assert _choice('wood table next to beer behind plate', boxes) is None


def test_a_landmarks_own_location_words_stay_its_own():
    # location words before the landmark's own relation still place the landmark
    parsed = parse_expression('man next to the back dog behind the cat')
    assert parsed.relation == 'next to' and [e.direction for e in parsed.landmark.extremes] == ['back']
    parsed = parse_expression('man next to the left dog')
    assert [e.direction for e in parsed.landmark.extremes] == ['left']
