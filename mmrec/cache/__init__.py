"""The on-disk cache of REC evaluations' expensive per-image work (detector candidates, CLIP crop embeddings).

- :mod:`.keys`: what an entry is keyed by (canonical settings, content digests of weights, inputs, pixels);
- :mod:`.store`: the entry files (safetensors + checks, atomic writes, the directory's manifest);
- :mod:`.rec_cache`: :class:`RECCache`, the run's cache, with a detections cache per model and a crop cache
  per image view.

Use: ``attach_cache(model, RECCache.open(directory), model_cfg)`` (``tools/test.py --cache-dir`` does it through
:class:`~mmrec.engine.RECCacheHook`); ``docs/design.md`` has the contract.
"""
from typing import Optional

import torch

from .keys import canonical, digest, file_digest, module_fingerprint, tensor_digest
from .rec_cache import CropCache, DetectionCache, RECCache, detector_digest, log_summary, without_keys
from .store import CACHE_FORMAT_VERSION, EntryStore


def config_at(config: dict, dotted_key: str):
    """The value at a dotted key of a (nested dict) config, or ``None`` when a level is missing."""
    node = config
    for part in dotted_key.split('.'):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def open_cache(directory: Optional[str]) -> Optional[RECCache]:
    """The run's cache on ``directory``; ``None`` when the directory cannot be used (warned by
    :meth:`EntryStore.open`): the evaluation then runs without a cache."""
    store = EntryStore.open(directory)
    return None if store is None else RECCache(store)


def attach_cache(model: torch.nn.Module, cache: Optional[RECCache], model_cfg: dict) -> None:
    """Make a REC detector (a :class:`~mmrec.models.cached_work.CachedWorkMixin`) built from ``model_cfg`` read
    and keep its per-image work in ``cache``; ``None`` detaches it. Call after the checkpoint is loaded: the
    weights are part of the keys."""
    if not hasattr(model, 'image_work'):
        raise TypeError(f'{type(model).__name__} is not a REC detector with cacheable work (RECTwoStageDetector, '
                        'TextConditionedRCNN)')
    if cache is None:
        model.rec_cache = model.detection_cache = None
        return
    cache.register_encoder(model.scoring_module.encoder, config_at(model_cfg, model.SCORING_ENCODER))
    model.detection_cache = cache.detections_of(model, model_cfg)
    model.rec_cache = cache


__all__ = ['CACHE_FORMAT_VERSION', 'CropCache', 'DetectionCache', 'EntryStore', 'RECCache', 'attach_cache',
           'canonical', 'config_at', 'detector_digest', 'digest', 'file_digest', 'log_summary',
           'module_fingerprint', 'open_cache', 'tensor_digest', 'without_keys']
