"""Cheap up-front checks of a data set's image files: present, a regular file, not empty, not cut short.

Run before an evaluation starts (``REFERDataset``'s load), so that a missing or truncated image is named in one
line before hours of work rather than ending the run halfway. Decoding every image would cost as much as the
data loading itself; these checks read at most a few bytes of each file's head and tail: a JPEG must end with
its end-of-image marker (``FF D9``, within the last :data:`TAIL_BYTES` bytes, since some writers pad), a PNG
with its ``IEND`` chunk. Other formats are checked for presence and size only.
"""
import os
import stat
from typing import Optional

#: How far from a file's end its end marker may lie.
TAIL_BYTES = 1024
_JPEG_START = b'\xff\xd8\xff'
_JPEG_END = b'\xff\xd9'
_PNG_START = b'\x89PNG\r\n\x1a\n'
_PNG_END = b'IEND'


def image_file_problem(path: str) -> Optional[str]:
    """Why the image file at ``path`` cannot be used (``'missing'``, ``'truncated (...)'``, ...), or ``None``.
    Never opens anything but a regular file (a FIFO in an image's place cannot block the check)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return 'missing'
    except OSError as error:
        return f'unreadable ({error.strerror})'
    if not stat.S_ISREG(info.st_mode):
        return 'not a regular file'
    if info.st_size == 0:
        return 'empty'
    try:
        with open(path, 'rb') as file:
            head = file.read(len(_PNG_START))
            file.seek(max(0, info.st_size - TAIL_BYTES))
            tail = file.read(TAIL_BYTES)
    except OSError as error:
        return f'unreadable ({error.strerror})'
    if head.startswith(_JPEG_START) and _JPEG_END not in tail:
        return 'truncated (no JPEG end-of-image marker)'
    if head == _PNG_START and _PNG_END not in tail:
        return 'truncated (no PNG IEND chunk)'
    return None


def decode_problem(path: str) -> Optional[str]:
    """:func:`image_file_problem`, else whether the image decodes (``'cannot be decoded'``), else ``None``."""
    problem = image_file_problem(path)
    if problem is not None:
        return problem
    import mmcv

    try:
        image = mmcv.imread(path)
    except Exception as error:  # any failure to decode is the file's
        return f'cannot be decoded ({type(error).__name__}: {error})'
    return 'cannot be decoded' if image is None else None
