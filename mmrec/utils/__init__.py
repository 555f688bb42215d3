from .launch import (add_runner_arguments, build_runner, finish_distributed, init_distributed_without_cuda,
                     load_tool_config, parse_runner_arguments, unwrap_model)
from .checkpoint_schemes import register_safe_checkpoint_loader
from .safe_checkpoint import (TRUST_ENV, TRUST_FLAG, UntrustedCheckpointError, checkpoint_safe_globals,
                              checkpoints_trusted, load_local_checkpoint, load_weights_only, read_trust_environment,
                              trust_checkpoints)
from .safe_config import UnsafeConfigError, load_config, register_safe_config_loading

__all__ = [
    'add_runner_arguments', 'build_runner', 'finish_distributed', 'init_distributed_without_cuda',
    'load_tool_config', 'parse_runner_arguments', 'TRUST_ENV', 'TRUST_FLAG', 'UntrustedCheckpointError',
    'checkpoint_safe_globals', 'checkpoints_trusted', 'load_local_checkpoint', 'load_weights_only',
    'read_trust_environment', 'register_safe_checkpoint_loader', 'trust_checkpoints', 'UnsafeConfigError',
    'load_config', 'register_safe_config_loading', 'unwrap_model'
]
