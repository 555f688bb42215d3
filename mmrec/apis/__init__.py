"""User-facing inference: image + expressions -> boxes."""
from .inferencer import RECInferencer, RECPrediction

__all__ = ['RECInferencer', 'RECPrediction']
