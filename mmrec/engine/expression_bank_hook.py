"""``ExpressionBankHook``: hand the evaluated data set's expressions to the model's score subtraction."""
import logging
from typing import Any, List, Sequence, Tuple

import torch

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmdet.registry import HOOKS

from ..utils import unwrap_model


def dataset_expressions(dataset) -> List[Tuple[Any, str]]:
    """``(img_id, text)`` of every expression of a REC data set (its data infos' ``expressions``, in order;
    ``get_data_info`` also reads through mmengine's dataset wrappers)."""
    expressions = []
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        if 'expressions' not in info:
            raise KeyError(f'ExpressionBankHook: sample {index} of {type(dataset).__name__} has no "expressions" '
                           '(a REC data set such as REFERDataset is needed to draw the score subtraction bank)')
        expressions.extend((info.get('img_id'), str(expression['text'])) for expression in info['expressions'])
    return expressions


def expression_bank_takers(models: Sequence[torch.nn.Module]) -> List[Tuple[str, torch.nn.Module]]:
    """``(name, module)`` of every sub-module of ``models`` that draws its score-subtraction bank from the data
    set's expressions (``needs_expression_bank``: ``score_subtraction=dict(source='dataset')``)."""
    return [(name, module) for model in models for name, module in model.named_modules()
            if getattr(module, 'needs_expression_bank', False)]


def hand_expression_bank(models: Sequence[torch.nn.Module], dataset, loop: str) -> None:
    """The expressions of ``dataset`` (the ``loop`` loop's: ``'val'`` / ``'test'``) to every module of
    ``models`` that draws a bank from them (:func:`expression_bank_takers`); nothing when none does."""
    takers = [module for _, module in expression_bank_takers(models)]
    if not takers:
        return
    expressions = dataset_expressions(dataset)
    print_log(f'ExpressionBankHook: {len(expressions)} expressions of the {loop} data set handed to '
              f'{len(takers)} module(s)', logger='current', level=logging.INFO)
    for module in takers:
        module.set_expression_bank(expressions, f'the {loop} data set ({type(dataset).__name__})')


@HOOKS.register_module()
class ExpressionBankHook(Hook):
    """Before the val and the test loop, hand the loop's data set's expressions to every module of the model
    that needs them (``needs_expression_bank``: :class:`~mmrec.models.CLIPProposalScorer` with
    ``score_subtraction=dict(source='dataset')``), which draws its bank from them; nothing happens when no
    module needs them. ``configs/_base_/default_runtime.py`` registers it among the ``default_hooks``
    (``expression_bank``), so ``--cfg-options model.scorer.score_subtraction.num_texts=500`` is all a config
    of mmrec needs.

    Every rank reads the same data set and draws with the same seed, so distributed runs share one bank.
    """

    priority = 'VERY_HIGH'  # before anything that may run the model in the loop

    def before_val(self, runner) -> None:
        hand_expression_bank([unwrap_model(runner.model)], runner.val_loop.dataloader.dataset, 'val')

    def before_test(self, runner) -> None:
        hand_expression_bank([unwrap_model(runner.model)], runner.test_loop.dataloader.dataset, 'test')
