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

**Outage of a network** (:func:`outage`, the simple face of the driver). One trial is one
round: the channels of :class:`~cogc_theory.simulate.links.LinkModel` are drawn (uplinks, then
one channel per used link, one per pair with reciprocal links), the effective matrix
:math:`\tilde B = B\circ\tau` is formed and the rounds of a batch of chunks are decoded at once
(:class:`OutageSystem`):

* ``decoder="standard"`` fails iff :math:`\mathbf 1\notin\operatorname{rowspace}(B_R)`,
  :math:`R` the complete partial sums that arrived (:func:`cogc_theory.decode.standard`);
  its probability is :func:`cogc_theory.outage.cogc`;
* ``decoder="gcplus"`` fails iff there is **no full recovery**,
  :math:`\mathbf 1\notin\operatorname{rowspace}(\tilde B_U)`
  (:func:`cogc_theory.decode.gcplus`); its probability is :func:`cogc_theory.outage.gcplus`.
  Full recovery does not depend on the partial rule; ``rule`` only decides the recorded
  extras ``"recovered_size"`` (:math:`|K|`) and ``"total_outage"`` (:math:`K=\emptyset`).

With Gilbert–Elliott memory (``net.memory``) every round starts from the stationary law, so a
one-round outage is that of the memoryless network and a trial draws the stationary marginal.
Reciprocal links are one channel per pair, which couples the clients: the exact formulas of
:mod:`cogc_theory.outage` refuse such networks, this estimator does not. The channel-success
bits of failing rounds are recorded (``est.failure_patterns.patterns``, bool ``(r, C)``);
``LinkModel(net).to_draw(bits)`` rebuilds the round for a replay.

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

The outage of a network against its exact value:

>>> import cogc_theory as ct
>>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
>>> est = outage(net, "standard", trials=20_000, seed=0)
>>> lo, hi = est.ci(0.999)
>>> bool(lo < ct.outage.cogc(net) < hi)      # 0.313224...
True

A sweep over the erasure probability :math:`p=\varepsilon` with :func:`run_mc` and
:class:`OutageSystem`, stopping each point at 100 failures and skipping the points after a
failure-free one:

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

import math
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from .. import decode
from .._validate import check_int, check_positive
from .links import LinkModel

__all__ = [
    "AllOf",
    "AnyOf",
    "CI_METHODS",
    "DECODERS",
    "FailurePatterns",
    "ImportanceEstimate",
    "MaxTrials",
    "MonteCarloResult",
    "OutageEstimate",
    "OutageSystem",
    "RelativeError",
    "StopCriterion",
    "TargetFailures",
    "chunk_rng",
    "chunk_seed",
    "outage",
    "run_mc",
]

#: Largest number of trials evaluated in one call of the system (memory grows with it; the
#: results do not depend on the chunk).
MAX_CHUNK = 10**7

#: Interval methods of :meth:`OutageEstimate.ci` (``"exact"`` is Clopper–Pearson).
CI_METHODS = ("wilson", "wilsoncc", "clopper-pearson", "exact")

#: Statuses a point can end with.
STATUSES = ("target failures", "rel. error", "max trials", "no failures", "skipped",
            "interrupted", "not run", "stopped")


# ----------------------------------------------------------------------------- seeds
def _root_seed(seed: Any) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        raise TypeError("seed must be an int or a numpy SeedSequence, not a Generator: the "
                        "driver spawns one seed per chunk so results do not depend on batching; "
                        "pass the integer seed instead")
    if seed is None:
        return np.random.SeedSequence()
    seed = check_int(seed, "seed", lo=0)
    return np.random.SeedSequence(seed)


def chunk_seed(seed: Any, point: int, chunk: int) -> np.random.SeedSequence:
    """The seed of chunk ``chunk`` of point number ``point``: ``root.spawn_key + (point, chunk)``.

    Equal to ``SeedSequence(seed).spawn(point + 1)[point].spawn(chunk + 1)[chunk]``.

    Examples
    --------
    >>> import numpy as np
    >>> a = chunk_seed(7, 2, 3).generate_state(2)
    >>> b = np.random.SeedSequence(7).spawn(3)[2].spawn(4)[3].generate_state(2)
    >>> bool((a == b).all())
    True
    """
    root = _root_seed(seed)
    point = check_int(point, "point", lo=0)
    chunk = check_int(chunk, "chunk", lo=0)
    return np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + (point, chunk),
                                  pool_size=root.pool_size)


def chunk_rng(seed: Any, point: int, chunk: int) -> np.random.Generator:
    """A fresh generator for chunk ``chunk`` of point number ``point`` (see :func:`chunk_seed`)."""
    return np.random.default_rng(chunk_seed(seed, point, chunk))


# ----------------------------------------------------------------------------- stop criteria
class StopCriterion:
    """A rule ``est -> bool`` checked after every chunk; ``a | b`` and ``a & b`` compose rules.

    Subclasses implement :meth:`__call__` on the running :class:`OutageEstimate` and set
    ``status`` (the point's status when the rule fires).
    """

    status = "stopped"

    def __call__(self, est: OutageEstimate) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def reason(self, est: OutageEstimate) -> str | None:
        """The status to report if the rule fires, else None."""
        return self.status if self(est) else None

    def __or__(self, other: StopCriterion) -> AnyOf:
        return AnyOf(self, other)

    def __and__(self, other: StopCriterion) -> AllOf:
        return AllOf(self, other)


def _check_criteria(criteria: tuple[Any, ...], combiner: str) -> tuple[StopCriterion, ...]:
    if not criteria:
        raise ValueError(f"{combiner} needs at least one stop criterion, e.g. "
                         f"{combiner}(TargetFailures(100), MaxTrials(10**6))")
    return tuple(_check_criterion(c) for c in criteria)


def _check_criterion(c: Any) -> StopCriterion:
    if not isinstance(c, StopCriterion):
        raise TypeError(f"stop criteria must be StopCriterion objects (TargetFailures, "
                        f"RelativeError, MaxTrials, ...), got {type(c).__name__}")
    return c


class AnyOf(StopCriterion):
    """Stop when any of the criteria fires; the status is the first one's that fired."""

    def __init__(self, *criteria: StopCriterion) -> None:
        self.criteria = _check_criteria(criteria, "AnyOf")

    def __call__(self, est: OutageEstimate) -> bool:
        return self.reason(est) is not None

    def reason(self, est: OutageEstimate) -> str | None:
        for c in self.criteria:
            r = c.reason(est)
            if r is not None:
                return r
        return None

    def __repr__(self) -> str:
        return " | ".join(map(repr, self.criteria))


class AllOf(StopCriterion):
    """Stop when all of the criteria fire; the status is the last one's."""

    def __init__(self, *criteria: StopCriterion) -> None:
        self.criteria = _check_criteria(criteria, "AllOf")

    def __call__(self, est: OutageEstimate) -> bool:
        return all(c(est) for c in self.criteria)

    def reason(self, est: OutageEstimate) -> str | None:
        reasons = [c.reason(est) for c in self.criteria]
        return reasons[-1] if all(r is not None for r in reasons) else None

    def __repr__(self) -> str:
        return " & ".join(map(repr, self.criteria))


class TargetFailures(StopCriterion):
    """Stop once at least ``k`` failing trials have been seen."""

    status = "target failures"

    def __init__(self, k: int) -> None:
        self.k = check_int(k, "target_failures", lo=1)

    def __call__(self, est: OutageEstimate) -> bool:
        return est.failures >= self.k

    def __repr__(self) -> str:
        return f"TargetFailures({self.k})"


class RelativeError(StopCriterion):
    r"""Stop once the interval's relative half-width :math:`(hi-lo)/(2\hat P)` is at most ``r``.

    Checked only after ``min_failures`` failing trials (the interval of an importance-sampling
    estimate is unreliable before a few failures have been seen).
    """

    status = "rel. error"

    def __init__(self, r: float, level: float = 0.95, method: str | None = None,
                 min_failures: int = 10) -> None:
        self.r = check_positive(r, "rel_error")
        self.level = _check_level(level)
        self.method = method
        self.min_failures = check_int(min_failures, "min_failures", lo=1)

    def __call__(self, est: OutageEstimate) -> bool:
        if est.failures < self.min_failures:
            return False
        return est.rel_error(self.level, self.method) <= self.r

    def __repr__(self) -> str:
        return f"RelativeError({self.r}, level={self.level})"


class MaxTrials(StopCriterion):
    """Stop once ``n`` trials have been run (the driver's cap is always one of these)."""

    status = "max trials"

    def __init__(self, n: int) -> None:
        self.n = check_int(n, "max_trials", lo=1)

    def __call__(self, est: OutageEstimate) -> bool:
        return est.trials >= self.n

    def __repr__(self) -> str:
        return f"MaxTrials({self.n})"


def _check_level(level: Any) -> float:
    if isinstance(level, bool) or not isinstance(level, int | float | np.integer | np.floating):
        raise TypeError(f"level must be a confidence level in (0, 1), got {level!r}")
    level = float(level)
    if not (0 < level < 1):
        raise ValueError(f"level must be a confidence level strictly between 0 and 1 "
                         f"(e.g. 0.95), got {level}")
    return level


def _check_method(method: Any) -> str:
    if method not in CI_METHODS:
        raise ValueError(f"method must be one of {CI_METHODS} ('exact' = Clopper-Pearson), "
                         f"got {method!r}")
    return "exact" if method == "clopper-pearson" else method


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True, eq=False)
class FailurePatterns:
    """The recorded failing trials of one point (at most ``max_patterns``, in trial order).

    Attributes
    ----------
    trial : ndarray of int (r,)
        Global trial index ``chunk * chunk_size + offset``.
    chunk, offset : ndarray of int (r,)
        Chunk number and position inside the chunk.
    patterns : ndarray (r, ...) or None
        What the callable returned as ``"patterns"`` for these trials (e.g. channel-success
        bits, bool ``(r, C)``), or None if it returned none.
    weights : ndarray (r,) or None
        Likelihood ratios of these trials (importance sampling), else None.
    """

    trial: np.ndarray
    chunk: np.ndarray
    offset: np.ndarray
    patterns: np.ndarray | None = None
    weights: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.trial.shape[0])

    def __repr__(self) -> str:
        return f"FailurePatterns({len(self)} recorded)"


def _empty_patterns() -> FailurePatterns:
    z = np.zeros(0, dtype=np.int64)
    return FailurePatterns(z, z.copy(), z.copy())


@dataclass(frozen=True, eq=False)
class OutageEstimate:
    r"""Monte Carlo estimate of a failure probability at one point.

    :math:`\hat P = k/n` for :math:`k` failures in :math:`n` trials.

    Attributes
    ----------
    failures : int
        :math:`k`, the number of failing trials.
    trials : int
        :math:`n`.
    status : str
        Why the point stopped: ``"target failures"``, ``"rel. error"``, ``"max trials"``,
        ``"no failures"`` (cap reached with :math:`k=0`), ``"skipped"``, ``"interrupted"``,
        ``"not run"`` or ``"stopped"`` (a user criterion).
    chunks : int
        Chunks run.
    time : float
        Wall-clock seconds spent on the point.
    point : object
        The parameter point given to the callable.
    failure_patterns : FailurePatterns
    totals : dict of str to ndarray
        Sums over trials of the extra per-trial arrays the callable returned.
    point_index, chunk_size, max_trials, seed
        What a replay needs: chunk ``c`` has :meth:`chunk_trials` trials drawn with
        :meth:`chunk_rng`.
    """

    failures: int
    trials: int
    status: str = "max trials"
    chunks: int = 0
    time: float = 0.0
    point: Any = None
    failure_patterns: FailurePatterns = field(default_factory=_empty_patterns)
    totals: dict[str, np.ndarray] = field(default_factory=dict)
    point_index: int = 0
    chunk_size: int = 0
    max_trials: int = 0
    seed: np.random.SeedSequence | None = None

    # ---------------------------------------------------------------- statistics
    def _need_trials(self) -> None:
        if self.trials == 0:
            raise ValueError(f"no trials were run at this point (status {self.status!r}); "
                             "there is no estimate")

    @property
    def estimate(self) -> float:
        """:math:`\\hat P = k/n`."""
        self._need_trials()
        return self.failures / self.trials

    @property
    def std_error(self) -> float:
        r""":math:`\sqrt{\hat P(1-\hat P)/n}`."""
        p = self.estimate
        return math.sqrt(p * (1 - p) / self.trials)

    def ci(self, level: float = 0.95, method: str = "wilson") -> tuple[float, float]:
        """Confidence interval ``(lo, hi)`` for the failure probability.

        Parameters
        ----------
        level : float
            Confidence level in (0, 1).
        method : {"wilson", "wilsoncc", "clopper-pearson", "exact"}
            Wilson score (default), Wilson with continuity correction, or Clopper–Pearson
            (``"exact"``), from :meth:`scipy.stats.binomtest.proportion_ci`.
        """
        from scipy.stats import binomtest

        level = _check_level(level)
        method = _check_method(method)
        self._need_trials()
        ci = binomtest(self.failures, self.trials).proportion_ci(confidence_level=level,
                                                                 method=method)
        return float(ci.low), float(ci.high)

    def rel_error(self, level: float = 0.95, method: str | None = None) -> float:
        r"""Relative half-width :math:`(hi-lo)/(2\hat P)` of :meth:`ci` (``inf`` if
        :math:`\hat P=0`)."""
        lo, hi = self.ci(level) if method is None else self.ci(level, method)
        p = self.estimate
        return math.inf if p == 0 else (hi - lo) / (2 * p)

    def mean(self, name: str) -> np.ndarray | float:
        """Mean over trials of the extra per-trial array ``name`` returned by the callable."""
        if name not in self.totals:
            raise KeyError(f"no extra output {name!r}; available: {sorted(self.totals)}")
        self._need_trials()
        out = self.totals[name] / self.trials
        return float(out) if np.ndim(out) == 0 else out

    # ---------------------------------------------------------------- replay
    def chunk_trials(self, chunk: int) -> int:
        """Number of trials in chunk ``chunk`` (the last chunk under the cap may be shorter)."""
        chunk = check_int(chunk, "chunk", lo=0)
        return max(0, min(self.chunk_size, self.max_trials - chunk * self.chunk_size))

    def chunk_rng(self, chunk: int) -> np.random.Generator:
        """The generator chunk ``chunk`` of this point drew from (for replays)."""
        if self.seed is None:
            raise ValueError("this estimate carries no seed to replay")
        return chunk_rng(self.seed, self.point_index, chunk)

    # ---------------------------------------------------------------- display
    def _interval_text(self, level: float, method: str | None) -> str:
        try:
            lo, hi = self.ci(level) if method is None else self.ci(level, method)
        except ValueError:
            return "-"
        return f"[{lo:.3e}, {hi:.3e}]"

    def row(self, level: float = 0.95, method: str | None = None) -> str:
        """One progress row: point | estimate | CI | failures | trials | time | status.

        The interval is :meth:`ci` ``(level, method)`` (``method=None``: the default one).
        """
        if self.trials:
            est, ci = f"{self.estimate:.4e}", self._interval_text(level, method)
        else:
            est, ci = "-", "-"
        return (f"{_short(self.point):>16} | {est:>11} | {ci:>25} | {self.failures:>9d} | "
                f"{self.trials:>11d} | {self.time:>8.2f}s | {self.status}")

    def __repr__(self) -> str:
        est = f"{self.estimate:.4g}" if self.trials else "-"
        return (f"{type(self).__name__}(estimate={est}, failures={self.failures}, "
                f"trials={self.trials}, status={self.status!r})")


@dataclass(frozen=True, eq=False, repr=False)
class ImportanceEstimate(OutageEstimate):
    r"""Importance-sampling estimate :math:`\hat P = \frac1n\sum_i w_iF_i`.

    ``failures`` counts the failing *sampled* trials (under the tilted law); the estimate,
    standard error and interval use the weighted values :math:`x_i = w_iF_i`:

    .. math:: \widehat{\mathrm{se}} = \sqrt{\frac{\sum_i (x_i-\hat P)^2}{n(n-1)}},\qquad
              \mathrm{ESS} = \frac{(\sum_i x_i)^2}{\sum_i x_i^2}.

    Attributes
    ----------
    mean_x : float
        :math:`\hat P`.
    m2 : float
        :math:`\sum_i (x_i-\hat P)^2` (combined chunk by chunk).
    sum_x2 : float
        :math:`\sum_i x_i^2`.
    tilt : ndarray or None
        The sampling (tilted) erasure probability of each channel.
    nominal : ndarray or None
        The network's erasure probability of each channel.
    pilot_trials : int
        Trials spent choosing the tilt (not part of ``trials``).
    """

    mean_x: float = 0.0
    m2: float = 0.0
    sum_x2: float = 0.0
    tilt: np.ndarray | None = None
    nominal: np.ndarray | None = None
    pilot_trials: int = 0

    @property
    def estimate(self) -> float:
        self._need_trials()
        return float(self.mean_x)

    @property
    def std_error(self) -> float:
        self._need_trials()
        if self.trials < 2:
            raise ValueError("a standard error needs at least 2 trials")
        return math.sqrt(max(self.m2, 0.0) / (self.trials * (self.trials - 1)))

    @property
    def ess(self) -> float:
        r"""Effective number of failing samples :math:`(\sum x_i)^2/\sum x_i^2` (0 if none)."""
        if self.sum_x2 <= 0:
            return 0.0
        return (self.mean_x * self.trials) ** 2 / self.sum_x2

    def ci(self, level: float = 0.95, method: str = "normal") -> tuple[float, float]:
        r"""Normal interval :math:`\hat P \pm z_{(1+\mathrm{level})/2}\,\widehat{\mathrm{se}}`,
        clipped to :math:`[0, 1]`.

        The interval is as good as the central limit theorem for the weighted sample; check
        :attr:`ess` (a few hundred or more) before trusting it. Without a single failing
        sample there is no honest interval, and ``ValueError`` is raised.
        """
        from scipy.stats import norm

        level = _check_level(level)
        if method != "normal":
            raise ValueError(f"method must be 'normal' for an importance-sampling estimate, "
                             f"got {method!r}")
        self._need_trials()
        if self.failures == 0:
            raise ValueError("no failing round was sampled, so the importance-sampling "
                             "estimate 0 has no interval; run more trials or tilt harder")
        z = float(norm.ppf((1 + level) / 2))
        p, se = self.estimate, self.std_error
        return max(0.0, p - z * se), min(1.0, p + z * se)

    def rel_error(self, level: float = 0.95, method: str | None = None) -> float:
        lo, hi = self.ci(level) if method is None else self.ci(level, method)
        p = self.estimate
        return math.inf if p == 0 else (hi - lo) / (2 * p)


def _short(point: Any, width: int = 16) -> str:
    s = "-" if point is None else str(point)
    return s if len(s) <= width else s[: width - 1] + "…"


_HEADER = (f"{'point':>16} | {'estimate':>11} | {'CI':>25} | {'failures':>9} | "
           f"{'trials':>11} | {'time':>9} | status")


@dataclass(frozen=True, eq=False)
class MonteCarloResult:
    """The estimates of a sweep, one :class:`OutageEstimate` per point, in point order.

    ``res[j]`` is point ``j``'s estimate; ``interrupted`` says whether Ctrl-C ended the run.
    """

    estimates: tuple[OutageEstimate, ...]
    points: tuple[Any, ...]
    interrupted: bool
    seed: np.random.SeedSequence
    chunk: int

    def __len__(self) -> int:
        return len(self.estimates)

    def __getitem__(self, j: int) -> OutageEstimate:
        return self.estimates[j]

    def __iter__(self) -> Iterator[OutageEstimate]:
        return iter(self.estimates)

    @property
    def failures(self) -> np.ndarray:
        """int (points,)."""
        return np.array([e.failures for e in self.estimates], dtype=np.int64)

    @property
    def trials(self) -> np.ndarray:
        """int (points,)."""
        return np.array([e.trials for e in self.estimates], dtype=np.int64)

    @property
    def status(self) -> list[str]:
        return [e.status for e in self.estimates]

    def table(self, level: float = 0.95, method: str | None = None) -> str:
        """The progress table: a header and one row per point (intervals at ``level``)."""
        return "\n".join([_HEADER, "-" * len(_HEADER)]
                         + [e.row(level, method) for e in self.estimates])

    def __repr__(self) -> str:
        return (f"MonteCarloResult({len(self)} points, trials={int(self.trials.sum())}, "
                f"interrupted={self.interrupted})")


# ----------------------------------------------------------------------------- accumulation
class _Acc:
    """Running sums of one point, updated chunk by chunk in chunk order."""

    def __init__(self, max_patterns: int, weighted: bool | None = None) -> None:
        self.k = 0
        self.n = 0
        self.chunks = 0
        self.weighted = weighted
        self.has_pat: bool | None = None
        self.mean = 0.0
        self.m2 = 0.0
        self.sum_x2 = 0.0
        self.totals: dict[str, np.ndarray] = {}
        self.max_patterns = max_patterns
        self.rec_trial: list[np.ndarray] = []
        self.rec_chunk: list[np.ndarray] = []
        self.rec_offset: list[np.ndarray] = []
        self.rec_pat: list[np.ndarray] = []
        self.rec_w: list[np.ndarray] = []
        self.n_rec = 0

    def add(self, out: dict[str, Any], chunk: int, chunk_size: int) -> None:
        fail, w, pat, extras = out["failures"], out["weights"], out["patterns"], out["extras"]
        nb = fail.shape[0]
        if self.weighted is None:
            self.weighted = w is not None
        if self.has_pat is None:
            self.has_pat = pat is not None
        if self.weighted != (w is not None) or self.has_pat != (pat is not None):
            raise ValueError("the callable must return the same keys ('weights', 'patterns') "
                             "in every chunk")
        self.k += int(np.count_nonzero(fail))
        if self.weighted and nb:
            x = np.where(fail, w, 0.0)
            mb = float(x.mean())
            m2b = float(np.sum((x - mb) ** 2))
            n = self.n + nb
            delta = mb - self.mean
            self.mean += delta * nb / n
            self.m2 += m2b + delta * delta * self.n * nb / n
            self.sum_x2 += float(np.sum(x * x))
        self.n += nb
        self.chunks += 1
        for name, arr in extras.items():
            s = np.asarray(arr, dtype=float).sum(axis=0)
            if name in self.totals:
                self.totals[name] = self.totals[name] + s
            else:
                self.totals[name] = s
        if self.n_rec < self.max_patterns:
            idx = np.flatnonzero(fail)[: self.max_patterns - self.n_rec]
            if idx.size:
                self.rec_offset.append(idx.astype(np.int64))
                self.rec_chunk.append(np.full(idx.size, chunk, dtype=np.int64))
                self.rec_trial.append(chunk * chunk_size + idx.astype(np.int64))
                if pat is not None:
                    self.rec_pat.append(np.asarray(pat)[idx])
                if w is not None:
                    self.rec_w.append(np.asarray(w, dtype=float)[idx])
                self.n_rec += idx.size

    def patterns(self) -> FailurePatterns:
        if not self.n_rec:
            return _empty_patterns()
        return FailurePatterns(
            trial=np.concatenate(self.rec_trial), chunk=np.concatenate(self.rec_chunk),
            offset=np.concatenate(self.rec_offset),
            patterns=np.concatenate(self.rec_pat) if self.rec_pat else None,
            weights=np.concatenate(self.rec_w) if self.rec_w else None)

    def snapshot(self, status: str, elapsed: float, point: Any, info: dict[str, Any],
                 patterns: bool = False) -> OutageEstimate:
        common = dict(failures=self.k, trials=self.n, status=status, chunks=self.chunks,
                      time=elapsed, point=point,
                      failure_patterns=self.patterns() if patterns else _empty_patterns(),
                      totals=dict(self.totals), **info)
        if self.weighted:
            return ImportanceEstimate(**common, mean_x=self.mean, m2=self.m2,
                                      sum_x2=self.sum_x2)
        return OutageEstimate(**common)


def _normalise(out: Any, n: int, chunk: int) -> dict[str, Any]:
    """Check the callable's output for one chunk of ``n`` trials."""
    where = f"the callable's output for chunk {chunk} (n={n})"
    if isinstance(out, dict):
        if "failures" not in out:
            raise ValueError(f"{where} is a dict without the key 'failures' (bool (n,))")
        rest = {k: v for k, v in out.items() if k not in ("failures", "weights", "patterns")}
        fail, w, pat = out["failures"], out.get("weights"), out.get("patterns")
    else:
        fail, w, pat, rest = out, None, None, {}
    fail = np.asarray(fail)
    if fail.dtype != bool:
        if fail.dtype.kind not in "iu" or not np.all((fail == 0) | (fail == 1)):
            raise TypeError(f"{where}: failures must be a boolean array (n,), got dtype "
                            f"{fail.dtype}")
        fail = fail.astype(bool)
    if fail.shape != (n,):
        raise ValueError(f"{where}: failures must have shape ({n},), got {fail.shape}")
    if w is not None:
        w = np.asarray(w, dtype=float)
        if w.shape != (n,):
            raise ValueError(f"{where}: weights must have shape ({n},), got {w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError(f"{where}: weights must be finite and non-negative")
    if pat is not None:
        pat = np.asarray(pat)
        if pat.ndim < 1 or pat.shape[0] != n:
            raise ValueError(f"{where}: patterns must have leading axis {n}, got {pat.shape}")
    extras = {}
    for name, arr in rest.items():
        a = np.asarray(arr)
        if a.ndim < 1 or a.shape[0] != n or a.dtype.kind not in "biuf":
            raise ValueError(f"{where}: extra output {name!r} must be a numeric array with "
                             f"leading axis {n}, got {a.dtype} {a.shape}")
        extras[name] = a
    return {"failures": fail, "weights": w, "patterns": pat, "extras": extras}


# ----------------------------------------------------------------------------- the engine
#: ``evaluate(point, point_index, chunks)`` with ``chunks`` a list of ``(chunk_index, n,
#: seed_sequence)``; yields one raw output per chunk, in order.
BatchEvaluator = Callable[[Any, int, list[tuple[int, int, np.random.SeedSequence]]],
                          Iterable[Any]]


def _build_stop(max_trials: int, target_failures: Any, rel_error: Any, level: float,
                ci_method: str | None, stop: Any, *, min_failures: int = 10) -> StopCriterion:
    crits: list[StopCriterion] = []
    if target_failures is not None:
        crits.append(TargetFailures(target_failures))
    if rel_error is not None:
        crits.append(RelativeError(rel_error, level=level, method=ci_method,
                                   min_failures=min_failures))
    if stop is not None:
        crits.append(_check_criterion(stop))
    crits.append(MaxTrials(max_trials))
    return AnyOf(*crits)


def _drive(evaluate: BatchEvaluator, points: Sequence[Any], *, seed: np.random.SeedSequence,
           chunk: int, max_trials: int, stop: StopCriterion, skip_after_zero: bool,
           max_patterns: int, batch_size: int, verbose: bool, stream: TextIO | None,
           extra_info: dict[str, Any] | None = None, weighted: bool | None = None,
           display: tuple[float, str | None] = (0.95, None)) -> MonteCarloResult:
    stream = sys.stderr if stream is None else stream
    if verbose and not callable(getattr(stream, "write", None)):
        raise TypeError(f"stream must be a text stream with a write() method (default "
                        f"sys.stderr), got {type(stream).__name__}")
    n_chunks = -(-max_trials // chunk)
    out: list[OutageEstimate] = []
    interrupted = skipping = False
    if verbose:
        print(_HEADER, file=stream, flush=True)
    for j, point in enumerate(points):
        info = {"point_index": j, "chunk_size": chunk, "max_trials": max_trials, "seed": seed}
        if extra_info is not None:
            info.update(extra_info)
        if interrupted or skipping:
            acc = _Acc(max_patterns, weighted)
            est = acc.snapshot("not run" if interrupted else "skipped", 0.0, point, info)
            out.append(est)
            if verbose:
                print(est.row(*display), file=stream, flush=True)
            continue
        acc = _Acc(max_patterns, weighted)
        t0 = time.perf_counter()
        status = None
        i = 0
        try:
            while status is None and i < n_chunks:
                todo = [(c, min(chunk, max_trials - c * chunk), chunk_seed(seed, j, c))
                        for c in range(i, min(i + batch_size, n_chunks))]
                results = iter(evaluate(point, j, todo))
                try:
                    for c, n, _ in todo:
                        raw = next(results)
                        acc.add(_normalise(raw, n, c), c, chunk)
                        status = stop.reason(acc.snapshot("", 0.0, point, info))
                        if status is not None:
                            break
                finally:
                    close = getattr(results, "close", None)
                    if close is not None:
                        close()
                i += batch_size
        except KeyboardInterrupt:
            status = "interrupted"
            interrupted = True
        if status is None or (status == "max trials" and acc.k == 0):
            status = "no failures" if acc.k == 0 else "max trials"
        est = acc.snapshot(status, time.perf_counter() - t0, point, info, patterns=True)
        out.append(est)
        if verbose:
            print(est.row(*display), file=stream, flush=True)
        if skip_after_zero and status == "no failures":
            skipping = True
    return MonteCarloResult(tuple(out), tuple(points), interrupted, seed, chunk)


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


def _check_common(chunk: Any, max_trials: Any, batch_size: Any, max_patterns: Any,
                  level: Any) -> tuple[int, int, int, int, float]:
    return (check_int(chunk, "chunk", lo=1, hi=MAX_CHUNK),
            check_int(max_trials, "max_trials", lo=1),
            check_int(batch_size, "batch_size", lo=1),
            check_int(max_patterns, "max_patterns", lo=0), _check_level(level))


def run_mc(f: Callable[..., Any], points: Sequence[Any] | None = None, *, seed: Any = 0,
           chunk: int = 10_000, max_trials: int = 100_000, target_failures: int | None = None,
           rel_error: float | None = None, level: float = 0.95, ci_method: str = "wilson",
           stop: StopCriterion | None = None, skip_after_zero: bool = False,
           max_patterns: int = 100, batch_size: int = 1, workers: int = 1,
           executor: Any = None, verbose: bool = False,
           stream: TextIO | None = None) -> MonteCarloResult:
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
        arrays (summed over trials).
    points : sequence, optional
        Parameter points passed to ``f`` (default: one point, ``None``).
    seed : int or numpy.random.SeedSequence or None
        Root seed; ``None`` draws fresh entropy (kept in ``result.seed`` for replays).
    chunk : int
        Trials per chunk — the unit of seeding and of stopping decisions.
    max_trials : int
        Cap on the trials per point (the last chunk is shortened to meet it).
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
    chunk, max_trials, batch_size, max_patterns, level = _check_common(
        chunk, max_trials, batch_size, max_patterns, level)
    _check_method(ci_method)
    workers = check_int(workers, "workers", lo=1)
    pts = [None] if points is None else points
    if isinstance(pts, str | bytes) or not isinstance(pts, Sequence | np.ndarray):
        raise TypeError(f"points must be a sequence of parameter points (list, tuple, array), "
                        f"got {type(points).__name__}")
    pts = list(pts)
    root = _root_seed(seed)
    crit = _build_stop(max_trials, target_failures, rel_error, level, ci_method, stop)
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
        return _drive(evaluate, pts, seed=root, chunk=chunk, max_trials=max_trials, stop=crit,
                      skip_after_zero=bool(skip_after_zero), max_patterns=max_patterns,
                      batch_size=batch_size, verbose=bool(verbose), stream=stream,
                      display=(level, ci_method))
    finally:
        if own is not None:
            own.shutdown(wait=True, cancel_futures=True)


# ----------------------------------------------------------------------------- outage
#: Decoders of :func:`outage`.
DECODERS = ("standard", "gcplus")


class OutageSystem:
    r"""A network with a decoder: channel outcomes in, failures out (batched).

    Parameters
    ----------
    net : CooperativeNetwork
        Numeric network.
    decoder : {"standard", "gcplus"}
    rule : {"individual", "max-subset", "least-squares"}
        GC+ partial rule (it does not change which trials fail).

    Examples
    --------
    >>> import numpy as np
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> system = OutageSystem(net, "standard")
    >>> ok = np.ones((2, system.model.C), dtype=bool)
    >>> ok[1, :2] = False                   # uplinks of clients 0 and 1 fail: s = 1 exceeded
    >>> system.failures(ok)[0].tolist()
    [False, True]
    """

    def __init__(self, net: Any, decoder: str = "standard", rule: str = "individual") -> None:
        if not isinstance(decoder, str) or decoder not in DECODERS:
            raise ValueError(f"decoder must be one of {DECODERS}, got {decoder!r}")
        if not isinstance(rule, str) or rule not in decode.RULES:
            raise ValueError(f"rule must be one of {decode.RULES}, got {rule!r}")
        self.model = LinkModel(net)
        self.net = net
        self.decoder = decoder
        self.rule = rule
        self.B = np.asarray(net.B, dtype=float)

    def failures(self, ok: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Decode channel outcomes ``ok`` (bool ``(T, C)``): failures bool ``(T,)``, extras.

        Trials with the same outcome are decoded once.
        """
        ok = np.asarray(ok, dtype=bool)
        T = ok.shape[0]
        if T == 0:
            extras = {} if self.decoder == "standard" else {
                "recovered_size": np.zeros(0, dtype=np.int64),
                "total_outage": np.zeros(0, dtype=bool)}
            return np.zeros(0, dtype=bool), extras
        keys = np.packbits(ok, axis=1)
        keys = np.ascontiguousarray(keys).view(f"V{keys.shape[1]}").ravel()
        _, first, inv = np.unique(keys, return_index=True, return_inverse=True)
        d = self.model.to_draw(ok[first])
        if self.decoder == "standard":
            r = decode.standard(self.B, d.received)
            return ~np.asarray(r.full)[inv], {}
        r = decode.gcplus(d.effective(self.B), d.u, rule=self.rule)
        extras = {"recovered_size": np.asarray(r.size)[inv],
                  "total_outage": np.asarray(r.outage)[inv]}
        return ~np.asarray(r.full)[inv], extras


def _outage_evaluator(system: OutageSystem) -> BatchEvaluator:
    model = system.model

    def evaluate(point: Any, j: int,
                 chunks: list[tuple[int, int, np.random.SeedSequence]]) -> Iterator[Any]:
        oks = [model.sample_channels(np.random.default_rng(ss), (n,)) for _, n, ss in chunks]
        fail, extras = system.failures(np.concatenate(oks, axis=0))
        start = 0
        for ok in oks:
            sl = slice(start, start + ok.shape[0])
            start = sl.stop
            yield {"failures": fail[sl], "patterns": ok,
                   **{name: a[sl] for name, a in extras.items()}}

    return evaluate


def outage(net: Any, decoder: str = "standard", trials: int = 100_000, seed: Any = 0, *,
           rule: str = "individual", chunk: int = 10_000, target_failures: int | None = None,
           rel_error: float | None = None, max_trials: int | None = None,
           stop: StopCriterion | None = None, level: float = 0.95, ci_method: str = "wilson",
           max_patterns: int = 100, batch_size: int = 4, verbose: bool = False,
           stream: TextIO | None = None) -> OutageEstimate:
    r"""Monte Carlo estimate of the one-round outage probability of ``net``.

    Runs chunks of ``chunk`` rounds (chunk :math:`i` seeded by
    :func:`~cogc_theory.simulate.montecarlo.chunk_seed` ``(seed, 0, i)``) until a target is met
    or ``max_trials`` (default ``trials``) rounds were run; the result depends on
    ``(seed, chunk)`` only, not on ``batch_size``.

    Parameters
    ----------
    net : CooperativeNetwork
        Numeric network; reciprocal links and Gilbert–Elliott memory are honoured.
    decoder : {"standard", "gcplus"}
        ``"gcplus"`` fails when there is no full recovery.
    trials : int
        Number of rounds when no target is given.
    seed : int or numpy.random.SeedSequence
    rule : {"individual", "max-subset", "least-squares"}
        GC+ partial rule for the extras ``est.mean("recovered_size")`` and
        ``est.mean("total_outage")``; failures do not depend on it.
    chunk : int
        Rounds per chunk (unit of seeding and stopping).
    target_failures : int, optional
        Stop after this many failures.
    rel_error : float, optional
        Stop once the relative half-width of the ``level`` interval is at most this.
    max_trials : int, optional
        Cap when a target is given (default ``trials``).
    stop : StopCriterion, optional
        Further stopping rule.
    level, ci_method
        Interval used by ``rel_error`` (and the progress row).
    max_patterns : int
        Failing rounds whose channel bits are recorded.
    batch_size : int
        Chunks decoded together (speed only).
    verbose : bool
        Print the progress row to ``stream`` (default stderr).

    Returns
    -------
    OutageEstimate
        ``.estimate``, ``.failures``, ``.trials``, ``.ci(level, method)``, ``.status``,
        ``.failure_patterns``.

    Examples
    --------
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(6, 2, uplink_erasure=0.2, link_erasure=0.1)
    >>> est = outage(net, "gcplus", seed=3, target_failures=200, max_trials=10**6)
    >>> est.status, est.failures >= 200, est.trials % 10_000
    ('target failures', True, 0)
    """
    system = OutageSystem(net, decoder, rule)
    trials = check_int(trials, "trials", lo=1)
    cap = trials if max_trials is None else max_trials
    chunk, cap, batch_size, max_patterns, level = _check_common(
        chunk, cap, batch_size, max_patterns, level)
    _check_method(ci_method)
    root = _root_seed(seed)
    crit = _build_stop(cap, target_failures, rel_error, level, ci_method, stop)
    res = _drive(_outage_evaluator(system), [None], seed=root, chunk=chunk, max_trials=cap,
                 stop=crit, skip_after_zero=False, max_patterns=max_patterns,
                 batch_size=batch_size, verbose=bool(verbose), stream=stream,
                 display=(level, ci_method))
    return res[0]
