"""What every ``cogc`` subcommand shares (internal): the one-line error, the scenario from
options and config, refusing options that would be ignored, checking ``--out`` before work."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["DEC_NAME", "PROG", "SCENARIO_DEST", "CLIError", "decoders", "err", "given",
           "out_dir", "out_file", "out_stem", "refuse", "scenario"]

PROG = "cogc"


class CLIError(Exception):
    """An error to report as one line with exit status ``code``.

    Examples
    --------
    A command raises it; :func:`~cogc_theory.cli.main` prints ``cogc: error: ...`` and returns
    ``code``:

    >>> from cogc_theory.cli import CLIError
    >>> exc = CLIError("--out 'report' already holds a report; pass --overwrite", code=2)
    >>> str(exc), exc.code
    ("--out 'report' already holds a report; pass --overwrite", 2)
    """

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def err(*args: Any) -> None:
    """Print to stderr, flushed (progress and error lines)."""
    print(*args, file=sys.stderr, flush=True)


SCENARIO_DEST = {"M": "M", "s": "s", "code": "code", "construction": "construction",
                  "code_seed": "code_seed", "exact": "exact", "p": "p", "eps": "eps",
                  "reciprocal": "reciprocal", "decoder": "decoder", "rule": "rule",
                  "trials": "trials", "seed": "seed", "rounds": "rounds", "problem": "problem",
                  "scheme": "scheme"}


def scenario(args: argparse.Namespace, **defaults: Any) -> Any:
    from ..config import Scenario, load_table

    data: dict[str, Any] = dict(defaults)
    if getattr(args, "config", None) is not None:
        data.update(load_table(args.config, "scenario"))
    for key, dest in SCENARIO_DEST.items():
        v = getattr(args, dest, None)
        if v is not None:
            data[key] = v
    return Scenario.from_mapping(data)


def given(*pairs: tuple[str, Any]) -> list[str]:
    """The option names among ``(name, value)`` pairs whose value was given (not None/False)."""
    return [name for name, v in pairs if v is not None and v is not False]


def refuse(given: list[str], why: str) -> None:
    """Refuse the options ``given`` (exit 2) with one line: "OPTIONS {why}", where ``why``
    may hold ``{apply}`` and ``{them}`` (singular or plural to match)."""
    if given:
        one = len(given) == 1
        why = why.format(apply="applies" if one else "apply", them="it" if one else "them")
        raise CLIError(f"{', '.join(given)} {why}")


def out_dir(path: str, *, create: bool = True) -> Path:
    """Check a directory ``--out`` before any work: create it (with parents) and probe a
    write, or with ``create=False`` only check that it exists writable or can be created
    (for a command that creates it itself once everything else is checked)."""
    from .._io import creatable_dir, writable_dir

    if not path.strip():
        raise CLIError("--out is empty; give a directory, e.g. --out results")
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {path!r} is an existing file, not a directory; give a new or "
                       "existing directory")
    try:
        (writable_dir if create else creatable_dir)(out)
    except OSError as exc:
        raise CLIError(f"--out {path!r}: cannot write there ({exc.strerror or exc}); choose "
                       "a writable directory") from None
    return out


def out_file(path: str, example: str) -> Path:
    """Check a file ``--out`` before any work: a file name, parent created and writable."""
    from .._io import writable_dir

    if not path.strip():
        raise CLIError(f"--out is empty; give a file name, e.g. --out {example}")
    out = Path(path)
    if path.endswith(("/", os.sep)) or out.is_dir():
        raise CLIError(f"--out {path!r} is a directory; give a file name, e.g. --out "
                       f"{os.path.join(path, example)}")
    try:
        writable_dir(out.parent)
    except OSError as exc:
        raise CLIError(f"--out {path!r}: cannot write in {str(out.parent)!r} "
                       f"({exc.strerror or exc}); choose a writable location") from None
    return out


def decoders(sc: Any) -> tuple[str, ...]:
    return ("standard", "gcplus") if sc.decoder == "both" else (sc.decoder,)


DEC_NAME = {"standard": "CoGC (standard decoding)", "gcplus": "GC+"}


def out_stem(path: str) -> str:
    """Check ``plot --out`` (a path without extension) before any work."""
    if not path.strip() or not os.path.basename(path):
        raise CLIError(f"--out {path!r} has no file name; give a path without extension, "
                       f"e.g. --out {os.path.join(path, 'figure')}")
    for ext in ("png", "pdf"):
        if os.path.isdir(f"{path}.{ext}"):
            raise CLIError(f"--out {path!r}: {path}.{ext} is a directory; choose another name")
    out_file(path, "figure")
    return path
