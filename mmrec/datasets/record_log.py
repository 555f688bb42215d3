"""Bad records of a benchmark file: skipped, counted per reason, and named by file and line (or row).

Used by the loaders of other benchmarks than REFER (Ref-L4, gRefCOCO, the JSON-lines format): one bad record
should not stop an evaluation, but every skip must be visible, with where to look, and a file from which
nothing can be evaluated must stop the run with one line that says why.
"""
from collections import OrderedDict
from typing import Dict, List

from mmengine.logging import MMLogger

#: How many places (``file:line``) a warning names per reason.
NUM_EXAMPLES = 5


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
        """Count one record skipped for ``reason``; ``place`` names it (``'refs.jsonl:12'``, ``'val.parquet row 3'``).

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

    def warn(self) -> None:
        """One warning with every reason, its count and its first places; nothing when nothing was skipped."""
        if self.counts:
            MMLogger.get_current_instance().warning(f'{self.owner}: skipped {self.summary()}')

    def nothing_left(self, source: str, fix: str) -> ValueError:
        """The error for a file that left no expression to evaluate: one line naming it, the skips and ``fix``."""
        skipped = f': skipped {self.summary()}' if self.counts else ''
        return ValueError(f'{self.owner}: no expression to evaluate in {source}{skipped}. {fix}')
