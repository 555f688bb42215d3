"""Helpers for mmrec's tests: generated images with known answers, detector inputs, tiny model configs."""
from .rec_fixtures import (TINY_DETECTOR_OPTIONS, cli_options, colored_squares, detector_input,
                           save_tiny_clip, tiny_method2_config)

__all__ = [
    'TINY_DETECTOR_OPTIONS', 'cli_options', 'colored_squares', 'detector_input', 'save_tiny_clip',
    'tiny_method2_config'
]
