"""The zero-shot field's scoring options, with known answers: score subtraction (RedCircle / FGVP), ReCLIP's size
prior and RedCircle's red-ellipse visual prompt, in method 2's scorer and (size prior, circle) method 1's head.

The CLIP is ``mmrec.testing``'s ``MeanColorEncoder`` (a crop embeds to its mean colour minus grey, a text to the
colour word it names), so every similarity below is a cosine that can be computed by hand.
"""
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmdet.registry import HOOKS, MODELS
from mmengine.structures import InstanceData

import mmrec.models  # noqa: F401  (registers the modules)
import mmrec.testing  # noqa: F401  (registers MeanColorEncoder)
from mmrec.engine import expression_bank_hook
from mmrec.models.scoring import score_subtraction as subtraction_module
from mmrec.models.crops import CIRCLE_COLOR, InputNormalization, ellipse_outlines
from mmrec.models.crops.crop_geometry import CropGeometry
from mmrec.models.scoring.score_subtraction import ScoreSubtraction
from mmrec.models.scoring.size_prior import large_enough
from mmrec.testing import detector_input

GREY = 128
ORIGINAL = CropGeometry('original')
INPUT_RGB = CropGeometry('input', InputNormalization())


def rgb_image(height: int, width: int, squares=()) -> torch.Tensor:
    """A grey uint8 ``(3, H, W)`` RGB image (a loaded original) with filled rectangles ``(rgb, (x1, y1, x2, y2))``."""
    image = torch.full((3, height, width), GREY, dtype=torch.uint8)
    for rgb, (x1, y1, x2, y2) in squares:
        image[:, y1:y2, x1:x2] = torch.tensor(rgb, dtype=torch.uint8).view(3, 1, 1)
    return image


def original_view(image: torch.Tensor):
    height, width = image.shape[-2:]
    return ORIGINAL.view(image.float(), dict(img_shape=(height, width)), original=image)


def make_scorer(**options):
    return MODELS.build(dict(type='CLIPProposalScorer', encoder=dict(type='MeanColorEncoder'), **options))


def detections(boxes, scores=None) -> InstanceData:
    boxes = torch.tensor(boxes, dtype=torch.float32)
    scores = torch.linspace(0.9, 0.5, len(boxes)) if scores is None else torch.tensor(scores, dtype=torch.float32)
    return InstanceData(bboxes=boxes, scores=scores)


# -- score subtraction ---------------------------------------------------------------------------------------
# Dark red (128, 0, 0) is the red object. Bright red (255, 51, 51) is washed out towards white: its cosine to
# "red" (0.968) beats dark red's (0.816), and so does its cosine to every other text of the bank ("white"
# -0.09 vs -0.82, "yellow" and "magenta" 0.44 vs 0), so it wins every expression by default. Minus the mean
# over the bank (white twice): dark red 0.816 + 0.408 = 1.22, bright red 0.968 - 0.176 = 0.79.
DARK_RED, BRIGHT_RED, GREEN = (128, 0, 0), (255, 51, 51), (0, 200, 0)
SUBTRACTION_SCENE = rgb_image(60, 120, [(DARK_RED, (10, 10, 40, 40)), (BRIGHT_RED, (50, 10, 80, 40)),
                                        (GREEN, (90, 10, 115, 40))])
SUBTRACTION_BOXES = [[50, 10, 80, 40], [10, 10, 40, 40], [90, 10, 115, 40]]  # bright (top score), dark, green
BANK = ['the white car', 'yellow taxi', 'a magenta shirt', 'white plate on the left']
META = dict(ori_shape=(60, 120), img_id=1)


def test_subtraction_turns_the_box_that_matches_every_text_into_a_loser():
    view = original_view(SUBTRACTION_SCENE)
    plain = make_scorer()
    crops = plain.crop_embeddings(view, torch.tensor(SUBTRACTION_BOXES, dtype=torch.float32))
    similarity = plain.text_similarity(crops, ['the red one'] + BANK)  # (K, 1 + B)
    assert bool((similarity[0] > similarity[1]).all()), 'the bright box must match every text better'
    predictions, _ = plain(view, detections(SUBTRACTION_BOXES), ['the red one'], META)
    assert predictions.bboxes[0].tolist() == SUBTRACTION_BOXES[0]

    subtracting = make_scorer(score_subtraction=dict(num_texts=500, source=BANK))
    predictions, _ = subtracting(view, detections(SUBTRACTION_BOXES), ['the red one'], META)
    assert predictions.bboxes[0].tolist() == SUBTRACTION_BOXES[1]
    expected = similarity[1, 0] - similarity[1, 1:].mean()
    assert predictions.scores[0].item() == pytest.approx(expected.item(), abs=1e-5)
    assert predictions.scores[0].item() == pytest.approx(0.816 + 0.408, abs=0.01)


def test_the_bank_is_embedded_once_and_serves_the_reasoner_phrases_too():
    scorer = make_scorer(score_subtraction=dict(num_texts=500, source=BANK), reasoner=dict())
    view = original_view(SUBTRACTION_SCENE)
    calls, encode = [], scorer.encode_expressions
    scorer.encode_expressions = lambda texts: calls.append(list(texts)) or encode(texts)
    for texts in (['the red one'], ['the red one on the left', 'green'], ['the red one']):
        scorer(view, detections(SUBTRACTION_BOXES), texts, META)
    assert [texts for texts in calls if set(texts) & set(BANK)] == [BANK]  # once, whatever the images and phrases
    assert ['the red one'] in calls and any('red one' in text for texts in calls[2:] for text in texts
                                            if text != 'the red one on the left')  # the reasoner's phrase


def test_num_texts_larger_than_the_data_set_uses_them_all_with_a_warning(monkeypatch):
    warnings = []
    monkeypatch.setattr(subtraction_module, 'print_log',
                        lambda msg, logger=None, level=None: warnings.append(msg) if level == 30 else None)
    subtraction = ScoreSubtraction(num_texts=500, seed=0)
    expressions = [(1, 'red car'), (1, 'blue car'), (2, 'green tree')]
    subtraction.set_expressions(expressions, 'the test set')
    assert subtraction.texts == ['red car', 'blue car', 'green tree']
    assert len(warnings) == 1 and 'num_texts=500' in warnings[0] and 'only 3' in warnings[0]
    assert 'the test set' in warnings[0]


def test_the_bank_is_drawn_once_deterministically_from_the_seed():
    expressions = [(i // 3, f'expression {i}') for i in range(100)]
    first, again, other = (ScoreSubtraction(num_texts=10, seed=seed) for seed in (0, 0, 1))
    for subtraction in (first, again, other):
        subtraction.set_expressions(expressions)
    assert first.texts == again.texts and first.img_ids == again.img_ids
    assert first.texts != other.texts
    assert len(set(first.texts)) == 10 and set(first.texts) <= {text for _, text in expressions}


def test_excluding_the_images_own_expressions_from_the_mean():
    subtraction = ScoreSubtraction(num_texts=4, exclude_same_image=True)
    subtraction.set_expressions([(1, 'a'), (1, 'b'), (2, 'c'), (3, 'd')])
    scores = torch.tensor([[1.0, 2.0, 3.0, 5.0]])  # one box against the 4 bank texts
    mean = subtraction.mean_bank_similarity(lambda embeddings: scores, lambda texts: torch.zeros(4, 1), img_id=1)
    assert mean.tolist() == [4.0]  # image 1's 'a' and 'b' left out
    assert subtraction.mean_bank_similarity(lambda e: scores, lambda t: torch.zeros(4, 1), img_id=9).tolist() == [2.75]


def test_an_images_own_expressions_in_the_bank_are_not_used_for_that_image():
    # The data set: image 1 (META's) holds the query and another red expression, image 2 the four BANK texts.
    # By default image 1's boxes are scored minus their mean over image 2's texts only: dark red wins with
    # 0.816 + 0.408, as with the bank BANK alone. Kept in (FGVP), the two red texts lift dark red's mean to
    # (2 x 0.816 - 2 x 0.82 + 0 + 0) / 6 = 0.00, so its score is the plain cosine 0.816.
    expressions = [(1, 'the red one'), (1, 'a red square')] + [(2, text) for text in BANK]
    view, boxes = original_view(SUBTRACTION_SCENE), detections(SUBTRACTION_BOXES)
    answers = {}
    for exclude in (None, False):
        options = dict(num_texts=6) if exclude is None else dict(num_texts=6, exclude_same_image=exclude)
        scorer = make_scorer(score_subtraction=options)
        scorer.set_expression_bank(expressions)
        assert scorer.score_subtraction.texts == [text for _, text in expressions]  # the query is in the bank
        predictions, _ = scorer(view, boxes, ['the red one'], META)
        answers[exclude] = (predictions.bboxes[0].tolist(), predictions.scores[0].item())
    assert answers[None][0] == SUBTRACTION_BOXES[1]
    assert answers[None][1] == pytest.approx(0.816 + 0.408, abs=0.01)
    assert answers[False][0] == SUBTRACTION_BOXES[1]
    assert answers[False][1] == pytest.approx(0.816, abs=0.01)


def test_a_bank_of_only_the_images_own_expressions_subtracts_nothing(monkeypatch):
    warnings = []
    monkeypatch.setattr(subtraction_module, 'print_log',
                        lambda msg, logger=None, level=None: warnings.append(msg) if level == 30 else None)
    scorer = make_scorer(score_subtraction=dict(num_texts=2))
    scorer.set_expression_bank([(1, 'the red one'), (1, 'white')])
    view, boxes = original_view(SUBTRACTION_SCENE), detections(SUBTRACTION_BOXES)
    for _ in range(2):
        predictions, _ = scorer(view, boxes, ['the red one'], META)
        assert predictions.bboxes[0].tolist() == SUBTRACTION_BOXES[0]  # the plain cosine's winner, bright red
        assert predictions.scores[0].item() == pytest.approx(0.968, abs=0.01)
    assert len(warnings) == 1 and 'only expressions of image 1' in warnings[0]


@pytest.mark.parametrize('cfg, message', [(dict(num_texts=0), 'num_texts'), (dict(num_texts=2.5), 'num_texts'),
                                          (dict(source='refcoco'), "source must be 'dataset'"),
                                          (dict(source=None), "source must be 'dataset'"),
                                          (dict(source=[]), 'no expressions')])
def test_bad_subtraction_settings_are_named(cfg, message):
    with pytest.raises(ValueError, match=message):
        make_scorer(score_subtraction=cfg)


def test_a_dataset_bank_without_the_hook_says_how_to_get_one():
    scorer = make_scorer(score_subtraction=dict(source='dataset'))
    with pytest.raises(RuntimeError, match='ExpressionBankHook'):
        scorer(original_view(SUBTRACTION_SCENE), detections(SUBTRACTION_BOXES), ['red'], META)


class ListDataset:
    """The two methods of a data set the hook reads."""

    def __init__(self, infos):
        self.infos = infos

    def __len__(self):
        return len(self.infos)

    def get_data_info(self, index):
        return self.infos[index]


def test_the_hook_hands_the_loop_data_sets_expressions_to_the_scorer():
    infos = [dict(img_id=1, expressions=[dict(text='the white car'), dict(text='yellow taxi')]),
             dict(img_id=2, expressions=[dict(text='a magenta shirt'), dict(text='white plate on the left')])]
    scorer = make_scorer(score_subtraction=dict(num_texts=3, seed=0))
    loop = SimpleNamespace(dataloader=SimpleNamespace(dataset=ListDataset(infos)))
    runner = SimpleNamespace(model=torch.nn.ModuleDict(dict(scorer=scorer)), test_loop=loop, val_loop=loop)
    hook = HOOKS.build(dict(type='ExpressionBankHook'))
    hook.before_test(runner)
    assert len(scorer.score_subtraction.texts) == 3 and set(scorer.score_subtraction.texts) <= set(BANK)
    assert dict(zip(scorer.score_subtraction.texts, scorer.score_subtraction.img_ids)) == {
        text: 1 if i < 2 else 2 for i, text in enumerate(BANK) if text in scorer.score_subtraction.texts}
    with pytest.raises(KeyError, match='no "expressions"'):
        expression_bank_hook.dataset_expressions(ListDataset([dict(img_id=3)]))


# -- size prior ------------------------------------------------------------------------------------------------
# 100 x 100 image: a 6 x 6 pure red square (0.36% of the image) and a 30 x 30 faded red one (9%).
SIZE_SCENE = rgb_image(100, 100, [((255, 0, 0), (10, 10, 16, 16)), ((200, 60, 60), (50, 50, 80, 80))])
TINY, LARGE = [10, 10, 16, 16], [50, 50, 80, 80]


def test_size_prior_drops_a_tiny_box():
    meta = dict(ori_shape=(100, 100), img_id=2)
    view = original_view(SIZE_SCENE)
    plain, _ = make_scorer()(view, detections([TINY, LARGE]), ['red'], meta)
    assert plain.bboxes[0].tolist() == TINY  # the purer red
    predictions, candidates = make_scorer(min_box_fraction=0.05)(view, detections([TINY, LARGE]), ['red'], meta)
    assert predictions.bboxes[0].tolist() == LARGE
    assert candidates.bboxes.tolist() == [LARGE]  # it cannot be chosen, so it is no candidate either


def test_size_prior_keeps_all_boxes_when_all_are_tiny():
    meta = dict(ori_shape=(100, 100), img_id=2)
    tiny_too = [50, 50, 55, 55]  # the faded square's corner, 0.25%
    predictions, candidates = make_scorer(min_box_fraction=0.05)(
        original_view(SIZE_SCENE), detections([tiny_too, TINY]), ['red'], meta)
    assert predictions.bboxes[0].tolist() == TINY
    assert len(candidates) == 2


def test_large_enough_counts_the_threshold_as_large():
    boxes = torch.tensor([[0, 0, 10, 5], [0, 0, 10, 4.9]])
    assert large_enough(boxes, (10, 10), 0.5).tolist() == [True, False]


def test_head_size_prior_drops_tiny_proposals_before_scoring():
    head = MODELS.build(dict(type='CLIPTextConditionedHead', encoder=dict(type='MeanColorEncoder'),
                             local_search=dict(enable=False), branch=None, blend=dict(clip_weight=1.0),
                             min_box_fraction=0.05))
    proposals = InstanceData(bboxes=torch.tensor([TINY, LARGE], dtype=torch.float32), scores=torch.tensor([0.5, 0.5]))
    image = SIZE_SCENE.float()
    predictions, candidates = head.predict_image(INPUT_RGB.view(image, {}), proposals, None, ['red'])
    assert predictions.bboxes[0].tolist() == LARGE and candidates.bboxes.tolist() == [LARGE]
    head.policy.min_box_fraction = 0.0
    predictions, _ = head.predict_image(INPUT_RGB.view(image, {}), proposals, None, ['red'])
    assert predictions.bboxes[0].tolist() == TINY


@pytest.mark.parametrize('value', [-0.1, 1.0])
def test_bad_min_box_fraction_is_named(value):
    with pytest.raises(ValueError, match='min_box_fraction'):
        make_scorer(min_box_fraction=value)


# -- red circle --------------------------------------------------------------------------------------------------
def red_pixels(crop: torch.Tensor) -> torch.Tensor:
    """``(S, S)`` bool: pixels of a ``(3, S, S)`` crop equal to the circle's colour."""
    return (crop == torch.tensor(CIRCLE_COLOR).view(3, 1, 1)).all(dim=0)


def test_circle_draws_the_ellipse_where_the_box_is_on_the_original_image():
    """120 x 80 grey image, box [30, 20, 90, 60], crop size 60: the box lands on [15, 15, 45, 45] of the crop,
    so the ellipse is the circle of radius 15 around (30, 30), 2 pixels wide."""
    encoder = MODELS.build(dict(type='MeanColorEncoder', crop_size=60))
    image = rgb_image(80, 120)
    crop = encoder.crop_boxes(original_view(image), torch.tensor([[30.0, 20.0, 90.0, 60.0]]), crop_mode='circle')[0]
    red = red_pixels(crop)
    for x, y in [(30, 15), (30, 44), (15, 30), (44, 30), (40, 19)]:  # on the circle (r = 15: 40.5, 19.5 -> 14.9)
        assert red[y, x], (x, y)
    for x, y in [(30, 30), (30, 18), (30, 12), (0, 0), (59, 59), (47, 47)]:  # inside, outside, corners
        assert not red[y, x], (x, y)
        assert crop[:, y, x].tolist() == [GREY] * 3  # the whole image, resized: grey
    ys, xs = torch.nonzero(red, as_tuple=True)
    radius = torch.sqrt((xs + 0.5 - 30) ** 2 + (ys + 0.5 - 30) ** 2)
    assert bool((radius - 15).abs().max() <= 1.0)  # every red pixel within half the line width of the circle
    assert 2 * np.pi * 15 * 2 * 0.8 < len(xs) < 2 * np.pi * 15 * 2 * 1.2  # a 2-pixel ring all round


def test_circle_shows_the_whole_image_and_lands_on_the_box_through_the_detector_input():
    """Same place from the detector's resized, normalised input (roi_align path) as from the original."""
    image = np.full((80, 120, 3), GREY, dtype=np.uint8)
    image[:20, :60] = (0, 200, 0)  # a green top-left quarter, to see the whole image is shown (BGR)
    inputs, meta, preprocessor = detector_input(image, scale=(240, 160), keep_ratio=False)
    view = CropGeometry.for_detector(preprocessor, SimpleNamespace(crop_source='input')).view(inputs, meta)
    encoder = MODELS.build(dict(type='MeanColorEncoder', crop_size=60))
    crop = encoder.crop_boxes(view, torch.tensor([[30.0, 20.0, 90.0, 60.0]]), crop_mode='circle')[0]
    assert red_pixels(crop)[15, 30] and red_pixels(crop)[30, 44] and not red_pixels(crop)[30, 30]
    assert crop[:, 3, 3].round().tolist() == [0.0, 200.0, 0.0]  # the green corner, in RGB


def test_ellipse_of_a_wide_box_touches_its_four_sides():
    outline = ellipse_outlines(torch.tensor([[4.0, 10.0, 36.0, 20.0]]), 40)[0, 0]
    assert outline[15, 4] and outline[15, 35] and outline[10, 20] and outline[19, 20]
    assert not outline[15, 20] and not outline[5, 20] and not outline[15, 38]


def test_circle_combines_with_crop_through_plus():
    scorer = make_scorer(crop_mode='crop+circle')
    assert scorer.crop_modes == ('crop', 'circle')
    predictions, _ = scorer(original_view(SUBTRACTION_SCENE), detections(SUBTRACTION_BOXES), ['green'], META)
    assert predictions.bboxes[0].tolist() == SUBTRACTION_BOXES[2]


def test_head_scores_circle_prompts():
    head = MODELS.build(dict(type='CLIPTextConditionedHead', encoder=dict(type='MeanColorEncoder', crop_size=60),
                             local_search=dict(enable=False), branch=None, crop_mode='circle'))
    crops = []
    head.encoder.encode_pixels = lambda pixels: crops.append(pixels) or torch.zeros(len(pixels), 3)
    proposals = InstanceData(bboxes=torch.tensor([[30.0, 20.0, 90.0, 60.0]]), scores=torch.tensor([1.0]))
    head.predict_image(INPUT_RGB.view(rgb_image(80, 120).float(), {}), proposals, None, ['red'])
    assert red_pixels(crops[0][0])[15, 30] and not red_pixels(crops[0][0])[30, 30]


def test_the_hook_draws_the_bank_from_the_test_set_in_mmengines_runner(tmp_path):
    """Score subtraction with source='dataset' through MMEngine's Runner: the default runtime's ExpressionBankHook
    hands the test set's expressions to the scorer before the loop, which then evaluates with the bank."""
    from mmengine.runner import Runner

    from mmrec.datasets import generate_synthetic_refer
    from mmrec.testing import tiny_method2_config

    summary = generate_synthetic_refer(str(tmp_path / 'data'), num_images={'val': 2}, image_size=(96, 96), seed=0)
    cfg = tiny_method2_config(encoder=dict(type='MeanColorEncoder'),
                              score_subtraction=dict(num_texts=4, source='dataset', seed=0))
    cfg.test_dataloader.dataset.update(summary['dataset_kwargs'], split='val')
    cfg.test_dataloader.update(num_workers=0, persistent_workers=False)
    cfg.model.test_cfg.rcnn.score_thr = 0.0
    assert cfg.default_hooks.expression_bank.type == 'ExpressionBankHook'
    cfg.work_dir = str(tmp_path / 'work')
    cfg.load_from = None
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    assert 'rec/accuracy' in metrics
    dataset = runner.test_dataloader.dataset
    expressions = [(info['img_id'], e['text']) for info in (dataset.get_data_info(i) for i in range(len(dataset)))
                   for e in info['expressions']]
    assert len(expressions) > 4
    bank = runner.model.scorer.score_subtraction
    assert len(bank.texts) == 4 and set(zip(bank.img_ids, bank.texts)) <= set(expressions)
    assert bank._embeddings is not None  # used by the loop
