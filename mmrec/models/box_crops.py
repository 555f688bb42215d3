"""Crop and resize many boxes of one image at once, as tensors (the crop path shared by all CLIP encoders).

The detector's network input is a normalised, possibly channel-swapped and padded tensor. The functions here
turn it back into RGB pixels (:class:`InputNormalization`), map and sanitise boxes, and produce fixed-size
crops for all boxes in one ``roi_align`` call. No PIL, no per-box Python loop.

Pixel model: pixel ``i`` covers ``[i, i + 1)``, its centre is ``i + 0.5`` (``roi_align(aligned=True)``, PIL and
OpenCV's resize use the same convention), so a box ``[0, 0, w, h]`` is the whole image.

Crop modes (see :func:`crop_boxes`):

- ``'crop'``: the tight box, stretched to ``size x size``.
- ``'context'``: the box grown by ``context_ratio`` of its width/height on every side (clipped to the image).
- ``'blur'``: the whole image stretched to ``size x size`` with everything outside the box blurred
  (ReCLIP's "blur" proposal representation); ``blur_sigma`` is the Gaussian's standard deviation as a
  fraction of the image width (x) and height (y).
"""
import math
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torchvision.ops import roi_align

CROP_MODES = ('crop', 'context', 'blur')


@dataclass(frozen=True)
class InputNormalization:
    """How a detector's data preprocessor turned the loaded image into the network input.

    ``input = (loaded[, channels swapped] - mean) / std``; ``mean``/``std`` are in the input's channel order.
    ``input_is_rgb`` says whether the input's channels are RGB. Images are assumed to be loaded BGR (the
    default of mmcv's ``LoadImageFromFile``), so the input is RGB exactly when the preprocessor swaps channels.
    """

    mean: Tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: Tuple[float, float, float] = (1.0, 1.0, 1.0)
    input_is_rgb: bool = True

    @classmethod
    def from_preprocessor(cls, preprocessor: torch.nn.Module) -> 'InputNormalization':
        """Read mean, std and the channel swap from an mmengine ``ImgDataPreprocessor`` (e.g. mmdet's
        ``DetDataPreprocessor``)."""
        if getattr(preprocessor, '_enable_normalize', False):
            mean = tuple(float(v) for v in preprocessor.mean.flatten())
            std = tuple(float(v) for v in preprocessor.std.flatten())
        else:
            mean, std = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)
        if len(mean) == 1:  # a single value applies to every channel
            mean, std = mean * 3, std * 3
        return cls(mean=mean, std=std, input_is_rgb=bool(getattr(preprocessor, '_channel_conversion', False)))

    def to_rgb(self, image: Tensor) -> Tensor:
        """Undo the preprocessing of one input image.

        Args:
            image: ``(C, H, W)`` network input; ``C`` is 3, or 1 for a grayscale input (repeated to 3).

        Returns:
            ``(3, H, W)`` float RGB in [0, 255].
        """
        if image.dim() != 3 or image.shape[0] not in (1, 3):
            raise ValueError(f'expected a (3, H, W) or (1, H, W) image tensor, got shape {tuple(image.shape)}')
        image = image.float()
        if image.shape[0] == 1:
            image = image.expand(3, -1, -1)
        mean = image.new_tensor(self.mean).view(3, 1, 1)
        std = image.new_tensor(self.std).view(3, 1, 1)
        pixels = image * std + mean
        return pixels if self.input_is_rgb else pixels.flip(0)


def scale_boxes(boxes: Tensor, scale_factor: Sequence[float]) -> Tensor:
    """Map ``(K, 4)`` xyxy boxes by mmdet's ``scale_factor = (w_scale, h_scale)`` (original -> input)."""
    w_scale, h_scale = float(scale_factor[0]), float(scale_factor[1])
    return boxes * boxes.new_tensor([w_scale, h_scale, w_scale, h_scale])


def clip_boxes(boxes: Tensor, img_shape: Sequence[int], min_size: float = 1.0) -> Tensor:
    """Clip ``(K, 4)`` xyxy boxes to an image of ``img_shape = (h, w)`` and grow degenerate ones.

    A box thinner than ``min_size`` (zero-size, inverted, or lying outside the image and clipped to an edge)
    becomes ``min_size`` wide around its clipped centre, still inside the image, so every crop samples real
    pixels (``roi_align`` returns zeros for an empty box).
    """
    height, width = float(img_shape[0]), float(img_shape[1])
    boxes = boxes.float()
    out = []
    for low, high, limit in ((boxes[:, 0], boxes[:, 2], width), (boxes[:, 1], boxes[:, 3], height)):
        low, high = torch.minimum(low, high).clamp(0, limit), torch.maximum(low, high).clamp(0, limit)
        side = min(min_size, limit)
        centre = ((low + high) / 2).clamp(side / 2, limit - side / 2)
        thin = (high - low) < side
        out.append((torch.where(thin, centre - side / 2, low), torch.where(thin, centre + side / 2, high)))
    (x1, x2), (y1, y2) = out
    return torch.stack([x1, y1, x2, y2], dim=1)


def add_context(boxes: Tensor, ratio: float, img_shape: Sequence[int]) -> Tensor:
    """Grow each box by ``ratio`` of its width (height) on the left and right (top and bottom), clipped."""
    width = boxes[:, 2] - boxes[:, 0]
    height = boxes[:, 3] - boxes[:, 1]
    margin = torch.stack([-width, -height, width, height], dim=1) * ratio
    return clip_boxes(boxes + margin, img_shape)


def crop_and_resize(image: Tensor, boxes: Tensor, size: int) -> Tensor:
    """Resample every box of ``image`` (3, H, W) to ``size x size``: returns ``(K, 3, size, size)``.

    ``roi_align`` with adaptive sampling averages ``ceil(box_side / size)`` bilinear samples per output
    pixel and axis, so shrinking a large box is anti-aliased and enlarging a small one is bilinear.
    """
    rois = torch.cat([boxes.new_zeros(len(boxes), 1), boxes], dim=1).to(image.dtype)
    return roi_align(image[None], rois, output_size=(size, size), spatial_scale=1.0, sampling_ratio=0,
                     aligned=True)


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


def blur_outside_boxes(image: Tensor, boxes: Tensor, size: int, blur_sigma: float) -> Tensor:
    """The whole image at ``size x size``, sharp inside each box and Gaussian-blurred outside it.

    The image is resized once and blurred once at the output resolution (blurring commutes with resizing up
    to the resampling error, and the blur is wide), then each box is composited with its coverage mask.
    """
    height, width = image.shape[-2:]
    whole = crop_and_resize(image, boxes.new_tensor([[0.0, 0.0, width, height]]), size)
    blurred = gaussian_blur(whole, (blur_sigma * size, blur_sigma * size))
    to_grid = boxes.new_tensor([size / width, size / height, size / width, size / height])
    mask = box_coverage(boxes * to_grid, size)
    return mask * whole + (1 - mask) * blurred


def crop_boxes(image: Tensor, boxes: Tensor, size: int, mode: str = 'crop', context_ratio: float = 0.2,
               blur_sigma: float = 0.1, img_shape: Optional[Sequence[int]] = None) -> Tensor:
    """Crops of ``boxes`` from ``image`` for one crop mode.

    Args:
        image: ``(3, H, W)`` float RGB image (the valid, unpadded region of the network input).
        boxes: ``(K, 4)`` xyxy boxes in the image's pixels; clipped and made non-empty here.
        size: output side in pixels.
        mode: one of :data:`CROP_MODES`.
        context_ratio: margin of ``'context'`` crops, as a fraction of the box's width/height per side.
        blur_sigma: Gaussian sigma of ``'blur'`` crops, as a fraction of the image's width/height.
        img_shape: ``(h, w)`` to clip to; defaults to the image's own size.

    Returns:
        ``(K, 3, size, size)`` crops, same value range as ``image``.
    """
    if mode not in CROP_MODES:
        raise ValueError(f'unknown crop mode {mode!r}; expected one of {CROP_MODES}')
    img_shape = tuple(img_shape) if img_shape is not None else tuple(image.shape[-2:])
    image = image[:, :img_shape[0], :img_shape[1]]
    boxes = clip_boxes(boxes.to(image.device), img_shape)
    if mode == 'context':
        return crop_and_resize(image, add_context(boxes, context_ratio, img_shape), size)
    if mode == 'blur':
        return blur_outside_boxes(image, boxes, size, blur_sigma)
    return crop_and_resize(image, boxes, size)
