"""Rules of the spatial reasoner added in round eight of real RefCOCO language (issue 21): each with small
hand-made boxes where the rule decides, and a case where it must not apply."""
from mmrec.models.spatial_reasoning import parse_expression
from spatial_choice import geometry_choice as _choice


def test_half_of_names_a_piece_not_how_much_of_it_shows():
    # two sandwich halves, the second a little smaller: "half of a sandwich" says which piece is meant, not that it
    # is the smaller one; without other words it is left to CLIP
    boxes = [[10., 10., 90., 90.], [110., 20., 180., 85.]]
    for text in ('half of a sliced sandwich', 'a half of a sandwich with a bite taken out',
                 'the half of the sandwich'):
        assert _choice(text, boxes) is None, text
        assert not parse_expression(text).subject.size, text
    # how much of an object shows stays a size: the half visible cow is the smaller box
    for text in ('a cow that is only half visible', 'half hidden cow', 'sandwich half', 'half of a man',
                 'only half of the cow is visible'):
        assert _choice(text, boxes) == 1, text
    # a location word in a partitive still places the piece
    assert _choice('half of the sandwich on the right', boxes) == 1
