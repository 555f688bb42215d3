"""REC evaluation: the registered ``RECMetric``, ``RefL4Metric``, ``GRECMetric`` and reusable IoU helpers."""
from .iou import (IOU_THRESHOLDS_50_95, accuracy_50_95, accuracy_at, as_boxes,
                  box_iou_matrix, box_iou_pairwise)
from .rec_metric import RECMetric, expression_rows, summarise_rows
from .rec_sample import RECSample, unpack_rec_sample
from .ref_l4_metric import RefL4Metric
from .grec_metric import GRECMetric

__all__ = [
    'RECMetric', 'RefL4Metric', 'GRECMetric', 'RECSample', 'unpack_rec_sample', 'expression_rows',
    'summarise_rows', 'box_iou_pairwise', 'box_iou_matrix', 'as_boxes',
    'accuracy_at', 'accuracy_50_95', 'IOU_THRESHOLDS_50_95'
]
