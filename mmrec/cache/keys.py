"""What a cache entry is keyed by: canonical JSON of settings, digests, and content fingerprints.

A key is a plain JSON-able dict; :func:`digest` of its canonical form names the entry's file. Everything that
changes an entry's value must be in its key, so that a stale entry is never found:

- :func:`module_fingerprint`: the content of a module's parameters and buffers (the checkpoint as loaded, or an
  encoder's weights, which ``CLIPEncoder`` keeps out of checkpoints), with their names, dtypes and shapes;
- :func:`simple_attributes`: a module's plain settings (``crop_size``, ``crop_source``, ``name_or_path``, ...);
- :func:`file_digest`: the content of an image file.
"""
import hashlib
import json
import math
from typing import Any, Iterable, Optional

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
