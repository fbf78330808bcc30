r"""Results of the Monte Carlo estimators: one point's estimate, its failing trials, a sweep.

An :class:`OutageEstimate` holds :math:`k` failures in :math:`n` trials,
:math:`\hat P = k/n`, with Wilson (default), Wilson-with-continuity-correction or
Clopper–Pearson intervals (:meth:`scipy.stats.binomtest.proportion_ci`); an
:class:`ImportanceEstimate` holds a weighted sample :math:`\hat P=\frac1n\sum_i w_iF_i` with a
normal interval. A :class:`MonteCarloResult` is the list of the estimates of a sweep.

Examples
--------
>>> est = OutageEstimate(failures=30, trials=1000)
>>> est.estimate
0.03
>>> lo, hi = est.ci(0.95)
>>> round(lo, 4), round(hi, 4)
(0.0211, 0.0425)
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validate import check_int
from ._mc import check_level, check_method, chunk_rng

__all__ = ["HEADER", "FailurePatterns", "ImportanceEstimate", "MonteCarloResult",
           "OutageEstimate"]


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

    Examples
    --------
    The failing trials are recorded with their chunk and position, so that each can be replayed
    from its chunk's seed:

    >>> from cogc_theory.simulate import run_mc
    >>> res = run_mc(lambda n, p, rng: rng.random(n) < p, [0.5], chunk=500, max_trials=2000,
    ...              seed=0)
    >>> fp = res[0].failure_patterns
    >>> len(fp.trial), fp.trial[:3].tolist(), fp.chunk[:3].tolist(), fp.offset[:3].tolist()
    (100, [2, 7, 9], [0, 0, 0], [2, 7, 9])
    >>> bool(res[0].chunk_rng(0).random(500)[2] < 0.5)          # trial 2 replayed: a failure
    True
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

    @classmethod
    def empty(cls) -> FailurePatterns:
        """No recorded trial."""
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z.copy(), z.copy())




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
        ``"not run"`` or ``"stopped"`` (a user criterion); ``"running"`` in the estimates
        given to a ``progress`` callable during a run.
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

    Examples
    --------
    >>> est = OutageEstimate(failures=30, trials=1000)
    >>> est.estimate, est.status
    (0.03, 'max trials')
    >>> lo, hi = est.ci(0.95)                        # Wilson interval by default
    >>> bool(lo < 0.03 < hi), round(lo, 4), round(hi, 4)
    (True, 0.0211, 0.0425)
    """

    failures: int
    trials: int
    status: str = "max trials"
    chunks: int = 0
    time: float = 0.0
    point: Any = None
    failure_patterns: FailurePatterns = field(default_factory=FailurePatterns.empty)
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

        level = check_level(level)
        method = check_method(method)
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


#: Smallest importance-sampling estimate with a standard error: the squares of weights below
#: about 1e-154 underflow (the smallest normal float is 2.2e-308), taking the variance to 0.
MIN_ESTIMATE = 1e-150


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

    Examples
    --------
    The :math:`M=4` ring at erasures of 1%: CoGC fails when two of four clients are lost, about
    :math:`6(0.0199)^2\approx2.3\cdot10^{-3}`; tilting the erasures towards failure gives a
    tight interval from 20,000 trials:

    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.01, link_erasure=0.01)
    >>> est = ct.simulate.importance_outage(net, trials=20_000, seed=0)
    >>> lo, hi = est.ci(0.95)
    >>> bool(lo < ct.outage.cogc(net) < hi), bool(hi - lo < 0.1 * est.estimate)
    (True, True)
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
        r""":math:`\widehat{\mathrm{se}}`; ``ValueError`` below ``MIN_ESTIMATE``, where the
        squared weights underflow (the interval would shrink to a point)."""
        self._need_trials()
        if self.trials < 2:
            raise ValueError("a standard error needs at least 2 trials")
        if self.failures and self.mean_x < MIN_ESTIMATE:
            raise ValueError(
                f"the estimate {self.mean_x:.3g} is below {MIN_ESTIMATE:g}: the squared "
                f"weights underflow in float64, so there is no standard error or interval; "
                f"compute such probabilities exactly with ct.outage.precision")
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

        level = check_level(level)
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


#: The header of the progress table (:meth:`MonteCarloResult.table`, ``verbose`` runs).
HEADER = (f"{'point':>16} | {'estimate':>11} | {'CI':>25} | {'failures':>9} | "
           f"{'trials':>11} | {'time':>9} | status")


@dataclass(frozen=True, eq=False)
class MonteCarloResult:
    """The estimates of a sweep, one :class:`OutageEstimate` per point, in point order.

    ``res[j]`` is point ``j``'s estimate; ``interrupted`` says whether Ctrl-C ended the run.

    Examples
    --------
    >>> from cogc_theory.simulate import run_mc
    >>> res = run_mc(lambda n, p, rng: rng.random(n) < p, [0.5, 0.2], chunk=500,
    ...              max_trials=2000, seed=0)
    >>> res
    MonteCarloResult(2 points, trials=4000, interrupted=False)
    >>> res.trials.tolist(), res.status
    ([2000, 2000], ['max trials', 'max trials'])
    >>> print(res.table())                                       # doctest: +NORMALIZE_WHITESPACE
    point |    estimate |                        CI |  failures |      trials |      time | status
    ---------------------------------------------------------------------------------------------------------
      0.5 |  4.7750e-01 |    [4.557e-01, 4.994e-01] |       955 |        2000 | ...s | max trials
      0.2 |  1.9150e-01 |    [1.749e-01, 2.093e-01] |       383 |        2000 | ...s | max trials
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
        return "\n".join([HEADER, "-" * len(HEADER)]
                         + [e.row(level, method) for e in self.estimates])

    def __repr__(self) -> str:
        return (f"MonteCarloResult({len(self)} points, trials={int(self.trials.sum())}, "
                f"interrupted={self.interrupted})")

