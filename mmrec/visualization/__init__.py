"""REC visualisation: drawing a result and the test-time hook (registered)."""
from .draw import (GT_COLOR, PRED_COLOR, draw_rec_prediction, to_bgr_uint8,
                   wrap_text)
from .rec_visualization_hook import RECVisualizationHook

__all__ = [
    'draw_rec_prediction', 'to_bgr_uint8', 'wrap_text', 'GT_COLOR',
    'PRED_COLOR', 'RECVisualizationHook'
]
