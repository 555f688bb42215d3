"""mmrec.evaluation.language_explain: the trace of the reasoner's factors, per box, for one expression."""
import torch

from mmrec.evaluation.language_explain import explain, format_explained, pick, wrong_answers
from mmrec.models.spatial_reasoning import SpatialReasoner

IMAGE_SIZE = (100, 200)  # height, width
# three boxes in a line: left, middle (the largest), right
BOXES = torch.tensor([[10., 40., 40., 70.], [80., 20., 140., 90.], [160., 40., 190., 70.]])


def test_trace_holds_every_factor_in_order_and_the_product_is_the_answer():
    item = explain(SpatialReasoner(), 'the big one on the left', BOXES, target=0, image_size=IMAGE_SIZE)
    labels = [label for label, _ in item.trace]
    assert labels == ['subject prior x clip', 'subject size large', 'subject left', 'subject probs']
    factors = dict(item.trace)
    expected = factors['subject prior x clip'] * factors['subject size large']
    expected = expected / expected.sum()
    expected = expected * factors['subject left']
    assert torch.allclose(factors['subject probs'], expected / expected.sum())
    assert item.chosen == int(factors['subject probs'].argmax())


def test_relation_and_landmark_factors_are_traced():
    item = explain(SpatialReasoner(), 'the one left of the rightmost one', BOXES, target=1, image_size=IMAGE_SIZE)
    labels = [label for label, _ in item.trace]
    assert 'landmark right' in labels and labels[-1] == 'relation left of'
    text = format_explained(item)
    assert "relation 'left of'" in text and 'landmark right' in text


def test_declined_expression_is_not_explained():
    assert explain(SpatialReasoner(), 'the red one', BOXES, target=0, image_size=IMAGE_SIZE) is None


def _sample(texts_and_targets):
    candidates = [dict(bbox=box, ann_id=index, category_id=1) for index, box in enumerate(BOXES.tolist())]
    expressions = [dict(text=text, ann_id=target, category_id=1, split='val') for text, target in texts_and_targets]
    return dict(height=IMAGE_SIZE[0], width=IMAGE_SIZE[1], expressions=expressions, candidates=candidates)


def test_wrong_answers_keeps_only_wrong_ones_of_the_cue_asked():
    samples = [_sample([('left one', 0), ('left one', 2), ('second from left', 0), ('red one', 1)])]
    assert [(i.text, i.target) for i in wrong_answers(samples)] == [('left one', 2), ('second from left', 0)]
    assert [i.text for i in wrong_answers(samples, cue='ordinal')] == ['second from left']
    marked = format_explained(next(wrong_answers(samples))).splitlines()
    assert marked[0].endswith('chosen 0, referred 2: WRONG')
    # box rows: index, then * (chosen) and R (referred) marks, then x1
    assert [line.split()[:2] for line in marked[3:6]] == [['0', '*'], ['1', '80'], ['2', 'R']]


def test_pick_first_or_seeded_sample():
    assert pick(range(10), 3) == [0, 1, 2]
    sampled = pick(range(10), 3, seed=1)
    assert sampled == pick(range(10), 3, seed=1) and len(set(sampled)) == 3 and set(sampled) <= set(range(10))
    assert sorted(pick(range(4), 9, seed=0)) == [0, 1, 2, 3]  # more asked than there are: all of them
