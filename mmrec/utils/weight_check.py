"""An evaluation refuses a checkpoint that leaves weights of the model uninitialised.

mmengine loads checkpoints with ``strict=False`` and only logs the missing keys, so a method 1 config given a
method 2 (detector-only) checkpoint evaluated a randomly initialised branch and reported its accuracy. Here the
keys of the model's ``state_dict`` that the checkpoint does not hold are the uninitialised ones: the frozen
pretrained encoders are not among them, as they leave their weights out of ``state_dict`` (and supply them
when loading; see :class:`mmrec.models.encoders.clip_encoder.PretrainedEncoder`). Every evaluation path loads through
here: ``tools/test.py`` and ``tools/sweep.py`` (the runner's ``load_checkpoint``, :func:`guard_runner_checkpoint`),
the sweep's other detector configs and :class:`~mmrec.apis.RECInferencer` (:func:`load_checked_checkpoint`).
``--allow-missing-keys`` (``allow_missing_keys=True``) evaluates anyway, with a warning.
"""
import logging
import re
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import torch
from mmengine.logging import print_log

from .model_wrappers import unwrap_model
from .user_errors import UserError

ALLOW_MISSING_FLAG = '--allow-missing-keys'
DEFAULT_REVISE_KEYS = ((r'^module\.', ''), )
NUM_LISTED = 5


class UninitialisedWeightsError(UserError):
    """A checkpoint leaves weights of the model uninitialised and the user did not allow it."""


def checkpoint_shapes(checkpoint: dict,
                      revise_keys: Iterable[Tuple[str, str]] = DEFAULT_REVISE_KEYS) -> Dict[str, Optional[tuple]]:
    """The parameter and buffer names a loaded checkpoint holds, revised as mmengine revises them, with their
    shapes (``None`` for a value that is not a tensor)."""
    state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else {}
    shapes = {}
    for key, value in state_dict.items():
        if key == '_metadata':
            continue
        for pattern, replacement in revise_keys:
            key = re.sub(pattern, replacement, key)
        shapes[key] = tuple(value.shape) if isinstance(value, torch.Tensor) else None
    return shapes


def uninitialised_keys(model: torch.nn.Module, loaded: Dict[str, Optional[tuple]]) -> List[str]:
    """The names in ``model``'s ``state_dict`` (frozen pretrained encoders leave theirs out) that ``loaded``
    (name -> shape) lacks or holds with another shape (mmengine skips those with a warning). A model that renames
    checkpoint keys while loading (``RECDetector``: a plain detector's keys under ``detector.``) says how with
    ``checkpoint_names(loaded) -> loaded``."""
    model = unwrap_model(model)
    rename = getattr(model, 'checkpoint_names', None)
    loaded = rename(loaded) if callable(rename) else loaded
    missing = []
    for key, value in model.state_dict().items():
        if key not in loaded:
            if not key.endswith('num_batches_tracked'):  # BatchNorm fills it in for checkpoints older than it
                missing.append(key)
        elif isinstance(value, torch.Tensor) and loaded[key] is not None and tuple(value.shape) != loaded[key]:
            missing.append(f'{key} (shape {tuple(value.shape)}, checkpoint {loaded[key]})')
    return sorted(missing)


def describe_missing(missing: Sequence[str], filename: str) -> str:
    """The refusal: how many weights, the first few, and the fix."""
    listed = ', '.join(missing[:NUM_LISTED]) + (f', ... ({len(missing) - NUM_LISTED} more)'
                                                 if len(missing) > NUM_LISTED else '')
    return (f'checkpoint {filename!r} leaves {len(missing)} weight(s) of the model uninitialised (random): '
            f'{listed}; it was saved from another model (e.g. a method 2 detector-only checkpoint given to a '
            f'method 1 config): give the checkpoint trained with this config, or pass {ALLOW_MISSING_FLAG} to '
            'evaluate the partly random model anyway')


def check_loaded_weights(model: torch.nn.Module, checkpoint: dict, filename: str, allow_missing_keys: bool = False,
                         revise_keys: Iterable[Tuple[str, str]] = DEFAULT_REVISE_KEYS) -> List[str]:
    """The uninitialised keys after loading ``checkpoint`` into ``model``; :class:`UninitialisedWeightsError`
    when there are any and ``allow_missing_keys`` is false (else a warning)."""
    missing = uninitialised_keys(model, checkpoint_shapes(checkpoint, revise_keys))
    if missing and not allow_missing_keys:
        raise UninitialisedWeightsError(describe_missing(missing, str(filename)))
    if missing:
        print_log(f'{ALLOW_MISSING_FLAG}: {describe_missing(missing, str(filename))}', logger='current',
                  level=logging.WARNING)
    return missing


def load_checked_checkpoint(model: torch.nn.Module, filename: str, allow_missing_keys: bool = False,
                            revise_keys: Sequence[Tuple[str, str]] = DEFAULT_REVISE_KEYS) -> dict:
    """``mmengine.runner.load_checkpoint`` (mmrec's weights-only loader for local files), then
    :func:`check_loaded_weights`."""
    from mmengine.runner import load_checkpoint

    checkpoint = load_checkpoint(model, filename, map_location='cpu', strict=False, logger='current',
                                 revise_keys=list(revise_keys))
    check_loaded_weights(model, checkpoint, filename, allow_missing_keys, revise_keys)
    return checkpoint


def guard_runner_checkpoint(runner, allow_missing_keys: bool = False) -> None:
    """Make ``runner.load_checkpoint`` (what ``load_from`` goes through) run :func:`check_loaded_weights`."""
    load = runner.load_checkpoint

    def checked_load(filename: str, *args, revise_keys: Optional[list] = None, **kwargs) -> dict:
        revise = list(revise_keys) if revise_keys is not None else list(DEFAULT_REVISE_KEYS)
        checkpoint = load(filename, *args, revise_keys=revise, **kwargs)
        check_loaded_weights(runner.model, checkpoint, filename, allow_missing_keys, revise)
        return checkpoint

    runner.load_checkpoint = checked_load
