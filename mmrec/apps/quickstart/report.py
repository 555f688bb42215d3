"""The quickstart's report: chance level, each row's test metrics, the table and ``results.json``."""
import json
import os
import os.path as osp
from typing import Callable, Dict, Optional, Sequence, TextIO, Tuple

from .runner import Stage, last_checkpoint
from .settings import KINDS, ROWS, QuickstartSettings, Row


GRAYSCALE_FRACTION = 0.05  # as tools/make_synthetic_refer.py: a few images without colour words


def chance_accuracy(data_root: str, split: str = 'val') -> float:
    """Accuracy of a uniform guess among a scene's objects: the mean over the split's expressions of one
    over the number of objects in the expression's image."""
    from mmrec.datasets.refer_io import load_instances, load_refs
    objects: Dict[int, int] = {}
    for ann in load_instances(osp.join(data_root, 'synthetic', 'instances.json'))['annotations']:
        objects[ann['image_id']] = objects.get(ann['image_id'], 0) + 1
    guesses = [1.0 / objects[ref['image_id']] for ref in load_refs(osp.join(data_root, 'synthetic', 'refs(unc).p'))
               if ref['split'] == split for _ in ref['sentences']]
    if not guesses:
        raise ValueError(f'{data_root}: no {split} expressions')
    return sum(guesses) / len(guesses)


def read_test_metrics(work_dir: str, prefix: str = 'rec/', required: str = 'rec/accuracy') -> Dict[str, float]:
    """The ``prefix`` metrics (``rec/...``, ``grec/...``) of the newest ``tools/test.py`` run in ``work_dir``:
    mmengine's LoggerHook writes them to ``work_dir/<timestamp>/<timestamp>.json``."""
    runs = sorted(d for d in os.listdir(work_dir) if osp.isfile(osp.join(work_dir, d, f'{d}.json')))
    if not runs:
        raise FileNotFoundError(f'no test metrics (<timestamp>/<timestamp>.json) in {work_dir}')
    with open(osp.join(work_dir, runs[-1], f'{runs[-1]}.json')) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    metrics = {k: v for line in lines for k, v in line.items() if k.startswith(prefix)}
    if required not in metrics:
        raise ValueError(f'{work_dir}/{runs[-1]}: the test log has no {required}')
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


def report_stage(settings: QuickstartSettings, stream: TextIO, more: Optional[Callable[[], str]] = None,
                 more_needs: Tuple[str, ...] = ()) -> Stage:
    """Collect the evaluations (:data:`ROWS`) into ``results.json`` and print the table; then the table that
    ``more`` returns (the generalised row, after the stages ``more_needs``)."""
    def collect() -> str:
        chance = chance_accuracy(settings.data_root)
        results = [result_row(row, settings, chance) for row in ROWS]
        path = settings.path('results.json')
        with open(path, 'w') as f:
            json.dump(results, f, indent=2)
        tables = [format_table(results)] + ([more()] if more is not None else [])
        print('\n' + '\n\n'.join(tables) + '\n', file=stream, flush=True)
        return f'wrote {path} and pictures in {settings.path("pictures")}'
    return Stage('report', 'collect the results', function=collect,
                 needs=tuple(f'eval_{row.key}' for row in ROWS) + tuple(more_needs))
