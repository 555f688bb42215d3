"""Why the spatial reasoner chose the box it chose: the parse, each cue's factor per box, chosen vs referred.

``tools/analyze_language.py --explain N`` prints this for N expressions it answered wrongly in the
geometry-only setting of :mod:`.language_analysis` (CLIP taken out, uniform prior), so that a rule is
changed because of what the reasoner did on real expressions, not what one imagines it did.
"""
import random
from dataclasses import dataclass
from typing import Iterable, Iterator, List, Optional, Tuple

import torch

from mmrec.models.spatial_reasoning import ParsedExpression, Phrase, SpatialReasoner, parse_expression
from mmrec.models.spatial_reasoning.reasoner import Trace, describe_cue

from .language_analysis import exclusion, image_candidates, uninformative_similarity


@dataclass
class Explained:
    """One answered expression with what is needed to explain it."""
    text: str
    split: str
    boxes: torch.Tensor  # (K, 4) xyxy pixels
    target: int
    chosen: int
    image_size: Tuple[int, int]  # (height, width)
    parsed: ParsedExpression
    trace: Trace
    targets: Tuple[int, ...] = ()  # every referred box when there are several (``target`` is the first)

    @property
    def right(self) -> bool:
        return self.chosen in (self.targets or (self.target, ))


def _phrase_words(phrase: Phrase) -> str:
    cues = ', '.join(describe_cue(cue) for cue in phrase.extremes)
    size = f' size={phrase.size}' if phrase.size else ''
    return f'{phrase.what!r} [{cues}]{size}'


def describe_parse(parsed: ParsedExpression) -> str:
    """The parse on one line: subject, relation, landmark(s), cue types."""
    parts = [f'subject {_phrase_words(parsed.subject)}']
    if parsed.relation is not None:
        parts.append(f'relation {parsed.relation!r}')
        parts.extend(f'landmark {_phrase_words(p)}' for p in (parsed.landmark, parsed.second_landmark) if p)
    if not parsed.supported:
        parts.append('UNSUPPORTED')
    return ' | '.join(parts) + f'  cues: {", ".join(parsed.cue_types)}'


def explain(reasoner: SpatialReasoner, text: str, boxes: torch.Tensor, target: int, image_size: Tuple[int, int],
            split: str = '') -> Optional[Explained]:
    """The reasoner's geometry-only answer for ``text`` with its trace; ``None`` when it declines."""
    parsed = parse_expression(text)
    trace: Trace = []
    probs = reasoner.reason(parsed, boxes, uninformative_similarity(len(boxes)), image_size, trace=trace)
    if probs is None:
        return None
    return Explained(text, split, boxes, target, int(probs.argmax()), image_size, parsed, trace)


def format_explained(item: Explained) -> str:
    """A block of text: the expression, its parse, then one row per box (its xyxy box, bottom edge and linear
    size as fractions of the image, and every factor of the trace), the chosen and referred boxes marked."""
    height, width = item.image_size
    verdict = 'right' if item.right else 'WRONG'
    referred = ', '.join(str(t) for t in item.targets) if len(item.targets) > 1 else str(item.target)
    lines = [f'[{item.split}] "{item.text}"  K={len(item.boxes)}  image {width}x{height}  chosen {item.chosen}, '
             f'referred {referred}: {verdict}',
             f'  parse: {describe_parse(item.parsed)}']
    labels = [label for label, _ in item.trace]
    widths = [max(len(label), 6) for label in labels]
    lines.append('  ' + f'{"box":<5}{"x1":>6}{"y1":>6}{"x2":>6}{"y2":>6}{"bot":>6}{"size":>6}  '
                 + '  '.join(f'{label:>{w}}' for label, w in zip(labels, widths)))
    areas = (item.boxes[:, 2] - item.boxes[:, 0]) * (item.boxes[:, 3] - item.boxes[:, 1])
    for index, box in enumerate(item.boxes.tolist()):
        mark = ('*' if index == item.chosen else ' ') + ('R' if index in (item.targets or (item.target, )) else ' ')
        size = float((areas[index] / (height * width)).sqrt())
        cells = '  '.join(f'{float(factor[index]):>{w}.3f}' for (_, factor), w in zip(item.trace, widths))
        lines.append(f'  {index:<2}{mark} ' + ''.join(f'{v:>6.0f}' for v in box)
                     + f'{box[3] / height:>6.2f}{size:>6.2f}  {cells}')
    lines.append('  (* chosen, R referred; bot: bottom edge / image height; size: sqrt(box area / image area))')
    return '\n'.join(lines)


def wrong_answers(samples: Iterable[dict], reasoner: Optional[SpatialReasoner] = None, candidates: str = 'all',
                  cue: Optional[str] = None) -> Iterator[Explained]:
    """The expressions of ``samples`` (``REFERDataset`` data infos with candidates) that the reasoner answers
    wrongly, optionally only those carrying the cue type ``cue``, explained, in the samples' order."""
    reasoner = reasoner or SpatialReasoner()
    for sample in samples:
        for expression in sample['expressions']:
            if cue is not None and cue not in parse_expression(expression['text']).cue_types:
                continue
            boxes, targets = image_candidates(sample, expression, candidates)
            if exclusion(sample, expression, boxes, targets) is not None:
                continue
            image_size = (int(sample['height']), int(sample['width']))
            item = explain(reasoner, expression['text'], boxes, targets[0], image_size, str(expression['split']))
            if item is not None:
                item.targets = tuple(targets)
                if not item.right:
                    yield item


def pick(items: Iterable[Explained], count: int, seed: Optional[int] = None) -> List[Explained]:
    """The first ``count`` of ``items``, or with ``seed`` a random sample of ``count`` of them (so that the
    cases looked at are not always the first images of a split)."""
    items = iter(items)
    if seed is None:
        return [item for _, item in zip(range(count), items)]
    pool = list(items)
    return random.Random(seed).sample(pool, min(count, len(pool)))
