"""Atomic file replacement, shared by every writer of the package (``lightgrad.save``,
``save_safetensors``, Keras ``.keras`` archives and weight files).

A save writes a temporary file beside the target, syncs it to disk, then renames it onto the
target: readers see the old file or the new one, never a mix, and a save that fails or is
interrupted at any step leaves the previous file exactly as it was (and no temporary file).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable

__all__ = ["atomic_write"]

# module-level names so that tests can inject faults at each step
_fsync = os.fsync
_replace = os.replace


def atomic_write(path: str | bytes | os.PathLike, write: Callable[[str], None],
                 where: str = "save") -> None:
    """Call ``write(tmp)`` to write a temporary file beside ``path``, fsync it, rename it onto
    ``path`` (through symlinks: what they point to is replaced) and fsync the folder.

    An existing file keeps its permissions; a new one gets ``0o666 & ~umask``, as ``open()``
    gives. On any error (or interrupt) the temporary file is removed and an existing ``path``
    is left exactly as it was.

    Args:
        path: the file to write.
        write: writes the complete content to the file name it is given (which exists, empty).
        where: the caller's name for error messages.

    Raises:
        FileNotFoundError: the folder of ``path`` does not exist.
    """
    target = os.path.realpath(os.fsdecode(os.fspath(path)))
    folder, base = os.path.split(target)
    if not os.path.isdir(folder or "."):
        raise FileNotFoundError(f"{where}: the folder {folder!r} does not exist")
    tmp = os.path.join(folder, f".{base}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        os.close(fd)
        try:
            mode = os.stat(target).st_mode
        except FileNotFoundError:
            mode = os.stat(tmp).st_mode
        write(tmp)
        # the writer may have replaced ``tmp`` by a file of its own (safetensors does, with mode
        # 0o600 and no fsync): permissions and durability are settled here, before the rename
        fd = os.open(tmp, os.O_RDWR | getattr(os, "O_BINARY", 0))
        try:
            if hasattr(os, "fchmod"):  # through the open file: works for read-only modes too
                os.fchmod(fd, stat.S_IMODE(mode))
            else:
                os.chmod(tmp, stat.S_IMODE(mode))
            _fsync(fd)
        finally:
            os.close(fd)
        _replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


def _fsync_dir(folder: str) -> None:
    """Make the rename durable; best effort (not every OS/filesystem can fsync a folder)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(folder or ".", os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        _fsync(fd)
    except OSError:
        pass  # the file itself is complete and in place; only durability is weaker
    finally:
        os.close(fd)
