"""Geometry-only evaluation of the spatial reasoner on REFER annotations (no images, no CLIP).

What the reasoner can do with an expression's *words* alone is measured by taking CLIP out: every phrase
matches every candidate equally (an uninformative similarity), every candidate is equally likely a priori,
and the candidates are the annotated objects of the expression's image. The reasoner either answers (its
argmax is the prediction) or declines (the expression goes to CLIP, which here knows nothing: chance, 1/K, is
credited). Images with a single candidate are left out: there is nothing to choose.

An expression may refer to several objects (gRefCOCO, JSON lines with ``boxes``): the reasoner still picks one
box, and the expression is right when that box is one of the referred objects (chance is then T/K for T referred
among K). Expressions that refer to nothing are not scored (there is no box to pick) but counted.

This separates the language and geometry part of a REC system from its detector and its CLIP, and runs on
the annotation files alone, so it can be measured on real RefCOCO expressions without their images.
"""
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

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
    credit: float  # 1 or 0 when answered; T/K when declined
    chance: float  # T/K: T referred candidates (1 but in generalised data) among K
    num_candidates: int = 0  # K (0: not recorded, read as 1 / chance)
    num_targets: int = 1  # T

    def as_dict(self) -> dict:
        return dict(text=self.text, split=self.split, cues=list(self.cues), answered=self.answered,
                    credit=round(self.credit, 4), candidates=self.num_candidates or round(1 / self.chance),
                    targets=self.num_targets)


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


def geometry_only_outcome(reasoner: SpatialReasoner, text: str, boxes: torch.Tensor, target: Any,
                          image_size: Tuple[int, int], split: str = '') -> ExpressionOutcome:
    """The reasoner's answer for ``text`` among ``boxes`` (K, 4) (xyxy, pixels); ``target`` is the index of the
    referred box, or a sequence of indices when several are referred (right when the choice is any of them).

    Args:
        image_size: ``(height, width)`` of the image.
    """
    targets = [int(t) for t in target] if isinstance(target, (list, tuple)) else [int(target)]
    chance = len(targets) / len(boxes)
    parsed = parse_expression(text)
    cues = parsed.cue_types
    probs = reasoner.reason(parsed, boxes, uninformative_similarity(len(boxes)), image_size)
    sizes = dict(num_candidates=len(boxes), num_targets=len(targets))
    if probs is None:
        return ExpressionOutcome(text, split, cues, answered=False, credit=chance, chance=chance, **sizes)
    return ExpressionOutcome(text, split, cues, answered=True, credit=float(int(probs.argmax()) in targets),
                             chance=chance, **sizes)


#: The ``ann_id`` of a gRefCOCO expression that refers to nothing.
NO_TARGET_ID = -1


def target_ids(expression: dict) -> List[Any]:
    """The candidate ids an expression refers to: its ``target_ids`` (set by
    :mod:`~mmrec.evaluation.language_sources` for box-derived candidates) or its ``ann_id`` (REFER: one id;
    gRefCOCO: a list, ``[-1]`` for none); ``[]`` when it refers to nothing."""
    if 'target_ids' in expression:
        return list(expression['target_ids'])
    ids = expression.get('ann_id')
    ids = list(ids) if isinstance(ids, (list, tuple)) else [ids]
    return [] if ids == [NO_TARGET_ID] else ids


def image_candidates(sample: dict, expression: dict, mode: str) -> Tuple[torch.Tensor, List[int]]:
    """``(K, 4)`` candidate boxes of one expression and the indices of its referred objects among them; an
    empty list when one of them is not a candidate (or the expression refers to nothing)."""
    candidates = sample['candidates']
    if mode == 'same-category':
        categories = expression.get('category_id')
        categories = categories if isinstance(categories, (list, tuple)) else [categories]
        candidates = [c for c in candidates if c['category_id'] in categories]
    elif mode != 'all':
        raise ValueError(f'candidates must be one of {CANDIDATE_MODES}, got {mode!r}')
    ann_ids = [c['ann_id'] for c in candidates]
    wanted = target_ids(expression)
    targets = [ann_ids.index(ann_id) for ann_id in wanted if ann_id in ann_ids]
    boxes = torch.tensor([c['bbox'] for c in candidates], dtype=torch.float32).reshape(-1, 4)
    return boxes, targets if wanted and len(targets) == len(wanted) else []


#: Why an expression is not scored (``analyze_samples``' counts); all but ``no_target`` make ``left_out``.
EXCLUSIONS = ('no_target', 'no_image_size', 'fewer_than_two_candidates', 'target_not_a_candidate',
              'every_candidate_referred')


def exclusion(sample: dict, expression: dict, boxes: torch.Tensor, targets: List[int]) -> Optional[str]:
    """The reason (one of ``EXCLUSIONS``) why an expression cannot be scored, None when it can."""
    if not target_ids(expression):
        return 'no_target'
    if not sample.get('height') or not sample.get('width'):
        return 'no_image_size'
    if len(boxes) < 2:
        return 'fewer_than_two_candidates'
    if not targets:
        return 'target_not_a_candidate'
    return 'every_candidate_referred' if len(targets) == len(boxes) else None


def analyze_samples(samples: Iterable[dict], reasoner: Optional[SpatialReasoner] = None, candidates: str = 'all',
                    counts: Optional[Counter] = None) -> Tuple[List[ExpressionOutcome], int]:
    """Geometry-only outcomes of every expression of ``samples`` (data infos with ``candidates``:
    ``REFERDataset(with_candidates=True)`` or :mod:`~mmrec.evaluation.language_sources`), and how many were left
    out (fewer than two candidates, a referred object not among them, every candidate referred, or no image
    size). ``counts`` (optional) receives every ``EXCLUSIONS`` reason, ``multi_target`` (scored expressions
    with several referred objects) and ``with_two_candidates`` (expressions with a target and >= 2 candidates)."""
    reasoner = reasoner or SpatialReasoner()
    counts = Counter() if counts is None else counts
    outcomes = []
    for sample in samples:
        for expression in sample['expressions']:
            boxes, targets = image_candidates(sample, expression, candidates)
            counts['with_two_candidates'] += bool(target_ids(expression)) and len(boxes) >= 2
            reason = exclusion(sample, expression, boxes, targets)
            if reason is not None:
                counts[reason] += 1
                continue
            counts['multi_target'] += len(targets) > 1
            image_size = (int(sample['height']), int(sample['width']))
            outcomes.append(geometry_only_outcome(reasoner, expression['text'], boxes, targets, image_size,
                                                  split=str(expression['split'])))
    return outcomes, sum(counts[reason] for reason in EXCLUSIONS[1:])


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
