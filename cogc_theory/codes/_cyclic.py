"""Cyclic-repetition codes: the null-space construction on the cyclic support (see the package
docstring)."""

from __future__ import annotations

import functools
import math
import numbers
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from .. import exact as _exact
from .._linalg import RTOL
from .._validate import check_rng
from ._common import (
    EXACT_SCALE,
    OPTIMIZED_CANDIDATES,
    OPTIMIZED_MAX_M,
    check_bool,
    check_construction,
    check_M_s,
    check_optimized_size,
    chunk_sets,
    keep_from_stragglers,
    readonly,
    straggler_sets,
)
from ._conditioning import score
from ._generic import generic_cyclic_code, resolve_construction

__all__ = ["GCCode", "cyclic_code", "cyclic_repetition", "cyclic_support", "float_code"]


def cyclic_support(M: int, s: int) -> np.ndarray:
    r"""Cyclic support pattern: ``S[m, k]`` is True iff :math:`k\in\{m,\dots,m+s\}\bmod M`.

    Parameters
    ----------
    M : int
        Number of clients, :math:`2\le M\le` :data:`MAX_M` (10,000).
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
    M, s = check_M_s(M, s)
    offset = (np.arange(M)[None, :] - np.arange(M)[:, None]) % M
    return offset <= s


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

    Examples
    --------
    The code of a directed ring: each client hears its successor, so :math:`s=1`:

    >>> import networkx as nx
    >>> import cogc_theory as ct
    >>> code = ct.codes.on_graph(nx.cycle_graph(4, create_using=nx.DiGraph), 1)
    >>> code.M, code.design_tolerance, code.straggler_tolerance, code.construction
    (4, 1, 1, 'optimized')
    >>> bool((code.B != 0).sum() == 8 and abs(code.B @ code.H.T).max() < 1e-12)   # B H^T = 0
    True
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


def float_code(support: np.ndarray, s: int, rng: np.random.Generator,
                construction: str) -> tuple[np.ndarray, np.ndarray]:
    """(B, H) by the null-space construction on ``support``; retries degenerate draws."""
    M = support.shape[0]
    if construction == "optimized" and 0 < s < M - 1:
        best: tuple[float, np.ndarray, np.ndarray] | None = None
        for _ in range(OPTIMIZED_CANDIDATES):
            B, H = float_code(support, s, rng, "orthonormal")
            worst = score(B, s, rng)
            if best is None or worst < best[0]:
                best = (worst, B, H)
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
        return readonly(B), readonly(H)
    B, H = float_code(cyclic_support(M, s), s, np.random.default_rng(seed), construction)
    return readonly(B), readonly(H)


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
    B, H = float_code(cyclic_support(M, s), s, rng, construction)
    return readonly(B), readonly(H)


def _exact_rows(H: np.ndarray, M: int, s: int, textbook: bool) -> list[list[Fraction]] | None:
    """Exact rows of the cyclic code of the integer parity ``H``; None if degenerate."""

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


def certified(Bf: np.ndarray, s: int) -> bool | None:
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
    T, _ = straggler_sets(M, s, 20_000, None)
    step = chunk_sets(M - s, M)
    for i in range(0, T.shape[0], step):
        sv = np.linalg.svd(Bf[keep_from_stragglers(M, T[i:i + step])], compute_uv=False)
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
            H = np.rint(EXACT_SCALE * Hf).astype(np.int64)
            if attempt:
                H = H + rng.integers(-2, 3, size=H.shape)
        if s:
            H[:, -1] = -H[:, :-1].sum(axis=1)
        rows = _exact_rows(H, M, s, textbook)
        if rows is None:
            continue
        Bf = np.array([[float(x) for x in r] for r in rows])
        if certified(Bf, s) is False:
            continue
        Bx = sp.ImmutableMatrix([[sp.Rational(x.numerator, x.denominator) for x in r]
                                 for r in rows])
        Hx = sp.ImmutableMatrix(s, M, [sp.Integer(int(x)) for x in H.ravel()])
        return Bx, Hx
    raise RuntimeError(f"no non-degenerate integer draw for M={M}, s={s}")  # pragma: no cover


def cyclic_code(M: int, s: int, seed: Any = 0, exact: bool = False,
                construction: str = "auto") -> GCCode:
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
    M, s = check_M_s(M, s)
    exact = check_bool(exact, "exact")
    construction = resolve_construction(M, check_construction(construction))
    check_optimized_size(M, s, construction)
    support = readonly(cyclic_support(M, s))
    if construction == "generic":
        if exact:
            raise ValueError(
                f"exact=True is not available for construction='generic' (the default "
                f"'auto' at M={M} > {OPTIMIZED_MAX_M}); pass construction='orthonormal' or "
                f"'gaussian' for an exact code, or exact=False")
        g = generic_cyclic_code(M, s, seed)
        return GCCode(B=readonly(g.dense()), H=g.H, design_tolerance=s,
                      straggler_tolerance=None, support=support, construction="generic")
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
    cert = certified(np.array(Bx.tolist(), dtype=float), s)
    return GCCode(B=sp.Matrix(Bx), H=sp.Matrix(Hx), design_tolerance=s,
                  straggler_tolerance=s if cert else None, support=support,
                  construction=construction)


def cyclic_repetition(M: int, s: int, seed: Any = 0, exact: bool = False,
                      construction: str = "auto") -> Any:
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
        Number of clients, :math:`2\le M\le` :data:`MAX_M` (10,000).
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
    construction : {"auto", "optimized", "orthonormal", "gaussian", "circulant", "generic"}
        How :math:`H` is drawn; see the module docstring. ``"generic"`` is the locally
        conditioned draw of :func:`generic_cyclic_code` (any :math:`M`, threshold family by
        a theorem, float only); ``"auto"`` (default) is ``"optimized"`` for
        :math:`M\le` :data:`OPTIMIZED_MAX_M` and ``"generic"`` above. ``"circulant"`` needs
        :math:`M-s` odd and is float only. ``"optimized"`` needs :math:`M\le`
        :data:`OPTIMIZED_MAX_M` (100) when :math:`0<s<M-1` (its scoring costs about
        :math:`M^4`); beyond that use ``"orthonormal"`` or ``"gaussian"``.

    Returns
    -------
    ndarray (M, M) float, or sympy.Matrix (M, M) of Rationals when ``exact=True``

    Examples
    --------
    >>> from cogc_theory.codes import is_gc_matrix
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
