"""Load checkpoints without running code from them: weights-only unpickling with a short allow-list.

A ``.pth`` file is a pickle, and unpickling a pickle can call any function it names. mmengine 0.10.7 calls
``torch.load`` without ``weights_only``; ``import mmrec`` re-registers mmengine's loader for local paths
(the ``''`` scheme of ``CheckpointLoader``, used by ``load_from``, ``--resume``, the checkpoint argument of
tools/test.py and ``mmengine.runner.load_checkpoint``) with :func:`load_local_checkpoint`, which loads with
``weights_only=True``: tensors, containers and plain values, plus the globals in
:func:`checkpoint_safe_globals`, which are exactly what the resumable checkpoints that mmengine 0.10.7 saves
for this project hold besides those (the message hub's ``HistoryBuffer`` objects and the numpy arrays and
scalars inside them). Every mmrec checkpoint, resumable or not, loads without any opt-in.

A checkpoint that needs anything else is refused with :class:`UntrustedCheckpointError`, which names the
file, the globals and the opt-in; nothing of it is returned, so no model is loaded half-way. Full unpickling
(``weights_only=False``) happens only when the user asks for it for the run: ``--trust-checkpoint`` on
tools/train.py and tools/test.py (:func:`trust_checkpoints`) or ``MMREC_TRUST_CHECKPOINTS=1`` in the
environment; each such load logs a warning.

Other schemes (``http://``, ``torchvision://``, ...) keep mmengine's loaders, whose ``torch.load`` already
defaults to ``weights_only=True`` on torch >= 2.6 (without this allow-list).
"""
import logging
import os
import os.path as osp
import pickle
import re
from typing import Any, Callable, List, Optional, Tuple, Union

import torch
from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader

MapLocation = Optional[Union[str, torch.device, Callable, dict]]
SafeGlobal = Union[Callable, Tuple[Callable, str]]

TRUST_ENV = 'MMREC_TRUST_CHECKPOINTS'
TRUST_FLAG = '--trust-checkpoint'
OPT_IN = f'pass {TRUST_FLAG} to tools/train.py or tools/test.py, or set {TRUST_ENV}=1'
_TRUE_VALUES = ('1', 'true', 'yes', 'on')

# The statistics HistoryBuffer registers itself; pickled (protocol 2) as getattr(HistoryBuffer, name).
_HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')
# numpy dtypes whose arrays and scalars a checkpoint may carry (HistoryBuffer holds float64 and int64).
_NUMERIC_DTYPES = ('bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64',
                   'float16', 'float32', 'float64', 'complex64', 'complex128')


class UntrustedCheckpointError(RuntimeError):
    """A checkpoint needs globals outside the weights-only allow-list and the user has not opted in."""


class _Trust:
    """Whether ``--trust-checkpoint`` was given in this process (see :func:`trust_checkpoints`)."""

    by_flag: bool = False


def trust_checkpoints(enabled: bool = True) -> None:
    """Unpickle local checkpoints in full for the rest of this process (what ``--trust-checkpoint`` does).

    Logs a warning when enabling; ``enabled=False`` goes back to weights-only loading (the environment
    variable :data:`TRUST_ENV` still applies).
    """
    _Trust.by_flag = enabled
    if enabled:
        print_log(f'{TRUST_FLAG}: checkpoints are unpickled in full (torch.load weights_only=False); a '
                  'checkpoint can then run any code when loaded. Use it only for files you trust.',
                  logger='current', level=logging.WARNING)


def checkpoints_trusted() -> bool:
    """True when :func:`trust_checkpoints` was called or ``MMREC_TRUST_CHECKPOINTS`` is 1/true/yes/on."""
    return _Trust.by_flag or os.environ.get(TRUST_ENV, '').strip().lower() in _TRUE_VALUES


def _history_buffer_statistic(owner: Any, name: str) -> Callable:
    """Stand-in for ``builtins.getattr`` during weights-only loads.

    A ``HistoryBuffer`` pickles its statistics methods (``HistoryBuffer.mean``, ...) as
    ``getattr(HistoryBuffer, 'mean')``. Allow-listing ``getattr`` itself would let a checkpoint read any
    attribute of any allow-listed object, so this resolves only those methods and refuses the rest.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    if owner is HistoryBuffer and name in _HISTORY_BUFFER_STATISTICS:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'builtins.getattr({owner!r}, {name!r}) is not allowed: getattr may only resolve HistoryBuffer\'s '
        f'statistics methods ({", ".join(_HISTORY_BUFFER_STATISTICS)})')


def checkpoint_safe_globals() -> List[SafeGlobal]:
    """The globals besides torch's own that weights-only loading of mmengine checkpoints may use.

    Found by listing the globals (``torch.serialization.get_unsafe_globals_in_checkpoint``) of checkpoints
    that mmengine 0.10.7 saved for the detector, method 1 and CLIP fine-tuning configs:

    * ``mmengine.logging.history_buffer.HistoryBuffer``: the message hub's logged scalars;
    * ``builtins.getattr``, replaced by a resolver of HistoryBuffer's statistics methods only;
    * ``numpy.ndarray``, ``numpy.core.multiarray._reconstruct``: the arrays inside a HistoryBuffer;
    * ``numpy.core.multiarray.scalar``: numpy scalars (e.g. the message hub's ``eta``);
    * ``numpy.dtype`` and the numeric dtype classes (``numpy.dtypes.Float64DType``, ...), which the
      unpickler needs to rebuild a dtype's state.

    numpy 2 pickles ``numpy._core.multiarray``, numpy 1 ``numpy.core.multiarray``: both names are listed so
    checkpoints written with either load.
    """
    import numpy
    from mmengine.logging.history_buffer import HistoryBuffer
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy < 1.26 has no numpy._core
        from numpy.core import multiarray

    entries: List[SafeGlobal] = [HistoryBuffer, (_history_buffer_statistic, 'builtins.getattr'),
                                 numpy.ndarray, numpy.dtype]
    for name in ('_reconstruct', 'scalar'):
        for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
            entries.append((getattr(multiarray, name), f'{module}.{name}'))
    dtype_classes = {type(numpy.dtype(name)) for name in _NUMERIC_DTYPES}
    entries.extend(sorted(dtype_classes, key=lambda cls: cls.__name__))
    return entries


def _globals_outside_allow_list(filename: str, error: Exception) -> List[str]:
    """The globals of ``filename`` that weights-only loading refuses (read statically, nothing run)."""
    try:
        names = torch.serialization.get_unsafe_globals_in_checkpoint(filename)
    except (ValueError, RuntimeError, OSError, pickle.UnpicklingError):  # e.g. the legacy (non-zip) format
        names = []
    if not names:
        names = re.findall(r'GLOBAL ([\w.]+) was not an allowed global', str(error))
    return sorted(set(names))


def _unpickler_reason(error: Exception) -> str:
    """The weights-only unpickler's own words from torch's error, without torch's advice around them."""
    text = str(error)
    if 'WeightsUnpickler error:' in text:
        text = text.rsplit('WeightsUnpickler error:', 1)[1]
    text = text.split('Check the documentation of torch.load')[0]
    return ' '.join(text.split())


def _refusal(filename: str, error: Exception) -> UntrustedCheckpointError:
    names = _globals_outside_allow_list(filename, error)
    if names:
        reason = f'it needs {", ".join(names)}, not on mmrec\'s weights-only allow-list'
    else:
        reason = f'torch refused it ({_unpickler_reason(error)})'
    return UntrustedCheckpointError(
        f'Refused to load checkpoint {filename}: {reason}. Unpickling it in full could run code from the file. '
        f'If you trust this file, {OPT_IN} (mmrec.utils.safe_checkpoint).')


def load_local_checkpoint(filename: str, map_location: MapLocation = None) -> Any:
    """Load a local checkpoint with ``weights_only=True`` and the allow-list, or in full when trusted.

    Raises:
        FileNotFoundError: no such file.
        UntrustedCheckpointError: the file needs a global outside the allow-list and the user has not opted
            in; the message names the file, the globals and the opt-in.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found')
    if checkpoints_trusted():
        print_log(f'Unpickling checkpoint {filename} in full (weights_only=False) because of {TRUST_FLAG} or '
                  f'{TRUST_ENV}: it can run code from the file.', logger='current', level=logging.WARNING)
        return torch.load(filename, map_location=map_location, weights_only=False)
    present = torch.serialization.get_safe_globals()
    missing = [entry for entry in checkpoint_safe_globals() if entry not in present]
    with torch.serialization.safe_globals(missing):  # scoped: other torch.load calls are not widened
        try:
            return torch.load(filename, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as error:
            raise _refusal(filename, error) from error


def register_safe_checkpoint_loader() -> None:
    """Route mmengine's local-file checkpoint loading through :func:`load_local_checkpoint`.

    Idempotent; called once by ``import mmrec``.
    """
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)
