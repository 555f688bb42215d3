"""Geometry-only evaluation of the spatial reasoner on REFER annotations (no images, no CLIP).

What the reasoner can do with an expression's *words* alone is measured by taking CLIP out: every phrase
matches every candidate equally (an uninformative similarity), every candidate is equally likely a priori,
and the candidates are the annotated objects of the expression's image. The reasoner either answers (its
argmax is the prediction) or declines (the expression goes to CLIP, which here knows nothing: chance, 1/K, is
credited). Images with a single candidate are left out: there is nothing to choose.

This separates the language and geometry part of a REC system from its detector and its CLIP, and runs on
the annotation files alone, so it can be measured on real RefCOCO expressions without their images.
"""
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import torch

from mmrec.models.spatial_reasoning import CUE_TYPES, SpatialReasoner, parse_expression

#: ``--candidates`` choices: every annotation of the image, or those of the referred object's category.
CANDIDATE_MODES = ('all', 'same-category')


@dataclass
class ExpressionOutcome:
    """The reasoner on one expression: which cues it carries, whether it was answered, the credit earned."""
    text: str
    split: str
    cues: Tuple[str, ...]
    answered: bool
    credit: float  # 1 or 0 when answered; 1/K when declined
    chance: float  # 1/K

    def as_dict(self) -> dict:
        return dict(text=self.text, split=self.split, cues=list(self.cues), answered=self.answered,
                    credit=round(self.credit, 4), candidates=round(1 / self.chance))


@dataclass
class LanguageSummary:
    """Counts and accuracies over a set of :class:`ExpressionOutcome` (fractions in [0, 1])."""
    expressions: int = 0
    chance: float = 0.0
    geometry_accuracy: float = 0.0
    answered: float = 0.0
    answered_accuracy: float = 0.0
    cue_counts: Dict[str, int] = field(default_factory=dict)
    cue_answered: Dict[str, int] = field(default_factory=dict)
    cue_correct: Dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, outcomes: Sequence[ExpressionOutcome]) -> 'LanguageSummary':
        count = len(outcomes)
        answered = [o for o in outcomes if o.answered]
        cue_counts: Counter = Counter()
        cue_answered: Counter = Counter()
        cue_correct: Counter = Counter()
        for outcome in outcomes:
            for cue in outcome.cues:
                cue_counts[cue] += 1
                cue_answered[cue] += outcome.answered
                cue_correct[cue] += outcome.answered and outcome.credit == 1.0
        return cls(expressions=count,
                   chance=_mean([o.chance for o in outcomes]),
                   geometry_accuracy=_mean([o.credit for o in outcomes]),
                   answered=len(answered) / count if count else 0.0,
                   answered_accuracy=_mean([o.credit for o in answered]),
                   cue_counts={cue: cue_counts[cue] for cue in CUE_TYPES},
                   cue_answered={cue: cue_answered[cue] for cue in CUE_TYPES},
                   cue_correct={cue: cue_correct[cue] for cue in CUE_TYPES})

    def as_dict(self) -> dict:
        return dict(expressions=self.expressions, chance=round(self.chance, 4),
                    geometry_accuracy=round(self.geometry_accuracy, 4), answered=round(self.answered, 4),
                    answered_accuracy=round(self.answered_accuracy, 4), cue_counts=self.cue_counts,
                    cue_answered=self.cue_answered, cue_correct=self.cue_correct)


def _mean(values: Sequence[float]) -> float:
    return float(sum(values) / len(values)) if values else 0.0


def uninformative_similarity(num_boxes: int):
    """A CLIP stand-in under which every phrase matches each of ``num_boxes`` boxes equally."""
    return lambda phrases: torch.zeros(len(phrases), num_boxes)


def geometry_only_outcome(reasoner: SpatialReasoner, text: str, boxes: torch.Tensor, target: int,
                          image_size: Tuple[int, int], split: str = '') -> ExpressionOutcome:
    """The reasoner's answer for ``text`` among ``boxes`` (K, 4) (xyxy, pixels), ``target`` the referred one.

    Args:
        image_size: ``(height, width)`` of the image.
    """
    chance = 1.0 / len(boxes)
    parsed = parse_expression(text)
    cues = parsed.cue_types
    probs = reasoner.reason(parsed, boxes, uninformative_similarity(len(boxes)), image_size)
    if probs is None:
        return ExpressionOutcome(text, split, cues, answered=False, credit=chance, chance=chance)
    return ExpressionOutcome(text, split, cues, answered=True, credit=float(int(probs.argmax()) == target),
                             chance=chance)


def image_candidates(sample: dict, expression: dict, mode: str) -> Tuple[torch.Tensor, int]:
    """``(K, 4)`` candidate boxes of one expression and the index of its referred object among them (-1 when
    the referred annotation is not a candidate)."""
    candidates = sample['candidates']
    if mode == 'same-category':
        candidates = [c for c in candidates if c['category_id'] == expression['category_id']]
    elif mode != 'all':
        raise ValueError(f'candidates must be one of {CANDIDATE_MODES}, got {mode!r}')
    ann_ids = [c['ann_id'] for c in candidates]
    target = ann_ids.index(expression['ann_id']) if expression['ann_id'] in ann_ids else -1
    boxes = torch.tensor([c['bbox'] for c in candidates], dtype=torch.float32).reshape(-1, 4)
    return boxes, target


def analyze_samples(samples: Iterable[dict], reasoner: Optional[SpatialReasoner] = None,
                    candidates: str = 'all') -> Tuple[List[ExpressionOutcome], int]:
    """Geometry-only outcomes of every expression of ``samples`` (``REFERDataset`` data infos made with
    ``with_candidates=True``), and how many expressions were left out (fewer than two candidates, or the
    referred object not among them)."""
    reasoner = reasoner or SpatialReasoner()
    outcomes, left_out = [], 0
    for sample in samples:
        image_size = (int(sample['height']), int(sample['width']))
        for expression in sample['expressions']:
            boxes, target = image_candidates(sample, expression, candidates)
            if len(boxes) < 2 or target < 0:
                left_out += 1
                continue
            outcomes.append(geometry_only_outcome(reasoner, expression['text'], boxes, target, image_size,
                                                  split=str(expression['split'])))
    return outcomes, left_out


def format_table(rows: Dict[str, LanguageSummary]) -> str:
    """One line per summary (split name or 'all'): expressions, chance, accuracies, and per cue type how many
    expressions carry it / are answered / are answered right."""
    cue_header = '  '.join(f'{cue:>16}' for cue in CUE_TYPES)
    lines = [f'{"split":<10}{"exprs":>7}{"chance":>8}{"geom acc":>10}{"answered":>10}{"ans acc":>9}  {cue_header}',
             f'{"(cue cells: carry/answered/right)":<54}']
    for name, s in rows.items():
        cues = '  '.join(f'{f"{s.cue_counts[c]}/{s.cue_answered[c]}/{s.cue_correct[c]}":>16}' for c in CUE_TYPES)
        lines.append(f'{name:<10}{s.expressions:>7}{s.chance:>8.3f}{s.geometry_accuracy:>10.3f}'
                     f'{s.answered:>10.3f}{s.answered_accuracy:>9.3f}  {cues}')
    return '\n'.join(lines)
