"""Exact outage by structure (``cogc_theory.outage._routes``), against enumeration.

Independent routes: the structured answers (blocks, threshold, the s = 1 ring) are compared
with ``route="enumeration"`` / ``route="family"``, which classify every client state with the
row-space rule (and the exact rational path where ``B`` is rational), on the same networks.
Floats agree to 1e-12 relative (both are sums of at most a few thousand products of
probabilities; the error of each is below 1e-14); Fractions agree exactly.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

import cogc_theory as ct
from cogc_theory.outage import _routes

REL = 1e-12


def _rational_erasures(M, seed):
    rng = np.random.default_rng(seed)
    p = [sp.Rational(int(x), 40) for x in rng.integers(1, 12, M)]
    eps = sp.Matrix(M, M, [sp.Rational(int(x), 40) for x in rng.integers(1, 12, M * M)])
    return p, eps


def _block_diagonal(*blocks):
    M = sum(b.shape[0] for b in blocks)
    B = sp.zeros(M, M)
    i = 0
    for b in blocks:
        n = b.shape[0]
        B[i:i + n, i:i + n] = b
        i += n
    return B


def _nets():
    """Networks with independent blocks: fractional codes and a mixed block-diagonal B."""
    out = []
    for M, s in ((4, 1), (6, 2), (6, 1)):
        p, eps = _rational_erasures(M, M + s)
        out.append(ct.CooperativeNetwork(ct.codes.fractional_repetition(M, s, exact=True),
                                         p, eps))
    mixed = _block_diagonal(ct.codes.cyclic_repetition(3, 1, seed=1, exact=True),
                            ct.codes.fractional_repetition(2, 1, exact=True),
                            ct.codes.cyclic_repetition(3, 2, seed=0, exact=True))
    p, eps = _rational_erasures(8, 7)
    out.append(ct.CooperativeNetwork(mixed, p, eps))
    return out


@pytest.mark.parametrize("net", _nets(), ids=lambda n: f"M={n.M}")
def test_blocks_route_equals_enumeration(net):
    assert ct.outage.explain(net, "gcplus").name == "blocks"
    assert ct.outage.cogc(net) == pytest.approx(ct.outage.cogc(net, route="family"), rel=REL)
    assert ct.outage.gcplus(net) == pytest.approx(ct.outage.gcplus(net, route="enumeration"),
                                                  rel=REL)
    a = ct.outage.gcplus_distribution(net, exact=True)
    b = ct.outage.gcplus_distribution(net, exact=True, route="enumeration")
    assert a.route == "blocks" and b.route == "enumeration"
    assert a.full == b.full and a.no_full == b.no_full
    for rule in ("max-subset", "individual"):
        assert list(a.size_pmf[rule]) == list(b.size_pmf[rule]), rule
        assert a.total[rule] == b.total[rule] and a.partial[rule] == b.partial[rule]


def test_blocks_route_symbolic_equals_enumeration():
    p, e = sp.symbols("p epsilon")
    net = ct.CooperativeNetwork.fractional(6, 2, uplink_erasure=p, link_erasure=e)
    for fn, enum in ((ct.outage.cogc, "family"), (ct.outage.gcplus, "enumeration")):
        diff = fn(net, symbolic=True) - fn(net, symbolic=True, route=enum)
        assert sp.expand(diff) == 0


def test_fractional_blocks_closed_form_at_large_M():
    """FRC(300, 2): a block of 3 all-ones rows decodes (CoGC) iff one client contributes, so
    P_out = 1 - (1 - (1 - pi)^3)^100 with pi = (1 - p)(1 - eps)^2; no enumeration of 2^300."""
    p, e = 0.1, 0.2
    net = ct.CooperativeNetwork.fractional(300, 2, uplink_erasure=p, link_erasure=e)
    pi = (1 - p) * (1 - e) ** 2
    assert ct.outage.cogc(net) == pytest.approx(1 - (1 - (1 - pi) ** 3) ** 100, rel=1e-12)
    block = ct.CooperativeNetwork.fractional(3, 2, uplink_erasure=p, link_erasure=e)
    g = ct.outage.gcplus(block, route="enumeration")
    assert ct.outage.gcplus(net) == pytest.approx(1 - (1 - g) ** 100, rel=1e-12)
    d = ct.outage.gcplus_distribution(net)
    assert float(np.sum(d.size_pmf["max-subset"])) == pytest.approx(1.0, abs=1e-12)
    assert d.no_full == pytest.approx(1 - (1 - g) ** 100, rel=1e-12)


@pytest.mark.parametrize("M", [4, 5, 7])
def test_ring_route_equals_enumeration(M):
    """The s = 1 ring with heterogeneous erasures: closed form and transfer matrix against the
    exact enumeration of all 3^M client states."""
    p, eps = _rational_erasures(M, 3 * M)
    net = ct.CooperativeNetwork(ct.codes.cyclic_repetition(M, 1, seed=0, exact=True), p, eps)
    assert ct.outage.explain(net, "gcplus").name == "ring-s1"
    a = ct.outage.gcplus_distribution(net, exact=True)
    b = ct.outage.gcplus_distribution(net, exact=True, route="enumeration")
    assert a.route == "ring-s1" and a.no_full == b.no_full
    for rule in ("max-subset", "individual"):
        assert list(a.size_pmf[rule]) == list(b.size_pmf[rule]), rule
    assert ct.outage.gcplus(net) == pytest.approx(float(b.no_full), rel=REL)
    q, e = sp.symbols("p epsilon")
    sym = net.with_erasures(uplink_erasure=q, link_erasure=e)
    assert sp.expand(ct.outage.gcplus(sym, symbolic=True)
                     - ct.outage.gcplus(sym, symbolic=True, route="enumeration")) == 0


def test_non_generic_ring_is_not_routed():
    """A ring whose kernel vector has a zero-sum arc (h = (1, -1, 1, -1)): an absent client
    can leave a block whose indicator is decodable, so the closed form does not apply; auto
    falls back to enumeration, and forcing the ring route names the reason."""
    h = [1, -1, 1, -1]
    B = sp.zeros(4, 4)
    for m in range(4):                                 # row m = (h_{m+1}, -h_m) on {m, m+1}
        B[m, m], B[m, (m + 1) % 4] = h[(m + 1) % 4], -h[m]
    net = ct.CooperativeNetwork(B, uplink_erasure=sp.Rational(1, 5),
                                link_erasure=sp.Rational(1, 10))
    ok, why = _routes.ring_s1_full_applies(net)
    assert not ok and "sums to zero" in why
    assert ct.outage.explain(net, "gcplus").name == "enumeration"
    with pytest.raises(ValueError, match="route.*ring-s1.*sums to zero"):
        ct.outage.gcplus(net, route="ring-s1")
    closed = float(ct.outage.structure.ring_s1_outage(net))
    assert ct.outage.gcplus(net) < closed - 1e-3        # the closed form would be wrong here


def test_threshold_known_by_construction_skips_verification():
    B = ct.codes.cyclic_repetition(10, 2)          # a bare matrix: the family is tabulated
    net = ct.CooperativeNetwork(B, uplink_erasure=0.1, link_erasure=0.05)
    assert ct.outage.explain(net, "cogc").name == "family"
    net.threshold = 8
    assert ct.outage.explain(net, "cogc").name == "threshold"
    assert ct.outage.cogc(net) == pytest.approx(ct.outage.cogc(net, route="family"), rel=REL)


def test_refusals_name_the_reason_and_monte_carlo():
    net = ct.CooperativeNetwork.cyclic(30, 3, uplink_erasure=0.1, link_erasure=0.1,
                                       construction="orthonormal")
    with pytest.raises(ValueError, match=r"no exact route.*ring-s1: B is not the s = 1 ring"
                                         r".*ring: no full-recovery automaton for s=3"
                                         r".*ct\.simulate\.outage"):
        ct.outage.gcplus(net)
    with pytest.raises(ValueError, match="route must be 'auto' or one of"):
        ct.outage.gcplus(net, route="magic")
    with pytest.raises(ValueError, match="route.*blocks.*connected"):
        ct.outage.cogc(net, route="blocks")
    with pytest.raises(ValueError, match="what must be one of"):
        ct.outage.explain(net, "bounds")


def test_explain_reads_as_text():
    net = ct.CooperativeNetwork.fractional(30, 2, uplink_erasure=0.1, link_erasure=0.1)
    text = str(ct.outage.explain(net, "distribution", rules=("individual",)))
    assert "route 'blocks'" in text and "10 x" in text and "enumeration" in text


def test_union_of_failures_keeps_tiny_probabilities():
    """1 - prod(1 - P_b) for P_b = 1e-20: the naive form gives 0."""
    assert _routes.union_of_failures([1e-20] * 10, False) == pytest.approx(1e-19, rel=1e-12)
    assert _routes.convolve([np.array([0.5, 0.5])] * 3, False).tolist() == \
        [0.125, 0.375, 0.375, 0.125]
    half = Fraction(1, 2)
    assert list(_routes.convolve([np.array([half, half], dtype=object)] * 2, True)) == \
        [Fraction(1, 4), Fraction(1, 2), Fraction(1, 4)]
