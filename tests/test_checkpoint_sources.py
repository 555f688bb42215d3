"""Checkpoints from every source mmengine knows (URLs, ``torchvision://``, ``open-mmlab://``, ``mmcls://``,
``s3://``, the torch hub cache, a backbone's ``init_cfg``) are read weights-only, with the same opt-in.

The http server listens on 127.0.0.1 only; the torch hub directory is a temporary folder, so a "cached
download" is a file the test plants there, and nothing is fetched from the network.
"""
import os
import os.path as osp

import pytest
import torch
from mmengine.runner import load_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader, get_external_models, get_torchvision_models

import mmrec  # noqa: F401  (registers the loaders)
from mmrec.testing.malicious_files import (MARKER_GLOBAL, save_malicious_checkpoint, serve_directory, small_model,
                                           touch_marker)
from mmrec.utils import checkpoint_schemes
from mmrec.utils.checkpoint_schemes import SCHEME_LOADERS, hub_checkpoint_path, register_safe_checkpoint_loader
from mmrec.utils.safe_checkpoint import TRUST_ENV, UntrustedCheckpointError, read_trust_environment, trust_checkpoints


@pytest.fixture(autouse=True)
def untrusted_offline_hub(monkeypatch, tmp_path):
    """No opt-in, and a torch hub directory of the test's own (restored afterwards)."""
    monkeypatch.delenv(TRUST_ENV, raising=False)
    read_trust_environment()
    trust_checkpoints(False)
    monkeypatch.setattr(torch.hub, '_hub_dir', str(tmp_path / 'hub'))
    yield
    trust_checkpoints(False)


def _assert_refused(error: pytest.ExceptionInfo, *named: str) -> None:
    message = str(error.value)
    for text in named + (MARKER_GLOBAL, '--trust-checkpoint', f'{TRUST_ENV}=1'):
        assert text in message, (text, message)


def test_a_checkpoint_served_over_http_is_read_weights_only(tmp_path):
    served = tmp_path / 'served'
    served.mkdir()
    marker = tmp_path / 'marker'
    save_malicious_checkpoint(str(served / 'evil.pth'), str(marker))
    model = small_model(0.0)
    with serve_directory(str(served)) as base:
        url = f'{base}/evil.pth'
        with pytest.raises(UntrustedCheckpointError) as refused:
            load_checkpoint(model, url, map_location='cpu')
        cached = hub_checkpoint_path(url)
        assert osp.isfile(cached) and cached.startswith(str(tmp_path / 'hub'))
        _assert_refused(refused, cached, url)
        assert not marker.exists() and torch.all(model.weight == 0)

        trust_checkpoints()  # the same URL (now the cached copy) with the opt-in
        load_checkpoint(model, url, map_location='cpu')
    assert marker.exists() and torch.all(model.weight == 1)


def test_a_clean_checkpoint_over_http_loads_without_opt_in(tmp_path):
    served = tmp_path / 'served'
    served.mkdir()
    torch.save({'state_dict': small_model(0.5).state_dict(), 'meta': {'epoch': 3}}, str(served / 'ok.pth'))
    model = small_model(0.0)
    with serve_directory(str(served)) as base:
        checkpoint = load_checkpoint(model, f'{base}/ok.pth', map_location='cpu')
    assert checkpoint['meta'] == {'epoch': 3} and torch.all(model.weight == 0.5)


def _model_url(scheme_path: str) -> str:
    scheme, name = scheme_path.split('://')
    return (get_torchvision_models() if scheme in ('torchvision', 'modelzoo') else get_external_models())[name]


@pytest.mark.parametrize('path', ['torchvision://resnet50', 'modelzoo://resnet18', 'open-mmlab://resnet50_v1c'])
def test_a_file_planted_in_the_hub_cache_is_refused_offline(tmp_path, path):
    """torch reuses a cached download by file name (no hash check): a planted file must not run code."""
    marker = tmp_path / 'marker'
    planted = hub_checkpoint_path(_model_url(path))
    os.makedirs(osp.dirname(planted))
    save_malicious_checkpoint(planted, str(marker))
    with pytest.raises(UntrustedCheckpointError) as refused:
        CheckpointLoader.load_checkpoint(path, map_location='cpu')
    _assert_refused(refused, planted)
    assert not marker.exists()


def test_a_backbone_init_cfg_from_torchvision_goes_the_same_way(tmp_path):
    """mmdet's ``init_cfg=dict(type='Pretrained', checkpoint='torchvision://...')`` (the R50 configs' init)."""
    from mmdet.models.backbones import ResNet
    init_cfg = dict(type='Pretrained', checkpoint='torchvision://resnet18')
    planted = hub_checkpoint_path(get_torchvision_models()['resnet18'])
    os.makedirs(osp.dirname(planted))
    weights = {key: torch.full_like(value, 0.25) for key, value in ResNet(depth=18).state_dict().items()}
    marker = tmp_path / 'marker'
    save_malicious_checkpoint(planted, str(marker), state_dict=weights)
    backbone = ResNet(depth=18, init_cfg=init_cfg)
    with pytest.raises(UntrustedCheckpointError) as refused:
        backbone.init_weights()
    _assert_refused(refused, planted)
    assert not marker.exists()

    torch.save(weights, planted)  # a plain state dict, as torchvision publishes: loads, no opt-in
    backbone = ResNet(depth=18, init_cfg=init_cfg)
    backbone.init_weights()
    assert torch.all(backbone.conv1.weight == 0.25)


def test_bytes_from_a_storage_backend_are_read_weights_only(tmp_path, monkeypatch):
    """``s3://`` / ``petrel://``: the fetched bytes go through the same reader (the backend is stood in for)."""
    marker = tmp_path / 'marker'
    data = open(save_malicious_checkpoint(str(tmp_path / 'evil.pth'), str(marker)), 'rb').read()

    class Backend:
        def get(self, filepath):
            return data

    import mmengine.fileio
    monkeypatch.setattr(mmengine.fileio, 'get_file_backend', lambda filepath, backend_args=None: Backend())
    with pytest.raises(UntrustedCheckpointError) as refused:
        CheckpointLoader.load_checkpoint('s3://bucket/evil.pth', map_location='cpu')
    _assert_refused(refused, 's3://bucket/evil.pth')
    assert not marker.exists()


def test_every_registered_scheme_is_mmrecs_or_guarded():
    for prefix in SCHEME_LOADERS:
        assert CheckpointLoader._get_checkpoint_loader(prefix.replace(r'(\S+\:)?', '') + 'x') is SCHEME_LOADERS[prefix]
    for prefix, loader in CheckpointLoader._schemes.items():
        assert loader is SCHEME_LOADERS.get(prefix) or getattr(loader, 'mmrec_guarded', False), prefix


def test_a_scheme_registered_by_another_package_needs_the_opt_in(tmp_path, monkeypatch):
    monkeypatch.setattr(CheckpointLoader, '_schemes', dict(CheckpointLoader._schemes))
    marker = tmp_path / 'marker'

    def load_from_other(filename, map_location=None):  # e.g. a loader that unpickles in full
        return touch_marker(str(marker))

    CheckpointLoader.register_scheme('other://', load_from_other)
    register_safe_checkpoint_loader()  # what import mmrec did for the schemes known then
    with pytest.raises(UntrustedCheckpointError, match='other://x.pth.*load_from_other.*--trust-checkpoint'):
        CheckpointLoader.load_checkpoint('other://x.pth')
    assert not marker.exists()
    register_safe_checkpoint_loader()  # idempotent: not wrapped twice
    assert CheckpointLoader._schemes['other://'].__wrapped__ is load_from_other

    CheckpointLoader.register_scheme('late://', load_from_other)  # a package imported after mmrec
    with pytest.raises(UntrustedCheckpointError, match='late://x.pth.*load_from_other'):
        CheckpointLoader.load_checkpoint('late://x.pth')
    assert not marker.exists()
    trust_checkpoints()
    assert CheckpointLoader.load_checkpoint('other://x.pth') == 'unpickled in full' and marker.exists()
    marker.unlink()
    assert CheckpointLoader.load_checkpoint('late://x.pth') == 'unpickled in full' and marker.exists()


def test_a_download_happens_once_then_the_cached_copy_is_read(tmp_path, monkeypatch):
    served = tmp_path / 'served'
    served.mkdir()
    torch.save({'w': torch.ones(2)}, str(served / 'w.pth'))
    downloads = []
    download = torch.hub.download_url_to_file
    monkeypatch.setattr(checkpoint_schemes.torch.hub, 'download_url_to_file',
                        lambda *args, **kwargs: downloads.append(args[0]) or download(*args, **kwargs))
    with serve_directory(str(served)) as base:
        for _ in range(2):
            assert CheckpointLoader.load_checkpoint(f'{base}/w.pth')['w'].tolist() == [1.0, 1.0]
    assert downloads == [f'{base}/w.pth']


def test_a_file_planted_under_a_shipped_load_from_name_is_refused_by_the_inferencer(tmp_path, repo_root):
    """The shipped configs' ``load_from`` URL, already "downloaded" by an attacker: RECInferencer, offline."""
    from mmengine.config import Config

    from mmrec.apis import RECInferencer
    from mmrec.testing import tiny_method2_config
    url = Config.fromfile(osp.join(repo_root, 'configs', 'method2_clip-vit-b32_r50_fpn_coco_refcoco.py')).load_from
    assert url.startswith('https://')
    planted, marker = hub_checkpoint_path(url), tmp_path / 'marker'
    os.makedirs(osp.dirname(planted))
    save_malicious_checkpoint(planted, str(marker))
    cfg = tiny_method2_config(encoder=dict(type='MeanColorEncoder'))
    cfg.load_from = url
    with pytest.raises(UntrustedCheckpointError) as refused:
        RECInferencer(cfg)
    _assert_refused(refused, planted, url)
    assert not marker.exists()


def test_a_legacy_zip_download_is_unpacked_and_read_weights_only(tmp_path):
    """torch < 1.6 weights published as a zip holding one pickle: unpacked as torch.hub does, same reader."""
    import zipfile
    served, marker = tmp_path / 'served', tmp_path / 'marker'
    served.mkdir()
    for name, malicious in (('clean', False), ('evil', True)):
        inner = str(tmp_path / f'{name}.pth')
        if malicious:
            save_malicious_checkpoint(inner, str(marker))
        else:
            torch.save({'w': torch.full((2,), 3.0)}, inner, _use_new_zipfile_serialization=False)
        with zipfile.ZipFile(str(served / f'{name}.zip'), 'w') as archive:
            archive.write(inner, f'{name}.pth')
    with serve_directory(str(served)) as base:
        assert CheckpointLoader.load_checkpoint(f'{base}/clean.zip')['w'].tolist() == [3.0, 3.0]
        with pytest.raises(UntrustedCheckpointError) as refused:
            CheckpointLoader.load_checkpoint(f'{base}/evil.zip')
    _assert_refused(refused, osp.join(str(tmp_path / 'hub'), 'checkpoints', 'evil.pth'))
    assert not marker.exists()


def test_tools_test_py_with_a_malicious_url_refuses_before_any_metric(tmp_path, repo_root):
    """Issue 17's attack as run: ``tools/test.py CONFIG URL`` with a served .pth whose unpickling runs code."""
    import subprocess
    import sys

    from mmrec.datasets.synthetic import generate_synthetic_refer
    from mmrec.testing import save_tiny_clip
    data_root, served, marker = str(tmp_path / 'data'), tmp_path / 'served', tmp_path / 'marker'
    generate_synthetic_refer(data_root, num_images={'train': 1, 'val': 2, 'testA': 1, 'testB': 1},
                             image_size=(96, 96), seed=3)
    served.mkdir()
    save_malicious_checkpoint(str(served / 'detector.pth'), str(marker))
    clip_dir = save_tiny_clip(str(tmp_path / 'clip'))
    with serve_directory(str(served)) as base:
        proc = subprocess.run(
            [sys.executable, 'tools/test.py', 'configs/method2_tiny-clip_r18-tiny_fpn_synthetic.py',
             f'{base}/detector.pth', '--work-dir', str(tmp_path / 'work'), '--cfg-options',
             f'test_dataloader.dataset.data_root={data_root}/', f'model.scorer.encoder.name_or_path={clip_dir}'],
            cwd=repo_root, capture_output=True, text=True, timeout=600,
            env=dict(os.environ, TORCH_HOME=str(tmp_path / 'torch_home')))
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0 and not marker.exists()
    assert f'Refused to load checkpoint {tmp_path}/torch_home/hub/checkpoints/detector.pth' in output
    assert f'{base}/detector.pth' in output and 'rec/accuracy' not in output
