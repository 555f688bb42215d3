"""Several frozen encoders behind one encoder's interface, their cosine similarities combined by weight.

ReCLIP sums the scores of RN50x16 and ViT-B/32; RedCircle and FGVP ensemble ViT-L/14@336 and RN50x16. With
weights ``w_i`` (normalised to sum to 1) the ensemble's embedding of a box or a text is the concatenation of
the members' unit embeddings, each scaled by ``sqrt(w_i)``::

    e(x) = [sqrt(w_1) u_1(x), ..., sqrt(w_n) u_n(x)]        (unit length: sum_i w_i |u_i|^2 = 1)
    e(box) . e(text) = sum_i w_i cos_i(box, text)

so ``encode_boxes(...) @ encode_texts(...).T`` is the weighted sum of the members' cosines, rows stay unit
length, and every consumer of one encoder takes an ensemble unchanged: method 2's
:class:`~mmrec.models.method2.proposal_scorer.CLIPProposalScorer` (its prompt-template means are renormalised member
by member through :meth:`EncoderEnsemble.normalize`) and method 1's
:class:`~mmrec.models.method1.text_conditioned_bbox_head.CLIPTextConditionedHead` (its spatial prompts average cosines,
which are linear in the embeddings; its trainable branch learns an embedding in the concatenated space). Equal
weights give the plain sum of the members' cosines divided by their number: the same ranking as the sum.

Each member crops and embeds its own boxes (its own crop size, normalisation and embedding width) from the
same :class:`~mmrec.models.crops.crop_geometry.CropView`: the detector's
:class:`~mmrec.models.crops.crop_geometry.CropGeometry` reads one ``crop_source``, so the members must agree on it
(``crop_source=`` on the ensemble sets it for every member config).
"""
import math
from typing import List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn

from ..crops.crop_geometry import CropView, check_crop_source
from .init_arguments import RecordsInitArguments

#: What a member must have to stand where one encoder does.
ENCODER_INTERFACE = ('crop_source', 'encode_texts', 'encode_boxes', 'normalize', 'logit_scale', 'logit_bias')


@MODELS.register_module()
class EncoderEnsemble(RecordsInitArguments, BaseModule):
    """Frozen encoders whose cosine similarities are combined with ``weights`` (see the module docstring).

    Args:
        encoders: configs of the members (e.g. ``dict(type='OpenCLIPEncoder', ...)``,
            ``dict(type='CLIPEncoder', ...)``), or built encoders.
        weights: one positive weight per member, normalised to sum to 1; ``None``: equal weights.
        crop_source: ``None`` (the members' own, which must agree) or ``'input'`` / ``'original'`` set on
            every member config.
    """

    def __init__(self, encoders: Sequence[Union[dict, nn.Module]], weights: Optional[Sequence[float]] = None,
                 crop_source: Optional[str] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not encoders:
            raise ValueError('EncoderEnsemble needs at least one encoder')
        self.encoders = nn.ModuleList([_build_member(member, crop_source, index)
                                       for index, member in enumerate(encoders)])
        self.weights = _normalised_weights(weights, len(self.encoders))
        sources = [member.crop_source for member in self.encoders]
        if len(set(sources)) != 1:
            members = ', '.join(f'{type(m).__name__}: {s!r}' for m, s in zip(self.encoders, sources))
            raise ValueError(f'EncoderEnsemble: the members crop from different sources ({members}); the detector '
                             'gives one crop view per image: set the same crop_source on every member, or '
                             "crop_source='input' / 'original' on the ensemble")
        self.crop_source = sources[0]
        #: each member's embedding width (one text encoded per member): the blocks of the ensemble's embedding
        self.member_dims = [int(member.encode_texts(['']).shape[-1]) for member in self.encoders]

    # -- the encoder interface ------------------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return self.encoders[0].device

    @property
    def embed_dim(self) -> int:
        """Width of the ensemble's embedding: the sum of the members'."""
        return sum(self.member_dims)

    def combine(self, embeddings: List[Tensor]) -> Tensor:
        """Members' ``(..., D_i)`` unit embeddings -> ``(..., sum D_i)``, block i scaled by ``sqrt(w_i)`` (what
        :meth:`encode_boxes` returns from theirs; a crop cache asks the members one by one and combines here,
        :class:`~mmrec.cache.CachedEncoder`)."""
        return torch.cat([math.sqrt(w) * e.float().to(self.device) for w, e in zip(self.weights, embeddings)],
                         dim=-1)

    @torch.no_grad()
    def encode_texts(self, texts: Sequence[str]) -> Tensor:
        """``(N, sum D_i)`` unit-length text embeddings (each member's cached by the member)."""
        texts = list(texts)
        if not texts:
            return torch.zeros(0, self.embed_dim, device=self.device)
        return self.combine([member.encode_texts(texts) for member in self.encoders])

    @torch.no_grad()
    def encode_boxes(self, view: CropView, boxes: Tensor, **crop_options) -> Tensor:
        """``(K, sum D_i)`` unit-length embeddings of ``(K, 4)`` boxes in original image pixels: every member
        crops them from ``view`` at its own size and embeds them (``crop_options``: ``crop_mode``,
        ``context_ratio``, ... as :meth:`~.clip_encoder.BaseCLIPEncoder.encode_boxes` takes them)."""
        return self.combine([member.encode_boxes(view, boxes, **crop_options) for member in self.encoders])

    def normalize(self, embeddings: Tensor) -> Tensor:
        """Unit-length rows of a combination (e.g. a mean over prompt templates) of ensemble embeddings: each
        member's block normalised on its own, then scaled by ``sqrt(w_i)``, so that a dot product stays the
        weighted sum of the members' cosines."""
        blocks = embeddings.split(self.member_dims, dim=-1)
        return torch.cat([math.sqrt(w) * F.normalize(block, dim=-1) for w, block in zip(self.weights, blocks)],
                         dim=-1)

    def clear_text_cache(self) -> None:
        for member in self.encoders:
            member.clear_text_cache()

    @property
    def logit_scale(self) -> float:
        """The members' logit scales averaged with the weights (the scale of the combined cosine)."""
        return sum(w * member.logit_scale for w, member in zip(self.weights, self.encoders))

    @property
    def logit_bias(self) -> float:
        """The members' logit biases averaged with the weights."""
        return sum(w * member.logit_bias for w, member in zip(self.weights, self.encoders))

    @property
    def temperature(self) -> float:
        return 1.0 / self.logit_scale

    # -- frozen contract ------------------------------------------------------------------------------------
    def init_weights(self) -> None:
        """No-op: the members' weights are pretrained and must survive the runner's ``init_weights``."""
        self._is_init = True

    def train(self, mode: bool = True) -> 'EncoderEnsemble':
        """Stays in eval mode whatever ``mode`` is: every member is frozen."""
        return super().train(False)


def _build_member(member: Union[dict, nn.Module], crop_source: Optional[str], index: int) -> nn.Module:
    """A member built from its config (``crop_source`` set when given), checked to have the encoder interface."""
    if isinstance(member, dict):
        if crop_source is not None:
            member = dict(member, crop_source=check_crop_source(crop_source, 'EncoderEnsemble'))
        member = MODELS.build(member)
    elif crop_source is not None and getattr(member, 'crop_source', None) != crop_source:
        raise ValueError(f'EncoderEnsemble: built member {index} ({type(member).__name__}) crops from '
                         f'{getattr(member, "crop_source", None)!r}, not crop_source={crop_source!r}; pass its config')
    missing = [name for name in ENCODER_INTERFACE if not hasattr(member, name)]
    if missing:
        raise TypeError(f'EncoderEnsemble: member {index} ({type(member).__name__}) is not an encoder: it has no '
                        f'{missing}')
    return member


def _normalised_weights(weights: Optional[Sequence[float]], count: int) -> List[float]:
    """``weights`` divided by their sum (equal weights for ``None``); an error unless ``count`` positive numbers."""
    if weights is None:
        return [1.0 / count] * count
    weights = [float(w) for w in weights]
    if len(weights) != count or not all(w > 0 and math.isfinite(w) for w in weights):
        raise ValueError(f'EncoderEnsemble: weights must be {count} positive numbers (one per encoder), got {weights}')
    total = sum(weights)
    return [w / total for w in weights]
