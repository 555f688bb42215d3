"""The spatial-reasoning cues that :func:`~mmrec.models.spatial_reasoning.parse_expression` reads in an
expression, as short phrases for people ("ordinal: 2nd from left", "relation: left of 'the blue circle'")."""
from typing import List

from mmrec.models.spatial_reasoning import Extreme, ParsedExpression, Phrase, parse_expression
from mmrec.models.spatial_reasoning.parser import DEPTH_DIRECTIONS


def ordinal(rank: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ..., ``11th``, ``12th``, ``13th``, ``21st``, ..."""
    suffix = 'th' if 10 <= rank % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(rank % 10, 'th')
    return f'{rank}{suffix}'


def describe_extreme(cue: Extreme) -> str:
    """``'extreme: left'``, ``'ordinal: 2nd from left'``, ``'depth: front'``, ``'extreme: bottom row'``."""
    where = f'{cue.direction} row' if cue.row else cue.direction
    if cue.rank is not None:
        return f'ordinal: {ordinal(cue.rank)} from {where}'
    return f'{"depth" if cue.direction in DEPTH_DIRECTIONS else "extreme"}: {where}'


def _phrase_cues(phrase: Phrase) -> List[str]:
    cues = [describe_extreme(cue) for cue in phrase.extremes]
    if phrase.size:
        cues.append(f'size: {phrase.size}')
    return cues


def describe_cues(parsed: ParsedExpression) -> List[str]:
    """The cues of a parsed expression, the subject's first, then the relation and its landmark(s)' cues."""
    if not parsed.supported:
        return ['not modelled (wording such as "second row"): left to CLIP']
    cues = _phrase_cues(parsed.subject)
    if parsed.relation is not None:
        landmarks = ' and '.join(repr(p.what) for p in (parsed.landmark, parsed.second_landmark) if p is not None)
        cues.append(f'relation: {parsed.relation} {landmarks}')
        for landmark in (parsed.landmark, parsed.second_landmark):
            if landmark is not None:
                cues += [f'landmark {cue}' for cue in _phrase_cues(landmark)]
    return cues


def expression_cues(text: str) -> List[str]:
    """:func:`describe_cues` of ``text``; empty when it asks for no geometry the reasoner models."""
    parsed = parse_expression(text)
    return describe_cues(parsed) if parsed.is_spatial or not parsed.supported else []


def cue_kinds(text: str) -> List[str]:
    """The parser's cue types of ``text`` (``['none']`` when it carries none), for filtering."""
    return list(parse_expression(text).cue_types)
