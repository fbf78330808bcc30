r"""Monte Carlo outage of a network: the channels drawn, the rounds decoded, the driver run.

:func:`outage` is the simple face of the Monte Carlo driver
(:mod:`cogc_theory.simulate.montecarlo`). One trial is one round: the channels of
:class:`~cogc_theory.simulate.links.LinkModel` are drawn (uplinks, then one channel per used
link, one per pair with reciprocal links), the effective matrix :math:`\tilde B = B\circ\tau`
is formed and the rounds of a batch of chunks are decoded at once (:class:`OutageSystem`):

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
>>> import cogc_theory as ct
>>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
>>> est = outage(net, "standard", trials=20_000, seed=0)
>>> lo, hi = est.ci(0.999)
>>> bool(lo < ct.outage.cogc(net) < hi)      # 0.313224...
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TextIO

import numpy as np

from .. import decode
from ._driver import BatchEvaluator, check_common, drive
from ._fastmc import FastOutageSystem
from ._mc import check_method, check_trials, root_seed
from .estimates import OutageEstimate
from .stopping import StopCriterion, stop_rule

__all__ = ["OutageSystem", "outage"]


#: Bytes of ``(n, M, M)`` float matrices the dense route decodes at once (memory is a few
#: times this): 32 MiB is 419,430 rounds at M = 10 (so one batch of chunks is one call)
#: and 46 rounds at M = 300.
_STACK_BYTES = 2**25


class OutageSystem:
    r"""A network with a decoder: channel outcomes in, failures out (batched).

    Parameters
    ----------
    net : CooperativeNetwork
        Numeric network.
    decoder : {"standard", "gcplus"}
    rule : {"individual", "max-subset", "least-squares"}
        GC+ partial rule (it does not change which trials fail).

    Notes
    -----
    When a structured route applies (:class:`~cogc_theory.simulate._fastmc.FastOutageSystem`:
    counting received rows for standard decoding when the network knows its code is a
    threshold family by construction, ``net.threshold``; otherwise, for standard decoding,
    deciding from the erased rows against the left null space of ``B``,
    :math:`O(M^2+Ms^2)` per trial; for GC+, banded elimination,
    :math:`O(Ms^2)` per trial, when ``B`` has a cyclic band, and the SVD rule block by block
    when the network splits into disconnected blocks, e.g. fractional repetition), the
    failures are decided by it: the decisions of the decoders' rule (the trials it cannot
    settle go to the decoders); otherwise by :func:`cogc_theory.decode.standard` /
    :func:`cogc_theory.decode.gcplus` on the distinct outcomes. ``route`` says which
    (``"count"``, ``"erasures"``, ``"banded"``, ``"blocks"`` or ``"dense"``).

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
        # FastOutageSystem checks decoder and rule and builds the link model: share both
        fast = FastOutageSystem(net, decoder, rule, threshold=getattr(net, "threshold", None))
        self.model, self.net, self.decoder, self.rule = fast.model, net, decoder, rule
        self.B = fast.B
        self.route = fast.route
        self._fast = None if fast.route == "dense" else fast

    def failures(self, ok: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Decode channel outcomes ``ok`` (bool ``(T, C)``): failures bool ``(T,)``, extras.

        Trials with the same outcome are decoded once.
        """
        ok = np.asarray(ok, dtype=bool)
        if self._fast is not None:
            return self._fast.failures(ok)
        T = ok.shape[0]
        if T == 0:
            extras = {} if self.decoder == "standard" else {
                "recovered_size": np.zeros(0, dtype=np.int64),
                "total_outage": np.zeros(0, dtype=bool)}
            return np.zeros(0, dtype=bool), extras
        keys = np.packbits(ok, axis=1)
        keys = np.ascontiguousarray(keys).view(f"V{keys.shape[1]}").ravel()
        _, first, inv = np.unique(keys, return_index=True, return_inverse=True)
        # the dense decoders hold (n, M, M) stacks: decode at most _STACK_BYTES of matrices
        # at a time (40,000 distinct rounds at M = 300 would be 29 GB at once)
        M = self.B.shape[0]
        per = max(1, _STACK_BYTES // (8 * M * M))
        full = np.empty(first.size, dtype=bool)
        size = np.empty(first.size, dtype=np.int64)
        total = np.empty(first.size, dtype=bool)
        for lo in range(0, first.size, per):
            sl = slice(lo, lo + per)
            d = self.model.to_draw(ok[first[sl]])
            if self.decoder == "standard":
                full[sl] = np.asarray(decode.standard(self.B, d.received).full)
                continue
            r = decode.gcplus(d.effective(self.B), d.u, rule=self.rule)
            full[sl], size[sl], total[sl] = r.full, r.size, r.outage
        if self.decoder == "standard":
            return ~full[inv], {}
        return ~full[inv], {"recovered_size": size[inv], "total_outage": total[inv]}


def _evaluator(system: OutageSystem) -> BatchEvaluator:
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
           stream: TextIO | None = None,
           progress: Callable[[OutageEstimate], None] | None = None) -> OutageEstimate:
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
        Number of rounds when no target is given; at most
        :data:`~cogc_theory.simulate.MAX_TRIALS` (10**12, refused up front: days of
        computing at the fastest rates).
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
        Cap when a target is given (default ``trials``; at most ``MAX_TRIALS``).
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
    progress : callable, optional
        Called after every batch of chunks with the running estimate (status
        ``"running"``), e.g. to report a long run; it may raise :class:`KeyboardInterrupt`
        to stop the run (then the estimate holds the chunks finished so far).

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
    trials = check_trials(trials)
    cap = trials if max_trials is None else max_trials
    chunk, cap, batch_size, max_patterns, level = check_common(
        chunk, cap, batch_size, max_patterns, level)
    check_method(ci_method)
    root = root_seed(seed)
    crit = stop_rule(cap, target_failures=target_failures, rel_error=rel_error, level=level,
                     method=ci_method, stop=stop)
    res = drive(_evaluator(system), [None], seed=root, chunk=chunk, max_trials=cap,
                stop=crit, skip_after_zero=False, max_patterns=max_patterns,
                batch_size=batch_size, verbose=bool(verbose), stream=stream,
                display=(level, ci_method), progress=progress)
    return res[0]
