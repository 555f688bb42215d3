"""What a grounding detector is asked for per expression: 'subject' strips exactly the location, ordinal,
depth and size words (and cuts the modifiers CLIP reads), 'expression' is the identity, a class list is
per image. The table's expressions follow RefCOCO's annotators' forms ("guy sitting far right", "lady right",
"2nd from top"), written here: the real validation data may not be copied into the project."""
import pytest
from mmdet.structures import DetDataSample

from mmrec.models.method2.prompts import check_prompt, class_names, detector_prompt, is_per_image, set_prompt
from mmrec.models.method2.subject_prompt import subject_prompt

SUBJECT_CASES = [
    # location extremes, in front of and after the noun
    ('the left lion', 'lion'),
    ('left zebra', 'zebra'),
    ('lady right', 'lady'),
    ('the bird on right', 'bird'),
    ('far right orange', 'orange'),
    ('the leftmost cup', 'cup'),
    ('topmost sandwich slice', 'sandwich slice'),
    ('glass center', 'glass'),
    ('front right apple', 'apple'),
    # ordinals
    ('second man from right', 'man'),
    ('person third from the right', 'person'),
    ('player second from left', 'player'),
    ('white umbrella second', 'white umbrella'),
    ('2nd cake from top', 'cake'),
    # depth and size
    ('back big sheep', 'sheep'),
    ('closest to the camera person', 'person'),
    ('larger zebra on right', 'zebra'),
    ('the tallest giraffe in the back', 'giraffe'),
    # modifiers after the head go to CLIP, not to the detector
    ('guy on far left in red', 'guy'),
    ('man in red', 'man'),
    ('kid with crap eating grin', 'kid'),
    ('left drawer on table in back', 'drawer'),
    ('swirly rug on floor at bottom right area', 'swirly rug'),
    ('chairs with backs to us second from left', 'chairs'),
    # relations: the landmark's head follows, so its boxes are candidates too
    ('man next to dog on left', 'man . dog'),
    ('bear laying behind pole', 'bear laying . pole'),
    ('man between the dog and the cat', 'man . dog . cat'),
    ('the small one behind the bus', 'object . bus'),
    # nothing but a place: every object is a candidate
    ('left', 'object'),
    ('the one in front', 'object'),
    # no cue at all: the head is the expression without articles
    ('batter', 'batter'),
    ('the black dog', 'black dog'),
]


@pytest.mark.parametrize('expression, expected', SUBJECT_CASES)
def test_subject_prompt(expression, expected):
    assert subject_prompt(expression) == expected
    assert detector_prompt(expression, 'subject') == expected


def test_subject_prompt_without_landmarks_is_the_subject_head():
    assert subject_prompt('man next to dog on left', with_landmarks=False) == 'man'
    # a landmark naming the subject's class again is not repeated
    assert subject_prompt('the dog left of the dog') == 'dog'


def test_expression_prompt_is_the_identity():
    for expression, _ in SUBJECT_CASES[:5]:
        assert detector_prompt(expression, 'expression') == expression
    assert not is_per_image('expression') and not is_per_image('subject')


def test_class_list_prompts_are_per_image():
    coco = detector_prompt('the left lion', 'coco')
    assert len(coco) == 80 and coco[0] == 'person' and coco[-1] == 'toothbrush'
    assert detector_prompt('anything', 'coco') == coco and is_per_image('coco')
    assert detector_prompt('the left lion', ['lion', ' zebra ']) == ('lion', 'zebra')
    assert is_per_image(('lion', 'zebra'))


@pytest.mark.parametrize('bad', ['subjects', '', [], ['lion', ''], [3]])
def test_bad_prompt_names_the_key(bad):
    with pytest.raises(ValueError, match=r"prompt=.*give 'subject', 'expression', 'coco' or a non-empty list"):
        check_prompt(bad)


def test_set_prompt_is_read_as_mmdet_reads_it():
    sample = set_prompt(DetDataSample(), 'lion . dog')
    assert (sample.text, sample.tokens_positive, sample.custom_entities) == ('lion . dog', -1, False)
    sample = set_prompt(DetDataSample(), class_names('coco'))
    assert sample.custom_entities is True and sample.tokens_positive is None and len(sample.text) == 80
    with pytest.raises(ValueError, match='empty text prompt'):
        set_prompt(DetDataSample(), '  ')
