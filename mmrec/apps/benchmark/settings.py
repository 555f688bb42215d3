"""What :func:`~.runner.run_benchmark` measures: :class:`BenchmarkSettings`, the options of
``tools/benchmark.py`` (shared by the speed runner and the sweep measurement)."""
from dataclasses import dataclass
from typing import Optional, Sequence

import torch

from .models import CLIP_INIT_FACTOR

#: What ``tools/benchmark.py --parts`` can measure.
PARTS = ('speed', 'sweep', 'grounding')
DTYPES = {'float32': torch.float32, 'bfloat16': torch.bfloat16, 'float16': torch.float16}


@dataclass
class BenchmarkSettings:
    """What :func:`~.runner.run_benchmark` measures (the options of ``tools/benchmark.py``).

    Attributes:
        device: torch device of every model.
        dtype: ``'float32'``, or ``'bfloat16'`` / ``'float16'`` to run both pipelines under autocast (on CUDA
            mmrec's CLIP uses float16 autocast by itself).
        num_images: timed images per method (one more, not timed, warms the models up).
        expressions_per_image: RefCOCO val has about 7.
        top_k: candidates per image (method 2: detections, method 1: RPN proposals).
        image_batch: images per model call in mmrec's pipeline.
        clip_batch: crops per call when measuring the CLIP encoder's throughput.
        threads: torch threads (``None`` keeps torch's default).
        methods: which methods to run, from ``(1, 2)``.
        detector_pairs: class-box pairs per image the random detector keeps for NMS (see
            :func:`~.models.calibrate_score_threshold`).
        resample: resampler of the naive crops: PIL's ``'bicubic'`` (OpenAI CLIP's preprocessing) or
            ``'bilinear'``, or ``'roi_align'`` (mmrec's input-path resampler applied to the original image).
        crop_source: where mmrec's CLIP crops come from: ``'original'`` (PIL-exact bicubic from the loaded image,
            as the RefCOCO configs) or ``'input'`` (``roi_align`` from the detector's resized input).
        agreement_iou: two answers agree when their IoU is at least this (the same box; ``*_agreement_iou50``
            also reports the share at IoU >= 0.5, the same object as the REC metric counts it).
        clip_init_factor: ``initializer_factor`` of the random CLIP (see :mod:`mmrec.apps.benchmark.models`).
        tiny: tiny models and small images (a smoke run for tests; the timings mean nothing).
        seed: of the workload and the random weights.
        parts: ``'speed'`` (mmrec against the naive pipelines, the CLIP roofline), ``'sweep'`` (a scoring sweep
            against separate evaluations and a cached test run, :mod:`mmrec.apps.benchmark.sweep`) and / or
            ``'grounding'`` (a grounding detector's image side shared across expressions,
            :mod:`mmrec.apps.benchmark.grounding`).
        sweep_methods: methods of the sweep measurement (the cached test run uses method 2).
        sweep_images: images of the sweep measurement's data set.
    """

    device: str = 'cpu'
    dtype: str = 'float32'
    num_images: int = 2
    expressions_per_image: int = 7
    top_k: int = 10
    image_batch: int = 1
    clip_batch: int = 32
    threads: Optional[int] = None
    methods: Sequence[int] = (2, 1)
    detector_pairs: int = 300
    resample: str = 'bicubic'
    crop_source: str = 'original'
    agreement_iou: float = 0.99
    clip_init_factor: float = CLIP_INIT_FACTOR
    tiny: bool = False
    seed: int = 0
    parts: Sequence[str] = ('speed', 'sweep', 'grounding')
    sweep_methods: Sequence[int] = (2, )
    sweep_images: int = 3
