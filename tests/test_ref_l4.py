"""RefL4Dataset on Parquet files in Ref-L4's published columns; RefL4Metric against hand-computed values and
against Ref-L4's evaluator's definition (ref_l4/evaluation.py of github.com/JierunChen/Ref-L4), re-derived here."""
import math
import sys
import os.path as osp
from statistics import mean

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import InstanceData

import mmrec  # noqa: F401
from mmdet.registry import DATASETS
from mmdet.structures import DetDataSample
from mmrec.datasets import RefL4Dataset
from mmrec.evaluation import RefL4Metric
from mmrec.evaluation.ref_l4_metric import ref_l4_summary, size_bucket
from mmrec.testing.benchmark_files import write_ref_l4
from mmrec.datasets.skipped_records import EMPTY_EXPRESSION, MISSING_IMAGE
from mmrec.testing import logged_warnings

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _row(index, file_name='COCO_train2014_000000000001.jpg', bbox=(10.0, 20.0, 30.0, 40.0), **extra):
    """A row with the columns of the dataset card's example (id, caption, bbox [x, y, w, h], ...)."""
    row = dict(id=index, caption=f'the object number {index} next to the long description', bbox=list(bbox),
               bbox_area=bbox[2] * bbox[3], bbox_id=f'coco_{index}', ori_category_id='refcoco_1',
               image_id=f'coco_{file_name[-6:-4]}', height=48, width=64, file_name=file_name, is_rewrite=False,
               split='val')
    row.update(extra)
    return row


def _load(tmp_path, rows, name='ref-l4-val.parquet', **kwargs):
    write_ref_l4(str(tmp_path / name), rows, images_dir=str(tmp_path / 'images'))
    return RefL4Dataset(data_root=str(tmp_path), ann_file=name, **kwargs)


def test_rows_become_image_major_samples_with_ref_l4_ids(tmp_path):
    rows = [_row(0), _row(1, bbox=(0.5, 0.5, 3.0, 12.0)), _row(2, file_name='o365_000000000002.jpg')]
    dataset = _load(tmp_path, rows)
    assert len(dataset) == 2 and dataset.num_expressions == 3
    info = dataset.get_data_info(0)
    assert info['img_path'] == osp.join(str(tmp_path), 'images', 'COCO_train2014_000000000001.jpg')
    assert (info['img_id'], info['height'], info['width']) == ('coco_01', 48, 64)
    first, second = info['expressions']
    assert first['bbox'] == [10.0, 20.0, 40.0, 60.0] and first['sent_id'] == 0 and first['ann_id'] == 'coco_0'
    assert first['category_id'] == 'refcoco_1' and first['split'] == 'val' and first['is_rewrite'] is False
    assert second['box_size'] == 6.0  # sqrt(3 * 12) from the file's w and h


def test_first_release_ann_id_column_is_read_as_id(tmp_path):
    rows = [{('ann_id' if key == 'id' else key): value for key, value in _row(5).items()}]
    assert _load(tmp_path, rows).get_data_info(0)['expressions'][0]['sent_id'] == 5


def test_bad_rows_are_skipped_per_reason_with_their_row(tmp_path):
    rows = [_row(0), _row(1, caption='  '), _row(2, bbox=(1.0, 1.0, 0.0, 5.0)), _row(3, bbox=(1.0, 1.0, 0.0, 5.0)),
            _row(4, file_name=''), _row(0), _row(7, caption=''), _row(8, caption=None), _row(6, file_name='absent.jpg')]
    write_ref_l4(str(tmp_path / 'val.parquet'), rows[:-1], images_dir=str(tmp_path / 'images'))
    write_ref_l4(str(tmp_path / 'val.parquet'), rows)  # the last row's image is not written
    absent = osp.join(str(tmp_path), 'images', 'absent.jpg')
    with pytest.raises(FileNotFoundError, match=rf"RefL4Dataset: 1 of 2 images .*{absent} \(missing\).*"
                                                r"skip_missing_images=True"):
        RefL4Dataset(data_root=str(tmp_path), ann_file='val.parquet')  # by default a missing image is refused
    dataset = RefL4Dataset(data_root=str(tmp_path), ann_file='val.parquet', skip_missing_images=True)
    assert dataset.num_expressions == 1
    counts, places = dataset.skipped.counts, dataset.skipped.places
    assert counts[EMPTY_EXPRESSION] == 2 and counts['rows without a caption'] == 1
    assert counts['rows whose bbox is not [x, y, w, h] with a positive area'] == 2
    assert places['rows whose bbox is not [x, y, w, h] with a positive area'] == [
        'val.parquet row 2 (id=2)', 'val.parquet row 3 (id=3)']
    assert counts['rows without a file_name'] == 1
    assert counts['rows whose id repeats an earlier row'] == 1
    assert places[MISSING_IMAGE] == [f'{absent} (missing) sent_id=6']
    metric = RefL4Metric()  # the metric reports them beside its figures
    metric.dataset_meta = dataset.metainfo
    with logged_warnings() as logged:
        metrics = metric.compute_metrics([[dict(iou=1.0, size=30.0)]])
    assert metrics['skipped_records'] == 8 and metrics['acc_50'] == 1.0
    assert f'over 1 evaluated expressions; the data set skipped 8 records (2 {EMPTY_EXPRESSION}; ' in logged.out


def test_parquet_with_other_columns_is_one_line_naming_them(tmp_path):
    write_ref_l4(str(tmp_path / 'other.parquet'), [dict(question='what', answer=[1, 2, 3, 4])])
    with pytest.raises(ValueError) as info:
        RefL4Dataset(data_root=str(tmp_path), ann_file='other.parquet')
    message = str(info.value)
    assert "lacks columns ['caption', 'bbox', 'file_name', 'id']" in message
    assert "its columns are ['question', 'answer']" in message and '\n' not in message


def test_not_parquet_and_nothing_left_are_one_line(tmp_path):
    (tmp_path / 'fake.parquet').write_text('id,caption\n')
    with pytest.raises(ValueError, match='fake.parquet is not a readable Parquet file'):
        RefL4Dataset(data_root=str(tmp_path), ann_file='fake.parquet')
    with pytest.raises(ValueError, match=r'no expression to evaluate in .*empty.parquet: skipped 1 empty or blank '
                                         r'expressions \(empty.parquet row 0 \(id=0\)\)'):
        _load(tmp_path, [_row(0, caption='')], name='empty.parquet')


@pytest.mark.parametrize('name,parquet', [('ref-l4-val_rec.py', 'ref-l4-val.parquet'),
                                          ('ref-l4-test_rec.py', 'ref-l4-test.parquet')])
def test_split_configs_build_the_dataset_and_its_metrics(tmp_path, name, parquet):
    write_ref_l4(str(tmp_path / parquet), [_row(0)], images_dir=str(tmp_path / 'images'))
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets', name))
    dataset = DATASETS.build(dict(cfg.test_dataloader.dataset, data_root=str(tmp_path)))
    assert dataset.ann_file.endswith(parquet) and dataset.num_expressions == 1
    assert dataset[0]['data_samples'].texts == [_row(0)['caption']]
    assert [m['type'] for m in cfg.test_evaluator] == ['RefL4Metric', 'RECMetric']


# --- RefL4Metric -----------------------------------------------------------------------------------------------


def _evaluate(gt_xyxy, pred_xyxy, sizes=None):
    expressions = [dict(text=str(i), bbox=list(box)) for i, box in enumerate(gt_xyxy)]
    if sizes is not None:
        for expression, size in zip(expressions, sizes):
            expression['box_size'] = size
    sample = DetDataSample(metainfo=dict(img_id=1, img_path='x.jpg', expressions=expressions))
    sample.pred_instances = InstanceData(bboxes=torch.tensor(pred_xyxy, dtype=torch.float32))
    metric = RefL4Metric()
    metric.process({}, [sample.to_dict()])
    return metric.compute_metrics(metric.results)


def test_hand_computed_accuracies_are_strict_as_ref_l4s():
    """Predictions cut from a 100x100 box have IoU 1.0, 0.9, 0.75 and 0.5 exactly: Ref-L4 counts iou > t, so
    acc@0.5 = 3/4, acc@0.75 = 2/4, acc@0.9 = 1/4, and over 0.5:0.95 they pass 10, 8, 5 and 0 thresholds."""
    gt = [[0, 0, 100, 100]] * 4
    preds = [[0, 0, 100, 100], [0, 0, 90, 100], [0, 0, 75, 100], [0, 0, 50, 100]]
    metrics = _evaluate(gt, preds)
    assert (metrics['acc_50'], metrics['acc_75'], metrics['acc_90']) == (0.75, 0.5, 0.25)
    assert metrics['macc'] == pytest.approx((10 + 8 + 5 + 0) / 40)
    assert metrics['small_count'] == 4 and 'medium_count' not in metrics  # sqrt(100 * 100) = 100 < 128
    assert metrics['small_acc_50'] == 0.75 and metrics['small_macc'] == pytest.approx(23 / 40)


def test_size_classes_at_the_exact_thresholds():
    assert [size_bucket(s) for s in (127.999, 128, 256, 256.001)] == ['small', 'medium', 'medium', 'large']
    gt = [[0, 0, 128, 128], [0, 0, 256, 256], [0, 0, 300, 300]]  # sqrt(w h) = 128 (medium), 256 (medium), 300
    preds = [[0, 0, 128, 128], [0, 0, 10, 10], [0, 0, 300, 300]]
    metrics = _evaluate(gt, preds)
    assert (metrics['medium_count'], metrics['large_count']) == (2, 1) and 'small_count' not in metrics
    assert metrics['medium_acc_50'] == 0.5 and metrics['large_acc_50'] == 1.0
    # the dataset's box_size (from the file's w, h) is used when given
    assert _evaluate(gt[:1], preds[:1], sizes=[127.0])['small_count'] == 1


def _ref_l4_evaluator(gt_xywh, pred_xyxy):
    """Ref-L4's RefL4Evaluator.evaluate (annotation and size levels, default arguments) re-derived from its
    definition: aligned IoU in float32 with the union floored at 1e-6, ``iou > th``, statistics.mean over the
    mAcc thresholds, sizes sqrt(w * h) with < 128 small, <= 256 medium. Percent, as it reports."""
    gt = torch.tensor([[x, y, x + w, y + h] for x, y, w, h in gt_xywh])
    pred = torch.tensor(pred_xyxy)
    area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])  # noqa: E731
    wh = (torch.min(gt[:, 2:], pred[:, 2:]) - torch.max(gt[:, :2], pred[:, :2])).clamp(min=0)
    overlap = wh[:, 0] * wh[:, 1]
    iou = (overlap / torch.max(area(gt) + area(pred) - overlap, torch.tensor([1e-6]))).numpy()
    macc_ths = [i / 100 for i in range(50, 100, 5)]
    out = {f'Ann-level acc iou {th}': (iou > th).sum().item() / len(iou) * 100 for th in [0.5, 0.75, 0.9]}
    out['Ann-level macc iou'] = mean([(iou > th).sum().item() / len(iou) for th in macc_ths]) * 100
    sizes = [math.sqrt(w * h) for _, _, w, h in gt_xywh]
    for name, chosen in (('Small', [s < 128 for s in sizes]), ('Medium', [128 <= s <= 256 for s in sizes]),
                         ('Large', [s > 256 for s in sizes])):
        part = iou[np.array(chosen)]
        out[f'{name} acc iou 0.5'] = (part > 0.5).sum() / len(part) * 100
        out[f'{name} macc iou'] = mean([(part > th).sum().item() / len(part) * 100 for th in macc_ths])
    return out


def test_agrees_with_ref_l4s_evaluator_on_random_boxes():
    rng = np.random.default_rng(0)
    gt_xywh, preds = [], []
    for side in np.concatenate([rng.uniform(20, 120, 60), rng.uniform(130, 250, 60), rng.uniform(260, 600, 60)]):
        x, y, aspect = rng.uniform(0, 200), rng.uniform(0, 200), rng.uniform(0.5, 2.0)
        w, h = side * math.sqrt(aspect), side / math.sqrt(aspect)
        gt_xywh.append([float(x), float(y), float(w), float(h)])
        jitter = rng.normal(0, 0.15 * side, 4)
        preds.append([x + jitter[0], y + jitter[1], x + w + jitter[2], y + h + jitter[3]])
    preds = [[float(v) for v in box] for box in preds]
    expected = _ref_l4_evaluator(gt_xywh, preds)
    gt_xyxy = [[x, y, x + w, y + h] for x, y, w, h in gt_xywh]
    ours = _evaluate(gt_xyxy, preds, sizes=[math.sqrt(w * h) for _, _, w, h in gt_xywh])
    pairs = [('acc_50', 'Ann-level acc iou 0.5'), ('acc_75', 'Ann-level acc iou 0.75'),
             ('acc_90', 'Ann-level acc iou 0.9'), ('macc', 'Ann-level macc iou')]
    for size in ('small', 'medium', 'large'):
        pairs += [(f'{size}_acc_50', f'{size.title()} acc iou 0.5'), (f'{size}_macc', f'{size.title()} macc iou')]
    for key, theirs in pairs:
        assert 100 * ours[key] == pytest.approx(expected[theirs], abs=1e-9), key
    assert 0 < ours['acc_75'] < ours['acc_50'] < 1  # the boxes exercise the thresholds


def test_summary_of_nothing_is_zeros_without_sizes():
    assert ref_l4_summary([], []) == dict(acc_50=0.0, acc_75=0.0, acc_90=0.0, macc=0.0)


def test_without_pyarrow_the_error_says_what_to_install(tmp_path, monkeypatch):
    write_ref_l4(str(tmp_path / 'v.parquet'), [_row(0)], images_dir=str(tmp_path / 'images'))
    monkeypatch.setitem(sys.modules, 'pyarrow.parquet', None)  # "import pyarrow.parquet" fails
    with pytest.raises(ImportError, match=r"RefL4Dataset reads Parquet with pyarrow, which is not installed: "
                                          r"pip install 'mmrec\[benchmarks\]'"):
        RefL4Dataset(data_root=str(tmp_path), ann_file='v.parquet')
