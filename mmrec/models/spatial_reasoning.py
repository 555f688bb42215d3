"""Spatial reasoning over scored boxes, after ReCLIP (Subramanian et al., ACL 2022): CLIP says *what* a box
shows, simple geometry says *where* it is.

A crop cannot show where its object lies in the image or how big it is next to the others, yet most
referring expressions say so ("the square on the left", "the small one at the top", "the circle under the
blue square"). :func:`parse_expression` splits an English expression into a subject, an optional relation
and a landmark, and strips from each its location words (``left`` / ``right`` / ``top`` / ``bottom`` /
``middle`` extremes) and size words (``large`` / ``small``); what is left ("the square", "the blue square")
is what CLIP scores. :class:`SpatialReasoner` then turns the CLIP similarities of the candidate boxes into a
probability per box and applies the geometry:

- size: a box is "large" (or "small") relative to the other candidates when their areas spread by at least
  ``size_spread`` (a soft threshold half-way between the smallest and the largest, on log area);
- extreme ("leftmost", "on the left", "highest", "at the bottom", "in the middle"): the probability that a
  box matches and that no box further in that direction does, ``p(i) * prod_j (1 - p(j))`` over boxes ``j``
  beyond ``i``;
- relation ("left of", "right of", "above", "below", "next to"): ``p_subject(i) * sum_j p_landmark(j)
  rel(i, j)`` over landmarks ``j != i``, where ``rel`` is 1 when ``i`` lies that way of ``j`` (soft, on the
  centres) and, for "next to", when no other subject candidate is closer to ``j``.

Every result is normalised over the K boxes, so it can stand where a softmax over them stood. Expressions
without such words are left to CLIP alone (the reasoner returns ``None``), and so are those it cannot read
(ordinals such as "second from left", and "closest to the camera", which is about depth).
The phrase lists are ordinary English. They cover the synthetic generator's wordings and common RefCOCO
shorthand ("on left", "right side", "left most"); RefCOCO's wider phrasing is only partly covered.
"""
import functools
import math
import re
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor



def _longest_first(table: Dict[str, Tuple[str, ...]]) -> Dict[str, Tuple[str, ...]]:
    """Each entry's phrases longest first, so that "on the left side" is matched before "on the left"."""
    return {key: tuple(sorted(phrases, key=len, reverse=True)) for key, phrases in table.items()}


def _sides(side: str) -> Tuple[str, ...]:
    return (f'furthest to the {side}', f'farthest to the {side}', f'on the {side} side', f'on the {side}',
            f'to the {side}', f'on {side} side', f'on {side}', f'{side} side', f'far {side}', f'{side} most',
            f'{side}most', side)


# Location words of one object ("the leftmost cup", "the man on the left").
EXTREME_PHRASES = _longest_first({
    'left': _sides('left'),
    'right': _sides('right'),
    'top': ('at the top', 'on the top', 'on top', 'top most', 'topmost', 'uppermost', 'highest', 'upper', 'top'),
    'bottom': ('at the bottom', 'on the bottom', 'bottom most', 'bottommost', 'lowest', 'lower', 'bottom'),
    'middle': ('in the middle', 'in middle', 'in the center', 'in the centre', 'middle', 'center', 'centre'),
})
SIZE_PHRASES = _longest_first({
    'large': ('biggest', 'largest', 'bigger', 'larger', 'big', 'large', 'huge'),
    'small': ('smallest', 'smaller', 'little', 'small', 'tiny'),
})
# Relations between a subject and a landmark ("X to the left of Y"); checked before the extremes.
RELATION_PHRASES = _longest_first({
    'left of': ('to the left of', 'on the left of', 'on the left side of', 'on left side of', 'left side of',
                'left of'),
    'right of': ('to the right of', 'on the right of', 'on the right side of', 'on right side of',
                 'right side of', 'right of'),
    'above': ('on top of', 'above'),
    'below': ('underneath', 'beneath', 'below', 'under'),
    'next to': ('closest to', 'nearest to', 'next to', 'beside', 'near'),
})
# Where the reasoner does not apply: order and depth are not what it models, and a direction someone faces
# or looks in is not where they are.
UNSUPPORTED = re.compile(r'\b(second|third|fourth|2nd|3rd|4th|from (the )?(left|right|top|bottom)|camera|'
                         r'front|behind|back)\b')
FACING = re.compile(r'\b(facing|looking|pointing|turned|turning|headed|heading|walking)( to)?( the)? '
                    r'(left|right|up|down)\b')
# Words that name no property: a phrase made only of these matches every box.
FILLER_WORDS = frozenset('the a an one ones that which is are thing object shape of to'.split())


@dataclass
class Phrase:
    """A noun phrase: what CLIP should match, and the geometry its words ask for."""
    what: str
    extremes: List[str] = field(default_factory=list)
    size: Optional[str] = None

    @property
    def says_what(self) -> bool:
        """Whether ``what`` names any property (else every box matches it equally)."""
        return any(word not in FILLER_WORDS for word in self.what.split())


@dataclass
class ParsedExpression:
    subject: Phrase
    relation: Optional[str] = None
    landmark: Optional[Phrase] = None
    supported: bool = True  # False: words the reasoner would misread (ordinals, depth)

    @property
    def is_spatial(self) -> bool:
        """Whether the reasoner should answer: the expression asks for geometry it models."""
        phrases = [self.subject] + ([self.landmark] if self.landmark is not None else [])
        return self.supported and (self.relation is not None or any(p.extremes or p.size for p in phrases))


def _words(text: str) -> str:
    return ' '.join(re.findall(r"[a-z0-9']+", text.lower()))


@functools.lru_cache(maxsize=None)
def _phrase_pattern(phrase: str) -> 're.Pattern[str]':
    """``phrase`` as whole words (not inside a longer word)."""
    return re.compile(rf'(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])')


def _remove(text: str, phrase: str) -> Tuple[str, bool]:
    """``text`` without ``phrase`` (as whole words), and whether it was there."""
    text, count = _phrase_pattern(phrase).subn(' ', text)
    return text, count > 0


def parse_phrase(text: str) -> Phrase:
    """Strip location and size words from a noun phrase ("the small one at the top")."""
    text = FACING.sub(' ', _words(text))
    extremes, size = [], None
    for direction, phrases in EXTREME_PHRASES.items():
        for phrase in phrases:
            text, found = _remove(text, phrase)
            if found:
                extremes.append(direction)
                break
    for kind, phrases in SIZE_PHRASES.items():
        for phrase in phrases:
            text, found = _remove(text, phrase)
            size = size or (kind if found else None)
    what = ' '.join(text.split()) or 'the object'
    if what in ('the', 'a', 'an'):
        what = 'the object'
    return Phrase(what=what, extremes=extremes, size=size)


def parse_expression(text: str) -> ParsedExpression:
    """Split ``text`` at its first relation phrase (if any) and parse both sides."""
    text = _words(text)
    if UNSUPPORTED.search(text):
        return ParsedExpression(parse_phrase(text), supported=False)
    first: Optional[Tuple[int, int, str]] = None
    for relation, phrases in RELATION_PHRASES.items():
        for phrase in phrases:
            match = _phrase_pattern(phrase).search(text)
            if match and (first is None or match.start() < first[0]
                          or (match.start() == first[0] and match.end() > first[1])):
                first = (match.start(), match.end(), relation)
    if first is not None:
        subject, landmark = text[:first[0]], text[first[1]:]
        if subject.split() and landmark.split():
            return ParsedExpression(parse_phrase(subject), first[2], parse_phrase(landmark))
    return ParsedExpression(parse_phrase(text))


# ---------------------------------------------------------------------------------------------- geometry
def _centres(boxes: Tensor) -> Tuple[Tensor, Tensor]:
    return (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2


def extreme_key(boxes: Tensor, direction: str, image_size: Tuple[int, int]) -> Tensor:
    """A ``(K,)`` key that is smaller the further a box lies towards ``direction``."""
    cx, cy = _centres(boxes)
    height, width = image_size
    if direction == 'middle':
        return torch.hypot((cx - width / 2) / width, (cy - height / 2) / height)
    return {'left': cx, 'right': -cx, 'top': cy, 'bottom': -cy}[direction]


def beyond_products(probs: Tensor, key: Tensor, margin: float = 0.0) -> Tensor:
    """``out[i] = prod_{j: key[j] < key[i] - margin} (1 - probs[j])``: no matching box lies beyond ``i``."""
    beyond = key[None, :] < key[:, None] - margin  # [i, j]: j lies beyond i
    factors = torch.where(beyond, 1 - probs[None, :], torch.ones_like(beyond, dtype=probs.dtype))
    return factors.prod(dim=1)


def size_factor(boxes: Tensor, size: str, spread: float) -> Tensor:
    """``(K,)`` soft "is large" (or "is small") of each box against the others' areas; 1 everywhere when
    the areas spread by less than ``spread`` (then size tells the boxes apart no better than noise)."""
    areas = ((boxes[:, 2] - boxes[:, 0]).clamp(min=1e-6) * (boxes[:, 3] - boxes[:, 1]).clamp(min=1e-6)).log()
    if len(boxes) < 2:
        return torch.ones_like(areas)
    low, high = areas.min(), areas.max()
    if float(high - low) <= max(math.log(spread), 1e-6):
        return torch.ones_like(areas)
    large = torch.sigmoid((areas - (low + high) / 2) / ((high - low) / 8))
    return large if size == 'large' else 1 - large


def relation_matrix(boxes: Tensor, relation: str, image_size: Tuple[int, int], subject_probs: Tensor,
                    softness: float) -> Tensor:
    """``rel[i, j]`` in [0, 1]: box ``i`` stands in ``relation`` to landmark box ``j`` (0 on the diagonal)."""
    cx, cy = _centres(boxes)
    height, width = image_size
    if relation == 'next to':
        gaps = _edge_gaps(boxes)  # [i, j]
        rel = torch.stack([_nearest_to(gaps[:, j], j, subject_probs) for j in range(len(boxes))], dim=1)
    else:
        delta = {'left of': (cx[None, :] - cx[:, None]) / width, 'right of': (cx[:, None] - cx[None, :]) / width,
                 'above': (cy[None, :] - cy[:, None]) / height, 'below': (cy[:, None] - cy[None, :]) / height}
        rel = torch.sigmoid(delta[relation] / softness)
    return rel * (1 - torch.eye(len(boxes), dtype=rel.dtype, device=rel.device))


def _nearest_to(gaps: Tensor, landmark: int, subject_probs: Tensor) -> Tensor:
    """``(K,)``: for each box ``i``, the chance that no other likely subject ``k`` (neither ``i`` nor the
    landmark) is closer to the landmark than ``i`` is, given the boxes' ``gaps`` to the landmark."""
    closer = gaps[None, :] < gaps[:, None]  # [i, k]: k is closer to the landmark than i
    others = 1 - subject_probs[None, :] * closer.to(subject_probs.dtype)
    others[:, landmark] = 1  # the landmark is not a rival subject (i == k is never closer than itself)
    return others.prod(dim=1)


def _edge_gaps(boxes: Tensor) -> Tensor:
    """``(K, K)`` distance between box edges (0 when they overlap)."""
    dx = (torch.maximum(boxes[:, None, 0], boxes[None, :, 0]) - torch.minimum(boxes[:, None, 2], boxes[None, :, 2]))
    dy = (torch.maximum(boxes[:, None, 1], boxes[None, :, 1]) - torch.minimum(boxes[:, None, 3], boxes[None, :, 3]))
    return torch.hypot(dx.clamp(min=0), dy.clamp(min=0))


# ---------------------------------------------------------------------------------------------- reasoner
SimilarityFn = Callable[[Sequence[str]], Tensor]  # texts -> (len(texts), K) similarities of the K boxes


class SpatialReasoner:
    """Scores K candidate boxes for one expression from CLIP similarities and the boxes' geometry.

    Args:
        temperature: softmax temperature turning a phrase's similarities into box probabilities.
        size_spread: smallest ratio of the largest to the smallest box area for size words to count.
        relation_softness: width of the soft "left of" / "above" step, as a fraction of the image side.
    """

    def __init__(self, temperature: float = 0.05, size_spread: float = 2.0, relation_softness: float = 0.02):
        if temperature <= 0 or relation_softness <= 0 or size_spread < 1:
            raise ValueError('SpatialReasoner needs temperature > 0, relation_softness > 0 and size_spread >= 1, '
                             f'got {temperature}, {relation_softness}, {size_spread}')
        self.temperature = temperature
        self.size_spread = size_spread
        self.relation_softness = relation_softness

    def phrase_probs(self, phrase: Phrase, similarity: Tensor, boxes: Tensor, prior: Tensor,
                     image_size: Tuple[int, int]) -> Tensor:
        """``(K,)`` probability that each box is what ``phrase`` describes (sums to 1)."""
        probs = prior * (torch.softmax(similarity / self.temperature, dim=0) if phrase.says_what else 1.0)
        if phrase.size is not None:
            probs = probs * size_factor(boxes, phrase.size, self.size_spread)
        probs = probs / probs.sum().clamp(min=1e-12)
        for direction in phrase.extremes:
            probs = probs * beyond_products(probs, extreme_key(boxes, direction, image_size))
            probs = probs / probs.sum().clamp(min=1e-12)
        return probs

    def __call__(self, text: str, boxes: Tensor, similarity_fn: SimilarityFn, image_size: Tuple[int, int],
                 prior: Optional[Tensor] = None) -> Optional[Tensor]:
        """``(K,)`` probabilities (summing to 1) of ``boxes`` (xyxy, image pixels) for ``text``; ``None`` when
        ``text`` asks for no geometry the reasoner models (the caller keeps its plain CLIP scores).

        Args:
            similarity_fn: CLIP similarity of the K boxes to each of a list of phrases, ``(P, K)``.
            image_size: ``(height, width)`` of the image the boxes are in.
            prior: ``(K,)`` non-negative weights of the boxes (e.g. detector scores); uniform by default.
        """
        parsed = parse_expression(text)
        if not parsed.is_spatial or len(boxes) == 0:
            return None
        boxes = boxes.float()
        prior = boxes.new_ones(len(boxes)) if prior is None else prior.float().clamp(min=1e-6).to(boxes.device)
        phrases = [parsed.subject] + ([parsed.landmark] if parsed.landmark is not None else [])
        similarity = similarity_fn([phrase.what for phrase in phrases]).float().to(boxes.device)
        subject = self.phrase_probs(parsed.subject, similarity[0], boxes, prior, image_size)
        if parsed.relation is None:
            return subject
        landmark = self.phrase_probs(parsed.landmark, similarity[1], boxes, prior, image_size)
        rel = relation_matrix(boxes, parsed.relation, image_size, subject, self.relation_softness)
        scores = subject * (rel @ landmark)
        total = scores.sum()
        # no box relates to a likely landmark: the subject alone (decided on the device, no host sync)
        return torch.where(total > 1e-12, scores / total.clamp(min=1e-12), subject)


def clip_temperature(encoder: torch.nn.Module) -> float:
    """``1 / logit_scale`` of a CLIP encoder's CLIP (the softmax temperature CLIP itself trained with), or
    CLIP's initial 0.01 for an encoder without one (e.g. a test double)."""
    logit_scale = getattr(getattr(encoder, 'clip', None), 'logit_scale', None)
    return 0.01 if logit_scale is None else float(1.0 / logit_scale.detach().float().exp())


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
                similarity_fn: SimilarityFn, image_size: Tuple[int, int], prior: Optional[Tensor] = None) -> Tensor:
    """``scores`` (N, K) of K boxes for N texts, with the row of every text that asks for geometry replaced by
    the reasoner's probabilities (the other rows are kept)."""
    scores = scores.clone()
    for index, text in enumerate(texts):
        reasoned = reasoner(text, boxes, similarity_fn, image_size, prior=prior)
        if reasoned is not None:
            scores[index] = reasoned.to(scores)
    return scores
