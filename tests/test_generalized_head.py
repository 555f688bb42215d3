"""Generalised REC in method 1's head (``generalized_score_thr``): every proposal whose blended score reaches the
threshold answers the expression, or none does; the one-box answer stays the default. Test doubles as in
``test_text_conditioned_head`` (``MeanColorEncoder``: a crop embeds to its mean colour, a text to its colour word)."""
import pytest
import torch

from mmrec.engine.sweep.grid import load_points
from mmrec.evaluation import GRECMetric
from mmrec.models.method1.text_conditioned_rcnn import TextConditionedRCNN
from mmrec.models.method2.rec_detector import RECDetector
from test_text_conditioned_head import BLUE, RED, box_iou, build_head, make_image, predict

# 60 x 120: two red squares (left and right) and a blue one between them
SCENE = make_image(60, 120, [(RED, (5, 20, 25, 40)), (BLUE, (50, 20, 70, 40)), (RED, (95, 20, 115, 40))])
PROPOSALS = [[5, 20, 25, 40], [50, 20, 70, 40], [95, 20, 115, 40]]
OBJECTNESS = [0.2, 0.3, 0.5]


def test_the_exact_threshold_is_kept_and_the_next_float_above_it_is_not():
    # clip_weight 0: the scores are the objectness distribution, the same for every expression
    distribution = torch.tensor(OBJECTNESS) / torch.tensor(OBJECTNESS).sum()
    threshold = float(distribution[1])
    answers, _ = predict(build_head(blend=dict(clip_weight=0.0), generalized_score_thr=threshold), SCENE,
                         PROPOSALS, OBJECTNESS, ['red', 'blue'])
    assert answers.expression_index.tolist() == [0, 0, 1, 1]
    assert answers.bboxes.tolist() == [PROPOSALS[2], PROPOSALS[1]] * 2  # by score, highest first
    assert answers.scores.tolist() == [distribution[2].item(), threshold] * 2
    above = torch.nextafter(distribution[1], torch.tensor(1.0)).item()
    answers, _ = predict(build_head(blend=dict(clip_weight=0.0), generalized_score_thr=above), SCENE,
                         PROPOSALS, OBJECTNESS, ['red', 'blue'])
    assert answers.expression_index.tolist() == [0, 1] and answers.bboxes.tolist() == [PROPOSALS[2]] * 2


def test_several_boxes_one_or_none_and_none_is_counted_by_n_acc():
    head = build_head(blend=dict(clip_weight=1.0), prompt_scorer=dict(temperature=0.05), generalized_score_thr=0.4)
    texts = ['red', 'blue', 'green', '']
    answers, candidates = predict(head, SCENE, PROPOSALS, OBJECTNESS, texts)
    assert len(candidates) == 3
    # 'red': both red squares (about half the CLIP mass each); 'blue': its square; 'green' fits no square
    # (a third of the mass each, below 0.4); an expression without words gets no box
    assert answers.expression_index.tolist() == [0, 0, 1]
    assert sorted(answers.bboxes[:2].tolist()) == [PROPOSALS[0], PROPOSALS[2]]
    assert answers.bboxes[2].tolist() == PROPOSALS[1]
    assert (answers.scores >= 0.4).all() and not answers.reasoned.any()
    sample = dict(img_id=1, expressions=[dict(text='red', bboxes=[PROPOSALS[0], PROPOSALS[2]]),
                                         dict(text='blue', bboxes=[PROPOSALS[1]]),
                                         dict(text='green', bboxes=[]), dict(text='', bboxes=[])],
                  pred_instances=dict(bboxes=answers.bboxes, scores=answers.scores,
                                      expression_index=answers.expression_index))
    metric = GRECMetric(score_thr=0.0)
    metric.process({}, [sample])
    result = metric.compute_metrics(metric.results)
    assert result['pr_f1'] == 1.0 and result['n_acc'] == 1.0 and result['no_target_count'] == 2
    # the default is one box per expression, whatever its score
    one_box, _ = predict(build_head(blend=dict(clip_weight=1.0), prompt_scorer=dict(temperature=0.05)), SCENE,
                         PROPOSALS, OBJECTNESS, texts)
    assert 'expression_index' not in one_box and len(one_box) == len(texts)


def test_kept_boxes_are_refined_by_the_local_search_against_their_own_expression():
    shifted = [[9, 24, 29, 44], [50, 20, 70, 40], [91, 16, 111, 36]]  # the red squares, 4 px off
    head = build_head(blend=dict(clip_weight=1.0), prompt_scorer=dict(temperature=0.05),
                      local_search=dict(enable=True), generalized_score_thr=0.3)
    answers, candidates = predict(head, SCENE, shifted, OBJECTNESS, ['red'])
    assert answers.expression_index.tolist() == [0, 0]
    assert candidates.bboxes.tolist() == shifted  # the candidates stay as proposed
    for truth in (PROPOSALS[0], PROPOSALS[2]):
        before = max(box_iou(torch.tensor(box, dtype=torch.float), torch.tensor(truth, dtype=torch.float))
                     for box in shifted)
        after = max(box_iou(box, torch.tensor(truth, dtype=torch.float)) for box in answers.bboxes)
        assert after > before + 0.05


def test_no_proposals_make_the_whole_image_the_one_candidate_scored_zero():
    nothing = torch.zeros(0, 4).tolist()
    answers, candidates = predict(build_head(generalized_score_thr=0.0), SCENE, nothing, [], ['red', 'blue'])
    assert answers.expression_index.tolist() == [0, 1] and answers.bboxes.tolist() == [[0, 0, 120, 60]] * 2
    answers, _ = predict(build_head(generalized_score_thr=0.1), SCENE, nothing, [], ['red', 'blue'])
    assert len(answers) == 0 and answers.bboxes.shape == (0, 4)


@pytest.mark.parametrize('config, key', [
    ('configs/quickstart/method1_tiny-clip_r18-tiny_fpn_ft_synthetic.py', 'model.roi_head.bbox_head'),
    ('configs/quickstart/method2_tiny-clip_r18-tiny_fpn_synthetic.py', 'model.scorer')])
def test_a_sweep_varies_the_threshold_of_either_method_without_running_the_detector_again(config, key):
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    points, keys = load_points(cfg, [f'{key}.generalized_score_thr=0.25,0.5'], False)
    assert [point[f'{key}.generalized_score_thr'] for point in points] == [0.25, 0.5]
    detector = TextConditionedRCNN if key.startswith('model.roi_head') else RECDetector
    setting = f"{key[len('model.'):]}.generalized_score_thr"
    # a scoring setting (under a CACHE_SCORING_KEYS key): one detector pass serves every threshold
    assert any(setting == k or setting.startswith(k + '.') for k in detector.CACHE_SCORING_KEYS)
    assert 'generalized_score_thr' in detector.TEXT_INDEPENDENT_KEYS  # the points share their text embeddings
