"""Files of a directory only its owner can write: the cache's entries, its manifest and the cache key.

A cache directory is trusted like code (its entries become results), so:

- the directory must belong to the user running mmrec and not be writable by group or others
  (:func:`trust_problem`); otherwise another user could plant or swap entries;
- a shard folder (``DIR/ab``) is opened with ``O_NOFOLLOW``, relative to the directory's descriptor: a symlink
  in its place cannot redirect reads or writes elsewhere, and a file in its place is a problem of that shard
  only (:class:`UnsafePath`);
- an entry is ``lstat``-ed and opened with ``O_NOFOLLOW | O_NONBLOCK`` and must be a regular file of the
  user's (a FIFO, device, socket or symlink in its place is refused without blocking);
- writes create a new ``0600`` file with ``O_EXCL | O_NOFOLLOW`` in the shard folder and ``os.replace`` it into
  place, both relative to the folder's descriptor.
"""
import errno
import os
import secrets
import stat
from contextlib import contextmanager
from typing import Iterator, Optional

#: Largest entry read (bytes); a bigger file is refused unread (an entry is at most a few megabytes).
MAX_ENTRY_BYTES = 256 * 1024 * 1024
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | getattr(os, 'O_CLOEXEC', 0)
_NOFOLLOW = getattr(os, 'O_NOFOLLOW', 0)


class UnsafePath(OSError):
    """A path in the cache that is not what it must be (a symlink, FIFO, device, or another user's file)."""


def current_uid() -> int:
    """The user whose files are trusted (a function, so that tests can stand in another user)."""
    return os.getuid()


def trust_problem(info: os.stat_result, what: str = 'directory') -> Optional[str]:
    """Why a file or directory with ``info`` (an ``os.stat`` result) cannot be trusted, or ``None``: it must
    belong to :func:`current_uid` and not be writable by group or others."""
    if info.st_uid != current_uid():
        return f'{what} belongs to user id {info.st_uid}, not to you (user id {current_uid()})'
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f'{what} is writable by {"group and others" if info.st_mode & stat.S_IWOTH else "its group"} ' \
               f'(mode {stat.S_IMODE(info.st_mode):o})'
    return None


@contextmanager
def open_directory(path: str, dir_fd: Optional[int] = None, follow: bool = True) -> Iterator[int]:
    """A descriptor of the directory ``path`` (relative to ``dir_fd`` when given), closed on exit.

    Raises:
        UnsafePath: ``path`` is a symlink (``follow=False``) or not a directory, or it fails
            :func:`trust_problem`.
        FileNotFoundError: it does not exist.
    """
    try:
        fd = os.open(path, _DIR_FLAGS | (0 if follow else _NOFOLLOW), dir_fd=dir_fd)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENOTDIR):
            raise UnsafePath(error.errno, 'not a real directory (a symlink or a file is in its place)',
                             path) from None
        raise
    try:
        problem = trust_problem(os.fstat(fd))
        if problem is not None:
            raise UnsafePath(errno.EPERM, problem, path)
        yield fd
    finally:
        os.close(fd)


def read_regular(name: str, dir_fd: int, limit: int = MAX_ENTRY_BYTES) -> bytes:
    """The bytes of the regular file ``name`` in the directory ``dir_fd``, never following a symlink and never
    blocking on a FIFO or device.

    Raises:
        FileNotFoundError: no such file.
        UnsafePath: not a regular file of the user's, or larger than ``limit`` bytes.
    """
    info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    _require_regular(info, name, limit)
    try:
        fd = os.open(name, os.O_RDONLY | _NOFOLLOW | os.O_NONBLOCK | getattr(os, 'O_CLOEXEC', 0), dir_fd=dir_fd)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UnsafePath(error.errno, 'a symlink, not a regular file', name) from None
        raise
    with os.fdopen(fd, 'rb') as file:
        _require_regular(os.fstat(file.fileno()), name, limit)  # the same file as the one lstat-ed
        return file.read(limit + 1)


def _require_regular(info: os.stat_result, name: str, limit: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = ('a symlink' if stat.S_ISLNK(info.st_mode) else 'a FIFO' if stat.S_ISFIFO(info.st_mode) else
                'a socket' if stat.S_ISSOCK(info.st_mode) else 'a device' if stat.S_ISCHR(info.st_mode) or
                stat.S_ISBLK(info.st_mode) else 'a directory' if stat.S_ISDIR(info.st_mode) else 'not a file')
        raise UnsafePath(errno.EINVAL, f'{kind}, not a regular file', name)
    if info.st_uid != current_uid():
        raise UnsafePath(errno.EPERM, f'belongs to user id {info.st_uid}, not to you', name)
    if info.st_size > limit:
        raise UnsafePath(errno.EFBIG, f'{info.st_size} bytes, more than the {limit} an entry may have', name)


def replace_file(name: str, data: bytes, dir_fd: int, prefix: str = '.tmp-') -> None:
    """Write ``data`` to a new ``0600`` temporary file in the directory ``dir_fd``, then ``os.replace`` it onto
    ``name`` (a reader never sees half a file; the temporary is removed when anything fails)."""
    temporary = f'{prefix}{secrets.token_hex(8)}-{name}'
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, 'O_CLOEXEC', 0), 0o600,
                 dir_fd=dir_fd)
    try:
        with os.fdopen(fd, 'wb') as file:
            file.write(data)
        os.replace(temporary, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        try:
            os.unlink(temporary, dir_fd=dir_fd)
        except OSError:
            pass
        raise


def make_private_directory(name: str, dir_fd: Optional[int] = None) -> None:
    """Create the directory ``name`` readable and writable by its owner only (nothing if it exists)."""
    try:
        os.mkdir(name, 0o700, dir_fd=dir_fd)
    except FileExistsError:
        pass
