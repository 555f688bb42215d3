"""The evaluation cache trusted like code: entries signed with the user's key, only the user's private
directory, entries only as regular files, shard folders only as real directories, no non-finite tensors."""
import json
import os
import os.path as osp
import signal
import stat

import pytest
import torch
from safetensors.torch import load as load_tensors

from mmrec.cache import RECCache, open_cache
from mmrec.cache import private_files, secret
from mmrec.cache.cached_encoder import embeddings_check
from mmrec.cache.store import MAC_FIELD, EntryStore, UnauthenticatedEntry, decode_entry, encode_entry
from mmrec.testing import logged_warnings
from test_rec_cache import METHOD2_CONFIG, answers, entry_files, evaluate, setup  # noqa: F401  (fixture)

KEY = dict(kind='crops', boxes='abc')
NAME = 'ab' * 32


@pytest.fixture
def warnings():
    """The warnings of mmrec's current logger while the test runs (``warnings.out`` reads and clears them)."""
    with logged_warnings() as logged:
        yield logged


def header_of(path: str) -> dict:
    with open(path, 'rb') as file:
        blob = file.read()
    return json.loads(blob[8:8 + int.from_bytes(blob[:8], 'little')])


def forge(path: str, signing_key: bytes) -> None:
    """Rewrite the detections entry at ``path``: every candidate becomes the whole image with score 1, signed
    with ``signing_key`` (a planted entry with a valid SHA-style checksum of its own)."""
    metadata = header_of(path)['__metadata__']
    with open(path, 'rb') as file:
        tensors = load_tensors(file.read())
    tensors['bboxes'] = torch.tensor([[0.0, 0.0, 96.0, 96.0]]).expand(len(tensors['bboxes']), 4).contiguous()
    tensors['scores'] = torch.ones(len(tensors['scores']))
    with open(path, 'wb') as file:
        file.write(encode_entry(tensors, json.loads(metadata['key']), signing_key))


def detection_files(cache_dir: str) -> list:
    return [path for path in entry_files(cache_dir)
            if json.loads(header_of(path)['__metadata__']['key'])['kind'] == 'detections']


def test_a_forged_detection_entry_is_recomputed_and_the_accuracy_equals_the_uncached_run(setup, tmp_path,  # noqa: F811
                                                                                          capsys):
    cache_dir = str(tmp_path / 'cache')
    plain_metrics, plain_rows, _ = evaluate(setup, METHOD2_CONFIG)
    evaluate(setup, METHOD2_CONFIG, cache_dir)
    files = detection_files(cache_dir)
    assert files
    for path in files:
        forge(path, b'an attacker without your key')
    capsys.readouterr()

    metrics, rows, cache = evaluate(setup, METHOD2_CONFIG, cache_dir)

    assert metrics == plain_metrics and answers(rows) == answers(plain_rows)
    assert cache.store.stats['unauthenticated'] >= 1 and cache.stats['detections']['disk'] == 0
    assert 'HMAC does not verify' in capsys.readouterr().out
    # the control: the same forgery signed with the user's key is used, so the test above can fail
    for path in files:
        forge(path, cache.store.secret)
    forged_metrics, forged_rows, _ = evaluate(setup, METHOD2_CONFIG, cache_dir)
    assert answers(forged_rows) != answers(plain_rows)


def test_an_entry_without_a_mac_or_with_another_key_is_refused(tmp_path):
    store = EntryStore.open(str(tmp_path / 'cache'))
    tensors = dict(embeddings=torch.ones(3, 4))
    blob = encode_entry(tensors, KEY, store.secret)
    assert decode_entry(blob, KEY, store.secret)['embeddings'].shape == (3, 4)
    with pytest.raises(UnauthenticatedEntry):
        decode_entry(encode_entry(tensors, KEY, b'another key'), KEY, store.secret)
    from safetensors.torch import save
    unsigned = save(tensors, metadata={**header_of_blob(blob)['__metadata__'], MAC_FIELD: '0' * 64})
    with pytest.raises(UnauthenticatedEntry):
        decode_entry(unsigned, KEY, store.secret)


def header_of_blob(blob: bytes) -> dict:
    return json.loads(blob[8:8 + int.from_bytes(blob[:8], 'little')])


@pytest.mark.parametrize('field', ['embeddings'])
@pytest.mark.parametrize('value', [float('nan'), float('inf'), float('-inf')])
def test_a_non_finite_entry_is_never_used_nor_written(tmp_path, field, value):
    store = EntryStore.open(str(tmp_path / 'cache'))
    poisoned = torch.ones(3, 4)
    poisoned[1, 2] = value
    assert store.write(NAME, KEY, {field: poisoned}) is False and store.stats['not_written'] == 1
    assert not osp.exists(store.path(NAME))
    os.makedirs(osp.dirname(store.path(NAME)), mode=0o700)
    with open(store.path(NAME), 'wb') as file:  # signed with the user's own key: only the values are wrong
        file.write(encode_entry({field: poisoned}, KEY, store.secret))
    assert store.read(NAME, KEY, embeddings_check(3)) is None and store.stats['not_finite'] == 1


def test_nan_crop_embeddings_in_the_cache_never_reach_the_rows(setup, tmp_path):  # noqa: F811
    cache_dir = str(tmp_path / 'cache')
    plain_metrics, plain_rows, _ = evaluate(setup, METHOD2_CONFIG)
    _, _, first = evaluate(setup, METHOD2_CONFIG, cache_dir)
    poisoned = 0
    for path in entry_files(cache_dir):
        metadata = header_of(path)['__metadata__']
        if json.loads(metadata['key'])['kind'] != 'crops':
            continue
        with open(path, 'rb') as file:
            tensors = load_tensors(file.read())
        tensors['embeddings'][:] = float('nan')
        with open(path, 'wb') as file:
            file.write(encode_entry(tensors, json.loads(metadata['key']), first.store.secret))
        poisoned += 1
    assert poisoned

    metrics, rows, cache = evaluate(setup, METHOD2_CONFIG, cache_dir)

    assert cache.store.stats['not_finite'] == poisoned
    assert metrics == plain_metrics and answers(rows) == answers(plain_rows)
    assert all(row['score'] == row['score'] for row in rows)  # no NaN score


class _Hang(Exception):
    pass


def _alarm(signum, frame):
    raise _Hang()


def test_a_fifo_in_place_of_an_entry_is_refused_without_blocking(tmp_path):
    store = EntryStore.open(str(tmp_path / 'cache'))
    assert store.write(NAME, KEY, dict(embeddings=torch.ones(3, 4)))
    os.remove(store.path(NAME))
    os.mkfifo(store.path(NAME))
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(10)
    try:
        assert store.read(NAME, KEY, embeddings_check(3)) is None  # a blocking open would hang here
    except _Hang:
        pytest.fail('reading a FIFO in place of an entry blocked')
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert store.stats['unsafe'] == 1
    assert store.write(NAME, KEY, dict(embeddings=torch.ones(3, 4)))  # recomputed: the FIFO is replaced
    assert stat.S_ISREG(os.lstat(store.path(NAME)).st_mode)
    assert store.read(NAME, KEY, embeddings_check(3)) is not None


def test_a_symlink_in_place_of_an_entry_is_refused(tmp_path):
    store = EntryStore.open(str(tmp_path / 'cache'))
    elsewhere = tmp_path / 'elsewhere.safetensors'
    elsewhere.write_bytes(encode_entry(dict(embeddings=torch.ones(3, 4)), KEY, store.secret))
    os.makedirs(osp.dirname(store.path(NAME)), mode=0o700)
    os.symlink(elsewhere, store.path(NAME))
    assert store.read(NAME, KEY, embeddings_check(3)) is None and store.stats['unsafe'] == 1


def test_a_symlinked_shard_folder_redirects_no_write_and_no_read(tmp_path, warnings):
    store = EntryStore.open(str(tmp_path / 'cache'))
    target = tmp_path / 'target'
    target.mkdir(mode=0o700)
    os.symlink(target, osp.dirname(store.path(NAME)))
    warnings.out
    assert store.write(NAME, KEY, dict(embeddings=torch.ones(3, 4))) is False
    assert store.write(NAME[:2] + 'ff' * 31, KEY, dict(embeddings=torch.ones(3, 4))) is False  # same folder
    assert os.listdir(target) == []
    (target / osp.basename(store.path(NAME))).write_bytes(encode_entry(dict(embeddings=torch.ones(3, 4)), KEY,
                                                                          store.secret))
    assert store.read(NAME, KEY, embeddings_check(3)) is None  # not read through the link either
    assert warnings.out.count('is refused') == 1  # warned once for the folder
    assert store.write('cd' * 32, KEY, dict(embeddings=torch.ones(3, 4)))  # the other folders still work
    assert store.writable and store.stats['written'] == 1 and store.stats['unsafe'] == 3


def test_a_file_in_place_of_a_shard_folder_stops_only_that_folder(tmp_path, warnings):
    store = EntryStore.open(str(tmp_path / 'cache'))
    with open(osp.dirname(store.path(NAME)), 'w') as file:
        file.write('not a folder')
    warnings.out
    assert store.read(NAME, KEY, embeddings_check(3)) is None
    assert store.write(NAME, KEY, dict(embeddings=torch.ones(3, 4))) is False
    assert warnings.out.count('is refused') == 1
    assert store.write('cd' * 32, KEY, dict(embeddings=torch.ones(3, 4)))
    assert store.read('cd' * 32, KEY, embeddings_check(3)) is not None and store.writable


@pytest.mark.parametrize('mode', [0o770, 0o707, 0o777, 0o1777])
def test_a_directory_others_can_write_is_refused_with_the_fix(tmp_path, warnings, mode):
    cache_dir = tmp_path / 'shared'
    cache_dir.mkdir()
    cache_dir.chmod(mode)
    assert open_cache(str(cache_dir)) is None
    out = warnings.out
    assert f'refusing the cache directory {cache_dir}' in out and f'chmod go-w {cache_dir}' in out
    assert 'evaluating WITHOUT the cache' in out
    cache_dir.chmod(0o755)  # readable by others is fine: nobody else can plant an entry
    assert isinstance(open_cache(str(cache_dir)), RECCache)


def test_a_directory_of_another_user_is_refused(tmp_path, warnings, monkeypatch):
    cache_dir = tmp_path / 'theirs'
    cache_dir.mkdir(mode=0o700)
    monkeypatch.setattr(private_files, 'current_uid', lambda: os.getuid() + 1)
    assert open_cache(str(cache_dir)) is None
    out = warnings.out
    assert f'belongs to user id {os.getuid()}, not to you' in out and 'a --cache-dir that you own' in out


def test_a_new_cache_directory_and_its_folders_are_private(tmp_path):
    store = EntryStore.open(str(tmp_path / 'new' / 'cache'))
    store.write(NAME, KEY, dict(embeddings=torch.ones(3, 4)))
    for path in (store.root, osp.dirname(store.path(NAME))):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o700, path
    assert stat.S_IMODE(os.stat(store.path(NAME)).st_mode) == 0o600


def test_the_key_is_created_private_and_refused_when_others_can_read_it(tmp_path, monkeypatch, warnings):
    key_file = tmp_path / 'keys' / 'cache-key'
    monkeypatch.setenv(secret.KEY_FILE_ENV, str(key_file))
    first = EntryStore.open(str(tmp_path / 'cache'))
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and len(first.secret) == 32
    assert EntryStore.open(str(tmp_path / 'cache')).secret == first.secret  # read back, not made anew
    key_file.chmod(0o644)
    assert EntryStore.open(str(tmp_path / 'cache')) is None
    assert f'chmod 600 {key_file}' in warnings.out
    key_file.chmod(0o600)
    os.rename(key_file, tmp_path / 'moved')
    os.symlink(tmp_path / 'moved', key_file)  # a symlinked key is not followed
    assert EntryStore.open(str(tmp_path / 'cache')) is None


def test_a_new_key_makes_old_entries_misses_not_errors(tmp_path, monkeypatch):
    cache = RECCache(EntryStore.open(str(tmp_path / 'cache')))
    cache.put('crops', KEY, dict(embeddings=torch.ones(3, 4)))
    monkeypatch.setenv(secret.KEY_FILE_ENV, str(tmp_path / 'other-key'))
    fresh = RECCache(EntryStore.open(str(tmp_path / 'cache')))
    assert fresh.get('crops', KEY, embeddings_check(3)) is None
    assert fresh.store.stats['unauthenticated'] == 1
