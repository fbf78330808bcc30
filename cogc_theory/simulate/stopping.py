r"""Stop criteria of the Monte Carlo driver: small composable rules checked after every chunk.

A criterion is called with the running estimate of a point
(:class:`~cogc_theory.simulate.estimates.OutageEstimate`) after every chunk and says whether the
point is done; ``a | b`` stops when either fires, ``a & b`` when both do (as pymoo's
termination objects). The point's status is the criterion's ``status``.

Examples
--------
>>> from cogc_theory.simulate.estimates import OutageEstimate
>>> rule = TargetFailures(100) | RelativeError(0.1)
>>> rule
TargetFailures(100) | RelativeError(0.1, level=0.95)
>>> rule.reason(OutageEstimate(failures=120, trials=10_000))
'target failures'
>>> rule(OutageEstimate(failures=3, trials=10_000))
False
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._validate import check_int, check_positive
from ._mc import check_level

if TYPE_CHECKING:
    from .estimates import OutageEstimate

__all__ = ["AllOf", "AnyOf", "MaxTrials", "RelativeError", "StopCriterion", "TargetFailures",
           "stop_rule"]


class StopCriterion:
    """A rule ``est -> bool`` checked after every chunk; ``a | b`` and ``a & b`` compose rules.

    Subclasses implement :meth:`__call__` on the running :class:`OutageEstimate` and set
    ``status`` (the point's status when the rule fires).

    Examples
    --------
    A rule of our own: stop once the estimate is below one in a thousand (after 10,000 trials):

    >>> from cogc_theory.simulate import StopCriterion, run_mc
    >>> class BelowPermille(StopCriterion):
    ...     status = "below 1e-3"
    ...     def __call__(self, est):
    ...         return est.trials >= 10_000 and est.estimate < 1e-3
    >>> res = run_mc(lambda n, p, rng: rng.random(n) < p, [1e-4, 0.3], chunk=5_000,
    ...              max_trials=50_000, stop=BelowPermille(), seed=0)
    >>> [(e.trials, e.status) for e in res]
    [(10000, 'below 1e-3'), (50000, 'max trials')]
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
    """Stop when any of the criteria fires; the status is the first one's that fired.

    Examples
    --------
    >>> from cogc_theory.simulate.estimates import OutageEstimate
    >>> rule = TargetFailures(10) | MaxTrials(1000)          # the same as AnyOf(...)
    >>> rule
    TargetFailures(10) | MaxTrials(1000)
    >>> rule.reason(OutageEstimate(failures=12, trials=500))
    'target failures'
    """

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
    """Stop when all of the criteria fire; the status is the last one's.

    Examples
    --------
    >>> from cogc_theory.simulate.estimates import OutageEstimate
    >>> rule = TargetFailures(10) & MaxTrials(1000)          # the same as AllOf(...)
    >>> rule(OutageEstimate(failures=12, trials=500)), rule.reason(OutageEstimate(12, 1000))
    (False, 'max trials')
    """

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
    """Stop once at least ``k`` failing trials have been seen.

    Examples
    --------
    >>> from cogc_theory.simulate.estimates import OutageEstimate
    >>> rule = TargetFailures(10)
    >>> rule(OutageEstimate(failures=12, trials=500)), rule(OutageEstimate(failures=3, trials=500))
    (True, False)
    >>> rule.status
    'target failures'
    """

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

    Examples
    --------
    400 failures in 1000 trials: the 95% interval has half-width about
    :math:`1.96\sqrt{0.4\cdot0.6/1000}\approx0.03`, 8% of the estimate; 40 in 100: about 24%:

    >>> from cogc_theory.simulate.estimates import OutageEstimate
    >>> rule = RelativeError(0.1)
    >>> rule(OutageEstimate(failures=400, trials=1000)), rule(OutageEstimate(40, 100))
    (True, False)
    """

    status = "rel. error"

    def __init__(self, r: float, level: float = 0.95, method: str | None = None,
                 min_failures: int = 10) -> None:
        self.r = check_positive(r, "rel_error")
        self.level = check_level(level)
        self.method = method
        self.min_failures = check_int(min_failures, "min_failures", lo=1)

    def __call__(self, est: OutageEstimate) -> bool:
        if est.failures < self.min_failures:
            return False
        return est.rel_error(self.level, self.method) <= self.r

    def __repr__(self) -> str:
        return f"RelativeError({self.r}, level={self.level})"


class MaxTrials(StopCriterion):
    """Stop once ``n`` trials have been run (the driver's cap is always one of these).

    Examples
    --------
    >>> from cogc_theory.simulate.estimates import OutageEstimate
    >>> MaxTrials(1000)(OutageEstimate(failures=0, trials=1000)), MaxTrials(1000).status
    (True, 'max trials')
    """

    status = "max trials"

    def __init__(self, n: int) -> None:
        self.n = check_int(n, "max_trials", lo=1)

    def __call__(self, est: OutageEstimate) -> bool:
        return est.trials >= self.n

    def __repr__(self) -> str:
        return f"MaxTrials({self.n})"


def stop_rule(max_trials: int, *, target_failures: int | None = None,
              rel_error: float | None = None, level: float = 0.95, method: str | None = None,
              stop: StopCriterion | None = None, min_failures: int = 10) -> AnyOf:
    """The rule the estimators build from their arguments: any of the targets, or the cap.

    ``TargetFailures(target_failures) | RelativeError(rel_error, level, method, min_failures)
    | stop | MaxTrials(max_trials)``, leaving out what is not given.

    Examples
    --------
    >>> stop_rule(10**6, target_failures=100)
    TargetFailures(100) | MaxTrials(1000000)
    """
    crits: list[StopCriterion] = []
    if target_failures is not None:
        crits.append(TargetFailures(target_failures))
    if rel_error is not None:
        crits.append(RelativeError(rel_error, level=level, method=method,
                                   min_failures=min_failures))
    if stop is not None:
        crits.append(_check_criterion(stop))
    crits.append(MaxTrials(max_trials))
    return AnyOf(*crits)
