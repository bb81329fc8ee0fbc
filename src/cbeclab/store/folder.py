"""A run folder that is always consistent: a lock, a sibling staging folder, one swap.

A run writes every output into a new hidden sibling folder ``.<name>.staging-<pid>-<token>`` and
then exchanges it with the output folder in one ``renameat2(RENAME_EXCHANGE)`` call (Linux), or,
where that call is missing, with two renames (the previous run is then moved aside for an instant
and restored by the next run if the process dies between them). A kill at any point leaves the
previous complete run in place; leftover staging folders of dead processes are removed by the next
run into the same folder.

A second run into a folder in use is refused: the lock is the file ``.<name>.lock`` next to the
folder, created with ``O_EXCL`` and holding the owner's pid and host; a lock whose process is gone
(same host) is stale and taken over.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import secrets
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cbeclab.errors import CbecError
from cbeclab.i18n import _

__all__ = ["RunFolderError", "run_folder", "lock_path", "KNOWN_OUTPUTS"]

#: files a cbeclab run folder may hold (earlier releases wrote the first three without a manifest)
KNOWN_OUTPUTS = frozenset(
    {"result.json", "result.xlsx", "report.html", "report.docx", "manifest.json", "tables"}
)

_STAGING = ".staging-"
_OLD = ".previous-"


class RunFolderError(CbecError):
    """The output folder cannot be used (in use by another run, or holds files that are not a run's)."""


def lock_path(out: Path) -> Path:
    """The lock file of output folder ``out`` (a sibling, so it survives the folder swap)."""
    return out.parent / f".{out.name}.lock"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_lock(path: Path) -> tuple[int, str] | None:
    try:
        text = path.read_text(encoding="utf-8").split()
        return int(text[0]), (text[1] if len(text) > 1 else "")
    except (OSError, ValueError, IndexError):
        return None


@contextmanager
def _lock(out: Path) -> Iterator[Path]:
    path = lock_path(out)
    host = socket.gethostname()
    for _attempt in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            owner = _read_lock(path)
            if owner is not None and (owner[1] not in ("", host) or _alive(owner[0])):
                raise RunFolderError(
                    _(
                        "the output folder {out} is in use by another run (process {pid} on {host})",
                        out=out,
                        pid=owner[0],
                        host=owner[1] or host,
                    ),
                    where=str(out),
                    fix=_(
                        "wait for that run to finish or choose another --out folder; if no run is going, "
                        "delete the lock file {lock}",
                        lock=path,
                    ),
                ) from None
            # stale (its process is gone) or unreadable (a writer died before writing its pid)
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {host}\n")
        break
    else:  # pragma: no cover - three races in a row
        raise RunFolderError(_("could not take the lock {lock}", lock=path), where=str(out))
    try:
        yield path
    finally:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths atomically (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    libc = ctypes.CDLL(name, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def _sweep(out: Path) -> None:
    """Remove staging/previous folders that dead runs left next to ``out``; restore a lost run."""
    prefix = f".{out.name}"
    for entry in out.parent.glob(f"{prefix}.*-*"):
        tail = entry.name[len(prefix) :]
        kind = _STAGING if tail.startswith(_STAGING) else _OLD if tail.startswith(_OLD) else None
        if kind is None or not entry.is_dir():
            continue
        if kind == _OLD and not out.exists():
            # the process died between the two renames of the fallback swap: put the run back
            os.replace(entry, out)
            continue
        shutil.rmtree(entry, ignore_errors=True)


def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise RunFolderError(
            _("{out} exists and is not a folder", out=out),
            where=str(out),
            fix=_("give --out a folder name"),
        )
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir() if p.name not in KNOWN_OUTPUTS)
        if foreign:
            raise RunFolderError(
                _(
                    "{out} holds files that are not outputs of a cbeclab run ({files}); a run replaces "
                    "the whole folder",
                    out=out,
                    files=", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else ""),
                ),
                where=str(out),
                fix=_("choose a new or empty --out folder, or move those files away"),
            )


@contextmanager
def run_folder(out: str | os.PathLike[str]) -> Iterator[Path]:
    """Lock ``out``, yield an empty staging folder to write into, then swap it in as ``out``.

    If the block raises, the staging folder is removed and ``out`` is left as it was. Use::

        with run_folder("results/2024") as stage:
            write everything under stage
        # now results/2024 holds the new complete run

    Raises :class:`RunFolderError` when another live run holds the folder, or when ``out`` holds
    files that are not a cbeclab run's (a run replaces the whole folder, so they would be lost).
    """
    target = Path(out).absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    with _lock(target):
        _sweep(target)
        _check_target(target)
        token = f"{os.getpid()}-{secrets.token_hex(4)}"
        stage = target.parent / f".{target.name}{_STAGING}{token}"
        stage.mkdir()
        try:
            yield stage
            _hook("before-swap")
            if not target.exists():
                os.rename(stage, target)
            elif _exchange(stage, target):
                shutil.rmtree(stage, ignore_errors=True)  # now holds the previous run
            else:
                old = target.parent / f".{target.name}{_OLD}{token}"
                os.rename(target, old)
                os.rename(stage, target)
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise


#: test hook: ``CBECLAB_TEST_PAUSE=point`` makes a run stop (sleep) at that write point, so a test can
#: kill it there; points are "before-swap" and the names of the files being written
_PAUSE_VAR = "CBECLAB_TEST_PAUSE"


def _hook(point: str) -> None:
    want = os.environ.get(_PAUSE_VAR)
    if want and want == point:
        import sys
        import time

        print(f"paused at {point}", file=sys.stderr, flush=True)
        time.sleep(3600)
