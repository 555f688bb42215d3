"""RECInferencer: image path or array + expressions -> one box per expression, in the image's pixels."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from mmrec.apis import RECInferencer, RECPrediction
from mmrec.testing import colored_squares, save_tiny_clip, tiny_method2_config

SQUARES = {'red': [60, 30, 80, 50], 'blue': [26, 16, 44, 36], 'green': [4, 44, 20, 60]}


def fixed_detections(model, boxes: np.ndarray, scores) -> None:
    """Replace the RoI head's output (only) by known boxes, in the frame the detector is asked for; the
    pipeline, the scorer and the coordinate handling around it stay real."""
    def predict(feats, rpn_results, samples, rescale=False):
        out = []
        for sample in samples:
            sx, sy = sample.metainfo['scale_factor']
            scale = 1.0 if rescale else np.array([sx, sy, sx, sy], dtype=np.float32)
            out.append(InstanceData(bboxes=torch.from_numpy(boxes * scale).float(), scores=torch.tensor(scores),
                                    labels=torch.zeros(len(boxes), dtype=torch.long)))
        return out
    model.detector.roi_head.predict = predict


@pytest.fixture
def colour_inferencer():
    cfg = tiny_method2_config(encoder=dict(type='MeanColorEncoder'))
    return RECInferencer(cfg, device='cpu', allow_random_weights=True)  # the test double's colours decide


def test_path_and_array_inputs_give_known_boxes(colour_inferencer, tmp_path):
    image, boxes = colored_squares(size=(96, 64), squares=SQUARES)
    fixed_detections(colour_inferencer.model, np.stack([boxes['green'], boxes['blue'], boxes['red']]),
                     [0.9, 0.8, 0.7])
    path = str(tmp_path / 'squares.png')
    cv2.imwrite(path, image)
    for source in (path, image):
        preds = colour_inferencer(source, ['the red one', 'blue', 'green square'])
        assert [type(p) for p in preds] == [RECPrediction] * 3
        assert [p.text for p in preds] == ['the red one', 'blue', 'green square']
        for pred, name in zip(preds, ('red', 'blue', 'green')):
            np.testing.assert_allclose(pred.bbox, boxes[name], atol=1e-3)  # original pixels, after the resize
            assert 0 < pred.score <= 1
    single = colour_inferencer(image, 'red')
    assert len(single) == 1 and np.allclose(single[0].bbox, boxes['red'], atol=1e-3)
    sample = colour_inferencer.predict_sample(image, ['red'])
    assert sample.metainfo['scale_factor'] != (1.0, 1.0)  # the config's Resize ran
    assert len(sample.candidates) == 3


def test_grayscale_inputs(colour_inferencer, tmp_path):
    image, boxes = colored_squares(size=(96, 64), squares={'red': [5, 5, 30, 30], 'yellow': [50, 20, 90, 60]})
    gray = np.full(image.shape[:2], 128, np.uint8)
    gray[5:30, 5:30], gray[20:60, 50:90] = 15, 245
    fixed_detections(colour_inferencer.model, np.stack([boxes['red'], boxes['yellow']]), [0.9, 0.8])
    path = str(tmp_path / 'gray.png')
    cv2.imwrite(path, gray)  # a single-channel file
    for source in (path, gray, gray[..., None]):
        preds = colour_inferencer(source, ['white', 'black'])
        np.testing.assert_allclose(preds[0].bbox, boxes['yellow'], atol=1e-3)
        np.testing.assert_allclose(preds[1].bbox, boxes['red'], atol=1e-3)


def test_no_detections_answer_the_whole_image(tmp_path):
    cfg = tiny_method2_config(clip_dir=save_tiny_clip(str(tmp_path / 'clip')))
    inferencer = RECInferencer(cfg, cfg_options={'model.test_cfg.rcnn.score_thr': 1.01},  # nothing passes
                               allow_random_weights=True)
    image, _ = colored_squares(size=(90, 50))
    preds = inferencer(image, ['the red square', ''])
    for pred in preds:
        np.testing.assert_allclose(pred.bbox, [0, 0, 90, 50])
    assert inferencer.model.scorer.policy.num_images_without_candidates == 1


def test_bad_inputs(colour_inferencer, tmp_path):
    with pytest.raises(FileNotFoundError, match='no_such.jpg'):
        colour_inferencer(str(tmp_path / 'no_such.jpg'), 'red')
    with pytest.raises(ValueError, match='shape'):
        colour_inferencer(np.zeros((4, 5, 6, 7), np.uint8), 'red')


def test_no_checkpoint_is_refused_unless_random_weights_are_asked_for():
    """Without a checkpoint (argument or load_from) the model's weights would be random: refused in one line that
    names the fix; ``allow_random_weights=True`` (tiny models' smoke runs) answers, with a warning."""
    from mmrec.testing import logged_warnings
    from mmrec.utils import UserError

    cfg = tiny_method2_config(encoder=dict(type='MeanColorEncoder'))
    with pytest.raises(UserError) as refused:
        RECInferencer(cfg, device='cpu')
    message = str(refused.value)
    assert '\n' not in message and 'no checkpoint' in message and 'random weights' in message
    assert "RECInferencer(config, 'model.pth')" in message and 'allow_random_weights=True' in message
    with logged_warnings() as warnings:
        RECInferencer(cfg, device='cpu', allow_random_weights=True)
    assert any('RECInferencer: no checkpoint and allow_random_weights=True' in m for m in warnings.messages)
