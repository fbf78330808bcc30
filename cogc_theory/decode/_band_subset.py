r"""Exact max-subset GC+ decoding for banded (cyclic) codes at any :math:`M`.

**Setting.** :math:`B` is a GC matrix whose row :math:`m` is supported in the cyclic window
:math:`W_m=\{m,\dots,m+s\}\bmod M` (cyclic repetition, SPEC §2), its rows span
:math:`V=\operatorname{rowspace}B\ni\mathbf 1`, and the server holds the arrived effective
rows :math:`A` (row :math:`m` of :math:`\tilde B=B\circ\tau`, entries of failed links zeroed).
Write :math:`R=\operatorname{rowspace}A` and :math:`c^{(m)}=B_m` (the *complete* row).
The max-subset rule asks for the largest :math:`K` with :math:`\mathbf 1_K\in R` (ties: the
lexicographically smallest sorted :math:`K`, as :func:`cogc_theory.decode.gcplus`).

**Window criterion** (``research/gcplus_structure.md``, ``proofs/gcplus_window.py``).

.. math:: \mathbf 1_K\in R \iff \forall m\in\{0,\dots,M-1\}:\
          c^{(m)}\circ\mathbf 1_K\in R .

*Soundness (every code).* :math:`\mathbf 1=\sum_m\beta_m c^{(m)}` for some :math:`\beta`
(:math:`\mathbf 1\in V`), so :math:`\mathbf 1_K=\sum_m\beta_m\,c^{(m)}\circ\mathbf 1_K\in R`
whenever every term is.
*Completeness (generic codes).* For the null-space construction (:math:`c^{(m)}` spans
:math:`\ker H_{:,W_m}`, :math:`H\in\mathbb R^{s\times M}`, :math:`H\mathbf 1=0`) write
:math:`H=GD` with :math:`D=\operatorname{diag}(d)`, :math:`Gd=0`: then
:math:`c^{(m)}_H=D^{-1}c^{(m)}_G` and :math:`R_H=R_GD^{-1}`, so
:math:`\mathbf 1_K\in R_H\iff d\circ\mathbf 1_K\in R_G`. The pairs :math:`(G,d)` with
:math:`Gd=0` form an irreducible variety that maps onto :math:`\{H:H\mathbf 1=0\}`; for
generic :math:`G` the set :math:`\{d\in\ker G: d\circ\mathbf 1_K\in R_G\}` is a linear
subspace, so if it holds for generic :math:`d` it holds for all of
:math:`\ker G=\operatorname{span}\{c^{(m)}_G\}`; mapping back,
:math:`c^{(m)}_H\circ\mathbf 1_K\in R_H` for every :math:`m`. Hence the criterion holds for
every :math:`H` outside a proper algebraic subset (probability one for a continuous random
draw). With :math:`K=\{0..M-1\}` it says: **GC+ fully recovers iff every row of** :math:`B`
**lies in the span of the received effective rows** (:math:`V\subseteq R`).

**Algorithm.** The condition on window :math:`m` involves only the bits of :math:`K` on
:math:`W_m`: let :math:`\mathcal A_m\subseteq 2^{W_m}` be the patterns :math:`S` with
:math:`c^{(m)}\circ\mathbf 1_S\in R`. Then :math:`K` is feasible iff
:math:`K\cap W_m\in\mathcal A_m` for every :math:`m` — a constraint problem on a ring with
windows of :math:`s+1` bits, solved exactly by dynamic programming with the first :math:`s`
bits fixed (closure of the ring) and the last :math:`s` bits as state:
:math:`O(M\,4^s)` per matrix (:func:`ring_max_pattern`). Membership
:math:`v\in R` of a window vector :math:`v` is :math:`v\perp\ker A`, i.e.
:math:`\lVert N_{W_m}^\top v_{W_m}\rVert_2\le\mathrm{atol}\,\lVert v\rVert_2` with
:math:`N` an orthonormal kernel basis (float; one SVD of :math:`A`, :math:`O(M^3)`) or
:math:`N_{W_m}^\top v_{W_m}=0` exactly (rational path). The returned :math:`K` always carries
a verified certificate :math:`a^\top A=\mathbf 1_K`; a float certificate that fails
downgrades the trial to an outage, as in :mod:`cogc_theory.decode`.

**What is exact.** In exact arithmetic the answer is the max-subset answer for every code
satisfying the criterion (generic codes), and a certified lower bound (a recoverable set) for
any code. For a *specific* code, maximality cannot be checked efficiently in general: already
for :math:`s=1` deciding whether any nonempty :math:`K` is recoverable when two adjacent
clients are absent is the zero-subset-sum problem on the kernel vector :math:`h`
(NP-complete), see the memo. In floating point the max-subset rule with a tolerance is not
the generic answer at large :math:`M`: among the :math:`2^M` subsets, some have
:math:`\lVert N^\top\mathbf 1_K\rVert` below ``atol`` by coincidence; this module returns the
structural answer and does not search for such coincidences.

Examples
--------
>>> import numpy as np
>>> import cogc_theory as ct

Client 37 misses the link from 39, client 38 is absent, client 39 misses the link from 0:
not a full recovery, but every gradient except :math:`g_{39}` is (the individual rule finds
none of them):

>>> B = ct.codes.cyclic_repetition(40, 2, seed=1)
>>> tau = np.ones((40, 40), dtype=bool); tau[37, 39] = False; tau[39, 0] = False
>>> arrived = np.ones(40, dtype=bool); arrived[38] = False
>>> r = banded_max_subset(B, B * tau, arrived)
>>> r.full, r.size, np.flatnonzero(~r.recovered).tolist()
(False, 39, [39])
>>> bool(np.abs(r.weights @ (B * tau) - r.target).max() < 1e-8)
True
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from .. import exact as _exact
from .._linalg import ATOL, RTOL, certificate_check, check_tolerance
from ._api import parse_code_rounds, parse_matrix
from ._results import BatchDecodeResult, DecodeResult
from ._svd import min_norm_weights

__all__ = [
    "MAX_BANDWIDTH",
    "bandwidth",
    "banded_max_subset",
    "ring_max_pattern",
    "window_allowed",
]

#: Largest bandwidth :math:`s` accepted: the ring DP has :math:`4^s` states per position.
MAX_BANDWIDTH = 6
_NEG = -(1 << 20)                 # "infeasible" value in the DP (well below any count)
_CHUNK = 1 << 22                  # floats per chunk of stacked work


# ----------------------------------------------------------------------------- the ring DP
def _popcount(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.int64)
    out = np.zeros_like(x)
    while np.any(x):
        out += x & 1
        x = x >> 1
    return out


def ring_max_pattern(allowed: Any) -> np.ndarray:
    r"""Largest :math:`K\subseteq\mathbb Z_M` with every window pattern allowed (ring DP).

    Window :math:`m` covers positions :math:`m,\dots,m+s` (mod :math:`M`); its pattern is
    :math:`P_m(K)=\sum_{i=0}^{s}[m+i\in K]\,2^i`. Returns the :math:`K` maximising
    :math:`|K|` subject to ``allowed[m, P_m(K)]`` for all :math:`m`; among the maximisers the
    one whose sorted list of elements is lexicographically smallest (the indicator vector
    lexicographically largest), the tie-break of :func:`cogc_theory.decode.gcplus`.

    .. math:: \max\ |K|\quad\text{s.t.}\quad P_m(K)\in\mathcal A_m\ \ \forall m .

    Dynamic programming with the first :math:`s` bits fixed (they close the ring) and the
    last :math:`s` bits as state: :math:`O(M\,4^s)` time per instance, vectorised over a
    leading trials axis.

    Parameters
    ----------
    allowed : bool array (M, 2**(s+1)) or (T, M, 2**(s+1))
        ``allowed[..., m, P]``; pattern 0 (empty) must be allowed (so :math:`K=\emptyset`
        is feasible).

    Returns
    -------
    bool array (M,) or (T, M)

    Raises
    ------
    ValueError
        Bad shape, :math:`M\le s`, or the empty pattern not allowed somewhere.

    Examples
    --------
    Windows of two positions (:math:`s=1`) on a ring of 5 where window 2 forbids "both":

    >>> import numpy as np
    >>> allowed = np.ones((5, 4), dtype=bool); allowed[2, 3] = False
    >>> ring_max_pattern(allowed).astype(int).tolist()
    [1, 1, 1, 0, 1]
    """
    al = np.asarray(allowed)
    if al.dtype != bool:
        raise TypeError(f"allowed must be a boolean array, got dtype {al.dtype}")
    single = al.ndim == 2
    if single:
        al = al[None]
    if al.ndim != 3:
        raise ValueError(f"allowed must have shape (M, 2**(s+1)) or (T, M, 2**(s+1)), got "
                         f"{np.shape(allowed)}")
    T, M, P = al.shape
    s = P.bit_length() - 2
    if P < 2 or P != 1 << (s + 1):
        raise ValueError(f"the last axis of allowed must have length 2**(s+1) (one entry per "
                         f"window pattern), got {P}")
    if M <= s:
        raise ValueError(f"the ring needs more positions than the bandwidth: M={M}, s={s}")
    if not np.all(al[:, :, 0]):
        raise ValueError("allowed[..., m, 0] must be True: the empty set satisfies every window")
    if T == 0:
        out = np.zeros((0, M), dtype=bool)
        return out[0] if single else out
    per = max(1, _CHUNK // max(1, M * (1 << (2 * s))))
    out = np.concatenate([_ring_dp(al[lo:lo + per], s) for lo in range(0, T, per)])
    return out[0] if single else out


def _ring_dp(al: np.ndarray, s: int) -> np.ndarray:
    T, M, _ = al.shape
    if s == 0:                                             # windows of one position
        return al[:, :, 1].copy()
    nS = 1 << s
    f = np.arange(nS)[:, None]                             # first s bits (positions 0..s-1)
    sig = np.arange(nS)[None, :]                           # last s bits (state)
    tt = np.arange(T)[:, None, None]
    # value after the last position: the s wrap windows m = M-s+j must be allowed
    ok = np.ones((T, nS, nS), dtype=bool)
    for j in range(s):
        pat = (sig >> j) | ((f & ((1 << (j + 1)) - 1)) << (s - j))
        ok &= al[tt, M - s + j, pat[None]]
    val = [np.where(ok, 0, _NEG).astype(np.int32)]          # val[-1] is V_{M-1}
    moves = []
    for i in range(M - 1, s - 1, -1):                      # position i, window i - s
        nxt = val[-1]
        best = np.full((T, nS, nS), _NEG, dtype=np.int32)
        for b in (0, 1):
            a = al[:, i - s, sig[0] | (b << s)]            # (T, nS) over the state
            succ = (sig[0] >> 1) | (b << (s - 1))
            cand = np.where(a[:, None, :], nxt[:, :, succ] + b, _NEG)
            best = np.maximum(best, cand)
        moves.append(best)
        val.append(best)
    # val[k] = V_{M-1-k}; the start value is V_{s-1} with state == f
    start = val[M - s]
    diag = start[:, np.arange(nS), np.arange(nS)]          # (T, nS): state = f
    total = np.where(diag > _NEG // 2, diag + _popcount(np.arange(nS))[None, :], _NEG)
    lexkey = np.zeros(nS, dtype=np.int64)
    for j in range(s):
        lexkey |= ((np.arange(nS) >> j) & 1) << (s - 1 - j)
    score = total.astype(np.int64) * (1 << s) + lexkey[None, :]
    fbest = np.argmax(score, axis=1)                       # (T,)
    K = np.zeros((T, M), dtype=bool)
    for j in range(s):
        K[:, j] = (fbest >> j) & 1
    state = fbest.copy()
    rows = np.arange(T)
    for i in range(s, M):
        cur = val[M - i][rows, fbest, state]               # V_{i-1}
        nxt = val[M - 1 - i]                               # V_i
        succ1 = (state >> 1) | (1 << (s - 1))
        ok1 = al[rows, i - s, state | (1 << s)] & (nxt[rows, fbest, succ1] + 1 == cur)
        K[:, i] = ok1
        state = np.where(ok1, succ1, state >> 1)
    return K


# ----------------------------------------------------------------------------- windows
def bandwidth(B: Any) -> int:
    r"""Smallest :math:`s` with every row :math:`m` of ``B`` supported in
    :math:`\{m,\dots,m+s\}\bmod M`.

    Examples
    --------
    >>> import cogc_theory as ct
    >>> bandwidth(ct.codes.cyclic_repetition(7, 3, seed=0))
    3
    """
    is_exact, Bm = parse_matrix(B, "B", allow_batch=False)
    nz = Bm != 0 if not is_exact else np.vectorize(lambda x: x != 0, otypes=[bool])(Bm)
    M = Bm.shape[0]
    off = (np.arange(M)[None, :] - np.arange(M)[:, None]) % M
    return int(np.max(np.where(nz, off, 0)))


def _window_index(M: int, s: int) -> np.ndarray:
    return (np.arange(M)[:, None] + np.arange(s + 1)[None, :]) % M


def _window_vectors(Bm: np.ndarray, s: int) -> np.ndarray:
    """``v[m, P, i] = B[m, m+i] * bit_i(P)``: the complete row cut to each window pattern."""
    M = Bm.shape[0]
    idx = _window_index(M, s)
    bits = (np.arange(1 << (s + 1))[:, None] >> np.arange(s + 1)[None, :]) & 1   # (P, s+1)
    rows = Bm[np.arange(M)[:, None], idx]                                        # (M, s+1)
    if Bm.dtype != object:
        return rows[:, None, :] * bits[None, :, :]
    out = np.empty((M, bits.shape[0], s + 1), dtype=object)
    for m, p, i in np.ndindex(*out.shape):
        out[m, p, i] = rows[m, i] if bits[p, i] else Fraction(0)
    return out


def window_allowed(B: Any, Bt: Any, arrived: Any, *, rtol: float = RTOL,
                   atol: float = ATOL) -> np.ndarray:
    r"""Allowed window patterns :math:`\mathcal A_m=\{S\subseteq W_m: c^{(m)}\circ\mathbf 1_S
    \in\operatorname{rowspace}A\}`, bool ``(M, 2**(s+1))`` or ``(T, M, 2**(s+1))``.

    Bit ``i`` of a pattern is position :math:`m+i`. Float: :math:`\lVert N_{W}^\top
    v\rVert_2\le\mathrm{atol}\lVert v\rVert_2` with :math:`N` the SVD kernel basis (rank
    threshold ``rtol`` relative to :math:`\sigma_1`); exact for rational input. Arguments as
    :func:`banded_max_subset`.

    Examples
    --------
    >>> import numpy as np, cogc_theory as ct
    >>> B = ct.codes.cyclic_repetition(6, 1, seed=0)
    >>> al = window_allowed(B, B, np.ones(6, dtype=bool))   # all complete: R = V
    >>> bool(al[:, 3].all()), bool(al[:, 1].any())   # rows of B yes, e_m alone no
    (True, False)
    """
    data = _prepare(B, Bt, arrived, rtol, atol)
    return data["allowed"] if data["batch"] is not None else data["allowed"][0]


def _prepare(B: Any, Bt: Any, arrived: Any, rtol: float, atol: float) -> dict[str, Any]:
    tol = check_tolerance(rtol, atol)
    rtol, atol = tol.rtol, tol.atol
    ex_b, Bm, Bts, masks, batch = parse_code_rounds(B, Bt, arrived)
    T, M = masks.shape
    s = bandwidth(Bm)
    if s > MAX_BANDWIDTH:
        raise ValueError(f"B has cyclic bandwidth s={s} > MAX_BANDWIDTH={MAX_BANDWIDTH} "
                         f"(the ring DP has 4**s states); use rule='individual' of "
                         f"ct.decode.gcplus (scheme='gcplus-individual' of ct.simulate.train), "
                         f"which works at any bandwidth")
    if M <= s + 1:
        raise ValueError(f"banded_max_subset needs M > s + 1 (got M={M}, s={s}); at this size use "
                         "ct.decode.gcplus(..., rule='max-subset'), which enumerates")
    zero = Fraction(0) if ex_b else 0.0
    eff_ok = (Bts == zero) | (Bts == Bm[None])
    if not np.all(eff_ok):
        t, m, k = map(int, np.argwhere(~eff_ok)[0])
        raise ValueError(f"Bt must be an effective matrix of B (each entry 0 or equal to B's): "
                         f"Bt[{t}, {m}, {k}] = {Bts[t, m, k]} but B[{m}, {k}] = {Bm[m, k]}")
    A = np.where(masks[:, :, None], Bts, zero)
    vecs = _window_vectors(Bm, s)                                       # (M, P, s+1)
    idx = _window_index(M, s)
    if ex_b:
        allowed, extra = _allowed_exact(A, vecs, idx)
    else:
        allowed, extra = _allowed_float(A, vecs, idx, rtol, atol)
    return {"exact": ex_b, "B": Bm, "A": A, "masks": masks, "batch": batch, "s": s,
            "allowed": allowed, "extra": extra, "atol": atol, "rtol": rtol}


def _allowed_float(A: np.ndarray, vecs: np.ndarray, idx: np.ndarray, rtol: float,
                   atol: float) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Window tests :math:`\\lVert N_W^\\top v\\rVert\\le\\mathrm{atol}\\lVert v\\rVert`.

    The distance is the norm of the computed vector :math:`N_W^\\top v` (rounding about
    :math:`10^{-16}`), never the quadratic form :math:`v^\\top N_WN_W^\\top v`, whose
    rounding (about :math:`10^{-16}`) is of the order of :math:`\\mathrm{atol}^2`.
    """
    T, M, _ = A.shape
    P = vecs.shape[1]
    U, S, Vh = np.linalg.svd(A)
    nonzero = S > rtol * S[:, :1]
    norm2 = np.einsum("mpi,mpi->mp", vecs, vecs)
    allowed = np.empty((T, M, P), dtype=bool)
    null_dim = M - nonzero.sum(axis=1)
    order = np.argsort(null_dim, kind="stable")            # group trials of similar size
    for start in range(0, T, 64):
        tr = order[start:start + 64]
        d = int(null_dim[tr].max())
        if d == 0:
            allowed[tr] = True
            continue
        N = Vh[tr, M - d:, :] * (~nonzero[tr, M - d:])[:, :, None]     # (t, d, M)
        step = max(1, _CHUNK // (len(tr) * P * d * idx.shape[1]))
        for lo in range(0, M, step):
            w = slice(lo, min(M, lo + step))
            Ng = N[:, :, idx[w]]                                    # (t, d, m, s+1)
            proj = np.einsum("tdmi,mpi->tmpd", Ng, vecs[w])
            d2 = np.einsum("tmpd,tmpd->tmp", proj, proj)
            allowed[tr, w] = d2 <= (atol * atol) * norm2[None, w]
    return allowed, {"U": U, "S": S, "Vh": Vh, "nonzero": nonzero}


def _allowed_exact(A: np.ndarray, vecs: np.ndarray, idx: np.ndarray
                   ) -> tuple[np.ndarray, dict[str, Any]]:
    T, M, _ = A.shape
    P = vecs.shape[1]
    allowed = np.empty((T, M, P), dtype=bool)
    ranks = np.empty(T, dtype=np.int64)
    for t in range(T):  # the exact path is the oracle: clarity over speed
        N = _exact.nullspace(A[t].tolist())
        ranks[t] = M - len(N)
        for m in range(M):
            cols = [[x[k] for x in N] for k in idx[m]]                  # (s+1, d)
            for p in range(P):
                v = vecs[m, p]
                allowed[t, m, p] = all(
                    sum((v[i] * cols[i][j] for i in range(len(v))), Fraction(0)) == 0
                    for j in range(len(N)))
    return allowed, {"rank": ranks}


# ----------------------------------------------------------------------------- decoder
def banded_max_subset(B: Any, Bt: Any, arrived: Any, *, rtol: float = RTOL,
               atol: float = ATOL) -> DecodeResult | BatchDecodeResult:
    r"""Max-subset GC+ decoding of a banded code at any :math:`M`, with certificate.

    Returns the largest :math:`K` with :math:`c^{(m)}\circ\mathbf 1_K\in\operatorname{rowspace}
    A` for every row :math:`c^{(m)}` of ``B`` (ties: lexicographically smallest sorted
    :math:`K`). For a generic code this is exactly the max-subset answer
    (:math:`\max|K|` with :math:`\mathbf 1_K\in\operatorname{rowspace}A`); for any code it is a
    recoverable set (see the module docstring).

    Parameters
    ----------
    B : array_like (M, M), sympy.Matrix or object array of rationals
        The GC matrix; row :math:`m` supported in :math:`\{m,\dots,m+s\}\bmod M` with
        :math:`s\le` :data:`MAX_BANDWIDTH`, and :math:`M>s+1`.
    Bt : array_like (M, M) or (T, M, M)
        Effective matrix: each entry zero or equal to ``B``'s. Same arithmetic as ``B``.
    arrived : array_like of bool, (M,) or (T, M)
    rtol, atol : float
        As in :func:`cogc_theory.decode.gcplus` (float path only).

    Returns
    -------
    DecodeResult or BatchDecodeResult
        ``rule="max-subset"``; ``weights @ Bt == target`` (exactly, or within ``atol``;
        a float certificate that fails downgrades the trial to an outage).

    Raises
    ------
    TypeError
        Mixed exact / float input, or non-numeric entries.
    ValueError
        Bandwidth above :data:`MAX_BANDWIDTH`, :math:`M\le s+1`, ``Bt`` not an effective
        matrix of ``B``, bad shapes or tolerances.

    Notes
    -----
    Cost per trial: one SVD (:math:`O(M^3)`, float) or one exact elimination, then
    :math:`O(M\,2^{s+1}(s+1)\,d)` for the window tests (:math:`d=\dim\ker A`) and
    :math:`O(M\,4^s)` for the DP.

    Examples
    --------
    >>> import numpy as np, cogc_theory as ct
    >>> B = ct.codes.cyclic_repetition(30, 1, seed=0)
    >>> arrived = np.ones(30, dtype=bool); arrived[[3, 4]] = False
    >>> r = banded_max_subset(B, B, arrived)   # two adjacent absent: the ring recovers nothing
    >>> r.full, r.size, r.outage
    (False, 0, True)
    """
    d = _prepare(B, Bt, arrived, rtol, atol)
    K = ring_max_pattern(d["allowed"])
    res = (_certify_exact(d, K) if d["exact"] else _certify_float(d, K))
    out = BatchDecodeResult(**res, rule="max-subset", exact=d["exact"])
    return out if d["batch"] is not None else out[0]


def _certify_float(d: dict[str, Any], K: np.ndarray) -> dict[str, np.ndarray]:
    A = d["A"]
    ex = d["extra"]
    U, S, Vh, nonzero = ex["U"], ex["S"], ex["Vh"], ex["nonzero"]
    target = K.astype(float)
    w = min_norm_weights(U, S, Vh, nonzero, target, d["masks"])
    ok, cert, _ = certificate_check(w, A, target, d["atol"])
    bad = ~ok
    target[bad] = 0.0
    w[bad] = 0.0
    cert[bad] = 0.0
    full = np.all(target > 0.5, axis=1)
    residual = np.sqrt(np.einsum("nk,nk->n", 1.0 - target, 1.0 - target))
    return {"full": full, "recovered": target > 0.5, "weights": w, "target": target,
            "rank": nonzero.sum(axis=1).astype(np.int64), "residual": residual,
            "cert_error": cert, "downgraded": bad & np.any(K, axis=1)}


def _certify_exact(d: dict[str, Any], K: np.ndarray) -> dict[str, np.ndarray]:
    A = d["A"]
    T, M, _ = A.shape
    one, zero = Fraction(1), Fraction(0)
    W = np.empty((T, M), dtype=object)
    tg = np.empty((T, M), dtype=object)
    for t in range(T):
        target = [one if k else zero for k in K[t]]
        a = _exact.solve_left(A[t].tolist(), target)
        if a is None:  # pragma: no cover - soundness of the window criterion
            raise AssertionError("internal error: the window criterion gave a set outside "
                                 "the row space")
        check = [sum((a[i] * A[t, i, k] for i in range(M)), zero) for k in range(M)]
        if check != target:  # pragma: no cover
            raise AssertionError("internal error: exact certificate does not verify")
        W[t, :] = a
        tg[t, :] = target
    full = np.all(K, axis=1)
    residual = np.sqrt((~K).sum(axis=1).astype(float))
    return {"full": full, "recovered": K.copy(), "weights": W, "target": tg,
            "rank": d["extra"]["rank"], "residual": residual,
            "cert_error": np.zeros(T), "downgraded": np.zeros(T, dtype=bool)}
