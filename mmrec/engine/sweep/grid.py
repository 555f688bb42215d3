"""The points of a sweep: ``--grid KEY=V1,V2 ...`` parsed, checked against the config, combined.

Every key must be a model setting (``model.…``) that the config has, or a constructor argument of the
registered type of its parent dict (left at its default there; a head's flat argument such as
``model.roi_head.bbox_head.clip_weight`` counts, with its part config's value); every value must have the type of the
config's value (an int where an int is, a float or an int where a float is, a string, a bool, a list or
tuple, a dict; ``None`` is allowed, and anything where the config holds ``None``). Errors name the key, before
any work starts.
"""
import ast
import copy
import inspect
import itertools
from typing import Any, Dict, List, Sequence, Tuple

from mmengine.config import Config

#: A grid point: dotted config key -> value.
Point = Dict[str, Any]

_MISSING = object()
_WORDS = {'none': None, 'true': True, 'false': False}


def split_top_level(text: str, separator: str = ',') -> List[str]:
    """``text`` split at ``separator`` outside brackets and quotes (``'[a,b],c'`` -> ``['[a,b]', 'c']``)."""
    pieces, depth, quote, start = [], 0, None, 0
    for index, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in '\'"':
            quote = char
        elif char in '([{':
            depth += 1
        elif char in ')]}':
            depth -= 1
        elif char == separator and depth == 0:
            pieces.append(text[start:index])
            start = index + 1
    pieces.append(text[start:])
    return [piece.strip() for piece in pieces]


def parse_value(text: str) -> Any:
    """A Python literal (``5``, ``0.1``, ``None``, ``['a photo of {}.']``, ``dict()`` as ``{}``), ``true`` /
    ``false`` / ``none`` in any case, else the text itself (``crop+blur``)."""
    if text.lower() in _WORDS:
        return _WORDS[text.lower()]
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_grid(arguments: Sequence[str]) -> Dict[str, List[Any]]:
    """``['model.scorer.top_k=5,10', ...]`` -> ``{'model.scorer.top_k': [5, 10], ...}`` (keys in order)."""
    grid: Dict[str, List[Any]] = {}
    for argument in arguments:
        key, equals, values = argument.partition('=')
        key = key.strip()
        if not equals or not key or not values.strip():
            raise ValueError(f'--grid {argument!r}: expected KEY=V1,V2,... (e.g. model.scorer.top_k=5,10,20)')
        if key in grid:
            raise ValueError(f'--grid {key}: given twice')
        grid[key] = [parse_value(piece) for piece in split_top_level(values)]
    if not grid:
        raise ValueError('a sweep needs at least one --grid KEY=V1,V2,...')
    return grid


def grid_points(grid: Dict[str, List[Any]], zip_values: bool = False) -> List[Point]:
    """The cartesian product of the values (first key slowest), or with ``zip_values`` the i-th value of
    every key together (all keys must have as many values)."""
    keys = list(grid)
    if zip_values:
        lengths = {key: len(values) for key, values in grid.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f'--zip needs as many values for every --grid key, got {lengths}')
        combos = zip(*grid.values())
    else:
        combos = itertools.product(*grid.values())
    return [dict(zip(keys, combo)) for combo in combos]


def _registered_default(parent: dict, leaf: str) -> Any:
    """The default of ``leaf`` in the constructor of ``parent['type']`` (mmdet's MODELS / TASK_UTILS), or
    ``_MISSING`` when the type or the argument is unknown."""
    from mmdet.registry import MODELS, TASK_UTILS

    type_name = parent.get('type')
    if not isinstance(type_name, str):
        return _MISSING
    for registry in (MODELS, TASK_UTILS):
        cls = registry.get(type_name)
        if cls is None:
            continue
        parameters = inspect.signature(cls.__init__).parameters
        parameter = parameters.get(leaf)
        if parameter is None:
            return _flat_argument_default(cls, parameters, parent, leaf)
        if parameter.kind in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL):
            return _MISSING
        return None if parameter.default is parameter.empty else parameter.default
    return _MISSING


def _flat_argument_default(cls, parameters, parent: dict, leaf: str) -> Any:
    """A flat argument (``clip_weight`` on ``CLIPTextConditionedHead``: ``cls.FLAT_ARG_PARTS`` names the part
    config that takes it, :mod:`mmrec.models.method1.head_parts.flat_args`): its value in that part's config, else
    the part type's default; ``_MISSING`` for anything else."""
    part_name = getattr(cls, 'FLAT_ARG_PARTS', {}).get(leaf)
    if part_name is None:
        return _MISSING
    part = parent.get(part_name)
    if part is None and part_name in parameters:
        default = parameters[part_name].default
        part = None if default is inspect.Parameter.empty else default
    if not isinstance(part, dict):
        return _MISSING  # the part is switched off (e.g. no branch): the flat argument would be dropped
    return part[leaf] if leaf in part else _registered_default(part, leaf)


def config_value(cfg: Config, key: str) -> Any:
    """The config's value at a dotted ``key`` (or the registered constructor's default of a missing leaf);
    ``ValueError`` naming the key when it is not a setting of the config."""
    *parents, leaf = key.split('.')
    node: Any = cfg.to_dict() if isinstance(cfg, Config) else cfg
    for depth, part in enumerate(parents):
        if not isinstance(node, dict) or part not in node:
            where = '.'.join(parents[:depth]) or 'the config'
            raise ValueError(f'--grid {key}: not in the config ({where} has no {part!r})')
        node = node[part]
    if not isinstance(node, dict):
        raise ValueError(f'--grid {key}: not in the config ({".".join(parents)} is not a dict)')
    if leaf in node:
        return node[leaf]
    default = _registered_default(node, leaf)
    if default is _MISSING:
        known = ', '.join(sorted(str(name) for name in node)) or 'nothing'
        raise ValueError(f'--grid {key}: not in the config, nor an argument of {node.get("type", "its parent")} '
                         f'({".".join(parents)} has: {known})')
    return default


def _type_name(value: Any) -> str:
    return type(value).__name__


def check_value(key: str, current: Any, value: Any) -> None:
    """``ValueError`` naming ``key`` when ``value`` does not have the type of the config's ``current``."""
    if value is None or current is None:
        return
    if isinstance(current, bool) or isinstance(value, bool):
        ok = isinstance(current, bool) and isinstance(value, bool)
    elif isinstance(current, int):
        ok = isinstance(value, int)
    elif isinstance(current, float):
        ok = isinstance(value, (int, float))
    elif isinstance(current, str):
        ok = isinstance(value, str)
    elif isinstance(current, (list, tuple)):
        ok = isinstance(value, (list, tuple))
    elif isinstance(current, dict):
        ok = isinstance(value, dict)
    else:
        ok = isinstance(value, type(current))
    if not ok:
        raise ValueError(f'--grid {key}: value {value!r} is a {_type_name(value)}, but the config\'s {key} is a '
                         f'{_type_name(current)} ({current!r})')


def check_grid(cfg: Config, grid: Dict[str, List[Any]]) -> None:
    """Check every key and value of ``grid`` against ``cfg`` (see the module docstring)."""
    for key, values in grid.items():
        if not key.startswith('model.'):
            raise ValueError(f'--grid {key}: a sweep varies model settings only (keys under model.); data and '
                             'evaluation settings need separate evaluations')
        current = config_value(cfg, key)
        for value in values:
            check_value(key, current, value)


def point_config(cfg: Config, point: Point) -> Config:
    """A copy of ``cfg`` with the point's settings."""
    point_cfg = copy.deepcopy(cfg)
    point_cfg.merge_from_dict(copy.deepcopy(point))
    return point_cfg


def describe(point: Point) -> str:
    """``top_k=5, crop_mode='crop'``: the point with each key's last part."""
    return ', '.join(f'{key.split(".")[-1]}={value!r}' for key, value in point.items())


def load_points(cfg: Config, grid_arguments: Sequence[str], zip_values: bool = False) -> Tuple[List[Point], List[str]]:
    """Parse and check ``--grid`` arguments against ``cfg``; returns the points and the grid's keys."""
    grid = parse_grid(grid_arguments)
    check_grid(cfg, grid)
    return grid_points(grid, zip_values), list(grid)
