"""Both methods end to end with each encoder family: OpenCLIP (a ResNet tower like RN50x16's), SigLIP, SigLIP 2
NaFlex and an ensemble of OpenCLIP + SigLIP (different crop sizes, normalisations and widths), all tiny,
random and offline, run by the MMEngine runner's test loop as ``tools/test.py`` runs it: synthetic REFER data,
the tiny detector, crops from the original image (the RefCOCO configs' setting), RECMetric."""
import json

import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.runner import Runner

import mmrec  # noqa: F401  (registers everything)
from mmrec.apps.benchmark import method_config
from mmrec.datasets import generate_synthetic_refer
from mmrec.testing.tiny_encoders import save_tiny_open_clip, save_tiny_siglip

FAMILIES = ('open_clip', 'siglip', 'siglip2_naflex', 'ensemble')


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp('families')
    summary = generate_synthetic_refer(str(root / 'data'), num_images={'val': 2}, image_size=(96, 96), seed=0)
    resnet = save_tiny_open_clip(str(root / 'open_clip'), 'resnet')
    vit = save_tiny_open_clip(str(root / 'open_clip'), 'vit', safetensors=True)
    siglip = save_tiny_siglip(str(root / 'siglip'))
    encoders = {
        'open_clip': dict(type='OpenCLIPEncoder', model_name=resnet[0], pretrained=resnet[1]),
        'siglip': dict(type='SigLIPEncoder', name_or_path=siglip),
        'siglip2_naflex': dict(type='SigLIPEncoder', name_or_path=save_tiny_siglip(str(root / 'naflex'), naflex=True)),
        'ensemble': dict(type='EncoderEnsemble', weights=[2, 1],
                         encoders=[dict(type='OpenCLIPEncoder', model_name=vit[0], pretrained=vit[1]),
                                   dict(type='SigLIPEncoder', name_or_path=siglip)]),
    }
    return dict(root=root, summary=summary, encoders=encoders)


def run_test_loop(method: int, encoder: dict, setup: dict, name: str):
    """The runner's test loop on the synthetic val split; returns ``(metrics, prediction rows)``."""
    cfg = method_config(method, clip_dir='unused', top_k=5, tiny=True)
    encoder_cfg = ConfigDict(encoder, crop_source='original')
    if method == 2:
        cfg.model.scorer.encoder = encoder_cfg
    else:
        cfg.model.roi_head.bbox_head.encoder = encoder_cfg
    dataset = cfg.test_dataloader.dataset
    dataset.update(setup['summary']['dataset_kwargs'], split='val')
    cfg.test_dataloader.update(num_workers=0, persistent_workers=False)
    out = str(setup['root'] / f'{name}.jsonl')
    cfg.test_evaluator.dump_file = out
    cfg.work_dir = str(setup['root'] / f'work_{name}')
    cfg.experiment_name = name
    torch.manual_seed(0)
    metrics = Runner.from_cfg(cfg).test()
    with open(out) as f:
        return metrics, [json.loads(line) for line in f if line.strip()]


@pytest.mark.parametrize('method', [2, 1])
@pytest.mark.parametrize('family', FAMILIES)
def test_both_methods_answer_every_expression_with_each_family(setup, family, method):
    metrics, rows = run_test_loop(method, setup['encoders'][family], setup, f'method{method}_{family}')
    assert len(rows) == setup['summary']['num_expressions']['val']  # every expression answered once
    for key in ('rec/accuracy', 'rec/mean_iou', 'rec/upper_bound'):
        assert 0.0 <= metrics[key] <= 1.0, (key, metrics)
    boxes = torch.tensor([row['pred_bbox'] for row in rows])
    assert torch.isfinite(boxes).all() and (boxes[:, 2:] > boxes[:, :2]).all()
