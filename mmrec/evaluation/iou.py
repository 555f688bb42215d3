"""Box IoU helpers for REC evaluation (pure numpy, xyxy boxes in pixels).

The convention is continuous coordinates without the legacy "+1": a box
``[x1, y1, x2, y2]`` has area ``(x2 - x1) * (y2 - y1)``, as in mmdet 3.x.
Degenerate (zero-area or inverted) and non-finite boxes give IoU 0, never NaN,
so that one bad prediction counts as a miss instead of poisoning an average.
"""
from typing import Sequence, Union

import numpy as np

BoxesLike = Union[np.ndarray, Sequence[Sequence[float]], 'torch.Tensor']  # noqa: F821

#: IoU thresholds of the COCO-style average accuracy, 0.5:0.05:0.95.
IOU_THRESHOLDS_50_95 = np.round(np.arange(0.5, 0.951, 0.05), 2)


def as_boxes(boxes: BoxesLike) -> np.ndarray:
    """Return ``boxes`` as a float64 array of shape (N, 4).

    Accepts numpy arrays, nested lists and torch tensors (any device). A single
    box of shape (4,) becomes (1, 4).
    """
    if hasattr(boxes, 'detach'):  # torch.Tensor without importing torch here
        boxes = boxes.detach().cpu().numpy()
    array = np.asarray(boxes, dtype=np.float64)
    if array.size == 0:
        return array.reshape(0, 4)
    if array.ndim == 1:
        array = array[None]
    if array.ndim != 2 or array.shape[1] != 4:
        raise ValueError(f'expected boxes of shape (N, 4), got {array.shape}')
    return array


def _areas(boxes: np.ndarray) -> np.ndarray:
    widths = np.clip(boxes[..., 2] - boxes[..., 0], 0, None)
    heights = np.clip(boxes[..., 3] - boxes[..., 1], 0, None)
    return widths * heights


def _safe_ratio(intersection: np.ndarray, union: np.ndarray) -> np.ndarray:
    """``intersection / union`` with 0 wherever the ratio is undefined."""
    valid = np.isfinite(intersection) & np.isfinite(union) & (union > 0)
    ratio = np.zeros(np.broadcast(intersection, union).shape)
    np.divide(intersection, union, out=ratio, where=valid)
    return ratio


def box_iou_pairwise(pred: BoxesLike, gt: BoxesLike) -> np.ndarray:
    """IoU of ``pred[i]`` with ``gt[i]`` for every i: shape (N,).

    Args:
        pred: (N, 4) predicted boxes, xyxy.
        gt: (N, 4) ground-truth boxes, xyxy, same order.
    """
    pred, gt = as_boxes(pred), as_boxes(gt)
    if len(pred) != len(gt):
        raise ValueError(
            f'box_iou_pairwise needs as many predictions as ground truths, '
            f'got {len(pred)} and {len(gt)}')
    top_left = np.maximum(pred[:, :2], gt[:, :2])
    bottom_right = np.minimum(pred[:, 2:], gt[:, 2:])
    overlap = np.clip(bottom_right - top_left, 0, None)
    intersection = overlap[:, 0] * overlap[:, 1]
    union = _areas(pred) + _areas(gt) - intersection
    return _safe_ratio(intersection, union)


def box_iou_matrix(boxes_a: BoxesLike, boxes_b: BoxesLike) -> np.ndarray:
    """IoU of every box in ``boxes_a`` with every box in ``boxes_b``: (N, M)."""
    boxes_a, boxes_b = as_boxes(boxes_a), as_boxes(boxes_b)
    top_left = np.maximum(boxes_a[:, None, :2], boxes_b[None, :, :2])
    bottom_right = np.minimum(boxes_a[:, None, 2:], boxes_b[None, :, 2:])
    overlap = np.clip(bottom_right - top_left, 0, None)
    intersection = overlap[..., 0] * overlap[..., 1]
    union = _areas(boxes_a)[:, None] + _areas(boxes_b)[None, :] - intersection
    return _safe_ratio(intersection, union)


def accuracy_at(ious: np.ndarray, iou_thr: float) -> float:
    """Share of IoUs at or above ``iou_thr`` (0.0 for an empty array)."""
    ious = np.asarray(ious, dtype=np.float64)
    return float(np.mean(ious >= iou_thr)) if ious.size else 0.0


def accuracy_50_95(ious: np.ndarray) -> float:
    """Accuracy averaged over the IoU thresholds 0.5, 0.55, ..., 0.95."""
    return float(np.mean([accuracy_at(ious, thr) for thr in IOU_THRESHOLDS_50_95]))
