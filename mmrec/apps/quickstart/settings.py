"""The quickstart's settings: what to generate, train and evaluate, and the rows of its table."""
import os.path as osp
import sys
from dataclasses import dataclass
from typing import Optional, Tuple

CONFIG_DIR = 'configs/quickstart'
SOURCE_SEED_OFFSET = 1000  # the source set's seed: far from the REC data's, so no scene repeats
KINDS = ('attribute', 'spatial', 'relational')
# The training configs (in CONFIG_DIR), by the settings' name of their epochs.
CONFIGS = dict(detector='faster-rcnn_r18-tiny_fpn_12e_source-shapes.py', clip='tiny-clip_synthetic-regions.py',
               finetune='faster-rcnn_r18-tiny_fpn_6e_synthetic-ft.py',
               method1='method1_tiny-clip_r18-tiny_fpn_ft_synthetic.py')


# ---------------------------------------------------------------------------------------------- settings
@dataclass
class QuickstartSettings:
    """What to generate, train and evaluate. ``None`` epochs keep the config's schedule."""
    work_dir: str = 'work_dirs/quickstart'
    data_root: str = 'data/synthetic'
    source_root: str = 'data/synthetic_source'
    grefcoco_root: str = 'data/synthetic_grefcoco'  # the generalised row's data (gRefCOCO layout)
    seed: int = 0
    num_train: int = 200
    num_val: int = 50
    num_source: int = 200
    num_grec: int = 30  # gRefCOCO images of each of val (the threshold's choice) and testA (the figures)
    image_size: Tuple[int, int] = (320, 240)
    source_image_size: Tuple[int, int] = (160, 120)
    detector_epochs: Optional[int] = None  # the untuned detector
    finetune_epochs: Optional[int] = None  # the fine-tuned detector
    clip_epochs: Optional[int] = None
    method1_epochs: Optional[int] = None
    jobs: int = 2
    threads: int = 1
    reuse: bool = False
    python: str = sys.executable

    def __post_init__(self) -> None:
        for name in ('num_train', 'num_val', 'num_source', 'num_grec', 'jobs', 'threads'):
            if getattr(self, name) < 1:
                raise ValueError(f'quickstart: {name} must be at least 1, got {getattr(self, name)}')
        for name in ('detector_epochs', 'finetune_epochs', 'clip_epochs', 'method1_epochs'):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f'quickstart: {name} must be at least 1, got {value}')
        # the tools run from the repository root: hand them absolute paths
        self.work_dir, self.data_root, self.source_root, self.grefcoco_root = (
            osp.abspath(p) for p in (self.work_dir, self.data_root, self.source_root, self.grefcoco_root))
        self.image_size = tuple(self.image_size)
        self.source_image_size = tuple(self.source_image_size)

    def path(self, *parts: str) -> str:
        return osp.join(self.work_dir, *parts)


@dataclass(frozen=True)
class Row:
    """One row of Table 1: a method evaluated with a config over a detector checkpoint."""
    key: str
    method: str
    config: str
    detector: str  # the training stage whose checkpoint the evaluation loads
    # Test at the scale the detector trained at: the untuned detector learnt the shapes at half the REC data's
    # pixel size (the source set), so its rows resize the val images to source_image_size, as mmdet runs a
    # COCO detector at its own test scale whatever the data set.
    at_source_scale: bool = False


# The report's four rows, each with spatial reasoning (mmrec.models.spatial_reasoning), then method 2 as the
# report describes it (crop similarity alone), to show what the reasoning adds.
ROWS = (
    Row('method1_baseline', 'method 1 baseline (zero-shot head, untuned detector) + spatial reasoning',
        f'{CONFIG_DIR}/method1_tiny-clip_r18-tiny_fpn_zeroshot_synthetic.py', 'detector_untuned', True),
    Row('method1_finetuned', 'method 1 fine-tuned (RPN + branch trained) + spatial reasoning',
        f'{CONFIG_DIR}/method1_tiny-clip_r18-tiny_fpn_ft_synthetic.py', 'method1_train'),
    Row('method2_untuned', 'method 2, untuned detector + spatial reasoning',
        f'{CONFIG_DIR}/method2_tiny-clip_r18-tiny_fpn_synthetic.py', 'detector_untuned', True),
    Row('method2_finetuned', 'method 2, fine-tuned detector + spatial reasoning',
        f'{CONFIG_DIR}/method2_tiny-clip_r18-tiny_fpn_synthetic.py', 'detector_finetuned'),
    Row('method2_untuned_crop_only', "method 2, untuned detector, crop similarity only (the report's)",
        f'{CONFIG_DIR}/method2_tiny-clip_r18-tiny_fpn_crop-only_synthetic.py', 'detector_untuned', True),
    Row('method2_finetuned_crop_only', "method 2, fine-tuned detector, crop similarity only (the report's)",
        f'{CONFIG_DIR}/method2_tiny-clip_r18-tiny_fpn_crop-only_synthetic.py', 'detector_finetuned'),
)
