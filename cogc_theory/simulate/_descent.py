r"""Gradient descent of a chunk of trials over all rounds, the outcomes decoded in advance.

:func:`descend` is the engine of :mod:`cogc_theory.simulate.training`: given the client
weights :math:`\omega_t` of every round of every trial of a chunk, it runs
:math:`w_{t+1}=w_t-\eta\sum_k\omega_{tk}\nabla f_k(w_t)` vectorised over the trials.

Only the trials that update in a round are recomputed: an outage leaves ``w`` unchanged, so
its loss, test metrics and next update direction carry over. Because the outcomes are known in
advance, the forward pass that gives a model's loss already scales its residuals by the
weights of that model's **next** update, and the update's direction is computed there and then
(:meth:`~cogc_theory.simulate.Problem.gradient` does the same with weights :math:`1/M`): no
``(trials, C, n)`` residuals are kept across rounds. Every product is per trial
(``numpy.matmul`` over the stack), so working on a subset changes no trial's arithmetic.
"""

from __future__ import annotations

import functools

import numpy as np

from .problems import Problem

__all__ = ["descend", "next_updates"]


def next_updates(active: np.ndarray, rounds: int) -> np.ndarray:
    """``nxt[t, i]``: trial ``i``'s first update at a round ``>= t`` (``rounds``: none), from
    ``active`` ``(rounds, trials)``, whether each trial updates in each round."""
    nxt = np.full((rounds + 1, active.shape[1]), rounds, dtype=np.intp)
    for t in range(rounds - 1, -1, -1):
        nxt[t] = np.where(active[t], t, nxt[t + 1])
    return nxt


def _forward(problem: Problem, cw: np.ndarray, nxt: np.ndarray, rounds: int, D: np.ndarray,
             sel: np.ndarray | None, Ws: np.ndarray, t: int) -> np.ndarray:
    """Forward pass of the trials ``sel`` (None: all) at models ``Ws``, with their residuals
    scaled for their next update (at a round >= t), and that update's direction into ``D``;
    returns the losses."""
    nx = nxt[t] if sel is None else nxt[t, sel]
    upd = nx < rounds
    if not upd.any():
        return problem.forward(Ws)[0]
    tr = np.arange(nxt.shape[1]) if sel is None else sel
    cwn = cw[np.minimum(nx, max(rounds - 1, 0)), tr]   # rows without a next update: unused
    Fs, R = problem.forward(Ws, problem.sample_scale(cwn))
    if upd.all():
        D[tr] = problem.backward(Ws, R, cwn, scaled=True)
    else:
        u = np.flatnonzero(upd)
        D[tr[u]] = problem.backward(Ws, R, cwn, scaled=True, sel=u)
    return Fs


def descend(problem: Problem, weights: np.ndarray, w0: np.ndarray, eta: float, rounds: int,
            lo: int, hi: int, loss: np.ndarray, tl: np.ndarray | None, acc: np.ndarray | None,
            its: np.ndarray | None, w_final: np.ndarray) -> None:
    """Trials ``lo:hi`` (client weights ``weights`` ``(rounds, hi - lo, M)``, initial models
    ``w0``), all rounds; writes into rows ``lo:hi`` of the outputs: ``loss``, ``tl`` (test
    loss), ``acc`` (accuracy) ``(rounds + 1, trials)``, ``its`` ``(trials, rounds + 1, d)``
    (iterates) and ``w_final`` ``(trials, d)`` (``None`` outputs are not computed)."""
    nb = hi - lo
    W = problem.to_internal(w0)
    active = np.any(weights != 0, axis=2)                             # (rounds, nb)
    D = np.zeros_like(W)
    step = functools.partial(_forward, problem, weights, next_updates(active, rounds), rounds,
                             D)
    F = step(None, W, 0)
    TL = AC = None
    if tl is not None:
        TL, AC = problem.heldout_metrics(W)
    for t in range(rounds + 1):
        loss[t, lo:hi] = F
        if TL is not None:
            tl[t, lo:hi] = TL
            if acc is not None:
                acc[t, lo:hi] = AC
        if its is not None:
            its[lo:hi, t] = problem.from_internal(W)
        if t == rounds:
            break
        idx = np.flatnonzero(active[t])
        if idx.size == 0:
            continue
        if idx.size == nb:                                            # everyone updates
            W = W - eta * D
            F = step(None, W, t + 1)
            if TL is not None:
                TL, AC = problem.heldout_metrics(W)
            continue
        Wi = W[idx] - eta * D[idx]
        W[idx] = Wi
        F[idx] = step(idx, Wi, t + 1)
        if TL is not None:
            TL[idx], a = problem.heldout_metrics(Wi)
            if AC is not None:
                AC[idx] = a
    w_final[lo:hi] = problem.from_internal(W)
