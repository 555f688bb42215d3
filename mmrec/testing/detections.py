"""Comparing detections computed along two code paths (a batched or shared forward against a single one), in
tests: equal up to float rounding, never bit for bit.

Two paths that compute the same thing (e.g. a prompt batch of 2 against a batch of 1) reach BLAS kernels of other
shapes, whose sums round differently in the last bits, and differently again on another CPU (CI's AVX-512 one):
random-weight models then leave near-tied scores whose order, and the top-k cut among them, may change. A real
bug (another prompt's text features, a mask that couples the rows, a wrong box decoding) moves scores and boxes
by far more than the tolerances here.
"""
from typing import Optional

import torch
from mmengine.structures import InstanceData

#: Largest score difference taken for rounding (the tiny random models' scores are in [0, 1]).
SCORE_ATOL = 1e-5
#: Largest box coordinate difference (pixels) taken for rounding.
BOX_ATOL = 1e-2


def assert_same_detections(ours: InstanceData, theirs: InstanceData, what: str = '', score_atol: float = SCORE_ATOL,
                           box_atol: float = BOX_ATOL) -> None:
    """``ours`` and ``theirs`` (``bboxes`` (N, 4), ``scores`` (N,), optional ``labels`` (N,)) hold the same
    detections up to float rounding, in any order among near-tied scores.

    The sorted scores agree within ``score_atol``; each detection of ``ours`` has its own counterpart in ``theirs``
    with the same label, a score within ``score_atol`` and a box within ``box_atol`` pixels, except detections
    whose score is within ``score_atol`` of the lowest kept one (the top-k cut at a near-tie may keep another).
    """
    mine, other = ours.scores.double().cpu(), theirs.scores.double().cpu()
    assert mine.shape == other.shape, f'{what}: {len(mine)} detections against {len(other)}'
    if not len(mine):
        return
    torch.testing.assert_close(mine.sort(descending=True).values, other.sort(descending=True).values, rtol=0,
                               atol=score_atol, msg=lambda text: f'{what}: scores differ: {text}')
    boxes, other_boxes = ours.bboxes.double().cpu(), theirs.bboxes.double().cpu()
    labels, other_labels = _labels(ours), _labels(theirs)
    cut = float(torch.minimum(mine.min(), other.min())) + score_atol
    free = list(range(len(other)))
    for index in range(len(mine)):
        match = next((j for j in free if abs(float(mine[index] - other[j])) <= score_atol
                      and float((boxes[index] - other_boxes[j]).abs().max()) <= box_atol
                      and (labels is None or labels[index] == other_labels[j])), None)
        if match is not None:
            free.remove(match)
        else:
            assert float(mine[index]) <= cut, (f'{what}: detection {index} (score {float(mine[index]):.6f}, box '
                                               f'{boxes[index].tolist()}) has no counterpart')
    assert all(float(other[j]) <= cut for j in free), f'{what}: detections {free} of the reference are unmatched'


def _labels(instances: InstanceData) -> Optional[list]:
    return instances.labels.tolist() if 'labels' in instances else None
