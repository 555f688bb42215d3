"""Let mmengine 0.10.7 load its own checkpoints on torch >= 2.6.

torch 2.6 made ``torch.load(..., weights_only=True)`` the default. mmengine 0.10.7 calls ``torch.load``
without the argument, and its checkpoints hold more than tensors (the ``message_hub`` with ``HistoryBuffer``
objects, numpy scalars, the config text), so ``load_from=...`` works for plain state dicts but ``--resume``
fails with "Unsupported global: mmengine.logging.history_buffer.HistoryBuffer".

Rather than editing site-packages, mmrec re-registers mmengine's loader for local paths (the ``''`` scheme
of ``CheckpointLoader``) with one that passes ``weights_only=False``, which is what mmengine did on older
torch. Checkpoints are pickles: load only files you trust, as with mmengine itself.
"""
import os.path as osp
from typing import Any, Callable, Optional, Union

import torch
from mmengine.runner.checkpoint import CheckpointLoader

MapLocation = Optional[Union[str, torch.device, Callable]]


def load_local_checkpoint(filename: str, map_location: MapLocation = None) -> Any:
    """Load a local checkpoint the way mmengine expects, with full unpickling."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found')
    return torch.load(filename, map_location=map_location, weights_only=False)


def patch_mmengine_checkpoint_loading() -> None:
    """Route mmengine's local-file checkpoint loading through :func:`load_local_checkpoint`.

    Idempotent; called once by ``import mmrec``.
    """
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)
