"""Geometry of candidate boxes: which way each lies, how far towards the viewer, in which row, how big.

Every function takes ``boxes`` as a ``(K, 4)`` float tensor of xyxy image pixels and ``image_size`` as
``(height, width)``, and is differentiable and device-agnostic (no host syncs).
"""
import math
from typing import Tuple

import torch
from torch import Tensor


def centres(boxes: Tensor) -> Tuple[Tensor, Tensor]:
    """``(cx, cy)``, each ``(K,)``."""
    return (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2


def closeness(boxes: Tensor, image_size: Tuple[int, int]) -> Tensor:
    """``(K,)`` how close each box's object is to the camera, by a monocular proxy (larger is closer).

    In a photograph the ground recedes upwards: of two objects standing on it, the nearer one meets it lower in
    the frame, and a nearer object of a given size covers more of the image. The proxy adds the two cues in
    image-relative units: the bottom edge (0 at the top of the image, 1 at the bottom) plus the box's linear
    size (the square root of its share of the image area, 0 to 1). Either cue alone fails in known ways
    (objects on a table or a shelf; a small child in front of a tall adult); their sum is right in the common
    case of objects on one floor, which is what "front" and "behind" in RefCOCO mostly describe.
    """
    height, width = image_size
    areas = (boxes[:, 2] - boxes[:, 0]).clamp(min=0) * (boxes[:, 3] - boxes[:, 1]).clamp(min=0)
    return boxes[:, 3] / height + (areas / (height * width)).sqrt()


def front_closeness(boxes: Tensor, image_size: Tuple[int, int]) -> Tensor:
    """``(K,)`` how near each box's object is to the camera when the nearest one is sought ("in front", "closest"):
    :func:`closeness` with the box's centre in place of its bottom edge (larger is nearer).

    The nearest things are the ones the frame cuts: their boxes mostly all end at the bottom of the image, where the
    ground line can no longer order them, and the tallest of them (a person standing a little further back, whose
    feet also reach the frame) then won by its size. The centre keeps ordering them: of two boxes ending at the
    frame, the one whose visible part lies lower is cut more, nearer. The furthest thing ("in the back") is seldom
    cut, and its ground line is visible: there :func:`closeness` stays (geometry-only val, expressions gained on
    RefCOCO, RefCOCO+, RefCOCOg: +24, +5, +4 with the centre for the front only; +25, -11, +1 for both; of the
    answers it turned right on RefCOCO, 23 of 35 chose between boxes both ending at the frame, of those it turned
    wrong 3 of 11).
    """
    height, width = image_size
    areas = (boxes[:, 2] - boxes[:, 0]).clamp(min=0) * (boxes[:, 3] - boxes[:, 1]).clamp(min=0)
    return (boxes[:, 1] + boxes[:, 3]) / (2 * height) + (areas / (height * width)).sqrt()


#: Size orders an ordinal can count along (:func:`extreme_key`): "second largest" is the second box by area.
SIZE_ORDERS = ('large', 'small', 'tall', 'short')


def extreme_key(boxes: Tensor, direction: str, image_size: Tuple[int, int], sized: bool = False) -> Tensor:
    """A ``(K,)`` key that is smaller the further a box lies towards ``direction`` (``left right top bottom
    middle front back``, or a size order of :data:`SIZE_ORDERS`); depth by :func:`front_closeness` (front) and
    :func:`closeness` (back). ``sized``: the phrase also names a size ("the shortest person in front"); depth is then
    read from the ground line alone, since those would count the box's size a second time, against the size word
    when it asks for a small one."""
    cx, cy = centres(boxes)
    height, width = image_size
    if direction in SIZE_ORDERS:  # size order, for an ordinal of a superlative ("second largest"): the measures of
        # :func:`size_factor`, area for large / small, reach above the bottom of the image for tall / short
        if direction in ('tall', 'short'):
            return boxes[:, 1] if direction == 'tall' else -boxes[:, 1]
        areas = (boxes[:, 2] - boxes[:, 0]).clamp(min=0) * (boxes[:, 3] - boxes[:, 1]).clamp(min=0)
        return -areas if direction == 'large' else areas
    if direction == 'middle':
        return torch.hypot((cx - width / 2) / width, (cy - height / 2) / height)
    if direction in ('front', 'back'):
        if sized:
            return -boxes[:, 3] / height if direction == 'front' else boxes[:, 3] / height
        return -front_closeness(boxes, image_size) if direction == 'front' else closeness(boxes, image_size)
    return {'left': cx, 'right': -cx, 'top': cy, 'bottom': -cy}[direction]


def corner_key(boxes: Tensor, horizontal: str, vertical: str, image_size: Tuple[int, int],
               sized: bool = False) -> Tensor:
    """``(K,)`` smaller the further a box lies towards a corner (``horizontal`` ``left`` / ``right``, ``vertical``
    ``top`` / ``bottom``, or ``front`` / ``back`` for a corner of the ground, "front left"): the sum of its two
    image-relative extreme keys, i.e. its projection on the corner's diagonal (depth as in :func:`extreme_key`,
    already image-relative; ``sized`` as for :func:`extreme_key`). "Top left" names one place, the corner, not "the
    top one of the left ones": applying the two extremes one after the other lets the first one decide whenever the
    boxes differ more along its axis."""
    height, width = image_size
    across = extreme_key(boxes, horizontal, image_size) / width
    if vertical in ('front', 'back'):
        return across + extreme_key(boxes, vertical, image_size, sized)
    return across + extreme_key(boxes, vertical, image_size) / height


def middle_key(boxes: Tensor, match: Tensor, image_size: Tuple[int, int], axis: str = 'x') -> Tensor:
    """``(K,)`` smaller the more a box is "the middle one": the imbalance between the matching boxes on its left
    and on its right (``axis='y'``: above and below it; ``match`` (K,): the chance that each box is of the kind
    counted), ties broken by the distance to the centre of the matching boxes along that axis (their
    ``match``-weighted mean centre, as a fraction of the image side) plus the distance to the image centre along it.
    Of three people the middle one is the one between the others, wherever the group stands in the frame; of two
    equally balanced boxes (an even count), the one nearer the middle of the group along the axis counted ("the
    middle horse" of a row is central across the row, whatever its height in the frame), then of the picture, along
    that axis too: of two trains side by side, "the middle train" is the one nearer the picture's centre line, not
    the one whose centre sits at mid-height (the distance to the picture's centre point, used before, let a few
    pixels of height outweigh the position across; geometry-only val RefCOCO +7 expressions, RefCOCO+, RefCOCOg
    unchanged)."""
    cx, cy = centres(boxes)
    along, side = (cx, image_size[1]) if axis == 'x' else (cy, image_size[0])
    before = (match[None, :] * (along[None, :] < along[:, None]).to(match.dtype)).sum(dim=1)
    after = (match[None, :] * (along[None, :] > along[:, None]).to(match.dtype)).sum(dim=1)
    centre = (match * along).sum() / match.sum().clamp(min=1e-12)
    return (before - after).abs() + ((along - centre).abs() + (along - side / 2).abs()) / side


def beyond_matrix(key: Tensor) -> Tensor:
    """``(K, K)`` bool, ``[i, j]``: box ``j`` lies beyond box ``i`` (its key is smaller)."""
    return key[None, :] < key[:, None]


#: How far (a share of the shorter box's height) the top edge of a box must lie below another's for the box to be in
#: a lower row: about a head's height, by which the heads of a row in front show below those of the row behind.
LOWER_ROW_STEP = 0.25


def row_beyond_matrix(boxes: Tensor, direction: str) -> Tensor:
    """``(K, K)`` bool, ``[i, j]``: box ``j`` is in a row further towards ``direction`` than box ``i``.

    ``'top'`` (a top or back row, as named) and ``'back'`` (the back row of objects counted across, "second from
    the left in the back"): ``j``'s top edge lies higher than ``i``'s by more than half the shorter box's height.

    ``'bottom'`` (a bottom, front or first row, as named): ``j``'s top edge lies lower by more than
    :data:`LOWER_ROW_STEP` of it. A named row is mostly one of a group photo or a shelf: the heads of a row in front
    show just below those of the row behind, while bottom edges do not separate rows: the front rows of a group
    photo all reach, or are cut by, the bottom of the frame, and a row behind ends where the row in front hides it
    (by bottom edges a standing person beside a seated front row counted as in it).

    ``'front'`` (the front row of objects counted across, "banana in the front fourth from the right"): ``j``'s
    bottom edge, its ground line, lies lower by more than half the shorter height: depth said of things on the
    ground is read from where they meet it, as :func:`closeness` does (their tops are the things' own heights)."""
    heights = boxes[:, 3] - boxes[:, 1]
    shorter = torch.minimum(heights[:, None], heights[None, :])
    if direction == 'bottom':
        return boxes[None, :, 1] - boxes[:, None, 1] > LOWER_ROW_STEP * shorter
    if direction == 'front':
        return boxes[None, :, 3] - boxes[:, None, 3] > shorter / 2
    if direction in ('top', 'back'):
        return boxes[:, None, 1] - boxes[None, :, 1] > shorter / 2
    raise ValueError(f"rows run along 'top', 'bottom', 'front' or 'back', got {direction!r}")


def beyond_products(probs: Tensor, key: Tensor) -> Tensor:
    """``out[i] = prod_{j: key[j] < key[i]} (1 - probs[j])``: no matching box lies beyond ``i``."""
    return _none_beyond(probs, beyond_matrix(key))


def _none_beyond(probs: Tensor, beyond: Tensor) -> Tensor:
    factors = torch.where(beyond, 1 - probs[None, :], torch.ones_like(beyond, dtype=probs.dtype))
    return factors.prod(dim=1)


def rank_probabilities(match: Tensor, beyond: Tensor, rank: int) -> Tensor:
    """``(K,)``: for each box ``i``, the probability that exactly ``rank - 1`` of the boxes beyond it match,
    when box ``j`` matches with probability ``match[j]`` independently (a Poisson-binomial count, computed by
    the usual recursion over the boxes). ``rank=1`` is :func:`beyond_products` of ``match``.

    Args:
        match: ``(K,)`` probability in [0, 1] that each box is of the kind being counted.
        beyond: ``(K, K)`` bool, ``[i, j]``: box ``j`` lies beyond box ``i``.
        rank: the ordinal, from 1.
    """
    num_boxes = len(match)
    counts = match.new_zeros(num_boxes, rank)  # counts[i, c]: P(c of the boxes seen so far beyond i match)
    counts[:, 0] = 1
    contributions = match[None, :] * beyond.to(match.dtype)  # [i, j]
    for j in range(num_boxes):
        q = contributions[:, j:j + 1]
        shifted = torch.cat([counts.new_zeros(num_boxes, 1), counts[:, :-1]], dim=1)
        counts = counts * (1 - q) + shifted * q
    return counts[:, rank - 1]


def size_factor(boxes: Tensor, size: str, spread: float, image_size: Tuple[int, int]) -> Tensor:
    """``(K,)`` soft "is large" of each box against the others (``'large'`` / ``'small'``: by area; ``'tall'`` /
    ``'short'``: by how high the box reaches above the bottom of the image, since of two standing things the
    taller one's top is higher, whatever its distance).

    On a log scale, a sigmoid centred half-way between the smallest and the largest measure, whose width is
    an eighth of their range but at least half of ``log(spread)``: the largest and the smallest box get
    ``sigmoid(range / log(spread))``, 0.73 / 0.27 when they differ by a factor ``spread``, less for a near tie
    (told apart gently, leaving CLIP and the other cues the say), up to 0.98 / 0.02 from a factor
    ``spread ** 4``; the strength grows smoothly with the spread.
    """
    if len(boxes) < 2:
        return boxes.new_ones(len(boxes))
    if size in ('tall', 'short'):
        measure = (image_size[0] - boxes[:, 1]).clamp(min=1e-6)
    else:
        measure = (boxes[:, 2] - boxes[:, 0]).clamp(min=1e-6) * (boxes[:, 3] - boxes[:, 1]).clamp(min=1e-6)
    measure = measure.log()
    low, high = measure.min(), measure.max()
    width = ((high - low) / 8).clamp(min=max(math.log(spread), 1e-6) / 2)
    large = torch.sigmoid((measure - (low + high) / 2) / width)
    return large if size in ('large', 'tall') else 1 - large


def relation_matrix(boxes: Tensor, relation: str, image_size: Tuple[int, int], subject_probs: Tensor,
                    softness: float) -> Tensor:
    """``rel[i, j]`` in [0, 1]: box ``i`` stands in ``relation`` to landmark box ``j`` (0 on the diagonal).

    ``relation`` is one of ``left of``, ``right of``, ``above``, ``below`` (soft steps on the centres, ``softness``
    a fraction of the image side), ``in front of``, ``behind`` (a soft step on the bottom edges: a subject and its
    landmark are mostly different kinds of object, whose sizes say nothing of their distance, unlike the
    same-kind candidates of a depth extreme, where :func:`closeness` also counts size; times
    :func:`line_of_sight`, since one of the two is behind the other as the camera sees them), ``next to`` (no other
    likely subject is closer to the landmark), ``holding`` / ``wearing`` or ``on`` / ``riding``
    (:func:`_contact_matrix`), ``bearing`` (``j`` is ``on`` ``i``: the seat under its sitter), ``held`` (``j`` is
    ``holding`` ``i``).
    """
    cx, cy = centres(boxes)
    height, width = image_size
    if relation in ('holding', 'wearing', 'on', 'riding'):
        rel = _contact_matrix(boxes, 'on' if relation in ('on', 'riding') else 'holding', height * softness)
    elif relation == 'bearing':  # the seat under its sitter: the sitter is 'on' it
        rel = _contact_matrix(boxes, 'on', height * softness).T
    elif relation == 'held':  # held by its holder: the holder is 'holding' it
        rel = _contact_matrix(boxes, 'holding', height * softness).T
    elif relation == 'next to':
        gaps = edge_gaps(boxes)  # [i, j]
        rel = torch.stack([_nearest_to(gaps[:, j], j, subject_probs) for j in range(len(boxes))], dim=1)
    else:
        near = boxes[:, 3] / height  # ground line: sizes of two kinds of object say nothing of their depth
        delta = {'left of': (cx[None, :] - cx[:, None]) / width, 'right of': (cx[:, None] - cx[None, :]) / width,
                 'above': (cy[None, :] - cy[:, None]) / height, 'below': (cy[:, None] - cy[None, :]) / height,
                 'in front of': near[:, None] - near[None, :], 'behind': near[None, :] - near[:, None]}
        rel = torch.sigmoid(delta[relation] / softness)
        if relation in ('in front of', 'behind'):
            rel = rel * line_of_sight(boxes)
    return rel * (1 - torch.eye(len(boxes), dtype=rel.dtype, device=rel.device))


#: What a box beside the landmark (no horizontal overlap) keeps of "in front of" / "behind": a little, for depth
#: said loosely ("the car behind the bus" one lane over), but much less than a box in the landmark's line of sight.
BESIDE_DEPTH = 0.1


def line_of_sight(boxes: Tensor) -> Tensor:
    """``(K, K)`` in [BESIDE_DEPTH, 1], ``[i, j]``: how far boxes ``i`` and ``j`` lie along one line of sight: their
    horizontal overlap as a share of the narrower box's width. "In front of Y" and "behind Y" say that the two
    are one behind the other as seen from the camera, so that one hides part of the other and their boxes
    overlap across the image; a thing off to the side of Y is beside it, whatever its depth."""
    return BESIDE_DEPTH + (1 - BESIDE_DEPTH) * _x_overlap_share(boxes)


def _x_overlap(boxes: Tensor) -> Tensor:
    """``(K, K)`` pixels, ``[i, j]``: how much the horizontal extents of boxes ``i`` and ``j`` overlap."""
    return (torch.minimum(boxes[:, None, 2], boxes[None, :, 2])
            - torch.maximum(boxes[:, None, 0], boxes[None, :, 0])).clamp(min=0)


def _x_overlap_share(boxes: Tensor) -> Tensor:
    """``(K, K)`` in [0, 1]: :func:`_x_overlap` as a share of the narrower box's width."""
    widths = (boxes[:, 2] - boxes[:, 0]).clamp(min=1e-6)
    return _x_overlap(boxes) / torch.minimum(widths[:, None], widths[None, :])


def _contact_matrix(boxes: Tensor, relation: str, step: float) -> Tensor:
    """``(K, K)`` in [0, 1], ``[i, j]``: ``holding``: the share of ``j``'s area inside ``i``'s box (a thing held,
    carried or worn lies within or against its holder's box); ``on``: ``i`` rides or sits on ``j``: their
    horizontal overlap (a share of the narrower box) times soft steps (``step`` pixels) for ``i``'s top and
    bottom edges lying above ``j``'s (a rider's box rises above the horse's and ends above its hooves)."""
    if relation == 'holding':
        x_overlap = _x_overlap(boxes)
        y_overlap = (torch.minimum(boxes[:, None, 3], boxes[None, :, 3])
                     - torch.maximum(boxes[:, None, 1], boxes[None, :, 1])).clamp(min=0)
        areas = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).clamp(min=1e-6)
        return x_overlap * y_overlap / areas[None, :]
    overlap = _x_overlap_share(boxes)
    top_above = torch.sigmoid((boxes[None, :, 1] - boxes[:, None, 1]) / step)
    bottom_above = torch.sigmoid((boxes[None, :, 3] - boxes[:, None, 3]) / step)
    return overlap * top_above * bottom_above


def between_scores(boxes: Tensor, image_size: Tuple[int, int], first: Tensor, second: Tensor,
                   softness: float) -> Tensor:
    """``(K,)``: for each box ``i``, ``sum_{j, k} first[j] second[k] between(i; j, k)`` over landmarks ``j, k != i``,
    where ``between`` is 1 when ``i``'s centre lies horizontally between theirs (soft steps of width ``softness``
    times the image width), whichever side each landmark is on.

    Args:
        first, second: ``(K,)`` probabilities of the two landmarks ("between the cup and the plate").
    """
    cx, _ = centres(boxes)
    off_diagonal = 1 - torch.eye(len(boxes), dtype=boxes.dtype, device=boxes.device)
    right_of = torch.sigmoid((cx[:, None] - cx[None, :]) / (image_size[1] * softness)) * off_diagonal  # [i, j]
    left_of = torch.sigmoid((cx[None, :] - cx[:, None]) / (image_size[1] * softness)) * off_diagonal
    return (right_of @ first) * (left_of @ second) + (left_of @ first) * (right_of @ second)


def _nearest_to(gaps: Tensor, landmark: int, subject_probs: Tensor) -> Tensor:
    """``(K,)``: for each box ``i``, the chance that no other likely subject ``k`` (neither ``i`` nor the
    landmark) is closer to the landmark than ``i`` is, given the boxes' ``gaps`` to the landmark."""
    closer = gaps[None, :] < gaps[:, None]  # [i, k]: k is closer to the landmark than i
    others = 1 - subject_probs[None, :] * closer.to(subject_probs.dtype)
    others[:, landmark] = 1  # the landmark is not a rival subject (i == k is never closer than itself)
    return others.prod(dim=1)


def edge_gaps(boxes: Tensor) -> Tensor:
    """``(K, K)`` distance between box edges (0 when they overlap)."""
    dx = (torch.maximum(boxes[:, None, 0], boxes[None, :, 0]) - torch.minimum(boxes[:, None, 2], boxes[None, :, 2]))
    dy = (torch.maximum(boxes[:, None, 1], boxes[None, :, 1]) - torch.minimum(boxes[:, None, 3], boxes[None, :, 3]))
    return torch.hypot(dx.clamp(min=0), dy.clamp(min=0))
