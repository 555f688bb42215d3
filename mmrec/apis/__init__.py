"""User-facing inference: image + expressions -> boxes."""
from .inferencer import RECImageResult, RECInferencer, RECPrediction

__all__ = ['RECImageResult', 'RECInferencer', 'RECPrediction']
