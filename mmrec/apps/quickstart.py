"""The quickstart: the whole REC pipeline on synthetic shapes, offline, on a laptop CPU.

``tools/quickstart.py`` calls :func:`run_quickstart`, which

1. writes the data: the REC data set (train / val splits of coloured shapes, ``data/synthetic``) and a
   differently distributed *source* set for the untuned detector (another seed, half the image size,
   ``data/synthetic_source``), plus their detection files (``tools/prepare_refcoco.py``);
2. trains, each with ``tools/train.py`` and a config of ``configs/quickstart/``: the untuned detector (on the
   source set), the fine-tuned detector (from it, on the REC train split), the tiny region-text CLIP, and
   method 1's head (RPN + branch fine-tuned from the untuned detector);
3. evaluates the four rows of the report's Table 1 on the val split with ``tools/test.py``: method 1 baseline
   (zero-shot head over the untuned detector) and fine-tuned, method 2 over the untuned and over the
   fine-tuned detector, all with spatial reasoning (a crop cannot show where an object is), plus method 2
   with crop similarity alone as the report scores it; one picture per val image for each row. The untuned
   detector's rows resize the val images to the source set's size, the scale it trained at;
4. prints the table and writes ``results.json`` (one object per row) in the work dir.

Stages run as subprocesses, up to ``jobs`` at once when their inputs are ready (the CLIP trains while the
detectors do), each with ``threads`` torch threads; every stage writes its output to ``logs/<stage>.log``
and its runs to its own work dir, and its progress (epoch, iteration, loss) is echoed with the elapsed time.
"""
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, TextIO, Tuple

from mmrec.paths import REPO_ROOT
CONFIG_DIR = 'configs/quickstart'
SOURCE_SEED_OFFSET = 1000  # the source set's seed: far from the REC data's, so no scene repeats
KINDS = ('attribute', 'spatial', 'relational')
# The training configs (in CONFIG_DIR), by the settings' name of their epochs.
CONFIGS = dict(detector='faster-rcnn_r18-tiny_fpn_12e_source-shapes.py', clip='tiny-clip_synthetic-regions.py',
               finetune='faster-rcnn_r18-tiny_fpn_6e_synthetic-ft.py',
               method1='method1_tiny-clip_r18-tiny_fpn_ft_synthetic.py')


# ---------------------------------------------------------------------------------------------- settings
@dataclass
class QuickstartSettings:
    """What to generate, train and evaluate. ``None`` epochs keep the config's schedule."""
    work_dir: str = 'work_dirs/quickstart'
    data_root: str = 'data/synthetic'
    source_root: str = 'data/synthetic_source'
    seed: int = 0
    num_train: int = 200
    num_val: int = 50
    num_source: int = 200
    image_size: Tuple[int, int] = (320, 240)
    source_image_size: Tuple[int, int] = (160, 120)
    detector_epochs: Optional[int] = None  # the untuned detector
    finetune_epochs: Optional[int] = None  # the fine-tuned detector
    clip_epochs: Optional[int] = None
    method1_epochs: Optional[int] = None
    jobs: int = 2
    threads: int = 1
    reuse: bool = False
    python: str = sys.executable

    def __post_init__(self) -> None:
        for name in ('num_train', 'num_val', 'num_source', 'jobs', 'threads'):
            if getattr(self, name) < 1:
                raise ValueError(f'quickstart: {name} must be at least 1, got {getattr(self, name)}')
        for name in ('detector_epochs', 'finetune_epochs', 'clip_epochs', 'method1_epochs'):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f'quickstart: {name} must be at least 1, got {value}')
        # the tools run from the repository root: hand them absolute paths
        self.work_dir, self.data_root, self.source_root = (
            osp.abspath(p) for p in (self.work_dir, self.data_root, self.source_root))
        self.image_size = tuple(self.image_size)
        self.source_image_size = tuple(self.source_image_size)

    def path(self, *parts: str) -> str:
        return osp.join(self.work_dir, *parts)


@dataclass(frozen=True)
class Row:
    """One row of Table 1: a method evaluated with a config over a detector checkpoint."""
    key: str
    method: str
    config: str
    detector: str  # the training stage whose checkpoint the evaluation loads
    # Test at the scale the detector trained at: the untuned detector learnt the shapes at half the REC data's
    # pixel size (the source set), so its rows resize the val images to source_image_size, as mmdet runs a
    # COCO detector at its own test scale whatever the data set.
    at_source_scale: bool = False


# The report's four rows, each with spatial reasoning (mmrec.models.spatial_reasoning), then method 2 as the
# report describes it (crop similarity alone), to show what the reasoning adds.
ROWS = (
    Row('method1_baseline', 'method 1 baseline (zero-shot head, untuned detector) + spatial reasoning',
        f'{CONFIG_DIR}/method1_tiny-clip_r18-tiny_fpn_zeroshot_synthetic.py', 'detector_untuned', True),
    Row('method1_finetuned', 'method 1 fine-tuned (RPN + branch trained) + spatial reasoning',
        f'{CONFIG_DIR}/method1_tiny-clip_r18-tiny_fpn_ft_synthetic.py', 'method1_train'),
    Row('method2_untuned', 'method 2, untuned detector + spatial reasoning',
        f'{CONFIG_DIR}/method2_tiny-clip_r18-tiny_fpn_synthetic.py', 'detector_untuned', True),
    Row('method2_finetuned', 'method 2, fine-tuned detector + spatial reasoning',
        f'{CONFIG_DIR}/method2_tiny-clip_r18-tiny_fpn_synthetic.py', 'detector_finetuned'),
    Row('method2_untuned_crop_only', "method 2, untuned detector, crop similarity only (the report's)",
        f'{CONFIG_DIR}/method2_tiny-clip_r18-tiny_fpn_crop-only_synthetic.py', 'detector_untuned', True),
    Row('method2_finetuned_crop_only', "method 2, fine-tuned detector, crop similarity only (the report's)",
        f'{CONFIG_DIR}/method2_tiny-clip_r18-tiny_fpn_crop-only_synthetic.py', 'detector_finetuned'),
)


# ---------------------------------------------------------------------------------------------- stages
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


def _subprocess_env(settings: QuickstartSettings) -> Dict[str, str]:
    """The tools' environment: offline, ``threads`` torch threads each, this checkout importable."""
    env = dict(os.environ)
    threads = str(settings.threads)
    env.update(OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads, HF_HUB_OFFLINE='1', TRANSFORMERS_OFFLINE='1')
    env['PYTHONPATH'] = os.pathsep.join(p for p in (REPO_ROOT, env.get('PYTHONPATH')) if p)
    return env


def _read(path: str) -> Optional[str]:
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return f.read()


def _tail(path: str, lines: int = 40) -> str:
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
    env = _subprocess_env(settings)
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
                    if settings.reuse and _read(marker) == command:
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
                                      f'log: {tool.log_path}\n{_tail(tool.log_path)}')
                durations[tool.stage.name] = time.monotonic() - tool.started
                with open(settings.path('logs', f'{tool.stage.name}.done'), 'w') as f:
                    f.write(' '.join(tool.argv[1:]))
                report(tool.stage.name, f'done ({format_duration(durations[tool.stage.name])})')
    finally:
        for tool in running:
            tool.stop()
    return durations


# ---------------------------------------------------------------------------------------------- the stages
def _data_root_option(key: str, root: str) -> str:
    return f'{key}.data_root={root.rstrip(os.sep)}{os.sep}'


def resize_step(config: str, key: str) -> int:
    """Where the ``Resize`` step is in the pipeline of ``key`` (``'<loader>.dataset'``) of ``config``: the
    step is found by its type, so that the configs may add or reorder the others."""
    from mmengine.config import Config
    node = Config.fromfile(osp.join(REPO_ROOT, config), import_custom_modules=False)
    for part in key.split('.'):
        node = node[part]
    steps = [i for i, step in enumerate(node['pipeline']) if step['type'] == 'Resize']
    if len(steps) != 1:
        raise ValueError(f'{config}: {key}.pipeline has {len(steps)} Resize steps, the quickstart needs one')
    return steps[0]


def scale_option(config: str, key: str, size: Tuple[int, int]) -> str:
    """The ``--cfg-options`` entry that sets the scale of the Resize step of ``key``'s pipeline in ``config``."""
    return f'{key}.pipeline.{resize_step(config, key)}.scale=({size[0]},{size[1]})'


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint that mmengine's runner saved last in ``work_dir`` (its ``last_checkpoint`` file)."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    path = _read(pointer)
    if path is None or not osp.isfile(path.strip()):
        raise FileNotFoundError(f'no checkpoint in {work_dir} ({pointer} is missing or names a missing file)')
    return path.strip()


def training_stage(settings: QuickstartSettings, key: str, name: str, title: str, needs: Tuple[str, ...],
                   options: Callable[[], List[str]]) -> Stage:
    """``tools/train.py CONFIGS[key]`` in ``work_dir/name``, with the ``--cfg-options`` that ``options``
    gives when the stage starts, the seed and, when set, ``settings.<key>_epochs``."""
    config = f'{CONFIG_DIR}/{CONFIGS[key]}'
    epochs = getattr(settings, f'{key}_epochs')

    def argv() -> List[str]:
        extra = [f'randomness.seed={settings.seed}'] + ([] if epochs is None else [f'train_cfg.max_epochs={epochs}'])
        return ['tools/train.py', config, '--work-dir', settings.path(name), '--cfg-options', *options(), *extra]

    shown_epochs = epochs
    if shown_epochs is None:  # the config's own schedule, read for the progress lines
        from mmengine.config import Config
        shown_epochs = Config.fromfile(osp.join(REPO_ROOT, config), import_custom_modules=False).train_cfg.max_epochs
    return Stage(name, title, needs=needs, make_argv=argv, max_epochs=shown_epochs)


def training_stages(settings: QuickstartSettings) -> List[Stage]:
    """The four trainings: untuned detector, CLIP, fine-tuned detector, method 1 (see the module doc)."""
    loader = 'train_dataloader.dataset'

    def rec_data(key: str) -> List[str]:
        return [_data_root_option(loader, settings.data_root),
                scale_option(f'{CONFIG_DIR}/{CONFIGS[key]}', loader, settings.image_size)]

    from_untuned = lambda: [f'load_from={last_checkpoint(settings.path("detector_untuned"))}']  # noqa: E731
    return [
        training_stage(settings, 'detector', 'detector_untuned', 'train the untuned detector on the source shapes',
                       ('data', ), lambda: [_data_root_option(loader, settings.source_root),
                                            scale_option(f'{CONFIG_DIR}/{CONFIGS["detector"]}', loader,
                                                          settings.source_image_size)]),
        training_stage(settings, 'clip', 'clip', 'train the tiny region-text CLIP', ('data', ),
                       lambda: [_data_root_option(loader, settings.data_root)]),
        training_stage(settings, 'finetune', 'detector_finetuned', 'fine-tune the detector on the REC train split',
                       ('detector_untuned', ), lambda: rec_data('finetune') + from_untuned()),
        training_stage(settings, 'method1', 'method1_train',
                       "train method 1's RPN and branch from the untuned detector", ('detector_untuned', 'clip'),
                       lambda: rec_data('method1') + from_untuned()
                       + [f'model.roi_head.bbox_head.encoder.name_or_path={clip_dir(settings)}']),
    ]


def clip_dir(settings: QuickstartSettings) -> str:
    """Where the CLIP stage's ``SaveCLIPPretrainedHook`` writes the ``from_pretrained`` directory."""
    return settings.path('clip', 'clip')


_CLIP_OPTION = {'method1': 'model.roi_head.bbox_head.encoder.name_or_path',
                'method2': 'model.scorer.encoder.name_or_path'}


def evaluation_stage(row: Row, settings: QuickstartSettings) -> Stage:
    """``tools/test.py`` of one row on the val split: metrics, one prediction row per expression
    (``eval/<row>/predictions.jsonl``) and one picture per image (``pictures/<row>/``)."""
    scale = settings.source_image_size if row.at_source_scale else settings.image_size

    def argv() -> List[str]:
        loader = 'test_dataloader.dataset'
        return ['tools/test.py', row.config, last_checkpoint(settings.path(row.detector)),
                '--work-dir', settings.path('eval', row.key),
                '--out', settings.path('eval', row.key, 'predictions.jsonl'),
                '--show-dir', settings.path('pictures', row.key), '--max-per-image', '1',
                '--cfg-options', _data_root_option(loader, settings.data_root), f'{loader}.split=val',
                scale_option(row.config, loader, scale),
                f'{_CLIP_OPTION[row.key.split("_")[0]]}={clip_dir(settings)}']
    needs = tuple(dict.fromkeys((row.detector, 'clip')))
    return Stage(f'eval_{row.key}', f'evaluate {row.method}', make_argv=argv, needs=needs)


def data_stage(settings: QuickstartSettings) -> Stage:
    """Generate both data roots and their detection files (``tools/prepare_refcoco.py``)."""
    def generate() -> str:
        from ..datasets.synthetic import generate_synthetic_refer
        rec = generate_synthetic_refer(settings.data_root, seed=settings.seed, image_size=settings.image_size,
                                       num_images={'train': settings.num_train, 'val': settings.num_val},
                                       grayscale_fraction=GRAYSCALE_FRACTION)
        source = generate_synthetic_refer(settings.source_root, seed=settings.seed + SOURCE_SEED_OFFSET,
                                          image_size=settings.source_image_size,
                                          num_images={'train': settings.num_source},
                                          grayscale_fraction=GRAYSCALE_FRACTION)
        logs = [settings.path('logs', f'prepare_{name}.log') for name in ('data', 'source')]
        preparations = []
        for root, log_path in zip((settings.data_root, settings.source_root), logs):
            with open(log_path, 'w') as log:  # both at once: mostly start-up time
                preparations.append(subprocess.Popen(
                    [settings.python, 'tools/prepare_refcoco.py', root, '--dataset', 'synthetic'], cwd=REPO_ROOT,
                    env=_subprocess_env(settings), stdout=log, stderr=subprocess.STDOUT))
        for process, log_path in zip(preparations, logs):
            if process.wait() != 0:
                raise StageFailed(f'tools/prepare_refcoco.py failed; log: {log_path}\n{_tail(log_path)}')
        return (f'REC data: {rec["num_images"]["train"]} train images ({rec["num_expressions"]["train"]} '
                f'expressions), {rec["num_images"]["val"]} val images ({rec["num_expressions"]["val"]} '
                f'expressions) in {settings.data_root}; source: {source["num_images"]["train"]} images in '
                f'{settings.source_root}')
    return Stage('data', 'generate the synthetic data', function=generate)


GRAYSCALE_FRACTION = 0.05  # as tools/make_synthetic_refer.py: a few images without colour words


def chance_accuracy(data_root: str, split: str = 'val') -> float:
    """Accuracy of a uniform guess among a scene's objects: the mean over the split's expressions of one
    over the number of objects in the expression's image."""
    from ..datasets.refer_io import load_instances, load_refs
    objects: Dict[int, int] = {}
    for ann in load_instances(osp.join(data_root, 'synthetic', 'instances.json'))['annotations']:
        objects[ann['image_id']] = objects.get(ann['image_id'], 0) + 1
    guesses = [1.0 / objects[ref['image_id']] for ref in load_refs(osp.join(data_root, 'synthetic', 'refs(unc).p'))
               if ref['split'] == split for _ in ref['sentences']]
    if not guesses:
        raise ValueError(f'{data_root}: no {split} expressions')
    return sum(guesses) / len(guesses)


def read_test_metrics(work_dir: str) -> Dict[str, float]:
    """The ``rec/...`` metrics of the newest ``tools/test.py`` run in ``work_dir``: mmengine's LoggerHook
    writes them to ``work_dir/<timestamp>/<timestamp>.json``."""
    runs = sorted(d for d in os.listdir(work_dir) if osp.isfile(osp.join(work_dir, d, f'{d}.json')))
    if not runs:
        raise FileNotFoundError(f'no test metrics (<timestamp>/<timestamp>.json) in {work_dir}')
    with open(osp.join(work_dir, runs[-1], f'{runs[-1]}.json')) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    metrics = {k: v for line in lines for k, v in line.items() if k.startswith('rec/')}
    if 'rec/accuracy' not in metrics:
        raise ValueError(f'{work_dir}/{runs[-1]}: the test log has no rec/accuracy')
    return metrics


def result_row(row: Row, settings: QuickstartSettings, chance: float) -> dict:
    """The results.json object of one row (fractions in [0, 1])."""
    work_dir = settings.path('eval', row.key)
    metrics = read_test_metrics(work_dir)
    with open(osp.join(work_dir, 'predictions.jsonl')) as f:
        num_expressions = sum(1 for line in f if line.strip())
    per_kind = {k[len('rec/accuracy_'):]: v for k, v in metrics.items()
                if k.startswith('rec/accuracy_') and k != 'rec/accuracy_50_95'}
    return dict(method=row.method, key=row.key, split='val', accuracy=metrics['rec/accuracy'],
                mean_iou=metrics['rec/mean_iou'], upper_bound=metrics.get('rec/upper_bound'),
                accuracy_50_95=metrics.get('rec/accuracy_50_95'),
                per_kind={k: per_kind[k] for k in sorted(per_kind, key=_kind_order)},
                num_expressions=num_expressions, chance=chance, config=row.config,
                checkpoint=osp.relpath(last_checkpoint(settings.path(row.detector)), settings.work_dir),
                pictures=osp.relpath(settings.path('pictures', row.key), settings.work_dir))


def _kind_order(kind: str) -> tuple:
    return (KINDS.index(kind) if kind in KINDS else len(KINDS), kind)


def format_table(results: Sequence[dict]) -> str:
    """Table 1 as text: accuracy at IoU 0.5, mean IoU, upper bound and accuracy per kind, in percent."""
    kinds = sorted({k for r in results for k in r['per_kind']}, key=_kind_order)
    header = ['method', 'acc@0.5', 'mean IoU', 'upper bound'] + [f'acc {k}' for k in kinds]
    percent = lambda v: '-' if v is None else f'{100 * v:.1f}'  # noqa: E731
    body = [[r['method'], percent(r['accuracy']), percent(r['mean_iou']), percent(r['upper_bound'])]
            + [percent(r['per_kind'].get(k)) for k in kinds] for r in results]
    widths = [max(len(line[i]) for line in [header] + body) for i in range(len(header))]
    fmt = lambda line: '| ' + ' | '.join(c.ljust(w) if i == 0 else c.rjust(w)  # noqa: E731
                                         for i, (c, w) in enumerate(zip(line, widths))) + ' |'
    rule = '|' + '|'.join('-' * (w + 2) for w in widths) + '|'
    first = results[0] if results else {}
    title = (f'Table 1 on the synthetic val split ({first.get("num_expressions", 0)} expressions; a uniform '
             f'guess among the objects of a scene scores {percent(first.get("chance"))}%)')
    return '\n'.join([title, fmt(header), rule] + [fmt(line) for line in body])


def report_stage(settings: QuickstartSettings, stream: TextIO) -> Stage:
    """Collect the evaluations (:data:`ROWS`) into ``results.json`` and print the table."""
    def collect() -> str:
        chance = chance_accuracy(settings.data_root)
        results = [result_row(row, settings, chance) for row in ROWS]
        path = settings.path('results.json')
        with open(path, 'w') as f:
            json.dump(results, f, indent=2)
        print('\n' + format_table(results) + '\n', file=stream, flush=True)
        return f'wrote {path} and pictures in {settings.path("pictures")}'
    return Stage('report', 'collect the results', function=collect,
                 needs=tuple(f'eval_{row.key}' for row in ROWS))


def quickstart_stages(settings: QuickstartSettings, stream: TextIO = sys.stdout) -> List[Stage]:
    """Every stage in priority order: the longest chains (detector -> fine-tuning -> evaluation) first."""
    rows = {row.key: row for row in ROWS}
    evaluations = [evaluation_stage(rows[key], settings)
                   for key in ('method2_untuned', 'method2_untuned_crop_only', 'method1_baseline', 'method2_finetuned',
                               'method2_finetuned_crop_only', 'method1_finetuned')]
    return [data_stage(settings), *training_stages(settings), *evaluations, report_stage(settings, stream)]


def run_quickstart(settings: QuickstartSettings, stream: TextIO = sys.stdout) -> List[dict]:
    """Run every stage (see the module doc); return the rows written to ``results.json``."""
    os.makedirs(settings.path('logs'), exist_ok=True)
    report = ProgressPrinter(stream, settings.path('logs', 'quickstart.log'))
    report('quickstart', f'work dir {settings.work_dir}; {settings.jobs} stage(s) at once, '
                         f'{settings.threads} thread(s) each')
    durations = run_stages(quickstart_stages(settings, stream), settings, report)
    with open(settings.path('timings.json'), 'w') as f:
        json.dump(dict(stages_seconds={k: round(v, 1) for k, v in durations.items()},
                       total_seconds=round(report.elapsed(), 1), jobs=settings.jobs, threads=settings.threads,
                       cpu_count=os.cpu_count()), f, indent=2)
    report('quickstart', f'finished in {format_duration(report.elapsed())}')
    with open(settings.path('results.json')) as f:
        return json.load(f)
