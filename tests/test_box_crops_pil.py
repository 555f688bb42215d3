"""The batched PIL resampler (``pil_crop_and_resize``) against PIL's own ``Image.resize(size, filter, box=...)``.

PIL's 8-bit path is integer arithmetic (weights with 22 fractional bits, each pass rounded); the tensor version
quantises its weights the same way and sums in float64, so the crops should equal PIL's to the grey level. The
tests allow what the issue allows (at most one grey level anywhere, a tiny mean difference) and also check the
share of exact pixels, which a wrong centre, support or rounding rule would drop far below 1.
"""
import numpy as np
import pytest
import torch
from PIL import Image

from mmrec.models.crops import (RESAMPLERS, add_context, clip_boxes, crop_boxes, pil_crop_and_resize,
                                    resize_boxes)

PIL_FILTERS = {'bicubic': Image.BICUBIC, 'bilinear': Image.BILINEAR}
WIDTH, HEIGHT = 131, 97


def random_rgb(seed: int = 0, width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(height, width, 3), dtype=np.uint8)


def random_boxes(seed: int = 1, count: int = 40, width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """Fractional boxes of every size (a few pixels, enlarged, to most of the image, shrunk), some touching the
    border, plus the whole image and thin edge strips."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0, width, size=(count, 2)), axis=1)
    y = np.sort(rng.uniform(0, height, size=(count, 2)), axis=1)
    boxes = np.stack([x[:, 0], y[:, 0], np.maximum(x[:, 1], x[:, 0] + 0.7), np.maximum(y[:, 1], y[:, 0] + 0.7)], 1)
    edges = [[0, 0, width, height], [0.0, 0.0, 4.3, 2.6], [width - 3.5, height - 9.25, width, height],
             [0.0, 10.5, width, 40.25], [12.75, 0.0, 13.5, height]]
    return np.concatenate([boxes, np.array(edges)]).astype(np.float32)


def pil_reference(rgb: np.ndarray, boxes: np.ndarray, size: int, filter_name: str) -> np.ndarray:
    image = Image.fromarray(rgb)
    return np.stack([np.asarray(image.resize((size, size), PIL_FILTERS[filter_name], box=tuple(map(float, box))))
                     for box in boxes]).astype(np.float64)


def ours(rgb: np.ndarray, boxes: np.ndarray, size: int, filter_name: str) -> np.ndarray:
    image = torch.from_numpy(rgb).permute(2, 0, 1).contiguous()
    crops = pil_crop_and_resize(image, torch.from_numpy(boxes), size, filter_name)
    assert crops.shape == (len(boxes), 3, size, size) and crops.dtype == torch.float32
    return crops.permute(0, 2, 3, 1).numpy().astype(np.float64)


def assert_matches_pil(mine: np.ndarray, reference: np.ndarray) -> None:
    difference = np.abs(mine - reference)
    assert difference.max() <= 1.0, f'max difference {difference.max()}'
    assert difference.mean() < 1e-3, f'mean difference {difference.mean()}'
    assert (difference == 0).mean() > 0.999


@pytest.mark.parametrize('filter_name', ['bicubic', 'bilinear'])
@pytest.mark.parametrize('size', [16, 224])  # most boxes shrunk at 16, enlarged at 224
def test_equals_pil_on_random_fractional_boxes(filter_name, size):
    rgb, boxes = random_rgb(), random_boxes()
    assert_matches_pil(ours(rgb, boxes, size, filter_name), pil_reference(rgb, boxes, size, filter_name))


def test_equals_pil_when_grouping_windows_in_small_batches():
    """A tight memory bound splits the boxes into many groups; the crops must not change."""
    rgb, boxes = random_rgb(2), random_boxes(3, count=12)
    image = torch.from_numpy(rgb).permute(2, 0, 1).contiguous()
    grouped = pil_crop_and_resize(image, torch.from_numpy(boxes), 32, max_elements=500)
    assert torch.equal(grouped, pil_crop_and_resize(image, torch.from_numpy(boxes), 32))
    assert_matches_pil(grouped.permute(0, 2, 3, 1).numpy(), pil_reference(rgb, boxes, 32, 'bicubic'))


def test_float_image_follows_pil_float_mode():
    """A float image is resampled without 8-bit rounding, as PIL's mode 'F'."""
    values = np.random.default_rng(4).uniform(-50, 300, size=(HEIGHT, WIDTH)).astype(np.float32)
    boxes = random_boxes(5, count=10)
    reference = np.stack([np.asarray(Image.fromarray(values, mode='F').resize(
        (20, 20), Image.BICUBIC, box=tuple(map(float, box)))) for box in boxes])
    crops = pil_crop_and_resize(torch.from_numpy(values)[None], torch.from_numpy(boxes), 20)[:, 0].numpy()
    np.testing.assert_allclose(crops, reference, atol=1e-3)


def test_crop_modes_use_the_chosen_resampler():
    rgb = random_rgb(6)
    image = torch.from_numpy(rgb).permute(2, 0, 1).contiguous()
    boxes = torch.tensor([[10.5, 20.25, 60.0, 70.5], [-5.0, 80.0, 40.0, 120.0]])  # the second leaves the image
    crops = crop_boxes(image, boxes, 24, mode='crop', resample='bicubic')
    clipped = clip_boxes(boxes, (HEIGHT, WIDTH)).numpy()
    assert_matches_pil(crops.permute(0, 2, 3, 1).numpy(), pil_reference(rgb, clipped, 24, 'bicubic'))
    context = crop_boxes(image, boxes, 24, mode='context', context_ratio=0.25, resample='bicubic')
    grown = add_context(clip_boxes(boxes, (HEIGHT, WIDTH)), 0.25, (HEIGHT, WIDTH)).numpy()
    assert_matches_pil(context.permute(0, 2, 3, 1).numpy(), pil_reference(rgb, grown, 24, 'bicubic'))
    blur = crop_boxes(image, boxes, 24, mode='blur', resample='bicubic')
    whole = pil_reference(rgb, np.array([[0, 0, WIDTH, HEIGHT]], dtype=np.float32), 24, 'bicubic')[0]
    # inside the first box (grid cells fully covered) the blur crop is the sharp whole image
    x1, y1, x2, y2 = (int(np.ceil(10.5 * 24 / WIDTH)), int(np.ceil(20.25 * 24 / HEIGHT)),
                      int(60.0 * 24 / WIDTH), int(70.5 * 24 / HEIGHT))
    np.testing.assert_allclose(blur[0].permute(1, 2, 0).numpy()[y1:y2, x1:x2], whole[y1:y2, x1:x2], atol=1e-4)
    assert set(RESAMPLERS) == {'roi_align', 'bicubic', 'bilinear'}
    with pytest.raises(ValueError, match='unknown resampler'):
        crop_boxes(image, boxes, 24, resample='lanczos')
    with pytest.raises(ValueError, match='unknown resampler'):
        resize_boxes(image, boxes, 24, resample='nearest')


def test_no_boxes_gives_no_crops():
    image = torch.from_numpy(random_rgb()).permute(2, 0, 1)
    assert pil_crop_and_resize(image, torch.zeros(0, 4), 8).shape == (0, 3, 8, 8)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_gpu_equals_cpu():
    rgb, boxes = random_rgb(7), torch.from_numpy(random_boxes(8))
    image = torch.from_numpy(rgb).permute(2, 0, 1).contiguous()
    cpu = pil_crop_and_resize(image, boxes, 64)
    gpu = pil_crop_and_resize(image.cuda(), boxes.cuda(), 64)
    assert gpu.device.type == 'cuda'
    assert torch.equal(gpu.cpu(), cpu)
