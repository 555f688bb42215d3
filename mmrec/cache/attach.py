"""Opening a run's cache and attaching it to a REC detector."""
from typing import Optional

import torch

from .keys import config_at
from .rec_cache import RECCache
from .store import EntryStore


def open_cache(directory: Optional[str], memory_entries: int = 512) -> Optional[RECCache]:
    """The run's cache on ``directory`` keeping at most ``memory_entries`` entries in memory too; ``None``
    when the directory cannot be used (warned by :meth:`EntryStore.open`): the evaluation then runs without a
    cache."""
    store = EntryStore.open(directory)
    return None if store is None else RECCache(store, memory_entries=memory_entries)


def attach_cache(model: torch.nn.Module, cache: Optional[RECCache], model_cfg: dict) -> None:
    """Make a REC detector (a :class:`~mmrec.models.scoring.cached_work.CachedWorkMixin`) built from ``model_cfg`` read
    and keep its per-image work in ``cache``; ``None`` detaches it. Call after the checkpoint is loaded: the
    weights are part of the keys.

    The detector's candidates go through its ``detection_cache``; its crops through a
    :class:`~mmrec.cache.CachedEncoder` around its scoring module's encoder (an ensemble as a whole), which the
    detector hands its scoring module in place of the encoder for ``encode_boxes`` (``model.crop_encoder``). The
    wrapper is not set as the module's ``encoder``: ``state_dict`` keys and attribute types stay as they are,
    and detached the detector hands out the bare encoder again."""
    if not hasattr(model, 'image_work'):
        raise TypeError(f'{type(model).__name__} is not a REC detector with cacheable work (RECDetector, '
                        'TextConditionedRCNN)')
    if cache is None:
        model.rec_cache = model.detection_cache = None
        return
    cache.register_encoder(model.scoring_module.encoder, config_at(model_cfg, model.SCORING_ENCODER))
    model.detection_cache = cache.detections_of(model, model_cfg)
    model.rec_cache = cache  # model.crop_encoder(encoder) is now cache.cached_encoder(encoder)
