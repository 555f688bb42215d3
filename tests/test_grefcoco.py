"""GRefCOCODataset on grefs(unc).json + instances.json written in gRefCOCO's format; LoadGRECExpressions."""
import os.path as osp
import re

import pytest
from mmengine.config import Config

import mmrec  # noqa: F401
from mmdet.registry import DATASETS
from mmrec.datasets import GRefCOCODataset, LoadGRECExpressions
from mmrec.testing.benchmark_files import coco_file, write_grefcoco
from mmrec.evaluation import GRECMetric
from mmrec.testing import logged_warnings
from mmrec.datasets.skipped_records import EMPTY_EXPRESSION, MISSING_IMAGE, NO_EXPRESSION

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _coco():
    images = [dict(id=9, file_name='COCO_train2014_000000000009.jpg', height=48, width=64),
              dict(id=25, file_name='COCO_train2014_000000000025.jpg', height=40, width=50)]
    annotations = [dict(id=101, image_id=9, category_id=1, bbox=[1, 2, 10, 20], area=200, iscrowd=0),
                   dict(id=102, image_id=9, category_id=1, bbox=[30, 2, 10, 20], area=200, iscrowd=0),
                   dict(id=103, image_id=25, category_id=18, bbox=[0, 0, 5, 0], area=0, iscrowd=0)]
    return coco_file(images, annotations, [dict(id=1, name='person'), dict(id=18, name='dog')])


def _ref(ref_id, ann_id, category_id, split='val', image_id=9, sentences=('the people',)):
    """A gRefCOCO ref: REFER's keys, ann_id / category_id lists ([-1] for no target), file_name with ann suffix."""
    return dict(ref_id=ref_id, image_id=image_id, ann_id=ann_id, category_id=category_id, split=split,
                file_name=f'COCO_train2014_{image_id:012d}_{ref_id}.jpg', no_target=ann_id == [-1],
                sentences=[dict(sent=s, raw=s, sent_id=10 * ref_id + i, tokens=s.split())
                           for i, s in enumerate(sentences)])


GREFS = [
    _ref(1, [101, 102], [1, 1], sentences=('two people', 'both persons')),  # several targets
    _ref(2, [101], [1], sentences=('the left person', '  ', '')),          # one target, two empty sentences
    _ref(3, [-1], [-1], sentences=('a giraffe',)),                         # no target
    _ref(4, 102, 1, split='train', sentences=('the right one',)),          # plain ints, as REFER's refs
    _ref(5, [101, 999], [1, 1], sentences=('unknown target',)),            # 999 is not in instances.json
    _ref(6, [103], [18], image_id=25, sentences=('flat dog',)),            # zero-area box
    _ref(7, [-1, 101], [1], sentences=('mixed',)),                         # -1 with an object
    _ref(8, [102], [1], sentences=()),                                     # no sentence at all
]


@pytest.fixture
def root(tmp_path):
    write_grefcoco(str(tmp_path / 'grefcoco'), GREFS, _coco(), images_dir=str(tmp_path / 'train2014'))
    return tmp_path


def _dataset(root, **kwargs):
    return GRefCOCODataset(data_root=str(root), **kwargs)


def test_several_one_and_no_targets_per_expression(root):
    dataset = _dataset(root)
    assert len(dataset) == 1 and dataset.num_expressions == 4
    info = dataset.get_data_info(0)
    assert info['img_path'] == osp.join(str(root), 'train2014', 'COCO_train2014_000000000009.jpg')
    assert (info['img_id'], info['height'], info['width']) == (9, 48, 64)
    two, both, left, giraffe = info['expressions']
    assert two['text'] == 'two people' and both['sent_id'] == 11
    assert two['bboxes'] == [[1.0, 2.0, 11.0, 22.0], [30.0, 2.0, 40.0, 22.0]] and 'bbox' not in two
    assert two['ann_id'] == [101, 102] and not two['no_target']
    assert left['bboxes'] == [[1.0, 2.0, 11.0, 22.0]] and left['bbox'] == [1.0, 2.0, 11.0, 22.0]
    assert giraffe['bboxes'] == [] and giraffe['no_target'] and giraffe['ann_id'] == [-1]


def test_bad_refs_are_skipped_per_reason_with_their_place(root):
    skipped = _dataset(root).skipped
    assert skipped.counts == {
        EMPTY_EXPRESSION: 2,
        NO_EXPRESSION: 1,
        'refs with a target id that is not in instances.json': 1,
        'refs with a zero-area target box': 1,
        'refs whose ann_id mixes -1 (no target) with objects, or is empty': 1}
    assert skipped.places['refs with a target id that is not in instances.json'] == [
        'grefs(unc).json ref #4 (ref_id=5) ann_id=[999]']
    assert skipped.places[EMPTY_EXPRESSION] == ['grefs(unc).json ref #1 (ref_id=2) sentence 1',
                                                'grefs(unc).json ref #1 (ref_id=2) sentence 2']
    assert skipped.places[NO_EXPRESSION] == ['grefs(unc).json ref #7 (ref_id=8)']
    metric = GRECMetric()  # the metric reports them beside its figures, as RECMetric and RefL4Metric do
    metric.dataset_meta = _dataset(root).metainfo
    with logged_warnings() as logged:
        metrics = metric.compute_metrics([[dict(f1=1.0, no_target=True, num_pred=0, split='val')]])
    assert metrics['skipped_records'] == 6 and metrics['pr_f1'] == 1.0
    out = logged.out
    assert 'GRECMetric: the metrics are over 1 evaluated expressions; the data set skipped 6 records (' in out
    assert f'2 {EMPTY_EXPRESSION};' in out and f'1 {NO_EXPRESSION})' in out


def test_splits_plain_int_ids_and_unknown_splits(root):
    train = _dataset(root, split='train')
    assert train.get_data_info(0)['expressions'][0]['bboxes'] == [[30.0, 2.0, 40.0, 22.0]]
    assert _dataset(root, split=['train', 'val']).num_expressions == 5
    with pytest.raises(ValueError, match=r"split\(s\) \['testA'\] not in .*the splits present are \['train', "
                                         r"'val'\]"):
        _dataset(root, split='testA')


def test_missing_image_is_refused_or_skipped_and_nothing_left_is_one_line(root):
    image = root / 'train2014' / 'COCO_train2014_000000000009.jpg'
    image.unlink()
    with pytest.raises(FileNotFoundError, match=r'GRefCOCODataset: 1 of 1 images are missing or unreadable, e\.g\. '
                                                rf"\['{image} \(missing\)'\].*skip_missing_images=True"):
        _dataset(root)
    with pytest.raises(ValueError) as info:
        _dataset(root, skip_missing_images=True)
    message = str(info.value)
    assert '\n' not in message and 'no expression to evaluate' in message
    assert f'4 {MISSING_IMAGE} ({image} (missing) sent_id=10, ' in message


def test_load_grec_expressions_stacks_targets_labelled_by_expression(root):
    info = _dataset(root).get_data_info(0)
    results = LoadGRECExpressions()(dict(info))
    assert results['texts'] == ['two people', 'both persons', 'the left person', 'a giraffe']
    assert results['gt_bboxes'].tensor.tolist() == [[1, 2, 11, 22], [30, 2, 40, 22]] * 2 + [[1, 2, 11, 22]]
    assert results['gt_bboxes_labels'].tolist() == [0, 0, 1, 1, 2]
    assert not results['gt_ignore_flags'].any()
    only_giraffe = LoadGRECExpressions()(dict(info, expressions=info['expressions'][3:]))
    assert only_giraffe['gt_bboxes'].tensor.shape == (0, 4)
    with pytest.raises(KeyError, match='has no "bboxes"'):
        LoadGRECExpressions()(dict(info, expressions=[dict(text='x', bbox=[0, 0, 1, 1])]))


def test_config_builds_and_packs_a_sample(root):
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets/grefcoco_grec.py'))
    dataset = DATASETS.build(dict(cfg.test_dataloader.dataset, data_root=str(root)))
    sample = dataset[0]['data_samples']
    assert len(sample.texts) == 4 and sample.gt_instances.labels.tolist() == [0, 0, 1, 1, 2]
    assert sample.expressions[3]['no_target']
    assert cfg.test_evaluator['type'] == 'GRECMetric'


@pytest.mark.parametrize('name', ['grefs(unc).json', 'instances.json'])
def test_a_file_that_is_not_json_is_named(root, name):
    """Both annotation files go through refer_io.load_json_file: a truncated one is a ValueError naming it."""
    path = root / 'grefcoco' / name
    path.write_text(path.read_text()[:-5])
    with pytest.raises(ValueError, match=re.escape(name) + ' is not valid JSON'):
        _dataset(root)


def test_a_missing_refs_file_says_what_it_should_be(root):
    (root / 'grefcoco' / 'grefs(unc).json').unlink()
    with pytest.raises(FileNotFoundError, match=r'gRefCOCO refs file not found: .*grefs\(unc\)\.json'):
        _dataset(root)
