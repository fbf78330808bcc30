"""Report stages on outage: the derived formulas, outage curves against erasure and SNR
(with diversity), and the distribution of the GC+ recovered set."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..outage.gcplus import MAX_SUBSET_PATTERNS
from ._common import gc_states, latex_block, mc_indices, mc_outage, network
from ._context import Context

__all__ = ["stage_fading", "stage_formulas", "stage_outage", "stage_recovered"]


def stage_formulas(ctx: Context) -> str:
    import sympy as sp

    from .. import outage

    st = ctx.study
    p, e = sp.symbols("p epsilon")
    out = [
        "Client $m$ contributes to standard decoding when its partial sum is complete and its "
        "upload arrives:",
        latex_block(r"\pi_m = (1-p_m)\prod_{k\in N_m}(1-\varepsilon_{mk})."),
        "Standard decoding (CoGC) fails when the set $R$ of contributing clients is not "
        "decodable ($\\mathbf 1\\notin\\operatorname{rowspace}B_R$):",
        latex_block(r"P_\mathrm{out} = \sum_{R\notin\mathcal D(B)}\prod_{m\in R}\pi_m"
                     r"\prod_{m\notin R}(1-\pi_m)."),
        f"For the cyclic code with $M={st.M}$ the decodable family is found by exact "
        "enumeration to be the threshold family $|R|\\ge M-s$, so with homogeneous erasures "
        "the outage is a binomial tail in $\\pi=(1-p)(1-\\varepsilon)^s$ "
        "(derived by `ct.outage.cogc_formula`):",
    ]
    rows = []
    for s in st.s_values:
        f = outage.cogc_formula(network(st.M, s, p, e))
        out.append(latex_block(rf"P_\mathrm{{out}}^{{\mathrm{{CoGC}}}}(s={s}) = {f.latex}"))
        rows.append({"s": s, "decoder": "standard", "latex": f.latex})
    out.append(
        "GC+ uses every arrived partial sum, complete or not, with its reception bitmap; it "
        "fails to recover the full gradient when $\\mathbf 1\\notin\\operatorname{rowspace}"
        "(\\tilde B_U)$. Its probability is a sum over client-state patterns $x$ (absent, or "
        "arrived with one pattern of link successes), independent across clients:")
    out.append(latex_block(r"P_\mathrm{out}^{+} = \sum_{x:\ \mathbf 1\notin"
                            r"\operatorname{rowspace}A(x)}\ \prod_m q_m(x_m)."))
    try:
        from ..outage import structure

        r1 = structure.ring_s1_outage(network(st.M, 1, p, e))
        out.append(f"For the ring ($s=1$) the full-recovery event has a combinatorial "
                   f"characterisation (every client arrived, or exactly one is absent and all "
                   f"others are complete), so for any $M$ (here $M={st.M}$):")
        out.append(latex_block(r"P_\mathrm{out}^{+}(s=1) = " + sp.latex(r1)))
        out.append("The validation below checks this expression against the polynomial that "
                   "`ct.outage.gcplus_polynomial` obtains by enumerating client states "
                   "(symbolic difference 0 for M = 4, 5, 6) and numerically against the "
                   "enumeration for every cyclic s = 1 scenario.")
        rows.append({"s": 1, "decoder": f"gcplus ring (M={st.M})", "latex": sp.latex(r1)})
    except Exception as exc:  # noqa: BLE001
        out.append(f"(ring s=1 characterisation unavailable: {exc})")
    ctx.write_csv("formulas", rows)
    return "\n".join(out)


def stage_outage(ctx: Context) -> str:
    from .. import plots

    st = ctx.study
    body = []
    seed = np.random.SeedSequence(st.seed)
    for axis, grid, fixed_name in (("p", st.p_grid, "eps"), ("eps", st.eps_grid, "p")):
        fixed = st.eps_fixed if axis == "p" else st.p_fixed
        rows: list[dict[str, Any]] = []
        exact: dict[str, list[float]] = {}
        mc: dict[str, tuple[list[float], ...]] = {}
        for s in st.s_values:
            for dec in ("standard", "gcplus"):
                lab = f"{'CoGC' if dec == 'standard' else 'GC+'} s={s}"
                vals, pts, curve_rows = _outage_curve(ctx, axis, grid, fixed, s, dec, seed)
                rows += curve_rows
                if not all(math.isnan(v) for v in vals):
                    exact[lab] = vals
                mc[lab] = pts
        csv_name = ctx.write_csv(f"outage_vs_{axis}", rows)
        xl = ("uplink erasure probability $p$" if axis == "p"
              else r"client-link erasure probability $\varepsilon$")
        fixed_tex = r"\varepsilon" if fixed_name == "eps" else "p"
        fig = plots.outage_vs_erasure(
            np.asarray(grid, dtype=float), exact, mc, xlabel=xl, styles=_styles(st.s_values),
            title=f"Cyclic code, M={st.M}, {fixed_name}={fixed:g}; lines exact, markers MC")
        body.append(ctx.savefig(
            fig, f"outage_vs_{axis}",
            f"Outage against {xl} (${fixed_tex}={fixed:g}$): exact curves and Monte Carlo "
            f"points ({st.mc_trials:,} trials, 95% Wilson intervals). Data: {csv_name}"))
    skipped = [s for s in st.s_values if not _gcplus_exact(st, s)]
    if skipped:
        body.append(f"GC+ for s in {skipped} is shown by Monte Carlo only: exact enumeration "
                    f"would visit $(1+2^s)^M$ client-state patterns.")
    return "\n".join(body)


def _gcplus_exact(st: Any, s: int) -> bool:
    """Whether the study computes GC+ outage curves exactly (by enumeration) for this ``s``."""
    return gc_states(st.M, s) <= 10_000_000 and s <= st.gcplus_exact_max_s


def _outage_curve(ctx: Context, axis: str, grid: Any, fixed: float, s: int, dec: str,
                  seed: np.random.SeedSequence
                  ) -> tuple[list[float], tuple[list[float], ...], list[dict[str, Any]]]:
    """One curve along ``grid``: exact outage at every point (NaN where out of reach), Monte
    Carlo at ``study.mc_points`` of them (a seed spawned from ``seed`` per point); returns
    ``(exact values, (x, estimate, ci_low, ci_high) of the MC points, CSV rows)``."""
    from .. import outage

    st = ctx.study
    mci = mc_indices(len(grid), st.mc_points)
    gc_exact = _gcplus_exact(st, s)
    vals, rows = [], []
    pts: tuple[list[float], ...] = ([], [], [], [])
    for i, v in enumerate(grid):
        pv, ev = (v, fixed) if axis == "p" else (fixed, v)
        net = network(st.M, s, pv, ev)
        if dec == "standard":
            ex = float(outage.cogc(net))
        else:
            ex = float(outage.gcplus(net)) if gc_exact else math.nan
        vals.append(ex)
        row = {"s": s, "decoder": dec, "p": pv, "eps": ev, "exact": ex}
        if i in mci:
            ss = seed.spawn(1)[0]
            r = mc_outage(net, dec, st.mc_trials, int(ss.generate_state(1)[0]))
            row.update({f"mc_{k}": r[k] for k in r})
            pts[0].append(float(v))
            pts[1].append(r["estimate"])
            pts[2].append(r["ci_low"])
            pts[3].append(r["ci_high"])
        rows.append(row)
    return vals, pts, rows


def _styles(s_values: Any) -> dict[str, dict[str, Any]]:
    """Line style of each curve: a colour per ``s``, solid / circles for CoGC and dashed /
    squares for GC+ (dotted and dash-dot after the third ``s``)."""
    from .. import plots

    styles = {}
    for j, s in enumerate(s_values):
        for dec, ls, mk in (("CoGC", "-", "o"), ("GC+", "--", "s")):
            styles[f"{dec} s={s}"] = {"color": plots.COLORS[j % len(plots.COLORS)],
                                      "linestyle": ls if j < 3 else (":" if ls == "-" else "-."),
                                      "marker": mk if j < 3 else plots.MARKERS[j]}
    return styles


def stage_fading(ctx: Context) -> str:
    import sympy as sp

    from .. import codes, outage, plots
    from ..outage import fading

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
            if dec == "gcplus" and (gc_states(st.M, s) > 10_000_000
                                    or s > st.gcplus_exact_max_s):
                continue
            lab = f"{'CoGC' if dec == 'standard' else 'GC+'} s={s}"
            fn = outage.cogc if dec == "standard" else outage.gcplus
            vals = [float(fn(net.subs({fading.SNR: float(10 ** (x / 10))}))) for x in snr_db]
            curves[lab] = vals
            order: Any = ""
            A: Any = ""
            if dec == "standard" or gc_states(st.M, s) <= 2_000_000:
                d = fading.diversity(net, dec)
                order, A = d.order, float(d.constant)
                asym[lab] = (order, A)
                lines.append(latex_block(
                    rf"\text{{{lab}}}:\quad P_\mathrm{{out}} \approx "
                    rf"{sp.latex(d.leading_term)},\quad d={d.order},\quad "
                    rf"G_c = {sp.latex(d.coding_gain)} \approx {float(d.coding_gain):.4g}"))
            else:
                lines.append(f"{lab}: exact curve only (the symbolic series would enumerate "
                             f"{gc_states(st.M, s):,} client-state patterns).\n")
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


def stage_recovered(ctx: Context) -> str:
    from .. import decode, outage, plots
    from ..simulate.links import LinkModel

    st = ctx.study
    pmfs: dict[str, np.ndarray] = {}
    rows = []
    notes = []
    rng = np.random.default_rng(np.random.SeedSequence([st.seed, 7]))
    for s in st.s_values:
        net = network(st.M, s, st.p_fixed, st.eps_fixed)
        if gc_states(st.M, s) <= MAX_SUBSET_PATTERNS:
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
