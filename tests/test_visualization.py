"""Drawing a REC result and the test-time visualisation hook."""
import os.path as osp
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from mmdet.registry import HOOKS
from mmdet.structures import DetDataSample
from mmrec.visualization import (GT_COLOR, PRED_COLOR, RECVisualizationHook,
                                 draw_rec_prediction, wrap_text)

GRAY = 128


def is_text_pixel(pixels):
    """Light pixels: the caption's white/gray glyphs on its dark background."""
    return (np.asarray(pixels) > 150).all(axis=-1)


def test_boxes_drawn_in_their_colours_on_their_edges():
    image = np.full((120, 160, 3), GRAY, np.uint8)
    out = draw_rec_prediction(
        image, 'the dog', gt_bbox=[20, 30, 80, 90],
        pred_bbox=[60, 40, 140, 100], score=0.5, min_width=0)
    assert out.shape[1] == 160 and out.shape[0] > 120  # caption band below
    # gt: bottom edge (y=90) and left edge (x=20)
    assert tuple(out[90, 40]) == GT_COLOR
    assert tuple(out[60, 20]) == GT_COLOR
    # prediction: right edge (x=140) and bottom edge (y=100)
    assert tuple(out[70, 140]) == PRED_COLOR
    assert tuple(out[100, 100]) == PRED_COLOR
    # inside the boxes and far from them the picture is untouched
    assert tuple(out[60, 40]) == (GRAY, ) * 3
    assert tuple(out[10, 150]) == (GRAY, ) * 3
    # the input is not modified
    assert (image == GRAY).all()


def test_expression_is_written_in_the_label_area():
    image = np.full((120, 160, 3), GRAY, np.uint8)
    out = draw_rec_prediction(image, 'the dog', [20, 30, 80, 90],
                              [60, 40, 140, 100], min_width=0)
    band = out[120:]
    assert is_text_pixel(band).sum() > 20
    # the band's background is dark and filled: most pixels are not text
    assert (band.max(axis=-1) < 100).mean() > 0.5


def test_long_expressions_wrap_inside_the_image_width():
    image = np.full((120, 160, 3), GRAY, np.uint8)
    short = draw_rec_prediction(image, 'dog', [0, 0, 10, 10], None, min_width=0)
    text = 'the small brown dog sitting on the left next to a red chair'
    long = draw_rec_prediction(image, text, [0, 0, 10, 10], None, min_width=0)
    assert long.shape[0] > short.shape[0]  # more caption lines
    lines = wrap_text(text, max_width=148, font_scale=0.45)
    assert len(lines) > 1 and ' '.join(lines) == text
    for line in lines:
        width = cv2.getTextSize(line, cv2.FONT_HERSHEY_SIMPLEX, 0.45, 1)[0][0]
        assert width <= 148
    # a single word wider than a line is cut, not dropped
    assert ''.join(wrap_text('x' * 200, 100, 0.45)) == 'x' * 200


def test_grayscale_and_tiny_images_are_enlarged_and_drawn():
    tiny = np.full((12, 16), GRAY, np.uint8)  # grayscale, 16 px wide
    out = draw_rec_prediction(tiny, 'a cat', gt_bbox=None,
                              pred_bbox=[2, 2, 10, 8], min_width=320)
    assert out.ndim == 3 and out.shape[2] == 3
    assert out.shape[1] == 320  # enlarged 20 times
    # the box is scaled with the image: bottom edge at y=160, x from 40 to 200
    assert tuple(out[160, 120]) == PRED_COLOR
    assert is_text_pixel(out[240:]).sum() > 20


def test_boxes_are_clipped_to_the_image():
    image = np.full((120, 160, 3), GRAY, np.uint8)
    out = draw_rec_prediction(image, 'everything', None,
                              [-50, -50, 500, 500], min_width=0)
    assert tuple(out[119, 80]) == PRED_COLOR  # bottom border
    assert tuple(out[60, 159]) == PRED_COLOR  # right border
    # a box entirely outside the image (or NaN) leaves the picture alone
    out = draw_rec_prediction(image, 'nothing', [300, 300, 400, 400],
                              [np.nan, 0, 5, 5], min_width=0)
    assert (out[:120] == GRAY).all()


# ------------------------------------------------------------------------ hook
def write_image(path, height=80, width=100):
    cv2.imwrite(str(path), np.full((height, width, 3), GRAY, np.uint8))
    return str(path)


def predicted_sample(img_id, img_path, gt_boxes, pred_boxes):
    sample = DetDataSample(
        metainfo=dict(
            img_id=img_id,
            img_path=img_path,
            texts=[f'thing {i}' for i in range(len(gt_boxes))],
            expressions=[
                dict(text=f'thing {i}', bbox=box, sent_id=img_id * 10 + i,
                     split='val') for i, box in enumerate(gt_boxes)
            ]))
    sample.pred_instances = InstanceData(
        bboxes=torch.tensor(pred_boxes, dtype=torch.float32),
        scores=torch.full((len(pred_boxes), ), 0.7))
    return sample


@pytest.fixture
def outputs(tmp_path):
    first = write_image(tmp_path / 'first.png')
    second = write_image(tmp_path / 'second.png')
    return [
        predicted_sample(1, first, [[10, 10, 50, 50], [0, 0, 20, 20],
                                    [30, 30, 90, 70]],
                         [[20, 20, 60, 60], [0, 0, 20, 20], [5, 5, 95, 75]]),
        predicted_sample(2, second, [[10, 10, 50, 50]], [[40, 20, 90, 70]]),
    ]


def fake_runner(work_dir):
    return SimpleNamespace(work_dir=str(work_dir), timestamp='20240101_120000')


def test_hook_writes_one_picture_per_expression(tmp_path, outputs):
    hook = HOOKS.build(dict(type='RECVisualizationHook', draw=True,
                            test_out_dir='show'))
    assert isinstance(hook, RECVisualizationHook)
    runner = fake_runner(tmp_path / 'work')
    hook.before_test(runner)
    hook.after_test_iter(runner, 0, data_batch=None, outputs=outputs)

    out_dir = tmp_path / 'work' / '20240101_120000' / 'show'
    assert sorted(p.name for p in out_dir.iterdir()) == [
        '1_10.jpg', '1_11.jpg', '1_12.jpg', '2_20.jpg']
    picture = cv2.imread(str(out_dir / '2_20.jpg'))
    assert picture.shape[1] == 320  # the 100 px image enlarged for the caption
    # predicted right edge x=90 -> 288 after scaling by 3.2; jpeg is lossy
    blue, green, red = picture[int(45 * 3.2), 288].astype(int)
    assert red > 150 and green < 100 and blue < 100
    blue, green, red = picture[int(30 * 3.2), 32].astype(int)  # gt left edge
    assert green > 150 and red < 100 and blue < 100


def test_hook_respects_draw_interval_limit_and_absolute_dir(tmp_path, outputs):
    runner = fake_runner(tmp_path / 'work')
    RECVisualizationHook(draw=False, test_out_dir='off').after_test_iter(
        runner, 0, None, outputs)
    assert not (tmp_path / 'work').exists()

    absolute = tmp_path / 'pictures'
    hook = RECVisualizationHook(draw=True, test_out_dir=str(absolute),
                                max_per_image=1, interval=2)
    hook.after_test_iter(runner, 1, None, outputs)  # skipped by the interval
    assert not absolute.exists()
    hook.after_test_iter(runner, 2, None, outputs)
    assert sorted(p.name for p in absolute.iterdir()) == ['1_10.jpg', '2_20.jpg']


def test_hook_reports_a_prediction_that_does_not_fit(tmp_path, outputs):
    broken = outputs[1]
    broken.pred_instances = InstanceData(
        bboxes=torch.zeros((3, 4)), scores=torch.zeros(3))
    hook = RECVisualizationHook(draw=True, test_out_dir='show')
    with pytest.raises(ValueError, match='img_id=2'):
        hook.after_test_iter(fake_runner(tmp_path), 0, None, [broken])
    assert osp.isdir(tmp_path / '20240101_120000' / 'show')
