"""The benchmark's code path on tiny models: the JSON it prints, the agreement it reports, its FLOP count."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from mmrec.apps.benchmark import (NaiveMethod1, NaiveMethod2, VOCABULARY, box_agreement, build_inferencer,
                             calibrate_score_threshold, clip_vision_flops, make_workload, method_config,
                             run_mmrec, save_random_clip)

# (width, height) of the test images; the tiny detector's Resize is set to the same, so that mmrec crops the
# same pixels as the naive pipeline does from the original image.
SIZE = (160, 120)


@pytest.fixture(scope='module')
def clip_dir(tmp_path_factory) -> str:
    return save_random_clip(str(tmp_path_factory.mktemp('clip')), VOCABULARY, tiny=True)


def test_workload_is_refcoco_shaped_and_reproducible():
    images = make_workload(3, expressions_per_image=7, seed=1)
    again = make_workload(3, expressions_per_image=7, seed=1)
    assert [image.size for image in images] == [(640, 480), (640, 427), (480, 640)]
    assert all(len(image.texts) == 7 and image.image_bgr.dtype == np.uint8 for image in images)
    assert all(np.array_equal(a.image_bgr, b.image_bgr) and a.texts == b.texts for a, b in zip(images, again))
    assert {word for image in images for text in image.texts for word in text.split()} <= set(VOCABULARY)
    with pytest.raises(ValueError, match='num_images'):
        make_workload(0)


def test_box_agreement_counts_rows_with_the_same_box():
    boxes = [[0, 0, 10, 10], [5, 5, 25, 25], [0, 0, 4, 4]]
    assert box_agreement(boxes, boxes) == 1.0
    moved = [[0, 0, 10, 10], [6, 5, 26, 25], [0, 0, 4, 4]]  # row 1: IoU 0.905
    assert box_agreement(boxes, moved) == pytest.approx(2 / 3)
    assert box_agreement(boxes, moved, iou_thr=0.9) == 1.0
    assert box_agreement([], []) == 1.0
    with pytest.raises(ValueError, match='3 answers against 2'):
        box_agreement(boxes, boxes[:2])


def test_clip_flops_match_a_hand_count_and_torch_flop_counter(clip_dir):
    from torch.utils.flop_counter import FlopCounterMode
    from transformers import CLIPConfig, CLIPModel

    vit_b32 = CLIPConfig()
    # patch embedding + 12 x (QKV, QK^T, AV, out projection, MLP) over 50 tokens + projection of the class token
    expected = (2 * 49 * 3072 * 768 + 12 * 2 * 50 * 768 * (3 * 768 + 2 * 50 + 768 + 2 * 3072) + 2 * 768 * 512)
    assert clip_vision_flops(vit_b32.vision_config, vit_b32.projection_dim)['total'] == expected == 8_817_623_040

    # eager attention: torch's flop counter does not see inside the CPU fused attention kernel
    model = CLIPModel.from_pretrained(clip_dir, attn_implementation='eager').eval()
    crops = torch.rand(3, 3, model.config.vision_config.image_size, model.config.vision_config.image_size)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model.visual_projection(model.vision_model(pixel_values=crops).pooler_output)
    counted = clip_vision_flops(model.config.vision_config, model.config.projection_dim)['total']
    assert 3 * counted == counter.get_total_flops()


@pytest.mark.parametrize('method', [2, 1])
def test_naive_pipeline_agrees_with_mmrec_when_cropping_the_same_pixels(clip_dir, method):
    """Same model, same images, no detector resize, mmrec cropping its input with roi_align
    (``crop_source='input'``) and the naive crops made with roi_align from the original image: every answer
    matches, so a disagreement in the benchmark can only come from crop resampling and numerics."""
    images = make_workload(2, expressions_per_image=4, sizes=(SIZE, ), seed=3)
    inferencer = build_inferencer(method_config(method, clip_dir, top_k=4, tiny=True, image_scale=SIZE,
                                                crop_source='input'))
    if method == 2:
        calibrate_score_threshold(inferencer, images[0], pairs=50)
    naive = (NaiveMethod2 if method == 2 else NaiveMethod1)(inferencer, resample='roi_align')
    ours, reference = run_mmrec(inferencer, images), naive(images)
    assert len(ours) == len(reference) == 8
    assert box_agreement(ours, reference) == 1.0
    # K crops per expression; method 1 adds 2 rounds of (the current box + 3 x 3 shifts x 3 scales)
    assert naive.clip.num_crops == 8 * (4 if method == 2 else 4 + 2 * 28)
    # a genuinely different answer is counted as a disagreement
    reference[0] = [reference[0][0] + 5, reference[0][1], reference[0][2] + 5, reference[0][3]]
    assert box_agreement(ours, reference) == pytest.approx(7 / 8)


@pytest.mark.parametrize('method', [2, 1])
def test_mmrec_chooses_the_naive_pil_bicubic_boxes_through_a_detector_resize(clip_dir, method):
    """The benchmark's default: mmrec crops the loaded image as PIL's bicubic resize does
    (``crop_source='original'``), so although the detector resizes the images (200x150 -> 160x120), mmrec
    picks the boxes the naive pipeline picks from its own PIL crops, and its crops are PIL's to the grey level.
    Cropping the resized input with roi_align instead (the old path) changes many of method 1's answers."""
    images = make_workload(2, expressions_per_image=4, sizes=((200, 150), ), seed=3)
    inferencer = build_inferencer(method_config(method, clip_dir, top_k=4, tiny=True))
    if method == 2:
        calibrate_score_threshold(inferencer, images[0], pairs=50)
    naive = (NaiveMethod2 if method == 2 else NaiveMethod1)(inferencer, resample='bicubic')
    ours, reference = run_mmrec(inferencer, images), naive(images)
    assert box_agreement(ours, reference) == 1.0

    model = inferencer.model
    encoder = model.scorer.encoder if method == 2 else model.roi_head.bbox_head.encoder
    assert encoder.crop_source == 'original'
    rgb = np.ascontiguousarray(images[0].image_bgr[..., ::-1])
    original = torch.from_numpy(rgb.transpose(2, 0, 1).copy())
    boxes = torch.tensor(reference[:4], dtype=torch.float32)
    view = model.crop_geometry.view(original, dict(img_shape=rgb.shape[:2]), original)
    crops = encoder.crop_boxes(view, boxes)
    pil = Image.fromarray(rgb)
    expected = np.stack([naive.clip._crop(pil, tuple(box)) for box in boxes.tolist()])
    assert np.abs(crops.permute(0, 2, 3, 1).numpy() - expected).max() <= 1.0

    if method == 1:
        roi_align = build_inferencer(method_config(1, clip_dir, top_k=4, tiny=True, crop_source='input'))
        assert box_agreement(run_mmrec(roi_align, images), reference) < 0.9


def test_score_threshold_calibration_keeps_the_requested_pairs(clip_dir):
    image = make_workload(1, expressions_per_image=2, sizes=(SIZE, ))[0]
    inferencer = build_inferencer(method_config(2, clip_dir, top_k=3, tiny=True))
    threshold = calibrate_score_threshold(inferencer, image, pairs=40)
    assert inferencer.model.detector.roi_head.test_cfg.score_thr == threshold
    sample = inferencer.predict_sample(image.image_bgr, image.texts)
    assert len(sample.candidates) == 3
    assert bool((sample.candidates.scores > threshold).all())


def test_benchmark_tool_prints_the_figures_as_a_last_json_line(capsys, repo_root):
    import importlib.util
    spec = importlib.util.spec_from_file_location('benchmark_tool', f'{repo_root}/tools/benchmark.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    tool.main(['--tiny', '--num-images', '1', '--expressions-per-image', '2', '--top-k', '3',
               '--clip-batch', '4', '--threads', '1', '--sweep-images', '2'])
    lines = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(lines[-1])
    for key in ('m2_speedup', 'm1_speedup', 'clip_roofline_fraction', 'm2_agreement', 'm1_agreement',
                'm2_expr_per_s', 'm2_naive_expr_per_s', 'm1_expr_per_s', 'm1_naive_expr_per_s',
                'clip_crops_per_s', 'matmul_peak_gflops', 'peak_memory_mb', 'device_name', 'load_average',
                'grounding_speedup', 'grounding_same_boxes'):
        assert key in figures, key
    assert figures['num_expressions'] == 2 and figures['threads'] == 1
    assert figures['m2_naive_crops_per_expr'] == 3 and figures['m1_naive_crops_per_expr'] == 3 + 2 * 28
    for key in ('m2_speedup', 'm1_speedup', 'clip_roofline_fraction', 'peak_memory_mb'):
        assert figures[key] > 0
    for key in ('m2_agreement', 'm1_agreement'):
        assert figures[key] in (0.0, 0.5, 1.0)  # two expressions
    assert figures['m2_speedup'] == pytest.approx(figures['m2_naive_seconds'] / figures['m2_seconds'])
    assert any(line.startswith('method 2') for line in lines) and any('of peak' in line for line in lines)
    # the research loop: 8 scoring points in one pass give the 8 separate evaluations' metrics exactly
    assert figures['sweep_points'] == 8 and figures['sweep_max_metric_diff'] == 0
    assert figures['sweep_speedup'] == pytest.approx(figures['sweep_separate_seconds'] / figures['sweep_seconds'])
    assert figures['cache_same_metrics'] is True and figures['cache_speedup'] > 0
    assert any('8-point scoring sweep' in line for line in lines)


def test_benchmark_sweep_part_alone_measures_method_1_too(capsys, load_tool):
    load_tool('benchmark').main(['--tiny', '--parts', 'sweep', '--sweep-methods', '1', '--sweep-images', '1',
                                 '--threads', '1'])
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures['m1_sweep_points'] == 8 and figures['m1_sweep_max_metric_diff'] == 0
    assert 'm2_speedup' not in figures and 'sweep_speedup' not in figures


def test_benchmark_grounding_part_computes_the_same_outputs_with_the_image_side_shared(capsys, load_tool):
    load_tool('benchmark').main(['--tiny', '--parts', 'grounding', '--num-images', '1', '--expressions-per-image', '3',
                                 '--threads', '1'])
    lines = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(lines[-1])
    assert figures['grounding_expressions'] == 3
    # Same computation up to float rounding: the head's logits and boxes of all queries agree. (Bit-identical top
    # boxes are not asserted: the tiny random model's near-tied scores reorder at a last-bit difference, which
    # BLAS kernels give on another CPU or memory alignment; CI once saw 0 of 3 identical.)
    assert figures['grounding_max_head_difference'] < 1e-4, figures['grounding_max_head_difference']
    assert 0 <= figures['grounding_same_boxes'] <= 1
    assert figures['grounding_speedup'] == pytest.approx(figures['grounding_naive_seconds']
                                                         / figures['grounding_seconds'])
    share = figures['grounding_image_share']
    assert 0 < share < 1
    assert figures['grounding_image_sharing_speedup'] == pytest.approx(1 / (1 - share + share / 3))
    assert 1 <= figures['grounding_text_calls_per_image'] <= 3  # one text batch per token layout
    assert 'm2_speedup' not in figures and any(line.startswith('grounding detector (tiny)') for line in lines)


def test_the_sweep_metric_difference_shows_a_missing_metric_and_a_one_sided_nan():
    from mmrec.apps.benchmark.sweep import max_metric_difference

    nan = float('nan')
    assert max_metric_difference([{'a': 0.5, 'b': nan}], [{'a': 0.25, 'b': nan}]) == 0.25
    assert max_metric_difference([{'a': 0.5, 'b': 0.1}], [{'a': 0.5}]) == float('inf')  # b missing
    assert max_metric_difference([{'a': 0.5}], [{'a': 0.5, 'b': 0.1}]) == float('inf')  # b extra
    assert max_metric_difference([{'a': nan}], [{'a': 0.5}]) == float('inf')
    assert max_metric_difference([{'a': 0.5}], []) == float('inf')


def test_the_head_difference_is_the_largest_over_calls_and_outputs_and_refuses_unpaired_runs():
    import torch

    from mmrec.apps.benchmark.grounding import largest_difference

    zeros = (torch.zeros(1, 2, 3), torch.zeros(1, 2, 4))
    boxes_off = (torch.zeros(1, 2, 3), torch.tensor([[[0, 0, 0, 0], [0, 0.25, 0, 0]]]))
    logits_off = (torch.full((1, 2, 3), -0.5), torch.zeros(1, 2, 4))
    assert largest_difference([zeros, zeros], [zeros, boxes_off]) == 0.25
    assert largest_difference([zeros, zeros], [logits_off, boxes_off]) == 0.5
    assert largest_difference([], []) == 0.0
    with pytest.raises(ValueError, match='2 and 1 times'):
        largest_difference([zeros, zeros], [zeros])
