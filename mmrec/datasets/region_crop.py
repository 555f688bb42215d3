"""``CropReferredRegion``: the referred object of a one-expression sample as a square CLIP input.

Region-text CLIP training (``RegionTextCLIP``) pairs the crop of the object an expression refers to
with that expression. The pipeline is ``LoadImageFromFile`` -> ``LoadReferExpressions`` ->
``CropReferredRegion`` -> ``PackRECInputs`` on a ``REFERDataset`` built with
``one_expression_per_sample=True``. The crop is stretched to ``size`` x ``size`` (no aspect
preservation) with the REC methods' own crop function (``mmrec.models.box_crops``, ``roi_align``), so
that training crops are resampled exactly like the detector boxes that the trained CLIP scores.
"""
from typing import Tuple

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

from ..models.box_crops import add_context, clip_boxes, crop_and_resize


@TRANSFORMS.register_module()
class CropReferredRegion(BaseTransform):
    """Crop the box of the sample's one expression (with optional context and jitter) and resize it.

    Reads ``img`` and ``gt_bboxes`` (one row: the referred object, from ``LoadReferExpressions``);
    writes ``img`` (``size`` x ``size``), ``img_shape``, ``gt_bboxes`` (the object's box in the crop)
    and ``crop_box`` (the crop window in the input image, float ``[x1, y1, x2, y2]``).

    Args:
        size: Side of the square output, CLIP's input size (224 for ViT-B/32, 64 for the tiny CLIP).
        context: Context added on every side, as a fraction of the box's width / height (0.1 widens
            a 100 px wide box to 120 px), clipped to the image: the same as the CLIP encoders'
            ``crop_mode='context', context_ratio=context``; 0 is their ``crop_mode='crop'``.
        jitter: Training augmentation that mimics detector boxes: the box centre moves by up to
            ``jitter`` x its width / height and each side is scaled by a factor in
            ``[1 - jitter, 1 + jitter]``. 0 disables it (use 0 for evaluation).

    Raises:
        ValueError: the sample does not have exactly one box (the dataset is not
            ``one_expression_per_sample``), naming the image.
    """

    def __init__(self, size: int = 224, context: float = 0.0, jitter: float = 0.0) -> None:
        if size < 1:
            raise ValueError(f'CropReferredRegion size must be positive, got {size}')
        if context < 0:
            raise ValueError(f'CropReferredRegion context must be >= 0, got {context}')
        if not 0 <= jitter < 1:
            raise ValueError(f'CropReferredRegion jitter must be in [0, 1), got {jitter}')
        self.size = size
        self.context = context
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
        window = self._crop_window(boxes.tensor[:1].float(), img_shape)
        pixels = torch.from_numpy(np.ascontiguousarray(img)).float()
        pixels = pixels.permute(2, 0, 1) if pixels.dim() == 3 else pixels[None].expand(3, -1, -1)
        crop = crop_and_resize(pixels, window, self.size)[0]
        results['img'] = crop.round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()
        results['img_shape'] = (self.size, self.size)

        x1, y1, x2, y2 = window[0].tolist()
        boxes = boxes.clone()
        boxes.translate_([-x1, -y1])
        boxes.rescale_((self.size / (x2 - x1), self.size / (y2 - y1)))
        boxes.clip_((self.size, self.size))
        results['gt_bboxes'] = boxes
        results['crop_box'] = [x1, y1, x2, y2]
        return results

    def _crop_window(self, box: torch.Tensor, img_shape: Tuple[int, int]) -> torch.Tensor:
        """The (1, 4) window to resample: the box, jittered, clipped, then grown by the context."""
        if self.jitter > 0:
            x1, y1, x2, y2 = box[0].tolist()
            shift_x, shift_y, scale_w, scale_h = np.random.uniform(-self.jitter, self.jitter, size=4)
            cx, cy = (x1 + x2) / 2 + shift_x * (x2 - x1), (y1 + y2) / 2 + shift_y * (y2 - y1)
            half_w, half_h = (x2 - x1) * (1 + scale_w) / 2, (y2 - y1) * (1 + scale_h) / 2
            box = box.new_tensor([[cx - half_w, cy - half_h, cx + half_w, cy + half_h]])
        window = clip_boxes(box, img_shape)
        return add_context(window, self.context, img_shape) if self.context > 0 else window

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(size={self.size}, context={self.context}, '
                f'jitter={self.jitter})')

