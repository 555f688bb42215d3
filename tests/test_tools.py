"""End to end through the command-line tools, on tiny synthetic REFER data and tiny models.

One module-level run trains the tiny detector for an epoch with tools/train.py; the tests then resume it,
evaluate method 2 over it with tools/test.py (metrics, --out, --show-dir) and compare a 2-process (gloo)
evaluation with the single-process one.
"""
import glob
import json
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List

import pytest
import torch

from mmrec.datasets.synthetic import generate_synthetic_refer, synthetic_vocabulary
from mmrec.apps.quickstart import scale_option
from mmrec.testing import save_tiny_clip

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DETECTOR_CONFIG = 'configs/detector/faster-rcnn_r18-tiny_fpn_20e_synthetic.py'
METHOD2_CONFIG = 'configs/method2_tiny-clip_r18-tiny_fpn_synthetic.py'
# 3 + 2 + 2 = 7 test images: an odd count, so two ranks need sampler padding.
NUM_IMAGES = {'train': 6, 'val': 3, 'testA': 2, 'testB': 2}
SCALE = (96, 96)


def run_tool(args: List[str], timeout: int = 600) -> str:
    """Run a tool from the repository root; fail with its output when it exits non-zero."""
    proc = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f'{" ".join(args)} failed:\n{output[-5000:]}'
    return output


def train_options(data_root: str, max_epochs: int) -> List[str]:
    """The ``--cfg-options`` values that train the tiny detector on the synthetic data in ``data_root``."""
    return [f'train_cfg.max_epochs={max_epochs}', f'train_dataloader.dataset.data_root={data_root}/',
            scale_option(DETECTOR_CONFIG, 'train_dataloader.dataset', SCALE), 'default_hooks.logger.interval=1']


def train(work_dir: str, data_root: str, max_epochs: int, *extra: str) -> str:
    return run_tool(['tools/train.py', DETECTOR_CONFIG, '--work-dir', work_dir, *extra, '--cfg-options',
                     *train_options(data_root, max_epochs)])


def rec_test_options(data_root: str, clip_dir: str) -> List[str]:
    return [f'test_dataloader.dataset.data_root={data_root}/',
            scale_option(METHOD2_CONFIG, 'test_dataloader.dataset', SCALE),
            f'model.scorer.encoder.name_or_path={clip_dir}']


def read_test_metrics(work_dir: str) -> Dict[str, float]:
    """The metrics that mmengine's LoggerHook wrote for the (only) test run in ``work_dir``."""
    logs = [p for p in glob.glob(osp.join(work_dir, '*', '*.json'))
            if osp.basename(p)[:-5] == osp.basename(osp.dirname(p))]
    assert len(logs) == 1, logs
    with open(logs[0]) as f:
        return {k: v for k, v in json.load(f).items() if k.startswith('rec/')}


def read_rows(path: str) -> List[dict]:
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def assert_same_evaluation(single_dir: str, dist_dir: str) -> None:
    """A distributed tools/test.py run in ``dist_dir`` reported the metrics of the one-process run in
    ``single_dir`` and predicted every expression exactly once, with the same box (both ran with
    ``--out <dir>/rows.jsonl``)."""
    single, dist = read_test_metrics(single_dir), read_test_metrics(dist_dir)
    assert single.keys() == dist.keys() and 'rec/accuracy' in single
    for key in single:
        assert dist[key] == pytest.approx(single[key], abs=1e-6), key
    single_rows = sorted(read_rows(osp.join(single_dir, 'rows.jsonl')), key=lambda r: r['sent_id'])
    dist_rows = sorted(read_rows(osp.join(dist_dir, 'rows.jsonl')), key=lambda r: r['sent_id'])
    assert [r['sent_id'] for r in dist_rows] == [r['sent_id'] for r in single_rows]  # each exactly once
    for a, b in zip(single_rows, dist_rows):
        assert b['pred_bbox'] == pytest.approx(a['pred_bbox'], abs=1e-3)


@pytest.fixture(scope='module')
def trained(tmp_path_factory) -> dict:
    """Tiny synthetic data, its detection file, a tiny CLIP directory and a detector trained one epoch."""
    root = tmp_path_factory.mktemp('tools')
    data_root = str(root / 'data')
    summary = generate_synthetic_refer(data_root, num_images=NUM_IMAGES, image_size=(96, 96), seed=3,
                                       grayscale_fraction=0.2)
    run_tool(['tools/prepare_refcoco.py', data_root, '--dataset', 'synthetic'])
    clip_dir = save_tiny_clip(str(root / 'clip'), texts=synthetic_vocabulary())
    work_dir = str(root / 'detector')
    train(work_dir, data_root, max_epochs=1)
    return dict(root=root, data_root=data_root, clip_dir=clip_dir, work_dir=work_dir, summary=summary,
                checkpoint=osp.join(work_dir, 'epoch_1.pth'))


def test_resume_continues_from_the_saved_epoch(trained):
    first = torch.load(trained['checkpoint'], map_location='cpu', weights_only=False)
    assert first['meta']['epoch'] == 1
    iters_per_epoch = first['meta']['iter']

    output = train(trained['work_dir'], trained['data_root'], 2, '--resume')

    assert 'resumed epoch: 1' in output
    assert 'Epoch(train) [2]' in output and 'Epoch(train) [1]' not in output  # epoch 1 is not run again
    second = torch.load(osp.join(trained['work_dir'], 'epoch_2.pth'), map_location='cpu', weights_only=False)
    assert second['meta']['epoch'] == 2
    assert second['meta']['iter'] == 2 * iters_per_epoch
    assert 'message_hub' in second and 'optimizer' in second  # a full, resumable training state


def test_test_tool_reports_metrics_dumps_rows_and_draws(trained):
    work_dir = str(trained['root'] / 'test_single')
    out_file = osp.join(work_dir, 'predictions.jsonl')
    output = run_tool(['tools/test.py', METHOD2_CONFIG, trained['checkpoint'], '--work-dir', work_dir,
                       '--out', out_file, '--show-dir', 'vis', '--cfg-options',
                       *rec_test_options(trained['data_root'], trained['clip_dir'])])

    metrics = read_test_metrics(work_dir)
    for split in ('val', 'testA', 'testB'):
        for key in ('accuracy', 'mean_iou', 'upper_bound'):
            assert f'rec/{split}/{key}' in metrics
            assert 0.0 <= metrics[f'rec/{split}/{key}'] <= 1.0
    assert 'rec/accuracy' in output  # printed, not only written
    assert metrics['rec/accuracy'] <= metrics['rec/upper_bound']

    counts = trained['summary']['num_expressions']
    expected_rows = counts['val'] + counts['testA'] + counts['testB']
    rows = read_rows(out_file)
    assert len(rows) == expected_rows
    assert len({row['sent_id'] for row in rows}) == expected_rows
    correct = sum(row['iou'] >= 0.5 for row in rows)
    assert metrics['rec/accuracy'] == pytest.approx(correct / expected_rows)

    pictures = glob.glob(osp.join(work_dir, '*', 'vis', '*.jpg'))
    assert len(pictures) == expected_rows


def test_two_process_evaluation_equals_one_process(trained):
    single_dir = str(trained['root'] / 'test_single_ref')
    run_tool(['tools/test.py', METHOD2_CONFIG, trained['checkpoint'], '--work-dir', single_dir,
              '--out', osp.join(single_dir, 'rows.jsonl'), '--cfg-options',
              *rec_test_options(trained['data_root'], trained['clip_dir'])])

    dist_dir = str(trained['root'] / 'test_dist')
    env_port = str(29500 + os.getpid() % 1000)
    run_tool(['-m', 'torch.distributed.run', '--nproc_per_node=2', f'--master_port={env_port}',
              'tools/test.py', METHOD2_CONFIG, trained['checkpoint'], '--launcher', 'pytorch',
              '--work-dir', dist_dir, '--out', osp.join(dist_dir, 'rows.jsonl'), '--cfg-options',
              'env_cfg.dist_cfg.backend=gloo', *rec_test_options(trained['data_root'], trained['clip_dir'])])

    assert_same_evaluation(single_dir, dist_dir)
