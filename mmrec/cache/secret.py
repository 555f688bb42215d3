"""The per-user secret that signs cache entries (HMAC-SHA256), so that an entry is used only if this user wrote it.

The secret is 32 random bytes, kept as hex in ``~/.cache/mmrec/cache-key`` (``$XDG_CACHE_HOME/mmrec/cache-key``
when that is set; ``MMREC_CACHE_KEY_FILE`` names another file), created ``0600`` in a ``0700`` folder on first
use. It protects a cache directory that someone else can write to (a shared or mis-permissioned folder, a copied
cache): an entry they plant without the secret does not verify and is recomputed. It does not protect against
anything that can read the user's files (their own account, root).
"""
import os
import os.path as osp
import secrets
from typing import Optional, Tuple

from .private_files import UnsafePath, open_directory, read_regular, trust_problem

#: Environment variable naming the key file instead of the default one.
KEY_FILE_ENV = 'MMREC_CACHE_KEY_FILE'
_KEY_BYTES = 32


def key_file() -> str:
    """Where this user's cache key lives (see the module docstring)."""
    if os.environ.get(KEY_FILE_ENV):
        return osp.abspath(osp.expanduser(os.environ[KEY_FILE_ENV]))
    base = os.environ.get('XDG_CACHE_HOME') or osp.join(osp.expanduser('~'), '.cache')
    return osp.join(base, 'mmrec', 'cache-key')


def load_or_create_key() -> Tuple[Optional[bytes], str]:
    """``(secret, key file)``, creating the file on first use; ``(None, why)`` when the file or its folder
    cannot be trusted or used (not the user's, readable or writable by others, not a regular file)."""
    path = key_file()
    folder, name = osp.split(path)
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        with open_directory(folder) as folder_fd:
            secret = _read_key(name, folder_fd, path)
            if secret is None:
                _create_key(name, folder_fd)
                secret = _read_key(name, folder_fd, path)
    except UnsafePath as error:
        return None, f'the cache key {path} or its folder cannot be trusted: {error.filename}: {error.strerror}'
    except (OSError, ValueError) as error:
        return None, f'cannot use the cache key {path} ({type(error).__name__}: {error})'
    if secret is None:
        return None, f'cannot create the cache key {path}'
    return secret, path


def _read_key(name: str, folder_fd: int, path: str) -> Optional[bytes]:
    try:
        text = read_regular(name, folder_fd, limit=4096)
    except FileNotFoundError:
        return None
    info = os.stat(name, dir_fd=folder_fd, follow_symlinks=False)
    if info.st_mode & 0o077:
        raise ValueError(f'readable or writable by others (mode {info.st_mode & 0o777:o}); fix: chmod 600 {path} '
                         '(or delete it: a new key is made, and entries signed with the old one are recomputed)')
    problem = trust_problem(info, 'file')
    if problem is not None:
        raise ValueError(problem)
    try:
        secret = bytes.fromhex(text.decode('ascii').strip())
    except ValueError:
        secret = b''
    if len(secret) != _KEY_BYTES:
        raise ValueError(f'not {_KEY_BYTES} bytes of hex; delete it and a new key is made')
    return secret


def _create_key(name: str, folder_fd: int) -> None:
    """Write a new key to a private temporary file, then link it into place (a process that loses the race
    reads the winner's key)."""
    temporary = f'.{name}.{secrets.token_hex(8)}'
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_NOFOLLOW', 0), 0o600,
                 dir_fd=folder_fd)
    try:
        with os.fdopen(fd, 'w') as file:
            file.write(secrets.token_hex(_KEY_BYTES) + '\n')
        try:
            os.link(temporary, name, src_dir_fd=folder_fd, dst_dir_fd=folder_fd)
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary, dir_fd=folder_fd)
