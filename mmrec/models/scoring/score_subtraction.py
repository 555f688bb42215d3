"""Score subtraction (RedCircle, FGVP): a box's score against an expression minus its mean score against a bank
of other expressions of the data set, so that a box that matches every text (a large, salient or cluttered
crop) stops winning by default.

FGVP's public code (the only public code of the technique; RedCircle's repository holds none) scores each box
against ``["a photo of " + expression] + bank`` and subtracts the bank's mean logit, the bank being 500
expressions drawn at random from the evaluated split, afresh for every expression, without leaving out the
current image's (so the bank may hold the query itself). Here the bank is drawn **once**, deterministically
from a seed, with each expression's image id (so that a run is reproducible and the bank's text embeddings
are computed once), and by default each image's mean is taken over the bank's expressions of **other**
images only: the image's own expressions, and so the query itself, are never subtracted from its boxes (the
bank of one image is the ``num_texts`` drawn minus the few of that image). ``exclude_same_image=False``
keeps them, as FGVP does. A bank given as a list (``source=[...]``) has no images and is used whole.

A registered part (``TASK_UTILS``), set in a config as ``score_subtraction=dict(type='ScoreSubtraction',
num_texts=500, source='dataset', seed=0)`` (see :class:`~mmrec.models.method2.proposal_scorer.CLIPProposalScorer`'s
``score_subtraction``). Usage::

    subtraction = TASK_UTILS.build(dict(type='ScoreSubtraction', num_texts=500, source='dataset', seed=0))
    subtraction.set_expressions([(img_id, text), ...])   # ExpressionBankHook does it before the val/test loop
    bank = subtraction.mean_bank_similarity(similarity, encode_texts, img_id)   # (K,)
    scores = similarity(encode_texts(texts)) - bank[:, None]
"""
import logging
import random
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import torch
from mmdet.registry import TASK_UTILS
from mmengine.logging import print_log
from torch import Tensor

#: ``source`` of a bank handed over by :class:`~mmrec.engine.ExpressionBankHook` from the evaluated data set.
DATASET_SOURCE = 'dataset'
HOOK_HINT = ("the ExpressionBankHook hands the val/test data set's expressions over before the loop (mmrec's "
             "configs register it as default_hooks.expression_bank, from configs/_base_/default_runtime.py); "
             "outside a runner's loop (demo, inferencer) give the bank itself: score_subtraction=dict("
             "source=['an expression', ...])")


@TASK_UTILS.register_module()
class ScoreSubtraction:
    """A bank of expressions, drawn once, and the mean similarity of boxes to it.

    Args:
        num_texts: expressions in the bank; with fewer in the data set, all of them are used (with a warning).
        source: ``'dataset'`` (the evaluated data set's expressions, handed over by
            :class:`~mmrec.engine.ExpressionBankHook`) or a list of expressions (e.g. for the demo).
        seed: seed of the draw (the same seed and expressions give the same bank on every rank and run).
        exclude_same_image: leave the current image's own expressions (the query among them) out of its mean
            (default); ``False`` keeps them, as FGVP's code does.
    """

    def __init__(self, num_texts: int = 500, source: Union[str, Sequence[str]] = DATASET_SOURCE, seed: int = 0,
                 exclude_same_image: bool = True) -> None:
        if isinstance(num_texts, bool) or not isinstance(num_texts, int) or num_texts < 1:
            raise ValueError(f'score_subtraction: num_texts must be a positive integer, got {num_texts!r}')
        listed = isinstance(source, (list, tuple)) and all(isinstance(text, str) for text in source)
        if source != DATASET_SOURCE and not listed:
            raise ValueError(f"score_subtraction: source must be {DATASET_SOURCE!r} or a list of expressions, "
                             f'got {source!r}')
        self.num_texts = num_texts
        self.seed = int(seed)
        self.exclude_same_image = bool(exclude_same_image)
        self.source = DATASET_SOURCE if isinstance(source, str) else 'config'
        self.texts: List[str] = []
        self.img_ids: List[Any] = []
        self._embeddings: Optional[Tensor] = None
        self._warned_no_other_image = False
        if not isinstance(source, str):
            self.set_expressions([(None, str(text)) for text in source], 'the score_subtraction source list')

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_texts={self.num_texts}, source={self.source!r}, seed={self.seed}, '
                f'exclude_same_image={self.exclude_same_image}, bank={len(self.texts)} expressions)')

    @property
    def ready(self) -> bool:
        """Whether a bank has been drawn."""
        return bool(self.texts)

    def set_expressions(self, expressions: Sequence[Tuple[Any, str]], origin: str = 'the data set') -> None:
        """Draw the bank from ``(img_id, text)`` pairs (every expression of the data set, in its order).

        ``num_texts`` of them are drawn without replacement by ``random.Random(seed)``; all of them (in order)
        when there are not more than ``num_texts``, with a warning naming ``origin`` when there are fewer.
        The bank's cached text embeddings are dropped.
        """
        expressions = [(img_id, text) for img_id, text in expressions]
        if not expressions:
            raise ValueError(f'score_subtraction: {origin} has no expressions to draw the bank from')
        if len(expressions) < self.num_texts:
            print_log(f'score_subtraction: num_texts={self.num_texts} but {origin} has only {len(expressions)} '
                      f'expressions; the bank uses all {len(expressions)}', logger='current', level=logging.WARNING)
            drawn = expressions
        else:
            rows = sorted(random.Random(self.seed).sample(range(len(expressions)), self.num_texts))
            drawn = [expressions[row] for row in rows]
        self.img_ids = [img_id for img_id, _ in drawn]
        self.texts = [text for _, text in drawn]
        self._embeddings = None
        print_log(f'score_subtraction: bank of {len(self.texts)} expressions drawn from {origin} (seed {self.seed})',
                  logger='current', level=logging.INFO)

    def embeddings(self, encode_texts: Callable[[List[str]], Tensor]) -> Tensor:
        """``(B, D)`` text embeddings of the bank, computed once with ``encode_texts`` and cached."""
        if not self.ready:
            raise RuntimeError(f'score_subtraction has no expression bank (source={self.source!r}): {HOOK_HINT}')
        if self._embeddings is None:
            self._embeddings = encode_texts(self.texts)
        return self._embeddings

    def mean_bank_similarity(self, similarity: Callable[[Tensor], Tensor],
                             encode_texts: Callable[[List[str]], Tensor], img_id: Any = None) -> Tensor:
        """``(K,)`` mean over the bank of ``similarity(bank_embeddings)`` (a ``(K, B)`` matrix of K boxes).

        With ``exclude_same_image`` (and an ``img_id``) the bank's expressions of ``img_id`` are left out; when
        the bank holds nothing else, nothing is subtracted (zeros, with a warning once), rather than the
        image's own expressions.
        """
        scores = similarity(self.embeddings(encode_texts))
        if not self.exclude_same_image or img_id is None:
            return scores.mean(dim=1)
        others = torch.tensor([bank_id != img_id for bank_id in self.img_ids], dtype=torch.bool,
                              device=scores.device)
        if bool(others.any()):
            return scores[:, others].mean(dim=1)
        if not self._warned_no_other_image:
            self._warned_no_other_image = True
            print_log(f'score_subtraction: the bank holds only expressions of image {img_id!r}, which are left '
                      'out of its own mean (exclude_same_image=True), so nothing is subtracted for it; draw the '
                      'bank from a data set of more images', logger='current', level=logging.WARNING)
        return scores.new_zeros(scores.shape[0])

