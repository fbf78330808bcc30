"""Link sampling (cogc_theory.simulate.links).

Statistical tests are two-sided binomial tests; each test function states its false-alarm
rate (Bonferroni over the channels it checks). Seeds are fixed, so a pass is reproducible.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from scipy.stats import binomtest

import cogc_theory as ct
from cogc_theory.channels import rayleigh_erasure
from cogc_theory.network import GilbertElliott
from cogc_theory.simulate.links import LinkDraw, LinkModel, sample_rayleigh

ALPHA = 1e-4  # family-wise false-alarm rate of each statistical test function


def _hetero_net(**kw):
    B = ct.codes.cyclic_repetition(6, 2, seed=1)
    rng = np.random.default_rng(5)
    p = rng.uniform(0.05, 0.4, 6)
    eps = rng.uniform(0.05, 0.4, (6, 6))
    if kw.get("reciprocal"):
        eps = (eps + eps.T) / 2
    return ct.CooperativeNetwork(B, uplink_erasure=p, link_erasure=eps, **kw)


def _binom_ok(k: int, n: int, prob: float, alpha: float) -> bool:
    return binomtest(int(k), int(n), prob).pvalue > alpha


def test_channel_count_and_layout():
    """Uplinks come first, then one channel per used link; reciprocal pairs share one."""
    net = _hetero_net()
    model = LinkModel(net)
    assert model.C == 6 + int(net.link_used.sum())
    p, eps = net.numeric()
    np.testing.assert_array_equal(model.erasure[:6], p)           # stored as given: exact
    for c, (m, k) in enumerate(model.links):
        assert net.link_used[m, k]
        assert model.erasure[6 + c] == eps[m, k]
    rec = LinkModel(_hetero_net(reciprocal=True))
    pairs = {frozenset((m, k)) for m, k in zip(*np.nonzero(net.link_used), strict=True)}
    assert rec.C == 6 + len(pairs)


def test_draw_structure():
    """Diagonal links always succeed, unused links are False, complete = all needed links."""
    net = _hetero_net()
    d = LinkModel(net).draw(np.random.default_rng(0), (500,))
    assert d.tau.shape == (500, 6, 6) and d.u.shape == (500, 6)
    assert d.tau[:, np.arange(6), np.arange(6)].all()
    unused = ~net.support
    assert not d.tau[:, unused].any()
    naive = np.array([[all(d.tau[t, m, k] for k in net.neighbors(m)) for m in range(6)]
                      for t in range(500)])
    np.testing.assert_array_equal(d.complete, naive)
    np.testing.assert_array_equal(d.received, naive & d.u)
    np.testing.assert_array_equal(d.effective(net.B), net.B * d.tau)   # x * 0/1: exact
    assert isinstance(d[3:7], LinkDraw) and d[3:7].shape == (4,)


def test_uniform_consumption_makes_draws_prefix_stable():
    """A draw consumes exactly prod(shape)*C uniforms, row-major: the first n of 2n trials
    equal a draw of n trials from the same seed, and the generator ends in the same state."""
    model = LinkModel(_hetero_net())
    a = model.draw(np.random.default_rng(7), (40,))
    b = model.draw(np.random.default_rng(7), (80,))
    np.testing.assert_array_equal(a.tau, b.tau[:40])
    np.testing.assert_array_equal(a.u, b.u[:40])
    r1, r2 = np.random.default_rng(3), np.random.default_rng(3)
    model.draw(r1, (5, 4))
    r2.random(20 * model.C)
    assert r1.random() == r2.random()


@pytest.mark.parametrize("reciprocal", [False, True])
def test_marginals(reciprocal):
    """Every channel succeeds with probability 1 - e_c (binomial tests, FWER <= 1e-4 per case
    by Bonferroni over channels); reciprocal draws are symmetric."""
    net = _hetero_net(reciprocal=reciprocal)
    model = LinkModel(net)
    n = 40_000
    d = model.draw(np.random.default_rng(11), (n,))
    p, eps = net.numeric()
    checks = [(int(d.u[:, m].sum()), 1 - p[m]) for m in range(6)]
    checks += [(int(d.tau[:, m, k].sum()), 1 - eps[m, k])
               for m, k in zip(*np.nonzero(net.link_used), strict=True)]
    for k, prob in checks:
        assert _binom_ok(k, n, prob, ALPHA / len(checks))
    if reciprocal:
        both = net.link_used & net.link_used.T
        np.testing.assert_array_equal(d.tau[:, both], np.swapaxes(d.tau, 1, 2)[:, both])


def test_independent_links_are_not_symmetric():
    """Without reciprocity tau[m,k] and tau[k,m] are independent draws (they differ sometimes)."""
    B = np.ones((3, 3))
    net = ct.CooperativeNetwork(B, uplink_erasure=0.0, link_erasure=0.5)
    d = LinkModel(net).draw(np.random.default_rng(0), (200,))
    assert (d.tau[:, 0, 1] != d.tau[:, 1, 0]).any()


def test_log_prob_matches_product():
    """log_prob is the log of the product of per-channel probabilities."""
    model = LinkModel(_hetero_net())
    ok = model.sample_channels(np.random.default_rng(2), (10,))
    e = model.erasure
    direct = np.array([math.log(np.prod(np.where(row, 1 - e, e))) for row in ok])
    np.testing.assert_allclose(model.log_prob(ok), direct, rtol=1e-12)
    tilted = np.clip(2 * e, 0, 0.9)
    direct_t = np.array([math.log(np.prod(np.where(row, 1 - tilted, tilted))) for row in ok])
    np.testing.assert_allclose(model.log_prob(ok, erasure=tilted), direct_t, rtol=1e-12)


def test_gilbert_elliott_stationary_and_bursty():
    """With memory each round keeps its marginal (binomial test on round 5), and a link erased
    in one round stays erased with probability 1 - 1/mean_burst (binomial test); FWER 1e-4."""
    B = ct.codes.cyclic_repetition(4, 1, seed=0)
    net = ct.CooperativeNetwork(B, uplink_erasure=0.2, link_erasure=0.3,
                                memory=GilbertElliott(mean_burst=4.0))
    model = LinkModel(net)
    ok = model.sample_channel_rounds(np.random.default_rng(4), 6, (20_000,))
    assert ok.shape == (6, 20_000, model.C)
    up = ok[5, :, 0]
    assert _binom_ok(int(up.sum()), up.size, 0.8, ALPHA / 3)
    bad_prev, bad_next = ~ok[4, :, 4], ~ok[5, :, 4]
    n = int(bad_prev.sum())
    assert _binom_ok(int((bad_next & bad_prev).sum()), n, 1 - 1 / 4.0, ALPHA / 3)
    # the memoryless model would give P(stay bad) = 0.3: the chain is clearly bursty
    assert not _binom_ok(int((bad_next & bad_prev).sum()), n, 0.3, ALPHA / 3)


def test_no_memory_rounds_are_iid_draws():
    """Without memory, draw_rounds equals one draw with a leading rounds axis."""
    model = LinkModel(_hetero_net())
    a = model.draw_rounds(np.random.default_rng(9), 3, (5,))
    b = model.draw(np.random.default_rng(9), (3, 5))
    np.testing.assert_array_equal(a.tau, b.tau)


def test_sample_rayleigh_matches_erasure_formula():
    """Drawn exponential gains give the erasure probability 1 - exp(-(2^R-1)/snr)
    (binomial tests, FWER 1e-4)."""
    snr = np.array([1.0, 3.0, 10.0])
    ok = sample_rayleigh(snr, 1.5, np.random.default_rng(0), (30_000,))
    for j, g in enumerate(snr):
        e = float(rayleigh_erasure(g, 1.5))
        assert _binom_ok(int((~ok[:, j]).sum()), ok.shape[0], e, ALPHA / 3)


def test_errors():
    """Bad input names the argument."""
    p, eps = sp.symbols("p epsilon")
    sym = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=p, link_erasure=eps)
    with pytest.raises(ValueError, match="subs"):
        LinkModel(sym)
    with pytest.raises(TypeError, match="net"):
        LinkModel(np.eye(3))
    model = LinkModel(_hetero_net())
    with pytest.raises(ValueError, match="erasure"):
        model.sample_channels(0, (3,), erasure=[0.1])
    with pytest.raises(ValueError, match="erasure"):
        model.sample_channels(0, (3,), erasure=np.full(model.C, 1.5))
    with pytest.raises(TypeError, match="shape"):
        model.draw(0, "abc")
    with pytest.raises(ValueError, match="snr"):
        sample_rayleigh([0.0], 1.0, 0)
    with pytest.raises(ValueError, match="rate"):
        sample_rayleigh([1.0], -1.0, 0)
    with pytest.raises(ValueError, match="ok"):
        model.to_draw(np.ones((2, 3), dtype=bool))
    with pytest.raises(TypeError, match="ok must hold channel outcomes"):
        model.log_prob(np.full(model.C, 0.5))
    with pytest.raises(TypeError, match="ok must hold channel outcomes"):
        model.to_draw(np.array(["yes"] * model.C))
    ones = np.ones(model.C, dtype=int)                  # 0/1 integers are accepted
    assert model.log_prob(ones) == model.log_prob(ones.astype(bool))
