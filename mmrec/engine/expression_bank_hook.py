"""``ExpressionBankHook``: hand the evaluated data set's expressions to the model's score subtraction."""
import logging
from typing import Any, List, Tuple

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmdet.registry import HOOKS


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
        self._hand_over(runner, runner.val_loop.dataloader.dataset, 'val')

    def before_test(self, runner) -> None:
        self._hand_over(runner, runner.test_loop.dataloader.dataset, 'test')

    @staticmethod
    def _hand_over(runner, dataset, loop: str) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        takers = [module for module in model.modules() if getattr(module, 'needs_expression_bank', False)]
        if not takers:
            return
        expressions = dataset_expressions(dataset)
        print_log(f'ExpressionBankHook: {len(expressions)} expressions of the {loop} data set handed to '
                  f'{len(takers)} module(s)', logger='current', level=logging.INFO)
        for module in takers:
            module.set_expression_bank(expressions, f'the {loop} data set ({type(dataset).__name__})')
