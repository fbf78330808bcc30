"""Channel models: Rayleigh block fading erasures and path loss from positions."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
import sympy as sp

from cogc_theory import channels


def test_rayleigh_erasure_formula_numeric_and_symbolic() -> None:
    snr = sp.Symbol("snr", positive=True)
    for R in (0.5, 1, 2):
        expr = channels.rayleigh_erasure(snr, rate=R)
        for g in (0.3, 1.0, 10.0, 1e4):
            expect = 1 - np.exp(-(2.0**R - 1) / g)
            assert channels.rayleigh_erasure(g, rate=R) == pytest.approx(expect, rel=1e-14)
            assert float(expr.subs(snr, g)) == pytest.approx(expect, rel=1e-12)
    assert channels.rayleigh_erasure(snr, rate=2) == 1 - sp.exp(-3 / snr)
    # first-order expansion: (2^R - 1) / snr
    x = sp.Symbol("x", positive=True)
    ser = sp.series(channels.rayleigh_erasure(1 / x, rate=3), x, 0, 2).removeO()
    assert sp.simplify(ser - 7 * x) == 0


def test_rayleigh_erasure_vectorised_and_accurate_at_high_snr() -> None:
    g = np.array([1.0, 1e8, 1e20])
    e = channels.rayleigh_erasure(g, rate=1.0)
    assert e.shape == (3,)
    assert e[2] == pytest.approx(1e-20, rel=1e-12)      # expm1, no cancellation


def test_rayleigh_erasure_matches_sampled_fading() -> None:
    """|h|^2 ~ Exp(1): the empirical outage frequency passes a binomial test (alpha = 1e-6)."""
    rng = np.random.default_rng(7)
    n = 200_000
    for snr, R in ((2.0, 1.0), (10.0, 2.0)):
        h2 = rng.exponential(1.0, n)
        k = int(np.sum(np.log2(1 + h2 * snr) < R))
        p = float(channels.rayleigh_erasure(snr, rate=R))
        assert scipy.stats.binomtest(k, n, p).pvalue > 1e-6


def test_path_loss_and_positions() -> None:
    X = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])
    ps = np.array([0.0, -2.0])
    p, eps = channels.erasures_from_positions(X, ps, 50.0, rate=1.0, alpha=2.5, link_rate=2.0)
    assert p.shape == (3,) and eps.shape == (3, 3)
    assert p[0] == pytest.approx(1 - np.exp(-1 / (50 * 2.0**-2.5)), rel=1e-13)
    assert eps[1, 2] == pytest.approx(1 - np.exp(-3 / (50 * 5.0**-2.5)), rel=1e-13)
    assert np.allclose(eps, eps.T) and np.all(np.diag(eps) == 0)
    snr = sp.Symbol("snr", positive=True)
    ps_, es_ = channels.erasures_from_positions(X, ps, snr, rate=1, alpha=2.5, link_rate=2)
    assert float(es_[1, 2].subs(snr, 50)) == pytest.approx(eps[1, 2], rel=1e-12)
    assert float(ps_[2].subs(snr, 50)) == pytest.approx(p[2], rel=1e-12)
    assert channels.path_loss(2.0, alpha=3) == pytest.approx(1 / 8)
    assert channels.mean_snr(10.0, 2.0, alpha=2) == pytest.approx(2.5)


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="snr"):
        channels.rayleigh_erasure(-1.0)
    with pytest.raises(ValueError, match="rate"):
        channels.rayleigh_erasure(1.0, rate=0)
    with pytest.raises(TypeError, match="rate"):
        channels.rayleigh_erasure(1.0, rate="1")
    with pytest.raises(ValueError, match="distinct"):
        channels.erasures_from_positions([[0, 0], [0, 0]], [1, 1], 10.0)
    with pytest.raises(ValueError, match="ps_position"):
        channels.erasures_from_positions([[0, 0], [1, 0]], [1, 1, 1], 10.0)
    with pytest.raises(ValueError, match="positions"):
        channels.erasures_from_positions([0, 1], [1], 10.0)
    with pytest.raises(ValueError, match="distance"):
        channels.path_loss(0.0)
    with pytest.raises(ValueError, match="rate must be at most"):
        channels.rayleigh_erasure(10.0, rate=5000)
    with pytest.raises(TypeError, match="snr"):
        channels.rayleigh_erasure(True)
    with pytest.raises(ValueError, match="snr"):
        channels.mean_snr(-10.0, 2.0)


@pytest.mark.parametrize("call, exc, match", [
    # text is not a number (numpy would parse "10")
    (lambda: channels.rayleigh_erasure("10"), TypeError, "snr must be .*not text"),
    (lambda: channels.path_loss("2"), TypeError, "distance must be .*not text"),
    (lambda: channels.mean_snr("10", 2.0), TypeError, "snr must be .*not text"),
    (lambda: channels.erasures_from_positions([["0", "0"], ["1", "0"]], [5, 5], 10.0),
     TypeError, "positions must be .*not text"),
    # beyond the float range: was OverflowError
    (lambda: channels.rayleigh_erasure(10**400), ValueError, "snr has an entry beyond"),
    # imaginary or negative sympy input: was a complex or > 1 "probability"
    (lambda: channels.path_loss(sp.I), ValueError, "distance must be positive"),
    (lambda: channels.path_loss(sp.Integer(-2)), ValueError, "distance must be positive"),
    (lambda: channels.rayleigh_erasure(-sp.Symbol("snr", positive=True)), ValueError,
     "snr must be a positive real expression"),
    (lambda: channels.rayleigh_erasure(sp.Symbol("x") + sp.I), ValueError,
     "snr must be a positive real expression"),
    # overflow: was a RuntimeWarning and an infinite gain
    (lambda: channels.path_loss(1e-300), ValueError, "overflows the float range"),
    (lambda: channels.mean_snr(1e300, 1e-100), ValueError, "overflows the float range"),
])
def test_bad_inputs_found_by_the_fuzz_test(call, exc, match) -> None:
    with pytest.raises(exc, match=match):
        call()


def test_positions_far_from_the_origin_keep_their_distances() -> None:
    """Coordinates of 1e300 have distances of 1e300 (the squared norm overflowed and warned):
    scaling positions and d0 together leaves every erasure probability unchanged."""
    X = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])
    ps = np.array([0.0, -2.0])
    p, eps = channels.erasures_from_positions(X, ps, 50.0, alpha=2.5)
    p2, eps2 = channels.erasures_from_positions(X * 1e300, ps * 1e300, 50.0, alpha=2.5,
                                                d0=1e300)
    # same ratios d/d0 up to one rounding of each coordinate and of the scaled norm
    assert np.allclose(p2, p, rtol=1e-13, atol=0) and np.allclose(eps2, eps, rtol=1e-13, atol=0)
