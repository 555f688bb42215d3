"""Which dotted keys a config has: ``--cfg-options`` checked against the config before anything is built, and
the constructor defaults of registered types (a key a ``type=`` dict does not spell out but its class takes).

A key is accepted when every part of it exists in the config, or when its first missing part is an argument of
the registered class of the ``type=`` dict above it, or sits in a plain dict (no ``type``) or a dict of a type
no registry knows, below the top level; a top-level key must be one the config has or one MMEngine's
runner reads. Where the class takes ``**kwargs``, a name is refused only when it is close to a named argument
of its class hierarchy (a typo); others are left to the builder, whose "unexpected keyword argument" the tools
turn into the same one line (:func:`explain_unexpected_keyword`). Anything else is a
:class:`~mmrec.utils.user_errors.UserError` naming the key and the close valid names.
"""
import inspect
import re
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Optional

from .user_errors import UserError, close_names

#: Returned by :func:`registered_default` for an unknown type or argument.
MISSING = object()
#: Top-level keys MMEngine's tools and mmrec read besides the Runner's arguments.
_EXTRA_TOP_LEVEL = ('_base_', 'custom_imports', 'default_scope', 'launcher', 'runner_type', 'resume', 'load_from',
                    'work_dir', 'rec_cache', 'backend_args', 'auto_scale_lr', 'data_root', 'dataset_type',
                    'find_unused_parameters')
_UNEXPECTED_KEYWORD = re.compile(r"unexpected keyword argument '([^']+)'")


def registered_class(type_name: Any):
    """The class registered under ``type_name`` in mmdet's registries (models first; ``None`` when unknown)."""
    from mmdet import registry as mmdet_registry

    if not isinstance(type_name, str):
        return None
    for name in ('MODELS', 'TASK_UTILS', 'METRICS', 'DATASETS', 'TRANSFORMS', 'HOOKS', 'LOOPS', 'OPTIM_WRAPPERS',
                 'OPTIMIZERS', 'PARAM_SCHEDULERS', 'VISUALIZERS', 'VISBACKENDS', 'DATA_SAMPLERS', 'EVALUATOR',
                 'LOG_PROCESSORS'):
        registry = getattr(mmdet_registry, name, None)
        try:
            cls = registry.get(type_name) if registry is not None else None
        except Exception:  # noqa: BLE001  (a scope that is not imported: unknown here)
            cls = None
        if inspect.isclass(cls):
            return cls
    return None


def registered_default(parent: dict, leaf: str) -> Any:
    """The default of ``leaf`` in the constructor of ``parent['type']`` (mmdet's MODELS / TASK_UTILS), or
    :data:`MISSING` when the type or the argument is unknown (or only ``**kwargs`` would take it)."""
    cls = registered_class(parent.get('type'))
    if cls is None:
        return MISSING
    parameters = inspect.signature(cls.__init__).parameters
    parameter = parameters.get(leaf)
    if parameter is None or parameter.kind in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL):
        return MISSING
    return None if parameter.default is parameter.empty else parameter.default


def constructor_arguments(cls) -> List[str]:
    """The named arguments of ``cls`` and the classes it inherits from (which its ``**kwargs`` may reach)."""
    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get('__init__')
        if init is None or klass is object:
            continue
        try:
            parameters = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            continue
        names.update(p.name for p in parameters if p.name != 'self' and p.kind not in (p.VAR_KEYWORD,
                                                                                         p.VAR_POSITIONAL))
    return sorted(names)


def _takes_any_keyword(cls) -> bool:
    return any(p.kind == p.VAR_KEYWORD for p in inspect.signature(cls.__init__).parameters.values())


def top_level_keys(cfg: dict) -> List[str]:
    """The keys a config may set at its top level: its own, the Runner's arguments and a few tools read."""
    from mmengine.runner import Runner

    return sorted(set(cfg) | set(inspect.signature(Runner.__init__).parameters) - {'self'} | set(_EXTRA_TOP_LEVEL))


def _child(node: Any, part: str) -> Any:
    if isinstance(node, dict):
        return node.get(part, MISSING)
    if isinstance(node, (list, tuple)) and part.lstrip('-').isdigit() and -len(node) <= int(part) < len(node):
        return node[int(part)]
    return MISSING


def check_key(cfg: dict, key: str, option: str = '--cfg-options') -> None:
    """:class:`UserError` naming ``key`` and the close valid names when it is not a setting of ``cfg`` (see
    the module docstring for what counts)."""
    parts = key.split('.')
    if parts[0] not in top_level_keys(cfg):
        raise UserError(_unknown(option, key, parts[0], 'the config', top_level_keys(cfg)))
    node: Any = cfg
    for depth, part in enumerate(parts):
        child = _child(node, part)
        if child is not MISSING:
            node = child
            continue
        if depth == 0:
            return  # a top-level key the runner reads, new in this config
        where = '.'.join(parts[:depth])
        cls = registered_class(node.get('type')) if isinstance(node, dict) else None
        if cls is not None:
            misplaced = getattr(cls, 'misplaced_argument', None)  # e.g. a head part's setting given to the head
            message = misplaced(part, node) if misplaced is not None else None
            if message:
                raise UserError(f'{option} {key}: {message}')
            valid = sorted(set(node) | set(constructor_arguments(cls)))
            if part in valid or registered_default(node, part) is not MISSING or (
                    _takes_any_keyword(cls) and not close_names(part, valid)):
                return
            raise UserError(_unknown(option, key, part, f'{where} ({node["type"]})', valid))
        if isinstance(node, dict):
            return  # a plain dict or a type no registry here knows: left as given
        what = 'None' if node is None else f'a {type(node).__name__}'
        raise UserError(f'{option} {key}: {where} is {what} in the config, it has no {part!r}')


def _unknown(option: str, key: str, part: str, where: str, valid: List[str]) -> str:
    valid = [name for name in valid if not str(name).startswith('_')]
    close = close_names(part, valid)
    hint = (f"did you mean {' or '.join(repr(name) for name in close)}?" if close
            else f"valid names there: {', '.join(valid[:20])}{' ...' if len(valid) > 20 else ''}")
    return f'{option} {key}: {where} has no {part!r}; {hint}'


def check_cfg_options(cfg: dict, options: Optional[Dict[str, Any]]) -> None:
    """Check every key of ``options`` (``--cfg-options``) against ``cfg`` before it is merged."""
    data = cfg.to_dict() if hasattr(cfg, 'to_dict') else cfg
    for key in options or {}:
        check_key(data, key)


def explain_unexpected_keyword(error: TypeError, options: Optional[Dict[str, Any]]) -> Optional[UserError]:
    """The :class:`UserError` for a builder's ``TypeError: ... unexpected keyword argument 'x'`` caused by a
    ``--cfg-options`` key ending in ``x`` (names the key and close names in its parent), else ``None``."""
    match = _UNEXPECTED_KEYWORD.search(str(error))
    if not match:
        return None
    name = match.group(1)
    keys = [key for key in options or {} if key.split('.')[-1] == name]
    if not keys:
        return None
    return UserError(f'--cfg-options {keys[0]}: the class it goes to takes no argument {name!r} ({error}); '
                     'remove or correct the key')


@contextmanager
def keyword_errors_named(options: Optional[Dict[str, Any]]) -> Iterator[None]:
    """Around building a model from a config merged with ``options``: a builder's "unexpected keyword argument"
    that one of them caused is re-raised as the :class:`UserError` of :func:`explain_unexpected_keyword`."""
    try:
        yield
    except TypeError as error:
        explained = explain_unexpected_keyword(error, options)
        if explained is None:
            raise
        raise explained from error
