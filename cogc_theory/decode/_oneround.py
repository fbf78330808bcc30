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
least-squares coefficient with ``atol``). The singular values are the engine's bit for bit
(the same LAPACK call); every other number here is the engine's up to the order of
floating-point sums. Wherever one lies closer to its threshold than the bound on how far
another order of evaluation moves it, the engine's own result is computed from these
factors (:func:`_replay`: the engine's operations on a stack of one, no second SVD). The
bounds are a relative :math:`10^{-6}` for sums of like-signed terms (squared norms, the
distances' squares), plus, for sums that cancel — the entries of :math:`N^\top\mathbf 1`
and the subset sums, rounding noise when the set fits — an absolute
:math:`2\gamma_n\sqrt{n\,d}` (:math:`n` terms per entry, :math:`d` kernel vectors of norm
1), and for a certificate error :func:`_order_band`. So the decisions (``full``,
``recovered``, ``rank``, ``downgraded``) are the engine's — and hence those of the batched
path — by construction, whatever order BLAS sums in, and the weights may differ only by
rounding. The weights are scaled back and accepted when certificate_check's bound on the
given rows (:func:`cogc_theory._linalg.certificate_check`: within ``atol`` for every order
of evaluation) lies below ``atol`` by that margin — bounded from the scaled numbers
(:func:`scaled_certificate_bound`) or else computed — and otherwise checked on the engine's
weights by the batched path's own call. :func:`one_round` returns ``None`` only when the
engine refuses (a max-subset search beyond ``max_candidates`` that the separation test
does not settle); the batched path then raises.

Cost: the SVD, :math:`O(M^3)` (numpy's SVD kernel, the engine's, :func:`svd_factors`), plus
:math:`O(M^2)`, and for max-subset :math:`2^r` subset sums of the :math:`r\le` ``maxc``
candidate columns. Vectors of length :math:`M` are reduced as Python lists (cheaper than a
numpy call at :math:`M=10`, negligible against the SVD at any :math:`M`). Measured as a
ratio to one SVD + ``lstsq`` of the rows on distinct random rounds at :math:`M=10` on a
2-core AMD EPYC VM: max-subset 1.76-1.79x, individual 1.51-1.65x, least-squares
1.49-1.66x (before the list reductions and the scaled-domain certificate: 1.97-2.06x for
max-subset); against 0.35-0.68 ms through the batched path, and seconds at :math:`M=500`
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

import contextlib
import math
from functools import lru_cache
from typing import Any

import numpy as np

from .._linalg import Tolerance, certificate_check, kernel_of_svd, rounding_gamma
from ._results import DecodeResult, make_result
from ._subsets import subset_order
from ._svd import decode_kernel

__all__ = ["decode_one", "one_round", "scaled_certificate_bound", "svd_factors"]

_TIE = 1e-6        # relative distance to a threshold below which the SVD engine decides
_SMALL_S = 2.0 ** -900                  # a kept singular value below it: weights may overflow
_NO_ERRSTATE = contextlib.nullcontext()


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
               zero_unused: bool = True) -> dict[str, Any] | None:
    r"""Decode one matrix of used rows ``A`` (M, M) (unused rows zero) like the SVD engine.

    ``A`` should be row-scaled (:func:`cogc_theory._linalg.scale_rows`): the decisions are then
    those of the float path. The weights are zero on the zero rows of ``A`` unless
    ``zero_unused`` is false (the caller then zeroes them: on those rows they multiply zero
    rows, so they enter no decision). Returns the fields of
    :class:`~cogc_theory.decode.DecodeResult` (``rule``/``exact`` excepted) and two more:

    - ``order_band``: how far the engine's certificate error may lie from this one
      (:func:`_order_band`; 0 after a downgrade);
    - ``replay``: a function that returns the engine's own result for this matrix
      (:func:`_replay`), or ``None`` when the result already is the engine's.

    Where a decision lies within a relative :data:`_TIE` of its threshold, or, for a sum that
    cancels (an entry of :math:`N^\top\mathbf 1`, a subset sum, a least-squares
    coefficient), within the absolute bound on its rounding in any order (the module
    docstring), or the certificate error within ``order_band`` of ``atol``, or a max-subset
    search is not settled, or the weights or the certificate error are not finite, the
    result is the engine's (:func:`_replay`); ``None`` only when the engine refuses (a
    max-subset search beyond ``maxc`` candidates: the batched path raises).

    Vectors of length :math:`M` are reduced and compared as Python lists (``tolist``): at
    :math:`M=10` a numpy call on them costs more than the Python loop, and at any :math:`M`
    this :math:`O(M)` work is small against the SVD's :math:`O(M^3)`.

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

    Sl = S.tolist()
    thr = rtol * Sl[0]
    r = len([x for x in Sl if x > thr])
    tie = _TIE * thr
    if thr > 0 and ((r > 0 and Sl[r - 1] - thr <= tie) or (r < M and thr - Sl[r] <= tie)):
        return replay()                                    # S is sorted: its nearest values
    Nt = Vh[r:]                                            # (d, M): the kernel basis, as rows
    d = M - r
    v1 = Vh @ _ones(M)                                     # V^T 1
    d1 = v1[r:]                                            # N^T 1
    dist1 = math.sqrt(sum(x * x for x in d1.tolist()))
    # The entries of N^T 1 cancel (to rounding noise when 1 is in the row space), so the
    # band is absolute as well as relative: any order of summation (the engine's, this one)
    # puts each entry within gamma_M sqrt(M) of its exact value (a column of N has norm 1)
    sb = 2 * rounding_gamma(M) * math.sqrt(M * d)          # >= |ours - engine's|_2
    if abs(dist1 - atol) <= _TIE * atol + sb:
        return replay()
    full = dist1 <= atol
    if full:
        target, size = _filled(M, 1.0), M                 # size: |K| of a 0/1 target
    elif mode == "standard":
        target, size = _filled(M, 0.0), 0
    elif mode == "least-squares":
        target, size = 1.0 - d1 @ Nt, -1                   # 1 - N N^T 1; not 0/1
    else:
        a2 = atol * atol
        dk2 = (Nt * Nt).sum(axis=0).tolist()               # squared distances of e_k
        band = 2 * _TIE * a2
        if any(abs(x - a2) <= band for x in dk2):
            return replay()
        K = [x <= a2 for x in dk2]
        if mode == "max-subset":
            nz = A.any(axis=0).tolist()                        # nonzero columns
            extra = _max_subset(Nt, [k for k in range(M) if nz[k] and not K[k]], atol, maxc)
            if extra is None:
                return replay()
            for k in extra:
                K[k] = True
        target, size = np.array(K, dtype=float), sum(K)
    subset = size >= 0                                     # a 0/1 target
    # weights that may overflow (a kept singular value below 2**-900, with rtol that small)
    # do so quietly: the finiteness check below hands the round to the engine
    small = r and Sl[r - 1] < _SMALL_S
    with np.errstate(over="ignore", invalid="ignore") if small else _NO_ERRSTATE:
        w = U[:, :r] @ ((v1[:r] if size == M else Vh[:r] @ target) / S[:r])   # t = 1: V^T 1
        if zero_unused:
            w *= A.any(axis=1)                             # zero on unused rows
        res = w @ A
        res -= target
    resl = res.tolist()
    total = sum(resl)
    if total - total != 0:                                 # inf or NaN: the engine decides
        return replay()
    cert = max(max(resl), -min(resl))                      # max |.| of finite numbers
    tn = math.sqrt(size) if subset else math.sqrt(float(target @ target))
    band = _order_band(U, S, Vh, r, A, target, abs(cert - atol), tn)
    if abs(cert - atol) <= max(band, _TIE * atol):
        return replay()                                    # the engine's order may differ
    down = cert > atol
    if down:
        target = _filled(M, 0.0)
        w = _filled(M, 0.0)
        cert = 0.0
        full = False
        subset = True                                      # size 0: a 0/1 target
        size = 0
        band = 0.0
    if not subset:                                         # least-squares, not full
        # t_k = 1 - N_k . (N^T 1): within gamma_{d+1}(1 + |N^T 1|) + |N_k| |error of N^T 1|
        # of its exact value in any order (|N_k| <= 1), the engine's too
        absd = np.abs(target)
        lb = _TIE * atol + sb + 2 * rounding_gamma(d + 1) * (1.0 + dist1 + sb)
        if any(abs(x - atol) <= lb for x in absd.tolist()):
            return replay()
        recovered = absd > atol
    else:
        recovered = target > 0.5
    if full:
        residual = 0.0
    elif subset:                                           # a 0/1 target: sqrt of the zeros
        residual = math.sqrt(M - size)
    else:
        one_t = 1.0 - target
        residual = math.sqrt(float(one_t @ one_t))
    return {"full": bool(full), "recovered": recovered, "weights": w, "target": target,
            "rank": r, "residual": residual, "cert_error": cert, "downgraded": bool(down),
            "order_band": band, "replay": replay}


@lru_cache(maxsize=64)
def _ones(M: int) -> np.ndarray:
    """A read-only vector of ``M`` ones (for products; never handed out)."""
    out = np.ones(M)
    out.setflags(write=False)
    return out


@lru_cache(maxsize=64)
def _band_factor(M: int) -> float:
    r"""The factor :math:`1.05\cdot 2(\gamma_{2M+1}+\gamma_M)` of :func:`_order_band`."""
    return 1.05 * 2 * (rounding_gamma(2 * M + 1) + rounding_gamma(M))


def _filled(M: int, value: float) -> np.ndarray:
    """``np.full(M, value)`` in two cheap calls (``np.ones`` costs about 2 µs)."""
    out = np.empty(M)
    out.fill(value)
    return out


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
                t: np.ndarray, gap: float, tn: float) -> float:
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
    (the distance of the decision to its threshold); :math:`O(M^2)` otherwise. ``tn`` is
    :math:`\lVert t\rVert_2` (the caller knows it: :math:`\sqrt{|K|}` for a 0/1 target).
    """
    if r == 0:
        return 0.0
    M = A.shape[0]
    c = _band_factor(M)
    crude = c * tn * (M * r / float(S[r - 1]) + 1.0)
    if crude < gap:
        return crude
    abar = np.abs(U[:, :r]) @ ((np.abs(Vh[:r]) @ np.abs(t)) / S[:r])
    return c * float((abar @ np.abs(A) + np.abs(t)).max())


def _max_subset(Nt: np.ndarray, cols: list[int], atol: float, maxc: int) -> list[int] | None:
    """The SVD engine's max-subset search on one kernel basis ``Nt`` (d, M) (its rows) over
    the candidate columns ``cols``: the columns it adds to the set, or ``None`` if unsure."""
    if not cols:
        return []
    c = len(cols)
    Nc = Nt.take(cols, axis=1)                             # (d, c)
    if c > maxc:
        # the engine's separation test: a unit v with N_k . v > atol for every candidate
        # proves that no nonempty subset fits; otherwise it refuses (so does decode)
        Nc = Nc.T
        norms = np.sqrt((Nc * Nc).sum(axis=1))
        v = (Nc / np.where(norms > 0, norms, 1.0)[:, None]).sum(axis=0)
        v /= max(float(np.sqrt(v @ v)), 1e-300)
        along = Nc @ v
        if _near(along, atol) or not (along > atol).all():
            return None                                    # the batched path settles or refuses
        return []
    # Enumerate (the engine's separation test, when it succeeds, implies that no nonempty
    # subset fits, which the enumeration finds too: the same decision). The engine takes
    # the first subset (largest, then lexicographically smallest) whose distance
    # |sum_{k in K} N_k| is <= atol; only that subset and those before it decide, so the
    # subset taken is the first within atol + b and its distance must lie below atol - b.
    # The band b is relative (3 TIE atol, for the squares and the norm) and absolute: the
    # subset sums cancel (to rounding noise for a subset that fits), and any order of
    # summation (the engine's, this one) puts each coordinate within gamma_c sqrt(c) of its
    # exact value (a column of N has norm 1), so the two differ by at most
    # 2 gamma_c sqrt(c d) in norm.
    b = 3 * _TIE * atol + 2 * rounding_gamma(c) * math.sqrt(c * Nc.shape[0])
    FT = _float_masks(c)                                   # (c, 2**c)
    if Nc.shape[0] == 1:                                   # one kernel vector: |sum|
        dist, hi, lo = np.abs(Nc[0] @ FT), atol + b, atol - b   # lo < 0: no nonempty
    else:                                                  # squared distances
        sums = Nc @ FT                                     # (d, 2**c)
        sums *= sums
        lo = (atol - b) ** 2 if atol > b else -1.0        # -1: no nonempty subset
        dist, hi = _ones(Nc.shape[0]) @ sums, (atol + b) ** 2
    first = int((dist <= hi).argmax())                     # the empty set always fits
    if first == FT.shape[1] - 1:                           # the empty set: the last in order
        return []
    if not float(dist[first]) <= lo:
        return None
    row = subset_order(c)[first].tolist()
    return [k for k, x in zip(cols, row, strict=True) if x]


@lru_cache(maxsize=32)
def _float_masks(r: int) -> np.ndarray:
    """:func:`cogc_theory.decode._subsets.subset_order` as floats, transposed (r, 2**r)
    (a row vector times it is the fastest product here; read-only)."""
    out = np.ascontiguousarray(subset_order(r).T, dtype=float)
    out.setflags(write=False)
    return out


def scaled_certificate_bound(weights: np.ndarray, e: np.ndarray, cert: float,
                             tmax: float) -> float:
    r"""An upper bound, from the scaled numbers, on the bound that
    :func:`cogc_theory._linalg.certificate_check` computes for the weights scaled back,
    ``ldexp(weights, -e)``, on the given rows :math:`A` (whose scaled rows
    ``ldexp(A, -e[:, None])`` have entries at most 1); ``inf`` when a weight could overflow
    when scaled back.

    ``weights`` are the scaled weights :math:`a_s` (finite), ``e`` the row exponents,
    ``cert`` the certificate error computed on the scaled rows and ``tmax``
    :math:`\ge\max_k|t_k|`; :math:`W=\lVert a_s\rVert_1+t_{\max}`, :math:`\gamma=\gamma_M`
    (:func:`~cogc_theory._linalg.rounding_gamma`), :math:`u_0=2^{-1075}` (half the smallest
    subnormal). The products :math:`a_iA_{ik}` equal :math:`a_{s,i}A_{s,ik}` exactly except
    where scaling a weight or an entry rounds below the normal range (by at most :math:`u_0`
    each), so the exact residuals on the given and the scaled rows differ by at most
    :math:`u_0(\lVert a_s\rVert_1+M2^{\max e})`, and :math:`|a|^\top|A|\le W+Mu_02^{\max e}`
    per column. Every evaluation of either residual lies within :math:`\gamma W` of its
    exact value, plus :math:`Mu_0` for products that underflow (the standard model leaves
    them out), and certificate_check adds :math:`2\gamma` times its computed
    :math:`|a|^\top|A|+|t|`. With the second-order terms and the rounding of both bounds in
    the factor :math:`1+2\gamma`:

    .. math:: (\varepsilon + 4\gamma W)(1+2\gamma)
              + 4u_0(\lVert a_s\rVert_1 + M2^{\max e} + M).

    Cost :math:`O(M)` in Python (no product). It applies when
    :math:`\lVert a_s\rVert_1 2^{-\min e}<2^{1023}`: no weight overflows when scaled back.

    >>> A, t = np.array([[3.0, 0.0], [1.0, 1.0]]), np.array([1.0, 0.0])
    >>> e = np.frexp(np.abs(A).max(axis=1))[1]
    >>> As, ws = np.ldexp(A, -e[:, None]), np.ldexp([1 / 3, 0.0], e)   # a = (1/3, 0)
    >>> b = scaled_certificate_bound(ws, e, float(np.abs(ws @ As - t).max()), 1.0)
    >>> bound = certificate_check(np.ldexp(ws, -e), A, t, 1.0)[2]
    >>> bool(bound <= b < 1e-14)
    True
    """
    M = weights.shape[0]
    wl, el = weights.tolist(), e.tolist()
    wsum = sum(map(abs, wl))
    if not math.frexp(wsum)[1] - min(el) < 1023:
        return math.inf
    g = rounding_gamma(M)
    tiny = math.ldexp(wsum + M, -1073) + math.ldexp(M, max(el) - 1073)   # 4 u0 (...)
    return (cert + 4 * g * (wsum + tmax)) * (1 + 2 * g) + tiny


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

    The acceptance is first tried from the scaled numbers, without a second product:
    :func:`scaled_certificate_bound` bounds certificate_check's bound on the given rows from
    the certificate error on the scaled rows and :math:`\lVert a_s\rVert_1`, and is compared
    with the margin above. It applies when no weight overflows when scaled back; the weights
    are then scaled back element by element (``math.ldexp``, the rounding of ``numpy.ldexp``),
    and ``cert_error`` is the one computed on the scaled rows (the same products, unless one
    rounds below the normal range).

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
    res = decode_one(np.ldexp(A, -e[:, None]), mode, rtol, atol, maxc, zero_unused=False)
    if res is None:
        return None
    replay, band = res.pop("replay"), res.pop("order_band")
    if replay is not None:                                 # our numbers: accept with margin
        t, ws = res["target"], res["weights"]
        lim = atol * (1 - _TIE) - band                     # the engine's bound then <= atol
        tmax = max(map(abs, t.tolist())) if mode == "least-squares" else 1.0  # else 0/1
        if scaled_certificate_bound(ws, e, res["cert_error"], tmax) <= lim:
            res["weights"] = np.array([math.ldexp(x, -k) if m else 0.0   # 0: unused row
                                       for x, k, m in zip(ws.tolist(), e.tolist(),
                                                          amax.tolist(), strict=True)])
            return make_result(res, mode, False)
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            w = np.ldexp(ws, -e)
        w *= amax > 0                                      # zero on unused rows
        ok, err_c, bound = certificate_check(w, A, t, atol)
        if ok and float(bound) <= lim:
            res["weights"], res["cert_error"] = w, float(err_c)
            return make_result(res, mode, False)
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
    return make_result(res, mode, False)
