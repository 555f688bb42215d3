"""RECDetector over any mmdet detector: plain checkpoints of Faster R-CNN, RetinaNet and DINO load and detect as
alone, tools/test.py end to end, text prompts with per-expression candidates, and bad input in one line."""
import copy

import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint

import mmrec  # noqa: F401  (registers everything)
from mmrec.datasets.transforms import PackRECInputs
from mmrec.models import RECDetector
from mmrec.testing import (TINY_DETECTORS, colored_squares, rec_detector_config, save_detector_checkpoint)
from mmrec.testing.tiny_detectors import mmdet_model

COLOUR = dict(type='MeanColorEncoder')


def build(cfg_model) -> torch.nn.Module:
    with DefaultScope.overwrite_default_scope('mmdet'):
        return MODELS.build(cfg_model).eval()


def packed(texts, size=(96, 64), squares=None, scale=(128, 96), colours=None) -> dict:
    """A squares image (``colored_squares``) resized and packed as one test batch of one sample."""
    from mmdet.datasets.transforms import Resize

    image, _ = colored_squares(size=size, squares=squares, colours=colours)
    results = dict(img=image, img_shape=image.shape[:2], ori_shape=image.shape[:2], img_id=7, img_path='squares',
                   texts=list(texts), expressions=[dict(text=t) for t in texts])
    results = PackRECInputs()(Resize(scale=scale, keep_ratio=False)(results))
    return dict(inputs=[results['inputs']], data_samples=[results['data_samples']])


@pytest.mark.parametrize('family', sorted(TINY_DETECTORS))
def test_plain_checkpoint_loads_exactly_and_detects_as_alone(family, tmp_path):
    detector_cfg = TINY_DETECTORS[family]()
    path = save_detector_checkpoint(detector_cfg, str(tmp_path / f'{family}.pth'), seed=3)
    plain_state = torch.load(path, map_location='cpu', weights_only=True)['state_dict']

    model = build(rec_detector_config(detector_cfg, COLOUR).model)
    assert isinstance(model, RECDetector)
    assert set(model.state_dict()) == {f'detector.{key}' for key in plain_state}  # no CLIP, nothing else
    load_checkpoint(model, path, map_location='cpu', strict=True)  # strict: no missing / unexpected key
    for key, tensor in plain_state.items():
        assert torch.equal(model.state_dict()[f'detector.{key}'], tensor), key

    alone = build(copy.deepcopy(detector_cfg))  # (DINO edits the config it is built from)
    load_checkpoint(alone, path, map_location='cpu', strict=True)
    data = packed(['red', 'blue'])
    batch = model.data_preprocessor(data, False)
    found = model.image_work(batch['inputs'], batch['data_samples'])[0]
    reference = alone.predict(*alone.data_preprocessor(packed(['red', 'blue']), False).values(), rescale=True)
    assert found.is_shared and len(found.sets[0]) > 0
    torch.testing.assert_close(found.sets[0].bboxes, reference[0].pred_instances.bboxes, rtol=0, atol=0)
    torch.testing.assert_close(found.sets[0].scores, reference[0].pred_instances.scores, rtol=0, atol=0)

    # a checkpoint RECDetector writes (keys under detector.) loads back unchanged
    saved = str(tmp_path / 'rec.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), saved)
    again = build(rec_detector_config(detector_cfg, COLOUR).model)
    load_checkpoint(again, saved, map_location='cpu', strict=True)
    assert all(torch.equal(again.state_dict()[k], v) for k, v in model.state_dict().items())


def test_checkpoint_of_another_detector_is_refused_in_one_line(tmp_path):
    retinanet = save_detector_checkpoint(TINY_DETECTORS['retinanet'](), str(tmp_path / 'retinanet.pth'))
    model = build(rec_detector_config(TINY_DETECTORS['faster_rcnn'](), COLOUR).model)
    with pytest.raises(ValueError, match=r"^checkpoint key '[^']+' is missing from the checkpoint .*set "
                                         r'model\.detector to the config it was trained with') as error:
        load_checkpoint(model, retinanet, map_location='cpu')
    assert '\n' not in str(error.value)
    other_classes = TINY_DETECTORS['retinanet'](num_classes=5)
    five = save_detector_checkpoint(other_classes, str(tmp_path / 'retinanet5.pth'))
    model = build(rec_detector_config(TINY_DETECTORS['retinanet'](), COLOUR).model)
    with pytest.raises(ValueError, match=r"^checkpoint key 'bbox_head\.retina_cls\.weight' has shape "):
        load_checkpoint(model, five, map_location='cpu')


@pytest.mark.parametrize('detector, prompt, message', [
    (dict(type='ResNet', depth=18), None, r"^model\.detector\.type='ResNet' is a ResNet, not an mmdet detector"),
    (dict(type='NoSuchDetector'), None, r"^model\.detector\.type='NoSuchDetector' is not registered"),
    ('retinanet', 'subject', r"^model\.prompt='subject': model\.detector \(RetinaNet\) is a closed-set detector"),
    ('grounding', None, r'^model\.prompt: model\.detector \(GroundingDINO\) is a grounding detector and needs'),
    ('grounding', 'caption', r"^model\.prompt='caption': expected one of \('subject', 'expression'\)"),
    ('grounding', [], r'^model\.prompt=\[\]: a class list must be a non-empty list'),
])
def test_bad_detector_or_prompt_is_named_before_anything_is_built(detector, prompt, message, monkeypatch):
    if detector == 'retinanet':
        detector = TINY_DETECTORS['retinanet']()
    elif detector == 'grounding':  # mmdet's own config: refused before its BERT would be built (or downloaded)
        detector = mmdet_model('grounding_dino/grounding_dino_swin-t_finetune_16xb2_1x_coco.py')
    monkeypatch.setattr(MODELS, 'build', lambda *args, **kwargs: pytest.fail('something was built'))
    with pytest.raises(ValueError, match=message) as error:
        RECDetector(detector=detector, scorer=dict(type='CLIPProposalScorer', encoder=COLOUR), prompt=prompt)
    assert '\n' not in str(error.value)


#: Three "lions" and a "zebra" (the leftmost animal), all red, so CLIP (the colour double) cannot tell them apart
#: and only the detector's prompt keeps the zebra out of "the left lion"'s candidates;
#: the lions are listed middle, left, right (the detector's scores fall in that order).
ANIMALS = dict(boxes=[[0.40, 0.3, 0.55, 0.6], [0.15, 0.3, 0.30, 0.6], [0.75, 0.3, 0.90, 0.6],
                      [0.0, 0.65, 0.12, 0.95]],
               names=['lion', 'lion', 'lion', 'zebra'])
ANIMAL_SQUARES = {f'red{i}': [v * s for v, s in zip(box, (96, 64, 96, 64))] for i, box in enumerate(ANIMALS['boxes'])}


def animal_model(prompt='subject', **scorer):
    detector = dict(type='NamedBoxesDetector', language_model=dict(type='any') if prompt else None, **ANIMALS,
                    data_preprocessor=TINY_DETECTORS['retinanet']()['data_preprocessor'])
    cfg = rec_detector_config(detector, COLOUR, prompt=prompt)
    cfg.model.scorer.update(reasoner=dict(type='SpatialReasoningRescorer'), top_k=None, **scorer)
    return build(cfg.model)


def animal_data(texts):
    return packed(texts, squares=ANIMAL_SQUARES, colours={name: (230, 20, 20) for name in ANIMAL_SQUARES})


def test_the_left_lion_is_the_leftmost_of_the_lions_a_grounding_detector_returns():
    model = animal_model('subject')
    texts = ['the left lion', 'the right lion', 'zebra']
    sample = model.test_step(animal_data(texts))[0]
    assert model.detector.prompts_seen == ['lion', 'zebra']  # one run per distinct subject, batched
    boxes = sample.pred_instances.bboxes.numpy()
    lions = np.array(ANIMALS['boxes'])[:3] * np.array([96, 64, 96, 64])
    np.testing.assert_allclose(boxes[0], lions[1], atol=1e-4)  # the leftmost lion, not the zebra left of it
    np.testing.assert_allclose(boxes[1], lions[2], atol=1e-4)
    np.testing.assert_allclose(boxes[2], np.array(ANIMALS['boxes'][3]) * np.array([96, 64, 96, 64]), atol=1e-4)
    owners = sample.candidates.expression_index.tolist()
    assert owners == [0, 0, 0, 1, 1, 1, 2]  # each expression's own candidates: 3 lions, 3 lions, 1 zebra
    # closed-set, the same double returns every animal, shared by the image's expressions (the layout of before)
    closed = animal_model(None).test_step(animal_data(['the left lion', 'zebra']))[0]
    assert 'expression_index' not in closed.candidates and len(closed.candidates) == 4


def test_expression_prompt_and_class_list_and_empty_expression():
    model = animal_model('expression')
    sample = model.test_step(animal_data(['zebra', 'the lion on the right', 'zebra', '  ']))[0]
    assert model.detector.prompts_seen == ['zebra', 'the lion on the right']  # blank: detector not run
    assert sample.candidates.expression_index.tolist() == [0, 1, 1, 1, 2, 3]  # blank: the whole image
    np.testing.assert_allclose(sample.candidates.bboxes[-1].numpy(), [0, 0, 96, 64])
    listed = animal_model(['zebra', 'lion'])
    sample = listed.test_step(animal_data(['the left lion', 'zebra']))[0]
    assert listed.detector.prompts_seen == [('zebra', 'lion')]  # once per image, shared by its expressions
    assert 'expression_index' not in sample.candidates and len(sample.candidates) == 4


def test_detector_key_edges_old_batchnorm_extra_key_and_prefixed_checkpoint():
    from mmengine.runner.checkpoint import load_state_dict

    model = build(rec_detector_config(TINY_DETECTORS['retinanet'](), COLOUR).model)
    plain = {key[len('detector.'):]: value.clone() for key, value in model.state_dict().items()}
    old = {key: value for key, value in plain.items() if not key.endswith('num_batches_tracked')}
    load_state_dict(model, old, strict=True)  # BatchNorm supplies the counters checkpoints before it lacked
    with pytest.raises(ValueError, match=r"^checkpoint key 'bbox_head\.extra' is not a weight of RetinaNet "
                                         r'\(0 missing, 1 unexpected detector keys\)'):
        load_state_dict(model, dict(plain, **{'bbox_head.extra': torch.zeros(1)}))
    prefixed = {f'detector.{key}': value for key, value in plain.items() if key != 'neck.fpn_convs.0.conv.bias'}
    with pytest.raises(ValueError, match=r"^checkpoint key 'neck\.fpn_convs\.0\.conv\.bias' is missing"):
        load_state_dict(model, prefixed)  # a RECDetector checkpoint is checked as well, not renamed again


def test_inferencer_and_demo_give_each_expression_its_own_candidates(load_tool, tmp_path, capsys):
    import cv2

    from mmrec.apis import RECInferencer

    detector = dict(type='NamedBoxesDetector', language_model=dict(type='any'), **ANIMALS,
                    data_preprocessor=TINY_DETECTORS['retinanet']()['data_preprocessor'])
    cfg = rec_detector_config(detector, COLOUR, prompt='subject')
    cfg.model.scorer.update(reasoner=dict(type='SpatialReasoningRescorer'), top_k=None)
    image, _ = colored_squares(size=(96, 64), squares=ANIMAL_SQUARES,
                               colours={name: (230, 20, 20) for name in ANIMAL_SQUARES})
    result = RECInferencer(cfg).predict(image, ['the right lion', 'zebra'])
    assert result.candidate_expressions.tolist() == [0, 0, 0, 1]
    lions, _ = result.candidates_of(0)
    zebra, scores = result.candidates_of(1)
    assert len(lions) == 3 and len(zebra) == 1 and scores.shape == (1, )
    np.testing.assert_allclose(result.predictions[0].bbox, np.array(ANIMALS['boxes'][2]) * [96, 64, 96, 64],
                               atol=1e-4)

    path, config = str(tmp_path / 'animals.png'), str(tmp_path / 'animals.py')
    cv2.imwrite(path, image)
    cfg.dump(config)
    load_tool('demo').main([path, 'the right lion', 'zebra', '--config', config, '--out', str(tmp_path / 'o.jpg')])
    printed = capsys.readouterr().out
    assert "'the right lion': box [72.0, 19.2, 86.4, 38.4] score" in printed and '(among 3 candidates)' in printed
    assert '(among 1 candidates)' in printed


def test_generalized_answers_over_per_expression_candidates_name_their_own_expression():
    model = animal_model('subject', generalized_score_thr=-2.0)  # below every score: every candidate answers
    sample = model.test_step(animal_data(['the left lion', 'zebra', 'the right lion']))[0]
    answers = sample.pred_instances
    assert answers.expression_index.tolist() == [0, 0, 0, 1, 2, 2, 2]  # renumbered from each group's own
    zebra = np.array(ANIMALS['boxes'][3]) * np.array([96, 64, 96, 64])
    lions = np.array(ANIMALS['boxes'][:3]) * np.array([96, 64, 96, 64])
    np.testing.assert_allclose(answers.bboxes[3].numpy(), zebra, atol=1e-4)
    for rows in (answers.bboxes[:3].numpy(), answers.bboxes[4:].numpy()):  # the three lions, each once
        assert sorted(rows[:, 0].tolist()) == pytest.approx(sorted(lions[:, 0].tolist()), abs=1e-4)
