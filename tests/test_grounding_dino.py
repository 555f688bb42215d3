"""mmdet's GroundingDINO on transformers 5 through RECBertModel: a tiny model predicts on CPU from a text
prompt or a class list without NLTK or fairscale, and predict_prompts (backbone and neck once per image)
gives exactly the boxes of predict run on each prompt alone."""
import time

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.registry import init_default_scope

import mmrec  # noqa: F401
from mmrec.models.method2.grounding import (check_grounding_detector, encode_prompt, predict_prompts,
                                            predict_with_features, token_layout)
from mmrec.models.method2.prompts import class_names, prompted_sample
from mmrec.testing import assert_same_detections, save_tiny_bert, tiny_grounding_dino_config

WORDS = 'the left lion man dog on person car'.split()
ORI_SHAPE, IMG_SHAPE = (128, 192), (64, 96)


@pytest.fixture(scope='module')
def detector(tmp_path_factory):
    init_default_scope('mmdet')
    bert_dir = save_tiny_bert(str(tmp_path_factory.mktemp('bert')), WORDS)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = MODELS.build(tiny_grounding_dino_config(bert_dir))
        model.init_weights()
    return model.eval()


@pytest.fixture(scope='module')
def image(detector):
    generator = torch.Generator().manual_seed(0)
    pixels = torch.randint(0, 256, (3, ) + IMG_SHAPE, dtype=torch.uint8, generator=generator)
    meta = dict(img_shape=IMG_SHAPE, ori_shape=ORI_SHAPE, scale_factor=(0.5, 0.5))
    with torch.no_grad():
        data = detector.data_preprocessor(dict(inputs=[pixels], data_samples=[DetDataSample(metainfo=meta)]), False)
    return data['inputs'], data['data_samples'][0]


def predict_alone(detector, image, prompt):
    inputs, sample = image
    with torch.no_grad():
        return detector.predict(inputs, [prompted_sample(sample, prompt)])[0]


@pytest.fixture
def no_nltk(monkeypatch):
    """mmdet's noun-phrase extraction (NLTK, downloads) must not be reached."""
    def refuse(*args, **kwargs):
        raise AssertionError('run_ner was called')
    monkeypatch.setattr('mmdet.models.detectors.grounding_dino.run_ner', refuse)


def test_tiny_config_needs_no_fairscale():
    config = tiny_grounding_dino_config('unused')
    assert config.encoder.num_cp <= 0 and config.language_model.type == 'RECBertModel'


def test_text_prompt_predicts_end_to_end_on_cpu(detector, image, no_nltk):
    start = time.perf_counter()
    result = predict_alone(detector, image, 'the left lion')
    assert time.perf_counter() - start < 30
    pred = result.pred_instances
    assert len(pred) == detector.test_cfg['max_per_img']
    assert pred.label_names == ['the left lion. '] * len(pred)  # REC: the whole caption is one entity
    boxes = pred.bboxes
    assert (boxes[:, 2:] >= boxes[:, :2]).all()
    assert boxes[:, 0::2].max() <= ORI_SHAPE[1] + 1e-3 and boxes[:, 1::2].max() <= ORI_SHAPE[0] + 1e-3  # rescaled
    assert pred.scores.max() < 1 and (pred.scores[:-1] >= pred.scores[1:]).all()


def test_class_list_prompt_labels_each_name(detector, image, no_nltk):
    pred = predict_alone(detector, image, ('lion', 'man', 'dog')).pred_instances
    assert set(pred.labels.tolist()) <= {0, 1, 2}
    assert pred.label_names == [('lion', 'man', 'dog')[label] for label in pred.labels.tolist()]
    coco = predict_alone(detector, image, class_names('coco')).pred_instances
    assert len(coco) > 0 and coco.labels.max() < 80


PROMPTS = ['lion', 'man . dog', 'the left lion', 'dog', ('lion', 'man'), 'man', 'left dog', ('dog', 'man')]


@pytest.fixture(scope='module')
def predicted_alone(detector, image):
    return {prompt: predict_alone(detector, image, prompt).pred_instances for prompt in PROMPTS}


@pytest.mark.parametrize('prompt_batch', [1, None])
def test_shared_image_work_gives_the_boxes_of_predict_alone(detector, image, predicted_alone, no_nltk,
                                                            prompt_batch):
    calls = []
    handle = detector.backbone.register_forward_hook(lambda *args: calls.append(1))
    try:
        shared = predict_prompts(detector, *image, PROMPTS, prompt_batch=prompt_batch)
    finally:
        handle.remove()
    assert len(calls) == 1  # the backbone ran once for all prompts
    for prompt, ours in zip(PROMPTS, shared):
        alone = predicted_alone[prompt]
        if prompt_batch == 1:  # each prompt's text side runs as in predict, same shapes, same kernels: to the bit
            assert torch.equal(ours.bboxes, alone.bboxes), prompt
            assert torch.equal(ours.labels, alone.labels) and ours.label_names == alone.label_names
            torch.testing.assert_close(ours.scores, alone.scores, rtol=0, atol=1e-6)
        else:  # prompts batched: other matrix shapes, so other roundings (and on another CPU, others again)
            assert_same_detections(ours, alone, what=str(prompt))
            assert sorted(ours.label_names) == sorted(alone.label_names)


def test_same_detections_tolerates_rounding_but_not_another_prompt(predicted_alone):
    """The comparison of batched against single runs still catches a real bug: another prompt's detections, or
    one box moved by a tenth of a pixel, fail it; last-bit noise and near-tied rows swapped pass."""
    lion = predicted_alone['lion']
    noisy = lion.clone()
    noisy.scores = lion.scores * (1 + 1e-7)
    noisy.bboxes = lion.bboxes + 1e-4
    assert_same_detections(noisy[torch.arange(len(lion)).flip(0)], lion)  # any order of the same detections
    with pytest.raises(AssertionError):
        assert_same_detections(predicted_alone['dog'], lion)
    moved = lion.clone()
    moved.bboxes = lion.bboxes.clone()
    moved.bboxes[0, 0] += 0.1
    with pytest.raises(AssertionError, match='has no counterpart'):
        assert_same_detections(moved, lion)


def test_prompts_of_one_length_but_another_layout_would_not_batch(detector, image, predicted_alone):
    """Why batches group by token layout: mmdet couples a batch's rows when their masks differ."""
    inputs, sample = image
    one, other = 'man . dog', 'the left lion'
    layouts = [token_layout(detector, encode_prompt(detector, prompted_sample(DetDataSample(), p))[1])
               for p in (one, other)]
    assert layouts[0][0] == layouts[1][0] and layouts[0] != layouts[1]  # same length, other separators
    samples = [prompted_sample(sample, p) for p in (one, other)]
    with torch.no_grad():
        feats = tuple(feat.expand(2, *feat.shape[1:]) for feat in detector.extract_feat(inputs))
        together = predict_with_features(detector, feats, samples)
    alone = [predicted_alone[p] for p in (one, other)]
    # coupled rows change the scores by far more than rounding would (0.01 here; a last-bit difference must not pass)
    assert any(float((t.pred_instances.scores - a.scores).abs().max()) > 1e-3 for t, a in zip(together, alone))


def test_refusals_name_the_problem(detector, image):
    with pytest.raises(TypeError, match='needs mmdet GroundingDINO .* got Linear'):
        check_grounding_detector(torch.nn.Linear(1, 1))
    inputs, sample = image
    with pytest.raises(ValueError, match=r'one image, \(1, 3, H, W\)'):
        predict_prompts(detector, inputs.expand(2, -1, -1, -1), sample, ['lion'])
    with pytest.raises(ValueError, match='prompt_batch must be at least 1'):
        predict_prompts(detector, inputs, sample, ['lion'], prompt_batch=0)
