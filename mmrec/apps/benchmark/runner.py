"""Measure mmrec's image-major REC inference against the naive one-expression-at-a-time pipelines.

:func:`run_benchmark` builds the workload and the models, runs for each method mmrec's pipeline (the
:class:`~mmrec.apis.RECInferencer` path users run: data pipeline, detector once per image, all crops of an
image in one CLIP batch, cached text, one matrix product per image) and the naive reference
(:mod:`mmrec.apps.benchmark.naive`) on the same images with the same model, and returns throughputs, speed-ups,
the agreement of their answers, the CLIP encoder's efficiency against the matmul peak and the peak memory.
"""
import os
import resource
import shutil
import tempfile
from contextlib import nullcontext
from dataclasses import asdict
from functools import partial
from typing import Callable, ContextManager, Dict, List, Sequence

import numpy as np
import torch
from mmengine.dataset import pseudo_collate

from mmrec.evaluation.iou import box_iou_pairwise
from .models import build_inferencer, calibrate_score_threshold, method_config, save_random_clip
from .naive import NaiveMethod1, NaiveMethod2
from .roofline import clip_crops_per_second, clip_vision_flops, matmul_peak_flops
from .settings import DTYPES, PARTS, BenchmarkSettings
from .grounding import measure_grounding
from .sweep import run_sweep_benchmark
from .timing import timed
from .workload import VOCABULARY, WorkloadImage, make_workload

def autocast_factory(device: str, dtype: str) -> Callable[[], ContextManager]:
    """A callable returning the autocast context for ``dtype`` on ``device`` (a no-op for float32)."""
    if dtype not in DTYPES:
        raise ValueError(f'dtype must be one of {sorted(DTYPES)}, got {dtype!r}')
    if dtype == 'float32':
        return nullcontext
    return partial(torch.autocast, device_type=torch.device(device).type, dtype=DTYPES[dtype])


def box_agreement(boxes_a: Sequence, boxes_b: Sequence, iou_thr: float = 0.99) -> float:
    """Share of rows where the two pipelines chose the same box (IoU >= ``iou_thr``; 1.0 for no rows)."""
    a, b = np.asarray(boxes_a, dtype=np.float64).reshape(-1, 4), np.asarray(boxes_b, dtype=np.float64).reshape(-1, 4)
    if len(a) != len(b):
        raise ValueError(f'box_agreement: {len(a)} answers against {len(b)}')
    if len(a) == 0:
        return 1.0
    return float((box_iou_pairwise(a, b) >= iou_thr).mean())


@torch.no_grad()
def run_mmrec(inferencer, images: Sequence[WorkloadImage], image_batch: int = 1,
              autocast: Callable[[], ContextManager] = nullcontext) -> List[List[float]]:
    """mmrec's image-major inference: ``image_batch`` images (with all their expressions) per model call.
    Returns one box (original image pixels) per expression, in order."""
    answers = []
    for start in range(0, len(images), image_batch):
        data = [inferencer.pipeline(dict(img=image.image_bgr, img_id=image.img_id, img_path=None,
                                         texts=list(image.texts),
                                         expressions=[dict(text=text) for text in image.texts]))
                for image in images[start:start + image_batch]]
        with autocast():
            samples = inferencer.model.test_step(pseudo_collate(data))
        for sample in samples:
            answers.extend(sample.pred_instances.bboxes.float().cpu().tolist())
    return answers


class CropCounter:
    """Counts the crops a CLIP vision tower encodes while the context is open (a forward hook)."""

    def __init__(self, vision_model: torch.nn.Module) -> None:
        self.vision_model = vision_model
        self.num_crops = 0
        self._handle = None

    def _count(self, module, args, kwargs, output) -> None:
        pixels = kwargs.get('pixel_values', args[0] if args else None)
        self.num_crops += len(pixels)

    def __enter__(self) -> 'CropCounter':
        self._handle = self.vision_model.register_forward_hook(self._count, with_kwargs=True)
        return self

    def __exit__(self, *exc) -> None:
        self._handle.remove()


def describe_device(device: str) -> str:
    """A readable name of ``device``: the GPU's name, or the CPU model and its number of cores."""
    if torch.device(device).type == 'cuda':
        return torch.cuda.get_device_name(torch.device(device))
    model = 'CPU'
    try:
        with open('/proc/cpuinfo') as cpuinfo:
            names = [line.split(':', 1)[1].strip() for line in cpuinfo if line.startswith('model name')]
        model = names[0] if names else model
    except OSError:
        pass
    return f'{model}, {os.cpu_count()} cores'


def peak_memory_mb(device: str) -> float:
    """Peak memory of this process so far: GPU memory allocated by torch on CUDA, else the resident set."""
    if torch.device(device).type == 'cuda':
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure_method(method: int, settings: BenchmarkSettings, clip_dir: str,
                   warmup: WorkloadImage, images: Sequence[WorkloadImage]) -> Dict[str, float]:
    """Build method ``method`` and time mmrec's pipeline and the naive one on ``images``."""
    autocast = autocast_factory(settings.device, settings.dtype)
    cfg = method_config(method, clip_dir, top_k=settings.top_k, tiny=settings.tiny, crop_source=settings.crop_source)
    inferencer = build_inferencer(cfg, device=settings.device, seed=settings.seed)
    result: Dict[str, float] = {}
    if method == 2:
        result['m2_score_threshold'] = calibrate_score_threshold(inferencer, warmup, settings.detector_pairs)
    naive = (NaiveMethod2 if method == 2 else NaiveMethod1)(inferencer, settings.resample, autocast)
    # warm-up: both pipelines once, and the detector on every timed image (its kernels are set up per input
    # shape, which the naive pipeline would otherwise get for free after the first expression of an image)
    run_mmrec(inferencer, [warmup], settings.image_batch, autocast)
    naive.answer(warmup, warmup.texts[0])
    for image in images:
        naive.detect(image, image.texts[0])
    num_expressions = sum(len(image.texts) for image in images)
    crop_counter = CropCounter(naive.clip.clip.vision_model)
    with crop_counter:
        ours, ours_time = timed(lambda: run_mmrec(inferencer, images, settings.image_batch, autocast),
                                 settings.device)
    naive.clip.num_crops, naive.detector_seconds = 0, 0.0
    reference, naive_time = timed(lambda: naive(images), settings.device)
    prefix = f'm{method}'
    result.update({
        f'{prefix}_expr_per_s': num_expressions / ours_time,
        f'{prefix}_naive_expr_per_s': num_expressions / naive_time,
        f'{prefix}_speedup': naive_time / ours_time,
        f'{prefix}_agreement': box_agreement(ours, reference, settings.agreement_iou),
        f'{prefix}_agreement_iou50': box_agreement(ours, reference, 0.5),
        f'{prefix}_crops_per_image': crop_counter.num_crops / len(images),
        f'{prefix}_seconds': ours_time,
        f'{prefix}_naive_seconds': naive_time,
        f'{prefix}_naive_crops_per_expr': naive.clip.num_crops / num_expressions,
        f'{prefix}_detector_seconds_per_call': naive.detector_seconds / num_expressions,
    })
    return result, inferencer


def run_benchmark(settings: BenchmarkSettings) -> Dict[str, object]:
    """Run the whole benchmark (see the module docstring); returns a flat dict of figures."""
    if settings.threads:
        torch.set_num_threads(settings.threads)
    unknown = [m for m in settings.methods if m not in (1, 2)]
    if unknown or not settings.methods:
        raise ValueError(f'methods must be a non-empty subset of (1, 2), got {settings.methods}')
    unknown_parts = [part for part in settings.parts if part not in PARTS]
    if unknown_parts or not settings.parts:
        raise ValueError(f'parts must be a non-empty subset of {PARTS}, got {settings.parts}')
    results: Dict[str, object] = dict(asdict(settings), methods=list(settings.methods), parts=list(settings.parts),
                                      sweep_methods=list(settings.sweep_methods), threads=torch.get_num_threads(),
                                      device_name=describe_device(settings.device),
                                      load_average=list(os.getloadavg()))
    if 'speed' in settings.parts:
        results.update(measure_speed(settings))
    if 'sweep' in settings.parts:
        results.update(run_sweep_benchmark(settings))
    if 'grounding' in settings.parts:
        results.update(measure_grounding(settings))
    results['peak_memory_mb'] = peak_memory_mb(settings.device)
    results['load_average_end'] = list(os.getloadavg())
    return results


def measure_speed(settings: BenchmarkSettings) -> Dict[str, object]:
    """mmrec against the naive pipelines for ``settings.methods``, and the CLIP encoder's efficiency."""
    workload = make_workload(settings.num_images + 1, settings.expressions_per_image, seed=settings.seed)
    warmup, images = workload[0], workload[1:]
    results: Dict[str, object] = dict(num_expressions=sum(len(image.texts) for image in images))
    clip_dir = tempfile.mkdtemp(prefix='mmrec-benchmark-clip-')
    try:
        save_random_clip(clip_dir, VOCABULARY, tiny=settings.tiny, seed=settings.seed,
                         init_factor=settings.clip_init_factor)
        encoder = None
        for method in settings.methods:
            figures, inferencer = measure_method(method, settings, clip_dir, warmup, images)
            results.update(figures)
            model = inferencer.model
            encoder = model.scorer.encoder if method == 2 else model.roi_head.bbox_head.encoder
            del inferencer, model
        results.update(clip_efficiency(encoder, settings))
    finally:
        shutil.rmtree(clip_dir, ignore_errors=True)
    return results


def clip_efficiency(encoder, settings: BenchmarkSettings) -> Dict[str, float]:
    """CLIP crops per second, the FLOP/s they mean and their share of the matmul peak, in the same dtype."""
    autocast = autocast_factory(settings.device, settings.dtype)
    dtype = DTYPES[settings.dtype]
    if torch.device(settings.device).type == 'cuda' and getattr(encoder, 'autocast', False) \
            and dtype == torch.float32:
        dtype = torch.float16  # CLIPEncoder runs under float16 autocast on CUDA by itself
    flops = clip_vision_flops(encoder.clip.config.vision_config, encoder.clip.config.projection_dim)['total']
    crops_per_s = clip_crops_per_second(encoder, settings.clip_batch, autocast=autocast)
    peak = matmul_peak_flops(dtype, settings.device, size=512 if settings.tiny else 2048)
    return dict(clip_crops_per_s=crops_per_s, clip_gflop_per_crop=flops / 1e9,
                clip_achieved_gflops=crops_per_s * flops / 1e9, matmul_peak_gflops=peak / 1e9,
                clip_roofline_fraction=crops_per_s * flops / peak, matmul_dtype=str(dtype).replace('torch.', ''))
