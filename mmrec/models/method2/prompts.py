"""What a text-prompted (grounding) detector is asked, per expression: :class:`RECDetector`'s ``prompt``.

- ``None``: the detector is closed-set (Faster R-CNN, RetinaNet, RTMDet, DINO, ...) and takes no text; it runs
  once per image and its detections are the candidates of every expression of the image;
- ``'expression'``: the whole expression (how mmdet evaluates Grounding DINO on RefCOCO);
- ``'subject'``: the expression's subject phrase without its location / ordinal / size words ("the left
  lion" -> "lion"), so the detector proposes every lion and the scorer and the spatial reasoner choose;
- a list of class names (e.g. COCO's 80): one text for the whole image, run once per image (Detic-style).

``'expression'`` and ``'subject'`` give each expression its own candidates (expressions with the same
prompt share them). A grounding detector is recognised by its ``language_model`` (mmdet's
``GroundingDINO`` and ``GLIP``); its data samples get ``text`` = the prompt, ``custom_entities`` (True for a
class list) and, for a phrase, ``tokens_positive=-1`` (the whole caption is one entity, as mmdet's REC
evaluation sets it: no noun-phrase extraction, no NLTK data).
"""
from typing import List, Optional, Sequence, Tuple, Union

from mmdet.structures import DetDataSample

from ..method1.spatial_prompts import has_words
from ..spatial_reasoning import parse_expression

#: The per-expression prompt modes (besides ``None`` and a list of class names).
PROMPT_MODES: Tuple[str, ...] = ('subject', 'expression')

#: One detector text: a phrase, or a tuple of class names.
Prompt = Union[str, Tuple[str, ...]]


def takes_text(detector_cfg: dict) -> bool:
    """Whether a detector config describes a text-prompted (grounding) detector: it has a ``language_model``."""
    return detector_cfg.get('language_model') is not None


def check_prompt(prompt: object, detector_cfg: dict) -> Optional[Prompt]:
    """``prompt`` in canonical form (a mode string, or a tuple of class names), or a ``ValueError`` of one line
    naming ``model.prompt`` and the fix when the detector cannot take it (or needs one)."""
    name = detector_cfg.get('type', '?')
    grounding = takes_text(detector_cfg)
    if prompt is None:
        if grounding:
            raise ValueError(f'model.prompt: model.detector ({name}) is a grounding detector and needs a text per '
                             f"image: set model.prompt='subject', 'expression' or a list of class names")
        return None
    if not grounding:
        raise ValueError(f'model.prompt={prompt!r}: model.detector ({name}) is a closed-set detector and takes no '
                         'text; remove model.prompt (prompt=None), or use a grounding detector (GroundingDINO, GLIP)')
    if isinstance(prompt, str):
        if prompt not in PROMPT_MODES:
            raise ValueError(f'model.prompt={prompt!r}: expected one of {PROMPT_MODES}, a list of class names, '
                             'or None')
        return prompt
    names = tuple(str(item) for item in prompt) if isinstance(prompt, (list, tuple)) else ()
    if not names or not all(has_words(item) for item in names):
        raise ValueError(f'model.prompt={prompt!r}: a class list must be a non-empty list of names')
    return names


def subject_phrase(text: str) -> str:
    """The subject of an expression without its location, ordinal and size words (the spatial reasoner's
    parse): ``'the left lion'`` -> ``'lion'``; the expression itself when nothing is left."""
    what = parse_expression(text).subject.what.strip()
    return what if has_words(what) else text


def expression_prompts(prompt: Prompt, texts: Sequence[str]) -> Tuple[List[Prompt], List[int]]:
    """The distinct detector texts of one image's expressions and, per expression, the index of its text.

    Returns:
        ``(prompts, owner)``: ``prompts`` in first-use order; ``owner[i]`` indexes expression ``i``'s prompt.
        A class list gives one prompt for every expression; an expression without words gets ``''`` (the
        detector is not run on it: its candidates are empty and the scorer falls back to the whole image).
    """
    if isinstance(prompt, tuple):
        return [prompt], [0] * len(texts)
    wanted = [(subject_phrase(text) if prompt == 'subject' else text.strip()) if has_words(text) else ''
              for text in texts]
    prompts: List[Prompt] = []
    for text in wanted:
        if text not in prompts:
            prompts.append(text)
    return prompts, [prompts.index(text) for text in wanted]


def prompted_sample(sample: DetDataSample, prompt: Prompt) -> DetDataSample:
    """A data sample with ``sample``'s metainfo and the fields mmdet's grounding detectors read for ``prompt``."""
    prompted = DetDataSample(metainfo=sample.metainfo)
    if isinstance(prompt, tuple):
        prompted.text = list(prompt)
        prompted.custom_entities = True
    else:
        prompted.text = prompt
        prompted.custom_entities = False
        prompted.tokens_positive = -1
    return prompted
