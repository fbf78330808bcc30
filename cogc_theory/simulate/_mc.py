"""Shared pieces of the Monte Carlo estimators (internal): limits, seeds, argument checks.

The seeding rule (:func:`chunk_seed`) is documented in :mod:`cogc_theory.simulate.montecarlo`;
:func:`chunk_seed` and :func:`chunk_rng` are public there and in :mod:`cogc_theory.simulate`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import check_int

__all__ = ["CI_METHODS", "MAX_CHUNK", "MAX_TRIALS", "STATUSES", "check_level", "check_method",
           "check_trials", "chunk_rng", "chunk_seed", "root_seed"]

#: Largest number of trials evaluated in one call of the system (memory grows with it; the
#: results do not depend on the chunk).
MAX_CHUNK = 10**7

#: Most trials one estimate may plan (checked before any work). The fastest networks run a few
#: million trials per second on one core (cyclic M = 4 to 10), so 10**12 trials are days of
#: computing and more is a typo or a job for importance sampling; a sweep spreads at most
#: ``MAX_UNITS`` = 10**6 units of ``chunk_trials`` each (10**10 trials at the default 10**4).
MAX_TRIALS = 10**12

#: Interval methods of :meth:`OutageEstimate.ci` (``"exact"`` is Clopper–Pearson).
CI_METHODS = ("wilson", "wilsoncc", "clopper-pearson", "exact")

#: Statuses a point can end with.
STATUSES = ("target failures", "rel. error", "max trials", "no failures", "skipped",
            "interrupted", "not run", "stopped")


def root_seed(seed: Any) -> np.random.SeedSequence:
    """The root :class:`numpy.random.SeedSequence` of a run: an int, a SeedSequence or None
    (fresh entropy); a Generator is refused (it cannot be spawned per chunk)."""
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
    root = root_seed(seed)
    point = check_int(point, "point", lo=0)
    chunk = check_int(chunk, "chunk", lo=0)
    return np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + (point, chunk),
                                  pool_size=root.pool_size)


def chunk_rng(seed: Any, point: int, chunk: int) -> np.random.Generator:
    """A fresh generator for chunk ``chunk`` of point number ``point`` (see :func:`chunk_seed`).

    Examples
    --------
    The same ``(seed, point, chunk)`` always gives the same stream, whatever ran before:

    >>> a = chunk_rng(0, point=0, chunk=1).random(3)
    >>> b = chunk_rng(0, point=0, chunk=1).random(3)
    >>> bool((a == b).all()), bool((a != chunk_rng(0, point=0, chunk=2).random(3)).all())
    (True, True)
    """
    return np.random.default_rng(chunk_seed(seed, point, chunk))


def check_trials(value: Any, name: str = "trials") -> int:
    """A number of Monte Carlo trials in ``[1, MAX_TRIALS]``; the refusal says why and what
    to do instead.

    Examples
    --------
    >>> check_trials(10**15)
    Traceback (most recent call last):
    ...
    ValueError: trials = 1,000,000,000,000,000 is more than MAX_TRIALS = 10**12 ...
    """
    n = check_int(value, name, lo=1)
    if n > MAX_TRIALS:
        raise ValueError(
            f"{name} = {n:,} is more than MAX_TRIALS = 10**12 Monte Carlo trials per estimate: "
            f"at a few million trials per second (the fastest networks, on one core) that is "
            f"days to years of computing. Ask for fewer trials, stop at a target "
            f"(target_failures=, rel_error=), or estimate a rare outage by importance "
            f"sampling (ct.simulate.importance_outage)")
    return n


def check_level(level: Any) -> float:
    """A confidence level strictly between 0 and 1, as a float."""
    if isinstance(level, bool) or not isinstance(level, int | float | np.integer | np.floating):
        raise TypeError(f"level must be a confidence level in (0, 1), got {level!r}")
    level = float(level)
    if not (0 < level < 1):
        raise ValueError(f"level must be a confidence level strictly between 0 and 1 "
                         f"(e.g. 0.95), got {level}")
    if 0.5 + 0.5 * level >= 1.0:          # the two-sided normal quantile would be infinite
        raise ValueError(f"level = {level!r} is too close to 1: its two-sided normal quantile "
                         f"is infinite in floating point; use at most 1 - 1e-15")
    return level


def check_method(method: Any) -> str:
    """An interval method of :data:`CI_METHODS`, ``"clopper-pearson"`` spelled ``"exact"``."""
    if method not in CI_METHODS:
        raise ValueError(f"method must be one of {CI_METHODS} ('exact' = Clopper-Pearson), "
                         f"got {method!r}")
    return "exact" if method == "clopper-pearson" else method

