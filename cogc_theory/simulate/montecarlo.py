r"""Monte Carlo driver: chunked, seeded per chunk, stopping on targets, with intervals.

The user hands the whole system to :func:`run_mc` as one callable

.. code-block:: python

    f(n, point, rng) -> failures            # bool (n,)
    f(n, point, rng) -> {"failures": ..., "patterns": ..., "weights": ..., **extras}

which runs ``n`` independent trials at parameter ``point`` with the
:class:`numpy.random.Generator` ``rng`` and says which trials failed. The driver estimates, for
every point, the failure probability

.. math:: \hat P = \frac{1}{n}\sum_{i=1}^{n} F_i ,\qquad F_i\in\{0,1\},

with a Wilson (default) or Clopper–Pearson interval (:func:`scipy.stats.binomtest`).

**Chunks and seeds.** Trials are run in chunks of ``chunk`` trials. Chunk :math:`i` of point
:math:`j` draws from the generator seeded with

.. math:: \texttt{SeedSequence(entropy, spawn\_key = root\_key + (j, i))},

which is the :math:`i`-th child of the :math:`j`-th child of the root ``SeedSequence(seed)``
(what ``.spawn`` would return), so a chunk's numbers depend only on ``(seed, j, i)`` and
``chunk``. Stopping rules are checked after every chunk, in chunk order, so the result is a
deterministic function of ``(seed, chunk, stopping rule)``: it does not depend on
``batch_size`` (how many chunks are evaluated at once) nor on the number of workers (the
draws, failure counts and recorded patterns exactly; the floating-point weights of importance
sampling, computed for a whole batch of chunks, up to rounding); at most
``batch_size - 1`` chunks beyond the stopping point are computed and discarded.

**Stopping** (checked at chunk boundaries): a target number of failures, a target relative
half-width of the interval, or the cap ``max_trials`` — small composable
:class:`StopCriterion` objects (``TargetFailures(100) | RelativeError(0.1)``). With
``skip_after_zero`` the sweep stops at the first point that reached the cap without a single
failure and marks the later points ``"skipped"`` (for monotone sweeps, as Sionna does).

**Failing patterns.** If the callable returns ``"patterns"`` (any per-trial array, e.g. the
channel-success bits), the driver keeps those of the first ``max_patterns`` failing trials of
each point with their global trial index :math:`i\cdot\mathrm{chunk}+\mathrm{offset}`, so a
test can replay a failure: ``f(est.chunk_trials(c), point, est.chunk_rng(c))["failures"][o]``
is True again, or the pattern can be re-decoded directly.

**Importance sampling.** If the callable returns ``"weights"`` :math:`w_i` (likelihood
ratios), the estimate is :math:`\frac1n\sum_i w_iF_i` with a normal interval from the sample
variance (:class:`ImportanceEstimate`, see :mod:`cogc_theory.simulate.importance`).

**Ctrl-C.** A :class:`KeyboardInterrupt` (from the keyboard or raised by the callable) ends the
run: the chunks completed so far are kept, the current point gets status ``"interrupted"`` and
the remaining points ``"not run"``.

Extra per-trial numeric arrays returned in the dict are summed over trials (``est.mean(name)``).

The outage of a network is :func:`~cogc_theory.simulate.outage_mc.outage`, built on this
driver (:class:`~cogc_theory.simulate.outage_mc.OutageSystem`); the stop criteria are in
:mod:`~cogc_theory.simulate.stopping`, the result classes in
:mod:`~cogc_theory.simulate.estimates`. Their names are re-exported here and by
:mod:`cogc_theory.simulate`.

Examples
--------
A coin with failure probability 0.25, two chunks of 500 trials:

>>> import numpy as np
>>> res = run_mc(lambda n, point, rng: rng.random(n) < point, [0.25], chunk=500,
...              max_trials=1000, seed=1)
>>> est = res[0]
>>> est.trials, est.status
(1000, 'max trials')
>>> lo, hi = est.ci(0.95)
>>> bool(lo < 0.25 < hi)
True

A sweep over the erasure probability :math:`p=\varepsilon` with :func:`run_mc` and
:class:`OutageSystem`, stopping each point at 100 failures and skipping the points after a
failure-free one:

>>> import cogc_theory as ct
>>> def system(n, q, rng):
...     net = ct.CooperativeNetwork.cyclic(6, 2, uplink_erasure=q, link_erasure=q)
...     s = OutageSystem(net, "gcplus")
...     ok = s.model.sample_channels(rng, (n,))
...     return {"failures": s.failures(ok)[0], "patterns": ok}
>>> res = run_mc(system, [0.3, 0.1, 0.0, 0.0], chunk=2_000, max_trials=20_000,
...              target_failures=100, skip_after_zero=True)
>>> res.status
['target failures', 'target failures', 'no failures', 'skipped']
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TextIO

import numpy as np

from .._validate import check_int
from ._driver import BatchEvaluator, check_common, drive
from ._mc import CI_METHODS, MAX_TRIALS, STATUSES, check_method, chunk_rng, chunk_seed, root_seed
from .estimates import FailurePatterns, ImportanceEstimate, MonteCarloResult, OutageEstimate
from .outage_mc import OutageSystem, outage
from .stopping import (
    AllOf,
    AnyOf,
    MaxTrials,
    RelativeError,
    StopCriterion,
    TargetFailures,
    stop_rule,
)

__all__ = [
    "AllOf",
    "AnyOf",
    "CI_METHODS",
    "FailurePatterns",
    "ImportanceEstimate",
    "MAX_TRIALS",
    "MaxTrials",
    "MonteCarloResult",
    "OutageEstimate",
    "OutageSystem",
    "RelativeError",
    "STATUSES",
    "StopCriterion",
    "TargetFailures",
    "chunk_rng",
    "chunk_seed",
    "outage",
    "run_mc",
]


def _serial_evaluator(f: Callable[..., Any]) -> BatchEvaluator:
    def evaluate(point: Any, j: int,
                 chunks: list[tuple[int, int, np.random.SeedSequence]]) -> Iterator[Any]:
        for _, n, ss in chunks:
            yield f(n, point, np.random.default_rng(ss))
    return evaluate


def _pool_evaluator(f: Callable[..., Any], executor: Any) -> BatchEvaluator:
    def evaluate(point: Any, j: int,
                 chunks: list[tuple[int, int, np.random.SeedSequence]]) -> Iterator[Any]:
        futures = [executor.submit(_call, f, n, point, ss) for _, n, ss in chunks]
        try:
            for fut in futures:
                yield fut.result()
        finally:
            for fut in futures:
                cancel = getattr(fut, "cancel", None)
                if cancel is not None:
                    cancel()
    return evaluate


def _call(f: Callable[..., Any], n: int, point: Any, ss: np.random.SeedSequence) -> Any:
    return f(n, point, np.random.default_rng(ss))



def run_mc(f: Callable[..., Any], points: Sequence[Any] | None = None, *, seed: Any = 0,
           chunk: int = 10_000, max_trials: int = 100_000, target_failures: int | None = None,
           rel_error: float | None = None, level: float = 0.95, ci_method: str = "wilson",
           stop: StopCriterion | None = None, skip_after_zero: bool = False,
           max_patterns: int = 100, batch_size: int = 1, workers: int = 1,
           executor: Any = None, verbose: bool = False, stream: TextIO | None = None,
           progress: Callable[[OutageEstimate], None] | None = None) -> MonteCarloResult:
    r"""Estimate a failure probability at each point by chunked, seeded Monte Carlo.

    For point :math:`j`, chunks :math:`i=0,1,\dots` of ``chunk`` trials run
    ``f(n, point, rng)`` with ``rng`` seeded by :func:`chunk_seed` ``(seed, j, i)`` until a
    stopping rule fires at a chunk boundary: ``target_failures`` failures, a relative
    half-width ``rel_error`` of the ``level`` interval, ``stop`` (any
    :class:`StopCriterion`), or the cap ``max_trials``.

    Parameters
    ----------
    f : callable ``f(n, point, rng)``
        Runs ``n`` trials; returns bool ``(n,)`` failures, or a dict with ``"failures"`` and
        optionally ``"patterns"`` (per-trial arrays recorded for failing trials),
        ``"weights"`` (likelihood ratios: importance sampling) and extra per-trial numeric
        arrays (summed over trials; finite — NaN or inf is refused).
    points : sequence, optional
        Parameter points passed to ``f`` (default: one point, ``None``).
    seed : int or numpy.random.SeedSequence or None
        Root seed; ``None`` draws fresh entropy (kept in ``result.seed`` for replays).
    chunk : int
        Trials per chunk — the unit of seeding and of stopping decisions.
    max_trials : int
        Cap on the trials per point (the last chunk is shortened to meet it); at most
        :data:`MAX_TRIALS` (10**12), refused up front.
    target_failures : int, optional
    rel_error : float, optional
        Target relative half-width :math:`(hi-lo)/(2\hat P)`, checked after 10 failures.
    level : float
        Confidence level of ``rel_error`` and of the progress rows.
    ci_method : {"wilson", "wilsoncc", "clopper-pearson", "exact"}
        Interval of ``rel_error`` and the progress rows.
    stop : StopCriterion, optional
        Further rule, OR-ed with the others.
    skip_after_zero : bool
        After a point reaches the cap without failures, mark the later points ``"skipped"``.
    max_patterns : int
        Failing trials recorded per point.
    batch_size : int
        Chunks evaluated together (in parallel with ``workers > 1`` or ``executor``). Does not
        change the result.
    workers : int
        Threads evaluating chunks (``f`` must then be thread-safe).
    executor : concurrent.futures.Executor-like, optional
        Anything with ``submit(fn, *args)`` returning futures (a ``ProcessPoolExecutor``,
        a ``dask.distributed.Client``); overrides ``workers``.
    verbose : bool
        Print a header and one row per point (point | estimate | CI | failures | trials |
        time | status) to ``stream`` (default ``sys.stderr``).
    progress : callable, optional
        Called after every batch of chunks with the running estimate of the current point
        (status ``"running"``).

    Returns
    -------
    MonteCarloResult
        One :class:`OutageEstimate` (:class:`ImportanceEstimate` if ``f`` returns weights)
        per point.

    Notes
    -----
    Stopping on a target makes :math:`n` random; :math:`k/n` is then slightly biased (of
    relative order :math:`1/k`). Use a fixed ``max_trials`` without targets when an exactly
    unbiased estimate matters (statistical tests do).

    Examples
    --------
    >>> res = run_mc(lambda n, p, rng: rng.random(n) < p, [0.5, 0.1, 0.0], chunk=100,
    ...              max_trials=10_000, target_failures=50, skip_after_zero=True)
    >>> [(e.trials, e.status) for e in res]
    [(200, 'target failures'), (600, 'target failures'), (10000, 'no failures')]
    """
    if not callable(f):
        raise TypeError(f"f must be a callable f(n, point, rng), got {type(f).__name__}")
    chunk, max_trials, batch_size, max_patterns, level = check_common(
        chunk, max_trials, batch_size, max_patterns, level)
    check_method(ci_method)
    workers = check_int(workers, "workers", lo=1)
    pts = [None] if points is None else points
    if isinstance(pts, str | bytes) or not isinstance(pts, Sequence | np.ndarray):
        raise TypeError(f"points must be a sequence of parameter points (list, tuple, array), "
                        f"got {type(points).__name__}")
    pts = list(pts)
    root = root_seed(seed)
    crit = stop_rule(max_trials, target_failures=target_failures, rel_error=rel_error,
                     level=level, method=ci_method, stop=stop)
    own = None
    if executor is None and workers > 1:
        executor = own = ThreadPoolExecutor(max_workers=workers)
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise TypeError("executor must have a submit(fn, *args) method returning futures "
                        "(concurrent.futures.Executor or dask.distributed.Client)")
    evaluate = _pool_evaluator(f, executor) if executor is not None else _serial_evaluator(f)
    if executor is not None and batch_size == 1:
        batch_size = workers if own is not None else 1
    try:
        return drive(evaluate, pts, seed=root, chunk=chunk, max_trials=max_trials, stop=crit,
                     skip_after_zero=bool(skip_after_zero), max_patterns=max_patterns,
                     batch_size=batch_size, verbose=bool(verbose), stream=stream,
                     display=(level, ci_method), progress=progress)
    finally:
        if own is not None:
            own.shutdown(wait=True, cancel_futures=True)
