"""Wall-clock timing of a call, with the GPU's queued work included."""
import time
from typing import Callable, Tuple, TypeVar

import torch

T = TypeVar('T')


def timed(function: Callable[[], T], device: str) -> Tuple[T, float]:
    """``function()`` and the seconds it took, CUDA synchronised before and after on a CUDA ``device``."""
    if torch.device(device).type == 'cuda':
        torch.cuda.synchronize()
    start = time.perf_counter()
    result = function()
    if torch.device(device).type == 'cuda':
        torch.cuda.synchronize()
    return result, time.perf_counter() - start
