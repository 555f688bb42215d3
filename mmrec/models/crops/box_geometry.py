"""Box geometry of the crop path: the one box clipper of mmrec and the context margin.

Pixel model: pixel ``i`` covers ``[i, i + 1)``, its centre is ``i + 0.5``, so a box ``[0, 0, w, h]`` is the whole
image."""
from typing import Sequence

import torch
from torch import Tensor


def clip_boxes(boxes: Tensor, img_shape: Sequence[int], min_size: float = 1.0) -> Tensor:
    """Clip xyxy boxes to an image of ``img_shape = (h, w)``: the one box clipper of mmrec.

    Each side is sorted (an inverted box becomes its mirror) and clamped to the image; a box left thinner
    than ``min_size`` (zero-size, or lying outside the image and clipped to an edge) becomes ``min_size``
    wide around its clipped centre, moved inside the image (the whole side when the image is smaller than
    ``min_size``), so every crop samples real pixels (``roi_align`` returns zeros for an empty box).
    ``min_size=0`` is a plain clamp.

    Args:
        boxes: ``(..., 4)`` xyxy boxes (any leading shape).
        img_shape: ``(h, w)``.
        min_size: smallest side, in pixels, of a clipped box.

    Returns:
        ``(..., 4)`` float boxes inside the image.
    """
    height, width = float(img_shape[0]), float(img_shape[1])
    boxes = boxes.float()
    out = []
    for low, high, limit in ((boxes[..., 0], boxes[..., 2], width), (boxes[..., 1], boxes[..., 3], height)):
        low, high = torch.minimum(low, high).clamp(0, limit), torch.maximum(low, high).clamp(0, limit)
        side = min(min_size, limit)
        centre = ((low + high) / 2).clamp(side / 2, limit - side / 2)
        thin = (high - low) < side
        out.append((torch.where(thin, centre - side / 2, low), torch.where(thin, centre + side / 2, high)))
    (x1, x2), (y1, y2) = out
    return torch.stack([x1, y1, x2, y2], dim=-1)


def add_context(boxes: Tensor, ratio: float, img_shape: Sequence[int]) -> Tensor:
    """Grow each box by ``ratio`` of its width (height) on the left and right (top and bottom), clipped."""
    width = boxes[:, 2] - boxes[:, 0]
    height = boxes[:, 3] - boxes[:, 1]
    margin = torch.stack([-width, -height, width, height], dim=1) * ratio
    return clip_boxes(boxes + margin, img_shape)
