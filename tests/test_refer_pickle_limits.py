"""REFER split files: bounded size, objects, nesting; no amplifying calls; cycles refused with the file named."""
import os
import pickle
import time

import pytest

from mmrec.datasets import plain_pickle
from mmrec.datasets.plain_pickle import (BYTES_PER_OBJECT, MAX_DEPTH, MIN_OBJECT_BUDGET, PickleRefused,
                                         load_plain_pickle)
from mmrec.datasets.refer_io import load_refs

REAL_VAL = '/work/shared/data/refer-real-val'


def write(tmp_path, data: bytes, name: str = 'refs(unc).p') -> str:
    path = str(tmp_path / name)
    with open(path, 'wb') as file:
        file.write(data)
    return path


def laughs(levels: int, width: int = 10) -> list:
    """A list whose walk visits ``width ** levels`` leaves, pickled in a few hundred bytes (shared references)."""
    node = ['lol']
    for _ in range(levels):
        node = [node] * width
    return node


def test_a_billion_laughs_is_refused_quickly_naming_the_file_and_the_limit(tmp_path):
    path = write(tmp_path, pickle.dumps(laughs(9), protocol=2))
    assert os.path.getsize(path) < 300
    start = time.perf_counter()
    with pytest.raises(PickleRefused, match=r'refs\(unc\)\.p: .*more than 10\d{4} objects .*billion laughs'):
        load_refs(path)
    assert time.perf_counter() - start < 5  # the unbounded reader took 11 s and 1.9 GB


def test_the_visit_limit_is_exact():
    """A walk of exactly the budget's visits passes; one more is refused (a shared item counts each time)."""
    item = ['x']
    assert len(plain_pickle._Walk('f', 1001, 0).copy([item] * 500)) == 500  # 1 + 500 * 2 visits
    with pytest.raises(PickleRefused, match='more than 1000 objects'):
        plain_pickle._Walk('f', 1000, 0).copy([item] * 500)


@pytest.mark.parametrize('make', [lambda: [], lambda: {}], ids=['list', 'dict'])
def test_a_self_referencing_container_is_one_line_naming_the_file(tmp_path, make):
    container = make()
    if isinstance(container, list):
        container.append(container)
    else:
        container['self'] = container
    path = write(tmp_path, pickle.dumps([container], protocol=2))
    with pytest.raises(PickleRefused, match=r'refs\(unc\)\.p: holds a (list|dict) that contains itself'):
        load_refs(path)


def test_nesting_past_the_limit_is_refused_and_at_the_limit_loads(tmp_path):
    def nested(levels: int) -> bytes:  # EMPTY_LIST * levels, then APPEND each into the one before
        return b'\x80\x02' + b']' * levels + b'a' * (levels - 1) + b'.'
    assert load_plain_pickle(write(tmp_path, nested(MAX_DEPTH), 'ok.p')) is not None
    with pytest.raises(PickleRefused, match=rf'nested more than {MAX_DEPTH} levels'):
        load_plain_pickle(write(tmp_path, nested(MAX_DEPTH + 1), 'deep.p'))
    start = time.perf_counter()  # 100,000 levels: no RecursionError, no long wait
    with pytest.raises(PickleRefused, match='nested more than'):
        load_plain_pickle(write(tmp_path, nested(100_000), 'deeper.p'))
    assert time.perf_counter() - start < 5


def test_objects_built_while_unpickling_are_bounded(tmp_path):
    """Empty lists appended to one list: two bytes each, past the one-per-BYTES_PER_OBJECT budget."""
    count = 400_000
    data = b'\x80\x02]' + b']a' * count + b'.'
    with pytest.raises(PickleRefused, match=rf'builds more than {MIN_OBJECT_BUDGET + len(data) // BYTES_PER_OBJECT}'):
        load_plain_pickle(write(tmp_path, data))


def test_a_file_past_the_size_limit_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(plain_pickle, 'MAX_FILE_BYTES', 100)
    path = write(tmp_path, pickle.dumps(['x' * 200], protocol=2))
    with pytest.raises(PickleRefused, match=r'refs\(unc\)\.p: 2\d\d bytes, more than the 100 bytes'):
        load_refs(path)


def test_codecs_encode_is_allowed_only_to_rebuild_bytes(tmp_path):
    """``_codecs.encode(x, 'hex')`` chained doubles the data at each call: only ``encode(str, 'latin1')`` runs."""
    hex_call = b'\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00aX\x03\x00\x00\x00hex\x86R.'
    with pytest.raises(PickleRefused, match='only as encode'):
        load_plain_pickle(write(tmp_path, hex_call))
    assert load_plain_pickle(write(tmp_path, pickle.dumps([b'caf\xe9', b''], protocol=2), 'b.p')) == ['caf\xe9', '']


@pytest.mark.parametrize('obj, message', [
    ({(2 ** 61 - 1) * k: 0 for k in range(1, 4)}, 'dict key'),  # equal hashes: quadratic dict building
    ({(1, 2): 0}, 'dict key'),
    ([{1, 2}], 'needs|opcode'),
    ([frozenset()], 'needs|opcode'),
])
def test_data_a_refer_file_never_holds_is_refused(tmp_path, obj, message):
    for protocol in (2, 4):
        with pytest.raises(PickleRefused, match=message):
            load_plain_pickle(write(tmp_path, pickle.dumps(obj, protocol=protocol)))


def test_a_truncated_pickle_is_named(tmp_path):
    path = write(tmp_path, pickle.dumps(list(range(1000)), protocol=2)[:-40])
    with pytest.raises(PickleRefused, match=r'refs\(unc\)\.p is not a readable pickle of plain data: \w+'):
        load_refs(path)


@pytest.mark.skipif(not os.path.isdir(REAL_VAL), reason='the real RefCOCO val annotations are not on this machine')
@pytest.mark.parametrize('name', ['refcoco/refs(unc).p', 'refcoco+/refs(unc).p', 'refcocog/refs(umd).p'])
def test_the_real_refcoco_files_are_inside_the_limits(name):
    path = os.path.join(REAL_VAL, name)
    with open(path, 'rb') as file:
        expected = pickle.load(file)
    assert load_refs(path) == expected
