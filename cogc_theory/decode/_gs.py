"""The Gram–Schmidt engine: batched decoding whose results stand only where they provably
equal the SVD engine's (see the package docstring, "Gram–Schmidt engine")."""

from __future__ import annotations

import numpy as np

from .._linalg import rounding_gamma
from ._subsets import subset_dist2, subset_order, subset_rank, subset_screen

__all__ = ["MARGIN", "decode_gs"]

_GS_MIN = 8               # smallest Gram–Schmidt block (padded with zero matrices)
MARGIN = 1e3          # safety factor between a Gram–Schmidt decision and its threshold
_GS_KAPPA = 1e6           # largest condition bound the Gram–Schmidt path decides itself


def decode_gs(A: np.ndarray, mode: str, rtol: float, atol: float,
               maxc: int = 16) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The rules in ``_FAST_RULES`` by Gram–Schmidt, and which results stand.

    See the module docstring ("Float path"). Arrays are laid out with the matrices last,
    ``(M, M, n)``, and every reduction runs over a leading axis, so each matrix's numbers are
    computed by the same sequence of elementwise operations whatever ``n`` and its position
    in the block (batched and one-round results agree: bit for bit where numpy's loops round
    alike for every ``n``, as they usually do, otherwise up to rounding); ``n`` is padded to
    ``_GS_MIN`` with zero matrices for the same reason. Each matrix is rescaled by an exact
    power of two (largest entry in [1/2, 1)) so that no square under- or overflows. A
    max-subset search that would exceed ``maxc`` candidates leaves its matrix unsettled (the
    SVD engine then decides or raises); this function never raises for it.
    """
    n, M, _ = A.shape
    if n < _GS_MIN:
        A = np.concatenate([A, np.zeros((_GS_MIN - n, M, M))])
    margin = MARGIN
    amax = np.abs(A).max(axis=(1, 2))
    expo = np.frexp(amax)[1]                               # exact power-of-two rescaling
    At = np.ascontiguousarray(np.ldexp(A, -expo[:, None, None]).transpose(1, 2, 0))
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        res, settled = _gs_core(At, mode, rtol, atol, margin, maxc)
    wts = res["weights"]
    settled &= (amax == 0) | ((amax >= 1e-150) & (amax <= 1e150))
    if min(atol, rtol) < margin * rounding_gamma(M):
        # distances of unit-scale vectors carry rounding ~gamma(M): a threshold below
        # margin * gamma(M) (atol = 1e-100, say) is never clear of it, and whether a computed
        # distance is exactly 0 is luck that differs between engines; likewise the SVD's
        # computed singular values carry noise ~u sigma_1, so a rank threshold rtol sigma_1
        # below it (rtol = 1e-17) is the SVD's to decide, not a bound on exact ones
        settled[:] = False
    settled &= ~np.any((wts != 0) & (np.abs(wts) < 2.0 ** 520 * np.finfo(float).tiny), axis=0)
    res["weights"] = np.ldexp(wts, -expo)                 # a A = (a_s 2^-e)(A_s 2^e), exact
    return {f: np.ascontiguousarray(v[..., :n].T) for f, v in res.items()}, settled[:n]


def _gs_core(At: np.ndarray, mode: str, rtol: float, atol: float, margin: float,
             maxc: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The Gram–Schmidt engine on ``At`` (M, M, N), ``At[i, k, :] = A[:, i, k]``; results
    with the matrices last (``(M, N)`` or ``(N,)``)."""
    M, _, N = At.shape
    row2 = np.einsum("ikn,ikn->in", At, At)
    fro = np.sqrt(row2.sum(axis=0))                        # >= sigma_1
    thr = rtol * np.sqrt(row2.max(axis=0))                 # rtol * (a lower bound on sigma_1)
    Q = np.zeros_like(At)                                  # kept directions, orthonormal
    W = np.zeros_like(At)                                  # Q[i] = sum_j W[i, j] A[j]
    rho2 = np.empty((M, N))                                # squared residual norms
    keep = np.empty((M, N), dtype=bool)                    # rows kept (independent)
    for i in range(M):                                     # rows, not trials
        v = At[i].copy()
        if i:
            Qi = Q[:i]
            c = np.einsum("kjn,jn->kn", Qi, v)
            v -= np.einsum("kn,kjn->jn", c, Qi)
            c2 = np.einsum("kjn,jn->kn", Qi, v)           # twice is enough
            v -= np.einsum("kn,kjn->jn", c2, Qi)
            c += c2
        np.einsum("jn,jn->n", v, v, out=rho2[i])
        rho = np.sqrt(rho2[i])
        np.greater(rho, thr, out=keep[i])
        inv = np.divide(1.0, rho, out=np.zeros(N), where=keep[i])
        np.multiply(v, inv, out=Q[i])
        if i:                                              # W is lower triangular
            np.multiply(np.einsum("kn,kjn->jn", c, W[:i, :i]), -inv, out=W[i, :i])
        W[i, i] = inv
    rank = keep.sum(axis=0, dtype=np.int64)
    drop2 = np.where(keep, 0.0, rho2).sum(axis=0)          # squared residuals of dropped rows
    kappa = fro * np.sqrt(np.einsum("ijn,ijn->n", W, W))  # >= sigma_1 / sigma_r
    settled = ((kappa <= min(_GS_KAPPA, 1.0 / (margin * rtol)))
               & (np.sqrt(drop2) * margin <= thr))

    def clear(x: np.ndarray) -> np.ndarray:
        return (x <= atol / margin) | (x > atol * margin)

    p1 = np.einsum("in,ijn->jn", Q.sum(axis=1), Q)        # projection of 1 on the row space
    r1 = 1.0 - p1
    d1 = np.sqrt(np.einsum("jn,jn->n", r1, r1))
    full = d1 <= atol
    settled &= clear(d1)
    if mode == "least-squares":
        target = np.where(full, 1.0, p1)
        settled &= full | np.all(clear(np.abs(p1)), axis=0)
    else:
        D = -np.einsum("ijn,ikn->jkn", Q, Q)               # I - P, column k = e_k - P e_k
        D[np.arange(M), np.arange(M)] += 1.0
        dk = np.sqrt(np.einsum("jkn,jkn->kn", D, D))       # distance of e_k to the row space
        settled &= full | np.all(clear(dk), axis=0)
        K = (dk <= atol) | full
        if mode == "max-subset":
            cand = ~K & np.any(At != 0, axis=0)            # used columns not yet in K
            extra, stands = _gs_extra(D, dk, cand, settled, M - rank, atol, margin, maxc)
            K |= extra
            settled &= stands
        target = K.astype(float)
    coef = np.einsum("jn,ijn->in", target, Q)
    wts = np.einsum("in,ijn->jn", coef, W)                 # a = (t Q^T) W, zero on dropped rows
    cert = np.abs(np.einsum("in,ikn->kn", wts, At) - target).max(axis=0)
    settled &= cert <= atol / margin
    # and its rounding: a claim stands only if every order of evaluation meets atol
    # (certificate_check's term 2 gamma (|a|^T|A| + |t|) within atol / 2): with an atol below
    # the rounding of the weights (1e-100, say) an exact GS error of 0 is luck, not a decision
    mag = (np.einsum("in,ikn->kn", np.abs(wts), np.abs(At)) + np.abs(target)).max(axis=0)
    settled &= 2 * rounding_gamma(M) * mag <= atol / 2
    recovered = np.abs(target) > atol if mode == "least-squares" else target > 0.5
    residual = np.sqrt(np.einsum("kn,kn->n", 1.0 - target, 1.0 - target))
    return ({"full": full, "recovered": recovered, "weights": wts, "target": target,
             "rank": rank, "residual": residual, "cert_error": cert,
             "downgraded": np.zeros(N, dtype=bool)}, settled)


def _gs_extra(D: np.ndarray, dk: np.ndarray, cand: np.ndarray, settled: np.ndarray,
              nullity: np.ndarray, atol: float, margin: float,
              maxc: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Max-subset search of the Gram–Schmidt engine: the best candidate subset per matrix.

    ``D`` (M, M, N) is :math:`I-P` (column :math:`k` is :math:`e_k-Pe_k`, of norm ``dk``),
    ``cand`` (M, N) the candidate columns, ``nullity`` (N,) :math:`M-\operatorname{rank}`.
    Returns ``extra`` (M, N), the chosen subset :math:`S`, and ``stands`` (N,), False where
    :math:`S` may differ from the SVD engine's: a distance that decides it lies in
    :math:`(\mathrm{atol}/c,\ c\,\mathrm{atol}]`, more than ``maxc`` candidates survive the
    separation test, or the kernel basis is inaccurate. Matrices not ``settled`` are skipped.

    :math:`\lVert(I-P)\mathbf 1_S\rVert_2` is the SVD engine's :math:`\lVert N^\top\mathbf
    1_S\rVert_2`. The separation test and the screen use the columns of :math:`I-P` and a unit
    vector :math:`v` (by Cauchy–Schwarz, :math:`|\sum_{k\in S}v^\top(I-P)e_k|` is a lower bound
    on the distance, whatever the rounding in :math:`v`); the enumeration of the screened-in
    matrices uses coordinates :math:`L^\top` of dimension :math:`d=M-\operatorname{rank}` with
    :math:`LL^\top=I-P` (pivoted Cholesky; :math:`L=N U` for an orthogonal :math:`U`, so
    :math:`\lVert L^\top\mathbf 1_S\rVert_2=\lVert N^\top\mathbf 1_S\rVert_2`), formed as
    sums of :math:`|S|` rows of :math:`L`, never as the cancelling Gram form
    :math:`\mathbf 1_S^\top(I-P)\mathbf 1_S`. Every reduction runs over a leading axis with
    the matrices last, so a matrix's numbers do not depend on the others.
    """
    M, _, N = D.shape
    extra = np.zeros((M, N), dtype=bool)
    stands = np.ones(N, dtype=bool)
    todo = settled & cand.any(axis=0)
    if not todo.any():
        return extra, stands
    # Separation: v = normalised positive combination of the candidates' unit columns (fixed
    # weights in [1, 2), not all equal, so that no structure of the code cancels in v). If
    # D_k . v > c atol for every candidate k, every nonempty subset S has
    # ||D 1_S|| >= 1_S^T D v > c atol: settled, no extra.
    weights = 1.0 + np.modf(np.arange(1, M + 1) * 0.6180339887498949)[0]   # k phi mod 1, +1
    inv = np.divide(weights[:, None], dk, out=np.zeros_like(dk), where=cand)
    v = np.zeros((M, N))
    for k in range(M):
        v += D[:, k] * inv[k]
    vn = v[0] * v[0]
    for j in range(1, M):
        vn += v[j] * v[j]
    v *= 1.0 / np.maximum(np.sqrt(vn), 1e-300)
    along = D[0] * v[0]                                    # along[k] = D_k . v
    for j in range(1, M):
        along += D[j] * v[j]
    todo &= ~np.all(~cand | (along > margin * atol), axis=0)
    r = cand.sum(axis=0)
    stands &= ~(todo & (r > maxc))                         # too many: the SVD engine decides
    todo &= r <= maxc
    stands &= ~(todo & (nullity < 1))                      # cannot happen when settled
    todo &= nullity >= 1
    idx = np.flatnonzero(todo)
    if idx.size == 0:
        return extra, stands
    # Screening along v: ||D 1_S|| >= |v . D 1_S| = |sum_(k in S) along_k|; a matrix with that
    # sum > c atol for every nonempty S is settled with no extra. The others (typically those
    # with a qualifying subset) are enumerated in every kernel coordinate.
    cols = np.argsort(~cand[:, idx], axis=0, kind="stable")   # candidates first, ascending
    rr = r[idx]
    near = []
    for rv in np.unique(rr).tolist():
        g = np.flatnonzero(rr == rv)
        c = along[cols[:rv, g], idx[g]]                     # (r, m): candidates, ascending
        near.append(g[subset_screen(c, margin * atol)])
    g = np.concatenate(near)
    if g.size == 0:
        return extra, stands
    idx, cols, rr = idx[g], cols[:, g], rr[g]
    # Kernel coordinates L^T (d, M) of the screened-in matrices: pivoted Cholesky of the
    # projector D (pivots >= (d - t)/M exactly). Sorted by d, largest first: step t works on
    # the prefix with d > t.
    order_d = np.argsort(-nullity[idx], kind="stable")
    idx, cols, rr = idx[order_d], cols[:, order_d], rr[order_d]
    m = idx.size
    d = nullity[idx]
    R = D[:, :, idx]
    L = np.zeros((int(d[0]), M, m))
    diag = np.arange(M)
    for t in range(L.shape[0]):
        n = int(np.count_nonzero(d > t))
        at = np.arange(n)
        Rt = R[:, :, :n]
        dg = Rt[diag, diag]                                # (M, n)
        p = dg.argmax(axis=0)
        piv = dg[p, at]
        stands[idx[:n][~(piv >= 0.5 / M)]] = False         # inaccurate projector
        lt = Rt[:, p, at] * (1.0 / np.sqrt(np.maximum(piv, 0.5 / M)))
        L[t, :, :n] = lt
        Rt -= lt[:, None, :] * lt[None, :, :]
    lo2, ok2, hi2 = (atol / margin) ** 2, atol * atol, (atol * margin) ** 2
    for rv in np.unique(rr).tolist():
        g = np.flatnonzero(rr == rv)
        C = L[:, cols[:rv, g], g]                          # (d, r, m): candidates' rows of L
        dist2 = subset_dist2(C)                           # (2**r, m), by subset code
        order = subset_order(rv)
        rank_of = subset_rank(rv)                         # position of each code in order
        first = np.where(dist2 <= ok2, rank_of[:, None], 1 << rv).min(axis=0)
        unclear = (dist2 > lo2) & (dist2 <= hi2) & (rank_of[:, None] <= first)
        stands[idx[g]] &= ~unclear.any(axis=0)
        chosen = order[first]                              # (m, r); the empty set always fits
        extra[cols[:rv, g].T[chosen], np.repeat(idx[g], chosen.sum(axis=1))] = True
    return extra, stands
