"""The app's offline default: the quickstart's trained tiny models, synthetic images and predictions files
(``python tools/quickstart.py`` makes them), found without any argument.

Everything is looked up under fixed folders chosen at start-up, never from what a page user types.
"""
import glob
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from mmrec.paths import REPO_ROOT
from mmrec.apps.quickstart import CONFIG_DIR, QuickstartSettings, clip_dir, last_checkpoint

#: The quickstart row the demo serves by default: method 2 with the fine-tuned detector and spatial reasoning.
DEFAULT_CONFIG = f'{CONFIG_DIR}/method2_tiny-clip_r18-tiny_fpn_synthetic.py'
DEFAULT_DETECTOR_STAGE = 'detector_finetuned'
MAX_EXAMPLES = 4


class QuickstartMissing(FileNotFoundError):
    """The quickstart's models are not there; the message says how to make them."""


@dataclass
class DemoSources:
    """What the app serves: the model (config, checkpoint, config overrides), example images for *Try it*, and
    predictions files and data configs for *Browse results*."""
    config: str
    checkpoint: Optional[str]
    cfg_options: Dict[str, object] = field(default_factory=dict)
    examples: List[str] = field(default_factory=list)
    predictions: List[str] = field(default_factory=list)
    data_configs: List[str] = field(default_factory=list)


def quickstart_settings(work_dir: str = osp.join(REPO_ROOT, 'work_dirs', 'quickstart'),
                        data_root: str = osp.join(REPO_ROOT, 'data', 'synthetic')) -> QuickstartSettings:
    return QuickstartSettings(work_dir=work_dir, data_root=data_root)


def quickstart_sources(settings: Optional[QuickstartSettings] = None) -> DemoSources:
    """The quickstart's method 2 (fine-tuned detector, its tiny CLIP), a few of its val images and the
    ``predictions.jsonl`` of its evaluations.

    Raises:
        QuickstartMissing: the detector checkpoint or the CLIP directory is missing (says to run
            ``python tools/quickstart.py``, or to pass ``--config`` and ``--checkpoint``).
    """
    settings = settings or quickstart_settings()
    clip = clip_dir(settings)
    try:
        checkpoint = last_checkpoint(settings.path(DEFAULT_DETECTOR_STAGE))
    except FileNotFoundError as error:
        raise QuickstartMissing(_how_to_make(settings, str(error))) from None
    if not osp.isfile(osp.join(clip, 'config.json')):
        raise QuickstartMissing(_how_to_make(settings, f'no tiny CLIP in {clip}'))
    examples = sorted(glob.glob(osp.join(settings.data_root, 'images', 'val_*')))[:MAX_EXAMPLES]
    predictions = sorted(glob.glob(settings.path('eval', '*', 'predictions.jsonl')))
    config = osp.join(REPO_ROOT, DEFAULT_CONFIG)
    return DemoSources(config=config, checkpoint=checkpoint,
                       cfg_options={'model.scorer.encoder.name_or_path': clip},
                       examples=examples, predictions=predictions, data_configs=[config])


def _how_to_make(settings: QuickstartSettings, reason: str) -> str:
    return (f'The quickstart models the web demo starts on by default are not there ({reason}).\n'
            f'Make them offline in 4-8 minutes with:\n    python tools/quickstart.py\n'
            f'(they go to {settings.work_dir}), or pass your own: '
            f'python tools/web_demo.py --config CONFIG --checkpoint CHECKPOINT')


def find_predictions(folders: List[str]) -> List[str]:
    """The ``*.jsonl`` files under ``folders`` (recursively), sorted: the browse tab's fixed choice list."""
    found = set()
    for folder in folders:
        found.update(glob.glob(osp.join(folder, '**', '*.jsonl'), recursive=True))
    return sorted(found)
