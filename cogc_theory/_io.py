"""Atomic file writes and output-path checks shared by the command line, reports and plots.

A file that looks finished must be complete: :func:`atomic_open` writes to a hidden temporary
name in the target's directory (``.NAME.XXXXXXXX.tmp``; the leading ``.`` is the
``temp_prefix``, which a caller may change to recognise its own temporary files, as the sweeps
do with ``.tmp-``), flushes it to disk and only then
renames it over the target with :func:`os.replace` (atomic on one file system). If anything
fails on the way (a full disk, Ctrl-C) the temporary file is removed and the target is left as
it was: absent, or the previous complete version.

Examples
--------
>>> import os, tempfile
>>> d = tempfile.mkdtemp()
>>> write_text(os.path.join(d, "a.txt"), "hello\\n")
>>> open(os.path.join(d, "a.txt")).read(), sorted(os.listdir(d))
('hello\\n', ['a.txt'])
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import secrets
from collections.abc import Iterator
from typing import IO, Any

__all__ = ["atomic_open", "creatable_dir", "temp_files", "writable_dir", "write_text"]


def _temp_name(path: str, prefix: str = ".") -> str:
    d, name = os.path.split(path)
    return os.path.join(d, f"{prefix}{name}.{secrets.token_hex(4)}.tmp")


def _check_prefix(prefix: str) -> str:
    if not isinstance(prefix, str) or not prefix.startswith(".") or os.sep in prefix \
            or (os.altsep is not None and os.altsep in prefix):
        raise ValueError(f"temp_prefix must be a file-name prefix starting with '.' (a hidden "
                         f"file), got {prefix!r}")
    return prefix


def temp_files(path: str | os.PathLike[str], *, temp_prefix: str = ".") -> list[str]:
    """Temporary files :func:`atomic_open` may have left for ``path`` (after a hard kill)."""
    d, name = os.path.split(os.fspath(path))
    pattern = f"{glob.escape(_check_prefix(temp_prefix))}{glob.escape(name)}.*.tmp"
    return glob.glob(os.path.join(glob.escape(d) if d else "", pattern))


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", *,
                encoding: str | None = "utf-8", newline: str | None = None,
                temp_prefix: str = ".") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on a clean exit it replaces ``path``.

    ``mode`` is ``"w"`` (text, ``encoding``) or ``"wb"``. On an exception (including
    :class:`KeyboardInterrupt`) the temporary file is removed and the exception propagates.
    The temporary file is ``TEMP_PREFIX + NAME + ".XXXXXXXX.tmp"`` (``temp_prefix`` starts
    with ``.``: a hidden file).
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', got {mode!r}")
    path = os.fspath(path)
    tmp = _temp_name(path, _check_prefix(temp_prefix))
    if mode == "wb":
        fh = open(tmp, "xb")
    else:
        fh = open(tmp, "x", encoding=encoding, newline=newline)
    try:
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8", *,
               temp_prefix: str = ".") -> None:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_open`).

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> write_text(os.path.join(d, "b.json"), "{}\\n", temp_prefix=".tmp-")
    >>> sorted(os.listdir(d)), temp_files(os.path.join(d, "b.json"), temp_prefix=".tmp-")
    (['b.json'], [])
    """
    with atomic_open(path, "w", encoding=encoding, temp_prefix=temp_prefix) as fh:
        fh.write(text)


def writable_dir(path: str | os.PathLike[str]) -> None:
    """Create the directory ``path`` (with parents) and check that a file can be written in it.

    Raises
    ------
    OSError
        The directory cannot be created, or a file in it cannot be written.
    """
    path = os.fspath(path) or "."
    os.makedirs(path, exist_ok=True)
    probe = _temp_name(os.path.join(path, "write-check"))
    with open(probe, "xb"):
        pass
    os.unlink(probe)


def creatable_dir(path: str | os.PathLike[str]) -> None:
    """Check, creating nothing, that ``path`` is a writable directory or could be created: its
    nearest existing ancestor is a directory this process may write in.

    Raises
    ------
    OSError
        An ancestor is a file (``ENOTDIR``) or not writable (``EACCES``).

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> creatable_dir(os.path.join(d, "new", "deeper"))
    >>> os.listdir(d)
    []
    """
    p = os.path.abspath(os.fspath(path) or ".")
    while not os.path.exists(p):
        parent = os.path.dirname(p)
        if parent == p:
            break
        p = parent
    if not os.path.isdir(p):
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), p)
    if not os.access(p, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), p)
