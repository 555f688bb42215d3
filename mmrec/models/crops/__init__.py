"""The crop path shared by every encoder: which image the crops come from and how boxes map onto it
(:mod:`.crop_geometry`), and many boxes cropped and resized at once (:func:`~.crop_boxes.crop_boxes`), split by
concern:

- :mod:`.box_geometry`: clipping boxes to the image, the context margin;
- :mod:`.resample`: ``roi_align`` and the choice of resampler; :mod:`.pil_resample`: PIL-exact resampling;
- :mod:`.visual_prompts`: ReCLIP's blur and RedCircle's ellipse around a box on the whole image;
- :mod:`.normalization`: the detector's input normalisation and its inverse.
"""
from .box_geometry import add_context, clip_boxes
from .crop_boxes import CROP_MODES, WHOLE_IMAGE_MODES, crop_boxes
from .crop_geometry import CropGeometry, CropView
from .normalization import InputNormalization
from .pil_resample import PIL_FILTERS, PILAxisFilters, pil_crop_and_resize
from .resample import RESAMPLERS, crop_and_resize, resize_boxes
from .visual_prompts import (CIRCLE_COLOR, CIRCLE_THICKNESS, blur_outside_boxes, box_coverage, circle_boxes,
                             ellipse_outlines, gaussian_blur)

__all__ = [
    'add_context', 'clip_boxes', 'CROP_MODES', 'WHOLE_IMAGE_MODES', 'crop_boxes', 'CropGeometry', 'CropView',
    'InputNormalization', 'PIL_FILTERS', 'PILAxisFilters', 'pil_crop_and_resize', 'RESAMPLERS', 'crop_and_resize',
    'resize_boxes', 'CIRCLE_COLOR', 'CIRCLE_THICKNESS', 'blur_outside_boxes', 'box_coverage', 'circle_boxes',
    'ellipse_outlines', 'gaussian_blur'
]
