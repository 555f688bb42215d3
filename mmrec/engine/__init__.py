"""Training-loop pieces: hooks."""
from .save_pretrained_hook import SaveCLIPPretrainedHook

__all__ = ['SaveCLIPPretrainedHook']
