"""LoadReferExpressions + mmdet transforms + PackRECInputs: the packed sample layout of docs/design.md."""
import cv2
import numpy as np
import pytest
import torch

from mmrec.datasets import LoadReferExpressions, PackRECInputs, REFERDataset, generate_synthetic_refer
from mmdet.registry import TRANSFORMS
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadReferExpressions'),
    dict(type='Resize', scale=(48, 72), keep_ratio=False),  # (w, h): x * 0.5, y * 0.75
    dict(type='PackRECInputs'),
]


@pytest.fixture(scope='module')
def synthetic(tmp_path_factory) -> dict:
    root = str(tmp_path_factory.mktemp('transforms'))
    summary = generate_synthetic_refer(root, num_images={'train': 2}, image_size=(96, 96), seed=4)
    gray = generate_synthetic_refer(str(tmp_path_factory.mktemp('gray')), num_images={'val': 2},
                                    image_size=(96, 96), seed=4, grayscale_fraction=1.0)
    return dict(colour=summary, gray=gray)


def test_packed_sample_layout(synthetic):
    dataset = REFERDataset(**synthetic['colour']['dataset_kwargs'], split='train', pipeline=PIPELINE)
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        sample = dataset[index]
        inputs, data_sample = sample['inputs'], sample['data_samples']
        assert isinstance(data_sample, DetDataSample)
        assert inputs.dtype == torch.uint8 and tuple(inputs.shape) == (3, 72, 48)
        expected_texts = [e['text'] for e in info['expressions']]
        assert data_sample.texts == expected_texts
        assert data_sample.expressions == info['expressions']  # original pixels, untouched
        assert data_sample.img_id == info['img_id'] and data_sample.ori_shape == (96, 96)
        assert data_sample.img_shape == (72, 48)
        original = torch.tensor([e['bbox'] for e in info['expressions']])
        boxes = data_sample.gt_instances.bboxes
        boxes = boxes.tensor if isinstance(boxes, HorizontalBoxes) else boxes
        assert torch.allclose(boxes, original * torch.tensor([0.5, 0.75, 0.5, 0.75]))
        assert data_sample.gt_instances.labels.tolist() == [0] * len(expected_texts)


def test_ground_truth_candidates_are_packed_in_original_pixels_only_when_given(synthetic):
    """``REFERDataset(with_candidates=True)``'s ``candidates`` become the data sample's ``gt_candidates``,
    untouched by the resize; without them there is no such field."""
    kwargs = synthetic['colour']['dataset_kwargs']
    plain = REFERDataset(**kwargs, split='train', pipeline=PIPELINE)[0]['data_samples']
    assert 'gt_candidates' not in plain
    dataset = REFERDataset(**kwargs, split='train', pipeline=PIPELINE, with_candidates=True)
    for index in range(len(dataset)):
        candidates = dataset.get_data_info(index)['candidates']
        packed = dataset[index]['data_samples'].gt_candidates
        assert packed.bboxes.dtype == torch.float32 and packed.bboxes.shape == (len(candidates), 4)
        assert packed.bboxes.tolist() == [c['bbox'] for c in candidates]  # original pixels
        assert packed.ann_ids.tolist() == [c['ann_id'] for c in candidates]
        assert packed.category_ids.tolist() == [c['category_id'] for c in candidates]


def test_packed_candidates_without_a_category_or_without_objects():
    results = dict(img=np.zeros((8, 8, 3), np.uint8), img_shape=(8, 8), ori_shape=(8, 8), texts=[],
                   expressions=[], candidates=[dict(bbox=[1, 1, 4, 4], ann_id=3, category_id=None)])
    sample = PackRECInputs()(results)['data_samples']
    assert sample.gt_candidates.category_ids.tolist() == [-1]
    results['candidates'] = []
    assert PackRECInputs()(results)['data_samples'].gt_candidates.bboxes.shape == (0, 4)


def test_grayscale_image_comes_out_with_three_channels(synthetic):
    kwargs = synthetic['gray']['dataset_kwargs']
    dataset = REFERDataset(**kwargs, split='val', pipeline=PIPELINE)
    info = dataset.get_data_info(0)
    assert cv2.imread(info['img_path'], cv2.IMREAD_UNCHANGED).ndim == 2  # the file is single-channel
    inputs = dataset[0]['inputs']
    assert tuple(inputs.shape) == (3, 72, 48)
    assert torch.equal(inputs[0], inputs[1]) and torch.equal(inputs[1], inputs[2])


def test_one_expression_per_sample_packs_one_box(synthetic):
    dataset = REFERDataset(**synthetic['colour']['dataset_kwargs'], split='train', pipeline=PIPELINE,
                           one_expression_per_sample=True)
    sample = dataset[0]['data_samples']
    assert len(sample.texts) == 1 and len(sample.gt_instances) == 1


def test_load_refer_expressions_alone():
    results = dict(img_path='x.jpg', expressions=[
        dict(text='the red circle', bbox=[1.0, 2.0, 11.0, 22.0]),
        dict(text='the square', bbox=[30.0, 5.0, 40.0, 15.0])])
    out = TRANSFORMS.build(dict(type='LoadReferExpressions'))(results)
    assert isinstance(out['gt_bboxes'], HorizontalBoxes)
    np.testing.assert_array_equal(out['gt_bboxes'].numpy(), [[1, 2, 11, 22], [30, 5, 40, 15]])
    assert out['gt_bboxes_labels'].tolist() == [0, 0] and out['gt_ignore_flags'].tolist() == [False, False]
    assert out['texts'] == ['the red circle', 'the square']


def test_load_refer_expressions_names_the_sample_without_expressions():
    with pytest.raises(KeyError, match='bad.jpg'):
        LoadReferExpressions()(dict(img_path='bad.jpg'))


def test_pack_rec_inputs_is_a_pack_det_inputs():
    from mmdet.datasets.transforms import PackDetInputs
    packer = TRANSFORMS.build(dict(type='PackRECInputs'))
    assert isinstance(packer, PackRECInputs) and isinstance(packer, PackDetInputs)
    assert {'texts', 'expressions'} <= set(packer.meta_keys)
