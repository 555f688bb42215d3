"""Crop and resize many boxes of one image at once, as tensors (the crop path shared by all CLIP encoders).

Two resamplers, both batched over the K boxes of one image (no PIL, no per-box Python loop over pixels):

- ``'roi_align'`` (:func:`~.resample.crop_and_resize`): one ``roi_align`` call; used on the detector's network
  input (a normalised, possibly channel-swapped and padded tensor that :class:`~.normalization.InputNormalization`
  turns back into RGB).
- ``'bicubic'`` / ``'bilinear'`` (:func:`~.pil_resample.pil_crop_and_resize`): PIL's ``Image.resize(size, filter,
  box=...)`` reproduced with dense per-box filter matrices and batched matmuls; used on the original (loaded)
  image, so CLIP sees the crops of PIL-based research code (each box stretched to a square with CLIP's bicubic
  filter; OpenAI's own preprocessing would resize the short side and centre-crop instead).

Pixel model: pixel ``i`` covers ``[i, i + 1)``, its centre is ``i + 0.5`` (``roi_align(aligned=True)``, PIL and
OpenCV's resize use the same convention), so a box ``[0, 0, w, h]`` is the whole image.

Crop modes (see :func:`crop_boxes`):

- ``'crop'``: the tight box, stretched to ``size x size``.
- ``'context'``: the box grown by ``context_ratio`` of its width/height on every side (clipped to the image).
- ``'blur'``: the whole image stretched to ``size x size`` with everything outside the box blurred
  (ReCLIP's "blur" proposal representation); ``blur_sigma`` is the Gaussian's standard deviation as a
  fraction of the image width (x) and height (y).
- ``'circle'``: the whole image stretched to ``size x size`` with a red ellipse drawn around the box
  (RedCircle's visual prompt, :func:`~.visual_prompts.circle_boxes`).
"""
from typing import Optional, Sequence

from torch import Tensor

from .box_geometry import add_context, clip_boxes
from .resample import RESAMPLERS, resize_boxes
from .visual_prompts import blur_outside_boxes, circle_boxes

CROP_MODES = ('crop', 'context', 'blur', 'circle')
#: Crop modes that show the whole image (stretched to the crop size) and mark the box in it.
WHOLE_IMAGE_MODES = ('blur', 'circle')


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
