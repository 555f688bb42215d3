"""Method 1's refinement of the chosen boxes: a discrete local search (:mod:`mmrec.models.method1.local_search`)
whose variants are scored by the spatial-prompt CLIP similarity, each distinct variant encoded once."""
from typing import Callable, Dict, Sequence, Tuple

import torch
from mmdet.registry import TASK_UTILS
from torch import Tensor

from ..local_search import LocalSearchConfig, local_search
from .prompt_scorer import SpatialPromptScorer


class BoxEmbeddingMemo:
    """Embeddings of boxes of one image, each distinct box encoded once.

    Boxes are the same when their coordinates agree to ``1 / resolution`` pixel (the crops then differ by far
    less than a grey level); every call encodes its new distinct boxes in one batch.

    Args:
        encode: maps ``(N, 4)`` boxes to ``(N, D)`` embeddings (e.g. the head's crop encoder of the image).
        resolution: sub-pixel grid on which boxes are compared.
    """

    def __init__(self, encode: Callable[[Tensor], Tensor], resolution: int = 64) -> None:
        self.encode = encode
        self.resolution = resolution
        self.embeddings: Dict[tuple, Tensor] = {}

    def __call__(self, boxes: Tensor) -> Tensor:
        """``(N, D)`` embeddings of ``(N, 4)`` boxes."""
        keys = [tuple(key) for key in torch.round(boxes.float() * self.resolution).long().tolist()]
        first_row: Dict[tuple, int] = {}
        for row, key in enumerate(keys):
            if key not in self.embeddings:
                first_row.setdefault(key, row)
        if first_row:
            rows = torch.tensor(list(first_row.values()), device=boxes.device)
            self.embeddings.update(zip(first_row, self.encode(boxes[rows])))
        return torch.stack([self.embeddings[key] for key in keys])


@TASK_UTILS.register_module()
class PromptLocalSearch:
    """Refines boxes by translations and scales scored by the spatial-prompt similarity of their crops.

    Args:
        enable: ``False`` keeps the boxes as they are.
        rounds, translations, scales, shrink, min_size: see :class:`~..local_search.LocalSearchConfig`
            (``min_size`` also bounds the head's clipped proposals).
    """

    def __init__(self, enable: bool = True, rounds: int = 2, translations: Sequence[float] = (-0.1, 0.0, 0.1),
                 scales: Sequence[float] = (0.9, 1.0, 1.1), shrink: float = 0.5, min_size: float = 1.0) -> None:
        self.config = LocalSearchConfig(enable=enable, rounds=rounds, translations=tuple(translations),
                                        scales=tuple(scales), shrink=shrink, min_size=min_size)

    @property
    def enable(self) -> bool:
        return self.config.enable

    @property
    def min_size(self) -> float:
        return self.config.min_size

    def __call__(self, boxes: Tensor, query_matrices: Tensor, encode: Callable[[Tensor], Tensor],
                 scorer: SpatialPromptScorer, img_shape: Tuple[int, int]) -> Tensor:
        """The refined ``(E, 4)`` boxes.

        Args:
            boxes: ``(E, 4)`` start boxes, row e for expression e, in the pixels of an image of ``img_shape``.
            query_matrices: ``(E, num_labels, D)`` the expressions' prompt matrices.
            encode: maps ``(N, 4)`` boxes (same pixels) to ``(N, D)`` crop embeddings.
            scorer: scores a variant's crop against its own expression's prompts.

        Each distinct variant box is cropped and encoded once per call: the current box reappears in every
        round (and as the zero-shift variant), and expressions that start from the same box share all its
        variants.
        """
        memo = BoxEmbeddingMemo(encode)

        def score_fn(variants: Tensor) -> Tensor:
            num_queries, num_variants = variants.shape[:2]
            crops = memo(variants.reshape(-1, 4)).view(num_queries, num_variants, -1)
            return scorer.paired_similarity(crops, query_matrices, variants, img_shape)

        refined = local_search(boxes, score_fn, img_shape, self.config)
        return refined
