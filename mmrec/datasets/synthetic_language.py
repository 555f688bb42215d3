"""The language of the synthetic REFER data: scenes, what a description means, and how it is worded.

A description is a :class:`Query` (shape, colour, size, an optional spatial extreme, an optional
relation to a landmark described by another query). :func:`resolve` says which objects of a scene a
query denotes; :func:`realise` words a query with one of several templates; :func:`parse` reads such a
wording back into a query. ``resolve(parse(text), scene) == [target]`` is the checker that makes every
generated expression unambiguous: it judges the words written, not the generator's intent.
All wordings come from the phrase tables below, so :func:`vocabulary` is exactly the words used.
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

SHAPES = ('circle', 'square', 'triangle')
# RGB values of the colour names (saturated, so that they stay apart on muted backgrounds).
COLOURS: Dict[str, Tuple[int, int, int]] = {
    'red': (215, 35, 35), 'green': (40, 170, 60), 'blue': (40, 80, 220),
    'yellow': (240, 210, 30), 'purple': (140, 50, 180), 'orange': (250, 130, 20),
}
SIZES = ('small', 'large')
DIRECTIONS = ('left', 'right', 'top', 'bottom')
RELATIONS = ('next to', 'left of', 'right of', 'above', 'below')

# Phrase tables: meaning -> the wordings the generator may use (and the parser accepts).
SIZE_WORDS = {'small': ('small', 'little'), 'large': ('large', 'big')}
GENERIC_NOUNS = ('shape', 'object')  # a noun that matches any shape ("the red shape")
EXTREME_PREFIXES = {
    'left': ('leftmost', ), 'right': ('rightmost', ), 'top': ('topmost', 'highest'),
    'bottom': ('bottommost', 'lowest'),
}
EXTREME_SUFFIXES = {
    'left': ('on the left', 'furthest to the left'), 'right': ('on the right', 'furthest to the right'),
    'top': ('at the top', ), 'bottom': ('at the bottom', ),
}
RELATION_PHRASES = {
    'next to': ('next to', 'closest to'), 'left of': ('to the left of', 'left of'),
    'right of': ('to the right of', 'right of'), 'above': ('above', ), 'below': ('below', 'under'),
}

# Geometry of the meanings, as fractions of the image side: an extreme must lead the runner-up by
# EXTREME_MARGIN; "left of" etc. need the centres EXTREME_MARGIN apart; "next to" needs the nearest
# object within NEAR_LIMIT (edge to edge) and every other one NEAR_RATIO times as far plus NEAR_SLACK.
EXTREME_MARGIN = 0.1
NEAR_LIMIT = 0.3
NEAR_RATIO = 1.5
NEAR_SLACK = 0.05


@dataclass(frozen=True)
class SceneObject:
    """One shape: its kind, colour and size class, centre and half side in pixels (integers)."""
    shape: str
    colour: str
    size: str
    cx: int
    cy: int
    half: int

    @property
    def bbox_xyxy(self) -> Tuple[int, int, int, int]:
        return (self.cx - self.half, self.cy - self.half, self.cx + self.half, self.cy + self.half)


@dataclass(frozen=True)
class Scene:
    width: int
    height: int
    objects: Tuple[SceneObject, ...]


@dataclass(frozen=True)
class Query:
    """A description. ``shape=None`` means any shape; ``extreme`` is one of DIRECTIONS; ``relation`` one
    of RELATIONS, relative to the (attribute-only) ``landmark``."""
    shape: Optional[str] = None
    colour: Optional[str] = None
    size: Optional[str] = None
    extreme: Optional[str] = None
    relation: Optional[str] = None
    landmark: Optional['Query'] = None

    @property
    def kind(self) -> str:
        if self.relation is not None:
            return 'relational'
        return 'spatial' if self.extreme is not None else 'attribute'

    def attributes_only(self) -> 'Query':
        return Query(shape=self.shape, colour=self.colour, size=self.size)


# ---------------------------------------------------------------------------------------------- meaning
def _matches(query: Query, obj: SceneObject) -> bool:
    return ((query.shape is None or obj.shape == query.shape)
            and (query.colour is None or obj.colour == query.colour)
            and (query.size is None or obj.size == query.size))


def _coordinate(obj: SceneObject, direction: str) -> float:
    """A coordinate that grows towards ``direction``."""
    return {'left': -obj.cx, 'right': obj.cx, 'top': -obj.cy, 'bottom': obj.cy}[direction]


def edge_gap(a: SceneObject, b: SceneObject) -> float:
    """Distance between two objects' bounding squares (0 when they touch)."""
    dx = max(abs(a.cx - b.cx) - a.half - b.half, 0)
    dy = max(abs(a.cy - b.cy) - a.half - b.half, 0)
    return float(np.hypot(dx, dy))


def _extreme(candidates: List[int], scene: Scene, direction: str) -> List[int]:
    """The candidates within the margin of the most extreme one (one index when it clearly leads)."""
    if not candidates:
        return []
    side = scene.width if direction in ('left', 'right') else scene.height
    coords = {i: _coordinate(scene.objects[i], direction) for i in candidates}
    best = max(coords.values())
    return [i for i in candidates if best - coords[i] < EXTREME_MARGIN * side]


def _related(candidates: List[int], scene: Scene, relation: str, landmark: int) -> List[int]:
    lm = scene.objects[landmark]
    others = [i for i in candidates if i != landmark]
    if relation == 'next to':
        short_side = min(scene.width, scene.height)
        gaps = {i: edge_gap(scene.objects[i], lm) for i in others}
        if not gaps or min(gaps.values()) > NEAR_LIMIT * short_side:
            return []
        nearest = min(gaps.values())
        return [i for i in others if gaps[i] <= nearest * NEAR_RATIO + NEAR_SLACK * short_side]
    direction = {'left of': 'left', 'right of': 'right', 'above': 'top', 'below': 'bottom'}[relation]
    side = scene.width if direction in ('left', 'right') else scene.height
    lm_coord = _coordinate(lm, direction)
    return [i for i in others
            if _coordinate(scene.objects[i], direction) - lm_coord >= EXTREME_MARGIN * side]


def resolve(query: Query, scene: Scene) -> List[int]:
    """Indices of the scene objects that ``query`` denotes (exactly one when it is unambiguous).

    A relation whose landmark is not unique denotes nothing.
    """
    candidates = [i for i, obj in enumerate(scene.objects) if _matches(query, obj)]
    if query.extreme is not None:
        candidates = _extreme(candidates, scene, query.extreme)
    if query.relation is not None:
        landmarks = resolve(query.landmark, scene) if query.landmark is not None else []
        if len(landmarks) != 1:
            return []
        candidates = _related(candidates, scene, query.relation, landmarks[0])
    return candidates


# ---------------------------------------------------------------------------------------------- wording
def _noun_phrase(query: Query, rng: np.random.Generator, allow_that_is: bool = True) -> str:
    """Words for the attribute part, e.g. 'big red circle', 'circle that is red', 'red one'."""
    size = None if query.size is None else str(rng.choice(SIZE_WORDS[query.size]))
    if query.shape is None:
        # 'one' reads well only after an adjective ("the red one"); otherwise a generic noun.
        has_adjective = size is not None or query.colour is not None
        noun = 'one' if has_adjective and rng.random() < 0.5 else str(rng.choice(GENERIC_NOUNS))
    else:
        noun = query.shape
    if allow_that_is and noun != 'one' and query.colour is not None and rng.random() < 0.25:
        return ' '.join(w for w in (size, noun, 'that is', query.colour) if w)
    return ' '.join(w for w in (size, query.colour, noun) if w)


def realise(query: Query, rng: np.random.Generator) -> str:
    """One wording of ``query`` (templates and synonyms drawn with ``rng``)."""
    if query.relation is not None:
        head = _noun_phrase(query.attributes_only(), rng, allow_that_is=False)
        landmark = _noun_phrase(query.landmark, rng, allow_that_is=False)
        return f'the {head} {rng.choice(RELATION_PHRASES[query.relation])} the {landmark}'
    if query.extreme is not None:
        noun_phrase = _noun_phrase(query.attributes_only(), rng, allow_that_is=False)
        if rng.random() < 0.5:
            return f'the {rng.choice(EXTREME_PREFIXES[query.extreme])} {noun_phrase}'
        return f'the {noun_phrase} {rng.choice(EXTREME_SUFFIXES[query.extreme])}'
    article = 'the ' if rng.random() < 0.8 else ''
    return article + _noun_phrase(query, rng)


# ---------------------------------------------------------------------------------------------- parsing
def _find_phrase(tokens: List[str], table: Dict[str, Sequence[str]]) -> Optional[Tuple[int, int, str]]:
    """First (start, end, meaning) of a phrase of ``table`` in ``tokens``, longest phrase first."""
    phrases = sorted(((p.split(), meaning) for meaning, ps in table.items() for p in ps),
                     key=lambda item: -len(item[0]))
    for start in range(len(tokens)):
        for words, meaning in phrases:
            if tokens[start:start + len(words)] == words:
                return start, start + len(words), meaning
    return None


def _parse_noun_phrase(tokens: List[str], text: str) -> Query:
    tokens = tokens[1:] if tokens[:1] == ['the'] else tokens
    colour = size = shape = None
    if len(tokens) >= 3 and tokens[-3:-1] == ['that', 'is']:
        colour = tokens[-1]
        if colour not in COLOURS:
            raise ValueError(f'not a synthetic expression: {text!r} ({colour!r} is not a colour)')
        tokens = tokens[:-3]
    if not tokens:
        raise ValueError(f'not a synthetic expression: {text!r} (no noun)')
    *adjectives, noun = tokens
    if noun in SHAPES:
        shape = noun
    elif noun not in GENERIC_NOUNS + ('one', ):
        raise ValueError(f'not a synthetic expression: {text!r} ({noun!r} is not a noun)')
    for word in adjectives:
        size_of_word = [s for s, words in SIZE_WORDS.items() if word in words]
        if size_of_word and size is None:
            size = size_of_word[0]
        elif word in COLOURS and colour is None:
            colour = word
        else:
            raise ValueError(f'not a synthetic expression: {text!r} (unexpected {word!r})')
    return Query(shape=shape, colour=colour, size=size)


def parse(text: str) -> Query:
    """Read a wording made by :func:`realise` back into a :class:`Query`; ``ValueError`` otherwise."""
    tokens = text.lower().split()
    relation = _find_phrase(tokens, RELATION_PHRASES)
    if relation is not None:
        start, end, meaning = relation
        head = _parse_noun_phrase(tokens[:start], text)
        landmark = _parse_noun_phrase(tokens[end:], text)
        return Query(head.shape, head.colour, head.size, relation=meaning, landmark=landmark)
    body = tokens[1:] if tokens[:1] == ['the'] else tokens
    prefix = _find_phrase(body[:1], EXTREME_PREFIXES)
    if prefix is not None:
        head = _parse_noun_phrase(body[1:], text)
        return Query(head.shape, head.colour, head.size, extreme=prefix[2])
    suffix = _find_phrase(body, EXTREME_SUFFIXES)
    if suffix is not None:
        start, end, meaning = suffix
        if end != len(body):
            raise ValueError(f'not a synthetic expression: {text!r} (words after {meaning!r})')
        head = _parse_noun_phrase(body[:start], text)
        return Query(head.shape, head.colour, head.size, extreme=meaning)
    return _parse_noun_phrase(body, text)


def referents(text: str, scene: Scene) -> List[int]:
    """The checker: indices of the objects that the words ``text`` denote in ``scene``."""
    return resolve(parse(text), scene)


def vocabulary() -> List[str]:
    """Every word the synthetic generator can write, sorted."""
    phrases = ['the', 'that is', 'one', *SHAPES, *COLOURS, *GENERIC_NOUNS]
    for table in (SIZE_WORDS, EXTREME_PREFIXES, EXTREME_SUFFIXES, RELATION_PHRASES):
        phrases += [phrase for wordings in table.values() for phrase in wordings]
    return sorted({word for phrase in phrases for word in phrase.split()})


# ---------------------------------------------------------------------------------------------- choice
def _attribute_queries(obj: SceneObject, use_colour: bool, with_generic: bool = True) -> List[Query]:
    """Attribute-only queries true of ``obj``, shortest first."""
    colours = (None, obj.colour) if use_colour else (None, )
    queries = [Query(obj.shape, colour, size) for size in (None, obj.size) for colour in colours]
    if with_generic:  # includes Query() itself, "the object", for "the leftmost object"
        queries += [Query(None, colour, size) for size in (None, obj.size) for colour in colours]
    return sorted(queries, key=lambda q: (q.colour is not None) + (q.size is not None))


def candidate_queries(scene: Scene, target: int, use_colour: bool = True) -> List[Query]:
    """All queries (attribute, spatial, relational) that denote exactly ``scene.objects[target]``.

    Spatial and relational ones are only offered where the attribute part alone matches several
    objects (otherwise the location is padding); landmarks are described by their shortest unique
    attribute query.
    """
    obj = scene.objects[target]
    found: List[Query] = []
    ambiguous: List[Query] = []
    for query in _attribute_queries(obj, use_colour):
        (found if resolve(query, scene) == [target] else ambiguous).append(query)
    for base in ambiguous:
        for direction in DIRECTIONS:
            query = Query(base.shape, base.colour, base.size, extreme=direction)
            if resolve(query, scene) == [target]:
                found.append(query)
    for landmark_index, landmark_obj in enumerate(scene.objects):
        if landmark_index == target:
            continue
        landmark = next((q for q in _attribute_queries(landmark_obj, use_colour, with_generic=False)
                         if resolve(q, scene) == [landmark_index]), None)
        if landmark is None:
            continue
        for base in ambiguous:
            for relation in RELATIONS:
                query = Query(base.shape, base.colour, base.size, relation=relation, landmark=landmark)
                if resolve(query, scene) == [target]:
                    found.append(query)
    return found
