r"""Training over the cooperative network: every scheme on the same link draws (SPEC section 5).

Size: just over 600 lines because every public function carries a doctested example; the
descent engine itself lives in :mod:`cogc_theory.simulate._descent`.

A run draws the links of ``rounds`` rounds for each trial
(:meth:`~cogc_theory.simulate.links.LinkModel.draw_rounds`, so Gilbert–Elliott memory is
honoured), decodes all rounds of a chunk of trials in one batched call (the decoder's
outcome does not depend on the model), and then runs the chunk's model updates vectorised over
trials. In round :math:`t` the server recovers :math:`\sum_k \omega_{tk} g_k` with client weights
:math:`\omega_t` and sets :math:`w_{t+1} = w_t - \eta\sum_k \omega_{tk}\nabla f_k(w_t)`
(SPEC section 3):

=======================  ==============================================================
outcome                  :math:`\omega_t`
=======================  ==============================================================
full recovery            :math:`1/M` for every client (gradient descent on :math:`F`)
partial, subset rule     :math:`\mathbb 1_K/|K|` (``renormalize=False``: :math:`\mathbb 1_K/M`)
partial, least squares   :math:`\hat t/\mathbf 1^\top\hat t` (or :math:`\hat t/M`), with
                         :math:`\hat t` the projection of :math:`\mathbf 1` on the row space
                         (:math:`\mathbf 1^\top\hat t = \lVert\hat t\rVert^2>0`; equal to the
                         subset rule when :math:`\hat t = \mathbb 1_K`)
outage                   :math:`0`: :math:`w` unchanged
=======================  ==============================================================

Schemes (:data:`SCHEMES`), all reading the same draws :math:`(\tau, u)`:

* ``"ideal"``: full recovery every round (no erasures);
* ``"cogc"``: standard decoding of the complete partial sums that arrived — full or outage;
* ``"gcplus"`` (max-subset rule), ``"gcplus-individual"``, ``"gcplus-least-squares"``:
  GC+ on the effective matrices :math:`B\circ\tau` and the arrivals :math:`u`;
* ``"fedavg"``: uncoded federated averaging over the clients whose uplink arrived,
  :math:`K=\{m: u_m\}` (no cooperation);
* ``"gc"``: classic gradient coding (Tandon et al. 2017) with data replication: client
  :math:`m` holds the data of :math:`S_m`, so its coded sum is always complete; standard
  decoding with ``received = u``.

**Exactness.** A full-recovery round performs exactly the floating-point operations of
centralised gradient descent :math:`w-\eta\nabla F(w)` with
:meth:`~cogc_theory.simulate.problems.Problem.gradient` (the weights :math:`1/M` are the same
numbers and the gradient is computed by the same routine, never via decoding weights
:math:`a^\top c`, which would differ by rounding). So with no erasures every scheme reproduces
gradient descent on the same trials bit for bit (same routines, same shapes, single-threaded
BLAS), and a CoGC run equals the ideal run until its first outage: bit for bit while all
trials of a chunk update together, up to rounding once CoGC updates only some of them (other
batch shapes, see :mod:`~cogc_theory.simulate.problems`).

**Reproducibility.** Block :math:`b` of :data:`~cogc_theory.simulate.problems.BLOCK` trials
draws its links from a generator seeded by the :math:`b`-th child of ``SeedSequence(seed)``
(a partial last block draws the full block and discards the rest), and the model arithmetic
is per trial (:mod:`~cogc_theory.simulate.problems`). Trial :math:`i`'s links and outcomes
therefore do not depend on how many trials run nor on ``workers`` (draws and decoder
decisions: identical), and neither, beyond rounding, do its models and losses:
``train(..., trials=5)`` equals the first five trials of ``train(..., trials=50)`` on any
number of ``workers`` up to rounding (the chunks are other batch shapes; bit for bit where
BLAS rounds a per-trial product alike in every batch, as is usual but not promised). Every
scheme of one seed sees identical draws (paired comparisons).

**Cost.** Links for all rounds and trials are drawn up front, and each chunk of trials is
decoded before its updates (on its own thread with ``workers > 1``); then each round
recomputes only the trials whose model changed (an outage round costs nothing), with one
matrix product per trial for the logits and, for the gradients, one over the samples of each
run of consecutive recovered clients (a partial recovery multiplies fewer samples).

Examples
--------
>>> import cogc_theory as ct
>>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.2, link_erasure=0.2)
>>> runs = train_schemes(net, ["ideal", "cogc", "gcplus"], problem="least-squares",
...                      rounds=30, trials=3, seed=1)
>>> runs["cogc"].loss.shape                    # (trials, rounds + 1)
(3, 31)
>>> bool(np.all(runs["ideal"].gap[:, -1] <= runs["cogc"].gap[:, -1]))
True
>>> runs["gcplus"].outcome[0, :8].tolist()     # 2 full, 1 partial, 0 outage
[1, 0, 2, 1, 1, 2, 1, 2]
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from .. import decode
from .._validate import as_float, check_int, check_positive
from ..codes._common import support_blocks
from ..vocabulary import SCHEME_RULE, TRAINING_SCHEMES, training_scheme
from ._descent import descend
from .links import LinkDraw, LinkModel
from .problems import BLOCK, PROBLEMS, Problem, make_problem, single_threaded_blas

__all__ = [
    "FULL",
    "OUTAGE",
    "PARTIAL",
    "SCHEMES",
    "Outcomes",
    "TrainingRun",
    "decode_scheme",
    "link_draws",
    "train",
    "train_schemes",
]

#: Training schemes (:data:`cogc_theory.vocabulary.TRAINING_SCHEMES`).
SCHEMES = TRAINING_SCHEMES
#: Outcome codes of :attr:`TrainingRun.outcome`.
OUTAGE, PARTIAL, FULL = 0, 1, 2
_MAX_BYTES = 8 << 30  # memory a run may plan for its link draws or its results
_CHUNK = 50  # trials per compute chunk (memory ~ _CHUNK * C * n floats); no effect on results


# ----------------------------------------------------------------------------- checks
def _is_block_code(B: np.ndarray) -> bool:
    """The support of ``B`` splits the clients into at least two disconnected blocks."""
    return len(support_blocks(np.asarray(B) != 0)) >= 2


def _check_scheme(scheme: Any) -> str:
    return training_scheme(scheme)


def _check_seed(seed: Any) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be a non-negative int or a numpy SeedSequence, got "
                        f"{type(seed).__name__} {seed!r} (a Generator cannot be split "
                        "reproducibly per block of trials)")
    if int(seed) < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    return np.random.SeedSequence(int(seed))


def _check_net(net: Any) -> Any:
    from ..network import CooperativeNetwork

    if not isinstance(net, CooperativeNetwork):
        raise TypeError(f"net must be a CooperativeNetwork, got {type(net).__name__}")
    if net.is_symbolic:
        raise ValueError("net has symbolic erasure probabilities; substitute numbers first "
                         "(net.subs({symbol: value, ...})) to train on it")
    return net


_PROBLEM_CACHE: OrderedDict[tuple, Problem] = OrderedDict()


def _get_problem(problem: Any, M: int, split: str, alpha: float, data_seed: int,
                 options: dict[str, Any] | None) -> Problem:
    if isinstance(problem, Problem):
        if problem.M != M:
            raise ValueError(f"problem has M={problem.M} clients but the network has {M}; "
                             "build the problem with the network's M")
        return problem
    if not isinstance(problem, str):
        raise TypeError(f"problem must be one of {PROBLEMS} or a Problem, got "
                        f"{type(problem).__name__}")
    opts = dict(options or {})
    key = (problem, M, split, float(alpha), data_seed, tuple(sorted(opts.items())))
    hit = _PROBLEM_CACHE.get(key)
    if hit is None:
        hit = make_problem(problem, M, split=split, alpha=alpha, data_seed=data_seed, **opts)
        _PROBLEM_CACHE[key] = hit
        while len(_PROBLEM_CACHE) > 8:
            _PROBLEM_CACHE.popitem(last=False)
    else:
        _PROBLEM_CACHE.move_to_end(key)
    return hit


def _check_memory(nbytes: int, what: str, rounds: int, trials: int) -> None:
    if nbytes > _MAX_BYTES:
        raise ValueError(f"{what} of {rounds:,} rounds x {trials:,} trials would take "
                         f"{Decimal(nbytes) / 2**30:.1f} GiB (limit {_MAX_BYTES / 2**30:.0f} "
                         "GiB); run "
                         "fewer rounds or trials, or several seeds one after another")


# ----------------------------------------------------------------------------- links
def link_draws(net: Any, rounds: int, trials: int, seed: Any = 0) -> LinkDraw:
    r"""The link draws of a run: a :class:`~cogc_theory.simulate.links.LinkDraw` of shape
    ``(rounds, trials)``.

    Block :math:`b` of :data:`~cogc_theory.simulate.problems.BLOCK` trials uses
    ``default_rng(SeedSequence(entropy, spawn_key=key + (b,)))`` and
    ``LinkModel(net).draw_rounds(rng, rounds, (BLOCK,))``, so trial :math:`i`'s draws do not
    depend on ``trials``.

    Examples
    --------
    Trial :math:`i`'s draws do not depend on how many trials are drawn:

    >>> import numpy as np
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> d3 = link_draws(net, rounds=5, trials=3, seed=0)
    >>> d2 = link_draws(net, rounds=5, trials=2, seed=0)
    >>> d3.shape, bool(np.array_equal(d3.tau[:, :2], d2.tau))
    ((5, 3), True)
    """
    net = _check_net(net)
    rounds = check_int(rounds, "rounds", lo=0)
    trials = check_int(trials, "trials", lo=1)
    ss = _check_seed(seed)
    _check_memory(rounds * trials * (net.M * net.M + net.M), "the link draws", rounds, trials)
    model = LinkModel(net)
    if rounds == 0:     # nothing to draw: the loop over blocks of trials below would only
        M = net.M       # spend their seeds (10**12 trials: hours, with zero bytes drawn)
        return LinkDraw(np.zeros((0, trials, M, M), dtype=bool),
                        np.zeros((0, trials, M), dtype=bool), np.asarray(net.link_used))
    nb = -(-trials // BLOCK)
    parts = []
    for b in range(nb):
        child = np.random.SeedSequence(ss.entropy, spawn_key=tuple(ss.spawn_key) + (b,),
                                       pool_size=ss.pool_size)
        parts.append(model.draw_rounds(np.random.default_rng(child), rounds, (BLOCK,)))
    tau = np.concatenate([d.tau for d in parts], axis=1)[:, :trials]
    u = np.concatenate([d.u for d in parts], axis=1)[:, :trials]
    return LinkDraw(tau, u, parts[0].link_used)


# ----------------------------------------------------------------------------- outcomes
@dataclass(frozen=True, eq=False)
class Outcomes:
    r"""What the server recovers in each round of each trial.

    Attributes
    ----------
    code : ndarray of int8 (rounds, trials)
        :data:`FULL`, :data:`PARTIAL` or :data:`OUTAGE`.
    size : ndarray of int (rounds, trials)
        :math:`|K|` (``M`` on full recovery, 0 on outage).
    weights : ndarray (rounds, trials, M)
        The client weights :math:`\omega_t` of the update.

    Examples
    --------
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> out = ct.simulate.decode_scheme(net, ct.simulate.link_draws(net, rounds=5, trials=3),
    ...                                 "cogc")
    >>> out.code.shape, out.size.shape, out.weights.shape
    ((5, 3), (5, 3), (5, 3, 4))
    >>> sorted(set(out.size.ravel().tolist()) - {0, 4})          # CoGC: all or nothing
    []
    """

    code: np.ndarray
    size: np.ndarray
    weights: np.ndarray


def _ideal(M: int, R: int, T: int) -> Outcomes:
    """Full recovery in every round: weights ``1 / M`` (the numbers gradient descent uses)."""
    return Outcomes(np.full((R, T), FULL, dtype=np.int8), np.full((R, T), M),
                    np.full((R, T, M), 1.0 / M))


def decode_scheme(net: Any, draws: LinkDraw, scheme: str, *,
                  renormalize: bool = True) -> Outcomes:
    """Decode every round of every trial of ``draws`` (shape ``(rounds, trials)``) for
    ``scheme``, in one batched decoder call.

    Examples
    --------
    GC+ recovers at least as often as CoGC on the same draws (every standard success is a GC+
    full recovery):

    >>> import cogc_theory as ct
    >>> from cogc_theory.simulate import FULL
    >>> net = ct.CooperativeNetwork.cyclic(5, 2, uplink_erasure=0.2, link_erasure=0.3)
    >>> draws = ct.simulate.link_draws(net, rounds=50, trials=4, seed=1)
    >>> cogc = ct.simulate.decode_scheme(net, draws, "cogc")
    >>> plus = ct.simulate.decode_scheme(net, draws, "gcplus")
    >>> bool(((cogc.code == FULL) <= (plus.code == FULL)).all())
    True
    """
    scheme = _check_scheme(scheme)
    M = net.M
    R, T = draws.shape
    if scheme == "ideal" or R * T == 0:
        return _ideal(M, R, T)
    weights = np.full((R, T, M), 1.0 / M)
    u = draws.u.reshape(R * T, M)
    target = None
    if scheme in ("cogc", "gc"):
        rec = draws.received if scheme == "cogc" else draws.u
        full = decode.standard(net.B, rec.reshape(R * T, M)).full
        K = np.broadcast_to(full[:, None], (R * T, M))
    elif scheme == "fedavg":
        K = u
        full = K.all(axis=1)
    else:
        Bt = draws.effective(net.B).reshape(R * T, M, M)
        # generic cyclic codes (net.generic) and block codes (fractional repetition):
        # max-subset by a structural algorithm beyond the subset enumeration's reach
        # (decode.gcplus, B=)
        extra = {"B": net.B} if SCHEME_RULE[scheme] == "max-subset" and (
            net.generic or _is_block_code(net.B)) else {}
        try:
            res = decode.gcplus(Bt, u, rule=SCHEME_RULE[scheme], **extra)
        except ValueError as exc:
            if SCHEME_RULE[scheme] != "max-subset":
                raise
            raise ValueError(f"scheme={scheme!r} (the max-subset rule) cannot decode this "
                             f"network: {exc}; use scheme='gcplus-individual' or "
                             f"'gcplus-least-squares', which work at any size") from exc
        full, K = res.full, res.recovered
        if scheme == "gcplus-least-squares":
            target = np.where(K, res.target, 0.0)
    size = np.where(full, M, K.sum(axis=1))
    c = np.where(full, FULL, np.where(size > 0, PARTIAL, OUTAGE)).astype(np.int8)
    w = weights.reshape(R * T, M)
    part = c == PARTIAL
    if part.any():
        if target is None:
            num = K[part].astype(float)
            den = size[part].astype(float) if renormalize else np.full(part.sum(), float(M))
        else:
            num = target[part]
            den = num.sum(axis=1) if renormalize else np.full(part.sum(), float(M))
        w[part] = num * (1.0 / den)[:, None]
    w[c == OUTAGE] = 0.0
    return Outcomes(c.reshape(R, T), size.reshape(R, T), w.reshape(R, T, M))


# ----------------------------------------------------------------------------- the run
@dataclass(eq=False)
class TrainingRun:
    r"""One scheme trained for ``rounds`` rounds in ``trials`` independent trials.

    Attributes
    ----------
    loss : ndarray (trials, rounds + 1)
        :math:`F(w_t)`, the global training objective after each round (index 0: initial).
    test_loss : ndarray (trials, rounds + 1) or None
        Mean loss on the held-out data.
    accuracy : ndarray (trials, rounds + 1) or None
        Test accuracy (classification problems).
    outcome : ndarray of int8 (trials, rounds)
        :data:`FULL` (2), :data:`PARTIAL` (1) or :data:`OUTAGE` (0) per round.
    recovered_size : ndarray of int (trials, rounds)
        :math:`|K|` per round.
    w_final : ndarray (trials, d)
    iterates : ndarray (trials, rounds + 1, d) or None
        Every :math:`w_t` (``keep_iterates=True``).
    scheme, problem, net, eta, rounds, trials, seed, renormalize
        The inputs.

    Examples
    --------
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> run = ct.simulate.train(net, problem="least-squares", scheme="gcplus", rounds=10,
    ...                         trials=2, seed=0)
    >>> run.loss.shape, run.outcome.shape, run.recovered_size.shape
    ((2, 11), (2, 10), (2, 10))
    >>> gap = run.gap                                # F(w_t) - F*, (trials, rounds + 1)
    >>> bool((gap[:, -1] < gap[:, 0]).all())
    True
    >>> sum(run.fractions().values())                # full, partial, outage rounds
    1.0
    """

    scheme: str
    problem: Problem
    net: Any
    eta: float
    rounds: int
    trials: int
    seed: Any
    renormalize: bool
    loss: np.ndarray
    test_loss: np.ndarray | None
    accuracy: np.ndarray | None
    outcome: np.ndarray
    recovered_size: np.ndarray
    w_final: np.ndarray
    iterates: np.ndarray | None = field(default=None, repr=False)

    @property
    def optimum(self) -> float:
        """:math:`F^\\star` of the problem (computed on first use, cached on the problem)."""
        return self.problem.optimum()[1]

    @property
    def gap(self) -> np.ndarray:
        r"""Optimality gap :math:`F(w_t)-F^\star`, ``(trials, rounds + 1)``."""
        return self.loss - self.optimum

    def fractions(self) -> dict[str, float]:
        """Fractions of full, partial and outage rounds over all trials and rounds."""
        n = max(1, self.outcome.size)
        return {k: float(np.count_nonzero(self.outcome == v)) / n
                for k, v in (("full", FULL), ("partial", PARTIAL), ("outage", OUTAGE))}

    def __repr__(self) -> str:
        fr = self.fractions()
        return (f"TrainingRun(scheme={self.scheme!r}, problem={self.problem.name!r}, "
                f"trials={self.trials}, rounds={self.rounds}, eta={self.eta:.4g}, "
                f"final loss={float(self.loss[:, -1].mean()):.6g}, "
                f"full={fr['full']:.3f}, partial={fr['partial']:.3f}, "
                f"outage={fr['outage']:.3f})")


def _merge(parts: list[tuple[int, int, Outcomes]]) -> Outcomes:
    """The outcomes of all trials from those of consecutive chunks of trials (in order)."""
    return Outcomes(*(np.concatenate([getattr(oc, f) for *_, oc in parts], axis=1)
                      for f in ("code", "size", "weights")))


def _run(problem: Problem, outcomes: Any, w0: np.ndarray, eta: float, rounds: int,
         keep_iterates: bool, workers: int = 1) -> dict[str, Any]:
    """Decode and train every trial, in contiguous chunks of at most ``_CHUNK`` trials.

    ``outcomes(lo, hi)`` returns the :class:`Outcomes` of trials ``lo:hi``. Each chunk is
    decoded and then trained (no loop over trials within a chunk); chunks run one after
    another or on ``workers`` threads (numpy and the decoder release the GIL in their heavy
    loops). A trial's numbers do not depend on the chunking, beyond rounding: decoding is per
    distinct pattern and the model arithmetic per trial.
    """
    T = w0.shape[0]
    has_test = problem.X_test is not None
    loss = np.empty((rounds + 1, T))
    tl = np.empty((rounds + 1, T)) if has_test else None
    acc = np.empty((rounds + 1, T)) if has_test and problem.kind != "squared" else None
    its = np.empty((T, rounds + 1, problem.d)) if keep_iterates else None
    w_final = np.empty((T, problem.d))
    size = min(_CHUNK, -(-T // workers))                 # balanced chunks for the workers
    starts = range(0, T, size)

    def one(lo: int) -> tuple[int, int, Outcomes]:
        hi = min(T, lo + size)
        oc = outcomes(lo, hi)
        descend(problem, oc.weights, w0[lo:hi], eta, rounds, lo, hi, loss, tl, acc, its,
                w_final)
        return lo, hi, oc

    with single_threaded_blas():
        if workers == 1 or len(starts) == 1:
            parts = [one(lo) for lo in starts]
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=workers) as ex:
                parts = list(ex.map(one, starts))
    return {"outcomes": _merge(parts), "loss": loss.T.copy(),
            "test_loss": None if tl is None else tl.T.copy(),
            "accuracy": None if acc is None else acc.T.copy(), "w_final": w_final,
            "iterates": its}


def _check_step(eta: Any, L: float) -> float:
    """The step size: default :math:`1/L`, else a real number in :math:`(0, 2/L)`."""
    if eta is None:
        return 1.0 / L
    if isinstance(eta, bool) or not isinstance(eta, numbers.Real) \
            or not math.isfinite(as_float(eta, "eta")) or not 0 < eta < 2.0 / L:
        raise ValueError(f"eta must be a step size in (0, 2/L) = (0, {2.0 / L:.6g}) (default "
                         f"1/L; gradient descent on this L-smooth problem may diverge beyond "
                         f"2/L), got {eta!r}")
    return float(eta)


def _initial_models(w0: Any, trials: int, d: int) -> np.ndarray:
    """``w0`` as ``(trials, d)`` (zeros by default; one ``(d,)`` model broadcast)."""
    if w0 is None:
        return np.zeros((trials, d))
    w0 = np.asarray(w0, dtype=float)
    if w0.shape == (d,):
        w0 = np.broadcast_to(w0, (trials, d))
    if w0.shape != (trials, d) or not np.all(np.isfinite(w0)):
        raise ValueError(f"w0 must be finite with shape ({d},) or ({trials}, {d}), got "
                         f"{w0.shape}")
    return w0


def train_schemes(net: Any, schemes: Any = ("ideal", "cogc", "gcplus", "fedavg", "gc"), *,
                  problem: Any = "digits", rounds: int = 200, trials: int = 20, seed: Any = 0,
                  eta: float | None = None, renormalize: bool = True, split: str = "iid",
                  alpha: float = 0.5, data_seed: int = 0,
                  problem_options: dict[str, Any] | None = None, w0: Any = None,
                  keep_iterates: bool = False, workers: int = 1) -> dict[str, TrainingRun]:
    r"""Train several schemes on the **same** link draws; ``{scheme: TrainingRun}``.

    Parameters are those of :func:`train`; ``schemes`` is a sequence of names from
    :data:`SCHEMES`. The links are drawn once (:func:`link_draws`), so the runs are paired.

    Examples
    --------
    Paired runs: the ideal scheme (every round a full gradient step) ends lowest:

    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> runs = ct.simulate.train_schemes(net, ("ideal", "cogc", "gcplus"),
    ...                                  problem="least-squares", rounds=10, trials=2, seed=0)
    >>> sorted(runs)
    ['cogc', 'gcplus', 'ideal']
    >>> bool(all((runs["ideal"].loss[:, -1] <= r.loss[:, -1] + 1e-12).all() for r in runs.values()))
    True
    """
    if isinstance(schemes, str):
        schemes = [schemes]
    if not isinstance(schemes, Iterable):
        raise TypeError(f"schemes must be a scheme name or a list of names from {SCHEMES}, "
                        f"got {type(schemes).__name__}")
    names = [_check_scheme(s) for s in schemes]
    if not names:
        raise ValueError("schemes must name at least one scheme")
    net = _check_net(net)
    rounds = check_int(rounds, "rounds", lo=0)
    trials = check_int(trials, "trials", lo=1)
    for flag, name in ((renormalize, "renormalize"), (keep_iterates, "keep_iterates")):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{name} must be a bool, got {flag!r}")
    if problem_options is not None and not isinstance(problem_options, dict):
        raise TypeError(f"problem_options must be a dict of make_problem options (e.g. "
                        f"{{'lam': 0.01}}), got {type(problem_options).__name__}")
    data_seed = check_int(data_seed, "data_seed", lo=0)
    workers = check_int(workers, "workers", lo=1)
    # checked whatever the split (only split="dirichlet" uses it): a NaN is never ignored
    alpha = check_positive(alpha, "alpha", "Dirichlet concentration")
    prob = _get_problem(problem, net.M, split, alpha, data_seed, problem_options)
    L = prob.smoothness()
    eta = _check_step(eta, L)
    # everything a run keeps, checked before the first allocation (w0 is (trials, d))
    per_trial_round = 8 * (3 + len(names) * (net.M + 2)) \
        + (8 * prob.d * len(names) if keep_iterates else 0)
    per_trial = 8 * prob.d * (1 + len(names)) + 8 * 3 * len(names)      # w0, w_final, t = 0
    _check_memory(trials * (rounds * per_trial_round + per_trial), "the results", rounds,
                  trials)
    w0 = _initial_models(w0, trials, prob.d)
    needs_links = any(s != "ideal" for s in names)
    draws = link_draws(net, rounds, trials, seed) if needs_links else None
    out = {}
    for s in names:
        def outcomes(lo: int, hi: int, s: str = s) -> Outcomes:
            if s == "ideal":
                return _ideal(net.M, rounds, hi - lo)
            part = LinkDraw(draws.tau[:, lo:hi], draws.u[:, lo:hi], draws.link_used)
            return decode_scheme(net, part, s, renormalize=bool(renormalize))

        res = _run(prob, outcomes, w0, eta, rounds, keep_iterates, workers)
        oc = res.pop("outcomes")
        bad = ~np.isfinite(res["loss"])
        if bad.any():                                      # kept, but never silently
            i, t = np.argwhere(bad)[0].tolist()
            warnings.warn(f"{s}: the loss is not finite in {bad.any(axis=1).sum()} of "
                          f"{trials} trials (first: trial {i}, round {t}); the iterates "
                          f"diverged (eta={eta:.6g}, 2/L={2.0 / L:.6g}) or w0 is extreme",
                          RuntimeWarning, stacklevel=3)
        out[s] = TrainingRun(scheme=s, problem=prob, net=net, eta=eta, rounds=rounds,
                             trials=trials, seed=seed, renormalize=bool(renormalize),
                             outcome=oc.code.T.copy(), recovered_size=oc.size.T.copy(), **res)
    return out


def train(net: Any, problem: Any = "digits", scheme: str = "gcplus", *, rounds: int = 200,
          trials: int = 20, seed: Any = 0, eta: float | None = None, renormalize: bool = True,
          split: str = "iid", alpha: float = 0.5, data_seed: int = 0,
          problem_options: dict[str, Any] | None = None, w0: Any = None,
          keep_iterates: bool = False, workers: int = 1) -> TrainingRun:
    r"""Train one scheme over the cooperative network, vectorised over trials.

    Parameters
    ----------
    net : CooperativeNetwork
        Numeric network (its ``B``, erasures, reciprocity and memory).
    problem : {"digits", "synthetic-logistic", "least-squares"} or Problem
        A name (built by :func:`~cogc_theory.simulate.problems.make_problem` with ``M =
        net.M``, ``split``, ``alpha``, ``data_seed`` and ``problem_options``) or a
        :class:`~cogc_theory.simulate.problems.Problem` with ``M == net.M``.
    scheme : str
        One of :data:`SCHEMES` (see the module docstring).
    rounds, trials : int
        The run keeps ``(trials, rounds + 1)`` arrays and more; a run whose link draws or
        results would exceed 8 GiB is refused before anything is allocated (run fewer
        trials, or several seeds one after another).
    seed : int or numpy.random.SeedSequence
        Seeds the link draws only; a given seed gives every scheme the same draws.
    eta : float, optional
        Step size in :math:`(0, 2/L)`; default :math:`1/L` (:meth:`Problem.smoothness`). A run
        whose loss is not finite somewhere (diverged iterates) is returned with a
        ``RuntimeWarning``.
    renormalize : bool
        Partial recovery averages over :math:`|K|` (True) or divides by :math:`M`.
    split, alpha, data_seed, problem_options
        For a named problem: IID or Dirichlet client split, its concentration, the data seed,
        and further :func:`make_problem` options (``lam``, ``weighting``, ...). ``alpha`` is
        checked (a positive finite number) whatever the split, though only
        ``split="dirichlet"`` uses it: a bad value is refused, never silently ignored.
    w0 : array_like (d,) or (trials, d), optional
        Initial model (default zeros).
    keep_iterates : bool
        Store every :math:`w_t` in :attr:`TrainingRun.iterates`.
    workers : int
        Threads decoding and training chunks of trials concurrently (numpy releases the GIL);
        the same results for any value (outcomes identical, models and losses up to
        rounding: the chunks are other batch shapes).

    Returns
    -------
    TrainingRun
        ``loss`` (trials, rounds + 1), ``gap``, ``accuracy``, ``outcome``, ...

    Examples
    --------
    Least squares on the :math:`M=4` ring; the loss falls towards its minimum:

    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> run = ct.simulate.train(net, problem="least-squares", scheme="cogc", rounds=20,
    ...                         trials=2, seed=0)
    >>> run.loss.shape
    (2, 21)
    >>> bool((run.loss[:, -1] < run.loss[:, 0]).all())
    True
    """
    scheme = _check_scheme(scheme)
    return train_schemes(net, [scheme], problem=problem, rounds=rounds, trials=trials,
                         seed=seed, eta=eta, renormalize=renormalize, split=split, alpha=alpha,
                         data_seed=data_seed, problem_options=problem_options, w0=w0,
                         keep_iterates=keep_iterates, workers=workers)[scheme]
