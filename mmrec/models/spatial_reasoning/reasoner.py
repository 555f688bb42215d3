"""The reasoner: CLIP similarities of K candidate boxes and the parsed expression's geometry, combined into one
probability per box."""
import math
from typing import Callable, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from .geometry import (between_scores, beyond_matrix, beyond_products, corner_key, extreme_key, middle_key,
                       rank_probabilities,
                       relation_matrix, row_beyond_matrix, size_factor)
from .parser import Extreme, ParsedExpression, Phrase, parse_expression

SimilarityFn = Callable[[Sequence[str]], Tensor]  # texts -> (len(texts), K) similarities of the K boxes
#: What :meth:`SpatialReasoner.reason` records when asked: ``(label, (K,) factor)`` per step, in order.
Trace = List[Tuple[str, Tensor]]


def _normalized(probs: Tensor) -> Tensor:
    return probs / probs.sum().clamp(min=1e-12)


def _unless_empty(scores: Tensor, fallback: Tensor) -> Tensor:
    """``scores`` normalised, or ``fallback`` when no box scores above zero (decided on the device, no host
    sync)."""
    total = scores.sum()
    return torch.where(total > 1e-12, scores / total.clamp(min=1e-12), fallback)


#: Relations that every box has to *some* box (next to something, wearing or on something that overlaps it): only
#: an identified landmark says which box is meant. "Holding" is not among them: held things (a racket, an umbrella,
#: a phone) are objects of their own, mostly among the candidates, so the box that holds some candidate in it is
#: the likelier holder even before the held one is identified; nor are "held" (the thing that lies within some
#: candidate's box) and "bearing" (the seat that some candidate sits on), by the same reading turned round.
UNDIRECTED_RELATIONS = ('next to', 'wearing', 'on')
#: ... but a holder that its own location words place ("leftmost construction worker holding something in hand",
#: "blond girl holding mic on right", "man holding camera in the back") is told apart by them: that some candidate
#: lies within its box is true of many boxes (people overlap), and only an identified held thing says more, so that
#: "holding" weighs as the relations above do (with an unidentified landmark it outweighed the location words).
#: So does "behind" ("top right sandwich behind broccoli", "left couch behind white chair", "guy right behind meter"):
#: it says the subject is partly hidden by the landmark, and where candidates overlap, most boxes are partly hidden
#: by some other, so against an unidentified landmark it mostly competed with the subject's own location words.
#: Geometry-only val, RefCOCO / RefCOCO+ / RefCOCOg: 13 / 1 / 0 answers changed, +3 / +1 / +0 expressions. "In front
#: of", weighed the same way, lost 2 / 0 / 1 expressions (6 / 0 / 1 answers changed: "bottom frige in front of girl",
#: "appliances in front of man bottom right", where the subject's own low or front words and the relation agree) and
#: is left as it was.
LOCATED_UNDIRECTED_RELATIONS = ('holding', 'behind')
_DIRECTION_ORDER = ('left', 'right', 'top', 'bottom', 'middle', 'middle-x', 'middle-y', 'front', 'back', 'large',
                    'small', 'tall', 'short')


def _cue_order(cue: Extreme) -> Tuple[int, int]:
    """Rows first (a back row of the ground with the top rows, a front one with the bottom rows), then plain extremes
    (horizontal, vertical, middle, depth), then ordinals."""
    direction = cue.direction.split()[-1]
    if cue.row:
        direction = {'back': 'top', 'front': 'bottom'}.get(direction, direction)
    return (0 if cue.row else 2 if cue.rank is not None else 1, _DIRECTION_ORDER.index(direction))


_HORIZONTAL, _VERTICAL = ('left', 'right'), ('top', 'bottom')
#: The middle across a side's axis: between the boxes above and below (a side named left or right), or between
#: those to the left and right (top or bottom).
_ACROSS = {'left': 'middle-y', 'right': 'middle-y', 'top': 'middle-x', 'bottom': 'middle-x'}


#: The row a depth word names when an ordinal counts across the image: a row on the ground, told apart by ground lines
#: (:func:`~.geometry.row_beyond_matrix` ``'front'`` / ``'back'``), not the image row a named row is.
_DEPTH_ROWS = {'front': 'front', 'back': 'back'}


def _rows_for_ordinals(cues: Sequence[Extreme]) -> List[Extreme]:
    """``cues`` with a depth word read as a row when an ordinal of the phrase counts left or right: in "second
    from the right in front" or "banana in the front fourth from the right" the objects are counted along the
    front row, not from the one front-most object, which the depth proxy (:func:`~.geometry.front_closeness`, which
    counts size) would single out, leaving one box to count from. A row named as such ("front row") is kept."""
    ordinal = next((c for c in cues if c.rank is not None), None)
    if ordinal is None or ordinal.direction not in _HORIZONTAL or any(c.row for c in cues):
        return list(cues)
    return [Extreme(_DEPTH_ROWS[c.direction], row=True) if c.rank is None and c.direction in _DEPTH_ROWS else c
            for c in cues]


def _combined_cues(cues: Sequence[Extreme]) -> List[Extreme]:
    """The phrase's cues in the order they apply (:func:`_cue_order`): a depth word read as a row when an ordinal
    counts across (:func:`_rows_for_ordinals`), a plain horizontal and a plain vertical (else depth) extreme merged
    into one corner cue (``Extreme('top left')``, ``Extreme('front right')``, ranked by
    :func:`~.geometry.corner_key`): "front left" names the near left corner of the ground, not "the front one of
    the left ones"."""
    cues = sorted(_rows_for_ordinals(cues), key=_cue_order)
    plain = [c for c in cues if c.rank is None and not c.row]
    side = next((c for c in plain if c.direction in _HORIZONTAL), None)
    level = next((c for c in plain if c.direction in _VERTICAL), None)
    middle = next((c for c in plain if c.direction == 'middle'), None)
    if middle is not None and (side is None) != (level is None):
        # "middle bowl on the right": the side names one axis, so the middle is along the other one, among the
        # boxes on that side (the middle of a column on the right, of a row at the top)
        cues = [Extreme(_ACROSS[(side or level).direction]) if c is middle else c for c in cues]
    if level is None:  # "front left": a corner of the ground, as "bottom left" is one of the picture
        level = next((c for c in plain if c.direction in _DEPTH_ROWS), None)
    if side is None or level is None:
        return sorted(cues, key=_cue_order)
    merged = Extreme(f'{level.direction} {side.direction}')
    rest = [c for c in cues if c is not side and c is not level]
    return sorted(rest + [merged], key=_cue_order)


def describe_cue(cue: Extreme) -> str:
    """A location cue in words: ``left``, ``2nd from left``, ``bottom row``."""
    if cue.row:
        return f'{cue.direction} row'
    if cue.rank is not None:
        return f'#{cue.rank} from {cue.direction}'
    return cue.direction


def _record(trace: Optional[Trace], label: str, factor: Tensor) -> None:
    if trace is not None:
        trace.append((label, factor.detach().flatten().clone()))


def identification(probs: Tensor) -> Tensor:
    """How well ``probs`` (K,) single out one box: ``1 - entropy / log K`` (0 for uniform, 1 for one-hot)."""
    if len(probs) < 2:
        return probs.new_ones(())
    entropy = -(probs * probs.clamp(min=1e-12).log()).sum()
    return (1 - entropy / math.log(len(probs))).clamp(0, 1)


class SpatialReasoner:
    """Scores K candidate boxes for one expression from CLIP similarities and the boxes' geometry.

    A phrase's probabilities start from the prior (e.g. detector scores) times CLIP's softmax over the boxes
    (left out when the phrase names nothing but geometry, "the one on the left"), times the size factor. Its
    location cues then apply, each a factor in [0, 1]:

    - a row ("bottom row"): no matching box lies in a row further that way (applied first, so that an ordinal
      of the same phrase counts within the row);
    - an extreme ("leftmost", "in front"): ``p(i) * prod_j (1 - p(j))`` over the boxes ``j`` beyond ``i``, with
      ``p`` the phrase's probabilities (shares of one, so that an unsure phrase gives a soft answer);
      several cues apply one after the other, each on the probabilities the previous ones left, in a fixed
      order: rows, horizontal, vertical, middle, depth, then ordinals; a horizontal and a vertical side
      together ("top left", "car lower right corner"), or a horizontal side and a depth word ("front left"),
      are one cue, the corner (:func:`~.geometry.corner_key`); with an ordinal counted left or right, a depth
      word names the row counted in ("second from the right in front");
    - an ordinal ("second from left"): the probability that exactly ``n - 1`` boxes beyond ``i`` match the
      phrase, each matching with ``p(j) / max_k p(k)`` (a count needs the chance that each box is of the kind,
      not its share of one).

    A relation to a landmark is ``p_subject(i) * sum_j p_landmark(j) rel(i, j)``. A cue that no box can satisfy
    (a third from the left among two boxes, a relation without a landmark) is dropped rather than zeroing every
    box. Every result is normalised over the K boxes, so it can stand where a softmax over them stood.

    Args:
        temperature: softmax temperature turning a phrase's similarities into box probabilities.
        size_spread: ratio of the largest to the smallest box area (reach for tall / short) at which size words
            give 0.73 / 0.27 (:func:`~.geometry.size_factor`); closer sizes are told apart more gently.
        relation_softness: width of the soft "left of" / "above" / "in front of" step, as a fraction of the
            image side.
    """

    def __init__(self, temperature: float = 0.05, size_spread: float = 2.0, relation_softness: float = 0.02):
        if temperature <= 0 or relation_softness <= 0 or size_spread < 1:
            raise ValueError('SpatialReasoner needs temperature > 0, relation_softness > 0 and size_spread >= 1, '
                             f'got {temperature}, {relation_softness}, {size_spread}')
        self.temperature = temperature
        self.size_spread = size_spread
        self.relation_softness = relation_softness

    def phrase_probs(self, phrase: Phrase, similarity: Tensor, boxes: Tensor, prior: Tensor,
                     image_size: Tuple[int, int], trace: Optional[Trace] = None, role: str = 'subject') -> Tensor:
        """``(K,)`` probability that each box is what ``phrase`` describes (sums to 1); each factor applied is
        appended to ``trace`` (if given) labelled with ``role``."""
        probs = prior * (torch.softmax(similarity / self.temperature, dim=0) if phrase.says_what else 1.0)
        _record(trace, f'{role} prior x clip', probs)
        if phrase.size is not None:
            factor = size_factor(boxes, phrase.size, self.size_spread, image_size)
            _record(trace, f'{role} size {phrase.size}', factor)
            probs = probs * factor
        probs = _normalized(probs)
        for cue in _combined_cues(phrase.extremes):
            factor = self._cue_factor(cue, probs, boxes, image_size, phrase.size is not None)
            _record(trace, f'{role} {describe_cue(cue)}', factor)
            probs = _unless_empty(probs * factor, probs)
        _record(trace, f'{role} probs', probs)
        return probs

    @staticmethod
    def _cue_factor(cue: Extreme, probs: Tensor, boxes: Tensor, image_size: Tuple[int, int],
                    sized: bool = False) -> Tensor:
        """``(K,)`` the chance that each box satisfies one location cue, given the phrase's ``probs``."""
        match = probs / probs.max().clamp(min=1e-12)  # chance that each box is of the kind the phrase names
        if cue.row:
            return rank_probabilities(match, row_beyond_matrix(boxes, cue.direction), 1)
        if cue.direction.startswith('middle'):
            key = middle_key(boxes, match, image_size, axis='y' if cue.direction == 'middle-y' else 'x')
        elif ' ' in cue.direction:
            key = corner_key(boxes, *reversed(cue.direction.split()), image_size, sized)  # 'top left'
        else:
            key = extreme_key(boxes, cue.direction, image_size, sized)
        if cue.rank is None:
            return beyond_products(probs, key)
        return rank_probabilities(match, beyond_matrix(key), cue.rank)

    def __call__(self, text: str, boxes: Tensor, similarity_fn: SimilarityFn, image_size: Tuple[int, int],
                 prior: Optional[Tensor] = None) -> Optional[Tensor]:
        """``(K,)`` probabilities (summing to 1) of ``boxes`` (xyxy, image pixels) for ``text``; ``None`` when
        ``text`` asks for no geometry the reasoner models, or when its answer is the same for every box (the
        caller keeps its plain CLIP scores). Deciding the latter reads one number back from the device.

        Args:
            similarity_fn: CLIP similarity of the K boxes to each of a list of phrases, ``(P, K)``.
            image_size: ``(height, width)`` of the image the boxes are in.
            prior: ``(K,)`` non-negative weights of the boxes (e.g. detector scores); uniform by default.
        """
        return self.reason(parse_expression(text), boxes, similarity_fn, image_size, prior)

    def reason(self, parsed: ParsedExpression, boxes: Tensor, similarity_fn: SimilarityFn,
               image_size: Tuple[int, int], prior: Optional[Tensor] = None,
               trace: Optional[Trace] = None) -> Optional[Tensor]:
        """:meth:`__call__` of an expression already parsed with :func:`parse_expression`; with ``trace`` (a
        list), every factor applied is appended to it as ``(label, (K,) tensor)`` (see ``--explain`` of
        ``tools/analyze_language.py``)."""
        if not parsed.is_spatial or len(boxes) == 0:
            return None
        boxes = boxes.float()
        prior = boxes.new_ones(len(boxes)) if prior is None else prior.float().clamp(min=1e-6).to(boxes.device)
        similarity = similarity_fn([phrase.what for phrase in parsed.phrases]).float().to(boxes.device)
        probs = self._expression_probs(parsed, similarity, boxes, prior, image_size, trace)
        # a flat answer singles out nothing (e.g. "next to" an unidentified landmark): CLIP keeps the say
        return None if len(boxes) > 1 and bool(probs.max() - probs.min() <= 1e-6 * probs.max()) else probs

    def _expression_probs(self, parsed: ParsedExpression, similarity: Tensor, boxes: Tensor, prior: Tensor,
                          image_size: Tuple[int, int], trace: Optional[Trace] = None) -> Tensor:
        """``(K,)`` probabilities for a parsed expression, given ``(P, K)`` similarities of its phrases."""
        subject = self.phrase_probs(parsed.subject, similarity[0], boxes, prior, image_size, trace)
        if parsed.relation is None:
            return subject
        landmark = self.phrase_probs(parsed.landmark, similarity[1], boxes, prior, image_size, trace, 'landmark')
        if parsed.relation == 'between':
            second = self.phrase_probs(parsed.second_landmark, similarity[2], boxes, prior, image_size, trace,
                                       'landmark 2')
            factor = between_scores(boxes, image_size, landmark, second, self.relation_softness)
            _record(trace, 'relation between', factor)
            return _unless_empty(subject * factor, subject)
        rel = relation_matrix(boxes, parsed.relation, image_size, subject, self.relation_softness)
        related = rel @ landmark
        if parsed.relation in UNDIRECTED_RELATIONS or (parsed.relation in LOCATED_UNDIRECTED_RELATIONS
                                                       and parsed.subject.extremes):
            # every object is next to something: only an identified landmark says which box is meant
            confidence = identification(landmark)
            related = (1 - confidence) * related.mean() + confidence * related
        _record(trace, f'relation {parsed.relation}', related)
        # no box relates to a likely landmark: the subject alone
        return _unless_empty(subject * related, subject)


def clip_temperature(encoder: torch.nn.Module) -> float:
    """The encoder's ``temperature``: ``1 / logit_scale`` of its network (the softmax temperature CLIP trained
    with; SigLIP's sigmoid scale; an ensemble's weighted mean scale), CLIP's initial 0.01 for an encoder without
    a learnt one (:attr:`~mmrec.models.encoders.clip_encoder.BaseCLIPEncoder.temperature`), or 0.01 for an object
    without the property."""
    return float(getattr(encoder, 'temperature', 0.01))


def build_reasoner(options: Optional[dict], encoder: torch.nn.Module) -> Optional[SpatialReasoner]:
    """A :class:`SpatialReasoner` from a config dict (``None``: no reasoning); a missing or ``None``
    ``temperature`` is the encoder's :func:`clip_temperature`."""
    if options is None:
        return None
    options = dict(options)
    if options.get('temperature') is None:
        options['temperature'] = clip_temperature(encoder)
    return SpatialReasoner(**options)


def reason_rows(reasoner: SpatialReasoner, scores: Tensor, texts: Sequence[str], boxes: Tensor,
                similarity_fn: SimilarityFn, image_size: Tuple[int, int],
                prior: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
    """``scores`` (N, K) of K boxes for N texts, with the row of every text the reasoner answers replaced by its
    probabilities (the other rows are kept), and ``(N,)`` bool: whether the reasoner answered each text (it
    hands a text back when it asks for no geometry or when the geometry singles out no box)."""
    scores = scores.clone()
    reasoned = torch.zeros(len(texts), dtype=torch.bool, device=scores.device)
    for index, text in enumerate(texts):
        probs = reasoner(text, boxes, similarity_fn, image_size, prior=prior)
        if probs is not None:
            scores[index] = probs.to(scores)
            reasoned[index] = True
    return scores, reasoned
