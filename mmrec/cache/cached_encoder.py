"""An image encoder's crop embeddings through the run's cache: :class:`CachedEncoder`.

``CachedEncoder(encoder, cache).encode_boxes(view, boxes, **crop settings)`` answers as
``encoder.encode_boxes`` does (a :class:`~mmrec.models.encoders.clip_encoder.BaseCLIPEncoder`, an
:class:`~mmrec.models.encoders.encoder_ensemble.EncoderEnsemble` or any object with that method), reading the
embeddings of this exact batch of boxes from the :class:`~mmrec.cache.RECCache` when it has them, else
delegating to the encoder and keeping them. An ensemble is wrapped as a whole, but its members' crops are
entries of their own (each member's identity, as a member asked on its own would have): the wrapper asks each
member through the cache and combines their embeddings as the ensemble does (``EncoderEnsemble.combine``).

How it is installed: the wrapper is **not** a module and is never set as a scoring module's ``encoder``
attribute (that would move the encoder's keys in ``state_dict`` and change the attribute's type). It is a
plain object held by the run's cache (:meth:`RECCache.cached_encoder`, one per encoder) and handed out by the
REC detector it is attached to (:meth:`CachedWorkMixin.crop_encoder
<mmrec.models.scoring.cached_work.CachedWorkMixin.crop_encoder>`, set by :func:`~mmrec.cache.attach_cache`),
which passes it to its scoring module (``image_encoder=``) in place of the encoder for ``encode_boxes`` only.
Detached (``attach_cache(model, None)``), the detector passes the bare encoder again.
"""
import weakref
from typing import Callable, Dict, Optional

import torch
from torch import Tensor

from .keys import plain, precision_state, tensor_digest
from .store import CorruptEntry


def embeddings_check(num_boxes: int) -> Callable[[Dict[str, Tensor]], None]:
    """A check that a crops entry holds exactly ``embeddings``: ``(num_boxes, D)`` float32."""
    def check(entry: Dict[str, Tensor]) -> None:
        if set(entry) != {'embeddings'}:
            raise CorruptEntry(f'fields {sorted(entry)}, expected [\'embeddings\']')
        embeddings = entry['embeddings']
        if embeddings.dtype != torch.float32 or embeddings.dim() != 2 or len(embeddings) != num_boxes:
            raise CorruptEntry(f'embeddings {embeddings.dtype} {tuple(embeddings.shape)}, expected float32 '
                               f'({num_boxes}, D)')
    return check


def is_ensemble(encoder: object) -> bool:
    """Whether ``encoder`` combines member encoders (``encoders``) with ``combine`` (an ``EncoderEnsemble``)."""
    return hasattr(encoder, 'encoders') and callable(getattr(encoder, 'combine', None))


class CachedEncoder:
    """``encoder.encode_boxes`` through ``cache`` (see the module docstring).

    Args:
        encoder: the bare encoder (kept as ``encoder``; everything but ``encode_boxes`` is asked of it).
        cache: the run's :class:`~mmrec.cache.RECCache` (its ``'crops'`` entries and counters).
    """

    def __init__(self, encoder: torch.nn.Module, cache) -> None:
        self.encoder = encoder
        self.cache = cache
        self._last_view: Optional[weakref.ref] = None
        self._last_view_key: Optional[dict] = None

    @torch.no_grad()
    def encode_boxes(self, view, boxes: Tensor, *, crop_mode: str = 'crop', context_ratio: float = 0.2,
                     blur_sigma: float = 0.1) -> Tensor:
        """``(K, D)`` embeddings of ``(K, 4)`` boxes (original image pixels) of ``view``, as the encoder's
        ``encode_boxes`` with these crop settings (its defaults) gives them."""
        settings = dict(crop_mode=crop_mode, context_ratio=context_ratio, blur_sigma=blur_sigma)
        return self._embeddings(self.encoder, view, boxes, settings)

    def _embeddings(self, encoder, view, boxes: Tensor, settings: dict) -> Tensor:
        if is_ensemble(encoder):  # each member's crops are entries of their own
            return encoder.combine([self._embeddings(member, view, boxes, settings) for member in encoder.encoders])
        device = getattr(encoder, 'device', view.pixels.device)
        key = dict(kind='crops', encoder=self.cache.encoder_identity(encoder), view=self.view_key(view),
                   settings=plain(settings), boxes=tensor_digest(torch.as_tensor(boxes, dtype=torch.float32)),
                   precision=precision_state(device))
        entry = self.cache.get('crops', key, embeddings_check(len(boxes)))
        if entry is not None:
            return entry['embeddings'].to(device, copy=True)
        embeddings = encoder.encode_boxes(view, boxes, **settings)
        self.cache.stats['crops']['boxes_encoded'] += len(embeddings)
        self.cache.put('crops', key, dict(embeddings=embeddings))
        return embeddings

    def view_key(self, view) -> dict:
        """The pixels the crops are cut from (their content) and how boxes map to them; computed once per view
        (the last view asked is remembered: a detector asks for one image's crops before the next image's)."""
        if self._last_view is None or self._last_view() is not view:
            self._last_view_key = dict(pixels=tensor_digest(view.pixels), to_pixels=plain(view.to_pixels),
                                       resample=view.resample)
            self._last_view = weakref.ref(view)
        return self._last_view_key

    def __repr__(self) -> str:
        return f'{type(self).__name__}({type(self.encoder).__name__})'


__all__ = ['CachedEncoder', 'embeddings_check', 'is_ensemble']
