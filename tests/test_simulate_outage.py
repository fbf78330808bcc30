"""Monte Carlo outage of a network (cogc_theory.simulate.montecarlo.outage).

Agreement with exact values is a two-sided binomial test (scipy.stats.binomtest) at a
family-wise false-alarm rate ALPHA = 1e-4, Bonferroni over the cases of the test function.
Exact values come from ct.outage (closed form / enumeration of client states, an independent
code path from sampling + batched float decoding) and, for reciprocal links (which ct.outage
refuses), from an enumeration of every channel pattern written here with Fraction arithmetic.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from scipy.stats import binomtest

import cogc_theory as ct
from cogc_theory.network import GilbertElliott
from cogc_theory.simulate.links import LinkModel
from cogc_theory.simulate.montecarlo import OutageEstimate, OutageSystem, chunk_rng, outage

ALPHA = 1e-4


# ----------------------------------------------------------------------------- oracles
def in_rowspace(rows, target):
    """Whether ``target`` is a rational combination of ``rows`` (Gaussian elimination)."""
    basis: list[tuple[int, list[Fraction]]] = []        # (pivot column, row)

    def reduce(v):
        v = list(v)
        for piv, b in basis:
            if v[piv] != 0:
                f = v[piv] / b[piv]
                v = [x - f * y for x, y in zip(v, b, strict=True)]
        return v

    for r in rows:
        r = reduce(r)
        nz = [i for i, x in enumerate(r) if x != 0]
        if nz:
            basis.append((nz[0], r))
    return all(x == 0 for x in reduce(target))


def reciprocal_outage(B, p, eps, used):
    """(standard, gcplus-no-full) outage with reciprocal links, by enumerating channels.

    One channel per uplink and per unordered pair {m, k} with a used direction; a pair's
    success drives tau[m, k] and tau[k, m]. Probabilities and B as Fractions.
    """
    M = len(B)
    pairs = sorted({(min(m, k), max(m, k)) for m in range(M) for k in range(M) if used[m][k]})
    ones = [Fraction(1)] * M
    std = gcp = Fraction(0)
    for up in itertools.product((0, 1), repeat=M):
        pu = Fraction(1)
        for m in range(M):
            pu *= (1 - p[m]) if up[m] else p[m]
        for bits in itertools.product((0, 1), repeat=len(pairs)):
            prob = pu
            ok = {}
            for (a, b), x in zip(pairs, bits, strict=True):
                e = eps[a][b] if used[a][b] else eps[b][a]
                prob *= (1 - e) if x else e
                ok[a, b] = ok[b, a] = x
            Bt = [[B[m][k] if (k == m or not used[m][k] or ok[m, k]) else 0 for k in range(M)]
                  for m in range(M)]
            complete = [all(ok[m, k] for k in range(M) if used[m][k]) for m in range(M)]
            received = [B[m] for m in range(M) if up[m] and complete[m]]
            if not in_rowspace(received, ones):
                std += prob
            if not in_rowspace([Bt[m] for m in range(M) if up[m]], ones):
                gcp += prob
    return std, gcp


def _reciprocal_net():
    B = ct.codes.cyclic_repetition(4, 2, seed=0, exact=True)
    p = [Fraction(1, 10), Fraction(1, 5), Fraction(3, 20), Fraction(1, 20)]
    e = [[Fraction(0)] * 4 for _ in range(4)]
    vals = iter([Fraction(3, 10), Fraction(1, 4), Fraction(2, 5), Fraction(1, 5),
                 Fraction(7, 20), Fraction(3, 20)])
    for m, k in itertools.combinations(range(4), 2):
        e[m][k] = e[k][m] = next(vals)
    net = ct.CooperativeNetwork(np.array(B.tolist(), dtype=float),
                                uplink_erasure=[float(x) for x in p],
                                link_erasure=np.array(e, dtype=float), reciprocal=True)
    Bq = [[Fraction(int(x.p), int(x.q)) for x in B.row(m)] for m in range(4)]
    used = np.asarray(net.link_used).tolist()
    return net, Bq, p, e, used


def _hetero(M, s, seed, **kw):
    rng = np.random.default_rng(seed)
    return ct.CooperativeNetwork.cyclic(M, s, uplink_erasure=rng.uniform(0.05, 0.3, M),
                                        link_erasure=rng.uniform(0.05, 0.3, (M, M)), **kw)


# ----------------------------------------------------------------------------- agreement
CASES = [
    ("cyclic4", lambda: ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1,
                                                     link_erasure=0.2)),
    ("hetero6", lambda: _hetero(6, 2, 3)),
    ("fractional6", lambda: ct.CooperativeNetwork.fractional(6, 2, uplink_erasure=0.15,
                                                             link_erasure=0.1)),
    ("memory5", lambda: ct.CooperativeNetwork.cyclic(5, 2, uplink_erasure=0.1,
                                                     link_erasure=0.15,
                                                     memory=GilbertElliott(4.0))),
]


def test_mc_outage_agrees_with_exact():
    """MC outage (standard and GC+) matches ct.outage.cogc / ct.outage.gcplus.

    Two-sided binomial test per case, alpha = 1e-4 / 8 each (family-wise 1e-4). Includes a
    general-B (fractional repetition) case and a Gilbert–Elliott memory case, whose one-round
    outage is the memoryless one (stationary start).
    """
    n_tests = 2 * len(CASES)
    for i, (name, make) in enumerate(CASES):
        net = make()
        for decoder, exact in (("standard", ct.outage.cogc), ("gcplus", ct.outage.gcplus)):
            est = outage(net, decoder, trials=200_000, seed=100 + i)
            assert est.trials == 200_000 and est.status in ("max trials", "no failures")
            pval = binomtest(est.failures, est.trials, float(exact(net))).pvalue
            assert pval > ALPHA / n_tests, (name, decoder, est.estimate, exact(net))


def test_mc_outage_reciprocal_links():
    """Reciprocal links: MC matches an exact enumeration over channel patterns (one per pair).

    The reciprocal values differ from the independent-links ones by many standard errors, so
    the test has power to see the coupling. Binomial tests, alpha = 1e-4 / 2 each.
    """
    net, Bq, p, e, used = _reciprocal_net()
    std, gcp = reciprocal_outage(Bq, p, e, used)
    indep = ct.CooperativeNetwork(                # same erasures, links independent
        net.B, uplink_erasure=net.numeric()[0], link_erasure=net.numeric()[1])
    n = 300_000
    for decoder, exact, ind in (("standard", std, ct.outage.cogc(indep)),
                                ("gcplus", gcp, ct.outage.gcplus(indep))):
        exact = float(exact)
        assert abs(exact - ind) > 6 * np.sqrt(exact * (1 - exact) / n)
        est = outage(net, decoder, trials=n, seed=7)
        assert binomtest(est.failures, n, exact).pvalue > ALPHA / 2, (decoder, est, exact)


def test_gcplus_partial_extras_match_distribution():
    """est.mean('total_outage') matches P(K empty) of ct.outage.gcplus_distribution per rule.

    Binomial tests, alpha = 1e-4 / 2 each.
    """
    net = ct.CooperativeNetwork.cyclic(5, 2, uplink_erasure=0.3, link_erasure=0.3)
    dist = ct.outage.gcplus_distribution(net)
    for rule in ("individual", "max-subset"):
        est = outage(net, "gcplus", trials=40_000, seed=4, rule=rule)
        k = int(round(est.mean("total_outage") * est.trials))
        assert binomtest(k, est.trials, float(dist.total[rule])).pvalue > ALPHA / 2


# ----------------------------------------------------------------------------- determinism
@pytest.mark.parametrize("decoder", ["standard", "gcplus"])
def test_outage_independent_of_batch_size(decoder):
    """Same (seed, chunk): identical failures, trials and patterns for any batch_size."""
    net = _hetero(6, 2, 9)
    kw = dict(trials=10**6, seed=5, chunk=2_000, target_failures=300)
    ref = outage(net, decoder, batch_size=1, **kw)
    assert ref.status == "target failures"
    for bs in (2, 3, 16):
        est = outage(net, decoder, batch_size=bs, **kw)
        assert (est.failures, est.trials, est.chunks) == (ref.failures, ref.trials, ref.chunks)
        np.testing.assert_array_equal(est.failure_patterns.patterns,
                                      ref.failure_patterns.patterns)


@pytest.mark.parametrize("decoder", ["standard", "gcplus"])
def test_dense_route_decodes_in_bounded_stacks(monkeypatch, decoder):
    """The dense route splits the distinct rounds into stacks of at most _STACK_BYTES.

    (At M = 300, 40,000 distinct rounds decoded at once took 29 GB and the kernel killed the
    process.) Splitting must not change a decision: the same failures and extras, trial by
    trial, as one stack; and a stack never exceeds the budget.
    """
    import cogc_theory.simulate._fastmc as fm
    import cogc_theory.simulate.outage_mc as om

    # standard decoding takes the erased-rows route up to ERASURES_MAX_M: lift it here
    monkeypatch.setattr(fm, "ERASURES_MAX_M", 0)
    # full support (one block, no band): no structured GC+ route either
    net = ct.CooperativeNetwork(np.ones((6, 6)) + np.eye(6), uplink_erasure=0.2,
                                link_erasure=0.3)
    system = OutageSystem(net, decoder, "max-subset")
    assert system.route == "dense"
    ok = LinkModel(net).sample_channels(np.random.default_rng(3), (500,))
    whole = system.failures(ok)
    seen = []
    real = om.decode.standard if decoder == "standard" else om.decode.gcplus

    def spy(*args, **kw):
        seen.append(np.shape(args[1])[0])
        return real(*args, **kw)

    monkeypatch.setattr(om, "_STACK_BYTES", 8 * 36 * 7)           # 7 matrices of 6 x 6
    monkeypatch.setattr(om.decode, decoder, spy)
    split = system.failures(ok)
    assert len(seen) > 1 and max(seen) <= 7
    np.testing.assert_array_equal(split[0], whole[0])
    assert split[1].keys() == whole[1].keys()
    for name in whole[1]:
        np.testing.assert_array_equal(split[1][name], whole[1][name])


def test_outage_chunks_are_the_documented_draws():
    """Failures equal decoding, trial by trial, the channels drawn from chunk_rng(seed, 0, i)."""
    net = ct.CooperativeNetwork.cyclic(5, 1, uplink_erasure=0.1, link_erasure=0.2)
    model = LinkModel(net)
    est = outage(net, "standard", trials=2_500, seed=12, chunk=1_000)
    k = 0
    for i, n in enumerate([1000, 1000, 500]):
        ok = model.sample_channels(chunk_rng(12, 0, i), (n,))
        for row in ok:                            # one round at a time, unbatched
            d = model.to_draw(row)
            k += not ct.decode.standard(net.B, d.received).full
    assert est.failures == k


# ----------------------------------------------------------------------------- replay
@pytest.mark.parametrize("decoder", ["standard", "gcplus"])
def test_failure_patterns_replay(decoder):
    """Recorded channel bits re-decode to a failure and are regenerated by the chunk's seed."""
    net = _hetero(5, 2, 1, reciprocal=False)
    est = outage(net, decoder, trials=30_000, seed=3, chunk=5_000, max_patterns=25)
    fp = est.failure_patterns
    assert len(fp) == 25
    model = LinkModel(net)
    for c, o, bits in zip(fp.chunk, fp.offset, fp.patterns, strict=True):
        d = model.to_draw(bits)
        if decoder == "standard":
            assert not ct.decode.standard(net.B, d.received).full
        else:
            assert not ct.decode.gcplus(d.effective(net.B), d.u).full
        again = model.sample_channels(est.chunk_rng(int(c)), (est.chunk_trials(int(c)),))
        np.testing.assert_array_equal(again[o], bits)


# ----------------------------------------------------------------------------- interface
def test_sweep_call_signature():
    """The call sweep.py / validation make: keywords decoder, trials, seed; int results."""
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.2, link_erasure=0.2)
    est = outage(net, decoder="gcplus", trials=12_345, seed=2**62 + 5)
    assert isinstance(est, OutageEstimate)
    assert isinstance(est.failures, int) and isinstance(est.trials, int)
    assert est.trials == 12_345 and 0 < est.failures < est.trials
    lo, hi = est.ci(0.95)
    assert lo < est.estimate < hi


def test_rel_error_target_and_cap():
    """rel_error stops once the Wilson half-width is small enough; max_trials caps a target."""
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.05, link_erasure=0.05)
    est = outage(net, rel_error=0.1, max_trials=10**7, seed=1)
    assert est.status == "rel. error" and est.rel_error() <= 0.1
    est = outage(net, target_failures=10**6, max_trials=25_000, chunk=10_000, seed=1)
    assert est.status == "max trials" and est.trials == 25_000


def test_interrupt_returns_partial(monkeypatch):
    """KeyboardInterrupt during decoding of chunk 3 keeps chunks 0..2 ('interrupted')."""
    calls = {"n": 0}
    real = OutageSystem.failures

    def failures(self, ok):
        if calls["n"] == 3:
            raise KeyboardInterrupt
        calls["n"] += 1
        return real(self, ok)

    monkeypatch.setattr(OutageSystem, "failures", failures)
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.1)
    est = outage(net, trials=10**5, chunk=1_000, batch_size=1, seed=0)
    assert est.status == "interrupted" and est.trials == 3_000


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(decoder="ml"), ValueError, "decoder"),
    (dict(decoder="gcplus", rule="greedy"), ValueError, "rule"),
    (dict(trials=0), ValueError, "trials"),
    (dict(trials=2.5), TypeError, "trials"),
    (dict(seed=-3), ValueError, "seed"),
    (dict(chunk=0), ValueError, "chunk"),
    (dict(max_trials=0), ValueError, "max_trials"),
    (dict(rel_error=-0.1), ValueError, "rel_error"),
    (dict(ci_method="jeffreys"), ValueError, "method"),
])
def test_bad_arguments(kwargs, exc, match):
    """Bad arguments raise naming the argument."""
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.1)
    with pytest.raises(exc, match=match):
        outage(net, **kwargs)


def test_absurd_trial_counts_are_refused_at_once():
    """Issue 14: trials=10**15 ran until killed. Above MAX_TRIALS = 10**12 every estimator
    refuses before drawing anything, naming the limit and the way out; at the limit a run that
    stops on a target is accepted (it stops after its first chunk)."""
    import time

    from cogc_theory.simulate import MAX_TRIALS, importance_outage, run_mc

    assert MAX_TRIALS == 10**12
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.1)
    t0 = time.perf_counter()
    for call in (lambda: outage(net, trials=10**15),
                 lambda: outage(net, target_failures=10, max_trials=MAX_TRIALS + 1),
                 lambda: importance_outage(net, trials=10**15, tilt=1.0),
                 lambda: run_mc(lambda n, pt, rng: rng.random(n) < 0.5, max_trials=10**15)):
        with pytest.raises(ValueError, match=r"more than MAX_TRIALS = 10\*\*12 .*days"):
            call()
    assert time.perf_counter() - t0 < 2          # refused up front, nothing was simulated
    est = outage(net, trials=MAX_TRIALS, target_failures=10, seed=0)
    assert est.status == "target failures" and est.trials == 10_000   # the first chunk


def test_progress_reports_the_running_estimate_and_changes_nothing():
    """The progress callable sees the running estimate after every batch of chunks (trials
    growing by batch_size * chunk, status 'running'); the result is that of a run without it
    (same seeds, same code path, so identical counts)."""
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    seen = []
    est = outage(net, trials=50_000, chunk=5_000, batch_size=2, seed=4,
                 progress=lambda e: seen.append((e.trials, e.status, e.failures)))
    assert [t for t, _, _ in seen] == [10_000, 20_000, 30_000, 40_000]
    assert {st for _, st, _ in seen} == {"running"}
    ref = outage(net, trials=50_000, chunk=5_000, batch_size=2, seed=4)
    assert (est.failures, est.trials, est.status) == (ref.failures, ref.trials, "max trials")
    with pytest.raises(TypeError, match="progress must be a callable"):
        outage(net, trials=1000, progress="yes")


def test_bad_network():
    """A symbolic network or a non-network is refused with the fix."""
    import sympy as sp

    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=sp.Symbol("p"), link_erasure=0.1)
    with pytest.raises(ValueError, match="substitute"):
        outage(net)
    with pytest.raises(TypeError, match="CooperativeNetwork"):
        outage(np.eye(3))


def test_benchmark_reference_loop_smoke():
    """benchmarks/bench_montecarlo.py runs; its per-trial reference estimates the same outage
    (binomial tests, alpha = 1e-4 / 2 each), so its speed-up compares like with like."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_montecarlo.py"
    spec = importlib.util.spec_from_file_location("bench_montecarlo", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    net = ct.CooperativeNetwork.cyclic(5, 2, uplink_erasure=0.2, link_erasure=0.2)
    for decoder, exact in (("standard", ct.outage.cogc(net)), ("gcplus", ct.outage.gcplus(net))):
        k, seconds = bench.reference_loop(net, decoder, 2_000, seed=0)
        assert seconds > 0
        assert binomtest(int(k), 2_000, exact).pvalue > ALPHA / 2
