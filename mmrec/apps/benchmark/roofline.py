"""CLIP image-encoder throughput against the machine's matmul throughput (a roofline-style efficiency).

:func:`clip_vision_flops` counts the matrix products of one crop through a ``transformers`` CLIP vision tower
and its projection (2 FLOPs per multiply-add; layer norms, softmax, GELU and additions are left out, they are
a few percent and not matmuls). :func:`matmul_peak_flops` measures a large square matmul in the same dtype,
thread count and device, the best this software stack reaches here; their ratio says how close the encoder
runs to it.
"""
import time
from contextlib import nullcontext
from typing import Callable, ContextManager, Dict

import torch


def clip_vision_flops(vision_config, projection_dim: int) -> Dict[str, int]:
    """FLOPs of one crop through the vision tower, by kind of matmul, and their ``'total'``.

    Args:
        vision_config: a ``CLIPVisionConfig`` (``image_size``, ``patch_size``, ``hidden_size``,
            ``intermediate_size``, ``num_hidden_layers``).
        projection_dim: output size of the visual projection (applied to the class token only).
    """
    patches = (vision_config.image_size // vision_config.patch_size) ** 2
    tokens = patches + 1  # the class token
    width, inner = vision_config.hidden_size, vision_config.intermediate_size
    layers = vision_config.num_hidden_layers
    counts = {
        'patch_embedding': 2 * patches * (3 * vision_config.patch_size ** 2) * width,
        'attention_qkv': layers * 2 * tokens * width * 3 * width,
        'attention_scores': layers * 2 * tokens * tokens * width,  # Q K^T summed over heads
        'attention_values': layers * 2 * tokens * tokens * width,  # softmax(QK^T) V
        'attention_out': layers * 2 * tokens * width * width,
        'mlp': layers * 2 * 2 * tokens * width * inner,
        'projection': 2 * width * projection_dim,
    }
    counts['total'] = sum(counts.values())
    return counts


def _synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def best_rate(step: Callable[[], None], work: float, repeats: int, device: torch.device) -> float:
    """``work`` per second of the fastest of ``repeats`` timed calls of ``step`` (after one warm-up call).

    The best call is the least disturbed by other processes on a shared machine.
    """
    step()
    _synchronize(device)
    best = float('inf')
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        step()
        _synchronize(device)
        best = min(best, time.perf_counter() - start)
    return work / best


def matmul_peak_flops(dtype: torch.dtype = torch.float32, device: str = 'cpu', size: int = 2048,
                      repeats: int = 5) -> float:
    """FLOP/s of a ``size x size`` by ``size x size`` matmul in ``dtype`` on ``device`` (best of ``repeats``)."""
    device = torch.device(device)
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(size, size, generator=generator).to(device=device, dtype=dtype)
    b = torch.randn(size, size, generator=generator).to(device=device, dtype=dtype)
    return best_rate(lambda: torch.matmul(a, b), 2.0 * size ** 3, repeats, device)


@torch.no_grad()
def clip_crops_per_second(encoder, batch_size: int = 32, repeats: int = 3,
                          autocast: Callable[[], ContextManager] = nullcontext) -> float:
    """Crops per second of ``encoder.encode_pixels`` (normalisation, vision tower, projection) on batches of
    ``batch_size`` random 224x224 crops (best of ``repeats``)."""
    size = encoder.crop_size
    generator = torch.Generator().manual_seed(0)
    crops = (torch.rand(batch_size, 3, size, size, generator=generator) * 255).to(encoder.device)

    def step() -> None:
        with autocast():
            encoder.encode_pixels(crops)

    return best_rate(step, batch_size, repeats, encoder.device)
