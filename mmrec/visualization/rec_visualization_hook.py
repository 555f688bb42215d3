"""``RECVisualizationHook``: one picture per expression while testing.

Enabled by ``tools/test.py --show-dir DIR`` (which sets ``draw=True`` and
``test_out_dir=DIR`` on ``default_hooks.visualization``). Every rank draws the
samples it predicted; nothing is gathered.
"""
import os.path as osp
from typing import Any, Optional, Sequence

import cv2
import mmcv
import numpy as np
from mmengine.fileio import get
from mmengine.hooks import Hook
from mmengine.utils import mkdir_or_exist

from mmdet.registry import HOOKS

from ..evaluation.iou import box_iou_pairwise
from ..evaluation.rec_sample import RECSample, unpack_rec_sample
from .draw import draw_rec_prediction

#: Sub-folder of ``work_dir/timestamp`` used when ``draw`` is on but no
#: ``test_out_dir`` was given.
DEFAULT_OUT_DIR = 'rec_vis'


@HOOKS.register_module()
class RECVisualizationHook(Hook):
    """Write ``{img_id}_{sent_id}.jpg`` for each expression of each test sample.

    The picture is the original image (read again from ``img_path``) with the
    ground-truth box in green, the prediction in red and the expression below
    (see :func:`draw_rec_prediction`).

    Args:
        draw: draw at all; ``tools/test.py --show-dir`` switches it on.
        test_out_dir: output folder. A relative path goes under
            ``runner.work_dir/runner.timestamp/`` as in mmdet's
            ``DetVisualizationHook``; an absolute path is used as is. ``None``
            means ``work_dir/timestamp/rec_vis``.
        max_per_image: draw at most this many expressions per image (the
            first ones); ``None`` draws all.
        interval: draw test iterations (batches) 0, interval, 2 * interval, ...
        show: also display each picture in a window (``tools/test.py --show``).
        wait_time: seconds a shown picture stays up (0: until a key press).
        backend_args: file backend arguments for reading images.
    """

    priority = 'NORMAL'

    def __init__(self,
                 draw: bool = False,
                 test_out_dir: Optional[str] = None,
                 max_per_image: Optional[int] = None,
                 interval: int = 1,
                 show: bool = False,
                 wait_time: float = 0.,
                 backend_args: Optional[dict] = None) -> None:
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        if max_per_image is not None and max_per_image < 1:
            raise ValueError(f'max_per_image must be >= 1 or None, got {max_per_image}')
        self.draw = draw
        self.test_out_dir = test_out_dir
        self.max_per_image = max_per_image
        self.interval = interval
        self.show = show
        self.wait_time = wait_time
        self.backend_args = backend_args
        self._out_dir: Optional[str] = None

    def out_dir(self, runner: Any) -> str:
        """The folder pictures go to, resolved (and created) once per run."""
        if self._out_dir is None:
            relative = self.test_out_dir or DEFAULT_OUT_DIR
            self._out_dir = osp.join(runner.work_dir, runner.timestamp, relative)
            mkdir_or_exist(self._out_dir)
        return self._out_dir

    def before_test(self, runner: Any) -> None:
        self._out_dir = None  # a new test run may have a new timestamp

    def after_test_iter(self,
                        runner: Any,
                        batch_idx: int,
                        data_batch: Any = None,
                        outputs: Optional[Sequence[Any]] = None) -> None:
        """Draw the batch's samples when drawing is on and the interval hits."""
        if not self.draw or not outputs or batch_idx % self.interval != 0:
            return
        out_dir = self.out_dir(runner)
        for data_sample in outputs:
            self.draw_sample(data_sample, out_dir)

    def draw_sample(self, data_sample: Any, out_dir: str) -> None:
        """Write the pictures of one image's expressions into ``out_dir``."""
        sample = unpack_rec_sample(data_sample)
        if not sample.img_path:
            raise ValueError(
                f'RECVisualizationHook needs the original image, but sample '
                f'{sample.describe()} has no img_path')
        image = mmcv.imfrombytes(
            get(sample.img_path, backend_args=self.backend_args), flag='color')
        if image is None:
            raise ValueError(f'could not decode the image {sample.img_path!r}')

        count = len(sample.expressions)
        if self.max_per_image is not None:
            count = min(count, self.max_per_image)
        for index in range(count):
            picture = self._draw_expression(image, sample, index)
            path = osp.join(out_dir, self.file_name(sample, index))
            if not cv2.imwrite(path, picture):
                raise OSError(f'could not write {path!r}')
            if self.show:
                mmcv.imshow(picture, osp.basename(path), int(self.wait_time * 1000))

    @staticmethod
    def file_name(sample: RECSample, index: int) -> str:
        """``{img_id}_{sent_id}.jpg``; falls back to the image stem / row index."""
        expression = sample.expressions[index]
        image_part = sample.img_id
        if image_part is None:
            image_part = osp.splitext(osp.basename(sample.img_path))[0]
        sent_id = expression.get('sent_id')
        return f'{image_part}_{index if sent_id is None else sent_id}.jpg'

    @staticmethod
    def _draw_expression(image: np.ndarray, sample: RECSample,
                         index: int) -> np.ndarray:
        expression = sample.expressions[index]
        gt_bbox = expression.get('bbox')
        pred_bbox = sample.pred_bboxes[index]
        iou = None
        if gt_bbox is not None:
            iou = float(box_iou_pairwise(pred_bbox, gt_bbox)[0])
        score = None if sample.pred_scores is None else sample.pred_scores[index]
        return draw_rec_prediction(
            image,
            expression.get('text', ''),
            gt_bbox=gt_bbox,
            pred_bbox=pred_bbox,
            score=score,
            iou=iou)
