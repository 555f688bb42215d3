"""The scoring policy both methods follow where scoring has nothing to go on, and ReCLIP's size prior, with
their counters: one :class:`ScoringPolicy` per scoring module (method 2's
:class:`~mmrec.models.method2.proposal_scorer.CLIPProposalScorer`, method 1's
:class:`~mmrec.models.method1.text_conditioned_bbox_head.CLIPTextConditionedHead`), built from its
``min_box_fraction``.

The rules:

- **no candidate** (no detection or proposal left in an image): the whole image is the one candidate, with
  prior score 0 (:meth:`ScoringPolicy.whole_image`); counted per image and logged;
- **an expression without words** (empty, blank or punctuation only: :func:`has_words`) carries no query, so
  CLIP is not asked: it is answered by the candidate of highest prior score, first on ties, with that prior
  score (:meth:`ScoringPolicy.answerable` finds them, counted and logged; :func:`top_prior` picks the answer);
  a generalised (gRefCOCO) scorer answers it with no box instead;
- **size prior** (ReCLIP): candidates covering less than ``min_box_fraction`` of the image cannot be the
  answer, all are kept when none is large enough (:meth:`ScoringPolicy.size_prior`,
  :func:`~mmrec.models.scoring.size_prior.large_enough`); 0 is off.
"""
import logging
import re
from typing import List, Optional, Sequence, Tuple

from mmengine.logging import print_log
from torch import Tensor

from .size_prior import check_min_box_fraction, large_enough


def has_words(text: str) -> bool:
    """Whether ``text`` holds at least one word character (an expression with none carries no query)."""
    return re.search(r'\w', text) is not None


def top_prior(prior: Tensor) -> Tuple[Tensor, Tensor]:
    """The fallback answer of an expression without words: the index of the highest of the ``(K,)`` prior
    scores (the first on ties) and that score, both 0-d tensors."""
    best = prior.argmax()
    return best, prior[best]


class ScoringPolicy:
    """The fallbacks and the size prior of one scoring module, and their counters (see the module docstring).

    Args:
        owner: the scoring module's name, for the logs and errors (e.g. ``'CLIPProposalScorer'``).
        min_box_fraction: ReCLIP's size prior, in ``[0, 1)``; 0 (default) is off.
        candidates: what the module's candidates are called in the logs (``'detections'``, ``'proposals'``).

    Attributes:
        num_images_without_candidates: images answered from the whole image, none of their candidates left.
        num_empty_expressions: expressions without words, answered by the fallback.
    """

    def __init__(self, owner: str, min_box_fraction: float = 0.0, candidates: str = 'candidates') -> None:
        self.owner = owner
        self.min_box_fraction = check_min_box_fraction(min_box_fraction, owner)
        self.candidates = candidates
        self.num_images_without_candidates = 0
        self.num_empty_expressions = 0

    def _warn(self, message: str) -> None:
        print_log(f'{self.owner}: {message}', logger='current', level=logging.WARNING)

    @staticmethod
    def _image(img_id: object) -> str:
        return 'an image' if img_id is None else f'image {img_id}'

    def whole_image(self, img_shape: Sequence[int], like: Tensor, img_id: object = None) -> Tensor:
        """The ``(1, 4)`` whole-image box ``[0, 0, w, h]`` of an image of ``img_shape = (h, w)`` (dtype and
        device of ``like``) that stands for its candidates when none is left; counted and logged."""
        self.num_images_without_candidates += 1
        self._warn(f'no {self.candidates} in {self._image(img_id)}, answering with the whole image instead '
                   f'({self.num_images_without_candidates} image(s) so far)')
        height, width = float(img_shape[0]), float(img_shape[1])
        return like.new_tensor([[0.0, 0.0, width, height]])

    def size_prior(self, boxes: Tensor, img_shape: Sequence[int]) -> Optional[Tensor]:
        """``(K,)`` bool: which of the ``(K, 4)`` boxes (pixels of an image of ``img_shape = (h, w)``) may be the
        answer (:func:`~mmrec.models.scoring.size_prior.large_enough`); ``None`` when the prior is off."""
        if self.min_box_fraction <= 0:
            return None
        return large_enough(boxes, img_shape[:2], self.min_box_fraction)

    def answerable(self, texts: Sequence[str], img_id: object = None, fallback: str = '',
                   count: bool = True) -> List[bool]:
        """Per text, whether it has words (:func:`has_words`). With ``count``, the ones without are counted and
        logged as answered by ``fallback`` (e.g. ``"the detector's top box"``)."""
        answerable = [has_words(text) for text in texts]
        empty = answerable.count(False)
        if count and empty:
            self.num_empty_expressions += empty
            self._warn(f'{self._image(img_id)}: {empty} expression(s) without words answered by {fallback} '
                       f'({self.num_empty_expressions} so far)')
        return answerable

