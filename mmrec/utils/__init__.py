from .checkpoint_compat import load_local_checkpoint, patch_mmengine_checkpoint_loading
from .launch import (add_runner_arguments, build_runner, finish_distributed, init_distributed_without_cuda,
                     load_tool_config, parse_runner_arguments)

__all__ = [
    'load_local_checkpoint', 'patch_mmengine_checkpoint_loading', 'add_runner_arguments', 'build_runner',
    'finish_distributed', 'init_distributed_without_cuda', 'load_tool_config', 'parse_runner_arguments'
]
