"""tools/sweep.py: every point of a grid scored in one pass equals a separate evaluation of it, the expensive
work runs once per image (once per distinct backbone / candidate set), 2 processes equal 1, and bad grid
keys or values fail before any work, naming the key."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config

from mmrec.engine.sweep import load_points, parse_grid, parse_value, split_top_level
from mmrec.utils import UserError
from test_rec_cache import METHOD1_CONFIG, METHOD2_CONFIG, evaluate, rec_config, setup  # noqa: F401 (fixture)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def config_file(setup, config: str, name: str, **options) -> str:
    """The tiny test config of ``config`` (with ``--cfg-options``-style ``options``) written to a file the tools
    read."""
    cfg = rec_config(config, setup['data_root'], setup['clip_dir'], str(setup['root'] / 'unused'), **options)
    path = str(setup['root'] / f'{name}.py')
    cfg.dump(path)
    return path


def sweep(load_tool, setup, config: str, grid, *extra: str, name: str = 'sweep', options=None):
    work_dir = str(setup['root'] / name)
    arguments = [config_file(setup, config, name, **(options or {})), setup['checkpoints'][config][0],
                 '--work-dir', work_dir]
    for entry in grid:
        arguments += ['--grid', entry]
    return load_tool('sweep').main(arguments + list(extra))


def test_grid_values_parse_as_literals_with_brackets_kept_together():
    assert split_top_level("['{}'],['a photo of {}.', 'x, y']") == ["['{}']", "['a photo of {}.', 'x, y']"]
    assert [parse_value(v) for v in ('5', '0.5', 'None', 'true', 'crop+blur', '{}')] == [5, 0.5, None, True,
                                                                                        'crop+blur', {}]
    assert parse_grid(['model.scorer.top_k=5,10', "model.scorer.prompt_templates=['{}'],['a {}']"]) == {
        'model.scorer.top_k': [5, 10], 'model.scorer.prompt_templates': [['{}'], ['a {}']]}


def test_every_point_equals_its_separate_evaluation_method2(load_tool, setup):
    grid = ['model.scorer.detector_score_weight=0.0,0.5', 'model.scorer.top_k=2,5']
    results = sweep(load_tool, setup, METHOD2_CONFIG, grid, name='sweep_m2')

    assert [dict(p) for p in results['points']] == [
        {'model.scorer.detector_score_weight': w, 'model.scorer.top_k': k} for w in (0.0, 0.5) for k in (2, 5)]
    for point, metrics in zip(results['points'], results['metrics']):
        separate, _, _ = evaluate(setup, METHOD2_CONFIG, **point)
        assert metrics == separate, point  # every metric, exactly
    cache = results['cache']
    num_images = cache.stats['detections']['computed']
    assert num_images == 5  # the detector ran once per image for the 4 points
    assert cache.stats['crops']['computed'] == 2 * num_images  # one crop batch per image and top_k
    with open(results['files']['json']) as file:
        assert [row['metrics'] for row in json.load(file)] == results['metrics']
    with open(results['files']['csv']) as file:
        assert len(file.read().strip().splitlines()) == 1 + 4


def test_detector_side_points_are_reported_under_their_own_settings_without_init_weights(load_tool, setup,
                                                                                        monkeypatch):
    """max_per_img=1 is another detector group than the base config's 100, processed after it: every point's
    metrics must still be reported under its own settings. The backbone's ``Pretrained`` init weights do not
    exist: the group's model is loaded as tools/test.py loads one (checkpoint only, no ``init_weights``)."""
    missing = str(setup['root'] / 'no_such_dir' / 'resnet18.pth')
    options = {'model.backbone.init_cfg': dict(_delete_=True, type='Pretrained', checkpoint=missing)}

    def no_network(*args, **kwargs):
        raise AssertionError('the sweep reached for the network')

    monkeypatch.setattr('urllib.request.urlopen', no_network)
    grid = ['model.test_cfg.rcnn.max_per_img=1,100', 'model.scorer.top_k=2,5']
    results = sweep(load_tool, setup, METHOD2_CONFIG, grid, name='sweep_detector_side', options=options)

    assert [dict(p) for p in results['points']] == [
        {'model.test_cfg.rcnn.max_per_img': m, 'model.scorer.top_k': k} for m in (1, 100) for k in (2, 5)]
    separate = [evaluate(setup, METHOD2_CONFIG, **options, **point)[0] for point in results['points']]
    assert separate[:2] != separate[2:]  # max_per_img changes the answers, so a mix-up would show
    for point, metrics, expected in zip(results['points'], results['metrics'], separate):
        assert metrics == expected, point
    with open(results['files']['json']) as file:
        assert [(row['point'], row['metrics']) for row in json.load(file)] == list(
            zip(results['points'], results['metrics']))
    assert results['cache'].stats['detections']['computed'] == 2 * 5  # once per image and detector group


def test_every_point_equals_its_separate_evaluation_method1(load_tool, setup):
    results = sweep(load_tool, setup, METHOD1_CONFIG, ['model.roi_head.bbox_head.blend.clip_weight=0.3,0.9'],
                    name='sweep_m1')
    for point, metrics in zip(results['points'], results['metrics']):
        separate, _, _ = evaluate(setup, METHOD1_CONFIG, **point)
        assert metrics == separate, point
    assert results['cache'].stats['detections']['computed'] == 3  # the val images, once each


def test_another_backbone_is_computed_once_and_the_detections_are_shared(load_tool, setup):
    grid = [f"model.scorer.encoder.name_or_path={setup['clip_dir']},{setup['other_clip']}",
            'model.scorer.detector_score_weight=0.0,0.3']
    results = sweep(load_tool, setup, METHOD2_CONFIG, grid, name='sweep_backbones')
    cache = results['cache']
    assert cache.stats['detections']['computed'] == 5
    assert cache.stats['crops']['computed'] == 2 * 5  # once per image and backbone, for both weights
    for point, metrics in zip(results['points'][2:], results['metrics'][2:]):  # the other backbone's points
        clip_dir = point['model.scorer.encoder.name_or_path']
        separate, _, _ = evaluate(setup, METHOD2_CONFIG, clip_dir=clip_dir,
                                  **{'model.scorer.detector_score_weight': point['model.scorer.detector_score_weight']})
        assert metrics == separate


def test_two_processes_equal_one(load_tool, setup):
    grid = ['model.scorer.detector_score_weight=0.0,0.5', 'model.scorer.top_k=2,5']
    single = sweep(load_tool, setup, METHOD2_CONFIG, grid, name='sweep_single')
    work_dir = str(setup['root'] / 'sweep_dist')
    port = str(29500 + (os.getpid() + 7) % 1000)
    command = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2', f'--master_port={port}',
               'tools/sweep.py', config_file(setup, METHOD2_CONFIG, 'sweep_dist'),
               setup['checkpoints'][METHOD2_CONFIG][0], '--launcher', 'pytorch', '--work-dir', work_dir,
               '--cfg-options', 'env_cfg.dist_cfg.backend=gloo']
    for entry in grid:
        command += ['--grid', entry]
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]
    written = [osp.join(folder, 'sweep.json') for folder, _, names in os.walk(work_dir) if 'sweep.json' in names]
    assert len(written) == 1
    with open(written[0]) as file:
        dist = json.load(file)
    assert [row['point'] for row in dist] == single['points']
    for row, metrics in zip(dist, single['metrics']):
        assert row['metrics'].keys() == metrics.keys()
        for key in metrics:
            assert row['metrics'][key] == pytest.approx(metrics[key], abs=1e-6), key


@pytest.mark.parametrize('entry, message', [
    ('model.scorer.topk=5,10', 'model.scorer.topk: not in the config'),
    ('model.scorer.top_k=five', "model.scorer.top_k: value 'five' is a str, but the config's model.scorer.top_k "
                                'is a int'),
    ('model.scorer.detector_score_weight=0.1,high', 'model.scorer.detector_score_weight: value'),
    ('model.scorer.crop_mode=3', 'model.scorer.crop_mode: value 3 is a int'),
    ('test_dataloader.batch_size=2', 'test_dataloader.batch_size: a sweep varies model settings only'),
    ('model.scorer.top_k', 'expected KEY=V1,V2'),
])
def test_a_bad_grid_fails_before_any_work_naming_the_key(load_tool, setup, entry, message):
    work_dir = setup['root'] / 'bad_grid'
    with pytest.raises(ValueError, match=message.replace('(', r'\(').replace('+', r'\+')):
        load_tool('sweep').main([config_file(setup, METHOD2_CONFIG, 'bad'), setup['checkpoints'][METHOD2_CONFIG][0],
                                 '--work-dir', str(work_dir), '--grid', entry])
    assert not work_dir.exists()  # no runner was built


def test_a_dump_file_is_refused_before_any_work(load_tool, setup):
    work_dir = setup['root'] / 'dump_refused'
    with pytest.raises(ValueError, match='dump_file=.*every point of the sweep would overwrite'):
        load_tool('sweep').main([config_file(setup, METHOD2_CONFIG, 'dump'), setup['checkpoints'][METHOD2_CONFIG][0],
                                 '--work-dir', str(work_dir), '--grid', 'model.scorer.top_k=2,5',
                                 '--cfg-options', f'test_evaluator.dump_file={work_dir}/rows.jsonl'])
    assert not work_dir.exists()


def test_a_head_part_setting_is_swept_by_its_part_key(setup):
    cfg = Config.fromfile(config_file(setup, METHOD1_CONFIG, 'parts'))
    cfg.model.roi_head.bbox_head.blend.clip_weight = 0.7
    points, _ = load_points(cfg, ['model.roi_head.bbox_head.blend.clip_weight=0.3,0.9',
                                  'model.roi_head.bbox_head.prompt_scorer.max_cached_queries=64'])  # a default
    assert [p['model.roi_head.bbox_head.blend.clip_weight'] for p in points] == [0.3, 0.9]
    with pytest.raises(ValueError, match="value 'high' is a str, but the config's "
                                         r'model.roi_head.bbox_head.blend.clip_weight is a float \(0.7\)'):
        load_points(cfg, ['model.roi_head.bbox_head.blend.clip_weight=high'])
    # one config form: the flat key of before is no setting of the head
    with pytest.raises(ValueError, match='clip_weight: not in the config, nor an argument of CLIPTextConditionedHead'):
        load_points(cfg, ['model.roi_head.bbox_head.clip_weight=0.3'])


def test_a_constructor_default_can_be_swept_and_zip_pairs_values(setup):
    cfg = Config.fromfile(config_file(setup, METHOD2_CONFIG, 'defaults'))
    points, keys = load_points(cfg, ['model.scorer.context_ratio=0.1,0.3', 'model.scorer.top_k=3,4'], zip_values=True)
    assert points == [{'model.scorer.context_ratio': 0.1, 'model.scorer.top_k': 3},
                      {'model.scorer.context_ratio': 0.3, 'model.scorer.top_k': 4}]
    with pytest.raises(ValueError, match='--zip needs as many values'):
        load_points(cfg, ['model.scorer.context_ratio=0.1,0.3', 'model.scorer.top_k=3'], zip_values=True)


def test_the_zero_shot_scoring_options_are_sweepable(load_tool, setup):
    grid = ["model.scorer.score_subtraction=None,{'num_texts': 4}", 'model.scorer.crop_mode=crop,crop+circle']
    results = sweep(load_tool, setup, METHOD2_CONFIG, grid, name='sweep_zero_shot')
    assert len(results['points']) == 4
    for point, metrics in zip(results['points'], results['metrics']):
        separate, _, _ = evaluate(setup, METHOD2_CONFIG, **point)
        assert metrics == separate, point
    assert results['cache'].stats['detections']['computed'] == 5


def test_the_reasoner_part_is_swept_over_the_cached_detections(load_tool, setup):
    """The shared reasoner part is a scoring setting: its points reuse the detections (computed once per
    image), yet each point scores its own phrases (equal to its separate evaluation)."""
    grid = ["model.scorer.reasoner=None,{'type': 'SpatialReasoningRescorer'}",
            'model.scorer.reasoner.temperature=0.05,0.5']
    with pytest.raises(UserError, match='model.scorer.reasoner.temperature: not in the config'):
        sweep(load_tool, setup, METHOD2_CONFIG, grid[1:], name='sweep_reasoner_missing')
    results = sweep(load_tool, setup, METHOD2_CONFIG, grid[:1], name='sweep_reasoner')
    reasoned = {'model.scorer.reasoner': dict(type='SpatialReasoningRescorer', temperature=None)}
    results_t = sweep(load_tool, setup, METHOD2_CONFIG, grid[1:], name='sweep_reasoner_t', options=reasoned)
    for run in (results, results_t):
        assert len(run['points']) == 2 and run['cache'].stats['detections']['computed'] == 5
        for point, metrics in zip(run['points'], run['metrics']):
            separate, _, _ = evaluate(setup, METHOD2_CONFIG, **(reasoned if run is results_t else {}), **point)
            assert metrics == separate, point
    assert results['metrics'][0] != results['metrics'][1]  # the reasoner changes the answers here


def test_the_grid_size_is_bounded_before_any_point_is_made(setup, monkeypatch):
    from mmrec.engine.sweep import grid as grid_module

    cfg = Config.fromfile(config_file(setup, METHOD2_CONFIG, 'huge'))
    values = ','.join(str(v) for v in range(1, 101))
    monkeypatch.setattr(grid_module, 'grid_points', lambda *a, **k: pytest.fail('points were made'))
    with pytest.raises(UserError, match=r'--grid makes 1,000,000 points \(100 x 100 x 100\); a sweep evaluates at '
                                         r'most 10,000'):
        load_points(cfg, [f'model.scorer.top_k={values}', f'model.scorer.context_ratio={values}',
                          f'model.test_cfg.rcnn.max_per_img={values}'])
    monkeypatch.undo()
    assert grid_module.grid_size({'a': list(range(100)), 'b': list(range(100))}) == grid_module.MAX_POINTS  # at it
    with pytest.raises(UserError, match='10,100 points'):
        grid_module.grid_size({'a': list(range(101)), 'b': list(range(100))})
    assert grid_module.grid_size({'a': list(range(10_000)), 'b': list(range(10_000))}, zip_values=True) == 10_000


@pytest.mark.parametrize('key', ['model.backbone.depth=18,34', 'model.neck.out_channels=8,16',
                                 'model.rpn_head.feat_channels=8,16'])
def test_a_grid_over_the_detector_architecture_is_refused(setup, key):
    cfg = Config.fromfile(config_file(setup, METHOD2_CONFIG, 'architecture'))
    with pytest.raises(UserError, match=f"--grid {key.split('=')[0]}: changes the detector's architecture"):
        load_points(cfg, [key])


def test_a_point_whose_model_the_checkpoint_leaves_partly_random_is_refused(load_tool, setup, capsys):
    """num_classes is not under the refused subtrees but changes the shape of the box head's weights."""
    from mmrec.utils import run_tool

    arguments = [config_file(setup, METHOD2_CONFIG, 'classes'), setup['checkpoints'][METHOD2_CONFIG][0],
                 '--work-dir', str(setup['root'] / 'classes'), '--grid', 'model.roi_head.bbox_head.num_classes=3,5']
    with pytest.raises(SystemExit) as stop:
        run_tool(load_tool('sweep').main, arguments)
    assert stop.value.code == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    # the wrapped detector's weights are checked while loading (RECDetector): the box head's shape is named
    assert 'sweep point (num_classes=5)' in line and 'fc_cls' in line and 'shape' in line
