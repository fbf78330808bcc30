"""The float path: one round decoded by one SVD (:mod:`._oneround`); a batch keyed and cached,
each distinct matrix decoded once — by the banded engine (:mod:`._banded`) when the stack has
a cyclic band and more than :data:`BANDED_MIN_M` columns, by the Gram–Schmidt engine, and by
the SVD engine where those results do not stand."""

from __future__ import annotations

import numpy as np

from .._linalg import certificate_check, scale_rows
from ._banded import cyclic_bandwidth, to_band
from ._banded import decode_stack as banded_stack
from ._cache import get_cache, pack, unpack
from ._gs import decode_gs
from ._oneround import one_round
from ._results import BatchDecodeResult, DecodeResult, empty_batch
from ._svd import decode_svd

__all__ = ["BANDED_MIN_M", "FAST_RULES", "decode_stack", "float_decode"]

FAST_RULES = ("max-subset", "individual", "least-squares")   # Gram–Schmidt first
#: Smallest ``M`` above which a banded stack goes to the banded engine first (below, the
#: Gram–Schmidt engine is as fast and settles more).
BANDED_MIN_M = 16
_GS_BLOCK = 2048          # matrices per Gram–Schmidt block


def decode_stack(A: np.ndarray, mode: str, rtol: float, atol: float,
                 maxc: int) -> dict[str, np.ndarray]:
    """Decode a stack of used-row matrices ``A`` (n, M, M); unused rows are zero.

    The rows are scaled by exact powers of two (:func:`cogc_theory._linalg.scale_rows`), so
    every decision is invariant to scaling rows; the weights are scaled back and the
    certificate is verified against the given rows (:func:`cogc_theory._linalg.certificate_check`):
    a claim whose weights are not finite or miss the target by more than ``atol`` in some
    order of evaluation is downgraded to a total outage.
    """
    As, e = scale_rows(A)
    res = _decode_scaled(As, mode, rtol, atol, maxc)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        w = np.ldexp(res["weights"], -e)                  # a_i = a_s,i 2^-e_i
    ok, cert, _ = certificate_check(w, A, res["target"], atol)
    bad = ~ok
    res["weights"], res["cert_error"] = w, cert
    if bad.any():
        res["target"][bad] = 0.0
        res["weights"][bad] = 0.0
        res["cert_error"][bad] = 0.0
        res["full"] = res["full"] & ~bad
        res["recovered"][bad] = False
        res["residual"][bad] = np.sqrt(A.shape[-1])
        res["downgraded"] = res["downgraded"] | bad
    return res


def _decode_scaled(A: np.ndarray, mode: str, rtol: float, atol: float,
                   maxc: int) -> dict[str, np.ndarray]:
    r"""A stack whose support has a cyclic band (every row :math:`m` inside
    :math:`\{m,\dots,m+s\}\bmod M`, :math:`2s+1\le M`) with ``M > BANDED_MIN_M`` goes to
    the banded engine, :math:`O(Ms^2)` per matrix, which hands what it does not settle to
    :func:`_decode_dense`; any other stack goes to :func:`_decode_dense`."""
    n, M = A.shape[:2]
    if n and M > BANDED_MIN_M:
        s = cyclic_bandwidth(np.any(A != 0, axis=0))
        if s is not None:
            return banded_stack(to_band(A, s), mode, rtol, atol, maxc, _decode_dense)
    return _decode_dense(A, mode, rtol, atol, maxc)


def _decode_dense(A: np.ndarray, mode: str, rtol: float, atol: float,
                  maxc: int) -> dict[str, np.ndarray]:
    """Rules in ``FAST_RULES`` go through :func:`decode_gs` and the SVD engine only for the
    matrices whose Gram–Schmidt result does not stand; the other rules through
    :func:`decode_svd`."""
    n = A.shape[0]
    if mode not in FAST_RULES or n == 0:
        return decode_svd(A, mode, rtol, atol, maxc)
    parts = [decode_gs(A[lo:lo + _GS_BLOCK], mode, rtol, atol, maxc)
             for lo in range(0, n, _GS_BLOCK)]              # blocks of matrices, not trials
    res = {f: np.concatenate([p[0][f] for p in parts]) for f in parts[0][0]}
    redo = np.flatnonzero(~np.concatenate([p[1] for p in parts]))
    if redo.size:
        sub = decode_svd(A[redo], mode, rtol, atol, maxc)
        for f, v in res.items():
            v[redo] = sub[f]
    return res


def float_decode(Bm: np.ndarray, mask: np.ndarray, mode: str, rtol: float, atol: float,
                  maxc: int, batch: int | None) -> DecodeResult | BatchDecodeResult:
    """Decode float rounds. Every route hands the engines matrices whose zeros are ``+0.0``:
    LAPACK's reflections take the sign of a zero, so ``-0.0`` entries give other rounding
    and, on an ill-conditioned round, another decision than the same matrix with ``+0.0``."""
    M = Bm.shape[-1]
    if batch is None:
        # one round: one SVD, no cache (the batched path decides what it hands back)
        A = Bm * mask[:, None]                 # the rows that arrived (x * 1 = x), others 0
        A += 0.0                               # -0.0 -> +0.0, as on every batched route
        res = one_round(A, mode, rtol, atol, maxc)
        if res is not None:
            return res
    T = 1 if batch is None else batch
    if T == 0:
        return empty_batch(M, mode)
    masks = np.broadcast_to(mask, (T, M))
    params = (mode, rtol, atol, maxc)
    if Bm.ndim == 2:
        # A depends on the trial only through the mask: key = mask bits
        base = np.ascontiguousarray(Bm) + 0.0          # a copy without negative zeros
        keys = pack(masks)
        cache = get_cache(("shared", M, base.tobytes()) + params, M, M, T)

        def compute(k: np.ndarray) -> dict[str, np.ndarray]:
            m = unpack(k, M)
            return decode_stack(np.where(m[:, :, None], base, 0.0), mode, rtol, atol, maxc)
    else:
        Bs = np.broadcast_to(Bm, (T, M, M))
        nz = (Bs != 0) & masks[:, :, None]
        first = np.argmax(nz, axis=0)                               # a trial where nonzero
        base = np.take_along_axis(Bs, first[None], axis=0)[0]
        base = np.where(np.any(nz, axis=0), base, 0.0)
        if np.all((Bs == base) | ~nz):
            # every trial is base with entries zeroed: key = nonzero pattern of A
            L = M * M
            keys = pack(nz.reshape(T, L))
            cache = get_cache(("pattern", M, base.tobytes()) + params, L, M, T)

            def compute(k: np.ndarray) -> dict[str, np.ndarray]:
                pat = unpack(k, L).reshape(-1, M, M)
                return decode_stack(np.where(pat, base, 0.0), mode, rtol, atol, maxc)
        else:
            A = np.ascontiguousarray(np.where(nz, Bs, 0.0))
            keys = A.reshape(T, M * M).view(f"V{8 * M * M}").ravel()
            cache = get_cache(("raw", M) + params, 8 * M * M * 8, M, T)

            def compute(k: np.ndarray) -> dict[str, np.ndarray]:
                Ak = np.ascontiguousarray(k).view(np.float64).reshape(-1, M, M)
                return decode_stack(Ak.copy(), mode, rtol, atol, maxc)
    res = cache.lookup(keys, compute)
    out = BatchDecodeResult(**res, rule=mode, exact=False)
    return out if batch is not None else out[0]
