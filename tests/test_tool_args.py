"""The command-line options of tools/train.py and tools/test.py reach the config as mmdet's tools do."""
import importlib.util
import os.path as osp

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TRAIN_CONFIG = osp.join(REPO, 'configs', 'method1_tiny-clip_r18_fpn_2e_synthetic.py')
TEST_CONFIG = osp.join(REPO, 'configs', 'method2.py')


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(f'mmrec_tool_{name}', osp.join(REPO, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def train_tool():
    return load_tool('train')


@pytest.fixture(scope='module')
def test_tool():
    return load_tool('test')


def test_train_defaults_work_dir_to_the_config_name(train_tool):
    cfg = train_tool.build_config(train_tool.parse_args([TRAIN_CONFIG]))
    assert cfg.work_dir == osp.join('./work_dirs', 'method1_tiny-clip_r18_fpn_2e_synthetic')
    assert cfg.launcher == 'none' and not cfg.get('resume')


def test_train_amp_resume_and_cfg_options(train_tool):
    args = train_tool.parse_args([TRAIN_CONFIG, '--amp', '--resume', '--work-dir', '/tmp/x',
                                  '--cfg-options', 'train_cfg.max_epochs=7', 'optim_wrapper.optimizer.lr=0.5'])
    cfg = train_tool.build_config(args)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper' and cfg.optim_wrapper.loss_scale == 'dynamic'
    assert cfg.resume is True and cfg.load_from is None  # the latest checkpoint of the work dir
    assert cfg.work_dir == '/tmp/x'
    assert cfg.train_cfg.max_epochs == 7 and cfg.optim_wrapper.optimizer.lr == 0.5


def test_train_resume_from_a_given_checkpoint(train_tool):
    cfg = train_tool.build_config(train_tool.parse_args([TRAIN_CONFIG, '--resume', 'ckpt/epoch_3.pth']))
    assert cfg.resume is True and cfg.load_from == 'ckpt/epoch_3.pth'


def test_test_out_and_show_dir(test_tool):
    args = test_tool.parse_args([TEST_CONFIG, 'det.pth', '--out', 'rows.jsonl', '--show-dir', 'vis',
                                 '--max-per-image', '2'])
    cfg = test_tool.build_config(args)
    assert cfg.load_from == 'det.pth'
    assert cfg.test_evaluator.dump_file == 'rows.jsonl'
    hook = cfg.default_hooks.visualization
    assert hook.type == 'RECVisualizationHook' and hook.draw and hook.test_out_dir == 'vis'
    assert hook.max_per_image == 2


def test_test_out_needs_a_rec_metric(test_tool):
    args = test_tool.parse_args([TEST_CONFIG, '--out', 'rows.jsonl', '--cfg-options',
                                 'test_evaluator.type=CocoMetric'])
    from mmrec.utils import UserError
    with pytest.raises(UserError, match='RECMetric'):
        test_tool.build_config(args)


@pytest.mark.parametrize('tool_name', ['train', 'test'])
def test_trust_checkpoint_is_off_unless_given(tool_name, train_tool, test_tool):
    tool = train_tool if tool_name == 'train' else test_tool
    config = TRAIN_CONFIG if tool_name == 'train' else TEST_CONFIG
    assert tool.parse_args([config]).trust_checkpoint is False
    args = tool.parse_args([config, '--trust-checkpoint'])
    assert args.trust_checkpoint is True
    assert 'trust' not in str(tool.build_config(args).to_dict())  # never a config key a file could set


def test_test_out_on_a_grefcoco_config_dumps_from_grec_metric(test_tool):
    config = osp.join(REPO, 'configs', 'benchmarks', 'method2_clip-vit-b32_r50_fpn_refcoco-ft_grefcoco.py')
    cfg = test_tool.build_config(test_tool.parse_args([config, 'det.pth', '--out', 'rows.jsonl']))
    assert cfg.test_evaluator.type == 'GRECMetric' and cfg.test_evaluator.dump_file == 'rows.jsonl'


def test_test_out_refuses_two_metrics_that_would_write_the_same_file(test_tool, tmp_path):
    config = tmp_path / 'two_metrics.py'
    config.write_text(f"_base_ = [{TEST_CONFIG!r}]\n"
                      "test_evaluator = [dict(type='RECMetric'), dict(type='GRECMetric')]\n")
    args = test_tool.parse_args([str(config), '--out', 'rows.jsonl'])
    with pytest.raises(ValueError, match='RECMetric, GRECMetric'):
        test_tool.build_config(args)
