"""A user's mistake ends in one line naming it and the fix, exit status 2, before the model is built where it can
be checked first; an evaluation refuses a checkpoint that leaves weights uninitialised."""
import os.path as osp

import pytest
import torch

from mmrec.utils import UninitialisedWeightsError, UserError, run_tool
from mmrec.utils.config_keys import explain_unexpected_keyword
from mmrec.utils.weight_check import check_loaded_weights
from test_rec_cache import METHOD1_CONFIG, METHOD2_CONFIG, rec_config, setup  # noqa: F401 (fixture)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
METHOD2 = osp.join(REPO, 'configs', 'method2.py')


def never_build(*args, **kwargs):
    raise AssertionError('the model was built before the mistake was found')


def one_line_exit(capsys, main, argv, only_line: bool = True) -> str:
    """Run ``main`` as the tools' ``__main__`` does; the stderr line it ends with (exit status 2, no traceback;
    with ``only_line`` nothing else on stderr: the model's loading never began)."""
    with pytest.raises(SystemExit) as stop:
        run_tool(main, argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith('error: ') and not any('Traceback' in line for line in err), err
    assert len(err) == 1 or not only_line, err
    return err[-1]


# ------------------------------------------------------------------------------------------------ run_tool
def test_a_user_error_is_one_line_and_debug_shows_the_traceback(capsys, monkeypatch):
    def main(argv):
        raise UserError('config file nope.py not found')

    assert one_line_exit(capsys, main, []) == 'error: config file nope.py not found'
    with pytest.raises(UserError):
        run_tool(main, ['--debug'])
    monkeypatch.setenv('MMREC_DEBUG', '1')
    with pytest.raises(UserError):
        run_tool(main, [])
    monkeypatch.setenv('MMREC_DEBUG', '0')
    with pytest.raises(SystemExit):
        run_tool(main, [])

    def bug(argv):
        raise KeyError('a bug, not a mistake')
    with pytest.raises(KeyError):  # anything else keeps its traceback
        run_tool(bug, [])


# --------------------------------------------------------------------------------------- before building
def test_a_mistyped_config_path_names_close_files(load_tool, capsys, monkeypatch):
    tool = load_tool('test')
    monkeypatch.setattr(tool, 'build_runner', never_build)
    line = one_line_exit(capsys, tool.main, [osp.join(REPO, 'configs', 'methd2.py')])
    assert "methd2.py' not found" in line and osp.join('configs', 'method2.py') in line


@pytest.mark.parametrize('option, expected', [
    ('model.scorer.detector_score_wieght=0.1', "model.scorer (CLIPProposalScorer) has no 'detector_score_wieght'; "
                                               "did you mean 'detector_score_weight'?"),
    ('model.scorer.encoder.nme_or_path=x', "did you mean 'name_or_path'?"),
    ('test_dataloder.batch_size=2', "the config has no 'test_dataloder'; did you mean 'test_dataloader'"),
])
def test_a_wrong_cfg_options_key_is_named_with_close_names_before_building(load_tool, capsys, monkeypatch, option,
                                                                           expected):
    for name in ('test', 'sweep'):
        tool = load_tool(name)
        monkeypatch.setattr(tool, 'build_runner', never_build, raising=False)
        monkeypatch.setattr(tool, 'run_sweep', never_build, raising=False)
        grid = ['--grid', 'model.scorer.top_k=2,3'] if name == 'sweep' else []
        line = one_line_exit(capsys, tool.main, [METHOD2, *grid, '--cfg-options', option])
        assert f'--cfg-options {option.split("=")[0]}' in line and expected in line


def test_a_head_parts_setting_given_to_the_head_is_named_with_its_part_key(load_tool, capsys, monkeypatch):
    """One config form: method 1's flat key of before ends in one line naming the part key, before building."""
    method1 = osp.join(REPO, 'configs', 'method1_clip-vit-b32_r50_fpn_zeroshot_refcoco.py')
    tool = load_tool('test')
    monkeypatch.setattr(tool, 'build_runner', never_build)
    line = one_line_exit(capsys, tool.main, [method1, '--cfg-options', 'model.roi_head.bbox_head.clip_weight=0.3'])
    assert line.endswith('--cfg-options model.roi_head.bbox_head.clip_weight: CLIPTextConditionedHead: clip_weight '
                         'is a setting of blend=dict(...): model.roi_head.bbox_head.blend.clip_weight'), line
    cfg = tool.build_config(tool.parse_args([method1, '--cfg-options', 'model.roi_head.bbox_head.blend.clip_weight=0.3',
                                             'model.roi_head.bbox_head.prompt_scorer.max_cached_queries=64']))
    assert cfg.model.roi_head.bbox_head.blend.clip_weight == 0.3


def test_keys_that_the_config_or_its_classes_take_are_accepted(load_tool):
    args = ['model.scorer.top_k=3', 'model.scorer.context_ratio=0.1',  # set, and a constructor default
            'model.scorer.score_subtraction.source=[a]', 'env_cfg.dist_cfg.backend=gloo', 'randomness.seed=1',
            'test_evaluator.dump_file=x.jsonl']
    tool = load_tool('test')
    cfg = tool.build_config(tool.parse_args([METHOD2, '--cfg-options', *args]))
    assert cfg.model.scorer.context_ratio == 0.1 and cfg.test_evaluator.dump_file == 'x.jsonl'
    with pytest.raises(UserError, match="train_cfg is None in the config, it has no 'max_epochs'"):
        tool.build_config(tool.parse_args([METHOD2, '--cfg-options', 'train_cfg.max_epochs=2']))


def test_a_builder_unexpected_keyword_names_the_cfg_options_key():
    error = TypeError("class `Shared2FCBBoxHead` in mmdet/models: __init__() got an unexpected keyword argument "
                      "'clip_wieght'")
    explained = explain_unexpected_keyword(error, {'model.roi_head.bbox_head.clip_wieght': 0.3})
    assert isinstance(explained, UserError) and 'model.roi_head.bbox_head.clip_wieght' in str(explained)
    assert explain_unexpected_keyword(error, {'model.scorer.top_k': 3}) is None  # not the user's key: a bug
    assert explain_unexpected_keyword(TypeError('other'), {'a': 1}) is None


def test_a_missing_checkpoint_or_data_root_is_named_before_building(load_tool, capsys, monkeypatch, tmp_path):
    tool = load_tool('test')
    monkeypatch.setattr(tool, 'build_runner', never_build)
    line = one_line_exit(capsys, tool.main, [METHOD2, str(tmp_path / 'epoch_12.pth')])
    assert "checkpoint file '" in line and "epoch_12.pth' not found" in line
    checkpoint = tmp_path / 'epoch_1.pth'
    checkpoint.write_bytes(b'')
    line = one_line_exit(capsys, tool.main, [METHOD2, str(checkpoint), '--cfg-options',
                                             f'test_dataloader.dataset.data_root={tmp_path}/no_data/'])
    assert 'no_data' in line and 'data root' in line and '--cfg-options test_dataloader.dataset.data_root=' in line
    (tmp_path / 'data').mkdir()
    line = one_line_exit(capsys, tool.main, [METHOD2, str(checkpoint), '--cfg-options',
                                             f'test_dataloader.dataset.data_root={tmp_path}/data/'])
    assert 'ann_file' in line and 'instances.json' in line


def test_train_checks_its_data_before_building(load_tool, capsys, monkeypatch, tmp_path):
    tool = load_tool('train')
    monkeypatch.setattr(tool, 'build_runner', never_build)
    line = one_line_exit(capsys, tool.main, [osp.join(REPO, METHOD1_CONFIG), '--cfg-options',
                                             f'train_dataloader.dataset.data_root={tmp_path}/nowhere/'])
    assert 'train_dataloader: data root' in line and 'nowhere' in line


def test_hub_weights_that_are_not_on_the_machine_fail_fast_with_the_fix(load_tool, capsys, tmp_path, monkeypatch):
    """configs/method2.py names openai/clip-vit-base-patch32, which this offline machine does not have."""
    monkeypatch.setenv('HF_HUB_CACHE', str(tmp_path / 'empty_cache'))
    monkeypatch.setattr('mmrec.apis.RECInferencer.__init__', never_build)
    image = tmp_path / 'img.png'
    import cv2
    import numpy as np
    cv2.imwrite(str(image), np.zeros((32, 32, 3), np.uint8))
    line = one_line_exit(capsys, load_tool('demo').main, [str(image), 'a cat', '--config', METHOD2])
    assert 'model.scorer.encoder.name_or_path' in line and 'huggingface-cli download' in line


# ------------------------------------------------------------------------------------------- missing keys
def test_missing_keys_are_listed_and_frozen_encoders_are_not_among_them():
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1))
    full = dict(state_dict=model.state_dict())
    assert check_loaded_weights(model, full, 'a.pth') == []
    partial = dict(state_dict={f'module.{k}': v for k, v in model.state_dict().items() if k.startswith('0.')})
    with pytest.raises(UninitialisedWeightsError, match=r"'b.pth' leaves 2 weight\(s\).*1.bias, 1.weight.*"
                                                        '--allow-missing-keys'):
        check_loaded_weights(model, partial, 'b.pth')
    assert check_loaded_weights(model, partial, 'b.pth', allow_missing_keys=True) == ['1.bias', '1.weight']
    resized = dict(state_dict={**model.state_dict(), '1.weight': torch.zeros(1, 5)})
    with pytest.raises(UninitialisedWeightsError, match=r'1.weight \(shape \(1, 3\), checkpoint \(1, 5\)\)'):
        check_loaded_weights(model, resized, 'c.pth')


def plain_detector_checkpoint(setup) -> str:
    """Method 2's trained detector as mmdet's own tools/train.py writes it for the detector config: the
    RECDetector checkpoint's ``detector.`` weights without the prefix (what a method 1 config may be given)."""
    path = setup['root'] / 'plain_detector.pth'
    if not path.exists():
        checkpoint = torch.load(setup['checkpoints'][METHOD2_CONFIG][0], map_location='cpu', weights_only=True)
        state = {key[len('detector.'):]: value for key, value in checkpoint['state_dict'].items()
                 if key.startswith('detector.')}
        assert state, 'the method 2 checkpoint holds no detector. weights'
        torch.save(dict(state_dict=state, meta=dict()), path)
    return str(path)


def test_a_method1_config_with_a_method2_checkpoint_is_refused_unless_allowed(load_tool, setup, capsys):
    cfg = rec_config(METHOD1_CONFIG, setup['data_root'], setup['clip_dir'], str(setup['root'] / 'unused'))
    config = str(setup['root'] / 'method1_for_keys.py')
    cfg.dump(config)
    detector_only = plain_detector_checkpoint(setup)
    work_dir = str(setup['root'] / 'keys_run')
    tool = load_tool('test')
    line = one_line_exit(capsys, tool.main, [config, detector_only, '--work-dir', work_dir], only_line=False)
    assert 'uninitialised' in line and 'roi_head.bbox_head' in line and '--allow-missing-keys' in line
    assert 'more)' in line  # the first few and the count
    metrics = tool.main([config, detector_only, '--work-dir', work_dir, '--allow-missing-keys'])
    assert any(key.endswith('accuracy') or 'Acc' in key or 'acc' in key for key in metrics)
    own = tool.main([config, setup['checkpoints'][METHOD1_CONFIG][0], '--work-dir', work_dir])  # its own: loads
    assert own


def test_the_inferencer_refuses_a_checkpoint_of_another_model(setup):
    from mmrec.apis import RECInferencer

    cfg = rec_config(METHOD1_CONFIG, setup['data_root'], setup['clip_dir'], str(setup['root'] / 'unused'))
    with pytest.raises(UninitialisedWeightsError, match='roi_head.bbox_head'):
        RECInferencer(cfg, plain_detector_checkpoint(setup))


def test_keyword_errors_named_turns_only_the_users_key_into_one_line():
    from mmrec.utils.config_keys import keyword_errors_named

    with pytest.raises(UserError, match=r"--cfg-options model.roi_head.bbox_head.clip_wieght: the class it goes to "
                                        r"takes no argument 'clip_wieght'"):
        with keyword_errors_named({'model.roi_head.bbox_head.clip_wieght': 0.3}):
            raise TypeError("__init__() got an unexpected keyword argument 'clip_wieght'")
    with pytest.raises(TypeError):
        with keyword_errors_named({'model.scorer.top_k': 3}):
            raise TypeError("__init__() got an unexpected keyword argument 'clip_wieght'")


def test_a_checkpoint_without_batchnorms_counter_is_not_called_partly_random():
    """BatchNorm fills in num_batches_tracked for checkpoints older than it; any other missing buffer counts."""
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1), torch.nn.BatchNorm2d(4))
    state = {k: v for k, v in model.state_dict().items() if not k.endswith('num_batches_tracked')}
    assert check_loaded_weights(model, dict(state_dict=state), 'old.pth') == []
    del state['1.running_var']
    with pytest.raises(UninitialisedWeightsError, match=r"1 weight\(s\) .*1\.running_var"):
        check_loaded_weights(model, dict(state_dict=state), 'old.pth')
