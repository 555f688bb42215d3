"""RECDetector through tools/test.py (in process) on synthetic REFER data: a plain Faster R-CNN, RetinaNet and
DINO checkpoint, and a text-prompted detector whose per-expression candidates go through the cache and --out
unchanged (cached == uncached)."""
import json
import re

import numpy as np
import pytest

import mmrec.testing  # noqa: F401  (registers the test doubles)
from mmrec.models.method2.subject_prompt import subject_prompt
from mmrec.testing import TINY_DETECTORS, rec_detector_config, save_detector_checkpoint

COLOUR = dict(type='MeanColorEncoder')


@pytest.fixture(scope='module')
def data(tmp_path_factory) -> dict:
    from mmrec.datasets import generate_synthetic_refer

    root = tmp_path_factory.mktemp('refer')
    return generate_synthetic_refer(str(root), num_images={'val': 3}, image_size=(96, 96), seed=2)


def run_tool(load_tool, cfg, tmp_path, name: str, checkpoint=None, *options) -> tuple:
    """``tools/test.py CONFIG [CHECKPOINT] --out ...`` in process on the synthetic val split; returns
    ``(rows of --out, everything printed)``."""
    cfg.test_dataloader.dataset.update(split='val')
    cfg.test_dataloader.update(num_workers=0, persistent_workers=False)
    path = str(tmp_path / f'{name}.py')
    cfg.dump(path)
    out = str(tmp_path / f'{name}.jsonl')
    argv = [path] + ([checkpoint] if checkpoint else []) + ['--work-dir', str(tmp_path / name), '--out', out,
                                                            *options]
    load_tool('test').main(argv)
    with open(out) as f:
        return [json.loads(line) for line in f if line.strip()]


def with_data(cfg, data):
    cfg.test_dataloader.dataset.update(data['dataset_kwargs'])
    return cfg


@pytest.mark.parametrize('family', sorted(TINY_DETECTORS))
def test_tools_test_with_a_plain_detector_checkpoint(family, data, load_tool, tmp_path):
    detector = TINY_DETECTORS[family]()
    checkpoint = save_detector_checkpoint(detector, str(tmp_path / f'{family}.pth'))
    rows = run_tool(load_tool, with_data(rec_detector_config(detector, COLOUR), data), tmp_path, family, checkpoint)
    assert len(rows) == data['num_expressions']['val']  # every expression answered once
    assert all(len(row['pred_bbox']) == 4 and row['upper_bound_hit'] is not None for row in rows)


#: Where the grounding double "finds" each shape of the synthetic images (fractions of the image).
SHAPES = dict(boxes=[[0.0, 0.0, 0.5, 0.5], [0.5, 0.0, 1.0, 0.5], [0.0, 0.5, 0.5, 1.0], [0.5, 0.5, 1.0, 1.0],
                     [0.25, 0.25, 0.75, 0.75]],
              names=['circle', 'square', 'triangle', 'circle', 'square'])


def test_per_expression_candidates_through_the_cache_and_out_unchanged(data, load_tool, tmp_path, capsys):
    detector = dict(type='NamedBoxesDetector', language_model=dict(type='any'), **SHAPES,
                    data_preprocessor=TINY_DETECTORS['retinanet']()['data_preprocessor'])
    cfg = with_data(rec_detector_config(detector, COLOUR, prompt='subject'), data)
    cfg.model.scorer.reasoner = dict(type='SpatialReasoningRescorer')
    cache = str(tmp_path / 'cache')
    plain = run_tool(load_tool, cfg.copy(), tmp_path, 'plain')
    capsys.readouterr()
    first = run_tool(load_tool, cfg.copy(), tmp_path, 'first', None, '--cache-dir', cache)
    computed = capsys.readouterr().out
    second = run_tool(load_tool, cfg.copy(), tmp_path, 'second', None, '--cache-dir', cache)
    read = capsys.readouterr().out
    assert plain == first == second  # every row, every field (boxes, scores, IoU, upper bound)
    assert len(plain) == data['num_expressions']['val']
    entries = int(re.search(r'detections: 0 read \(0 from disk\), (\d+) computed', computed).group(1))
    assert entries > data['num_images']['val']  # per image and prompt, not per image
    assert f'detections: {entries} read ({entries} from disk), 0 computed' in read
    # each answer is among its own expression's candidates: the boxes named by its subject (else the whole image)
    for row in plain:
        words = set(subject_prompt(row['text']).split())
        allowed = [[v * 96 for v in box] for box, name in zip(SHAPES['boxes'], SHAPES['names']) if name in words]
        assert any(np.allclose(row['pred_bbox'], box, atol=1e-3) for box in allowed or [[0, 0, 96, 96]]), row
    assert len({tuple(row['pred_bbox']) for row in plain}) > 2


def test_tools_test_refuses_another_detectors_checkpoint_before_reading_an_image(data, load_tool, tmp_path,
                                                                                  monkeypatch):
    from mmcv.transforms import LoadImageFromFile

    retinanet = save_detector_checkpoint(TINY_DETECTORS['retinanet'](), str(tmp_path / 'retinanet.pth'))
    monkeypatch.setattr(LoadImageFromFile, 'transform', lambda *args: pytest.fail('an image was read'))
    cfg = with_data(rec_detector_config(TINY_DETECTORS['dino'](), COLOUR), data)
    with pytest.raises(ValueError, match=r"^checkpoint key '[^']+' is missing from the checkpoint \(\d+ missing, "
                                         r'\d+ unexpected detector keys\): the checkpoint was written for another '
                                         r'detector: set model\.detector to the config it was trained with'):
        run_tool(load_tool, cfg, tmp_path, 'wrong', retinanet)
