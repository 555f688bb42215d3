"""CLIPProposalScorer: known answers with the mean-colour encoder, which goes through the real crop path.

The image layout makes the two classic bugs visible: the image is resized non-uniformly (x2 wide, x1.5 high)
and the blue square sits where the red square's box lands when the box is *not* mapped to the resized
input, so forgetting the scale factor answers "red" with the wrong box; a swapped channel order turns red
into blue. Detector scores are ordered against the answers, so an index mix-up between sorted and unsorted
candidates (or an off-by-one argmax) picks a neighbour.
"""
import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.structures import InstanceData

from mmrec.models import CLIPProposalScorer, CropGeometry, InputNormalization  # noqa: F401  (registers the models)
from mmrec.testing import colored_squares, detector_input

SQUARES = {'red': [60, 30, 80, 50], 'blue': [26, 16, 44, 36], 'green': [4, 44, 20, 60]}
#                                    ^ the red box divided by the scale factor (2, 1.5) = [30, 20, 40, 33]


def make_scorer(**options) -> CLIPProposalScorer:
    return MODELS.build(dict(type='CLIPProposalScorer', encoder=dict(type='MeanColorEncoder'), **options))


@pytest.fixture(scope='module')
def scene():
    image, boxes = colored_squares(size=(96, 64), squares=SQUARES)
    inputs, meta, preprocessor = detector_input(image, scale=(192, 96), keep_ratio=False)
    assert meta['scale_factor'] == (2.0, 1.5)
    meta['img_id'] = 7
    return input_geometry(preprocessor).view(inputs, meta), meta, boxes


def input_geometry(preprocessor) -> CropGeometry:
    """The crop geometry of a detector with this preprocessor whose encoder crops from its input."""
    return CropGeometry('input', InputNormalization.from_preprocessor(preprocessor))


def detections(boxes: dict, order=('green', 'blue', 'red'), scores=(0.9, 0.8, 0.6), extra=()) -> InstanceData:
    """Detections in original pixels, best score first: green, blue, red (the reverse of the answers)."""
    rows = [boxes[name] for name in order] + [np.asarray(box, np.float32) for box, _ in extra]
    return InstanceData(bboxes=torch.tensor(np.stack(rows)),
                        scores=torch.tensor(list(scores) + [score for _, score in extra]))


@pytest.mark.parametrize('crop_mode', ['crop', 'context', 'blur', 'crop+blur'])
def test_picks_the_named_colour(scene, crop_mode):
    view, meta, boxes = scene
    scorer = make_scorer(crop_mode=crop_mode)
    texts = ['the red one', 'blue square', 'GREEN thing on the left', 'red']
    pred, candidates = scorer(view, detections(boxes), texts, meta)
    expected = np.stack([boxes['red'], boxes['blue'], boxes['green'], boxes['red']])
    np.testing.assert_allclose(pred.bboxes.numpy(), expected)
    assert pred.scores.shape == (4,) and (pred.scores > 0).all()
    np.testing.assert_allclose(candidates.scores.numpy(), [0.9, 0.8, 0.6])  # the boxes it chose from


def test_scores_are_cosines_of_the_closed_form_embeddings(scene):
    """Tight crops of pure squares have embedding rgb - 0.5; "red" is (0.5, -0.5, -0.5)."""
    view, meta, boxes = scene
    scorer = make_scorer()
    pred, _ = scorer(view, detections(boxes), ['red', 'blue'], meta)
    rgb = {name: np.array(c) / 255.0 - 0.5 for name, c in (('red', (230, 20, 20)), ('blue', (20, 20, 230)))}
    for score, name, word in zip(pred.scores.numpy(), ('red', 'blue'), ((1, 0, 0), (0, 0, 1))):
        text = np.array(word) - 0.5
        cosine = rgb[name] @ text / np.linalg.norm(rgb[name]) / np.linalg.norm(text)
        assert score == pytest.approx(cosine, abs=0.02)  # interpolation at the square's edge pixels


def test_top_k_keeps_the_best_scored_detections(scene):
    view, meta, boxes = scene
    pred, candidates = make_scorer(top_k=2)(view, detections(boxes), ['red'], meta)
    assert len(candidates) == 2  # red has the lowest detector score: not a candidate any more
    assert not np.allclose(pred.bboxes.numpy()[0], boxes['red'])
    np.testing.assert_allclose(candidates.bboxes.numpy(), np.stack([boxes['green'], boxes['blue']]))


def test_detector_score_fusion(scene):
    view, meta, boxes = scene
    plain, _ = make_scorer()(view, detections(boxes), ['red'], meta)
    fused, _ = make_scorer(detector_score_weight=1.0)(view, detections(boxes), ['red', 'blue'], meta)
    np.testing.assert_allclose(fused.bboxes.numpy(), np.stack([boxes['green']] * 2))  # detector's top box
    np.testing.assert_allclose(fused.scores.numpy(), [0.9, 0.9])
    half, _ = make_scorer(detector_score_weight=0.5)(view, detections(boxes), ['red'], meta)
    assert half.scores.item() == pytest.approx(0.5 * plain.scores.item() + 0.5 * 0.6, abs=1e-5)


def test_prompt_templates(scene):
    view, meta, boxes = scene
    scorer = make_scorer(prompt_templates=['a photo of {}.', 'a {} object'])
    pred, _ = scorer(view, detections(boxes), ['red', 'blue'], meta)
    np.testing.assert_allclose(pred.bboxes.numpy(), np.stack([boxes['red'], boxes['blue']]))
    with pytest.raises(ValueError, match='exactly one'):
        make_scorer(prompt_templates=['no placeholder'])
    with pytest.raises(ValueError, match='crop_mode'):
        make_scorer(crop_mode='crop+zoom')


def test_zero_detections_fall_back_to_the_whole_image(scene):
    view, meta, boxes = scene
    scorer = make_scorer()
    empty = InstanceData(bboxes=torch.zeros(0, 4), scores=torch.zeros(0))
    pred, candidates = scorer(view, empty, ['red', 'blue'], meta)
    np.testing.assert_allclose(candidates.bboxes.numpy(), [[0, 0, 96, 64]])
    np.testing.assert_allclose(pred.bboxes.numpy(), [[0, 0, 96, 64]] * 2)
    assert scorer.policy.num_images_without_candidates == 1
    scorer(view, empty, ['red'], meta)
    assert scorer.policy.num_images_without_candidates == 2


def test_boxes_outside_the_image_or_empty_are_dropped(scene):
    view, meta, boxes = scene
    scorer = make_scorer()
    dets = detections(boxes, extra=[([200, 10, 260, 30], 0.99),    # right of the 96 px wide image
                                    ([40, 40, 40, 55], 0.98),      # zero width
                                    ([50, 60, 20, 10], 0.975),     # inverted: not mirrored into a box
                                    ([85, 5, 130, 60], 0.97)])     # partly outside: clipped, kept
    pred, candidates = scorer(view, dets, ['red'], meta)
    assert scorer.num_dropped_boxes == 3
    np.testing.assert_allclose(candidates.bboxes.numpy()[0], [85, 5, 96, 60])
    np.testing.assert_allclose(pred.bboxes.numpy()[0], boxes['red'])
    only_bad = detections(boxes, order=(), scores=(), extra=[([-50, -50, -10, -10], 0.9)])
    pred, candidates = scorer(view, only_bad, ['red'], meta)
    np.testing.assert_allclose(candidates.bboxes.numpy(), [[0, 0, 96, 64]])  # nothing usable: whole image


def test_empty_expression_takes_the_detectors_top_box(scene):
    view, meta, boxes = scene
    scorer = make_scorer()
    pred, _ = scorer(view, detections(boxes), ['red', '', '   ', ' ?! '], meta)
    top = boxes['green']
    np.testing.assert_allclose(pred.bboxes.numpy(), np.stack([boxes['red'], top, top, top]))
    np.testing.assert_allclose(pred.scores.numpy()[1:], [0.9, 0.9, 0.9])
    assert scorer.policy.num_empty_expressions == 3  # punctuation only has no words either (as in method 1)
    none, candidates = scorer(view, detections(boxes), [], meta)
    assert none.bboxes.shape == (0, 4) and len(candidates) == 3


def test_grayscale_image():
    """A grayscale file (loaded as 1 channel) still works; brightness words still pick the right box."""
    image, boxes = colored_squares(size=(80, 60), squares={'red': [5, 5, 30, 30], 'yellow': [45, 25, 75, 55]})
    gray = image.mean(axis=2).astype(np.uint8)  # red -> dark (~90), yellow -> bright (~160)
    gray[5:30, 5:30], gray[25:55, 45:75] = 20, 240
    inputs, meta, preprocessor = detector_input(gray, scale=(120, 90))
    scorer = make_scorer()
    dets = InstanceData(bboxes=torch.tensor(np.stack([boxes['red'], boxes['yellow']])), scores=torch.tensor([0.9, 0.8]))
    pred, _ = scorer(input_geometry(preprocessor).view(inputs, meta), dets, ['the white one', 'black'], meta)
    np.testing.assert_allclose(pred.bboxes.numpy(), np.stack([boxes['yellow'], boxes['red']]))


@pytest.mark.parametrize('seed', range(12))
def test_random_scenes(seed):
    """Random sizes, resizes (uniform or not), square layouts, colour sets, score orders and wordings."""
    rng = np.random.default_rng(seed)
    width, height = int(rng.integers(60, 160)), int(rng.integers(60, 160))
    # red, green and blue: no mixture of two points the way of a third (yellow - 0.5 is about -(blue - 0.5), so
    # in the double's space a yellow+blue crop can look purely blue)
    colours = list(rng.permutation(['red', 'green', 'blue'])[:int(rng.integers(2, 4))])
    squares, taken = {}, np.zeros((height, width), bool)
    for colour in colours:
        for _ in range(100):  # rejection sampling of non-overlapping squares
            side = int(rng.integers(8, min(width, height) // 2))
            x, y = int(rng.integers(0, width - side + 1)), int(rng.integers(0, height - side + 1))
            if not taken[y:y + side, x:x + side].any():
                taken[y:y + side, x:x + side] = True
                squares[colour] = [x, y, x + side, y + side]
                break
    image, boxes = colored_squares(size=(width, height), squares=squares)
    scale = (int(width * rng.uniform(0.6, 2.5)), int(height * rng.uniform(0.6, 2.5)))
    inputs, meta, preprocessor = detector_input(image, scale=scale, keep_ratio=bool(rng.integers(2)))
    names = list(rng.permutation(list(boxes)))
    background = [0.0, 0.0, width, height]  # a distractor holding every colour
    dets = InstanceData(bboxes=torch.tensor(np.stack([boxes[n] for n in names] + [np.float32(background)])),
                        scores=torch.tensor(rng.uniform(0.1, 1.0, len(names) + 1), dtype=torch.float32))
    templates = ['{}', 'the {} square', 'a {} box on the right', 'that {} thing']
    texts = [templates[int(rng.integers(len(templates)))].format(n) for n in names]
    crop_mode = ['crop', 'context', 'crop+blur'][seed % 3]
    pred, _ = make_scorer(crop_mode=crop_mode)(input_geometry(preprocessor).view(inputs, meta), dets,
                                               texts, meta)
    np.testing.assert_allclose(pred.bboxes.numpy(), np.stack([boxes[n] for n in names]), err_msg=str(texts))


def test_spatial_reasoning_tells_apart_two_boxes_that_look_the_same():
    """Two red squares: the crops are identical, so only the geometry can answer "on the right"; the larger
    of two blue squares is "the big blue one"; the red square next to the large blue one is the right one."""
    squares = {'red_left': [4, 20, 20, 36], 'red_right': [70, 20, 86, 36], 'blue_small': [30, 4, 38, 12],
               'blue_large': [46, 36, 66, 56]}
    image, boxes = colored_squares(size=(96, 64), squares=squares,
                                   colours={'red_left': (230, 20, 20), 'red_right': (230, 20, 20),
                                            'blue_small': (20, 20, 230), 'blue_large': (20, 20, 230)})
    inputs, meta, preprocessor = detector_input(image, scale=(192, 96), keep_ratio=False)
    view = input_geometry(preprocessor).view(inputs, meta)
    dets = detections(boxes, order=('red_left', 'red_right', 'blue_small', 'blue_large'),
                      scores=(0.9, 0.8, 0.7, 0.6))
    texts = ['the red square on the right', 'the leftmost red square', 'the big blue one',
             'the red square next to the big blue square', 'red']
    pred, _ = make_scorer(reasoner=dict(type='SpatialReasoningRescorer', temperature=0.05))(view, dets, texts, meta)
    expected = [boxes[name] for name in ('red_right', 'red_left', 'blue_large', 'red_right', 'red_left')]
    np.testing.assert_allclose(pred.bboxes.numpy(), np.stack(expected))
    assert pred.reasoned.tolist() == [True, True, True, True, False]  # "red": no geometry, CLIP's answer
    plain, _ = make_scorer()(view, dets, texts[:1], meta)  # without geometry: a coin toss
    assert plain.reasoned.tolist() == [False]
    assert pred.scores[0] > 0.5 and not np.allclose(plain.bboxes.numpy()[0], boxes['red_right'])
