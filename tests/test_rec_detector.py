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
from mmrec.testing import TINY_DETECTOR_OPTIONS, cli_options, colored_squares, save_tiny_clip, tiny_method2_config
from mmrec.testing.rec_fixtures import REPO_ROOT

SQUARES = {'red': [60, 30, 80, 50], 'blue': [26, 16, 44, 36], 'green': [4, 44, 20, 60]}


@pytest.fixture(scope='module')
def clip_dir(tmp_path_factory) -> str:
    return save_tiny_clip(str(tmp_path_factory.mktemp('tiny_clip')))


def pass_through_box_head(model) -> None:
    """Make the RoI head return its proposals unchanged, as class 0 with a high score: zero box deltas, and
    logits favouring class 0. Then the proposals decide the detections, and the test knows the candidates."""
    head = model.roi_head.bbox_head
    with torch.no_grad():
        head.fc_reg.weight.zero_()
        head.fc_reg.bias.zero_()
        head.fc_cls.weight.zero_()
        head.fc_cls.bias.fill_(-5.0)
        head.fc_cls.bias[0] = 5.0
        head.fc_cls.bias[-1] = 0.0  # background


def rec_sample(texts, scale=(192, 96), proposal_scores=(0.9, 0.8, 0.7)) -> dict:
    """One packed test sample (mmdet's Resize, our PackRECInputs) with proposals at the squares."""
    from mmdet.datasets.transforms import Resize

    image, boxes = colored_squares(size=(96, 64), squares=SQUARES)
    results = dict(img=image, img_shape=image.shape[:2], ori_shape=image.shape[:2], img_id=3, img_path='squares',
                   texts=list(texts), expressions=[dict(text=t) for t in texts])
    results = PackRECInputs()(Resize(scale=scale, keep_ratio=False)(results))
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


def test_rescale_false_answers_in_input_pixels(colour_model):
    data, boxes = rec_sample(['red', 'blue'])
    processed = colour_model.data_preprocessor(data, False)
    sample = colour_model.predict(processed['inputs'], processed['data_samples'], rescale=False)[0]
    scale = np.array([2.0, 1.5, 2.0, 1.5], dtype=np.float32)
    np.testing.assert_allclose(sample.pred_instances.bboxes.numpy(),
                               np.stack([boxes['red'], boxes['blue']]) * scale, atol=1e-3)


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
    cfg = tiny_method2_config(clip_dir=clip_dir)
    rec_model = MODELS.build(cfg.model)
    detector_cfg = cfg.model.copy()
    detector_cfg.type = 'FasterRCNN'
    detector_cfg.pop('scorer')
    detector = MODELS.build(detector_cfg)
    assert set(rec_model.state_dict()) == set(detector.state_dict())  # no CLIP weights in checkpoints
    path = str(tmp_path / 'detector.pth')
    torch.save(dict(state_dict=detector.state_dict(), meta=dict()), path)
    clip_before = {k: v.clone() for k, v in rec_model.scorer.encoder.clip.state_dict().items()}
    load_checkpoint(rec_model, path, strict=True)
    for name, tensor in detector.state_dict().items():
        assert torch.equal(rec_model.state_dict()[name], tensor), name
    rec_model.init_weights()  # what the runner does before training
    rec_model.train()
    encoder = rec_model.scorer.encoder
    assert not encoder.training and not encoder.clip.training
    assert all(torch.equal(v, clip_before[k]) for k, v in encoder.clip.state_dict().items())
    assert not any(p.requires_grad for p in encoder.parameters())


def test_tools_test_on_tiny_refer_data(clip_dir, tmp_path):
    """`tools/test.py configs/method2.py CKPT` offline: tiny CLIP and tiny detector swapped in by --cfg-options."""
    from mmrec.datasets import generate_synthetic_refer

    summary = generate_synthetic_refer(str(tmp_path / 'data'), num_images={'val': 2, 'testA': 1, 'testB': 1},
                                       image_size=(96, 96), seed=0)
    detector_cfg = tiny_method2_config(clip_dir=clip_dir).model
    detector_cfg.type = 'FasterRCNN'
    detector_cfg.pop('scorer')
    torch.manual_seed(0)
    ckpt = str(tmp_path / 'detector.pth')
    torch.save(dict(state_dict=MODELS.build(detector_cfg).state_dict(), meta=dict()), ckpt)

    kwargs = summary['dataset_kwargs']
    options = dict(TINY_DETECTOR_OPTIONS)
    options.update({
        'model.scorer.encoder.name_or_path': clip_dir,
        'model.test_cfg.rcnn.score_thr': 0.0,  # a random detector's scores are low: keep its boxes
        'test_dataloader.dataset.data_root': kwargs['data_root'],
        'test_dataloader.dataset.ann_file': kwargs['ann_file'],
        'test_dataloader.dataset.split_file': kwargs['split_file'],
        'test_dataloader.dataset.data_prefix.img_path': kwargs['data_prefix']['img_path'],
        'test_dataloader.dataset.pipeline.3.scale': (128, 128),  # after KeepOriginalImage
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

