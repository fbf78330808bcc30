"""Conditioning of the decoding systems of a GC matrix (how far float decoding can be trusted)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._linalg import RTOL
from .._validate import check_int, check_rng
from ._common import (
    MAX_CONDITIONING_SUBSETS,
    SCORE_SUBSETS,
    chunk_sets,
    keep_from_stragglers,
    parse_B,
    straggler_sets,
)

__all__ = ["Conditioning", "conditioning", "score"]


@dataclass(frozen=True)
class Conditioning:
    r"""Worst-case conditioning of the decoding systems of a GC matrix.

    For each straggler set :math:`T` (:math:`|T|=s`) and :math:`R=T^c`, the decoding system is
    :math:`a^\top B_R=\mathbf 1^\top`. Recorded over the visited sets:

    Attributes
    ----------
    M, s : int
    max_condition : float
        :math:`\max_R\kappa(B_R)`, :math:`\kappa=\sigma_1/\sigma_{M-s}` (``inf`` if rank
        deficient).
    median_condition : float
    max_weight : float
        :math:`\max_R\lVert a_R\rVert_\infty` for the minimum-norm solution :math:`a_R`.
    max_residual : float
        :math:`\max_R\lVert a_R^\top B_R-\mathbf 1^\top\rVert_\infty` (float64 solve).
    worst_stragglers : tuple of int
        A straggler set attaining ``max_condition``.
    subsets, total_subsets : int
        Sets visited, and :math:`\binom Ms`.
    exhaustive : bool
        Whether every set was visited; if not the maxima are lower bounds (the visited sets
        are the :math:`M` cyclic windows plus a seeded uniform sample).

    Examples
    --------
    >>> import cogc_theory as ct
    >>> c = ct.codes.conditioning(ct.codes.cyclic_repetition(6, 2, seed=0), 2)
    >>> c.subsets, c.total_subsets, c.exhaustive          # all C(6, 2) = 15 straggler sets
    (15, 15, True)
    >>> 1 <= c.median_condition <= c.max_condition < 100, c.max_residual < 1e-12
    (True, True)
    """

    M: int
    s: int
    max_condition: float
    median_condition: float
    max_weight: float
    max_residual: float
    worst_stragglers: tuple[int, ...]
    subsets: int
    total_subsets: int
    exhaustive: bool


def system_stats(B: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Condition numbers, max |weights| and residuals of the systems left by stragglers T."""
    M = B.shape[0]
    conds, weights, resids = [], [], []
    step = chunk_sets(M - T.shape[1], M)
    for i in range(0, T.shape[0], step):
        keep = keep_from_stragglers(M, T[i:i + step])
        A = B[keep]  # (n, r, M)
        U, sv, Vt = np.linalg.svd(A, full_matrices=False)
        smax, smin = sv[:, 0], sv[:, -1]
        with np.errstate(divide="ignore", invalid="ignore"):
            cond = np.where(smin > 0, smax / np.where(smin > 0, smin, 1.0), np.inf)
        pos = sv > max(RTOL, np.finfo(float).eps * M) * smax[:, None]
        inv = np.where(pos, 1.0 / np.where(pos, sv, 1.0), 0.0)
        a = np.einsum("nij,nj->ni", U, (Vt @ np.ones(M)) * inv)  # min-norm a with A^T a = 1
        res = np.abs(np.einsum("ni,nij->nj", a, A) - 1.0).max(axis=1)
        conds.append(cond)
        weights.append(np.abs(a).max(axis=1))
        resids.append(res)
    return np.concatenate(conds), np.concatenate(weights), np.concatenate(resids)


def conditioning(B: Any, s: int, *, max_subsets: int = 20_000, seed: Any = 0) -> Conditioning:
    r"""Condition numbers and decoding weights of ``B`` over its straggler sets.

    For each straggler set :math:`T`, :math:`|T|=s`, the server solves
    :math:`a^\top B_R=\mathbf 1^\top` with :math:`R=T^c`; the accuracy of a float decode
    degrades with :math:`\kappa(B_R)=\sigma_1(B_R)/\sigma_{M-s}(B_R)` and the size of the
    weights :math:`a_R` (minimum-norm solution, :math:`a_R=(B_R^\top)^+\mathbf 1`).

    Parameters
    ----------
    B : array-like (M, M) or sympy.Matrix
    s : int
        Number of stragglers, :math:`0\le s\le M-1`.
    max_subsets : int
        Visit all :math:`\binom Ms` sets if there are at most this many; otherwise the
        :math:`M` cyclic windows :math:`\{t,\dots,t+s-1\}` plus a seeded uniform sample, up to
        ``max_subsets`` sets in all (the maxima are then lower bounds). At most
        :data:`MAX_CONDITIONING_SUBSETS` (200,000): the sample is drawn one set at a time.
        For an exhaustive check of the straggler tolerance of a larger family use
        :func:`is_gc_matrix`.
    seed : int, SeedSequence or Generator
        Seed of the sample.

    Returns
    -------
    Conditioning

    Raises
    ------
    TypeError
        ``B`` not a real matrix (complex entries, symbols, non-numbers), or ``s``,
        ``max_subsets`` not integers.
    ValueError
        ``B`` not square or not finite, ``s`` outside :math:`[0, M-1]`, or ``max_subsets``
        outside :math:`[1,` :data:`MAX_CONDITIONING_SUBSETS` :math:`]`.

    Examples
    --------
    >>> from cogc_theory.codes import cyclic_repetition
    >>> c = conditioning(cyclic_repetition(10, 3, construction="circulant"), 3)
    >>> c.exhaustive, c.subsets, round(c.max_condition, 1)
    (True, 120, 41.9)
    """
    _, Bf, _ = parse_B(B)
    M = Bf.shape[0]
    s = check_int(s, "s", lo=0, hi=M - 1)
    max_subsets = check_int(max_subsets, "max_subsets", lo=1)
    if max_subsets > MAX_CONDITIONING_SUBSETS:
        raise ValueError(
            f"max_subsets must be <= {MAX_CONDITIONING_SUBSETS} (MAX_CONDITIONING_SUBSETS: the "
            f"sample is drawn one set at a time), got {max_subsets}; pass a smaller "
            f"max_subsets, or use is_gc_matrix() for an exhaustive check"
        )
    rng = check_rng(seed)
    T, exhaustive = straggler_sets(M, s, max_subsets, rng)
    cond, w, res = system_stats(Bf, T)
    i = int(np.argmax(cond))
    return Conditioning(
        M=M, s=s, max_condition=float(cond.max()), median_condition=float(np.median(cond)),
        max_weight=float(w.max()), max_residual=float(res.max()),
        worst_stragglers=tuple(int(t) for t in T[i]), subsets=int(T.shape[0]),
        total_subsets=math.comb(M, s), exhaustive=exhaustive,
    )


def score(B: np.ndarray, s: int, rng: np.random.Generator) -> float:
    """Worst condition number over the scored straggler sets (smaller is better)."""
    M = B.shape[0]
    T, _ = straggler_sets(M, s, SCORE_SUBSETS, rng)
    sv = np.linalg.svd(B[keep_from_stragglers(M, T)], compute_uv=False)
    smin = sv[:, -1].min()
    return float(np.max(sv[:, 0] / sv[:, -1])) if smin > 0 else np.inf
