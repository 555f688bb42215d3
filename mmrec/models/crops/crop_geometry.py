"""Where CLIP crops come from and how boxes map to them: one object per detector, decided at construction.

:class:`CropGeometry` is built once per detector (``CropGeometry.for_detector(data_preprocessor, encoder)``)
from the detector's data preprocessor (its :class:`~mmrec.models.crops.InputNormalization`, read once) and
the CLIP encoder's ``crop_source``:

- ``'input'``: crops come from the detector's network input (normalisation and channel order undone, padding
  cut off at ``img_shape``), boxes mapped by mmdet's ``scale_factor``, resampled with ``roi_align``;
- ``'original'``: crops come from the loaded image (the data sample's ``original_image``, uint8 RGB, kept by
  the ``KeepOriginalImage`` transform), boxes used as they are, resampled with PIL's bicubic filter
  (:func:`~mmrec.models.crops.pil_crop_and_resize`).

Per image, :meth:`CropGeometry.view_of` (a data sample) or :meth:`CropGeometry.view` (an image tensor,
its metainfo and the original image) gives a :class:`CropView`; every caller hands it boxes in ONE frame:
**original image pixels**. Method 1, which works in input pixels, maps its boxes with :func:`to_original`
(the same function its detector rescales its outputs with).

Usage::

    geometry = CropGeometry.for_detector(detector.data_preprocessor, encoder)   # once, at construction
    view = geometry.view_of(batch_inputs[i], data_samples[i])                 # per image
    box_emb = encoder.encode_boxes(view, boxes_in_original_pixels, crop_mode='crop')   # (K, D)
"""
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import torch
from mmdet.structures.bbox import get_box_tensor, scale_boxes
from torch import Tensor

from .crop_boxes import crop_boxes
from .normalization import InputNormalization

#: Where crops come from (see the module docstring).
CROP_SOURCES = ('input', 'original')
#: The resampler of ``crop_source='original'``: OpenAI CLIP's preprocessing filter.
ORIGINAL_RESAMPLE = 'bicubic'
#: The resampler of ``crop_source='input'``.
INPUT_RESAMPLE = 'roi_align'

MISSING_ORIGINAL_HINT = ("add dict(type='KeepOriginalImage') right after the image loading step of the test "
                         "pipeline (PackRECInputs then packs it), or set the encoder's crop_source='input'")


def check_crop_source(crop_source: str, owner: str) -> str:
    """``crop_source`` if it is one of :data:`CROP_SOURCES`, else a ``ValueError`` naming ``owner``."""
    if crop_source not in CROP_SOURCES:
        raise ValueError(f'{owner}: crop_source must be one of {CROP_SOURCES}, got {crop_source!r}')
    return crop_source


def _scale_pair(scale_factor: Sequence[float]) -> Tuple[float, float]:
    """mmdet's ``scale_factor`` as ``(w_scale, h_scale)`` floats."""
    return float(scale_factor[0]), float(scale_factor[1])


def to_input(boxes: Tensor, scale_factor: Sequence[float]) -> Tensor:
    """``(..., 4)`` xyxy boxes (a tensor or mmdet box structure, left unchanged) from original image pixels to
    input pixels (mmdet's ``scale_factor = (w_scale, h_scale)``), as a new tensor of the same shape."""
    return _scaled(boxes, _scale_pair(scale_factor))


def to_original(boxes: Tensor, scale_factor: Sequence[float]) -> Tensor:
    """``(..., 4)`` xyxy boxes from input pixels back to original image pixels (divided by ``scale_factor``)."""
    w_scale, h_scale = _scale_pair(scale_factor)
    return _scaled(boxes, (1.0 / w_scale, 1.0 / h_scale))


def _scaled(boxes: Tensor, scale: Tuple[float, float]) -> Tensor:
    """mmdet's ``scale_boxes`` on a copy of the boxes' tensor (it rescales box structures in place and returns
    a ``(4,)`` box as ``(1, 4)``)."""
    tensor = get_box_tensor(boxes).clone()
    return scale_boxes(tensor.reshape(-1, 4), scale).reshape(tensor.shape)


@dataclass(frozen=True)
class CropView:
    """One image as the CLIP crops see it (built by :class:`CropGeometry`).

    Attributes:
        pixels: ``(3, h, w)`` RGB image the crops are cut from: the valid region of the network input as float
            in [0, 255] (``'input'``), or the uint8 loaded image (``'original'``).
        to_pixels: ``(w_scale, h_scale)`` from original image pixels to ``pixels``' pixels.
        resample: the resampler of :func:`~mmrec.models.crops.crop_boxes`.
        img_shape: ``(h, w)`` of the resized image inside the network input (mmdet's ``img_shape``).
        scale_factor: mmdet's ``(w_scale, h_scale)`` from original to input pixels.
    """

    pixels: Tensor
    to_pixels: Tuple[float, float]
    resample: str
    img_shape: Tuple[int, int]
    scale_factor: Tuple[float, float]

    def crops(self, boxes: Tensor, size: int, mode: str = 'crop', context_ratio: float = 0.2,
              blur_sigma: float = 0.1) -> Tensor:
        """``(K, 3, size, size)`` float RGB crops in [0, 255] of ``(K, 4)`` xyxy boxes in **original image
        pixels** (clipped to the image, thin ones grown to 1 px: :func:`~mmrec.models.crops.clip_boxes`)."""
        boxes = torch.as_tensor(boxes, dtype=torch.float32, device=self.pixels.device).reshape(-1, 4)
        if self.to_pixels != (1.0, 1.0):
            boxes = scale_boxes(boxes, self.to_pixels)
        return crop_boxes(self.pixels, boxes, size, mode=mode, context_ratio=context_ratio,
                          blur_sigma=blur_sigma, resample=self.resample)

    def input_to_original(self, boxes: Tensor) -> Tensor:
        """``(..., 4)`` boxes in this image's input pixels -> original image pixels (:func:`to_original`)."""
        return to_original(boxes, self.scale_factor)


class CropGeometry:
    """Decides, once, where a detector's CLIP crops come from and how boxes map to them.

    Args:
        crop_source: ``'input'`` or ``'original'`` (see the module docstring).
        input_norm: how the detector's data preprocessor normalised its input (read by the ``'input'`` source).
    """

    def __init__(self, crop_source: str = 'input', input_norm: InputNormalization = InputNormalization()) -> None:
        self.crop_source = check_crop_source(crop_source, type(self).__name__)
        self.input_norm = input_norm

    @classmethod
    def for_detector(cls, data_preprocessor: torch.nn.Module, encoder: torch.nn.Module) -> 'CropGeometry':
        """The geometry of a detector: its preprocessor's normalisation and its CLIP encoder's ``crop_source``."""
        return cls(getattr(encoder, 'crop_source', 'input'), InputNormalization.from_preprocessor(data_preprocessor))

    @property
    def needs_original(self) -> bool:
        """Whether the crops come from the loaded image (the data sample's ``original_image``)."""
        return self.crop_source == 'original'

    def __repr__(self) -> str:
        return f'{type(self).__name__}(crop_source={self.crop_source!r}, input_norm={self.input_norm})'

    def view(self, image: Tensor, metainfo: dict, original: Optional[Tensor] = None,
             sample_name: str = '?') -> CropView:
        """The :class:`CropView` of one image.

        Args:
            image: ``(3, H, W)`` (or ``(1, H, W)``) the detector's network input for this image (normalised,
                maybe padded); with the ``'original'`` source only its device is read.
            metainfo: mmdet metainfo; ``img_shape`` (default: the image's size) and ``scale_factor`` (default
                ``(1, 1)``) are read.
            original: ``(3, H0, W0)`` uint8 RGB loaded image; required by the ``'original'`` source.
            sample_name: names the sample in the error raised when ``original`` is missing.
        """
        img_shape = tuple(int(v) for v in tuple(metainfo.get('img_shape', image.shape[-2:]))[:2])
        scale_factor = _scale_pair(metainfo.get('scale_factor', (1.0, 1.0)))
        if self.needs_original:
            if original is None:
                raise ValueError(f"sample {sample_name} has no original_image, but the CLIP encoder has "
                                 f"crop_source='original': {MISSING_ORIGINAL_HINT}")
            return CropView(pixels=original.to(image.device), to_pixels=(1.0, 1.0), resample=ORIGINAL_RESAMPLE,
                            img_shape=img_shape, scale_factor=scale_factor)
        pixels = self.input_norm.to_rgb(image)[:, :img_shape[0], :img_shape[1]]
        return CropView(pixels=pixels, to_pixels=scale_factor, resample=INPUT_RESAMPLE, img_shape=img_shape,
                        scale_factor=scale_factor)

    def view_of(self, image: Tensor, data_sample) -> CropView:
        """:meth:`view` of a data sample's image (its ``original_image`` fetched when the source needs it)."""
        original = data_sample.get('original_image', None) if self.needs_original else None
        name = data_sample.metainfo.get('img_path') or data_sample.metainfo.get('img_id', '?')
        return self.view(image, data_sample.metainfo, original, sample_name=str(name))
