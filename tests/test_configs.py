"""Every config under configs/ loads, and every ``type`` it names resolves in mmdet's registries."""
import glob
import os.path as osp

import mmcv.ops
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

import mmrec  # noqa: F401
from mmdet import registry as mmdet_registry

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p)
REGISTRIES = [getattr(mmdet_registry, name) for name in dir(mmdet_registry)
              if type(getattr(mmdet_registry, name)).__name__ == 'Registry']


def named_types(node, path=''):
    """``(path, type name)`` of every string ``type`` in a nested config."""
    if isinstance(node, dict):
        if isinstance(node.get('type'), str):
            yield path or '<root>', node['type']
        for key, value in node.items():
            yield from named_types(value, f'{path}.{key}' if path else str(key))
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from named_types(value, f'{path}.{index}')


def resolves(path: str, type_name: str) -> bool:
    """Registered in a registry reachable from mmdet's scope; ``nms`` and ``roi_layer`` entries name mmcv.ops
    members (mmdet looks them up with getattr, not a registry)."""
    if path.endswith(('.nms', '.roi_layer')):
        return callable(getattr(mmcv.ops, type_name, None))
    with DefaultScope.overwrite_default_scope('mmdet'):
        return any(registry.get(type_name) is not None for registry in REGISTRIES)


def test_there_are_configs_for_both_methods():
    names = {osp.basename(p) for p in CONFIGS}
    assert {'method1.py', 'method2.py'} <= names


@pytest.mark.parametrize('config', CONFIGS, ids=lambda p: osp.relpath(p, osp.join(REPO, 'configs')))
def test_config_loads_and_its_types_are_registered(config):
    cfg = Config.fromfile(config)
    assert cfg.get('default_scope') == 'mmdet'
    assert 'mmrec' in cfg.get('custom_imports', {}).get('imports', [])
    unknown = [(path, name) for path, name in named_types(cfg.to_dict()) if not resolves(path, name)]
    assert not unknown, f'{osp.basename(config)} names unregistered types: {unknown}'


def test_import_registers_mmrec_modules_in_mmdet_registries():
    assert mmdet_registry.DATASETS.get('REFERDataset').__module__.startswith('mmrec.')
    assert mmdet_registry.METRICS.get('RECMetric').__module__.startswith('mmrec.')
    assert mmdet_registry.TRANSFORMS.get('PackRECInputs').__module__.startswith('mmrec.')
    assert mmdet_registry.MODELS.get('CLIPProposalScorer').__module__.startswith('mmrec.')
    assert mmdet_registry.MODELS.get('CLIPTextConditionedHead').__module__.startswith('mmrec.')
    assert mmdet_registry.HOOKS.get('RECVisualizationHook').__module__.startswith('mmrec.')
    # mmdet's own REC names are left alone
    assert mmdet_registry.DATASETS.get('RefCocoDataset').__module__.startswith('mmdet.')
    assert mmdet_registry.METRICS.get('RefExpMetric').__module__.startswith('mmdet.')


GROUND_TRUTH_CONFIGS = ['method1_clip-vit-b32_r50_fpn_5e-gt-boxes_refcoco.py',
                        'method2_clip-vit-b32-spatial_gt-boxes_refcoco.py']


@pytest.mark.parametrize('name', GROUND_TRUTH_CONFIGS)
def test_ground_truth_box_configs_score_the_annotated_objects_of_refcoco(name):
    """ReCLIP's ground-truth boxes setting: the model takes the samples' gt_candidates, which the val and test
    datasets (RefCOCO, the same splits as the detector configs) are asked for."""
    cfg = Config.fromfile(osp.join(REPO, 'configs', name))
    assert cfg.model.candidate_source == 'ground_truth'
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        assert loader.dataset.type == 'REFERDataset' and loader.dataset.with_candidates
        assert loader.dataset.ann_file == 'refcoco/instances.json'
    assert cfg.test_dataloader.dataset.split == ['val', 'testA', 'testB']
    if name.startswith('method2'):  # all annotated objects scored, with spatial reasoning
        assert cfg.model.scorer.top_k is None and cfg.model.scorer.spatial_reasoning is not None
    else:  # the answer stays one of the annotated boxes
        head = cfg.model.roi_head.bbox_head
        assert not head.refine_boxes and not head.local_search.enable and cfg.train_dataloader is None


@pytest.mark.parametrize('config', [p for p in CONFIGS if osp.basename(p) not in GROUND_TRUTH_CONFIGS],
                         ids=lambda p: osp.relpath(p, osp.join(REPO, 'configs')))
def test_other_configs_use_the_detector_and_load_no_candidates(config):
    cfg = Config.fromfile(config)
    assert cfg.model.get('candidate_source', 'detector') == 'detector'
    loaders = [cfg.get(key) for key in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    assert not any(loader.dataset.get('with_candidates') for loader in loaders if loader)
