"""Relation and ordinal rules of the spatial reasoner added in round eight of real RefCOCO language (issue 21):
each with small hand-made boxes where the rule decides, and a case where it must not apply."""
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
