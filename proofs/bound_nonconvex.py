r"""Non-convex convergence bound of CoGC and GC+: the one-round descent, telescoped.

With :math:`h_t=\mathbb EF(w_t)-F_\mathrm{inf}`, each round satisfies
:math:`h_{t+1}\le h_t-\gamma\,\mathbb E\|\nabla F(w_t)\|^2+c` with
:math:`\gamma=\sum_kP_k\gamma_k`, :math:`c=\sum_kP_kc_k` (table in :mod:`cogc_theory.bounds`);
summing over :math:`t<T` and using :math:`h_T\ge0`,
:math:`\min_{t<T}\mathbb E\|\nabla F(w_t)\|^2\le\frac{\Delta_0}{\gamma T}+\frac c\gamma`.

The per-outcome coefficients are re-derived from the descent lemma (each algebraic step
checked with sympy) and compared with :func:`cogc_theory.bounds.one_round`; the telescoped
sum is computed with :func:`sympy.summation` and compared with
:func:`cogc_theory.bounds.nonconvex`. Independent routes: the :math:`T`-fold sum of the
one-round inequality in exact rationals for :math:`T=1..10`, and exhaustive enumeration of
tiny federated problems (scalar quadratics, one of them with a non-convex client, shared with
:mod:`cogc_theory.proofs.bound_strongly_convex`), where
:math:`\min_{t<T}\mathbb E\|\nabla F(w_t)\|^2` is computed as a rational; a control bound
without :math:`c` must be rejected.
"""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from cogc_theory import bounds as bd

from . import bound_strongly_convex as sc
from ._core import Check, ProofResult, Step
from ._toys import Toy, rational, subsets_law

TITLE = "Non-convex convergence bound (CoGC and GC+)"
T_MAX = sc.T_MAX

eta, L = bd.eta, bd.L
sigma2, zeta2, Delta0, T = bd.sigma2, bd.zeta2, bd.Delta0, bd.T
F_ = Fraction

TOYS = {
    "GC+ M=3, exact gradients": sc.TOYS["GC+ M=3, exact gradients"],
    "GC+ M=2, noisy gradients": sc.TOYS["GC+ M=2, noisy gradients"],
    "CoGC M=3, exact gradients": sc.TOYS["CoGC M=3, exact gradients"],
    # a non-convex client (negative curvature); F is still 2-smooth and bounded below
    "GC+ M=3, one non-convex client": Toy(
        (F_(-1), F_(3), F_(4)), (F_(1), F_(0), F_(-1)),
        subsets_law(3, {0: F_(1, 5), 1: F_(1, 5), 2: F_(1, 5), 3: F_(2, 5)}),
        eta=F_(1, 2), w0=F_(2)),
    # step 1/L started next to w*: heterogeneity dominates after the first round
    "GC+ M=3, started near w*, eta = 1/L": Toy(
        (F_(1), F_(2), F_(3)), (F_(-1), F_(0), F_(2)),
        subsets_law(3, {0: F_(1, 10), 1: F_(1, 5), 2: F_(3, 10), 3: F_(2, 5)}),
        eta=F_(1, 2), w0=F_(5, 6) + F_(1, 100)),
}


def _gamma_c(P: list, M: int) -> tuple[sp.Expr, sp.Expr]:
    """This module's ``gamma, c`` from the per-outcome derivation (not from bounds.py)."""
    g = sum(P[k] * (eta / 2 if k < M else eta * (1 - L * eta / 2)) for k in range(1, M + 1))
    c = sum(P[k] * (eta * (M - k) * zeta2 / (2 * k) + L * eta**2 * sigma2 / (2 * k))
            for k in range(1, M + 1))
    return sp.sympify(g), sp.sympify(c)


def _derivation() -> list[Step]:
    steps: list[Step] = []
    G, Fw, M, k = sp.symbols("G F_w M k", positive=True)
    full = Fw - eta * G + L * eta**2 / 2 * (G + sigma2 / M)
    ok1 = sp.expand(full - (Fw - eta * (1 - L * eta / 2) * G + L * eta**2 * sigma2 / (2 * M))) \
        == 0
    ok1b = sp.expand(eta * (1 - L * eta / 2) - eta / 2 - eta * (1 - L * eta) / 2) == 0
    steps.append(Step(
        "Full recovery, expected descent lemma with $\\mathbb Eg=\\nabla F$, "
        "$\\mathbb E\\|g\\|^2\\le\\|\\nabla F\\|^2+\\sigma^2/M$ (as in the strongly convex "
        "proof); $\\gamma_M=\\eta(1-L\\eta/2)=\\frac\\eta2+\\frac\\eta2(1-L\\eta)\\ge\\frac\\eta2$ "
        "for $\\eta\\le1/L$:",
        r"\mathbb EF(w^+)\le F(w)-\eta\Big(1-\frac{L\eta}2\Big)\|\nabla F(w)\|^2"
        r"+\frac{L\eta^2\sigma^2}{2M}.", ok1 and ok1b, "sympy: expansion and the split of "
                                                        "gamma_M"))
    ok2 = sc.partial_identity_holds(eta)
    steps.append(Step(
        "Partial recovery of $|K|=k<M$: $g=\\nabla F+b+\\bar\\xi$, $L\\eta^2/2\\le\\eta/2$, the "
        "identity $-\\eta\\langle u,u+b\\rangle+\\frac\\eta2\\|u+b\\|^2=\\frac\\eta2(\\|b\\|^2-"
        "\\|u\\|^2)$ and the bias bound $\\|b\\|^2\\le(M-k)\\zeta^2/k$ (derived in the strongly "
        "convex proof) give $\\gamma_k=\\eta/2$; an outage gives $\\gamma_0=c_0=0$:",
        r"\mathbb EF(w^+)\le F(w)-\frac\eta2\|\nabla F(w)\|^2+\frac{\eta(M-k)\zeta^2}{2k}"
        r"+\frac{L\eta^2\sigma^2}{2k}.", ok2, "sympy: the identity in R^2 components"))
    Ps = sp.symbols("P_0:4", nonnegative=True)
    g_b, c_b = bd.one_round(list(Ps), "nonconvex")
    g_m, c_m = _gamma_c(list(Ps), 3)
    ok3 = sp.expand(g_b - g_m) == 0 and sp.expand(c_b - c_m) == 0
    steps.append(Step(
        "The outcome is independent of $w_t$; averaging over it and over $w_t$:",
        r"h_{t+1}\le h_t-\gamma\,\mathbb E\|\nabla F(w_t)\|^2+c,\quad\gamma=\sum_kP_k\gamma_k"
        r"\ge\frac{\eta}{2}(1-P_0),\quad c=\sum_kP_kc_k.", ok3,
        "sympy, M=3 with symbols P_0..P_3: equals bounds.one_round(P, 'nonconvex')"))
    t, gam, c, D = sp.Symbol("t", integer=True), *sp.symbols("gamma c Delta_0", positive=True)
    Gt = sp.Function("G")
    tel = sp.summation(c - gam * Gt(t), (t, 0, T - 1))
    # the sum telescopes to c T - gamma sum_t G_t; with G_t >= min_t G_t =: m
    m = sp.Symbol("m", nonnegative=True)
    ok4 = sp.simplify(sp.expand(tel) - (c * T - gam * sp.Sum(Gt(t), (t, 0, T - 1)))) == 0
    sol = sp.solve(sp.Eq(D + c * T - gam * T * m, 0), m)
    ok4b = len(sol) == 1 and sp.simplify(sol[0] - (D / (gam * T) + c / gam)) == 0
    steps.append(Step(
        "Summing over $t=0..T-1$ telescopes $h$; $h_T\\ge0$ and $\\sum_{t<T}\\mathbb E"
        "\\|\\nabla F(w_t)\\|^2\\ge T\\min_{t<T}\\mathbb E\\|\\nabla F(w_t)\\|^2$ give "
        "$0\\le\\Delta_0+cT-\\gamma T\\min_t\\mathbb E\\|\\nabla F(w_t)\\|^2$, i.e.",
        r"\min_{t<T}\mathbb E\|\nabla F(w_t)\|^2\le\frac1T\sum_{t<T}\mathbb E\|\nabla F(w_t)"
        r"\|^2\le\frac{\Delta_0}{\gamma T}+\frac{c}{\gamma}.", ok4 and ok4b,
        "sympy.summation of the one-round terms; sympy.solve of the boundary case for the "
        "minimum"))
    return steps


def _checks() -> list[Check]:
    return _symbolic_checks() + _summed_checks() + _enumeration_checks()


def _symbolic_checks() -> list[Check]:
    """The bound's expression against gamma and c derived here, and the ideal-GD rate."""
    out: list[Check] = []
    R = sp.Rational
    laws = {
        "CoGC, M symbolic": ("cogc", {}),
        "GC+, M=3, symbols P_0..P_3": ("gcplus", {"M": 3}),
        "GC+, M=2, rationals": ("gcplus", {"size_pmf": [R(1, 5), R(3, 10), R(1, 2)]}),
    }
    for name, (scheme, kw) in laws.items():
        b = bd.nonconvex(scheme, **kw)
        P = list(b.probabilities)
        if len(P) == 2 and scheme == "cogc":   # [P_0, P_M] with M symbolic
            Ms = bd.Msym
            g = P[1] * eta * (1 - L * eta / 2)
            c = P[1] * L * eta**2 * sigma2 / (2 * Ms)
        else:
            g, c = _gamma_c(P, len(P) - 1)
        mine = Delta0 / (g * T) + c / g
        ok = sp.simplify(mine - b.expr) == 0
        out.append(Check(f"{name}: bounds.nonconvex(...).expr equals Delta0/(gamma T) + "
                         "c/gamma with gamma, c derived here", ok,
                         "difference simplifies to 0" if ok else f"bound: {b.expr}"))
    b = bd.nonconvex("cogc", P_out=0)
    ideal = 2 * Delta0 / (T * eta * (2 - L * eta))
    ok = sp.simplify(b.expr.subs(sigma2, 0) - ideal) == 0
    out.append(Check("ideal GD (P_out = 0), exact gradients: bound = 2 Delta0 / (T eta (2 - L "
                     "eta)), the classical descent-lemma rate", ok,
                     "symbolic difference is 0" if ok else str(b.expr)))
    return out


def _summed_checks() -> list[Check]:
    """Route 1: the one-round inequality summed T times in exact rationals."""
    out: list[Check] = []
    R = sp.Rational
    points = [
        ("cogc", {"P_out": R(1, 5), "M": 4},
         {eta: R(1, 2), L: R(1), sigma2: R(1, 3), zeta2: R(0), Delta0: R(2)}),
        ("gcplus", {"size_pmf": [R(1, 10), R(1, 5), R(3, 10), R(2, 5)]},
         {eta: R(1, 4), L: R(2), sigma2: R(1, 2), zeta2: R(3, 7), Delta0: R(5)}),
    ]
    for scheme, kw, vals in points:
        b = bd.nonconvex(scheme, **kw)
        P = [sp.sympify(p) for p in bd.outcome_probabilities(scheme, **kw)]
        g, c = (x.subs(vals) for x in _gamma_c(P, len(P) - 1))
        bad, csum, gsum = [], sp.Integer(0), sp.Integer(0)
        for n in range(1, 11):
            csum, gsum = csum + c, gsum + g
            want = (vals[Delta0] + csum) / gsum
            got = b.expr.subs(vals).subs(T, n)
            if got != want:
                bad.append((n, want, got))
        out.append(Check(f"{scheme} {kw}: bound = (Delta0 + sum of T c's) / (sum of T "
                         "gamma's), exact rationals, T = 1..10", not bad,
                         f"gamma = {g}, c = {c}; " + ("all 10 equal" if not bad
                                                      else f"mismatches {bad[:2]}")))
    return out


def _enumeration_checks() -> list[Check]:
    """Route 2: exhaustive enumeration of the toy problems, with a control that must fail."""
    out: list[Check] = []
    viol: list[str] = []
    for name, toy in TOYS.items():
        _, gsq, zeta = toy.run()
        vals = toy.values(zeta)
        Fs = toy.F(toy.wstar)
        vals[Delta0] = rational(toy.F(toy.w0) - Fs)
        P = [rational(p) for p in toy.P()]
        if all(len(K) in (0, toy.M) for K, _ in toy.law):
            b = bd.nonconvex("cogc", P_out=P[0], M=toy.M)
        else:
            b = bd.nonconvex("gcplus", size_pmf=P)
        g = b.rate.subs(vals)
        Ts = range(1, T_MAX + 1)
        bnd = [b.expr.subs(vals).subs(T, n) for n in Ts]
        mins = [rational(min(gsq[:n])) for n in Ts]
        avgs = [rational(sum(gsq[:n], Fraction(0)) / n) for n in Ts]
        ok = all(x <= y for x, y in zip(mins, bnd, strict=True))
        ok_avg = all(x <= y for x, y in zip(avgs, bnd, strict=True))
        out.append(Check(
            f"{name}: exact min_(t<T) E|F'(w_t)|^2 <= bound and the average over t < T "
            f"<= bound, T = 1..{T_MAX} (all outcome sequences enumerated; L = F'' = "
            f"{toy.curv}, Delta0 = F(w0) - F*, zeta^2 exact sup over reachable iterates)",
            ok and ok_avg,
            f"min {[str(x) for x in mins]}; bound {[f'{float(y):.4g}' for y in bnd]}; "
            f"average ok: {ok_avg}; zeta^2 = {zeta}"))
        wrong = [vals[Delta0] / (g * n) for n in Ts]
        v = [n for n, x, y in zip(Ts, mins, wrong, strict=True) if x > y]
        if v:
            viol.append(f"{name}: T = {v}")
    out.append(Check("control — the wrong bound Delta0/(gamma T) (c removed) is violated by "
                     "the enumeration of some problem above (the check can fail)", bool(viol),
                     "; ".join(viol) or "never violated"))
    return out


def run() -> ProofResult:
    """Derive the non-convex bound and check it against exact enumeration."""
    return ProofResult(
        name="bound_nonconvex", title=TITLE,
        assumptions=[
            "$F=\\frac1M\\sum_kf_k$ is $L$-smooth and bounded below by $F_\\mathrm{inf}$; "
            "$0<\\eta\\le1/L$; $\\Delta_0=F(w_0)-F_\\mathrm{inf}$.",
            *sc.ROUND_ASSUMPTIONS,
        ],
        statement=r"\min_{t<T}\mathbb E\|\nabla F(w_t)\|^2\le\frac{\Delta_0}{\gamma T}+"
                  r"\frac{c}{\gamma},\quad\gamma=P_M\eta\Big(1-\frac{L\eta}2\Big)+\frac\eta2"
                  r"\sum_{k=1}^{M-1}P_k,\quad c=\frac{L\eta^2\sigma^2}{2M}P_M+\sum_{k=1}^{M-1}"
                  r"P_k\Big(\frac{\eta(M-k)\zeta^2}{2k}+\frac{L\eta^2\sigma^2}{2k}\Big).",
        derivation=_derivation(),
        checks=_checks(),
    )
