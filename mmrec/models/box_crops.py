"""Crop and resize many boxes of one image at once, as tensors (the crop path shared by all CLIP encoders).

Two resamplers, both batched over the K boxes of one image (no PIL, no per-box Python loop over pixels):

- ``'roi_align'`` (:func:`crop_and_resize`): one ``roi_align`` call; used on the detector's network input (a
  normalised, possibly channel-swapped and padded tensor that :class:`InputNormalization` turns back into RGB).
- ``'bicubic'`` / ``'bilinear'`` (:func:`pil_crop_and_resize`): PIL's ``Image.resize(size, filter, box=...)``
  reproduced with dense per-box filter matrices and batched matmuls; used on the original (loaded) image, so
  CLIP sees the crops of PIL-based research code (each box stretched to a square with CLIP's bicubic filter;
  OpenAI's own preprocessing would resize the short side and centre-crop instead).

Pixel model: pixel ``i`` covers ``[i, i + 1)``, its centre is ``i + 0.5`` (``roi_align(aligned=True)``, PIL and
OpenCV's resize use the same convention), so a box ``[0, 0, w, h]`` is the whole image.

Crop modes (see :func:`crop_boxes`):

- ``'crop'``: the tight box, stretched to ``size x size``.
- ``'context'``: the box grown by ``context_ratio`` of its width/height on every side (clipped to the image).
- ``'blur'``: the whole image stretched to ``size x size`` with everything outside the box blurred
  (ReCLIP's "blur" proposal representation); ``blur_sigma`` is the Gaussian's standard deviation as a
  fraction of the image width (x) and height (y).
- ``'circle'``: the whole image stretched to ``size x size`` with a red ellipse drawn around the box
  (RedCircle's visual prompt, :func:`circle_boxes`).
"""
import math
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torchvision.ops import roi_align

CROP_MODES = ('crop', 'context', 'blur', 'circle')
#: Crop modes that show the whole image (stretched to the crop size) and mark the box in it.
WHOLE_IMAGE_MODES = ('blur', 'circle')
#: RedCircle's prompt as FGVP's public code draws it (``cv2.ellipse``, colour ``'red'``, ``thickness=2``): RGB
#: colour and line width in pixels of the ``size x size`` crop.
CIRCLE_COLOR = (255.0, 0.0, 0.0)
CIRCLE_THICKNESS = 2.0
#: Resamplers of :func:`crop_boxes`: ``roi_align``, or PIL's bicubic / bilinear (:func:`pil_crop_and_resize`).
RESAMPLERS = ('roi_align', 'bicubic', 'bilinear')


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


def crop_and_resize(image: Tensor, boxes: Tensor, size: int) -> Tensor:
    """Resample every box of ``image`` (3, H, W) to ``size x size``: returns ``(K, 3, size, size)``.

    ``roi_align`` with adaptive sampling averages ``ceil(box_side / size)`` bilinear samples per output
    pixel and axis, so shrinking a large box is anti-aliased and enlarging a small one is bilinear.
    """
    rois = torch.cat([boxes.new_zeros(len(boxes), 1), boxes], dim=1).to(image.dtype)
    return roi_align(image[None], rois, output_size=(size, size), spatial_scale=1.0, sampling_ratio=0,
                     aligned=True)


def _bicubic_filter(x: Tensor) -> Tensor:
    """Keys' cubic convolution kernel with ``a = -0.5`` (PIL's and OpenAI CLIP's bicubic), support 2."""
    a = -0.5
    x = x.abs()
    near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    far = (((x - 5.0) * x + 8.0) * x - 4.0) * a
    return torch.where(x < 1.0, near, torch.where(x < 2.0, far, torch.zeros_like(x)))


def _triangle_filter(x: Tensor) -> Tensor:
    """The triangle (bilinear) kernel, support 1."""
    return (1.0 - x.abs()).clamp(min=0.0)


#: ``name -> (kernel, support)`` of PIL's separable filters.
PIL_FILTERS: Dict[str, Tuple[Callable[[Tensor], Tensor], float]] = {
    'bicubic': (_bicubic_filter, 2.0),
    'bilinear': (_triangle_filter, 1.0),
}
#: PIL's 8-bit path stores the normalised weights as integers with this many fractional bits.
_PIL_WEIGHT_BITS = 22


@dataclass
class PILAxisFilters:
    """PIL's anti-aliased resampling filters along one axis, for K boxes ``[low, high)`` at once.

    As Pillow's ``precompute_coeffs`` (src/libImaging/Resample.c): ``scale = (high - low) / out_size`` with the
    box side taken in float32 (PIL receives the box as C floats), the filter stretched by ``max(scale, 1)``
    (anti-aliasing when shrinking), output pixel ``i`` centred at ``low + (i + 0.5) * scale`` and reading the
    source pixels ``[int(centre - support + 0.5), int(centre + support + 0.5))`` clipped to the image, with
    weights ``filter((x - centre + 0.5) / max(scale, 1))`` normalised to sum 1.
    """

    centre: Tensor  # (K, S) float64 centre of every output pixel, in source pixels
    start: Tensor  # (K, S) long first source pixel of every output pixel
    stop: Tensor  # (K, S) long one past its last source pixel
    filter_scale: Tensor  # (K,) float64 max(scale, 1)
    filter_name: str

    @classmethod
    def build(cls, low: Tensor, high: Tensor, in_size: int, out_size: int, filter_name: str) -> 'PILAxisFilters':
        support = PIL_FILTERS[filter_name][1]
        low32 = low.float()
        scale = (high.float() - low32).double() / out_size
        filter_scale = scale.clamp(min=1.0)
        reach = (support * filter_scale)[:, None]
        index = torch.arange(out_size, dtype=torch.float64, device=low.device)
        centre = low32.double()[:, None] + (index[None, :] + 0.5) * scale[:, None]
        start = torch.trunc(centre - reach + 0.5).clamp(min=0).long()
        stop = torch.trunc(centre + reach + 0.5).clamp(max=in_size).long()
        return cls(centre=centre, start=start, stop=stop, filter_scale=filter_scale, filter_name=filter_name)

    @property
    def first(self) -> Tensor:
        """``(K,)`` first source pixel any output pixel of the box reads (the window's start)."""
        return self.start[:, 0]  # centres grow with the output index, so do the windows

    @property
    def span(self) -> Tensor:
        """``(K,)`` length of the box's source window (at least 1)."""
        return (self.stop[:, -1] - self.first).clamp(min=1)

    @property
    def taps(self) -> Tensor:
        """``(K,)`` most source pixels one output pixel reads (at least 1)."""
        return (self.stop - self.start).max(dim=1).values.clamp(min=1)

    def tap_weights(self, taps: int, quantize: bool) -> Tuple[Tensor, Tensor]:
        """``(source, weights)``, both ``(K, S, taps)``: the source pixel and normalised weight of each of the
        first ``taps`` filter taps of every output pixel (taps past a pixel's window weigh 0).

        With ``quantize`` the weights are rounded to PIL's 22 fractional bits as its 8-bit path does
        (``(int)(w * 2^22 +- 0.5)``), so that integer pixels give PIL's sums exactly.
        """
        kernel = PIL_FILTERS[self.filter_name][0]
        source = self.start[:, :, None] + torch.arange(taps, device=self.start.device)
        offset = (source.double() - self.centre[:, :, None] + 0.5) * (1.0 / self.filter_scale)[:, None, None]
        weights = torch.where(source < self.stop[:, :, None], kernel(offset), torch.zeros_like(offset))
        total = weights.sum(dim=-1, keepdim=True)
        weights = weights / torch.where(total != 0, total, torch.ones_like(total))
        if quantize:
            unit = float(1 << _PIL_WEIGHT_BITS)
            weights = torch.sign(weights) * torch.floor(weights.abs() * unit + 0.5) / unit
        return source, weights


def _dense_weights(source: Tensor, weights: Tensor, first: Tensor, length: int, dtype: torch.dtype) -> Tensor:
    """``(G, S, length)`` matrix of the taps ``(source, weights)`` (each ``(G, S, T)``) over the source pixels
    ``first + [0, length)`` (every box's window must lie inside; unused taps, weight 0, are clamped there)."""
    column = (source - first[:, None, None]).clamp(0, length - 1)
    dense = torch.zeros(source.shape[0], source.shape[1], length, dtype=dtype, device=source.device)
    return dense.scatter_add_(2, column, weights.to(dtype))


def _group_by_window(rows: List[int], cols: List[int], max_elements: int, max_waste: float = 2.0) -> List[List[int]]:
    """Boxes grouped for batched resampling: sorted by window area, a group grows while padding every window to
    the group's largest rows x cols costs at most ``max_waste`` times the real areas and ``max_elements``."""
    order = sorted(range(len(rows)), key=lambda k: rows[k] * cols[k], reverse=True)
    groups: List[List[int]] = []
    group: List[int] = []
    area = height = width = 0
    for k in order:
        new_height, new_width = max(height, rows[k]), max(width, cols[k])
        padded = (len(group) + 1) * new_height * new_width
        if group and (padded > max_waste * (area + rows[k] * cols[k]) or padded > max_elements):
            groups.append(group)
            group, area, new_height, new_width = [], 0, rows[k], cols[k]
        group.append(k)
        area += rows[k] * cols[k]
        height, width = new_height, new_width
    if group:
        groups.append(group)
    return groups


def pil_crop_and_resize(image: Tensor, boxes: Tensor, size: int, filter_name: str = 'bicubic',
                        max_elements: int = 1 << 24) -> Tensor:
    """PIL's ``Image.resize((size, size), filter, box=box)`` of every box of ``image`` (C, H, W): ``(K, C, size,
    size)`` float32.

    Boxes must lie inside the image (as PIL requires). A ``uint8`` image follows PIL's 8-bit path: weights with
    22 fractional bits, the horizontal pass first, each pass rounded (half up) and clamped to [0, 255]; sums are
    exact in float64, so the result equals PIL's to the grey level (float32 is used where the device has no
    float64, e.g. MPS: then a value may differ by one). A float image is resampled without rounding (PIL's
    mode ``'F'``).

    Each box reads only its source window (the rows and columns under its filters): boxes are grouped by
    window size, each group's windows are gathered in one indexing call and resampled by two batched matmuls
    with dense ``(S, L)`` weight matrices. ``max_elements`` bounds a group's gathered pixels per channel (a
    group holds them in float64: 400 MB for the default 2^24 and three channels).
    """
    if filter_name not in PIL_FILTERS:
        raise ValueError(f'unknown PIL filter {filter_name!r}; expected one of {tuple(PIL_FILTERS)}')
    channels, height, width = image.shape
    boxes = boxes.to(image.device).reshape(-1, 4)
    out = image.new_zeros((len(boxes), channels, size, size), dtype=torch.float32)
    if len(boxes) == 0:
        return out
    eight_bit = image.dtype == torch.uint8
    dtype = torch.float64 if image.device.type in ('cpu', 'cuda') else torch.float32
    columns = PILAxisFilters.build(boxes[:, 0], boxes[:, 2], width, size, filter_name)
    rows = PILAxisFilters.build(boxes[:, 1], boxes[:, 3], height, size, filter_name)
    # the one host sync of the call: window sizes and filter lengths
    row_spans, col_spans, row_taps, col_taps = torch.stack(
        [rows.span, columns.span, rows.taps, columns.taps]).tolist()
    row_source, row_taps_weights = rows.tap_weights(max(row_taps), eight_bit)
    col_source, col_taps_weights = columns.tap_weights(max(col_taps), eight_bit)
    for group in _group_by_window(row_spans, col_spans, max_elements):
        index = torch.tensor(group, device=image.device)
        num, num_rows, num_cols = len(group), max(row_spans[k] for k in group), max(col_spans[k] for k in group)
        # windows padded to the group's size, moved inside the image where padding would leave it
        row_first = rows.first[index].clamp(max=height - num_rows)
        col_first = columns.first[index].clamp(max=width - num_cols)
        blocks = image.unfold(1, num_rows, 1).unfold(2, num_cols, 1)  # (C, H-R+1, W-L+1, R, L) view
        window = blocks[:, row_first, col_first].transpose(0, 1).to(dtype)  # (G, C, R, L)
        col_weights = _dense_weights(col_source[index], col_taps_weights[index], col_first, num_cols, dtype)
        horizontal = torch.bmm(window.reshape(num, channels * num_rows, num_cols),
                               col_weights.transpose(1, 2))  # (G, C*R, S)
        if eight_bit:  # PIL's clip8: round half up, clamp to [0, 255]
            horizontal = horizontal.add_(0.5).floor_().clamp_(0, 255)
        row_weights = _dense_weights(row_source[index], row_taps_weights[index], row_first, num_rows, dtype)
        vertical = torch.bmm(row_weights.repeat_interleave(channels, dim=0),  # (G*C, S, R)
                             horizontal.view(num * channels, num_rows, size))  # (G*C, S, S)
        if eight_bit:
            vertical = vertical.add_(0.5).floor_().clamp_(0, 255)
        out[index] = vertical.view(num, channels, size, size).float()
    return out


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


def resize_boxes(image: Tensor, boxes: Tensor, size: int, resample: str = 'roi_align') -> Tensor:
    """``(K, C, size, size)`` crops of ``boxes`` (inside the image) with one of :data:`RESAMPLERS`."""
    if resample == 'roi_align':
        return crop_and_resize(image.float(), boxes, size)
    if resample in PIL_FILTERS:
        return pil_crop_and_resize(image, boxes, size, resample)
    raise ValueError(f'unknown resampler {resample!r}; expected one of {RESAMPLERS}')


def crop_boxes(image: Tensor, boxes: Tensor, size: int, mode: str = 'crop', context_ratio: float = 0.2,
               blur_sigma: float = 0.1, img_shape: Optional[Sequence[int]] = None,
               resample: str = 'roi_align') -> Tensor:
    """Crops of ``boxes`` from ``image`` for one crop mode.

    Args:
        image: ``(3, H, W)`` RGB image: float (e.g. the valid, unpadded region of the network input) or uint8
            (e.g. the original image, resampled with PIL's 8-bit rounding by the PIL resamplers).
        boxes: ``(K, 4)`` xyxy boxes in the image's pixels; clipped and made non-empty here.
        size: output side in pixels.
        mode: one of :data:`CROP_MODES`.
        context_ratio: margin of ``'context'`` crops, as a fraction of the box's width/height per side.
        blur_sigma: Gaussian sigma of ``'blur'`` crops, as a fraction of the image's width/height.
        img_shape: ``(h, w)`` to clip to; defaults to the image's own size.
        resample: one of :data:`RESAMPLERS`.

    Returns:
        ``(K, 3, size, size)`` float crops, same value range as ``image``.
    """
    if mode not in CROP_MODES:
        raise ValueError(f'unknown crop mode {mode!r}; expected one of {CROP_MODES}')
    if resample not in RESAMPLERS:
        raise ValueError(f'unknown resampler {resample!r}; expected one of {RESAMPLERS}')
    img_shape = tuple(img_shape) if img_shape is not None else tuple(image.shape[-2:])
    image = image[:, :img_shape[0], :img_shape[1]]
    boxes = clip_boxes(boxes.to(image.device), img_shape)
    if mode == 'context':
        boxes = add_context(boxes, context_ratio, img_shape)
    elif mode == 'blur':
        return blur_outside_boxes(image, boxes, size, blur_sigma, resample)
    elif mode == 'circle':
        return circle_boxes(image, boxes, size, resample)
    return resize_boxes(image, boxes, size, resample)
