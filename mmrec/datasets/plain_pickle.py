"""Reading a pickle of plain data with bounded work and memory (REFER ``refs(<split_by>).p`` files).

A REFER split file is a list of dicts of strings, numbers and lists, a few levels deep. :func:`load_plain_pickle`
reads such a pickle and nothing else:

- no class or function is ever looked up except the two that protocol-2 pickles of Python 3 use to rebuild
  ``bytes`` (``_codecs.encode(text, 'latin1')`` and ``bytes()``), and those only with exactly those arguments,
  so nothing in the file runs code and no call can amplify data (a chain of ``codecs.encode(x, 'hex')`` would
  double it at each step);
- the opcodes of objects other than plain data (``BUILD``, ``NEWOBJ``, ``INST``, sets, persistent ids,
  out-of-band buffers, extension codes) are refused;
- dict keys must be strings, bytes, booleans, ``None`` or integers of less than 61 bits, whose hashes cannot be
  made to collide (a dict of colliding keys costs quadratic time to build);
- limits, each refused with one line naming the file and the limit: at most :data:`MAX_FILE_BYTES` bytes;
  at most :data:`MIN_OBJECT_BUDGET` + one per :data:`BYTES_PER_OBJECT` bytes of the file objects built while
  unpickling; after unpickling, the data is walked as the loaders will walk it (a container referenced twice is
  walked twice): at most :data:`MIN_OBJECT_BUDGET` + one per byte of the file objects visited (a
  "billion laughs" of nested references), at most :data:`MAX_DEPTH` levels of nesting, and no container that
  contains itself.

The real files sit far inside the limits: RefCOCO's val ``refs(unc).p`` (1.1 MB, 3,811 refs) builds about
120,000 objects (one per 9 bytes) and its walk visits about 210,000 (one per 5.4 bytes); the whole RefCOCO file
(~50,000 refs) is about 15 MB, RefCOCOg's and RefCLEF's under 30 MB. The pickle is read by Python's own pure
Python unpickler (``pickle._Unpickler``) restricted as above: about 0.2 s per MB.
"""
import codecs
import io
import os
import pickle
from typing import Any, Callable, Dict, List

#: Largest split file read (bytes). RefCOCO's ``refs(unc).p`` is ~15 MB.
MAX_FILE_BYTES = 64 * 1024 * 1024
#: Deepest nesting of containers accepted (a REFER file: list > ref dict > sentences list > sentence > tokens).
MAX_DEPTH = 32
#: Objects any file may build / the walk may visit, whatever its size.
MIN_OBJECT_BUDGET = 100_000
#: One more object built while unpickling allowed per this many bytes of the file.
BYTES_PER_OBJECT = 4

#: Integer dict keys must be smaller than this in magnitude (hash(n) == n below 2**61 - 1).
_MAX_INT_KEY = 2 ** 60

#: Opcodes of anything but plain data: refused.
_REFUSED_OPCODES = ('BUILD', 'INST', 'OBJ', 'NEWOBJ', 'NEWOBJ_EX', 'PERSID', 'BINPERSID', 'EXT1', 'EXT2', 'EXT4',
                    'EMPTY_SET', 'ADDITEMS', 'FROZENSET', 'BYTEARRAY8', 'NEXT_BUFFER', 'READONLY_BUFFER')
#: Opcodes that build a new object: counted against the budget.
_BUILDING_OPCODES = ('EMPTY_LIST', 'EMPTY_DICT', 'EMPTY_TUPLE', 'LIST', 'DICT', 'TUPLE', 'TUPLE1', 'TUPLE2',
                     'TUPLE3', 'INT', 'BININT', 'BININT1', 'BININT2', 'LONG', 'LONG1', 'LONG4', 'FLOAT', 'BINFLOAT',
                     'STRING', 'BINSTRING', 'SHORT_BINSTRING', 'UNICODE', 'BINUNICODE', 'SHORT_BINUNICODE',
                     'BINUNICODE8', 'BINBYTES', 'SHORT_BINBYTES', 'BINBYTES8', 'REDUCE')


class PickleRefused(ValueError):
    """A pickle that is not plain data, or that goes past a limit (the message names the file)."""


def _latin1_bytes(text: Any, encoding: Any = None, *rest: Any) -> bytes:
    """``_codecs.encode(text, 'latin1')``, the only call protocol-2 pickles make to rebuild ``bytes``."""
    if rest or not isinstance(text, str) or encoding not in ('latin1', 'latin-1'):
        raise pickle.UnpicklingError('codecs.encode is allowed only as encode(str, "latin1"), which rebuilds '
                                     'bytes')
    return codecs.encode(text, 'latin1')


def _empty_bytes(*args: Any) -> bytes:
    """``bytes()``, how protocol-2 pickles rebuild ``b''``."""
    if args:
        raise pickle.UnpicklingError('bytes(...) is allowed only without arguments')
    return b''


_ALLOWED_GLOBALS: Dict[tuple, Callable] = {
    ('_codecs', 'encode'): _latin1_bytes, ('codecs', 'encode'): _latin1_bytes,
    ('builtins', 'bytes'): _empty_bytes, ('__builtin__', 'bytes'): _empty_bytes}


def _check_key(key: Any) -> None:
    if key is None or isinstance(key, (str, bytes, bool)):
        return
    if isinstance(key, int) and abs(key) < _MAX_INT_KEY:
        return
    raise pickle.UnpicklingError(f'a dict key of type {type(key).__name__} (or an integer of 60 bits or more); '
                                 'a REFER split file keys its dicts by strings and small integers')


class _BoundedUnpickler(pickle._Unpickler):
    """Python's pure Python unpickler, restricted to plain data and counting the objects it builds."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, data: bytes, max_objects: int, **kwargs) -> None:
        super().__init__(io.BytesIO(data), encoding='latin1', **kwargs)
        self.max_objects = max_objects
        self.built = 0

    def find_class(self, module: str, name: str) -> Any:
        allowed = _ALLOWED_GLOBALS.get((module, name))
        if allowed is None:
            raise pickle.UnpicklingError(f'it needs {module}.{name}, and a REFER split file holds plain data only '
                                         '(dicts, lists, strings, numbers); refusing to load it')
        return allowed

    def load_setitem(self) -> None:
        _check_key(self.stack[-2])
        pickle._Unpickler.load_setitem(self)

    def load_setitems(self) -> None:
        for key in self._marked_keys():
            _check_key(key)
        pickle._Unpickler.load_setitems(self)

    def _marked_keys(self) -> List[Any]:
        """The keys of the items pushed since the last MARK (every other item)."""
        return self.stack[::2]

    def load_dict(self) -> None:
        for key in self._marked_keys():
            _check_key(key)
        pickle._Unpickler.load_dict(self)


def _refusing(name: str) -> Callable:
    def refuse(self) -> None:
        raise pickle.UnpicklingError(f'it holds the {name} opcode (objects other than plain data); a REFER split '
                                     'file holds dicts, lists, strings and numbers only')
    return refuse


def _counting(load: Callable) -> Callable:
    def count_and_load(self) -> None:
        self.built += 1
        if self.built > self.max_objects:
            raise _TooManyObjects()
        load(self)
    return count_and_load


class _TooManyObjects(Exception):
    pass


for _name in _REFUSED_OPCODES:
    _BoundedUnpickler.dispatch[getattr(pickle, _name)[0]] = _refusing(_name)
for _name in _BUILDING_OPCODES:
    _code = getattr(pickle, _name)[0]
    _BoundedUnpickler.dispatch[_code] = _counting(_BoundedUnpickler.dispatch[_code])
_BoundedUnpickler.dispatch[pickle.SETITEM[0]] = _BoundedUnpickler.load_setitem
_BoundedUnpickler.dispatch[pickle.SETITEMS[0]] = _BoundedUnpickler.load_setitems
_BoundedUnpickler.dispatch[pickle.DICT[0]] = _counting(_BoundedUnpickler.load_dict)


_LEAVES = frozenset((str, int, float, bool, type(None)))


class _Walk:
    """Copies unpickled data with ``bytes`` turned into ``str``, within the visit and depth limits."""

    def __init__(self, path: str, max_visits: int, file_bytes: int) -> None:
        self.path, self.max_visits, self.file_bytes = path, max_visits, file_bytes
        self.visits = 0
        self.on_path: set = set()

    def copy(self, obj: Any, depth: int = 0) -> Any:
        self.visits += 1
        if self.visits > self.max_visits:
            raise PickleRefused(
                f'{self.path}: its data, walked as a loader walks it, has more than {self.max_visits} objects '
                f'({MIN_OBJECT_BUDGET} + one per byte of its {self.file_bytes} bytes): nested references to '
                'the same objects (a "billion laughs")? A REFER split file has far fewer; refusing it')
        if isinstance(obj, bytes):
            try:
                return obj.decode('utf-8')
            except UnicodeDecodeError:
                return obj.decode('latin1')
        if not isinstance(obj, (dict, list, tuple)):
            return obj
        if depth >= MAX_DEPTH:
            raise PickleRefused(f'{self.path}: nested more than {MAX_DEPTH} levels deep (a REFER split file is 5 '
                                'deep); refusing it')
        if id(obj) in self.on_path:
            raise PickleRefused(f'{self.path}: holds a {type(obj).__name__} that contains itself (a reference '
                                'cycle), which a REFER split file never does; refusing it')
        self.on_path.add(id(obj))
        try:
            if isinstance(obj, dict):
                return {self.copy(key, depth + 1): self._item(value, depth + 1) for key, value in obj.items()}
            return type(obj)([self._item(item, depth + 1) for item in obj])
        finally:
            self.on_path.discard(id(obj))

    def _item(self, obj: Any, depth: int) -> Any:
        """:meth:`copy` of one item, with the common leaves (strings, numbers) counted inline (faster)."""
        if type(obj) in _LEAVES and self.visits < self.max_visits:
            self.visits += 1
            return obj
        return self.copy(obj, depth)


def load_plain_pickle(path: str) -> Any:
    """The plain data of the pickle at ``path`` with every ``bytes`` as ``str`` (UTF-8, else latin1); Python 2
    pickles are read with ``encoding='latin1'``. See the module docstring for what is refused.

    Raises:
        PickleRefused: not plain data, unreadable, or past a limit (one line naming the file and why).
    """
    size = os.path.getsize(path)
    if size > MAX_FILE_BYTES:
        raise PickleRefused(f'{path}: {size} bytes, more than the {MAX_FILE_BYTES} bytes a REFER split file may '
                            'have (RefCOCO\'s is about 15 MB); refusing to read it')
    with open(path, 'rb') as file:
        data = file.read(MAX_FILE_BYTES + 1)
    max_objects = MIN_OBJECT_BUDGET + len(data) // BYTES_PER_OBJECT
    try:
        loaded = _BoundedUnpickler(data, max_objects).load()
    except _TooManyObjects:
        raise PickleRefused(f'{path}: builds more than {max_objects} objects ({MIN_OBJECT_BUDGET} + one per '
                            f'{BYTES_PER_OBJECT} bytes of its {len(data)} bytes); a REFER split file builds far '
                            'fewer; refusing it') from None
    except RecursionError:
        raise PickleRefused(f'{path}: nested too deeply to read (RecursionError); refusing it') from None
    except Exception as error:  # any unpickling failure means "not a plain-data pickle"
        raise PickleRefused(f'{path} is not a readable pickle of plain data: {type(error).__name__}: '
                            f'{error}') from error
    try:
        return _Walk(path, MIN_OBJECT_BUDGET + len(data), len(data)).copy(loaded)
    except RecursionError:
        raise PickleRefused(f'{path}: nested too deeply to read (RecursionError); refusing it') from None
