"""mmdet's GroundingDINO inside RECDetector end to end: the tiny model (random weights, tiny BERT saved in tmp)
proposes each expression's candidates from its prompt ('subject' or 'expression'), exactly the boxes its own
``predict`` gives for that prompt alone, and the scorer answers one box per expression among them."""
import copy

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint

import mmrec  # noqa: F401  (registers everything)
from mmrec.datasets.transforms import PackRECInputs
from mmrec.models import RECDetector
from mmrec.models.method2.prompts import detector_prompt, prompted_sample
from mmrec.testing import (colored_squares, rec_detector_config, save_detector_checkpoint, save_tiny_bert,
                           tiny_grounding_dino_config)

COLOUR = dict(type='MeanColorEncoder')
WORDS = 'the left lion man next to dog red blue'.split()
#: two expressions whose prompts differ in both modes ('lion' / 'man . dog' and the texts themselves)
TEXTS = ['the left lion', 'red man next to dog']
SQUARES = dict(red=[8, 8, 40, 40], blue=[50, 20, 90, 60])


def build(cfg_model) -> torch.nn.Module:
    with DefaultScope.overwrite_default_scope('mmdet'):
        return MODELS.build(cfg_model).eval()


def packed(texts) -> dict:
    from mmdet.datasets.transforms import Resize

    image, _ = colored_squares(size=(96, 64), squares=SQUARES)
    results = dict(img=image, img_shape=image.shape[:2], ori_shape=image.shape[:2], img_id=3, img_path='squares',
                   texts=list(texts), expressions=[dict(text=t) for t in texts])
    results = PackRECInputs()(Resize(scale=(128, 96), keep_ratio=False)(results))
    return dict(inputs=[results['inputs']], data_samples=[results['data_samples']])


@pytest.fixture(scope='module')
def grounding(tmp_path_factory):
    """The tiny GroundingDINO's config (5 boxes per prompt) and a plain checkpoint of it (seeded weights)."""
    folder = tmp_path_factory.mktemp('grounding')
    config = tiny_grounding_dino_config(save_tiny_bert(str(folder / 'bert'), WORDS), max_per_img=5)
    return config, save_detector_checkpoint(config, str(folder / 'gdino.pth'), seed=1)


@pytest.mark.parametrize('mode', ['subject', 'expression'])
def test_grounding_dino_candidates_are_its_own_per_prompt_boxes(grounding, mode):
    config, checkpoint = grounding
    cfg = rec_detector_config(config, COLOUR, prompt=mode)
    cfg.model.scorer.update(top_k=None)
    model = build(cfg.model)
    assert isinstance(model, RECDetector) and model.prompt == mode
    load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    alone = build(copy.deepcopy(config))
    load_checkpoint(alone, checkpoint, map_location='cpu', strict=True)

    prompts = [detector_prompt(text, mode) for text in TEXTS]
    assert len(set(prompts)) == 2 and (mode != 'subject' or prompts == ['lion', 'red man . dog'])
    batch = alone.data_preprocessor(packed(TEXTS), False)
    with torch.no_grad():
        reference = [alone.predict(batch['inputs'], [prompted_sample(batch['data_samples'][0], prompt)],
                                   rescale=True)[0].pred_instances for prompt in prompts]

    sample = model.test_step(packed(TEXTS))[0]
    answers, candidates = sample.pred_instances, sample.candidates
    assert answers.bboxes.shape == (2, 4) and answers.scores.shape == (2, )
    assert candidates.expression_index.tolist() == [0] * 5 + [1] * 5
    for index, expected in enumerate(reference):
        own = candidates.expression_index == index
        order = candidates.scores[own].argsort(descending=True)
        expected_order = expected.scores.argsort(descending=True)
        # the detector's own boxes for this prompt alone, to the bit (not those of a batch of both prompts)
        torch.testing.assert_close(candidates.bboxes[own][order], expected.bboxes[expected_order], rtol=0, atol=0)
        torch.testing.assert_close(candidates.scores[own][order], expected.scores[expected_order], rtol=0, atol=0)
        # the answer is one of the expression's own candidates
        assert (candidates.bboxes[own] == answers.bboxes[index]).all(dim=1).any()
    assert not torch.equal(reference[0].bboxes, reference[1].bboxes)  # the prompts do change the boxes
