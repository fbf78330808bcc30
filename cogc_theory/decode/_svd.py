"""The SVD engine: the reference decoder of the float path (one stacked SVD per block).

Rank, kernel and membership follow :mod:`cogc_theory._linalg` (the rows arrive scaled by
:func:`cogc_theory._linalg.scale_rows`); the certificate is :math:`a = tA_r^+`.
"""

from __future__ import annotations

import numpy as np

from .._linalg import SvdKernel, Tolerance, svd_kernel
from ._subsets import subset_order, too_many

__all__ = ["decode_kernel", "decode_svd", "min_norm_weights"]

_CHUNK = 1 << 22          # floats per enumeration block


def decode_svd(A: np.ndarray, mode: str, rtol: float, atol: float,
                maxc: int) -> dict[str, np.ndarray]:
    """Decode a stack of scaled used-row matrices ``A`` (n, M, M) via stacked SVDs."""
    return decode_kernel(A, svd_kernel(A, Tolerance(rtol, atol)), mode, atol, maxc)


def decode_kernel(A: np.ndarray, kernel: SvdKernel, mode: str, atol: float,
                  maxc: int) -> dict[str, np.ndarray]:
    """:func:`decode_svd` after its SVD: the decisions and certificates from ``kernel``
    (:func:`cogc_theory._linalg.svd_kernel` of ``A``). The one-round path replays the engine
    through this function with its own factors, so that its decisions near a threshold are
    the engine's, computed by the same operations."""
    n, M, _ = A.shape
    used = np.any(A != 0, axis=2)
    U, S, Vh, nonzero, rank, N = kernel                    # N[:, k, j]: column j
    d1 = N.sum(axis=1)                                     # 1^T N, (n, M)
    full = np.sqrt(np.einsum("nj,nj->n", d1, d1)) <= atol
    if mode == "standard":
        target = np.repeat(full[:, None], M, axis=1).astype(float)
    elif mode == "least-squares":
        proj = 1.0 - np.einsum("nj,nkj->nk", d1, N)
        target = np.where(full[:, None], 1.0, proj)
    else:
        K = np.sqrt(np.einsum("nkj,nkj->nk", N, N)) <= atol    # individually recoverable
        if mode == "max-subset":
            cand = ~K & np.any(A != 0, axis=1) & ~full[:, None]
            K |= _max_subset_extra(N, cand, rank, atol, maxc)
        K[full] = True
        target = K.astype(float)
    # weights that overflow (e.g. a kept singular value near the bottom of the float range)
    # stay quiet: an infinite weight or a NaN error is downgraded just below
    with np.errstate(over="ignore", invalid="ignore"):
        w = min_norm_weights(U, S, Vh, nonzero, target, used)
        cert = np.abs(np.einsum("ni,nik->nk", w, A) - target).max(axis=1)
    bad = ~(cert <= atol)                                  # NaN is never a certificate
    if np.any(bad):
        target[bad] = 0.0
        w[bad] = 0.0
        cert[bad] = 0.0
        full = full & ~bad
    if mode == "least-squares":
        recovered = np.abs(target) > atol
    else:
        recovered = target > 0.5
    residual = np.sqrt(np.einsum("nk,nk->n", 1.0 - target, 1.0 - target))
    return {"full": full, "recovered": recovered, "weights": w, "target": target,
            "rank": rank.astype(np.int64), "residual": residual, "cert_error": cert,
            "downgraded": bad}


def min_norm_weights(U: np.ndarray, S: np.ndarray, Vh: np.ndarray, nonzero: np.ndarray,
                     target: np.ndarray, used: np.ndarray) -> np.ndarray:
    r"""The engine's certificate :math:`a = tA_r^+` (n, rows) from stacked SVD factors: the
    retained directions (``nonzero``) only, zero on the rows not ``used``. :math:`O(M^2)` per
    matrix; the one owner of these expressions (the engine, structural max-subset)."""
    inv_s = np.divide(1.0, S, out=np.zeros_like(S), where=nonzero)
    coef = np.einsum("nk,njk->nj", target, Vh) * inv_s
    return np.einsum("nj,nij->ni", coef, U) * used


def _max_subset_extra(N: np.ndarray, cand: np.ndarray, rank: np.ndarray, atol: float,
                      maxc: int) -> np.ndarray:
    """The best subset of the candidate columns, per matrix; bool (n, M)."""
    n, M, _ = N.shape
    extra = np.zeros((n, M), dtype=bool)
    if n == 0 or not cand.any():
        return extra
    # Separation test: if some unit v has N[k] . v > atol for every candidate k, every
    # nonempty candidate subset sums to a vector of norm > atol, so only the empty set fits.
    # Try v along the sum of the normalised candidate rows (exact for one kernel dimension).
    norms = np.sqrt(np.einsum("nkj,nkj->nk", N, N))
    unit = N / np.where(norms > 0, norms, 1.0)[:, :, None]
    v = np.einsum("nkj,nk->nj", unit, cand)
    v /= np.maximum(np.sqrt(np.einsum("nj,nj->n", v, v)), 1e-300)[:, None]
    along = np.einsum("nkj,nj->nk", N, v)
    separated = np.all(~cand | (along > atol), axis=1)
    cand = cand & ~separated[:, None]
    r = cand.sum(axis=1)
    if r.max() == 0:
        return extra
    if r.max() > maxc:
        raise too_many(int(r.max()), maxc)
    for rv in np.unique(r[r > 0]).tolist():
        idx = np.flatnonzero(r == rv)
        d = int(M - rank[idx].min())                       # kernel columns are the last d
        masks = subset_order(rv)
        maskf = masks.astype(float)
        cols = np.argsort(~cand[idx], axis=1, kind="stable")[:, :rv]
        Nc = np.take_along_axis(N[idx][:, :, M - d:], cols[:, :, None], axis=1)  # (m, rv, d)
        step = max(1, _CHUNK // ((1 << rv) * d))
        for lo in range(0, idx.size, step):                # blocks of matrices, not trials
            sums = np.matmul(maskf, Nc[lo:lo + step])          # (c, 2**rv, d)
            ok = np.einsum("csd,csd->cs", sums, sums) <= atol * atol
            first = ok.argmax(axis=1)                           # the empty set always fits
            extra[idx[lo:lo + step, None], cols[lo:lo + step]] = masks[first]
    return extra
