"""``cogc check-decoder``: import the decoder named on the command line, run the suite, print
the table (public through :mod:`cogc_theory.testing`)."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

from ._checks import where
from ._matrices import COND_MAX, TOL
from ._report import ConformanceReport, PropertyResult
from ._run import run_conformance

__all__ = ["check_decoder_command", "load_decoder"]


def load_decoder(target: str) -> Callable[..., Any]:
    """Import ``package.module:function`` (or ``path/to/file.py:function``); ValueError if not.

    The current directory is put on ``sys.path`` first (as ``python -m`` does), so a module
    beside the caller imports. ``function`` may be dotted (``module:Class.method``). Every
    failure — no such module, an exception while importing it, no such attribute, not
    callable — is one :class:`ValueError` line naming what to fix.

    Examples
    --------
    >>> from cogc_theory import decode
    >>> load_decoder("cogc_theory.decode:gcplus") is decode.gcplus
    True
    >>> load_decoder("cogc_theory.decode:median")            # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: 'cogc_theory.decode' has no attribute 'median' (callables there: ...)
    """
    if not isinstance(target, str) or target.count(":") != 1 or target.startswith(":") \
            or target.endswith(":"):
        raise ValueError(f"the decoder must be given as package.module:function, got "
                         f"{target!r}")
    modname, attr = target.split(":")
    try:
        if modname.endswith(".py") or os.sep in modname or "/" in modname:
            path = Path(modname)
            if not path.is_file():
                raise ValueError(f"no such file {modname!r}")
            spec = importlib.util.spec_from_file_location(path.stem, path)
            if spec is None or spec.loader is None:
                raise ValueError(f"cannot import {modname!r} as a Python file")
            module = importlib.util.module_from_spec(spec)
            sys.modules.setdefault(path.stem, module)
            spec.loader.exec_module(module)
        else:
            if os.getcwd() not in sys.path and "" not in sys.path:
                sys.path.insert(0, os.getcwd())
            module = importlib.import_module(modname)
    except ValueError:
        raise
    except ModuleNotFoundError as exc:
        raise ValueError(f"cannot import module {modname!r}: {exc} (run from the directory "
                         "that contains it, or install its package)") from None
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the user's module failed
        raise ValueError(f"importing {modname!r} raised {type(exc).__name__}: "
                         f"{' '.join(str(exc).split())}{where(exc)}") from None
    obj: Any = module
    for part in attr.split("."):
        if not part.isidentifier() or not hasattr(obj, part):
            names = [n for n in dir(obj) if not n.startswith("_")
                     and callable(getattr(obj, n, None))][:8]
            raise ValueError(f"{modname!r} has no attribute {attr!r} (callables there: "
                             f"{', '.join(names) or 'none'})")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ValueError(f"{target!r} is a {type(obj).__name__}, not a function")
    return obj


def _opt(options: Any, name: str, default: Any = None) -> Any:
    value = options.get(name) if isinstance(options, Mapping) else getattr(options, name, None)
    return default if value is None else value


def _split(value: Any) -> list[str] | None:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    return list(value) if value else None


def check_decoder_command(options: argparse.Namespace | Mapping[str, Any],
                          out: TextIO | None = None) -> int:
    """The ``cogc check-decoder`` command: run the suite, print the table, return exit status.

    ``options`` (an argparse namespace or a mapping) holds ``decoder``
    (``package.module:function``) and optionally ``kind``, ``examples``, ``rules`` (comma
    separated or a list), ``full_only``, ``batched``, ``exact`` (True / False / None),
    ``seed``, ``tol``, ``cond_max``, ``only`` (comma-separated properties) and
    ``reproduce``. The table goes to ``out`` (default stdout) one row per property as it
    finishes, then each failure in full. Returns 0 if every property passed or was skipped,
    1 if one failed. Bad options or a decoder that cannot be imported raise
    :class:`ValueError` / :class:`TypeError` with a one-line message (the command line
    prints it and exits with status 2).

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> check_decoder_command({"decoder": "cogc_theory.decode:standard", "kind": "standard",
    ...                        "examples": 3, "seed": 0, "only": "result types,claims"},
    ...                       out=out)
    0
    >>> print(out.getvalue())                                 # doctest: +ELLIPSIS
    conformance of cogc_theory.decode...standard (standard decoding)
    property          result examples seconds  notes
    result types      PASS  ...
    claims            PASS  ...
    PASSED: 2 passed, 0 failed, 0 skipped (... s)
    """
    out = sys.stdout if out is None else out
    target = _opt(options, "decoder")
    fn = load_decoder(target)
    started: list[bool] = []

    def progress(report: ConformanceReport, res: PropertyResult | None) -> None:
        if not started:
            out.write(report.header() + "\n")
            started.append(True)
        if res is not None:
            out.write(res.row() + "\n")
        out.flush()

    report = run_conformance(
        fn, kind=_opt(options, "kind") or "gcplus", rules=_split(_opt(options, "rules")),
        full_only=bool(_opt(options, "full_only", False)), batched=_opt(options, "batched"),
        exact=_opt(options, "exact"), max_examples=_opt(options, "examples"),
        seed=_opt(options, "seed"), tol=_opt(options, "tol", TOL),
        cond_max=_opt(options, "cond_max", COND_MAX),
        properties=_split(_opt(options, "only")), reproduce=_opt(options, "reproduce"),
        progress=progress)
    out.write(report.table().splitlines()[-1] + "\n")
    if report.failed:
        out.write("\n" + report.failure_text(command=f"cogc check-decoder {target}") + "\n")
        return 1
    return 0
