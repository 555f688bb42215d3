"""What a grounding detector (GroundingDINO, GLIP) is asked to find for a referring expression (``prompt=``).

- ``'subject'``: the head of the expression's subject, and of its landmarks, as the spatial reasoner parses
  them (:func:`~.subject_prompt.subject_prompt`: "the left lion" -> ``'lion'``, "man next to dog on left" ->
  ``'man . dog'``), so the detector proposes every lion and CLIP and the reasoner choose among them.
- ``'expression'``: the whole expression (how mmdet evaluates GroundingDINO on RefCOCO).
- a fixed class list (``'coco'`` for COCO's 80 names, or any sequence of names): the same prompt for every
  expression, so the detector runs once per image (Detic-style open-vocabulary candidates).

A text prompt is given to mmdet's ``GroundingDINO.predict`` as REC does (``tokens_positive=-1``: the caption is
one entity, no noun-phrase extraction, hence no NLTK); a class list as a tuple of names (mmdet's custom
entities: one label per name, no NLTK either).
"""
from typing import Sequence, Tuple, Union

from mmdet.structures import DetDataSample

from .subject_prompt import subject_prompt

TEXT_PROMPTS = ('subject', 'expression')
#: The shortcut for COCO's 80 class names (read from mmdet's ``CocoDataset``).
COCO_PROMPT = 'coco'
#: What a grounding detector is given: a caption (one entity) or class names (one entity each).
DetectorPrompt = Union[str, Tuple[str, ...]]


def class_names(prompt: Union[str, Sequence[str]]) -> Tuple[str, ...]:
    """The class list a ``prompt`` names (``'coco'``: COCO's 80 names), checked."""
    if prompt == COCO_PROMPT:
        from mmdet.datasets import CocoDataset
        return tuple(CocoDataset.METAINFO['classes'])
    if isinstance(prompt, str) or not all(isinstance(name, str) and name.strip() for name in prompt) or not prompt:
        raise ValueError(f'prompt={prompt!r}: give {TEXT_PROMPTS[0]!r}, {TEXT_PROMPTS[1]!r}, {COCO_PROMPT!r} or a '
                         f'non-empty list of class names')
    return tuple(name.strip() for name in prompt)


def check_prompt(prompt: Union[str, Sequence[str]]) -> None:
    """Raise a one-line ``ValueError`` naming ``prompt`` unless it is a prompt mode or a class list."""
    if prompt not in TEXT_PROMPTS:
        class_names(prompt)


def is_per_image(prompt: Union[str, Sequence[str]]) -> bool:
    """Whether ``prompt`` is the same for all of an image's expressions (a class list: run the detector once)."""
    check_prompt(prompt)
    return prompt not in TEXT_PROMPTS


def detector_prompt(expression: str, prompt: Union[str, Sequence[str]]) -> DetectorPrompt:
    """What the grounding detector is given for ``expression`` under ``prompt`` (a mode or a class list)."""
    if prompt == 'subject':
        return subject_prompt(expression)
    if prompt == 'expression':
        return expression
    return class_names(prompt)


def set_prompt(data_sample: DetDataSample, text: DetectorPrompt) -> DetDataSample:
    """Give ``data_sample`` the prompt ``text`` the way mmdet's ``GroundingDINO.predict`` reads it: a caption
    with ``tokens_positive=-1`` (one entity), class names as a tuple (``custom_entities=True``)."""
    if isinstance(text, str):
        if not text.strip():
            raise ValueError('an empty text prompt: the grounding detector needs words to look for')
        data_sample.set_metainfo(dict(text=text, tokens_positive=-1, custom_entities=False))
    else:
        data_sample.set_metainfo(dict(text=tuple(text), tokens_positive=None, custom_entities=True))
    return data_sample
