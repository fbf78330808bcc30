"""Structure of GC+ under outages; the s=1 ring characterisation and transfer matrix."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
import sympy as sp

import cogc_theory as ct
from cogc_theory import outage
from cogc_theory.outage import structure as S
from cogc_theory.testing import cyclic_exact

R = sp.Rational


def _hetero_ring(M: int, seed: int) -> ct.CooperativeNetwork:
    rng = np.random.default_rng(seed)
    p = [R(int(x), 40) for x in rng.integers(1, 20, M)]
    eps = np.zeros((M, M), dtype=object)
    for m in range(M):
        eps[m, (m + 1) % M] = R(int(rng.integers(1, 20)), 40)
    return ct.CooperativeNetwork(cyclic_exact(M, 1, seed=seed), p, eps)


@pytest.mark.parametrize("M", [3, 4, 5, 6, 7])
def test_s1_ring_characterisation_holds_on_every_pattern(M: int) -> None:
    for seed in range(3):
        net = _hetero_ring(M, seed)
        assert S.ring_s1_generic(net)
        st = S.gcplus_structure(net)
        assert np.array_equal(st.table.full, S.ring_s1_full_table(net))
        # rank = number arrived, minus one when everyone is complete
        x = np.indices((3,) * M)
        rank = (x > 0).sum(axis=0) - ((x == 2).sum(axis=0) == M)
        assert np.array_equal(st.table.rank, rank)


@pytest.mark.parametrize("M", [4, 5, 6])
def test_transfer_matrix_equals_exact_size_distribution(M: int) -> None:
    net = next(n for n in (_hetero_ring(M, sd) for sd in range(10 + M, 60))
               if S.ring_s1_generic(n))
    z, y = sp.symbols("z y")
    G = sp.Poly(S.ring_s1_size_generating_function(net, z), z)
    d = outage.gcplus_distribution(net, exact=True)
    for rule in ("max-subset", "individual"):
        got = [sp.Rational(f.numerator, f.denominator) for f in d.size_pmf[rule]]
        assert got == [G.coeff_monomial(z**k) for k in range(M + 1)]
    assert sp.Rational(d.no_full.numerator, d.no_full.denominator) == S.ring_s1_outage(net)
    Gr = sp.Poly(S.ring_s1_rank_generating_function(net, y), y)
    rank = S.gcplus_structure(net).rank_distribution()
    np.testing.assert_allclose(rank, [float(Gr.coeff_monomial(y**r)) for r in range(M + 1)],
                               rtol=1e-12, atol=1e-15)


def test_ring_formula_for_large_M_against_monte_carlo() -> None:
    """M=14 (4.8M states, beyond quick enumeration): the closed form vs the decoder,
    two-sided binomial test at alpha = 1e-6, seeded."""
    M = 14
    net = ct.CooperativeNetwork.cyclic(M, 1, uplink_erasure=0.08, link_erasure=0.3, seed=1)
    assert S.ring_s1_generic(net)
    val = float(S.ring_s1_outage(net))
    z = sp.Symbol("z")
    G = sp.Poly(S.ring_s1_size_generating_function(net, z), z)
    assert float(1 - G.coeff_monomial(z**M)) == pytest.approx(val, rel=1e-12)
    rng = np.random.default_rng(2024)
    T = 20_000
    tau = (rng.random((T, M, M)) >= 0.3) | ~net.link_used[None]
    u = rng.random((T, M)) >= 0.08
    r = ct.decode.gcplus(net.B[None] * tau, u, rule="individual")
    fails = int(np.sum(~np.asarray(r.full)))
    assert scipy.stats.binomtest(fails, T, val).pvalue > 1e-6


def test_small_integer_construction_can_be_non_generic() -> None:
    """cyclic_exact(6, 1, seed=16) has a zero-sum subset of h: max-subset then recovers more
    than the generic block rule predicts (the transfer matrix is for generic rings)."""
    net = _hetero_ring(6, 16)
    assert not S.ring_s1_generic(net)
    z = sp.Symbol("z")
    G = sp.Poly(S.ring_s1_size_generating_function(net, z), z)
    d = outage.gcplus_distribution(net, exact=True)
    assert float(d.size_pmf["max-subset"][0]) < float(G.coeff_monomial(1))


def test_non_generic_ring_breaks_the_characterisation() -> None:
    h = [1, -1, 2, -2]          # sum zero, but {0, 1} also sums to zero
    M = 4
    B = sp.zeros(M, M)
    for m in range(M):
        B[m, m], B[m, (m + 1) % M] = h[(m + 1) % M], -h[m]
    net = ct.CooperativeNetwork(B, R(1, 10), R(1, 5))
    assert not S.ring_s1_generic(net)
    st = S.gcplus_structure(net)
    assert not np.array_equal(st.table.full, S.ring_s1_full_table(net))
    # e.g. clients 1 and 3 absent, 0 and 2 complete: rows are multiples of 1_{01} and 1_{23}
    assert st.table.full[2, 0, 2, 0]


def test_minimal_patterns_checked_with_the_decoder() -> None:
    net = ct.CooperativeNetwork.cyclic(4, 2, uplink_erasure=0.1, link_erasure=0.2, seed=3)
    st = S.gcplus_structure(net)
    rows = outage._states.state_rows(net)
    mins = st.minimal_full_patterns()
    assert len(mins) > 0

    def full(pattern: np.ndarray) -> bool:
        Bt = np.array([rows[m][x] for m, x in enumerate(pattern)])
        return bool(ct.decode.gcplus(Bt, pattern > 0).full)

    for x in mins:
        assert full(x)
        for m in np.flatnonzero(x):
            y = x.copy()
            y[m] = 0
            assert not full(y)
    # every full pattern dominates a minimal one (same states on the minimal's arrivals)
    for x in st.full_patterns()[::7]:
        assert any(np.all((mn == 0) | (mn == x)) for mn in mins)


def test_spec_observation_decision_depends_only_on_pattern_M6_s2() -> None:
    nets = [ct.CooperativeNetwork.cyclic(6, 2, uplink_erasure=0.1, link_erasure=0.2, seed=k)
            for k in range(3)]
    assert len({n.B.tobytes() for n in nets}) == 3            # different coefficients
    res = S.compare_constructions(nets)
    assert res == {"agree": True, "patterns": 15625, "disagreements": 0}


@pytest.mark.slow
def test_exact_and_float_decisions_agree_M6_s2() -> None:
    """On the same rational B, exact (Fraction) and float decisions agree on all 15,625 states.

    (Small-integer exact constructions need not be generic: for some seeds they make a few
    patterns decodable that a generic B does not — see outage.structure's notes.)"""
    for k in (0, 5):
        B = cyclic_exact(6, 2, seed=k)
        ne = ct.CooperativeNetwork(B, 0.1, 0.2)
        nf = ct.CooperativeNetwork(np.array(B.tolist(), dtype=float), 0.1, 0.2)
        te = outage._states.decision_table(ne, method="exact").full
        tf = outage._states.decision_table(nf, method="float").full
        assert te.size == 15625 and np.array_equal(te, tf)


def test_summary_text_and_labels() -> None:
    net = ct.CooperativeNetwork.cyclic(5, 1, uplink_erasure=0.1, link_erasure=0.2, seed=0)
    st = S.gcplus_structure(net)
    text = st.summary()
    assert "minimal full patterns" in text and "s=1 ring" in text and "holds" in text
    assert str(st) == text
    assert S.state_label(net, 0, 0) == "-" and S.state_label(net, 0, 2) == "C"
    assert S.state_label(net, 0, 1) == "{}"
    assert st.min_arrivals_for_full() == net.M - 1
    assert st.rank_counts().sum() == 3**5


def test_ring_functions_refuse_other_supports() -> None:
    net = ct.CooperativeNetwork.cyclic(5, 2, uplink_erasure=0.1, link_erasure=0.2)
    with pytest.raises(ValueError, match="s = 1"):
        S.ring_s1_outage(net)
    with pytest.raises(ValueError, match="at least two"):
        S.compare_constructions([net])


def test_ring_full_table_refuses_huge_M_up_front() -> None:
    net = ct.CooperativeNetwork.cyclic(30, 1, uplink_erasure=0.1, link_erasure=0.1)
    with pytest.raises(ValueError, match="MAX_RING_TABLE.*ring_s1_outage"):
        S.ring_s1_full_table(net)
    with pytest.raises(ValueError, match="MAX_RING_TABLE"):
        S.ring_s1_full_table(ct.CooperativeNetwork.cyclic(17, 1, uplink_erasure=0.1,
                                                           link_erasure=0.1))
    # below the limit the table is still the characterisation, checked pattern by pattern
    net = ct.CooperativeNetwork.cyclic(5, 1, uplink_erasure=0.1, link_erasure=0.1)
    table = S.ring_s1_full_table(net)
    for x in np.ndindex(*table.shape):
        absent, complete = x.count(0), x.count(2)
        assert table[x] == (absent == 0 or (absent == 1 and complete == 4))


def test_state_label_and_describe_reject_out_of_range() -> None:
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    st = S.gcplus_structure(net)
    with pytest.raises(ValueError, match="m"):
        S.state_label(net, 9, 0)
    with pytest.raises(ValueError, match="m"):
        S.state_label(net, -1, 0)
    with pytest.raises(ValueError, match="state"):
        S.state_label(net, 0, 3)                 # s = 1: states 0, 1, 2 only
    with pytest.raises(ValueError, match="state"):
        S.state_label(net, 0, -1)
    with pytest.raises(TypeError, match="state"):
        S.state_label(net, 0, 1.5)
    with pytest.raises(TypeError, match="net"):
        S.state_label(None, 0, 0)
    with pytest.raises(ValueError, match=r"pattern\[0\]"):
        st.describe([9, 9, 9, 9])
    with pytest.raises(ValueError, match="pattern"):
        st.describe([2, 2])
    assert st.describe([2, 0, 1, 2]) == "C - {} C"
    assert st.describe(np.array([2, 0, 1, 2])) == "C - {} C"


def test_compare_constructions_checks_networks() -> None:
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    with pytest.raises(TypeError, match=r"nets\[1\]"):
        S.compare_constructions([net, "x"])
    with pytest.raises(TypeError, match="nets"):
        S.compare_constructions(None)
    other = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2, seed=5)
    assert S.compare_constructions((net, other))["patterns"] == 3**4


def test_generating_functions_need_sympy_symbols() -> None:
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=R(1, 10), link_erasure=R(1, 5))
    with pytest.raises(TypeError, match="z"):
        S.ring_s1_size_generating_function(net, z="z")
    with pytest.raises(TypeError, match="y"):
        S.ring_s1_rank_generating_function(net, y=2)
    z = sp.Symbol("z")
    assert S.ring_s1_size_generating_function(net, z).subs(z, 1) == 1
