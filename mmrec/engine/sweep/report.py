"""A sweep's results: one table of REC metrics per point (printed), CSV and JSON files."""
import csv
import json
import os
import os.path as osp
from typing import Dict, List, Sequence

from .grid import Point

#: Columns of the printed table (percent), when the metric reports them; CSV and JSON hold every metric.
TABLE_METRICS = ('rec/accuracy', 'rec/mean_iou', 'rec/accuracy_50_95', 'rec/upper_bound',
                 'grec/pr_f1', 'grec/n_acc', 'grec/t_acc',  # GRECMetric (gRefCOCO)
                 'refl4/acc_50', 'refl4/acc_75', 'refl4/acc_90', 'refl4/macc')  # RefL4Metric


def _split_accuracies(metrics: Dict[str, float]) -> List[str]:
    return sorted(key for key in metrics if key.count('/') == 2 and key.endswith('/accuracy'))


def format_table(keys: Sequence[str], points: Sequence[Point], metrics: Sequence[Dict[str, float]]) -> str:
    """A text table: one row per point, its settings then its metrics in percent."""
    columns = [key for key in TABLE_METRICS if any(key in m for m in metrics)]
    columns += _split_accuracies(metrics[0]) if metrics else []
    headers = ['#'] + [key.split('.')[-1] for key in keys] + [column.split('/', 1)[1] for column in columns]
    rows = [[str(index)] + [repr(point[key]) for key in keys]
            + [f'{100 * values[column]:.2f}' if column in values else '-' for column in columns]
            for index, (point, values) in enumerate(zip(points, metrics))]
    widths = [max(len(text) for text in column) for column in zip(headers, *rows)]
    lines = ['  '.join(text.rjust(width) for text, width in zip(line, widths)) for line in [headers] + rows]
    return '\n'.join([lines[0], '-' * len(lines[0])] + lines[1:])


def write_results(out_dir: str, keys: Sequence[str], points: Sequence[Point],
                  metrics: Sequence[Dict[str, float]]) -> Dict[str, str]:
    """``sweep.csv`` (one row per point: its settings, then every metric) and ``sweep.json`` (a list of
    ``{"point": {...}, "metrics": {...}}``) in ``out_dir``; returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    metric_names = sorted({name for values in metrics for name in values})
    csv_path, json_path = osp.join(out_dir, 'sweep.csv'), osp.join(out_dir, 'sweep.json')
    with open(csv_path, 'w', newline='') as file:
        writer = csv.writer(file)
        writer.writerow(list(keys) + metric_names)
        for point, values in zip(points, metrics):
            writer.writerow([json.dumps(point[key]) for key in keys] + [values.get(name, '') for name in metric_names])
    with open(json_path, 'w') as file:
        json.dump([dict(point=point, metrics=values) for point, values in zip(points, metrics)], file, indent=1)
    return dict(csv=csv_path, json=json_path)
