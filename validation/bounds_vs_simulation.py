r"""Convergence bounds of :mod:`cogc_theory.bounds` against simulated training (issue 5).

For a strongly convex problem (exact :math:`L`, :math:`\mu` and optimum from the data, see
:mod:`cogc_theory.simulate.problems`) the schemes are trained on the **same** link draws
(:func:`cogc_theory.simulate.train_schemes`, full-batch gradients, so :math:`\sigma^2=0`), and
the simulated optimality gap :math:`F(w_t)-F^\star` of each trial is compared, round by round,
with the bounds of :mod:`cogc_theory.bounds` (``methods``):

* ``"tight"`` (default): ideal GD and CoGC by ``strongly_convex(..., method="pep")`` (full
  rounds contract by the exact gradient-descent rate :math:`(1-\eta\mu)^2`), GC+ by
  :func:`cogc_theory.bounds.gcplus_distance` — the heterogeneity at the optimum
  :math:`\zeta_\star^2`, the Hessian dissimilarity :math:`\delta^2`, the per-client
  :math:`\mu_k, L_k` and :math:`D_0=\lVert w_0-w^\star\rVert^2` from
  :func:`problem_constants` (every one a proven constant of the problem, not an observation of
  the run), and the exact law of the recovered set (:func:`cogc_theory.bounds.recovery_law`);
* ``"descent"``: the descent-lemma bounds of SPEC 4.5, :math:`\rho^T\Delta_0+\frac c{1-\rho}
  (1-\rho^T)`, GC+ with :math:`\zeta^2` the largest :math:`\frac1M\sum_k\lVert\nabla f_k(w)-
  \nabla F(w)\rVert^2` over :math:`w^\star` and **every iterate of every trial** of that
  scheme's run — an *empirical supremum along the simulated trajectories*, not a proven
  uniform bound (a trajectory not sampled could exceed it);

all evaluated with :math:`L`, :math:`\mu` exact, :math:`\eta` the simulation's step size
(default :math:`1/L`), :math:`\Delta_0=F(w_0)-F^\star` (:math:`w_0=0`), and the outcome law of
the network for the subset rule the simulation uses: with ``rule="auto"`` the max-subset rule
(simulation scheme ``"gcplus"``) when the network has at most :data:`MAX_SUBSET_PATTERNS`
client-state patterns, otherwise the individual rule (``"gcplus-individual"``), as
``cogc report`` does; partial recovery is renormalised by :math:`1/|K|`.

For least squares the **exact** expected gap is computable (:func:`expected_gap`: the
second-moment recursion of the random affine iteration over the exact law of :math:`K`); it is
reported beside the Monte Carlo mean, whose tail is heavy when outages compound over many
rounds, and it is the reference of the tightness ratios.

**The check.** The bound concerns the mean :math:`\mathbb E\,\mathrm{gap}_t`. For each scheme and
round a one-sided lower confidence bound :math:`\ell_t` of that mean is computed, and a
violation is declared only if :math:`\ell_t` exceeds the bound. :math:`\ell_t` is Anderson's
distribution-free bound for non-negative variables: with the one-sided
Dvoretzky–Kiefer–Wolfowitz–Massart band :math:`\varepsilon=\sqrt{\log(1/\alpha')/(2n)}`,

.. math:: \mathbb E X=\int_0^\infty P(X>x)\,dx\ \ge\ \ell=\int_0^\infty
          \bigl(\hat S_n(x)-\varepsilon\bigr)_+\,dx
          =\sum_{i=1}^{n}\bigl(x_{(i)}-x_{(i-1)}\bigr)\Bigl(\tfrac{n-i+1}n-\varepsilon\Bigr)_+

(:math:`x_{(0)}=0`) with probability at least :math:`1-\alpha'`, whatever the law of the gap.
With :math:`\alpha'=\alpha/(\#\text{schemes}\cdot(\text{rounds}+1))` (Bonferroni) a correct
bound raises a false alarm anywhere in the comparison with probability at most :math:`\alpha`
(default :math:`10^{-3}`).

**The floating-point floor.** The simulated gap is computed as
:math:`\widehat{\mathrm{gap}}=\mathrm{fl}(F(w_t))-\mathrm{fl}(F(\hat w^\star))`: two numbers of
order :math:`F^\star` whose difference loses all its digits once the true gap falls below
:math:`\approx u F^\star` (:math:`u=2^{-53}`), where the bound, an exact-arithmetic quantity,
keeps decreasing. Each computed gap is therefore lowered by a rigorous bound
:math:`\varphi_t=E(w_t)+E(\hat w^\star)` on the rounding error of the two evaluations
(:func:`loss_rounding_bound`), and the check runs on
:math:`x=\max(\widehat{\mathrm{gap}}-\varphi_t,0)\le F(w_t)-F(\hat w^\star)\le F(w_t)-F^\star`
(as :math:`F(\hat w^\star)\ge F^\star`). Anderson's bound is monotone in the samples, so
:math:`\ell(x)\le\ell(\mathrm{gap})` and the false-alarm rate stays at most :math:`\alpha`
on every machine, whatever BLAS kernel and summation order computed :math:`F`: a gap below
its floor is *unresolvable* (it contributes 0) and can never count as a violation. Where the
mean gap is far above the floor (by :data:`RESOLVABLE` times), the check keeps its full power,
and only those rounds enter the tightness ratios. Not modelled: the rounding of the iterates
themselves (the simulated trajectory is not the exact-arithmetic one); its effect on the gap
is of order :math:`u\lVert w\rVert\,\lVert\nabla F(w)\rVert`, far below :math:`\varphi_t`,
which ``tests/test_bounds_vs_simulation.py`` checks against the closed-form gap of gradient
descent on least squares.

The plotted band is the two-sided 95% Student-t interval of the mean (descriptive only).
*Tightness* is bound / simulated mean gap, reported at a few rounds.

Examples
--------
>>> import cogc_theory as ct
>>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.2, link_erasure=0.2, seed=0)
>>> res = compare(net, rounds=30, trials=20, seed=1)
>>> res.passed
True
>>> sorted(res.schemes)
['cogc', 'gcplus']
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cogc_theory._validate import check_int
from cogc_theory.outage._states import n_patterns
from cogc_theory.outage.gcplus import MAX_SUBSET_PATTERNS

from ._gaps import expected_gap, problem_constants
from ._gapstats import anderson_lower, loss_rounding_bound

__all__ = [
    "MAX_SUBSET_PATTERNS",
    "BoundComparison",
    "SchemeComparison",
    "METHODS",
    "RESOLVABLE",
    "anderson_lower",
    "compare",
    "expected_gap",
    "loss_rounding_bound",
    "problem_constants",
    "report_data",
]

_BOUND_SCHEMES = ("ideal", "cogc", "gcplus")
#: Bounds :func:`compare` can check: the tight ones (exact gradient-descent rate for full
#: rounds; GC+ from the heterogeneity at the optimum) and the descent-lemma ones (SPEC 4.5).
METHODS = ("tight", "descent")
_RULES = ("auto", "max-subset", "individual")
#: Tightness is reported only where the mean simulated gap exceeds this many times the largest
#: rounding floor of the round (then rounding changes the mean by less than 1%).
RESOLVABLE = 100.0


@dataclass(eq=False)
class SchemeComparison:
    r"""One scheme's bound against its simulated gaps.

    Attributes
    ----------
    scheme : str
        Bound scheme (``"ideal"``, ``"cogc"``, ``"gcplus"``).
    simulated : str
        Training scheme simulated (e.g. ``"gcplus-individual"``).
    label : str
        Display label (the scheme, with the GC+ rule when it is not max-subset).
    method : str
        Which bound (:data:`METHODS`).
    bound : ndarray (rounds + 1,)
    mean, lower, band_lo, band_hi : ndarray (rounds + 1,)
        Mean computed gap (clipped at 0), the one-sided Anderson lower confidence bound at level
        ``alpha_each`` of the gaps lowered by their rounding floors (the check), and the
        two-sided 95% t-interval (the plot).
    zeta2 : float or None
        ``method="descent"``, GC+: empirical supremum of the dissimilarity along the run.
    params : dict
        The values the bound was evaluated with.
    violations : ndarray of int
        Rounds with ``lower > bound``.
    tightness : dict int -> float
        ``bound / reference`` at a few rounds (about ``rounds / 10, / 4, / 2`` and ``rounds``),
        the reference being the exact expected gap when it is known (least squares), else the
        Monte Carlo mean, omitted where that mean is below :data:`RESOLVABLE` times ``floor``.
    floor : ndarray (rounds + 1,)
        Largest rounding floor :math:`\varphi_t` over the trials (:func:`loss_rounding_bound`
        at the iterate plus at :math:`\hat w^\star`).
    exact : ndarray (rounds + 1,) or None
        The exact expected gap :math:`\mathbb EF(w_t)-F^\star` (:func:`expected_gap`), for
        least squares when the law of the recovered set is enumerable.
    tightness_mc : dict int -> float
        ``bound / mean`` (Monte Carlo mean) at the same rounds.

    Examples
    --------
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> res = compare(net, schemes=("cogc",), rounds=10, trials=5, seed=0)
    >>> sc = res.schemes["cogc"]
    >>> sc.label, sc.method, sc.passed, sc.bound.shape
    ('CoGC', 'tight', True, (11,))
    >>> bool((sc.ratio()[1:] >= 1).all())                 # bound / exact expected gap
    True
    """

    scheme: str
    simulated: str
    label: str
    bound: np.ndarray
    mean: np.ndarray
    lower: np.ndarray
    band_lo: np.ndarray
    band_hi: np.ndarray
    zeta2: float | None
    params: dict[str, Any]
    violations: np.ndarray
    tightness: dict[int, float] = field(default_factory=dict)
    floor: np.ndarray | None = None
    method: str = "tight"
    exact: np.ndarray | None = None
    tightness_mc: dict[int, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.violations.size == 0

    @property
    def unresolved(self) -> np.ndarray:
        """Rounds whose mean simulated gap is below the largest rounding floor of the round
        (nothing below the floor is resolved; such rounds can never be violations)."""
        if self.floor is None:
            return np.zeros(0, dtype=int)
        return np.flatnonzero(self.mean <= self.floor)

    def ratio(self) -> np.ndarray:
        """``bound / exact`` (or ``bound / mean`` without the exact gap) at every round."""
        ref = self.exact if self.exact is not None else self.mean
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(ref > 0, self.bound / ref, np.inf)


@dataclass(eq=False)
class BoundComparison:
    """Result of :func:`compare`: per-scheme :class:`SchemeComparison` and the test settings.

    ``schemes`` holds the first method's comparisons, ``others`` those of further methods
    (keyed ``(scheme, method)``); ``passed`` requires all of them.

    Examples
    --------
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> res = compare(net, schemes=("cogc",), rounds=10, trials=5, seed=0)
    >>> res.passed, list(res.schemes), res.problem
    (True, ['cogc'], 'least-squares')
    """

    rounds: np.ndarray
    schemes: dict[str, SchemeComparison]
    trials: int
    alpha: float
    alpha_each: float
    problem: str
    eta: float
    L: float
    mu: float
    Delta0: float
    others: dict[tuple[str, str], SchemeComparison] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """No lower confidence bound exceeds its bound in any round, for any scheme and
        method."""
        return all(s.passed for s in self.all())

    def all(self) -> list[SchemeComparison]:
        return list(self.schemes.values()) + list(self.others.values())

    def summary(self) -> str:
        lines = [f"bounds vs simulation ({self.problem}, {self.trials} trials, eta={self.eta:.4g}"
                 f", L={self.L:.4g}, mu={self.mu:.4g}, Delta0={self.Delta0:.4g}; family "
                 f"false-alarm rate {self.alpha:g}, Anderson lower bound at {self.alpha_each:.3g}"
                 " per round, scheme and method)"]
        for s in self.all():
            ref = "exact E gap" if s.exact is not None else "mean gap"
            tight = ", ".join(f"T={t}: {v:.3g}" for t, v in s.tightness.items())
            z = "" if s.zeta2 is None else f", zeta2 (empirical sup) = {s.zeta2:.4g}"
            state = ("ok" if s.passed else
                     f"VIOLATED at rounds {s.violations[:10].tolist()}"
                     + (" ..." if s.violations.size > 10 else ""))
            nu = s.unresolved.size
            below = f"; {nu} rounds below the rounding floor (unresolvable)" if nu else ""
            lines.append(f"  {s.label} [{s.method} bound; {s.simulated}]: {state}; "
                         f"bound/{ref} {tight}{z}{below}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()



def _tightness_rounds(rounds: int) -> list[int]:
    return sorted({max(1, rounds // 10), max(1, rounds // 4), max(1, rounds // 2), rounds})


def _trajectory_zeta2(prob: Any, run: Any) -> float:
    """max of the dissimilarity over w* and every distinct iterate of every trial."""
    from cogc_theory.simulate import OUTAGE

    its = run.iterates                                   # (trials, rounds + 1, d)
    moved = np.concatenate([np.ones((its.shape[0], 1), bool), run.outcome != OUTAGE], axis=1)
    pts = its[moved]                                     # outage rounds repeat w
    return float(max(np.max(prob.heterogeneity(pts)), float(prob.heterogeneity())))


def _bound_curve(method: str, s: str, net: Any, gc_rule: str, prob: Any, run: Any,
                 consts: dict[str, Any], eta: float, T: np.ndarray
                 ) -> tuple[np.ndarray, dict[str, Any], float | None]:
    """``(curve, params, zeta2)`` of one scheme's bound."""
    from cogc_theory import bounds

    if method == "tight" and s == "gcplus":
        law = bounds.recovery_law(net, "gcplus", rule=gc_rule)
        b = bounds.gcplus_distance(law)
        use = {k: consts[k] for k in ("L", "mu", "zeta2_star", "delta2", "client_mu",
                                      "client_L")}
        y = np.asarray(b(T, D0=consts["D0"], eta=eta, **use), dtype=float)
        return y, {"eta": eta, "D0": consts["D0"], **use}, None
    kw: dict[str, Any] = {"net": net, "method": "pep" if method == "tight" else "descent"}
    if s == "gcplus":
        # the law of |K| from the recovery law (cached enumeration; the same decisions as
        # outage.gcplus_distribution, whose table would be a second enumeration)
        kw = {"size_pmf": bounds.recovery_law(net, "gcplus", rule=gc_rule).size_pmf,
              "method": kw["method"]}
    b = bounds.strongly_convex(s, **kw)
    zeta2 = _trajectory_zeta2(prob, run) if s == "gcplus" else None
    vals = {"eta": eta, "L": consts["L"], "mu": consts["mu"], "sigma2": 0.0,
            "Delta0": consts["Delta0"], "zeta2": 0.0 if zeta2 is None else zeta2}
    use = {k: v for k, v in vals.items() if bounds.SYMBOLS[k] in b.free_symbols}
    return np.asarray(b(T=T, **use), dtype=float) * np.ones(T.size), use, zeta2


def compare(net: Any, problem: Any = "least-squares", schemes: Any = ("cogc", "gcplus"), *,
            rounds: int = 100, trials: int = 50, seed: Any = 0, eta: float | None = None,
            rule: str = "auto", alpha: float = 1e-3, problem_options: dict | None = None,
            override: dict[str, Any] | None = None, methods: Any = ("tight",),
            exact: bool = True) -> BoundComparison:
    r"""Check the strongly convex bounds against simulated optimality gaps.

    Parameters
    ----------
    net : CooperativeNetwork
        Numeric and memoryless (the bounds assume i.i.d. outcomes across rounds).
    problem : {"least-squares", "digits", "synthetic-logistic"} or Problem
        Must be strongly convex (:math:`\mu>0`; the classification problems need
        ``lam > 0``, their default). Built with ``M = net.M`` and ``problem_options``.
    schemes : sequence of {"ideal", "cogc", "gcplus"}
    rounds : int >= 1
    trials : int >= 2
    seed : int
        Seeds the link draws (every scheme sees the same draws).
    eta : float, optional
        Step size in :math:`(0, 1/L]`; default :math:`1/L`.
    rule : {"auto", "max-subset", "individual"}
        GC+ subset rule, used by both the bound's law and the simulation.
    alpha : float in (0, 1)
        Family-wise false-alarm rate of the whole comparison (Bonferroni over schemes,
        methods and rounds).
    problem_options : dict, optional
        Extra arguments of :func:`cogc_theory.simulate.make_problem`.
    override : dict scheme -> array (rounds + 1,), optional
        Replace a scheme's bound values (first method; to check that a wrong bound is
        detected).
    methods : sequence of {"tight", "descent"}
        The bounds checked. ``"tight"``: ideal GD and CoGC with the exact gradient-descent
        rate (``strongly_convex(..., method="pep")``), GC+ by
        :func:`cogc_theory.bounds.gcplus_distance` with the constants of
        :func:`problem_constants`; ``"descent"``: the descent-lemma bounds of SPEC 4.5 (GC+ with
        :math:`\zeta^2` the empirical supremum along the run). The first is the primary one
        (:attr:`BoundComparison.schemes`).
    exact : bool
        Compute the exact expected gap (least squares with :math:`d\le60` and an enumerable
        law; else skipped) and use it as the reference of the tightness ratios.

    Returns
    -------
    BoundComparison
        ``.passed``, ``.summary()``, and per scheme the bound, mean gap, lower confidence
        bound, plot band, violations, tightness and the exact expected gap.

    Examples
    --------
    The tight CoGC bound holds above the simulated gaps (a one-sided test at family-wise
    false-alarm rate ``alpha``):

    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> res = compare(net, schemes=("cogc",), rounds=10, trials=5, seed=0)
    >>> res.passed
    True
    """
    from cogc_theory.simulate import train_schemes

    schemes, methods, rounds, trials, override = _checked(
        net, schemes, methods, rounds, trials, rule, alpha, override)
    prob, L, mu, eta = _strongly_convex_problem(net, problem, problem_options, eta)
    gc_rule = rule
    if "gcplus" in schemes and rule == "auto":
        gc_rule = "max-subset" if n_patterns(net) <= MAX_SUBSET_PATTERNS else "individual"
    sim = {s: (s if s != "gcplus" else
               ("gcplus" if gc_rule == "max-subset" else "gcplus-individual")) for s in schemes}
    runs = train_schemes(net, list(sim.values()), problem=prob, rounds=rounds, trials=trials,
                         seed=seed, eta=eta, renormalize=True, keep_iterates=True)
    consts = problem_constants(prob)
    w_star, F_star = prob.optimum()
    floor_star = float(loss_rounding_bound(prob, w_star, F_star))
    T = np.arange(rounds + 1)
    alpha_each = alpha / (len(schemes) * len(methods) * (rounds + 1))
    from scipy.stats import t as student_t

    tq = float(student_t.ppf(0.975, trials - 1))
    quad = exact and prob.kind == "squared" and prob.d <= 60
    out: dict[str, SchemeComparison] = {}
    others: dict[tuple[str, str], SchemeComparison] = {}
    for s in schemes:
        run = runs[sim[s]]
        raw = run.gap                                              # (trials, rounds + 1)
        phi = loss_rounding_bound(prob, run.iterates, run.loss) + floor_star
        gap = np.clip(raw, 0.0, None)
        mean = gap.mean(axis=0)
        lower = anderson_lower(np.clip(raw - phi, 0.0, None), alpha_each)
        half = tq * gap.std(axis=0, ddof=1) / math.sqrt(trials)
        floor = phi.max(axis=0)
        ex = _exact_gap(net, s, gc_rule, prob, eta, rounds) if quad else None
        label = {"ideal": "ideal GD", "cogc": "CoGC", "gcplus": "GC+"}[s]
        if s == "gcplus" and gc_rule != "max-subset":
            label += f" ({gc_rule} rule)"
        for i, method in enumerate(methods):
            y, use, zeta2 = _bound_curve(method, s, net, gc_rule, prob, run, consts, eta, T)
            if i == 0 and s in override:
                y = np.asarray(override[s], dtype=float)
            viol = np.flatnonzero(lower > y)
            ok = [int(t) for t in _tightness_rounds(rounds)
                  if ex is not None or mean[t] > RESOLVABLE * floor[t]]
            ref = mean if ex is None else ex
            tight = {t: float(y[t] / ref[t]) for t in ok if ref[t] > 0}
            tight_mc = {t: float(y[t] / mean[t]) for t in ok if mean[t] > 0}
            c = SchemeComparison(s, sim[s], label, y, mean, lower, mean - half, mean + half,
                                 zeta2, use, viol, tight, floor, method, ex, tight_mc)
            if i == 0:
                out[s] = c
            else:
                others[(s, method)] = c
    return BoundComparison(T, out, trials, float(alpha), alpha_each, prob.name, eta, L, mu,
                           consts["Delta0"], others)


def _checked(net: Any, schemes: Any, methods: Any, rounds: Any, trials: Any, rule: Any,
             alpha: Any, override: Any) -> tuple[list[str], list[str], int, int, dict]:
    """:func:`compare`'s arguments checked: ``(schemes, methods, rounds, trials, override)``."""
    from cogc_theory.network import CooperativeNetwork

    if not isinstance(net, CooperativeNetwork):
        raise TypeError(f"net must be a CooperativeNetwork, got {type(net).__name__}")
    if net.is_symbolic:
        raise ValueError("net has symbolic erasure probabilities; substitute numbers with "
                         "net.subs({...}) first")
    if net.memory is not None:
        raise ValueError("the bounds assume outcomes i.i.d. across rounds, but net.memory makes "
                         "the links Gilbert-Elliott chains; use a memoryless network")
    if isinstance(schemes, str):
        schemes = [schemes]
    schemes = list(schemes)
    if not schemes or any(s not in _BOUND_SCHEMES for s in schemes) or \
            len(set(schemes)) != len(schemes):
        raise ValueError(f"schemes must be distinct names from {_BOUND_SCHEMES}, got {schemes!r}")
    if isinstance(methods, str):
        methods = [methods]
    methods = list(methods)
    if not methods or any(m not in METHODS for m in methods) or len(set(methods)) != len(methods):
        raise ValueError(f"methods must be distinct names from {METHODS}, got {methods!r}")
    rounds = check_int(rounds, "rounds", lo=1)
    trials = check_int(trials, "trials", lo=2)
    if rule not in _RULES:
        raise ValueError(f"rule must be one of {_RULES}, got {rule!r}")
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be a false-alarm rate in (0, 1), got {alpha!r}")
    override = dict(override or {})
    for k, v in override.items():
        if k not in schemes:
            raise ValueError(f"override has scheme {k!r}, which is not in schemes={schemes}")
        if np.shape(v) != (rounds + 1,):
            raise ValueError(f"override[{k!r}] must have shape ({rounds + 1},) (one value per "
                             f"round 0..rounds), got {np.shape(v)}")
    return schemes, methods, rounds, trials, override


def _strongly_convex_problem(net: Any, problem: Any, problem_options: dict | None,
                             eta: Any) -> tuple[Any, float, float, float]:
    """``(prob, L, mu, eta)``: the problem built or checked (strongly convex, ``M = net.M``)
    and the step size checked in :math:`(0, 1/L]` (default :math:`1/L`)."""
    from cogc_theory.simulate import Problem, make_problem

    if isinstance(problem, Problem):
        if problem_options:
            raise ValueError("problem_options apply to a named problem, not a Problem")
        if problem.M != net.M:
            raise ValueError(f"problem has M={problem.M} clients but net.M={net.M}")
        prob = problem
    elif isinstance(problem, str):
        prob = make_problem(problem, net.M, **dict(problem_options or {}))
    else:
        raise TypeError(f"problem must be a problem name or a Problem, got "
                        f"{type(problem).__name__}")
    L, mu = prob.smoothness(), prob.strong_convexity()
    if not mu > 0:
        raise ValueError(f"problem {prob.name!r} is not strongly convex (mu = {mu:g}); use "
                         "least squares with full-rank data or pass problem_options="
                         "{'lam': 0.01}")
    if eta is None:
        eta = 1.0 / L
    if isinstance(eta, bool) or not isinstance(eta, numbers.Real) or not math.isfinite(eta) \
            or not 0 < eta <= 1.0 / L * (1 + 1e-12):
        raise ValueError(f"eta must lie in (0, 1/L] = (0, {1.0 / L:.6g}] (the bounds are proved "
                         f"for eta <= 1/L), got {eta!r}")
    return prob, L, mu, min(float(eta), 1.0 / L)


def _exact_gap(net: Any, s: str, gc_rule: str, prob: Any, eta: float,
               rounds: int) -> np.ndarray | None:
    """The exact expected gap of scheme ``s`` (None when its law is out of reach)."""
    from cogc_theory import bounds

    try:
        law = bounds.recovery_law(net, s, rule=gc_rule)
    except ValueError:                                     # law out of reach
        return None
    return expected_gap(prob, law, eta, rounds)


#: Rounds at which the report states the tightness ratios.
REPORT_ROUNDS = (1, 10, 20, 50, 100, 200)


def report_data(net: Any, rounds: int = 200, seed: int = 0, *, trials: int = 100,
                problem: Any = "least-squares", split: str = "iid",
                alpha: float = 0.5) -> dict[str, Any]:
    r"""Bounds, simulated and exact gaps for ``cogc report``'s "Convergence bounds" stage.

    Runs :func:`compare` (CoGC and GC+, least squares with exact constants,
    :math:`\eta=1/L`, methods ``("tight", "descent")``) on the ``split`` of the data
    (``"iid"``, or ``"dirichlet"`` with concentration ``alpha``; for least squares the labels
    of the Dirichlet split are the deciles of :math:`y`).

    Returns
    -------
    dict
        ``"rounds"`` (n,); ``"bounds"`` {label: (n,)} (tight); ``"reference"`` {label: (n,)}
        (descent-lemma bounds, for comparison); ``"gaps"`` {label: (mean, lo, hi)} (the band
        is the 95% t-interval of the mean, its lower end floored at a tenth of the mean for the
        log axis); ``"exact"`` {label: (n,) or None}; ``"rows"`` (the CSV rows: ``scheme, T,
        bound, gap_mean, gap_lo, gap_hi, gap_exact, bound_descent, split``); ``"ratios"``
        {label: {T: bound / exact}} at :data:`REPORT_ROUNDS`; ``"note"`` (Markdown);
        ``"comparison"`` (:class:`BoundComparison`).

    Examples
    --------
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> data = report_data(net, rounds=10, seed=0, trials=5)
    >>> sorted(data["bounds"]), len(data["rounds"]) == len(data["bounds"]["CoGC"])
    (['CoGC', 'GC+'], True)
    """
    opts = {"split": split, "alpha": alpha} if split != "iid" else {}
    if isinstance(problem, str):
        res = compare(net, problem, ("cogc", "gcplus"), rounds=rounds, trials=trials, seed=seed,
                      methods=("tight", "descent"), problem_options=opts)
    else:
        res = compare(net, problem, ("cogc", "gcplus"), rounds=rounds, trials=trials, seed=seed,
                      methods=("tight", "descent"))
    what = "IID" if split == "iid" else f"non-IID (Dirichlet, alpha={alpha:g})"
    bnds, ref, gaps, exact, ratios, rows = {}, {}, {}, {}, {}, []
    for s, c in res.schemes.items():
        lab = c.label
        d = res.others[(s, "descent")]
        bnds[lab], ref[lab], exact[lab] = c.bound, d.bound, c.exact
        gaps[lab] = (c.mean, np.maximum(c.band_lo, 0.1 * c.mean), c.band_hi)
        r = c.ratio()
        ratios[lab] = {t: float(r[t]) for t in REPORT_ROUNDS if t <= rounds}
        for t in res.rounds:
            rows.append({"scheme": lab, "T": int(t), "bound": float(c.bound[t]),
                         "gap_mean": float(c.mean[t]), "gap_lo": float(gaps[lab][1][t]),
                         "gap_hi": float(c.band_hi[t]),
                         "gap_exact": "" if c.exact is None else float(c.exact[t]),
                         "bound_descent": float(d.bound[t]), "split": what})
    verdict = ("Every bound holds: no round's" if res.passed else
               "**BOUND VIOLATED** (rounds listed below): some round's")
    parts = [f"{what}: simulated optimality gaps ({res.problem}, {res.trials} trials, same link "
             f"draws, $\\eta=1/L={res.eta:.4g}$, exact $L={res.L:.4g}$, $\\mu={res.mu:.4g}$, "
             f"$\\Delta_0={res.Delta0:.4g}$, $\\sigma^2=0$) and the exact expected gap "
             "(second-moment recursion over the exact law of $K$) against the tight bounds "
             "(CoGC: exact gradient-descent rate; GC+: heterogeneity at the optimum) and the "
             f"descent-lemma bounds. {verdict} Anderson lower confidence bound of the mean gap "
             "(lowered by its rounding floor) exceeds a bound (family-wise false-alarm rate "
             f"{res.alpha:g}, Bonferroni over schemes, bounds and rounds)."]
    for s, c in res.schemes.items():
        d = res.others[(s, "descent")]
        tight = ", ".join(f"T={t}: {v:.3g}" for t, v in ratios[c.label].items())
        state = "holds" if c.passed and d.passed else "VIOLATED"
        p = c.params
        consts = (f"$\\zeta_\\star^2={p['zeta2_star']:.4g}$, $\\delta^2={p['delta2']:.4g}$"
                  if "zeta2_star" in p else "")
        dz = "" if d.zeta2 is None else f" (with $\\zeta^2={d.zeta2:.4g}$, empirical sup)"
        dr = d.ratio()
        dtight = ", ".join(f"T={t}: {dr[t]:.3g}" for t in REPORT_ROUNDS if t <= rounds)
        parts.append(f"- {c.label} (simulated `{c.simulated}`): {state}; tight bound / exact "
                     f"expected gap {tight}{'; ' + consts if consts else ''}; descent-lemma "
                     f"bound{dz} / exact expected gap {dtight}")
    return {"rounds": res.rounds, "bounds": bnds, "reference": ref, "gaps": gaps,
            "exact": exact, "rows": rows, "ratios": ratios, "note": "\n".join(parts),
            "comparison": res, "split": what}
