r"""The main job: run a study and write a report folder (Markdown, plots, CSV, validation).

:func:`run_report` runs the stages of the study in order — formulas, outage curves, fading and
diversity, recovered-set distribution, training, convergence bounds, proofs, validation — and
after **every** stage rewrites ``report.md``, so an interrupted run keeps what was finished. A
stage that fails (a module missing, an error) is marked ``FAILED`` with the reason in the report
(the traceback goes to ``logs/<stage>.txt``) and the others still run. The folder::

    DIR/report.md            Markdown with LaTeX ($$...$$), figures embedded, pass/fail table
    DIR/figures/*.png|pdf    every figure in both formats
    DIR/data/*.csv           the numbers behind every figure
    DIR/validation.csv       the validation table with its evidence
    DIR/study.json           the study parameters
    DIR/logs/*.txt           tracebacks of failed stages

Every file is written to a temporary name and renamed when complete, so a file that is there
is complete. The folder must be new or empty; a folder that holds an earlier report is reused
only with ``overwrite=True`` (``cogc report --overwrite``), which first removes the files a
report writes (:func:`report_files`) and never any other file.

The library does not print: progress goes to the ``progress`` callable (the CLI passes one that
writes one line per stage, with timing, to stderr).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._io import atomic_open, temp_files, write_text
from .config import Study, default_study, quick_study
from .outage.gcplus import MAX_SUBSET_PATTERNS
from .scenario import NetworkSpec

__all__ = ["ReportResult", "Section", "check_out_dir", "report_files", "run_report"]

#: Figures (``figures/NAME.png|pdf``) and data files (``data/NAME.csv``) a report writes.
FIGURES = ("outage_vs_p", "outage_vs_eps", "outage_vs_snr", "recovered_set", "training",
           "bound_vs_gap", "bound_vs_gap_variant", "crossover")
DATA = ("formulas", "outage_vs_p", "outage_vs_eps", "outage_vs_snr", "recovered_set_size",
        "training", "bounds", "crossover")
_SUBDIRS = ("figures", "data", "logs", "proofs")


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


class _Ctx:
    def __init__(self, out: Path, study: Study, progress: Callable[[str], None] | None,
                 quick: bool) -> None:
        self.out = out
        self.study = study
        self.quick = quick
        self.progress = progress or (lambda _msg: None)
        self.figs = out / "figures"
        self.data = out / "data"
        self.logs = out / "logs"
        for d in (self.figs, self.data, self.logs):
            d.mkdir(parents=True, exist_ok=True)
        self.files: list[str] = []
        self.shared: dict[str, Any] = {}
        self.validation: Any = None

    def savefig(self, fig: Any, name: str, caption: str) -> str:
        from . import plots

        if name not in FIGURES:   # so that overwrite=True knows every file a report writes
            raise ValueError(f"figure {name!r} is not listed in report.FIGURES")
        paths = plots.save(fig, self.figs / name)
        self.files += paths
        return (f"![{caption}](figures/{name}.png)\n\n*{caption}* "
                f"([PDF](figures/{name}.pdf))\n")

    def write_csv(self, name: str, rows: list[dict[str, Any]]) -> str:
        if name not in DATA:   # so that overwrite=True knows every file a report writes
            raise ValueError(f"data file {name!r} is not listed in report.DATA")
        path = self.data / f"{name}.csv"
        keys: list[str] = []
        for r in rows:
            keys += [k for k in r if k not in keys]
        with atomic_open(path, "w", newline="") as fh:
            if rows:
                w = csv.DictWriter(fh, fieldnames=keys)
                w.writeheader()
                for r in rows:
                    w.writerow(r)
        self.files.append(str(path))
        return f"data/{name}.csv"


# ---------------------------------------------------------------------------- helpers
def _net(M: int, s: int, p: Any, eps: Any) -> Any:
    """The study's network: cyclic ``B`` (construction seed 0)."""
    return NetworkSpec(M, s, uplink_erasure=p, link_erasure=eps).network()


def _gc_states(M: int, s: int) -> int:
    return (1 + 2 ** s) ** M


def _mc(net: Any, decoder: str, trials: int, seed: int) -> dict[str, Any]:
    """Monte Carlo outage (``ct.simulate.outage``) with a Wilson 95% interval.

    ``simulate.outage`` answers Ctrl-C with a partial estimate (status ``"interrupted"``),
    which must not become a Monte Carlo point: that raises :class:`KeyboardInterrupt` here,
    and the section is marked interrupted.
    """
    from . import simulate

    est = simulate.outage(net, decoder=decoder, trials=trials, seed=seed)
    if est.status == "interrupted":
        raise KeyboardInterrupt(f"the Monte Carlo run stopped after {est.trials:,} of "
                                f"{trials:,} trials")
    lo, hi = est.ci(0.95, "wilson")
    return {"failures": int(est.failures), "trials": int(est.trials),
            "estimate": float(est.estimate), "ci_low": lo, "ci_high": hi,
            "source": "ct.simulate.outage"}


def _mc_indices(n: int, k: int) -> list[int]:
    if k >= n:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, k).round().astype(int).tolist()))


def _latex_block(expr: str) -> str:
    return f"$$\n{expr}\n$$\n"


# ---------------------------------------------------------------------------- stages
def _stage_formulas(ctx: _Ctx) -> str:
    import sympy as sp

    from . import outage

    st = ctx.study
    p, e = sp.symbols("p epsilon")
    out = [
        "Client $m$ contributes to standard decoding when its partial sum is complete and its "
        "upload arrives:",
        _latex_block(r"\pi_m = (1-p_m)\prod_{k\in N_m}(1-\varepsilon_{mk})."),
        "Standard decoding (CoGC) fails when the set $R$ of contributing clients is not "
        "decodable ($\\mathbf 1\\notin\\operatorname{rowspace}B_R$):",
        _latex_block(r"P_\mathrm{out} = \sum_{R\notin\mathcal D(B)}\prod_{m\in R}\pi_m"
                     r"\prod_{m\notin R}(1-\pi_m)."),
        f"For the cyclic code with $M={st.M}$ the decodable family is found by exact "
        "enumeration to be the threshold family $|R|\\ge M-s$, so with homogeneous erasures "
        "the outage is a binomial tail in $\\pi=(1-p)(1-\\varepsilon)^s$ "
        "(derived by `ct.outage.cogc_formula`):",
    ]
    rows = []
    for s in st.s_values:
        f = outage.cogc_formula(_net(st.M, s, p, e))
        out.append(_latex_block(rf"P_\mathrm{{out}}^{{\mathrm{{CoGC}}}}(s={s}) = {f.latex}"))
        rows.append({"s": s, "decoder": "standard", "latex": f.latex})
    out.append(
        "GC+ uses every arrived partial sum, complete or not, with its reception bitmap; it "
        "fails to recover the full gradient when $\\mathbf 1\\notin\\operatorname{rowspace}"
        "(\\tilde B_U)$. Its probability is a sum over client-state patterns $x$ (absent, or "
        "arrived with one pattern of link successes), independent across clients:")
    out.append(_latex_block(r"P_\mathrm{out}^{+} = \sum_{x:\ \mathbf 1\notin"
                            r"\operatorname{rowspace}A(x)}\ \prod_m q_m(x_m)."))
    try:
        from .outage import structure

        r1 = structure.ring_s1_outage(_net(st.M, 1, p, e))
        out.append(f"For the ring ($s=1$) the full-recovery event has a combinatorial "
                   f"characterisation (every client arrived, or exactly one is absent and all "
                   f"others are complete), so for any $M$ (here $M={st.M}$):")
        out.append(_latex_block(r"P_\mathrm{out}^{+}(s=1) = " + sp.latex(r1)))
        out.append("The validation below checks this expression against the polynomial that "
                   "`ct.outage.gcplus_polynomial` obtains by enumerating client states "
                   "(symbolic difference 0 for M = 4, 5, 6) and numerically against the "
                   "enumeration for every cyclic s = 1 scenario.")
        rows.append({"s": 1, "decoder": f"gcplus ring (M={st.M})", "latex": sp.latex(r1)})
    except Exception as exc:  # noqa: BLE001
        out.append(f"(ring s=1 characterisation unavailable: {exc})")
    ctx.write_csv("formulas", rows)
    return "\n".join(out)


def _stage_outage(ctx: _Ctx) -> str:
    from . import outage, plots

    st = ctx.study
    body = []
    seed = np.random.SeedSequence(st.seed)
    for axis, grid, fixed_name in (("p", st.p_grid, "eps"), ("eps", st.eps_grid, "p")):
        fixed = st.eps_fixed if axis == "p" else st.p_fixed
        rows: list[dict[str, Any]] = []
        exact: dict[str, list[float]] = {}
        mc: dict[str, tuple[list[float], ...]] = {}
        x = np.asarray(grid, dtype=float)
        mci = _mc_indices(len(grid), st.mc_points)
        for s in st.s_values:
            gc_exact = _gc_states(st.M, s) <= 10_000_000 and s <= st.gcplus_exact_max_s
            for dec in ("standard", "gcplus"):
                lab = f"{'CoGC' if dec == 'standard' else 'GC+'} s={s}"
                vals = []
                pts: tuple[list[float], ...] = ([], [], [], [])
                for i, v in enumerate(grid):
                    pv, ev = (v, fixed) if axis == "p" else (fixed, v)
                    net = _net(st.M, s, pv, ev)
                    if dec == "standard":
                        ex = float(outage.cogc(net))
                    else:
                        ex = float(outage.gcplus(net)) if gc_exact else math.nan
                    vals.append(ex)
                    row = {"s": s, "decoder": dec, "p": pv, "eps": ev, "exact": ex}
                    if i in mci:
                        ss = seed.spawn(1)[0]
                        r = _mc(net, dec, st.mc_trials, int(ss.generate_state(1)[0]))
                        row.update({f"mc_{k}": r[k] for k in r})
                        pts[0].append(float(v))
                        pts[1].append(r["estimate"])
                        pts[2].append(r["ci_low"])
                        pts[3].append(r["ci_high"])
                    rows.append(row)
                if not all(math.isnan(v) for v in vals):
                    exact[lab] = vals
                mc[lab] = pts
        csv_name = ctx.write_csv(f"outage_vs_{axis}", rows)
        xl = ("uplink erasure probability $p$" if axis == "p"
              else r"client-link erasure probability $\varepsilon$")
        fixed_tex = r"\varepsilon" if fixed_name == "eps" else "p"
        styles = {}
        for j, s in enumerate(st.s_values):
            for dec, ls, mk in (("CoGC", "-", "o"), ("GC+", "--", "s")):
                styles[f"{dec} s={s}"] = {"color": plots.COLORS[j % len(plots.COLORS)],
                                          "linestyle": ls if j < 3 else (":" if ls == "-"
                                                                         else "-."),
                                          "marker": mk if j < 3 else plots.MARKERS[j]}
        fig = plots.outage_vs_erasure(
            x, exact, mc, xlabel=xl, styles=styles,
            title=f"Cyclic code, M={st.M}, {fixed_name}={fixed:g}; lines exact, markers MC")
        body.append(ctx.savefig(
            fig, f"outage_vs_{axis}",
            f"Outage against {xl} (${fixed_tex}={fixed:g}$): exact curves and Monte Carlo "
            f"points ({st.mc_trials:,} trials, 95% Wilson intervals). Data: {csv_name}"))
    skipped = [s for s in st.s_values
               if not (_gc_states(st.M, s) <= 10_000_000 and s <= st.gcplus_exact_max_s)]
    if skipped:
        body.append(f"GC+ for s in {skipped} is shown by Monte Carlo only: exact enumeration "
                    f"would visit $(1+2^s)^M$ client-state patterns.")
    return "\n".join(body)


def _stage_fading(ctx: _Ctx) -> str:
    import sympy as sp

    from . import codes, outage, plots
    from .outage import fading

    st = ctx.study
    snr_db = np.asarray(st.snr_db, dtype=float)
    curves: dict[str, list[float]] = {}
    asym: dict[str, tuple[int, float]] = {}
    rows = []
    lines = ["Rayleigh block fading: a link with mean SNR `snr` at rate $R$ is erased with "
             "probability $1-e^{-(2^R-1)/\\mathrm{snr}}$. The high-SNR series gives "
             "$P_\\mathrm{out}\\approx A\\,\\mathrm{snr}^{-d}$ (diversity $d$), derived by "
             "`ct.outage.fading.diversity`:", ""]
    for s in st.s_values:
        net = fading.fading_network(codes.cyclic_repetition(st.M, s, seed=0), rate=st.rate)
        for dec in ("standard", "gcplus"):
            if dec == "gcplus" and (_gc_states(st.M, s) > 10_000_000
                                    or s > st.gcplus_exact_max_s):
                continue
            lab = f"{'CoGC' if dec == 'standard' else 'GC+'} s={s}"
            fn = outage.cogc if dec == "standard" else outage.gcplus
            vals = [float(fn(net.subs({fading.SNR: float(10 ** (x / 10))}))) for x in snr_db]
            curves[lab] = vals
            order: Any = ""
            A: Any = ""
            if dec == "standard" or _gc_states(st.M, s) <= 2_000_000:
                d = fading.diversity(net, dec)
                order, A = d.order, float(d.constant)
                asym[lab] = (order, A)
                lines.append(_latex_block(
                    rf"\text{{{lab}}}:\quad P_\mathrm{{out}} \approx "
                    rf"{sp.latex(d.leading_term)},\quad d={d.order},\quad "
                    rf"G_c = {sp.latex(d.coding_gain)} \approx {float(d.coding_gain):.4g}"))
            else:
                lines.append(f"{lab}: exact curve only (the symbolic series would enumerate "
                             f"{_gc_states(st.M, s):,} client-state patterns).\n")
            for x, v in zip(snr_db, vals, strict=True):
                rows.append({"curve": lab, "snr_db": x, "outage": v, "diversity": order,
                             "A": A})
    csv_name = ctx.write_csv("outage_vs_snr", rows)
    fig = plots.outage_vs_snr(snr_db, curves, asym,
                              title=f"Rayleigh fading, M={st.M}, rate R={st.rate:g}")
    lines.append(ctx.savefig(fig, "outage_vs_snr",
                             f"Exact outage against mean SNR with the diversity asymptotes "
                             f"(dotted). Data: {csv_name}"))
    return "\n".join(lines)


def _stage_recovered(ctx: _Ctx) -> str:
    from . import decode, outage, plots
    from .simulate.links import LinkModel

    st = ctx.study
    pmfs: dict[str, np.ndarray] = {}
    rows = []
    notes = []
    rng = np.random.default_rng(np.random.SeedSequence([st.seed, 7]))
    for s in st.s_values:
        net = _net(st.M, s, st.p_fixed, st.eps_fixed)
        if _gc_states(st.M, s) <= MAX_SUBSET_PATTERNS:
            d = outage.gcplus_distribution(net)
            pmf = np.asarray(d.size_pmf["max-subset"], dtype=float)
            lab = f"s={s} (exact)"
        else:
            n = st.mc_trials
            d = LinkModel(net).draw(rng, (n,))
            r = decode.gcplus(d.effective(net.B), d.u, rule="max-subset")
            size = np.asarray(r.recovered).sum(axis=1)
            pmf = np.bincount(size, minlength=st.M + 1) / n
            lab = f"s={s} (MC, {n:,} trials)"
            notes.append(s)
        pmfs[lab] = pmf
        for k, v in enumerate(pmf):
            rows.append({"s": s, "how": lab, "size": k, "probability": float(v)})
    csv_name = ctx.write_csv("recovered_set_size", rows)
    fig = plots.recovered_set_distribution(
        pmfs, title=f"GC+ max-subset, M={st.M}, p={st.p_fixed:g}, eps={st.eps_fixed:g}")
    body = [ctx.savefig(fig, "recovered_set",
                        f"Distribution of the GC+ recovered-set size $|K|$ (max-subset rule); "
                        f"$|K|=M$ is full recovery, $|K|=0$ total outage. Data: {csv_name}")]
    return "\n".join(body)


def _train_runs(ctx: _Ctx) -> dict[str, Any]:
    if "train" in ctx.shared:
        return ctx.shared["train"]
    from . import simulate

    st = ctx.study
    if not hasattr(simulate, "train"):
        raise RuntimeError("cogc_theory.simulate.train is not available in this installation")
    net = _net(st.M, st.train_s, st.train_p, st.train_eps)
    runs, errors = {}, {}
    for scheme in st.schemes:
        try:
            runs[scheme] = simulate.train(net, problem=st.problem, scheme=scheme,
                                          rounds=st.rounds, trials=st.train_trials,
                                          seed=st.seed, split=st.split,
                                          alpha=st.dirichlet_alpha)
        except Exception as exc:  # noqa: BLE001 - per-scheme failure is reported
            errors[scheme] = f"{type(exc).__name__}: {exc}"
    ctx.shared["train"] = (net, runs, errors)
    return ctx.shared["train"]


def _stage_training(ctx: _Ctx) -> str:
    from . import plots

    st = ctx.study
    net, runs, errors = _train_runs(ctx)
    if not runs:
        raise RuntimeError("no training scheme ran: " + "; ".join(
            f"{k}: {v}" for k, v in errors.items()))
    losses = {k: np.asarray(r.loss, dtype=float) for k, r in runs.items()}
    rows = []
    for k, L in losses.items():
        for t in range(L.shape[1]):
            rows.append({"scheme": k, "round": t, "loss_mean": float(L[:, t].mean()),
                         "loss_std": float(L[:, t].std(ddof=1)) if L.shape[0] > 1 else 0.0,
                         "trials": L.shape[0]})
    csv_name = ctx.write_csv("training", rows)
    fig = plots.training_curves(
        losses, title=f"{st.problem}, M={st.M}, s={st.train_s}, p={st.train_p:g}, "
                      f"eps={st.train_eps:g}")
    split = ("IID split" if st.split == "iid" else "non-IID split (Dirichlet label skew, "
             f"concentration $\\alpha={st.dirichlet_alpha:g}$)")
    body = [f"Problem `{st.problem}`, {split}, cyclic code $M={st.M}$, $s={st.train_s}$, "
            f"$p={st.train_p:g}$, $\\varepsilon={st.train_eps:g}$, {st.rounds} rounds, "
            f"{st.train_trials} trials per scheme (same link draws for every scheme).",
            ctx.savefig(fig, "training", f"Training loss (mean over trials, 95% band). "
                                         f"Data: {csv_name}"),
            "| scheme | final loss (mean) | std |", "|---|---|---|"]
    for k, L in losses.items():
        body.append(f"| {k} | {L[:, -1].mean():.6g} | {L[:, -1].std():.3g} |")
    if errors:
        body.append("\nSchemes that did not run: " + "; ".join(
            f"`{k}`: {v}" for k, v in errors.items()))
        raise _Partial("\n".join(body), "schemes failed: " + ", ".join(errors))
    return "\n".join(body)


class _Partial(Exception):  # noqa: N818 - carries a finished body with a failure reason
    def __init__(self, body: str, reason: str) -> None:
        super().__init__(reason)
        self.body = body


def _bvs_module() -> Any:
    """``cogc_theory.validation.bounds_vs_simulation`` if installed, else None."""
    import importlib

    try:
        return importlib.import_module("cogc_theory.validation.bounds_vs_simulation")
    except ImportError:
        return None


def _bounds_figure(data: dict[str, Any], title: str) -> Any:
    """bound_vs_gap with the exact expected gaps (thin solid) and the descent-lemma bounds
    (dotted) drawn on the same axes."""
    from . import plots

    T = np.asarray(data["rounds"])
    fig = plots.bound_vs_gap(T, data["bounds"], data["gaps"], title=title)
    ax = fig.axes[0]
    for i, lab in enumerate(data["bounds"]):
        st = plots.style(i)
        ex = data["exact"].get(lab)
        if ex is not None:
            ax.plot(T, np.maximum(ex, 1e-300), color=st["color"], linewidth=0.9,
                    label=f"{lab} exact E gap")
        ax.plot(T, data["reference"][lab], color=st["color"], linestyle=":", linewidth=1.0,
                label=f"{lab} descent-lemma bound")
    ax.legend(fontsize=7.5, framealpha=0.9)
    return fig


def _stage_bounds(ctx: _Ctx) -> str:
    from . import bounds, plots

    st = ctx.study
    net = _net(st.M, st.train_s, st.train_p, st.train_eps)
    out = ["Bounds derived by `ct.bounds` (one-round recursions solved with sympy; proofs in "
           "[proofs.md](proofs/proofs.md)). CoGC, L-smooth and $\\mu$-strongly convex, with the "
           "exact one-step rate of gradient descent (`strongly_convex(\"cogc\", "
           "method=\"pep\")`, attained by a quadratic):",
           _latex_block(bounds.strongly_convex("cogc", method="pep").latex),
           "GC+, from the heterogeneity at the optimum and the exact law of the recovered set "
           "(`gcplus_distance`):", _latex_block(bounds.DistanceBound.LATEX),
           "The descent-lemma bounds of SPEC 4.5 (`strongly_convex(..., method=\"descent\")`, "
           "GC+ with $\\zeta^2$ the supremum of the dissimilarity along the trajectory) are "
           "drawn dotted for comparison. Non-convex (CoGC):",
           _latex_block(bounds.nonconvex("cogc").latex)]
    curves: dict[str, Any] = {}
    gaps: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    violated = False
    bvs = _bvs_module()
    if bvs is not None and hasattr(bvs, "report_data"):
        # the study's split first, then the other as the variant; least squares, exact
        # constants, exact expected gaps beside the Monte Carlo means
        splits = [st.split, "iid" if st.split != "iid" else "dirichlet"]
        table = ["| split | scheme | bound | " + " | ".join(
            f"T={t}" for t in bvs.REPORT_ROUNDS if t <= st.rounds) + " |"]
        table.append("|---" * (3 + sum(t <= st.rounds for t in bvs.REPORT_ROUNDS)) + "|")
        for k, split in enumerate(splits):
            data = bvs.report_data(net, rounds=st.rounds, seed=st.seed, split=split,
                                   alpha=st.dirichlet_alpha)
            comparison = data.get("comparison")
            violated |= comparison is not None and not comparison.passed
            rows += data["rows"]
            if k == 0:
                T, curves, gaps = np.asarray(data["rounds"]), data["bounds"], data["gaps"]
            for lab in data["bounds"]:
                c = next(c for c in comparison.schemes.values() if c.label == lab)
                d = comparison.others[(c.scheme, "descent")]
                table.append(f"| {data['split']} | {lab} | tight | " + " | ".join(
                    f"{v:.3g}" for v in data["ratios"][lab].values()) + " |")
                table.append(f"| {data['split']} | {lab} | descent lemma | " + " | ".join(
                    f"{d.ratio()[t]:.3g}" for t in data["ratios"][lab]) + " |")
            name = "bound_vs_gap" if k == 0 else "bound_vs_gap_variant"
            fig = _bounds_figure(data, f"{data['split']}: M={st.M}, s={st.train_s}, "
                                       f"p={st.train_p:g}, eps={st.train_eps:g}")
            out += ["", data["note"], ctx.savefig(
                fig, name, f"{data['split']}: bounds (lines; descent-lemma bounds dotted), "
                           "exact expected gap (thin) and simulated mean gap (markers, 95% "
                           "band) against rounds. Data: data/bounds.csv")]
        out += ["", "Tightness: bound / exact expected gap (the exact gap is the second-moment "
                    "recursion over the exact law of $K$; the Monte Carlo mean over "
                    "heavy-tailed trials is in data/bounds.csv):", "", *table]
        csv_name = ctx.write_csv("bounds", rows)
        out.append(f"\nData: {csv_name}")
    else:
        vals = {"eta": 0.5, "L": 1.0, "mu": 0.1, "sigma2": 0.0, "zeta2": 0.1, "Delta0": 1.0}
        T = np.arange(st.rounds + 1)
        for scheme, lab in (("cogc", "CoGC"), ("gcplus", "GC+")):
            if scheme == "gcplus" and _gc_states(st.M, st.train_s) > MAX_SUBSET_PATTERNS:
                # the max-subset law of |K| is out of reach here; use the individual rule
                b = bounds.strongly_convex(scheme, net=net, rule="individual", method="pep")
                lab = "GC+ (individual rule)"
            else:
                b = bounds.strongly_convex(scheme, net=net, method="pep")
            use = {k: v for k, v in vals.items() if bounds.SYMBOLS[k] in b.free_symbols}
            y = np.asarray(b(T=T, **use), dtype=float)
            curves[lab] = y
            floor = float(b.floor.subs({bounds.SYMBOLS[k]: v for k, v in use.items()}))
            for tt, v in zip(T, y, strict=True):
                rows.append({"scheme": lab, "T": int(tt), "bound": float(v), "floor": floor,
                             **use})
            params = ", ".join(f"{k}={v:g}" for k, v in use.items())
            out.append(f"- {lab}: bound at $T={st.rounds}$ = {y[-1]:.4g}, floor "
                       f"{floor:.4g} (parameters {params})")
        csv_name = ctx.write_csv("bounds", rows)
        fig = plots.bound_vs_gap(T, curves, gaps, title=f"M={st.M}, s={st.train_s}, "
                                                        f"p={st.train_p:g}, eps={st.train_eps:g}")
        out += ["", "Simulated optimality gaps: not available (`validation/bounds_vs_simulation"
                ".py` or `ct.simulate.train` missing); the curves use illustrative constants.",
                ctx.savefig(fig, "bound_vs_gap", f"Strongly convex bounds against rounds. "
                                                 f"Data: {csv_name}")]
    if not gaps:
        raise _Partial("\n".join(out), "bound formulas and curves written; the comparison "
                                       "with simulated gaps is not available yet")
    if violated:
        raise _Partial("\n".join(out), "a simulated mean gap exceeds its bound (see the note)")
    return "\n".join(out)


def _stage_crossover(ctx: _Ctx) -> str:
    import importlib

    st = ctx.study
    cx = importlib.import_module("cogc_theory.validation.crossover")
    splits = (st.split, "iid" if st.split != "iid" else "dirichlet")
    res = cx.run(st.M, st.train_s, st.train_p, st.crossover_eps, rounds=st.rounds,
                 trials=st.crossover_trials, seed=st.seed, splits=splits,
                 alpha=st.dirichlet_alpha, target=st.crossover_target)
    rows = [{k: ("" if v is None else v) for k, v in r.items()} for r in res.rows]
    csv_name = ctx.write_csv("crossover", rows)
    exact_max = any(r["scheme"] == "gcplus" and r["final_exact"] is not None for r in res.rows)
    out = [f"Least squares with exact constants, cyclic code $M={st.M}$, $s={st.train_s}$, "
           f"uplink erasure $p={st.train_p:g}$, step $1/L$, {st.rounds} rounds, "
           f"{st.crossover_trials} simulated trials per point (every scheme on the same link "
           "draws), against the client-link erasure $\\varepsilon$. Beside the simulation: the "
           "exact expected gap (second-moment recursion over the exact law of the recovered "
           f"set; {'' if exact_max else 'not available for the max-subset rule at this $M$, '}"
           "not for the least-squares rule, which recovers no set) and the bound's prediction "
           "(exact-GD-rate bound for the full-or-nothing schemes, the "
           "heterogeneity-at-the-optimum bound for the GC+ subset rules and FedAvg). The "
           "non-IID split of this well-specified regression skews the clients' data (their "
           "Hessians: $\\delta^2$) far more than their gradients at the optimum "
           "($\\zeta_\\star^2$), which set the floors of GC+ and FedAvg. Computed in "
           f"{res.seconds:.0f} s.",
           ctx.savefig(res.figure(), "crossover",
                       f"Gap after {st.rounds} rounds against client-link erasure: exact "
                       f"expectation (lines), bound (dashed), simulation (markers). Data: "
                       f"{csv_name}")]
    for split in res.splits:
        c = res.constants[split]
        out += ["", f"**{res.split_label(split)}** ($\\zeta_\\star^2={c['zeta2_star']:.3g}$, "
                    f"$\\delta^2={c['delta2']:.3g}$, $\\Delta_0={c['Delta0']:.3g}$). Crossover "
                    "of CoGC's final gap with:"]
        for other, v in res.crossings[split].items():
            parts = [f"{k} $\\varepsilon^\\star={x:.3g}$" for k, x in v.items() if x is not None]
            out.append(f"- {cx.LABELS[other]}: " + (", ".join(parts) if parts else
                                                    "no crossing in the grid"))
        out += ["", "Which scheme to use:", *[f"- {a}" for a in res.advice[split]], "",
                res.table_markdown(split)]
    return "\n".join(out)


def _stage_proofs(ctx: _Ctx) -> str:
    import importlib

    res = importlib.import_module("cogc_theory.proofs").run_all()
    pdir = ctx.out / "proofs"
    pdir.mkdir(exist_ok=True)
    write_text(pdir / "proofs.md", res.to_markdown())
    ctx.files.append(str(pdir / "proofs.md"))
    links = "[proofs.md](proofs/proofs.md)"
    ok = getattr(res, "passed", getattr(res, "ok", None))
    text = f"Self-checking derivations (`cogc prove`): {links}."
    if ok is False:
        raise _Partial(text, "a proof's independent check failed")
    return text + (f"\n\n```\n{res}\n```\n" if res is not None and len(str(res)) < 4000 else "")


def _stage_validation(ctx: _Ctx) -> str:
    from .validation import campaigns

    st = ctx.study
    res = campaigns.run_campaign(quick=st.validation_quick, trials=st.validation_trials,
                                 seed=st.seed, fwer=st.validation_fwer, M_study=st.M,
                                 progress=ctx.progress)
    ctx.validation = res
    res.to_csv(ctx.out / "validation.csv")
    ctx.files.append(str(ctx.out / "validation.csv"))
    write_text(ctx.out / "validation.md", res.method() + "\n\n" + res.table_markdown() + "\n")
    ctx.files.append(str(ctx.out / "validation.md"))
    body = [f"**{res.summary()}**", "", res.method(), "", res.table_markdown()]
    if not res.passed:
        raise _Partial("\n".join(body), f"{res.n_failed} validation row(s) failed")
    return "\n".join(body)


STAGES: list[tuple[str, str, Callable[[_Ctx], str]]] = [
    ("formulas", "Derived formulas", _stage_formulas),
    ("outage", "Outage against erasure probability", _stage_outage),
    ("fading", "Outage against SNR and diversity", _stage_fading),
    ("recovered", "GC+ recovered-set distribution", _stage_recovered),
    ("training", "Training on the default problem", _stage_training),
    ("bounds", "Convergence bounds against simulation", _stage_bounds),
    ("crossover", "Trade-off: which scheme at which client-link erasure", _stage_crossover),
    ("proofs", "Proofs", _stage_proofs),
    ("validation", "Validation: pass/fail table", _stage_validation),
]


def _write_markdown(ctx: _Ctx, sections: list[Section], t0: float, done: bool) -> None:
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
    files += [f"logs/{key}.txt" for key, _, _ in STAGES]
    return files


def _folder_state(out: Path) -> str:
    """``"missing"``, ``"file"``, ``"empty"``, ``"report"`` (an earlier report is there) or
    ``"other"`` (files that are not a report's)."""
    if not out.exists():
        return "missing"
    if not out.is_dir():
        return "file"
    if (out / "report.md").exists() or (out / "study.json").exists():
        return "report"
    for entry in out.iterdir():
        if not (entry.name in _SUBDIRS and entry.is_dir() and not any(entry.iterdir())):
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
    state = _folder_state(out)
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


def _remove_report_files(out: Path) -> None:
    """Remove the files an earlier report wrote (and their temporary files); nothing else."""
    for rel in [*report_files(), "report.md.tmp"]:
        for path in [out / rel, *map(Path, temp_files(out / rel))]:
            if path.is_file() or path.is_symlink():
                path.unlink()
    for sub in _SUBDIRS:
        d = out / sub
        if d.is_dir() and not any(d.iterdir()):
            d.rmdir()


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
        Run only these stages (keys of :data:`STAGES`).
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
    stages = STAGES if only is None else [s for s in STAGES if s[0] in only]
    if only is not None:
        unknown = sorted(set(only) - {s[0] for s in STAGES})
        if unknown:
            raise ValueError(f"unknown report stage(s) {unknown}; choose from "
                             f"{[s[0] for s in STAGES]}")
    if only is not None and not stages:
        raise ValueError("only is empty; give at least one stage")
    out = Path(out_dir)
    if check_out_dir(out, overwrite=overwrite) == "report":
        _remove_report_files(out)
    out.mkdir(parents=True, exist_ok=True)
    ctx = _Ctx(out, study, progress, quick)
    write_text(out / "study.json", json.dumps(dataclasses.asdict(study), indent=2) + "\n")
    sections = [Section(k, t) for k, t, _ in stages]
    emit = ctx.progress
    n = len(stages)
    try:
        for i, ((key, title, fn), sec) in enumerate(zip(stages, sections, strict=True)):
            emit(f"[{i + 1}/{n}] {title} ...")
            (ctx.logs / f"{key}.txt").unlink(missing_ok=True)
            ts = time.perf_counter()
            try:
                sec.body = fn(ctx)
                sec.status = "ok"
            except _Partial as exc:
                sec.body, sec.status, sec.error = exc.body, "FAILED", str(exc)
            except Exception as exc:  # noqa: BLE001 - a failed stage must not lose the rest
                sec.status = "FAILED"
                sec.error = f"{type(exc).__name__}: {exc}".replace("\n", " ")
                write_text(ctx.logs / f"{key}.txt", traceback.format_exc())
            sec.seconds = time.perf_counter() - ts
            emit(f"[{i + 1}/{n}] {title}: {sec.status} in {sec.seconds:.1f} s"
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
