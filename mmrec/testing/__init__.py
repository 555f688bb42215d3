"""Helpers for mmrec's tests: generated images with known answers, detector inputs, tiny model configs, and
test doubles of the CLIP encoder and of a detector, tiny detectors of several families.

Nothing in the product imports this package. Importing it registers the test doubles
(:class:`~mmrec.testing.encoders.MeanColorEncoder`, :class:`~mmrec.testing.detectors.NamedBoxesDetector`) in
mmdet's ``MODELS`` registry.
"""
from mmrec.models.method2.tiny_bert import save_tiny_bert
from mmrec.models.method2.tiny_grounding_dino import TINY_GROUNDING_DINO, tiny_grounding_dino_config
from .detections import assert_same_detections
from .detectors import NamedBoxesDetector
from .encoders import COLOR_WORDS, MeanColorEncoder
from .logs import LoggedWarnings, logged_warnings
from .rec_fixtures import (TINY_DETECTOR_OPTIONS, cli_options, colored_squares, detector_input, save_tiny_clip,
                           save_tiny_detector, squares_view, tiny_method2_config, tiny_method2_options)
from .tiny_detectors import TINY_DETECTORS, rec_detector_config, save_detector_checkpoint

__all__ = [
    'COLOR_WORDS', 'LoggedWarnings', 'MeanColorEncoder', 'NamedBoxesDetector', 'TINY_DETECTORS',
    'TINY_DETECTOR_OPTIONS', 'TINY_GROUNDING_DINO', 'assert_same_detections', 'cli_options', 'colored_squares',
    'detector_input', 'logged_warnings', 'rec_detector_config', 'save_detector_checkpoint', 'save_tiny_bert', 'save_tiny_clip',
    'save_tiny_detector', 'squares_view', 'tiny_grounding_dino_config', 'tiny_method2_config', 'tiny_method2_options'
]
