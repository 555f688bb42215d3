"""EncoderEnsemble: known answers with two closed-form encoders that disagree, the embedding algebra, real
members of different crop sizes / normalisations / widths, and bad settings.

The scene: a red, a blue and a dark purple (128, 0, 128) square. Member 1 (``MeanColorEncoder``) reads "red" as
red; member 2 reads it as blue (and crops at another size). Their embeddings are ``rgb - 0.5``, so for "red"
member 1 scores red 1, blue -1/3, purple 1/sqrt(3) = 0.58; member 2 scores blue 1, red -1/3, purple 0.58. Each
alone picks its own colour; their equally weighted sum (red 1/3, blue 1/3, purple 0.58) picks purple, which
neither picks; weights (0.9, 0.1) pick red.
"""
import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.structures import InstanceData

import mmrec.models  # noqa: F401  (registers the models)
import mmrec.testing  # noqa: F401  (registers MeanColorEncoder)
from mmrec.models import EncoderEnsemble
from mmrec.models.crops import InputNormalization
from mmrec.models.crops.crop_geometry import CropGeometry
from mmrec.testing import colored_squares, detector_input, squares_view

SQUARES = {'red': [4, 6, 24, 26], 'blue': [36, 6, 56, 26], 'purple': [68, 6, 88, 26]}
PURPLE = {'purple': (128, 0, 128)}
READS_RED_AS_BLUE = {'red': (0.0, 0.0, 1.0)}
MEMBERS = [dict(type='MeanColorEncoder', crop_size=32),
           dict(type='MeanColorEncoder', crop_size=16, color_words=READS_RED_AS_BLUE)]


@pytest.fixture(scope='module')
def scene():
    image, boxes = colored_squares(size=(96, 32), squares=SQUARES, colours=PURPLE)
    inputs, meta, preprocessor = detector_input(image, scale=(192, 48), keep_ratio=False)  # x2, x1.5
    view = CropGeometry('input', InputNormalization.from_preprocessor(preprocessor)).view(inputs, meta)
    names = list(boxes)
    return view, dict(meta, img_id=1), torch.from_numpy(np.stack([boxes[n] for n in names])), names


def ensemble(weights=None, **kwargs) -> EncoderEnsemble:
    return MODELS.build(dict(type='EncoderEnsemble', encoders=MEMBERS, weights=weights, **kwargs))


def scorer_answer(encoder_cfg: dict, scene, texts=('red',), **options) -> list:
    view, meta, boxes, names = scene
    scorer = MODELS.build(dict(type='CLIPProposalScorer', encoder=encoder_cfg, **options))
    detections = InstanceData(bboxes=boxes, scores=torch.tensor([0.7, 0.6, 0.5]))  # purple last: it wins no tie
    pred, _ = scorer(view, detections, list(texts), meta)
    return [names[int(np.flatnonzero((boxes == box).all(1))[0])] for box in pred.bboxes]


def test_each_member_alone_picks_its_own_reading(scene):
    assert scorer_answer(MEMBERS[0], scene) == ['red']
    assert scorer_answer(MEMBERS[1], scene) == ['blue']


@pytest.mark.parametrize('weights, answer', [(None, 'purple'), ([1, 1], 'purple'), ([0.9, 0.1], 'red'),
                                             ([1, 9], 'blue')])
def test_method2_picks_what_the_weighted_sum_of_the_members_scores_says(scene, weights, answer):
    config = dict(type='EncoderEnsemble', encoders=MEMBERS, weights=weights)
    assert scorer_answer(config, scene) == [answer]


def test_method1_head_picks_what_the_sum_says(scene):
    """Method 1's CLIP score (spatial prompts, softmax at tau) with the ensemble: the purple square, which
    neither member picks alone."""
    view, _, boxes, names = scene
    answers = {}
    for label, encoder in (('alone', MEMBERS[0]), ('other', MEMBERS[1]),
                           ('ensemble', dict(type='EncoderEnsemble', encoders=MEMBERS))):
        head = MODELS.build(dict(type='CLIPTextConditionedHead', encoder=encoder, local_search=dict(enable=False),
                                 branch=None, blend=dict(clip_weight=1.0)))
        proposals = InstanceData(bboxes=boxes * torch.tensor([2.0, 1.5, 2.0, 1.5]),  # input pixels
                                 scores=torch.tensor([0.7, 0.6, 0.5]))
        pred, _ = head.predict_image(view, proposals, None, ['red'])
        match = torch.isclose(view.input_to_original(pred.bboxes), boxes, atol=1e-3).all(1)
        answers[label] = names[int(match.nonzero()[0])]
    assert answers == {'alone': 'red', 'other': 'blue', 'ensemble': 'purple'}


@pytest.mark.parametrize('weights', [None, [3.0, 1.0]])
def test_dot_products_are_the_weighted_sum_of_the_members_cosines(scene, weights):
    view, _, boxes, _ = scene
    model = ensemble(weights)
    w = [0.5, 0.5] if weights is None else [0.75, 0.25]
    assert model.weights == pytest.approx(w) and model.member_dims == [3, 3] and model.embed_dim == 6
    texts = ['red', 'the blue one', 'purple', 'nothing']
    box_embeddings = model.encode_boxes(view, boxes, crop_mode='blur', blur_sigma=0.2)
    text_embeddings = model.encode_texts(texts)
    assert box_embeddings.shape == (3, 6) and text_embeddings.shape == (4, 6)
    torch.testing.assert_close(box_embeddings.norm(dim=1), torch.ones(3))
    members = [(m.encode_boxes(view, boxes, crop_mode='blur', blur_sigma=0.2), m.encode_texts(texts))
               for m in model.encoders]
    expected = sum(wi * b @ t.T for wi, (b, t) in zip(w, members))
    torch.testing.assert_close(box_embeddings @ text_embeddings.T, expected)
    assert members[0][0].shape == members[1][0].shape  # different crop sizes (32, 16), same 3-d embeddings


def test_prompt_template_means_are_renormalised_member_by_member(scene):
    """The scorer's mean over templates is renormalised per member: the ensemble's scores stay the weighted
    sum of what each member's own scorer gives (templates whose colour words differ make the means shorter)."""
    view, meta, boxes, _ = scene
    templates = ('{}', 'green {}')
    single = [MODELS.build(dict(type='CLIPProposalScorer', encoder=m, prompt_templates=templates)) for m in MEMBERS]
    combined = MODELS.build(dict(type='CLIPProposalScorer', encoder=dict(type='EncoderEnsemble', encoders=MEMBERS,
                                                                         weights=[2, 1]),
                                 prompt_templates=templates))
    texts = ['red', 'blue']

    def similarity(scorer):
        return scorer.text_similarity(scorer.crop_embeddings(view, boxes), texts)

    torch.testing.assert_close(similarity(combined), 2 / 3 * similarity(single[0]) + 1 / 3 * similarity(single[1]))


def test_scale_bias_and_temperature_are_weighted_means():
    model = ensemble([1, 3])
    assert model.logit_scale == pytest.approx(100.0) and model.logit_bias == 0.0
    assert model.temperature == pytest.approx(0.01)
    assert model.encode_texts([]).shape == (0, 6)


def test_crop_sources_must_agree_or_be_set_on_the_ensemble():
    mixed = [dict(MEMBERS[0], crop_source='original'), MEMBERS[1]]
    with pytest.raises(ValueError, match=r"(?s)different sources.*'original'.*'input'.*crop_source"):
        EncoderEnsemble(mixed)
    model = EncoderEnsemble(mixed, crop_source='original')
    assert model.crop_source == 'original' and all(m.crop_source == 'original' for m in model.encoders)
    preprocessor = MODELS.build(dict(type='DetDataPreprocessor'))
    assert CropGeometry.for_detector(preprocessor, model).needs_original
    with pytest.raises(ValueError, match='crop_source'):
        EncoderEnsemble(MEMBERS, crop_source='both')


@pytest.mark.parametrize('kwargs, error, message', [
    (dict(encoders=[]), ValueError, 'at least one'),
    (dict(encoders=MEMBERS, weights=[1.0]), ValueError, r'2 positive numbers .* got \[1.0\]'),
    (dict(encoders=MEMBERS, weights=[1.0, -1.0]), ValueError, 'positive'),
    (dict(encoders=[MEMBERS[0], dict(type='DetDataPreprocessor')]), TypeError, r'member 1 .*not an encoder'),
])
def test_bad_settings_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        EncoderEnsemble(**kwargs)


def test_stays_frozen_and_out_of_checkpoints(tmp_path):
    from mmrec.testing.tiny_encoders import save_tiny_open_clip, save_tiny_siglip

    name, weights = save_tiny_open_clip(str(tmp_path / 'oc'), 'resnet')
    members = [dict(type='OpenCLIPEncoder', model_name=name, pretrained=weights),
               dict(type='SigLIPEncoder', name_or_path=save_tiny_siglip(str(tmp_path / 'siglip')))]
    model = EncoderEnsemble(members, weights=[1, 2])
    assert [m.crop_size for m in model.encoders] == [64, 32] and model.member_dims == [24, 32]
    torch.nn.ModuleDict(dict(model=model)).train()
    assert not any(module.training for module in model.modules())
    assert not any(p.requires_grad for p in model.parameters()) and model.state_dict() == {}
    assert model.logit_scale == pytest.approx(model.encoders[0].logit_scale / 3 + 10.0 * 2 / 3)
    assert model.logit_bias == pytest.approx(-5.0 * 2 / 3)

    # each member crops at its own size and normalises with its own statistics; rows stay unit length
    view, boxes = squares_view(model)
    embeddings = model.encode_boxes(view, boxes)
    expected = torch.cat([(1 / 3) ** 0.5 * model.encoders[0].encode_boxes(view, boxes),
                          (2 / 3) ** 0.5 * model.encoders[1].encode_boxes(view, boxes)], dim=1)
    torch.testing.assert_close(embeddings, expected)
    torch.testing.assert_close(embeddings.norm(dim=1), torch.ones(3))
