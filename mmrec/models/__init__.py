"""Models, by concern (importing registers them):

- :mod:`.encoders`: the frozen encoders (CLIP, OpenCLIP, SigLIP, ensembles);
- :mod:`.crops`: their shared crop path (crop geometry, box clipping, resampling, visual prompts);
- :mod:`.method1`: the text-conditioned RoI head and its detector;
- :mod:`.method2`: any mmdet detector re-ranked per expression (``RECDetector``), the proposal scorer and the
  grounding side (GroundingDINO's language model on transformers 5, prompts, shared image work);
- :mod:`.scoring`: the scoring parts both methods use (the spatial reasoner part, score subtraction, the
  scoring policy's fallbacks and size prior) and their cached image work;
- :mod:`.spatial_reasoning`: the rule-based spatial reasoner;
- :mod:`.clip_training`: region-text CLIP training and the tiny CLIPs.
"""
from .clip_training import RegionTextCLIP, build_tiny_clip, build_word_tokenizer
from .crops import CROP_MODES, CropGeometry, CropView, InputNormalization, crop_boxes, pil_crop_and_resize
from .encoders import (BaseCLIPEncoder, CLIPEncoder, EncoderEnsemble, OpenCLIPEncoder, PretrainedEncoder,
                       SigLIPEncoder, load_clip)
from .method1 import CLIPTextConditionedHead, TextConditionedRCNN, TextConditionedRoIHead
from .method2 import CLIPProposalScorer, RECBertModel, RECDetector, RECTwoStageDetector
from .spatial_reasoning import SpatialReasoner, parse_expression

__all__ = [
    'CROP_MODES', 'InputNormalization', 'crop_boxes', 'pil_crop_and_resize', 'CropGeometry', 'CropView',
    'BaseCLIPEncoder', 'CLIPEncoder', 'PretrainedEncoder', 'OpenCLIPEncoder', 'SigLIPEncoder', 'EncoderEnsemble',
    'load_clip',
    'CLIPProposalScorer', 'RECBertModel', 'RECDetector', 'RECTwoStageDetector', 'CLIPTextConditionedHead',
    'TextConditionedRCNN', 'TextConditionedRoIHead', 'RegionTextCLIP', 'build_tiny_clip', 'build_word_tokenizer',
    'SpatialReasoner', 'parse_expression',
]
