"""``SaveCLIPPretrainedHook``: write the trained CLIP as a ``from_pretrained`` directory."""
import os.path as osp
from typing import Optional

from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmdet.registry import HOOKS

from ..utils import unwrap_model


@HOOKS.register_module()
class SaveCLIPPretrainedHook(Hook):
    """At the end of training, call the model's ``save_pretrained(save_dir)`` (rank 0 only).

    ``RegionTextCLIP`` writes its ``CLIPModel``, tokenizer and ``CLIPImageProcessor`` there, so that the
    REC methods load the trained CLIP by directory, like a released one.

    Args:
        save_dir: Target directory; relative paths and the default (``'clip'``) are joined to the
            runner's work dir.

    Raises:
        TypeError: the model has no ``save_pretrained`` method (names its class).
    """

    priority = 'LOWEST'  # after the checkpoint hook, so a failure here loses no checkpoint

    def __init__(self, save_dir: str = 'clip') -> None:
        self.save_dir = save_dir

    def target_dir(self, work_dir: str) -> str:
        return self.save_dir if osp.isabs(self.save_dir) else osp.join(work_dir, self.save_dir)

    @master_only
    def after_train(self, runner) -> None:
        model = unwrap_model(runner.model)
        if not callable(getattr(model, 'save_pretrained', None)):
            raise TypeError(f'SaveCLIPPretrainedHook: {type(model).__name__} has no save_pretrained(save_dir)')
        save_dir = self.target_dir(runner.work_dir)
        model.save_pretrained(save_dir)
        runner.logger.info(f'Saved the trained CLIP for from_pretrained() to {save_dir}')
