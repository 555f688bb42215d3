"""Spatial reasoning as a scoring part of both methods: the reasoner's probabilities replace the scores of the
expressions that carry location, size or relation words (:mod:`mmrec.models.spatial_reasoning`).

Both methods set it the same way, ``reasoner=dict(type='SpatialReasoningRescorer', temperature=None, ...)``
(method 1: ``model.roi_head.bbox_head.reasoner``; method 2: ``model.scorer.reasoner``); ``None`` switches it
off. Each method hands it its own phrase similarity: method 1 the plain cosine of the crops to the phrases
(:meth:`SpatialReasoningRescorer.crop_similarity`), method 2 its CLIP score (prompt templates, crop modes
averaged, score subtraction).
"""
from typing import Optional, Sequence, Tuple

from mmdet.registry import TASK_UTILS
from torch import Tensor

from ..spatial_reasoning import SimilarityFn, build_reasoner, reason_rows

#: the part's registered type, the default of a ``reasoner`` config without ``type``.
REASONER_TYPE = 'SpatialReasoningRescorer'


@TASK_UTILS.register_module()
class SpatialReasoningRescorer:
    """Replaces the rows of a score matrix with a :class:`~mmrec.models.spatial_reasoning.SpatialReasoner`'s.

    Args:
        encoder: the frozen CLIP (given by the method's scoring module): its logit scale gives the default
            temperature, and :meth:`crop_similarity` embeds the reasoner's phrases with its ``encode_texts``.
        temperature: the reasoner's softmax temperature; ``None`` is the CLIP's ``1 / logit_scale``.
        **options: the other :class:`~mmrec.models.spatial_reasoning.SpatialReasoner` arguments
            (``size_spread``, ``relation_softness``).
    """

    def __init__(self, encoder, temperature: Optional[float] = None, **options) -> None:
        self.encoder = encoder
        self.reasoner = build_reasoner(dict(options, temperature=temperature), encoder)

    def crop_similarity(self, crop_embeddings: Tensor) -> SimilarityFn:
        """The phrase similarity of method 1: P phrases -> ``(P, K)`` cosine of their text embeddings to the
        ``(K, D)`` unit crop embeddings."""
        def similarity(phrases: Sequence[str]) -> Tensor:
            return self.encoder.encode_texts(phrases).to(crop_embeddings) @ crop_embeddings.T

        return similarity

    def __call__(self, scores: Tensor, texts: Sequence[str], boxes: Tensor,
                 similarity: SimilarityFn, img_shape: Tuple[int, int],
                 prior: Tensor) -> Tuple[Tensor, Tensor]:
        """``(E, K)`` scores: the reasoner's probabilities for the expressions it answers, ``scores`` else;
        and ``(E,)`` bool, whether it answered each expression (:func:`~mmrec.models.spatial_reasoning.reason_rows`).

        Args:
            scores: ``(E, K)`` scores of the K boxes for the E ``texts``.
            boxes: ``(K, 4)`` boxes in the pixels of an image of ``img_shape``.
            similarity: P phrases -> ``(P, K)`` their similarity to the boxes (what the reasoner's subject and
                landmark phrases are scored with).
            prior: ``(K,)`` prior over the boxes (method 1: the objectness distribution; method 2: the
                detector's scores).
        """
        return reason_rows(self.reasoner, scores, texts, boxes, similarity, tuple(img_shape), prior=prior)
