"""Reading what mmrec logs, in tests (the current ``MMLogger``'s handlers keep the stream they were made with,
so pytest's ``capsys`` misses records of a logger made before the test)."""
import logging
from contextlib import contextmanager
from typing import Iterator, List

from mmengine.logging import MMLogger


class LoggedWarnings(logging.Handler):
    """The messages of the warnings (and worse) logged while attached; :attr:`out` reads and clears them."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    @property
    def out(self) -> str:
        text = '\n'.join(self.messages)
        self.messages = []
        return text


@contextmanager
def logged_warnings() -> Iterator[LoggedWarnings]:
    """``with logged_warnings() as logged: ...``: the warnings of mmrec's current logger inside the block."""
    logger = MMLogger.get_current_instance()
    handler = LoggedWarnings()
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
