"""Running the quickstart's stages: subprocesses up to ``jobs`` at once when their inputs are ready, their
progress echoed with the elapsed time."""
import os
import os.path as osp
import re
import subprocess
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, TextIO, Tuple

from mmrec.paths import REPO_ROOT
from .settings import QuickstartSettings


@dataclass
class Stage:
    """A step of the quickstart: a tool run (``argv`` after the interpreter) or an in-process function.

    ``argv`` may depend on earlier stages (a checkpoint path), so ``make_argv`` builds it when the stage
    starts. A finished tool stage leaves ``logs/<name>.done`` holding its command, so that ``reuse`` can
    skip it next time when the command is the same.
    """
    name: str
    title: str
    needs: Tuple[str, ...] = ()
    make_argv: Optional[Callable[[], List[str]]] = None
    function: Optional[Callable[[], str]] = None  # returns a one-line summary
    max_epochs: Optional[int] = None  # shown in the progress lines of training stages

    def __post_init__(self) -> None:
        if (self.make_argv is None) == (self.function is None):
            raise ValueError(f'stage {self.name}: give exactly one of make_argv and function')


def format_duration(seconds: float) -> str:
    """``m:ss`` (or ``h:mm:ss``) of a duration in seconds."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f'{hours}:{minutes:02d}:{secs:02d}' if hours else f'{minutes}:{secs:02d}'


class ProgressPrinter:
    """Prints ``[m:ss] stage  message`` lines (time since the start) and mirrors them to a file."""

    def __init__(self, stream: TextIO, log_file: Optional[str] = None) -> None:
        self.start = time.monotonic()
        self.stream = stream
        self.log_file = log_file

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def __call__(self, stage: str, message: str) -> None:
        line = f'[{format_duration(self.elapsed()):>7}] {stage:<22} {message}'
        print(line, file=self.stream, flush=True)
        if self.log_file is not None:
            with open(self.log_file, 'a') as f:
                f.write(line + '\n')


# mmengine's runner log lines: "Epoch(train)  [3][40/50]  lr: ...  loss: 0.51 ..." and "Epoch(test) [20/50] ...".
_TRAIN_LINE = re.compile(r'Epoch\(train\)\s*\[(\d+)\]\s*\[\s*(\d+)/(\d+)\].*?\bloss: ([0-9.e+-]+)')
_TEST_LINE = re.compile(r'Epoch\((?:test|val)\)\s*\[\s*(\d+)/(\d+)\]')


def progress_of(line: str, max_epochs: Optional[int] = None) -> Optional[str]:
    """A short progress message for an mmengine log line (training iteration or test batch), or None."""
    match = _TRAIN_LINE.search(line)
    if match:
        epoch, it, iters, loss = match.groups()
        of_epochs = f'/{max_epochs}' if max_epochs else ''
        return f'epoch {epoch}{of_epochs}, iteration {it}/{iters}, loss {float(loss):.3f}'
    match = _TEST_LINE.search(line)
    if match:
        done, total = match.groups()
        return f'evaluated {done}/{total} images'
    return None


class StageFailed(RuntimeError):
    """A quickstart tool exited with an error."""


class _RunningTool:
    """A tool stage's subprocess, its log and how much of the log has been read."""

    def __init__(self, stage: Stage, argv: List[str], log_path: str, env: Dict[str, str]) -> None:
        self.stage = stage
        self.argv = argv
        self.log_path = log_path
        self.log = open(log_path, 'wb')
        self.process = subprocess.Popen(argv, cwd=REPO_ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.started = time.monotonic()
        self.offset = 0
        self.last_report = -float('inf')

    def new_progress(self, min_interval: float) -> List[str]:
        """Progress messages of the complete log lines written since the last call, at most one per
        ``min_interval`` seconds (the newest) plus every first line of an epoch's end."""
        with open(self.log_path, 'rb') as f:
            f.seek(self.offset)
            data = f.read()
        complete = data.rfind(b'\n') + 1  # a half-written line waits for the next call
        self.offset += complete
        messages = [m for m in (progress_of(line, self.stage.max_epochs)
                                for line in data[:complete].decode(errors='replace').splitlines()) if m]
        now = time.monotonic()
        if not messages or now - self.last_report < min_interval:
            return []
        self.last_report = now
        return messages[-1:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait()
        self.log.close()


def subprocess_env(settings: QuickstartSettings) -> Dict[str, str]:
    """The tools' environment: offline, ``threads`` torch threads each, this checkout importable."""
    env = dict(os.environ)
    threads = str(settings.threads)
    env.update(OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads, HF_HUB_OFFLINE='1', TRANSFORMERS_OFFLINE='1')
    env['PYTHONPATH'] = os.pathsep.join(p for p in (REPO_ROOT, env.get('PYTHONPATH')) if p)
    return env


def read_text(path: str) -> Optional[str]:
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return f.read()


def log_tail(path: str, lines: int = 40) -> str:
    with open(path, errors='replace') as f:
        return ''.join(f.readlines()[-lines:])


def run_stages(stages: Sequence[Stage], settings: QuickstartSettings, report: ProgressPrinter,
               poll_seconds: float = 1.0, report_interval: float = 15.0) -> Dict[str, float]:
    """Run each stage once the stages it needs are done: in-process ones here, tools as subprocesses (up
    to ``settings.jobs`` at once, in the given order); return each stage's duration in seconds.

    Raises:
        StageFailed: a tool exited non-zero (names the stage and its log and shows the log's tail); the
            other running tools are stopped first.
        ValueError: a stage needs an unknown stage.
    """
    names = {stage.name for stage in stages}
    for stage in stages:
        unknown = [n for n in stage.needs if n not in names]
        if unknown:
            raise ValueError(f'stage {stage.name} needs unknown stage(s) {unknown}')
    os.makedirs(settings.path('logs'), exist_ok=True)
    env = subprocess_env(settings)
    durations: Dict[str, float] = {}
    pending = list(stages)
    running: List[_RunningTool] = []
    try:
        while pending or running:
            for stage in [s for s in pending if all(n in durations for n in s.needs)]:
                if stage.function is not None:  # short, in-process: run it now
                    pending.remove(stage)
                    started = time.monotonic()
                    report(stage.name, f'{stage.title} ...')
                    summary = stage.function()
                    durations[stage.name] = time.monotonic() - started
                    report(stage.name, f'{summary} ({format_duration(durations[stage.name])})')
                elif len(running) < settings.jobs:
                    pending.remove(stage)
                    argv = [settings.python, *stage.make_argv()]
                    command = ' '.join(argv[1:])
                    marker = settings.path('logs', f'{stage.name}.done')
                    if settings.reuse and read_text(marker) == command:
                        report(stage.name, f'{stage.title}: reused the previous run (logs/{stage.name}.log)')
                        durations[stage.name] = 0.0
                        continue
                    if osp.exists(marker):
                        os.remove(marker)
                    log_path = settings.path('logs', f'{stage.name}.log')
                    report(stage.name, f'{stage.title} ... (log: {log_path})')
                    running.append(_RunningTool(stage, argv, log_path, env))
            if not running:
                if pending and not any(all(n in durations for n in s.needs) for s in pending):
                    raise ValueError(f'stages {[s.name for s in pending]} cannot start: they wait for each other')
                continue
            time.sleep(poll_seconds)
            for tool in list(running):
                for message in tool.new_progress(report_interval):
                    report(tool.stage.name, message)
                if tool.process.poll() is None:
                    continue
                tool.stop()
                running.remove(tool)
                if tool.process.returncode != 0:
                    raise StageFailed(f'stage {tool.stage.name} failed (exit code {tool.process.returncode}); '
                                      f'log: {tool.log_path}\n{log_tail(tool.log_path)}')
                durations[tool.stage.name] = time.monotonic() - tool.started
                with open(settings.path('logs', f'{tool.stage.name}.done'), 'w') as f:
                    f.write(' '.join(tool.argv[1:]))
                report(tool.stage.name, f'done ({format_duration(durations[tool.stage.name])})')
    finally:
        for tool in running:
            tool.stop()
    return durations


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint that mmengine's runner saved last in ``work_dir`` (its ``last_checkpoint`` file)."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    path = read_text(pointer)
    if path is None or not osp.isfile(path.strip()):
        raise FileNotFoundError(f'no checkpoint in {work_dir} ({pointer} is missing or names a missing file)')
    return path.strip()
