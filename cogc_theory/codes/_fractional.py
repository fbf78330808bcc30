"""Fractional-repetition codes: clients in groups of :math:`s+1`, each row its group's all-ones
block."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from ._common import check_bool, check_M_s

__all__ = ["fractional_repetition"]


def fractional_repetition(M: int, s: int, exact: bool = False) -> Any:
    r"""Fractional-repetition GC matrix: :math:`M/(s+1)` groups of :math:`s+1` clients.

    .. math:: B_{mk} = [\lfloor m/(s+1)\rfloor = \lfloor k/(s+1)\rfloor] .

    The rows of a group are all its indicator :math:`\mathbf 1_{G}`, and
    :math:`\mathbf 1=\sum_G\mathbf 1_G`; so a row set decodes iff it holds at least one row per
    group — any :math:`s` stragglers leave one, and as few as :math:`M/(s+1)` rows can suffice.

    Parameters
    ----------
    M : int
        Number of clients, :math:`2\le M\le` :data:`MAX_M` (10,000).
    s : int
        Straggler tolerance, :math:`0\le s\le M-1`, with :math:`(s+1)\mid M`.
    exact : bool
        Return a sympy Matrix of integers instead of a float array.

    Returns
    -------
    ndarray (M, M) float, or sympy.Matrix

    Examples
    --------
    >>> fractional_repetition(4, 1).astype(int)
    array([[1, 1, 0, 0],
           [1, 1, 0, 0],
           [0, 0, 1, 1],
           [0, 0, 1, 1]])
    """
    M, s = check_M_s(M, s)
    exact = check_bool(exact, "exact")
    if M % (s + 1):
        raise ValueError(
            f"fractional repetition needs (s + 1) to divide M, got M={M}, s={s}; choose s with "
            f"(s + 1) | M, e.g. s in {[d - 1 for d in range(1, M + 1) if M % d == 0]}"
        )
    g = np.arange(M) // (s + 1)
    B = (g[:, None] == g[None, :]).astype(float)
    return sp.Matrix(B.astype(int)) if exact else B
