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
