"""Exact matrices of the suite (internal): Fractions from any matrix, used rows, and the
nearly singular, badly scaled cases (:func:`near_singular_matrices`) with their constants."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from functools import lru_cache
from typing import Any

import numpy as np
import sympy as sp
from hypothesis import strategies as st

from .. import exact as _exact
from ._strategies import cyclic_exact

__all__ = ["COND_MAX", "PERTURB", "TOL", "ULTRA_K", "as_fractions", "check_cond_max",
           "float_matrix", "hard_matrix", "hard_specs", "integer_cyclic", "k_max_for",
           "near_singular_matrices", "ultra_matrix", "zero_rows"]


#: Default certificate tolerance and smallest distance of a non-member target (``tol``).
TOL = 1e-7
#: Default largest condition number of a case's used rows (``cond_max``).
COND_MAX = 1e7
# hard bases, with draw weights: codes near their threshold are where targets come closest
# to the row space
_HARD_DRAW = ("blocks", "cyclic", "cyclic", "integer", "cyclic", "signed", "blocks", "binary")
ULTRA_K = (12, 30)          # exact-input perturbations 10**-k
PERTURB = 3                 # perturbation numerators p in [-3, 3]
_P_CHOICES = (1, -1, 2, -3, 3, -2, 0)


# ----------------------------------------------------------------------------- hard matrices
def _k_choices(k_max: int) -> tuple[int, ...]:
    """Exponents k of the perturbations 2**-k: every k once, the top ten twice more (the
    near-miss distances 1e-8..1e-5 that loose tolerances misjudge come from large k)."""
    top = tuple(range(max(1, k_max - 9), k_max + 1))
    return tuple(range(1, k_max + 1)) + top + top


def k_max_for(cond_max: float) -> int:
    return max(2, min(30, int(math.log2(cond_max))))


@lru_cache(maxsize=256)
def integer_cyclic(M: int, s: int, seed: int) -> tuple[tuple[int, ...], ...]:
    """:func:`cyclic_exact` with each row scaled to coprime integers (same row space)."""
    B = cyclic_exact(M, s, seed=seed)
    rows = []
    for m in range(M):
        row = [Fraction(int(x.p), int(x.q)) for x in B.row(m)]
        lcm = math.lcm(*(x.denominator for x in row))
        ints = [int(x * lcm) for x in row]
        g = math.gcd(*ints) or 1
        rows.append(tuple(v // g for v in ints))
    return tuple(rows)


@st.composite
def hard_specs(draw: Callable, k_max: int, min_M: int = 3, max_M: int = 6) -> tuple:
    base = draw(st.sampled_from(_HARD_DRAW))
    M = draw(st.integers(min_M, max_M))
    if base == "blocks":
        params: tuple = tuple(draw(st.lists(st.booleans(), min_size=M - 1, max_size=M - 1)))
    elif base == "cyclic":
        params = (draw(st.integers(1, max(1, M - 2))), draw(st.integers(0, 20)))
    elif base == "integer":
        params = tuple(draw(st.lists(st.integers(-3, 3), min_size=M * M, max_size=M * M)))
    elif base == "signed":
        params = tuple(draw(st.lists(st.sampled_from((0, 1, -1)), min_size=M * M,
                                     max_size=M * M)))
    else:
        params = tuple(draw(st.lists(st.booleans(), min_size=M * M, max_size=M * M)))
    k = draw(st.sampled_from(_k_choices(k_max)))
    P = tuple(draw(st.lists(st.sampled_from(_P_CHOICES), min_size=M * M, max_size=M * M)))
    rows = tuple(draw(st.lists(st.one_of(st.just(0), st.integers(-12, 12)), min_size=M,
                               max_size=M)))
    scale = draw(st.one_of(st.just(0), st.integers(-60, 60)))
    return (base, M, params, k, P, rows, scale)


@lru_cache(maxsize=4096)
def hard_matrix(spec: tuple) -> tuple[tuple[Fraction, ...], ...]:
    r"""The exact matrix of a hard spec: :math:`B_{mk}=b_{mk}(1+p_{mk}2^{-k})\,2^{e_m+g}`,
    each entry rounded to the nearest float (a no-op below 53 significant bits, which is
    every case at the default ``cond_max``), so that its float is exactly this rational."""
    base, M, params, k, P, rows, scale = spec
    if base == "ladder":
        B0 = np.array(params, dtype=object)
    elif base == "blocks":
        group = np.concatenate([[0], np.cumsum(params)])
        B0 = (group[:, None] == group[None, :]).astype(int)
    elif base == "cyclic":
        B0 = np.array(integer_cyclic(M, params[0], params[1]), dtype=object)
    elif base in ("integer", "signed"):
        B0 = np.array(params, dtype=int).reshape(M, M)
        np.fill_diagonal(B0, np.where(np.diag(B0) == 0, 1, np.diag(B0)))
    else:
        B0 = np.array(params, dtype=int).reshape(M, M)
        np.fill_diagonal(B0, 1)
    den = 2 ** k
    out = []
    for m in range(M):
        f = Fraction(2) ** (rows[m] + scale)
        # Fraction(float(x)): the nearest float's exact value, x itself unless x needs more
        # than 53 bits (large code entries with k near 30)
        out.append(tuple(Fraction(float(Fraction(int(B0[m, j]) * (den + P[m * M + j]), den)
                                        * f)) for j in range(M)))
    return tuple(out)


def near_singular_matrices(min_M: int = 3, max_M: int = 6,
                           cond_max: float = COND_MAX) -> st.SearchStrategy:
    r"""Strategy for nearly singular, badly scaled float matrices (M, M) that are exact rationals.

    A base matrix ``b`` — all-ones blocks on the diagonal (fractional repetition with blocks
    of any size), a cyclic-repetition code scaled to integer rows, random integers in
    :math:`[-3,3]` or in :math:`\{0,\pm1\}`, or random 0/1 entries (nonzero diagonal) —
    becomes

    .. math:: B_{mk} = b_{mk}\,(1+p_{mk}2^{-k})\,2^{e_m+g},\qquad p_{mk}\in[-3,3],\
              1\le k\le\log_2(\mathrm{cond\_max}),\ |e_m|\le 12,\ |g|\le 60 .

    Rank-deficient bases (blocks, codes) gain singular values of order :math:`2^{-k}`, targets
    that were in the row space move off it by about :math:`2^{-k}`, and row and global scales
    spread the entries over many orders of magnitude. The entries need at most 53 significant
    bits at the default ``cond_max`` (beyond, each is rounded to its float first), so
    ``Fraction(x)`` of each float is the case's rational: no rounding separates what a
    decoder sees from what the oracle judges. The matrices are not filtered; see
    :func:`check_decoder` for the limits a case must meet to be used.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from hypothesis import find, settings
    >>> B = find(near_singular_matrices(max_M=4), lambda B: B.shape[0] == 4,
    ...          settings=settings(database=None, derandomize=True))
    >>> B.shape, all(Fraction(float(x)) == Fraction(x) for x in B.ravel())   # exact floats
    ((4, 4), True)
    """
    if not 2 <= min_M <= max_M:
        raise ValueError(f"need 2 <= min_M <= max_M, got min_M={min_M}, max_M={max_M}")
    return hard_specs(k_max_for(check_cond_max(cond_max)), min_M, max_M).map(
        lambda spec: float_matrix(hard_matrix(spec)))


def ultra_matrix(B: tuple, k: int, P: tuple) -> tuple[tuple[Fraction, ...], ...]:
    """``B`` with entries times ``1 + p / 10**k`` (exact; floats cannot see it for k > 16)."""
    M = len(B)
    return tuple(tuple(x * (1 + Fraction(P[m * M + j], 10 ** k)) for j, x in enumerate(row))
                 for m, row in enumerate(B))


# ----------------------------------------------------------------------------- cases
def as_fractions(B: Any) -> tuple[tuple[Fraction, ...], ...]:
    """A sympy / numpy / nested-list matrix as exact Fractions (floats converted exactly)."""
    rows = B.tolist() if isinstance(B, sp.MatrixBase | np.ndarray) else [list(r) for r in B]
    out = []
    for r in rows:
        row = []
        for x in r:
            if isinstance(x, float | np.floating):
                row.append(Fraction(float(x)))
            else:
                row.append(_exact.as_fraction(x, "matrix entry"))
        out.append(tuple(row))
    return tuple(out)


def float_matrix(B: tuple) -> np.ndarray:
    return np.array([[float(x) for x in r] for r in B], dtype=float).reshape(len(B), len(B))


def zero_rows(B: tuple, keep: np.ndarray) -> tuple:
    zero = Fraction(0)
    return tuple(row if keep[m] else (zero,) * len(row) for m, row in enumerate(B))



def check_cond_max(cond_max: Any) -> float:
    if isinstance(cond_max, bool) or not isinstance(cond_max, int | float) \
            or not 10 <= cond_max <= 1e12:
        raise ValueError(f"cond_max must be a number in [10, 1e12] (the largest condition "
                         f"number of a case; default {COND_MAX:g}), got {cond_max!r}")
    return float(cond_max)


