"""The Monte Carlo driver (cogc_theory.simulate.montecarlo.run_mc) on synthetic systems.

Expected values come from replaying the documented seeding rule by hand
(``SeedSequence(seed).spawn(j + 1)[j].spawn(i + 1)[i]`` for chunk i of point j), from closed
forms (Wilson interval, Clopper–Pearson via beta quantiles, pooled variance) or from the
callable's own ground truth. The one statistical test states its false-alarm rate.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from scipy.stats import beta, binomtest, norm

from cogc_theory.simulate.montecarlo import (
    AllOf,
    AnyOf,
    ImportanceEstimate,
    MaxTrials,
    OutageEstimate,
    RelativeError,
    StopCriterion,
    TargetFailures,
    chunk_rng,
    chunk_seed,
    run_mc,
)

ALPHA = 1e-4  # false-alarm rate of each statistical test function


def coin(n, p, rng):
    """Bernoulli(p) failures; the uniforms are the trial patterns."""
    u = rng.random(n)
    return {"failures": u < p, "patterns": u, "u": u}


def manual_chunk(seed, j, i, n, p):
    """Chunk i of point j by the documented rule, without the driver."""
    ss = np.random.SeedSequence(seed).spawn(j + 1)[j].spawn(i + 1)[i]
    return np.random.default_rng(ss).random(n) < p


# ----------------------------------------------------------------------------- seeding
def test_counts_follow_the_documented_seeding_rule():
    """Each point's failures equal the sum over its chunks drawn by the spawn rule by hand."""
    points, chunk, cap = [0.3, 0.05], 700, 2500
    res = run_mc(coin, points, seed=11, chunk=chunk, max_trials=cap)
    for j, p in enumerate(points):
        sizes = [700, 700, 700, 400]            # the last chunk is cut to meet the cap
        want = sum(int(manual_chunk(11, j, i, n, p).sum()) for i, n in enumerate(sizes))
        assert res[j].failures == want
        assert res[j].trials == cap and res[j].chunks == 4
        assert res[j].status == "max trials"


def test_chunk_seed_is_the_spawned_child():
    """chunk_seed(seed, j, i) generates the same state as the spawned SeedSequence child."""
    for seed, j, i in [(0, 0, 0), (5, 3, 17), (2**40, 1, 2)]:
        a = chunk_seed(seed, j, i).generate_state(4)
        b = np.random.SeedSequence(seed).spawn(j + 1)[j].spawn(i + 1)[i].generate_state(4)
        np.testing.assert_array_equal(a, b)
    ss = np.random.SeedSequence(9).spawn(2)[1]
    a = chunk_rng(ss, 2, 3).random(3)
    b = np.random.default_rng(ss.spawn(3)[2].spawn(4)[3]).random(3)
    np.testing.assert_array_equal(a, b)          # the same generator state: the same numbers


@pytest.mark.parametrize("target", [dict(target_failures=37), dict(rel_error=0.3),
                                    dict(stop=TargetFailures(5) & MaxTrials(3000))])
def test_result_independent_of_batch_size_and_workers(target):
    """Failures, trials, status and recorded patterns do not depend on batching or threads."""
    kw = dict(seed=3, chunk=250, max_trials=20_000, **target)
    ref = run_mc(coin, [0.2, 0.02, 0.004], **kw)
    for batch_size, workers in [(1, 1), (2, 1), (5, 1), (1, 3), (4, 2), (64, 2)]:
        res = run_mc(coin, [0.2, 0.02, 0.004], batch_size=batch_size, workers=workers, **kw)
        for a, b in zip(ref, res, strict=True):
            assert (a.failures, a.trials, a.status, a.chunks) == \
                (b.failures, b.trials, b.status, b.chunks)
            np.testing.assert_array_equal(a.failure_patterns.trial, b.failure_patterns.trial)
            # the patterns are the chunk generators' raw uniforms, copied: exactly equal
            np.testing.assert_array_equal(a.failure_patterns.patterns,
                                          b.failure_patterns.patterns)


def test_executor_backend():
    """Any executor with submit() gives the serial result."""
    from concurrent.futures import ThreadPoolExecutor

    ref = run_mc(coin, [0.1], seed=4, chunk=300, max_trials=6000, target_failures=50)
    with ThreadPoolExecutor(2) as ex:
        res = run_mc(coin, [0.1], seed=4, chunk=300, max_trials=6000, target_failures=50,
                     executor=ex, batch_size=3)
    assert (res[0].failures, res[0].trials) == (ref[0].failures, ref[0].trials)


def test_dask_client_backend():
    """A dask.distributed Client as executor gives the serial result."""
    distributed = pytest.importorskip("dask.distributed")
    kw = dict(seed=3, chunk=1000, max_trials=50_000, target_failures=200)
    ref = run_mc(coin, [0.1, 0.01], **kw)
    with distributed.Client(processes=False, n_workers=2, threads_per_worker=1,
                            dashboard_address=None) as client:
        res = run_mc(coin, [0.1, 0.01], executor=client, batch_size=4, **kw)
    assert res.trials.tolist() == ref.trials.tolist()
    assert res.failures.tolist() == ref.failures.tolist()


# ----------------------------------------------------------------------------- stopping
def test_target_failures_stops_at_first_chunk_boundary():
    """The run stops after the first chunk at which the cumulative failures reach the target."""
    p, chunk, target = 0.01, 400, 25
    est = run_mc(coin, [p], seed=8, chunk=chunk, max_trials=10**6,
                 target_failures=target)[0]
    counts = [int(manual_chunk(8, 0, i, chunk, p).sum()) for i in range(est.chunks)]
    assert est.status == "target failures"
    assert est.failures == sum(counts) >= target
    assert sum(counts[:-1]) < target
    assert est.trials == chunk * est.chunks


def test_rel_error_stops_at_first_chunk_boundary():
    """rel_error stops at the first chunk where the Wilson half-width / estimate <= r."""
    p, chunk, r = 0.05, 500, 0.2
    est = run_mc(coin, [p], seed=2, chunk=chunk, max_trials=10**6, rel_error=r)[0]
    assert est.status == "rel. error"
    assert est.rel_error() <= r
    k = sum(int(manual_chunk(2, 0, i, chunk, p).sum()) for i in range(est.chunks - 1))
    n = chunk * (est.chunks - 1)
    lo, hi = _wilson(k, n, 0.95)
    assert (hi - lo) / (2 * k / n) > r


def test_custom_and_composed_criteria():
    """Criteria compose with | (first that fires names the status) and & (all must fire)."""

    class AfterChunks(StopCriterion):
        status = "custom"

        def __init__(self, c):
            self.c = c

        def __call__(self, est):
            return est.chunks >= self.c

    est = run_mc(coin, [0.5], chunk=10, max_trials=1000, stop=AfterChunks(3))[0]
    assert (est.status, est.trials) == ("custom", 30)
    est = run_mc(coin, [0.5], chunk=10, max_trials=1000,
                 stop=AfterChunks(4) & TargetFailures(1))[0]
    assert (est.status, est.trials) == ("target failures", 40)
    est = run_mc(coin, [0.5], chunk=10, max_trials=1000,
                 stop=AnyOf(AfterChunks(6), AfterChunks(2)))[0]
    assert (est.status, est.trials) == ("custom", 20)
    est = run_mc(coin, [0.5], chunk=10, max_trials=10**5,
                 stop=RelativeError(0.5, min_failures=100))[0]
    assert est.failures >= 100 and est.failures - 10 < 100     # waits for min_failures
    assert isinstance(AfterChunks(1) | MaxTrials(5), AnyOf)
    assert isinstance(AfterChunks(1) & MaxTrials(5), AllOf)


def test_skip_after_zero_and_no_failures_status():
    """A failure-free point at the cap is 'no failures'; with skip_after_zero later ones skip."""
    res = run_mc(coin, [0.3, 0.0, 0.3], chunk=100, max_trials=500, skip_after_zero=True)
    assert res.status == ["max trials", "no failures", "skipped"]
    assert res.trials.tolist() == [500, 500, 0]
    with pytest.raises(ValueError, match="no trials"):
        _ = res[2].estimate
    res = run_mc(coin, [0.3, 0.0, 0.3], chunk=100, max_trials=500)
    assert res.status == ["max trials", "no failures", "max trials"]


# ----------------------------------------------------------------------------- Ctrl-C
class Interrupting:
    """Raises KeyboardInterrupt on call number ``k`` (0-based), like Ctrl-C mid-run."""

    def __init__(self, k):
        self.k, self.calls = k, 0

    def __call__(self, n, p, rng):
        if self.calls == self.k:
            raise KeyboardInterrupt
        self.calls += 1
        return rng.random(n) < p


def test_keyboard_interrupt_returns_partial_result():
    """Chunks done before Ctrl-C are kept; the point is 'interrupted', later ones 'not run'."""
    f = Interrupting(13)                # point 0: calls 0..9; point 1 is cut in its 4th chunk
    res = run_mc(f, [0.5, 0.5, 0.5], chunk=100, max_trials=1000, seed=1)
    assert res.interrupted
    assert res.status == ["max trials", "interrupted", "not run"]
    assert res.trials.tolist() == [1000, 300, 0]
    want = sum(int(manual_chunk(1, 1, i, 100, 0.5).sum()) for i in range(3))
    assert res[1].failures == want
    est = run_mc(Interrupting(2), [0.5], chunk=100, max_trials=10**4, workers=2)[0]
    assert est.status == "interrupted" and est.trials <= 200


# ----------------------------------------------------------------------------- patterns
def test_failure_patterns_replay_and_cap():
    """Recorded failing trials replay from their chunk's seed; at most max_patterns kept."""
    est = run_mc(coin, [0.01], seed=5, chunk=1000, max_trials=20_000, max_patterns=40)[0]
    fp = est.failure_patterns
    assert len(fp) == min(40, est.failures) == 40
    assert np.all(np.diff(fp.trial) > 0)
    np.testing.assert_array_equal(fp.trial, fp.chunk * 1000 + fp.offset)
    for c, o, u in zip(fp.chunk, fp.offset, fp.patterns, strict=True):
        out = coin(est.chunk_trials(int(c)), 0.01, est.chunk_rng(int(c)))
        assert out["failures"][o] and out["patterns"][o] == u
    none = run_mc(coin, [0.01], seed=5, chunk=1000, max_trials=5000, max_patterns=0)[0]
    assert len(none.failure_patterns) == 0


def test_extras_are_summed():
    """est.mean(name) is the mean of the extra per-trial array over all trials."""
    est = run_mc(coin, [0.5], seed=6, chunk=300, max_trials=1000)[0]
    u = np.concatenate([np.random.default_rng(chunk_seed(6, 0, i)).random(n)
                        for i, n in enumerate([300, 300, 300, 100])])
    assert est.mean("u") == pytest.approx(u.mean(), rel=1e-12)
    with pytest.raises(KeyError, match="available"):
        est.mean("nope")


# ----------------------------------------------------------------------------- intervals
def _wilson(k, n, level):
    z = norm.ppf((1 + level) / 2)
    ph = k / n
    centre = (ph + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(ph * (1 - ph) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.mark.parametrize("k,n", [(0, 50), (3, 1000), (480, 1000), (1000, 1000)])
def test_intervals_match_closed_forms(k, n):
    """Wilson = score formula; Clopper–Pearson = beta quantiles (exact tails)."""
    est = OutageEstimate(failures=k, trials=n)
    for level in (0.9, 0.99):
        np.testing.assert_allclose(est.ci(level), _wilson(k, n, level), rtol=1e-9, atol=1e-12)
        a = 1 - level
        lo = 0.0 if k == 0 else beta.ppf(a / 2, k, n - k + 1)
        hi = 1.0 if k == n else beta.ppf(1 - a / 2, k + 1, n - k)
        np.testing.assert_allclose(est.ci(level, "clopper-pearson"), (lo, hi), rtol=1e-9,
                                   atol=1e-12)
        assert est.ci(level, "exact") == est.ci(level, "clopper-pearson")


def test_estimate_agrees_with_truth():
    """k/n of a Bernoulli(p) system: two-sided binomial test, alpha = 1e-4 (Bonferroni, 3)."""
    ps = [0.5, 0.01, 1e-3]
    res = run_mc(coin, ps, seed=21, chunk=50_000, max_trials=400_000)
    for p, est in zip(ps, res, strict=True):
        assert binomtest(est.failures, est.trials, p).pvalue > ALPHA / 3


def test_weighted_sums_combine_exactly():
    """With weights, estimate / std_error / ESS equal the pooled sample statistics of w*F."""

    def weighted(n, p, rng):
        u = rng.random(n)
        return {"failures": u < p, "weights": 0.1 + u}

    est = run_mc(weighted, [0.4], seed=7, chunk=333, max_trials=2000)[0]
    assert isinstance(est, ImportanceEstimate)
    u = np.concatenate([np.random.default_rng(chunk_seed(7, 0, i)).random(n)
                        for i, n in enumerate([333] * 6 + [2])])
    x = np.where(u < 0.4, 0.1 + u, 0.0)
    assert est.estimate == pytest.approx(x.mean(), rel=1e-12)
    assert est.std_error == pytest.approx(x.std(ddof=1) / math.sqrt(x.size), rel=1e-10)
    assert est.ess == pytest.approx(x.sum() ** 2 / (x * x).sum(), rel=1e-10)
    z = norm.ppf(0.995)
    np.testing.assert_allclose(est.ci(0.99), (x.mean() - z * est.std_error,
                                              x.mean() + z * est.std_error), rtol=1e-10)
    with pytest.raises(ValueError, match="normal"):
        est.ci(0.95, "wilson")


# ----------------------------------------------------------------------------- display
def test_verbose_prints_one_row_per_point():
    """verbose writes a header and one row (point | estimate | CI | ... | status) per point."""
    buf = io.StringIO()
    res = run_mc(coin, [0.25, 0.0], chunk=100, max_trials=200, verbose=True, stream=buf)
    lines = buf.getvalue().strip().splitlines()
    assert len(lines) == 3 and "status" in lines[0] and "estimate" in lines[0]
    assert lines[1].endswith("max trials") and lines[2].endswith("no failures")
    assert lines[1].split("|")[0].strip() == "0.25"
    assert "point" in res.table() and len(res.table().splitlines()) == 4


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(chunk=0), ValueError, "chunk"),
    (dict(max_trials=-1), ValueError, "max_trials"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(seed=np.random.default_rng(0)), TypeError, "SeedSequence"),
    (dict(seed=1.5), TypeError, "seed"),
    (dict(level=1.0), ValueError, "level"),
    (dict(ci_method="agresti"), ValueError, "method"),
    (dict(target_failures=0), ValueError, "target_failures"),
    (dict(rel_error=0), ValueError, "rel_error"),
    (dict(rel_error=float("nan")), ValueError, "rel_error"),
    (dict(batch_size=0), ValueError, "batch_size"),
    (dict(workers=0), ValueError, "workers"),
    (dict(executor=object()), TypeError, "submit"),
    (dict(stop=lambda est: True), TypeError, "StopCriterion"),
    (dict(points="abc"), TypeError, "points"),
    (dict(chunk=10**8), ValueError, "chunk must be <="),
    (dict(verbose=True, stream="log.txt"), TypeError, "stream must be a text stream"),
])
def test_bad_arguments(kwargs, exc, match):
    """Bad arguments raise naming the argument."""
    kw = dict(points=[0.5])
    kw.update(kwargs)
    with pytest.raises(exc, match=match):
        run_mc(coin, kw.pop("points"), **kw)


def test_empty_combined_criteria_are_refused():
    with pytest.raises(ValueError, match="AllOf needs at least one stop criterion"):
        AllOf()
    with pytest.raises(ValueError, match="AnyOf needs at least one stop criterion"):
        AnyOf()


@pytest.mark.parametrize("f,exc,match", [
    (lambda n, p, rng: np.zeros(n + 1, bool), ValueError, r"shape \(10,\)"),
    (lambda n, p, rng: np.full(n, 0.5), TypeError, "boolean"),
    (lambda n, p, rng: {"fail": np.zeros(n, bool)}, ValueError, "'failures'"),
    (lambda n, p, rng: {"failures": np.zeros(n, bool), "weights": -np.ones(n)}, ValueError,
     "non-negative"),
    (lambda n, p, rng: {"failures": np.zeros(n, bool), "patterns": np.zeros(3)}, ValueError,
     "patterns"),
    (lambda n, p, rng: {"failures": np.zeros(n, bool), "x": ["a"] * n}, ValueError, "'x'"),
])
def test_bad_callable_output(f, exc, match):
    """Malformed callable output is reported with the chunk and the expected shape."""
    with pytest.raises(exc, match=match):
        run_mc(f, [0.5], chunk=10, max_trials=10)


def test_not_callable():
    """f must be callable."""
    with pytest.raises(TypeError, match="callable"):
        run_mc(42)
