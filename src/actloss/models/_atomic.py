"""Atomic file writing that survives a kill or a power loss and leaves nothing behind.

:func:`write_atomic` writes into a temporary file ``.actloss-XXXXXXXX.tmp`` in the target's
folder, holding an exclusive ``flock`` on it, fsyncs it, fsyncs the folder, renames it over the
target and fsyncs the folder again: the target is always the old file or the new one, never
empty or half-written, even after a power loss.

A killed writer cannot remove its temporary file, but the kernel drops its lock when it dies.
:func:`clean_stale` (run by every save and load) removes the temporary files of *our* naming in
that folder whose lock it can take: those of dead writers only, never one being written (a
writer that finds its fresh file removed before it locked it starts over).

>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> open(os.path.join(folder, ".actloss-deadbeef.tmp"), "wb").close()  # a killed save's debris
>>> write_atomic(os.path.join(folder, "m.bin"), lambda fh: fh.write(b"data"))
>>> sorted(os.listdir(folder))
['m.bin']
"""

from __future__ import annotations

import os
import re
import tempfile

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock; stale files are aged out instead
    fcntl = None

PREFIX, SUFFIX = ".actloss-", ".tmp"
_OURS = re.compile(r"\.actloss-[a-z0-9_]{8}\.tmp\Z")
STALE_AGE_S = 3600.0  # without flock: a temporary file this old belongs to a dead writer


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms that cannot open a folder
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - file systems without directory fsync
        pass
    finally:
        os.close(fd)


def _take_lock(fd: int, block: bool) -> bool:
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
    except OSError:
        return False
    return True


def _same_file(path: str, fd: int) -> bool:
    try:
        a, b = os.stat(path), os.fstat(fd)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def clean_stale(folder) -> int:
    """Remove the temporary files of dead writers (ours only, by name and by lock) from
    ``folder``; return how many. Errors (a read-only folder ...) are ignored."""
    folder = os.fspath(folder) or "."
    removed = 0
    try:
        names = [n for n in os.listdir(folder) if _OURS.match(n)]
    except OSError:
        return 0
    for name in names:
        path = os.path.join(folder, name)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            if fcntl is None:
                import time
                if time.time() - os.fstat(fd).st_mtime < STALE_AGE_S:
                    continue
            elif not _take_lock(fd, block=False):
                continue  # a live writer holds it
            if _same_file(path, fd):
                os.unlink(path)
                removed += 1
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


def _locked_temp(folder: str):
    while True:
        fd, tmp = tempfile.mkstemp(prefix=PREFIX, suffix=SUFFIX, dir=folder)
        _take_lock(fd, block=True)
        if _same_file(tmp, fd):  # not removed by a cleaner between mkstemp and the lock
            return fd, tmp
        os.close(fd)


def write_atomic(path, write) -> None:
    """Call ``write(fh)`` on a binary file object, then put the result at ``path`` atomically
    (see the module docstring). On any error the target is untouched and the temporary file
    removed."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    clean_stale(folder)
    fd, tmp = _locked_temp(folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
            _fsync_dir(folder)
            os.replace(tmp, path)  # still locked: no cleaner can take it meanwhile
        _fsync_dir(folder)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


__all__ = ["write_atomic", "clean_stale", "PREFIX", "SUFFIX"]
