"""tools/slurm_train.sh and tools/slurm_test.sh through a stand-in ``srun`` on this machine, and the
rendezvous that ``--launcher slurm`` reads from srun's variables (mmrec/utils/slurm.py).

The stand-in ``srun`` (written into tmp_path, first on PATH) starts ``--ntasks`` copies of the command with
the variables a real srun gives each task, so the tools run exactly as on a cluster, as 2 CPU processes.
"""
import json
import os
import os.path as osp
import stat
import subprocess
import sys
from typing import Dict, List

import pytest
from test_tools import (DETECTOR_CONFIG, METHOD2_CONFIG, NUM_IMAGES, REPO, assert_same_evaluation,
                        rec_test_options, run_tool, train_options)

from mmrec.datasets.synthetic import generate_synthetic_refer, synthetic_vocabulary
from mmrec.testing import save_tiny_clip
from mmrec.utils.slurm import first_slurm_host, slurm_rendezvous

FAKE_SRUN = '''#!{python}
"""srun on one machine: start --ntasks copies of the command with srun's task variables, wait for them
(with --kill-on-bad-exit, stop the others when one fails), exit with the worst status."""
import json, os, subprocess, sys, time

args, options = sys.argv[1:], {{}}
while args and args[0].startswith('-'):
    arg = args.pop(0)
    if '=' in arg:
        key, value = arg.split('=', 1)
    elif arg in ('-p', '--partition', '-J', '--job-name', '-n', '--ntasks', '-c', '--cpus-per-task'):
        key, value = arg, args.pop(0)
    else:
        key, value = arg, True
    options[key] = value
with open({log!r}, 'w') as f:
    json.dump(dict(options=options, command=args, pythonpath=os.environ.get('PYTHONPATH', '')), f)
ntasks = int(options['--ntasks'])
per_node = int(options.get('--ntasks-per-node', ntasks))
procs = []
for rank in range(ntasks):
    env = dict(os.environ, SLURM_PROCID=str(rank), SLURM_LOCALID=str(rank % per_node),
               SLURM_NODEID=str(rank // per_node), SLURM_NTASKS=str(ntasks), SLURM_NPROCS=str(ntasks),
               SLURM_NODELIST='localhost', SLURM_JOB_NODELIST='localhost', SLURM_NNODES='1',
               SLURM_JOB_ID='4242', SLURM_STEP_ID='0', SLURM_JOB_NAME=options.get('--job-name', ''),
               SLURM_CPUS_PER_TASK=str(options.get('--cpus-per-task', 1)))
    procs.append(subprocess.Popen(args, env=env))
while any(p.poll() is None for p in procs):
    if options.get('--kill-on-bad-exit') == '1' and any(p.poll() not in (None, 0) for p in procs):
        for p in procs:
            if p.poll() is None:
                p.terminate()
    time.sleep(0.2)
codes = [p.returncode if p.returncode >= 0 else 128 - p.returncode for p in procs]
sys.exit(max(codes))
'''


def write_executable(path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture
def fake_srun(tmp_path) -> dict:
    """A directory with the stand-in ``srun`` to put first on PATH, and the file where it logs its call."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    log = str(tmp_path / 'srun_call.json')
    write_executable(bin_dir / 'srun', FAKE_SRUN.format(python=sys.executable, log=log))
    return dict(bin_dir=str(bin_dir), log=log)


def run_slurm_script(script: str, args: List[str], fake: dict, **variables: str) -> str:
    """Run ``tools/<script>`` with the stand-in srun first on PATH and ``variables`` in the environment;
    fail with its output when it exits non-zero."""
    env = dict(os.environ, PATH=f'{fake["bin_dir"]}{os.pathsep}{os.environ["PATH"]}', PYTHON=sys.executable,
               OMP_NUM_THREADS='1', MASTER_PORT=str(29500 + (os.getpid() + 500) % 1000))
    env.update(variables)
    env.pop('MASTER_ADDR', None)
    proc = subprocess.run(['bash', osp.join('tools', script), *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f'{script} {" ".join(args)} failed:\n{output[-5000:]}'
    return output


def srun_call(fake: dict) -> dict:
    with open(fake['log']) as f:
        return json.load(f)


@pytest.fixture(scope='module')
def synthetic(tmp_path_factory) -> dict:
    """Tiny synthetic REFER data with its detection file, and a tiny CLIP directory."""
    root = tmp_path_factory.mktemp('slurm')
    data_root = str(root / 'data')
    generate_synthetic_refer(data_root, num_images=NUM_IMAGES, image_size=(96, 96), seed=5)
    run_tool(['tools/prepare_refcoco.py', data_root, '--dataset', 'synthetic'])
    clip_dir = save_tiny_clip(str(root / 'clip'), texts=synthetic_vocabulary())
    return dict(root=root, data_root=data_root, clip_dir=clip_dir)


def test_slurm_train_then_test_on_two_cpu_tasks_equals_one_process(synthetic, fake_srun):
    root, data_root = synthetic['root'], synthetic['data_root']
    slurm_variables = dict(GPUS='2', GPUS_PER_NODE='2', CPUS_PER_TASK='1', SRUN_ARGS='--time=5 --quiet')

    train_dir = str(root / 'slurm_train')
    output = run_slurm_script('slurm_train.sh', ['cpu', 'rec-train', DETECTOR_CONFIG, train_dir, '--cfg-options',
                                                 *train_options(data_root, max_epochs=1)], fake_srun,
                              **slurm_variables)
    assert 'Distributed launcher: slurm' in output and 'GPU number: 2' in output  # mmengine's world size
    call = srun_call(fake_srun)
    assert call['options'] == {'-p': 'cpu', '--job-name': 'rec-train', '--gres': 'gpu:2', '--ntasks': '2',
                               '--ntasks-per-node': '2', '--cpus-per-task': '1', '--kill-on-bad-exit': '1',
                               '--time': '5', '--quiet': True}
    assert call['command'][:4] == [sys.executable, '-u', osp.join(REPO, 'tools', 'train.py'), DETECTOR_CONFIG]
    assert call['command'][4:6] == ['--work-dir', train_dir] and call['command'][-2:] == ['--launcher', 'slurm']
    assert call['pythonpath'].split(os.pathsep)[0] == osp.join(REPO, 'tools', '..')
    checkpoint = osp.join(train_dir, 'epoch_1.pth')
    assert osp.isfile(checkpoint)

    test_options = rec_test_options(data_root, synthetic['clip_dir'])
    single_dir = str(root / 'single_test')
    run_tool(['tools/test.py', METHOD2_CONFIG, checkpoint, '--work-dir', single_dir,
              '--out', osp.join(single_dir, 'rows.jsonl'), '--cfg-options', *test_options])
    slurm_dir = str(root / 'slurm_test')
    output = run_slurm_script('slurm_test.sh', ['cpu', 'rec-test', METHOD2_CONFIG, checkpoint,
                                                '--work-dir', slurm_dir, '--out', osp.join(slurm_dir, 'rows.jsonl'),
                                                '--cfg-options', *test_options], fake_srun, GRES='',
                              **slurm_variables)
    call = srun_call(fake_srun)
    assert '--gres' not in call['options'] and call['options']['--ntasks'] == '2'
    assert call['command'][2:5] == [osp.join(REPO, 'tools', 'test.py'), METHOD2_CONFIG, checkpoint]
    assert 'Distributed launcher: slurm' in output and 'GPU number: 2' in output

    assert_same_evaluation(single_dir, slurm_dir)


@pytest.mark.parametrize('args, work_dir_args', [(['work_dirs/m1', '--resume'], ['--work-dir', 'work_dirs/m1']),
                                                   (['--resume'], [])])
def test_slurm_train_work_dir_is_optional(fake_srun, args, work_dir_args):
    # PYTHON=true: the tasks exit at once; only the command srun was given matters here.
    run_slurm_script('slurm_train.sh', ['cpu', 'rec', DETECTOR_CONFIG, *args], fake_srun, PYTHON='true')
    assert srun_call(fake_srun)['command'] == ['true', '-u', osp.join(REPO, 'tools', 'train.py'), DETECTOR_CONFIG,
                                               *work_dir_args, '--resume', '--launcher', 'slurm']
    assert srun_call(fake_srun)['options']['--ntasks'] == '8'  # mmdet's default GPUS


def test_slurm_test_without_a_checkpoint_prints_its_usage(fake_srun):
    proc = subprocess.run(['bash', 'tools/slurm_test.sh', 'cpu', 'rec-test', METHOD2_CONFIG], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode == 2 and 'usage:' in proc.stderr and 'CHECKPOINT' in proc.stderr
    assert not osp.exists(fake_srun['log'])  # srun never started


# ---- the rendezvous that --launcher slurm reads on CPU processes ----

SRUN_TASK = dict(SLURM_PROCID='3', SLURM_NTASKS='8', SLURM_LOCALID='1', SLURM_NODELIST='node[03-04]')


@pytest.fixture
def slurm_task(monkeypatch, tmp_path) -> Dict[str, str]:
    """srun's variables of task 3 of 8 on two nodes, no MASTER_* set, and PATH without scontrol."""
    for name in ('MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(name, raising=False)
    for name, value in SRUN_TASK.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv('PATH', str(tmp_path / 'empty_bin'))
    return SRUN_TASK


def fake_scontrol(tmp_path, monkeypatch, script_body: str) -> None:
    bin_dir = tmp_path / 'scontrol_bin'
    bin_dir.mkdir()
    write_executable(bin_dir / 'scontrol', f'#!/bin/sh\n{script_body}\n')
    monkeypatch.setenv('PATH', str(bin_dir))


def test_rendezvous_takes_rank_size_and_first_node_from_srun(slurm_task, tmp_path, monkeypatch):
    fake_scontrol(tmp_path, monkeypatch, '[ "$1 $2 $3" = "show hostnames node[03-04]" ] && printf "node03\\nnode04\\n"')

    assert slurm_rendezvous() == dict(RANK='3', WORLD_SIZE='8', LOCAL_RANK='1', MASTER_PORT='29500',
                                      MASTER_ADDR='node03')


def test_rendezvous_prefers_the_port_argument_then_the_environment(slurm_task, monkeypatch):
    monkeypatch.setenv('MASTER_ADDR', 'head')
    monkeypatch.setenv('MASTER_PORT', '31000')
    assert slurm_rendezvous()['MASTER_PORT'] == '31000'
    assert slurm_rendezvous(port=32000)['MASTER_PORT'] == '32000'
    assert slurm_rendezvous()['MASTER_ADDR'] == 'head'  # scontrol is not needed then


def test_first_host_without_scontrol(slurm_task):
    assert first_slurm_host('cpu-7.cluster') == 'cpu-7.cluster'
    with pytest.raises(RuntimeError, match=r"node\[03-04\].*scontrol.*MASTER_ADDR"):
        first_slurm_host('node[03-04]')


def test_failing_scontrol_is_reported(slurm_task, tmp_path, monkeypatch):
    fake_scontrol(tmp_path, monkeypatch, 'echo "invalid hostlist" >&2; exit 1')
    with pytest.raises(RuntimeError, match='invalid hostlist'):
        first_slurm_host('node[03-')


def test_rendezvous_outside_srun_names_the_missing_variable(slurm_task, monkeypatch):
    monkeypatch.delenv('SLURM_PROCID')
    with pytest.raises(RuntimeError, match='SLURM_PROCID.*srun'):
        slurm_rendezvous()
