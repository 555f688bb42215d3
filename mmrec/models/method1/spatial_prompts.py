"""Coarse location labels of boxes and the spatial prompts of method 1.

Each proposal gets the label of the 3x3 image cell that holds its centre ("top-left" ... "bottom-right",
"center"); the query is expanded with configurable templates such as ``"{query} in the {loc} of the image"``.
A crop's CLIP score is its mean cosine similarity to the prompts of its own label. Since the crop embedding
is unit length, that mean equals the dot product with the mean of the unit prompt embeddings, so one
``(num_labels, dim)`` matrix per query is all the scoring needs; :class:`SpatialPromptBank` caches it.
"""
import string
from collections import OrderedDict
from typing import Callable, Dict, List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

#: Labels of the 3x3 grid in row-major order (top row first, left column first).
LOCATION_LABELS: Tuple[str, ...] = ('top-left', 'top', 'top-right', 'left', 'center', 'right',
                                    'bottom-left', 'bottom', 'bottom-right')

#: Templates of the report: the bare query, the query with its location, and a sentence around both.
DEFAULT_TEMPLATES: Tuple[str, ...] = ('{query}', '{query}, {loc}', '{query} in the {loc} of the image')

GRID_SIZE = 3
_TEMPLATE_FIELDS = {'query', 'loc'}


def location_cells(boxes: Tensor, image_size: Tuple[int, int]) -> Tensor:
    """Index (row * 3 + col) of the 3x3 image cell holding each box centre.

    Args:
        boxes: ``(N, 4)`` boxes, xyxy, in the pixels of an image of ``image_size``.
        image_size: ``(height, width)`` of the image.

    A centre on a cell border belongs to the cell after it (``floor``), except on the image's right/bottom
    edge, which belongs to the last cell; centres outside the image go to the nearest cell.
    """
    height, width = image_size
    if height <= 0 or width <= 0:
        raise ValueError(f'location_cells: image_size must be positive, got {image_size}')
    centre_x = (boxes[:, 0] + boxes[:, 2]) / 2
    centre_y = (boxes[:, 1] + boxes[:, 3]) / 2
    col = torch.floor(centre_x * GRID_SIZE / width).long().clamp(0, GRID_SIZE - 1)
    row = torch.floor(centre_y * GRID_SIZE / height).long().clamp(0, GRID_SIZE - 1)
    return row * GRID_SIZE + col


def location_labels(boxes: Tensor, image_size: Tuple[int, int],
                    labels: Sequence[str] = LOCATION_LABELS) -> List[str]:
    """The location label (``labels[cell]``) of each box; see :func:`location_cells`."""
    return [labels[cell] for cell in location_cells(boxes, image_size).tolist()]


def check_templates(templates: Sequence[str]) -> Tuple[str, ...]:
    """Validate prompt templates: each must use ``{query}`` and no field other than ``{query}``/``{loc}``."""
    if isinstance(templates, str) or len(templates) == 0:
        raise ValueError(f'templates must be a non-empty sequence of strings, got {templates!r}')
    for template in templates:
        fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
        if 'query' not in fields:
            raise ValueError(f'prompt template {template!r} has no {{query}} field')
        unknown = fields - _TEMPLATE_FIELDS
        if unknown:
            raise ValueError(f'prompt template {template!r} uses unknown fields {sorted(unknown)}; '
                             'only {query} and {loc} are filled in')
    return tuple(templates)


class SpatialPromptExpander:
    """Expands a query into one prompt per (location label, template).

    Args:
        templates: format strings with ``{query}`` and optionally ``{loc}``.
        labels: the nine location labels, row-major (see :data:`LOCATION_LABELS`).
    """

    def __init__(self, templates: Sequence[str] = DEFAULT_TEMPLATES,
                 labels: Sequence[str] = LOCATION_LABELS) -> None:
        self.templates = check_templates(templates)
        if len(labels) != GRID_SIZE * GRID_SIZE:
            raise ValueError(f'expected {GRID_SIZE * GRID_SIZE} location labels, got {len(labels)}: {labels}')
        self.labels = tuple(labels)

    def prompts(self, query: str) -> List[List[str]]:
        """``prompts[cell][t]``: template ``t`` filled with ``query`` and the label of ``cell``."""
        query = query.strip()
        return [[template.format(query=query, loc=label) for template in self.templates]
                for label in self.labels]

    def unique_prompts(self, query: str) -> Tuple[List[str], Tensor]:
        """The distinct prompt strings of ``query`` and a ``(num_labels, num_templates)`` index into them.

        Templates without ``{loc}`` give the same string for every label; it is encoded once.
        """
        strings: Dict[str, int] = {}
        index = [[strings.setdefault(prompt, len(strings)) for prompt in row] for row in self.prompts(query)]
        return list(strings), torch.tensor(index, dtype=torch.long)


class SpatialPromptBank:
    """Per-query matrix of mean unit prompt embeddings per location label, cached by query.

    Args:
        expander: builds the prompts of a query.
        encode_texts: maps a list of strings to their ``(n, dim)`` text embeddings (any norm; the bank
            normalises them). Typically the CLIP encoder's cached text encoder.
        max_cached_queries: bound of the cache (least recently used queries are dropped first).
    """

    def __init__(self, expander: SpatialPromptExpander, encode_texts: Callable[[List[str]], Tensor],
                 max_cached_queries: int = 4096) -> None:
        self.expander = expander
        self.encode_texts = encode_texts
        self.max_cached_queries = max_cached_queries
        self._cache: 'OrderedDict[str, Tensor]' = OrderedDict()

    def label_embeddings(self, query: str) -> Tensor:
        """``(num_labels, dim)``: row ``c`` is the mean of the unit embeddings of the prompts of cell ``c``."""
        key = query.strip()
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        strings, index = self.expander.unique_prompts(key)
        embeddings = F.normalize(self.encode_texts(strings).float(), dim=-1)
        matrix = embeddings[index.to(embeddings.device)].mean(dim=1)
        self._cache[key] = matrix
        if len(self._cache) > self.max_cached_queries:
            self._cache.popitem(last=False)
        return matrix

    def query_matrices(self, queries: Sequence[str]) -> Tensor:
        """``(num_queries, num_labels, dim)`` stacked :meth:`label_embeddings`."""
        return torch.stack([self.label_embeddings(query) for query in queries])


def mean_prompt_similarity(crop_embeddings: Tensor, query_matrices: Tensor, cells: Tensor) -> Tensor:
    """Mean cosine similarity of each crop to the prompts of its own location, for every query.

    Args:
        crop_embeddings: ``(K, dim)`` crop embeddings (normalised here).
        query_matrices: ``(E, num_labels, dim)`` from :meth:`SpatialPromptBank.query_matrices`.
        cells: ``(K,)`` location cell of each crop.

    Returns:
        ``(E, K)`` similarities.
    """
    crops = F.normalize(crop_embeddings.float(), dim=-1)
    per_label = torch.einsum('eld,kd->elk', query_matrices.to(crops), crops)
    index = cells.to(per_label.device).view(1, 1, -1).expand(per_label.size(0), 1, -1)
    return per_label.gather(1, index).squeeze(1)


def paired_prompt_similarity(crop_embeddings: Tensor, query_matrices: Tensor, cells: Tensor) -> Tensor:
    """Like :func:`mean_prompt_similarity`, but crop row ``e`` is only scored against query ``e``.

    Args:
        crop_embeddings: ``(E, V, dim)``: ``V`` crops per query (e.g. the local-search variants of its box).
        query_matrices: ``(E, num_labels, dim)``.
        cells: ``(E, V)`` location cell of each crop.

    Returns:
        ``(E, V)`` similarities.
    """
    crops = F.normalize(crop_embeddings.float(), dim=-1)
    per_label = torch.einsum('eld,evd->elv', query_matrices.to(crops), crops)
    return per_label.gather(1, cells.to(per_label.device).unsqueeze(1)).squeeze(1)
