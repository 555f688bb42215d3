"""Bad records of an annotation file: skipped, counted per reason, and named by file and line, row or ref.

Every loader (``REFERDataset``, ``GRefCOCODataset``, ``RefL4Dataset``, ``RECJsonlDataset``) keeps one
:class:`SkippedRecords`: one bad record should not stop an evaluation, but every skip must be visible, with where
to look. The loader logs one warning with every reason, its count and its first places, and puts the counts in
its metainfo (``skipped_records``: the total, ``skipped_reasons``: per reason), which the metrics report beside
their figures (:func:`mmrec.evaluation.skipped_report.report_skipped`). A file from which nothing can be
evaluated stops the run with one line that says why (:meth:`SkippedRecords.nothing_left`).
"""
from collections import OrderedDict
from typing import Dict, List

from mmengine.logging import MMLogger

#: How many places (``file:line``, ``file ref #i``) a warning names per reason.
NUM_EXAMPLES = 5

#: Reasons every loader words the same way.
EMPTY_EXPRESSION = 'empty or blank expressions'
NO_EXPRESSION = 'refs without any expression'
MISSING_IMAGE = 'expressions whose image file is missing or unreadable (skip_missing_images=True)'


class SkippedRecords:
    """Counts skipped records per reason, keeping the first few places of each.

    Args:
        owner: the dataset class name, which starts every message.
    """

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.counts: Dict[str, int] = OrderedDict()
        self.places: Dict[str, List[str]] = OrderedDict()

    def add(self, reason: str, place: str) -> None:
        """Count one record skipped for ``reason``; ``place`` names it (``'refs.jsonl:12'``, ``'val.parquet row 3'``,
        ``'refs(unc).p ref #4 (ref_id=7)'``).

        Returns None, so that a reader returning "no record" can ``return skips.add(...)``.
        """
        self.counts[reason] = self.counts.get(reason, 0) + 1
        examples = self.places.setdefault(reason, [])
        if len(examples) < NUM_EXAMPLES:
            examples.append(place)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        """``'2 lines that are not JSON (refs.jsonl:3, refs.jsonl:9); 1 ...'`` (empty when nothing was skipped)."""
        parts = []
        for reason, count in self.counts.items():
            more = ', ...' if count > len(self.places[reason]) else ''
            parts.append(f'{count} {reason} ({", ".join(self.places[reason])}{more})')
        return '; '.join(parts)

    def warn(self, source: str) -> None:
        """One warning naming ``source`` (the file) with every reason, its count and its first places; nothing
        when nothing was skipped."""
        if self.counts:
            MMLogger.get_current_instance().warning(
                f'{self.owner}: {source}: skipped {self.total} records: {self.summary()}')

    def metainfo(self) -> Dict[str, object]:
        """``dict(skipped_records=total, skipped_reasons={reason: count})``, for the dataset's metainfo."""
        return dict(skipped_records=self.total, skipped_reasons=dict(self.counts))

    def nothing_left(self, source: str, fix: str) -> ValueError:
        """The error for a file that left no expression to evaluate: one line naming it, the skips and ``fix``."""
        skipped = f': skipped {self.summary()}' if self.counts else ''
        return ValueError(f'{self.owner}: no expression to evaluate in {source}{skipped}. {fix}')
