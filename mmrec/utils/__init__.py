from .checkpoint_schemes import register_safe_checkpoint_loader
from .launch import (add_evaluation_arguments, add_runner_arguments, build_runner, finish_distributed,
                     init_distributed_without_cuda, load_tool_config, parse_runner_arguments)
from .model_wrappers import unwrap_model
from .safe_checkpoint import (TRUST_ENV, TRUST_FLAG, UntrustedCheckpointError, checkpoint_safe_globals,
                              checkpoints_trusted, load_local_checkpoint, load_weights_only, read_trust_environment,
                              trust_checkpoints)
from .safe_config import UnsafeConfigError, load_config, register_safe_config_loading
from .user_errors import UserError, add_debug_argument, close_names, run_tool
from .weight_check import (ALLOW_MISSING_FLAG, UninitialisedWeightsError, check_loaded_weights,
                           load_checked_checkpoint)

__all__ = [
    'add_evaluation_arguments', 'add_runner_arguments', 'build_runner', 'finish_distributed',
    'init_distributed_without_cuda', 'load_tool_config', 'parse_runner_arguments', 'TRUST_ENV', 'TRUST_FLAG',
    'UntrustedCheckpointError', 'checkpoint_safe_globals', 'checkpoints_trusted', 'load_local_checkpoint',
    'load_weights_only', 'read_trust_environment', 'register_safe_checkpoint_loader', 'trust_checkpoints',
    'UnsafeConfigError', 'load_config', 'register_safe_config_loading', 'unwrap_model', 'UserError',
    'add_debug_argument', 'close_names', 'run_tool', 'ALLOW_MISSING_FLAG', 'UninitialisedWeightsError',
    'check_loaded_weights', 'load_checked_checkpoint'
]
