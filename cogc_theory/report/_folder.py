"""The report folder: what may be written where, and which files an earlier report left.

The folder must be new or empty; a folder that holds an earlier report is reused only with
``overwrite``, which first removes the files a report writes (:func:`report_files`) and never
any other file.
"""

from __future__ import annotations

import os
from pathlib import Path

from .._io import temp_files
from . import _stages
from ._context import DATA, FIGURES, SUBDIRS

__all__ = ["check_out_dir", "folder_state", "remove_report_files", "report_files"]


def report_files() -> list[str]:
    """Every file a report writes, relative to its folder: what ``overwrite=True`` removes.

    Examples
    --------
    >>> files = report_files()
    >>> files[:2], "figures/outage_vs_p.pdf" in files
    (['report.md', 'study.json'], True)
    """
    files = ["report.md", "study.json", "validation.csv", "validation.md", "proofs/proofs.md"]
    files += [f"figures/{n}.{ext}" for n in FIGURES for ext in ("png", "pdf")]
    files += [f"data/{n}.csv" for n in DATA]
    files += [f"logs/{key}.txt" for key, _, _ in _stages.STAGES]
    return files


def folder_state(out: Path) -> str:
    """``"missing"``, ``"file"``, ``"empty"``, ``"report"`` (an earlier report is there) or
    ``"other"`` (files that are not a report's)."""
    if not out.exists():
        return "missing"
    if not out.is_dir():
        return "file"
    if (out / "report.md").exists() or (out / "study.json").exists():
        return "report"
    for entry in out.iterdir():
        if not (entry.name in SUBDIRS and entry.is_dir() and not any(entry.iterdir())):
            return "other"
    return "empty"


def check_out_dir(out_dir: str | os.PathLike[str], *, overwrite: bool = False,
                  option: str = "out_dir", flag: str = "overwrite=True") -> str:
    """Check that a report may be written to ``out_dir``; returns its state.

    The state is ``"missing"``, ``"empty"`` or ``"report"`` (an earlier report, allowed only
    with ``overwrite``). Raises :class:`ValueError` (naming ``option`` and ``flag`` in the
    message) for a file, a folder that holds an earlier report without ``overwrite``, or a
    non-empty folder that holds no report.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> out = Path(tempfile.mkdtemp())
    >>> check_out_dir(out / "new"), check_out_dir(out)
    ('missing', 'empty')
    >>> _ = (out / "notes.txt").write_text("mine")
    >>> check_out_dir(out)
    Traceback (most recent call last):
    ...
    ValueError: out_dir '...' is not empty and holds no report; choose a new or empty folder
    """
    out = Path(out_dir)
    if not os.fspath(out_dir):
        raise ValueError(f"{option} is empty; give a folder for the report, e.g. report")
    state = folder_state(out)
    if state == "file":
        raise ValueError(f"{option} {str(out)!r} is a file, not a folder; choose a new folder")
    if state == "report" and not overwrite:
        raise ValueError(f"{option} {str(out)!r} already holds a report; choose a new folder, "
                         f"or pass {flag} to replace it (only the files a report writes are "
                         "removed)")
    if state == "other":
        raise ValueError(f"{option} {str(out)!r} is not empty and holds no report; choose a "
                         "new or empty folder")
    return state


def remove_report_files(out: Path) -> None:
    """Remove the files an earlier report wrote (and their temporary files); nothing else."""
    for rel in [*report_files(), "report.md.tmp"]:
        for path in [out / rel, *map(Path, temp_files(out / rel))]:
            if path.is_file() or path.is_symlink():
                path.unlink()
    for sub in SUBDIRS:
        d = out / sub
        if d.is_dir() and not any(d.iterdir()):
            d.rmdir()
