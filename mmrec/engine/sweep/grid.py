"""The points of a sweep: ``--grid KEY=V1,V2 ...`` parsed, checked against the config, combined.

Every key must be a model setting (``model.…``) that the config has, or a constructor argument of the
registered type of its parent dict (left at its default there, e.g. ``model.roi_head.bbox_head.blend.branch_weight``
where the config's ``blend=dict(type='ObjectnessBlend', ...)`` leaves it out); every value must have the type of the
config's value (an int where an int is, a float or an int where a float is, a string, a bool, a list or
tuple, a dict; ``None`` is allowed, and anything where the config holds ``None``). Errors name the key, before
any work starts.

Every point is evaluated with the base config's checkpoint, so a key that changes which weights the detector has
(its backbone, neck or RPN head: :data:`ARCHITECTURE_PREFIXES`) is refused; any other key whose point leaves
weights uninitialised is refused when the point's model is loaded (:mod:`mmrec.utils.weight_check`). The grid's
size (the product of the value counts, or the common count with ``--zip``) is bounded by :data:`MAX_POINTS`
before any point is made.
"""
import ast
import copy
import itertools
import math
from typing import Any, Dict, List, Sequence, Tuple

from mmengine.config import Config

from ...utils.config_keys import MISSING, registered_default
from ...utils.user_errors import UserError

#: The most points one sweep evaluates (each holds a scoring module and an evaluator).
MAX_POINTS = 10_000
#: Config subtrees whose settings change the detector's weights: the checkpoint would not fit them.
ARCHITECTURE_PREFIXES = ('model.backbone.', 'model.neck.', 'model.rpn_head.')

#: A grid point: dotted config key -> value.
Point = Dict[str, Any]

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
            raise UserError(f'--grid {argument!r}: expected KEY=V1,V2,... (e.g. model.scorer.top_k=5,10,20)')
        if key in grid:
            raise UserError(f'--grid {key}: given twice')
        grid[key] = [parse_value(piece) for piece in split_top_level(values)]
    if not grid:
        raise UserError('a sweep needs at least one --grid KEY=V1,V2,...')
    return grid


def grid_size(grid: Dict[str, List[Any]], zip_values: bool = False) -> int:
    """How many points ``grid`` makes (the product of the value counts; with ``zip_values`` the common count),
    computed without making them; :class:`UserError` above :data:`MAX_POINTS`."""
    lengths = {key: len(values) for key, values in grid.items()}
    if zip_values and len(set(lengths.values())) > 1:
        raise UserError(f'--zip needs as many values for every --grid key, got {lengths}')
    size = max(lengths.values()) if zip_values else math.prod(lengths.values())
    if size > MAX_POINTS:
        raise UserError(f'--grid makes {size:,} points ({" x ".join(str(n) for n in lengths.values())}); a sweep '
                        f'evaluates at most {MAX_POINTS:,}: use fewer values, --zip, or several sweeps')
    return size


def grid_points(grid: Dict[str, List[Any]], zip_values: bool = False) -> List[Point]:
    """The cartesian product of the values (first key slowest), or with ``zip_values`` the i-th value of
    every key together (all keys must have as many values)."""
    keys = list(grid)
    grid_size(grid, zip_values)
    if zip_values:
        combos = zip(*grid.values())
    else:
        combos = itertools.product(*grid.values())
    return [dict(zip(keys, combo)) for combo in combos]


def config_value(cfg: Config, key: str) -> Any:
    """The config's value at a dotted ``key`` (or the registered constructor's default of a missing leaf);
    ``UserError`` (a ``ValueError``) naming the key when it is not a setting of the config."""
    *parents, leaf = key.split('.')
    node: Any = cfg.to_dict() if isinstance(cfg, Config) else cfg
    for depth, part in enumerate(parents):
        if not isinstance(node, dict) or part not in node:
            where = '.'.join(parents[:depth]) or 'the config'
            raise UserError(f'--grid {key}: not in the config ({where} has no {part!r})')
        node = node[part]
    if not isinstance(node, dict):
        raise UserError(f'--grid {key}: not in the config ({".".join(parents)} is not a dict)')
    if leaf in node:
        return node[leaf]
    default = registered_default(node, leaf)
    if default is MISSING:
        known = ', '.join(sorted(str(name) for name in node)) or 'nothing'
        raise UserError(f'--grid {key}: not in the config, nor an argument of {node.get("type", "its parent")} '
                         f'({".".join(parents)} has: {known})')
    return default


def _type_name(value: Any) -> str:
    return type(value).__name__


def check_value(key: str, current: Any, value: Any) -> None:
    """``UserError`` (a ``ValueError``) naming ``key`` when ``value`` does not have the type of the config's
    ``current``."""
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
        raise UserError(f'--grid {key}: value {value!r} is a {_type_name(value)}, but the config\'s {key} is a '
                         f'{_type_name(current)} ({current!r})')


def check_grid(cfg: Config, grid: Dict[str, List[Any]]) -> None:
    """Check every key and value of ``grid`` against ``cfg`` (see the module docstring)."""
    for key, values in grid.items():
        if not key.startswith('model.'):
            raise UserError(f'--grid {key}: a sweep varies model settings only (keys under model.); data and '
                             'evaluation settings need separate evaluations')
        if key.startswith(ARCHITECTURE_PREFIXES):
            raise UserError(f'--grid {key}: changes the detector\'s architecture, whose weights come from the one '
                            'checkpoint of the sweep (the new ones would be random); evaluate each architecture '
                            'with its own checkpoint (tools/test.py)')
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
    grid_size(grid, zip_values)  # before anything else: a million points are refused, never made
    check_grid(cfg, grid)
    return grid_points(grid, zip_values), list(grid)
