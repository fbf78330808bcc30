"""The report of a conformance run: one :class:`PropertyResult` per property, gathered in a
:class:`ConformanceReport` (public through :mod:`cogc_theory.testing`)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ConformanceReport", "PropertyResult"]


@dataclass
class PropertyResult:
    """Outcome of one property: ``status`` is ``"pass"``, ``"fail"``, ``"skip"`` or ``"error"``.

    ``examples`` counts the cases checked (explicit ones included, rejected ones not);
    ``detail`` holds the failure (property, call, case) or the reason for a skip;
    ``reproduce`` the argument that replays the failing case (``check_decoder(...,
    reproduce=...)``; None for an explicit case, which every run checks).

    Examples
    --------
    >>> print(PropertyResult("certificate", "pass", examples=100, seconds=2.5).row())
    certificate       PASS       100     2.5
    >>> PropertyResult("batched", "skip", detail="not declared (batched=False)").row()
    'batched           SKIP         -       -  not declared (batched=False)'
    """

    name: str
    status: str
    examples: int = 0
    seconds: float = 0.0
    detail: str = ""
    reproduce: str | None = None

    def row(self) -> str:
        """One line of the report table."""
        ex = str(self.examples) if self.status in ("pass", "fail") else "-"
        sec = f"{self.seconds:.1f}" if self.status in ("pass", "fail", "error") else "-"
        note = self.detail.splitlines()[0] if self.detail else ""
        if self.status == "fail":
            note = note.split(":")[0]
        return f"{self.name:<17} {self.status.upper():<5} {ex:>8} {sec:>7}  {note}".rstrip()


@dataclass
class ConformanceReport:
    """Results of :func:`run_conformance`: one :class:`PropertyResult` per property.

    Examples
    --------
    >>> report = ConformanceReport("mypkg.decode", "standard", ("standard",))
    >>> report.results += [PropertyResult("result types", "pass", 100, 1.0),
    ...                    PropertyResult("claims", "fail", 3, 0.5, "target matches the "
    ...                                   "claim: fn(B, received): ...")]
    >>> report.passed
    False
    >>> print(report.table())
    conformance of mypkg.decode (standard decoding)
    property          result examples seconds  notes
    result types      PASS       100     1.0
    claims            FAIL         3     0.5  target matches the claim
    FAILED: 1 passed, 1 failed, 0 skipped (1.5 s)
    """

    decoder: str
    kind: str
    modes: tuple[str, ...]
    results: list[PropertyResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    cli_args: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """No property failed (skipped ones do not count)."""
        return not any(r.status in ("fail", "error") for r in self.results)

    @property
    def failed(self) -> list[PropertyResult]:
        return [r for r in self.results if r.status in ("fail", "error")]

    def header(self) -> str:
        what = ("standard decoding" if self.kind == "standard" else
                "GC+, full recovery only" if self.modes == ("full-only",) else
                "GC+ rules " + ", ".join(self.modes))
        lines = [f"conformance of {self.decoder} ({what})"]
        lines += [f"  note: {n}" for n in self.notes]
        lines.append(f"{'property':<17} {'result':<5} {'examples':>8} {'seconds':>7}  notes")
        return "\n".join(lines)

    def table(self) -> str:
        """The pass/fail table by property, with a summary line."""
        rows = [self.header()] + [r.row() for r in self.results]
        n_fail = len(self.failed)
        rows.append(f"{'FAILED' if n_fail else 'PASSED'}: "
                    f"{sum(r.status == 'pass' for r in self.results)} passed, {n_fail} failed, "
                    f"{sum(r.status == 'skip' for r in self.results)} skipped "
                    f"({sum(r.seconds for r in self.results):.1f} s)")
        return "\n".join(rows)

    def failure_text(self, command: str | None = None) -> str:
        """Every failure in full: property, call, returned values, oracle, pasteable case.

        Each ends with the call that replays it (``command``: as a ``cogc check-decoder``
        command line with the same options, else as a :func:`check_decoder` call).
        """
        out = []
        for r in self.failed:
            text = f"property '{r.name}' fails: {r.detail}"
            if r.reproduce:
                text += ("\n  replay: " + (" ".join([command, *self.cli_args, "--reproduce",
                                                    f"'{r.reproduce}'"]) if command else
                                          f"check_decoder(fn, {', '.join(self.args)}"
                                          f"{', ' if self.args else ''}"
                                          f"reproduce={r.reproduce!r})"))

            out.append(text)
        return "\n\n".join(out)

    def __str__(self) -> str:
        text = self.table()
        return text + ("\n\n" + self.failure_text() if self.failed else "")

