"""The sweep directory (internal): manifest, unit and point records, the lock, the table.

Layout of ``out_dir``: ``manifest.json`` (the specification), ``units/KEY-CHUNK.json`` (one
finished unit each), ``points/KEY.json`` (one reduced point each) and ``.lock`` while a sweep
runs there. Every file is written whole (temporary name, then :func:`os.replace`).
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

from .._io import write_text
from ._grid import dumps

__all__ = ["FORMAT", "LOCK", "MANIFEST", "TMP_PREFIX", "acquire_lock", "atomic_write",
           "check_dir", "frame", "load_manifest", "load_results", "make_row", "point_path",
           "prepare_dir", "read_json", "read_record", "unit_path"]

FORMAT = "cogc-sweep/1"
MANIFEST = "manifest.json"
#: Start of the name of a sweep's temporary files (cleaned up when a sweep resumes).
TMP_PREFIX = ".tmp-"


def atomic_write(path: Path, text: str) -> None:
    """Write a sweep file whole (:func:`cogc_theory._io.write_text`); its temporary name starts
    with :data:`TMP_PREFIX`, which :func:`prepare_dir` removes after a killed run."""
    write_text(path, text, temp_prefix=TMP_PREFIX)


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read sweep file {path}: {exc}; delete it to recompute") from exc


def unit_path(out: Path, key: str, chunk: int) -> Path:
    return out / "units" / f"{key}-{chunk:06d}.json"


def point_path(out: Path, key: str) -> Path:
    return out / "points" / f"{key}.json"


def frame(rows: list[dict[str, Any]]) -> Any:
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError("a DataFrame needs pandas: pip install pandas "
                          "(the rows are also available as a list of dicts)") from exc
    return pd.DataFrame(rows)


def make_row(point: dict[str, Any], result: dict[str, Any], task_name: str) -> dict[str, Any]:
    clash = sorted(set(point) & set(result))
    if clash:
        raise ValueError(f"task {task_name!r} returned result keys {clash} that are also grid "
                         f"parameters; rename the parameters or the result keys")
    return {**point, **result}


def load_manifest(out: Path) -> dict[str, Any]:
    path = out / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"{out} is not a sweep directory: no {MANIFEST}")
    manifest = read_json(path)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"{path} is not a {FORMAT} manifest")
    ok = (isinstance(manifest.get("task"), dict) and isinstance(manifest["task"].get("name"), str)
          and all(isinstance(manifest.get(k), list) for k in ("points", "keys", "chunks"))
          and len(manifest["points"]) == len(manifest["keys"]) == len(manifest["chunks"]))
    if not ok:
        raise ValueError(f"{path} is damaged (it needs task.name and equally long points, "
                         f"keys and chunks); restore it, or rerun the sweep in a new out_dir")
    return manifest


def read_record(path: Path, key: str, chunk: int | None = None) -> dict[str, Any]:
    """The ``result`` of a unit file (``chunk`` given) or point file, checked to belong to
    ``key``; a damaged file raises :class:`ValueError` naming it (finished work elsewhere in
    the directory is untouched: deleting the file and rerunning recomputes only it)."""
    rec = read_json(path)
    fix = ("delete it and rerun run_sweep to recompute this unit" if chunk is not None else
           "delete it and rerun run_sweep to rebuild it from the point's unit files")
    if not isinstance(rec, dict) or not isinstance(rec.get("result"), dict):
        raise ValueError(f"sweep file {path} is damaged (not a record with a 'result' dict); "
                         f"{fix}")
    if rec.get("key") != key or (chunk is not None and rec.get("chunk") != chunk):
        raise ValueError(f"sweep file {path} does not belong to this unit; {fix}")
    return rec["result"]


def load_results(out_dir: str | os.PathLike[str], *, as_frame: bool = False) -> Any:
    """Load the rows of a sweep directory as one table.

    Parameters
    ----------
    out_dir : path
        A directory written by :func:`run_sweep`.
    as_frame : bool
        Return a :class:`pandas.DataFrame` (needs pandas) instead of a list of dicts.

    Returns
    -------
    list of dict or pandas.DataFrame
        One row per finished point, in grid order: its parameters, then its reduced result.
        Points not yet finished are absent (rerun :func:`run_sweep` to finish them).

    Raises
    ------
    ValueError
        A damaged manifest, or a point file that is not a whole record of its point (it names
        the file: delete that file and rerun :func:`run_sweep`, which rebuilds it from the
        point's unit files). Damaged files are not skipped, so that a table is never silently
        missing a finished point.

    Examples
    --------
    >>> import tempfile
    >>> from cogc_theory import sweep
    >>> out = tempfile.mkdtemp()
    >>> res = sweep.run_sweep(sweep.OutageExact(decoder="standard"), {"M": 4, "s": 1,
    ...                       "p": [0.1, 0.2], "eps": 0.2}, out, n_workers=1)
    >>> rows = sweep.load_results(out)
    >>> rows == res.rows, [r["p"] for r in rows]
    (True, [0.1, 0.2])
    """
    out = Path(out_dir)
    manifest = load_manifest(out)
    rows = []
    for point, key in zip(manifest["points"], manifest["keys"], strict=True):
        path = point_path(out, key)
        if path.is_file():
            rows.append(make_row(point, read_record(path, key), manifest["task"]["name"]))
    return frame(rows) if as_frame else rows


LOCK = ".lock"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)   # signal 0: existence check only, nothing is sent
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def acquire_lock(out: Path) -> Path:
    """Claim ``out_dir`` for this process; a lock left by a dead process is taken over."""
    lock = out / LOCK
    me = f"{socket.gethostname()} {os.getpid()}"
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                host, pid = lock.read_text().split()
            except (OSError, ValueError):
                host, pid = "", "0"
            if host == socket.gethostname() and not _pid_alive(int(pid)):
                lock.unlink(missing_ok=True)   # left by a killed run
                continue
            raise RuntimeError(
                f"another sweep (process {pid} on {host or '?'}) is running in {out}; wait for "
                f"it, or delete {lock} if that process no longer exists"
            ) from None
        with os.fdopen(fd, "w") as f:
            f.write(me)
        return lock
    raise RuntimeError(f"cannot lock {out}; delete {lock} if no sweep is running there")


def check_dir(out: Path, manifest: dict[str, Any]) -> None:
    """Raise unless ``out`` is new, empty, or holds this very sweep."""
    if (out / MANIFEST).is_file():
        old = load_manifest(out)
        if old != json.loads(dumps(manifest)):
            diff = [k for k in manifest if old.get(k) != json.loads(dumps(manifest[k]))]
            raise ValueError(
                f"{out} holds a different sweep (differs in: {', '.join(diff)}); rerun with "
                f"the same task, grid and seed to resume it, or choose another out_dir"
            )
    elif out.exists():
        if not out.is_dir():
            raise ValueError(f"out_dir {out} exists and is not a directory")
        if any(p for p in out.iterdir()
               if not p.name.startswith(TMP_PREFIX) and p.name != LOCK):
            raise ValueError(f"out_dir {out} is not empty and holds no {MANIFEST}; choose an "
                             f"empty or new directory")


def prepare_dir(out: Path, manifest: dict[str, Any]) -> None:
    """Under the lock: check again, remove temporary files of killed runs, write the manifest."""
    check_dir(out, manifest)
    for sub in ("units", "points"):
        (out / sub).mkdir(exist_ok=True)
        for tmp in (out / sub).glob(TMP_PREFIX + "*"):  # left by a killed run
            tmp.unlink(missing_ok=True)
    for tmp in out.glob(TMP_PREFIX + "*"):
        tmp.unlink(missing_ok=True)
    if not (out / MANIFEST).is_file():
        atomic_write(out / MANIFEST, json.dumps(manifest, sort_keys=True, indent=1,
                                                 allow_nan=False) + "\n")
