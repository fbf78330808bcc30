"""GC+ full recovery on generic cyclic codes by the finite automaton (cogc_theory.outage._ring).

Oracles: the s = 1 closed form of ``outage.structure``; the enumerated decision tables and
exact outage of ``ct.outage`` (every client-state pattern of a generic float code, M <= 8);
the enumeration polynomial ``gcplus_polynomial``; a plain numpy SVD test of
``1 in rowspace(A)`` on random long patterns; Monte Carlo (slow, binomial test).
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from scipy import stats

import cogc_theory as ct
from cogc_theory.outage import _states, structure
from cogc_theory.outage._ring import (
    AUTOMATA,
    automaton,
    check_ring,
    full_recovery,
    offset_state_probabilities,
    ring_outage,
)


def _all_patterns(M: int, nx: int) -> np.ndarray:
    return np.array(list(itertools.product(range(nx), repeat=M)), dtype=np.int64)


def _to_table_index(x: np.ndarray, M: int, s: int, net) -> tuple[np.ndarray, ...]:
    """Offset convention (bit i = link from m+1+i) -> the decision table's sorted one."""
    idx = []
    for m in range(M):
        nb = net.neighbors(m)
        b = np.maximum(x[:, m] - 1, 0)
        bs = np.zeros_like(b)
        for i in range(s):
            j = nb.index((m + 1 + i) % M)
            bs |= ((b >> i) & 1) << j
        idx.append(np.where(x[:, m] > 0, 1 + bs, 0))
    return tuple(idx)


def _svd_full(A: np.ndarray) -> np.ndarray:
    """1 in rowspace(A), by the plain SVD test of the decoders (rtol 1e-10, atol 1e-8)."""
    _, S, Vh = np.linalg.svd(A)
    null = S <= ct.decode.RTOL * S[:, :1]
    d1 = Vh.sum(axis=2) * null
    return np.sqrt((d1 ** 2).sum(axis=1)) <= ct.decode.ATOL


def _effective(B: np.ndarray, x: np.ndarray, s: int) -> np.ndarray:
    T, M = x.shape
    b = np.maximum(x - 1, 0)
    mask = np.zeros((T, M, M), dtype=bool)
    for m in range(M):
        mask[:, m, m] = True
        for i in range(s):
            mask[:, m, (m + 1 + i) % M] = (b[:, m] >> i) & 1
    return B[None] * mask * (x > 0)[:, :, None]


def test_tabulated_bandwidths() -> None:
    assert AUTOMATA == (1, 2)
    assert automaton(1).n_states == 4 and automaton(2).n_states == 21
    for s in AUTOMATA:
        a = automaton(s)
        assert np.all(a.trans[0] == 0) and not a.accept[0].any()     # failure absorbs


@pytest.mark.parametrize("M", [3, 4, 5, 6, 7, 8])
def test_s1_automaton_is_the_closed_form(M: int) -> None:
    """Full iff every client arrived, or exactly one is absent and all others complete."""
    x = _all_patterns(M, 3)
    absent = (x == 0).sum(axis=1)
    complete = (x == 2).sum(axis=1)
    rule = (absent == 0) | ((absent == 1) & (complete == M - 1))
    assert np.array_equal(full_recovery(x, 1), rule)


def test_s1_outage_equals_the_closed_form() -> None:
    M = 5
    ps, es = sp.symbols(f"p_0:{M}"), sp.symbols(f"e_0:{M}")
    eps = np.full((M, M), sp.Integer(0), dtype=object)
    for m in range(M):
        eps[m, (m + 1) % M] = es[m]
    net = ct.CooperativeNetwork(ct.codes.cyclic_repetition(M, 1), uplink_erasure=list(ps),
                                link_erasure=eps)
    assert sp.expand(ring_outage(net, symbolic=True) - structure.ring_s1_outage(net)) == 0
    rng = np.random.default_rng(0)
    big = ct.CooperativeNetwork.cyclic(500, 1, uplink_erasure=rng.uniform(0, 0.01, 500),
                                       link_erasure=0.02, construction="orthonormal")
    exact = float(structure.ring_s1_outage(big))
    # both sides are sums of products of probabilities in float64: 1e-12 leaves a margin of
    # 1e3 over the accumulated rounding of 500 steps
    assert abs(ring_outage(big) - exact) <= 1e-12 * exact


@pytest.mark.parametrize("M", [4, 5, 6, 7])
def test_s2_decisions_match_enumeration_on_every_pattern(M: int) -> None:
    net = ct.CooperativeNetwork.cyclic(M, 2, uplink_erasure=0.1, link_erasure=0.1, seed=M)
    table = _states.decision_table(net, method="float").full
    x = _all_patterns(M, 5)
    assert np.array_equal(full_recovery(x, 2), table[_to_table_index(x, M, 2, net)])


@pytest.mark.parametrize("M", [4, 5, 6, 7, 8])
def test_s2_outage_matches_enumeration(M: int) -> None:
    """Heterogeneous erasures; 1e-12 relative (two float64 sums of at most 5**8 products)."""
    rng = np.random.default_rng(M)
    net = ct.CooperativeNetwork.cyclic(M, 2, uplink_erasure=rng.uniform(0.01, 0.3, M),
                                       link_erasure=rng.uniform(0.01, 0.4, (M, M)), seed=1)
    ref = ct.outage.gcplus(net, route="enumeration")   # not the ring route
    assert abs(ring_outage(net) - ref) <= 1e-12 * ref


def test_s2_exact_and_symbolic_match_enumeration() -> None:
    M = 6
    rng = np.random.default_rng(3)
    p = [sp.Rational(int(v), 100) for v in rng.integers(1, 40, M)]
    eps = np.full((M, M), sp.Integer(0), dtype=object)
    for m in range(M):
        for i in (1, 2):
            eps[m, (m + i) % M] = sp.Rational(int(rng.integers(1, 60)), 100)
    net = ct.CooperativeNetwork(ct.codes.cyclic_repetition(M, 2, seed=2), uplink_erasure=p,
                                link_erasure=eps)
    table = _states.decision_table(net, method="float").full
    w = [np.array([Fraction(int(sp.Rational(v).p), int(sp.Rational(v).q)) for v in q],
                  dtype=object) for q in _states.state_probabilities(net)]
    exact_enum = 1 - _states.contract(table, w)
    assert ring_outage(net, symbolic=True) == sp.Rational(exact_enum.numerator,
                                                          exact_enum.denominator)
    P, E = sp.symbols("p epsilon")
    hom = ct.CooperativeNetwork.cyclic(5, 2, uplink_erasure=P, link_erasure=E, seed=4)
    poly = ct.outage.gcplus_polynomial(hom)
    assert sp.expand(ring_outage(hom, symbolic=True) - poly) == 0


def test_s2_random_long_patterns_match_svd() -> None:
    """M = 60: automaton vs plain SVD decoding of a generic float code (both outcomes)."""
    M, s, T = 60, 2, 200
    rng = np.random.default_rng(11)
    x = np.where(rng.random((T, M)) < 2.0 / M, 0,
                 1 + ((rng.random((T, M, s)) > 0.5 / M) * (1 << np.arange(s))).sum(axis=2))
    B = ct.codes.cyclic_repetition(M, s, seed=5, construction="orthonormal")
    auto = full_recovery(x, s)
    assert 0.2 < auto.mean() < 0.8
    assert np.array_equal(auto, _svd_full(_effective(B, x, s)))


@pytest.mark.slow
def test_s2_random_patterns_at_M300_match_svd() -> None:
    M, s, T = 300, 2, 200
    rng = np.random.default_rng(12)
    x = np.where(rng.random((T, M)) < 2.0 / M, 0,
                 1 + ((rng.random((T, M, s)) > 0.5 / M) * (1 << np.arange(s))).sum(axis=2))
    B = ct.codes.cyclic_repetition(M, s, seed=5, construction="orthonormal")
    assert np.array_equal(full_recovery(x, s), _svd_full(_effective(B, x, s)))


@pytest.mark.slow
def test_s2_monte_carlo_agrees_at_M100() -> None:
    """Two-sided binomial test of simulate.outage against the exact outage; false-alarm
    probability 1e-3 (seeded, so the outcome is fixed)."""
    net = ct.CooperativeNetwork.cyclic(100, 2, uplink_erasure=0.01, link_erasure=0.01)
    exact = ring_outage(net)
    est = ct.simulate.outage(net, decoder="gcplus", trials=20_000, seed=0)
    assert stats.binomtest(est.failures, est.trials, exact).pvalue > 1e-3


def test_tiny_outage_keeps_relative_precision() -> None:
    """No 1 - P_full cancellation: float equals the exact rational value to 1e-12."""
    net = ct.CooperativeNetwork.cyclic(40, 2, uplink_erasure=sp.Rational(1, 10**6),
                                       link_erasure=sp.Rational(1, 10**7))
    exact = ring_outage(net, symbolic=True)
    assert 0 < exact < sp.Rational(1, 10**9)
    assert abs(ring_outage(net) - float(exact)) <= 1e-12 * float(exact)


def test_offset_probabilities_sum_to_one() -> None:
    net = ct.CooperativeNetwork.cyclic(6, 2, uplink_erasure=sp.Rational(1, 7),
                                       link_erasure=sp.Rational(2, 9))
    assert all(sp.simplify(sum(q) - 1) == 0 for q in offset_state_probabilities(net))


def test_not_applicable_is_refused_with_the_alternative() -> None:
    fr = ct.CooperativeNetwork(ct.codes.fractional_repetition(6, 2), uplink_erasure=0.1,
                               link_erasure=0.1)
    with pytest.raises(ValueError, match="ct.outage.gcplus"):
        check_ring(fr)
    s3 = ct.CooperativeNetwork.cyclic(8, 3, uplink_erasure=0.1, link_erasure=0.1)
    with pytest.raises(ValueError, match="simulate.outage"):
        ring_outage(s3)
    rec = ct.CooperativeNetwork.cyclic(8, 2, uplink_erasure=0.1, link_erasure=0.1,
                                       reciprocal=True)
    with pytest.raises(ValueError, match="reciprocal"):
        ring_outage(rec)
    sym = ct.CooperativeNetwork.cyclic(8, 2, uplink_erasure=sp.Symbol("p"), link_erasure=0.1)
    with pytest.raises(ValueError, match="symbolic=True"):
        ring_outage(sym)
    with pytest.raises(TypeError, match="CooperativeNetwork"):
        check_ring("net")
    with pytest.raises(ValueError, match="M >= 2s"):
        full_recovery([4, 4, 4], 2)
    with pytest.raises(ValueError, match="0..4"):
        full_recovery([4, 4, 4, 5], 2)


def _ring_from_h(h: list[int]) -> ct.CooperativeNetwork:
    M = len(h)
    B = sp.zeros(M, M)
    for m in range(M):
        B[m, m], B[m, (m + 1) % M] = h[(m + 1) % M], -h[m]
    return ct.CooperativeNetwork(B, uplink_erasure=sp.Rational(1, 10),
                                 link_erasure=sp.Rational(1, 5))


def test_s1_full_genericity_is_the_prefix_sum_condition() -> None:
    """Prefix-sum test <=> the exactly enumerated full-recovery table is the generic rule,
    on hand-made rings with and without a zero-sum proper arc (e.g. {0, 1, 2} of
    (1, 2, -3, 5, 4, -9)); a random float ring passes."""
    from cogc_theory.outage._ring import ring_s1_full_generic

    for h, arc_zero in (([1, 2, -3, 5, 4, -9], True), ([1, 2, 4, 8, 16, -31], False),
                        ([3, -1, 5, 2, -7, -2], True)):
        net = _ring_from_h(h)
        table = _states.decision_table(net, method="exact").full
        generic = np.array_equal(table, structure.ring_s1_full_table(net))
        assert ring_s1_full_generic(net) == (not arc_zero) == generic
    float_net = ct.CooperativeNetwork.cyclic(40, 1, uplink_erasure=0.1, link_erasure=0.1)
    assert ring_s1_full_generic(float_net)
