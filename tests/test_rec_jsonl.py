"""RECJsonlDataset: the documented JSON-lines format, image-major samples, bad lines skipped and named."""
import logging
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.structures import InstanceData

import mmrec  # noqa: F401
from mmdet.registry import DATASETS
from mmrec.datasets import RECJsonlDataset
from mmrec.evaluation import GRECMetric, RECMetric
from mmrec.testing.benchmark_files import write_image, write_jsonl
from mmrec.datasets.skipped_records import EMPTY_EXPRESSION, MISSING_IMAGE

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture
def root(tmp_path):
    write_image(str(tmp_path / 'images' / 'a.jpg'), (80, 60))
    write_image(str(tmp_path / 'images' / 'sub' / 'b.png'), (40, 30))
    return tmp_path


def _dataset(root, lines, **kwargs):
    write_jsonl(str(root / 'expressions.jsonl'), lines)
    return RECJsonlDataset(data_root=str(root), ann_file='expressions.jsonl', data_prefix=dict(img_path='images/'),
                           **kwargs)


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def warnings_logged():
    """The warnings mmengine's current logger emits during the test (a list of strings)."""
    handler = _Warnings()
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


def test_minimal_lines_group_per_image_with_sizes_from_the_header(root):
    dataset = _dataset(root, [
        dict(image='a.jpg', expression='the left square', box=[1, 2, 30, 40]),
        dict(image='sub/b.png', expression=' the whole picture ', box=[0, 0, 40, 30], split='val', kind='k'),
        dict(image='a.jpg', expression='the right square', box=[40, 2, 79, 50], id='e7'),
    ])
    assert len(dataset) == 2 and dataset.num_expressions == 3
    first, second = dataset.get_data_info(0), dataset.get_data_info(1)
    assert first['img_path'] == osp.join(str(root), 'images/a.jpg')
    assert (first['width'], first['height'], second['width'], second['height']) == (80, 60, 40, 30)
    assert [e['text'] for e in first['expressions']] == ['the left square', 'the right square']
    assert [e['sent_id'] for e in first['expressions']] == [1, 'e7']  # the line number, else "id"
    assert first['expressions'][0]['bbox'] == [1.0, 2.0, 30.0, 40.0]
    assert first['expressions'][0]['bboxes'] == [[1.0, 2.0, 30.0, 40.0]]
    assert second['expressions'][0]['text'] == 'the whole picture'
    assert (second['expressions'][0]['split'], second['expressions'][0]['kind']) == ('val', 'k')
    assert first['img_id'] == 'a.jpg'  # no image_id: the path identifies the image


def test_xywh_boxes_and_split_filter(root):
    lines = [dict(image='a.jpg', expression='x', box=[10, 20, 5, 6], split='val'),
             dict(image='a.jpg', expression='y', box=[1, 1, 2, 2], split='test')]
    dataset = _dataset(root, lines, box_format='xywh', split='val')
    assert dataset.num_expressions == 1
    assert dataset.get_data_info(0)['expressions'][0]['bbox'] == [10.0, 20.0, 15.0, 26.0]
    with pytest.raises(ValueError, match="box_format must be 'xyxy' or 'xywh'"):
        _dataset(root, lines, box_format='cxcywh')


def test_every_bad_line_is_skipped_counted_and_named_by_file_and_line(root, warnings_logged):
    good = dict(image='a.jpg', expression='good', box=[0, 0, 10, 10])
    lines = [
        good,                                                            # 1
        '{"image": "a.jpg", "expression": ',                             # 2 not JSON
        '[1, 2]',                                                        # 3 not an object
        dict(expression='no image', box=[0, 0, 1, 1]),                   # 4
        dict(image='a.jpg', box=[0, 0, 1, 1]),                           # 5 no expression
        dict(image='a.jpg', expression='no box'),                        # 6
        dict(image='a.jpg', expression='both', box=[0, 0, 1, 1], boxes=[]),  # 7
        dict(image='a.jpg', expression='flat', box=[5, 5, 5, 9]),        # 8 zero width
        dict(image='a.jpg', expression='words', box='1234'),             # 9 a string is not a box
        dict(image='a.jpg', expression='two', boxes=[[0, 0, 1, 1], [2, 2, 3, 3]]),  # 10 several (not generalized)
        dict(image='missing.jpg', expression='gone', box=[0, 0, 1, 1]),  # 11
        dict(good, id=1),                                                # 12 repeats line 1's id (its line number)
        dict(image='a.jpg', expression='id list', box=[0, 0, 1, 1], id=[1]),  # 13
        '',                                                              # 14 blank: ignored, not counted
        '{"image": "a.jpg", "expression": ',                             # 15 not JSON, the second time
        dict(image='a.jpg', expression='', box=[0, 0, 1, 1]),            # 16 empty expression
        dict(image='a.jpg', expression='  ', box=[0, 0, 1, 1]),          # 17 blank: counted as the empty one
    ]
    with pytest.raises(FileNotFoundError, match=r'1 of 2 images .*missing\.jpg \(missing\).*skip_missing_images'):
        _dataset(root, lines)  # by default a missing image is refused, as by every loader
    dataset = _dataset(root, lines, skip_missing_images=True)
    assert dataset.num_expressions == 1
    counts = dataset.skipped.counts
    assert counts['lines that are not JSON'] == 2
    assert dataset.skipped.places['lines that are not JSON'] == ['expressions.jsonl:2', 'expressions.jsonl:15']
    assert counts['lines that are not a JSON object'] == 1
    assert counts['lines without an "image" path'] == 1
    assert counts['lines without an "expression" text'] == 1
    assert counts['lines without "box" or "boxes"'] == 1
    assert counts['lines with both "box" and "boxes"'] == 1
    assert counts['lines with a box that is not 4 numbers (xyxy) with a positive area'] == 2
    assert counts[EMPTY_EXPRESSION] == 2
    assert dataset.skipped.places[EMPTY_EXPRESSION] == ['expressions.jsonl:16', 'expressions.jsonl:17']
    assert dataset.skipped.places[MISSING_IMAGE] == [f'{root}/images/missing.jpg (missing) sent_id=11']
    assert counts['lines whose "id" repeats an earlier line'] == 1
    assert counts['lines whose "id" or "image_id" is not a string or an integer'] == 1
    assert sum(counts.values()) == 15 and dataset.metainfo['skipped_records'] == 15
    warning, = [m for m in warnings_logged if 'expressions.jsonl: skipped 15 records: ' in m]
    assert '2 lines that are not JSON (expressions.jsonl:2, expressions.jsonl:15)' in warning


def test_generalized_keeps_several_and_no_boxes(root):
    lines = [dict(image='a.jpg', expression='both squares', boxes=[[0, 0, 10, 10], [20, 20, 30, 30]]),
             dict(image='a.jpg', expression='a giraffe', boxes=[])]
    dataset = _dataset(root, lines, generalized=True)
    several, none = dataset.get_data_info(0)['expressions']
    assert several['bboxes'] == [[0.0, 0.0, 10.0, 10.0], [20.0, 20.0, 30.0, 30.0]] and 'bbox' not in several
    assert none['bboxes'] == [] and none['no_target'] and not several['no_target']


def test_nothing_to_evaluate_is_one_line_naming_the_file_and_the_reasons(root):
    with pytest.raises(ValueError) as info:
        _dataset(root, [dict(image='a.jpg', expression='no box'), 'not json'])
    message = str(info.value)
    assert '\n' not in message
    assert 'no expression to evaluate in' in message and 'expressions.jsonl' in message
    assert '1 lines without "box" or "boxes" (expressions.jsonl:1)' in message
    assert '1 lines that are not JSON (expressions.jsonl:2)' in message
    assert 'docs/datasets.md' in message


def test_config_pipeline_and_metric_evaluate_the_file(root):
    """The base config's test pipeline packs the samples; RECMetric and GRECMetric score them."""
    write_jsonl(str(root / 'expressions.jsonl'), [
        dict(image='a.jpg', expression='left', box=[0, 0, 40, 60]),
        dict(image='a.jpg', expression='right', box=[40, 0, 80, 60])])
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets/rec_jsonl.py'))
    dataset = DATASETS.build(dict(cfg.test_dataloader.dataset, data_root=str(root)))
    packed = dataset[0]
    sample = packed['data_samples']
    assert sample.texts == ['left', 'right'] and tuple(packed['inputs'].shape[1:]) == sample.img_shape
    answers = torch.tensor([[0.0, 0.0, 40.0, 60.0], [0.0, 0.0, 40.0, 60.0]])  # right, then wrong
    sample.pred_instances = InstanceData(bboxes=answers, scores=torch.tensor([0.9, 0.8]))
    rec = RECMetric()
    rec.process({}, [sample.to_dict()])
    assert rec.compute_metrics(rec.results)['accuracy'] == 0.5
    grec = GRECMetric(score_thr=0.5)
    grec.process({}, [sample.to_dict()])
    assert grec.compute_metrics(grec.results)['pr_f1'] == 0.5
    assert np.isclose(rec.compute_metrics(rec.results)['mean_iou'], 0.5)
