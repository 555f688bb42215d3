"""Method 2 over any mmdet detector: the grounding side (a transformers 5 language model for GroundingDINO /
GLIP, the text prompts a grounding detector is given per expression, image work shared across an image's
expressions)."""
from .bert_language_model import RECBertModel

__all__ = ['RECBertModel']
