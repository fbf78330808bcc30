r"""Gradient-coding (GC) matrices: constructions, checks and conditioning.

A GC matrix is a real :math:`M\times M` matrix :math:`B` whose row :math:`m` is client
:math:`m`'s encoding vector. It tolerates :math:`s` stragglers when every set of :math:`M-s`
rows spans the all-ones vector,

.. math:: \forall R\subseteq\{0,\dots,M-1\},\ |R| = M-s:\qquad
          \mathbf 1 \in \operatorname{rowspace} B_R ,

so that the server can form :math:`\sum_k g_k = a^\top B_R\, g` from any :math:`M-s` partial
sums. Because a superset of a decodable set is decodable, checking the sets of size exactly
:math:`M-s` suffices, and the property is monotone in :math:`s`.

**Null-space construction** (Tandon, Lei, Dimakis, Karampatziakis 2017, Alg. 2). Draw a
parity matrix :math:`H\in\mathbb R^{s\times M}` with :math:`H\mathbf 1=0` and give row
:math:`m` the unique (up to scale) vector of :math:`\ker H` supported on
:math:`S_m=\{m,m+1,\dots,m+s\}\bmod M`. All rows then lie in :math:`\ker H`, a space of
dimension :math:`M-s` that contains :math:`\mathbf 1`; for a generic :math:`H` every
:math:`M-s` rows are independent, hence span :math:`\ker H\ni\mathbf 1`, and no
:math:`M-s-1` rows span :math:`\mathbf 1`. The constructions differ in how :math:`H` is drawn
and how rows are scaled (see :func:`cyclic_repetition`):

* ``"gaussian"`` — the textbook one: Gaussian :math:`H`, :math:`B_{mm}=1`, the other
  :math:`s` entries from an :math:`s\times s` solve. Badly conditioned as :math:`s` grows.
* ``"orthonormal"`` — :math:`H` with orthonormal rows orthogonal to :math:`\mathbf 1` (a Haar
  draw), null vectors by SVD, rows of unit norm.
* ``"optimized"`` (default) — the best of :data:`OPTIMIZED_CANDIDATES` seeded
  ``"orthonormal"`` draws, ranked by the worst condition number of the decoding systems. Still a
  continuous random draw, so still generic; typically one to three orders of magnitude better
  conditioned than ``"gaussian"`` (``benchmarks/bench_conditioning.py``).
* ``"circulant"`` — the real cyclic-MDS construction of Raviv, Tamo, Tandon and Dimakis: a
  circulant :math:`B` whose first row is the coefficient vector of
  :math:`b(z)=\prod_{j\in J}(z-\omega^j)`, :math:`\omega=e^{2\pi i/M}`, with :math:`J` the
  :math:`s` consecutive exponents centred on :math:`M/2` (closed under conjugation, so
  :math:`b` is real; needs :math:`M-s` odd). Best conditioned, but *not generic*: its
  structure creates extra decodable sets (e.g. for :math:`s=1` the rows are
  :math:`e_m+e_{m+1}` and every other row sums to :math:`\mathbf 1`), so the decodable family
  is no longer "all sets of size :math:`\ge M-s`" and GC+ decisions can depend on more than the
  erasure pattern. That is why it is not the default.

**Float tolerances.** For a float :math:`B`, a row set :math:`R` spans :math:`\mathbf 1` when,
with :math:`\sigma_1\ge\sigma_2\ge\dots` the singular values of :math:`B_R` and
:math:`V_r` the right singular vectors of the :math:`r=\#\{i:\sigma_i>\mathrm{rtol}\,\sigma_1\}`
retained ones, :math:`\max_k|(\mathbf 1-V_rV_r^\top\mathbf 1)_k|\le\mathrm{atol}` (defaults
:data:`RTOL` ``= 1e-10`` and :data:`ATOL` ``= 1e-8``, those of :mod:`cogc_theory.decode`).
A decoding system with condition number beyond about :math:`1/\mathrm{rtol}` is therefore
reported as not spanning: float decoding of it is not trustworthy. A sympy matrix of rationals
is checked exactly (Fraction arithmetic, no tolerance).

Examples
--------
>>> import numpy as np
>>> B = cyclic_repetition(5, 2, seed=0)
>>> (B != 0).astype(int)
array([[1, 1, 1, 0, 0],
       [0, 1, 1, 1, 0],
       [0, 0, 1, 1, 1],
       [1, 0, 0, 1, 1],
       [1, 1, 0, 0, 1]])
>>> is_gc_matrix(B, 2), is_gc_matrix(B, 3), straggler_tolerance(B)
(True, False, 2)
>>> straggler_tolerance(fractional_repetition(6, 2))
2

References
----------
.. [1] R. Tandon, Q. Lei, A. G. Dimakis, N. Karampatziakis, "Gradient coding: avoiding
   stragglers in distributed learning", ICML 2017.
.. [2] N. Raviv, I. Tamo, R. Tandon, A. G. Dimakis, "Gradient coding from cyclic MDS codes and
   expander graphs", ICML 2018 / IEEE Trans. Inf. Theory 66(12), 2020.
"""

from __future__ import annotations

import functools
import itertools
import math
import numbers
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import networkx as nx
import numpy as np
import sympy as sp

from ._validate import check_int, check_rng, check_square_matrix

__all__ = [
    "ATOL",
    "CONSTRUCTIONS",
    "DEFAULT_CONSTRUCTION",
    "OPTIMIZED_CANDIDATES",
    "RTOL",
    "Conditioning",
    "GCCode",
    "conditioning",
    "cyclic_code",
    "cyclic_repetition",
    "cyclic_support",
    "fractional_repetition",
    "is_gc_matrix",
    "on_graph",
    "on_support",
    "straggler_tolerance",
]

#: Rank tolerance of the float checks, relative to the largest singular value of ``B_R``.
RTOL = 1e-10
#: Membership tolerance of the float checks, in units of the all-ones target.
ATOL = 1e-8
#: Names accepted by ``construction=``.
CONSTRUCTIONS = ("optimized", "orthonormal", "gaussian", "circulant")
#: The default construction (generic and well conditioned; see the module docstring).
DEFAULT_CONSTRUCTION = "optimized"
#: Number of seeded ``"orthonormal"`` candidates among which ``"optimized"`` picks the best.
OPTIMIZED_CANDIDATES = 16
#: Straggler sets scored per candidate by ``"optimized"`` (all of them if fewer exist; else the
#: ``M`` cyclic windows plus a seeded sample).
_SCORE_SUBSETS = 160
#: Default cap on the number of row subsets an exact enumeration may visit.
MAX_SUBSETS = 2_000_000
#: Integer scale used to round a float parity matrix for the exact variant.
_EXACT_SCALE = 64
#: Chunk of subsets processed per batched SVD.
_CHUNK = 2048


# ============================================================================ argument checks
def _check_M_s(M: Any, s: Any) -> tuple[int, int]:
    M = check_int(M, "M", lo=2)
    s = check_int(s, "s", lo=0, hi=M - 1)
    return M, s


def _check_construction(construction: Any, allowed: tuple[str, ...] = CONSTRUCTIONS) -> str:
    if not isinstance(construction, str) or construction not in allowed:
        raise ValueError(
            f"construction must be one of {', '.join(map(repr, allowed))}, got {construction!r}"
        )
    return construction


def _check_bool(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def _check_tols(rtol: Any, atol: Any) -> tuple[float, float]:
    out = []
    for name, v in (("rtol", rtol), ("atol", atol)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(float(v)):
            raise TypeError(f"{name} must be a finite real number, got {v!r}")
        if not 0 <= float(v) < 1:
            raise ValueError(f"{name} must lie in [0, 1), got {v}")
        out.append(float(v))
    return out[0], out[1]


def _is_exact_entry(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, sp.Basic):
        return bool(x.is_Rational)
    return isinstance(x, (numbers.Integral, Fraction))


def _parse_B(B: Any, name: str = "B") -> tuple[bool, np.ndarray, list[list[Fraction]] | None]:
    """Return ``(exact, float_array, fraction_rows)`` for a square matrix argument.

    A sympy matrix, or a numpy object array, whose entries are all rationals (sympy Rational,
    int, Fraction) is exact; anything else must be a finite real matrix and is handled in
    float.
    """
    exact_src = None
    if isinstance(B, sp.MatrixBase):
        if all(_is_exact_entry(x) for x in B):
            exact_src = B.tolist()
    elif isinstance(B, np.ndarray) and B.dtype == object and B.size:
        if all(_is_exact_entry(x) for x in B.ravel()):
            exact_src = B.tolist()
    Bf = check_square_matrix(B, name)
    if exact_src is None:
        return False, Bf, None
    rows = [[Fraction(int(sp.Rational(x).p), int(sp.Rational(x).q)) if isinstance(x, sp.Basic)
             else Fraction(x) for x in row] for row in exact_src]
    return True, Bf, rows


# ============================================================================ supports
def cyclic_support(M: int, s: int) -> np.ndarray:
    r"""Cyclic support pattern: ``S[m, k]`` is True iff :math:`k\in\{m,\dots,m+s\}\bmod M`.

    Parameters
    ----------
    M : int
        Number of clients, :math:`M\ge 2`.
    s : int
        Straggler tolerance, :math:`0\le s\le M-1`.

    Returns
    -------
    ndarray of bool, shape (M, M)

    Examples
    --------
    >>> cyclic_support(4, 1).astype(int)
    array([[1, 1, 0, 0],
           [0, 1, 1, 0],
           [0, 0, 1, 1],
           [1, 0, 0, 1]])
    """
    M, s = _check_M_s(M, s)
    offset = (np.arange(M)[None, :] - np.arange(M)[:, None]) % M
    return offset <= s


# ============================================================================ float kernels
def _parity(rng: np.random.Generator, s: int, M: int, kind: str) -> np.ndarray:
    """Draw ``H`` (s, M) with ``H @ 1 = 0``: Gaussian (textbook) or orthonormal rows."""
    if kind == "gaussian":
        H = rng.standard_normal((s, M))
        H[:, -1] = -H[:, :-1].sum(axis=1)
        return H
    # Haar: orthonormalise a Gaussian draw inside the complement of 1
    G = rng.standard_normal((s, M))
    G -= G.mean(axis=1, keepdims=True)
    Q, R = np.linalg.qr(G.T)
    Q = Q * np.sign(np.diag(R))[None, :]
    return Q.T.copy()


def _rows_from_parity(H: np.ndarray, support: np.ndarray, *, textbook: bool,
                      rng: np.random.Generator | None) -> np.ndarray | None:
    r"""Row ``m`` = a vector of :math:`\ker H` supported on ``support[m]``; None if impossible.

    ``textbook``: :math:`B_{mm}=1` and the rest from the square solve (needs ``|S_m| = s+1``).
    Otherwise an SVD null vector (a random combination of the null basis when the kernel has
    dimension > 1), scaled to unit norm with :math:`B_{mm}>0`.
    """
    s, M = H.shape
    sizes = support.sum(axis=1)
    if s > 0 and np.all(sizes == s + 1) and np.all(np.diag(support)):
        return _rows_square(H, support, textbook)
    B = np.zeros((M, M))
    for m in range(M):
        S = np.flatnonzero(support[m])
        S = np.concatenate(([m], S[S != m]))
        if s == 0:
            v = rng.standard_normal(len(S)) if (rng is not None and len(S) > 1) else None
            if v is None:
                v = np.zeros(len(S))
                v[0] = 1.0
        elif textbook and len(S) == s + 1:
            A = H[:, S[1:]]
            try:
                x = -np.linalg.solve(A, H[:, m])
            except np.linalg.LinAlgError:
                return None
            v = np.concatenate(([1.0], x))
        else:
            Hs = H[:, S]
            _, sv, Vt = np.linalg.svd(Hs, full_matrices=True)
            rank = int(np.sum(sv > RTOL * max(sv[0], 1e-300)))
            N = Vt[rank:].T  # (|S|, |S| - rank)
            if N.shape[1] == 0:
                return None
            if N.shape[1] == 1 or rng is None:
                v = N[:, 0]
            else:
                v = N @ rng.standard_normal(N.shape[1])
        if not textbook:
            nrm = np.linalg.norm(v)
            if nrm == 0 or not np.isfinite(nrm):
                return None
            v = v / nrm
        if not np.all(np.isfinite(v)) or abs(v[0]) < 1e-8 * np.abs(v).max():
            return None
        if v[0] < 0:
            v = -v
        B[m, S] = v
    return B


def _rows_square(H: np.ndarray, support: np.ndarray, textbook: bool) -> np.ndarray | None:
    """Batched :func:`_rows_from_parity` when every row has exactly ``s + 1`` entries."""
    s, M = H.shape
    ar = np.arange(M)
    others = np.nonzero(support & ~np.eye(M, dtype=bool))[1].reshape(M, s)
    S = np.concatenate((ar[:, None], others), axis=1)  # (M, s + 1), m first
    Hs = np.moveaxis(H[:, S], 0, 1)  # (M, s, s + 1)
    if textbook:
        try:
            x = -np.linalg.solve(Hs[:, :, 1:], Hs[:, :, :1])[:, :, 0]
        except np.linalg.LinAlgError:
            return None
        V = np.concatenate((np.ones((M, 1)), x), axis=1)
    else:
        _, sv, Vt = np.linalg.svd(Hs, full_matrices=True)
        if np.any(sv[:, -1] <= RTOL * sv[:, 0]):
            return None
        V = Vt[:, -1, :]
        V = V / np.linalg.norm(V, axis=1, keepdims=True)
    if not np.all(np.isfinite(V)) or np.any(np.abs(V[:, 0]) < 1e-8 * np.abs(V).max(axis=1)):
        return None
    V = V * np.sign(V[:, :1])
    B = np.zeros((M, M))
    B[ar[:, None], S] = V
    return B


def _circulant(M: int, s: int) -> np.ndarray:
    """Raviv-Tamo-Tandon-Dimakis real cyclic-MDS matrix, unit-norm rows."""
    if s == 0:
        return np.eye(M)
    if (M - s) % 2 == 0:
        raise ValueError(
            f"construction='circulant' needs M - s odd (s roots of unity consecutive and closed "
            f"under conjugation), got M={M}, s={s}; use construction='optimized'"
        )
    J = M / 2 - (s - 1) / 2 + np.arange(s)
    roots = np.exp(2j * np.pi * J / M)
    b = np.real(np.poly(roots))[::-1]  # b[k] = coefficient of z^k, k = 0..s
    b = b / np.linalg.norm(b)
    B = np.zeros((M, M))
    for m in range(M):
        B[m, (m + np.arange(s + 1)) % M] = b
    return B


def _straggler_sets(M: int, s: int, max_subsets: int,
                    rng: np.random.Generator | None) -> tuple[np.ndarray, bool]:
    """Straggler sets (n, s) int: all of them, or the M cyclic windows plus a seeded sample."""
    total = math.comb(M, s)
    if total <= max_subsets or rng is None:
        return np.array(list(itertools.combinations(range(M), s)), dtype=int).reshape(-1, s), True
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


def _keep_from_stragglers(M: int, T: np.ndarray) -> np.ndarray:
    """Rows kept (n, M - s) int, ascending, for straggler sets ``T`` (n, s)."""
    mask = np.ones((T.shape[0], M), dtype=bool)
    np.put_along_axis(mask, T, False, axis=1)
    keep = np.nonzero(mask)[1].reshape(T.shape[0], M - T.shape[1])
    return keep


def _spans_ones_float(A: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """For a stack ``A`` (n, r, M): does each row space contain ``1``? bool (n,)."""
    n, r, M = A.shape
    if r == 0:
        return np.zeros(n, dtype=bool)
    _, sv, Vt = np.linalg.svd(A, full_matrices=False)
    keep = sv > rtol * sv[:, :1]
    keep &= sv[:, :1] > 0
    c = (Vt @ np.ones(M)) * keep
    resid = np.abs(1.0 - np.einsum("ni,nij->nj", c, Vt)).max(axis=1)
    return resid <= atol


def _spans_ones_exact(rows: list[list[Fraction]]) -> bool:
    from . import exact as _exact

    if not rows:
        return False
    return _exact.solve_left(rows, [1] * len(rows[0])) is not None


def _iter_keep(M: int, r: int) -> Iterator[np.ndarray]:
    """Chunks (n, r) of all row sets of size ``r`` in lexicographic order."""
    it = itertools.combinations(range(M), r)
    while True:
        chunk = list(itertools.islice(it, _CHUNK))
        if not chunk:
            return
        yield np.array(chunk, dtype=int).reshape(-1, r)


# ============================================================================ GC checks
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
        Finite real matrix; rationals are checked exactly.
    s : int
        Number of stragglers, :math:`0\le s\le M-1`.
    rtol, atol : float
        Float rank and membership tolerances (ignored on the exact path).
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
    exact, Bf, rows = _parse_B(B)
    M = Bf.shape[0]
    s = check_int(s, "s", lo=0, hi=M - 1)
    rtol, atol = _check_tols(rtol, atol)
    max_subsets = check_int(max_subsets, "max_subsets", lo=1)
    total = math.comb(M, s)
    if total > max_subsets:
        raise ValueError(
            f"is_gc_matrix would enumerate C({M}, {s}) = {total} row sets, more than "
            f"max_subsets={max_subsets}; raise max_subsets, or use conditioning() for a "
            f"sampled check"
        )
    return _is_gc(exact, Bf, rows, s, rtol, atol)


def _is_gc(exact: bool, Bf: np.ndarray, rows: list[list[Fraction]] | None, s: int,
           rtol: float, atol: float) -> bool:
    M = Bf.shape[0]
    for keep in _iter_keep(M, M - s):
        if exact:
            assert rows is not None
            for R in keep.tolist():
                if not _spans_ones_exact([rows[i] for i in R]):
                    return False
        elif not np.all(_spans_ones_float(Bf[keep], rtol, atol)):
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
    exact, Bf, rows = _parse_B(B)
    rtol, atol = _check_tols(rtol, atol)
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
        if not _is_gc(exact, Bf, rows, s + 1, rtol, atol):
            break
        s += 1
    return s


# ============================================================================ conditioning
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


def _system_stats(B: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Condition numbers, max |weights| and residuals of the systems left by stragglers T."""
    M = B.shape[0]
    conds, weights, resids = [], [], []
    for i in range(0, T.shape[0], _CHUNK):
        keep = _keep_from_stragglers(M, T[i:i + _CHUNK])
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
        ``max_subsets`` sets in all (the maxima are then lower bounds).
    seed : int, SeedSequence or Generator
        Seed of the sample.

    Returns
    -------
    Conditioning

    Examples
    --------
    >>> c = conditioning(cyclic_repetition(10, 3, construction="circulant"), 3)
    >>> c.exhaustive, c.subsets, round(c.max_condition, 1)
    (True, 120, 41.9)
    """
    _, Bf, _ = _parse_B(B)
    M = Bf.shape[0]
    s = check_int(s, "s", lo=0, hi=M - 1)
    max_subsets = check_int(max_subsets, "max_subsets", lo=1)
    rng = check_rng(seed)
    T, exhaustive = _straggler_sets(M, s, max_subsets, rng)
    cond, w, res = _system_stats(Bf, T)
    i = int(np.argmax(cond))
    return Conditioning(
        M=M, s=s, max_condition=float(cond.max()), median_condition=float(np.median(cond)),
        max_weight=float(w.max()), max_residual=float(res.max()),
        worst_stragglers=tuple(int(t) for t in T[i]), subsets=int(T.shape[0]),
        total_subsets=math.comb(M, s), exhaustive=exhaustive,
    )


def _score(B: np.ndarray, s: int, rng: np.random.Generator) -> float:
    """Worst condition number over the scored straggler sets (smaller is better)."""
    M = B.shape[0]
    T, _ = _straggler_sets(M, s, _SCORE_SUBSETS, rng)
    sv = np.linalg.svd(B[_keep_from_stragglers(M, T)], compute_uv=False)
    smin = sv[:, -1].min()
    return float(np.max(sv[:, 0] / sv[:, -1])) if smin > 0 else np.inf


# ============================================================================ the code object
@dataclass(frozen=True)
class GCCode:
    r"""A GC matrix built by the null-space construction, with what is known about it.

    Attributes
    ----------
    B : ndarray (M, M) float (read-only), or sympy.Matrix of Rationals for exact codes
        The GC matrix; every row lies in :math:`\ker H` and inside ``support``.
    H : ndarray (s, M) float (read-only), or sympy.Matrix of integers for exact codes
        The parity matrix drawn, :math:`H\mathbf 1=0` and :math:`BH^\top=0`.
    design_tolerance : int
        :math:`s`, the number of rows of :math:`H` (what the construction aims for).
    straggler_tolerance : int or None
        The tolerance verified by enumeration (:func:`straggler_tolerance`), or ``None`` if it
        was not checked. It can fall short of ``design_tolerance`` when the support forces
        dependent rows (e.g. two clients with the same :math:`s+1` support).
    support : ndarray (M, M) bool (read-only)
        The allowed support (diagonal included); ``B != 0`` lies inside it.
    construction : str
        The construction used.
    """

    B: Any
    H: Any
    design_tolerance: int
    straggler_tolerance: int | None
    support: np.ndarray
    construction: str

    @property
    def M(self) -> int:
        """Number of clients."""
        return int(self.support.shape[0])

    @property
    def exact(self) -> bool:
        """Whether ``B`` is an exact sympy matrix of rationals."""
        return isinstance(self.B, sp.MatrixBase)


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.flags.writeable = False
    return a


# ============================================================================ cyclic repetition
def _float_code(support: np.ndarray, s: int, rng: np.random.Generator,
                construction: str) -> tuple[np.ndarray, np.ndarray]:
    """(B, H) by the null-space construction on ``support``; retries degenerate draws."""
    M = support.shape[0]
    if construction == "optimized" and 0 < s < M - 1:
        best: tuple[float, np.ndarray, np.ndarray] | None = None
        for _ in range(OPTIMIZED_CANDIDATES):
            B, H = _float_code(support, s, rng, "orthonormal")
            score = _score(B, s, rng)
            if best is None or score < best[0]:
                best = (score, B, H)
        assert best is not None
        return best[1], best[2]
    kind = "gaussian" if construction == "gaussian" else "orthonormal"
    for _ in range(100):
        H = _parity(rng, s, M, kind)
        B = _rows_from_parity(H, support, textbook=construction == "gaussian", rng=rng)
        if B is not None:
            return B, H
    raise RuntimeError(f"no non-degenerate draw for M={M}, s={s}")  # pragma: no cover


@functools.lru_cache(maxsize=256)
def _cyclic_float_cached(M: int, s: int, seed: int, construction: str
                         ) -> tuple[np.ndarray, np.ndarray]:
    if construction == "circulant":
        B = _circulant(M, s)
        H = _circulant_parity(M, s)
        return _readonly(B), _readonly(H)
    B, H = _float_code(cyclic_support(M, s), s, np.random.default_rng(seed), construction)
    return _readonly(B), _readonly(H)


def _circulant_parity(M: int, s: int) -> np.ndarray:
    """Real parity matrix of the circulant code: cos and sin rows of the frequencies in J."""
    k = np.arange(M)
    J = M / 2 - (s - 1) / 2 + np.arange(s)
    rows = []
    for j in J[J <= M / 2 + 1e-9]:
        rows.append(np.cos(2 * np.pi * j * k / M))
        if abs(j - M / 2) > 1e-9:
            rows.append(np.sin(2 * np.pi * j * k / M))
    H = np.array(rows).reshape(-1, M)
    return H / np.linalg.norm(H, axis=1, keepdims=True) if H.size else H


def _cyclic_float(M: int, s: int, seed: Any, construction: str) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        check_rng(seed)
        return _cyclic_float_cached(M, s, int(seed), construction)
    rng = check_rng(seed)
    if construction == "circulant":
        return _cyclic_float_cached(M, s, 0, construction)
    B, H = _float_code(cyclic_support(M, s), s, rng, construction)
    return _readonly(B), _readonly(H)


def _exact_rows(H: np.ndarray, M: int, s: int, textbook: bool) -> list[list[Fraction]] | None:
    """Exact rows of the cyclic code of the integer parity ``H``; None if degenerate."""
    from . import exact as _exact

    Hq = [[Fraction(int(x)) for x in row] for row in H.tolist()]
    B = [[Fraction(0)] * M for _ in range(M)]
    for m in range(M):
        S = [(m + j) % M for j in range(s + 1)]
        if s == 0:
            v = [Fraction(1)]
        else:
            ker = _exact.nullspace([[row[k] for k in S] for row in Hq])
            if len(ker) != 1:
                return None
            v = ker[0]
        if any(x == 0 for x in v):
            return None
        scale = v[0] if textbook else abs(max(v, key=abs)) * (1 if v[0] > 0 else -1)
        for k, x in zip(S, v, strict=True):
            B[m][k] = x / scale
    return B


def _certified(Bf: np.ndarray, s: int) -> bool | None:
    r"""Certify that every :math:`M-s` rows of a rational ``B`` are independent.

    Uses float singular values with a wide margin: :math:`\sigma_{M-s}/\sigma_1>10^{-9}` for
    every straggler set implies exact full rank, since the float perturbation of the singular
    values (rounding of the rationals plus SVD backward error) is below :math:`10^{-13}\sigma_1`.
    Full rank plus rows in :math:`\ker H` (dimension :math:`M-s`) gives
    :math:`\operatorname{rowspace}B_R=\ker H\ni\mathbf 1`. ``None`` when there are too many sets.
    """
    M = Bf.shape[0]
    if s == 0 or math.comb(M, s) > 20_000:
        return None
    T, _ = _straggler_sets(M, s, 20_000, None)
    for i in range(0, T.shape[0], _CHUNK):
        sv = np.linalg.svd(Bf[_keep_from_stragglers(M, T[i:i + _CHUNK])], compute_uv=False)
        if np.any(sv[:, -1] <= 1e-9 * sv[:, 0]):
            return False
    return True


@functools.lru_cache(maxsize=128)
def _cyclic_exact_cached(M: int, s: int, seed: int, construction: str
                         ) -> tuple[sp.ImmutableMatrix, sp.ImmutableMatrix]:
    rng = np.random.default_rng([seed, 0x5EED])
    textbook = construction == "gaussian"
    for attempt in range(200):
        if textbook:
            H = rng.integers(-9, 10, size=(s, M))
        else:
            _, Hf = _cyclic_float(M, s, seed, construction)
            H = np.rint(_EXACT_SCALE * Hf).astype(np.int64)
            if attempt:
                H = H + rng.integers(-2, 3, size=H.shape)
        if s:
            H[:, -1] = -H[:, :-1].sum(axis=1)
        rows = _exact_rows(H, M, s, textbook)
        if rows is None:
            continue
        Bf = np.array([[float(x) for x in r] for r in rows])
        if _certified(Bf, s) is False:
            continue
        Bx = sp.ImmutableMatrix([[sp.Rational(x.numerator, x.denominator) for x in r]
                                 for r in rows])
        Hx = sp.ImmutableMatrix(s, M, [sp.Integer(int(x)) for x in H.ravel()])
        return Bx, Hx
    raise RuntimeError(f"no non-degenerate integer draw for M={M}, s={s}")  # pragma: no cover


def cyclic_code(M: int, s: int, seed: Any = 0, exact: bool = False,
                construction: str = DEFAULT_CONSTRUCTION) -> GCCode:
    r"""Cyclic-repetition code with its parity matrix; see :func:`cyclic_repetition`.

    Returns
    -------
    GCCode
        ``B`` and ``H`` (exact sympy matrices with ``exact=True``), ``design_tolerance = s``,
        ``support`` the cyclic pattern, and ``straggler_tolerance = s`` only when it was
        certified during construction (exact codes with :math:`\binom Ms\le 20000`), else
        ``None`` (the generic guarantee; check with :func:`straggler_tolerance`).

    Examples
    --------
    >>> import sympy as sp
    >>> code = cyclic_code(5, 2, seed=1, exact=True)
    >>> code.B * code.H.T == sp.zeros(5, 2), list(code.H * sp.ones(5, 1))
    (True, [0, 0])
    """
    M, s = _check_M_s(M, s)
    exact = _check_bool(exact, "exact")
    construction = _check_construction(construction)
    support = _readonly(cyclic_support(M, s))
    if not exact:
        B, H = _cyclic_float(M, s, seed, construction)
        return GCCode(B=B, H=H, design_tolerance=s, straggler_tolerance=None, support=support,
                      construction=construction)
    if construction == "circulant" and s > 0:
        raise ValueError(
            "exact=True is not available for construction='circulant' (its coefficients are "
            "cosines of 2*pi*j/M, not rationals); use construction='optimized' or 'gaussian'"
        )
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        check_rng(seed)
        seed_int = int(seed)
    else:
        seed_int = int(check_rng(seed).integers(2**63 - 1))
    Bx, Hx = _cyclic_exact_cached(M, s, seed_int, construction)
    cert = _certified(np.array(Bx.tolist(), dtype=float), s)
    return GCCode(B=sp.Matrix(Bx), H=sp.Matrix(Hx), design_tolerance=s,
                  straggler_tolerance=s if cert else None, support=support,
                  construction=construction)


def cyclic_repetition(M: int, s: int, seed: Any = 0, exact: bool = False,
                      construction: str = DEFAULT_CONSTRUCTION) -> Any:
    r"""Cyclic-repetition GC matrix: support :math:`S_m=\{m,\dots,m+s\}\bmod M`, tolerance s.

    Every row lies in :math:`\ker H` for a parity matrix :math:`H\in\mathbb R^{s\times M}` with
    :math:`H\mathbf 1=0`, and is the unique such vector supported on :math:`S_m`:

    .. math:: H_{:,S_m}\, B_{m,S_m}^\top = 0,\qquad B_{mk}=0\ (k\notin S_m),\qquad
              B_{mm}\neq 0 .

    Generically any :math:`M-s` rows are independent, so they span
    :math:`\ker H\ni\mathbf 1` (and no :math:`M-s-1` rows do).

    Parameters
    ----------
    M : int
        Number of clients, :math:`M\ge 2`.
    s : int
        Straggler tolerance, :math:`0\le s\le M-1`.
    seed : int, SeedSequence or Generator
        Seed of the random draw (integer seeds are cached: same seed, same matrix).
    exact : bool
        Return a sympy Matrix of Rationals: an integer :math:`H` with :math:`H\mathbf 1=0`
        (for ``"gaussian"`` uniform on :math:`\{-9,\dots,9\}`; otherwise the float construction's
        :math:`H` for the same seed, scaled by 64 and rounded) and each row's :math:`s`
        unknowns solved over the rationals. Rows are scaled to :math:`B_{mm}=1`
        (``"gaussian"``) or to a largest entry of :math:`\pm 1` with :math:`B_{mm}>0`.
        Degenerate integer draws (a zero coefficient, a kernel of dimension > 1, or, when
        :math:`\binom Ms\le 20000`, a dependent set of :math:`M-s` rows) are redrawn.
    construction : {"optimized", "orthonormal", "gaussian", "circulant"}
        How :math:`H` is drawn; see the module docstring. ``"circulant"`` needs
        :math:`M-s` odd and is float only.

    Returns
    -------
    ndarray (M, M) float, or sympy.Matrix (M, M) of Rationals when ``exact=True``

    Examples
    --------
    >>> B = cyclic_repetition(4, 1, seed=0, exact=True, construction="gaussian")
    >>> [B[m, m] for m in range(4)], is_gc_matrix(B, 1)
    ([1, 1, 1, 1], True)
    >>> cyclic_repetition(4, 1, construction="circulant").round(4)
    array([[0.7071, 0.7071, 0.    , 0.    ],
           [0.    , 0.7071, 0.7071, 0.    ],
           [0.    , 0.    , 0.7071, 0.7071],
           [0.7071, 0.    , 0.    , 0.7071]])
    """
    code = cyclic_code(M, s, seed=seed, exact=exact, construction=construction)
    return code.B if exact else np.array(code.B)


# ============================================================================ fractional
def fractional_repetition(M: int, s: int, exact: bool = False) -> Any:
    r"""Fractional-repetition GC matrix: :math:`M/(s+1)` groups of :math:`s+1` clients.

    .. math:: B_{mk} = [\lfloor m/(s+1)\rfloor = \lfloor k/(s+1)\rfloor] .

    The rows of a group are all its indicator :math:`\mathbf 1_{G}`, and
    :math:`\mathbf 1=\sum_G\mathbf 1_G`; so a row set decodes iff it holds at least one row per
    group — any :math:`s` stragglers leave one, and as few as :math:`M/(s+1)` rows can suffice.

    Parameters
    ----------
    M : int
        Number of clients, :math:`M\ge 2`.
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
    M, s = _check_M_s(M, s)
    exact = _check_bool(exact, "exact")
    if M % (s + 1):
        raise ValueError(
            f"fractional repetition needs (s + 1) to divide M, got M={M}, s={s}; choose s with "
            f"(s + 1) | M, e.g. s in {[d - 1 for d in range(1, M + 1) if M % d == 0]}"
        )
    g = np.arange(M) // (s + 1)
    B = (g[:, None] == g[None, :]).astype(float)
    return sp.Matrix(B.astype(int)) if exact else B


# ============================================================================ on a graph
def _support_tolerance_bound(support: np.ndarray) -> int:
    """min over rows of |S_m| - 1 and over columns of (#rows covering k) - 1."""
    return int(min(support.sum(axis=1).min(), support.sum(axis=0).min())) - 1


def on_support(support: Any, s: int | None = None, *, seed: Any = 0,
               construction: str = DEFAULT_CONSTRUCTION, minimal: bool = False,
               check: bool = True, max_subsets: int = MAX_SUBSETS) -> GCCode:
    r"""Null-space GC matrix on a given support pattern, with its verified tolerance.

    Row :math:`m` may use the gradients :math:`S_m=\{k:\text{support}[m,k]\}\cup\{m\}`.
    Draw :math:`H\in\mathbb R^{s\times M}` with :math:`H\mathbf 1=0` and take row :math:`m` in

    .. math:: \{x\in\ker H:\ \operatorname{supp}x\subseteq S_m\}
              = \ker H_{:,S_m}\ \text{(padded with zeros)},

    which for generic :math:`H` has dimension :math:`|S_m|-s` — nonzero iff
    :math:`s\le|S_m|-1`. A kernel of dimension > 1 gets a seeded random (generic) vector, so
    the row uses its whole support. A straggler set that holds every row covering column
    :math:`k` can never decode, so no code on this support tolerates more than
    :math:`c_k - 1` stragglers, :math:`c_k=\#\{m: k\in S_m\}`. The default target is therefore

    .. math:: s = \min\big(\min_m |S_m|,\ \min_k c_k\big) - 1 ,

    and the tolerance actually achieved is then checked by enumeration: a support can force
    dependent rows (two clients with the same :math:`s+1` gradients), and then it is smaller.

    Parameters
    ----------
    support : array-like (M, M) of bool
        ``support[m, k]``: client :math:`m` can obtain :math:`g_k` (the diagonal is implied).
    s : int, optional
        Design tolerance (rows of :math:`H`), at most the bound above; default the bound.
    seed : int, SeedSequence or Generator
    construction : {"optimized", "orthonormal", "gaussian"}
        How :math:`H` is drawn (as in :func:`cyclic_repetition`).
    minimal : bool
        Use only :math:`s+1` entries per row: :math:`m` and its first :math:`s` allowed
        neighbours in cyclic order :math:`m+1, m+2, \dots` (fewer links needed per client; on a
        ring graph this is the cyclic-repetition support).
    check : bool
        Verify the achieved tolerance by enumeration (:func:`straggler_tolerance`).
    max_subsets : int
        Cap of that enumeration (``ValueError`` beyond it; pass ``check=False`` for large M).

    Returns
    -------
    GCCode
        ``straggler_tolerance`` is the verified tolerance (``None`` with ``check=False``).

    Examples
    --------
    >>> import numpy as np
    >>> ring = cyclic_support(6, 2)
    >>> code = on_support(ring, seed=0)
    >>> code.design_tolerance, code.straggler_tolerance
    (2, 2)
    >>> bool(np.all((code.B != 0) == ring))
    True
    """
    sup = np.asarray(support)
    if sup.dtype != bool:
        if sup.dtype.kind not in "iuf" or not np.all(np.isin(sup, (0, 1))):
            raise TypeError(f"support must be a boolean (M, M) array, got dtype {sup.dtype}")
        sup = sup.astype(bool)
    if sup.ndim != 2 or sup.shape[0] != sup.shape[1]:
        raise ValueError(f"support must be a square (M, M) boolean array, got shape {sup.shape}")
    M = sup.shape[0]
    if M < 2:
        raise ValueError(f"support must describe M >= 2 clients, got M={M}")
    sup = sup | np.eye(M, dtype=bool)
    construction = _check_construction(construction, ("optimized", "orthonormal", "gaussian"))
    minimal = _check_bool(minimal, "minimal")
    check = _check_bool(check, "check")
    bound = _support_tolerance_bound(sup)
    if s is None:
        s = bound
    else:
        s = check_int(s, "s", lo=0, hi=M - 1)
        if s > bound:
            raise ValueError(
                f"s={s} exceeds what the support allows (min row size - 1 and min column "
                f"coverage - 1 give {bound}); pass s <= {bound} or add links"
            )
    if minimal:
        order = (np.arange(M)[None, :] - np.arange(M)[:, None]) % M
        ranked = np.where(sup, order, M + 1)
        kth = np.sort(ranked, axis=1)[:, s][:, None]
        sup = sup & (ranked <= kth)
    rng = check_rng(seed)
    B, H = _float_code(sup, s, rng, construction)
    tol = None
    if check:
        tol = straggler_tolerance(B, max_subsets=max_subsets)
    return GCCode(B=_readonly(B), H=_readonly(H), design_tolerance=s, straggler_tolerance=tol,
                  support=_readonly(sup), construction=construction)


def on_graph(G: nx.DiGraph, s: int | None = None, *, seed: Any = 0,
             construction: str = DEFAULT_CONSTRUCTION, minimal: bool = False,
             check: bool = True, max_subsets: int = MAX_SUBSETS) -> GCCode:
    r"""Null-space GC matrix on the links of a cooperative graph; see :func:`on_support`.

    An edge :math:`k\to m` between clients means client :math:`m` can hear :math:`g_k`, so
    :math:`k\in S_m`. Clients are the nodes ``0..M-1``; a node ``"PS"`` and its edges are
    ignored, as are self-loops and edge attributes.

    Parameters
    ----------
    G : networkx.DiGraph
        Nodes exactly ``0..M-1`` (plus optionally ``"PS"``).
    s, seed, construction, minimal, check, max_subsets
        As in :func:`on_support`.

    Returns
    -------
    GCCode

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph([((m + 1) % 5, m) for m in range(5)])   # m hears m + 1
    >>> code = on_graph(G)
    >>> code.design_tolerance, code.straggler_tolerance
    (1, 1)
    >>> G.remove_edge(1, 0)                                      # client 0 hears nobody
    >>> on_graph(G).straggler_tolerance
    0
    """
    if not isinstance(G, nx.DiGraph):
        raise TypeError(f"G must be a networkx.DiGraph, got {type(G).__name__}")
    clients = [v for v in G.nodes if v != "PS"]
    M = len(clients)
    if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in clients) \
            or sorted(int(v) for v in clients) != list(range(M)):
        raise ValueError(
            f"G must have client nodes exactly 0..M-1 (plus optionally 'PS'), got {clients!r}"
        )
    if M < 2:
        raise ValueError(f"G must have at least 2 client nodes, got {M}")
    support = np.eye(M, dtype=bool)
    for k, m in G.edges:
        if k == "PS" or m == "PS":
            continue
        support[int(m), int(k)] = True
    return on_support(support, s, seed=seed, construction=construction, minimal=minimal,
                      check=check, max_subsets=max_subsets)
