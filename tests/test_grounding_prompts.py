"""What a grounding detector is asked for per expression: 'subject' strips exactly the location, ordinal,
depth and size words (and cuts the modifiers CLIP reads), 'expression' is the identity, a class list is
per image. The table's expressions follow RefCOCO's annotators' forms ("guy sitting far right", "lady right",
"2nd from top"), written here: the real validation data may not be copied into the project."""
import pytest
from mmdet.structures import DetDataSample

from mmrec.models.method2.prompts import check_prompt, class_names, detector_prompt, expression_prompts, prompted_sample
from mmrec.models.method2.subject_prompt import subject_prompt

#: A grounding detector's config as check_prompt reads it (it has a language model).
GROUNDING = dict(type='GroundingDINO', language_model=dict(type='RECBertModel'))

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
    # one prompt per distinct text: the two 'lion' expressions share a detector run
    assert expression_prompts('subject', ['the left lion', 'right lion', 'zebra']) == (['lion', 'zebra'], [0, 0, 1])


def test_class_list_prompts_are_per_image():
    coco = detector_prompt('the left lion', 'coco')
    assert len(coco) == 80 and coco[0] == 'person' and coco[-1] == 'toothbrush'
    assert detector_prompt('anything', 'coco') == coco and check_prompt('coco', GROUNDING) == coco
    assert detector_prompt('the left lion', ['lion', ' zebra ']) == ('lion', 'zebra')
    assert expression_prompts(('lion', 'zebra'), ['the left lion', 'zebra']) == ([('lion', 'zebra')], [0, 0])


@pytest.mark.parametrize('bad, message', [('subjects', r"expected one of \('subject', 'expression'\), 'coco'"),
                                          ('', 'expected one of'), ([], 'a class list must be a non-empty list'),
                                          (['lion', ''], 'a class list'), ([3], 'a class list')])
def test_bad_prompt_names_the_key(bad, message):
    with pytest.raises(ValueError, match=r'^model\.prompt=.*' + message):
        check_prompt(bad, GROUNDING)


def test_prompted_sample_is_read_as_mmdet_reads_it():
    image = DetDataSample(metainfo=dict(img_shape=(4, 6), text='stale'))
    sample = prompted_sample(image, 'lion . dog')
    assert (sample.text, sample.tokens_positive, sample.custom_entities) == ('lion . dog', -1, False)
    assert sample.img_shape == (4, 6) and image.text == 'stale'  # a new sample: the image's is not edited
    sample = prompted_sample(image, class_names('coco'))
    assert sample.custom_entities is True and sample.tokens_positive is None and len(sample.text) == 80
    with pytest.raises(ValueError, match='empty text prompt'):
        prompted_sample(image, '  ')
