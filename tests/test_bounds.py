"""Tests for :mod:`cogc_theory.bounds`.

Expected values come from independent routes: the one-round recursion iterated exactly in
sympy rationals with the per-outcome coefficients written out here from the descent lemma,
the SPEC's printed example, hand-computed numbers, brute-force scans over T and fine grids
over eta, and the sympy derivative.
"""

from __future__ import annotations

import math
import time
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import cogc_theory as ct
from cogc_theory import bounds
from cogc_theory.bounds import Delta0, L, P_out, T, eta, mu, sigma2, zeta2

R = sp.Rational
PARAMS = [  # (eta, L, mu, sigma2, zeta2, Delta0), exact rationals with eta <= 1/L, mu <= L
    (R(1, 2), R(1), R(1, 10), R(0), R(0), R(1)),
    (R(1, 3), R(2), R(1, 2), R(1, 5), R(1, 7), R(3)),
    (R(1, 4), R(4), R(4), R(2), R(1, 2), R(1, 9)),
]


def _vals(p):
    return dict(zip(("eta", "L", "mu", "sigma2", "zeta2", "Delta0"), p, strict=True))


def _subs(p):
    return dict(zip((eta, L, mu, sigma2, zeta2, Delta0), p, strict=True))


def _iterate_sc(P, M, p, n):
    """a_0..a_n of a_{t+1} = sum_k P_k (rho_k a_t + c_k), coefficients from the descent lemma
    written out by hand (full: 1 - mu eta (2 - L eta), L eta^2 sigma^2 / (2M); partial size k:
    1 - mu eta, eta (M-k) zeta^2 / (2k) + L eta^2 sigma^2 / (2k); outage: 1, 0)."""
    e, Lv, m, s2, z2, d0 = p
    a = [d0]
    for _ in range(n):
        nxt = P[0] * a[-1] + P[M] * ((1 - m * e * (2 - Lv * e)) * a[-1] + Lv * e**2 * s2 / (2 * M))
        for k in range(1, M):
            nxt += P[k] * ((1 - m * e) * a[-1] + e * (M - k) * z2 / (2 * k)
                           + Lv * e**2 * s2 / (2 * k))
        a.append(nxt)
    return a


PMFS = [  # (M, exact law of |K|)
    (3, [R(1, 10), R(1, 5), R(3, 10), R(2, 5)]),
    (4, [R(1, 4), 0, 0, 0, R(3, 4)]),
    (4, [0, 0, 0, 0, 1]),
    (5, [R(1, 20), R(1, 20), R(1, 10), R(1, 10), R(1, 5), R(1, 2)]),
]


# ---------------------------------------------------------------------- SPEC example
def test_spec_cogc_example_reproduced_symbolically():
    """SPEC 4.5: with exact gradients the CoGC bound is (1 - (1 - P_out) mu eta (2 - L eta))^T
    (F(w_0) - F*), as a symbolic identity in P_out, mu, eta, L, T, Delta0."""
    b = bounds.strongly_convex("cogc")
    spec = (1 - (1 - P_out) * mu * eta * (2 - L * eta)) ** T * Delta0
    assert sp.simplify(b.expr.subs(sigma2, 0) - spec) == 0
    assert b.expr.subs(sigma2, 0) == spec  # even structurally
    assert b.floor.subs(sigma2, 0) == 0


def test_spec_example_latex_names_rate():
    """The LaTeX string shows the solved recursion and the SPEC contraction factor."""
    b = bounds.strongly_convex("cogc")
    assert r"\rho^{T}\Delta_{0}" in b.latex
    assert r"1 - \eta \mu \left(1 - P_{\mathrm{out}}\right) \left(2 - L \eta\right)" in b.latex
    assert b.latex_expanded.startswith(r"\mathbb{E}F(w_T)-F^* \le ")


# ---------------------------------------------------------------------- closed form vs recursion
@pytest.mark.parametrize("M,P", PMFS)
@pytest.mark.parametrize("p", PARAMS)
def test_strongly_convex_closed_form_equals_exact_iteration(M, P, p):
    """rho^T Delta0 + c (1 - rho^T)/(1 - rho) equals the one-round recursion iterated exactly
    (sympy rationals) for T = 0..10."""
    b = bounds.strongly_convex("gcplus", size_pmf=P)
    a = _iterate_sc(P, M, p, 10)
    sub = _subs(p)
    for n in range(11):
        assert b.expr.subs(sub).subs(T, n) == a[n], n


@pytest.mark.parametrize("p", PARAMS)
def test_symbolic_gcplus_bound_equals_iteration_after_substitution(p):
    """The bound with symbols P_0..P_3 agrees with the exact iteration once the law of |K| is
    substituted (T = 0..6)."""
    b = bounds.strongly_convex("gcplus", M=3)
    M, P = PMFS[0]
    Psym = sp.symbols("P_0:4", nonnegative=True)
    a = _iterate_sc(P, M, p, 6)
    e = b.expr.subs(dict(zip(Psym, P, strict=True))).subs(_subs(p))
    for n in range(7):
        assert sp.simplify(e.subs(T, n) - a[n]) == 0


@pytest.mark.parametrize("M,P", PMFS)
@pytest.mark.parametrize("p", PARAMS)
def test_nonconvex_closed_form_solves_telescoped_recursion(M, P, p):
    """With G = bound(T), the telescoped recursion u_{t+1} = u_t + c - gamma G (gamma, c from
    the descent lemma: full eta(1 - L eta/2), partial eta/2) reaches u_T = 0 exactly, i.e. the
    bound is the largest G compatible with h_T >= 0 (T = 1..10)."""
    e, Lv, m, s2, z2, d0 = p
    gamma = P[M] * e * (1 - Lv * e / 2) + sum(P[k] for k in range(1, M)) * e / 2
    c = P[M] * Lv * e**2 * s2 / (2 * M) + sum(
        P[k] * (e * (M - k) * z2 / (2 * k) + Lv * e**2 * s2 / (2 * k)) for k in range(1, M))
    b = bounds.nonconvex("gcplus", size_pmf=P)
    for n in range(1, 11):
        G = b.expr.subs(_subs(p)).subs(T, n)
        u = d0
        for _ in range(n):
            u = u + c - gamma * G
        assert u == 0
    assert b.floor.subs(_subs(p)) == c / gamma


def test_cogc_nonconvex_textbook_form():
    """CoGC non-convex with no noise: 2 Delta0 / ((1 - P_out) T eta (2 - L eta))."""
    b = bounds.nonconvex("cogc")
    want = 2 * Delta0 / ((1 - P_out) * T * eta * (2 - L * eta))
    assert sp.simplify(b.expr.subs(sigma2, 0) - want) == 0


# ---------------------------------------------------------------------- special cases
@pytest.mark.parametrize("M", [1, 2, 5])
def test_gcplus_with_full_recovery_one_is_ideal_gd(M):
    """P(|K| = M) = 1 gives the ideal mini-batch GD bounds: rho = 1 - mu eta (2 - L eta),
    c = L eta^2 sigma^2 / (2M) (strongly convex); gamma = eta (1 - L eta/2) (non-convex)."""
    pmf = [0] * M + [1]
    rho = 1 - mu * eta * (2 - L * eta)
    c = L * eta**2 * sigma2 / (2 * M)
    ideal_sc = rho**T * Delta0 + c * (1 - rho**T) / (1 - rho)
    g = eta * (1 - L * eta / 2)
    ideal_nc = Delta0 / (g * T) + c / g
    for fn, want in ((bounds.strongly_convex, ideal_sc), (bounds.nonconvex, ideal_nc)):
        bg = fn("gcplus", size_pmf=pmf)
        bi = fn("ideal", M=M)
        assert sp.simplify(bg.expr - want) == 0
        assert sp.simplify(bi.expr - want) == 0


@pytest.mark.parametrize("M", [2, 4, 7])
@pytest.mark.parametrize("kind", ["strongly-convex", "nonconvex"])
def test_cogc_is_gcplus_without_partial_rounds(M, kind):
    """CoGC = GC+ whose law of |K| puts P_out on 0 and 1 - P_out on M (symbolic P_out)."""
    fn = bounds.strongly_convex if kind == "strongly-convex" else bounds.nonconvex
    bc = fn("cogc", M=M)
    bg = fn("gcplus", size_pmf=[P_out] + [0] * (M - 1) + [1 - P_out])
    assert sp.simplify(bc.expr - bg.expr) == 0
    assert zeta2 not in bc.free_symbols  # full recovery is unbiased


def test_cogc_with_unknown_M_keeps_symbol_M():
    """Without M the CoGC noise term carries the symbol M; substituting M = 4 gives the M = 4
    bound."""
    b = bounds.strongly_convex("cogc")
    assert bounds.SYMBOLS["M"] in b.free_symbols
    b4 = bounds.strongly_convex("cogc", M=4)
    assert sp.simplify(b.expr.subs(bounds.SYMBOLS["M"], 4) - b4.expr) == 0


def test_outage_only_gives_constant_bound():
    """P_0 = 1: rho = 1, c = 0, the strongly convex bound is Delta0 forever; non-convex has no
    bound (ValueError)."""
    b = bounds.strongly_convex("gcplus", size_pmf=[1, 0, 0])
    assert b.rate == 1 and b.const == 0 and b.expr == Delta0 and b.floor == Delta0
    assert b(T=50, Delta0=2.5) == 2.5
    with pytest.raises(ValueError, match="P_0 = 1"):
        bounds.nonconvex("gcplus", size_pmf=[1, 0, 0])


# ---------------------------------------------------------------------- numeric function
@pytest.mark.parametrize("kind", ["strongly-convex", "nonconvex"])
@pytest.mark.parametrize("scheme,kw", [("cogc", {"P_out": 0.3, "M": 5}),
                                       ("gcplus", {"size_pmf": [0.1, 0.05, 0.05, 0.2, 0.6]})])
def test_numeric_function_equals_sympy_expression(kind, scheme, kw):
    """The lambdified bound equals the sympy expression evaluated at 30 digits (random points,
    seeded), scalar and broadcast over T."""
    fn = bounds.strongly_convex if kind == "strongly-convex" else bounds.nonconvex
    b = fn(scheme, **kw)
    rng = np.random.default_rng(5)
    for _ in range(20):
        Lv = float(rng.uniform(0.5, 5))
        v = dict(L=Lv, eta=float(rng.uniform(0.01, 1)) / Lv, mu=float(rng.uniform(0.01, 1)) * Lv,
                 sigma2=float(rng.uniform(0, 2)), zeta2=float(rng.uniform(0, 2)),
                 Delta0=float(rng.uniform(0.1, 10)))
        Ts = np.arange(1, 60, 7)
        got = b(T=Ts, **v)
        for i, n in enumerate(Ts):
            want = float(b.expr.subs({bounds.SYMBOLS[k]: x for k, x in v.items()})
                         .subs(T, int(n)).evalf(30))
            assert got[i] == pytest.approx(want, rel=1e-11)
            assert b(T=int(n), **v) == pytest.approx(want, rel=1e-11)


def test_hand_computed_cogc_value():
    """M=4, s=1, p=0.1, eps=0.2: pi = 0.72, P_out = 1 - 4 pi^3 (1-pi) - pi^4 = 0.313224 (STYLE
    example); rho = 1 - (1 - P_out) 0.1 * 0.5 * 1.5, bound(50) = rho^50."""
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    b = bounds.strongly_convex("cogc", net=net)
    pi = 0.72
    po = 1 - 4 * pi**3 * (1 - pi) - pi**4
    rho = 1 - (1 - po) * 0.1 * 0.5 * 1.5
    got = b(T=50, eta=0.5, L=1.0, mu=0.1, sigma2=0.0, Delta0=1.0)
    assert got == pytest.approx(rho**50, rel=1e-12)


def test_rational_network_gives_exact_bound():
    """A network with rational erasures gives rational outcome probabilities (CoGC: P_out =
    1 - 4 pi^3 (1 - pi) - pi^4 with pi = 18/25, exactly)."""
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=R(1, 10), link_erasure=R(1, 5))
    P = bounds.outcome_probabilities("cogc", net=net)
    pi = R(18, 25)
    assert P[0] == 1 - 4 * pi**3 * (1 - pi) - pi**4 and P[-1] == 1 - P[0]
    Pg = bounds.outcome_probabilities("gcplus", net=net)
    assert all(isinstance(x, sp.Rational) for x in Pg) and sum(Pg) == 1


def test_gcplus_law_on_ring_matches_transfer_matrix():
    """On the generic s = 1 ring with rational erasures the law of |K| the bound uses equals
    the coefficients of the structure module's transfer-matrix generating function (a code
    path independent of the state enumeration)."""
    from cogc_theory.outage import structure

    net = ct.CooperativeNetwork.cyclic(5, 1, uplink_erasure=R(1, 10), link_erasure=R(1, 4),
                                       seed=3)
    assert structure.ring_s1_generic(net)                 # else the test would check nothing
    z = sp.Symbol("z")
    G = sp.Poly(structure.ring_s1_size_generating_function(net, z), z)
    want = [G.coeff_monomial(z**k) for k in range(6)]
    got = bounds.outcome_probabilities("gcplus", net=net)
    assert list(got) == want


def test_gcplus_law_follows_the_rule_where_the_rules_differ():
    """On a cyclic M = 4, s = 2 code with rational erasures the max-subset and individual
    laws of |K| differ, and the bound uses exactly the one of the rule asked for (and
    max-subset for "auto", within reach here): both equal the naive brute-force oracle of
    validation/make_reference, in exact arithmetic."""
    from cogc_theory.validation.make_reference import brute_force

    from cogc_theory.testing import cyclic_exact

    M, p, e = 4, Fraction(1, 5), Fraction(1, 5)
    Bx = cyclic_exact(M, 2, seed=0)
    net = ct.CooperativeNetwork(Bx, R(1, 5), R(1, 5))
    B = [[Fraction(int(x.p), int(x.q)) for x in Bx.row(m)] for m in range(M)]
    ref = brute_force(B, [p] * M, {(m, k): e for m in range(M) for k in net.neighbors(m)})
    assert ref["size_max"] != ref["size_individual"]
    assert bounds.outcome_probabilities("gcplus", net=net, rule="max-subset") == ref["size_max"]
    assert bounds.outcome_probabilities("gcplus", net=net, rule="auto") == ref["size_max"]
    assert (bounds.outcome_probabilities("gcplus", net=net, rule="individual")
            == ref["size_individual"])


# ---------------------------------------------------------------------- rounds to accuracy
@pytest.mark.parametrize("kind", ["strongly-convex", "nonconvex"])
@pytest.mark.parametrize("sig", [0.0, 0.3])
def test_rounds_to_accuracy_inverts_bound(kind, sig):
    """T* = rounds_to_accuracy(eps) is the first T with bound(T) <= eps, found by a brute-force
    scan; targets at or below the floor give inf."""
    fn = bounds.strongly_convex if kind == "strongly-convex" else bounds.nonconvex
    b = fn("gcplus", size_pmf=[0.2, 0.1, 0.1, 0.6])
    v = dict(eta=0.4, L=1.5, mu=0.2, sigma2=sig, zeta2=0.05, Delta0=2.0)
    if kind == "nonconvex":
        v.pop("mu")
    Ts = np.arange(1, 20001)
    curve = b(T=Ts, **v)
    floor = float(b.floor.subs({bounds.SYMBOLS[k]: x for k, x in v.items()}))
    for target in np.geomspace(floor * 1.001 + 1e-9, 3.0, 25):
        got = b.rounds_to_accuracy(float(target), **v)
        if kind == "strongly-convex" and v["Delta0"] <= target:
            assert got == 0
            continue
        hit = np.nonzero(curve <= target)[0]
        if hit.size == 0:
            assert got > Ts[-1]
            continue
        assert got == Ts[hit[0]]
    assert floor > 0  # zeta2 > 0 with partial rounds
    # below the floor (rounds_to_accuracy is exact, and the float floor computed here may
    # round up past the exact one, giving a finite T, so stay clear of it by 1e-12)
    assert b.rounds_to_accuracy(floor * (1 - 1e-12), **v) == math.inf
    assert b.rounds_to_accuracy(floor * 0.5, **v) == math.inf


def _exact_value(e, v, n=None):
    """A bound expression at parameters ``v`` (floats taken as their exact binary values) and
    T = n, in exact rational arithmetic (sympy Floats in ``e`` replaced by exact Rationals)."""
    e = e.xreplace({f: sp.Rational(f) for f in e.atoms(sp.Float)})
    sub = {bounds.SYMBOLS[k]: sp.Rational(Fraction(x)) for k, x in v.items()}
    if n is not None:
        sub[T] = sp.Integer(n)
    r = e.xreplace(sub)
    assert r.is_Rational
    return Fraction(int(r.p), int(r.q))


def test_rounds_to_accuracy_when_rho_rounds_to_one():
    """Audit case: 1 - rho = 0.9 mu eta (2 - L eta) ~ 1.8e-18 is below float resolution, so
    rho rounds to 1.0; the answer is still finite (~3.85e17). With P_out = 1/10 exact, T* is
    checked against mpmath at 60 digits: rho^T* <= 1/2 < rho^(T*-1), via
    T log1p(-(1 - rho)) against log(1/2), rho written out by hand. The float P_out = 0.1 gives
    the same T* up to the rounding of 1 - P_out (relative 1e-16)."""
    import mpmath

    v = dict(eta=1e-12, L=1.0, mu=1e-6, sigma2=0.0, Delta0=1.0, M=4)
    b = bounds.strongly_convex("cogc", P_out=Fraction(1, 10))
    got = b.rounds_to_accuracy(0.5, **v)
    assert isinstance(got, int)
    with mpmath.workdps(60):
        e, Lv, m = (mpmath.mpf(x) for x in (1e-12, 1.0, 1e-6))   # exact binary values
        lr = mpmath.log1p(-mpmath.mpf(9) / 10 * e * m * (2 - Lv * e))
        x = mpmath.log(mpmath.mpf(1) / 2) / lr
        assert got * lr <= mpmath.log(0.5) < (got - 1) * lr
        assert got == int(mpmath.ceil(x))
    assert 3.8e17 < got < 3.9e17
    t0 = time.perf_counter()
    got_float = bounds.strongly_convex("cogc", P_out=0.1).rounds_to_accuracy(0.5, **v)
    assert time.perf_counter() - t0 < 1
    assert abs(got_float - got) <= 1e-15 * got
    # the bound itself at T* (float64): 1/2 to ~1e-12, not rho^T = 1.0^T = 1
    with mpmath.workdps(60):
        want = mpmath.exp(got * lr)
    assert b(T=got, **v) == pytest.approx(float(want), rel=1e-12)
    assert b(T=got, **v) <= 0.5 * (1 + 1e-12)


def test_bound_value_when_rho_near_one_with_noise():
    """rho = 1 - 1.8e-18 with sigma2 > 0: the bound rho^T Delta0 + c (1 - rho^T)/(1 - rho)
    against mpmath (60 digits, c = (9/10) L eta^2 sigma2 / (2M) by hand) at T from 1 to
    10^20 (far past where float64 rho^T breaks down)."""
    import mpmath

    v = dict(eta=1e-12, L=1.0, mu=1e-6, sigma2=0.5, Delta0=2.0, M=4)
    b = bounds.strongly_convex("cogc", P_out=Fraction(1, 10))
    Ts = [1, 10**6, 10**12, 10**17, 4 * 10**17, 10**20]
    got = b(T=np.array(Ts, dtype=float), **v)
    with mpmath.workdps(60):
        e, Lv, m, s2 = (mpmath.mpf(x) for x in (1e-12, 1.0, 1e-6, 0.5))
        omr = mpmath.mpf(9) / 10 * e * m * (2 - Lv * e)
        c = mpmath.mpf(9) / 10 * Lv * e**2 * s2 / 8
        for n, g in zip(Ts, got, strict=True):
            rT = mpmath.exp(n * mpmath.log1p(-omr))
            want = rT * 2 + c * (1 - rT) / omr
            assert g == pytest.approx(float(want), rel=1e-12), n
            assert b(T=n, **v) == pytest.approx(float(want), rel=1e-12), n


@pytest.mark.parametrize("sig, target", [(0.0, 1e-20), (0.0, 1e-300), (0.5, None)])
def test_nonconvex_rounds_to_accuracy_exact_and_fast(sig, target):
    """Audit case: targets so small that T* > 2^53 (the old one-by-one correction loop never
    ended). T* is the first T with bound(T) <= target in exact rational arithmetic
    (Fractions; gamma = (9/10) eta (1 - L eta / 2), c = (9/10) L eta^2 sigma2 / (2M) written
    out by hand), checked at T* and T* - 1, and each call takes well under a second. With
    sigma2 > 0 the target is a few floats above the floor c / gamma."""
    v = dict(eta=0.1, L=1.0, sigma2=sig, zeta2=0.1, Delta0=1.0, M=4)
    F = {k: Fraction(x) for k, x in v.items()}
    gamma = Fraction(9, 10) * F["eta"] * (1 - F["L"] * F["eta"] / 2)
    c = Fraction(9, 10) * F["L"] * F["eta"] ** 2 * F["sigma2"] / (2 * F["M"])
    if target is None:
        target = float(c / gamma)
        for _ in range(3):
            target = float(np.nextafter(target, 1.0))
    eps = Fraction(target)
    assert eps > c / gamma

    def bound(n):
        return F["Delta0"] / (gamma * n) + c / gamma

    b = bounds.nonconvex("cogc", P_out=Fraction(1, 10))
    t0 = time.perf_counter()
    got = b.rounds_to_accuracy(target, **v)
    assert time.perf_counter() - t0 < 0.5
    assert isinstance(got, int) and got > 2**53
    assert bound(got) <= eps < bound(got - 1)
    # the float P_out = 0.1 of the audit also returns at once, to the same T* up to the
    # rounding of 1 - P_out (relative 1e-16)
    t0 = time.perf_counter()
    got_float = bounds.nonconvex("cogc", P_out=0.1).rounds_to_accuracy(target, **v)
    assert time.perf_counter() - t0 < 0.5
    assert abs(got_float - got) <= 1e-15 * got


def test_rounds_to_accuracy_is_first_T_of_the_bound_exactly():
    """Exact law of |K|, float parameters: rounds_to_accuracy is the first T at which the
    bound's expression (checked against the hand-iterated recursion above), evaluated in
    exact rationals, is <= target (checked at T and T - 1) for targets approaching the
    floor, where T* grows past 10^14."""
    for fn in (bounds.strongly_convex, bounds.nonconvex):
        b = fn("gcplus", size_pmf=[R(1, 5), R(1, 10), R(1, 10), R(3, 5)])
        v = dict(eta=0.4, L=1.5, mu=0.2, sigma2=0.3, zeta2=0.05, Delta0=2.0)
        if fn is bounds.nonconvex:
            v.pop("mu")
        floor = _exact_value(b.floor, v)
        for rel in (1e-2, 1e-8, 1e-15):
            target = float(floor * (1 + Fraction(rel)))
            got = b.rounds_to_accuracy(target, **v)
            lo = 0 if fn is bounds.strongly_convex else 1
            assert _exact_value(b.expr, v, got) <= Fraction(target)
            assert got == lo or _exact_value(b.expr, v, got - 1) > Fraction(target)


def test_rounds_to_accuracy_exact_contraction():
    """CoGC with rho = 0.94 (P_out = 0.2, mu eta (2 - L eta) = 0.075):
    0.94^112 < 1e-3 < 0.94^111."""
    b = bounds.strongly_convex("cogc", P_out=0.2, M=4)
    v = dict(eta=0.5, L=1.0, mu=0.1, sigma2=0.0, Delta0=1.0)
    assert 0.94**112 < 1e-3 < 0.94**111
    assert b.rounds_to_accuracy(1e-3, **v) == 112
    assert b.rounds_to_accuracy(2.0, **v) == 0


def test_rounds_to_accuracy_zero_rate():
    """mu = L, eta = 1/L, P_full = 1: rho = 0, so one round reaches the floor (0 without noise)."""
    b = bounds.strongly_convex("ideal", M=3)
    v = dict(eta=1.0, L=1.0, mu=1.0, sigma2=0.0, Delta0=5.0)
    assert b.rate.subs({eta: 1, L: 1, mu: 1}) == 0
    assert b.rounds_to_accuracy(1e-6, **v) == 1


# ---------------------------------------------------------------------- optimal step size
def test_optimal_step_is_one_over_L_without_noise():
    """sigma = zeta = 0: d bound / d eta < 0 on (0, 1/L) for CoGC (sympy derivative), so the
    minimiser is 1/L; optimal_step_size returns it."""
    b = bounds.strongly_convex("cogc", P_out=R(1, 5), M=4)
    d = sp.lambdify(eta, sp.diff(b.expr.subs({sigma2: 0, L: 2, mu: R(1, 2), Delta0: 1,
                                                 T: 20}), eta))
    for x in np.linspace(0.01, 0.5, 30)[:-1]:
        assert d(x) < 0
    assert b.optimal_step_size(T=20, L=2.0, mu=0.5, sigma2=0.0, Delta0=1.0) == 0.5


@pytest.mark.parametrize("kind", ["strongly-convex", "nonconvex"])
@pytest.mark.parametrize("Tn", [10, 200])
def test_optimal_step_minimises_on_fine_grid(kind, Tn):
    """With a noise/heterogeneity floor the minimiser is interior; its value is no larger than
    the minimum over a 200,001-point grid of (0, 1/L], and the sympy derivative vanishes there
    (interior) or is <= 0 (at 1/L)."""
    fn = bounds.strongly_convex if kind == "strongly-convex" else bounds.nonconvex
    b = fn("gcplus", size_pmf=[0.1, 0.2, 0.1, 0.6])
    v = dict(T=Tn, L=2.0, mu=0.3, sigma2=4.0, zeta2=1.0, Delta0=3.0)
    if kind == "nonconvex":
        v.pop("mu")
    e_star = b.optimal_step_size(**v)
    grid = np.linspace(0, 0.5, 200_001)[1:]
    vals = b(eta=grid, **v)
    assert 0 < e_star <= 0.5
    assert b(eta=e_star, **v) <= vals.min() * (1 + 1e-12)
    sub = {bounds.SYMBOLS[k]: x for k, x in v.items()}
    g = b.expr.subs(sub)
    d = float(sp.lambdify(eta, sp.diff(b.expr, eta).subs(sub))(e_star))
    if e_star < 0.5 * (1 - 1e-9):
        scale = float(sp.lambdify(eta, g)(e_star)) / e_star
        assert abs(d) < 1e-5 * scale
    else:
        assert d <= 0


@pytest.mark.parametrize("kind", ["strongly-convex", "nonconvex"])
def test_optimal_step_below_old_grid_at_large_T(kind):
    """Large T puts eta* below 1e-6 / L (where the step-size grid used to stop, returning
    1e-6 silently). CoGC, P_out = 1/10, M = 4, L = 1, sigma2 = 1, Delta0 = 1; the minimiser
    is the root of the (sympy) derivative of the bound written out by hand, found by
    sympy.nsolve at 50 digits from the small-eta approximation eta0: strongly convex (T = 10^12,
    mu = 1e-3) B = a + rho^T (1 - a), rho = 1 - 0.9 mu eta (2 - eta),
    a = eta / (8 mu (2 - eta)), eta0 = log(28.8 mu^2 T) / (1.8 mu T); non-convex (T = 10^16)
    B = 2 / (0.9 eta (2 - eta) T) + eta / (4 (2 - eta)), eta0 = sqrt(8 / (0.9 T))."""
    e = sp.Symbol("e", positive=True)
    if kind == "strongly-convex":
        Tn, m = 10**12, R(1, 1000)
        rho = 1 - R(9, 10) * m * e * (2 - e)
        a = e / (8 * m * (2 - e))
        B = a + rho**Tn * (1 - a)
        e0 = sp.log(R(288, 10) * m**2 * Tn) / (R(18, 10) * m * Tn)
        b = bounds.strongly_convex("cogc", P_out=Fraction(1, 10), M=4)
        v = dict(T=Tn, L=1.0, mu=1e-3, sigma2=1.0, Delta0=1.0)
    else:
        Tn = 10**16
        B = 2 / (R(9, 10) * e * (2 - e) * Tn) + e / (4 * (2 - e))
        e0 = sp.sqrt(8 / (R(9, 10) * Tn))
        b = bounds.nonconvex("cogc", P_out=Fraction(1, 10), M=4)
        v = dict(T=Tn, L=1.0, sigma2=1.0, Delta0=1.0)
    # e dB/de / B at e = e0 x: dimensionless and O(1), so the solver's tolerance is meaningful
    x = sp.Symbol("x", positive=True)
    want = e0 * sp.nsolve((e * sp.diff(B, e) / B).subs(e, e0 * x), x, 1, prec=50)
    assert 0 < want < 1e-6
    got = b.optimal_step_size(**v)
    assert got == pytest.approx(float(want), rel=1e-5)
    assert b(eta=got, **v) == pytest.approx(float(B.subs(e, want).evalf(50)), rel=1e-9)


def test_bool_and_oversized_parameters_refused():
    """T=True (a bool where an integer number of rounds is expected) and other bools are
    refused by name, as are integers too large for a float and an L so small that 1/L
    overflows."""
    sc = bounds.strongly_convex("cogc", P_out=0.2, M=4)
    nc = bounds.nonconvex("cogc", P_out=0.2, M=4)
    for b in (sc, nc):
        with pytest.raises(TypeError, match="T must be an integer number of rounds.*bool"):
            b(**{**V, "T": True})
        with pytest.raises(TypeError, match="T must be an integer"):
            b(**{**V, "T": np.array([True, False])})
        with pytest.raises(TypeError, match="T must be an integer"):
            b.optimal_step_size(**{**V, "T": True})
        with pytest.raises(TypeError, match="Delta0 must be a number.*bool"):
            b(**{**V, "Delta0": True})
        with pytest.raises(TypeError, match="sigma2 must be a number.*bool"):
            b.rounds_to_accuracy(0.1, **{**V, "sigma2": False})
        with pytest.raises(ValueError, match="T has an entry beyond the float range"):
            b(**{**V, "T": 10**400})
    with pytest.raises(ValueError, match="1/L overflows"):
        sc.optimal_step_size(T=10, L=1e-310, mu=1e-310, sigma2=1.0, Delta0=1.0)
    assert sc(**{**V, "T": np.int64(10)}) == sc(**V)    # numpy integers are fine


# ---------------------------------------------------------------------- properties
@given(pf=st.floats(0, 1), extra=st.floats(0, 1), part=st.floats(0, 1),
       e=st.floats(0.01, 1), m=st.floats(0.01, 1), n=st.integers(0, 100))
def test_gcplus_no_worse_than_cogc_without_noise(pf, extra, part, e, m, n):
    """With sigma = zeta = 0, GC+ (full-recovery probability >= CoGC's success probability,
    remaining mass partial) contracts at least as fast as CoGC."""
    pc = pf
    pfull = pf + (1 - pf) * extra
    ppart = (1 - pfull) * part
    pmf = [1 - pfull - ppart, ppart / 2, ppart / 2, pfull]
    bg = bounds.strongly_convex("gcplus", size_pmf=[max(x, 0.0) for x in pmf])
    bc = bounds.strongly_convex("cogc", P_out=1 - pc, M=3)
    v = dict(T=n, eta=e, L=1.0, mu=m, sigma2=0.0, zeta2=0.0, Delta0=1.0)
    assert bg(**v) <= bc(**v) * (1 + 1e-12) + 1e-300


@given(po=st.floats(0, 0.99), e=st.floats(0.01, 1), m=st.floats(0.01, 1),
       s2=st.floats(0, 10), n=st.integers(0, 500))
def test_strongly_convex_bound_decreases_to_floor(po, e, m, s2, n):
    """Starting above the floor, the strongly convex bound is nonincreasing in T and stays
    above its floor."""
    b = bounds.strongly_convex("cogc", P_out=po, M=3)
    v = dict(eta=e, L=1.0, mu=m, sigma2=s2, Delta0=1e3)
    floor = float(b.floor.subs({bounds.SYMBOLS[k]: x for k, x in v.items()}))
    if floor >= 1e3:
        return
    y0, y1 = b(T=n, **v), b(T=n + 1, **v)
    assert y1 <= y0 * (1 + 1e-12)
    assert y1 >= floor * (1 - 1e-12)


# ---------------------------------------------------------------------- errors
V = dict(T=10, eta=0.5, L=1.0, mu=0.1, sigma2=0.0, Delta0=1.0)


@pytest.mark.parametrize("change,match", [
    ({"eta": 1.5}, "eta must lie in"),
    ({"eta": 0.0}, "eta must lie in"),
    ({"mu": 2.0}, "mu must lie in"),
    ({"L": 0.0}, "L must be > 0"),
    ({"sigma2": -1.0}, "sigma2 must be >= 0"),
    ({"Delta0": float("nan")}, "Delta0 must be finite"),
    ({"T": -1}, "T must be"),
    ({"T": 2.5}, "T must be"),
    ({"kappa": 1.0}, "unknown parameters"),
    ({"eta": "big"}, "eta must be a number"),
])
def test_bad_parameters_raise(change, match):
    """Bad evaluation parameters raise ValueError/TypeError naming the parameter."""
    b = bounds.strongly_convex("cogc", P_out=0.2, M=4)
    with pytest.raises((ValueError, TypeError), match=match):
        b(**{**V, **change})


def test_missing_parameter_and_nonconvex_T0():
    """A missing parameter is named; the non-convex bound needs T >= 1."""
    b = bounds.strongly_convex("cogc", P_out=0.2, M=4)
    with pytest.raises(ValueError, match="Delta0"):
        b(T=3, eta=0.5, L=1.0, mu=0.1, sigma2=0.0)
    nb = bounds.nonconvex("cogc", P_out=0.2, M=4)
    with pytest.raises(ValueError, match="T must be >= 1"):
        nb(T=0, eta=0.5, L=1.0, sigma2=0.0, Delta0=1.0)
    with pytest.raises(ValueError, match="P_out"):
        bounds.strongly_convex("cogc")(**V, M=4)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: bounds.strongly_convex("fedavg"), ValueError, "scheme must be"),
    (lambda: bounds.strongly_convex("cogc", P_out=1.5), ValueError, "P_out must lie"),
    (lambda: bounds.strongly_convex("gcplus", size_pmf=[0.5, 0.4]), ValueError, "sum to 1"),
    (lambda: bounds.strongly_convex("gcplus", size_pmf=[0.5, 0.5], M=3), ValueError,
     "expected M"),
    (lambda: bounds.strongly_convex("gcplus"), ValueError, "size_pmf"),
    (lambda: bounds.strongly_convex("gcplus", size_pmf=[1]), ValueError, "length"),
    (lambda: bounds.strongly_convex("cogc", M=0), ValueError, "M must be >= 1"),
    (lambda: bounds.strongly_convex("cogc", M=2.5), TypeError, "M must be an integer"),
    (lambda: bounds.strongly_convex("gcplus", rule="least-squares", M=3), ValueError,
     "least-squares"),
    (lambda: bounds.strongly_convex("cogc", net="net"), TypeError, "CooperativeNetwork"),
    (lambda: bounds.one_round([0.5, 0.5], kind="convex"), ValueError, "kind must be"),
])
def test_bad_construction_raises(call, exc, match):
    """Bad scheme / probabilities / M / rule raise with a message saying what to pass."""
    with pytest.raises(exc, match=match):
        call()


def test_network_with_memory_or_symbolic_gcplus_refused():
    """Gilbert-Elliott memory breaks the i.i.d.-rounds assumption; a symbolic network has no
    numeric GC+ law: both are refused with the fix in the message."""
    mem = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2,
                                       memory=ct.network.GilbertElliott(3.0))
    with pytest.raises(ValueError, match="memory=None"):
        bounds.strongly_convex("cogc", net=mem)
    p = sp.Symbol("p")
    sym = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=p, link_erasure=p)
    with pytest.raises(ValueError, match="size_pmf"):
        bounds.strongly_convex("gcplus", net=sym)
    b = bounds.strongly_convex("cogc", net=sym)  # CoGC is fine symbolically
    assert p in b.expr.free_symbols


def test_rounds_and_step_errors():
    """rounds_to_accuracy needs a positive finite target and scalar parameters."""
    b = bounds.strongly_convex("cogc", P_out=0.2, M=4)
    v = dict(eta=0.5, L=1.0, mu=0.1, sigma2=0.0, Delta0=1.0)
    for bad in (0, -1.0, float("inf"), "x", True):
        with pytest.raises(ValueError, match="target"):
            b.rounds_to_accuracy(bad, **v)
    with pytest.raises(ValueError, match="scalar"):
        b.rounds_to_accuracy(0.1, **{**v, "L": [1.0, 2.0]})
    with pytest.raises(ValueError, match="T"):
        b.optimal_step_size(**v)


# ---------------------------------------------------------------------- CLI path
def test_cli_summary_and_cli_bound(capsys):
    """cli_summary reports the value at T (equal to the Bound call) and rounds to target; the
    ``cogc bound`` command runs with an explicit GC+ rule."""
    from cogc_theory import cli

    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    txt = bounds.cli_summary(net, decoder="gcplus", rounds=30, target=0.05, zeta2=0.01)
    b = bounds.strongly_convex("gcplus", net=net)
    val = b(T=30, eta=0.5, L=1.0, mu=0.1, sigma2=0.0, zeta2=0.01, Delta0=1.0)
    assert f"bound at T=30: {val:.6g}" in txt and "rounds to reach 0.05" in txt
    assert cli.main(["bound", "-M", "4", "-s", "1", "-p", "0.1", "-e", "0.2", "--decoder",
                     "gcplus", "--rule", "individual", "--rounds", "30"]) == 0
    assert "GC+ [individual rule]" in capsys.readouterr().out
    assert cli.main(["bound", "-M", "4", "-s", "1", "--rule", "least-squares"]) == 2


def test_fraction_probabilities_accepted():
    """fractions.Fraction probabilities are kept exact."""
    b = bounds.strongly_convex("cogc", P_out=Fraction(1, 5), M=4)
    assert b.rate.subs({mu: 1, eta: 1, L: 1}) == R(1, 5)


def test_auto_rule_falls_back_to_individual_reusing_one_enumeration(monkeypatch):
    """rule="auto": when the max-subset search is refused, the bounds use the individual
    rule's law of |K| (checked against the naive brute-force oracle of
    validation/make_reference), and the client-state patterns are enumerated only once."""
    import importlib

    from cogc_theory.validation.make_reference import brute_force

    from cogc_theory.bounds._outcomes import gcplus_size_pmf
    from cogc_theory.outage import _states

    gmod = importlib.import_module("cogc_theory.outage.gcplus")  # the module, not the function

    p, e = Fraction(1, 10), Fraction(1, 5)
    # rational B with an irregular support (no cyclic band, no blocks): no structured route;
    # 5 links, so the naive oracle ranks 2**9 patterns (the cyclic M = 5, s = 2 code took
    # 2**15 sympy ranks, a minute)
    Bx = sp.Matrix([[2, 1, 0, 0], [0, 1, -1, 1], [1, 0, 3, 0], [0, 2, 0, 1]])
    net = ct.CooperativeNetwork(Bx, float(p), float(e))
    monkeypatch.setattr(gmod, "MAX_SUBSET_WORK", 0)          # refuse every max-subset search
    monkeypatch.setattr(_states, "EXACT_AUTO_LIMIT", 0)      # float decisions (as at M = 10)
    monkeypatch.setattr(_states, "CACHE", {})
    calls = []
    real = _states.float_table
    monkeypatch.setattr(_states, "float_table",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    pmf, used = gcplus_size_pmf(net, "auto")
    assert used == "individual"
    assert len(calls) == 1
    B = [[Fraction(int(x.p), int(x.q)) for x in Bx.row(m)] for m in range(4)]
    eps = {(m, k): e for m in range(4) for k in net.neighbors(m)}
    ref = brute_force(B, [p] * 4, eps)["size_individual"]
    assert sum(x > 0 for x in ref) >= 3                    # a law with several outcomes
    assert [float(x) for x in pmf] == pytest.approx([float(x) for x in ref], rel=1e-12,
                                                    abs=1e-15)
    with pytest.raises(ValueError, match="max-subset"):
        gcplus_size_pmf(net, "max-subset")


# ---------------------------------------------------------------------- found by the fuzz test
EVAL_TEXT = "__import__('os').getpid()"


@pytest.mark.parametrize("call, exc, match", [
    # text went through sympify, which parses (evaluates) it: code execution
    (lambda: bounds.one_round([EVAL_TEXT]), TypeError, r"P\[0\] must be a number"),
    (lambda: bounds.one_round("ab"), TypeError, "P must be a list"),
    (lambda: bounds.solve_linear_recursion(EVAL_TEXT, 1, 2), TypeError, "rho must be"),
    (lambda: bounds.solve_linear_recursion(0.5, EVAL_TEXT, 2), TypeError, "c must be"),
    (lambda: bounds.solve_linear_recursion(0.5, 1, EVAL_TEXT), TypeError, "a0 must be"),
    (lambda: bounds.outcome_step(EVAL_TEXT, 4), TypeError, "k must be"),   # AttributeError
    # NaN became a NaN "solution"
    (lambda: bounds.solve_linear_recursion(float("nan"), 1, 2), ValueError, "rho must be finite"),
    (lambda: bounds.one_round([sp.zoo, 1]), ValueError, r"P\[0\] must be finite"),
    # M = 10**12 built a list of 10**12 probabilities (MemoryError, or a hang)
    (lambda: bounds.strongly_convex("cogc", P_out=0.2, M=10**12), ValueError, "M must be <="),
    (lambda: bounds.outcome_probabilities("cogc", P_out=0.1, M=10**12), ValueError,
     "M must be <="),
    # both the network and its outage: P_out silently replaced the network's law
    (lambda: bounds.strongly_convex("cogc", P_out=0.9,
                                    net=ct.CooperativeNetwork.cyclic(
                                        4, 1, uplink_erasure=0.1, link_erasure=0.2)),
     ValueError, "give net= or P_out=, not both"),
    (lambda: bounds.nonconvex("gcplus", size_pmf=[0.5, 0, 0, 0, 0.5],
                              net=ct.CooperativeNetwork.cyclic(
                                  4, 1, uplink_erasure=0.1, link_erasure=0.2)),
     ValueError, "give net= or size_pmf=, not both"),
])
def test_symbolic_helpers_and_laws_refuse_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("bad, exc, match", [
    (0.5j, TypeError, "not complex"),          # numpy dropped the imaginary part (warning)
    ("0.5", TypeError, "not text"),            # numpy parsed it as a number
    (10**400, ValueError, "beyond the float range"),
])
def test_bound_values_refuse_complex_text_and_huge_numbers(bad, exc, match):
    b = bounds.strongly_convex("cogc", P_out=0.2, M=4)
    with pytest.raises(exc, match=rf"^Delta0 .*{match}"):
        b(**{**V, "Delta0": bad})


def test_numbers_beyond_the_float_range_are_value_errors():
    """math.isfinite(10**400) raises OverflowError (found by the fuzz test)."""
    b = bounds.strongly_convex("cogc", P_out=0.2, M=4)
    with pytest.raises(ValueError, match="target is beyond the float range"):
        b.rounds_to_accuracy(10**400, **{k: v for k, v in V.items() if k != "T"})
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    db = bounds.gcplus_distance(net=net)
    with pytest.raises(ValueError, match="D0 is beyond the float range"):
        db(10, D0=10**400, eta=0.5, L=1.0, mu=0.1, zeta2_star=0.1, delta2=0.5, client_mu=0.0,
           client_L=1.0)


@pytest.mark.parametrize("scheme, kw", [("cogc", {"size_pmf": [0.5, 0.5]}),
                                        ("ideal", {"P_out": 0.5}),
                                        ("gcplus", {"P_out": 0.5, "M": 1})])
def test_a_law_the_scheme_does_not_use_is_refused(scheme, kw):
    """CoGC with size_pmf= (or ideal GD with P_out=) ignored it silently."""
    with pytest.raises(ValueError, match="does not apply to scheme"):
        bounds.strongly_convex(scheme, **kw)
