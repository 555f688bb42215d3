"""The research-loop measurement of ``tools/benchmark.py``: a scoring sweep against separate evaluations, and a
second cached ``tools/test.py`` run against the first.

On a small REFER-format data set of COCO-sized synthetic images (written to a temporary folder) and the
benchmark's full-size random-weight models (saved once as a checkpoint, so every run loads the same weights):

- **sweep**: an 8-point grid of scoring settings, evaluated by :func:`mmrec.engine.sweep.run_sweep`
  (``tools/sweep.py``'s code path: one detector and crop pass, 8 scorings) and by 8 separate evaluations
  (``tools/test.py``'s runner, one per point); wall times include building the models, as running the tools
  does. Reports ``sweep_speedup`` (separate / sweep) and ``sweep_max_metric_diff`` (largest absolute
  difference of any metric of any point; 0 when the sweep gives the separate evaluations' numbers exactly);
- **cache**: ``tools/test.py --cache-dir`` twice on the same config (first run fills the cache, the second
  reads it): ``cache_first_seconds``, ``cache_second_seconds``, ``cache_speedup``.
"""
import copy
import math
import os
import os.path as osp
import tempfile
import time
from typing import Dict, List, Tuple

import torch
from mmengine.config import Config

from mmrec.datasets.synthetic import generate_synthetic_refer, synthetic_vocabulary
from .models import build_inferencer, calibrate_score_threshold, method_config, save_random_clip
from .settings import BenchmarkSettings
from .workload import VOCABULARY, WorkloadImage

#: The 8-point scoring grids (cartesian products), per method: settings that change only the scoring step.
SWEEP_GRIDS: Dict[int, Dict[str, list]] = {
    2: {'model.scorer.detector_score_weight': [0.0, 0.1, 0.2, 0.3],
        'model.scorer.prompt_templates': [['{}'], ['a photo of {}.']]},
    1: {'model.roi_head.bbox_head.blend.clip_weight': [0.3, 0.5, 0.7, 0.9],
        'model.roi_head.bbox_head.prompt_scorer.temperature': [0.01, 0.02]},
}
#: Size of the sweep's synthetic images (COCO's most common size).
SWEEP_IMAGE_SIZE = (640, 480)


def sweep_points(method: int) -> Tuple[List[dict], List[str]]:
    """The grid points of ``method`` and the grid's keys."""
    from mmrec.engine.sweep import grid_points

    grid = SWEEP_GRIDS[method]
    return grid_points(grid), list(grid)


def _data_config(cfg: Config, data_root: str) -> None:
    """Point the config's test set at the synthetic REFER root (val split only)."""
    cfg.test_dataloader.dataset.update(data_root=data_root + '/', ann_file='synthetic/instances.json',
                                       split_file='synthetic/refs(unc).p', data_prefix=dict(img_path='images/'),
                                       split='val')
    cfg.test_dataloader.update(num_workers=0, persistent_workers=False)


def first_image(data_root: str) -> WorkloadImage:
    """The data set's first image (by file name), as the score-threshold calibration takes it."""
    import mmcv

    folder = osp.join(data_root, 'images')
    name = sorted(os.listdir(folder))[0]
    return WorkloadImage(img_id=0, image_bgr=mmcv.imread(osp.join(folder, name)), texts=['the red circle'])


def benchmark_config(method: int, settings: BenchmarkSettings, clip_dir: str, data_root: str, work_dir: str) -> Config:
    """The method's benchmark config on the synthetic data set, with a seeded random checkpoint (``load_from``)
    and, for method 2, the detector's score threshold calibrated as in the speed measurement."""
    from mmdet.registry import MODELS
    from mmengine.registry import DefaultScope

    cfg = method_config(method, clip_dir, top_k=settings.top_k, tiny=settings.tiny, crop_source=settings.crop_source)
    _data_config(cfg, data_root)
    with DefaultScope.overwrite_default_scope('mmdet'):
        torch.manual_seed(settings.seed)
        model = MODELS.build(copy.deepcopy(cfg.model))
        model.init_weights()
    if method == 2:  # the random detector keeps about detector_pairs class-box pairs of the first image
        inferencer = build_inferencer(copy.deepcopy(cfg), device=settings.device, seed=settings.seed)
        inferencer.model.load_state_dict(model.state_dict())
        cfg.model.test_cfg.rcnn.score_thr = calibrate_score_threshold(inferencer, first_image(data_root),
                                                                      settings.detector_pairs)
        del inferencer
    checkpoint = osp.join(work_dir, f'method{method}_random.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), checkpoint)
    cfg.load_from = checkpoint
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    cfg.log_level = 'WARNING'
    cfg.device = settings.device
    cfg.default_hooks.pop('visualization', None)
    return cfg


def _timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def own_run(cfg: Config, name: str) -> Config:
    """A copy of ``cfg`` whose runner has its own work dir and experiment name (several runners are built in
    one process, often within one second: mmengine names loggers by the start time, and keeps one visualizer
    per name, which the configs fix to 'visualizer')."""
    own_run.count = getattr(own_run, 'count', 0) + 1
    cfg = copy.deepcopy(cfg)
    cfg.experiment_name = f'{name}{own_run.count}'
    cfg.work_dir = osp.join(cfg.work_dir, cfg.experiment_name)
    if cfg.get('visualizer'):
        cfg.visualizer.name = f'{cfg.experiment_name}-{id(cfg)}'
    return cfg


def _test(cfg: Config, cache_dir: str = None) -> dict:
    """``tools/test.py``'s evaluation of ``cfg`` in this process (with ``--cache-dir`` when given)."""
    from mmrec.engine import add_rec_cache_hook
    from mmrec.utils import build_runner

    cfg = own_run(cfg, 'test')
    add_rec_cache_hook(cfg, cache_dir)
    return build_runner(cfg).test()


def max_metric_difference(expected: List[Dict[str, float]], found: List[Dict[str, float]]) -> float:
    """The largest absolute difference between two lists of per-point metrics; ``inf`` when the lists or a
    point's metric names differ, or a value is NaN on one side only (NaN on both sides counts as equal)."""
    if len(expected) != len(found):
        return math.inf
    worst = 0.0
    for a, b in zip(expected, found):
        if set(a) != set(b):
            return math.inf
        for key in a:
            x, y = float(a[key]), float(b[key])
            if math.isnan(x) or math.isnan(y):
                if not (math.isnan(x) and math.isnan(y)):
                    return math.inf
                continue
            worst = max(worst, abs(x - y))
    return worst


def measure_sweep(method: int, cfg: Config, work_dir: str) -> Dict[str, float]:
    """Time the 8-point sweep of ``method`` against 8 separate evaluations on ``cfg``'s data."""
    from mmrec.engine.sweep import point_config, run_sweep

    points, keys = sweep_points(method)
    swept, sweep_seconds = _timed(lambda: run_sweep(own_run(cfg, 'sweep'), points, keys))
    separate, separate_seconds = _timed(lambda: [_test(point_config(cfg, point)) for point in points])
    prefix = 'sweep' if method == 2 else 'm1_sweep'
    return {f'{prefix}_points': len(points), f'{prefix}_seconds': sweep_seconds,
            f'{prefix}_separate_seconds': separate_seconds, f'{prefix}_speedup': separate_seconds / sweep_seconds,
            f'{prefix}_max_metric_diff': max_metric_difference(separate, swept['metrics']),
            f'{prefix}_accuracies': [m['rec/accuracy'] for m in swept['metrics']],
            f'{prefix}_mean_ious': [m['rec/mean_iou'] for m in swept['metrics']]}


def measure_cache(cfg: Config, work_dir: str) -> Dict[str, float]:
    """Time ``tools/test.py --cache-dir`` twice on ``cfg`` (an empty cache, then the filled one)."""
    cache_dir = osp.join(work_dir, 'cache')
    first, first_seconds = _timed(lambda: _test(cfg, cache_dir))
    second, second_seconds = _timed(lambda: _test(cfg, cache_dir))
    return dict(cache_first_seconds=first_seconds, cache_second_seconds=second_seconds,
                cache_speedup=first_seconds / second_seconds, cache_same_metrics=first == second)


def run_sweep_benchmark(settings: BenchmarkSettings) -> Dict[str, object]:
    """The sweep and cache figures (see the module docstring) for ``settings.sweep_methods``."""
    results: Dict[str, object] = dict(sweep_images=settings.sweep_images)
    with tempfile.TemporaryDirectory(prefix='mmrec-benchmark-sweep-') as work_dir:
        data_root = osp.join(work_dir, 'data')
        generate_synthetic_refer(data_root, num_images={'val': settings.sweep_images},
                                 image_size=(160, 120) if settings.tiny else SWEEP_IMAGE_SIZE, seed=settings.seed)
        clip_dir = save_random_clip(osp.join(work_dir, 'clip'), tuple(VOCABULARY) + tuple(synthetic_vocabulary()),
                                    tiny=settings.tiny, seed=settings.seed, init_factor=settings.clip_init_factor)
        for method in settings.sweep_methods:
            cfg = benchmark_config(method, settings, clip_dir, data_root, work_dir)
            results.update(measure_sweep(method, cfg, work_dir))
            if method == 2:
                results.update(measure_cache(cfg, work_dir))
    return results
