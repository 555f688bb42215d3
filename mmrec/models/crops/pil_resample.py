"""PIL's ``Image.resize(size, filter, box=...)`` reproduced for many boxes at once: dense per-box filter
matrices and batched matmuls, exact to PIL's 8-bit rounding (:func:`pil_crop_and_resize`)."""
from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple

import torch
from torch import Tensor


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
