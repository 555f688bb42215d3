"""What the REC detectors share to split their inference into cacheable work and a scoring step.

Both detectors answer an image in two steps:

1. ``image_work(batch_inputs, batch_data_samples)``: the expensive, scoring-independent work of each image
   (method 2: the detector's candidates; method 1: the RPN's proposals with objectness and the branch's
   outputs), read from the run's :class:`~mmrec.cache.RECCache` when it has it (``detection_cache``);
2. ``score_samples(scoring_module, batch_inputs, batch_data_samples, works)``: the answers of a scoring module
   (method 2's :class:`~mmrec.models.CLIPProposalScorer`, method 1's
   :class:`~mmrec.models.CLIPTextConditionedHead`) from that work, its crop embeddings going through the
   cache: the detector hands the scoring module :meth:`CachedWorkMixin.crop_encoder` of its encoder
   (``image_encoder=``), a :class:`~mmrec.cache.CachedEncoder` wrapper when a cache is attached.

``predict`` is step 1 then step 2 with the model's own scoring module; a sweep (:mod:`mmrec.engine.sweep`)
runs step 1 once per image and step 2 once per grid point, each point with a scoring module built by
``build_scoring_module`` from its config. A detector declares, for the cache keys and the sweep (taken from its
scoring module's class where that knows: method 1's head declares ``SCORING_ARGS`` / ``WORK_ARGS`` and both
scoring modules ``TEXT_INDEPENDENT_KEYS`` next to their constructors):

- ``CACHE_SCORING_KEYS``: dotted keys of its config that only the scoring step reads (left out of the
  detector-side key, and what a sweep may vary without running the detector again);
- ``CACHE_SCORING_MODULES``: names of the sub-modules whose weights only the scoring step uses;
- ``SCORING_MODULE`` / ``SCORING_ENCODER``: where its scoring module and that module's encoder are (attribute
  path on the model, which is also the config key under ``model``);
- ``TEXT_INDEPENDENT_KEYS``: keys of the scoring module's config that do not change which texts it encodes,
  in which calls (sweep points differing only in them share their text embeddings).
"""
from typing import Callable, Dict, List, Optional, Sequence

import torch
from torch import Tensor

from ..crops.crop_geometry import CropGeometry


class CachedWorkMixin:
    """The cache plumbing of a REC detector (see the module docstring). Set by :func:`mmrec.cache.attach_cache`:

    Attributes:
        rec_cache: the run's :class:`~mmrec.cache.RECCache`, or ``None`` (nothing cached).
        detection_cache: this model's :class:`~mmrec.cache.DetectionCache`, or ``None``.
    """

    CACHE_SCORING_KEYS: Sequence[str] = ()
    CACHE_SCORING_MODULES: Sequence[str] = ()
    SCORING_MODULE: str = ''
    SCORING_ENCODER: str = ''
    TEXT_INDEPENDENT_KEYS: Sequence[str] = ()

    rec_cache = None
    detection_cache = None

    @property
    def scoring_module(self) -> torch.nn.Module:
        """The model's own scoring module (``SCORING_MODULE``)."""
        module = self
        for name in self.SCORING_MODULE.split('.'):
            module = getattr(module, name)
        return module

    def geometry_for(self, encoder: torch.nn.Module) -> CropGeometry:
        """The crop geometry of a scoring module's encoder: the model's own, or one built the same way for
        another encoder (a sweep point with another backbone or ``crop_source``)."""
        if encoder is self.scoring_module.encoder:
            return self.crop_geometry
        return CropGeometry.for_detector(self.data_preprocessor, encoder)

    def crop_encoder(self, encoder: torch.nn.Module):
        """What embeds the crops of a scoring module with ``encoder`` (its ``encode_boxes``): with a
        ``rec_cache``, the cache's :class:`~mmrec.cache.CachedEncoder` around it (a plain object, held by the
        cache, used in place of the encoder for ``encode_boxes`` only: the scoring module keeps its bare
        ``encoder``, so ``state_dict`` keys do not change); without, the encoder itself."""
        return encoder if self.rec_cache is None else self.rec_cache.cached_encoder(encoder)

    def cached_detections(self, batch_inputs: Tensor, batch_data_samples: Sequence,
                          compute: Callable[[], List[Dict[str, Tensor]]]) -> List[Dict[str, Tensor]]:
        """Per sample, the detector-side tensors: from the cache when every sample of the batch has an entry,
        else ``compute()`` for the whole batch (as an uncached run does), then kept."""
        if self.detection_cache is None:
            return compute()
        keys = self.detection_cache.keys(batch_inputs, [sample.metainfo for sample in batch_data_samples])
        entries: Optional[List[Dict[str, Tensor]]] = self.detection_cache.read_batch(keys, batch_inputs.device)
        if entries is None:
            entries = compute()
            self.detection_cache.write_batch(keys, entries)
        return entries
