"""mmrec: CLIP-augmented Referring Expression Comprehension as an MMDetection plugin.

Importing the package registers its datasets, transforms, models, metrics and hooks in mmdet's registries
(configs do it through ``custom_imports = dict(imports=['mmrec'])``) and makes mmengine load local
checkpoints weights-only from every source (local files, URLs, ``torchvision://``, ...), with an allow-list
that covers its resumable checkpoints; full unpickling needs ``--trust-checkpoint`` or
``MMREC_TRUST_CHECKPOINTS=1`` at start-up (see :mod:`mmrec.utils.safe_checkpoint`). YAML configs are read as
plain data (:mod:`mmrec.utils.safe_config`).
"""
from .utils import register_safe_checkpoint_loader, register_safe_config_loading
from .version import __version__

register_safe_checkpoint_loader()
register_safe_config_loading()

from . import datasets, engine, evaluation, models, visualization  # noqa: E402,F401  (registration)
from . import apis  # noqa: E402,F401

__all__ = ['__version__']
