"""Generalised REC in method 2's scorer (``generalized_score_thr``): every candidate at or above the threshold,
or none, with the mean-colour encoder's known answers; and ``answers_above`` itself."""
import numpy as np
import pytest
import torch

from mmrec.evaluation import GRECMetric
from mmrec.models.scoring.generalized_answers import answers_above
from test_proposal_scorer import detections, make_scorer, scene  # noqa: F401 (fixture)


def test_answers_above_orders_by_expression_then_score_and_keeps_the_exact_threshold():
    scores = torch.tensor([[0.2, 0.9, 0.5],
                           [0.7, 0.5, 0.6],
                           [0.7, 0.1, 0.9]])  # (K=3 candidates, N=3 expressions)
    boxes = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    answers = answers_above(scores, boxes, 0.5, torch.tensor([False, True, False]),
                            torch.tensor([True, True, False]))
    assert answers.expression_index.tolist() == [0, 0, 1, 1]  # expression 2 has no words: no answer
    assert answers.scores.tolist() == pytest.approx([0.7, 0.7, 0.9, 0.5])  # 0.5 is kept (>=)
    assert answers.bboxes.tolist() == [boxes[1].tolist(), boxes[2].tolist(), boxes[0].tolist(), boxes[1].tolist()]
    assert answers.reasoned.tolist() == [False, False, True, True]
    none = answers_above(scores, boxes, 0.95, torch.zeros(3, dtype=torch.bool), torch.ones(3, dtype=torch.bool))
    assert len(none) == 0 and none.bboxes.shape == (0, 4)


def test_scorer_returns_every_box_above_the_threshold_or_none(scene):  # noqa: F811
    view, meta, boxes = scene
    texts = ['red', 'blue', 'something purple-ish']
    one_box, _ = make_scorer()(view, detections(boxes), texts, meta)
    threshold = float(one_box.scores[:2].min()) - 1e-4  # red's and blue's own cosines pass
    scorer = make_scorer(generalized_score_thr=threshold)
    answers, candidates = scorer(view, detections(boxes), texts, meta)
    assert len(candidates) == 3
    # red and blue are each answered by their own square only; the third expression matches no colour (cosine 0)
    assert answers.expression_index.tolist() == [0, 1]
    np.testing.assert_allclose(answers.bboxes.numpy(), np.stack([boxes['red'], boxes['blue']]))
    assert (answers.scores.numpy() >= threshold).all()
    everything = make_scorer(generalized_score_thr=-1.0)(view, detections(boxes), texts, meta)[0]
    assert everything.expression_index.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]  # cosines are >= -1
    strict = make_scorer(generalized_score_thr=1.01)(view, detections(boxes), texts, meta)[0]
    assert len(strict) == 0  # cosines never reach 1.01: every expression answered by nothing
    # the layout GRECMetric reads: red and blue found, the third expression "refers to nothing"
    sample = dict(img_id=7, expressions=[dict(text='red', bboxes=[boxes['red'].tolist()]),
                                         dict(text='blue', bboxes=[boxes['blue'].tolist()]),
                                         dict(text='purple', bboxes=[])],
                  pred_instances=dict(bboxes=answers.bboxes, scores=answers.scores,
                                      expression_index=answers.expression_index))
    metric = GRECMetric(score_thr=threshold)
    metric.process({}, [sample])
    result = metric.compute_metrics(metric.results)
    assert result['pr_f1'] == 1.0 and result['n_acc'] == 1.0 and result['t_acc'] == 1.0
