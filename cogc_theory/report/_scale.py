r"""Report stage "outage as M grows": CoGC and GC+ outage from :math:`M=10` to :math:`1000`.

For every code (cyclic and fractional repetition), every :math:`M` of ``study.scale_M`` and
every :math:`s` of ``study.scale_s`` the stage computes the one-round outage of standard
decoding (CoGC) and of GC+ full recovery at the study's erasures

* **exactly** when :func:`cogc_theory.outage.explain` finds a route (``route="auto"``; the
  route's name is recorded: ``blocks`` for fractional repetition at any :math:`M`,
  ``threshold`` when the family :math:`\{|R|\ge M-s\}` is known, ``ring-s1``, enumeration);
* by **Monte Carlo** (:func:`cogc_theory.simulate.outage`, ``study.scale_trials`` trials,
  Wilson 95% interval) where every exact route is refused;
* not at all when the stage's time budget (``study.scale_seconds``) is spent: the row says so.
  Each point may spend an equal share of the time left (exact points take little, so later
  points get more); a Monte Carlo run that reaches its share stops with the rounds it ran.

The smallest :math:`s` of the grid whose outage is certainly at most ``study.scale_target``
(the exact value, or the upper end of the Monte Carlo interval) is tabulated per :math:`M`.

The cyclic construction used at each :math:`M` is chosen in one place,
:func:`cyclic_construction`.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from ._context import Context

__all__ = ["COLUMNS", "CYCLIC_DEFAULT_MAX_M", "MAX_VERIFY_COST", "cyclic_construction",
           "outage_point", "smallest_s", "stage_scale"]

#: Columns of ``data/outage_vs_M.csv`` (one row per code, M, s and decoder).
COLUMNS = ("code", "M", "s", "decoder", "p", "eps", "construction", "method", "route",
           "outage", "ci_low", "ci_high", "failures", "trials", "seconds", "note")
#: Largest M at which the cyclic code is built by the library's default construction
#: (``"optimized"`` costs about :math:`M^4` to score: tens of seconds at M = 100).
CYCLIC_DEFAULT_MAX_M = 30
#: Largest cost (rank tests times :math:`M^3`) the stage spends verifying a threshold family
#: (route ``"threshold"`` without ``net.threshold``: :math:`\binom{M}{s}+\binom{M}{s+1}`
#: rank tests; 5,050 tests at M = 100 took 20 s); beyond it the point is estimated by Monte
#: Carlo.
MAX_VERIFY_COST = 10**9
#: Floats per Monte Carlo chunk (a chunk decodes ``chunk x M x M`` numbers at once; small, so
#: that the time budget is checked often: one round per chunk from M = 300).
_CHUNK_FLOATS = 100_000


def cyclic_construction(M: int) -> str | None:
    """The cyclic construction the scale stage uses at ``M`` (``None``: the default).

    The one place to change when a construction whose threshold property is known by
    construction (it sets ``net.threshold``, so CoGC is exact at any ``M``) becomes
    available: ``"generic"`` is used above :data:`CYCLIC_DEFAULT_MAX_M` when
    :data:`cogc_theory.codes.CONSTRUCTIONS` lists it, ``"gaussian"`` otherwise.

    Parameters
    ----------
    M : int
        Number of clients.

    Returns
    -------
    str or None

    Examples
    --------
    >>> cyclic_construction(10) is None
    True
    >>> cyclic_construction(1000) in ("generic", "gaussian")
    True
    """
    from .. import codes

    if M <= CYCLIC_DEFAULT_MAX_M:
        return None
    return "generic" if "generic" in codes.CONSTRUCTIONS else "gaussian"


def outage_point(net: Any, decoder: str, *, trials: int, seed: int,
                 deadline: float | None = None) -> dict[str, Any]:
    r"""Outage of ``net`` under ``decoder``: exact when a route applies, else Monte Carlo.

    The exact value is :func:`cogc_theory.outage.cogc` (``decoder="standard"``) or
    :func:`cogc_theory.outage.gcplus` (``"gcplus"``) with ``route="auto"``, and ``route``
    names the route :func:`cogc_theory.outage.explain` reports. When every exact route is
    refused (``ValueError``), or the route is ``"threshold"`` and would verify the family at
    a cost above :data:`MAX_VERIFY_COST` (``net.threshold`` unknown), the outage
    is estimated by :func:`cogc_theory.simulate.outage` with ``trials`` rounds:
    :math:`\hat P = k/n` with the Wilson 95% interval.

    Parameters
    ----------
    net : CooperativeNetwork
    decoder : {"standard", "gcplus"}
    trials : int
        Monte Carlo rounds when no exact route applies.
    seed : int
        Monte Carlo seed.
    deadline : float, optional
        A :func:`time.monotonic` time after which the Monte Carlo run stops at the end of
        its current chunk (the row then holds the rounds run, ``note`` says so); a point
        whose Monte Carlo would start after it is not computed (``method="skipped"``).

    Returns
    -------
    dict
        ``method`` (``"exact"``, ``"mc"`` or ``"skipped"``), ``route``, ``outage``,
        ``ci_low``, ``ci_high`` (the exact value twice for exact rows), ``failures``,
        ``trials`` (``None`` for exact rows), ``note``.

    Examples
    --------
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.fractional(30, 2, uplink_erasure=0.1, link_erasure=0.1)
    >>> r = outage_point(net, "standard", trials=100, seed=0)
    >>> r["method"], r["route"], round(r["outage"], 6)
    ('exact', 'blocks', 0.182114)

    (10 blocks of 3 clients, each failing when none of its clients contributes:
    :math:`1-(1-(1-\pi)^3)^{10}` with :math:`\pi=0.9\cdot 0.9^2`.)

    >>> round(1 - (1 - (1 - 0.9 * 0.9**2) ** 3) ** 10, 6)
    0.182114
    >>> net = ct.CooperativeNetwork.cyclic(10, 4, uplink_erasure=0.1, link_erasure=0.1)
    >>> r = outage_point(net, "gcplus", trials=200, seed=0)   # 17**10 client states
    >>> r["method"], r["trials"], r["ci_low"] <= r["outage"] <= r["ci_high"]
    ('mc', 200, True)
    """
    from .. import outage, simulate

    if decoder not in ("standard", "gcplus"):
        raise ValueError(f"decoder must be 'standard' or 'gcplus', got {decoder!r}")
    what = "cogc" if decoder == "standard" else "gcplus"
    try:
        route = outage.explain(net, what).name
        tests = _verify_tests(net) if route == "threshold" else 0
        if tests * net.M**3 > MAX_VERIFY_COST:
            raise ValueError(f"verifying the threshold family needs {tests:,} rank tests of "
                             f"{net.M} x {net.M} systems (tests x M^3 > MAX_VERIFY_COST = "
                             f"{MAX_VERIFY_COST:.0e})")
        fn = outage.cogc if decoder == "standard" else outage.gcplus
        value = float(fn(net, route="auto"))
        return {"method": "exact", "route": route, "outage": value, "ci_low": value,
                "ci_high": value, "failures": None, "trials": None, "note": ""}
    except ValueError as exc:
        refused = str(exc)
    reason = refused.split("; estimate it by", 1)[0]
    if deadline is not None and time.monotonic() >= deadline:
        return {"method": "skipped", "route": "", "outage": math.nan, "ci_low": math.nan,
                "ci_high": math.nan, "failures": None, "trials": None,
                "note": reason + "; Monte Carlo not run (the stage's time budget is spent)"}

    budget = {"spent": False}

    def _stop(_est: Any) -> None:
        if deadline is not None and time.monotonic() >= deadline:
            budget["spent"] = True
            raise KeyboardInterrupt

    chunk = int(min(trials, max(1, _CHUNK_FLOATS // (net.M * net.M))))
    est = simulate.outage(net, decoder=decoder, trials=trials, seed=seed, chunk=chunk,
                          batch_size=1, progress=_stop)
    note = reason
    if est.status == "interrupted":
        if not budget["spent"]:       # Ctrl-C: a partial run is not a Monte Carlo point
            raise KeyboardInterrupt(f"the Monte Carlo run stopped after {est.trials:,} of "
                                    f"{trials:,} trials")
        note += f"; stopped by the time budget after {est.trials:,} of {trials:,} rounds"
    lo, hi = est.ci(0.95, "wilson")
    return {"method": "mc", "route": "", "outage": float(est.estimate), "ci_low": float(lo),
            "ci_high": float(hi), "failures": int(est.failures), "trials": int(est.trials),
            "note": note}


def _verify_tests(net: Any) -> int:
    """Rank tests the threshold route spends verifying the family (0 when it is known)."""
    if getattr(net, "threshold", None) is not None or net.s is None:
        return 0
    t = net.M - net.s
    return math.comb(net.M, t) + (math.comb(net.M, t - 1) if t >= 1 else 0)


def smallest_s(rows: list[dict[str, Any]], target: float) -> dict[tuple[str, str, int], Any]:
    r"""The smallest :math:`s` whose outage is certainly at most ``target``, per code, decoder
    and :math:`M`.

    A row counts when its upper bound (the exact value, or the upper end of its Monte Carlo
    interval, ``ci_high``) is :math:`\le` ``target``; rows not computed (``NaN``) never count.

    Parameters
    ----------
    rows : list of dict
        Rows with keys ``code``, ``decoder``, ``M``, ``s``, ``ci_high`` (as in
        ``data/outage_vs_M.csv``).
    target : float

    Returns
    -------
    dict
        ``(code, decoder, M) -> s`` (``None`` when no ``s`` of the rows reaches the target).

    Examples
    --------
    >>> rows = [{"code": "cyclic", "decoder": "standard", "M": 10, "s": s, "ci_high": v}
    ...         for s, v in ((1, 0.2), (2, 5e-4), (3, 1e-5))]
    >>> smallest_s(rows, 1e-3)
    {('cyclic', 'standard', 10): 2}
    """
    out: dict[tuple[str, str, int], Any] = {}
    for r in sorted(rows, key=lambda r: int(r["s"])):
        key = (r["code"], r["decoder"], int(r["M"]))
        out.setdefault(key, None)
        hi = float(r["ci_high"]) if r["ci_high"] not in (None, "") else math.nan
        if out[key] is None and hi <= target:      # NaN compares False
            out[key] = int(r["s"])
    return out


def _grid(st: Any) -> list[tuple[str, int, int, str | None, str]]:
    """``(code, M, s, reason the point does not exist or None, construction label)``."""
    out = []
    for code in ("cyclic", "fractional"):
        for M in st.scale_M:
            for s in st.scale_s:
                label = (cyclic_construction(M) or "default") if code == "cyclic" else ""
                why = None
                if s >= M:
                    why = f"s = {s} >= M = {M}"
                elif code == "fractional" and M % (s + 1):
                    why = f"fractional repetition needs (s+1) | M ({s + 1} does not divide {M})"
                out.append((code, M, s, why, label))
    return out


def stage_scale(ctx: Context) -> str:
    """The "outage as M grows" section (see the module docstring)."""
    st = ctx.study
    p = st.p_fixed if st.scale_p is None else st.scale_p
    eps = st.eps_fixed if st.scale_eps is None else st.scale_eps
    t0 = time.monotonic()
    deadline = t0 + st.scale_seconds
    seeds = np.random.SeedSequence([st.seed, 13])
    rows: list[dict[str, Any]] = []
    # in order of M, so that a spent time budget drops the largest networks' Monte Carlo
    from ..scenario import NetworkSpec

    grid = sorted(_grid(st), key=lambda x: (x[1], x[0], x[2]))
    left = 2 * sum(why is None for *_, why, _label in grid)     # points still to compute
    for code, M, s, why, label in grid:
        net = None
        if why is None:
            cons = cyclic_construction(M) if code == "cyclic" else None
            net = NetworkSpec(M, s, code=code, uplink_erasure=p, link_erasure=eps,
                              construction=cons).network()
        for dec in ("standard", "gcplus"):
            row: dict[str, Any] = {"code": code, "M": M, "s": s, "decoder": dec, "p": p,
                                   "eps": eps, "construction": label}
            ts = time.monotonic()
            if net is None:
                row.update(method="n/a", route="", outage=math.nan, ci_low=math.nan,
                           ci_high=math.nan, failures=None, trials=None, note=why)
            else:
                seed = int(seeds.spawn(1)[0].generate_state(1)[0])
                # an equal share of the time left, so that one slow point cannot spend it all
                share = ts + max(0.0, deadline - ts) / left
                left -= 1
                row.update(outage_point(net, dec, trials=st.scale_trials, seed=seed,
                                        deadline=share))
            row["seconds"] = round(time.monotonic() - ts, 3)
            rows.append({k: row.get(k) for k in COLUMNS})
            ctx.progress(f"  scale {code} M={M} s={s} {dec}: {row['method']} "
                         f"{row['route'] or ''} {row['seconds']:.1f} s")
    csv_name = ctx.write_csv("outage_vs_M", rows)
    fig = _figure(rows, st.scale_s)
    body = [f"CoGC (standard decoding) and GC+ (full recovery) outage for $M$ in "
            f"{list(st.scale_M)} and $s$ in {list(st.scale_s)} at uplink erasure $p={p:g}$ and "
            f"client-link erasure $\\varepsilon={eps:g}$. Exact values take the route "
            f"`ct.outage.explain` names (column `route`); where every exact route is refused "
            f"the outage is estimated by `ct.simulate.outage` with at most "
            f"{st.scale_trials:,} rounds (Wilson 95% interval; columns `trials`, `ci_low`, "
            f"`ci_high`). Cyclic codes above $M={CYCLIC_DEFAULT_MAX_M}$ use the "
            f"`{cyclic_construction(10 ** 4)}` construction. Time budget "
            f"{st.scale_seconds:g} s, used {time.monotonic() - t0:.1f} s.", "",
            ctx.savefig(fig, "outage_vs_M",
                        f"Outage against the number of clients $M$ (log scale), one line per "
                        f"$s$; filled markers exact, open markers Monte Carlo with 95% "
                        f"intervals. Data: {csv_name}"), "",
            _table(rows, st), "", _counts(rows)]
    return "\n".join(body)


def _table(rows: list[dict[str, Any]], st: Any) -> str:
    """Markdown table of the smallest s per M (see :func:`smallest_s`)."""
    best = smallest_s(rows, st.scale_target)
    cols = [(c, d) for c in ("cyclic", "fractional") for d in ("standard", "gcplus")]
    name = {"standard": "CoGC", "gcplus": "GC+"}
    head = ("| M | " + " | ".join(f"{c} {name[d]}" for c, d in cols) + " |\n|---|"
            + "---|" * len(cols))
    lines = [f"Smallest $s$ in {list(st.scale_s)} with outage $\\le$ {st.scale_target:g} "
             f"(exact value, or upper end of the Monte Carlo interval); \"none\": no $s$ of "
             f"the grid reaches it.", "", head]
    for M in st.scale_M:
        cells = []
        for c, d in cols:
            s = best.get((c, d, M))
            cells.append("none" if s is None else str(s))
        lines.append(f"| {M} | " + " | ".join(cells) + " |")
    if all(v is None for v in best.values()):
        lines += ["", "No $s$ of the grid reaches the target at these erasures. Under CoGC a "
                  "client contributes (its partial sum complete and arrived) with probability "
                  "$\\pi=(1-p)(1-\\varepsilon)^s$, which falls as $s$ grows, so more "
                  "redundancy does not buy that reliability here (lower erasures: "
                  "`study.scale_p`, `study.scale_eps`)."]
    return "\n".join(lines)


def _counts(rows: list[dict[str, Any]]) -> str:
    n = {k: sum(r["method"] == k for r in rows) for k in ("exact", "mc", "skipped", "n/a")}
    routes = sorted({r["route"] for r in rows if r["route"]})
    return (f"Points: {n['exact']} exact (routes: {', '.join(routes) or 'none'}), {n['mc']} "
            f"Monte Carlo, {n['skipped']} not computed (time budget), {n['n/a']} not "
            f"applicable (fractional repetition needs $(s+1)\\mid M$, and $s<M$).")


def _figure(rows: list[dict[str, Any]], s_values: Any) -> Any:
    """Outage against M: one panel per code and decoder, one line per s, log axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from .. import plots

    fig = Figure(figsize=(9.6, 7.0), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 2, sharex=True)
    for i, code in enumerate(("cyclic", "fractional")):
        for j, dec in enumerate(("standard", "gcplus")):
            ax = axes[i][j]
            for k, s in enumerate(s_values):
                pts = sorted((r for r in rows if r["code"] == code and r["decoder"] == dec
                              and r["s"] == s and r["method"] in ("exact", "mc")),
                             key=lambda r: r["M"])
                if not pts:
                    continue
                sty = plots.style(k)
                x = [r["M"] for r in pts]
                y = [max(r["outage"], 1e-300) for r in pts]
                ax.plot(x, y, color=sty["color"], linestyle=sty["linestyle"], label=f"s={s}")
                for r in pts:
                    face = sty["color"] if r["method"] == "exact" else "none"
                    ax.plot([r["M"]], [max(r["outage"], 1e-300)], marker=sty["marker"],
                            color=sty["color"], markerfacecolor=face, linestyle="none")
                    if r["method"] == "mc":
                        lo = max(r["ci_low"], 1e-300)
                        ax.plot([r["M"]] * 2, [lo, r["ci_high"]], color=sty["color"], lw=1)
            ax.set_xscale("log")
            ax.set_yscale("log")
            Ms = sorted({r["M"] for r in rows})
            ax.set_xticks(Ms, [str(m) for m in Ms])
            ax.set_xticks([], minor=True)
            ax.grid(True, which="major", alpha=0.35)
            ax.set_title(f"{code}, {'CoGC' if dec == 'standard' else 'GC+'}", fontsize=10)
            if i == 1:
                ax.set_xlabel("clients $M$")
            if j == 0:
                ax.set_ylabel("outage probability")
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=8)
    return fig
