"""mmrec: CLIP-augmented Referring Expression Comprehension as an MMDetection plugin.

Importing the package registers its datasets, transforms, models, metrics and hooks in mmdet's registries
(configs do it through ``custom_imports = dict(imports=['mmrec'])``) and lets mmengine resume checkpoints
on torch >= 2.6 (see :mod:`mmrec.utils.checkpoint_compat`).
"""
from .utils import patch_mmengine_checkpoint_loading
from .version import __version__

patch_mmengine_checkpoint_loading()

from . import datasets, engine, evaluation, models, visualization  # noqa: E402,F401  (registration)
from . import apis  # noqa: E402,F401

__all__ = ['__version__']
