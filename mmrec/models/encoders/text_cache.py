"""An encoder's in-memory text embeddings by string: :class:`TextCache`.

Every :class:`~mmrec.models.encoders.clip_encoder.BaseCLIPEncoder` keeps one as ``text_cache`` and asks it in
``encode_texts``: a string is encoded once, then read. Which strings a batch of the text tower holds changes
their embeddings by float rounding, so a sweep (:mod:`mmrec.engine.sweep`) owns a cache per group of points
that make the same text calls and sets it as the encoder's ``text_cache`` while a point scores: the first point
of the group fills it, the others read it through :meth:`TextCache.read_only` (without adding or reordering),
so that every point gets its texts encoded in the batches a separate evaluation would use.
"""
from collections import OrderedDict
from typing import Dict, Iterator, Optional

from torch import Tensor


class TextCache:
    """String -> unit embedding, at most ``size`` kept (least recently used dropped first; 0 keeps none).

    Args:
        size: most embeddings kept.
        entries: the entries to share (another cache's, see :meth:`read_only`); default: a new, empty table.
        read_only: look strings up without adding or reordering them (misses are encoded and not kept).
    """

    def __init__(self, size: int, entries: Optional['OrderedDict[str, Tensor]'] = None,
                 read_only: bool = False) -> None:
        self.size = int(size)
        self.entries: 'OrderedDict[str, Tensor]' = OrderedDict() if entries is None else entries
        self.is_read_only = bool(read_only)

    def read_only(self) -> 'TextCache':
        """A read-only cache over the same entries (what a sweep point that does not fill them reads)."""
        return TextCache(self.size, self.entries, read_only=True)

    def __contains__(self, text: str) -> bool:
        return text in self.entries

    def __iter__(self) -> Iterator[str]:
        """The strings, least recently used first."""
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, text: str) -> Tensor:
        """The embedding of a string the cache has (made the most recently used, unless read-only)."""
        embedding = self.entries[text]
        if not self.is_read_only:
            self.entries.move_to_end(text)
        return embedding

    def keep(self, fresh: Dict[str, Tensor]) -> None:
        """Add newly encoded strings (unless read-only or ``size`` 0), dropping the least recently used beyond
        ``size``."""
        if self.size > 0 and not self.is_read_only:
            self.entries.update(fresh)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        self.entries.clear()


__all__ = ['TextCache']
