"""The ``--cfg-options`` entries the quickstart's stages pass to ``tools/train.py``, ``tools/test.py`` and
``tools/sweep.py``: data roots, the Resize step's scale, the CLIP directory."""
import os
import os.path as osp
from typing import Tuple

from mmrec.paths import REPO_ROOT
from .settings import QuickstartSettings

#: The config key of the CLIP ``from_pretrained`` directory, per method.
CLIP_OPTION = {'method1': 'model.roi_head.bbox_head.encoder.name_or_path',
               'method2': 'model.scorer.encoder.name_or_path'}


def data_root_option(key: str, root: str) -> str:
    """``<key>.data_root=<root>/``: the trailing separator that mmdet's path joining expects."""
    return f'{key}.data_root={root.rstrip(os.sep)}{os.sep}'


def resize_step(config: str, key: str) -> int:
    """Where the ``Resize`` step is in the pipeline of ``key`` (``'<loader>.dataset'``) of ``config``: the
    step is found by its type, so that the configs may add or reorder the others."""
    from mmengine.config import Config
    node = Config.fromfile(osp.join(REPO_ROOT, config), import_custom_modules=False)
    for part in key.split('.'):
        node = node[part]
    steps = [i for i, step in enumerate(node['pipeline']) if step['type'] == 'Resize']
    if len(steps) != 1:
        raise ValueError(f'{config}: {key}.pipeline has {len(steps)} Resize steps, the quickstart needs one')
    return steps[0]


def scale_option(config: str, key: str, size: Tuple[int, int]) -> str:
    """The ``--cfg-options`` entry that sets the scale of the Resize step of ``key``'s pipeline in ``config``."""
    return f'{key}.pipeline.{resize_step(config, key)}.scale=({size[0]},{size[1]})'


def clip_dir(settings: QuickstartSettings) -> str:
    """Where the CLIP stage's ``SaveCLIPPretrainedHook`` writes the ``from_pretrained`` directory."""
    return settings.path('clip', 'clip')
