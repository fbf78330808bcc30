"""Issue 13 wiring: the default cyclic code at any M, the routes it enables, and GC+ max-subset
beyond the subset enumeration.

Expected values come from independent routes: the binomial tail (scipy) for the CoGC threshold
family, enumeration of client states for GC+ outage, the subset-enumeration decoder for
max-subset, and the Gram–Schmidt/SVD decoder of another rule for full-recovery decisions.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
import sympy as sp

import cogc_theory as ct
from cogc_theory import codes

# Relative agreement of two float routes that sum at most a few thousand nonnegative products
# (no cancellation): 1e-12 leaves a margin of 1e3 over the accumulated rounding.
REL = 1e-12


def _net(M: int, s: int, **kw):
    kw.setdefault("uplink_erasure", 0.05)
    kw.setdefault("link_erasure", 0.05)
    return ct.CooperativeNetwork.cyclic(M, s, **kw)


# ----------------------------------------------------------------------------- threshold flag
@pytest.mark.parametrize("construction", ["optimized", "orthonormal", "gaussian", "generic"])
def test_threshold_is_set_for_the_constructions_the_theorem_covers(construction):
    net = _net(9, 2, construction=construction)
    assert net.threshold == 7 and net.generic and net.construction == construction
    copy = net.with_erasures(uplink_erasure=0.2)
    assert (copy.threshold, copy.generic, copy.construction) == (7, True, construction)


@pytest.mark.parametrize("kw", [{"construction": "circulant"},
                                {"exact": True, "construction": "gaussian"},
                                {"exact": True}])
def test_threshold_is_not_set_where_the_theorem_does_not_apply(kw):
    """The circulant lies on the exceptional set; exact (integer) draws are discrete."""
    net = _net(9, 2, **kw)
    assert net.threshold is None and not net.generic
    assert ct.outage.explain(net, "cogc").name == "family"


def test_a_bare_matrix_network_knows_nothing():
    net = ct.CooperativeNetwork(codes.cyclic_repetition(9, 2), 0.05, 0.05)
    assert net.threshold is None and not net.generic and net.construction is None


def test_auto_is_optimized_up_to_100_and_generic_beyond():
    assert _net(12, 2).construction == "optimized"
    assert codes.resolve_construction(100, "auto") == "optimized"
    assert codes.resolve_construction(101, "auto") == "generic"
    assert np.array_equal(_net(12, 2).B, codes.cyclic_repetition(12, 2, construction="optimized"))


@pytest.mark.parametrize("M, s", [(8, 1), (10, 2), (11, 3)])
def test_threshold_route_agrees_with_the_tabulated_family(M, s):
    """The family is tabulated over the 2^M sets by rank tests (route 'family'), independently
    of the theorem that sets net.threshold."""
    rng = np.random.default_rng(M * s)
    net = _net(M, s, uplink_erasure=rng.uniform(0.01, 0.3, M),
               link_erasure=rng.uniform(0.01, 0.3, (M, M)))
    assert ct.outage.explain(net, "cogc").name == "threshold"
    ref = ct.outage.cogc(net, route="family")
    assert abs(ct.outage.cogc(net) - ref) <= REL * ref


@pytest.mark.parametrize("M, s", [(100, 5), (1000, 10)])
def test_cogc_at_scale_is_the_binomial_tail(M, s):
    """Homogeneous erasures: P_out = P[Binomial(M, pi) <= M - s - 1], pi = (1-p)(1-e)^s."""
    p, e = 0.01, 0.002
    net = _net(M, s, uplink_erasure=p, link_erasure=e, construction="generic")
    route = ct.outage.explain(net, "cogc")
    assert route.name == "threshold" and "O(M^2)" in route.cost
    pi = (1 - p) * (1 - e) ** s
    ref = scipy.stats.binom.cdf(M - s - 1, M, pi)
    # 1e-9 relative: the two O(M^2) / series evaluations of a tail of about 1e-1..1e-3
    assert ct.outage.cogc(net) == pytest.approx(ref, rel=1e-9)


# ----------------------------------------------------------------------------- GC+ ring route
@pytest.mark.parametrize("M", [5, 6, 7])
def test_ring_route_agrees_with_enumeration(M):
    rng = np.random.default_rng(M)
    net = _net(M, 2, uplink_erasure=rng.uniform(0.01, 0.3, M),
               link_erasure=rng.uniform(0.01, 0.3, (M, M)), construction="orthonormal")
    assert ct.outage.explain(net, "gcplus").name == "ring"
    ref = ct.outage.gcplus(net, route="enumeration")
    assert abs(ct.outage.gcplus(net) - ref) <= REL * ref


def test_ring_route_symbolic_equals_the_enumerated_polynomial():
    P, E = sp.symbols("p epsilon")
    net = _net(6, 2, uplink_erasure=P, link_erasure=E, construction="orthonormal")
    ring = ct.outage.gcplus(net, symbolic=True)
    assert sp.expand(ring - ct.outage.gcplus_polynomial(net)) == 0


def test_ring_route_only_for_generic_codes_and_tabulated_bandwidths():
    s1 = _net(30, 1, construction="generic")
    assert ct.outage.explain(s1, "gcplus").name == "ring-s1"        # existing route first
    assert ct.outage.gcplus(s1, route="ring") == pytest.approx(ct.outage.gcplus(s1), rel=REL)
    bare = ct.CooperativeNetwork(codes.cyclic_repetition(6, 2), 0.05, 0.05)
    assert ct.outage.explain(bare, "gcplus").name == "enumeration"
    with pytest.raises(ValueError, match="route.*ring.*not known to be generic"):
        ct.outage.gcplus(bare, route="ring")
    with pytest.raises(ValueError, match="ring: no full-recovery automaton for s=3"):
        ct.outage.gcplus(_net(40, 3, construction="generic"))


def test_ring_route_at_scale_is_fast_and_below_cogc():
    """GC+ fully recovers whenever standard decoding does, so P_out(GC+) <= P_out(CoGC)."""
    net = _net(1000, 2, uplink_erasure=0.001, link_erasure=0.001)
    r = ct.outage.explain(net, "gcplus")
    assert r.name == "ring" and "21" in r.reason and "O(M n^2)" in r.cost
    g, c = ct.outage.gcplus(net), ct.outage.cogc(net)
    assert 0 < g < c < 1


# ----------------------------------------------------------------------------- max-subset
def _effective(B, T, p, e, seed):
    rng = np.random.default_rng(seed)
    M = B.shape[0]
    tau = rng.random((T, M, M)) >= e
    return B * tau, rng.random((T, M)) >= p


def test_gcplus_with_B_beyond_the_enumeration_agrees_with_the_enumeration():
    """M = 18 > max_candidates = 16: the structural route (B= given) against the subset
    enumeration with max_candidates = 20, on patterns sparse enough for it."""
    B = codes.cyclic_repetition(18, 2, seed=3)
    Bt, U = _effective(B, 200, 0.04, 0.04, seed=1)
    ours = ct.decode.gcplus(Bt, U, B=B)
    ref = ct.decode.gcplus(Bt, U, max_candidates=20)
    assert np.array_equal(ours.recovered, ref.recovered) and np.array_equal(ours.full, ref.full)
    err = np.abs(np.einsum("ti,tik->tk", ours.weights, Bt * U[:, :, None]) - ours.target)
    assert err.max() <= ct.decode.ATOL and not ours.downgraded.any()


def test_gcplus_max_subset_at_M150_full_recovery_matches_another_rule():
    """Full recovery (1 in the row space) is the same event for every rule: the structural
    max-subset against the individual rule's decoder, with certificates."""
    B = codes.cyclic_repetition(150, 2)
    Bt, U = _effective(B, 6, 0.01, 0.01, seed=2)
    ours = ct.decode.gcplus(Bt, U, B=B)
    ref = ct.decode.gcplus(Bt, U, rule="individual")
    assert np.array_equal(ours.full, ref.full)
    assert np.all(ours.size >= ref.size)       # e_k for k in K_ind gives 1_{K_ind} in R
    err = np.abs(np.einsum("ti,tik->tk", ours.weights, Bt * U[:, :, None]) - ours.target)
    assert err.max() <= ct.decode.ATOL


def test_gcplus_B_keyword_is_checked():
    B = codes.cyclic_repetition(20, 2)
    with pytest.raises(ValueError, match="only by rule='max-subset'"):
        ct.decode.gcplus(B, np.ones(20, bool), rule="individual", B=B)
    with pytest.raises(ValueError, match="effective matrix"):
        ct.decode.gcplus(B, np.ones(20, bool), B=codes.cyclic_repetition(20, 2, seed=9))
    B30 = codes.cyclic_repetition(30, 2)
    Bt, U = _effective(B30, 1, 0.1, 0.1, seed=0)
    with pytest.raises(ValueError, match="2\\*\\*30 subsets.*pass B="):
        ct.decode.gcplus(Bt[0], U[0])
    r = ct.decode.gcplus(Bt[0], U[0], B=B30)
    assert abs(r.weights @ (Bt[0] * U[0][:, None]) - r.target).max() <= ct.decode.ATOL


def test_training_gcplus_beyond_the_enumeration():
    """M = 30: the max-subset scheme runs; its full-recovery rounds are those of the
    individual scheme on the same link draws (a different decoder)."""
    net = _net(30, 2, uplink_erasure=0.05, link_erasure=0.05)
    a = ct.simulate.train(net, problem="least-squares", scheme="gcplus", rounds=4, trials=3)
    b = ct.simulate.train(net, problem="least-squares", scheme="gcplus-individual", rounds=4,
                          trials=3)
    assert np.array_equal(a.outcome == 2, b.outcome == 2)
    assert np.all(a.recovered_size >= b.recovered_size)


def test_training_gcplus_refuses_wide_bands_naming_the_scheme_that_works():
    net = _net(40, 7, construction="generic")
    with pytest.raises(ValueError, match="gcplus-individual"):
        ct.simulate.train(net, problem="least-squares", scheme="gcplus", rounds=1, trials=1)

