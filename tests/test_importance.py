"""Importance sampling of rare outages (cogc_theory.simulate.importance).

Exact outage values come from ct.outage (closed forms / client-state enumeration). Statistical
tests state their false-alarm rate ALPHA = 1e-4 per test function (Bonferroni inside); an
importance-sampling estimate is compared with a z-test |est - exact| / se against the normal
quantile, which rests on the central limit theorem for the weighted sample (n >= 10^4 rounds
with effective sample sizes in the hundreds or more).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from _rounding import ELEMENTWISE, U, gamma
from scipy.stats import binomtest, norm, ttest_1samp

import cogc_theory as ct
from cogc_theory.simulate.importance import choose_tilt, importance_outage, likelihood_ratio
from cogc_theory.simulate.links import LinkModel
from cogc_theory.simulate.montecarlo import ImportanceEstimate, OutageSystem, outage

ALPHA = 1e-4


def _z_ok(est, exact, alpha):
    return abs(est.estimate - exact) / est.std_error < norm.ppf(1 - alpha / 2)


def _same_run_bound(est):
    """Largest difference between the estimates of two runs with the same draws that round
    differently (likelihood ratios computed for other batch shapes).

    Each weight is w = exp(sum_c log p_c - sum_c log q_c), C terms a side: two evaluations
    differ relatively by at most 2 gamma_C sum_c max|log| (the two sums) plus exp's and log's
    few ulps; the estimate, a chunk-merged mean of the positive x_i = w_i F_i over n trials,
    moves relatively by at most as much as its largest term, plus its own 2 gamma_n and a few
    u per chunk merge (rounding bounds: tests/_rounding.py)."""
    e, t = est.nominal, est.tilt
    logs = np.abs(np.log(np.stack([e, 1 - e, t, 1 - t])))
    per_weight = 2 * gamma(e.size) * float(logs.max(axis=0).sum()) * 2 + 4 * ELEMENTWISE
    return est.estimate * (per_weight + 2 * gamma(est.trials) + 8 * U * est.chunks)


def _hetero(M, s, seed, lo, hi, **kw):
    rng = np.random.default_rng(seed)
    return ct.CooperativeNetwork.cyclic(M, s, uplink_erasure=rng.uniform(lo, hi, M),
                                        link_erasure=rng.uniform(lo, hi, (M, M)), **kw)


# ----------------------------------------------------------------------------- exact identity
@pytest.mark.parametrize("decoder", ["standard", "gcplus"])
def test_weights_are_exact_likelihood_ratios(decoder):
    """Over all 2^C channel patterns: w = P/Q, and E_Q[w F] equals the exact outage."""
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.03, link_erasure=0.07)
    system = OutageSystem(net, decoder)
    model = system.model
    e = model.erasure
    tilt = np.linspace(0.2, 0.45, model.C)
    ok = np.array(list(itertools.product((False, True), repeat=model.C)))
    P = np.prod(np.where(ok, 1 - e, e), axis=1)
    Q = np.prod(np.where(ok, 1 - tilt, tilt), axis=1)
    w = likelihood_ratio(model, ok, tilt)
    np.testing.assert_allclose(w, P / Q, rtol=1e-12)
    fail, _ = system.failures(ok)
    exact = ct.outage.cogc(net) if decoder == "standard" else ct.outage.gcplus(net)
    assert np.sum(Q * w * fail) == pytest.approx(exact, rel=1e-12)


# ----------------------------------------------------------------------------- unbiasedness
IS_CASES = [
    ("cyclic5 auto", lambda: ct.CooperativeNetwork.cyclic(5, 1, uplink_erasure=0.01,
                                                          link_erasure=0.02), "auto"),
    ("hetero6 scale", lambda: _hetero(6, 2, 1, 1e-3, 1e-2), 25.0),
    ("fractional6 auto", lambda: ct.CooperativeNetwork.fractional(6, 2, uplink_erasure=0.004,
                                                                  link_erasure=0.002), "auto"),
    ("hetero5 array", lambda: _hetero(5, 2, 2, 5e-3, 2e-2), "array"),
]


def test_importance_unbiased_on_known_cases():
    """IS estimates (standard and GC+) match exact outages: z-tests, alpha = 1e-4 / 8 each.

    Tilts: the pilot's "auto", a uniform scaling, and an explicit per-channel array that
    lowers some channels below their nominal erasure (still absolutely continuous).
    """
    n_tests = 2 * len(IS_CASES)
    for i, (name, make, tilt) in enumerate(IS_CASES):
        net = make()
        if tilt == "array":
            e = LinkModel(net).erasure
            tilt = np.clip(e * np.random.default_rng(i).uniform(0.5, 30, e.shape), 0, 0.5)
        for decoder, exact_fn in (("standard", ct.outage.cogc), ("gcplus", ct.outage.gcplus)):
            exact = float(exact_fn(net))
            est = importance_outage(net, decoder, trials=30_000, seed=10 + i, tilt=tilt)
            assert isinstance(est, ImportanceEstimate)
            assert est.ess > 200, (name, decoder, est.ess)
            assert _z_ok(est, exact, ALPHA / n_tests), (name, decoder, est.estimate, exact)


def test_replications_unbiased_and_intervals_honest():
    """300 independent IS runs: their mean is unbiased (t-test) and the 90% intervals cover
    the exact value at least 90% of the time (one-sided binomial test, no over-confidence).

    Two tests at alpha = 1e-4 / 2 each.
    """
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.02, link_erasure=0.02)
    exact = ct.outage.cogc(net)
    ests, covered = [], 0
    for r in range(300):
        est = importance_outage(net, "standard", trials=2_000, seed=r, tilt=10.0, chunk=500)
        lo, hi = est.ci(0.9)
        covered += lo < exact < hi
        ests.append(est.estimate)
    assert ttest_1samp(ests, exact).pvalue > ALPHA / 2
    assert binomtest(covered, 300, 0.9, alternative="less").pvalue > ALPHA / 2


def test_tilt_one_is_plain_monte_carlo():
    """tilt=1.0 samples the nominal law: same rounds, failures and estimate as outage()."""
    net = ct.CooperativeNetwork.cyclic(5, 2, uplink_erasure=0.2, link_erasure=0.1)
    for decoder in ("standard", "gcplus"):
        a = outage(net, decoder, trials=30_000, seed=4)
        b = importance_outage(net, decoder, trials=30_000, seed=4, tilt=1.0)
        assert (a.failures, a.trials) == (b.failures, b.trials)
        # k/n vs the chunk-merged mean of the same 0/1 values: a few u per merge apart
        assert b.estimate == pytest.approx(a.estimate, rel=1e-12)
        # tilt 1 gives the nominal probabilities exactly (1.0 * e), so log P - log Q is
        # x - x = 0 and every weight exp(0) = 1 exactly
        np.testing.assert_array_equal(b.failure_patterns.weights, 1.0)


# ----------------------------------------------------------------------------- rare events
def test_outage_near_1e9_to_ten_percent():
    """Cyclic M=10, s=2, P_out ~ 1.1e-9: +-10% (95%) in under 10^6 rounds, pilot included.

    Plain Monte Carlo would need about (1.96 / 0.1)^2 / P_out ~ 3.5e11 rounds. The estimate
    matches ct.outage.cogc by a z-test at alpha = 1e-4.
    """
    net = ct.CooperativeNetwork.cyclic(10, 2, uplink_erasure=7e-5, link_erasure=7e-5)
    exact = ct.outage.cogc(net)
    assert 5e-10 < exact < 2e-9
    est = importance_outage(net, "standard", seed=0, rel_error=0.1, max_trials=10**6)
    assert est.status == "rel. error" and est.rel_error(0.95) <= 0.1
    assert est.trials + est.pilot_trials < 10**6
    assert _z_ok(est, exact, ALPHA)


@pytest.mark.slow
def test_gcplus_outage_near_1e9():
    """GC+ no-full-recovery at ~7.6e-10 (M=10, s=2): +-10% and a z-test at alpha = 1e-4.

    Slow: the exact value enumerates 5^10 client states.
    """
    net = ct.CooperativeNetwork.cyclic(10, 2, uplink_erasure=7e-5, link_erasure=7e-5)
    exact = ct.outage.gcplus(net)
    est = importance_outage(net, "gcplus", seed=0, rel_error=0.1, max_trials=10**6)
    assert est.status == "rel. error" and est.rel_error() <= 0.1
    assert _z_ok(est, exact, ALPHA)


@pytest.mark.parametrize("decoder, s, route", [
    ("standard", 5, "threshold"),
    pytest.param("gcplus", 2, "ring", marks=pytest.mark.slow)])
def test_outage_at_m100_matches_the_structured_route(decoder, s, route):
    """Issue 13: importance sampling works at M = 100 (cyclic code, erasures 1e-3).

    The exact value comes from the structured route (CoGC: the Poisson-binomial tail of the
    threshold family the construction guarantees, P_out ~ 3.4e-5 at s = 5; GC+: the s = 2 ring
    automaton); the estimate reaches +-10 % and matches it by a z-test at alpha = 1e-4.
    """
    net = ct.CooperativeNetwork.cyclic(100, s, uplink_erasure=1e-3, link_erasure=1e-3)
    quantity = "cogc" if decoder == "standard" else "gcplus"
    assert ct.outage.explain(net, quantity).name == route
    exact = getattr(ct.outage, quantity)(net)
    assert 1e-6 < exact < 1e-2
    est = importance_outage(net, decoder, seed=0, rel_error=0.1, max_trials=200_000)
    assert est.status == "rel. error" and est.rel_error(0.95) <= 0.1
    assert _z_ok(est, exact, ALPHA)


# ----------------------------------------------------------------------------- mechanics
def test_independent_of_batch_size_and_pilot_seeds_separate():
    """Same seed: the same result for any batch_size -- the same draws, failures and trials
    exactly, the estimate up to the rounding of the likelihood ratios (other batch shapes);
    the pilot does not shift the main draws (an explicit tilt equal to the auto tilt
    reproduces the auto run)."""
    net = _hetero(6, 2, 3, 1e-3, 5e-3)
    kw = dict(trials=10**6, seed=9, chunk=2_000, rel_error=0.2)
    ref = importance_outage(net, batch_size=1, **kw)
    bound = _same_run_bound(ref)
    assert bound < 1e-9 * ref.estimate         # far below any change of the draws
    for bs in (3, 8):
        est = importance_outage(net, batch_size=bs, **kw)
        assert (est.failures, est.trials) == (ref.failures, ref.trials)
        assert abs(est.estimate - ref.estimate) <= bound
    # the auto tilt is this very call (same pilot draws, same shapes): exactly equal
    t, _ = choose_tilt(OutageSystem(net), 9)
    np.testing.assert_array_equal(t, ref.tilt)
    again = importance_outage(net, tilt=t, **kw)
    assert (again.failures, again.trials) == (ref.failures, ref.trials)
    assert abs(again.estimate - ref.estimate) <= bound


def test_recorded_patterns_carry_their_weights():
    """A recorded failing round fails on re-decoding and its weight is prod (e/e')^... ."""
    net = ct.CooperativeNetwork.cyclic(6, 2, uplink_erasure=0.002, link_erasure=0.004)
    est = importance_outage(net, "standard", trials=5_000, seed=2, max_patterns=20)
    fp = est.failure_patterns
    assert len(fp) == 20
    model = LinkModel(net)
    e, t = est.nominal, est.tilt
    for bits, w in zip(fp.patterns, fp.weights, strict=True):
        assert not ct.decode.standard(net.B, model.to_draw(bits).received).full
        want = math.prod((1 - a) / (1 - b) if x else a / b
                         for x, a, b in zip(bits, e, t, strict=True))
        assert w == pytest.approx(want, rel=1e-10)


def test_zero_outage_has_no_interval():
    """A network that never fails: estimate 0, and ci() refuses rather than claim [0, 0]."""
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.0, link_erasure=0.0)
    est = importance_outage(net, trials=2_000, seed=0, pilot=500)
    assert est.estimate == 0.0 and est.failures == 0 and est.status == "no failures"
    with pytest.raises(ValueError, match="no failing round"):
        est.ci()


@pytest.mark.parametrize("M, s, erasure", [(5, 0, 5e-324), (5, 0, 1e-300), (4, 1, 1e-100),
                                          (4, 1, 5e-324)])
def test_outage_beyond_float64_squares_has_no_interval(M, s, erasure):
    """Erasures of 1e-100 and below (found by the fuzz test): the pilot's relative variance
    divided 0 by 0 (ZeroDivisionError, RuntimeWarning), and the interval of an estimate whose
    squared weights underflow collapsed to a point away from the exact value. Now the run
    finishes, its estimate is exact-order (or 0 when even the weights underflow), and ci()
    refuses, naming the exact route."""
    B = np.eye(M) if s == 0 else ct.codes.cyclic_repetition(M, s)
    net = ct.CooperativeNetwork(B, erasure, erasure)
    est = importance_outage(net, trials=1_000, seed=0, pilot=100)
    exact = float(ct.outage.precision.cogc(net))
    assert est.failures > 0 and 0 <= est.estimate < 1e-150
    # the estimate keeps the order of the exact value (or underflows to 0 with it: 5.9e-646)
    assert est.estimate == 0.0 if exact == 0.0 else 0.5 < est.estimate / exact < 2
    with pytest.raises(ValueError, match="below 1e-150.*ct.outage.precision"):
        est.ci()
    with pytest.raises(ValueError, match="below 1e-150"):
        importance_outage(net, trials=1_000, seed=0, pilot=100, rel_error=0.1)


def test_tiny_erasures_take_a_bounded_number_of_pilot_stages():
    """The scaling search doubled the tilt from 1e-300 to the cap 0.5: about 1000 pilot
    stages (minutes), and lam * 0 on a perfect channel became inf * 0 = NaN (RuntimeWarning)
    once lam overflowed (found by the fuzz test). Now at most MAX_STAGES scaling stages plus
    the cross-entropy stage."""
    from cogc_theory.simulate.importance import MAX_STAGES

    net = ct.CooperativeNetwork(np.eye(5), [1e-300, 0.1, 0.2, 1.0, 0.0], 0.0)
    est = importance_outage(net, trials=200, seed=0, pilot=100)
    # client 3 never arrives: the outage is certain, and every weight is 1
    assert est.estimate == 1.0 and est.pilot_trials <= 2 * 100
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=5e-324, link_erasure=0.0)
    est = importance_outage(net, trials=200, seed=0, pilot=100)
    assert est.pilot_trials <= (MAX_STAGES + 2) * 100


def test_outage_of_1e_minus_119_still_has_an_interval():
    """Above MIN_ESTIMATE the interval is computed and contains the exact value."""
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=1e-60, link_erasure=1e-60)
    lo, hi = importance_outage(net, trials=2_000, seed=0, pilot=500).ci(0.999)
    assert lo <= float(ct.outage.precision.cogc(net)) <= hi


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(tilt="greedy"), ValueError, "tilt"),
    (dict(tilt=0.5), ValueError, ">= 1"),
    (dict(tilt=True), TypeError, "tilt"),
    (dict(tilt=10**400), ValueError, "tilt is beyond the float range"),   # was OverflowError
    (dict(tilt=np.full(3, 0.1)), ValueError, "shape"),
    (dict(tilt=np.zeros(8)), ValueError, "possible"),
    (dict(tilt=np.full(8, 1.5)), ValueError, r"\[0, 1\]"),
    (dict(decoder="ml"), ValueError, "decoder"),
    (dict(min_failures=0), ValueError, "min_failures"),
    (dict(pilot=10), ValueError, "pilot"),
    (dict(pilot=10**9), ValueError, "pilot must be <="),
    (dict(trials=0), ValueError, "trials"),
    (dict(seed=np.random.default_rng(1)), TypeError, "SeedSequence"),
])
def test_bad_arguments(kwargs, exc, match):
    """Bad arguments raise naming the argument and the fix."""
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.1)
    with pytest.raises(exc, match=match):
        importance_outage(net, **kwargs)
