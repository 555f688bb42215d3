"""Cache entries on disk: one safetensors file per entry, checked before use, written atomically.

Layout of a cache directory::

    DIR/mmrec-cache.json            manifest: {"format": "mmrec-rec-cache", "format_version": 2, "mmrec_version": ...}
    DIR/ab/abcdef....safetensors    one entry: its tensors, and in the safetensors header's metadata the entry's
                                    full key (canonical JSON), the format and mmrec versions and the SHA-256
                                    of the tensor table and data (``content_sha256``)

Nothing is unpickled: an entry is read with ``safetensors`` (plain tensors, a JSON header). Before an entry's
tensors are used, the file's length must match its header, the SHA-256 of the header's tensor table (names,
dtypes, shapes, offsets, canonical JSON) and of the data must match the one recorded, the recorded key and
versions must equal the ones asked for, and the tensors must have the fields, dtypes and shapes of their kind
(the caller's ``check``); a file that fails any check, or that ``safetensors`` cannot read, is logged (naming
the file and the reason) and treated as missing, so the caller recomputes it and overwrites the file.

Writes go to a temporary file in the entry's folder, then ``os.replace`` it into place: a run killed
mid-write leaves at worst a ``.tmp-*`` file that no reader opens. Distributed ranks write the entries of
their own images; two processes writing the same entry write the same bytes, and the last replace wins.

:meth:`EntryStore.open` refuses (with a warning; evaluation then runs without the cache) a directory that
cannot be created or written, or one whose manifest says another mmrec version or cache format wrote it. A
failed write later (e.g. a full disk) is logged once and stops further writes for the run.
"""
import hashlib
import json
import logging
import os
import os.path as osp
import struct
import tempfile
from collections import Counter
from typing import Callable, Dict, Optional

import torch
from mmengine.logging import print_log

from ..version import __version__
from .keys import canonical

#: Name of the cache format; bump :data:`CACHE_FORMAT_VERSION` when an entry's layout changes.
CACHE_FORMAT = 'mmrec-rec-cache'
CACHE_FORMAT_VERSION = 2
MANIFEST_NAME = 'mmrec-cache.json'
ENTRY_SUFFIX = '.safetensors'


def _warn(message: str) -> None:
    print_log(f'rec_cache: {message}', logger='current', level=logging.WARNING)


class CorruptEntry(ValueError):
    """An entry file that does not hold what its header says (truncated, altered, or not an entry)."""


def _manifest() -> dict:
    return dict(format=CACHE_FORMAT, format_version=CACHE_FORMAT_VERSION, mmrec_version=__version__)


def _atomic_write(path: str, data: bytes) -> None:
    """Write ``data`` to a temporary file next to ``path``, then move it into place (``os.replace``)."""
    folder = osp.dirname(path)
    os.makedirs(folder, exist_ok=True)
    handle, tmp_path = tempfile.mkstemp(dir=folder, prefix='.tmp-', suffix=ENTRY_SUFFIX)
    try:
        with os.fdopen(handle, 'wb') as file:
            file.write(data)
        os.replace(tmp_path, path)
    except BaseException:
        try:
            os.remove(tmp_path)
        except OSError:
            pass
        raise


def _content_sha256(header: dict, data: bytes) -> str:
    """SHA-256 of the header's tensor table (every tensor's name, dtype, shape and offsets; canonical JSON)
    and of the tensor data."""
    table = {name: info for name, info in header.items() if name != '__metadata__'}
    hasher = hashlib.sha256(canonical(table).encode() + b'\0')
    hasher.update(data)
    return hasher.hexdigest()


def encode_entry(tensors: Dict[str, torch.Tensor], key: dict) -> bytes:
    """The bytes of an entry file: ``tensors`` in safetensors format, with ``key``, the versions and the
    SHA-256 of the tensor table and data (:func:`_content_sha256`) in the header's metadata."""
    from safetensors.torch import save

    tensors = {name: tensor.detach().to('cpu').contiguous() for name, tensor in tensors.items()}
    metadata = dict(_manifest(), key=canonical(key))
    metadata = {name: str(value) for name, value in metadata.items()}
    unsigned = save(tensors, metadata=metadata)
    content_sha256 = _content_sha256(*_split(unsigned))
    return save(tensors, metadata=dict(metadata, content_sha256=content_sha256))


def _split(blob: bytes):
    """``(header dict, tensor data bytes)`` of a safetensors blob; :class:`CorruptEntry` when it is not one."""
    if len(blob) < 8:
        raise CorruptEntry(f'{len(blob)} bytes, shorter than a header')
    header_length = struct.unpack('<Q', blob[:8])[0]
    if 8 + header_length > len(blob):
        raise CorruptEntry(f'header of {header_length} bytes, file of {len(blob)} bytes (truncated)')
    try:
        header = json.loads(blob[8:8 + header_length])
    except ValueError as error:
        raise CorruptEntry(f'unreadable header ({error})') from error
    if not isinstance(header, dict):
        raise CorruptEntry('header is not a JSON object')
    return header, blob[8 + header_length:]


def decode_entry(blob: bytes, key: dict,
                 check: Optional[Callable[[Dict[str, torch.Tensor]], None]] = None) -> Dict[str, torch.Tensor]:
    """The tensors of an entry file's bytes, after every check (see the module docstring).

    Args:
        check: raises :class:`CorruptEntry` when the tensors are not what an entry of this kind holds.

    Raises:
        CorruptEntry: the bytes are not a whole entry (truncated, altered header or data, unreadable), or
            ``check`` refuses its tensors.
        KeyError: a whole entry, but of another key or written by another mmrec version or format.
    """
    try:
        tensors = _checked_tensors(blob, key)
    except (CorruptEntry, KeyError):
        raise
    except Exception as error:  # anything else the header or safetensors chokes on is damage too
        raise CorruptEntry(f'unreadable ({type(error).__name__}: {error})') from error
    if check is not None:
        check(tensors)
    return tensors


def _checked_tensors(blob: bytes, key: dict) -> Dict[str, torch.Tensor]:
    from safetensors.torch import load

    header, data = _split(blob)
    metadata = header.get('__metadata__') or {}
    ends = [int(info['data_offsets'][1]) for name, info in header.items() if name != '__metadata__']
    if len(data) != max(ends, default=0):
        raise CorruptEntry(f'{len(data)} bytes of tensor data, the header says {max(ends, default=0)} (truncated)')
    if _content_sha256(header, data) != metadata.get('content_sha256'):
        raise CorruptEntry('tensor table or data does not match its recorded SHA-256')
    expected = {name: str(value) for name, value in _manifest().items()}
    found = {name: metadata.get(name) for name in expected}
    if found != expected:
        raise KeyError(f'written as {found}, this is {expected}')
    if metadata.get('key') != canonical(key):
        raise KeyError('the entry holds another key')
    return load(blob)


class EntryStore:
    """A cache directory of entries (see the module docstring). Build it with :meth:`open`.

    Attributes:
        root: the directory.
        stats: counts of ``read``, ``written``, ``missing``, ``corrupt``, ``stale`` entries and
            ``write_failed``.
    """

    def __init__(self, root: str) -> None:
        self.root = root
        self.writable = True
        self.stats: Counter = Counter()

    @classmethod
    def open(cls, root: str) -> Optional['EntryStore']:
        """The store in ``root`` (created if missing), or ``None`` with a warning when it cannot be used: not
        creatable or writable, or written by another mmrec version / cache format."""
        root = osp.abspath(osp.expanduser(str(root)))
        manifest_path = osp.join(root, MANIFEST_NAME)
        try:
            os.makedirs(root, exist_ok=True)
            if osp.exists(manifest_path):
                with open(manifest_path) as file:
                    found = json.load(file)
                if found != _manifest():
                    _warn(f'{root} was written by {found}, not by this mmrec ({_manifest()}): its entries are '
                          'neither read nor overwritten; evaluating WITHOUT the cache (use another --cache-dir, '
                          'or delete this one)')
                    return None
            _atomic_write(manifest_path, json.dumps(_manifest(), sort_keys=True).encode())  # also a write probe
        except (OSError, ValueError) as error:
            _warn(f'cannot use the cache directory {root} ({type(error).__name__}: {error}); evaluating WITHOUT '
                  'the cache')
            return None
        return cls(root)

    def path(self, name: str) -> str:
        """The file of entry ``name`` (a hex digest)."""
        return osp.join(self.root, name[:2], name + ENTRY_SUFFIX)

    def read(self, name: str, key: dict,
             check: Optional[Callable[[Dict[str, torch.Tensor]], None]] = None) -> Optional[Dict[str, torch.Tensor]]:
        """The tensors of entry ``name`` if its file exists and passes every check for ``key`` (and ``check``,
        see :func:`decode_entry`); else ``None`` (a file that fails a check is logged, and later overwritten by
        the recomputed entry)."""
        path = self.path(name)
        try:
            with open(path, 'rb') as file:
                blob = file.read()
        except FileNotFoundError:
            self.stats['missing'] += 1
            return None
        except OSError as error:
            self.stats['missing'] += 1
            _warn(f'cannot read {path} ({error}); recomputing it')
            return None
        try:
            tensors = decode_entry(blob, key, check)
        except CorruptEntry as error:
            self.stats['corrupt'] += 1
            _warn(f'{path} is corrupt ({error}); recomputing it')
            return None
        except KeyError as error:
            self.stats['stale'] += 1
            _warn(f'{path} does not belong to this key ({error.args[0]}); recomputing it')
            return None
        self.stats['read'] += 1
        return tensors

    def write(self, name: str, key: dict, tensors: Dict[str, torch.Tensor]) -> bool:
        """Write entry ``name`` atomically; ``False`` (logged once, no later writes) when the write fails."""
        if not self.writable:
            return False
        try:
            _atomic_write(self.path(name), encode_entry(tensors, key))
        except OSError as error:
            self.writable = False
            self.stats['write_failed'] += 1
            _warn(f'writing {self.path(name)} failed ({error}); no more entries are written in this run, the '
                  'evaluation goes on (entries already written stay valid)')
            return False
        self.stats['written'] += 1
        return True
