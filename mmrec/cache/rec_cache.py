"""The cache of a run's expensive per-image work: detector candidates and CLIP crop embeddings.

A REC evaluation spends its time on two things that no scoring setting changes: the detector's candidates of
each image and the CLIP embeddings of their crops. :class:`RECCache` keeps both, in memory (a small LRU, so
that the points of a sweep share an image's work) and, when given an :class:`~mmrec.cache.store.EntryStore`,
on disk for later runs. Entries are keyed by what decides their value (:mod:`mmrec.cache.keys`):

- every entry: the code and libraries that compute it (:func:`~mmrec.cache.keys.environment`: mmrec's
  version, a digest of its Python sources, the versions of torch, mmcv, mmdet, mmengine, transformers,
  open_clip, ...);
- **detections** (``DetectionCache``, one per model): the model's detector-side settings (its config without
  the scoring keys it declares, :func:`detector_digest`), the content of every weight outside its scoring
  modules (the checkpoint as loaded), and per image the detector's input tensor (its content), its shapes and
  scale factor, image id and file, the inputs of the batch it was computed in, and the device type and
  autocast state in effect;
- **crop embeddings** (asked through a :class:`~mmrec.cache.cached_encoder.CachedEncoder` wrapping the
  encoder, :meth:`RECCache.cached_encoder`): the encoder's identity (its config where known, its
  class and every constructor argument, plain settings and the content of its weights:
  :meth:`RECCache.encoder_identity`), the content of the pixels the crops are cut from and how boxes map to
  them (the :class:`~mmrec.models.crops.crop_geometry.CropView`), the crop settings (mode, context, blur, ...), the
  exact batch of boxes, and the encoder's device type and the autocast state in effect.

Crop embeddings are keyed by the exact batch of boxes encoded in one call, not box by box: CPU matrix products
are not batch-invariant (the same crop embedded in a batch of 5 or of 20 differs by about 1e-6), and a cached
or swept evaluation must give the numbers of a separate one bit for bit. A smaller ``top_k`` than a cached
one is therefore a batch of its own, computed once.
"""
import logging
import weakref
from collections import Counter, OrderedDict
from typing import Any, Callable, Dict, List, Optional, Sequence

import torch
from mmengine.logging import print_log
from torch import Tensor

from .keys import (digest, environment, module_fingerprint, plain, precision_state, simple_attributes, tensor_digest,
                   without_keys)
from .cached_encoder import CachedEncoder
from .store import CACHE_FORMAT_VERSION, CorruptEntry, EntryStore

#: Metainfo keys of a sample that identify its image and how it was resized for the detector.
IMAGE_META_KEYS = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'pad_shape',
                   'batch_input_shape', 'flip', 'flip_direction')


def detector_digest(model: torch.nn.Module, model_cfg: dict, weights: bool = True) -> str:
    """What decides a REC detector's candidates: its config without the scoring keys it declares
    (``CACHE_SCORING_KEYS``), the content of its weights outside its scoring modules
    (``CACHE_SCORING_MODULES``; left out with ``weights=False``), its class and the cache format (every key
    also holds the code and library versions, :meth:`RECCache.full_key`)."""
    scoring_keys = getattr(model, 'CACHE_SCORING_KEYS', ())
    scoring_modules = getattr(model, 'CACHE_SCORING_MODULES', ())
    return digest(dict(cls=f'{type(model).__module__}.{type(model).__qualname__}',
                       config=without_keys(model_cfg, scoring_keys),
                       weights=module_fingerprint(model, skip_prefixes=scoring_modules) if weights else None,
                       format=CACHE_FORMAT_VERSION))


class RECCache:
    """A run's cache (see the module docstring).

    Args:
        store: the entries on disk, or ``None`` to keep them in memory only (a sweep without ``--cache-dir``).
        memory_entries: most entries kept in memory (least recently used dropped first).
    """

    def __init__(self, store: Optional[EntryStore] = None, memory_entries: int = 512) -> None:
        self.store = store
        self.memory_entries = int(memory_entries)
        self._memory: 'OrderedDict[str, Dict[str, Tensor]]' = OrderedDict()
        self._encoder_configs: 'weakref.WeakKeyDictionary' = weakref.WeakKeyDictionary()
        self._encoder_ids: 'weakref.WeakKeyDictionary' = weakref.WeakKeyDictionary()
        self._cached_encoders: 'weakref.WeakKeyDictionary' = weakref.WeakKeyDictionary()
        #: per kind ('detections', 'crops'): 'memory', 'disk', 'computed' entries, 'boxes_encoded'
        self.stats: Dict[str, Counter] = {'detections': Counter(), 'crops': Counter()}

    # -- identities ---------------------------------------------------------------------------------------
    def register_encoder(self, encoder: torch.nn.Module, config: Optional[dict]) -> None:
        """Record the config an encoder was built from (part of its identity)."""
        self._encoder_configs[encoder] = plain(config)
        self._encoder_ids.pop(encoder, None)

    def encoder_identity(self, encoder: torch.nn.Module) -> str:
        """Digest of what decides an encoder's image embeddings: its class and constructor arguments
        (``cache_identity()``, :class:`~mmrec.models.encoders.init_arguments.RecordsInitArguments`), its registered
        config (if any), its plain settings and the content of its weights (computed once per encoder object)."""
        identity = self._encoder_ids.get(encoder)
        if identity is None:
            # in memory only, the entries die with the run, as the encoder object does: no need to hash weights
            weights = module_fingerprint(encoder) if self.store is not None else f'object {id(encoder)}'
            constructed = encoder.cache_identity() if hasattr(encoder, 'cache_identity') else None
            identity = digest(dict(cls=f'{type(encoder).__module__}.{type(encoder).__qualname__}',
                                   constructed=constructed, config=self._encoder_configs.get(encoder),
                                   settings=simple_attributes(encoder), weights=weights))
            self._encoder_ids[encoder] = identity
        return identity

    # -- entries ------------------------------------------------------------------------------------------
    @staticmethod
    def full_key(key: dict) -> dict:
        """``key`` with the :func:`~mmrec.cache.keys.environment` that computes its entry."""
        return dict(key, environment=environment())

    def get(self, kind: str, key: dict,
            check: Optional[Callable[[Dict[str, Tensor]], None]] = None) -> Optional[Dict[str, Tensor]]:
        """The entry of ``key`` from memory, else from disk (which must pass ``check``, see
        :meth:`EntryStore.read`); ``None`` when neither has a valid one."""
        key = self.full_key(key)
        name = digest(key)
        entry = self._memory.get(name)
        if entry is not None:
            self._memory.move_to_end(name)
            self.stats[kind]['memory'] += 1
            return entry
        if self.store is not None:
            entry = self.store.read(name, key, check)
            if entry is not None:
                self.stats[kind]['disk'] += 1
                self._remember(name, entry)
        return entry

    def put(self, kind: str, key: dict, entry: Dict[str, Tensor]) -> None:
        """Keep a computed entry in memory and write it to disk (when there is a store)."""
        key = self.full_key(key)
        name = digest(key)
        entry = {field: tensor.detach().clone() for field, tensor in entry.items()}  # the caller keeps its own
        self.stats[kind]['computed'] += 1
        self._remember(name, entry)
        if self.store is not None:
            self.store.write(name, key, entry)

    def _remember(self, name: str, entry: Dict[str, Tensor]) -> None:
        self._memory[name] = entry
        self._memory.move_to_end(name)
        while len(self._memory) > self.memory_entries:
            self._memory.popitem(last=False)

    # -- per model / per image ----------------------------------------------------------------------------
    def detections_of(self, model: torch.nn.Module, model_cfg: dict) -> 'DetectionCache':
        """The detections cache of ``model`` built from ``model_cfg`` (see :func:`detector_digest`)."""
        if self.store is None:  # in memory only: the model object identifies its weights for the run
            return DetectionCache(self, digest(detector_digest(model, model_cfg, weights=False), id(model)))
        return DetectionCache(self, detector_digest(model, model_cfg))

    def cached_encoder(self, encoder: torch.nn.Module) -> CachedEncoder:
        """``encoder`` with its crop embeddings through this cache (:class:`CachedEncoder`, one per encoder)."""
        wrapper = self._cached_encoders.get(encoder)
        if wrapper is None:
            wrapper = self._cached_encoders[encoder] = CachedEncoder(encoder, self)
        return wrapper

    def summary(self) -> str:
        """One line of what was read and computed (for the logs)."""
        parts = []
        for kind, counts in self.stats.items():
            read = counts['memory'] + counts['disk']
            text = f"{kind}: {read} read ({counts['disk']} from disk), {counts['computed']} computed"
            if kind == 'crops':
                text += f" ({counts['boxes_encoded']} boxes encoded)"
            parts.append(text)
        store = self.store
        if store is not None:
            disk = ', '.join(f'{name} {count}' for name, count in sorted(store.stats.items()))
            parts.append(f'disk entries at {store.root}: {disk or "none used"}')
        else:
            parts.append('in memory only')
        return 'rec_cache: ' + '; '.join(parts)


def check_detections(entry: Dict[str, Tensor]) -> None:
    """:class:`CorruptEntry` unless a detections entry's ``bboxes`` are ``(M, 4)`` and its ``scores`` ``(M,)``
    floating-point tensors (those of its fields that it has; method 1's entries hold others)."""
    bboxes, scores = entry.get('bboxes'), entry.get('scores')
    for name, tensor in (('bboxes', bboxes), ('scores', scores)):
        if tensor is not None and not tensor.is_floating_point():
            raise CorruptEntry(f'{name} of dtype {tensor.dtype}, expected floating point')
    if bboxes is not None and (bboxes.dim() != 2 or bboxes.shape[1] != 4):
        raise CorruptEntry(f'bboxes of shape {tuple(bboxes.shape)}, expected (M, 4)')
    if scores is not None and (scores.dim() != 1 or (bboxes is not None and len(scores) != len(bboxes))):
        raise CorruptEntry(f'scores of shape {tuple(scores.shape)}, expected (M,) with M boxes')


def image_meta(metainfo: dict) -> dict:
    """The parts of a sample's metainfo that identify its image and its resize (:data:`IMAGE_META_KEYS`)."""
    return {key: plain(metainfo.get(key)) for key in IMAGE_META_KEYS}


class DetectionCache:
    """The cached candidates of one model (its detector-side digest), image by image (a text-prompted
    detector's: image and prompt, :meth:`prompt_keys`).

    An entry is a dict of tensors (the model decides which: method 2's ``bboxes``/``scores``, method 1's
    proposals and branch outputs), keyed by the model's digest and the image's detector input.
    """

    def __init__(self, cache: RECCache, detector: str) -> None:
        self.cache = cache
        self.detector = detector

    def keys(self, images: Sequence[Tensor], metainfos: Sequence[dict]) -> List[dict]:
        """The keys of a batch's entries, one per image: the detector, the ``(C, H, W)`` network input's
        content and its metainfo (:func:`image_meta`), the input digests of the whole batch it is computed in
        (in order: CPU kernels are not batch-invariant, so the same image in another batch is another entry),
        and the device type and autocast state in effect."""
        batch = [tensor_digest(image) for image in images]
        return [dict(kind='detections', detector=self.detector, input=input_digest, meta=image_meta(metainfo),
                     batch=batch, precision=precision_state(image.device))
                for image, input_digest, metainfo in zip(images, batch, metainfos)]

    def prompt_keys(self, image: Tensor, metainfo: dict, prompts: Sequence[Any]) -> List[dict]:
        """The keys of a text-prompted detector's entries for one image, one per prompt: the detector, the
        image's input and metainfo, the prompt (a phrase or a list of class names), the prompts computed with
        it in one forward (in order: a batch of texts is padded together), and the precision state."""
        image_key = dict(kind='detections', detector=self.detector, input=tensor_digest(image),
                         meta=image_meta(metainfo), prompts=plain(list(prompts)),
                         precision=precision_state(image.device))
        return [dict(image_key, prompt=plain(prompt)) for prompt in prompts]

    def read_batch(self, keys: Sequence[dict], device: torch.device) -> Optional[List[Dict[str, Tensor]]]:
        """Every entry of a batch's :meth:`keys`, on ``device``, or ``None`` when any is missing (the batch is
        then computed as a whole, as an uncached run computes it)."""
        entries = []
        for key in keys:
            entry = self.cache.get('detections', key, check_detections)
            if entry is None:
                return None
            entries.append({name: tensor.to(device, copy=True) for name, tensor in entry.items()})
        return entries

    def write_batch(self, keys: Sequence[dict], entries: Sequence[Dict[str, Tensor]]) -> None:
        """Keep each entry of a batch under its key (the batch's :meth:`keys`, made once for the read)."""
        for key, entry in zip(keys, entries):
            self.cache.put('detections', key, entry)


def log_summary(cache: Optional[RECCache]) -> None:
    """Log :meth:`RECCache.summary` (nothing without a cache)."""
    if cache is not None:
        print_log(cache.summary(), logger='current', level=logging.INFO)


__all__ = ['RECCache', 'DetectionCache', 'detector_digest', 'image_meta', 'log_summary']
