"""Every config under configs/ loads, and every ``type`` it names resolves in mmdet's registries."""
import ast
import glob
import importlib
import os.path as osp
import re

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
    assert scoring_parts(cfg.get('model', {})) == [], 'the shared scoring parts are set as registered parts'


#: the scoring parts both methods set the same way: key -> registered type.
SHARED_PARTS = {'reasoner': 'SpatialReasoningRescorer', 'score_subtraction': 'ScoreSubtraction'}


def scoring_parts(node, path='model'):
    """Where a model config sets a shared scoring part otherwise than as ``key=dict(type=<its type>, ...)`` or
    ``None``, or still writes the plain keyword of before (``spatial_reasoning``)."""
    wrong = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'spatial_reasoning':
                wrong.append(f'{path}.{key}')
            elif key in SHARED_PARTS and value is not None and (
                    not isinstance(value, dict) or value.get('type') != SHARED_PARTS[key]):
                wrong.append(f'{path}.{key}')
            wrong += scoring_parts(value, f'{path}.{key}')
    return wrong


def test_the_parts_check_finds_the_plain_form_and_an_untyped_part():
    model = dict(scorer=dict(spatial_reasoning=dict(), score_subtraction=dict(num_texts=5)),
                 roi_head=dict(bbox_head=dict(reasoner=dict(type='SpatialReasoningRescorer'))))
    assert scoring_parts(model) == ['model.scorer.spatial_reasoning', 'model.scorer.score_subtraction']


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
        assert cfg.model.scorer.top_k is None and cfg.model.scorer.reasoner is not None
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


# ---------------------------------------------------------------------------------------------- flat configs
# How deep `_base_` may nest, counting mmdet's files (mmdet's own configs nest deeper). A piece under a `_base_/`
# folder may extend one piece of ours, which may extend one of mmdet's (the tiny method 2 model extends the R50
# one, which extends mmdet's faster-rcnn_r50_fpn.py): MAX_PIECE_DEPTH. A leaf config lists its pieces (model,
# data, schedule, runtime): MAX_BASE_DEPTH. A variant (its `_base_` names another leaf config: method1.py, the
# gt-boxes, zero-shot and crop-only configs) changes a few keys of that leaf: one level more.
MAX_PIECE_DEPTH = 2
MAX_BASE_DEPTH = 3
PIECES = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True) if '_base_' in p)
# pipeline.2.scale (--cfg-options), pipeline[2], ['pipeline'][2]
POSITIONAL_PIPELINE_INDEX = re.compile(r'pipeline[\'"]?\]?\s*(\.|\[)\s*\d')


def base_files(path: str) -> list:
    """The files of a config's ``_base_`` (a string or a list of them, relative or ``mmdet::``), read from its
    source text without executing it."""
    tree = ast.parse(open(path).read(), path)
    bases = [ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
             and any(isinstance(t, ast.Name) and t.id == '_base_' for t in node.targets)]
    if not bases:
        return []
    names = bases[-1] if isinstance(bases[-1], list) else [bases[-1]]
    files = []
    for name in names:
        if '::' in name:
            package, relative = name.split('::')
            files.append(osp.join(osp.dirname(importlib.import_module(package).__file__), '.mim', 'configs',
                                  relative))
        else:
            files.append(osp.normpath(osp.join(osp.dirname(path), name)))
    return files


def base_depth(path: str) -> int:
    """How many levels of ``_base_`` are below a config: 0 for a config without one."""
    return max((1 + base_depth(base) for base in base_files(path)), default=0)


def test_base_files_are_found_and_the_depth_counts_mmdet_bases():
    bases = base_files(osp.join(REPO, 'configs', 'detector', 'faster-rcnn_r50_fpn_1x_refcoco-train.py'))
    assert len(bases) == 3 and all(osp.isfile(b) for b in bases)  # two mmdet:: files and one of ours
    assert base_depth(bases[0]) == 0  # mmdet's Faster R-CNN model
    assert base_depth(bases[2]) == 1  # the detector schedule piece: mmdet's 1x schedule and runtime
    tiny = base_files(osp.join(REPO, 'configs', 'detector', 'faster-rcnn_r18-tiny_fpn_20e_synthetic.py'))
    assert base_depth(tiny[0]) == 1  # the tiny detector's model base: mmdet's Faster R-CNN + the tiny sizes
    assert base_depth(osp.join(REPO, 'configs', 'method1.py')) == 3  # -> 5e leaf -> model piece -> mmdet's
    crop_only = osp.join(REPO, 'configs', 'quickstart', 'method2_tiny-clip_r18-tiny_fpn_crop-only_synthetic.py')
    assert is_variant(crop_only) and not is_variant(base_files(crop_only)[0])


def is_variant(path: str) -> bool:
    """Whether a config's ``_base_`` names a leaf config (one outside the ``_base_/`` folders)."""
    return any(osp.realpath(base) in map(osp.realpath, CONFIGS) for base in base_files(path))


@pytest.mark.parametrize('config', CONFIGS, ids=lambda p: osp.relpath(p, osp.join(REPO, 'configs')))
def test_config_nests_its_bases_at_most_three_levels_deep(config):
    """Readable configs: a leaf lists its _base_ pieces (or is a variant of one such leaf), no long chains."""
    assert base_depth(config) <= MAX_BASE_DEPTH + is_variant(config)


@pytest.mark.parametrize('piece', PIECES, ids=lambda p: osp.relpath(p, osp.join(REPO, 'configs')))
def test_base_pieces_extend_at_most_two_levels(piece):
    assert base_depth(piece) <= MAX_PIECE_DEPTH


def test_no_positional_pipeline_indices_in_configs_or_the_quickstart():
    """Pipelines are overridden whole (configs) or their steps found by type (mmrec/apps/quickstart/), never by
    position: a step added to a pipeline must not silently move another one's settings."""
    files = glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    files += glob.glob(osp.join(REPO, 'mmrec', 'apps', 'quickstart', '*.py'))
    offending = [f'{osp.relpath(path, REPO)}:{number}' for path in files
                 for number, line in enumerate(open(path), 1) if POSITIONAL_PIPELINE_INDEX.search(line)]
    assert not offending
    for positional in ('test_dataloader.dataset.pipeline.3.scale', 'pipeline[2]', "cfg['pipeline'][2]"):
        assert POSITIONAL_PIPELINE_INDEX.search(positional)
    assert not POSITIONAL_PIPELINE_INDEX.search("pipeline = [dict(type='Resize', scale=image_scale)]")


def load(relative: str) -> dict:
    return Config.fromfile(osp.join(REPO, 'configs', relative), import_custom_modules=False).to_dict()


def test_tiny_models_share_the_tiny_detectors_network():
    """The quickstart loads the tiny detector's checkpoint into the tiny method 1 and method 2 models."""
    detector = load('quickstart/faster-rcnn_r18-tiny_fpn_12e_source-shapes.py')['model']
    for config in ('quickstart/faster-rcnn_r18-tiny_fpn_6e_synthetic-ft.py',
                   'quickstart/method1_tiny-clip_r18-tiny_fpn_ft_synthetic.py',
                   'quickstart/method2_tiny-clip_r18-tiny_fpn_synthetic.py',
                   'method1_tiny-clip_r18_fpn_2e_synthetic.py', 'method2_tiny-clip_r18-tiny_fpn_synthetic.py'):
        model = load(config)['model']
        for part in ('data_preprocessor', 'backbone', 'neck', 'rpn_head'):
            assert model[part] == detector[part], (config, part)
        assert model['roi_head']['bbox_roi_extractor']['out_channels'] == detector['neck']['out_channels']
        head = model['roi_head']['bbox_head']
        fcs = head.get('branch', head)  # method 1: its head's branch; else mmdet's Shared2FCBBoxHead
        assert (fcs['in_channels'], fcs['fc_out_channels']) == (32, 128), config
    assert load('quickstart/method2_tiny-clip_r18-tiny_fpn_synthetic.py')['model']['roi_head']['bbox_head'][
        'num_classes'] == len(load('detector/faster-rcnn_r18-tiny_fpn_20e_synthetic.py')[
            'train_dataloader']['dataset']['metainfo']['classes'])


def test_quickstart_variants_differ_only_where_they_say():
    """The crop-only quickstart config is a variant of its sibling and the zero-shot one lists its bases
    beside the fine-tuned one: neither may differ from its sibling but where it says."""
    spatial = load('quickstart/method2_tiny-clip_r18-tiny_fpn_synthetic.py')
    crop_only = load('quickstart/method2_tiny-clip_r18-tiny_fpn_crop-only_synthetic.py')
    reasoner = spatial['model']['scorer'].pop('reasoner')
    assert reasoner is not None
    assert crop_only['model']['scorer'].pop('reasoner') is None
    assert crop_only == spatial
    generalized_path = osp.join(REPO, 'configs', 'quickstart', 'method2_tiny-clip_r18-tiny_fpn_grec_synthetic.py')
    assert is_variant(generalized_path)
    generalized = load('quickstart/method2_tiny-clip_r18-tiny_fpn_grec_synthetic.py')  # + its threshold, gRefCOCO
    assert generalized['model']['scorer'].pop('generalized_score_thr') is not None
    assert generalized['model']['scorer'].pop('reasoner') == reasoner
    assert generalized['model'] == spatial['model'] and generalized['test_evaluator']['type'] == 'GRECMetric'
    for loader in ('val_dataloader', 'test_dataloader'):
        grec, refer = generalized[loader]['dataset'], spatial[loader]['dataset']
        assert grec['type'] == 'GRefCOCODataset' and grec['pipeline'][1]['type'] == 'LoadGRECExpressions'
        assert grec['pipeline'][2] == refer['pipeline'][2]  # the same Resize step: the generator's image size

    finetuned = load('quickstart/method1_tiny-clip_r18-tiny_fpn_ft_synthetic.py')
    zero_shot = load('quickstart/method1_tiny-clip_r18-tiny_fpn_zeroshot_synthetic.py')
    for cfg in (finetuned, zero_shot):
        cfg['model'].pop('frozen_modules')  # training only
        cfg['model']['roi_head'].pop('bbox_roi_extractor')  # the branch's
        assert (cfg['model']['roi_head']['bbox_head'].pop('branch') is not None) is (cfg is finetuned)
    assert zero_shot['model'] == finetuned['model']
    for key in ('test_dataloader', 'test_evaluator', 'test_cfg', 'load_from', 'default_scope', 'custom_imports'):
        assert zero_shot[key] == finetuned[key], key
    assert zero_shot['train_dataloader'] is None and zero_shot['train_cfg'] is None
