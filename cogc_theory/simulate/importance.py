r"""Rare outages by importance sampling: tilted erasure probabilities, likelihood-ratio weights.

A round is a vector :math:`x\in\{0,1\}^C` of independent channel successes with
:math:`P(x_c=0)=e_c` (:class:`~cogc_theory.simulate.links.LinkModel`). Sampling instead from
the **tilted** law :math:`Q` with erasure probabilities :math:`e'_c` and weighting each round by
the likelihood ratio

.. math:: w(x) = \frac{P(x)}{Q(x)} = \prod_c
          \Big(\frac{e_c}{e'_c}\Big)^{1-x_c}\Big(\frac{1-e_c}{1-e'_c}\Big)^{x_c}

gives the unbiased estimator :math:`\hat P=\frac1n\sum_i w(x_i)F(x_i)` of
:math:`P_\mathrm{out}=E_P[F]`, provided :math:`Q(x)>0` wherever :math:`P(x)>0` (checked:
:math:`e'_c>0` where :math:`e_c>0` and :math:`e'_c<1` where :math:`e_c<1`). Its standard error is
estimated from the same weighted sample (:class:`~cogc_theory.simulate.estimates.\
ImportanceEstimate`), and the effective sample size
:math:`(\sum_i w_iF_i)^2/\sum_i (w_iF_i)^2` says how many failing rounds the estimate really
rests on.

**Choosing the tilt** (``tilt="auto"``). A short pilot, on seeds separate from the main run:

1. *scaling*: :math:`e'_c(\lambda) = \max(e_c, \min(\lambda e_c, 1/2))` for
   :math:`\lambda = 1, 2, 4, \dots` until every channel is at 1/2 or nearly every pilot round
   fails; keep the :math:`\lambda` with the smallest estimated relative variance
   :math:`\widehat{E_Q[w^2F]}/\hat P^2` among those with at least 30 failing pilot rounds;
2. *cross-entropy step* (Rubinstein & Kroese): from those pilot rounds, the product law closest
   in Kullback–Leibler divergence to the zero-variance law :math:`P(\cdot\mid F)` has
   :math:`e'_c = \sum_i w_iF_i[x_{ic}=0] / \sum_i w_iF_i`, clipped to :math:`[e_c, \max(e_c,
   1/2)]`; it replaces the scaling if a second pilot finds it no worse.

For cyclic :math:`M=10, s=2` at :math:`P_\mathrm{out}\approx 10^{-9}` the relative variance per
round is about 5, so :math:`\pm10\%` (95% interval) takes a few thousand rounds — where plain
Monte Carlo would need about :math:`4\cdot 10^{11}`.

References
----------
R. Y. Rubinstein and D. P. Kroese, *The Cross-Entropy Method*, Springer, 2004.

Examples
--------
>>> import cogc_theory as ct
>>> net = ct.CooperativeNetwork.cyclic(10, 2, uplink_erasure=7e-5, link_erasure=7e-5)
>>> exact = ct.outage.cogc(net)                       # about 1.1e-9
>>> est = importance_outage(net, "standard", seed=0, rel_error=0.1, max_trials=10**6)
>>> est.status, est.rel_error() <= 0.1
('rel. error', True)
>>> lo, hi = est.ci(0.999)
>>> bool(lo < exact < hi)
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any, TextIO

import numpy as np

from .._validate import as_float, check_int
from ._driver import check_common, drive
from ._mc import check_trials, root_seed
from .estimates import ImportanceEstimate
from .outage_mc import OutageSystem
from .stopping import StopCriterion, stop_rule

__all__ = ["choose_tilt", "importance_outage", "likelihood_ratio"]

_CAP = 0.5          # largest tilted erasure probability of the scaling family
_MIN_PILOT_FAIL = 30
#: most pilot stages of the scaling search (steps of 2**j, j >= 1)
MAX_STAGES = 40


def likelihood_ratio(model: Any, ok: np.ndarray, tilt: np.ndarray) -> np.ndarray:
    r"""Weights :math:`w = P(x)/Q(x)` of channel outcomes ``ok`` (bool ``(T, C)``), float ``(T,)``.

    ``P`` has the model's erasure probabilities, ``Q`` those of ``tilt``.

    Examples
    --------
    Sampling the eight channels of the :math:`M=4` ring with erasure 1/2 instead of 0.01: a
    round where everything succeeds has weight :math:`0.99^8/0.5^8`, one where both
    first uplinks fail :math:`0.01^2\,0.99^6/0.5^8`:

    >>> import numpy as np
    >>> import cogc_theory as ct
    >>> from cogc_theory.simulate import LinkModel
    >>> model = LinkModel(ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.01,
    ...                                                link_erasure=0.01))
    >>> ok = np.ones((2, 8), dtype=bool)
    >>> ok[1, :2] = False
    >>> w = likelihood_ratio(model, ok, np.full(8, 0.5))
    >>> bool(np.allclose(w, [0.99**8 / 0.5**8, 0.01**2 * 0.99**6 / 0.5**8]))
    True
    """
    with np.errstate(invalid="ignore"):
        return np.exp(model.log_prob(ok) - model.log_prob(ok, erasure=tilt))


def _check_tilt(tilt: Any, e: np.ndarray) -> np.ndarray:
    t = np.asarray(tilt, dtype=float)
    if t.shape != e.shape:
        raise ValueError(f"tilt must be a scaling factor, 'auto', or {e.shape[0]} tilted erasure "
                         f"probabilities (one per channel, uplinks first), got shape {t.shape}")
    if not np.all(np.isfinite(t)) or np.any((t < 0) | (t > 1)):
        raise ValueError("tilt must hold finite probabilities in [0, 1]")
    if np.any((e > 0) & (t == 0)) or np.any((e < 1) & (t == 1)):
        raise ValueError("tilt must keep every outcome the network can produce possible "
                         "(tilt[c] > 0 where the erasure probability is > 0, and < 1 where it "
                         "is < 1); otherwise the estimate is biased")
    return t


def _scaled(e: np.ndarray, lam: float) -> np.ndarray:
    out = e.copy()
    move = (e > 0) & (e < _CAP)
    with np.errstate(over="ignore"):          # lam * e beyond the floats is clipped anyway
        out[move] = np.clip(lam * e[move], e[move], _CAP)
    return out


def _step(e: np.ndarray) -> float:
    """Factor between pilot stages: 2, or the power of two that reaches the cap from the
    smallest erasure probability in :data:`MAX_STAGES` stages (1e-300 would need 996)."""
    small = e[(e > 0) & (e < _CAP)]
    if not small.size:
        return 2.0
    doublings = math.log2(_CAP) - math.log2(float(small.min()))
    return 2.0 ** max(1, math.ceil(doublings / MAX_STAGES))


def _pilot(system: OutageSystem, tilt: np.ndarray, n: int,
           ss: np.random.SeedSequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Channel outcomes, failures and weights ``x = w F`` of ``n`` pilot rounds under ``tilt``."""
    ok = system.model.sample_channels(np.random.default_rng(ss), (n,), erasure=tilt)
    fail, _ = system.failures(ok)
    x = np.where(fail, likelihood_ratio(system.model, ok, tilt), 0.0)
    return ok, fail, x


def _rel_var(x: np.ndarray) -> float:
    r""":math:`\mathrm{Var}(x)/\bar x^2`, computed on ``x / max(x)`` (scale-free: weights of
    1e-200 would underflow when squared)."""
    top = float(x.max(initial=0.0))
    if top <= 0:
        return math.inf
    y = x / top
    m = float(y.mean())
    return float(np.mean(y * y)) / (m * m) - 1.0


def choose_tilt(system: OutageSystem, seed: Any = 0, *,
                pilot: int = 5_000) -> tuple[np.ndarray, int]:
    """The ``"auto"`` tilt of :func:`importance_outage` and the pilot rounds it cost.

    Pilot stage ``k`` draws from ``SeedSequence(entropy, spawn_key=root_key + (1, k))``.

    Parameters
    ----------
    system : OutageSystem
    seed : int or numpy.random.SeedSequence
    pilot : int
        Rounds per pilot stage.

    Returns
    -------
    (tilt, pilot_trials) : (ndarray (C,), int)

    Examples
    --------
    At erasures of 1% outages are rare; the pilot stages raise every erasure probability until
    failures are common enough to estimate from:

    >>> import cogc_theory as ct
    >>> from cogc_theory.simulate import OutageSystem
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.01, link_erasure=0.01)
    >>> tilt, pilot_trials = choose_tilt(OutageSystem(net), seed=0, pilot=2000)
    >>> tilt.shape, bool((tilt > 0.01).all()), pilot_trials
    ((8,), True, 16000)
    """
    root = root_seed(seed)
    pilot = check_int(pilot, "pilot", lo=100, hi=10**7)
    e = system.model.erasure

    def ss(k: int) -> np.random.SeedSequence:
        return np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + (1, k),
                                      pool_size=root.pool_size)

    stage = 0
    best: tuple[float, np.ndarray, np.ndarray, np.ndarray] | None = None
    most: tuple[int, np.ndarray] = (-1, e)
    lam, step = 1.0, _step(e)
    while True:
        t = _scaled(e, lam)
        ok, fail, x = _pilot(system, t, pilot, ss(stage))
        stage += 1
        k = int(fail.sum())
        if k > most[0]:
            most = (k, t)
        if k >= _MIN_PILOT_FAIL:
            rv = _rel_var(x)
            if best is None or rv < best[0]:
                best = (rv, t, ok, x)
        if np.array_equal(t, _scaled(e, step * lam)) or k >= 0.95 * pilot:
            break
        lam *= step
    if best is None:                     # no tilt in the family makes failures common
        return most[1], stage * pilot
    rv, t, ok, x = best
    if not x.max(initial=0.0) > 0:       # every weight underflowed: no cross-entropy update
        return t, stage * pilot
    y = x / x.max()                      # scale-free, as in _rel_var
    ce = (y @ ~ok) / y.sum()
    ce = np.where((e > 0) & (e < 1), np.clip(ce, e, np.maximum(e, _CAP)), e)
    _, fail_ce, x_ce = _pilot(system, ce, pilot, ss(stage))
    stage += 1
    if int(fail_ce.sum()) >= _MIN_PILOT_FAIL and _rel_var(x_ce) <= rv:
        t = ce
    return t, stage * pilot


def _evaluator(system: OutageSystem, tilt: np.ndarray) -> Any:
    model = system.model

    def evaluate(point: Any, j: int,
                 chunks: list[tuple[int, int, np.random.SeedSequence]]) -> Iterator[Any]:
        oks = [model.sample_channels(np.random.default_rng(ss), (n,), erasure=tilt)
               for _, n, ss in chunks]
        ok = np.concatenate(oks, axis=0)
        fail, extras = system.failures(ok)
        w = likelihood_ratio(model, ok, tilt)
        start = 0
        for o in oks:
            sl = slice(start, start + o.shape[0])
            start = sl.stop
            yield {"failures": fail[sl], "weights": w[sl], "patterns": o,
                   **{name: a[sl] * w[sl] for name, a in extras.items()}}

    return evaluate


def importance_outage(net: Any, decoder: str = "standard", trials: int = 100_000,
                      seed: Any = 0, *, tilt: Any = "auto", rule: str = "individual",
                      chunk: int = 10_000, rel_error: float | None = None,
                      target_failures: int | None = None, max_trials: int | None = None,
                      stop: StopCriterion | None = None, level: float = 0.95,
                      min_failures: int = 50, pilot: int = 5_000, max_patterns: int = 100,
                      batch_size: int = 4, verbose: bool = False,
                      stream: TextIO | None = None,
                      progress: Callable[[ImportanceEstimate], None] | None = None
                      ) -> ImportanceEstimate:
    r"""Importance-sampling estimate of the one-round outage probability of ``net``.

    Draws rounds from tilted channel erasure probabilities :math:`e'`, weights them by
    :math:`w=P(x)/Q(x)` and returns :math:`\hat P = \frac1n\sum_i w_iF_i` with a normal
    interval from the weighted sample; chunked and seeded like
    :func:`~cogc_theory.simulate.outage_mc.outage` (main chunk :math:`i` from
    :func:`~cogc_theory.simulate.montecarlo.chunk_seed` ``(seed, 0, i)``).

    Parameters
    ----------
    net : CooperativeNetwork
        Numeric network (reciprocal links and memory marginals as in ``outage``).
    decoder : {"standard", "gcplus"}
    trials : int
        Rounds when no target is given (and default cap); at most ``MAX_TRIALS`` (10**12).
    seed : int or numpy.random.SeedSequence
    tilt : "auto", float or array_like (C,)
        ``"auto"``: pilot-chosen (module docstring); a float :math:`\lambda\ge1`: the scaling
        :math:`\max(e_c,\min(\lambda e_c, 1/2))`; an array: the tilted erasure probability of
        each channel (uplinks first, as ``LinkModel(net).erasure``); ``1.0`` is plain Monte
        Carlo.
    rule : str
        GC+ partial rule for the extras (weighted means ``est.mean("recovered_size")``).
    chunk : int
    rel_error : float, optional
        Stop once the relative half-width of the ``level`` interval is at most this, checked
        after ``min_failures`` failing rounds.
    target_failures : int, optional
        Stop after this many failing (tilted) rounds.
    max_trials : int, optional
        Cap (default ``trials``).
    stop : StopCriterion, optional
    level : float
    min_failures : int
        Failing rounds required before ``rel_error`` may stop the run.
    pilot : int
        Rounds per pilot stage of ``tilt="auto"``.
    max_patterns, batch_size, verbose, stream, progress
        As in :func:`~cogc_theory.simulate.outage_mc.outage`.

    Returns
    -------
    ImportanceEstimate
        ``.estimate``, ``.std_error``, ``.ci(level)``, ``.ess``, ``.tilt``, ``.failures``
        (failing tilted rounds), ``.trials``, ``.pilot_trials``, ``.failure_patterns`` (with
        their weights).

    Examples
    --------
    Unbiased on a network whose outage is known exactly:

    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(5, 1, uplink_erasure=0.01, link_erasure=0.02)
    >>> est = importance_outage(net, "gcplus", trials=20_000, seed=1)
    >>> lo, hi = est.ci(0.999)
    >>> bool(lo < ct.outage.gcplus(net) < hi)
    True
    """
    system = OutageSystem(net, decoder, rule)
    trials = check_trials(trials)
    cap = trials if max_trials is None else max_trials
    chunk, cap, batch_size, max_patterns, level = check_common(
        chunk, cap, batch_size, max_patterns, level)
    min_failures = check_int(min_failures, "min_failures", lo=1)
    root = root_seed(seed)
    e = system.model.erasure
    pilot_trials = 0
    if isinstance(tilt, str):
        if tilt != "auto":
            raise ValueError(f"tilt must be 'auto', a scaling factor >= 1, or an array of "
                             f"tilted erasure probabilities, got {tilt!r}")
        t, pilot_trials = choose_tilt(system, root, pilot=pilot)
    elif np.ndim(tilt) == 0:
        if isinstance(tilt, bool) or not isinstance(tilt, int | float | np.integer | np.floating):
            raise TypeError(f"tilt must be 'auto', a number or an array, got {tilt!r}")
        lam = as_float(tilt, "tilt")
        if not (math.isfinite(lam) and lam >= 1):
            raise ValueError(f"a scaling tilt must be a finite number >= 1, got {lam}")
        t = _scaled(e, lam)
    else:
        t = _check_tilt(tilt, e)
    t = np.array(t, dtype=float)
    t.setflags(write=False)
    crit = stop_rule(cap, target_failures=target_failures, rel_error=rel_error, level=level,
                     stop=stop, min_failures=min_failures)
    res = drive(_evaluator(system, t), [None], seed=root, chunk=chunk, max_trials=cap,
                stop=crit, skip_after_zero=False, max_patterns=max_patterns,
                batch_size=batch_size, verbose=bool(verbose), stream=stream,
                extra_info={"tilt": t, "nominal": e, "pilot_trials": pilot_trials},
                weighted=True, display=(level, None), progress=progress)
    return res[0]
