"""Exact outage analysis (cogc_theory.outage) against an independent brute-force oracle.

Expected values come from ``validation/make_reference.py`` (all uplink-and-link patterns,
Fractions, sympy exact rank; committed as ``validation/reference/outage.json``), from the same
oracle run on hypothesis-generated networks, and from closed forms written out in the tests.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from cogc_theory.validation.make_reference import brute_force
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import cogc_theory as ct
from cogc_theory import outage
from cogc_theory.outage import _states
from cogc_theory.testing import cyclic_exact, networks

REF = Path(__file__).resolve().parents[1] / "validation" / "reference" / "outage.json"


def _fr(s: str) -> Fraction:
    return Fraction(s)


def _ref_cases() -> list[dict]:
    return json.loads(REF.read_text())["cases"]


def _net_of(case: dict) -> ct.CooperativeNetwork:
    B = sp.Matrix([[sp.Rational(x) for x in row] for row in case["B"]])
    M = B.shape[0]
    eps = np.zeros((M, M), dtype=object)
    for m, k, v in case["eps"]:
        eps[m, k] = sp.Rational(v)
    return ct.CooperativeNetwork(B, [sp.Rational(x) for x in case["p"]], eps)


def _oracle_inputs(net: ct.CooperativeNetwork) -> tuple:
    B = [[Fraction(int(x.p), int(x.q)) for x in net.B_exact.row(m)] for m in range(net.M)]
    p = [Fraction(str(x)) for x in net.p]
    eps = {(m, k): Fraction(str(net.eps[m, k]))
           for m in range(net.M) for k in net.neighbors(m)}
    return B, p, eps


def _rat(x: sp.Expr) -> Fraction:
    assert isinstance(x, sp.Rational), f"expected an exact rational, got {x!r}"
    return Fraction(int(x.p), int(x.q))


# ----------------------------------------------------------------------------- reference data
@pytest.mark.parametrize("case", _ref_cases(), ids=lambda c: c["name"])
def test_closed_forms_equal_brute_force_reference(case: dict) -> None:
    net = _net_of(case)
    # CoGC: symbolic path gives the exact rational; numeric path the float
    assert _rat(outage.cogc(net, symbolic=True)) == _fr(case["cogc"])
    assert outage.cogc(net) == pytest.approx(float(_fr(case["cogc"])), rel=1e-12, abs=1e-15)
    # GC+: exact decisions and exact sums
    d = outage.gcplus_distribution(net, exact=True)
    assert d.no_full == _fr(case["gcplus"])
    assert list(d.size_pmf["individual"]) == [_fr(x) for x in case["size_individual"]]
    assert list(d.size_pmf["max-subset"]) == [_fr(x) for x in case["size_max"]]
    assert d.total["max-subset"] == _fr(case["size_max"][0])
    assert outage.gcplus(net) == pytest.approx(float(_fr(case["gcplus"])), rel=1e-12)


@pytest.mark.parametrize("case", _ref_cases(), ids=lambda c: c["name"])
def test_float_decisions_equal_reference(case: dict) -> None:
    """The float path (the row-space rule of _linalg) on the float copy of B, enumerating
    the client states, gives the same probabilities."""
    net = _net_of(case)
    Bf = np.array(net.B, dtype=float)
    p, eps = net.numeric()
    netf = ct.CooperativeNetwork(Bf, p, eps)
    d = outage.gcplus_distribution(netf, method="float", route="enumeration")
    assert d.method == "float"
    assert d.no_full == pytest.approx(float(_fr(case["gcplus"])), rel=1e-12)
    np.testing.assert_allclose(d.size_pmf["max-subset"],
                               [float(_fr(x)) for x in case["size_max"]], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(d.size_pmf["individual"],
                               [float(_fr(x)) for x in case["size_individual"]],
                               rtol=1e-12, atol=1e-15)
    S = outage.structure.gcplus_structure(netf, method="float")
    np.testing.assert_allclose(S.rank_distribution(), [float(_fr(x)) for x in case["rank"]],
                               rtol=1e-12, atol=1e-15)
    assert outage.cogc(netf) == pytest.approx(float(_fr(case["cogc"])), rel=1e-12)


def test_reference_has_all_kinds() -> None:
    names = " ".join(c["name"] for c in _ref_cases())
    assert "cyclic" in names and "fractional" in names and "user" in names
    assert any(len(set(c["p"])) > 1 for c in _ref_cases())        # heterogeneous ones


# ----------------------------------------------------------------------------- hypothesis
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(networks(min_M=3, max_M=4, exact=True))
def test_random_networks_equal_brute_force(net: ct.CooperativeNetwork) -> None:
    assume(int(net.link_used.sum()) <= 7)
    ref = brute_force(*_oracle_inputs(net))
    assert _rat(outage.cogc(net, symbolic=True)) == ref["cogc"]
    d = outage.gcplus_distribution(net, exact=True)
    assert d.no_full == ref["gcplus"]
    assert list(d.size_pmf["max-subset"]) == ref["size_max"]
    assert list(d.size_pmf["individual"]) == ref["size_individual"]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(networks(min_M=3, max_M=6, exact=False))
def test_gcplus_succeeds_whenever_cogc_does(net: ct.CooperativeNetwork) -> None:
    """Every standard success is a GC+ full recovery, pattern by pattern and in probability."""
    assume(_states.n_patterns(net) <= 100_000)
    std = _states.decision_table(net, complete_only=True).full       # (2,)*M
    gcp = _states.decision_table(net).full
    last = tuple(1 + (1 << len(net.neighbors(m))) - 1 for m in range(net.M))
    complete_view = gcp[np.ix_(*[[0, c] for c in last])]
    assert np.all(complete_view >= std)
    assert outage.gcplus(net) <= outage.cogc(net) + 1e-12


# ----------------------------------------------------------------------------- closed forms
@pytest.mark.parametrize("M,s", [(4, 1), (5, 2), (6, 3), (7, 2)])
def test_cyclic_is_threshold_family_and_homogeneous_closed_form(M: int, s: int) -> None:
    p, e = sp.symbols("p epsilon")
    net = ct.CooperativeNetwork.cyclic(M, s, uplink_erasure=p, link_erasure=e, seed=1)
    fam = outage.decodable_family(net)
    assert fam.threshold == M - s
    assert len(fam.minimal_sets()) == math.comb(M, M - s)
    pi = (1 - p) * (1 - e) ** s
    closed = sum(math.comb(M, j) * pi**j * (1 - pi) ** (M - j) for j in range(M - s))
    assert sp.expand(outage.cogc(net, symbolic=True) - closed) == 0
    f = outage.cogc_formula(net)
    assert sp.expand(f.closed_form.doit() - closed) == 0
    assert r"\binom" in f.latex
    val = net.subs({p: 0.07, e: 0.13})
    assert outage.cogc(val) == pytest.approx(float(closed.subs({p: 0.07, e: 0.13})), rel=1e-12)


def test_fractional_family_is_one_row_per_group() -> None:
    net = ct.CooperativeNetwork.fractional(6, 2, uplink_erasure=0.1, link_erasure=0.2)
    fam = outage.decodable_family(net)
    assert fam.threshold is None
    mins = fam.minimal_sets()
    assert sorted(map(sorted, mins)) == [[a, b] for a in range(3) for b in range(3, 6)]
    # reliability polynomial: decodable iff each group has a contributing client
    pi = float(net.success_probabilities()[0])
    expect = 1 - (1 - (1 - pi) ** 3) ** 2
    assert outage.cogc(net) == pytest.approx(expect, rel=1e-13)
    assert "not a threshold family" in str(fam)


def test_heterogeneous_symbolic_matches_numeric_path() -> None:
    M, s = 6, 2
    ps = sp.symbols(f"p0:{M}")
    e = sp.Symbol("epsilon")
    net = ct.CooperativeNetwork.cyclic(M, s, uplink_erasure=list(ps), link_erasure=e, seed=2)
    expr = outage.cogc(net, symbolic=True)
    vals = {**{x: 0.05 + 0.03 * i for i, x in enumerate(ps)}, e: 0.11}
    num = outage.cogc(net.subs(vals))
    assert float(expr.subs(vals)) == pytest.approx(num, rel=1e-12)
    # Poisson-binomial oracle from the success probabilities (independent: plain DP)
    pis = net.subs(vals).success_probabilities()
    dist = np.zeros(M + 1)
    dist[0] = 1
    for x in pis:
        dist = dist * (1 - x) + np.concatenate([[0], dist[:-1]]) * x
    assert num == pytest.approx(dist[:M - s].sum(), rel=1e-12)


def test_symbolic_user_matrix_shannon_expansion_matches_rationals() -> None:
    B = sp.Matrix([[1, 2, 0, 0], [0, 1, -1, sp.Rational(1, 2)], [1, 0, 1, 0], [0, 0, 3, 1]])
    ps = sp.symbols("q0:4")
    net = ct.CooperativeNetwork(B, list(ps), sp.Rational(1, 5))
    expr = outage.cogc(net, symbolic=True)
    vals = {x: sp.Rational(i + 1, 11) for i, x in enumerate(ps)}
    exact = outage.cogc(net.subs(vals), symbolic=True)
    assert sp.simplify(expr.subs(vals) - exact) == 0


def test_homogeneous_gcplus_polynomial_equals_heterogeneous_numeric_path() -> None:
    p, e = sp.symbols("p epsilon")
    net = ct.CooperativeNetwork.cyclic(6, 2, uplink_erasure=p, link_erasure=e, seed=0)
    poly = outage.gcplus_polynomial(net)
    for pv, ev in [(0.1, 0.2), (0.03, 0.4), (0.5, 0.01)]:
        # numeric path: per-client vectors, as for a heterogeneous network
        num = ct.CooperativeNetwork(net.B, [pv] * 6, np.full((6, 6), ev))
        assert float(poly.subs({p: pv, e: ev})) == pytest.approx(outage.gcplus(num), rel=1e-11)
    # and as a polynomial it is the symbolic contraction
    assert sp.expand(poly - outage.gcplus(net, symbolic=True)) == 0
    full = outage.gcplus_polynomial(net, event="full")
    assert sp.expand(poly + full - 1) == 0
    f = outage.gcplus_formula(net)
    assert f.latex == sp.latex(poly)
    assert float(f.func(0.2, 0.1)) == pytest.approx(float(poly.subs({p: 0.1, e: 0.2})))


def test_s1_ring_gcplus_closed_form() -> None:
    """GC+ on the s=1 ring: full iff all arrived or one absent and the rest complete."""
    p, e = sp.symbols("p epsilon")
    for M in (4, 5, 6):
        net = ct.CooperativeNetwork.cyclic(M, 1, uplink_erasure=p, link_erasure=e, seed=M)
        closed = 1 - (1 - p) ** M - M * p * (1 - p) ** (M - 1) * (1 - e) ** (M - 1)
        assert sp.expand(outage.gcplus_polynomial(net) - closed) == 0


def test_float_and_exact_decisions_agree_cyclic_5_2() -> None:
    B = cyclic_exact(5, 2, seed=4)
    ne = ct.CooperativeNetwork(B, 0.1, 0.2)
    nf = ct.CooperativeNetwork(np.array(B.tolist(), dtype=float), 0.1, 0.2)
    te = _states.decision_table(ne, method="exact", rank=True, individual=True)
    tf = _states.decision_table(nf, method="float", individual=True, rank=True)
    assert te.method == "exact" and tf.method == "float"
    assert np.array_equal(te.full, tf.full)
    assert np.array_equal(te.rank, tf.rank)
    assert np.array_equal(te.k_individual, tf.k_individual)


# ----------------------------------------------------------------------------- errors
def test_reciprocal_links_are_refused_with_pointer() -> None:
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2,
                                       reciprocal=True)
    for fn in (outage.cogc, outage.gcplus, outage.gcplus_distribution):
        with pytest.raises(ValueError, match="simulate.outage"):
            fn(net)


def test_too_large_raises_pointer_to_monte_carlo() -> None:
    net = ct.CooperativeNetwork.cyclic(14, 3, uplink_erasure=0.1, link_erasure=0.2)
    with pytest.raises(ValueError, match=r"simulate\.outage"):
        outage.gcplus(net)


def test_bad_arguments() -> None:
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    with pytest.raises(TypeError, match="CooperativeNetwork"):
        outage.cogc(np.eye(3))
    with pytest.raises(TypeError, match="symbolic"):
        outage.cogc(net, symbolic="yes")
    with pytest.raises(ValueError, match="method"):
        outage.gcplus(net, method="fast")
    with pytest.raises(ValueError, match="rules"):
        outage.gcplus_distribution(net, rules=("least-squares",))
    p = sp.Symbol("p")
    with pytest.raises(ValueError, match="symbolic"):
        outage.cogc(net.with_erasures(uplink_erasure=p))
    with pytest.raises(ValueError, match="homogeneous"):
        outage.gcplus_polynomial(net.with_erasures(uplink_erasure=[0.1, 0.2, 0.3, 0.4]))
    with pytest.raises(ValueError, match="rational"):
        outage.gcplus_distribution(net, exact=True)


def test_distribution_sums_to_one_and_is_consistent() -> None:
    net = ct.CooperativeNetwork.cyclic(5, 2, uplink_erasure=[0.1, 0.2, 0.05, 0.3, 0.15],
                                       link_erasure=0.25, seed=3)
    d = outage.gcplus_distribution(net)
    for r in ("max-subset", "individual"):
        assert d.size_pmf[r].sum() == pytest.approx(1.0, abs=1e-13)
        assert d.size_pmf[r][-1] == pytest.approx(d.full, rel=1e-13)
        assert d.partial[r] + d.total[r] + d.full == pytest.approx(1.0, abs=1e-13)
    assert d.mean_size("max-subset") >= d.mean_size("individual") - 1e-13
    assert d.total["max-subset"] <= d.total["individual"] + 1e-15
    assert "P(full)" in str(d)


@st.composite
def _probs(draw: st.DrawFn) -> tuple[float, float]:
    return draw(st.floats(0.0, 1.0)), draw(st.floats(0.0, 1.0))


@settings(max_examples=15, deadline=None)
@given(_probs())
def test_cogc_symbolic_and_numeric_agree_everywhere(pe: tuple[float, float]) -> None:
    p, e = sp.symbols("p epsilon")
    net = ct.CooperativeNetwork.fractional(4, 1, uplink_erasure=p, link_erasure=e)
    expr = outage.cogc(net, symbolic=True)
    num = outage.cogc(net.subs({p: pe[0], e: pe[1]}))
    assert float(expr.subs({p: pe[0], e: pe[1]})) == pytest.approx(num, rel=1e-9, abs=1e-14)


@pytest.mark.slow
def test_cyclic_10_2_exact_gcplus_against_polynomial_and_monte_carlo() -> None:
    """M=10, s=2: the enumeration finishes, matches its homogeneous polynomial, and a seeded
    Monte Carlo run of the independent decoder passes a two-sided binomial test (alpha=1e-6)."""
    import scipy.stats

    p, e = sp.symbols("p epsilon")
    net = ct.CooperativeNetwork.cyclic(10, 2, uplink_erasure=0.1, link_erasure=0.2, seed=0)
    val = outage.gcplus(net)
    poly = outage.gcplus_polynomial(net.with_erasures(uplink_erasure=p, link_erasure=e))
    assert float(poly.subs({p: 0.1, e: 0.2})) == pytest.approx(val, rel=1e-11)
    rng = np.random.default_rng(12345)
    T = 20_000
    M = net.M
    tau = rng.random((T, M, M)) >= 0.2
    tau |= ~net.link_used[None]
    u = rng.random((T, M)) >= 0.1
    Bt = net.B[None] * tau
    r = ct.decode.gcplus(Bt, u, rule="individual")
    fails = int(np.sum(~np.asarray(r.full)))
    pval = scipy.stats.binomtest(fails, T, val).pvalue
    assert pval > 1e-6, (fails / T, val)


@pytest.mark.slow
def test_cyclic_10_2_float_table_spot_checked_with_exact_certificates() -> None:
    """2,000 random state patterns of the M=10, s=2 float table against exact rational
    row-space membership (cogc_theory.exact) on the exact construction; certificates checked."""
    from cogc_theory import exact

    net = ct.CooperativeNetwork.cyclic(10, 2, uplink_erasure=0.1, link_erasure=0.2,
                                       exact=True)
    tab = _states.decision_table(net, method="float")
    rows = _states.state_rows(net, exact=True)
    rng = np.random.default_rng(99)
    ones = [Fraction(1)] * 10
    for _ in range(2000):
        x = tuple(int(rng.integers(0, 5)) for _ in range(10))
        A = [rows[m][s] for m, s in enumerate(x) if s > 0]
        ok, a = exact.in_rowspace(A, ones) if A else (False, None)
        assert bool(tab.full[x]) == ok, x
        if ok:
            assert [sum(ai * r[k] for ai, r in zip(a, A, strict=True)) for k in range(10)] == ones


def test_large_M_threshold_family_by_monotonicity() -> None:
    """M=24 (2^24 sets, not tabulated): the threshold family is certified from the sets of
    sizes M-s and M-s-1 only, and the outage is the Poisson-binomial tail."""
    net = ct.CooperativeNetwork.cyclic(24, 1, uplink_erasure=0.01, link_erasure=0.02, seed=0)
    fam = outage.decodable_family(net)
    assert fam.table is None and fam.threshold == 23
    pi = (1 - 0.01) * (1 - 0.02)
    expect = 1 - pi**24 - 24 * pi**23 * (1 - pi)
    assert outage.cogc(net) == pytest.approx(expect, rel=1e-10)
    net.s = 3                                   # a wrong hint is detected, not trusted
    with pytest.raises(ValueError, match="threshold"):
        outage.decodable_family(net)


# ----------------------------------------------------------------------------- input checks
def test_decodable_family_checks_net_and_tolerances() -> None:
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    with pytest.raises(TypeError, match="net"):
        outage.decodable_family(None)
    for name, bad in (("rtol", -1), ("rtol", float("nan")), ("rtol", 1.0), ("rtol", 0.0),
                      ("atol", 0.05), ("atol", 0.0), ("atol", float("inf"))):
        with pytest.raises(ValueError, match=name):
            outage.decodable_family(net, **{name: bad})
    for name in ("rtol", "atol"):
        for bad in ("a", None, True):
            with pytest.raises(TypeError, match=name):
                outage.decodable_family(net, **{name: bad})
    # the cyclic s=1 family is |R| >= M - 1 (closed form) across the accepted ranges
    sizes = np.indices((2,) * 4).sum(axis=0)
    for rtol, atol in ((1e-14, 1e-12), (1e-6, 1e-2), (0.5, 1e-8)):
        fam = outage.decodable_family(net, method="float", rtol=rtol, atol=atol)
        assert np.array_equal(fam.table, sizes >= 3)


def _fractional_4_1_decodable(R: set[int]) -> bool:
    """Fractional repetition M=4, s=1: groups {0,1} and {2,3}; one row per group decodes."""
    return bool(R & {0, 1}) and bool(R & {2, 3})


@pytest.mark.parametrize("kind", ["fractional", "cyclic"])
def test_is_decodable_masks_equal_index_lists(kind: str) -> None:
    net = getattr(ct.CooperativeNetwork, kind)(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    fam = outage.decodable_family(net)
    want = _fractional_4_1_decodable if kind == "fractional" else (lambda R: len(R) >= 3)
    for code in range(16):
        R = {m for m in range(4) if code >> m & 1}
        mask = [bool(code >> m & 1) for m in range(4)]
        expect = want(R)
        assert fam.is_decodable(sorted(R)) is expect
        assert fam.is_decodable(np.array(mask)) is expect
        assert fam.is_decodable(mask) is expect
        assert fam.is_decodable(np.array(sorted(R), dtype=np.int64)) is expect
    assert fam.is_decodable(np.array([True, True, True, False])) is want({0, 1, 2})


def test_is_decodable_rejects_bad_sets_threshold_families_too() -> None:
    small = outage.decodable_family(
        ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2))
    big = outage.decodable_family(
        ct.CooperativeNetwork.cyclic(24, 1, uplink_erasure=0.01, link_erasure=0.02))
    assert big.table is None and big.threshold == 23
    for fam in (small, big):
        M = fam.M
        for bad in ([0, M + 5], [-1], [0, 0], [1, 1, 2]):
            with pytest.raises(ValueError, match="R"):
                fam.is_decodable(bad)
        with pytest.raises(ValueError, match="length"):
            fam.is_decodable(np.ones(M - 1, dtype=bool))
        with pytest.raises(ValueError, match="R"):
            fam.is_decodable(np.zeros((2, M), dtype=bool))
        for bad in (5, "01", [0.5], [None]):
            with pytest.raises(TypeError, match="R"):
                fam.is_decodable(bad)
    # the M=24 threshold family by mask and by indices: |R| >= 23
    mask = np.ones(24, dtype=bool)
    mask[[3]] = False
    assert big.is_decodable(mask) and big.is_decodable([m for m in range(24) if m != 3])
    mask[[5]] = False
    assert not big.is_decodable(mask)
    assert not big.is_decodable([m for m in range(24) if m not in (3, 5)])


def test_distribution_rules_argument_and_mean_size_default() -> None:
    B = cyclic_exact(4, 1, seed=0)
    net = ct.CooperativeNetwork(B, sp.Rational(1, 10), sp.Rational(1, 5))
    ref = brute_force(*_oracle_inputs(net))
    mean_ind = sum(k * x for k, x in enumerate(ref["size_individual"]))
    mean_max = sum(k * x for k, x in enumerate(ref["size_max"]))
    d = outage.gcplus_distribution(net, rules=("individual",), exact=True)
    assert d.mean_size() == mean_ind == d.mean_size("individual")
    with pytest.raises(ValueError, match="rule.*individual"):
        d.mean_size("max-subset")
    dboth = outage.gcplus_distribution(net, exact=True)
    assert dboth.mean_size() == mean_max                  # max-subset when computed
    with pytest.raises(ValueError, match="rule"):
        dboth.mean_size("x")
    one = outage.gcplus_distribution(net, rules="max-subset", exact=True)
    assert list(one.size_pmf) == ["max-subset"] and one.mean_size() == mean_max
    with pytest.raises(TypeError, match="rules"):
        outage.gcplus_distribution(net, rules=None)
    with pytest.raises(TypeError, match="rules"):
        outage.gcplus_distribution(net, rules=(1,))
    with pytest.raises(ValueError, match="rule"):
        outage.gcplus_distribution(net, rules=()).mean_size()


def test_gcplus_polynomial_checks_numeric_p_and_eps() -> None:
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    for p, e, name in ((2, 3, "p"), (0.1, 3, "eps"), (-0.1, 0.1, "p"),
                       (0.1, float("nan"), "eps"), (sp.Rational(3, 2), 0.1, "p")):
        with pytest.raises(ValueError, match=name):
            outage.gcplus_polynomial(net, p=p, eps=e)
    with pytest.raises(TypeError, match="p"):
        outage.gcplus_polynomial(net, p="a", eps=0.1)
    # numbers in range: the s=1 ring closed form 1 - (1-p)^4 - 4 p (1-p)^3 (1-eps)^3
    P, E = sp.Rational(1, 10), sp.Rational(1, 5)
    assert outage.gcplus_polynomial(net, p=P, eps=E) == 1 - (1 - P)**4 - 4 * P * (1 - P)**3 \
        * (1 - E)**3


@pytest.mark.parametrize("which", ["cogc", "gcplus"])
def test_formula_func_checks_its_arguments(which: str) -> None:
    p, e = sp.symbols("p epsilon")
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=p, link_erasure=e)
    f = (outage.cogc_formula if which == "cogc" else outage.gcplus_formula)(net)
    assert f.symbols == (e, p)
    with pytest.raises(ValueError, match="epsilon"):
        f.func(2, 0.3)
    with pytest.raises(ValueError, match="p"):
        f.func(0.2, 3)
    with pytest.raises(ValueError, match="p"):
        f.func(0.1, float("nan"))
    with pytest.raises(ValueError, match="epsilon"):
        f.func(float("inf"), 0.1)
    with pytest.raises(ValueError, match="p"):
        f.func(0.1, np.array([0.1, 1.5]))
    with pytest.raises(TypeError, match="p"):
        f.func(0.1, "a")
    with pytest.raises(TypeError, match="epsilon"):
        f.func(0.1 + 0j, 0.1)
    with pytest.raises(TypeError, match="epsilon, p"):
        f.func(0.1)
    # vectorised evaluation is kept; closed forms with pi = (1-p)(1-eps), s = 1 ring
    ps = np.array([0.0, 0.1, 0.5, 1.0])
    pi = (1 - ps) * 0.8
    want = (1 - pi**4 - 4 * pi**3 * (1 - pi) if which == "cogc"
            else 1 - (1 - ps)**4 - 4 * ps * (1 - ps)**3 * 0.8**3)
    np.testing.assert_allclose(f.func(0.2, ps), want, rtol=1e-12, atol=1e-15)
    assert float(f.func(epsilon=0.2, p=0.1)) == pytest.approx(float(want[1]), rel=1e-12)


def test_formula_func_checks_erasures_that_are_expressions() -> None:
    """With erasures 1 - exp(-1/snr) the argument is an SNR, not a probability: any finite
    positive snr is fine, while values that push the erasure outside [0, 1] are refused."""
    from cogc_theory.outage import fading

    net = fading.fading_network(ct.codes.cyclic_repetition(4, 1, seed=0), rate=1)
    f = outage.cogc_formula(net)
    pi = np.exp(-1 / 20.0) ** 2                       # uplink and one link both succeed
    assert float(f.func(20.0)) == pytest.approx(1 - pi**4 - 4 * pi**3 * (1 - pi), rel=1e-12)
    with pytest.raises(ValueError, match="erasure probability"):
        f.func(-0.5)
    with pytest.raises(ValueError, match="snr"):
        f.func(float("nan"))


def test_decodable_family_message_says_why_the_family_is_not_a_threshold_family() -> None:
    """Fractional repetition with the right s: the message used to blame net.s."""
    net = ct.CooperativeNetwork.fractional(30, 2, uplink_erasure=0.1, link_erasure=0.1)
    with pytest.raises(ValueError, match=r"sets of 27 clients decode too.*not a threshold "
                                         r"family") as exc:
        outage.decodable_family(net)
    assert "wrong" not in str(exc.value)
    bad = ct.CooperativeNetwork(ct.codes.cyclic_repetition(30, 1, construction="orthonormal"),
                                0.1, 0.1)
    bad.s = 3                                             # a wrong hint: it tolerates 1
    with pytest.raises(ValueError, match="does not tolerate s = net.s = 3"):
        outage.decodable_family(bad)
