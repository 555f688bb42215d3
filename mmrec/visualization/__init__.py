"""REC visualisation: drawing a result and the test-time hook (registered)."""
from .draw import (ANSWER_COLORS, CANDIDATE_COLOR, GT_COLOR, PRED_COLOR, answer_color, draw_rec_answers,
                   draw_rec_prediction, to_bgr_uint8, wrap_text)
from .rec_visualization_hook import RECVisualizationHook

__all__ = [
    'ANSWER_COLORS', 'CANDIDATE_COLOR', 'GT_COLOR', 'PRED_COLOR', 'RECVisualizationHook', 'answer_color',
    'draw_rec_answers', 'draw_rec_prediction', 'to_bgr_uint8', 'wrap_text'
]
