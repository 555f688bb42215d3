"""Training- and evaluation-loop pieces: hooks."""
from .expression_bank_hook import ExpressionBankHook
from .save_pretrained_hook import SaveCLIPPretrainedHook

__all__ = ['ExpressionBankHook', 'SaveCLIPPretrainedHook']
