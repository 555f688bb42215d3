"""Spatial reasoning over scored boxes, after ReCLIP (Subramanian et al., ACL 2022): CLIP says *what* a box
shows, simple geometry says *where* it is.

A crop cannot show where its object lies in the image, how far it is from the camera or how big it is next to
the others, yet most referring expressions say so ("the man on the left", "second from right", "the car in
front", "the small one behind the bus"). The package has three parts:

- :mod:`.vocabulary`: the words read, as tables (location, depth, order, size, relation phrases; common
  misspellings; facing directions, which are not locations);
- :mod:`.parser`: :func:`parse_expression` splits an expression into a subject, an optional relation and a
  landmark, and strips their cue words; what is left ("the square", "man in red") is what CLIP scores;
- :mod:`.geometry` and :mod:`.reasoner`: :class:`SpatialReasoner` turns the CLIP similarities of the candidate
  boxes into a probability per box and applies the cues (extremes, ordinals, rows, depth, size, relations).

Expressions without such words, or with ones it does not model ("second row"), are left to CLIP (the reasoner
returns ``None``). Rule-based and offline: no parser model is downloaded.
"""
from .geometry import beyond_products, closeness, rank_probabilities
from .parser import CUE_TYPES, Extreme, ParsedExpression, Phrase, parse_expression, parse_phrase
from .reasoner import SimilarityFn, SpatialReasoner, build_reasoner, clip_temperature, reason_rows

__all__ = [
    'CUE_TYPES', 'Extreme', 'ParsedExpression', 'Phrase', 'SimilarityFn', 'SpatialReasoner', 'beyond_products',
    'build_reasoner', 'clip_temperature', 'closeness', 'parse_expression', 'parse_phrase',
    'rank_probabilities', 'reason_rows',
]
