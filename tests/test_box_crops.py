"""The tensor crop path equals a PIL crop+resize of the original image, after the detector's preprocessing.

Tolerances, and why:

- Geometry, on a *linear* float image (each channel ``a x + b y + d``). Any normalised filter that is
  symmetric about the output pixel's centre reproduces a linear function exactly, so in the image interior
  PIL (``resize(box=..., BILINEAR)``, anti-aliased triangle filter) and ``roi_align`` (bilinear samples
  averaged over each output cell) agree up to where they put that centre. PIL samples its triangle at whole
  pixels, which moves the weights' centre by a fraction of a pixel (under 0.1 px here), so the interior
  tolerance is ``0.25 px x (|a| + |b|)``: half the error of a half-pixel convention bug, and far below a
  wrong scale factor or channel order. Near the image border (within the filters' support plus two pixels of
  the detector's resize) PIL renormalises a truncated filter while ``roi_align`` and OpenCV replicate the edge
  pixel; the centres then differ by at most the support, hence ``(|a| + |b|) x support`` there.
- Realism, on a smooth 8-bit image (products of sinusoids, second derivative at most ``M``): the two
  filters' outputs differ from the value at the centre by ``1/2 M var`` each (second-order Taylor term,
  ``var`` = the weights' spread per axis: ``max(cell, 1)^2 / 6`` for PIL's triangle, at most
  ``cell^2 / 12 + 1/4`` for roi_align's samples plus ``1/4`` for the detector's bilinear resize), plus one
  8-bit rounding in each pipeline.
"""
import numpy as np
import pytest
import torch
from PIL import Image, ImageFilter

from mmrec.models import CLIPEncoder, CropGeometry, InputNormalization  # noqa: F401  (registers the models)
from mmrec.models.crops import add_context, clip_boxes, crop_boxes
from mmrec.testing import MeanColorEncoder, detector_input

AMPLITUDE, PERIOD_X, PERIOD_Y = 60.0, 53.0, 41.0
SIZE = 24  # crop side: small keeps the test fast, and the bound above does not depend on it


def smooth_rgb(width: int = 120, height: int = 90) -> np.ndarray:
    """uint8 RGB ``128 + A sin(2 pi x / Px + phase_c) cos(2 pi y / Py + phase_c)`` sampled at pixel centres."""
    x = (np.arange(width) + 0.5)[None, :]
    y = (np.arange(height) + 0.5)[:, None]
    channels = [128 + AMPLITUDE * np.sin(2 * np.pi * x / PERIOD_X + phase) * np.cos(2 * np.pi * y / PERIOD_Y + phase)
                for phase in (0.0, 1.0, 2.0)]
    return np.clip(np.round(np.stack(channels, axis=-1)), 0, 255).astype(np.uint8)


def pil_crop(rgb: np.ndarray, box, size: int = SIZE) -> np.ndarray:
    """The reference: PIL's bilinear (anti-aliased) resize of the box region of the original image (uint8
    RGB, or one float channel)."""
    crop = Image.fromarray(rgb).resize((size, size), Image.BILINEAR, box=tuple(float(v) for v in box))
    return np.asarray(crop).astype(np.float64)


def tensor_crops(rgb: np.ndarray, boxes: np.ndarray, scale, mode: str = 'crop', **kwargs) -> np.ndarray:
    """Our crops: the image goes through mmdet's Resize and DetDataPreprocessor first, boxes stay original."""
    inputs, meta, preprocessor = detector_input(np.ascontiguousarray(rgb[..., ::-1]), scale=scale)
    encoder = MeanColorEncoder(crop_size=SIZE)
    view = CropGeometry('input', InputNormalization.from_preprocessor(preprocessor)).view(inputs, meta)
    crops = encoder.crop_boxes(view, torch.from_numpy(boxes), crop_mode=mode, **kwargs)
    return crops.permute(0, 2, 3, 1).numpy().astype(np.float64), meta


BOXES = np.array([
    [30.0, 20.0, 90.0, 70.0],    # interior
    [0.0, 0.0, 50.0, 40.0],      # touching the top-left corner
    [70.5, 45.25, 120.0, 90.0],  # touching the bottom-right corner, fractional edges
    [0.0, 0.0, 120.0, 90.0],     # the whole image
    [55.0, 40.0, 61.0, 44.0],    # small: enlarged 4-6x
    [10.0, 30.0, 110.0, 36.0],   # thin
], dtype=np.float32)


SCALES = pytest.mark.parametrize('scale', [None, (192, 144), (84, 63)],
                                 ids=['no-resize', 'upscale-1.6', 'downscale-0.7'])
LINEAR = ((3.0, 1.0, 0.0), (-1.0, 4.0, 400.0), (2.0, -2.0, 300.0))  # per RGB channel: a, b, d


def linear_rgb(width: int = 120, height: int = 90) -> np.ndarray:
    x = (np.arange(width) + 0.5)[None, :]
    y = (np.arange(height) + 0.5)[:, None]
    return np.stack([a * x + b * y + d for a, b, d in LINEAR], axis=-1).astype(np.float32)


def pil_crop_float(rgb: np.ndarray, box, size: int = SIZE) -> np.ndarray:
    """PIL's reference crop of a float image, channel by channel (PIL's float images have one channel)."""
    return np.stack([pil_crop(np.ascontiguousarray(rgb[..., k]), box, size) for k in range(3)], axis=-1)


def interior_mask(box, margin_x: float, margin_y: float, width: int, height: int) -> np.ndarray:
    """Output pixels whose centre is at least ``margin`` away from the image border."""
    x = box[0] + (np.arange(SIZE) + 0.5) * (box[2] - box[0]) / SIZE
    y = box[1] + (np.arange(SIZE) + 0.5) * (box[3] - box[1]) / SIZE
    inside_x = (x >= margin_x) & (x <= width - margin_x)
    inside_y = (y >= margin_y) & (y <= height - margin_y)
    return inside_y[:, None] & inside_x[None, :]


def margins(box, scale_factor) -> tuple:
    """Filter support (PIL's triangle: max(cell, 1)) plus two pixels of the detector's resize, per axis."""
    resize_px = 2.0 / min(scale_factor)
    return (max((box[2] - box[0]) / SIZE, 1.0) + resize_px, max((box[3] - box[1]) / SIZE, 1.0) + resize_px)


@SCALES
def test_crops_match_pil_on_a_linear_image(scale):
    rgb = linear_rgb()
    ours, meta = tensor_crops(rgb, BOXES, scale)
    slope = np.array([abs(a) + abs(b) for a, b, _ in LINEAR])
    for box, crop in zip(BOXES, ours):
        error = np.abs(crop - pil_crop_float(rgb, box)) / slope  # in pixels of displacement
        margin_x, margin_y = margins(box, meta['scale_factor'])
        inside = interior_mask(box, margin_x, margin_y, 120, 90)
        assert inside.sum() >= SIZE * SIZE * 0.6, box  # mostly interior: the tight check is the main one
        assert error[inside].max() <= 0.25, (box, error[inside].max())
        assert error.max() <= max(margin_x, margin_y), (box, error.max())


def test_the_linear_check_sees_scale_and_channel_bugs():
    """The interior tolerance is far below what an unmapped box or a swapped channel order produce."""
    rgb = linear_rgb()
    inputs, meta, preprocessor = detector_input(np.ascontiguousarray(rgb[..., ::-1]), scale=(192, 144))
    encoder = MeanColorEncoder(crop_size=SIZE)
    box = BOXES[0]
    geometry = CropGeometry('input', InputNormalization.from_preprocessor(preprocessor))
    unmapped_view = geometry.view(inputs, dict(img_shape=meta['img_shape']))  # no scale factor: boxes not mapped
    unmapped = encoder.crop_boxes(unmapped_view, torch.from_numpy(box[None]))[0].permute(1, 2, 0).numpy()
    reference = pil_crop_float(rgb, box)
    slope = np.array([abs(a) + abs(b) for a, b, _ in LINEAR])
    assert (np.abs(unmapped - reference) / slope).mean() > 5.0  # boxes not mapped by the scale factor
    correct, _ = tensor_crops(rgb, box[None], (192, 144))
    assert (np.abs(correct[0][..., ::-1] - reference) / slope).mean() > 5.0  # channels swapped


@SCALES
def test_crops_match_pil_on_a_smooth_8bit_image(scale):
    rgb = smooth_rgb()
    ours, meta = tensor_crops(rgb, BOXES, scale)
    second = AMPLITUDE * ((2 * np.pi / PERIOD_X) ** 2 + (2 * np.pi / PERIOD_Y) ** 2)
    for box, crop in zip(BOXES, ours):
        cells = ((box[2] - box[0]) / SIZE, (box[3] - box[1]) / SIZE)
        spread = sum(max(c, 1.0) ** 2 / 6 + c ** 2 / 12 + 0.5 for c in cells)  # PIL's + ours, both axes
        bound = 0.5 * second * spread + 1.0
        inside = interior_mask(box, *margins(box, meta['scale_factor']), 120, 90)
        error = np.abs(crop - pil_crop(rgb, box))
        assert error[inside].max() <= bound, (box, error[inside].max(), bound)
        assert error.mean() <= 1.0, (box, error.mean())


def test_context_crop_is_the_grown_box():
    rgb = smooth_rgb()
    boxes = BOXES[:2]
    ours, _ = tensor_crops(rgb, boxes, None, mode='context', context_ratio=0.25)
    grown = add_context(torch.from_numpy(boxes), 0.25, (90, 120)).numpy()
    np.testing.assert_allclose(grown[0], [15.0, 7.5, 105.0, 82.5])
    np.testing.assert_allclose(grown[1], [0.0, 0.0, 62.5, 50.0])  # clipped at the border
    for box, crop in zip(grown, ours):
        assert np.abs(crop - pil_crop(rgb, box)).mean() <= 2.0


def test_blur_crop_matches_pil_composite():
    """Sharp inside the box, blurred outside: like ReCLIP's PIL recipe, resized to the crop size."""
    rgb = smooth_rgb()
    rng = np.random.default_rng(0)
    rgb = np.clip(rgb + rng.normal(0, 25, rgb.shape), 0, 255).astype(np.uint8)  # detail for the blur to remove
    box = np.array([30.0, 20.0, 90.0, 70.0], dtype=np.float32)
    sigma = 0.1
    ours, _ = tensor_crops(rgb, box[None], None, mode='blur', blur_sigma=sigma)
    image = Image.fromarray(rgb)
    blurred = image.filter(ImageFilter.GaussianBlur((sigma * 120, sigma * 90)))
    blurred.paste(image.crop(tuple(int(v) for v in box)), tuple(int(v) for v in box[:2]))
    reference = np.asarray(blurred.resize((SIZE, SIZE), Image.BILINEAR)).astype(np.float64)
    inside = np.zeros((SIZE, SIZE), dtype=bool)
    inside[5:13, 6:18] = True  # output pixels well inside the box (rows 20-70 -> 5.3-18.7 of 24, ...)
    outside = np.zeros((SIZE, SIZE), dtype=bool)
    outside[:3], outside[-3:] = True, True
    # the sharp part is the crop path itself; the blurred part differs by blur algorithm (PIL: box-filter
    # approximation of the Gaussian) and resampling order, a few grey levels on average
    assert np.abs(ours[0] - reference)[inside].mean() <= 6.0
    assert np.abs(ours[0] - reference)[outside].mean() <= 6.0
    # and the outside really is blurred: far smoother than the noisy original resized the same way
    sharp = np.asarray(image.resize((SIZE, SIZE), Image.BILINEAR)).astype(np.float64)
    assert np.abs(np.diff(ours[0][outside.any(1)], axis=1)).mean() < np.abs(np.diff(sharp[:3], axis=1)).mean() / 2


def test_degenerate_boxes_give_real_pixels():
    """Zero-size, inverted and outside-the-image boxes are clipped and grown to 1 px, never empty crops."""
    boxes = torch.tensor([[40.0, 30.0, 40.0, 30.0],     # zero size
                          [50.0, 40.0, 45.0, 35.0],     # inverted
                          [200.0, 10.0, 260.0, 20.0],   # right of the image
                          [-30.0, -30.0, -5.0, -5.0]])  # above-left of the image
    clipped = clip_boxes(boxes, (90, 120))
    np.testing.assert_allclose(clipped.numpy(), [[39.5, 29.5, 40.5, 30.5], [45.0, 35.0, 50.0, 40.0],
                                                 [119.0, 10.0, 120.0, 20.0], [0.0, 0.0, 1.0, 1.0]])
    image = torch.arange(90 * 120, dtype=torch.float32).view(1, 90, 120).expand(3, -1, -1)
    crops = crop_boxes(image, boxes, 4)
    assert torch.isfinite(crops).all()
    # the zero-size box at the corner of pixels (29, 39) and (30, 40) averages them: 29.5 * 120 + 39.5
    assert crops[0].mean().item() == pytest.approx(3579.5, abs=1e-3)
    # the outside box becomes the top-left pixel [0, 1]^2; bilinear samples at 0.125..0.875 (pixel centre 0.5,
    # edge replicated) average to 0.125 px right and down of the image origin: 0.125 * 120 + 0.125
    assert crops[3].mean().item() == pytest.approx(15.125, abs=1e-3)


def test_grayscale_and_bgr_inputs():
    rgb = smooth_rgb(48, 32)
    gray = rgb[..., 0]
    # a grayscale file: LoadImageFromFile (color_type='color') repeats it to 3 channels
    inputs, meta, preprocessor = detector_input(gray)
    norm = InputNormalization.from_preprocessor(preprocessor)
    back = norm.to_rgb(inputs)[:, :32, :48]
    for channel in back:
        np.testing.assert_allclose(channel.numpy(), gray, atol=1e-3)
    # a single-channel input tensor (e.g. a custom pipeline) is repeated to RGB by the crop path itself
    single = (torch.from_numpy(gray).float()[None] - 100.0) / 50.0
    rgb_back = InputNormalization(mean=(100.0,) * 3, std=(50.0,) * 3).to_rgb(single)
    assert rgb_back.shape == (3, 32, 48) and torch.allclose(rgb_back[0], rgb_back[2])
    np.testing.assert_allclose(rgb_back[1].numpy(), gray, atol=1e-3)
    crops = crop_boxes(rgb_back, torch.tensor([[0.0, 0.0, 48.0, 32.0]]), 8)
    assert crops.shape == (1, 3, 8, 8)
    # a preprocessor without the BGR -> RGB swap leaves BGR channels, which to_rgb flips back
    inputs, _, preprocessor = detector_input(np.ascontiguousarray(rgb[..., ::-1]), preprocessor=dict(
        type='DetDataPreprocessor', mean=[103.53, 116.28, 123.675], std=[1.0, 1.0, 1.0], bgr_to_rgb=False))
    norm = InputNormalization.from_preprocessor(preprocessor)
    assert not norm.input_is_rgb
    np.testing.assert_allclose(norm.to_rgb(inputs).permute(1, 2, 0).numpy(), rgb, atol=1e-3)
