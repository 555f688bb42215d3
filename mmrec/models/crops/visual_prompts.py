"""Visual prompts: the whole image with the box marked, ReCLIP's blur outside the box (:func:`blur_outside_boxes`)
and RedCircle's red ellipse (:func:`circle_boxes`)."""
import math
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from .resample import resize_boxes

#: RedCircle's prompt as FGVP's public code draws it (``cv2.ellipse``, colour ``'red'``, ``thickness=2``): RGB
#: colour and line width in pixels of the ``size x size`` crop.
CIRCLE_COLOR = (255.0, 0.0, 0.0)
CIRCLE_THICKNESS = 2.0


def gaussian_blur(images: Tensor, sigma: Tuple[float, float]) -> Tensor:
    """Separable Gaussian blur of ``(N, C, H, W)`` with ``sigma = (sigma_x, sigma_y)`` in pixels; borders are
    replicated (so a large sigma still works on a small image)."""
    n, c, h, w = images.shape
    out = images.reshape(n * c, 1, h, w)
    for axis_sigma, vertical in ((sigma[0], False), (sigma[1], True)):
        if axis_sigma <= 0:
            continue
        radius = max(1, math.ceil(3 * axis_sigma))
        offsets = torch.arange(-radius, radius + 1, dtype=out.dtype, device=out.device)
        kernel = torch.exp(-offsets ** 2 / (2 * axis_sigma ** 2))
        kernel = kernel / kernel.sum()
        if vertical:
            out = F.conv2d(F.pad(out, (0, 0, radius, radius), mode='replicate'), kernel.view(1, 1, -1, 1))
        else:
            out = F.conv2d(F.pad(out, (radius, radius, 0, 0), mode='replicate'), kernel.view(1, 1, 1, -1))
    return out.reshape(n, c, h, w)


def box_coverage(boxes: Tensor, size: int) -> Tensor:
    """``(K, 1, size, size)`` share of each pixel of a ``size x size`` grid covered by each box (given in grid
    coordinates); fractional at the box's edges, so the composite in :func:`blur_outside_boxes` is
    anti-aliased."""
    edges = torch.arange(size, dtype=boxes.dtype, device=boxes.device)

    def along(low: Tensor, high: Tensor) -> Tensor:
        return (torch.minimum(edges + 1, high[:, None]) - torch.maximum(edges, low[:, None])).clamp(0, 1)

    return (along(boxes[:, 1], boxes[:, 3])[:, :, None] * along(boxes[:, 0], boxes[:, 2])[:, None, :])[:, None]


def blur_outside_boxes(image: Tensor, boxes: Tensor, size: int, blur_sigma: float,
                       resample: str = 'roi_align') -> Tensor:
    """The whole image at ``size x size``, sharp inside each box and Gaussian-blurred outside it.

    The image is resized once (with ``resample``) and blurred once at the output resolution (blurring commutes
    with resizing up to the resampling error, and the blur is wide), then each box is composited with its
    coverage mask.
    """
    height, width = image.shape[-2:]
    whole = resize_boxes(image, boxes.new_tensor([[0.0, 0.0, width, height]]), size, resample)
    blurred = gaussian_blur(whole, (blur_sigma * size, blur_sigma * size))
    to_grid = boxes.new_tensor([size / width, size / height, size / width, size / height])
    mask = box_coverage(boxes * to_grid, size)
    return mask * whole + (1 - mask) * blurred


def ellipse_outlines(boxes: Tensor, size: int, thickness: float = CIRCLE_THICKNESS) -> Tensor:
    """``(K, 1, size, size)`` boolean masks of the outline of the ellipse inscribed in each box (given in
    the pixels of the ``size x size`` grid): the pixels whose centre lies within ``thickness / 2`` of the
    ellipse.

    The distance of a pixel centre ``p`` to the ellipse ``r(p) = 1``, with ``r = |((x - cx) / a, (y - cy) / b)|``
    and semi-axes ``a``, ``b`` half the box's sides (at least half a pixel), is taken to first order,
    ``|r - 1| / |grad r|`` (exact on a circle), so the line is about ``thickness`` pixels wide all round, as
    ``cv2.ellipse`` draws it.
    """
    centres = torch.arange(size, dtype=torch.float32, device=boxes.device) + 0.5
    boxes = boxes.float()
    cx, cy = ((boxes[:, 0] + boxes[:, 2]) / 2)[:, None, None], ((boxes[:, 1] + boxes[:, 3]) / 2)[:, None, None]
    a = ((boxes[:, 2] - boxes[:, 0]) / 2).clamp(min=0.5)[:, None, None]
    b = ((boxes[:, 3] - boxes[:, 1]) / 2).clamp(min=0.5)[:, None, None]
    u = (centres[None, None, :] - cx) / a  # (K, 1, S)
    v = (centres[None, :, None] - cy) / b  # (K, S, 1)
    radius = torch.sqrt(u ** 2 + v ** 2)  # (K, S, S)
    gradient = torch.sqrt((u / a) ** 2 + (v / b) ** 2) / radius.clamp(min=1e-6)
    distance = (radius - 1).abs() / gradient.clamp(min=1e-6)
    return (distance <= thickness / 2)[:, None]


def circle_boxes(image: Tensor, boxes: Tensor, size: int, resample: str = 'roi_align') -> Tensor:
    """RedCircle's visual prompt: the whole image at ``size x size`` with a red ellipse (:data:`CIRCLE_COLOR`,
    :data:`CIRCLE_THICKNESS` pixels wide) inscribed in each box, drawn at the output resolution.

    As FGVP's public RedCircle code (``clip_processing='resize'``) the whole image is resized to the crop size;
    it draws the ellipse on the image resized by its short side first, here it is drawn on the stretched image,
    so the line has the same width in every direction of what CLIP sees.
    """
    height, width = image.shape[-2:]
    whole = resize_boxes(image, boxes.new_tensor([[0.0, 0.0, width, height]]), size, resample)
    to_grid = boxes.new_tensor([size / width, size / height, size / width, size / height])
    outline = ellipse_outlines(boxes * to_grid, size)
    red = whole.new_tensor(CIRCLE_COLOR).view(1, 3, 1, 1)
    return torch.where(outline, red, whole)
