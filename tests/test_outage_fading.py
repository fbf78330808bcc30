"""Fading networks and diversity: leading terms against sympy series of the full outage."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

import cogc_theory as ct
from cogc_theory.outage import fading

SNR = fading.SNR
X = sp.Symbol("x", positive=True)


def _series_leading(expr: sp.Expr, order_max: int = 6) -> tuple[int, sp.Expr]:
    """Leading term of expr(snr = 1/x) by sympy series (independent of the module's route)."""
    e = sp.expand(expr.subs(SNR, 1 / X))
    ser = sp.expand(sp.series(e, X, 0, order_max).removeO())
    poly = sp.Poly(ser, X)
    d, c = min((k[0], v) for k, v in poly.terms() if sp.simplify(v) != 0)
    return d, sp.nsimplify(sp.simplify(c))


@pytest.mark.parametrize("M,s", [(4, 1), (5, 2)])
def test_cogc_diversity_matches_series_and_closed_form(M: int, s: int) -> None:
    net = fading.fading_network(ct.codes.cyclic_repetition(M, s, seed=0), rate=1,
                                uplink_gain=2, link_gain=sp.Rational(1, 2))
    d = fading.diversity(net, "standard")
    # closed form: C(M, s+1) (theta_u + s theta_l)^(s+1), theta = (2^R - 1) / gain
    assert d.order == s + 1
    assert sp.simplify(d.constant - math.comb(M, s + 1) * (sp.Rational(1, 2) + 2 * s)
                       ** (s + 1)) == 0
    order, const = _series_leading(ct.outage.cogc(net, symbolic=True), s + 3)
    assert (order, sp.simplify(const - d.constant)) == (d.order, 0)
    assert sp.simplify(d.coding_gain ** (-d.order) - d.constant) == 0
    assert "diversity" in str(d) and "snr" in d.latex


def test_gcplus_diversity_matches_series_s1_ring() -> None:
    M = 4
    net = fading.fading_network(ct.codes.cyclic_repetition(M, 1, seed=0), rate=1)
    d = fading.diversity(net, "gcplus")
    # independent: series of the s=1 ring closed form with p = eps = 1 - exp(-1/snr)
    e = 1 - sp.exp(-1 / SNR)
    closed = 1 - (1 - e) ** M - M * e * (1 - e) ** (M - 1) * (1 - e) ** (M - 1)
    order, const = _series_leading(closed, 4)
    assert (d.order, sp.simplify(d.constant - const)) == (order, 0)
    dc = fading.diversity(net, "standard")
    assert d.order == dc.order == 2
    assert float(d.coding_gain) > float(dc.coding_gain)        # GC+ is better


def test_path_loss_network_diversity_heterogeneous() -> None:
    pos = [[0, 0], [1, 0], [0, 2]]
    net = fading.fading_network(ct.codes.cyclic_repetition(3, 1, seed=0), positions=pos,
                                ps_position=[0, 3], alpha=2)
    assert not net.is_homogeneous
    for dec, expr in (("standard", ct.outage.cogc(net, symbolic=True)),
                      ("gcplus", ct.outage.gcplus(net, symbolic=True))):
        d = fading.diversity(net, dec)
        order, const = _series_leading(expr, 4)
        assert d.order == order
        assert sp.simplify(d.constant - const) == 0
        assert d.constant.is_Rational                       # exact: sqrt distances squared


def test_numeric_snr_gives_numbers_and_errors() -> None:
    B = ct.codes.cyclic_repetition(4, 1, seed=0)
    net = fading.fading_network(B, snr=20.0, rate=1)
    assert not net.is_symbolic
    assert ct.outage.cogc(net) == pytest.approx(
        ct.outage.cogc(fading.fading_network(B, rate=1).subs({SNR: 20.0})), rel=1e-12)
    with pytest.raises(ValueError, match="ps_position"):
        fading.fading_network(B, positions=np.zeros((4, 2)))
    with pytest.raises(ValueError, match="decoder"):
        fading.diversity(fading.fading_network(B), "magic")
    fixed = ct.CooperativeNetwork(B, 1 - sp.exp(-1 / SNR), sp.Rational(1, 10))
    assert fading.diversity(fixed, "standard").order == 0     # links never improve
    stuck = ct.CooperativeNetwork(B, 1 - sp.exp(-1 / SNR), 1 / (2 + 1 / SNR))
    with pytest.raises(ValueError, match="vanish"):
        fading.diversity(stuck, "standard", snr=SNR)


def test_fading_network_checks_B() -> None:
    with pytest.raises(TypeError, match="B"):
        fading.fading_network(None)
    with pytest.raises(ValueError, match="B"):
        fading.fading_network(np.zeros((2, 3)))


def test_diversity_checks_snr_and_erasures() -> None:
    p, e = sp.symbols("p epsilon")
    sym = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=p, link_erasure=e)
    with pytest.raises(ValueError, match="epsilon.*snr=p"):
        fading.diversity(sym, snr=p)             # epsilon is not a function of p
    B = ct.codes.cyclic_repetition(4, 1, seed=0)
    net = fading.fading_network(B, rate=1)
    with pytest.raises(TypeError, match="snr"):
        fading.diversity(net, snr="snr")
    with pytest.raises(ValueError, match="snr"):
        fading.diversity(net, snr=sp.Symbol("q"))
    mixed = ct.CooperativeNetwork(B, 1 - sp.exp(-1 / SNR), e)
    with pytest.raises(ValueError, match="epsilon"):
        fading.diversity(mixed, snr=SNR)
    # an erasure that is the bare symbol itself grows with it: no diversity, said clearly
    with pytest.raises(ValueError, match="vanish"):
        fading.diversity(ct.CooperativeNetwork(B, p, 0), snr=p)
    d = fading.diversity(net, snr=SNR)             # explicit snr: as before
    assert d.order == 2 and "diversity" in str(d)
