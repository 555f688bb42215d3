"""What tools/train.py and tools/test.py share: building the config from the command line (the config path and
``--cfg-options`` keys checked first, :mod:`mmrec.utils.config_keys`), the checkpoint trust opt-in
(``--trust-checkpoint``, see :mod:`mmrec.utils.safe_checkpoint`), the missing-weights check of evaluations
(``--allow-missing-keys``, :mod:`mmrec.utils.weight_check`), and starting the distributed environment on
machines without CUDA."""
import argparse
import os
import os.path as osp
from datetime import timedelta
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from .config_keys import check_cfg_options, keyword_errors_named
from .safe_checkpoint import TRUST_ENV, TRUST_FLAG, trust_checkpoints
from .safe_config import load_config
from .slurm import export_slurm_rendezvous
from .tool_checks import check_config_path
from .user_errors import add_debug_argument
from .weight_check import ALLOW_MISSING_FLAG, guard_runner_checkpoint


def add_runner_arguments(parser: argparse.ArgumentParser, cfg_options_example: str) -> None:
    """The options every tool shares with mmdet's: ``--work-dir``, ``--cfg-options``, ``--launcher`` and the
    rank that ``torch.distributed.launch`` passes (torchrun sets ``LOCAL_RANK`` instead); and mmrec's
    ``--trust-checkpoint``, which :func:`build_runner` applies."""
    parser.add_argument('--work-dir', help='the dir to save logs, metrics and checkpoints')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help=f'override config settings, e.g. "{cfg_options_example}"')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    parser.add_argument(TRUST_FLAG, action='store_true',
                        help='unpickle checkpoints in full (torch.load weights_only=False) for this run, for '
                        'files that need more than weights-only loading allows; only for files you trust, as a '
                        f'checkpoint can then run code ({TRUST_ENV}=1 does the same)')
    add_debug_argument(parser)


def add_evaluation_arguments(parser: argparse.ArgumentParser) -> None:
    """``--allow-missing-keys``: evaluate even when the checkpoint leaves weights of the model uninitialised."""
    parser.add_argument(ALLOW_MISSING_FLAG, action='store_true',
                        help='evaluate even when the checkpoint leaves weights of the model uninitialised (random); '
                        'without it such a checkpoint is refused with the missing keys')


def parse_runner_arguments(parser: argparse.ArgumentParser, argv=None) -> argparse.Namespace:
    """Parse, and export ``--local-rank`` as ``LOCAL_RANK`` where the launcher did not set it."""
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def load_tool_config(config: str, launcher: str, cfg_options: Optional[dict] = None,
                     work_dir: Optional[str] = None) -> Config:
    """Read ``config`` (YAML as plain data: :func:`~mmrec.utils.safe_config.load_config`), apply
    ``--cfg-options``, and pick the work dir as mmdet's tools do: ``--work-dir``, else the config's
    ``work_dir``, else ``./work_dirs/<config name>``. A missing config file or a ``--cfg-options`` key the
    config does not have is a :class:`~mmrec.utils.user_errors.UserError` naming close names
    (:mod:`mmrec.utils.config_keys`)."""
    check_config_path(config)
    cfg = load_config(config)
    cfg.launcher = launcher
    if cfg_options:
        check_cfg_options(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config))[0])
    return cfg


def init_distributed_without_cuda(cfg: Config) -> None:
    """Start the process group with gloo when launched by torchrun or srun on a machine without CUDA.

    mmengine's pytorch and slurm launchers call ``torch.cuda.set_device``, which fails without a GPU; the
    runner skips its own initialisation when a process group exists, so starting one here makes CPU runs of
    ``dist_train.sh`` / ``dist_test.sh`` / ``slurm_train.sh`` / ``slurm_test.sh`` (and the distributed tests)
    work. Under Slurm the rank, world size and rendezvous come from the ``SLURM_*`` variables as mmengine
    reads them (:mod:`mmrec.utils.slurm`; ``env_cfg.dist_cfg.port`` as in mmengine). The runner's default DDP
    wrapper passes ``device_ids=[LOCAL_RANK]``, which DDP refuses for CPU modules, so a ``model_wrapper_cfg``
    with ``device_ids=None`` (which the runner's default does not override) is set unless the config has one.
    With CUDA this does nothing: mmengine's launchers start the process group.
    """
    if cfg.launcher not in ('pytorch', 'slurm') or torch.cuda.is_available() or torch_dist.is_initialized():
        return
    dist_cfg = dict(cfg.get('env_cfg', {}).get('dist_cfg', {}))
    if cfg.launcher == 'slurm':
        export_slurm_rendezvous(dist_cfg.get('port'))
    timeout = dist_cfg.get('timeout')
    torch_dist.init_process_group(
        backend='gloo', **({'timeout': timedelta(seconds=timeout)} if timeout is not None else {}))
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(type='MMDistributedDataParallel', device_ids=None, broadcast_buffers=False,
                                     find_unused_parameters=cfg.get('find_unused_parameters', False))


def finish_distributed() -> None:
    """Wait for every rank, then tear the process group down while the interpreter is still alive.

    Left to interpreter exit, a rank that finishes first closes its gloo sockets while another still tears
    its pairs down, and that rank can abort in C++ ("terminate called without an active exception"), which
    turns a finished run into a failed torchrun job. Call it after a successful ``runner.train()`` /
    ``runner.test()``; without a process group it does nothing.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()


def build_runner(cfg: Config, trust_checkpoint: bool = False, evaluation: bool = False,
                 allow_missing_keys: bool = False, cfg_options: Optional[dict] = None) -> Runner:
    """The runner named by the config (``runner_type``), MMEngine's ``Runner`` by default.

    ``trust_checkpoint`` (``--trust-checkpoint``) makes the checkpoints this process loads unpickle in full.
    It is a command-line flag, not a config key, and ``MMREC_TRUST_CHECKPOINTS`` is read once when mmrec is
    imported, before any config: setting either in a config does not switch the check off. A ``.py``
    config is still a program that can do anything its user can (docs/security.md): run only configs you
    trust.
    For an ``evaluation`` the runner refuses a checkpoint that leaves weights uninitialised unless
    ``allow_missing_keys`` (:func:`~mmrec.utils.weight_check.guard_runner_checkpoint`). A builder's "unexpected
    keyword argument" caused by one of ``cfg_options`` becomes a one-line error naming the key.
    """
    from mmengine.registry import RUNNERS
    if trust_checkpoint:
        trust_checkpoints()
    init_distributed_without_cuda(cfg)
    with keyword_errors_named(cfg_options):
        runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    if evaluation:
        guard_runner_checkpoint(runner, allow_missing_keys)
    return runner
