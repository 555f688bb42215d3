"""Attack files for the safety tests: checkpoints whose unpickling creates a marker file, and a local server.

The marker stands in for a command an attacker would run: a test asserts it is *not* created when a file
is refused, and that it *is* created when the user opts in (which shows the refusal is what stopped it).
"""
import contextlib
import functools
import http.server
import pathlib
import threading
from typing import Iterator

import torch


def touch_marker(path: str) -> str:
    """What the malicious checkpoint runs when unpickled: create ``path``."""
    pathlib.Path(path).touch()
    return 'unpickled in full'


MARKER_GLOBAL = f'{touch_marker.__module__}.{touch_marker.__qualname__}'


class MarkerPayload:
    """Unpickles to ``touch_marker(path)``, i.e. creates a file as a side effect of loading."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return touch_marker, (self.path,)


def small_model(fill: float) -> torch.nn.Linear:
    """A ``Linear(3, 2)`` with every weight and bias equal to ``fill``."""
    model = torch.nn.Linear(3, 2)
    torch.nn.init.constant_(model.weight, fill)
    torch.nn.init.constant_(model.bias, fill)
    return model


def save_malicious_checkpoint(path: str, marker: str, state_dict: dict = None) -> str:
    """Save a checkpoint with real weights (``small_model(1.0)``'s unless given) whose ``meta`` unpickles to
    ``marker`` being created; returns ``path``."""
    state_dict = small_model(1.0).state_dict() if state_dict is None else state_dict
    torch.save({'state_dict': state_dict, 'meta': {'note': MarkerPayload(marker)}}, path)
    return path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):

    def log_message(self, format, *args) -> None:  # noqa: A002  (the base class's name)
        pass


@contextlib.contextmanager
def serve_directory(directory: str) -> Iterator[str]:
    """Serve ``directory`` over HTTP on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                             functools.partial(_QuietHandler, directory=directory))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f'http://127.0.0.1:{server.server_address[1]}'
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
