"""Load checkpoints without running code from them: weights-only unpickling with a short allow-list.

A ``.pth`` file is a pickle, and unpickling a pickle can call any function it names. mmengine 0.10.7 calls
``torch.load`` without ``weights_only`` for local files, and ``torch.hub.load_state_dict_from_url`` (whose
``weights_only`` defaults to False) for ``http(s)://``, ``torchvision://``, ``open-mmlab://`` and
``mmcls://``. ``import mmrec`` registers its own loaders over every scheme of mmengine's
``CheckpointLoader`` (:mod:`mmrec.utils.checkpoint_schemes`; used by ``load_from``, ``--resume``, the
checkpoint argument of the tools, ``init_cfg=dict(type='Pretrained', ...)`` and
``mmengine.runner.load_checkpoint``), and every one of them reads the file through
:func:`load_weights_only`: ``torch.load(weights_only=True)`` with tensors, containers and plain values plus
the globals of :func:`~mmrec.utils.checkpoint_allow_list.checkpoint_safe_globals` (mmengine's message hub
history, rebuilt only from the state mmengine writes, and numpy values). A download is kept in the torch hub
cache and a file already there under the URL's file name is reused unchecked, as torch does; it is read the
same way, so a file planted there is refused like any other. Every mmrec checkpoint, resumable or not,
loads without any opt-in.

A checkpoint that needs anything else is refused with :class:`UntrustedCheckpointError`, which names the
file, the globals and the opt-in; nothing of it is returned, so no model is loaded half-way. Full unpickling
(``weights_only=False``) happens only when the user asks for it for the run: ``--trust-checkpoint`` on the
train / test / sweep tools (:func:`trust_checkpoints`) or ``MMREC_TRUST_CHECKPOINTS=1`` in the environment
the process starts with. The variable is read once, when this module is imported (``import mmrec``, before a tool or
``RECInferencer`` reads any config), and that value is kept: a ``.py`` config that sets it later does not
switch the check off (:func:`read_trust_environment` re-reads it on purpose). Each full unpickling logs a
warning.
"""
import io
import logging
import os
import os.path as osp
import pickle
import re
from typing import Any, Callable, List, Optional, Union

import torch
from mmengine.logging import print_log

from .checkpoint_allow_list import checkpoint_safe_globals, safe_global_names

MapLocation = Optional[Union[str, torch.device, Callable, dict]]
Source = Union[str, io.BytesIO]

TRUST_ENV = 'MMREC_TRUST_CHECKPOINTS'
TRUST_FLAG = '--trust-checkpoint'
OPT_IN = (f'pass {TRUST_FLAG} (tools/train.py, test.py, sweep.py), or start the process with {TRUST_ENV}=1 in '
          'its environment')
_TRUE_VALUES = ('1', 'true', 'yes', 'on')


class UntrustedCheckpointError(RuntimeError):
    """A checkpoint needs globals outside the weights-only allow-list and the user has not opted in."""


def _environment_trusts() -> bool:
    return os.environ.get(TRUST_ENV, '').strip().lower() in _TRUE_VALUES


class _Trust:
    """The opt-ins of this process: ``--trust-checkpoint`` (:func:`trust_checkpoints`) and
    ``MMREC_TRUST_CHECKPOINTS`` as it was when this module was imported (:func:`read_trust_environment`)."""

    by_flag: bool = False
    by_env: bool = _environment_trusts()


def read_trust_environment() -> bool:
    """Read ``MMREC_TRUST_CHECKPOINTS`` now and keep that value for the process; returns it.

    Done once when this module is imported. Call it again only from code that runs before any config is
    read (a tool's start-up, a test); a config is a program and must not be the one deciding.
    """
    _Trust.by_env = _environment_trusts()
    return _Trust.by_env


def trust_checkpoints(enabled: bool = True) -> None:
    """Unpickle checkpoints in full for the rest of this process (what ``--trust-checkpoint`` does).

    Logs a warning when enabling; ``enabled=False`` goes back to weights-only loading (the environment
    variable's start-up value, :data:`TRUST_ENV`, still applies).
    """
    _Trust.by_flag = enabled
    if enabled:
        print_log(f'{TRUST_FLAG}: checkpoints are unpickled in full (torch.load weights_only=False); a '
                  'checkpoint can then run any code when loaded. Use it only for files you trust.',
                  logger='current', level=logging.WARNING)


def checkpoints_trusted() -> bool:
    """True when :func:`trust_checkpoints` was called or ``MMREC_TRUST_CHECKPOINTS`` was 1/true/yes/on at
    start-up (a later change of the variable is ignored, with a warning at the next load)."""
    return _Trust.by_flag or _Trust.by_env


def _warn_if_environment_changed() -> None:
    if _environment_trusts() and not _Trust.by_env:
        print_log(f'{TRUST_ENV} was set after start-up (by a config or other code run in this process); it is '
                  'ignored: set it in the environment the tool starts with.', logger='current',
                  level=logging.WARNING)


def _globals_outside_allow_list(source: Source, error: Exception) -> List[str]:
    """The globals of ``source`` that weights-only loading refuses (read statically, nothing run)."""
    try:
        if isinstance(source, io.BytesIO):
            source.seek(0)
        names = torch.serialization.get_unsafe_globals_in_checkpoint(source)
    except (ValueError, RuntimeError, OSError, pickle.UnpicklingError):  # e.g. the legacy (non-zip) format
        names = []
    if not names:
        names = re.findall(r'GLOBAL ([\w.]+) was not an allowed global', str(error))
    allowed = set(safe_global_names())
    return sorted(set(names) - allowed)


def _unpickler_reason(error: Exception) -> str:
    """The weights-only unpickler's own words from torch's error, without torch's advice around them."""
    text = str(error)
    if 'WeightsUnpickler error:' in text:
        text = text.rsplit('WeightsUnpickler error:', 1)[1]
    text = text.split('Check the documentation of torch.load')[0]
    return ' '.join(text.split())


def _refusal(label: str, source: Source, error: Exception) -> UntrustedCheckpointError:
    names = _globals_outside_allow_list(source, error)
    if names:
        reason = f'it needs {", ".join(names)}, not on mmrec\'s weights-only allow-list'
    else:
        reason = f'torch refused it ({_unpickler_reason(error)})'
    return UntrustedCheckpointError(
        f'Refused to load checkpoint {label}: {reason}. Unpickling it in full could run code from the file. '
        f'If you trust this file, {OPT_IN} (mmrec.utils.safe_checkpoint).')


def load_weights_only(source: Source, label: str, map_location: MapLocation = None) -> Any:
    """Unpickle ``source`` (a file path or an in-memory copy) weights-only with the allow-list, or in full
    when the user opted in; the one reader every checkpoint scheme goes through.

    Args:
        source: a local file path or a ``BytesIO`` with the file's bytes.
        label: how messages name the file (its path, URL, cached copy...).
        map_location: as for ``torch.load``.

    Raises:
        UntrustedCheckpointError: the file needs a global outside the allow-list, or a state the allow-list
            refuses, and the user has not opted in; the message names the file, the globals and the opt-in.
    """
    _warn_if_environment_changed()
    if checkpoints_trusted():
        print_log(f'Unpickling checkpoint {label} in full (weights_only=False) because of {TRUST_FLAG} or '
                  f'{TRUST_ENV}: it can run code from the file.', logger='current', level=logging.WARNING)
        return torch.load(source, map_location=map_location, weights_only=False)
    present = torch.serialization.get_safe_globals()
    missing = [entry for entry in checkpoint_safe_globals() if entry not in present]
    with torch.serialization.safe_globals(missing):  # scoped: other torch.load calls are not widened
        try:
            return torch.load(source, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as error:
            raise _refusal(label, source, error) from error


def load_local_checkpoint(filename: str, map_location: MapLocation = None, label: Optional[str] = None) -> Any:
    """Load a local checkpoint through :func:`load_weights_only` (``label`` names it in messages).

    Raises:
        FileNotFoundError: no such file.
        UntrustedCheckpointError: see :func:`load_weights_only`.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {label or filename} can not be found')
    return load_weights_only(filename, label or filename, map_location)

