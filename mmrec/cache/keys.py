"""What a cache entry is keyed by: canonical JSON of settings, digests, and content fingerprints.

A key is a plain JSON-able dict; :func:`digest` of its canonical form names the entry's file. Everything that
changes an entry's value must be in its key, so that a stale entry is never found:

- :func:`module_fingerprint`: the content of a module's parameters and buffers (the checkpoint as loaded, or an
  encoder's weights, which ``CLIPEncoder`` keeps out of checkpoints), with their names, dtypes and shapes;
- :func:`simple_attributes`: a module's plain settings (``crop_size``, ``crop_source``, ``name_or_path``, ...);
- :func:`file_digest`: the content of an image file;
- :func:`environment`: the code that computes entries (a digest of mmrec's Python sources) and the versions
  of the libraries it runs on, in every key: an entry written by other code never matches;
- :func:`precision_state`: the device type and the autocast state in effect when an entry is computed.
"""
import functools
import hashlib
import json
import math
import os
import os.path as osp
from typing import Any, Dict, Iterable, Optional

import torch

#: Bytes read at a time when hashing files.
_CHUNK = 1 << 20


def plain(value: Any) -> Any:
    """``value`` as JSON-able data: tuples -> lists, mmengine ``ConfigDict`` -> dict, tensors / numpy scalars ->
    lists / numbers; anything else is written as ``'<type name>'`` (e.g. a tokenizer object)."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, torch.Tensor):
        return plain(value.detach().cpu().tolist())
    if hasattr(value, 'item') and getattr(value, 'ndim', None) == 0:  # numpy scalar
        return plain(value.item())
    if hasattr(value, 'tolist'):  # numpy array
        return plain(value.tolist())
    return f'<{type(value).__module__}.{type(value).__qualname__}>'


def canonical(value: Any) -> str:
    """The canonical JSON text of ``value`` (sorted keys, no spaces): equal settings give equal text."""
    return json.dumps(plain(value), sort_keys=True, separators=(',', ':'))


def digest(*parts: Any) -> str:
    """SHA-256 hex digest of the canonical JSON of ``parts``."""
    return hashlib.sha256(canonical(list(parts)).encode()).hexdigest()


def tensor_digest(tensor: torch.Tensor) -> str:
    """SHA-256 of a tensor's dtype, shape and bytes."""
    hasher = hashlib.sha256(f'{tensor.dtype}{tuple(tensor.shape)}'.encode())
    _update_with_tensor(hasher, tensor)
    return hasher.hexdigest()


def _update_with_tensor(hasher, tensor: torch.Tensor) -> None:
    flat = tensor.detach().to('cpu').contiguous().reshape(-1)
    if flat.numel():
        hasher.update(memoryview(flat.view(torch.uint8).numpy()))


def module_fingerprint(module: torch.nn.Module, skip_prefixes: Iterable[str] = ()) -> str:
    """SHA-256 of the names, dtypes, shapes and values of every parameter and buffer of ``module`` (persistent
    or not, whether or not ``state_dict`` shows it), except those whose name starts with one of
    ``skip_prefixes``."""
    skip = tuple(skip_prefixes)
    tensors = dict(module.named_parameters(remove_duplicate=False))
    tensors.update(module.named_buffers(remove_duplicate=False))
    hasher = hashlib.sha256()
    for name in sorted(tensors):
        if skip and name.startswith(skip):
            continue
        tensor = tensors[name]
        hasher.update(f'{name}|{tensor.dtype}|{tuple(tensor.shape)}|'.encode())
        _update_with_tensor(hasher, tensor)
    return hasher.hexdigest()


def config_at(config: Any, dotted_key: str) -> Any:
    """The value at a dotted key of a (nested dict) config, or ``None`` when a level is missing."""
    node = config
    for part in dotted_key.split('.'):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def without_keys(config: dict, dotted_keys: Iterable[str]) -> dict:
    """A plain copy of ``config`` without the (dotted) ``dotted_keys`` (missing ones are ignored)."""
    config = plain(config)
    for dotted in dotted_keys:
        parent, _, leaf = dotted.rpartition('.')
        node = config_at(config, parent) if parent else config
        if isinstance(node, dict):
            node.pop(leaf, None)
    return config


def simple_attributes(module: torch.nn.Module) -> dict:
    """A module's public plain settings: attributes of JSON-able values (numbers, strings, and lists / dicts
    of them), except ``training``."""
    attributes = {}
    for name, value in vars(module).items():
        if name.startswith('_') or name == 'training':
            continue
        if _is_plain(value):
            attributes[name] = plain(value)
    return attributes


def _is_plain(value: Any) -> bool:
    """Whether ``value`` is a number, string, ``None``, or a list / tuple / dict of such values."""
    if isinstance(value, dict):
        return all(isinstance(key, str) and _is_plain(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return all(_is_plain(item) for item in value)
    return value is None or isinstance(value, (bool, int, float, str))


def file_digest(path: str) -> Optional[str]:
    """SHA-256 of a file's content, or ``None`` when it cannot be read."""
    hasher = hashlib.sha256()
    try:
        with open(path, 'rb') as file:
            for block in iter(lambda: file.read(_CHUNK), b''):
                hasher.update(block)
    except OSError:
        return None
    return hasher.hexdigest()


#: Distributions whose installed version is part of every key (``None`` when not installed).
KEYED_LIBRARIES = ('torch', 'torchvision', 'mmcv', 'mmdet', 'mmengine', 'transformers', 'open_clip_torch',
                   'safetensors')


@functools.lru_cache(maxsize=None)
def code_fingerprint() -> str:
    """SHA-256 of every ``.py`` file of the ``mmrec`` package (relative path and content): any change to
    mmrec's code, including one that does not touch the cached work, gives new keys (simple and safe)."""
    package = osp.dirname(osp.dirname(osp.abspath(__file__)))
    hasher = hashlib.sha256()
    for folder, folders, names in sorted(os.walk(package)):
        folders.sort()
        for name in sorted(names):
            if name.endswith('.py'):
                path = osp.join(folder, name)
                hasher.update(osp.relpath(path, package).replace(os.sep, '/').encode() + b'\0')
                hasher.update((file_digest(path) or 'unreadable').encode())
    return hasher.hexdigest()


@functools.lru_cache(maxsize=None)
def library_versions() -> Dict[str, Optional[str]]:
    """``{distribution: installed version or None}`` of the :data:`KEYED_LIBRARIES` (installed rather than
    imported, so that the keys do not depend on what a run happened to import before)."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for name in KEYED_LIBRARIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions


def environment() -> Dict[str, Any]:
    """What computes an entry besides its inputs: mmrec's version and :func:`code_fingerprint`, and the
    :func:`library_versions`."""
    from ..version import __version__

    return dict(mmrec=__version__, code=code_fingerprint(), libraries=library_versions())


def precision_state(device: torch.device) -> Dict[str, Any]:
    """The device type and the autocast state in effect on it (enabled, and its dtype when enabled)."""
    device_type = torch.device(device).type
    try:
        enabled = torch.is_autocast_enabled(device_type)
    except (TypeError, RuntimeError):  # a device type without autocast
        enabled = False
    dtype = str(torch.get_autocast_dtype(device_type)) if enabled else None
    return dict(device=device_type, autocast=enabled, autocast_dtype=dtype)
