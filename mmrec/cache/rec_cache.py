"""The cache of a run's expensive per-image work: detector candidates and CLIP crop embeddings.

A REC evaluation spends its time on two things that no scoring setting changes: the detector's candidates of
each image and the CLIP embeddings of their crops. :class:`RECCache` keeps both, in memory (a small LRU, so
that the points of a sweep share an image's work) and, when given an :class:`~mmrec.cache.store.EntryStore`,
on disk for later runs. Entries are keyed by what decides their value (:mod:`mmrec.cache.keys`):

- **detections** (``DetectionCache``, one per model): the model's detector-side settings (its config without
  the scoring keys it declares, :func:`detector_digest`), the content of every weight outside its scoring
  modules (the checkpoint as loaded), mmrec's version, and per image the detector's input tensor (its
  content), its shapes and scale factor, image id and file;
- **crop embeddings** (``CropCache``, one per image view): the encoder's identity (its config where known, its
  class, plain settings and the content of its weights: :meth:`RECCache.encoder_identity`), the content of the
  pixels the crops are cut from and how boxes map to them (the :class:`~mmrec.models.crop_geometry.CropView`),
  the crop settings (mode, context, blur, ...) and the exact batch of boxes.

Crop embeddings are keyed by the exact batch of boxes encoded in one call, not box by box: CPU matrix products
are not batch-invariant (the same crop embedded in a batch of 5 or of 20 differs by about 1e-6), and a cached
or swept evaluation must give the numbers of a separate one bit for bit. A smaller ``top_k`` than a cached
one is therefore a batch of its own, computed once.
"""
import logging
import weakref
from collections import Counter, OrderedDict
from typing import Callable, Dict, Iterable, List, Optional, Sequence

import torch
from mmengine.logging import print_log
from torch import Tensor

from ..version import __version__
from .keys import digest, module_fingerprint, plain, simple_attributes, tensor_digest
from .store import CACHE_FORMAT_VERSION, EntryStore

#: Metainfo keys of a sample that identify its image and how it was resized for the detector.
IMAGE_META_KEYS = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'pad_shape',
                   'batch_input_shape', 'flip', 'flip_direction')


def without_keys(config: dict, dotted_keys: Iterable[str]) -> dict:
    """A plain copy of ``config`` without the (dotted) ``dotted_keys`` (missing ones are ignored)."""
    config = plain(config)
    for dotted in dotted_keys:
        *parents, leaf = dotted.split('.')
        node = config
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(leaf, None)
    return config


def detector_digest(model: torch.nn.Module, model_cfg: dict, weights: bool = True) -> str:
    """What decides a REC detector's candidates: its config without the scoring keys it declares
    (``CACHE_SCORING_KEYS``), the content of its weights outside its scoring modules
    (``CACHE_SCORING_MODULES``; left out with ``weights=False``), its class, mmrec's version and the cache
    format."""
    scoring_keys = getattr(model, 'CACHE_SCORING_KEYS', ())
    scoring_modules = getattr(model, 'CACHE_SCORING_MODULES', ())
    return digest(dict(cls=f'{type(model).__module__}.{type(model).__qualname__}',
                       config=without_keys(model_cfg, scoring_keys),
                       weights=module_fingerprint(model, skip_prefixes=scoring_modules) if weights else None,
                       mmrec=__version__, format=CACHE_FORMAT_VERSION))


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
        #: per kind ('detections', 'crops'): 'memory', 'disk', 'computed' entries, 'boxes_encoded'
        self.stats: Dict[str, Counter] = {'detections': Counter(), 'crops': Counter()}

    # -- identities ---------------------------------------------------------------------------------------
    def register_encoder(self, encoder: torch.nn.Module, config: Optional[dict]) -> None:
        """Record the config an encoder was built from (part of its identity)."""
        self._encoder_configs[encoder] = plain(config)
        self._encoder_ids.pop(encoder, None)

    def encoder_identity(self, encoder: torch.nn.Module) -> str:
        """Digest of what decides an encoder's image embeddings: its class, its registered config (if any),
        its plain settings and the content of its weights (computed once per encoder object)."""
        identity = self._encoder_ids.get(encoder)
        if identity is None:
            # in memory only, the entries die with the run, as the encoder object does: no need to hash weights
            weights = module_fingerprint(encoder) if self.store is not None else f'object {id(encoder)}'
            identity = digest(dict(cls=f'{type(encoder).__module__}.{type(encoder).__qualname__}',
                                   config=self._encoder_configs.get(encoder), settings=simple_attributes(encoder),
                                   weights=weights))
            self._encoder_ids[encoder] = identity
        return identity

    # -- entries ------------------------------------------------------------------------------------------
    def get(self, kind: str, key: dict) -> Optional[Dict[str, Tensor]]:
        """The entry of ``key`` from memory, else from disk; ``None`` when neither has a valid one."""
        name = digest(key)
        entry = self._memory.get(name)
        if entry is not None:
            self._memory.move_to_end(name)
            self.stats[kind]['memory'] += 1
            return entry
        if self.store is not None:
            entry = self.store.read(name, key)
            if entry is not None:
                self.stats[kind]['disk'] += 1
                self._remember(name, entry)
        return entry

    def put(self, kind: str, key: dict, entry: Dict[str, Tensor]) -> None:
        """Keep a computed entry in memory and write it to disk (when there is a store)."""
        name = digest(key)
        entry = {field: tensor.detach() for field, tensor in entry.items()}
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

    def crops(self) -> 'CropCache':
        """A crop-embedding cache for one image view (``dataclasses.replace(view, cache=cache.crops())``)."""
        return CropCache(self)

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


def image_meta(metainfo: dict) -> dict:
    """The parts of a sample's metainfo that identify its image and its resize (:data:`IMAGE_META_KEYS`)."""
    return {key: plain(metainfo.get(key)) for key in IMAGE_META_KEYS}


class DetectionCache:
    """The cached candidates of one model (its detector-side digest), image by image.

    An entry is a dict of tensors (the model decides which: method 2's ``bboxes``/``scores``, method 1's
    proposals and branch outputs), keyed by the model's digest and the image's detector input.
    """

    def __init__(self, cache: RECCache, detector: str) -> None:
        self.cache = cache
        self.detector = detector

    def key(self, image: Tensor, metainfo: dict) -> dict:
        """The key of one image's entry: the detector, the ``(C, H, W)`` network input's content and its
        metainfo (:func:`image_meta`)."""
        return dict(kind='detections', detector=self.detector, input=tensor_digest(image),
                    meta=image_meta(metainfo))

    def read_batch(self, images: Sequence[Tensor], metainfos: Sequence[dict]) -> Optional[List[Dict[str, Tensor]]]:
        """Every image's entry, or ``None`` when any is missing (the batch is then computed as a whole, as an
        uncached run computes it)."""
        entries = []
        for image, metainfo in zip(images, metainfos):
            entry = self.cache.get('detections', self.key(image, metainfo))
            if entry is None:
                return None
            entries.append({name: tensor.to(image.device, copy=True) for name, tensor in entry.items()})
        return entries

    def write_batch(self, images: Sequence[Tensor], metainfos: Sequence[dict],
                    entries: Sequence[Dict[str, Tensor]]) -> None:
        for image, metainfo, entry in zip(images, metainfos, entries):
            self.cache.put('detections', self.key(image, metainfo), entry)


class CropCache:
    """The cached crop embeddings of one image view: a :class:`~mmrec.models.crop_geometry.CropView` holds one
    in its ``cache`` field, and :meth:`BaseCLIPEncoder.encode_boxes
    <mmrec.models.clip_encoder.BaseCLIPEncoder.encode_boxes>` asks it."""

    def __init__(self, cache: RECCache) -> None:
        self.cache = cache
        self._view_key: Optional[dict] = None

    def view_key(self, view) -> dict:
        """The pixels the crops are cut from (their content) and how boxes map to them (computed once)."""
        if self._view_key is None:
            self._view_key = dict(pixels=tensor_digest(view.pixels), to_pixels=plain(view.to_pixels),
                                  resample=view.resample)
        return self._view_key

    def embeddings(self, encoder: torch.nn.Module, view, boxes: Tensor, settings: dict,
                   compute: Callable[[], Tensor]) -> Tensor:
        """``(K, D)`` embeddings of ``(K, 4)`` boxes of ``view``: the cached ones, else ``compute()`` (then kept
        and written).

        Args:
            encoder: the encoder asked (its identity is part of the key).
            boxes: the exact batch of boxes of the call.
            settings: the crop settings of the call (``crop_mode``, ``context_ratio``, ...).
        """
        key = dict(kind='crops', encoder=self.cache.encoder_identity(encoder), view=self.view_key(view),
                   settings=plain(settings), boxes=tensor_digest(torch.as_tensor(boxes, dtype=torch.float32)))
        entry = self.cache.get('crops', key)
        if entry is not None:
            return entry['embeddings'].to(getattr(encoder, 'device', view.pixels.device))
        embeddings = compute()
        self.cache.stats['crops']['boxes_encoded'] += len(embeddings)
        self.cache.put('crops', key, dict(embeddings=embeddings))
        return embeddings


def log_summary(cache: Optional[RECCache]) -> None:
    """Log :meth:`RECCache.summary` (nothing without a cache)."""
    if cache is not None:
        print_log(cache.summary(), logger='current', level=logging.INFO)


__all__ = ['RECCache', 'DetectionCache', 'CropCache', 'detector_digest', 'image_meta', 'without_keys', 'log_summary']
