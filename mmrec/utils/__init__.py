from .checkpoint_compat import load_local_checkpoint, patch_mmengine_checkpoint_loading
from .launch import build_runner, init_distributed_without_cuda, load_tool_config

__all__ = [
    'load_local_checkpoint', 'patch_mmengine_checkpoint_loading', 'build_runner', 'init_distributed_without_cuda',
    'load_tool_config'
]
