"""The rendezvous of a process that Slurm's ``srun`` started, read from the ``SLURM_*`` variables.

mmengine's slurm launcher does the same and then calls ``torch.cuda.set_device``, which a CPU process cannot;
:func:`export_slurm_rendezvous` is its first half, for :func:`mmrec.utils.init_distributed_without_cuda`.
"""
import os
import re
import shutil
import subprocess
from typing import Dict, Optional

DEFAULT_MASTER_PORT = '29500'  # torch.distributed's default, as in mmengine
_SINGLE_HOST = re.compile(r'^[A-Za-z0-9_.-]+$')  # a node list without ranges ("node[1-4]") or commas


def _slurm_variable(name: str) -> str:
    value = os.environ.get(name)
    if value is None:
        raise RuntimeError(f'--launcher slurm needs the {name} environment variable, which srun sets: start the '
                           'job with srun (e.g. tools/slurm_train.sh / tools/slurm_test.sh)')
    return value


def first_slurm_host(node_list: str) -> str:
    """The first host name of a Slurm node list (``node[03-05],gpu7`` -> ``node03``), as ``scontrol show
    hostnames`` expands it; a list of one plain name needs no ``scontrol``."""
    if shutil.which('scontrol') is not None:
        proc = subprocess.run(['scontrol', 'show', 'hostnames', node_list], capture_output=True, text=True)
        hosts = proc.stdout.split()
        if proc.returncode == 0 and hosts:
            return hosts[0]
        raise RuntimeError(f'scontrol show hostnames {node_list!r} failed (exit status {proc.returncode}): '
                           f'{proc.stderr.strip()}; set MASTER_ADDR to the first node instead')
    if _SINGLE_HOST.match(node_list):
        return node_list
    raise RuntimeError(f'SLURM_NODELIST={node_list!r} needs scontrol to expand it, and scontrol is not on PATH; '
                       'set MASTER_ADDR to the first node instead')


def slurm_rendezvous(port: Optional[int] = None) -> Dict[str, str]:
    """The torch.distributed variables of this srun task: ``RANK`` (``SLURM_PROCID``), ``WORLD_SIZE``
    (``SLURM_NTASKS``), ``LOCAL_RANK`` (``SLURM_LOCALID``), ``MASTER_PORT`` (``port``, else the environment's,
    else 29500) and ``MASTER_ADDR`` (the environment's, else the job's first node)."""
    rendezvous = dict(RANK=str(int(_slurm_variable('SLURM_PROCID'))),
                      WORLD_SIZE=str(int(_slurm_variable('SLURM_NTASKS'))),
                      LOCAL_RANK=str(int(os.environ.get('SLURM_LOCALID', '0'))))  # names no device on a CPU
    if port is not None:
        rendezvous['MASTER_PORT'] = str(port)
    else:
        rendezvous['MASTER_PORT'] = os.environ.get('MASTER_PORT', DEFAULT_MASTER_PORT)
    rendezvous['MASTER_ADDR'] = os.environ.get('MASTER_ADDR') or first_slurm_host(_slurm_variable('SLURM_NODELIST'))
    return rendezvous


def export_slurm_rendezvous(port: Optional[int] = None) -> None:
    """Put :func:`slurm_rendezvous` into ``os.environ``, where ``init_process_group('env://')`` reads it."""
    os.environ.update(slurm_rendezvous(port))
