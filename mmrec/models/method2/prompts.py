"""What a text-prompted (grounding) detector is asked, per expression: :class:`RECDetector`'s ``prompt``.

- ``None``: the detector is closed-set (Faster R-CNN, RetinaNet, RTMDet, DINO, ...) and takes no text; it runs
  once per image and its detections are the candidates of every expression of the image;
- ``'expression'``: the whole expression (how mmdet evaluates Grounding DINO on RefCOCO);
- ``'subject'``: the head of the expression's subject, and of its landmarks, as the spatial reasoner parses them
  (:func:`~.subject_prompt.subject_prompt`: "the left lion" -> ``'lion'``, "man next to dog on left" ->
  ``'man . dog'``), so the detector proposes every lion and the scorer and the spatial reasoner choose;
- a list of class names (``'coco'`` for COCO's 80): one text for the whole image, run once per image
  (Detic-style).

``'expression'`` and ``'subject'`` give each expression its own candidates (expressions with the same
prompt share them). A grounding detector is recognised by its ``language_model`` (mmdet's
``GroundingDINO`` and ``GLIP``); its data samples get ``text`` = the prompt, ``custom_entities`` (True for a
class list) and, for a phrase, ``tokens_positive=-1`` (the whole caption is one entity, as mmdet's REC
evaluation sets it: no noun-phrase extraction, no NLTK data).
"""
from typing import List, Optional, Sequence, Tuple, Union

from mmdet.structures import DetDataSample

from ..scoring.policy import has_words
from .subject_prompt import subject_prompt

#: The per-expression prompt modes (besides ``None`` and a list of class names).
PROMPT_MODES: Tuple[str, ...] = ('subject', 'expression')
#: The shortcut for COCO's 80 class names (read from mmdet's ``CocoDataset``).
COCO_PROMPT = 'coco'

#: One detector text: a phrase, or a tuple of class names.
Prompt = Union[str, Tuple[str, ...]]


def takes_text(detector_cfg: dict) -> bool:
    """Whether a detector config describes a text-prompted (grounding) detector: it has a ``language_model``."""
    return detector_cfg.get('language_model') is not None


def class_names(prompt: Union[str, Sequence[str]]) -> Tuple[str, ...]:
    """The class list a ``prompt`` names (``'coco'``: COCO's 80 names; names stripped), or a one-line
    ``ValueError`` naming ``model.prompt``."""
    if prompt == COCO_PROMPT:
        from mmdet.datasets import CocoDataset
        return tuple(CocoDataset.METAINFO['classes'])
    if isinstance(prompt, str):
        raise ValueError(f'model.prompt={prompt!r}: expected one of {PROMPT_MODES}, {COCO_PROMPT!r}, a list of '
                         'class names, or None')
    names = tuple(item.strip() for item in prompt if isinstance(item, str)) if isinstance(prompt, (list, tuple)) \
        else ()
    if not names or len(names) != len(prompt) or not all(has_words(name) for name in names):
        raise ValueError(f'model.prompt={prompt!r}: a class list must be a non-empty list of names')
    return names


def check_prompt(prompt: object, detector_cfg: dict) -> Optional[Prompt]:
    """``prompt`` in canonical form (a mode string, or a tuple of class names: ``'coco'`` expanded), or a
    ``ValueError`` of one line naming ``model.prompt`` and the fix when the detector cannot take it (or needs
    one)."""
    name = detector_cfg.get('type', '?')
    grounding = takes_text(detector_cfg)
    if prompt is None:
        if grounding:
            raise ValueError(f'model.prompt: model.detector ({name}) is a grounding detector and needs a text per '
                             f"image: set model.prompt='subject', 'expression', 'coco' or a list of class names")
        return None
    if not grounding:
        raise ValueError(f'model.prompt={prompt!r}: model.detector ({name}) is a closed-set detector and takes no '
                         'text; remove model.prompt (prompt=None), or use a grounding detector (GroundingDINO, GLIP)')
    return prompt if prompt in PROMPT_MODES else class_names(prompt)


def detector_prompt(expression: str, prompt: Union[str, Sequence[str]]) -> Prompt:
    """What the grounding detector is given for ``expression`` under ``prompt`` (a mode or a class list)."""
    if prompt == 'subject':
        return subject_prompt(expression)
    if prompt == 'expression':
        return expression.strip()
    return class_names(prompt)


def expression_prompts(prompt: Prompt, texts: Sequence[str]) -> Tuple[List[Prompt], List[int]]:
    """The distinct detector texts of one image's expressions and, per expression, the index of its text.

    Returns:
        ``(prompts, owner)``: ``prompts`` in first-use order; ``owner[i]`` indexes expression ``i``'s prompt.
        A class list gives one prompt for every expression; an expression without words gets ``''`` (the
        detector is not run on it: its candidates are empty and the scorer falls back to the whole image).
    """
    if isinstance(prompt, tuple):
        return [prompt], [0] * len(texts)
    wanted = [detector_prompt(text, prompt) if has_words(text) else '' for text in texts]
    prompts: List[Prompt] = []
    for text in wanted:
        if text not in prompts:
            prompts.append(text)
    return prompts, [prompts.index(text) for text in wanted]


def prompted_sample(sample: DetDataSample, prompt: Prompt) -> DetDataSample:
    """A new data sample with ``sample``'s metainfo and ``prompt`` the way mmdet's grounding detectors
    (``GroundingDINO.predict``, GLIP) read it: a caption with ``tokens_positive=-1`` (one entity), class names as
    a tuple (``custom_entities=True``, one entity each). Neither needs NLTK."""
    prompted = DetDataSample(metainfo=sample.metainfo)
    if isinstance(prompt, str):
        if not has_words(prompt):
            raise ValueError(f'an empty text prompt {prompt!r}: the grounding detector needs words to look for')
        prompted.set_metainfo(dict(text=prompt, tokens_positive=-1, custom_entities=False))
    else:
        prompted.set_metainfo(dict(text=tuple(prompt), tokens_positive=None, custom_entities=True))
    return prompted
