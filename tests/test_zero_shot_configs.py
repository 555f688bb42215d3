"""The reference configs of configs/zero-shot/ (ReCLIP, RedCircle, mmrec's strongest method 2): their settings are
the ones their comments and the usage guide's table (docs/usage.md) claim, and their models build (with tiny weights: the real ones are
not reachable offline)."""
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.structures import InstanceData

import mmrec  # noqa: F401  (registers everything)
from mmrec.testing.rec_fixtures import REPO_ROOT

ZERO_SHOT = osp.join(REPO_ROOT, 'configs', 'zero-shot')
RECLIP = 'reclip_clip-rn50x16-vit-b32_r50_fpn_coco_refcoco.py'
REDCIRCLE = 'redcircle_clip-vit-l14-336-rn50x16_r50_fpn_coco_refcoco.py'
STRONGEST = 'method2_clip-vit-l14-336-rn50x16-all_r50_fpn_refcoco-ft_refcoco.py'
COCO_DETECTOR = 'faster_rcnn_r50_fpn_1x_coco_20200130-047c8118.pth'


def load(name: str) -> Config:
    return Config.fromfile(osp.join(ZERO_SHOT, name))


def members(cfg: Config) -> list:
    """``(type, model name)`` of the scorer's ensemble members."""
    encoder = cfg.model.scorer.encoder
    assert encoder.type == 'EncoderEnsemble' and encoder.crop_source == 'original'
    return [(m.type, m.get('model_name', m.get('name_or_path'))) for m in encoder.encoders]


def test_reclip_config():
    cfg = load(RECLIP)
    scorer = cfg.model.scorer
    assert members(cfg) == [('OpenCLIPEncoder', 'RN50x16'), ('CLIPEncoder', 'openai/clip-vit-base-patch32')]
    assert cfg.model.scorer.encoder.get('weights') is None  # summed scores: equal weights
    assert scorer.crop_mode == 'crop+blur' and scorer.reasoner == dict(type='SpatialReasoningRescorer', temperature=None)
    assert scorer.min_box_fraction == 0.05 and scorer.top_k is None
    assert scorer.get('score_subtraction') is None
    assert cfg.load_from.endswith(COCO_DETECTOR)


def test_redcircle_config():
    cfg = load(REDCIRCLE)
    scorer = cfg.model.scorer
    assert members(cfg) == [('OpenCLIPEncoder', 'ViT-L-14-336'), ('OpenCLIPEncoder', 'RN50x16')]
    assert scorer.crop_mode == 'circle' and scorer.top_k is None
    assert scorer.score_subtraction == dict(type='ScoreSubtraction', num_texts=500, source='dataset', seed=0)
    assert scorer.get('reasoner') is None and scorer.get('min_box_fraction', 0.0) == 0.0
    assert cfg.default_hooks.expression_bank.type == 'ExpressionBankHook'
    assert cfg.load_from.endswith(COCO_DETECTOR)


def test_strongest_method2_config_turns_everything_on_over_the_fine_tuned_detector():
    cfg = load(STRONGEST)
    scorer = cfg.model.scorer
    assert members(cfg) == [('OpenCLIPEncoder', 'ViT-L-14-336'), ('OpenCLIPEncoder', 'RN50x16')]
    assert scorer.crop_mode == 'crop+blur' and scorer.reasoner == dict(type='SpatialReasoningRescorer', temperature=None)
    assert scorer.min_box_fraction == 0.05 and scorer.score_subtraction.num_texts == 500
    assert cfg.default_hooks.expression_bank.type == 'ExpressionBankHook'
    assert cfg.get('load_from') is None  # the fine-tuned detector comes as the checkpoint argument


@pytest.mark.parametrize('name', [RECLIP, REDCIRCLE, STRONGEST])
def test_the_shared_members_are_not_left_in_the_final_config(name):
    """The members are '__' names of the shared piece (mmengine drops those keys): the final config holds them
    once, inside the ensembles, and its own encoder is a copy that an override does not leak into."""
    cfg = load(name)
    assert not [key for key in cfg.keys() if key.startswith('_')]
    assert [key for key in cfg.keys() if key.startswith('clip')] == ['clips_vit_l14_336_rn50x16',
                                                                      'clips_rn50x16_vit_b32']
    cfg.merge_from_dict({'model.scorer.encoder.encoders.1.pretrained': '/models/member.pt'})
    assert cfg.model.scorer.encoder.encoders[1].pretrained == '/models/member.pt'
    assert '/models/member.pt' not in str(cfg.clips_vit_l14_336_rn50x16) + str(cfg.clips_rn50x16_vit_b32)


@pytest.mark.parametrize('name', [RECLIP, REDCIRCLE, STRONGEST])
def test_each_config_gives_the_papers_figure_and_says_it_is_not_measured(name):
    with open(osp.join(ZERO_SHOT, name)) as f:
        text = f.read()
    assert 'RefCOCO val' in text and 'NOT measured by mmrec' in text
    with open(osp.join(REPO_ROOT, 'docs', 'usage.md')) as f:
        readme = f.read()
    assert f'configs/zero-shot/{name}' in readme  # the usage guide's table points at it


def test_the_usage_guide_table_quotes_the_configs_figures():
    with open(osp.join(REPO_ROOT, 'docs', 'usage.md')) as f:
        readme = f.read()
    rows = {name: line for line in readme.splitlines() for name in (RECLIP, REDCIRCLE, STRONGEST)
            if line.startswith('|') and name in line}
    assert '45.8' in rows[RECLIP] and '54.0' in rows[RECLIP] and '49.8' in rows[REDCIRCLE]
    for name, row in rows.items():
        with open(osp.join(ZERO_SHOT, name)) as f:
            comment = f.read()
        for figure in re.findall(r'\b\d\d\.\d\b', row):
            assert figure in comment, (name, figure)


@pytest.fixture(scope='module')
def tiny_weights(tmp_path_factory) -> dict:
    """Tiny random weights of each member family: an OpenCLIP ResNet (RN50x16's kind), an OpenCLIP ViT (ViT-L/14's
    kind) and a HuggingFace CLIP (ViT-B/32's loader)."""
    from mmrec.testing import save_tiny_clip
    from mmrec.testing.tiny_encoders import save_tiny_open_clip

    root = tmp_path_factory.mktemp('tiny_members')
    return dict(resnet=save_tiny_open_clip(str(root / 'open_clip'), 'resnet'),
                vit=save_tiny_open_clip(str(root / 'open_clip'), 'vit'),
                hf=save_tiny_clip(str(root / 'hf_clip')))


def with_tiny_members(cfg: Config, tiny: dict) -> Config:
    """The config with each ensemble member's weights replaced by tiny ones of the same family."""
    for member in cfg.model.scorer.encoder.encoders:
        if member.type == 'OpenCLIPEncoder':
            member.model_name, member.pretrained = tiny['resnet' if member.model_name.startswith('RN') else 'vit']
        else:
            assert member.type == 'CLIPEncoder'
            member.name_or_path = tiny['hf']
    cfg.model.backbone.init_cfg = None  # no torchvision download
    return cfg


@pytest.mark.parametrize('name', [RECLIP, REDCIRCLE, STRONGEST])
def test_the_configs_models_build_and_score_with_tiny_members_of_each_family(name, tiny_weights):
    """Each config's whole model, its ensemble members' weights swapped for tiny ones of the same families, answers
    the expressions of an image from the original image's crops with every option of the config live."""
    from mmrec.testing import colored_squares

    cfg = with_tiny_members(load(name), tiny_weights)
    model = MODELS.build(cfg.model).eval()
    scorer = model.scorer
    assert type(scorer.encoder).__name__ == 'EncoderEnsemble'
    assert [type(m).__name__ for m in scorer.encoder.encoders] == [m.type for m in cfg.model.scorer.encoder.encoders]
    assert model.crop_geometry.needs_original  # PIL-exact crops of the loaded image, as the RefCOCO configs
    if scorer.needs_expression_bank:
        scorer.set_expression_bank([(7, 'the red square'), (8, 'a green one'), (9, 'blue square on the left')])
    image, boxes = colored_squares(size=(96, 64))
    original = torch.from_numpy(image[:, :, ::-1].copy()).permute(2, 0, 1)  # RGB, as KeepOriginalImage keeps it
    view = model.crop_geometry.view(torch.zeros(3, 64, 96), dict(ori_shape=(64, 96)), original)
    speck = np.array([[2, 2, 6, 6]], np.float32)  # 0.3% of the image, the detector's top box
    detections = InstanceData(bboxes=torch.from_numpy(np.concatenate([speck, np.stack(list(boxes.values()))])),
                              scores=torch.tensor([.95, .9, .8, .7]))
    texts = ['the red square', 'blue one on the left']
    predictions, candidates = scorer(view, detections, texts, dict(ori_shape=(64, 96), img_id=1))
    assert predictions.bboxes.shape == (2, 4) and torch.isfinite(predictions.scores).all()
    assert all((candidates.bboxes == box).all(dim=1).any() for box in predictions.bboxes)
    assert len(candidates) == (3 if cfg.model.scorer.get('min_box_fraction') else 4)  # the size prior's work
