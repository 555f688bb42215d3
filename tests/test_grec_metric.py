"""GRECMetric: gRefCOCO's Precision@(F1=1, IoU>=0.5), N-acc and T-acc by hand, at the exact thresholds, and
against mmdet 3.3's gRefCOCOMetric on the same predictions (equal on single- and no-target expressions; on
several targets mmdet reads the first one only, which is why mmrec has its own)."""
import json

import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

import mmrec  # noqa: F401
from mmdet.evaluation.metrics import gRefCOCOMetric
from mmdet.structures import DetDataSample
from mmrec.evaluation import GRECMetric
from mmrec.evaluation.grec_metric import giou_matrix, greedy_true_positives

A, B = [0.0, 0.0, 10.0, 10.0], [20.0, 20.0, 30.0, 30.0]
HALF_A = [0.0, 0.0, 5.0, 10.0]  # IoU with A exactly 0.5


def _sample(expressions, boxes, scores, index=None, img_id=1):
    sample = DetDataSample(metainfo=dict(img_id=img_id, img_path=f'{img_id}.jpg', expressions=expressions))
    fields = dict(bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
                  scores=torch.tensor(scores, dtype=torch.float32))
    if index is not None:
        fields['expression_index'] = torch.tensor(index, dtype=torch.long)
    sample.pred_instances = InstanceData(**fields)
    return sample.to_dict()


def _run(samples, **kwargs):
    metric = GRECMetric(**kwargs)
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def test_hand_computed_several_one_and_no_targets():
    expressions = [dict(text='both', bboxes=[A, B], split='val'),      # both found: F1 = 1
                   dict(text='both again', bboxes=[A, B], split='val'),  # A and a miss: TP 1, FP 1, FN 1
                   dict(text='a', bboxes=[A], split='val'),            # exact IoU 0.5 is enough (>=)
                   dict(text='none', bboxes=[], split='test'),         # one box at score 0.69: dropped
                   dict(text='none again', bboxes=[], split='test')]   # one box at score 0.7 exactly: kept
    boxes = [B, A, A, [50, 50, 60, 60], HALF_A, A, A]
    scores = [0.9, 0.8, 0.9, 0.95, 0.7, 0.69, 0.7]
    index = [0, 0, 1, 1, 2, 3, 4]
    metrics = _run([_sample(expressions, boxes, scores, index)])
    assert metrics['pr_f1'] == 3 / 5  # both, a, none
    assert metrics['n_acc'] == 1 / 2 and metrics['t_acc'] == 1.0
    assert (metrics['no_target_count'], metrics['target_count']) == (2, 3)
    assert metrics['val/pr_f1'] == 2 / 3 and 'val/n_acc' not in metrics and metrics['test/n_acc'] == 0.5


def test_score_and_iou_thresholds_and_f1_below_one():
    expression = [dict(text='a', bboxes=[A])]
    just_below = [0.0, 0.0, 4.999, 10.0]
    assert _run([_sample(expression, [just_below], [0.9])])['pr_f1'] == 0.0
    assert _run([_sample(expression, [just_below], [0.9])], iou_thr=0.4)['pr_f1'] == 1.0
    # a target expression with no kept box: wrong, and counted against T-acc
    metrics = _run([_sample(expression, [A], [0.1])])
    assert metrics['pr_f1'] == 0.0 and metrics['t_acc'] == 0.0 and 'n_acc' not in metrics
    # F1 = 2/3 (one of two found) passes a lowered f1_thr only
    two = [dict(text='ab', bboxes=[A, B])]
    assert _run([_sample(two, [A], [0.9], [0])])['pr_f1'] == 0.0
    assert _run([_sample(two, [A], [0.9], [0])], f1_thr=0.6)['pr_f1'] == 1.0


def test_one_box_models_answer_row_i_for_expression_i():
    expressions = [dict(text='a', bbox=A), dict(text='none', bboxes=[])]
    metrics = _run([_sample(expressions, [A, B], [0.9, 0.1])])
    assert metrics['pr_f1'] == 1.0 and metrics['n_acc'] == 1.0
    with pytest.raises(ValueError, match='3 predicted boxes for 2 expressions and no pred_instances.expression_index'):
        _run([_sample(expressions, [A, B, A], [0.9, 0.1, 0.1])])
    with pytest.raises(ValueError, match='has neither "bboxes" nor "bbox"'):
        _run([_sample([dict(text='x')], [A], [0.9])])


def test_an_expression_index_outside_the_samples_expressions_is_refused():
    """An answer numbered past the expressions (or negative) would vanish and count as 'no box': refused."""
    expressions = [dict(text='a', bboxes=[A]), dict(text='none', bboxes=[])]
    assert _run([_sample(expressions, [A], [0.9], [0])])['n_acc'] == 1.0  # index 1 (the last) is in range
    for index in ([2], [-1]):
        with pytest.raises(ValueError, match=r'expression_index holds .* outside 0\.\.1'):
            _run([_sample(expressions, [A], [0.9], index)])


def test_greedy_matching_takes_the_best_pair_first():
    overlaps = np.array([[0.9, 0.6], [0.8, 0.0]])  # best pair (0, 0) first leaves row 1 with 0.0 only
    assert greedy_true_positives(overlaps, 0.5) == 1
    assert greedy_true_positives(np.zeros((0, 2)), 0.5) == 0


def test_giou_is_stricter_than_iou_and_selectable():
    """A shifted diagonally by 1.8: intersection 8.2^2 = 67.24, union 200 - 67.24 = 132.76 (IoU 0.5065), hull
    11.8^2 = 139.24, so GIoU = 0.5065 - 6.48 / 139.24 = 0.4600: right by IoU, wrong by gRefCOCO's GIoU."""
    shifted = [1.8, 1.8, 11.8, 11.8]
    assert giou_matrix([A], [shifted])[0, 0] == pytest.approx(67.24 / 132.76 - 6.48 / 139.24)
    assert giou_matrix([A], [HALF_A])[0, 0] == pytest.approx(0.5)  # nested: hull == union, GIoU == IoU
    assert giou_matrix([A], [B])[0, 0] == pytest.approx(0 - (900 - 200) / 900)  # apart: negative
    expression = [dict(text='a', bboxes=[A])]
    assert _run([_sample(expression, [shifted], [0.9])])['pr_f1'] == 1.0
    assert _run([_sample(expression, [shifted], [0.9])], overlap='giou')['pr_f1'] == 0.0
    with pytest.raises(ValueError, match="overlap must be 'iou' or 'giou'"):
        GRECMetric(overlap='diou')


def _mmdet_metric(tmp_path, targets_per_expression):
    """mmdet's gRefCOCOMetric over an MDETR-style file: one "image" per expression, its targets as annotations,
    category_id -1 with an empty box for a no-target expression (gRefCOCO's grefexp_coco_format.py)."""
    images, annotations = [], []
    for image_id, targets in enumerate(targets_per_expression):
        images.append(dict(id=image_id, file_name=f'{image_id}.jpg', height=100, width=100))
        for box in targets or [None]:
            x1, y1, x2, y2 = box or (0, 0, 0, 0)
            annotations.append(dict(id=len(annotations), image_id=image_id, category_id=1 if box else -1,
                                    bbox=[x1, y1, x2 - x1, y2 - y1], area=(x2 - x1) * (y2 - y1), iscrowd=0))
    path = tmp_path / 'finetune_grefcoco_val.json'
    path.write_text(json.dumps(dict(images=images, annotations=annotations,
                                    categories=[dict(id=1, name='object')])))
    return gRefCOCOMetric(ann_file=str(path), thresh_score=0.7, iou_thrs=0.5)


def _random_case(rng, num_targets):
    targets = []
    for _ in range(num_targets):
        x, y = rng.uniform(0, 60, 2)
        targets.append([float(x), float(y), float(x + rng.uniform(10, 40)), float(y + rng.uniform(10, 40))])
    boxes, scores = [], []
    for _ in range(rng.integers(0, 3)):
        base = targets[rng.integers(len(targets))] if targets and rng.random() < 0.7 else [40.0, 40, 70, 70]
        boxes.append([float(v + rng.normal(0, 4)) for v in base])
        scores.append(float(rng.uniform(0.4, 1.0)))
    return targets, boxes, scores


def test_agrees_with_mmdets_grefcoco_metric_on_single_and_no_target_expressions(tmp_path):
    rng = np.random.default_rng(0)
    cases = [_random_case(rng, int(rng.integers(0, 2))) for _ in range(200)]
    mmdet_metric = _mmdet_metric(tmp_path, [targets for targets, _, _ in cases])
    ours = []
    for image_id, (targets, boxes, scores) in enumerate(cases):
        sample = _sample([dict(text=str(image_id), bboxes=targets)], boxes, scores, [0] * len(boxes), image_id)
        ours.append(sample)
        mmdet_metric.process({}, [dict(img_id=image_id, pred_instances=dict(
            bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
            scores=torch.tensor(scores, dtype=torch.float32)))])
    theirs = mmdet_metric.compute_metrics(mmdet_metric.results)
    metrics = _run(ours)
    assert metrics['pr_f1'] == pytest.approx(theirs['F1_score'])
    assert metrics['n_acc'] == pytest.approx(theirs['N_acc']) and metrics['t_acc'] == pytest.approx(theirs['T_acc'])
    assert 0.2 < metrics['pr_f1'] < 0.9 and metrics['no_target_count'] > 50  # the cases are mixed


def test_mmdets_metric_reads_only_the_first_of_several_targets(tmp_path):
    """Both targets found: F1 = 1 here; mmdet's metric loads the first target only, so B is a false positive
    there (F1 = 2/3). A no-target expression answered by nothing is right in both (mmdet divides by their count)."""
    mmdet_metric = _mmdet_metric(tmp_path, [[A, B], []])
    mmdet_metric.process({}, [dict(img_id=0, pred_instances=dict(bboxes=torch.tensor([A, B]),
                                                                  scores=torch.tensor([0.9, 0.9]))),
                              dict(img_id=1, pred_instances=dict(bboxes=torch.zeros(0, 4), scores=torch.zeros(0)))])
    assert mmdet_metric.compute_metrics(mmdet_metric.results)['F1_score'] == 0.5
    expressions = [dict(text='ab', bboxes=[A, B]), dict(text='none', bboxes=[])]
    assert _run([_sample(expressions, [A, B], [0.9, 0.9], [0, 0])])['pr_f1'] == 1.0


def test_dump_file_writes_every_kept_box_and_none_for_an_empty_answer(tmp_path):
    """``--out`` rows of GRECMetric: several boxes, none (below score_thr), a no-target expression answered
    right; one line per expression in dataset order, and the metrics unchanged by dumping."""
    expressions = [dict(text='both', bboxes=[A, B], split='val', sent_id=7, ann_id=[1, 2]),
                   dict(text='a', bboxes=[A], split='val', sent_id=8, ann_id=[1]),
                   dict(text='none', bboxes=[], split='val', sent_id=9, ann_id=[-1])]
    boxes, scores, index = [B, A, [50, 50, 60, 60], A], [0.9, 0.8, 0.95, 0.69], [0, 0, 0, 1]
    dump = tmp_path / 'out' / 'rows.jsonl'
    metric = GRECMetric(dump_file=str(dump))
    metric.process({}, [_sample(expressions, boxes, scores, index, img_id=3)])
    metrics = metric.compute_metrics(metric.results)
    assert metrics == _run([_sample(expressions, boxes, scores, index, img_id=3)])
    both, single, none = [json.loads(line) for line in dump.read_text().splitlines()]
    assert both['pred_bboxes'] == [B, A, [50, 50, 60, 60]] and both['scores'] == pytest.approx([0.9, 0.8, 0.95])
    assert both['gt_bboxes'] == [A, B] and both['true_positives'] == 2 and both['f1'] == pytest.approx(0.8)
    assert not both['correct'] and both['ann_id'] == [1, 2] and both['img_id'] == 3
    # the only box of 'a' scored 0.69 < 0.7: nothing kept, wrong; 'none' got no box: right
    assert single['pred_bboxes'] == [] and single['scores'] == [] and not single['correct']
    assert none['no_target'] and none['gt_bboxes'] == [] and none['pred_bboxes'] == [] and none['correct']
    assert [row['sent_id'] for row in (both, single, none)] == [7, 8, 9] and none['text'] == 'none'
