"""Cache entries on disk: one safetensors file per entry, checked before use, written atomically.

Layout of a cache directory::

    DIR/mmrec-cache.json            manifest: {"format": "mmrec-rec-cache", "format_version": 3, "mmrec_version": ...}
    DIR/ab/abcdef....safetensors    one entry: its tensors, and in the safetensors header's metadata the entry's
                                    full key (canonical JSON), the format and mmrec versions and the
                                    HMAC-SHA256 of the tensor table, metadata and data (``content_hmac_sha256``)
                                    under this user's cache key (:mod:`.secret`)

Nothing is unpickled: an entry is read with ``safetensors`` (plain tensors, a JSON header). Before an entry's
tensors are used, the file's length must match its header, the HMAC of the header's tensor table (names,
dtypes, shapes, offsets, canonical JSON), of its metadata and of the data must match the one recorded (an
entry written without this user's key, or altered, does not), the recorded key and versions must equal the
ones asked for, every floating-point tensor must be finite, and the tensors must have the fields, dtypes and
shapes of their kind (the caller's ``check``); a file that fails any check, or that ``safetensors`` cannot
read, is logged (naming the file and the reason), counted, and treated as missing, so the caller recomputes it
and overwrites the file.

The directory is trusted like code (:mod:`.private_files`): :meth:`EntryStore.open` refuses (with a warning
that says the fix; the evaluation then runs without the cache) a directory of another user or writable by
group / others, one that cannot be created or written, one whose manifest says another mmrec version or cache
format wrote it, and any directory when the cache key cannot be trusted. Entries and shard folders are opened
without following symlinks and never block (a FIFO, device or symlink in an entry's place is refused and the
entry recomputed); a shard folder that is not a real directory is warned about once and its entries computed
without the cache, the other shards still used.

Writes go to a temporary ``0600`` file in the entry's folder, then ``os.replace`` it into place: a run killed
mid-write leaves at worst a ``.tmp-*`` file that no reader opens. Distributed ranks write the entries of
their own images; two processes writing the same entry write the same bytes, and the last replace wins. A
failed write of the data (a full disk, a read-only file system) is logged once and stops further writes for the
run; an entry with a non-finite tensor is not written.
"""
import errno
import hashlib
import hmac
import json
import logging
import os
import os.path as osp
import struct
from collections import Counter
from typing import Callable, Dict, Optional

import torch
from mmengine.logging import print_log

from ..version import __version__
from .keys import canonical
from .private_files import UnsafePath, make_private_directory, open_directory, read_regular, replace_file
from .secret import load_or_create_key

#: Name of the cache format; bump :data:`CACHE_FORMAT_VERSION` when an entry's layout changes.
CACHE_FORMAT = 'mmrec-rec-cache'
CACHE_FORMAT_VERSION = 3
MANIFEST_NAME = 'mmrec-cache.json'
ENTRY_SUFFIX = '.safetensors'
#: The metadata field of an entry's HMAC.
MAC_FIELD = 'content_hmac_sha256'
#: Write errors that end writing for the run (the disk, not one entry, is the problem).
_FATAL_WRITE_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO)


def _warn(message: str) -> None:
    print_log(f'rec_cache: {message}', logger='current', level=logging.WARNING)


class CorruptEntry(ValueError):
    """An entry file that does not hold what its header says (truncated, altered, or not an entry)."""


class UnauthenticatedEntry(CorruptEntry):
    """An entry whose HMAC does not verify under this user's cache key: altered, or written without the key."""


class NonFiniteEntry(CorruptEntry):
    """An entry with NaN or infinite values in a floating-point tensor."""


def _manifest() -> dict:
    return dict(format=CACHE_FORMAT, format_version=CACHE_FORMAT_VERSION, mmrec_version=__version__)


def _content_mac(secret: bytes, header: dict, data: bytes) -> str:
    """HMAC-SHA256 under ``secret`` of the header's tensor table (every tensor's name, dtype, shape and
    offsets), of its metadata but the MAC itself (the entry's key and versions; canonical JSON) and of the
    tensor data."""
    table = {name: info for name, info in header.items() if name != '__metadata__'}
    metadata = {name: value for name, value in (header.get('__metadata__') or {}).items() if name != MAC_FIELD}
    mac = hmac.new(secret, canonical(table).encode() + b'\0' + canonical(metadata).encode() + b'\0',
                   hashlib.sha256)
    mac.update(data)
    return mac.hexdigest()


def _floating(tensors: Dict[str, torch.Tensor]):
    return [(name, tensor) for name, tensor in tensors.items() if tensor.is_floating_point()]


def non_finite_fields(tensors: Dict[str, torch.Tensor]) -> list:
    """Names of the floating-point tensors of ``tensors`` holding a NaN or an infinity."""
    return [name for name, tensor in _floating(tensors) if not bool(torch.isfinite(tensor).all())]


def encode_entry(tensors: Dict[str, torch.Tensor], key: dict, secret: bytes) -> bytes:
    """The bytes of an entry file: ``tensors`` in safetensors format, with ``key``, the versions and the
    HMAC under ``secret`` (:func:`_content_mac`) in the header's metadata."""
    from safetensors.torch import save

    tensors = {name: tensor.detach().to('cpu').contiguous() for name, tensor in tensors.items()}
    metadata = dict(_manifest(), key=canonical(key))
    metadata = {name: str(value) for name, value in metadata.items()}
    unsigned = save(tensors, metadata=metadata)
    return save(tensors, metadata=dict(metadata, **{MAC_FIELD: _content_mac(secret, *_split(unsigned))}))


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


def decode_entry(blob: bytes, key: dict, secret: bytes,
                 check: Optional[Callable[[Dict[str, torch.Tensor]], None]] = None) -> Dict[str, torch.Tensor]:
    """The tensors of an entry file's bytes, after every check (see the module docstring).

    Args:
        secret: the cache key the entry must be signed with.
        check: raises :class:`CorruptEntry` when the tensors are not what an entry of this kind holds.

    Raises:
        CorruptEntry: the bytes are not a whole entry (truncated, altered header or data, unreadable; an
            :class:`UnauthenticatedEntry` when the HMAC does not verify), a tensor is not finite
            (:class:`NonFiniteEntry`), or ``check`` refuses its tensors.
        KeyError: a whole entry, but of another key or written by another mmrec version or format.
    """
    try:
        tensors = _checked_tensors(blob, key, secret)
    except (CorruptEntry, KeyError):
        raise
    except Exception as error:  # anything else the header or safetensors chokes on is damage too
        raise CorruptEntry(f'unreadable ({type(error).__name__}: {error})') from error
    bad = non_finite_fields(tensors)
    if bad:
        raise NonFiniteEntry(f'NaN or infinite values in {bad}')
    if check is not None:
        check(tensors)
    return tensors


def _checked_tensors(blob: bytes, key: dict, secret: bytes) -> Dict[str, torch.Tensor]:
    from safetensors.torch import load

    header, data = _split(blob)
    metadata = header.get('__metadata__') or {}
    ends = [int(info['data_offsets'][1]) for name, info in header.items() if name != '__metadata__']
    if len(data) != max(ends, default=0):
        raise CorruptEntry(f'{len(data)} bytes of tensor data, the header says {max(ends, default=0)} (truncated)')
    recorded = metadata.get(MAC_FIELD)
    if not isinstance(recorded, str) or not hmac.compare_digest(_content_mac(secret, header, data), recorded):
        raise UnauthenticatedEntry('its HMAC does not verify under your cache key (altered, or written by '
                                   'someone without the key)')
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
        secret: this user's cache key (:mod:`.secret`).
        stats: counts of ``read``, ``written``, ``missing``, ``corrupt``, ``unauthenticated``, ``not_finite``,
            ``stale`` and ``unsafe`` entries (a FIFO, device, symlink or another user's file in an entry's place,
            or a shard folder that is not a real directory), ``write_failed``, and ``not_written`` (non-finite
            or unsafe).
    """

    def __init__(self, root: str, secret: bytes) -> None:
        self.root = root
        self.secret = secret
        self.writable = True
        self.stats: Counter = Counter()
        self._warned_shards: set = set()

    @classmethod
    def open(cls, root: str) -> Optional['EntryStore']:
        """The store in ``root`` (created if missing, ``0700``), or ``None`` with a warning when it cannot be
        used: not creatable or writable, not trusted (another user's, or writable by group / others; the
        warning gives the fix), written by another mmrec version / cache format, or the cache key cannot be
        trusted."""
        root = osp.abspath(osp.expanduser(str(root)))
        without = 'evaluating WITHOUT the cache'
        try:
            os.makedirs(root, mode=0o700, exist_ok=True)
            with open_directory(root) as root_fd:
                if _exists(MANIFEST_NAME, root_fd):
                    found = json.loads(read_regular(MANIFEST_NAME, root_fd, limit=65536))
                    if found != _manifest():
                        _warn(f'{root} was written by {found}, not by this mmrec ({_manifest()}): its entries are '
                              f'neither read nor overwritten; {without} (use another --cache-dir, or delete this '
                              'one)')
                        return None
                replace_file(MANIFEST_NAME, json.dumps(_manifest(), sort_keys=True).encode(), root_fd)  # probe
        except UnsafePath as error:
            detail = error.strerror if error.filename == root else f'{error.filename}: {error.strerror}'
            _warn(f'refusing the cache directory {root}: {detail}, so another user could plant '
                  f'entries that change your results; {without} (fix: chmod go-w {root}, or use a --cache-dir '
                  'that you own and only you can write)')
            return None
        except (OSError, ValueError) as error:
            _warn(f'cannot use the cache directory {root} ({type(error).__name__}: {error}); {without}')
            return None
        secret, where = load_or_create_key()
        if secret is None:
            _warn(f'{where}; {without} (fix: chmod 600 the key file and chmod go-w its folder, or set '
                  'MMREC_CACHE_KEY_FILE to a file in a folder only you can write)')
            return None
        return cls(root, secret)

    def path(self, name: str) -> str:
        """The file of entry ``name`` (a hex digest)."""
        return osp.join(self.root, name[:2], name + ENTRY_SUFFIX)

    def read(self, name: str, key: dict,
             check: Optional[Callable[[Dict[str, torch.Tensor]], None]] = None) -> Optional[Dict[str, torch.Tensor]]:
        """The tensors of entry ``name`` if its file exists and passes every check for ``key`` (and ``check``,
        see :func:`decode_entry`); else ``None`` (a file that fails a check is logged and counted, and later
        overwritten by the recomputed entry)."""
        path = self.path(name)
        try:
            with open_directory(self.root) as root_fd, open_directory(name[:2], root_fd, follow=False) as shard_fd:
                blob = read_regular(name + ENTRY_SUFFIX, shard_fd)
        except FileNotFoundError:
            self.stats['missing'] += 1
            return None
        except UnsafePath as error:
            self._unsafe(error, path)
            return None
        except OSError as error:
            self.stats['missing'] += 1
            _warn(f'cannot read {path} ({error}); recomputing it')
            return None
        try:
            tensors = decode_entry(blob, key, self.secret, check)
        except CorruptEntry as error:
            reason = ('unauthenticated' if isinstance(error, UnauthenticatedEntry) else
                      'not_finite' if isinstance(error, NonFiniteEntry) else 'corrupt')
            self.stats[reason] += 1
            _warn(f'{path} is {"corrupt" if reason == "corrupt" else "refused"} ({error}); recomputing it')
            return None
        except KeyError as error:
            self.stats['stale'] += 1
            _warn(f'{path} does not belong to this key ({error.args[0]}); recomputing it')
            return None
        self.stats['read'] += 1
        return tensors

    def _unsafe(self, error: UnsafePath, path: str) -> None:
        """Count and warn about an unsafe entry or shard folder (once per shard folder)."""
        self.stats['unsafe'] += 1
        shard = osp.dirname(path)
        if error.filename == osp.basename(shard):
            if shard not in self._warned_shards:
                self._warned_shards.add(shard)
                _warn(f'{shard} is refused ({error.strerror}): its entries are computed without the cache '
                      f'(remove it to cache them again)')
            return
        _warn(f'{path} is refused ({error.strerror}); recomputing it')

    def write(self, name: str, key: dict, tensors: Dict[str, torch.Tensor]) -> bool:
        """Write entry ``name`` atomically; ``False`` when it is not written: a non-finite tensor, an unsafe
        shard folder or entry path (warned once per folder), or a failed write (logged once, no later writes)."""
        if not self.writable:
            return False
        if non_finite_fields(tensors):
            self.stats['not_written'] += 1
            return False
        path = self.path(name)
        try:
            blob = encode_entry(tensors, key, self.secret)
            with open_directory(self.root) as root_fd:
                make_private_directory(name[:2], root_fd)
                with open_directory(name[:2], root_fd, follow=False) as shard_fd:
                    replace_file(name + ENTRY_SUFFIX, blob, shard_fd)
        except UnsafePath as error:
            self.stats['not_written'] += 1
            self._unsafe(error, path)
            return False
        except OSError as error:
            if error.errno not in _FATAL_WRITE_ERRORS:  # this entry's path (e.g. a directory in its place)
                self.stats['not_written'] += 1
                _warn(f'writing {path} failed ({error}); the evaluation goes on')
                return False
            self.writable = False
            self.stats['write_failed'] += 1
            _warn(f'writing {path} failed ({error}); no more entries are written in this run, the '
                  'evaluation goes on (entries already written stay valid)')
            return False
        self.stats['written'] += 1
        return True


def _exists(name: str, dir_fd: int) -> bool:
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True
