"""Spatial reasoning as a head part: the reasoner's probabilities replace the CLIP scores of the expressions
that carry location, size or relation words (:mod:`mmrec.models.spatial_reasoning`)."""
from typing import Optional, Sequence, Tuple

from mmdet.registry import TASK_UTILS
from torch import Tensor

from ...spatial_reasoning import build_reasoner, reason_rows


@TASK_UTILS.register_module()
class SpatialReasoningRescorer:
    """Replaces the rows of a CLIP score matrix with a :class:`~mmrec.models.spatial_reasoning.SpatialReasoner`'s.

    Args:
        encoder: the frozen CLIP (given by the head): its ``encode_texts`` embeds the reasoner's phrases, and
            its logit scale gives the default temperature.
        temperature: the reasoner's softmax temperature; ``None`` is the CLIP's ``1 / logit_scale``.
        **options: the other :class:`~mmrec.models.spatial_reasoning.SpatialReasoner` arguments
            (``size_spread``, ``relation_softness``).
    """

    def __init__(self, encoder, temperature: Optional[float] = None, **options) -> None:
        self.encoder = encoder
        self.reasoner = build_reasoner(dict(options, temperature=temperature), encoder)

    def __call__(self, clip_scores: Tensor, texts: Sequence[str], boxes: Tensor, crop_embeddings: Tensor,
                 img_shape: Tuple[int, int], prior: Tensor) -> Tuple[Tensor, Tensor]:
        """``(E, K)`` scores: the reasoner's probabilities for the expressions it answers, ``clip_scores`` else;
        and ``(E,)`` bool, whether it answered each expression (:func:`~mmrec.models.spatial_reasoning.reason_rows`).

        Args:
            clip_scores: ``(E, K)`` CLIP distributions over the K boxes for the E ``texts``.
            boxes: ``(K, 4)`` boxes in the pixels of an image of ``img_shape``.
            crop_embeddings: ``(K, D)`` their crop embeddings (the reasoner's phrases are scored against them).
            prior: ``(K,)`` prior over the boxes (the objectness distribution).
        """
        def similarity(phrases: Sequence[str]) -> Tensor:
            return self.encoder.encode_texts(phrases).to(crop_embeddings) @ crop_embeddings.T

        return reason_rows(self.reasoner, clip_scores, texts, boxes, similarity, tuple(img_shape), prior=prior)
