"""Configs: the checkpoint opt-in is fixed before any config runs, and YAML configs are read as plain data.

A ``.py`` config is a program (it may do anything); what these tests hold is that the documented switches
are not config settings: ``MMREC_TRUST_CHECKPOINTS`` set by a config is ignored, and a YAML tag that would
build a Python object (here: create a marker file) is refused with the config named.
"""
import logging
from typing import List

import mmengine
import pytest
import yaml
from mmengine.config import Config
from mmengine.runner.checkpoint import CheckpointLoader

import mmrec  # noqa: F401  (registers the safe YAML handler and the checkpoint loaders)
from mmrec.testing.malicious_files import MARKER_GLOBAL, save_malicious_checkpoint
from mmrec.utils import launch, safe_checkpoint
from mmrec.utils.safe_checkpoint import TRUST_ENV, UntrustedCheckpointError, read_trust_environment, trust_checkpoints
from mmrec.utils.safe_config import UnsafeConfigError, load_config


@pytest.fixture(autouse=True)
def untrusted(monkeypatch):
    monkeypatch.delenv(TRUST_ENV, raising=False)  # undone at teardown: also removes what a config set
    read_trust_environment()
    trust_checkpoints(False)


@pytest.fixture
def warnings_logged(monkeypatch) -> List[str]:
    logged = []
    monkeypatch.setattr(safe_checkpoint, 'print_log',
                        lambda msg, logger=None, level=logging.INFO: logged.append(msg) if level >= 30 else None)
    return logged


def test_a_py_config_cannot_turn_the_checkpoint_check_off(tmp_path, warnings_logged):
    marker = tmp_path / 'marker'
    checkpoint = save_malicious_checkpoint(str(tmp_path / 'evil.pth'), str(marker))
    config = tmp_path / 'sneaky.py'
    config.write_text(f"__import__('os').environ['{TRUST_ENV}'] = '1'\nload_from = {checkpoint!r}\n")

    cfg = launch.load_tool_config(str(config), 'none')  # what tools/test.py and train.py do
    assert cfg.load_from == checkpoint
    with pytest.raises(UntrustedCheckpointError) as refused:
        CheckpointLoader.load_checkpoint(cfg.load_from, map_location='cpu')
    assert checkpoint in str(refused.value) and MARKER_GLOBAL in str(refused.value)
    assert not marker.exists()
    assert any(f'{TRUST_ENV} was set after start-up' in msg for msg in warnings_logged)


def test_the_environment_at_start_up_still_opts_in(tmp_path, monkeypatch):
    marker = tmp_path / 'marker'
    checkpoint = save_malicious_checkpoint(str(tmp_path / 'evil.pth'), str(marker))
    monkeypatch.setenv(TRUST_ENV, '1')
    assert read_trust_environment()  # what import mmrec does when the tool starts
    monkeypatch.setenv(TRUST_ENV, '0')  # a later change does not switch it back either: start-up decides
    CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    assert marker.exists()


def _yaml_attack(tmp_path, name: str = 'evil.yaml') -> tuple:
    marker = tmp_path / 'marker'
    config = tmp_path / name
    config.write_text(f'model:\n  type: Foo\nnote: !!python/object/apply:{MARKER_GLOBAL} ["{marker}"]\n')
    return config, marker


def test_a_yaml_config_with_a_python_tag_is_refused_naming_the_config(tmp_path):
    config, marker = _yaml_attack(tmp_path)
    with pytest.raises(UnsafeConfigError) as refused:
        launch.load_tool_config(str(config), 'none')
    message = str(refused.value)
    assert f'config {config}' in message and 'python/object/apply' in message and '(line 3)' in message
    assert '.py' in message
    assert not marker.exists()


@pytest.mark.parametrize('read', ['Config.fromfile', 'mmengine.load', 'loader asked for'])
def test_every_way_to_read_yaml_through_mmengine_is_safe(tmp_path, read):
    config, marker = _yaml_attack(tmp_path, 'evil.yml')
    with pytest.raises(UnsafeConfigError, match='python/object/apply'):
        if read == 'Config.fromfile':
            Config.fromfile(str(config))
        elif read == 'mmengine.load':
            mmengine.load(str(config))
        else:
            mmengine.load(str(config), Loader=yaml.UnsafeLoader)
    assert not marker.exists()


def test_a_yaml_base_of_a_py_config_is_refused_too(tmp_path):
    _, marker = _yaml_attack(tmp_path, 'base.yaml')
    config = tmp_path / 'child.py'
    config.write_text("_base_ = ['base.yaml']\nwork_dir = 'x'\n")
    with pytest.raises(UnsafeConfigError, match=f'config {config} \\(or one of its _base_ files\\)'):
        load_config(str(config))
    assert not marker.exists()


def test_yaml_and_json_configs_as_mmengine_writes_them_load(tmp_path):
    """mmengine dumps tuples as !!python/tuple: that tag builds only a tuple and is kept."""
    cfg = Config(dict(model=dict(type='Foo', img_scale=(1333, 800), depths=[2, 2], on=True),
                      nested=dict(pairs=((1, 2), (3, 4))), name='a: b', none=None))
    for suffix in ('yaml', 'json'):
        path = str(tmp_path / f'dumped.{suffix}')
        cfg.dump(path)
        loaded = load_config(path)
        assert loaded.model.img_scale == ((1333, 800) if suffix == 'yaml' else [1333, 800])
        assert loaded.model.depths == [2, 2] and loaded.model.on is True and loaded.none is None
        assert loaded.name == 'a: b'
    assert '!!python/tuple' in open(str(tmp_path / 'dumped.yaml')).read()
    assert load_config(str(tmp_path / 'dumped.yaml')).nested.pairs == ((1, 2), (3, 4))


def test_a_json_config_is_data(tmp_path):
    config = tmp_path / 'data.json'
    config.write_text('{"note": "!!python/object/apply:os.system [\\"touch x\\"]", "n": 1}')
    loaded = load_config(str(config))
    assert loaded.note.startswith('!!python/object/apply') and loaded.n == 1


def _bomb(levels: int) -> str:
    """A few hundred bytes of YAML whose aliases expand to 9**levels strings ("billion laughs")."""
    lines = ['l0: &l0 [' + ', '.join(['"lol"'] * 9) + ']']
    lines += [f'l{i}: &l{i} [' + ', '.join([f'*l{i - 1}'] * 9) + ']' for i in range(1, levels)]
    return '\n'.join(lines) + '\n'


@pytest.mark.parametrize('text, culprit', [
    (_bomb(9), 'more than 100000 values through aliases'),  # 9**9 strings: would not finish
    ('a: &a [1, *a]\n', 'contains itself'),
    ('a: ' + '[' * 65 + ']' * 65 + '\n', 'deeper than 64 levels'),  # one past the limit
])
def test_yaml_that_expands_without_bound_is_refused(tmp_path, text, culprit):
    config = tmp_path / 'bomb.yaml'
    config.write_text(text)
    with pytest.raises(UnsafeConfigError, match=culprit) as refused:
        load_config(str(config))
    assert f'config {config}' in str(refused.value)


def test_yaml_size_limit_counts_aliases_at_each_use(tmp_path, monkeypatch):
    from mmrec.utils import safe_config
    monkeypatch.setattr(safe_config, 'MAX_YAML_NODES', 9)
    config = tmp_path / 'aliases.yaml'
    config.write_text('x: &x [1, 2]\ny: *x\n')  # mapping, 2 keys, the list and its 2 values twice: 9
    assert load_config(str(config)).y == [1, 2]
    config.write_text('x: &x [1, 2]\ny: *x\nz: 0\n')  # 11
    with pytest.raises(UnsafeConfigError, match='more than 9 values'):
        load_config(str(config))
    monkeypatch.undo()
    config.write_text('a: ' + '[' * 64 + ']' * 64 + '\n')  # the deepest allowed: the innermost list 64 below the root
    load_config(str(config))


@pytest.mark.parametrize('depth', [900, 100_000])  # deep for mmengine's conversion / for the JSON parser
def test_a_json_config_nested_too_deeply_is_refused_naming_it(tmp_path, depth):
    config = tmp_path / 'deep.json'
    config.write_text('{"a": ' + '[' * depth + ']' * depth + '}')
    with pytest.raises(UnsafeConfigError, match=f'config {config}: refused: nested too deeply'):
        load_config(str(config))
