"""CLIP similarity of box crops to an expression's spatial prompts (method 1's CLIP score).

A crop's similarity to an expression is its mean cosine to the expression's prompts for the crop's 3x3
location label (:mod:`mmrec.models.method1.spatial_prompts`); the prompt matrices are cached per expression.
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.registry import TASK_UTILS
from torch import Tensor

from ..spatial_prompts import (DEFAULT_TEMPLATES, LOCATION_LABELS, SpatialPromptBank, SpatialPromptExpander,
                               location_cells, mean_prompt_similarity, paired_prompt_similarity)
from ...spatial_reasoning import clip_temperature


@TASK_UTILS.register_module()
class SpatialPromptScorer:
    """Scores crops against expressions expanded with spatial prompt templates.

    Args:
        encoder: the frozen CLIP (:class:`~mmrec.models.encoders.clip_encoder.BaseCLIPEncoder`) whose ``encode_texts``
            embeds the prompts (looked up at every call, not captured); given by the head.
        prompt_templates: format strings with ``{query}`` and optionally ``{loc}``.
        location_labels: the nine labels of the 3x3 grid, row-major.
        temperature: tau of the softmax over the proposals (CLIP's own logit scale is 1 / 0.01); ``None``: the
            encoder's own ``temperature`` (``1 / logit_scale``: CLIP's learnt one, SigLIP's sigmoid scale).
        max_cached_queries: size of the per-expression prompt-matrix cache.
    """

    def __init__(self, encoder, prompt_templates: Sequence[str] = DEFAULT_TEMPLATES,
                 location_labels: Sequence[str] = LOCATION_LABELS, temperature: Optional[float] = 0.01,
                 max_cached_queries: int = 4096) -> None:
        if temperature is None:
            temperature = clip_temperature(encoder)
        if temperature <= 0:
            raise ValueError(f'SpatialPromptScorer: temperature must be positive, got {temperature}')
        self.temperature = float(temperature)
        self.bank = SpatialPromptBank(SpatialPromptExpander(prompt_templates, location_labels),
                                      lambda texts: encoder.encode_texts(texts), max_cached_queries)

    @property
    def templates(self) -> Tuple[str, ...]:
        return self.bank.expander.templates

    @property
    def labels(self) -> Tuple[str, ...]:
        return self.bank.expander.labels

    def query_matrices(self, texts: Sequence[str]) -> Tensor:
        """``(E, num_labels, D)``: per expression, the mean unit prompt embedding of each location label."""
        return self.bank.query_matrices(texts)

    def similarity(self, crop_embeddings: Tensor, query_matrices: Tensor, boxes: Tensor,
                   img_shape: Tuple[int, int]) -> Tensor:
        """``(E, K)`` similarity of ``(K, D)`` crops of ``(K, 4)`` boxes (pixels of an image of ``img_shape``)
        to E expressions' ``(E, num_labels, D)`` prompt matrices."""
        return mean_prompt_similarity(crop_embeddings, query_matrices, location_cells(boxes, img_shape))

    def probabilities(self, similarity: Tensor) -> Tensor:
        """``(E, K)`` similarities -> softmax over the K boxes at ``temperature``."""
        return F.softmax(similarity / self.temperature, dim=-1)

    def paired_similarity(self, crop_embeddings: Tensor, query_matrices: Tensor, boxes: Tensor,
                          img_shape: Tuple[int, int]) -> Tensor:
        """``(E, V)`` similarity of the ``(E, V, D)`` crops of ``(E, V, 4)`` boxes, row e to expression e only."""
        num_queries, num_variants = boxes.shape[:2]
        cells = location_cells(boxes.reshape(-1, 4), img_shape).view(num_queries, num_variants)
        return paired_prompt_similarity(crop_embeddings, query_matrices, cells)
