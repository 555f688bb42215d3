"""A user's mistake ends in one line: :class:`UserError`, the tools' ``main`` wrapper :func:`run_tool` (the
message on stderr, exit status 2, no traceback unless ``--debug`` or ``MMREC_DEBUG=1``) and close-name
suggestions for a mistyped key or path."""
import argparse
import difflib
import os
import sys
from typing import Callable, Iterable, List, Optional, Sequence, Tuple, Type, TypeVar

DEBUG_ENV = 'MMREC_DEBUG'
DEBUG_FLAG = '--debug'
#: The exit status of a user's mistake (argparse's own for a bad command line).
USER_ERROR_EXIT = 2
_TRUE_VALUES = ('1', 'true', 'yes', 'on')

Result = TypeVar('Result')


class UserError(ValueError):
    """A mistake in what the user gave (a path, a key, a file, a value); the message names the culprit and the
    fix."""


def close_names(word: str, candidates: Iterable[str], n: int = 3, cutoff: float = 0.6) -> List[str]:
    """The ``n`` candidates closest to ``word`` (difflib), best first."""
    return difflib.get_close_matches(str(word), sorted({str(c) for c in candidates}), n=n, cutoff=cutoff)


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``' (did you mean 'a' or 'b'?)'`` for the close names of ``word``, ``''`` when there are none."""
    names = close_names(word, candidates)
    return f" (did you mean {' or '.join(repr(name) for name in names)}?)" if names else ''


def add_debug_argument(parser: argparse.ArgumentParser) -> None:
    """``--debug``: show the traceback of a user's mistake (:func:`run_tool` reads it)."""
    parser.add_argument(DEBUG_FLAG, action='store_true',
                        help=f'show the traceback of a usage error instead of one line ({DEBUG_ENV}=1 does the same)')


def debug_requested(argv: Optional[Sequence[str]] = None) -> bool:
    """Whether ``--debug`` is among ``argv`` (default ``sys.argv``) or ``MMREC_DEBUG`` is 1/true/yes/on."""
    argv = sys.argv[1:] if argv is None else argv
    return DEBUG_FLAG in argv or os.environ.get(DEBUG_ENV, '').strip().lower() in _TRUE_VALUES


def run_tool(main: Callable[[Optional[List[str]]], Result], argv: Optional[Sequence[str]] = None,
             also: Tuple[Type[BaseException], ...] = ()) -> Result:
    """``main(argv)``; a :class:`UserError` (or one of the exception types ``also``, for a tool whose every such
    error is about the files it was given) is printed as ``error: <message>`` on stderr and exits with status
    2 (re-raised with its traceback under ``--debug`` / ``MMREC_DEBUG=1``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return main(argv)
    except (UserError, *also) as error:
        if debug_requested(argv):
            raise
        print(f'error: {error}', file=sys.stderr, flush=True)
        raise SystemExit(USER_ERROR_EXIT) from None
