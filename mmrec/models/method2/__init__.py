"""Method 2 over any mmdet detector: the grounding side (a transformers 5 language model for GroundingDINO /
GLIP, the text prompts a grounding detector is given per expression, image work shared across an image's
expressions)."""
from .bert_language_model import RECBertModel
from .grounding import check_grounding_detector, predict_prompts, predict_with_features
from .prompts import COCO_PROMPT, TEXT_PROMPTS, check_prompt, class_names, detector_prompt, is_per_image, set_prompt
from .subject_prompt import subject_prompt

__all__ = [
    'RECBertModel', 'check_grounding_detector', 'predict_prompts', 'predict_with_features', 'COCO_PROMPT',
    'TEXT_PROMPTS', 'check_prompt', 'class_names', 'detector_prompt', 'is_per_image', 'set_prompt', 'subject_prompt'
]
