"""RECTwoStageDetector: detector + scorer end to end, checkpoints, and tools/test.py on tiny REFER data."""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.runner import load_checkpoint
from mmengine.structures import InstanceData

import mmrec  # noqa: F401  (registers everything)
from mmrec.datasets.transforms import PackRECInputs
from mmrec.testing import (TINY_DETECTOR_OPTIONS, cli_options, colored_squares, save_tiny_clip, save_tiny_detector,
                           tiny_method2_config)
from mmrec.testing.rec_fixtures import REPO_ROOT

SQUARES = {'red': [60, 30, 80, 50], 'blue': [26, 16, 44, 36], 'green': [4, 44, 20, 60]}


@pytest.fixture(scope='module')
def clip_dir(tmp_path_factory) -> str:
    return save_tiny_clip(str(tmp_path_factory.mktemp('tiny_clip')))


def pass_through_box_head(model) -> None:
    """Make the RoI head return its proposals unchanged, as class 0 with a high score: zero box deltas, and
    logits favouring class 0. Then the proposals decide the detections, and the test knows the candidates."""
    head = model.detector.roi_head.bbox_head
    with torch.no_grad():
        head.fc_reg.weight.zero_()
        head.fc_reg.bias.zero_()
        head.fc_cls.weight.zero_()
        head.fc_cls.bias.fill_(-5.0)
        head.fc_cls.bias[0] = 5.0
        head.fc_cls.bias[-1] = 0.0  # background


def packed_squares(texts, scale=(192, 96), **dataset_keys) -> tuple:
    """The squares image packed as a test sample (mmdet's Resize, our PackRECInputs), with ``dataset_keys``
    (e.g. ``candidates``) in the data_info; returns ``(packed results, {colour: box})``."""
    from mmdet.datasets.transforms import Resize

    image, boxes = colored_squares(size=(96, 64), squares=SQUARES)
    results = dict(img=image, img_shape=image.shape[:2], ori_shape=image.shape[:2], img_id=3, img_path='squares',
                   texts=list(texts), expressions=[dict(text=t) for t in texts], **dataset_keys)
    return PackRECInputs()(Resize(scale=scale, keep_ratio=False)(results)), boxes


def rec_sample(texts, scale=(192, 96), proposal_scores=(0.9, 0.8, 0.7)) -> dict:
    """One packed test sample with proposals at the squares."""
    results, boxes = packed_squares(texts, scale)
    sample: DetDataSample = results['data_samples']
    sx, sy = sample.metainfo['scale_factor']
    order = ('green', 'blue', 'red')  # best proposal score first: the reverse of what the texts ask for
    proposals = np.stack([boxes[name] for name in order]) * np.array([sx, sy, sx, sy], dtype=np.float32)
    sample.proposals = InstanceData(bboxes=torch.from_numpy(proposals), scores=torch.tensor(proposal_scores))
    return dict(inputs=[results['inputs']], data_samples=[sample]), boxes


@pytest.fixture
def colour_model():
    cfg = tiny_method2_config(encoder=dict(type='MeanColorEncoder'))
    model = MODELS.build(cfg.model)
    pass_through_box_head(model)
    return model.eval()


GT_CONFIG = 'configs/method2_clip-vit-b32-spatial_gt-boxes_refcoco.py'
#: Grey background patches along the top edge, listed before the squares: with the scorer's default top_k=10
#: the squares would not be scored at all.
BACKGROUND = [[9.0 * i, 0.0, 9.0 * i + 8, 10.0] for i in range(10)]


def annotated_squares(texts) -> tuple:
    """The squares sample as ``REFERDataset(with_candidates=True)`` gives it: the background patches, then
    green, blue and red as annotated objects; returns ``(data, candidate boxes (13, 4) in original pixels)``."""
    boxes = BACKGROUND + [[float(v) for v in SQUARES[name]] for name in ('green', 'blue', 'red')]
    candidates = [dict(bbox=box, ann_id=index + 1, category_id=1) for index, box in enumerate(boxes)]
    results, _ = packed_squares(texts, candidates=candidates)
    return dict(inputs=[results['inputs']], data_samples=[results['data_samples']]), np.array(boxes, np.float32)


def not_run(*args, **kwargs):
    raise AssertionError('the detector network ran')


@pytest.fixture
def ground_truth_model():
    """The ground-truth boxes config (spatial reasoning on) with the mean-colour encoder; the detector must not run."""
    cfg = tiny_method2_config(encoder=dict(type='MeanColorEncoder'), config=GT_CONFIG)
    model = MODELS.build(cfg.model).eval()
    assert model.candidate_source == 'ground_truth' and model.scorer.top_k is None
    model.detector.extract_feat = not_run
    return model


def test_one_box_per_expression_in_original_pixels(colour_model):
    data, boxes = rec_sample(['the red one', 'blue', 'green square', 'red'])
    sample = colour_model.test_step(data)[0]
    expected = np.stack([boxes['red'], boxes['blue'], boxes['green'], boxes['red']])
    np.testing.assert_allclose(sample.pred_instances.bboxes.numpy(), expected, atol=1e-3)
    assert sample.pred_instances.scores.shape == (4,)
    candidates = sample.candidates
    np.testing.assert_allclose(candidates.bboxes.numpy(),
                               np.stack([boxes['green'], boxes['blue'], boxes['red']]), atol=1e-3)
    assert (candidates.scores[:-1] >= candidates.scores[1:]).all()


@pytest.mark.parametrize('candidate_source', ['detector', 'ground_truth'])
def test_rescale_false_answers_in_input_pixels(candidate_source, request):
    if candidate_source == 'detector':
        model, (data, _) = request.getfixturevalue('colour_model'), rec_sample(['red', 'blue'])
    else:
        model, (data, _) = request.getfixturevalue('ground_truth_model'), annotated_squares(['red', 'blue'])
    processed = model.data_preprocessor(data, False)
    sample = model.predict(processed['inputs'], processed['data_samples'], rescale=False)[0]
    scale = np.array([2.0, 1.5, 2.0, 1.5], dtype=np.float32)
    np.testing.assert_allclose(sample.pred_instances.bboxes.numpy(),
                               np.stack([SQUARES['red'], SQUARES['blue']]) * scale, atol=1e-3)


def test_batch_of_two_images_of_different_sizes(colour_model):
    first, boxes = rec_sample(['red', 'blue'], scale=(192, 96))
    second, _ = rec_sample(['green'], scale=(144, 96))
    data = dict(inputs=first['inputs'] + second['inputs'], data_samples=first['data_samples'] + second['data_samples'])
    samples = colour_model.test_step(data)
    np.testing.assert_allclose(samples[0].pred_instances.bboxes.numpy(),
                               np.stack([boxes['red'], boxes['blue']]), atol=1e-3)
    np.testing.assert_allclose(samples[1].pred_instances.bboxes.numpy(), boxes['green'][None], atol=1e-3)


def test_missing_texts_and_training_are_refused(colour_model):
    data, _ = rec_sample(['red'])
    del data['data_samples'][0].texts
    with pytest.raises(KeyError, match='PackRECInputs'):
        colour_model.test_step(data)
    with pytest.raises(NotImplementedError, match='configs/detector'):
        colour_model.loss(torch.zeros(1, 3, 64, 64), [])


def test_plain_detector_checkpoint_loads_and_clip_stays_frozen(clip_dir, tmp_path):
    rec_model = MODELS.build(tiny_method2_config(clip_dir=clip_dir).model)
    path = save_tiny_detector(str(tmp_path / 'detector.pth'), clip_dir)
    detector_state = torch.load(path, map_location='cpu', weights_only=True)['state_dict']
    # the detector's weights under detector., no CLIP weights in checkpoints
    assert set(rec_model.state_dict()) == {f'detector.{key}' for key in detector_state}
    clip_before = {k: v.clone() for k, v in rec_model.scorer.encoder.clip.state_dict().items()}
    load_checkpoint(rec_model, path, strict=True)
    for name, tensor in detector_state.items():
        assert torch.equal(rec_model.state_dict()[f'detector.{name}'], tensor), name
    rec_model.init_weights()  # what the runner does before training
    rec_model.train()
    encoder = rec_model.scorer.encoder
    assert not encoder.training and not encoder.clip.training
    assert all(torch.equal(v, clip_before[k]) for k, v in encoder.clip.state_dict().items())
    assert not any(p.requires_grad for p in encoder.parameters())


def test_tools_test_on_tiny_refer_data(clip_dir, tmp_path):
    """`tools/test.py configs/method2.py CKPT` offline: tiny CLIP and tiny detector swapped in by --cfg-options."""
    from mmrec.datasets import generate_synthetic_refer
    from mmrec.apps.quickstart import resize_step

    summary = generate_synthetic_refer(str(tmp_path / 'data'), num_images={'val': 2, 'testA': 1, 'testB': 1},
                                       image_size=(96, 96), seed=0)
    ckpt = save_tiny_detector(str(tmp_path / 'detector.pth'), clip_dir)

    kwargs = summary['dataset_kwargs']
    options = dict(TINY_DETECTOR_OPTIONS)
    options.update({
        'model.scorer.encoder.name_or_path': clip_dir,
        'model.test_cfg.rcnn.score_thr': 0.0,  # a random detector's scores are low: keep its boxes
        'test_dataloader.dataset.data_root': kwargs['data_root'],
        'test_dataloader.dataset.ann_file': kwargs['ann_file'],
        'test_dataloader.dataset.split_file': kwargs['split_file'],
        'test_dataloader.dataset.data_prefix.img_path': kwargs['data_prefix']['img_path'],
        f'test_dataloader.dataset.pipeline.{resize_step("configs/method2.py", "test_dataloader.dataset")}.scale':
            (128, 128),
        'test_dataloader.num_workers': 0,
        'test_dataloader.persistent_workers': False,
    })
    out = str(tmp_path / 'preds.jsonl')
    command = [sys.executable, osp.join(REPO_ROOT, 'tools', 'test.py'), osp.join(REPO_ROOT, 'configs', 'method2.py'),
               ckpt, '--work-dir', str(tmp_path / 'work'), '--out', out, '--cfg-options', *cli_options(options)]
    env = dict(os.environ, HF_HUB_OFFLINE='1', TRANSFORMERS_OFFLINE='1')
    result = subprocess.run(command, cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = result.stdout + result.stderr
    for split in ('val', 'testA', 'testB'):
        for key in ('accuracy', 'mean_iou', 'upper_bound'):
            assert f'rec/{split}/{key}' in log, (split, key, log[-2000:])
    with open(out) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    assert len(rows) == sum(summary['num_expressions'].values())  # every expression answered once



def test_ground_truth_candidates_are_all_scored_without_the_detector(ground_truth_model):
    texts = ['the red one', 'blue', 'green square', 'red']
    data, candidate_boxes = annotated_squares(texts)
    sample = ground_truth_model.test_step(data)[0]
    expected = np.stack([SQUARES['red'], SQUARES['blue'], SQUARES['green'], SQUARES['red']]).astype(np.float32)
    np.testing.assert_allclose(sample.pred_instances.bboxes.numpy(), expected)
    # every annotated object, in the dataset's order, with the uniform prior score
    np.testing.assert_allclose(sample.candidates.bboxes.numpy(), candidate_boxes)
    assert sample.candidates.scores.tolist() == [1.0] * len(candidate_boxes)


def test_ground_truth_without_candidates_names_the_sample_and_the_fix(ground_truth_model):
    data, _ = rec_sample(['red'])  # a dataset that was not asked for the annotated objects
    del data['data_samples'][0].proposals
    with pytest.raises(ValueError, match=r'sample squares has no gt_candidates.*with_candidates=True'):
        ground_truth_model.test_step(data)


def test_bad_candidate_source_is_named():
    cfg = tiny_method2_config(encoder=dict(type='MeanColorEncoder'))
    cfg.model.candidate_source = 'proposals'
    with pytest.raises(ValueError, match=r"candidate_source must be one of \('detector', 'ground_truth'\)"):
        MODELS.build(cfg.model)


def test_ground_truth_config_on_refer_data_answers_annotated_objects(clip_dir, tmp_path):
    """The config's own test dataset (with_candidates=True) and pipeline on synthetic REFER data, tiny CLIP: the
    candidates are exactly the image's annotations and every answer is one of them."""
    from mmdet.registry import DATASETS
    from mmengine.dataset import pseudo_collate

    from mmrec.datasets import generate_synthetic_refer

    summary = generate_synthetic_refer(str(tmp_path / 'data'), num_images={'val': 2}, image_size=(96, 96), seed=0)
    cfg = tiny_method2_config(clip_dir=clip_dir, config=GT_CONFIG)
    cfg.test_dataloader.dataset.update(summary['dataset_kwargs'], split='val')
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    model = MODELS.build(cfg.model).eval()
    model.detector.extract_feat = not_run
    samples = model.test_step(pseudo_collate([dataset[index] for index in range(len(dataset))]))
    for index, sample in enumerate(samples):
        annotated = torch.tensor([c['bbox'] for c in dataset.get_data_info(index)['candidates']])
        torch.testing.assert_close(sample.candidates.bboxes, annotated)
        assert len(sample.pred_instances) == len(sample.texts)
        assert all((annotated == box).all(dim=1).any() for box in sample.pred_instances.bboxes)
