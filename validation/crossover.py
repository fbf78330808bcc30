r"""The trade-off of the paper, located: which scheme trains best at which client-link erasure.

CoGC's outcome is binary — exact gradient descent or nothing — so it converges to
:math:`F^\star` but stalls once its outage probability approaches 1 (client links poor); GC+
and federated averaging over the arrived clients update in (almost) every round but with a
biased set of clients, so they stall at a heterogeneity floor. For the report's least-squares
problem (:math:`M` clients, cyclic code, uplink erasure :math:`p`, step :math:`1/L`), IID and
non-IID (Dirichlet label split), this module computes for a grid of client-link erasures
:math:`\varepsilon`:

* the simulated mean gap :math:`F(w_T)-F^\star` after ``rounds`` rounds (every scheme on the
  same link draws, :func:`cogc_theory.simulate.train_schemes`) and the rounds until the mean
  gap first reaches ``target`` :math:`\times\Delta_0`;
* the exact expected gap (second-moment recursion,
  :func:`~cogc_theory.validation.bounds_vs_simulation.expected_gap`) wherever the law of the
  recovered set is enumerable (ideal, CoGC, GC+ individual rule, FedAvg, classic GC; not the
  max-subset rule at :math:`M=10`, nor the least-squares rule, which has no recovered set);
* the bound's prediction: ``strongly_convex(..., method="pep")`` for the full-or-nothing
  schemes, :func:`cogc_theory.bounds.gcplus_distance` for GC+ (individual) and FedAvg;
* the crossover :math:`\varepsilon^\star` where CoGC's expected final gap meets that of each
  scheme that updates partially — by bisection on the exact gap (CoGC depends on
  :math:`\varepsilon` only through :math:`P_\mathrm{out}`; FedAvg not at all) or, for GC+,
  by log-linear interpolation between grid points — and the same from the bounds.

Examples
--------
>>> res = run(M=4, s=1, p=0.2, eps_grid=(0.1, 0.5), rounds=20, trials=3,
...           splits=("iid",))
>>> sorted({r["scheme"] for r in res.rows})[:3]
['cogc', 'fedavg', 'gc']
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cogc_theory._validate import check_int

__all__ = ["SCHEMES", "CrossoverResult", "run"]

#: Schemes compared (simulation names of :func:`cogc_theory.simulate.train_schemes`).
SCHEMES = ("ideal", "cogc", "gcplus", "gcplus-individual", "gcplus-least-squares", "fedavg",
           "gc")
LABELS = {"ideal": "ideal GD", "cogc": "CoGC", "gcplus": "GC+ max-subset",
          "gcplus-individual": "GC+ individual", "gcplus-least-squares": "GC+ least-squares",
          "fedavg": "FedAvg", "gc": "GC (replication)"}
#: scheme -> (recovery_law scheme, rule)
_LAWS = {"ideal": ("ideal", "auto"), "cogc": ("cogc", "auto"), "gc": ("gc", "auto"),
         "gcplus": ("gcplus", "max-subset"), "gcplus-individual": ("gcplus", "individual"),
         "fedavg": ("fedavg", "auto")}
#: Schemes that need no data replication and update with partial information.
_PARTIAL = ("gcplus", "gcplus-individual", "gcplus-least-squares", "fedavg")
_FLOOR = 1e-12   # the plot's lower limit (simulated gaps below ~1e-13 are rounding noise)


def first_round_below(y: np.ndarray, level: float) -> int | float:
    """First round from which the curve stays at or below ``level`` (inf: never within the
    rounds; a Monte Carlo mean that dips below the level and comes back does not count)."""
    above = np.flatnonzero(np.asarray(y) > level)
    if above.size == 0:
        return 0
    return int(above[-1]) + 1 if above[-1] + 1 < len(y) else math.inf


@dataclass(eq=False)
class CrossoverResult:
    """What :func:`run` computed.

    Attributes
    ----------
    rows : list of dict
        One per (split, eps, scheme): ``final_mc, final_exact, final_bound`` (gap after
        ``rounds``), ``rounds_mc, rounds_exact, rounds_bound`` (to ``target * Delta0``; inf:
        not within ``rounds`` / never), ``P_full``.
    crossings : dict split -> dict scheme -> dict
        ``{"exact": eps*, "bound": eps*}`` where CoGC's final gap meets the scheme's (None:
        no crossing in the grid's range).
    advice : dict split -> list of str
        One sentence per regime.
    constants : dict split -> dict
        The problem's constants (:func:`problem_constants`).

    Examples
    --------
    >>> res = run(M=4, s=1, p=0.1, eps_grid=(0.1, 0.4), rounds=10, trials=2, seed=0,
    ...           splits=("iid",))
    >>> res.splits, sorted(res.crossings["iid"])[:2]
    (('iid',), ['fedavg', 'gcplus'])
    >>> len(res.advice["iid"])                             # one sentence per regime
    2
    """

    M: int
    s: int
    p: float
    rounds: int
    trials: int
    target: float
    eps_grid: tuple[float, ...]
    splits: tuple[str, ...]
    alpha: float
    rows: list[dict[str, Any]] = field(default_factory=list)
    crossings: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    advice: dict[str, list[str]] = field(default_factory=dict)
    constants: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: float = 0.0

    def split_label(self, split: str) -> str:
        return "IID" if split == "iid" else f"non-IID (Dirichlet, alpha={self.alpha:g})"

    def series(self, split: str, scheme: str, key: str) -> np.ndarray:
        """``key`` (e.g. ``"final_exact"``) against the erasure grid, NaN where missing."""
        out = np.full(len(self.eps_grid), np.nan)
        for r in self.rows:
            if r["split"] == split and r["scheme"] == scheme and r[key] is not None:
                out[self.eps_grid.index(r["eps"])] = r[key]
        return out

    def table_markdown(self, split: str) -> str:
        """Final gap and rounds to target, ``MC / exact / bound`` per scheme and erasure."""
        def num(x: Any) -> str:
            if x is None or (isinstance(x, float) and math.isnan(x)):
                return "—"
            if x == math.inf:
                return "never"
            return f"{x:.2g}" if isinstance(x, float) else str(x)
        schemes = [s for s in SCHEMES if any(r["scheme"] == s for r in self.rows)]
        head = "| $\\varepsilon$ | " + " | ".join(LABELS[s] for s in schemes) + " |"
        out = [f"Gap after {self.rounds} rounds (simulated mean / exact expectation / bound), "
               f"and rounds from which the gap stays below {self.target:g} $\\Delta_0$ (same "
               f"order; never: not within {self.rounds} rounds, or for the bound, not at all). "
               f"Simulated gaps below {_FLOOR:g} are rounding noise (shown as <{_FLOOR:g}).",
               "", head, "|---" * (len(schemes) + 1) + "|"]
        by = {(r["eps"], r["scheme"]): r for r in self.rows if r["split"] == split}
        for e in self.eps_grid:
            cells = []
            for s in schemes:
                r = by[(e, s)]
                mc = r["final_mc"]
                cells.append(f"{f'<{_FLOOR:g}' if mc < _FLOOR else num(mc)} / "
                             f"{num(r['final_exact'])} / "
                             f"{num(r['final_bound'])}<br>{num(r['rounds_mc'])} / "
                             f"{num(r['rounds_exact'])} / {num(r['rounds_bound'])}")
            out.append(f"| {e:g} | " + " | ".join(cells) + " |")
        return "\n".join(out)

    def figure(self) -> Any:
        """Final gap against eps, one panel per split: exact (lines), bound (dashed, thin),
        simulation (markers)."""
        import matplotlib
        from matplotlib.figure import Figure

        from cogc_theory import plots

        with matplotlib.rc_context(plots.RC):
            fig = Figure(figsize=(6.0 * len(self.splits), 4.8), layout="constrained")
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            FigureCanvasAgg(fig)
            axes = fig.subplots(1, len(self.splits), squeeze=False, sharey=True)[0]
        x = np.array(self.eps_grid)
        for ax, split in zip(axes, self.splits, strict=True):
            for i, s in enumerate(SCHEMES):
                st = plots.style(i)
                mc = self.series(split, s, "final_mc")
                if np.all(np.isnan(mc)):
                    continue
                ex = self.series(split, s, "final_exact")
                bd = self.series(split, s, "final_bound")
                if not np.all(np.isnan(ex)):
                    ax.plot(x, np.maximum(ex, _FLOOR), color=st["color"], linestyle="-",
                            label=f"{LABELS[s]} exact")
                if not np.all(np.isnan(bd)):
                    ax.plot(x, np.maximum(bd, _FLOOR), color=st["color"], linestyle="--",
                            linewidth=1.0, label=f"{LABELS[s]} bound")
                ax.plot(x, np.maximum(mc, _FLOOR), color=st["color"], linestyle="none",
                        marker=st["marker"], markerfacecolor="white",
                        label=f"{LABELS[s]} simulated")
            ax.set_yscale("log")
            ax.set_ylim(_FLOOR / 3, None)
            ax.grid(True, alpha=0.3)
            ax.set_xlabel("client-link erasure $\\varepsilon$")
            ax.set_title(f"{self.split_label(split)}, M={self.M}, s={self.s}, p={self.p:g}")
        axes[0].set_ylabel(f"$F(w_T)-F^\\star$, T={self.rounds}")
        axes[-1].legend(fontsize=7, ncol=2, loc="lower right", framealpha=0.9)
        return fig


def _bound(scheme: str, law: Any, c: dict[str, Any], eta: float, rounds: int,
           target: float) -> tuple[float | None, int | float | None]:
    from cogc_theory import bounds

    if law is None:
        return None, None
    if law.P_partial == 0:                         # full or nothing: the exact-GD-rate bound
        b = _pep_bound().subs({bounds.P_out: law.P_outage, bounds.Msym: law.M})
        kw = {"eta": eta, "L": c["L"], "mu": c["mu"], "sigma2": 0.0, "Delta0": c["Delta0"]}
        return float(b(T=rounds, **kw)), b.rounds_to_accuracy(target, **kw)
    b = bounds.gcplus_distance(law)
    kw = {k: c[k] for k in ("L", "mu", "zeta2_star", "delta2", "client_mu", "client_L")}
    return (float(b(rounds, D0=c["D0"], eta=eta, **kw)),
            b.rounds_to_accuracy(target, D0=c["D0"], eta=eta, **kw))


@functools.lru_cache(maxsize=1)
def _pep_bound() -> Any:
    """``strongly_convex("cogc", method="pep")`` in the symbols ``P_out`` and ``M`` (derived
    once; numbers are substituted per law)."""
    from cogc_theory import bounds

    return bounds.strongly_convex("cogc", method="pep")


def _bisect(f: Any, lo: float, hi: float, iters: int = 12) -> float | None:
    """Root of a function changing sign on [lo, hi], or None."""
    flo, fhi = f(lo), f(hi)
    if not (np.isfinite(flo) and np.isfinite(fhi)) or flo * fhi > 0:
        return None
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        fm = f(mid)
        if fm * flo > 0:
            lo, flo = mid, fm
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _interp_crossing(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> float | None:
    """eps where log a - log b changes sign (first change, log-linear interpolation)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.log(np.maximum(a, 1e-300)) - np.log(np.maximum(b, 1e-300))
    for i in range(len(x) - 1):
        if np.isfinite(d[i]) and np.isfinite(d[i + 1]) and d[i] * d[i + 1] < 0:
            return float(x[i] + (x[i + 1] - x[i]) * d[i] / (d[i] - d[i + 1]))
    return None


def run(M: int = 10, s: int = 2, p: float = 0.2,
        eps_grid: Any = (0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5), *, rounds: int = 200,
        trials: int = 20, seed: int = 0, splits: Any = ("dirichlet", "iid"), alpha: float = 0.5,
        target: float = 1e-3, code_seed: int = 0) -> CrossoverResult:
    r"""Locate the CoGC / GC+ / FedAvg trade-off against client-link erasure (module docs).

    Parameters
    ----------
    M, s : int
        Clients and straggler tolerance of the cyclic code (seed ``code_seed``).
    p : float
        Uplink erasure.
    eps_grid : sequence of float
        Client-link erasures (sorted).
    rounds, trials, seed : int
        Training rounds, Monte Carlo trials per point and the seed of the link draws.
    splits : sequence of {"dirichlet", "iid"}
    alpha : float
        Dirichlet concentration of the non-IID split.
    target : float in (0, 1)
        Target gap as a fraction of :math:`\Delta_0` for the rounds-to-target columns.

    Returns
    -------
    CrossoverResult

    Examples
    --------
    With good client links CoGC (exact gradient descent) wins; with poor ones its outages stall
    it:

    >>> res = run(M=4, s=1, p=0.1, eps_grid=(0.1, 0.4), rounds=10, trials=2, seed=0,
    ...           splits=("iid",))
    >>> final = {(r["eps"], r["scheme"]): r["final_exact"] for r in res.rows}
    >>> bool(final[0.1, "cogc"] < final[0.1, "gcplus"])
    True
    >>> bool(final[0.4, "cogc"] > final[0.4, "gcplus"])
    True
    """
    import time

    import cogc_theory as ct
    from cogc_theory import bounds
    from cogc_theory.simulate import make_problem, train_schemes

    from .bounds_vs_simulation import expected_gap, problem_constants

    t0 = time.perf_counter()
    M = check_int(M, "M", lo=2)
    s = check_int(s, "s", lo=0, hi=M - 1)
    rounds = check_int(rounds, "rounds", lo=1)
    trials = check_int(trials, "trials", lo=2)
    eps_grid = tuple(sorted(float(e) for e in eps_grid))
    if not eps_grid or any(not 0 <= e < 1 for e in eps_grid):
        raise ValueError(f"eps_grid must hold client-link erasures in [0, 1), got {eps_grid}")
    splits = (splits,) if isinstance(splits, str) else tuple(splits)
    if not splits or any(sp not in ("iid", "dirichlet") for sp in splits):
        raise ValueError(f"splits must be drawn from ('iid', 'dirichlet'), got {splits!r}")
    if not 0 < target < 1:
        raise ValueError(f"target must lie in (0, 1) (a fraction of Delta0), got {target!r}")
    res = CrossoverResult(M, s, float(p), rounds, trials, float(target), eps_grid, splits,
                          float(alpha))

    def net_at(e: float) -> Any:
        return ct.CooperativeNetwork.cyclic(M, s, uplink_erasure=p, link_erasure=e,
                                            seed=code_seed)

    def law_of(scheme: str, net: Any) -> Any:
        if scheme not in _LAWS:
            return None
        try:
            return bounds.recovery_law(net, _LAWS[scheme][0], rule=_LAWS[scheme][1])
        except ValueError:                                 # max-subset out of reach
            return None

    for split in splits:
        prob = make_problem("least-squares", M, split=split, alpha=alpha)
        c = problem_constants(prob)
        res.constants[split] = c
        eta = 1.0 / c["L"]
        tgt = target * c["Delta0"]
        cache: dict[tuple[str, float], Any] = {}
        for e in eps_grid:
            net = net_at(e)
            runs = train_schemes(net, SCHEMES, problem=prob, rounds=rounds, trials=trials,
                                 seed=seed, eta=eta)
            for sch in SCHEMES:
                gap = np.clip(runs[sch].gap, 0.0, None).mean(axis=0)
                law = law_of(sch, net)
                ex = None if law is None else expected_gap(prob, law, eta, rounds)
                cache[(sch, e)] = ex
                fb, rb = _bound(sch, law, c, eta, rounds, tgt)
                res.rows.append({
                    "split": split, "eps": e, "scheme": sch, "final_mc": float(gap[-1]),
                    "final_exact": None if ex is None else float(ex[-1]),
                    "final_bound": fb, "rounds_mc": first_round_below(gap, tgt),
                    "rounds_exact": None if ex is None else first_round_below(ex, tgt),
                    "rounds_bound": rb,
                    "P_full": float(runs[sch].fractions()["full"])})
        res.crossings[split] = _crossings(res, split, prob, c, eta, tgt, net_at)
        res.advice[split] = _advice(res, split)
    res.seconds = time.perf_counter() - t0
    return res


def _crossings(res: CrossoverResult, split: str, prob: Any, c: dict[str, Any], eta: float,
               tgt: float, net_at: Any) -> dict[str, dict[str, Any]]:
    """eps* where CoGC's final gap meets each partially updating scheme's (exact and bound;
    GC+ max-subset from the simulation)."""
    from cogc_theory import bounds

    from .bounds_vs_simulation import expected_gap

    laws: dict[float, Any] = {}

    def cogc_final(e: float, kind: str) -> float:
        law = laws.get(e)
        if law is None:
            law = laws[e] = bounds.recovery_law(net_at(e), "cogc")
        if kind == "exact":
            return float(expected_gap(prob, law, eta, res.rounds)[-1])
        return float(_bound("cogc", law, c, eta, res.rounds, tgt)[0])

    out: dict[str, dict[str, Any]] = {}
    x = np.array(res.eps_grid)
    for other in ("fedavg", "gcplus-individual", "gcplus"):
        o: dict[str, Any] = {}
        for kind, key in (("exact", "final_exact"), ("bound", "final_bound")):
            y = res.series(split, other, key)
            if np.all(np.isnan(y)):
                o[kind] = None
            elif other == "fedavg":                        # constant in eps: bisection
                level = float(np.nanmean(y))
                o[kind] = _bisect(lambda e, k=kind, v=level: math.log(
                    max(cogc_final(e, k), 1e-300)) - math.log(v), x[0], x[-1])
            else:
                o[kind] = _interp_crossing(x, res.series(split, "cogc", key), y)
        if other == "gcplus":                              # simulation only at this M
            o["simulated"] = _interp_crossing(x, res.series(split, "cogc", "final_mc"),
                                              res.series(split, other, "final_mc"))
        out[other] = o
    return out


def _advice(res: CrossoverResult, split: str) -> list[str]:
    """One sentence per regime, from the exact gaps (simulation where there is none)."""
    def final(sch: str, e: float) -> float:
        ex = res.series(split, sch, "final_exact")[res.eps_grid.index(e)]
        return float(ex if np.isfinite(ex) else res.series(split, sch, "final_mc")[
            res.eps_grid.index(e)])

    cands = ("cogc",) + _PARTIAL
    best = [min(cands, key=lambda s, e=e: final(s, e)) for e in res.eps_grid]
    out = []
    i = 0
    while i < len(best):
        j = i
        while j + 1 < len(best) and best[j + 1] == best[i]:
            j += 1
        lo, hi = res.eps_grid[i], res.eps_grid[j]
        rng = f"$\\varepsilon={lo:g}$" if i == j else f"${lo:g}\\le\\varepsilon\\le{hi:g}$"
        s = best[i]
        runner = min((c for c in cands if c != s), key=lambda c, e=hi: final(c, e))
        gcp = min((c for c in _PARTIAL if c.startswith("gcplus")),
                  key=lambda c, e=hi: final(c, e))
        why = ("exact recovery converges to $F^\\star$ with no floor" if s == "cogc" else
               "it updates in almost every round and its heterogeneity floor is the lowest")
        extra = "" if s == gcp or runner == gcp else \
            f"; best GC+ rule {LABELS[gcp]} {final(gcp, hi):.2g}"
        cg = "" if "cogc" in (s, runner) else f"; CoGC {final('cogc', hi):.2g}"
        out.append(f"{rng}: use **{LABELS[s]}** — {why} (gap after {res.rounds} rounds at "
                   f"$\\varepsilon={hi:g}$: {final(s, hi):.2g}; next best {LABELS[runner]} "
                   f"{final(runner, hi):.2g}{extra}{cg}).")
        i = j + 1
    return out
