"""tools/test.py on the other benchmarks' method 2 configs (configs/benchmarks/), with the tiny detector and CLIP:
your own JSON lines (RECMetric, --out) and gRefCOCO with the generalised answers (GRECMetric)."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from mmrec.apps.quickstart import scale_option
from mmrec.testing import TINY_DETECTOR_OPTIONS, cli_options, save_tiny_clip, save_tiny_detector
from mmrec.testing.benchmark_files import coco_file, write_grefcoco, write_image, write_jsonl

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _config(name: str) -> str:
    return f'configs/benchmarks/method2_clip-vit-b32_r50_fpn_refcoco-ft_{name}.py'


@pytest.fixture(scope='module')
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp('models')
    clip = save_tiny_clip(str(root / 'clip'))
    return dict(clip=clip, detector=save_tiny_detector(str(root / 'detector.pth'), clip))


def _test(config: str, checkpoint: str, work_dir: str, *options: str, out: str = '') -> dict:
    """Run tools/test.py; return the metrics it logged."""
    args = [sys.executable, 'tools/test.py', config, checkpoint, '--work-dir', work_dir]
    args += ['--out', out] if out else []
    proc = subprocess.run(args + ['--cfg-options', *options], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]
    logs = [osp.join(dirpath, name) for dirpath, _, names in os.walk(work_dir) for name in names
            if name.endswith('.json') and name[:-5] == osp.basename(dirpath)]
    with open(logs[0]) as f:
        return json.loads(f.readlines()[-1])


def _common(models: dict, data_root: str, config: str) -> list:
    return cli_options(dict(TINY_DETECTOR_OPTIONS, **{
        'model.scorer.encoder.name_or_path': models['clip'], 'model.test_cfg.rcnn.score_thr': 0.0,
        'test_dataloader.dataset.data_root': data_root + '/', 'test_dataloader.num_workers': 0,
        'test_dataloader.persistent_workers': False})) + [scale_option(config, 'test_dataloader.dataset', (96, 64))]


def test_json_lines_evaluate_and_dump_one_row_per_expression(models, tmp_path):
    for name in ('a.jpg', 'b.jpg'):
        write_image(str(tmp_path / 'data' / 'images' / name), (96, 64))
    write_jsonl(str(tmp_path / 'data' / 'expressions.jsonl'), [
        dict(image='a.jpg', expression='the red square', box=[10, 10, 40, 40], split='val'),
        dict(image='a.jpg', expression='the blue square', box=[50, 10, 90, 50], split='val'),
        dict(image='b.jpg', expression='the green one', box=[0, 0, 96, 64], split='test'),
        'not json'])
    out = str(tmp_path / 'predictions.jsonl')
    metrics = _test(_config('jsonl'), models['detector'], str(tmp_path / 'work'),
                    *_common(models, str(tmp_path / 'data'), _config('jsonl')), out=out)
    assert {'rec/accuracy', 'rec/val/accuracy', 'rec/test/accuracy'} <= set(metrics)
    with open(out) as f:
        rows = [json.loads(line) for line in f]
    assert [row['text'] for row in rows] == ['the red square', 'the blue square', 'the green one']
    assert rows[2]['img_id'] == 'b.jpg' and rows[2]['sent_id'] == 3


def _write_grefcoco(data: str) -> None:
    """One image with two squares' annotations; a two-target and a no-target expression (val)."""
    images = [dict(id=1, file_name='COCO_train2014_000000000001.jpg', height=64, width=96)]
    annotations = [dict(id=11, image_id=1, category_id=1, bbox=[10, 10, 30, 30], area=900, iscrowd=0),
                   dict(id=12, image_id=1, category_id=1, bbox=[50, 10, 40, 40], area=1600, iscrowd=0)]
    grefs = [dict(ref_id=1, image_id=1, ann_id=[11, 12], category_id=[1, 1], split='val',
                  sentences=[dict(sent='both squares', sent_id=1)]),
             dict(ref_id=2, image_id=1, ann_id=[-1], category_id=[-1], split='val',
                  sentences=[dict(sent='a giraffe', sent_id=2)])]
    write_grefcoco(osp.join(data, 'grefcoco'), grefs, coco_file(images, annotations, [dict(id=1, name='x')]),
                   images_dir=osp.join(data, 'train2014'))


def test_grefcoco_with_generalised_answers(models, tmp_path):
    _write_grefcoco(str(tmp_path / 'data'))
    options = _common(models, str(tmp_path / 'data'), _config('grefcoco')) + ['model.scorer.generalized_score_thr=2.0',
                                                             'test_evaluator.score_thr=2.0']
    out = str(tmp_path / 'predictions.jsonl')
    metrics = _test(_config('grefcoco'), models['detector'], str(tmp_path / 'work'), *options, out=out)
    # cosines never reach 2: nothing is returned, so the no-target expression is right and the other is not
    assert metrics['grec/pr_f1'] == 0.5 and metrics['grec/n_acc'] == 1.0 and metrics['grec/t_acc'] == 0.0
    with open(out) as f:  # --out: GRECMetric's rows, every target and no kept box
        both, giraffe = [json.loads(line) for line in f]
    assert both['text'] == 'both squares' and both['gt_bboxes'] == [[10, 10, 40, 40], [50, 10, 90, 50]]
    assert both['pred_bboxes'] == [] and not both['correct'] and both['ann_id'] == [11, 12]
    assert giraffe['no_target'] and giraffe['pred_bboxes'] == [] and giraffe['correct']


def test_sweep_over_the_generalised_threshold(models, tmp_path):
    """tools/sweep.py picks the threshold on a val split: one pass, one row per threshold with GRECMetric's
    figures (-1: every candidate answers every expression; 2: nothing answers any)."""
    _write_grefcoco(str(tmp_path / 'data'))
    options = _common(models, str(tmp_path / 'data'), _config('grefcoco')) + ['test_evaluator.score_thr=-1.0']
    args = [sys.executable, 'tools/sweep.py', _config('grefcoco'), models['detector'], '--work-dir',
            str(tmp_path / 'work'), '--grid', 'model.scorer.generalized_score_thr=-1.0,2.0', '--cfg-options', *options]
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]
    assert 'pr_f1' in proc.stdout + proc.stderr  # the printed table has GRECMetric's columns
    sweep_json, = [osp.join(d, 'sweep.json') for d, _, names in os.walk(tmp_path / 'work') if 'sweep.json' in names]
    with open(sweep_json) as f:
        everything, nothing = [entry['metrics'] for entry in json.load(f)]
    assert everything['grec/n_acc'] == 0.0 and everything['grec/t_acc'] == 1.0
    assert nothing['grec/pr_f1'] == 0.5 and nothing['grec/n_acc'] == 1.0 and nothing['grec/t_acc'] == 0.0
