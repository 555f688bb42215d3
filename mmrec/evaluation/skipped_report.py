"""The data set's skipped records, reported beside a metric's figures (``RECMetric``, ``GRECMetric``,
``RefL4Metric`` alike).

Every loader counts the records it skipped (bad records of its files, and with ``skip_missing_images=True`` the
expressions of missing or unreadable images) in its metainfo (``skipped_records``, ``skipped_reasons``:
:class:`~mmrec.datasets.skipped_records.SkippedRecords`). A figure over fewer expressions than the data set
holds must say so: the metric adds ``skipped_records`` to its results and warns with the count per reason.
"""
import logging
from typing import Any, Dict, Optional

from mmengine.logging import print_log


def report_skipped(metrics: Dict[str, Any], dataset_meta: Optional[dict], owner: str, evaluated: int) -> None:
    """Add ``skipped_records`` to ``metrics`` and warn, when the data set (``dataset_meta``) skipped any.

    Args:
        metrics: the metric's results, updated in place.
        dataset_meta: the dataset's metainfo (``skipped_records``: the total, ``skipped_reasons``: per reason).
        owner: the metric's name, which starts the warning.
        evaluated: how many expressions the figures are over.
    """
    meta = dataset_meta or {}
    total = int(meta.get('skipped_records') or 0)
    if not total:
        return
    metrics['skipped_records'] = total
    reasons = '; '.join(f'{count} {reason}' for reason, count in (meta.get('skipped_reasons') or {}).items())
    print_log(f'{owner}: the metrics are over {evaluated} evaluated expressions; the data set skipped {total} '
              f'records ({reasons or "see its warning"}); its warning names where', logger='current',
              level=logging.WARNING)
