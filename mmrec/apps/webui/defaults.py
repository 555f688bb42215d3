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
#: Expressions shown with each example image: its own, one per ref (the generator's wordings of its objects).
EXPRESSIONS_PER_EXAMPLE = 3


class QuickstartMissing(FileNotFoundError):
    """The quickstart's models are not there; the message says how to make them."""


@dataclass
class DemoSources:
    """What the app serves: the model (config, checkpoint, config overrides), example images for *Try it*, and
    predictions files and data configs for *Browse results*. ``example_expressions``: per example image (path), the
    expressions the page offers with it (one per line); an image without an entry gets none."""
    config: str
    checkpoint: Optional[str]
    cfg_options: Dict[str, object] = field(default_factory=dict)
    examples: List[str] = field(default_factory=list)
    example_expressions: Dict[str, str] = field(default_factory=dict)
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
    expressions = image_expressions(osp.join(settings.data_root, 'synthetic', 'refs(unc).p'),
                                    [osp.basename(path) for path in examples])
    predictions = sorted(glob.glob(settings.path('eval', '*', 'predictions.jsonl')))
    config = osp.join(REPO_ROOT, DEFAULT_CONFIG)
    return DemoSources(config=config, checkpoint=checkpoint,
                       cfg_options={'model.scorer.encoder.name_or_path': clip},
                       examples=[path for path in examples if expressions.get(osp.basename(path))],
                       example_expressions={path: '\n'.join(expressions[osp.basename(path)]) for path in examples
                                            if expressions.get(osp.basename(path))},
                       predictions=predictions, data_configs=[config])


def expressions_beside(examples: List[str]) -> Dict[str, str]:
    """Per example image (path), its own expressions (one per line) from the REFER data set it sits in
    (``<root>/images/<name>`` with ``<root>/<dataset>/refs(*).p``, the first split file found); images outside
    such a layout get no entry (the page user types the expressions), and no folder beside them is read."""
    found: Dict[str, str] = {}
    for path in examples:
        folder = osp.dirname(osp.abspath(path))
        if osp.basename(folder) != 'images':
            continue
        root = osp.dirname(folder)
        for split_file in sorted(glob.glob(osp.join(root, '*', 'refs(*).p'))):
            texts = image_expressions(split_file, [osp.basename(path)]).get(osp.basename(path))
            if texts:
                found[path] = '\n'.join(texts)
                break
    return found


def image_expressions(split_file: str, file_names: List[str],
                      per_image: int = EXPRESSIONS_PER_EXAMPLE) -> Dict[str, List[str]]:
    """Per image file name, up to ``per_image`` of its own expressions from a REFER split file: the first
    wording of each of its refs (different objects), in the file's order; ``{}`` when the file is missing."""
    from mmrec.datasets.refer_io import load_refs, sentence_text

    if not osp.isfile(split_file):
        return {}
    wanted = set(file_names)
    found: Dict[str, List[str]] = {}
    for ref in load_refs(split_file):
        name = ref.get('file_name')
        texts = [sentence_text(s) for s in ref['sentences'] if isinstance(s, dict) and sentence_text(s)]
        if name in wanted and texts and len(found.setdefault(name, [])) < per_image and texts[0] not in found[name]:
            found[name].append(texts[0])
    return found


def _how_to_make(settings: QuickstartSettings, reason: str) -> str:
    return (f'The quickstart models the demos (tools/demo.py, tools/web_demo.py) use by default are not there '
            f'({reason}).\n'
            f'Make them offline in 4-8 minutes with:\n    python tools/quickstart.py\n'
            f'(they go to {settings.work_dir}), or pass your own: '
            f'python tools/web_demo.py --config CONFIG --checkpoint CHECKPOINT')


def find_predictions(folders: List[str]) -> List[str]:
    """The ``*.jsonl`` files under ``folders`` (recursively), sorted: the browse tab's fixed choice list."""
    found = set()
    for folder in folders:
        found.update(glob.glob(osp.join(folder, '**', '*.jsonl'), recursive=True))
    return sorted(found)
