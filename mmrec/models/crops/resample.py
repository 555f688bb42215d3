"""The resamplers of the crop path: one ``roi_align`` call (:func:`crop_and_resize`) or PIL's filters
(:mod:`.pil_resample`), chosen by name (:func:`resize_boxes`)."""
import torch
from torch import Tensor
from torchvision.ops import roi_align

from .pil_resample import PIL_FILTERS, pil_crop_and_resize

#: Resamplers of :func:`crop_boxes`: ``roi_align``, or PIL's bicubic / bilinear (:func:`pil_crop_and_resize`).
RESAMPLERS = ('roi_align', 'bicubic', 'bilinear')


def crop_and_resize(image: Tensor, boxes: Tensor, size: int) -> Tensor:
    """Resample every box of ``image`` (3, H, W) to ``size x size``: returns ``(K, 3, size, size)``.

    ``roi_align`` with adaptive sampling averages ``ceil(box_side / size)`` bilinear samples per output
    pixel and axis, so shrinking a large box is anti-aliased and enlarging a small one is bilinear.
    """
    rois = torch.cat([boxes.new_zeros(len(boxes), 1), boxes], dim=1).to(image.dtype)
    return roi_align(image[None], rois, output_size=(size, size), spatial_scale=1.0, sampling_ratio=0,
                     aligned=True)


def resize_boxes(image: Tensor, boxes: Tensor, size: int, resample: str = 'roi_align') -> Tensor:
    """``(K, C, size, size)`` crops of ``boxes`` (inside the image) with one of :data:`RESAMPLERS`."""
    if resample == 'roi_align':
        return crop_and_resize(image.float(), boxes, size)
    if resample in PIL_FILTERS:
        return pil_crop_and_resize(image, boxes, size, resample)
    raise ValueError(f'unknown resampler {resample!r}; expected one of {RESAMPLERS}')
