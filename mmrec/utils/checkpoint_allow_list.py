"""What weights-only checkpoint loading may build besides tensors and plain containers.

The allow-list (:func:`checkpoint_safe_globals`) is exactly what the resumable checkpoints that mmengine
0.10.7 saves for this project hold besides tensors: the message hub's ``HistoryBuffer`` objects and the
numpy arrays, dtypes and scalars inside them. Two of those globals are narrowed, because allow-listing
them as they are would let a checkpoint do more than rebuild data:

* ``builtins.getattr`` (how a HistoryBuffer pickles its statistics methods) resolves only
  ``HistoryBuffer.min / max / current / mean`` (:func:`history_buffer_statistic`);
* ``HistoryBuffer`` is rebuilt by :class:`CheckpointHistoryBuffer`, which accepts only the state mmengine
  writes (``max_length``, ``_log_history``, ``_count_history`` and the default statistics table) and never
  touches the class-level ``HistoryBuffer._statistics_methods`` table: mmengine's own ``__setstate__``
  copies a checkpoint's ``statistics_methods`` entry into that table, so a checkpoint could change what
  every later ``statistics('mean')`` of the process returns.
"""
import pickle
from typing import Any, Callable, List, Tuple, Union

import numpy as np
from mmengine.logging.history_buffer import HistoryBuffer

SafeGlobal = Union[Callable, Tuple[Callable, str]]

HISTORY_BUFFER_GLOBAL = 'mmengine.logging.history_buffer.HistoryBuffer'
# The statistics HistoryBuffer registers itself; pickled (protocol 2) as getattr(HistoryBuffer, name).
HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')
# numpy dtypes whose arrays and scalars a checkpoint may carry (HistoryBuffer holds float64 and int64).
_NUMERIC_DTYPES = ('bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64',
                   'float16', 'float32', 'float64', 'complex64', 'complex128')
_HISTORY_STATE_KEYS = frozenset(('max_length', '_log_history', '_count_history', 'statistics_methods'))


class CheckpointHistoryBuffer(HistoryBuffer):
    """Rebuilds a pickled ``HistoryBuffer`` from the state mmengine writes, and nothing else.

    The weights-only unpickler creates it (in place of ``HistoryBuffer``, see :func:`checkpoint_safe_globals`)
    with ``__new__`` and hands it the pickled state; :meth:`__setstate__` checks the state, sets the three
    attributes and turns the object into a plain ``HistoryBuffer``, so the loaded checkpoint (and the next
    one saved from it) holds only mmengine's class.
    """

    def __init__(self, *args, **kwargs) -> None:
        raise pickle.UnpicklingError('a HistoryBuffer in a checkpoint may only be rebuilt from its pickled '
                                     'state, not by calling the class')

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, dict):
            raise pickle.UnpicklingError(f'HistoryBuffer state must be a dict, got {type(state).__name__}')
        unknown = sorted(str(key) for key in state if key not in _HISTORY_STATE_KEYS)
        if unknown:
            raise pickle.UnpicklingError(
                f'HistoryBuffer state has keys mmengine does not write: {", ".join(unknown)} (allowed: '
                f'{", ".join(sorted(_HISTORY_STATE_KEYS))})')
        _check_statistics_table(state.get('statistics_methods', {}))
        max_length = state.get('max_length')
        if type(max_length) is not int or max_length < 1:
            raise pickle.UnpicklingError(f'HistoryBuffer max_length must be a positive int, got {max_length!r}')
        histories = [state.get(key) for key in ('_log_history', '_count_history')]
        for key, history in zip(('_log_history', '_count_history'), histories):
            if not isinstance(history, np.ndarray) or history.ndim != 1 or history.dtype.kind not in 'biuf':
                raise pickle.UnpicklingError(f'HistoryBuffer {key} must be a 1-d numeric numpy array')
        if len(histories[0]) != len(histories[1]) or len(histories[0]) > max_length:
            raise pickle.UnpicklingError(
                f'HistoryBuffer histories have lengths {len(histories[0])} and {len(histories[1])}; they must be '
                f'equal and at most max_length ({max_length})')
        self.__class__ = HistoryBuffer
        self.max_length = max_length
        self._log_history, self._count_history = histories
        self._set_default_statistics()  # what HistoryBuffer.__init__ does: setdefault of the four defaults


def _check_statistics_table(table: Any) -> None:
    """Accept the ``statistics_methods`` entry only as mmengine writes it by default (name -> own method)."""
    if not isinstance(table, dict):
        raise pickle.UnpicklingError(f'HistoryBuffer statistics_methods must be a dict, got {type(table).__name__}')
    for name, method in table.items():
        if name not in HISTORY_BUFFER_STATISTICS or method is not getattr(HistoryBuffer, name):
            raise pickle.UnpicklingError(
                f'HistoryBuffer statistics_methods maps {name!r} to {method!r}: a checkpoint may only carry the '
                f'default table ({", ".join(HISTORY_BUFFER_STATISTICS)} -> HistoryBuffer\'s own methods); it is '
                'never copied into the class table')


def history_buffer_statistic(owner: Any, name: str) -> Callable:
    """Stand-in for ``builtins.getattr`` during weights-only loads.

    A ``HistoryBuffer`` pickles its statistics methods (``HistoryBuffer.mean``, ...) as
    ``getattr(HistoryBuffer, 'mean')``. Allow-listing ``getattr`` itself would let a checkpoint read any
    attribute of any allow-listed object, so this resolves only those methods and refuses the rest.
    """
    if owner in (HistoryBuffer, CheckpointHistoryBuffer) and name in HISTORY_BUFFER_STATISTICS:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'builtins.getattr({owner!r}, {name!r}) is not allowed: getattr may only resolve HistoryBuffer\'s '
        f'statistics methods ({", ".join(HISTORY_BUFFER_STATISTICS)})')


def checkpoint_safe_globals() -> List[SafeGlobal]:
    """The globals besides torch's own that weights-only loading of mmengine checkpoints may use.

    Found by listing the globals (``torch.serialization.get_unsafe_globals_in_checkpoint``) of checkpoints
    that mmengine 0.10.7 saved for the detector, method 1 and CLIP fine-tuning configs:

    * ``mmengine.logging.history_buffer.HistoryBuffer``: the message hub's logged scalars, rebuilt by
      :class:`CheckpointHistoryBuffer`;
    * ``builtins.getattr``, replaced by :func:`history_buffer_statistic`;
    * ``numpy.ndarray``, ``numpy.core.multiarray._reconstruct``: the arrays inside a HistoryBuffer;
    * ``numpy.core.multiarray.scalar``: numpy scalars (e.g. the message hub's ``eta``);
    * ``numpy.dtype`` and the numeric dtype classes (``numpy.dtypes.Float64DType``, ...), which the
      unpickler needs to rebuild a dtype's state.

    numpy 2 pickles ``numpy._core.multiarray``, numpy 1 ``numpy.core.multiarray``: both names are listed so
    checkpoints written with either load.
    """
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy < 1.26 has no numpy._core
        from numpy.core import multiarray

    entries: List[SafeGlobal] = [(CheckpointHistoryBuffer, HISTORY_BUFFER_GLOBAL),
                                 (history_buffer_statistic, 'builtins.getattr'), np.ndarray, np.dtype]
    for name in ('_reconstruct', 'scalar'):
        for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
            entries.append((getattr(multiarray, name), f'{module}.{name}'))
    dtype_classes = {type(np.dtype(name)) for name in _NUMERIC_DTYPES}
    entries.extend(sorted(dtype_classes, key=lambda cls: cls.__name__))
    return entries


def safe_global_names() -> List[str]:
    """The pickle names (``module.qualname``) of :func:`checkpoint_safe_globals`."""
    return [entry[1] if isinstance(entry, tuple) else f'{entry.__module__}.{entry.__qualname__}'
            for entry in checkpoint_safe_globals()]
