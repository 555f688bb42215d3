"""Location labels of boxes, prompt expansion and the per-query prompt cache of method 1."""
import pytest
import torch
import torch.nn.functional as F

from mmrec.models.method1.spatial_prompts import (LOCATION_LABELS, SpatialPromptBank, SpatialPromptExpander,
                                                  location_cells, location_labels, mean_prompt_similarity)
from mmrec.models.scoring.policy import has_words

# A 90 (wide) x 60 (high) image: cells are 30 px wide and 20 px high.
IMAGE_SIZE = (60, 90)


def box_at(cx: float, cy: float, half: float = 2.0) -> list:
    return [cx - half, cy - half, cx + half, cy + half]


@pytest.mark.parametrize('row, col, expected', [
    (0, 0, 'top-left'), (0, 1, 'top'), (0, 2, 'top-right'),
    (1, 0, 'left'), (1, 1, 'center'), (1, 2, 'right'),
    (2, 0, 'bottom-left'), (2, 1, 'bottom'), (2, 2, 'bottom-right'),
])
def test_each_of_the_nine_cells(row, col, expected):
    box = torch.tensor([box_at(15 + 30 * col, 10 + 20 * row)])
    assert location_labels(box, IMAGE_SIZE) == [expected]
    assert location_cells(box, IMAGE_SIZE).tolist() == [row * 3 + col]


def test_cell_borders_go_to_the_next_cell_and_image_edges_to_the_last():
    boxes = torch.tensor([
        box_at(30, 10),   # on the first vertical border -> middle column
        box_at(60, 40),   # on the second vertical border and the second horizontal one -> bottom-right
        box_at(29.99, 19.99),  # just before both borders -> top-left
        [0, 0, 90, 60],   # the whole image: centre (45, 30) -> center
        [80, 50, 90, 60],  # centre inside the last cell
        [88, 58, 92, 62],  # centre (90, 60) on the image's own edge -> last cell
        [-10, -10, -2, -2],  # centre outside the image -> nearest cell
    ])
    assert location_labels(boxes, IMAGE_SIZE) == [
        'top', 'bottom-right', 'top-left', 'center', 'bottom-right', 'bottom-right', 'top-left']


def test_labels_are_configurable_and_validated():
    box = torch.tensor([box_at(75, 50)])
    custom = [f'cell{i}' for i in range(9)]
    assert location_labels(box, IMAGE_SIZE, custom) == ['cell8']
    with pytest.raises(ValueError, match='9 location labels'):
        SpatialPromptExpander(labels=('left', 'right'))
    with pytest.raises(ValueError, match='image_size'):
        location_cells(box, (0, 10))


def test_prompt_expansion_fills_query_and_location():
    expander = SpatialPromptExpander(templates=('{query}', '{query}, {loc}', 'a photo of {query} at the {loc}'))
    prompts = expander.prompts('  red car ')
    assert len(prompts) == 9 and all(len(row) == 3 for row in prompts)
    assert prompts[0] == ['red car', 'red car, top-left', 'a photo of red car at the top-left']
    assert prompts[4][1] == 'red car, center'
    strings, index = expander.unique_prompts('red car')
    # '{query}' is shared by all nine cells: 1 + 9 + 9 distinct strings.
    assert len(strings) == 19 and index.shape == (9, 3)
    assert len(set(index[:, 0].tolist())) == 1
    assert [strings[i] for i in index[8].tolist()] == prompts[8]


@pytest.mark.parametrize('templates, message', [
    (('{loc} only',), 'no {query}'),
    (('{query} {colour}',), 'unknown fields'),
    ((), 'non-empty'),
    ('{query}', 'non-empty sequence'),
])
def test_bad_templates_are_named(templates, message):
    with pytest.raises(ValueError, match=message):
        SpatialPromptExpander(templates=templates)


def test_has_words():
    assert has_words('a dog') and has_words('2')
    assert not has_words('') and not has_words('  ?! ')


class CountingEncoder:
    """Deterministic text 'encoder' that counts the strings it is asked for."""

    def __init__(self, dim: int = 8) -> None:
        self.dim = dim
        self.calls = []

    def __call__(self, texts):
        self.calls.append(list(texts))
        rows = []
        for text in texts:
            generator = torch.Generator().manual_seed(sum(map(ord, text)) * 7919 + len(text))
            rows.append(torch.randn(self.dim, generator=generator) * 3)
        return torch.stack(rows)


def test_prompt_bank_means_unit_embeddings_and_caches_per_query():
    encoder = CountingEncoder()
    expander = SpatialPromptExpander(templates=('{query}', '{query} in the {loc}'))
    bank = SpatialPromptBank(expander, encoder)
    matrix = bank.label_embeddings('dog')
    assert matrix.shape == (9, 8)
    expected = (F.normalize(encoder(['dog']), dim=-1)[0]
                + F.normalize(encoder(['dog in the bottom']), dim=-1)[0]) / 2
    torch.testing.assert_close(matrix[7], expected)
    encoder.calls.clear()
    assert bank.label_embeddings(' dog ') is matrix  # same query after stripping: cache hit
    assert encoder.calls == []
    bank.query_matrices(['cat', 'dog'])
    assert encoder.calls == [expander.unique_prompts('cat')[0]]


def test_prompt_bank_cache_is_bounded():
    encoder = CountingEncoder()
    bank = SpatialPromptBank(SpatialPromptExpander(), encoder, max_cached_queries=2)
    for query in ('a', 'b', 'c'):
        bank.label_embeddings(query)
    encoder.calls.clear()
    bank.label_embeddings('c')
    assert encoder.calls == []
    bank.label_embeddings('a')  # evicted as the least recently used
    assert len(encoder.calls) == 1


def test_mean_prompt_similarity_equals_mean_cosine_to_own_prompts():
    encoder = CountingEncoder(dim=6)
    expander = SpatialPromptExpander()
    bank = SpatialPromptBank(expander, encoder)
    queries = ['man left', 'blue cup']
    crops = torch.randn(4, 6, generator=torch.Generator().manual_seed(0))
    cells = torch.tensor([0, 4, 8, 4])
    scores = mean_prompt_similarity(crops, bank.query_matrices(queries), cells)
    assert scores.shape == (2, 4)
    for e, query in enumerate(queries):
        for k, cell in enumerate(cells.tolist()):
            prompts = expander.prompts(query)[cell]
            cosines = F.cosine_similarity(crops[k:k + 1], encoder(prompts), dim=-1)
            assert scores[e, k].item() == pytest.approx(cosines.mean().item(), abs=1e-5)
    assert LOCATION_LABELS[8] == 'bottom-right'
