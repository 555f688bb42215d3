"""``CropReferredRegion``: the referred object of a one-expression sample as a square CLIP input.

Region-text CLIP training (``RegionTextCLIP``) pairs the crop of the object an expression refers to
with that expression. The pipeline is ``LoadImageFromFile`` -> ``LoadReferExpressions`` ->
``CropReferredRegion`` -> ``PackRECInputs`` on a ``REFERDataset`` built with
``one_expression_per_sample=True``. The crop is made by the REC methods' own crop function
(:func:`mmrec.models.crops.crop_boxes`: ``roi_align``, stretched to ``size`` x ``size``, same crop
modes), so that training crops look exactly like the detector boxes that the trained CLIP scores.
"""
from typing import Tuple

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

from ..models.crops import CROP_MODES, WHOLE_IMAGE_MODES, add_context, clip_boxes, crop_boxes


@TRANSFORMS.register_module()
class CropReferredRegion(BaseTransform):
    """Crop the box of the sample's one expression (optionally jittered) the way the REC methods do.

    Reads ``img`` and ``gt_bboxes`` (one row: the referred object, from ``LoadReferExpressions``);
    writes ``img`` (``size`` x ``size``), ``img_shape``, ``gt_bboxes`` (the object's box in the output)
    and ``crop_box`` (the window of the input image that the output shows, ``[x1, y1, x2, y2]``).

    Args:
        size: Side of the square output, CLIP's input size (224 for ViT-B/32, 64 for the tiny CLIP).
        crop_mode: ``'crop'`` (the box), ``'context'`` (the box grown by ``context_ratio`` of its
            width / height on every side), ``'blur'`` (the whole image, blurred outside the box) or
            ``'circle'`` (the whole image, a red ellipse around the box);
            the same modes and arguments as the CLIP encoders' ``encode_boxes``, and a CLIP should be
            trained with the mode it will score boxes with.
        context_ratio: Margin of ``'context'`` crops per side, as a fraction of the box's size.
        blur_sigma: Blur of ``'blur'`` crops, as a fraction of the image size.
        jitter: Training augmentation that mimics detector boxes: the box centre moves by up to
            ``jitter`` x its width / height and each side is scaled by a factor in
            ``[1 - jitter, 1 + jitter]``. 0 disables it (use 0 for evaluation).

    Raises:
        ValueError: the sample does not have exactly one box (the dataset is not
            ``one_expression_per_sample``), naming the image.
    """

    def __init__(self, size: int = 224, crop_mode: str = 'crop', context_ratio: float = 0.2,
                 blur_sigma: float = 0.1, jitter: float = 0.0) -> None:
        if size < 1:
            raise ValueError(f'CropReferredRegion size must be positive, got {size}')
        if crop_mode not in CROP_MODES:
            raise ValueError(f'CropReferredRegion crop_mode must be one of {CROP_MODES}, got {crop_mode!r}')
        if context_ratio < 0:
            raise ValueError(f'CropReferredRegion context_ratio must be >= 0, got {context_ratio}')
        if not 0 <= jitter < 1:
            raise ValueError(f'CropReferredRegion jitter must be in [0, 1), got {jitter}')
        self.size = size
        self.crop_mode = crop_mode
        self.context_ratio = context_ratio
        self.blur_sigma = blur_sigma
        self.jitter = jitter

    def transform(self, results: dict) -> dict:
        boxes = results.get('gt_bboxes')
        if boxes is None or len(boxes) != 1:
            count = 'no' if boxes is None else len(boxes)
            raise ValueError(
                f'CropReferredRegion needs exactly one referred box per sample, got {count} for '
                f'{results.get("img_path")}: build the REFERDataset with one_expression_per_sample=True '
                f'and put LoadReferExpressions before this step')
        img = results['img']
        img_shape = img.shape[:2]
        box = self._jitter(boxes.tensor[:1].float())
        pixels = torch.from_numpy(np.ascontiguousarray(img)).float()
        pixels = pixels.permute(2, 0, 1) if pixels.dim() == 3 else pixels[None].expand(3, -1, -1)
        # crop in RGB (the 'circle' mode draws red), the loaded image and the result are BGR
        crop = crop_boxes(pixels.flip(0), box, self.size, mode=self.crop_mode, context_ratio=self.context_ratio,
                          blur_sigma=self.blur_sigma)[0].flip(0)
        results['img'] = crop.round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()
        results['img_shape'] = (self.size, self.size)

        x1, y1, x2, y2 = self._window(box, img_shape)[0].tolist()
        boxes = boxes.clone()
        boxes.translate_([-x1, -y1])
        boxes.rescale_((self.size / (x2 - x1), self.size / (y2 - y1)))
        boxes.clip_((self.size, self.size))
        results['gt_bboxes'] = boxes
        results['crop_box'] = [x1, y1, x2, y2]
        return results

    def _jitter(self, box: torch.Tensor) -> torch.Tensor:
        """The (1, 4) box moved and rescaled at random by up to ``jitter`` (unchanged when 0)."""
        if self.jitter == 0:
            return box
        x1, y1, x2, y2 = box[0].tolist()
        shift_x, shift_y, scale_w, scale_h = np.random.uniform(-self.jitter, self.jitter, size=4)
        cx, cy = (x1 + x2) / 2 + shift_x * (x2 - x1), (y1 + y2) / 2 + shift_y * (y2 - y1)
        half_w, half_h = (x2 - x1) * (1 + scale_w) / 2, (y2 - y1) * (1 + scale_h) / 2
        return box.new_tensor([[cx - half_w, cy - half_h, cx + half_w, cy + half_h]])

    def _window(self, box: torch.Tensor, img_shape: Tuple[int, int]) -> torch.Tensor:
        """The (1, 4) part of the image that ``crop_boxes`` stretches to the output, for this mode."""
        if self.crop_mode in WHOLE_IMAGE_MODES:
            return box.new_tensor([[0.0, 0.0, img_shape[1], img_shape[0]]])
        window = clip_boxes(box, img_shape)
        return add_context(window, self.context_ratio, img_shape) if self.crop_mode == 'context' else window

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(size={self.size}, crop_mode={self.crop_mode!r}, '
                f'context_ratio={self.context_ratio}, blur_sigma={self.blur_sigma}, jitter={self.jitter})')

