"""The quickstart's generalised-REC row: method 2 answering every candidate above a threshold, or none.

On synthetic gRefCOCO data (``settings.grefcoco_root``: refs to one object, to two or three, or to none;
:func:`mmrec.datasets.synthetic_grefcoco.generate_synthetic_grefcoco`) with the fine-tuned detector and the
quickstart's CLIP:

1. ``sweep_grec``: ``tools/sweep.py`` of :data:`GREC_CONFIG` over :data:`GREC_THRESHOLDS` on the val split;
2. ``eval_grec``: ``tools/test.py`` on the testA split with the threshold of the best val Pr@(F1=1, IoU>=0.5)
   (:func:`chosen_threshold`), so that the reported figures are not those the threshold was chosen on;
3. the report's second table (:func:`format_grec_table`) and ``results_generalized.json``.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Sequence, Tuple

from .options import CLIP_OPTION, clip_dir, data_root_option, scale_option
from .report import read_test_metrics
from .runner import Stage, last_checkpoint
from .settings import CONFIG_DIR, QuickstartSettings

GREC_CONFIG = f'{CONFIG_DIR}/method2_tiny-clip_r18-tiny_fpn_grec_synthetic.py'
GREC_KEY = 'model.scorer.generalized_score_thr'
#: The thresholds swept on val: CLIP cosines of the tiny CLIP and the reasoner's probabilities both lie in [0, 1].
GREC_THRESHOLDS = tuple(round(0.05 * step, 2) for step in range(1, 20))
GREC_METHOD = 'method 2, fine-tuned detector + spatial reasoning, every candidate above the threshold'
SWEEP_SPLIT, TEST_SPLIT = 'val', 'testA'
CHOSEN_BY = 'grec/pr_f1'


def generate_grefcoco(settings: QuickstartSettings) -> str:
    """Write the synthetic gRefCOCO data (val and testA, ``num_grec`` images each); a one-line summary."""
    from mmrec.datasets.synthetic_grefcoco import generate_synthetic_grefcoco
    summary = generate_synthetic_grefcoco(settings.grefcoco_root, seed=settings.seed, image_size=settings.image_size,
                                          num_images={SWEEP_SPLIT: settings.num_grec, TEST_SPLIT: settings.num_grec})
    kinds = summary['kinds'][TEST_SPLIT]
    return (f'gRefCOCO data: {settings.num_grec} {SWEEP_SPLIT} + {settings.num_grec} {TEST_SPLIT} images '
            f'({summary["num_expressions"][TEST_SPLIT]} {TEST_SPLIT} expressions: {kinds.get("multi", 0)} to '
            f'several objects, {kinds.get("none", 0)} to none) in {settings.grefcoco_root}')


def _test_options(settings: QuickstartSettings, split: str) -> List[str]:
    loader = 'test_dataloader.dataset'
    return [data_root_option(loader, settings.grefcoco_root), f'{loader}.split={split}',
            scale_option(GREC_CONFIG, loader, settings.image_size), f'{CLIP_OPTION["method2"]}={clip_dir(settings)}']


def sweep_stage(settings: QuickstartSettings) -> Stage:
    """``tools/sweep.py`` of the threshold on the gRefCOCO val split (one detector pass for every threshold)."""
    def argv() -> List[str]:
        grid = f'{GREC_KEY}=' + ','.join(str(value) for value in GREC_THRESHOLDS)
        return ['tools/sweep.py', GREC_CONFIG, last_checkpoint(settings.path('detector_finetuned')),
                '--work-dir', settings.path('eval', 'grec_sweep'), '--grid', grid,
                '--cfg-options', *_test_options(settings, SWEEP_SPLIT)]
    return Stage('sweep_grec', f'choose the generalised threshold on gRefCOCO {SWEEP_SPLIT}', make_argv=argv,
                 needs=('detector_finetuned', 'clip'))


def newest_run_file(work_dir: str, name: str) -> str:
    """``work_dir/<timestamp>/name`` of the newest run that wrote it (mmengine's run directories)."""
    runs = sorted(d for d in os.listdir(work_dir) if osp.isfile(osp.join(work_dir, d, name))) \
        if osp.isdir(work_dir) else []
    if not runs:
        raise FileNotFoundError(f'no <timestamp>/{name} in {work_dir}')
    return osp.join(work_dir, runs[-1], name)


def chosen_threshold(sweep_points: Sequence[dict], metric: str = CHOSEN_BY) -> Tuple[float, Dict[str, float]]:
    """The swept threshold with the highest ``metric`` (ties: the first, i.e. the lowest) and its metrics, from
    ``sweep.json``'s ``[{"point": {...}, "metrics": {...}}, ...]``."""
    scored = [entry for entry in sweep_points if metric in entry['metrics'] and GREC_KEY in entry['point']]
    if not scored:
        raise ValueError(f'the sweep has no point with {metric} and {GREC_KEY}')
    best = max(scored, key=lambda entry: entry['metrics'][metric])  # max keeps the first of equal ones
    return float(best['point'][GREC_KEY]), best['metrics']


def read_chosen_threshold(settings: QuickstartSettings) -> Tuple[float, Dict[str, float]]:
    with open(newest_run_file(settings.path('eval', 'grec_sweep'), 'sweep.json')) as f:
        return chosen_threshold(json.load(f))


def evaluation_stage(settings: QuickstartSettings) -> Stage:
    """``tools/test.py`` on the gRefCOCO testA split at the threshold chosen on val."""
    def argv() -> List[str]:
        threshold, _ = read_chosen_threshold(settings)
        return ['tools/test.py', GREC_CONFIG, last_checkpoint(settings.path('detector_finetuned')),
                '--work-dir', settings.path('eval', 'grec'),
                '--out', settings.path('eval', 'grec', 'predictions.jsonl'),
                '--cfg-options', *_test_options(settings, TEST_SPLIT), f'{GREC_KEY}={threshold}']
    return Stage('eval_grec', f'evaluate generalised REC on gRefCOCO {TEST_SPLIT}', make_argv=argv,
                 needs=('sweep_grec', ))


def grec_stages(settings: QuickstartSettings) -> List[Stage]:
    return [sweep_stage(settings), evaluation_stage(settings)]


def grec_result(settings: QuickstartSettings) -> dict:
    """The generalised row (fractions in [0, 1]): testA figures at the threshold chosen on val, and val's."""
    threshold, val_metrics = read_chosen_threshold(settings)
    metrics = read_test_metrics(settings.path('eval', 'grec'), prefix='grec/', required='grec/pr_f1')
    with open(settings.path('eval', 'grec', 'predictions.jsonl')) as f:  # one line per evaluated expression
        lines = [json.loads(line) for line in f if line.strip()]
    no_target = [line['no_target'] for line in lines]
    with open(osp.join(settings.grefcoco_root, 'grefcoco', 'grefs(unc).json')) as f:
        kinds = {sentence['sent_id']: sentence['kind'] for ref in json.load(f) for sentence in ref['sentences']}
    per_kind: Dict[str, List[bool]] = {}
    for line in lines:  # the share right (F1 = 1) per kind of expression: one object (3 kinds), several, none
        per_kind.setdefault(kinds[line['sent_id']], []).append(bool(line['correct']))
    return dict(method=GREC_METHOD, key='method2_finetuned_generalized', split=TEST_SPLIT, threshold=threshold,
                chosen_on=SWEEP_SPLIT, val_pr_f1=val_metrics[CHOSEN_BY], pr_f1=metrics['grec/pr_f1'],
                n_acc=metrics.get('grec/n_acc'), t_acc=metrics.get('grec/t_acc'),
                num_target=no_target.count(False), num_no_target=no_target.count(True),
                pr_f1_per_kind={kind: sum(right) / len(right) for kind, right in sorted(per_kind.items())},
                count_per_kind={kind: len(right) for kind, right in sorted(per_kind.items())}, config=GREC_CONFIG,
                thresholds_swept=list(GREC_THRESHOLDS))


def format_grec_table(row: dict) -> str:
    """The generalised row as a text table (percent)."""
    percent = lambda v: '-' if v is None else f'{100 * v:.1f}'  # noqa: E731
    header = ['method', 'threshold (val)', f'Pr@(F1=1, IoU>=0.5) {SWEEP_SPLIT}', 'Pr@(F1=1, IoU>=0.5)', 'N-acc',
              'T-acc']
    body = [row['method'], f'{row["threshold"]:g}', percent(row['val_pr_f1']), percent(row['pr_f1']),
            percent(row['n_acc']), percent(row['t_acc'])]
    widths = [max(len(a), len(b)) for a, b in zip(header, body)]
    fmt = lambda line: '| ' + ' | '.join(c.ljust(w) if i == 0 else c.rjust(w)  # noqa: E731
                                         for i, (c, w) in enumerate(zip(line, widths))) + ' |'
    title = (f'Generalised REC on synthetic gRefCOCO {row["split"]} ({row["num_target"]} expressions with referents, '
             f'{row["num_no_target"]} with none; threshold chosen on {row["chosen_on"]})')
    return '\n'.join([title, fmt(header), '|' + '|'.join('-' * (w + 2) for w in widths) + '|', fmt(body)])


def grec_report(settings: QuickstartSettings) -> str:
    """Write ``results_generalized.json`` and return the generalised table."""
    row = grec_result(settings)
    with open(settings.path('results_generalized.json'), 'w') as f:
        json.dump(row, f, indent=2)
    return format_grec_table(row)
