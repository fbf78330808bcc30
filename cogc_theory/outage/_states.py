r"""Per-client states and the decision tables behind every exact outage computation.

Under GC+ the parameter server sees, from client :math:`m`, either nothing (uplink erased) or
the effective row :math:`\tilde B_m = B_m\circ\tau_m`, determined by which of the links from
:math:`N_m` succeeded. Client :math:`m` therefore has :math:`1 + 2^{|N_m|}` **states**:

* state ``0``: not arrived, probability :math:`p_m`;
* state ``1 + b``: arrived, and the link from ``N_m[i]`` succeeded iff bit ``i`` of ``b`` is
  set, probability
  :math:`(1-p_m)\prod_{i}(1-\varepsilon_{m,N_m[i]})^{b_i}\varepsilon_{m,N_m[i]}^{1-b_i}`.

The last state ``2**|N_m|`` is "arrived and complete". Without reciprocal links the states of
different clients are independent, so every probability of interest is a contraction

.. math:: P(E) = \sum_{x} \mathbf 1_E(x) \prod_m q_m(x_m)

of a 0/1 **decision table** indexed by the state pattern :math:`x` with the per-client state
probabilities :math:`q_m`. This replaces the :math:`2^{M+\sum_m |N_m|}` link-and-uplink
patterns (the links of a client whose upload is lost do not matter) by
:math:`\prod_m (1 + 2^{|N_m|})` state patterns.

Decision tables are built by a depth-first sweep over the clients that keeps an orthonormal
basis of the rows seen so far (float path: Gram–Schmidt applied twice, vectorised over the last
clients) or a reduced row echelon form over :class:`fractions.Fraction` (exact path), and that
stops as soon as :math:`\mathbf 1` lies in the span: adding rows never removes it (monotonicity
in arrivals), so the whole subtree is "full recovery".
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from .._linalg import (
    DEFAULT_TOL,
    Tolerance,
    complement,
    gs_extend,
    ones_in_span,
    unit_distances,
)

#: Largest number of state patterns enumerated (beyond: use Monte Carlo).
MAX_PATTERNS = 60_000_000
#: Largest number of state patterns for the exact (Fraction) path chosen automatically.
EXACT_AUTO_LIMIT = 4_000


# ----------------------------------------------------------------------------- model pieces
def exact_matrix(net: Any) -> list[list[Fraction]] | None:
    """``net.B_exact`` as nested Fractions, or ``None``."""
    if net.B_exact is None:
        return None
    return [[Fraction(int(x.p), int(x.q)) for x in net.B_exact.row(m)] for m in range(net.M)]


def state_rows(net: Any, *, exact: bool = False, complete_only: bool = False) -> list[Any]:
    """Rows of every client state: list over clients of arrays ``(n_states_m, M)``.

    Row 0 is zero (not arrived). With ``complete_only`` the states are just
    (not arrived, arrived complete) — the view of standard decoding.
    """
    Bx = exact_matrix(net) if exact else None
    if exact and Bx is None:
        raise ValueError("exact=True needs a rational B (net.B_exact); build the network "
                         "from a sympy Matrix of rationals")
    out = []
    for m in range(net.M):
        nb = net.neighbors(m)
        pats = [(1 << len(nb)) - 1] if complete_only else range(1 << len(nb))
        rows = []
        for b in pats:
            keep = {m} | {k for i, k in enumerate(nb) if b >> i & 1}
            if exact:
                rows.append([Bx[m][k] if k in keep else Fraction(0) for k in range(net.M)])
            else:
                rows.append([float(net.B[m, k]) if k in keep else 0.0 for k in range(net.M)])
        zero = [Fraction(0)] * net.M if exact else [0.0] * net.M
        out.append([zero] + rows if exact else np.array([zero] + rows, dtype=float))
    return out


def state_probabilities(net: Any, *, complete_only: bool = False) -> list[list[Any]]:
    """Per-client state probabilities :math:`q_m` as sympy expressions (exact)."""
    out = []
    for m in range(net.M):
        p = sp.sympify(net.p[m])
        nb = net.neighbors(m)
        eps = [sp.sympify(net.eps[m, k]) for k in nb]
        if complete_only:
            succ = (1 - p) * sp.Mul(*[1 - e for e in eps])
            out.append([1 - succ, succ])
            continue
        q = [p]
        for b in range(1 << len(nb)):
            term = 1 - p
            for i, e in enumerate(eps):
                term *= (1 - e) if b >> i & 1 else e
            q.append(term)
        out.append(q)
    return out


def state_exponents(net: Any) -> list[np.ndarray]:
    """Per-client (absent, failed links, successful links) counts of each state, ``(n, 3)``."""
    out = []
    for m in range(net.M):
        n = len(net.neighbors(m))
        rows = [(1, 0, 0)]
        for b in range(1 << n):
            ones = bin(b).count("1")
            rows.append((0, n - ones, ones))
        out.append(np.array(rows, dtype=np.int64))
    return out


def n_patterns(net: Any) -> int:
    """Number of state patterns :math:`\\prod_m (1 + 2^{|N_m|})`."""
    out = 1
    for m in range(net.M):
        out *= 1 + (1 << len(net.neighbors(m)))
    return out


def check_enumerable(net: Any, what: str, fallback: str, limit: int = MAX_PATTERNS) -> int:
    """Raise ``ValueError`` pointing to Monte Carlo when enumeration is out of reach."""
    if net.reciprocal:
        raise ValueError(
            f"{what} enumerates independent client states and does not support reciprocal "
            f"links (tau[m, k] == tau[k, m] couples clients); estimate it with {fallback}, "
            f"which samples reciprocal links")
    n = n_patterns(net)
    if n > limit:
        raise ValueError(
            f"{what}: {n:,} client-state patterns exceed the enumeration limit {limit:,}; "
            f"estimate it by Monte Carlo with {fallback}")
    return n


# ----------------------------------------------------------------------------- tables
@dataclass
class DecisionTable:
    """Outcome of every state pattern; arrays of shape ``(n_0, ..., n_{M-1})``.

    Attributes
    ----------
    full : bool array
        :math:`\\mathbf 1\\in\\operatorname{rowspace}(A)`.
    rank : int8 array or None
        Rank of the matrix :math:`A` of arrived effective rows (computed on request).
    k_individual : int8 array or None
        :math:`|\\{k : e_k\\in\\operatorname{rowspace}(A)\\}|` (``M`` when full; computed
        on request).
    k_max : int8 array or None
        Size of the largest :math:`K` with :math:`\\mathbf 1_K` in the row space (computed on
        request).
    method : str
        ``"exact"`` (Fractions) or ``"float"`` (the rule of :mod:`cogc_theory._linalg`).
    """

    full: np.ndarray
    rank: np.ndarray | None
    k_individual: np.ndarray | None
    k_max: np.ndarray | None
    method: str


def float_table(rows: list[np.ndarray], tol: Tolerance, *, prune_full: bool = True,
                prune_cover: bool = True, raw_individual: bool = False,
                leaf: int = 20000, sets: np.ndarray | None = None) -> tuple[
                    np.ndarray, np.ndarray, np.ndarray]:
    r"""Float decision table ``(full, rank, k_individual)``, shape ``(n_0, ..., n_{M-1})`` each.

    ``sets`` (int64, ``prod(n_m)`` entries, flat): if given (with ``prune_cover=False``), is
    filled with the individual rule's set :math:`K` of every pattern as a bit mask (bit ``k``:
    :math:`e_k` in the row space; all bits on full recovery).

    The first clients are walked depth-first in Python; the last ones (at most ``leaf``
    patterns) are expanded level by level with vectorised Gram–Schmidt. Two prunings:

    * ``prune_full``: once :math:`\mathbf 1` is in the span, the whole subtree is full
      (``rank`` is then left at -1 there, ``k_individual`` is ``M``);
    * ``prune_cover``: a coordinate that no arrived row touches and that no later client's
      support contains can never be reached, so the subtree is not full (``rank`` and
      ``k_individual`` are then left at -1).

    With ``raw_individual`` (needs ``prune_full=False``) ``k_individual`` counts the
    :math:`e_k` in the span even where :math:`\mathbf 1` is (instead of ``M``).
    """
    M = len(rows)
    sizes = [r.shape[0] for r in rows]
    bits = [np.array([int(sum(1 << k for k in np.flatnonzero(r))) for r in rows[m]],
                     dtype=np.int64) for m in range(M)]
    allbits = (1 << M) - 1
    # later[j]: coordinates that clients j..M-1 can still touch
    later = [0] * (M + 1)
    for j in range(M - 1, -1, -1):
        later[j] = later[j + 1] | int(np.bitwise_or.reduce(bits[j]))
    split = M
    prod = 1
    while split > 0 and prod * sizes[split - 1] <= leaf:
        split -= 1
        prod *= sizes[split]
    total = int(np.prod(sizes))
    full = np.zeros(total, dtype=bool)
    rank = np.full(total, -1, dtype=np.int8)
    kind = np.full(total, -1, dtype=np.int8)
    sub = [int(np.prod(sizes[j + 1:])) for j in range(M)]    # patterns below level j

    def mark(base: int, fi: np.ndarray, rest: int, value_full: bool) -> None:
        idx = (base + fi[:, None] * rest + np.arange(rest)[None, :]).ravel()
        if value_full:
            full[idx] = True
            kind[idx] = M
            if sets is not None:
                sets[idx] = allbits

    def leaves(base: int, Q0: np.ndarray, r0: int, res0: np.ndarray, cov0: int) -> None:
        fi = np.zeros(1, dtype=np.int64)
        Q, rk, res = Q0[None].copy(), np.array([r0]), res0[None].copy()
        cov = np.array([cov0], dtype=np.int64)
        for m in range(split, M):
            n, N = sizes[m], fi.size
            fi = (fi[:, None] * n + np.arange(n)[None, :]).ravel()
            Q = np.repeat(Q, n, axis=0)
            rk = np.repeat(rk, n)
            res = np.repeat(res, n, axis=0)
            cov = np.repeat(cov, n) | np.tile(bits[m], N)
            gs_extend(Q, rk, res, np.tile(rows[m], (N, 1)), tol)
            if m == M - 1:
                break
            rest = sub[m]
            keep = np.ones(fi.size, dtype=bool)
            if prune_full:
                f = ones_in_span(res, tol)
                if f.any():
                    mark(base, fi[f], rest, True)
                    keep &= ~f
            if prune_cover:
                need = allbits & ~later[m + 1]
                keep &= (cov & need) == need
            if not keep.all():
                fi, Q, rk, res, cov = fi[keep], Q[keep], rk[keep], res[keep], cov[keep]
                if fi.size == 0:
                    return
        f = ones_in_span(res, tol)
        ind = unit_distances(Q) <= tol.atol
        ki = ind.sum(axis=1)
        if not raw_individual:
            ki[f] = M
        idx = base + fi
        full[idx] = f
        rank[idx] = rk
        kind[idx] = ki
        if sets is not None:
            sets[idx] = np.where(f, allbits, ind @ (1 << np.arange(M)))

    def walk(j: int, base: int, Q0: np.ndarray, r0: int, res0: np.ndarray, cov0: int) -> None:
        if prune_full and ones_in_span(res0, tol):              # monotone: all full below
            full[base:base + sub[j - 1]] = True
            kind[base:base + sub[j - 1]] = M
            if sets is not None:
                sets[base:base + sub[j - 1]] = allbits
            return
        need = allbits & ~later[j]
        if prune_cover and (cov0 & need) != need:
            return
        if j == split:
            leaves(base, Q0, r0, res0, cov0)
            return
        for st_, row in enumerate(rows[j]):
            Q, rk, res = Q0[None].copy(), np.array([r0]), res0[None].copy()
            gs_extend(Q, rk, res, row[None], tol)
            walk(j + 1, base + st_ * sub[j], Q[0], int(rk[0]), res[0], cov0 | int(bits[j][st_]))

    if split == 0:
        leaves(0, np.zeros((M, M)), 0, np.ones(M), 0)
    else:
        walk(0, 0, np.zeros((M, M)), 0, np.ones(M), 0)
    return full.reshape(sizes), rank.reshape(sizes), kind.reshape(sizes)


def _float_kmax(rows: list[np.ndarray], full: np.ndarray, tol: Tolerance,
                chunk: int = 2048) -> np.ndarray:
    """Largest :math:`|K|` with :math:`\\mathbf 1_K` in the row space, per pattern (float)."""
    sizes = full.shape
    M = len(rows)
    kmax = np.where(full, M, 0).astype(np.int8)
    todo = np.flatnonzero(~full.ravel())
    codes = np.arange(1, 1 << M, dtype=np.int64)
    S = ((codes[:, None] >> np.arange(M)) & 1).astype(float)     # (2^M - 1, M)
    ssize = S.sum(axis=1)
    order = np.argsort(-ssize, kind="stable")
    S, ssize = S[order], ssize[order]
    for start in range(0, todo.size, chunk):
        idx = todo[start:start + chunk]
        states = np.array(np.unravel_index(idx, sizes)).T
        n = idx.size
        Q = np.zeros((n, M, M))
        rk = np.zeros(n, dtype=np.int64)
        res = np.ones((n, M))
        for m in range(M):
            gs_extend(Q, rk, res, rows[m][states[:, m]], tol)
        W = complement(Q)                                         # projector on the kernel
        R = np.einsum("sk,nkl->nsl", S, W)                        # W 1_K for every K
        ok = np.sqrt(np.einsum("nsl,nsl->ns", R, R)) <= tol.atol
        first = np.where(ok.any(axis=1), ssize[np.argmax(ok, axis=1)], 0)
        kmax.ravel()[idx] = first.astype(np.int8)
    return kmax


# ----------------------------------------------------------------------------- exact path
def _reduce(basis: list[tuple[int, list[Fraction]]], v: list[Fraction]) -> list[Fraction]:
    """Reduce ``v`` by an echelon basis of (pivot, row-with-pivot-1) pairs."""
    v = list(v)
    for piv, row in basis:
        c = v[piv]
        if c:
            v = [a - c * b for a, b in zip(v, row, strict=True)]
    return v


def _insert(basis: list[tuple[int, list[Fraction]]], v: list[Fraction]) -> list[
        tuple[int, list[Fraction]]]:
    v = _reduce(basis, v)
    piv = next((i for i, x in enumerate(v) if x), None)
    if piv is None:
        return basis
    c = v[piv]
    v = [x / c for x in v]
    new = []
    for p, row in basis:                                   # keep it fully reduced
        a = row[piv]
        new.append((p, [x - a * y for x, y in zip(row, v, strict=True)] if a else row))
    new.append((piv, v))
    return new


def _exact_kernel(basis: list[tuple[int, list[Fraction]]], M: int) -> list[list[Fraction]]:
    """Basis of :math:`\\ker A` from the reduced echelon rows of :math:`A`."""
    pivots = {p: row for p, row in basis}
    free = [j for j in range(M) if j not in pivots]
    out = []
    for f in free:
        x = [Fraction(0)] * M
        x[f] = Fraction(1)
        for p, row in pivots.items():
            x[p] = -row[f]
        out.append(x)
    return out


def _exact_table(rows: list[list[list[Fraction]]], want_kmax: bool,
                 raw_individual: bool = False) -> tuple[
        np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    M = len(rows)
    sizes = [len(r) for r in rows]
    full = np.zeros(sizes, dtype=bool)
    rank = np.zeros(sizes, dtype=np.int8)
    kind = np.zeros(sizes, dtype=np.int8)
    kmax = np.zeros(sizes, dtype=np.int8) if want_kmax else None
    ones = [Fraction(1)] * M
    subsets = sorted((c for c in range(1, 1 << M)), key=lambda c: -bin(c).count("1"))

    def walk(prefix: tuple[int, ...], basis: list) -> None:
        j = len(prefix)
        if j == M:
            in1 = not any(_reduce(basis, ones))
            full[prefix] = in1
            rank[prefix] = len(basis)
            if in1 and not raw_individual:
                kind[prefix] = M
                if kmax is not None:
                    kmax[prefix] = M
                return
            ker = _exact_kernel(basis, M)
            kind[prefix] = sum(all(v[k] == 0 for v in ker) for k in range(M))
            if kmax is not None:
                best = 0
                for c in subsets:
                    if all(sum(v[k] for k in range(M) if c >> k & 1) == 0 for v in ker):
                        best = bin(c).count("1")
                        break
                kmax[prefix] = best
            return
        for st_, row in enumerate(rows[j]):
            walk(prefix + (st_,), _insert(basis, row) if any(row) else basis)

    walk((), [])
    return full, rank, kind, kmax


# ----------------------------------------------------------------------------- public entry
CACHE: dict[tuple, DecisionTable] = {}


def decision_table(net: Any, *, method: str = "auto", complete_only: bool = False,
                   kmax: bool = False, rank: bool = False, individual: bool = False,
                   raw_individual: bool = False,
                   tol: Tolerance = DEFAULT_TOL) -> DecisionTable:
    """Decision table of every client-state pattern of ``net`` (cached per ``B`` and options).

    ``method``: ``"exact"`` (needs ``net.B_exact``), ``"float"``, or ``"auto"`` (exact when
    ``B`` is rational and there are at most :data:`EXACT_AUTO_LIMIT` patterns). With
    ``raw_individual`` the ``k_individual`` table counts the :math:`e_k` in the row space
    also on full patterns (instead of ``M``): the blocks route combines it across blocks.
    """
    if method not in ("auto", "exact", "float"):
        raise ValueError(f"method must be 'auto', 'exact' or 'float', got {method!r}")
    sizes = [2 if complete_only else 1 + (1 << len(net.neighbors(m))) for m in range(net.M)]
    total = int(np.prod(sizes, dtype=object))
    if total > MAX_PATTERNS:
        raise ValueError(f"{total:,} client-state patterns exceed the enumeration limit "
                         f"{MAX_PATTERNS:,}; estimate by Monte Carlo with ct.simulate.outage")
    if method == "auto":
        method = ("exact" if net.B_exact is not None and total <= EXACT_AUTO_LIMIT
                  else "float")
    key = (net.B.tobytes(), net.B.shape, net.B_exact is not None, method, complete_only,
           kmax, rank, individual, raw_individual, tol.rtol, tol.atol)
    hit = CACHE.get(key)
    if hit is not None:
        return hit
    rows = state_rows(net, exact=method == "exact", complete_only=complete_only)
    if method == "exact":
        full, rk, kind, km = _exact_table(rows, kmax, raw_individual)
    elif raw_individual:
        full, rk, kind = float_table(rows, tol, prune_full=False, prune_cover=False,
                                     raw_individual=True)
        km = _float_kmax(rows, full, tol) if kmax else None
    elif kmax and not rank:
        # the max-subset search needs only ``full``: take it (and the individual rule) from
        # the cached individual table, which gcplus's cost pre-check has already built
        base = decision_table(net, method="float", complete_only=complete_only,
                              individual=True, tol=tol)
        full, rk, kind = base.full, None, base.k_individual
        km = _float_kmax(rows, full, tol)
    else:
        full, rk, kind = float_table(rows, tol, prune_full=not rank,
                                      prune_cover=not (rank or individual))
        km = None
    if not rank:
        rk = None
    if not (individual or raw_individual or kmax or method == "exact"):
        kind = None
    for a in (full, rk, kind, km):
        if a is not None:
            a.setflags(write=False)
    table = DecisionTable(full=full, rank=rk, k_individual=kind, k_max=km, method=method)
    if len(CACHE) > 16:
        CACHE.clear()
    CACHE[key] = table
    return table


def contract(table: np.ndarray, weights: list[Any]) -> Any:
    """:math:`\\sum_x T(x)\\prod_m w_m(x_m)` for a table ``T`` and per-client weight vectors.

    Works for floats (numpy), and for any exact scalars (Fractions, sympy, mpmath) through
    object arrays.
    """
    T = np.asarray(table)
    if T.dtype == bool:
        T = T.astype(np.int64)
    for m in range(T.ndim - 1, -1, -1):
        w = weights[m]
        if isinstance(w, np.ndarray) and w.dtype != object:
            T = T @ w if T.dtype != object else T.dot(w)
        else:
            Tobj = T.astype(object) if T.dtype != object else T
            T = Tobj.dot(np.array(list(w), dtype=object))
    return T[()] if isinstance(T, np.ndarray) else T


def exponent_counts(table: np.ndarray, net: Any) -> dict[tuple[int, int, int], int]:
    """Count the True entries of ``table`` by (absent clients, failed links, good links)."""
    ex = state_exponents(net)
    sizes = table.shape
    M = len(sizes)
    L = int(net.link_used.sum()) + 1
    base = np.array([L * L, L, 1], dtype=np.int32)
    code = np.zeros(sizes, dtype=np.int32)
    for m in range(M):
        shape = [1] * M
        shape[m] = sizes[m]
        code = code + (ex[m].astype(np.int32) @ base).reshape(shape)
    counts = np.bincount(code[np.asarray(table, dtype=bool)], minlength=(M + 1) * L * L)
    out = {}
    for c in np.flatnonzero(counts):
        a, rest = divmod(int(c), L * L)
        f, g = divmod(rest, L)
        out[(a, f, g)] = int(counts[c])
    return out
