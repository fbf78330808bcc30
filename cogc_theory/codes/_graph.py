"""Codes on a given support or cooperative graph: the null-space construction on any support,
and the straggler tolerance it achieves."""

from __future__ import annotations

import numbers
from fractions import Fraction
from typing import Any

import networkx as nx
import numpy as np
import sympy as sp

from .. import exact as _exact
from .._validate import check_int, check_rng
from ._checks import straggler_tolerance
from ._common import (
    DEFAULT_CONSTRUCTION,
    EXACT_SCALE,
    MAX_SUBSETS,
    check_bool,
    check_construction,
    check_optimized_size,
    readonly,
)
from ._cyclic import GCCode, float_code

__all__ = ["on_graph", "on_support"]


def _support_tolerance_bound(support: np.ndarray) -> int:
    """min over rows of |S_m| - 1 and over columns of (#rows covering k) - 1."""
    return int(min(support.sum(axis=1).min(), support.sum(axis=0).min())) - 1


def on_support(support: Any, s: int | None = None, *, seed: Any = 0,
               construction: str = DEFAULT_CONSTRUCTION, minimal: bool = False,
               exact: bool = False, check: bool = True,
               max_subsets: int = MAX_SUBSETS) -> GCCode:
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
        How :math:`H` is drawn (as in :func:`cyclic_repetition`; ``"optimized"`` needs
        :math:`M\le` :data:`OPTIMIZED_MAX_M` when :math:`0<s<M-1`).
    minimal : bool
        Use only :math:`s+1` entries per row: :math:`m` and its first :math:`s` allowed
        neighbours in cyclic order :math:`m+1, m+2, \dots` (fewer links needed per client; on a
        ring graph this is the cyclic-repetition support).
    exact : bool
        Build over the rationals: the float :math:`H` is scaled by 64 and rounded to integers
        (``"gaussian"``: integers uniform on :math:`\{-9,\dots,9\}`) with
        :math:`H\mathbf 1=0`, each row is an exact kernel vector (a seeded random integer
        combination of the kernel basis when the kernel has dimension > 1) scaled to a largest
        entry :math:`\pm1` with :math:`B_{mm}>0`; draws with a zero entry on the support are
        redrawn. ``B`` and ``H`` are then sympy matrices and the check is exact.
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
    >>> from cogc_theory.codes import cyclic_support
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
    construction = check_construction(construction, ("optimized", "orthonormal", "gaussian"))
    minimal = check_bool(minimal, "minimal")
    check = check_bool(check, "check")
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
    check_optimized_size(M, s, construction)
    if minimal:
        order = (np.arange(M)[None, :] - np.arange(M)[:, None]) % M
        ranked = np.where(sup, order, M + 1)
        kth = np.sort(ranked, axis=1)[:, s][:, None]
        sup = sup & (ranked <= kth)
    exact = check_bool(exact, "exact")
    rng = check_rng(seed)
    B, H = float_code(sup, s, rng, construction)
    if exact:
        B, H = _exact_on_support(sup, s, H, rng, textbook=construction == "gaussian")
    else:
        B, H = readonly(B), readonly(H)
    tol = None
    if check:
        tol = straggler_tolerance(B, max_subsets=max_subsets)
    return GCCode(B=B, H=H, design_tolerance=s, straggler_tolerance=tol,
                  support=readonly(sup), construction=construction)


def _exact_on_support(sup: np.ndarray, s: int, Hf: np.ndarray, rng: np.random.Generator, *,
                      textbook: bool) -> tuple[sp.Matrix, sp.Matrix]:
    """Rational null-space code on ``sup`` from the float parity ``Hf`` (see on_support)."""

    M = sup.shape[0]
    for attempt in range(200):
        if textbook:
            H = rng.integers(-9, 10, size=(s, M))
        else:
            H = np.rint(EXACT_SCALE * Hf).astype(np.int64)
            if attempt:
                H = H + rng.integers(-2, 3, size=H.shape)
        if s:
            H[:, -1] = -H[:, :-1].sum(axis=1)
        Hq = [[Fraction(int(x)) for x in row] for row in H.tolist()]
        rows: list[list[Fraction]] = []
        for m in range(M):
            S = [m] + [int(k) for k in np.flatnonzero(sup[m]) if k != m]
            if s == 0:
                basis = [[Fraction(int(i == j)) for j in range(len(S))] for i in range(len(S))]
            else:
                basis = _exact.nullspace([[row[k] for k in S] for row in Hq])
            if not basis:
                break
            v = basis[0]
            if len(basis) > 1:
                c = rng.integers(1, 10, size=len(basis)) * rng.choice([-1, 1], size=len(basis))
                v = [sum((int(ci) * b[j] for ci, b in zip(c, basis, strict=True)), Fraction(0))
                     for j in range(len(S))]
            if any(x == 0 for x in v):
                break
            scale = v[0] if (textbook and len(basis) == 1) else \
                abs(max(v, key=abs)) * (1 if v[0] > 0 else -1)
            row = [Fraction(0)] * M
            for k, x in zip(S, v, strict=True):
                row[k] = x / scale
            rows.append(row)
        if len(rows) < M:
            continue
        Bx = sp.Matrix([[sp.Rational(x.numerator, x.denominator) for x in r] for r in rows])
        return Bx, sp.Matrix(s, M, [sp.Integer(int(x)) for x in H.ravel()])
    raise RuntimeError(f"no non-degenerate integer draw on this support (M={M}, s={s})")


def on_graph(G: nx.DiGraph, s: int | None = None, *, seed: Any = 0,
             construction: str = DEFAULT_CONSTRUCTION, minimal: bool = False,
             exact: bool = False, check: bool = True,
             max_subsets: int = MAX_SUBSETS) -> GCCode:
    r"""Null-space GC matrix on the links of a cooperative graph; see :func:`on_support`.

    An edge :math:`k\to m` between clients means client :math:`m` can hear :math:`g_k`, so
    :math:`k\in S_m`. Clients are the nodes ``0..M-1``; a node ``"PS"`` and its edges are
    ignored, as are self-loops and edge attributes.

    Parameters
    ----------
    G : networkx.DiGraph
        Nodes exactly ``0..M-1`` (plus optionally ``"PS"``).
    s, seed, construction, minimal, exact, check, max_subsets
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
                      exact=exact, check=check, max_subsets=max_subsets)
