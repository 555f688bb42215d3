"""The words the spatial reasoner reads: location, depth, order, size and relation phrases of English referring
expressions, as plain tables.

They were written from ordinary English and from the forms RefCOCO's annotators use ("left guy", "guy left",
"right most", "far right", "2nd from top", "right front"), not from single expressions. Every table is
matched on whole words, longest phrase first ("on the left side" before "on the left").
"""
import re
from typing import Callable, Dict, Tuple, Union


def longest_first(table: Dict[str, Tuple[str, ...]]) -> Dict[str, Tuple[str, ...]]:
    """Each entry's phrases longest first, so that "on the left side" is matched before "on the left"."""
    return {key: tuple(sorted(phrases, key=len, reverse=True)) for key, phrases in table.items()}


def _sides(side: str) -> Tuple[str, ...]:
    return (f'furthest to the {side}', f'farthest to the {side}', f'on the {side} side', f'on the {side}',
            f'to the {side}', f'on {side} side', f'on {side}', f'{side} side', f'far {side}', f'{side} most',
            f'{side}most', f'{side} hand side', f'{side} end', f'furthest {side}', f'farthest {side}',
            f'furthest to {side}', f'farthest to {side}', f'most {side}', f'very {side}', f'extreme {side}', side)


#: Joins the words of a name that contains a location word ("tank_top"): cue matching skips it, CLIP reads a space.
JOINER = '_'

#: Misspellings and run-together forms of location words seen in crowd-sourced expressions, as an explicit
#: table (a word is rewritten only when it is exactly one of these; no fuzzy matching of other words).
SPELLING = {
    'rigth': 'right', 'rite': 'right', 'righ': 'right', 'rght': 'right', 'riht': 'right', 'rihgt': 'right',
    'roght': 'right', 'rigt': 'right', 'lef': 'left', 'lft': 'left', 'leftt': 'left', 'lefft': 'left',
    'lfet': 'left', 'elft': 'left', 'botom': 'bottom', 'bottem': 'bottom', 'bottome': 'bottom',
    'buttom': 'bottom', 'bototm': 'bottom', 'midle': 'middle', 'middel': 'middle', 'centre': 'center',
    'centered': 'center', 'frnt': 'front', 'fromt': 'front', 'secnd': 'second',
    'seccond': 'second', 'sencond': 'second', 'secod': 'second', 'thrid': 'third', 'frist': 'first',
    'leftside': 'left side', 'rightside': 'right side', 'topleft': 'top left', 'topright': 'top right',
    'bottomleft': 'bottom left', 'bottomright': 'bottom right', 'upperleft': 'upper left',
    'upperright': 'upper right', 'lowerleft': 'lower left', 'lowerright': 'lower right',
    'frontmost': 'front most', 'backmost': 'back most', 'furtherest': 'furthest', 'leftest': 'leftmost',
    'rightest': 'rightmost',
    # "-ish" softens a side but still names it ("lamb on very rightish", "bottomish rightish corner", "to the leftish
    # of the one in the middle"). Geometry-only val, RefCOCO / RefCOCO+ / RefCOCOg: 2 / 3 / 0 answers changed,
    # +0 / +2.05 / +0 expressions (RefCOCO: one gained, one lost)
    'leftish': 'left', 'rightish': 'right', 'topish': 'top', 'bottomish': 'bottom',
    # superlatives and comparatives made of a side, as "leftest" is ("leftiest bag", "player most leftiest", "lead
    # rightiest chocolate", "farthest leftier"), and "far" run into a side ("the cop farleft"). Geometry-only val,
    # RefCOCO / RefCOCO+ / RefCOCOg: 1 / 4 / 0 answers changed, +0.75 / +3.04 / +0 expressions.
    'leftiest': 'leftmost', 'rightiest': 'rightmost', 'leftier': 'leftmost', 'rightier': 'rightmost',
    'topest': 'topmost', 'bottomest': 'bottommost', 'farleft': 'far left', 'farright': 'far right',
    # ... and those seen at least twice in RefCOCO-family val expressions (a non-word each, with one reading;
    # "fron" is "from": "second bottle fron left"; "lefty" / "righty" are said for the side, "lefty giraffe", as no
    # val expression says them of a left-handed player; "frt" is the short form of "front"). With "closes to" read
    # as "closest to" (REWRITES), geometry-only val, RefCOCO / RefCOCO+ / RefCOCOg: 11 / 16 / 1 answers changed,
    # +5.08 / +7.28 / +0.5 expressions
    'fartest': 'farthest', 'fartherest': 'farthest', 'cloest': 'closest', 'neares': 'nearest', 'behing': 'behind',
    'bakground': 'background', 'frotn': 'front', 'fron': 'from', 'botttom': 'bottom', 'botto': 'bottom',
    'midlle': 'middle', 'lefty': 'left', 'righty': 'right', 'frt': 'front',
}
#: Any two location words of different axes run together, in either order ("topcenter donut", "person in red
#: bottomcenter", "banana leftmiddle", "elephant in backleft", "pastry on rightfront of plate"), are the two words, as
#: "topleft" is: one place named along two axes. Geometry-only val, RefCOCO / RefCOCO+ / RefCOCOg: 6 / 1 / 0 answers
#: changed (each newly answered, all right), +3.7 / +0.67 / +0 expressions.
_ACROSS_WORDS, _ALONG_WORDS = ('left', 'right', 'middle', 'center'), ('top', 'bottom', 'upper', 'lower', 'front',
                                                                       'back', 'middle', 'center')


def _run_together(across: Tuple[str, ...], along: Tuple[str, ...]) -> Dict[str, str]:
    """Each pair of an ``across`` and an ``along`` word, run together in either order, mapped to the two words
    (``'topcenter'`` -> ``'top center'``); "middlecenter" and the like name no second axis and are left out."""
    joined = {}
    for first in across:
        for second in along:
            if {first, second} <= {'middle', 'center'}:
                continue
            joined[first + second] = f'{first} {second}'
            joined[second + first] = f'{second} {first}'
    return joined


SPELLING.update({word: words for word, words in _run_together(_ACROSS_WORDS, _ALONG_WORDS).items()
                 if word not in SPELLING})

#: Phrases rewritten before parsing, so that one meaning has one spelling: depth said as distance to the
#: viewer ("closest to the camera" is "front", not "next to" the camera) and order said from its far end.
#: Words after which "closest" / "nearest" is an adjective of the next noun ("the closest girl", "in nearest chair").
_BEFORE_ADJECTIVE = frozenset('the a an this that these those two three four both his her its their our my your '
                              'in on at of to from by with and or but not next very second third'.split())
_ORDINALS = r'first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th|[1-9]'
# the viewer, not a noun it begins ("a u shaped table", "camera bag": things in the picture); "closest to the camera
# man" stays the man closest to the camera, as it mostly means
_VIEWER = (r'(the )?(camera|us|you|u|viewer|photographer|picture taker|person taking the picture|me|lens|screen)'
           r'(?![ -]?(shaped|shape|bag|stand|tripod)\b)')
#: Beings whose back, said with a possessive "s" ("mans back", "zebras back"), is a body part.
_BEINGS = ('man|woman|guy|girl|boy|person|lady|kid|dude|player|child|baby|sheep|zebra|giraffe|horse|elephant|cow|dog|'
           'cat|bear|animal')
#: The hours of a clock face as places in the frame, read from its middle ("slice at 12 oclock" is the top one, "man
#: at 9 o clock" the left one): 3, 6, 9 and 12 point at a side, the hours between them at the corner between.
_CLOCK_HOURS = {1: 'top right', 2: 'top right', 3: 'right', 4: 'bottom right', 5: 'bottom right', 6: 'bottom',
                7: 'bottom left', 8: 'bottom left', 9: 'left', 10: 'top left', 11: 'top left', 12: 'top'}
_HOUR_WORDS = dict(zip('one two three four five six seven eight nine ten eleven twelve'.split(), range(1, 13)))
_HOUR = rf'(?<![0-9])(?:1[0-2]|[1-9])|\b(?:{"|".join(_HOUR_WORDS)})'


#: An hour told ("clock that says 10 o'clock", "clock reading two o clock", "clock with hands at 12 o clock") is the
#: time on a clock, and a "5 o'clock shadow" a beard: no place in the frame ("clock at 5 o clock" keeps it).
_TIME_TOLD = re.compile(r"\b(says?|saying|reads?|reading|shows?|showing|hands|time|set)\b(?: [a-z]+){0,2} ?$")


def _clock_place(match: 're.Match[str]') -> str:
    """The place a clock position names (its hour read on :data:`_CLOCK_HOURS`), or the words unchanged where a
    clock tells the time or the hour is a "five o'clock shadow"."""
    if _TIME_TOLD.search(match.string[:match.start()]) or match.string[match.end():].startswith(' shadow'):
        return match.group(0)
    hour = match.group(1)
    return ' ' + _CLOCK_HOURS[int(hour) if hour.isdigit() else _HOUR_WORDS[hour]]


REWRITES: Tuple[Tuple['re.Pattern[str]', Union[str, Callable[['re.Match[str]'], str]]], ...] = tuple(
    (re.compile(pattern), replacement) for pattern, replacement in (
    # a clock position is a place in the frame ("at 3 o clock", "9 oclock", "at8 o clock", "5 to 6 o clock"): first,
    # so that its number is not read as an ordinal. Geometry-only val, RefCOCO / RefCOCO+ / RefCOCOg: 7 / 85 / 0
    # answers changed, +4.97 / +48.58 / 0 expressions (6 of the 85 on RefCOCO+ lose their chance credit)
    (rf"(?:(?:{_HOUR}) (?:to|or) )?({_HOUR}) ?o ?'? ?clock\b(?: position)?", _clock_place),
    (r'\b(closet|closes) to\b', 'closest to'),
    (r'\bclosed to\b', 'close to'),
    # "to" may be left out after "near" ("hot dog near us", "sofa near camera", "the zebra nearest the camera"): the
    # viewer is no landmark among the boxes either way. Geometry-only val, RefCOCO / RefCOCO+ / RefCOCOg: 2 / 13 / 1
    # answers changed, 0 / +2.46 / +0.5 expressions (on RefCOCO one right and one wrong answer added)
    (rf'\b(closest|nearest|closer|nearer)( to)? {_VIEWER}\b', 'front'),
    (rf'\b((super|very) )?(close to|near to|next to|near) {_VIEWER}\b', 'front'),
    (rf'\b(furthest|farthest|further|farther|far)( away)? from {_VIEWER}\b', 'back'),
    (rf'\baway from {_VIEWER}\b', 'back'),
    (r'\b(closest|nearest) (the|a|an)\b', r'next to \2'),
    # after its noun, "closest" / "nearest" takes an object: "guy nearest woman" is next to her, as "closest
    # to" is ("closest one", "closest on the left", "closest sheep" at the start stay depth words)
    (r'\b([a-z]+) (closest|nearest) (?!(one|ones|side|of|in|on|at|and|with|to|us|you|me|camera|viewer)\b)(?=[a-z])',
     lambda m: m.group(0) if m.group(1) in _BEFORE_ADJECTIVE else f'{m.group(1)} next to '),
    # the front or back of the picture is its near or far part, however it is said ("at front of photo", "in the
    # foreground of the image", "front of picture"): no landmark
    (r'\b((in|at|on|to|towards?) )?(the )?(front|foreground) of (the |this )?(picture|photo|image|pic|frame|screen|'
     r'shot|scene|photograph)\b', 'front'),
    (r'\b((in|at|on|to|towards?) )?(the )?(back|background|rear) of (the |this )?(picture|photo|image|pic|frame|screen|'
     r'shot|scene|photograph)\b', 'back'),
    (r'\b(second|2nd) ((to|from) )?(the )?last\b', 'second from right'),
    # after an ordinal, "(from) left to right" is the way of counting, the side counted from ("second person left to
    # right"), not a second side; "right in the middle" is "exactly in the middle", no side at all
    (rf'\b({_ORDINALS})\b((?: [a-z]+){{0,4}}?) (?:from )?(left|right) to (?:the )?(?!\3)(left|right)\b',
     r'\1\2 from \3'),
    (r'(?<!\bthe )(?<!\bon )(?<!\bto )(?<!\bfar )(?<!\bat )\bright (?=(in|at) (the )?(middle|center)\b)', ''),
    (r'\bnext to (the )?last\b', 'second from right'),
    (r'\bin back of\b', 'behind'),
    # an ordinal before a depth superlative counts from that end: "third farthest umbrella" is the third from the
    # back, "next closest guy" the second from the front
    (r'\bnext (closest|nearest)\b', 'second from front'),
    (r'\b(second|2nd|third|3rd|fourth|4th|fifth|5th)( most)? (closest|nearest|closer|nearer)\b', r'\1 from front'),
    (r'\b(second|2nd|third|3rd|fourth|4th|fifth|5th)( most)? (furthest|farthest|further|farther)\b', r'\1 from back'),
    # a superlative side followed by "of" picks the extreme one of a group ("kid furthest right of the four", "the
    # one most left of the bananas"), as "the tallest of the three" does: no relation to the group (read as "right of
    # the four", the subject was to be right of a landmark that is itself)
    (r'\b(furthest|farthest|most)(?: to the| to)? (left|right|top|bottom) of\b'
     r'(?! (the |this )?(photo|picture|image|pic|frame|screen|shot|scene|photograph)\b)', r'\1 \2 among'),
    # "far" before a side of the frame intensifies the side ("far bottom right", "far right side", "on the far
    # left of the plate"), as "very" does; it says nothing of depth ("far zebra", "far end", "far away" keep it)
    (r'\bfar (?=(left|right|top|bottom|upper|lower)\b)', ''),
    # "closest to the front", "near the left side", "near the upper right corner" (but "next to the left dog" names a
    # landmark)
    (r'\b(near|close to|closest to|nearest to|closer to|next to|towards?) (the )?(far )?((?:upper |lower |top |bottom |'
     r'front |back )?(?:front|back|left|right|top|bottom|middle|center|foreground|background))\b'
     r'(?=$| (side|edge|corner|end|of|and|in|on|with|at|part)\b)',
     r'\4'),
    # a side of the frame is a location, not a landmark: "to the left of the photo" is "on the left"
    (r'\b(to|on|at|in) the (left|right|top|bottom|middle|center) (side |part |edge |corner )?of (the )?'
     r'(photo|picture|image|pic|frame|screen|shot|scene)\b', r'on the \2'),
    # ... and so is a side "of the picture" said without a preposition ("girl in pink left of photo")
    (r'\b(left|right|top|bottom|middle|center)( side| part| edge| corner| end)? of (the |this )?'
     r'(photo|picture|image|pic|frame|screen|shot|scene|photograph)\b', r'\1\2'),
    # a body part is not a place: "birds on its back", "numbers printed on his back"
    (r'\b(on|in|across|over) (his|her|its|their) backs?\b', ' '),
    # ... nor is a back said to be someone's ("mans back walking away", "you can only see his back", "sheeps back"):
    # the body part, not the far side of the picture (joined; CLIP reads the words). A back turned to the viewer is
    # FACING's ("his back to the camera"); "the back of his head" stays (mostly a person seen from behind, near)
    (rf"\b(his|her|its|their|[a-z]+'s|[a-z]+ ' s|(?:{_BEINGS})s) (backs?|rear)\b"
     r'(?! (is |are )?(turned|turn|to|towards?|facing)\b)', rf'\1{JOINER}\2'),
    # a view names the side of the object the camera sees ("front view", "back view of woman", "the rear view of a
    # truck"), not how far it is (joined; CLIP reads the words). Geometry-only val, RefCOCO / RefCOCO+ / RefCOCOg,
    # with "rear" said to be someone's above ("its rear end", "elephants rear end"): 2 / 2 / 1 answers changed (each
    # now left to CLIP), +0.75 / +1.0 / +0.5 expressions (chance credit)
    (r'\b(front|back|rear) ?(view|views)\b', rf'\1{JOINER}\2'),
    # a seat has a back: "chair back second from left", "middle white couch back", "back of her chair" name the part
    # (mostly the side of the seat the camera sees), not the far side of the picture ("couch in back" keeps it)
    (r'\b(chairs?|couch|couches|seats?|benches|bench|sofas?) (backs?)\b(?! (row|rows|left|right|corner|side|of)\b)',
     rf'\1{JOINER}\2'),
    (r'\b(backs?) of(?= (?:(?:the|a|an|his|her|their|this|that) )?(?:[a-z]+ ){0,3}?(?:chairs?|couch|couches|seats?|'
     r'bench|benches|sofas?)\b)', rf'\1{JOINER}of'),
    # "main" followed by a preposition or a verb is a noun, a misspelt "man" ("the main in the background", "main
    # next to guy in glasses"); before a noun it is a size word (SIZE_PHRASES)
    (r'\bmain(?= (in|on|at|with|next|wearing|holding|sitting|standing|who|that|is|near|behind|beside|by)\b)', 'man'),
    # location words inside names of things: "tank top", "back seat", "her left hand", "with a bow on top"
    # (joined by JOINER, which cue matching treats as part of a word; CLIP reads the words again)
    (r'\b(tank|table|lap|crop|tube|halter|counter|desk|bottle|tree|roof|hill|muffin|tip|sleeveless|bikini|'
     r'white|black|red|blue|green|yellow|pink|purple|orange|gray|grey|brown|striped|dark|light) top\b(?! (left|right))',
     r'\1_top'),
    (r'\btop (hat|coat|knot|layer|bun)\b', r'top_\1'),
    # "little" of a person is an age: a little girl is a child, shorter than those around her (as "kid" is, in
    # HEIGHT_WORDS), not the smallest box; of a thing ("little bowl") it stays a size by area
    (r'\blittle (?=(girl|girls|boy|boys|kid|kids|child|children|guy|man|lady|woman|baby|person)\b)', 'short '),
    # "short" is the object's height before its noun ("short guy", "short giraffe"), but not in names of hair,
    # clothes or books ("short hair", "short sleeved shirt", "short stories"), and at the end of a phrase or before
    # a number it is the garment ("white short", "kid tan short")
    (r'\bshort (hair|haired|sleeve|sleeves|sleeved|shorts|skirt|dress|pants|jeans|stories|story|sunglasses|cut|'
     r'board)\b', r'short_\1'),
    (r'\bshort\b(?! [a-z])', 'shorts'),
    (r'\b(back|front) (pack|packs|seat|seats|wheel|wheels|tire|tires|door|doors|window|leg|legs|paw|paws|'
     r'pocket|porch|yard|light|lights)\b', r'\1_\2'),
    (r'\b(center|middle) (piece|console|divider)\b', r'\1_\2'),
    (r'\bupper (body|half|arm|lip)\b', r'upper_\1'),
    # a possessor's own left or right ("his left hand", "the mans right foot", written without the apostrophe as
    # RefCOCO mostly does) is the side of the body, not of the picture
    (rf"\b(his|her|their|its|[a-z]+'s|[a-z]+ ' s|(?:{_BEINGS})s) (left|right) (hand|arm|forearm|leg|thigh|foot|feet|"
     r"shoulder|ear|eye|knee|elbow|wrist|paw|wing|hoof|hip|cheek|glove|shoe)s?\b(?! side)", ' '),
    (r'\b(with(?: [a-z]+){1,5}?) on (the )?top\b', r'\1'),
    # a negated depth word ("wine glass not the closest", "pizza that isnt close to us", "boy not behind netting")
    # says where the object is not, which is most boxes: no cue (joined; CLIP reads the words). Last, so that it
    # also finds the viewer's distance rewritten ("isnt close to us" is "isnt front" by now)
    (r"\b(not|isnt|isn't|arent|aren't)((?: (?:the|in|on|at|to|very|so|too))*) (closest|nearest|closer|nearer|close|"
     r"front|back|furthest|farthest|further|farther|background|foreground|behind|far|rear)\b", rf'\1\2{JOINER}\3'),
))

# Location words of one object ("the leftmost cup", "the man on the left", "the car in front").
EXTREME_PHRASES = longest_first({
    'left': _sides('left'),
    'right': _sides('right'),
    # "up high" / "high up" / "down low" say where in the frame the object is, as "highest" / "lowest" do ("white shirt
    # on the left up high", "oven down low"). Geometry-only val, RefCOCO / RefCOCO+ / RefCOCOg: 1 / 1 / 0 answers
    # changed, +1 / +0.5 / +0 expressions (chance credit where the phrase had no location word before).
    'top': ('up high', 'high up', 'at the top', 'on the top', 'on top', 'top most', 'topmost', 'uppermost', 'highest',
            'upper', 'top'),
    'bottom': ('down low', 'at the bottom', 'on the bottom', 'bottom most', 'bottommost', 'lowest', 'lower', 'bottom'),
    'middle': ('in the middle', 'in middle', 'in the center', 'in center', 'middle', 'center'),
    'front': ('in the front', 'in front', 'at the front', 'on the front', 'front most', 'foremost', 'forefront',
              'front', 'foreground', 'closest', 'nearest', 'closer', 'nearer', 'close'),
    'back': ('in the back', 'in back', 'at the back', 'back most', 'far back', 'in the background',
             'background', 'in the distance', 'far away', 'farthest', 'furthest', 'farther', 'further',
             'rear', 'back', 'behind', 'far'),
})
# Order along an axis: "second from left", "third person from the right", "2nd from top", "last".
ORDINAL_WORDS = {
    'first': 1, 'second': 2, 'third': 3, 'fourth': 4, 'fifth': 5, 'sixth': 6, 'seventh': 7, 'eighth': 8,
    'ninth': 9, 'tenth': 10, '1st': 1, '2nd': 2, '3rd': 3, '4th': 4, '5th': 5, '6th': 6, '7th': 7, '8th': 8,
    '9th': 9, '10th': 10, 'last': 1,
}
#: The axis an ordinal counts from when the expression names the side ("from the right", "down").
ORDINAL_AXES = {'left': 'left', 'right': 'right', 'top': 'top', 'bottom': 'bottom', 'front': 'front',
                'back': 'back', 'down': 'top', 'up': 'bottom', 'end': 'right', 'camera': 'front',
                'us': 'front'}
#: Without a named side, counting is in reading order: "the second sheep" from the left, "the last" from
#: the right.
DEFAULT_ORDINAL_AXIS = 'left'
REVERSED_DEFAULT_AXIS = 'right'
#: ... but "the first" with no side named ("first pizza", "first wine glass", "first umbrella") is the one met first
#: looking into the picture, the nearest, not the leftmost: of RefCOCO-family val expressions with a bare "first", the
#: front-most box is the target in 14 of 20, the leftmost in 9 of 20 (for "second", "third" the reading order holds).
FIRST_AXIS = 'front'

#: "The main guy", "main elephant": the main object of a photograph is the one it was taken of, which fills most of
#: the frame; "main" reads as "large".
SIZE_PHRASES = longest_first({
    'large': ('biggest', 'largest', 'bigger', 'larger', 'big', 'large', 'huge', 'main'),
    'small': ('smallest', 'smaller', 'little', 'small', 'tiny'),
    'tall': ('tallest', 'taller', 'tall'),
    'short': ('shortest', 'shorter', 'short'),
})
#: Words of age and posture that say how high a thing reaches next to others of its kind, read as "short" / "tall"
#: (:func:`~.geometry.size_factor` by reach) when the phrase has no size word of its own: a child or a young
#: animal is shorter than the adults around it ("baby elephant", "kid"), a sitting, kneeling or crouching person
#: shorter than standing ones, a lying one shortest ("dog laying down"), a standing one or a parent taller, a
#: jumping one, off the ground, tallest. Only the head of the phrase counts ("woman holding a baby" is not short).
POSTURE_WORDS = {
    'short': frozenset('sitting seated sits kneeling kneels squatting squats crouching crouched crouches lying '
                       'laying lies lays'.split()),
    'tall': frozenset('standing stands jumping jumps leaping'.split()),
}
#: Words of visibility: a thing partly out of the frame or hidden shows less of itself, so its box is smaller than
#: whole ones of its kind ("partially hidden giraffe", "car cut off"); "whole" / "entire" the reverse. Read as
#: "small" / "large" (by area) under the same conditions as the height words, anywhere in the phrase.
VISIBILITY_WORDS = {
    'small': ('partial', 'partially', 'half', 'cut off', 'cutoff', 'hidden', 'obscured', 'barely'),
    'large': ('whole', 'entire'),
}
HEIGHT_WORDS = {
    'short': frozenset('baby babies calf calves cub cubs toddler toddlers infant child children kid kids'.split())
    | POSTURE_WORDS['short'],
    'tall': frozenset('adult adults mother mom mommy mama momma parent dad father daddy'.split())
    | POSTURE_WORDS['tall'],
}
# Relations between a subject and a landmark ("X to the left of Y"); checked before the extremes.
RELATION_PHRASES = longest_first({
    'left of': ('to the left of', 'on the left of', 'on the left side of', 'on left side of', 'left side of',
                'left of'),
    'right of': ('to the right of', 'on the right of', 'on the right side of', 'on right side of',
                 'right side of', 'right of'),
    'above': ('on top of', 'above'),
    'below': ('underneath', 'beneath', 'below', 'under'),
    'next to': ('closest to', 'nearest to', 'closer to', 'nearer to', 'close to', 'next to', 'beside', 'near'),
    'in front of': ('in front of', 'infront of', 'front of'),
    # a thing hidden by another is behind it, as the camera sees them ("elephant obscured by tree", "woman in red
    # mostly hidden by guy"); "covered by" is mostly a wrapping or a cloth, and is left out
    'behind': ('behind', 'blocked by', 'hidden by', 'obscured by', 'obstructed by', 'partially covered by'),
    'between': ('in between', 'between', 'betweem', 'inbetween'),
})
#: "In front of" a thing one faces to use it (a screen, a desk or table, a meal, a mirror) is that thing's own front,
#: where its user is: "a woman sitting in front of a laptop", "a man in front of a pizza", "a sofa in front of the tv".
#: Photographs show users from the front, across the thing they use, so as the camera sees them the user, or the
#: seat facing it, is behind it (:data:`FACING_USERS` the subjects that face it, :data:`FACED_THINGS` the things).
FACED_THINGS = frozenset('laptop laptops computer computers tv tvs television screen screens monitor monitors mirror '
                         'desk table pizza pizzas plate food meal cake stove'.split())
FACING_USERS = frozenset(
    'man men woman women lady ladies girl girls boy boys guy guys person people kid kids child children baby toddler '
    'gentleman male female someone player chef cook student customer '
    'chair chairs sofa couch ottoman futon bench seat stool armchair recliner'.split())
#: Verbs relating a subject to an object where the boxes say something: a thing held lies within or against its
#: holder's box (``'holding'``); a thing worn or carried too (``'wearing'``), but it is mostly no candidate of its
#: own (a shirt, a bag), so only an identified object says which box wears it; a rider or sitter is on its mount
#: or seat, above its middle and over it (``'on'``). Other verbs ("looking at", "eating", "talking to") are left
#: to CLIP.
VERB_RELATIONS = longest_first({
    'holding': ('holding', 'holds', 'holding up', 'holding onto'),
    'wearing': ('wearing', 'wears', 'carrying', 'carries'),
    # a mount (horse, motorcycle, bike, board, elephant) is an object of its own, mostly among the candidates, so the
    # box riding some candidate is the likelier rider even before the mount is identified (``'riding'``: ``'on'``
    # read as directed, as "holding" is); a seat, a floor or the ground mostly is no candidate
    'riding': ('riding', 'rides', 'riding on'),
    'on': ('sitting on', 'sits on', 'seated on', 'sitting in', 'sits in',
           'seated in', 'standing on', 'stands on', 'lying on', 'laying on', 'sitting atop', 'perched on'),
    # the passive, seen from the thing held: "an umbrella held by a man" lies within or against his box
    'held': ('held by', 'being held by', 'carried by', 'being carried by', 'worn by', 'being worn by'),
})
#: How far a back is turned ("completely turned", "fully facing the viewer"); "turn" is a common misspelling.
_WHOLLY = '(completely|fully|mostly|partly|partially)'
#: A direction someone faces or looks in, or a back turned to the viewer, is not where they are.
#: ("sitting up / back" is a posture, but "sitting right", "sitting to the left" say where someone sits.)
FACING = re.compile(r'\b(facing|looking|pointing|turned|turning|headed|heading|walking|leaning|bending|bent)'
                    r'( to| towards?)?( the)? (left|right|up|down|front|back|away|forward|camera)\b'
                    r'|\bsitting (up|down|back|forward)\b'
                    r'|\b(with )?(his |her |their |its )?backs? (is |are )?'
                    rf'({_WHOLLY} )?(turned |turn )?(to|towards?|facing) {_VIEWER}\b'
                    rf'|\bbacks?( is| are)?( {_WHOLLY})? turn(ed)?\b|\bback to back\b|\bbackwards?\b')
#: A row named by its place ("bottom row", "front row"): the boxes no other box lies wholly beyond, on that
#: axis. Rows are image rows: the front row of a group is its lowest, the back row its highest.
ROW_PHRASE = re.compile(r'\b(top|upper|bottom|lower|front|first|back|far) (row|shelf|level|tier)\b')
ROW_AXES = {'top': 'top', 'upper': 'top', 'back': 'top', 'far': 'top', 'bottom': 'bottom',
            'lower': 'bottom', 'front': 'bottom', 'first': 'bottom'}
# Where the reasoner does not apply: a rank of rows ("second row") and distance from an object are not modelled.
UNSUPPORTED = re.compile(r'\b(second|third|fourth|fifth|2nd|3rd|4th|5th|last|middle) (row|column|shelf|level|tier)\b'
                         r'|\b(farthest|furthest|far|further|farther)( away)? from\b')
#: A region of an object named by its side ("upper part", "bottom left portion"): a place on the object. When
#: the phrase locates the object by another word ("far left girl upper part") it is only that; alone ("bottom part
#: of the oven") it may be the object (the parser decides). Halves are left out: a half is mostly an object of
#: its own ("the right half of the left sandwich", cut food), which the location words pick out.
PART_PHRASE = re.compile(r'\b(?:(?:upper|lower|top|bottom|left|right|far|very) )+(?:part|parts|portion|section)\b')
#: Roles whose posture is part of the job, read like the height words (head of the phrase, no size or location
#: word): at the plate of a baseball game the catcher crouches, so he reaches least high of the players there; the
#: batter stands upright with the bat out, covering the most area of them ('large' rather than 'tall': the catcher
#: and the umpire crouch behind the plate, further from the usual camera and so higher in the frame, and may reach
#: as high as the batter there). So is one swinging a bat or a racket ("player swinging", "guy swinging bat"): arms
#: and bat held out widen the box beyond those of the players around.
ROLE_WORDS = {
    'short': frozenset('catcher catchers'.split()),
    'large': frozenset('batter batters hitter swinging'.split()),
}
#: Where a modifier clause starts: size words after it describe what the object has, wears or does ("a boy
#: wearing a big hat", "a woman who has a big smile", "man in a big coat"), not the object.
CLAUSE_MARKER = re.compile(r'\b(with|wearing|holding|has|having|carrying|eating|who|that|which|whose|in)\b')
# Words that name no property: a phrase made only of these matches every box.
FILLER_WORDS = frozenset('the a an one ones that which is are thing object shape of to in on at from side '
                         'corner row most'.split())
#: Scenery and structures a landmark may name that are no objects of their own among the candidates (not object
#: classes a detector finds, nor what RefCOCO annotators outline): "the player behind the fence", "bear behind
#: tree", "person sitting behind green pole". The relation to them can only be scored against the candidates, which
#: are other things: it says nothing of which box is meant, so it is left to CLIP (the subject keeps its own cues;
#: "behind" one, said of a subject without location words, still reads as the further one, see ``parser._scenery``).
SCENERY = frozenset('fence fences fencing netting railing railings rail gate gates pole poles post posts tree trees '
                    'bush bushes wall walls window windows door doors building buildings grass water sky road street '
                    'sidewalk ground floor field dirt sand snow hill mountain mountains column pillar curtain curtains '
                    'net'.split())
