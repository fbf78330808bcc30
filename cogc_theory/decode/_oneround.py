r"""Lean one-round decoding: one SVD, the SVD engine's decisions, a verified certificate.

:func:`cogc_theory.decode.gcplus` on one round pays for machinery built for batches: the
argument normalisation, a cache keyed by the bytes of ``B``, and the Gram–Schmidt engine,
which pads a single matrix to eight and loops over the :math:`M` rows in Python
(:math:`\approx 8M^3` work, seconds at :math:`M=500`). For one float round this module does
what the SVD engine (:func:`cogc_theory.decode._svd.decode_svd`) does to one matrix, with
2-D arrays, on the rows scaled by :func:`cogc_theory._linalg.scale_rows` as the float path
does:

.. math:: A = U\Sigma V^\top,\quad r=\#\{i:\sigma_i>\mathrm{rtol}\,\sigma_1\},\quad
          N = [v_{r+1},\dots,v_M],

full recovery iff :math:`\lVert N^\top\mathbf 1\rVert_2\le\mathrm{atol}`, the rules'
distances :math:`\lVert N^\top t\rVert_2` likewise, the weights :math:`a = tA_r^+` verified
as :math:`\max_k|(a^\top A-t)_k|\le\mathrm{atol}` (else a downgrade to outage) — one SVD
(:math:`O(M^3)`, the same LAPACK call as the engine's) plus :math:`O(M^2)`.

**Same decisions.** Every decision compares a computed number with a threshold (a singular
value with :math:`\mathrm{rtol}\,\sigma_1`, a distance, a certificate error or a
least-squares coefficient with ``atol``). The numbers here are the engine's up to the order
of floating-point sums; wherever one lies within a relative :math:`10^{-6}` of its
threshold, or a certificate error within the bound on how far another order of evaluation
moves it (:func:`_order_band`), the engine's own result is computed from these factors
(:func:`_replay`: the engine's operations on a stack of one, no second SVD), so the
decisions (``full``, ``recovered``, ``rank``, ``downgraded``) are the engine's — and hence
those of the batched path — and the weights may differ only by rounding. The weights are
scaled back and verified on the given rows, as on the batched path
(:func:`cogc_theory._linalg.certificate_check`: within ``atol`` for every order of
evaluation), accepted here only with that margin, else checked on the engine's weights by
the batched path's own call. :func:`one_round` returns ``None`` only when the engine refuses
(a max-subset search beyond ``max_candidates`` that the separation test does not settle);
the batched path then raises.

Cost: the SVD, :math:`O(M^3)` (numpy's SVD kernel, the engine's, :func:`svd_factors`), plus
:math:`O(M^2)`, and for max-subset :math:`2^r` subset sums of the :math:`r\le` ``maxc``
candidate columns: about 1.2-1.7x one SVD + ``lstsq`` of the rows at :math:`M=10` on a
2-core Skylake-X VM, 1.7-2.1x on a 2-core AMD EPYC VM (there numpy's cost per call on tiny
arrays, about 1-3 µs for each of some 60 calls, is a larger share of a round than LAPACK's),
against 0.35-0.68 ms through the batched path, and seconds at :math:`M=500`
(``benchmarks/bench_scale.py``). :func:`cogc_theory.decode.standard` and
:func:`cogc_theory.decode.gcplus` take this path for one float round.

Examples
--------
>>> import numpy as np
>>> from cogc_theory import decode
>>> B = np.array([[0.5, 1, 0], [0, 1, -1], [0.5, 0, 1]])
>>> A = B * np.array([[1, 0, 1], [1, 1, 1], [1, 1, 1]]) * np.array([[1], [0], [1]])
>>> r = one_round(A, "max-subset", 1e-10, 1e-8, 16)
>>> r.full, r.recovered.tolist(), r.target.tolist()
(False, [True, False, True], [1.0, 0.0, 1.0])
>>> bool(np.abs(r.weights @ A - r.target).max() <= 1e-8)
True
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from .._linalg import Tolerance, certificate_check, kernel_of_svd, rounding_gamma
from ._results import DecodeResult
from ._subsets import subset_order
from ._svd import decode_kernel

__all__ = ["decode_one", "one_round", "svd_factors"]

_TIE = 1e-6        # relative distance to a threshold below which the SVD engine decides


def _near(x: np.ndarray | float, thr: float) -> bool:
    """Any of ``x`` within a relative :data:`_TIE` of ``thr``."""
    if isinstance(x, float):
        return abs(x - thr) <= _TIE * thr
    return bool((np.abs(x - thr) <= _TIE * thr).any())


try:                                           # numpy's own SVD kernel, without its wrapper
    from numpy.linalg import _umath_linalg
    _SVD_F = _umath_linalg.svd_f
except (ImportError, AttributeError):          # pragma: no cover - another numpy layout
    _SVD_F = None


def svd_factors(A: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``numpy.linalg.svd(A)`` of a float matrix, bit for bit: the same gufunc (LAPACK
    ``gesdd``) that the wrapper and the engine's stacked SVD call, without the wrapper's
    argument handling (about 6 µs at :math:`M=10`). The engine's factors must be these:
    scipy's ``gesdd`` wrapper rounds differently (its own OpenBLAS build), by more than the
    tie bands on ill-conditioned rounds. Falls back to the wrapper, which raises
    ``LinAlgError``, when the kernel does not converge (NaN factors) or is not available;
    numpy may then also warn ("invalid value"), which the wrapper's error state would have
    silenced (not seen with finite input, which is all the decoders pass).

    >>> A = np.array([[3.0, 1.0], [1.0, 2.0]])
    >>> all(np.array_equal(x, y) for x, y in zip(svd_factors(A), np.linalg.svd(A)))
    True
    """
    if _SVD_F is not None:
        try:
            U, S, Vh = _SVD_F(A, signature="d->ddd")
        except FloatingPointError:                         # the caller's errstate: raise
            U = S = Vh = None
        if S is not None and S[0] == S[0]:                 # not NaN: converged
            return U, S, Vh
    U, S, Vh = np.linalg.svd(A)                            # raises LinAlgError
    return U, S, Vh


def decode_one(A: np.ndarray, mode: str, rtol: float, atol: float, maxc: int,
               used: np.ndarray | None = None) -> dict[str, Any] | None:
    r"""Decode one matrix of used rows ``A`` (M, M) (unused rows zero) like the SVD engine.

    ``A`` should be row-scaled (:func:`cogc_theory._linalg.scale_rows`): the decisions are then
    those of the float path. ``used`` (bool (M,), the nonzero rows of ``A``) may be passed
    when the caller knows it. Returns the fields of :class:`~cogc_theory.decode.DecodeResult`
    (``rule``/``exact`` excepted) and two more:

    - ``order_band``: how far the engine's certificate error may lie from this one
      (:func:`_order_band`; 0 after a downgrade);
    - ``replay``: a function that returns the engine's own result for this matrix
      (:func:`_replay`), or ``None`` when the result already is the engine's.

    Where a decision lies within a relative :data:`_TIE` of its threshold, or the certificate
    error within ``order_band`` of ``atol``, or a max-subset search is not settled, the result
    is the engine's (:func:`_replay`); ``None`` only when the engine refuses (a max-subset
    search beyond ``maxc`` candidates: the batched path raises).

    Examples
    --------
    >>> import numpy as np
    >>> r = decode_one(np.array([[1.0, 0.0], [0.0, 0.0]]), "individual", 1e-10, 1e-8, 16)
    >>> r["full"], r["recovered"].tolist(), r["rank"]         # only g_0 is recovered
    (False, [True, False], 1)
    """
    M = A.shape[0]
    U, S, Vh = svd_factors(A)

    def replay() -> dict[str, Any] | None:
        return _replay(A, U, S, Vh, mode, rtol, atol, maxc)

    thr = rtol * float(S[0])
    r = int(np.count_nonzero(S > thr))
    if thr > 0 and ((r > 0 and float(S[r - 1]) - thr <= _TIE * thr)
                    or (r < M and thr - float(S[r]) <= _TIE * thr)):
        return replay()                                    # S is sorted: its nearest values
    N = Vh[r:].T                                           # (M, d) kernel basis
    d1 = N.sum(axis=0)
    dist1 = math.sqrt(float(d1 @ d1))
    if abs(dist1 - atol) <= _TIE * atol:
        return replay()
    full = dist1 <= atol
    subset = False                                         # target is 0/1
    if mode == "standard":
        target = np.full(M, 1.0 if full else 0.0)
    elif mode == "least-squares":
        target = np.ones(M) if full else 1.0 - N @ d1
    elif full:
        target = np.ones(M)
    else:
        a2 = atol * atol
        dk2 = (N * N) @ np.ones(M - r)                     # squared distances of e_k
        if float(np.abs(dk2 - a2).min()) <= 2 * _TIE * a2:
            return replay()
        K = dk2 <= a2
        if mode == "max-subset":
            extra = _max_subset(N, ~K & (A != 0).any(axis=0), atol, maxc)
            if extra is None:
                return replay()
            K |= extra
        target = K.astype(float)
        subset = True
    w = U[:, :r] @ ((Vh[:r] @ target) / S[:r])
    w *= (A != 0).any(axis=1) if used is None else used    # zero on unused rows
    cert = float(np.abs(w @ A - target).max())
    band = _order_band(U, S, Vh, r, A, target, abs(cert - atol))
    if abs(cert - atol) <= max(band, _TIE * atol):
        return replay()                                    # the engine's order may differ
    down = cert > atol
    if down:
        target = np.zeros(M)
        w = np.zeros(M)
        cert = 0.0
        full = False
        subset = True
        band = 0.0
    if mode == "least-squares" and not subset:
        absd = np.abs(target)
        if _near(absd, atol):
            return replay()
        recovered = absd > atol
    else:
        recovered = target > 0.5
    if full:
        residual = 0.0
    elif subset or mode == "standard":                    # a 0/1 target: sqrt of the zeros
        residual = math.sqrt(M - int(np.count_nonzero(recovered)))
    else:
        one_t = 1.0 - target
        residual = math.sqrt(float(one_t @ one_t))
    return {"full": bool(full), "recovered": recovered, "weights": w, "target": target,
            "rank": r, "residual": residual, "cert_error": cert, "downgraded": bool(down),
            "order_band": band, "replay": replay}


def _replay(A: np.ndarray, U: np.ndarray, S: np.ndarray, Vh: np.ndarray, mode: str,
            rtol: float, atol: float, maxc: int) -> dict[str, Any] | None:
    """The SVD engine's result for ``A`` from its factors: :func:`cogc_theory._linalg.
    kernel_of_svd` and :func:`cogc_theory.decode._svd.decode_kernel` on a stack of one — the
    engine's own operations on the engine's factors (numpy's SVD of one matrix equals its SVD
    of a stack), so every decision is the engine's. ``None`` when the engine refuses (a
    max-subset search beyond ``maxc`` candidates). Costs :math:`O(M^2)` plus the engine's
    max-subset search, not a second SVD."""
    kernel = kernel_of_svd(U[None], S[None], Vh[None], Tolerance(rtol, atol))
    try:
        res = decode_kernel(A[None], kernel, mode, atol, maxc)
    except ValueError:                                     # too many candidates
        return None
    return {"full": bool(res["full"][0]), "recovered": res["recovered"][0],
            "weights": res["weights"][0], "target": res["target"][0],
            "rank": int(res["rank"][0]), "residual": float(res["residual"][0]),
            "cert_error": float(res["cert_error"][0]),
            "downgraded": bool(res["downgraded"][0]), "order_band": 0.0, "replay": None}


def _order_band(U: np.ndarray, S: np.ndarray, Vh: np.ndarray, r: int, A: np.ndarray,
                t: np.ndarray, gap: float) -> float:
    r"""A bound on how far the certificate error of :math:`a = tA_r^+` moves when the weights
    and :math:`a^\top A - t` are evaluated in another order from the same factors (the SVD
    engine's ``einsum`` against ``@`` here).

    With :math:`m_j = (|v_j|^\top|t|)/\sigma_j` and :math:`\bar a = |U_r|\,m`, every
    evaluation of the weights (a sum of :math:`M` products, a division, a sum of :math:`r`
    products) lies within :math:`\gamma_{2M+1}\bar a` of the exact :math:`tA_r^+` of these
    factors, and every evaluation of :math:`a^\top A - t` within
    :math:`\gamma_M(|a|^\top|A|+|t|)` of its exact value
    (:math:`\gamma` = :func:`cogc_theory._linalg.rounding_gamma`), so two orders differ by at
    most :math:`\max_k\bigl((2\gamma_{2M+1}+2\gamma_M)(\bar a^\top|A|+|t|)\bigr)_k`, with
    5 % for :math:`|a|\le(1+\gamma)\bar a` and the products of small terms. The same bound
    covers the scaled-back check of :func:`one_round` (the scaling is by powers of two).

    Cost :math:`O(r)` when the first bound,
    :math:`(\bar a^\top|A|)_k\le M\lVert t\rVert_2\, r/\sigma_r` (entries of ``A`` at
    most 1, as :func:`cogc_theory._linalg.scale_rows` leaves them), is already below ``gap``
    (the distance of the decision to its threshold); :math:`O(M^2)` otherwise.
    """
    if r == 0:
        return 0.0
    M = A.shape[0]
    c = 1.05 * 2 * (rounding_gamma(2 * M + 1) + rounding_gamma(M))
    tn = math.sqrt(float(t @ t))                           # >= max |t_k|
    crude = c * tn * (M * r / float(S[r - 1]) + 1.0)
    if crude < gap:
        return crude
    abar = np.abs(U[:, :r]) @ ((np.abs(Vh[:r]) @ np.abs(t)) / S[:r])
    return c * float((abar @ np.abs(A) + np.abs(t)).max())


def _max_subset(N: np.ndarray, cand: np.ndarray, atol: float, maxc: int) -> np.ndarray | None:
    """The SVD engine's max-subset search on one kernel basis ``N`` (M, d); None if unsure."""
    M = N.shape[0]
    extra = np.zeros(M, dtype=bool)
    cols = cand.nonzero()[0]
    if cols.size == 0:
        return extra
    Nc = N[cols]
    if cols.size > maxc:
        # the engine's separation test: a unit v with N_k . v > atol for every candidate
        # proves that no nonempty subset fits; otherwise it refuses (so does decode)
        norms = np.sqrt((Nc * Nc).sum(axis=1))
        v = (Nc / np.where(norms > 0, norms, 1.0)[:, None]).sum(axis=0)
        v /= max(float(np.sqrt(v @ v)), 1e-300)
        along = Nc @ v
        if _near(along, atol) or not (along > atol).all():
            return None                                    # the batched path settles or refuses
        return extra
    # Enumerate (the engine's separation test, when it succeeds, implies that no nonempty
    # subset fits, which the enumeration finds too: the same decision). The engine takes
    # the first subset (largest, then lexicographically smallest) whose squared distance is
    # <= atol**2; only that subset and those before it decide, so the subset taken is the
    # first within atol**2 (1 + 3 TIE) and it must lie below atol**2 (1 - 3 TIE) (with one
    # kernel vector the distance itself against atol, the same test up to rounding).
    F = _float_masks(cols.size)                            # (2**r, r)
    if Nc.shape[1] == 1:                                   # one kernel vector: |sum| <= atol
        dist, lim = np.abs(F @ Nc[:, 0]), atol
    else:                                                  # squared distances <= atol**2
        sums = F @ Nc
        dist, lim = (sums * sums) @ np.ones(Nc.shape[1]), atol * atol
    first = int((dist <= lim * (1 + 3 * _TIE)).argmax())   # the empty set always fits
    if dist[first] > lim * (1 - 3 * _TIE):
        return None
    extra[cols[subset_order(cols.size)[first]]] = True
    return extra


@lru_cache(maxsize=32)
def _float_masks(r: int) -> np.ndarray:
    """:func:`cogc_theory.decode._subsets.subset_order` as floats (read-only)."""
    out = subset_order(r).astype(float)
    out.setflags(write=False)
    return out


def one_round(A: np.ndarray, mode: str, rtol: float, atol: float,
              maxc: int) -> DecodeResult | None:
    r"""One float round of used rows ``A`` (M, M) (unused rows zero), as the float path.

    The rows are scaled by exact powers of two, decoded by :func:`decode_one`, and the weights
    scaled back and verified on ``A`` (:math:`\max_k|(a^\top A-t)_k|\le\mathrm{atol}` in
    every order of evaluation, :func:`cogc_theory._linalg.certificate_check`) with finite
    weights. The check accepts here when its bound lies below ``atol`` by more than the
    ``order_band`` of :func:`decode_one` (the engine's bound then does too); otherwise the
    engine's result (``replay``) is checked as :func:`cogc_theory.decode._float.decode_stack`
    checks a batch of one — the same call on the same arrays — and a failure is the same
    downgrade to a total outage. ``None`` only when the engine refuses.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1e-200, 0.0], [0.0, 3.0]])
    >>> r = one_round(A, "standard", 1e-10, 1e-8, 16)
    >>> r.full, bool(np.abs(r.weights @ A - 1.0).max() <= 1e-8)
    (True, True)
    """
    M = A.shape[0]
    amax = np.abs(A).max(axis=1)                           # scale_rows, inline (2-D)
    e = np.frexp(amax)[1]
    res = decode_one(np.ldexp(A, -e[:, None]), mode, rtol, atol, maxc, used=amax > 0)
    if res is None:
        return None
    replay, band = res.pop("replay"), res.pop("order_band")
    if replay is not None:                                 # our numbers: accept with margin
        t = res["target"]
        lim = atol * (1 - _TIE) - band                     # the engine's bound then <= atol
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            w = np.ldexp(res["weights"], -e)
            err = float(np.abs(w @ A - t).max())
            # certificate_check's bound with q <= M and (|w|^T |A|)_k <= |w|^T amax (a row's
            # entries are at most its largest): at least as large, in fewer operations
            tmax = float(np.abs(t).max()) if mode == "least-squares" else 1.0   # t is 0/1
            cheap = err + 2 * rounding_gamma(M) * (float(np.abs(w) @ amax) + tmax)
        if cheap <= lim:                                   # NaN (infinite weights) fails
            res["weights"], res["cert_error"] = w, err
            return DecodeResult(**res, rule=mode, exact=False)
        ok, err_c, bound = certificate_check(w, A, t, atol)
        if ok and float(bound) <= lim:
            res["weights"], res["cert_error"] = w, float(err_c)
            return DecodeResult(**res, rule=mode, exact=False)
        res = replay()
        if res is None:
            return None
        del res["replay"], res["order_band"]
    # the engine's numbers, checked as decode_stack checks a batch of one
    t = res["target"]
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        w = np.ldexp(res["weights"][None], -e[None])
    ok, cert, _ = certificate_check(w, A[None], t[None], atol)
    if ok[0]:
        res["weights"], res["cert_error"] = w[0], float(cert[0])
    else:
        res.update(target=np.zeros(M), weights=np.zeros(M), cert_error=0.0, full=False,
                   recovered=np.zeros(M, dtype=bool), residual=math.sqrt(M),
                   downgraded=True)
    return DecodeResult(**res, rule=mode, exact=False)
