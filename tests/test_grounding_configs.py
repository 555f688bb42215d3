"""The MM-GDINO-T configs load, run without fairscale or downloads (RECBertModel, no gradient checkpointing,
no ImageNet init), and their GroundingDINO builds from the config and predicts (with a tiny saved BERT in
place of bert-base-uncased)."""
import glob
import os

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmrec  # noqa: F401
from mmrec.models.method2.grounding import predict_prompts
from mmrec.testing import save_tiny_bert

CONFIGS = sorted(glob.glob(os.path.join(os.path.dirname(os.path.dirname(__file__)), 'configs',
                                        'method2_*mm-gdino*.py')))
EXPECTED = {'subject': 3, 'expression': 2}  # refcoco/+/g with 'subject'; 'expression' and the top-1 baseline


def load(path: str) -> Config:
    return Config.fromfile(path)


def test_every_setting_has_a_config():
    prompts = [load(path).model.prompt for path in CONFIGS]
    assert {prompt: prompts.count(prompt) for prompt in set(prompts)} == EXPECTED


@pytest.mark.parametrize('path', CONFIGS, ids=os.path.basename)
def test_config_needs_no_fairscale_and_says_where_weights_come_from(path):
    cfg = load(path)
    detector = cfg.model.detector
    assert cfg.model.type == 'RECDetector' and detector.type == 'GroundingDINO'
    assert detector.language_model.type == 'RECBertModel'
    assert detector.encoder.num_cp <= 0 and detector.backbone.with_cp is False
    assert 'init_cfg' not in detector.backbone  # the checkpoint holds the whole detector
    assert cfg.load_from.startswith('https://download.openmmlab.com/mmdetection/v3.0/mm_grounding_dino/')
    text = open(path).read().lower()
    assert 'not measured here' in text and ('53.1' in text or '61.2' in text)
    assert 'FixScaleResize' in [step.type for step in cfg.test_dataloader.dataset.pipeline]


def test_baseline_keeps_the_detectors_top_box():
    cfg = load(next(path for path in CONFIGS if 'top1' in path))
    assert cfg.model.scorer.top_k == 1 and cfg.model.scorer.reasoner is None


def test_config_detector_builds_and_shares_image_work(tmp_path):
    """The configs' MM-GDINO-T layout (Swin-T, 6+6 layers), random, with 100 queries (not 900: the test's
    small image has fewer than 900 feature positions)."""
    init_default_scope('mmdet')
    cfg = load(CONFIGS[0])
    cfg.model.detector.language_model.name = save_tiny_bert(str(tmp_path / 'bert'), ['lion', 'man'])
    cfg.model.detector.num_queries = 100
    with torch.random.fork_rng():
        torch.manual_seed(0)
        detector = MODELS.build(cfg.model.detector).eval()
    meta = dict(img_shape=(128, 128), ori_shape=(128, 128), scale_factor=(1.0, 1.0))
    with torch.no_grad():
        data = detector.data_preprocessor(dict(inputs=[torch.zeros(3, 128, 128, dtype=torch.uint8)],
                                               data_samples=[DetDataSample(metainfo=meta)]), False)
    results = predict_prompts(detector, data['inputs'], data['data_samples'][0], ['lion', 'man'])
    assert [len(result) for result in results] == [30, 30]  # test_cfg.max_per_img
