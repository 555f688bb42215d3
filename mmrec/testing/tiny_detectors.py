"""Tiny random-weight detectors of several families, built from mmdet's own model configs, for method 2 tests.

Each builder loads the detector config mmdet ships (``mmdet/.mim/configs``), shrinks depths and channels so it
runs in a fraction of a second on a CPU, drops the pretrained-backbone download and keeps every detection
(a random detector's scores are low). :func:`rec_detector_config` wraps one in ``configs/method2.py``'s data
settings as a :class:`~mmrec.models.RECDetector`; :func:`save_detector_checkpoint` writes the checkpoint a
user's ``tools/train.py`` run of the plain detector would (keys without a prefix).
"""
import copy
import os.path as osp
from typing import Callable, Dict, Optional, Tuple

import torch
from mmengine.config import Config, ConfigDict

from mmrec.paths import repo_path

#: Channels of the tiny ResNet-18 stages (``base_channels=8``).
_STAGES = [8, 16, 32, 64]
_WIDTH = 16


def mmdet_model(config: str) -> ConfigDict:
    """The ``model`` of one of mmdet's shipped configs (path relative to mmdet's ``configs/``)."""
    import mmdet

    return Config.fromfile(osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs', config)).model


def _tiny_resnet(backbone: dict, out_indices: Tuple[int, ...] = (0, 1, 2, 3)) -> dict:
    return ConfigDict(backbone, depth=18, base_channels=8, out_indices=out_indices, init_cfg=None)


def tiny_faster_rcnn(num_classes: int = 3) -> ConfigDict:
    """mmdet's ``faster-rcnn_r50_fpn_1x_coco`` shrunk (ResNet-18 of width 8, FPN and heads of width 16)."""
    model = mmdet_model('faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py')
    model['backbone'] = _tiny_resnet(model['backbone'])
    model['neck'].update(in_channels=_STAGES, out_channels=_WIDTH)
    model['rpn_head'].update(in_channels=_WIDTH, feat_channels=_WIDTH)
    roi_head = model['roi_head']
    roi_head['bbox_roi_extractor']['out_channels'] = _WIDTH
    roi_head['bbox_head'].update(in_channels=_WIDTH, fc_out_channels=32, num_classes=num_classes)
    model['test_cfg']['rpn'].update(nms_pre=200, max_per_img=50)
    model['test_cfg']['rcnn'].update(score_thr=0.0, max_per_img=30)
    return model


def tiny_retinanet(num_classes: int = 3) -> ConfigDict:
    """mmdet's ``retinanet_r18_fpn_1x_coco`` shrunk (one-stage)."""
    model = mmdet_model('retinanet/retinanet_r18_fpn_1x_coco.py')
    model['backbone'] = _tiny_resnet(model['backbone'])
    model['neck'].update(in_channels=_STAGES, out_channels=_WIDTH)
    model['bbox_head'].update(in_channels=_WIDTH, feat_channels=_WIDTH, stacked_convs=1, num_classes=num_classes)
    model['test_cfg'].update(score_thr=0.0, nms_pre=200, max_per_img=30)
    return model


def tiny_dino(num_classes: int = 3) -> ConfigDict:
    """mmdet's ``dino-4scale_r50_8xb2-12e_coco`` shrunk (DETR family: a tiny ResNet, one encoder and one decoder
    layer with narrow feed-forward layers, 30 queries). The width stays 256: mmdet's DINO decoder encodes the
    reference points with a fixed 128 features per coordinate."""
    model = mmdet_model('dino/dino-4scale_r50_8xb2-12e_coco.py')
    model['backbone'] = _tiny_resnet(model['backbone'], out_indices=(1, 2, 3))
    model['neck'].update(in_channels=_STAGES[1:])
    for part in ('encoder', 'decoder'):
        model[part]['num_layers'] = 1
        model[part]['layer_cfg']['ffn_cfg']['feedforward_channels'] = 64
    model['num_queries'] = 30
    model['bbox_head'].update(num_classes=num_classes)
    model['test_cfg'] = ConfigDict(max_per_img=30)
    return model


#: The tiny detector builders by family.
TINY_DETECTORS: Dict[str, Callable[[], ConfigDict]] = dict(faster_rcnn=tiny_faster_rcnn, retinanet=tiny_retinanet,
                                                     dino=tiny_dino)


def rec_detector_config(detector: dict, encoder: Optional[dict] = None, image_scale: Tuple[int, int] = (128, 128),
                        config: str = 'configs/method2.py', **rec_options) -> Config:
    """``config`` (its data, pipeline and runtime) with ``model`` replaced by a ``RECDetector`` around
    ``detector``, its scorer's ``encoder`` (the config's CLIP by default) and test images resized to
    ``image_scale``; ``rec_options`` are further ``RECDetector`` arguments (``prompt``, ...)."""
    cfg = Config.fromfile(repo_path(config))
    scorer = cfg.model.scorer.to_dict()
    if encoder is not None:
        scorer['encoder'] = encoder
    cfg.model = dict(type='RECDetector', _scope_='mmdet', detector=copy.deepcopy(detector), scorer=scorer,
                     **rec_options)
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] == 'Resize':
            step['scale'] = image_scale
    return cfg


def save_detector_checkpoint(detector: dict, path: str, seed: int = 0) -> str:
    """Build the plain ``detector`` with seeded random weights (``init_weights`` as ``tools/train.py`` does) and
    save it as its own checkpoint (``state_dict`` without prefix, ``meta``) to ``path``; returns ``path``."""
    from mmdet.registry import MODELS
    from mmengine.registry import DefaultScope

    with DefaultScope.overwrite_default_scope('mmdet'):
        torch.manual_seed(seed)
        model = MODELS.build(copy.deepcopy(detector))
        model.init_weights()
    torch.save(dict(state_dict=model.state_dict(), meta=dict(seed=seed)), path)
    return path
