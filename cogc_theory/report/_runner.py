"""Run the stages in order and keep ``report.md`` up to date after each one."""

from __future__ import annotations

import dataclasses
import json
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._io import write_text
from ..config import Study, default_study, quick_study
from . import _stages
from ._context import Context, Partial
from ._folder import check_out_dir, remove_report_files

__all__ = ["ReportResult", "Section", "run_report"]


@dataclass
class Section:
    """One stage of the report.

    Examples
    --------
    >>> import tempfile
    >>> res = run_report(tempfile.mkdtemp() + "/report", quick=True, only=["formulas"])
    >>> sec = res.sections[0]
    >>> sec.key, sec.title, sec.status
    ('formulas', 'Derived formulas', 'ok')
    >>> "$$" in sec.body                               # Markdown with LaTeX displays
    True
    """

    key: str
    title: str
    status: str = "pending"          # "ok", "FAILED", "pending"
    seconds: float = 0.0
    body: str = ""
    error: str = ""


@dataclass
class ReportResult:
    """What :func:`run_report` did.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> res = run_report(tempfile.mkdtemp() + "/report", quick=True, only=["formulas"])
    >>> res.exit_code, res.failed_sections, res.validation_passed     # no validation stage run
    (0, [], None)
    >>> sorted(Path(f).name for f in res.files)
    ['formulas.csv', 'report.md', 'study.json']
    """

    out_dir: Path
    sections: list[Section]
    validation: Any = None
    seconds: float = 0.0
    files: list[str] = field(default_factory=list)

    @property
    def failed_sections(self) -> list[Section]:
        return [s for s in self.sections if s.status == "FAILED"]

    @property
    def validation_passed(self) -> bool | None:
        return None if self.validation is None else bool(self.validation.passed)

    @property
    def exit_code(self) -> int:
        """0 when every stage ran and no validation row failed, else 1."""
        if self.failed_sections or self.validation_passed is False:
            return 1
        return 0



def _write_markdown(ctx: Context, sections: list[Section], t0: float, done: bool) -> None:
    st = ctx.study
    head = [
        "# CoGC / GC+ report",
        "",
        f"Study: cyclic repetition code, $M={st.M}$, $s\\in\\{{{', '.join(map(str, st.s_values))}"
        f"\\}}$, uplink erasure grid {st.p_grid} (client links at {st.eps_fixed}), client-link "
        f"erasure grid {st.eps_grid} (uplinks at {st.p_fixed}); Monte Carlo {st.mc_trials:,} "
        f"trials per curve point, {st.validation_trials:,} per validation comparison; "
        f"training `{st.problem}`, {st.rounds} rounds x {st.train_trials} trials; seed "
        f"{st.seed}.{' (quick study)' if ctx.quick else ''}",
        "",
        "| section | status | time (s) |",
        "|---|---|---|",
    ]
    for s in sections:
        stat = s.status if s.status != "FAILED" else f"**FAILED**: {s.error}"
        head.append(f"| [{s.title}](#{s.key}) | {stat} | {s.seconds:.1f} |")
    total = time.perf_counter() - t0
    head += ["", f"{'Finished' if done else 'In progress'}: {total:.1f} s in all.", ""]
    parts = ["\n".join(head)]
    for s in sections:
        if s.status == "pending":
            continue
        title = f'<a id="{s.key}"></a>\n## {s.title}'
        if s.status == "FAILED":
            title += " — FAILED"
        txt = [title, ""]
        if s.status == "FAILED":
            log = (f" (details: `logs/{s.key}.txt`)" if (ctx.logs / f"{s.key}.txt").exists()
                   else "")
            txt.append(f"> **FAILED**: {s.error}{log}\n")
        txt.append(s.body)
        parts.append("\n".join(txt))
    write_text(ctx.out / "report.md", "\n\n".join(parts) + "\n")


def _select(only: list[str] | None) -> list[_stages.Stage]:
    """The stages to run: all, or those named in ``only`` (in the order of ``STAGES``)."""
    stages = [_stages.Stage(*s) for s in _stages.STAGES]     # plain 3-tuples are accepted
    if only is None:
        return stages
    keys = [s.key for s in stages]
    unknown = sorted(set(only) - set(keys))
    if unknown:
        raise ValueError(f"unknown report stage(s) {unknown}; choose from {keys}")
    if not only:
        raise ValueError("only is empty; give at least one stage")
    return [s for s in stages if s.key in only]


def _run_stage(ctx: Context, stage: _stages.Stage, sec: Section) -> None:
    """Run one stage into ``sec``; a failure is recorded (traceback in ``logs/<key>.txt``),
    never raised, except :class:`KeyboardInterrupt`."""
    (ctx.logs / f"{stage.key}.txt").unlink(missing_ok=True)
    ts = time.perf_counter()
    try:
        sec.body = stage.run(ctx)
        sec.status = "ok"
    except Partial as exc:
        sec.body, sec.status, sec.error = exc.body, "FAILED", str(exc)
    except Exception as exc:  # noqa: BLE001 - a failed stage must not lose the rest
        sec.status = "FAILED"
        sec.error = f"{type(exc).__name__}: {exc}".replace("\n", " ")
        write_text(ctx.logs / f"{stage.key}.txt", traceback.format_exc())
    sec.seconds = time.perf_counter() - ts


def run_report(out_dir: str | os.PathLike[str], *, study: Study | None = None,
               quick: bool = False, progress: Callable[[str], None] | None = None,
               only: list[str] | None = None, overwrite: bool = False) -> ReportResult:
    """Run the study and write the report folder ``out_dir``.

    Parameters
    ----------
    out_dir : path
        Created if missing. It must be empty, or hold an earlier report and ``overwrite`` be
        true (see :func:`check_out_dir`).
    study : Study, optional
        Default: the embedded default study (:func:`cogc_theory.config.default_study`), or
        the quick study when ``quick``.
    quick : bool
        Reduced study (well under a minute).
    progress : callable, optional
        Called with one line per stage (start and end, with timing).
    only : list of str, optional
        Run only these stages (keys of :data:`~cogc_theory.report.STAGES`).
    overwrite : bool
        Reuse a folder that holds an earlier report: first remove every file a report writes
        (:func:`report_files`), so nothing stale is left; other files are kept.

    Returns
    -------
    ReportResult
        ``exit_code`` is non-zero when a stage failed or a validation row failed.

    Examples
    --------
    Only the formulas stage of the quick study (``cogc report --quick`` runs them all):

    >>> import tempfile
    >>> from pathlib import Path
    >>> out = Path(tempfile.mkdtemp()) / "report"
    >>> res = run_report(out, quick=True, only=["formulas"])
    >>> [(s.key, s.status) for s in res.sections], res.exit_code
    ([('formulas', 'ok')], 0)
    >>> (out / "report.md").read_text().startswith("# CoGC / GC+ report")
    True
    >>> run_report(out, quick=True, only=["formulas"])        # an earlier report is kept
    Traceback (most recent call last):
    ...
    ValueError: out_dir '...' already holds a report; choose a new folder, or pass ...
    """
    t0 = time.perf_counter()
    if study is None:
        study = quick_study() if quick else default_study()
    stages = _select(only)
    out = Path(out_dir)
    if check_out_dir(out, overwrite=overwrite) == "report":
        remove_report_files(out)
    out.mkdir(parents=True, exist_ok=True)
    ctx = Context(out, study, progress, quick)
    write_text(out / "study.json", json.dumps(dataclasses.asdict(study), indent=2) + "\n")
    sections = [Section(k, t) for k, t, _ in stages]
    n = len(stages)
    try:
        for i, (stage, sec) in enumerate(zip(stages, sections, strict=True)):
            ctx.progress(f"[{i + 1}/{n}] {stage.title} ...")
            _run_stage(ctx, stage, sec)
            ctx.progress(f"[{i + 1}/{n}] {stage.title}: {sec.status} in {sec.seconds:.1f} s"
                         + (f" ({sec.error})" if sec.error else ""))
            _write_markdown(ctx, sections, t0, done=False)
    except KeyboardInterrupt:
        for sec in sections:
            if sec.status == "pending":
                sec.status, sec.error = "FAILED", "interrupted (Ctrl-C)"
        _write_markdown(ctx, sections, t0, done=False)
        raise
    _write_markdown(ctx, sections, t0, done=True)
    files = [str(out / "report.md"), str(out / "study.json")] + ctx.files
    return ReportResult(out_dir=out, sections=sections, validation=ctx.validation,
                        seconds=time.perf_counter() - t0, files=files)
