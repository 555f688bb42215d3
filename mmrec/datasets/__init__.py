"""Data layer: the REFER loader, the REC pipeline steps and the synthetic REFER data generator."""
from .refer import REFERDataset
from .synthetic import generate_synthetic_refer, synthetic_vocabulary
from .transforms import KeepOriginalImage, LoadReferExpressions, PackRECInputs

__all__ = [
    'REFERDataset', 'KeepOriginalImage', 'LoadReferExpressions', 'PackRECInputs', 'generate_synthetic_refer',
    'synthetic_vocabulary'
]
from .region_crop import CropReferredRegion  # noqa: F401,E402  (region-text CLIP training crops)
# Other benchmarks than REFER's and the user's own data (docs/datasets.md).
from .grec_transforms import LoadGRECExpressions  # noqa: F401,E402
from .grefcoco import GRefCOCODataset  # noqa: F401,E402
from .rec_jsonl import RECJsonlDataset  # noqa: F401,E402
from .ref_l4 import RefL4Dataset  # noqa: F401,E402
