"""The evaluation cache (mmrec.cache): cached runs give the numbers of uncached ones, keys miss when what
they depend on changes, damaged or foreign entries are never read as data, and an unusable directory falls
back to evaluating without the cache. Tiny synthetic data, tiny random models saved as checkpoints."""
import errno
import json
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmrec.cache import RECCache, attach_cache
from mmrec.cache.cached_encoder import embeddings_check
from mmrec.cache.rec_cache import DetectionCache
from mmrec.cache.store import (CACHE_FORMAT_VERSION, MANIFEST_NAME, CorruptEntry, EntryStore, decode_entry,
                               encode_entry)
from mmrec.datasets.synthetic import generate_synthetic_refer, synthetic_vocabulary
from mmrec.engine import RECCacheHook, add_rec_cache_hook
from mmrec.testing import save_tiny_clip
from mmrec.utils import build_runner

METHOD2_CONFIG = 'configs/method2_tiny-clip_r18-tiny_fpn_synthetic.py'
METHOD1_CONFIG = 'configs/method1_tiny-clip_r18_fpn_2e_synthetic.py'
NUM_IMAGES = {'train': 1, 'val': 3, 'testA': 1, 'testB': 1}
SCALE = (96, 96)
SECRET = b'a test key'


def _set_scale(pipeline, scale) -> None:
    for step in pipeline:
        if step['type'] == 'Resize':
            step['scale'] = scale


def rec_config(config: str, data_root: str, clip_dir: str, work_dir: str, checkpoint: str = None, **options):
    """A test config of ``config`` on the tiny data and CLIP, with ``--cfg-options``-style ``options``."""
    cfg = Config.fromfile(config)
    cfg.test_dataloader.dataset.data_root = data_root + '/'
    _set_scale(cfg.test_dataloader.dataset.pipeline, SCALE)
    encoder = 'model.scorer.encoder' if 'method2' in config else 'model.roi_head.bbox_head.encoder'
    cfg.merge_from_dict({f'{encoder}.name_or_path': clip_dir, **options})
    if 'method2' in config:
        cfg.model.test_cfg.rcnn.score_thr = 0.0  # a random detector scores every class near 1/num_classes
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    cfg.load_from = checkpoint
    cfg.default_hooks.logger.interval = 1
    cfg.pop('val_dataloader', None), cfg.pop('val_cfg', None), cfg.pop('val_evaluator', None)
    return cfg


def save_random_checkpoint(cfg: Config, path: str, seed: int) -> str:
    """A checkpoint of the config's model with seeded random weights."""
    from mmdet.registry import MODELS

    with DefaultScope.overwrite_default_scope('mmdet'):
        torch.manual_seed(seed)
        model = MODELS.build(cfg.model)
        model.init_weights()
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return path


@pytest.fixture(scope='module')
def setup(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp('rec_cache')
    data_root = str(root / 'data')
    generate_synthetic_refer(data_root, num_images=NUM_IMAGES, image_size=(96, 96), seed=5)
    clip_dir = save_tiny_clip(str(root / 'clip'), texts=synthetic_vocabulary())
    other_clip = save_tiny_clip(str(root / 'clip_other'), texts=synthetic_vocabulary(), seed=1)
    checkpoints = {}
    for config in (METHOD2_CONFIG, METHOD1_CONFIG):
        cfg = rec_config(config, data_root, clip_dir, str(root / 'unused'))
        checkpoints[config] = [save_random_checkpoint(cfg, str(root / f'{osp.basename(config)}_{seed}.pth'), seed)
                               for seed in (0, 1)]
    return dict(root=root, data_root=data_root, clip_dir=clip_dir, other_clip=other_clip, checkpoints=checkpoints,
                runs=0)


def evaluate(setup, config: str, cache_dir: str = None, seed: int = 0, clip_dir: str = None, **options):
    """Run tools/test.py's runner in this process: ``(metrics, rows, the RECCache used or None)``."""
    setup['runs'] += 1
    work_dir = str(setup['root'] / f'run{setup["runs"]}')
    cfg = rec_config(config, setup['data_root'], clip_dir or setup['clip_dir'], work_dir,
                     setup['checkpoints'][config][seed], **options)
    dump = osp.join(work_dir, 'rows.jsonl')
    cfg.test_evaluator['dump_file'] = dump
    add_rec_cache_hook(cfg, cache_dir)
    runner = build_runner(cfg)
    metrics = runner.test()
    hooks = [hook for hook in runner.hooks if isinstance(hook, RECCacheHook)]
    with open(dump) as file:
        rows = sorted((json.loads(line) for line in file), key=lambda row: row['sent_id'])
    return metrics, rows, hooks[0].cache if hooks else None


def answers(rows):
    return [(row['sent_id'], row['pred_bbox'], row['score']) for row in rows]


def computed(cache: RECCache, kind: str) -> int:
    return cache.stats[kind]['computed']


@pytest.mark.parametrize('config', [METHOD2_CONFIG, METHOD1_CONFIG])
def test_cached_runs_equal_the_uncached_run_and_the_second_computes_nothing(setup, tmp_path, config):
    cache_dir = str(tmp_path / 'cache')
    plain_metrics, plain_rows, none = evaluate(setup, config)
    first_metrics, first_rows, first = evaluate(setup, config, cache_dir)
    second_metrics, second_rows, second = evaluate(setup, config, cache_dir)

    assert none is None
    assert first_metrics == plain_metrics and second_metrics == plain_metrics  # exactly, every metric
    assert answers(first_rows) == answers(plain_rows) and answers(second_rows) == answers(plain_rows)
    assert computed(first, 'detections') == len({row['img_id'] for row in plain_rows})  # once per image
    assert computed(first, 'crops') > 0
    # the second run ran neither the detector nor the image encoder: everything came from the disk
    assert computed(second, 'detections') == 0 and computed(second, 'crops') == 0
    assert second.stats['detections']['disk'] == computed(first, 'detections')
    assert second.store.stats['written'] == 0


@pytest.mark.parametrize('config, option', [(METHOD2_CONFIG, {'model.scorer.detector_score_weight': 0.5}),
                                            (METHOD1_CONFIG, {'model.roi_head.bbox_head.blend.clip_weight': 0.8}),
                                            (METHOD1_CONFIG, {'model.roi_head.bbox_head.min_box_fraction': 0.05})])
def test_a_run_differing_in_scoring_reads_the_detections(setup, tmp_path, config, option):
    cache_dir = str(tmp_path / 'cache')
    evaluate(setup, config, cache_dir)
    changed_metrics, changed_rows, cache = evaluate(setup, config, cache_dir, **option)
    plain_metrics, plain_rows, _ = evaluate(setup, config, **option)

    assert changed_metrics == plain_metrics and answers(changed_rows) == answers(plain_rows)
    assert computed(cache, 'detections') == 0  # the detector did not run
    if config == METHOD2_CONFIG:
        assert computed(cache, 'crops') == 0  # same candidates: no crop was encoded either
    else:  # method 1: the proposals' crops are read; local-search boxes the first run did not try are encoded
        assert cache.stats['crops']['disk'] > 0


@pytest.mark.parametrize('change', ['checkpoint', 'encoder', 'crop_mode'])
def test_what_the_work_depends_on_misses_the_cache(setup, tmp_path, change):
    cache_dir = str(tmp_path / 'cache')
    evaluate(setup, METHOD2_CONFIG, cache_dir)
    arguments = dict(checkpoint=dict(seed=1), encoder=dict(clip_dir=setup['other_clip']),
                     crop_mode={'model.scorer.crop_mode': 'context'})[change]
    metrics, rows, cache = evaluate(setup, METHOD2_CONFIG, cache_dir, **arguments)
    plain_metrics, plain_rows, _ = evaluate(setup, METHOD2_CONFIG, **arguments)

    assert metrics == plain_metrics and answers(rows) == answers(plain_rows)
    num_images = len({row['img_id'] for row in rows})
    assert cache.stats['crops']['disk'] == 0 and computed(cache, 'crops') == num_images  # every crop batch anew
    # another checkpoint reruns the detector; another encoder or crop mode reuses its detections
    assert computed(cache, 'detections') == (num_images if change == 'checkpoint' else 0)


def entry_files(cache_dir: str):
    return sorted(os.path.join(folder, name) for folder, _, names in os.walk(cache_dir) for name in names
                  if name.endswith('.safetensors') and not name.startswith('.tmp-'))


def test_a_truncated_entry_is_detected_logged_and_recomputed(setup, tmp_path, capsys):
    cache_dir = str(tmp_path / 'cache')
    plain_metrics, plain_rows, first = evaluate(setup, METHOD2_CONFIG, cache_dir)
    files = entry_files(cache_dir)
    assert len(files) == computed(first, 'detections') + computed(first, 'crops')
    victim = files[0]
    with open(victim, 'rb') as file:
        blob = file.read()
    with open(victim, 'wb') as file:
        file.write(blob[:len(blob) // 2])
    capsys.readouterr()

    metrics, rows, cache = evaluate(setup, METHOD2_CONFIG, cache_dir)

    assert metrics == plain_metrics and answers(rows) == answers(plain_rows)
    assert cache.store.stats['corrupt'] == 1
    assert computed(cache, 'detections') + computed(cache, 'crops') >= 1
    assert f'{victim} is corrupt' in capsys.readouterr().out
    _, _, again = evaluate(setup, METHOD2_CONFIG, cache_dir)  # recomputed and written again, whole
    assert again.store.stats['corrupt'] == 0 and computed(again, 'detections') + computed(again, 'crops') == 0


def test_entry_checks_refuse_damaged_and_foreign_bytes():
    key = dict(kind='crops', boxes='abc')
    tensors = dict(embeddings=torch.arange(12, dtype=torch.float32).view(3, 4))
    blob = encode_entry(tensors, key, SECRET)
    torch.testing.assert_close(decode_entry(blob, key, SECRET)['embeddings'], tensors['embeddings'], rtol=0, atol=0)
    for damaged in (blob[:-1], blob[:5], blob[:-4] + b'\x00\x00\x80\x7f'):
        with pytest.raises(CorruptEntry):
            decode_entry(damaged, key, SECRET)
    with pytest.raises(KeyError, match='another key'):
        decode_entry(blob, dict(key, boxes='abd'), SECRET)


def edit_header(blob: bytes, old: str, new: str) -> bytes:
    """``blob`` with ``old`` replaced by ``new`` (same length) in its safetensors header."""
    assert len(old) == len(new)
    length = int.from_bytes(blob[:8], 'little')
    header = blob[8:8 + length].decode()
    assert old in header
    return blob[:8] + header.replace(old, new, 1).encode() + blob[8 + length:]


@pytest.mark.parametrize('old, new', [('F32', 'I32'), ('F32', 'F16'), ('[3,4]', '[4,3]'), ('[3,4]', '[6,2]')])
def test_an_edited_tensor_table_is_corrupt(old, new):
    key = dict(kind='crops', boxes='abc')
    blob = encode_entry(dict(embeddings=torch.arange(12, dtype=torch.float32).view(3, 4)), key, SECRET)
    with pytest.raises(CorruptEntry):
        decode_entry(edit_header(blob, old, new), key, SECRET)


def test_an_edited_header_on_disk_is_refused_and_recomputed(tmp_path):
    cache = RECCache(EntryStore.open(str(tmp_path / 'cache')))
    key = dict(kind='crops', boxes='abc')
    cache.put('crops', key, dict(embeddings=torch.ones(3, 4)))
    [path] = entry_files(str(tmp_path / 'cache'))
    with open(path, 'rb') as file:
        blob = file.read()
    with open(path, 'wb') as file:
        file.write(edit_header(blob, 'F32', 'I32'))
    fresh = RECCache(EntryStore.open(str(tmp_path / 'cache')))
    assert fresh.get('crops', key, embeddings_check(3)) is None and fresh.store.stats['unauthenticated'] == 1
    fresh.put('crops', key, dict(embeddings=torch.ones(3, 4)))  # recomputed: the file is whole again
    again = RECCache(EntryStore.open(str(tmp_path / 'cache')))
    assert again.get('crops', key, embeddings_check(3)) is not None and again.store.stats['unauthenticated'] == 0


def test_entries_of_the_wrong_shape_for_their_kind_are_corrupt(tmp_path):
    store = EntryStore.open(str(tmp_path / 'cache'))
    key = dict(kind='crops', boxes='abc')
    store.write('ab' * 32, key, dict(embeddings=torch.ones(3, 4)))
    assert store.read('ab' * 32, key, embeddings_check(3)) is not None
    assert store.read('ab' * 32, key, embeddings_check(5)) is None  # 3 rows for 5 boxes
    store.write('cd' * 32, key, dict(embeddings=torch.ones(3, 4, dtype=torch.float64)))
    assert store.read('cd' * 32, key, embeddings_check(3)) is None
    assert store.stats['corrupt'] == 2


def fresh_cache(directory: str) -> RECCache:
    return RECCache(EntryStore.open(directory))


@pytest.mark.parametrize('change', ['code', 'libraries'])
def test_an_entry_of_other_code_or_libraries_misses(tmp_path, monkeypatch, change):
    directory = str(tmp_path / 'cache')
    key, entry = dict(kind='crops', boxes='abc'), dict(embeddings=torch.ones(3, 4))
    fresh_cache(directory).put('crops', key, entry)
    assert fresh_cache(directory).get('crops', key) is not None  # read back from disk
    if change == 'code':
        monkeypatch.setattr('mmrec.cache.keys.code_fingerprint', lambda: 'an edited mmrec')
    else:
        from mmrec.cache.keys import library_versions
        monkeypatch.setattr('mmrec.cache.keys.library_versions', lambda: dict(library_versions(), torch='9.9'))
    assert fresh_cache(directory).get('crops', key) is None


def test_detections_computed_under_autocast_or_in_another_batch_are_other_entries(tmp_path):
    cache = fresh_cache(str(tmp_path / 'cache'))
    detections = DetectionCache(cache, 'detector')
    image, meta = torch.rand(3, 8, 8), dict(img_id=1)
    entry = dict(bboxes=torch.tensor([[0., 0., 4., 4.]]), scores=torch.tensor([0.5]))
    detections.write_batch(detections.keys([image], [meta]), [entry])
    with torch.autocast('cpu', dtype=torch.bfloat16):  # e.g. a test loop with fp16=True
        assert detections.read_batch(detections.keys([image], [meta]), image.device) is None
    other_batch = detections.keys([image, torch.rand(3, 8, 8)], [meta, dict(img_id=2)])
    assert detections.read_batch(other_batch, image.device) is None
    [read] = detections.read_batch(detections.keys([image], [meta]), image.device)
    torch.testing.assert_close(read['bboxes'], entry['bboxes'], rtol=0, atol=0)
    read['bboxes'] += 1  # what is handed out is a copy: the cached entry stays as computed
    [again] = detections.read_batch(detections.keys([image], [meta]), image.device)
    torch.testing.assert_close(again['bboxes'], entry['bboxes'], rtol=0, atol=0)


def test_open_clip_encoders_differing_only_in_quick_gelu_have_other_identities(tmp_path):
    from mmrec.models import OpenCLIPEncoder
    from mmrec.testing.tiny_encoders import save_tiny_open_clip

    name, weights = save_tiny_open_clip(str(tmp_path), 'resnet')
    default, quick = (OpenCLIPEncoder(model_name=name, pretrained=weights, quick_gelu=value) for value in (False, True))
    assert quick.init_arguments['quick_gelu'] is True and default.init_arguments['quick_gelu'] is False
    cache = fresh_cache(str(tmp_path / 'cache'))  # identities with the weights' content, as on disk
    assert cache.encoder_identity(default) != cache.encoder_identity(quick)
    again = OpenCLIPEncoder(model_name=name, pretrained=weights, quick_gelu=False)
    assert cache.encoder_identity(again) == cache.encoder_identity(default)


def test_a_cache_of_another_mmrec_version_is_not_used(setup, tmp_path, capsys):
    cache_dir = tmp_path / 'old'
    cache_dir.mkdir()
    manifest = dict(format='mmrec-rec-cache', format_version=CACHE_FORMAT_VERSION, mmrec_version='0.0.1')
    (cache_dir / MANIFEST_NAME).write_text(json.dumps(manifest))
    plain_metrics, plain_rows, _ = evaluate(setup, METHOD2_CONFIG)
    capsys.readouterr()

    metrics, rows, cache = evaluate(setup, METHOD2_CONFIG, str(cache_dir))

    assert cache is None and metrics == plain_metrics and answers(rows) == answers(plain_rows)
    out = capsys.readouterr().out
    assert "'mmrec_version': '0.0.1'" in out and 'evaluating WITHOUT the cache' in out
    assert json.loads((cache_dir / MANIFEST_NAME).read_text()) == manifest  # left as it was
    assert entry_files(str(cache_dir)) == []


def test_an_unusable_directory_warns_and_evaluates_without_the_cache(setup, tmp_path, capsys):
    blocker = tmp_path / 'a_file'
    blocker.write_text('not a directory')
    plain_metrics, plain_rows, _ = evaluate(setup, METHOD2_CONFIG)
    capsys.readouterr()

    metrics, rows, cache = evaluate(setup, METHOD2_CONFIG, str(blocker / 'cache'))

    assert cache is None and metrics == plain_metrics and answers(rows) == answers(plain_rows)
    assert 'evaluating WITHOUT the cache' in capsys.readouterr().out


def test_a_full_disk_stops_writing_and_the_evaluation_goes_on(setup, tmp_path, monkeypatch, capsys):
    cache_dir = str(tmp_path / 'cache')
    plain_metrics, plain_rows, _ = evaluate(setup, METHOD2_CONFIG)

    replace = os.replace

    def no_space(source, destination, **dir_fds):
        if destination.endswith('.safetensors'):  # the disk fills up after the manifest was written
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        replace(source, destination, **dir_fds)

    monkeypatch.setattr('mmrec.cache.store.os.replace', no_space)
    capsys.readouterr()
    metrics, rows, cache = evaluate(setup, METHOD2_CONFIG, cache_dir)

    assert metrics == plain_metrics and answers(rows) == answers(plain_rows)
    assert cache.store.stats['write_failed'] == 1 and cache.store.stats['written'] == 0
    assert 'No space left on device' in capsys.readouterr().out
    assert entry_files(cache_dir) == [] and not [n for _, _, names in os.walk(cache_dir) for n in names
                                                  if n.startswith('.tmp-')]


def test_entries_are_written_atomically(tmp_path, monkeypatch):
    store = EntryStore.open(str(tmp_path / 'cache'))
    key = dict(kind='detections', image=1)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # the run dies between writing the temporary file and moving it into place

    monkeypatch.setattr('mmrec.cache.store.os.replace', killed)
    with pytest.raises(KeyboardInterrupt):
        store.write('ab' * 32, key, dict(bboxes=torch.zeros(2, 4)))
    monkeypatch.undo()
    assert store.read('ab' * 32, key) is None and store.stats['missing'] == 1
    assert os.listdir(tmp_path / 'cache' / 'ab') == []  # no half-written entry, no leftover


def test_attach_refuses_a_model_without_cacheable_work():
    with pytest.raises(TypeError, match='REC detector'):
        attach_cache(torch.nn.Linear(2, 2), RECCache(), {})


def test_a_cache_written_by_two_processes_is_read_whole_by_one(setup, tmp_path):
    """Two gloo ranks of tools/test.py --cache-dir write the entries of their own images; one process then
    reads every entry, computes nothing, and answers as an uncached run."""
    import subprocess
    import sys

    repo = osp.dirname(osp.dirname(osp.abspath(__file__)))
    cache_dir, work_dir = str(tmp_path / 'cache'), str(tmp_path / 'dist')
    config = str(tmp_path / 'method2.py')
    rec_config(METHOD2_CONFIG, setup['data_root'], setup['clip_dir'], work_dir).dump(config)
    port = str(29500 + (os.getpid() + 13) % 1000)
    command = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2', f'--master_port={port}',
               'tools/test.py', config, setup['checkpoints'][METHOD2_CONFIG][0], '--launcher', 'pytorch',
               '--work-dir', work_dir, '--cache-dir', cache_dir, '--cfg-options', 'env_cfg.dist_cfg.backend=gloo',
               f'test_evaluator.dump_file={work_dir}/rows.jsonl']
    proc = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, PYTHONPATH=repo))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]
    with open(osp.join(work_dir, 'rows.jsonl')) as file:
        dist_rows = sorted((json.loads(line) for line in file), key=lambda row: row['sent_id'])

    metrics, rows, cache = evaluate(setup, METHOD2_CONFIG, cache_dir)
    plain_metrics, plain_rows, _ = evaluate(setup, METHOD2_CONFIG)

    assert computed(cache, 'detections') == 0 and computed(cache, 'crops') == 0  # every entry read from disk
    assert cache.stats['detections']['disk'] == len({row['img_id'] for row in rows})
    # the ranks ran with other thread counts (CPU results may differ in the last bits): the read run answers
    # with the ranks' boxes exactly, and as the uncached run to 1e-4
    assert [row['pred_bbox'] for row in rows] == [row['pred_bbox'] for row in dist_rows]
    assert metrics.keys() == plain_metrics.keys()
    for key in metrics:
        assert metrics[key] == pytest.approx(plain_metrics[key], abs=1e-6), key
    for some in (rows, dist_rows):
        assert [row['sent_id'] for row in some] == [row['sent_id'] for row in plain_rows]
        assert [row['pred_bbox'] for row in some] == [pytest.approx(row['pred_bbox'], abs=1e-4) for row in plain_rows]
        assert [row['score'] for row in some] == pytest.approx([row['score'] for row in plain_rows], abs=1e-5)
