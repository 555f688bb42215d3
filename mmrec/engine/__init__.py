"""Training- and evaluation-loop pieces: hooks (the expression bank, saving the trained CLIP, the evaluation
cache); :mod:`.sweep` holds the one-pass sweep (imported by ``tools/sweep.py``)."""
from .expression_bank_hook import ExpressionBankHook
from .rec_cache_hook import RECCacheHook, add_rec_cache_hook
from .save_pretrained_hook import SaveCLIPPretrainedHook

__all__ = ['ExpressionBankHook', 'RECCacheHook', 'SaveCLIPPretrainedHook', 'add_rec_cache_hook']
