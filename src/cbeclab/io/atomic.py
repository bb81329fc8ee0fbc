"""Atomic file writes: a crash never leaves a half-written result behind.

Write failures (a folder that cannot be created, a file where a folder should be, no permission,
a full disk) are raised as :class:`~cbeclab.errors.OutputError` naming the path and the fix.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from cbeclab.errors import OutputError
from cbeclab.i18n import _

__all__ = ["atomic_write_bytes", "atomic_write_text", "ensure_dir"]


def _output_error(exc: OSError, path: Path, what: str) -> OutputError:
    code = exc.errno
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        msg, fix = (
            _("no permission to write here"),
            _("choose a folder you can write to (e.g. under your home folder)"),
        )
    elif code in (errno.ENOTDIR, errno.EEXIST) or isinstance(exc, NotADirectoryError | FileExistsError):
        msg, fix = (
            _("a file is in the way: {p} is a file, not a folder", p=exc.filename or path),
            _("choose another output folder, or move that file away"),
        )
    elif code == errno.EISDIR:
        msg, fix = _("this is a folder, not a file"), _("give a file name inside the folder")
    elif code == errno.ENOSPC:
        msg, fix = _("the disk is full"), _("free some space or write to another disk")
    elif code == errno.ENAMETOOLONG:
        msg, fix = _("the path is too long"), _("choose a shorter output path")
    else:
        msg, fix = (
            _("cannot write the {what} ({reason})", what=_(what), reason=exc.strerror or exc),
            _("check the path"),
        )
    return OutputError(msg, where=str(path), fix=fix)


def ensure_dir(path: str | os.PathLike[str]) -> Path:
    """Create the output folder ``path`` (and missing parents) or raise :class:`OutputError`.

    Refuses a path that is a file, a parent that is a file, and a folder that cannot be written to.
    """
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise OutputError(
            _("a file is in the way: {p} is a file, not a folder", p=target),
            where=str(target),
            fix=_("choose another output folder, or move that file away"),
        )
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _output_error(exc, target, "output folder") from None
    if not os.access(target, os.W_OK | os.X_OK):
        raise OutputError(
            _("no permission to write here"),
            where=str(target),
            fix=_("choose a folder you can write to (e.g. under your home folder)"),
        )
    return target


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temp file in the same directory, fsync, ``os.replace``)."""
    target = Path(path)
    if target.is_dir():
        raise OutputError(
            _("this is a folder, not a file"), where=str(target), fix=_("give a file name inside the folder")
        )
    ensure_dir(target.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _output_error(exc, target, "file") from None
    try:
        # mkstemp creates 0600; give the file the mode a plain open() would (an existing file keeps its mode)
        try:
            mode = target.stat().st_mode & 0o7777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise _output_error(exc, target, "file") from None
        raise
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode(encoding))
