from .launch import (add_runner_arguments, build_runner, finish_distributed, init_distributed_without_cuda,
                     load_tool_config, parse_runner_arguments, unwrap_model)
from .safe_checkpoint import (TRUST_ENV, TRUST_FLAG, UntrustedCheckpointError, checkpoint_safe_globals,
                              checkpoints_trusted, load_local_checkpoint, register_safe_checkpoint_loader,
                              trust_checkpoints)

__all__ = [
    'add_runner_arguments', 'build_runner', 'finish_distributed', 'init_distributed_without_cuda',
    'load_tool_config', 'parse_runner_arguments', 'TRUST_ENV', 'TRUST_FLAG', 'UntrustedCheckpointError',
    'checkpoint_safe_globals', 'checkpoints_trusted', 'load_local_checkpoint', 'register_safe_checkpoint_loader',
    'trust_checkpoints', 'unwrap_model'
]
