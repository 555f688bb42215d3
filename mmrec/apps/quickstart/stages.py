"""The quickstart's stages: the data, the trainings, the evaluations of the table's rows, the report."""
import json
import os
import os.path as osp
import subprocess
import sys
from typing import Callable, List, TextIO, Tuple

from mmrec.paths import REPO_ROOT
from . import generalized
from .options import CLIP_OPTION, clip_dir, data_root_option, scale_option
from .report import GRAYSCALE_FRACTION, report_stage
from .runner import (ProgressPrinter, Stage, StageFailed, format_duration, log_tail, subprocess_env,
                     last_checkpoint, run_stages)
from .settings import CONFIGS, CONFIG_DIR, ROWS, SOURCE_SEED_OFFSET, QuickstartSettings, Row


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
        return [data_root_option(loader, settings.data_root),
                scale_option(f'{CONFIG_DIR}/{CONFIGS[key]}', loader, settings.image_size)]

    from_untuned = lambda: [f'load_from={last_checkpoint(settings.path("detector_untuned"))}']  # noqa: E731
    return [
        training_stage(settings, 'detector', 'detector_untuned', 'train the untuned detector on the source shapes',
                       ('data', ), lambda: [data_root_option(loader, settings.source_root),
                                            scale_option(f'{CONFIG_DIR}/{CONFIGS["detector"]}', loader,
                                                          settings.source_image_size)]),
        training_stage(settings, 'clip', 'clip', 'train the tiny region-text CLIP', ('data', ),
                       lambda: [data_root_option(loader, settings.data_root)]),
        training_stage(settings, 'finetune', 'detector_finetuned', 'fine-tune the detector on the REC train split',
                       ('detector_untuned', ), lambda: rec_data('finetune') + from_untuned()),
        training_stage(settings, 'method1', 'method1_train',
                       "train method 1's RPN and branch from the untuned detector", ('detector_untuned', 'clip'),
                       lambda: rec_data('method1') + from_untuned()
                       + [f'model.roi_head.bbox_head.encoder.name_or_path={clip_dir(settings)}']),
    ]


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
                '--cfg-options', data_root_option(loader, settings.data_root), f'{loader}.split=val',
                scale_option(row.config, loader, scale),
                f'{CLIP_OPTION[row.key.split("_")[0]]}={clip_dir(settings)}']
    needs = tuple(dict.fromkeys((row.detector, 'clip')))
    return Stage(f'eval_{row.key}', f'evaluate {row.method}', make_argv=argv, needs=needs)


def data_stage(settings: QuickstartSettings) -> Stage:
    """Generate both data roots and their detection files (``tools/prepare_refcoco.py``)."""
    def generate() -> str:
        from mmrec.datasets.synthetic import generate_synthetic_refer
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
                    env=subprocess_env(settings), stdout=log, stderr=subprocess.STDOUT))
        for process, log_path in zip(preparations, logs):
            if process.wait() != 0:
                raise StageFailed(f'tools/prepare_refcoco.py failed; log: {log_path}\n{log_tail(log_path)}')
        return (f'REC data: {rec["num_images"]["train"]} train images ({rec["num_expressions"]["train"]} '
                f'expressions), {rec["num_images"]["val"]} val images ({rec["num_expressions"]["val"]} '
                f'expressions) in {settings.data_root}; source: {source["num_images"]["train"]} images in '
                f'{settings.source_root}; {generalized.generate_grefcoco(settings)}')
    return Stage('data', 'generate the synthetic data', function=generate)


def quickstart_stages(settings: QuickstartSettings, stream: TextIO = sys.stdout) -> List[Stage]:
    """Every stage in priority order: the longest chains (detector -> fine-tuning -> evaluation) first."""
    rows = {row.key: row for row in ROWS}
    evaluations = [evaluation_stage(rows[key], settings)
                   for key in ('method2_untuned', 'method2_untuned_crop_only', 'method1_baseline', 'method2_finetuned',
                               'method2_finetuned_crop_only', 'method1_finetuned')]
    sweep, generalized_evaluation = generalized.grec_stages(settings)  # the generalised row: sweep, then test
    evaluations[4:4] = [sweep]  # the two-stage chain starts with the first fine-tuned evaluation
    report = report_stage(settings, stream, more=lambda: generalized.grec_report(settings),
                          more_needs=(generalized_evaluation.name, ))
    return [data_stage(settings), *training_stages(settings), *evaluations, generalized_evaluation, report]


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
