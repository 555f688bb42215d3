"""The on-disk cache of REC evaluations' expensive per-image work (detector candidates, CLIP crop embeddings).

- :mod:`.keys`: what an entry is keyed by (canonical settings, content digests of weights, inputs, pixels);
- :mod:`.store`: the entry files (safetensors + checks, atomic writes, the directory's manifest);
- :mod:`.rec_cache`: :class:`RECCache`, the run's cache, with a detections cache per model;
- :mod:`.cached_encoder`: :class:`CachedEncoder`, an image encoder whose crop embeddings go through the cache;
- :mod:`.attach`: :func:`open_cache` and :func:`attach_cache`.

Use: ``attach_cache(model, open_cache(directory), model_cfg)`` (``tools/test.py --cache-dir`` does it through
:class:`~mmrec.engine.RECCacheHook`); ``docs/design.md`` has the contract.
"""
from .attach import attach_cache, open_cache
from .cached_encoder import CachedEncoder
from .keys import (canonical, config_at, digest, environment, file_digest, module_fingerprint, tensor_digest,
                   without_keys)
from .rec_cache import DetectionCache, RECCache, detector_digest, log_summary
from .store import CACHE_FORMAT_VERSION, EntryStore

__all__ = ['CACHE_FORMAT_VERSION', 'CachedEncoder', 'DetectionCache', 'EntryStore', 'RECCache', 'attach_cache',
           'canonical', 'config_at', 'detector_digest', 'digest', 'environment', 'file_digest', 'log_summary',
           'module_fingerprint', 'open_cache', 'tensor_digest', 'without_keys']
