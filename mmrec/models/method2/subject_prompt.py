"""The ``'subject'`` prompt of a grounding detector: what to look for, from the spatial reasoner's parse.

The head of the expression's subject, with the location, ordinal, depth and size words stripped (by
:func:`~mmrec.models.spatial_reasoning.parse_expression`) and the rest cut at the first modifier ("the left
lion" -> ``'lion'``, "second man from right" -> ``'man'``, "guy on far left in red" -> ``'guy'``), so the detector
proposes every lion and CLIP and the reasoner choose among them. When the expression relates the subject to a
landmark ("man next to dog on left"), the landmark's head follows as a second phrase (``'man . dog'``): the
reasoner needs the landmark's boxes among the candidates.
"""
import re

from ..spatial_reasoning import Phrase, parse_expression
from ..spatial_reasoning.vocabulary import CLAUSE_MARKER, FILLER_WORDS

#: GroundingDINO's phrase separator.
PHRASE_SEPARATOR = ' . '
#: Words after the head noun that start what the object is doing, wearing or is near (besides the
#: reasoner's modifier-clause words): the detector is asked for the head, CLIP reads the rest.
_HEAD_END = re.compile(r'\b(on|at|by|to|from|near|under|over|above|below|behind|beside|against|inside|outside|'
                       r'into|onto|across|along|for|and|or)\b')
#: The prompt of a phrase that names nothing but a place ("left", "the one in front").
FALLBACK_HEAD = 'object'


def phrase_head(phrase: Phrase) -> str:
    """What a grounding detector should look for to find ``phrase``: its words up to the first modifier
    ("with ...", "in red", "on table"), without articles and other filler words (``'object'`` if none is left)."""
    text = phrase.what
    for marker in (CLAUSE_MARKER, _HEAD_END):
        match = marker.search(text)
        text = text[:match.start()] if match else text
    words = [word for word in text.split() if word not in FILLER_WORDS]
    return ' '.join(words) or FALLBACK_HEAD


def subject_prompt(expression: str, with_landmarks: bool = True) -> str:
    """The ``'subject'`` prompt of ``expression`` (see the module docstring); landmark heads follow the subject's,
    separated by ``' . '``, unless ``with_landmarks`` is False or they repeat it."""
    parsed = parse_expression(expression)
    heads = [phrase_head(parsed.subject)]
    if with_landmarks:
        for landmark in parsed.phrases[1:]:
            head = phrase_head(landmark)
            if head not in heads:
                heads.append(head)
    return PHRASE_SEPARATOR.join(heads)
