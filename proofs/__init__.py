r"""Self-checking symbolic derivations; run them all with ``cogc prove --out DIR``.

Every public module of this package (name not starting with ``_``) that defines
``run() -> ProofResult`` is a proof: it states a theorem with its assumptions, derives it step
by step (symbolically verified where possible) and checks it against an *independent* route —
exact enumeration over rationals, or a closed form derived separately — never against the code
under test alone. :func:`run_all` discovers, runs and reports them.

Examples
--------
>>> from cogc_theory import proofs
>>> res = proofs.run_all(names=["cogc_outage"])
>>> res.passed, [r.name for r in res]
(True, ['cogc_outage'])
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from os import PathLike
from pathlib import Path

from ._core import Check, ProofResult, ProofRun, Step, failed_result, timed

__all__ = ["Check", "ProofResult", "ProofRun", "Step", "available", "run_all"]


def available() -> list[str]:
    """Names of the proof modules in this package (public modules), sorted.

    Examples
    --------
    >>> from cogc_theory import proofs
    >>> "cogc_outage" in proofs.available(), "_core" in proofs.available()
    (True, False)
    """
    return sorted(m.name for m in pkgutil.iter_modules(__path__)
                  if not m.name.startswith("_") and not m.ispkg)


def run_all(out_dir: str | PathLike | None = None, *, names: Iterable[str] | None = None
            ) -> ProofRun:
    """Run every proof (or those in ``names``) and optionally write ``out_dir/proofs.md``.

    Parameters
    ----------
    out_dir : str or path-like, optional
        Directory to write ``proofs.md`` into (created if needed): an index table
        ``proof | result | checks`` followed by each proof's section.
    names : iterable of str, optional
        Module names to run (see :func:`available`); default all.

    Returns
    -------
    ProofRun
        A list of :class:`ProofResult` in module-name order, with ``.passed`` (all proofs
        passed) and ``.to_markdown()``. A module that fails to import, lacks ``run`` or raises
        gives a failed result whose evidence is the error; ``run_all`` itself does not raise.

    Raises
    ------
    ValueError
        If ``names`` contains a name that is not a proof module.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from cogc_theory import proofs
    >>> out = Path(tempfile.mkdtemp())
    >>> run = proofs.run_all(out, names=["cogc_outage"])
    >>> run.passed, [r.name for r in run], (out / "proofs.md").exists()
    (True, ['cogc_outage'], True)
    """
    avail = available()
    if names is None:
        chosen = avail
    else:
        if isinstance(names, str):
            raise TypeError("names must be an iterable of module names, e.g. "
                            f"names=[{names!r}], not a single string")
        chosen = list(names)
        unknown = [n for n in chosen if n not in avail]
        if unknown:
            raise ValueError(f"names: unknown proof module(s) {unknown}; available: {avail}")
    out = ProofRun()
    for name in chosen:
        try:
            mod = importlib.import_module(f"{__name__}.{name}")
        except Exception as exc:  # noqa: BLE001 - reported as a failed proof
            out.append(failed_result(name, name, exc))
            continue
        run = getattr(mod, "run", None)
        title = getattr(mod, "TITLE", name)
        if not callable(run):
            out.append(failed_result(name, title, AttributeError(
                f"module cogc_theory.proofs.{name} has no run() function")))
            continue
        out.append(timed(name, title, run))
    if out_dir is not None:
        d = Path(out_dir)
        d.mkdir(parents=True, exist_ok=True)
        out.path = d / "proofs.md"
        out.path.write_text(out.to_markdown(), encoding="utf-8")
    return out
