"""Speed benchmark of mmrec's REC inference against naive per-expression pipelines (``tools/benchmark.py``)."""
from .models import build_inferencer, calibrate_score_threshold, method_config, save_random_clip
from .naive import NaiveCLIP, NaiveMethod1, NaiveMethod2
from .roofline import clip_crops_per_second, clip_vision_flops, matmul_peak_flops
from .runner import box_agreement, run_benchmark, run_mmrec
from .settings import BenchmarkSettings
from .workload import VOCABULARY, WorkloadImage, make_workload

__all__ = [
    'BenchmarkSettings', 'NaiveCLIP', 'NaiveMethod1', 'NaiveMethod2', 'VOCABULARY', 'WorkloadImage',
    'box_agreement', 'build_inferencer', 'calibrate_score_threshold', 'clip_crops_per_second', 'clip_vision_flops',
    'make_workload', 'matmul_peak_flops', 'method_config', 'run_benchmark', 'run_mmrec', 'save_random_clip'
]
