"""REC evaluation: the registered ``RECMetric`` and reusable IoU helpers."""
from .iou import (IOU_THRESHOLDS_50_95, accuracy_50_95, accuracy_at, as_boxes,
                  box_iou_matrix, box_iou_pairwise)
from .rec_metric import RECMetric, expression_rows, summarise_rows
from .rec_sample import RECSample, unpack_rec_sample

__all__ = [
    'RECMetric', 'RECSample', 'unpack_rec_sample', 'expression_rows',
    'summarise_rows', 'box_iou_pairwise', 'box_iou_matrix', 'as_boxes',
    'accuracy_at', 'accuracy_50_95', 'IOU_THRESHOLDS_50_95'
]
