"""Models: the frozen encoders (CLIP, OpenCLIP, SigLIP, ensembles) and their shared crop path, method 2's proposal
scorer and REC detector, method 1's text-conditioned head and detector, and region-text CLIP training (importing
registers them)."""
from .crops import CROP_MODES, InputNormalization, crop_boxes, pil_crop_and_resize
from .encoders.clip_encoder import BaseCLIPEncoder, CLIPEncoder, PretrainedEncoder, load_clip
from .crops.crop_geometry import CropGeometry, CropView
from .encoders.encoder_ensemble import EncoderEnsemble
from .encoders.open_clip_encoder import OpenCLIPEncoder
from .proposal_scorer import CLIPProposalScorer
from .rec_detector import RECTwoStageDetector
from .region_text_clip import RegionTextCLIP
from .encoders.siglip_encoder import SigLIPEncoder
from .spatial_reasoning import SpatialReasoner, parse_expression
from .method1.text_conditioned_bbox_head import CLIPTextConditionedHead
from .method1.text_conditioned_rcnn import TextConditionedRCNN
from .method1.text_conditioned_roi_head import TextConditionedRoIHead
from .tiny_clip import build_tiny_clip, build_word_tokenizer

__all__ = [
    'CROP_MODES', 'InputNormalization', 'crop_boxes', 'pil_crop_and_resize', 'CropGeometry', 'CropView',
    'BaseCLIPEncoder', 'CLIPEncoder', 'PretrainedEncoder', 'OpenCLIPEncoder', 'SigLIPEncoder', 'EncoderEnsemble',
    'load_clip',
    'CLIPProposalScorer', 'RECTwoStageDetector', 'CLIPTextConditionedHead',
    'TextConditionedRCNN', 'TextConditionedRoIHead', 'RegionTextCLIP', 'build_tiny_clip', 'build_word_tokenizer',
    'SpatialReasoner', 'parse_expression',
]
