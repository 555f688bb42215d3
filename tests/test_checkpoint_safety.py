"""Checkpoints load weights-only through mmengine after ``import mmrec``; full unpickling needs an opt-in.

A checkpoint whose unpickling creates a marker file stands in for a malicious download: without the opt-in
it is refused (naming the file, the global and the opt-in) and the marker is never created; with the opt-in
it loads and the marker appears, which shows the refusal is what kept it from running. mmengine's own
resumable checkpoint content (a message hub with HistoryBuffers and numpy values, optimizer and scheduler
states) loads without any opt-in.
"""
import logging
import os.path as osp
from typing import List

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import load_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader

import mmrec  # noqa: F401  (registers the weights-only loader)
from mmrec.testing.malicious_files import MARKER_GLOBAL, save_malicious_checkpoint, small_model
from mmrec.utils import launch, safe_checkpoint
from mmrec.utils.safe_checkpoint import (TRUST_ENV, UntrustedCheckpointError, read_trust_environment,
                                         trust_checkpoints)


class HistoryBufferAttribute:
    """Unpickles to ``getattr(HistoryBuffer, name)``: allowed only for HistoryBuffer's statistics methods."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __reduce__(self):
        return getattr, (HistoryBuffer, self.name)


def forged_history_buffer(state: dict) -> HistoryBuffer:
    """A HistoryBuffer that pickles as mmengine's do (NEWOBJ of HistoryBuffer, then its state), with ``state``."""
    buffer = HistoryBuffer()
    buffer.__getstate__ = lambda: state
    return buffer


class HistoryBufferCall:
    """Unpickles to ``HistoryBuffer(*args)``: a class call, which mmengine never writes."""

    def __reduce__(self):
        return HistoryBuffer, ([1.0], [1])


@pytest.fixture(autouse=True)
def untrusted(monkeypatch):
    """Every test starts without an opt-in and leaves none behind."""
    monkeypatch.delenv(TRUST_ENV, raising=False)
    read_trust_environment()
    trust_checkpoints(False)
    yield
    monkeypatch.delenv(TRUST_ENV, raising=False)
    read_trust_environment()
    trust_checkpoints(False)


@pytest.fixture
def warnings_logged(monkeypatch) -> List[str]:
    """The warnings that mmrec.utils.safe_checkpoint logs."""
    logged = []

    def record(msg, logger=None, level=logging.INFO):
        if level == logging.WARNING:
            logged.append(msg)

    monkeypatch.setattr(safe_checkpoint, 'print_log', record)
    return logged


@pytest.fixture
def malicious(tmp_path) -> dict:
    """A checkpoint with real weights (all 1) whose meta unpickles to a file being created."""
    marker = tmp_path / 'created_by_unpickling'
    path = save_malicious_checkpoint(str(tmp_path / 'malicious.pth'), str(marker))
    return dict(path=path, marker=marker)


def test_a_checkpoint_that_runs_code_is_refused_and_nothing_runs_or_loads(malicious):
    model = small_model(0.0)
    with pytest.raises(UntrustedCheckpointError) as refused:
        load_checkpoint(model, malicious['path'], map_location='cpu')
    message = str(refused.value)
    assert malicious['path'] in message
    assert MARKER_GLOBAL in message
    assert '--trust-checkpoint' in message and f'{TRUST_ENV}=1' in message
    assert not malicious['marker'].exists()
    assert torch.all(model.weight == 0) and torch.all(model.bias == 0)  # nothing loaded half-way


@pytest.mark.parametrize('opt_in', ['flag', 'env'])
def test_the_opt_in_unpickles_in_full_and_warns(malicious, opt_in, monkeypatch, warnings_logged):
    if opt_in == 'flag':
        trust_checkpoints()
    else:
        monkeypatch.setenv(TRUST_ENV, '1')
        read_trust_environment()  # what importing mmrec does at start-up
    model = small_model(0.0)
    checkpoint = load_checkpoint(model, malicious['path'], map_location='cpu')
    assert malicious['marker'].exists()
    assert checkpoint['meta']['note'] == 'unpickled in full'
    assert torch.all(model.weight == 1) and torch.all(model.bias == 1)
    assert any(malicious['path'] in msg for msg in warnings_logged)


@pytest.mark.parametrize('value', ['0', 'false', '', 'no'])
def test_other_environment_values_do_not_opt_in(malicious, monkeypatch, value):
    monkeypatch.setenv(TRUST_ENV, value)
    assert not read_trust_environment()
    with pytest.raises(UntrustedCheckpointError):
        CheckpointLoader.load_checkpoint(malicious['path'], map_location='cpu')
    assert not malicious['marker'].exists()


def test_build_runner_applies_trust_checkpoint_and_warns(monkeypatch, warnings_logged):
    monkeypatch.setattr(launch.Runner, 'from_cfg', staticmethod(lambda cfg: 'runner'))
    cfg = Config(dict(launcher='none'))
    assert launch.build_runner(cfg) == 'runner'
    assert not safe_checkpoint.checkpoints_trusted() and not warnings_logged
    launch.build_runner(cfg, trust_checkpoint=True)
    assert safe_checkpoint.checkpoints_trusted()
    assert any('--trust-checkpoint' in msg for msg in warnings_logged)


def test_getattr_resolves_only_history_buffer_statistics(tmp_path):
    path = str(tmp_path / 'getattr.pth')
    torch.save({'ok': HistoryBufferAttribute('mean'), 'bad': HistoryBufferAttribute('update')}, path)
    with pytest.raises(UntrustedCheckpointError, match="getattr.*'update'"):
        CheckpointLoader.load_checkpoint(path, map_location='cpu')

    torch.save({'ok': HistoryBufferAttribute('mean')}, path)
    assert CheckpointLoader.load_checkpoint(path, map_location='cpu')['ok'] is HistoryBuffer.mean


def resumable_checkpoint() -> dict:
    """What mmengine's Runner.save_checkpoint writes besides the model: message hub, optimizer, schedulers."""
    model = small_model(0.5)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.ones(1, 3)).sum().backward()
    optimizer.step()
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[8, 11])
    hub = MessageHub.get_instance('test_checkpoint_safety')
    for step in range(3):
        hub.update_scalar('train/loss', 1.0 / (step + 1))
        hub.update_scalar('train/lr', np.float64(0.1))
    hub.update_info('eta', np.float64(12.5))
    hub.update_info('count', np.int64(3))
    hub.update_info('dataset_meta', dict(classes=('referred object',), palette=[(220, 20, 60)]))
    return dict(meta=dict(epoch=1, iter=3, cfg='model = dict()'), state_dict=model.state_dict(),
                message_hub=hub.state_dict(), optimizer=optimizer.state_dict(),
                param_schedulers=[scheduler.state_dict()])


def test_mmengine_resumable_checkpoints_load_without_opt_in(tmp_path):
    path = str(tmp_path / 'epoch_1.pth')
    saved = resumable_checkpoint()
    torch.save(saved, path)
    assert torch.serialization.get_unsafe_globals_in_checkpoint(path)  # torch alone would refuse it

    loaded = CheckpointLoader.load_checkpoint(path, map_location='cpu')

    buffers = loaded['message_hub']['log_scalars']
    assert isinstance(buffers['train/loss'], HistoryBuffer)
    assert buffers['train/loss'].mean() == pytest.approx((1 + 1 / 2 + 1 / 3) / 3)
    assert buffers['train/loss'].statistics('current') == pytest.approx(1 / 3)
    info = loaded['message_hub']['runtime_info']
    assert info['eta'] == 12.5 and isinstance(info['eta'], np.float64) and info['count'] == 3
    assert loaded['param_schedulers'][0]['milestones'] == saved['param_schedulers'][0]['milestones']
    assert loaded['optimizer']['state'][0]['momentum_buffer'].equal(saved['optimizer']['state'][0]['momentum_buffer'])
    assert loaded['meta'] == saved['meta']


def test_numpy_1_checkpoints_load_too(tmp_path):
    """numpy 1 pickles name ``numpy.core.multiarray``; numpy 2 ``numpy._core.multiarray``."""
    path = tmp_path / 'numpy1.pth'
    torch.save({'eta': np.float64(2.5), 'history': np.arange(3.0)}, str(path), _use_new_zipfile_serialization=False)
    content = path.read_bytes()
    if b'numpy._core.multiarray\n' in content:
        path.write_bytes(content.replace(b'numpy._core.multiarray\n', b'numpy.core.multiarray\n'))
    assert b'numpy.core.multiarray\n' in path.read_bytes()

    loaded = CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    assert loaded['eta'] == 2.5 and loaded['history'].tolist() == [0.0, 1.0, 2.0]


def test_a_missing_file_is_reported_as_such(tmp_path):
    with pytest.raises(FileNotFoundError):
        CheckpointLoader.load_checkpoint(osp.join(str(tmp_path), 'absent.pth'))


def _history_state(**changes) -> dict:
    """The state mmengine pickles for ``HistoryBuffer([1, 2, 3], [1, 1, 1])``, with ``changes`` applied."""
    buffer = HistoryBuffer([1.0, 2.0, 3.0], [1, 1, 1])
    state = dict(buffer.__getstate__())
    state.update(changes)
    return state


def test_loaded_history_buffers_are_mmengines_class_and_save_as_such(tmp_path):
    path, again = str(tmp_path / 'hub.pth'), str(tmp_path / 'again.pth')
    torch.save({'loss': forged_history_buffer(_history_state())}, path)
    loaded = CheckpointLoader.load_checkpoint(path, map_location='cpu')['loss']
    assert type(loaded) is HistoryBuffer
    assert loaded.statistics('mean') == pytest.approx(2.0) and loaded.max_length == 1000000
    torch.save({'loss': loaded}, again)  # the next checkpoint names only mmengine's class
    names = torch.serialization.get_unsafe_globals_in_checkpoint(again)
    assert 'mmengine.logging.history_buffer.HistoryBuffer' in names
    assert not [name for name in names if 'mmrec' in name]


@pytest.mark.parametrize('changes, culprit', [
    (dict(statistics_methods={'mean': HistoryBuffer.max}), "'mean'"),  # every later mean would be a max
    (dict(statistics_methods={'mean': HistoryBuffer.mean, 'median': HistoryBuffer.mean}), "'median'"),
    (dict(statistics_methods=['mean']), 'must be a dict'),
    (dict(_statistics_methods={}), '_statistics_methods'),  # would shadow the class table on the instance
    (dict(mean=None), 'keys mmengine does not write: mean'),
    (dict(max_length=True), 'max_length'),
    (dict(max_length=2), 'at most max_length (2)'),  # three values, one past the limit
    (dict(_count_history=np.array([1, 1])), 'lengths 3 and 2'),
    (dict(_log_history=np.array([[1.0, 2.0, 3.0]])), '_log_history must be a 1-d'),
])
def test_history_buffer_state_is_limited_to_what_mmengine_writes(tmp_path, changes, culprit):
    table_before = dict(HistoryBuffer._statistics_methods)
    path = str(tmp_path / 'forged_hub.pth')
    torch.save({'message_hub': {'log_scalars': {'loss': forged_history_buffer(_history_state(**changes))}}}, path)
    with pytest.raises(UntrustedCheckpointError) as refused:
        CheckpointLoader.load_checkpoint(path, map_location='cpu')
    message = str(refused.value)
    assert culprit in message and path in message and f'{TRUST_ENV}=1' in message
    assert HistoryBuffer._statistics_methods == table_before  # no process state changed
    assert HistoryBuffer([1.0, 3.0], [1, 1]).statistics('mean') == pytest.approx(2.0)


def test_history_buffer_state_at_the_limits_loads(tmp_path):
    """max_length equal to the history's length, and a state without the statistics table, both load."""
    path = str(tmp_path / 'limits.pth')
    state = _history_state(max_length=3)
    del state['statistics_methods']
    torch.save({'loss': forged_history_buffer(state)}, path)
    loaded = CheckpointLoader.load_checkpoint(path, map_location='cpu')['loss']
    assert type(loaded) is HistoryBuffer and loaded.statistics('current') == 3.0


def test_calling_history_buffer_from_a_checkpoint_is_refused(tmp_path):
    path = str(tmp_path / 'call.pth')
    torch.save({'loss': HistoryBufferCall()}, path)
    with pytest.raises(UntrustedCheckpointError, match='only be rebuilt from its pickled state'):
        CheckpointLoader.load_checkpoint(path, map_location='cpu')
