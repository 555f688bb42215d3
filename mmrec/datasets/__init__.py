"""Data layer: the REFER loader, the REC pipeline steps and the synthetic REFER data generator."""
from .refer import REFERDataset
from .synthetic import generate_synthetic_refer, synthetic_vocabulary
from .transforms import KeepOriginalImage, LoadReferExpressions, PackRECInputs

__all__ = [
    'REFERDataset', 'KeepOriginalImage', 'LoadReferExpressions', 'PackRECInputs', 'generate_synthetic_refer',
    'synthetic_vocabulary'
]
from .region_crop import CropReferredRegion  # noqa: F401,E402  (region-text CLIP training crops)
