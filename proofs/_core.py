r"""Result objects of the self-checking proofs and their Markdown rendering.

A proof module exposes ``run() -> ProofResult``. The result carries the theorem
(``statement``, LaTeX), its ``assumptions``, a ``derivation`` made of :class:`Step` objects
(text plus LaTeX, each verified symbolically where that is possible) and a list of
independent :class:`Check` objects (what was compared, whether it held, the evidence).
A proof *passes* when it has at least one check, every check holds and no step's symbolic
verification failed.

Markdown uses ``$...$`` for inline and ``$$...$$`` for display mathematics, which GitHub,
Jupyter and pandoc all render.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Check", "ProofResult", "ProofRun", "Step", "failed_result", "timed"]


@dataclass(frozen=True)
class Check:
    """One independent comparison: ``what`` was checked, whether it ``passed``, and why.

    Examples
    --------
    >>> c = Check("binomial tail at p = 1/10 equals the enumeration", True, "both 0.0523 exactly")
    >>> c.passed, c.evidence
    (True, 'both 0.0523 exactly')
    """

    what: str
    passed: bool
    evidence: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.passed, bool):
            object.__setattr__(self, "passed", bool(self.passed))


@dataclass(frozen=True)
class Step:
    r"""One derivation step: prose ``text`` and a LaTeX display ``latex`` (may be empty).

    ``verified`` is ``True``/``False`` when the step was checked symbolically (``evidence``
    says how), ``None`` when it is an argument that no computer algebra can check.

    Examples
    --------
    >>> import sympy as sp
    >>> a, b = sp.symbols("a b")
    >>> ok = sp.expand((a + b) ** 2) == a**2 + 2 * a * b + b**2
    >>> step = Step("Expand the square.", r"(a+b)^2 = a^2 + 2ab + b^2", verified=ok,
    ...             evidence="sympy.expand")
    >>> step.verified
    True
    """

    text: str
    latex: str = ""
    verified: bool | None = None
    evidence: str = ""

    def __post_init__(self) -> None:
        if self.verified is not None and not isinstance(self.verified, bool):
            object.__setattr__(self, "verified", bool(self.verified))


@dataclass
class ProofResult:
    """Outcome of one proof module's ``run()``.

    Examples
    --------
    A proof is passed when it has checks, they all hold, and no symbolic step failed:

    >>> res = ProofResult("demo", "A demonstration",
    ...                   derivation=[Step("Expand.", "(a+b)^2 = a^2+2ab+b^2", True, "sympy")],
    ...                   checks=[Check("1 + 1 == 2", True, "exact")])
    >>> res.passed, res.summary()
    (True, 'demo: PASS (1/1 checks, 0.0 s)')
    >>> print(res.to_markdown().splitlines()[0])
    ## A demonstration <a id="demo"></a>
    >>> ProofResult("empty", "No checks").passed
    False
    """

    name: str
    title: str
    assumptions: list[str] = field(default_factory=list)
    statement: str = ""
    derivation: list[Step] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """All checks hold, there is at least one, and no symbolic step failed."""
        return (bool(self.checks) and all(c.passed for c in self.checks)
                and all(s.verified is not False for s in self.derivation))

    @property
    def n_passed(self) -> int:
        return sum(c.passed for c in self.checks)

    def summary(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        return (f"{self.name}: {verdict} ({self.n_passed}/{len(self.checks)} checks, "
                f"{self.seconds:.1f} s)")

    def __str__(self) -> str:
        return self.summary()

    def to_markdown(self, level: int = 2) -> str:
        """The proof as a Markdown section (heading ``level``)."""
        h = "#" * level
        verdict = "passed" if self.passed else "**FAILED**"
        out = [f'{h} {self.title} <a id="{self.name}"></a>', "",
               f"`{self.name}` — {verdict}, {self.n_passed}/{len(self.checks)} checks, "
               f"{self.seconds:.1f} s.", ""]
        if self.assumptions:
            out += [f"{h}# Assumptions", ""]
            out += [f"- {a}" for a in self.assumptions] + [""]
        if self.statement:
            out += [f"{h}# Statement", "", _display(self.statement), ""]
        if self.derivation:
            out += [f"{h}# Derivation", ""]
            for i, s in enumerate(self.derivation, 1):
                tag = {True: " *(verified: " + (s.evidence or "sympy") + ")*",
                       False: " **(symbolic verification FAILED: " + s.evidence + ")**",
                       None: ""}[s.verified]
                out.append(f"{i}. {s.text}{tag}")
                if s.latex:
                    out += ["", "   " + _display(s.latex)]
                out.append("")
        out += [f"{h}# Checks", "", "| check | result | evidence |", "|---|---|---|"]
        for c in self.checks:
            out.append(f"| {_cell(c.what)} | {'pass' if c.passed else '**FAIL**'} | "
                       f"{_cell(c.evidence)} |")
        out.append("")
        return "\n".join(out)


class ProofRun(list):
    """The list of :class:`ProofResult` returned by ``run_all``, with ``.passed``.

    ``path`` is the Markdown report written by ``run_all`` (``None`` if none was written).

    Examples
    --------
    >>> run = ProofRun([ProofResult("a", "A", checks=[Check("x", True)]),
    ...                 ProofResult("b", "B", checks=[Check("y", False, "off by one")])])
    >>> run.passed, run.n_failed
    (False, 1)
    """

    path = None

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self)

    @property
    def n_failed(self) -> int:
        return sum(not r.passed for r in self)

    def table_markdown(self) -> str:
        rows = ["| proof | result | checks |", "|---|---|---|"]
        for r in self:
            rows.append(f"| [{_cell(r.title)}](#{r.name}) (`{r.name}`) | "
                        f"{'pass' if r.passed else '**FAIL**'} | "
                        f"{r.n_passed}/{len(r.checks)} |")
        return "\n".join(rows)

    def to_markdown(self) -> str:
        head = ["# Self-checking proofs", "",
                f"{len(self) - self.n_failed} of {len(self)} proofs passed. Every check "
                "compares the stated result with an independent computation (exact "
                "enumeration over rationals or a closed form derived separately).", "",
                self.table_markdown(), ""]
        return "\n".join(head + [r.to_markdown() for r in self])

    def __str__(self) -> str:
        lines = [r.summary() for r in self]
        lines.append(f"{len(self) - self.n_failed}/{len(self)} proofs passed")
        if self.path is not None:
            lines.append(f"report: {self.path}")
        return "\n".join(lines)


def _display(latex: str) -> str:
    latex = latex.strip()
    return latex if latex.startswith("$") else f"$${latex}$$"


def _cell(text: str) -> str:
    return str(text).replace("|", r"\|").replace("\n", " ")


def failed_result(name: str, title: str, error: BaseException, seconds: float = 0.0
                  ) -> ProofResult:
    """A failed result carrying ``error`` as the evidence (a proof never crashes run_all)."""
    return ProofResult(name=name, title=title, seconds=seconds,
                       checks=[Check("proof ran to completion", False,
                                     f"{type(error).__name__}: {error}")])


def timed(name: str, title: str, fn: Callable[[], ProofResult]) -> ProofResult:
    """Run ``fn``; time it; turn an exception or a wrong return type into a failed result."""
    t0 = time.perf_counter()
    try:
        res = fn()
        if not isinstance(res, ProofResult):
            raise TypeError(f"run() must return a ProofResult, got {type(res).__name__}")
    except Exception as exc:  # noqa: BLE001 - a proof's failure is data, not a crash
        return failed_result(name, title, exc, time.perf_counter() - t0)
    res.seconds = time.perf_counter() - t0
    return res

