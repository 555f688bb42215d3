"""Loading a plain detector's checkpoint into :class:`RECDetector`, whose detector weights sit under ``detector.``.

A checkpoint written by mmdet's ``tools/train.py`` for the detector config (or by the former
``RECTwoStageDetector``) has keys without a prefix (``backbone.``, ``neck.``, ``bbox_head.``, ...); one written
by ``RECDetector`` has them under ``detector.``. :func:`adopt_detector_keys` renames the former in place
(before the modules load them) and refuses, in one line naming a key and the fix, a checkpoint whose
detector weights do not fit the configured detector (another detector's checkpoint).
"""
from typing import Dict, Iterable, List

import torch

from ...utils.user_errors import UserError

#: Where RECDetector keeps the wrapped detector (the attribute, and the prefix of its weights).
DETECTOR_PREFIX = 'detector.'
#: The scorer's keys (its encoder puts the frozen CLIP's weights there while loading); never renamed.
SCORER_PREFIX = 'scorer.'


def adopted_names(keys: Iterable[str], prefix: str = '') -> Dict[str, str]:
    """What :func:`adopt_detector_keys` renames: each key under ``prefix`` (not the scorer's) to
    ``prefix + 'detector.' + key``, when none of them has that prefix yet (a plain detector's checkpoint); else
    nothing."""
    ours = prefix + DETECTOR_PREFIX
    own_keys = [key for key in keys if key.startswith(prefix) and not key.startswith(prefix + SCORER_PREFIX)]
    if not own_keys or any(key.startswith(ours) for key in own_keys):
        return {}
    return {key: ours + key[len(prefix):] for key in own_keys}


def adopt_detector_keys(state_dict: Dict[str, torch.Tensor], prefix: str, detector: torch.nn.Module) -> None:
    """Rename a plain detector checkpoint's keys to ``prefix + 'detector.' + key`` in ``state_dict`` (its
    ``_metadata`` too) when none of its keys has that prefix, then check them against ``detector``.

    Args:
        state_dict: the state dict being loaded (modified in place).
        prefix: the REC detector's own prefix in it (``''`` at the top).
        detector: the wrapped detector, whose ``state_dict`` keys and shapes the checkpoint must match.

    Raises:
        UserError: (a ``ValueError``) a detector weight is missing, unexpected or of another shape.
    """
    ours = prefix + DETECTOR_PREFIX
    renamed = adopted_names(state_dict, prefix)
    if renamed:
        for key, name in renamed.items():
            state_dict[name] = state_dict.pop(key)
        metadata = getattr(state_dict, '_metadata', None)  # module name -> version, read by e.g. BatchNorm
        if metadata is not None:
            for name in [name for name in metadata if name.startswith(prefix) and name[len(prefix):]]:
                relative = name[len(prefix):]
                if not relative.startswith((DETECTOR_PREFIX[:-1], SCORER_PREFIX[:-1])):
                    metadata[ours + relative] = metadata[name]
    check_detector_keys(state_dict, ours, detector)


def check_detector_keys(state_dict: Dict[str, torch.Tensor], prefix: str, detector: torch.nn.Module) -> None:
    """:class:`~mmrec.utils.UserError` (one line) unless the ``prefix``-ed keys of ``state_dict`` are exactly
    ``detector``'s weights with their shapes."""
    expected = detector.state_dict()
    given = {key[len(prefix):]: value for key, value in state_dict.items() if key.startswith(prefix)}
    # (BatchNorm fills in num_batches_tracked for checkpoints written before it existed)
    missing: List[str] = [key for key in expected if key not in given and not key.endswith('num_batches_tracked')]
    unexpected: List[str] = [key for key in given if key not in expected]
    name = type(detector).__name__
    fix = (f'the checkpoint was written for another detector: set model.detector to the config it was trained '
           f'with, or pass a {name} checkpoint of this config')
    if missing or unexpected:
        key, what = (missing[0], 'is missing from the checkpoint') if missing else (unexpected[0],
                                                                                   f'is not a weight of {name}')
        raise UserError(f'checkpoint key {key!r} {what} ({len(missing)} missing, {len(unexpected)} unexpected '
                         f'detector keys): {fix}')
    for key, tensor in expected.items():
        value = given.get(key)
        if hasattr(value, 'shape') and tuple(value.shape) != tuple(tensor.shape):
            raise UserError(f'checkpoint key {key!r} has shape {tuple(value.shape)}, {name} expects '
                             f'{tuple(tensor.shape)} (e.g. another num_classes or width): {fix}')
