"""Limits, argument checks and row-set enumeration shared by the code constructions and checks."""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp
from scipy.sparse import csgraph, csr_matrix

from .._validate import check_int, check_square_matrix

__all__ = ["CHUNK", "CHUNK_FLOATS", "CONSTRUCTIONS", "DEFAULT_CONSTRUCTION", "EXACT_SCALE",
           "MAX_CONDITIONING_SUBSETS", "MAX_M", "MAX_SUBSETS", "OPTIMIZED_CANDIDATES",
           "OPTIMIZED_MAX_M", "SCORE_SUBSETS", "check_M_s", "check_bool", "check_construction",
           "check_optimized_size", "chunk_sets", "is_exact_entry", "iter_keep",
           "keep_from_stragglers", "parse_B", "readonly", "straggler_sets", "support_blocks"]

#: Names accepted by ``construction=`` of the cyclic codes (``"auto"``: ``"optimized"`` for
#: M <= OPTIMIZED_MAX_M, ``"generic"`` above).
CONSTRUCTIONS = ("auto", "optimized", "orthonormal", "gaussian", "circulant", "generic")

#: The default construction of codes on a graph (generic and well conditioned; see the module
#: docstring); cyclic codes default to ``"auto"``, which is this one for M <= OPTIMIZED_MAX_M.
DEFAULT_CONSTRUCTION = "optimized"

#: Number of seeded ``"orthonormal"`` candidates among which ``"optimized"`` picks the best.
OPTIMIZED_CANDIDATES = 16

#: Straggler sets scored per candidate by ``"optimized"`` (all of them if fewer exist; else the
#: ``M`` cyclic windows plus a seeded sample).
SCORE_SUBSETS = 160

#: Default cap on the number of row subsets an exact enumeration may visit.
MAX_SUBSETS = 2_000_000

#: Largest ``max_subsets`` accepted by :func:`conditioning` (its sample is drawn one set at a
#: time, about 40 µs per set: 200,000 sets take about 10 s).
MAX_CONDITIONING_SUBSETS = 200_000

#: Largest number of clients of the constructions (:func:`cyclic_repetition`,
#: :func:`cyclic_code`, :func:`cyclic_support`, :func:`fractional_repetition`): an (M, M)
#: float64 matrix takes 8 M² bytes, 800 MB at M = 10,000, and a construction holds a few.
MAX_M = 10_000

#: Largest M for which ``construction="optimized"`` scores its candidates (when
#: 0 < s < M - 1): scoring takes about M SVDs of (M - s) x M matrices per candidate, about
#: M**4 work (measured: 2-4 s at M = 100, 22-38 s at M = 200); beyond it use "orthonormal"
#: (one such draw, instant) or "gaussian".
OPTIMIZED_MAX_M = 100

#: Integer scale used to round a float parity matrix for the exact variant.
EXACT_SCALE = 64

#: Chunk of subsets processed per batched SVD (at most; see chunk_sets).
CHUNK = 2048

#: Floats per stacked chunk of row sets (32 MB): bounds the chunk for large M.
CHUNK_FLOATS = 1 << 22


def check_M_s(M: Any, s: Any) -> tuple[int, int]:
    M = check_int(M, "M", lo=2)
    if M > MAX_M:
        raise ValueError(
            f"M must be <= {MAX_M} (MAX_M: an (M, M) float matrix takes 8*M**2 bytes, "
            f"{Decimal(8 * M * M) / 2**30:.3g} GiB at M={M}), got {M}; use fewer clients"
        )
    s = check_int(s, "s", lo=0, hi=M - 1)
    return M, s


def check_optimized_size(M: int, s: int, construction: str) -> None:
    """Refuse ``"optimized"`` where scoring its candidates would take too long."""
    if construction == "optimized" and 0 < s < M - 1 and M > OPTIMIZED_MAX_M:
        raise ValueError(
            f"construction='optimized' supports M <= {OPTIMIZED_MAX_M} (OPTIMIZED_MAX_M: it "
            f"scores {OPTIMIZED_CANDIDATES} candidates by M SVDs of (M - s) x M matrices each), "
            f"got M={M}; pass construction='orthonormal' or construction='gaussian' (instant)"
        )


def chunk_sets(r: int, M: int) -> int:
    """Row sets per batched SVD: ``CHUNK``, fewer when a stack (n, r, M) would exceed
    ``CHUNK_FLOATS`` floats (at least one)."""
    return max(1, min(CHUNK, CHUNK_FLOATS // max(1, r * M)))


def check_construction(construction: Any, allowed: tuple[str, ...] = CONSTRUCTIONS) -> str:
    if not isinstance(construction, str) or construction not in allowed:
        raise ValueError(
            f"construction must be one of {', '.join(map(repr, allowed))}, got {construction!r}"
        )
    return construction


def check_bool(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def is_exact_entry(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, sp.Basic):
        return bool(x.is_Rational)
    return isinstance(x, (numbers.Integral, Fraction))


def parse_B(B: Any, name: str = "B") -> tuple[bool, np.ndarray, list[list[Fraction]] | None]:
    """Return ``(exact, float_array, fraction_rows)`` for a square matrix argument.

    A sympy matrix, or a numpy object array, whose entries are all rationals (sympy Rational,
    int, Fraction) is exact; anything else must be a finite real matrix and is handled in
    float.
    """
    exact_src = None
    if isinstance(B, sp.MatrixBase):
        if all(is_exact_entry(x) for x in B):
            exact_src = B.tolist()
    elif isinstance(B, np.ndarray) and B.dtype == object and B.size:
        if all(is_exact_entry(x) for x in B.ravel()):
            exact_src = B.tolist()
    Bf = check_square_matrix(B, name)
    if exact_src is None:
        return False, Bf, None
    rows = [[Fraction(int(sp.Rational(x).p), int(sp.Rational(x).q)) if isinstance(x, sp.Basic)
             else Fraction(x) for x in row] for row in exact_src]
    return True, Bf, rows


def straggler_sets(M: int, s: int, max_subsets: int,
                    rng: np.random.Generator | None) -> tuple[np.ndarray, bool]:
    """Straggler sets (n, s) int: all of them, or the M cyclic windows plus a seeded sample."""
    total = math.comb(M, s)
    if total <= max_subsets or rng is None:
        allT = np.array(list(itertools.combinations(range(M), s)), dtype=int)
        return allT.reshape(total, s), True
    windows = (np.arange(M)[:, None] + np.arange(s)[None, :]) % M
    seen = {tuple(sorted(w)) for w in windows.tolist()}
    out = [sorted(w) for w in windows.tolist()]
    target = max(max_subsets, len(out))
    while len(out) < target:
        t = tuple(sorted(rng.choice(M, size=s, replace=False).tolist()))
        if t not in seen:
            seen.add(t)
            out.append(list(t))
    return np.array(out, dtype=int).reshape(-1, s), False


def keep_from_stragglers(M: int, T: np.ndarray) -> np.ndarray:
    """Rows kept (n, M - s) int, ascending, for straggler sets ``T`` (n, s)."""
    mask = np.ones((T.shape[0], M), dtype=bool)
    np.put_along_axis(mask, T, False, axis=1)
    keep = np.nonzero(mask)[1].reshape(T.shape[0], M - T.shape[1])
    return keep


def iter_keep(M: int, r: int) -> Iterator[np.ndarray]:
    """Chunks (n, r) of all row sets of size ``r`` in lexicographic order; a chunk's stack
    ``B[keep]`` holds at most ``CHUNK_FLOATS`` floats (or one set)."""
    it = itertools.combinations(range(M), r)
    n = chunk_sets(r, M)
    while True:
        chunk = list(itertools.islice(it, n))
        if not chunk:
            return
        yield np.array(chunk, dtype=int).reshape(-1, r)


def readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.flags.writeable = False
    return a


def support_blocks(support: np.ndarray) -> list[np.ndarray]:
    """Connected components of a bool ``(M, M)`` support (links taken both ways): the
    blocks of a block code, clients in increasing order, blocks by their first client.
    :func:`scipy.sparse.csgraph.connected_components`, O(M + nnz).

    Examples
    --------
    >>> import numpy as np
    >>> sup = np.eye(5, dtype=bool); sup[0, 3] = sup[4, 1] = True
    >>> [b.tolist() for b in support_blocks(sup)]
    [[0, 3], [1, 4], [2]]
    """
    sup = np.asarray(support, dtype=bool)
    n, label = csgraph.connected_components(csr_matrix(sup | sup.T), directed=False)
    order = np.argsort(label, kind="stable")
    cuts = np.cumsum(np.bincount(label, minlength=n))[:-1]
    return sorted(np.split(order, cuts), key=lambda b: int(b[0]))
