r"""Checks of a given GC matrix: does every set of :math:`M-s` rows span :math:`\mathbf 1`?"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from .. import exact as _exact
from .._linalg import ATOL, RTOL, Tolerance, span_contains
from .._validate import check_int
from ._common import MAX_SUBSETS, iter_keep, parse_B

__all__ = ["is_gc_matrix", "spans_ones_exact", "straggler_tolerance"]


def spans_ones_exact(rows: list[list[Fraction]]) -> bool:

    if not rows:
        return False
    return _exact.solve_left(rows, [1] * len(rows[0])) is not None


def is_gc_matrix(B: Any, s: int, *, rtol: float = RTOL, atol: float = ATOL,
                 max_subsets: int = MAX_SUBSETS) -> bool:
    r"""Whether every set of :math:`M-s` rows of ``B`` spans the all-ones vector.

    .. math:: \forall R,\ |R|=M-s:\quad \mathbf 1\in\operatorname{rowspace}B_R .

    Exact enumeration of the :math:`\binom{M}{s}` row sets (stopping at the first failure):
    exact rational arithmetic for a sympy matrix (or object array) of rationals, otherwise a
    batched SVD test with the tolerances of the module docstring.

    Parameters
    ----------
    B : array-like (M, M) or sympy.Matrix
        Finite real matrix (complex input raises ``TypeError``); rationals are checked
        exactly.
    s : int
        Number of stragglers, :math:`0\le s\le M-1`.
    rtol, atol : float
        Float rank and membership tolerances (:class:`cogc_theory._linalg.Tolerance`:
        ``rtol`` in :math:`(0, 1)`, ``atol`` in :math:`(0, 10^{-2}]`; ignored on the exact
        path).
    max_subsets : int
        Refuse (``ValueError``) rather than enumerate more than this many row sets.

    Returns
    -------
    bool

    Examples
    --------
    Tandon et al.'s published :math:`n=3, s=1` example decodes from every pair of workers:

    >>> import sympy as sp
    >>> B = sp.Matrix([[sp.Rational(1, 2), 1, 0], [0, 1, -1], [sp.Rational(1, 2), 0, 1]])
    >>> is_gc_matrix(B, 1), is_gc_matrix(B, 2)
    (True, False)
    """
    exact, Bf, rows = parse_B(B)
    M = Bf.shape[0]
    s = check_int(s, "s", lo=0, hi=M - 1)
    tol = Tolerance(rtol, atol)
    max_subsets = check_int(max_subsets, "max_subsets", lo=1)
    total = math.comb(M, s)
    if total > max_subsets:
        raise ValueError(
            f"is_gc_matrix would enumerate C({M}, {s}) = {total} row sets, more than "
            f"max_subsets={max_subsets}; raise max_subsets, or use conditioning() for a "
            f"sampled check"
        )
    return _is_gc(exact, Bf, rows, s, tol)


def _is_gc(exact: bool, Bf: np.ndarray, rows: list[list[Fraction]] | None, s: int,
           tol: Tolerance) -> bool:
    M = Bf.shape[0]
    for keep in iter_keep(M, M - s):
        if exact:
            assert rows is not None
            for R in keep.tolist():
                if not spans_ones_exact([rows[i] for i in R]):
                    return False
        elif not np.all(span_contains(Bf[keep], None, tol)):
            return False
    return True


def straggler_tolerance(B: Any, *, rtol: float = RTOL, atol: float = ATOL,
                        max_subsets: int = MAX_SUBSETS) -> int:
    r"""Largest :math:`s` with :func:`is_gc_matrix` ``(B, s)``; ``-1`` if :math:`\mathbf 1\notin
    \operatorname{rowspace}B`.

    The property is monotone in :math:`s` (a superset of a decodable set is decodable), so
    the search runs upwards from :math:`s=0` and stops at the first failure. The result lies in
    :math:`\{-1, 0, \dots, M-1\}`; :math:`M-1` means every single row is a multiple of
    :math:`\mathbf 1`.

    Parameters
    ----------
    B : array-like (M, M) or sympy.Matrix
    rtol, atol, max_subsets
        As in :func:`is_gc_matrix`; ``max_subsets`` caps each level of the search.

    Returns
    -------
    int

    Examples
    --------
    >>> import numpy as np
    >>> straggler_tolerance(np.eye(3)), straggler_tolerance(np.ones((3, 3)))
    (0, 2)
    >>> straggler_tolerance(np.diag([1.0, 1.0, 0.0]))
    -1
    """
    exact, Bf, rows = parse_B(B)
    tol = Tolerance(rtol, atol)
    max_subsets = check_int(max_subsets, "max_subsets", lo=1)
    M = Bf.shape[0]
    s = -1
    while s + 1 <= M - 1:
        total = math.comb(M, s + 1)
        if total > max_subsets:
            raise ValueError(
                f"straggler_tolerance would enumerate C({M}, {s + 1}) = {total} row sets, more "
                f"than max_subsets={max_subsets}; raise max_subsets"
            )
        if not _is_gc(exact, Bf, rows, s + 1, tol):
            break
        s += 1
    return s
