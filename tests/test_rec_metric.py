"""RECMetric and the IoU helpers against hand-computed values."""
import json
import pickle

import numpy as np
import pytest
import torch
from mmengine.dist import dist as mmengine_dist
from mmengine.evaluator import Evaluator
from mmengine.structures import InstanceData

from mmdet.registry import METRICS
from mmdet.structures import DetDataSample
from mmrec.evaluation import (RECMetric, accuracy_50_95, box_iou_matrix,
                              box_iou_pairwise)
from mmrec.evaluation.rec_metric import split_groups, split_metrics


def make_sample(img_id, expressions, pred_bboxes, candidates=None, scores=None):
    """A predicted DetDataSample in the layout of docs/design.md."""
    sample = DetDataSample(
        metainfo=dict(
            img_id=img_id,
            img_path=f'/data/{img_id}.jpg',
            texts=[expression['text'] for expression in expressions],
            expressions=expressions))
    if scores is None:
        scores = [0.9] * len(pred_bboxes)
    sample.pred_instances = InstanceData(
        bboxes=torch.tensor(pred_bboxes, dtype=torch.float32).reshape(-1, 4),
        scores=torch.tensor(scores, dtype=torch.float32))
    if candidates is not None:
        sample.candidates = InstanceData(
            bboxes=torch.tensor(candidates, dtype=torch.float32).reshape(-1, 4),
            scores=torch.ones(len(candidates)))
    return sample


def expression(sent_id, bbox, split='val', kind=None, text=None):
    return dict(
        text=text or f'expression {sent_id}',
        bbox=bbox,
        ref_id=100 + sent_id,
        sent_id=sent_id,
        ann_id=1000 + sent_id,
        category_id=1,
        split=split,
        kind=kind)


def two_image_samples():
    """IoUs 1, 0.5, 0 (val) and 0.75, 0.2 (testA); see the module tests."""
    val = make_sample(
        1, [
            expression(1, [0, 0, 10, 10], 'val', 'spatial'),
            expression(2, [0, 0, 10, 10], 'val', 'color'),
            expression(3, [20, 20, 40, 40], 'val', 'spatial'),
        ], [[0, 0, 10, 10], [0, 0, 10, 5], [0, 0, 10, 10]],
        candidates=[[0, 0, 10, 10], [100, 100, 110, 110]],
        scores=[0.9, 0.8, 0.7])
    test_a = make_sample(
        2, [
            expression(4, [0, 0, 20, 20], 'testA', 'color'),
            expression(5, [10, 10, 20, 20], 'testA', 'color'),
        ], [[0, 0, 20, 15], [10, 10, 20, 12]],
        candidates=[[0, 0, 20, 18]])
    return [val, test_a]


def evaluate(metric, samples):
    """Run the metric the way the test loop does (to_dict, collect, prefix)."""
    evaluator = Evaluator([metric])
    evaluator.process(data_samples=samples, data_batch=None)
    return evaluator.evaluate(len(samples))


# ----------------------------------------------------------------- IoU helpers
def test_box_iou_pairwise_exact_values():
    pred = [[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 4, 4]]
    gt = [[5, 0, 15, 10], [0, 0, 10, 10], [20, 20, 30, 30], [0, 0, 8, 8]]
    np.testing.assert_allclose(
        box_iou_pairwise(pred, gt), [50 / 150, 1.0, 0.0, 16 / 64])


def test_box_iou_degenerate_and_non_finite_boxes_give_zero():
    gt = [[0, 0, 10, 10]] * 4
    pred = [[3, 3, 3, 8], [8, 8, 2, 2], [np.nan, 0, 5, 5], [0, 0, 0, 0]]
    ious = box_iou_pairwise(pred, gt)
    assert np.isfinite(ious).all()
    np.testing.assert_array_equal(ious, np.zeros(4))
    # both boxes empty: union 0 -> 0, not NaN
    assert box_iou_pairwise([[1, 1, 1, 1]], [[1, 1, 1, 1]])[0] == 0.0


def test_box_iou_matrix_and_length_check():
    matrix = box_iou_matrix([[0, 0, 10, 10]], [[0, 0, 10, 10], [5, 0, 15, 10]])
    np.testing.assert_allclose(matrix, [[1.0, 1 / 3]])
    assert box_iou_matrix([[0, 0, 1, 1]], np.zeros((0, 4))).shape == (1, 0)
    with pytest.raises(ValueError, match='as many predictions'):
        box_iou_pairwise([[0, 0, 1, 1]], [[0, 0, 1, 1], [0, 0, 2, 2]])


def test_accuracy_50_95_counts_each_threshold():
    # 1.0 passes all 10 thresholds, 0.75 passes 0.5..0.75 (6), 0.5 passes 1
    assert accuracy_50_95(np.array([1.0, 0.75, 0.5])) == pytest.approx(17 / 30)


# ---------------------------------------------------------------------- metric
def test_registered_under_mmdet_metrics():
    assert METRICS.get('RECMetric') is RECMetric
    metric = METRICS.build(dict(type='RECMetric', iou_thr=0.5))
    assert metric.prefix == 'rec'


def test_metric_matches_hand_computed_values():
    metrics = evaluate(RECMetric(), two_image_samples())
    # overall IoUs: 1, 0.5, 0, 0.75, 0.2
    expected = {
        'rec/accuracy': 3 / 5,
        'rec/mean_iou': 2.45 / 5,
        'rec/accuracy_50_95': 17 / 50,
        'rec/upper_bound': 3 / 5,
        'rec/accuracy_spatial': 1 / 2,
        'rec/accuracy_color': 2 / 3,
        'rec/val/accuracy': 2 / 3,
        'rec/val/mean_iou': 1.5 / 3,
        'rec/val/accuracy_50_95': 11 / 30,
        'rec/val/upper_bound': 2 / 3,
        'rec/val/accuracy_spatial': 1 / 2,
        'rec/val/accuracy_color': 1.0,
        'rec/testA/accuracy': 1 / 2,
        'rec/testA/mean_iou': 0.95 / 2,
        'rec/testA/accuracy_50_95': 6 / 20,
        'rec/testA/upper_bound': 1 / 2,
        'rec/testA/accuracy_color': 1 / 2,
    }
    assert set(metrics) == set(expected)
    for key, value in expected.items():
        assert metrics[key] == pytest.approx(value), key


def test_iou_threshold_moves_accuracy_and_upper_bound():
    metrics = evaluate(RECMetric(iou_thr=0.7, prefix='custom'), two_image_samples())
    assert metrics['custom/accuracy'] == pytest.approx(2 / 5)  # IoU 1 and 0.75
    # candidates reach 1.0, 1.0 (expressions 1, 2) and 0.9 (expression 4)
    assert metrics['custom/upper_bound'] == pytest.approx(3 / 5)


def test_no_upper_bound_or_kind_keys_without_candidates_or_kinds():
    sample = make_sample(7, [expression(1, [0, 0, 10, 10], 'val')],
                         [[0, 0, 10, 10]])
    metrics = evaluate(RECMetric(), [sample])
    assert metrics == {
        'rec/accuracy': 1.0, 'rec/mean_iou': 1.0, 'rec/accuracy_50_95': 1.0,
        'rec/val/accuracy': 1.0, 'rec/val/mean_iou': 1.0,
        'rec/val/accuracy_50_95': 1.0
    }


def test_degenerate_prediction_counts_as_miss_not_nan():
    sample = make_sample(3, [
        expression(1, [0, 0, 10, 10]),
        expression(2, [0, 0, 10, 10]),
    ], [[5, 5, 5, 5], [0, 0, 10, 10]])
    metrics = evaluate(RECMetric(), [sample])
    assert metrics['rec/accuracy'] == pytest.approx(0.5)
    assert metrics['rec/mean_iou'] == pytest.approx(0.5)


def test_box_count_mismatch_names_the_image():
    sample = make_sample(42, [expression(1, [0, 0, 10, 10])],
                         [[0, 0, 10, 10], [1, 1, 5, 5]], scores=[0.5, 0.4])
    with pytest.raises(ValueError, match='img_id=42.*2 predicted boxes for 1'):
        RECMetric().process(None, [sample.to_dict()])


def test_missing_ground_truth_box_names_the_expression():
    broken = expression(9, None)
    sample = make_sample(5, [broken], [[0, 0, 1, 1]])
    with pytest.raises(ValueError, match='sent_id=9.*img_id=5'):
        RECMetric().process(None, [sample.to_dict()])


def test_empty_results_report_zeros():
    metrics = RECMetric().compute_metrics([])
    assert metrics == {'accuracy': 0.0, 'mean_iou': 0.0, 'accuracy_50_95': 0.0}


def test_dump_file_has_one_row_per_expression(tmp_path):
    dump_file = tmp_path / 'nested' / 'dir' / 'predictions.jsonl'
    evaluate(RECMetric(dump_file=str(dump_file)), two_image_samples())
    rows = [json.loads(line) for line in dump_file.read_text().splitlines()]
    assert [row['sent_id'] for row in rows] == [1, 2, 3, 4, 5]
    first, second = rows[0], rows[1]
    assert set(first) == {
        'img_id', 'ref_id', 'sent_id', 'ann_id', 'split', 'kind', 'text',
        'gt_bbox', 'pred_bbox', 'score', 'iou', 'correct', 'upper_bound_hit'
    }
    assert first['img_id'] == 1 and first['ref_id'] == 101
    assert first['ann_id'] == 1001 and first['split'] == 'val'
    assert first['kind'] == 'spatial' and first['text'] == 'expression 1'
    assert first['gt_bbox'] == [0, 0, 10, 10]
    assert second['pred_bbox'] == [0, 0, 10, 5]
    assert second['score'] == pytest.approx(0.8)
    assert second['iou'] == pytest.approx(0.5) and second['correct'] is True
    assert rows[2]['correct'] is False and rows[2]['upper_bound_hit'] is False
    assert rows[4]['iou'] == pytest.approx(0.2)


def test_distributed_collect_counts_every_expression_once(tmp_path, monkeypatch):
    """Two ranks, three images (2, 3 and 1 expressions), sampler padding.

    mmengine's DefaultSampler pads [0, 1, 2] to [0, 1, 2, 0] and gives rank 0
    images [0, 2] and rank 1 images [1, 0]. collect_results interleaves the
    parts and truncates to the dataset length (3): one result per image keeps
    all six expressions exactly once and drops the padded repeat of image 0.
    """
    images = [
        make_sample(10, [expression(1, [0, 0, 10, 10]),
                         expression(2, [0, 0, 10, 10])],
                    [[0, 0, 10, 10], [50, 50, 60, 60]]),
        make_sample(11, [expression(3, [0, 0, 10, 10]),
                         expression(4, [0, 0, 10, 10]),
                         expression(5, [0, 0, 10, 10])],
                    [[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10]]),
        make_sample(12, [expression(6, [0, 0, 10, 10])], [[0, 0, 10, 10]]),
    ]
    rank_indices = {0: [0, 2], 1: [1, 0]}
    rank_metrics = {}
    for rank, indices in rank_indices.items():
        rank_metrics[rank] = RECMetric(dump_file=str(tmp_path / 'rows.jsonl'))
        rank_metrics[rank].process(None, [images[i].to_dict() for i in indices])

    collect_dir = tmp_path / 'collect'
    collect_dir.mkdir()
    with open(collect_dir / 'part_1.pkl', 'wb') as stream:  # rank 1's part
        pickle.dump(rank_metrics[1].results, stream)
    monkeypatch.setattr(mmengine_dist, 'get_dist_info', lambda: (0, 2))
    collected = mmengine_dist.collect_results_cpu(
        rank_metrics[0].results, size=len(images), tmpdir=str(collect_dir))

    metrics = rank_metrics[0].compute_metrics(collected)
    rows = [json.loads(line)
            for line in (tmp_path / 'rows.jsonl').read_text().splitlines()]
    assert sorted(row['sent_id'] for row in rows) == [1, 2, 3, 4, 5, 6]
    assert metrics['accuracy'] == pytest.approx(5 / 6)


def test_split_groups_are_key_safe_in_first_seen_order_and_summarised_each():
    """The per-split grouping both REC metrics use: a split seen twice is one group, a row without a split is in
    none, a name with '/' or a space becomes one metric key part."""
    rows = [dict(split='testB', x=1.0), dict(split=None, x=9.0), dict(split='val/2 a', x=2.0),
            dict(split='testB', x=3.0), dict(x=9.0)]
    groups = split_groups(rows)
    assert list(groups) == ['testB', 'val_2_a']
    assert [row['x'] for row in groups['testB']] == [1.0, 3.0]
    metrics = split_metrics(groups, lambda group: dict(mean=sum(row['x'] for row in group) / len(group),
                                                       count=len(group)))
    assert metrics == {'testB/mean': 2.0, 'testB/count': 2, 'val_2_a/mean': 2.0, 'val_2_a/count': 1}
