r"""The row-space decision: does a target vector lie in the row space of a matrix?

This is the heart of the model: a set of partial sums :math:`c = A g` lets the server form
:math:`t^\top g` iff :math:`t\in\operatorname{rowspace}(A)`. Code checks
(:mod:`cogc_theory.codes`), decoders (:mod:`cogc_theory.decode`) and exact-outage tables
(:mod:`cogc_theory.outage`) all decide it with the rule and the :class:`Tolerance` defined here.

**Exact arithmetic** (rational matrices) decides it without tolerance
(:func:`cogc_theory.exact.in_rowspace`). **Float arithmetic** decides it in three steps:

1. *Scale.* Row :math:`i` is multiplied by the power of two :math:`2^{-e_i}` that puts its
   largest :math:`|a_{ik}|` in :math:`[1/2, 1)` (:func:`scale_rows`). This is exact and leaves
   the row space unchanged, so every decision is invariant to scaling rows (a code scaled by
   :math:`10^{-160}` decodes like the code), and no square under- or overflows.
2. *Rank.* With :math:`\sigma_1\ge\sigma_2\ge\dots` the singular values of the scaled matrix
   :math:`\hat A`, the rank is :math:`r=\#\{i:\sigma_i>\mathrm{rtol}\cdot\sigma_1\}` and the
   remaining right singular vectors :math:`N=[v_{r+1},\dots]` span the (numerical) kernel.
3. *Membership.* :math:`t` lies in the row space iff its Euclidean distance to it is at most
   ``atol``:

   .. math:: \operatorname{dist}(t) = \lVert N^\top t\rVert_2 \le \mathrm{atol},

   in units of the target, whose entries are 0 or 1 for every decoder rule.

A claimed recovery also needs a **certificate**: weights :math:`a` with
:math:`\max_k|(a^\top A - t)_k|\le\mathrm{atol}`, all finite, for every order in which
:math:`a^\top A` may be evaluated (:func:`certificate_check`: the computed error plus twice its
rounding bound); the decoders downgrade a claim whose certificate fails.

The SVD route here (:func:`svd_kernel`, :func:`span_contains`) is the reference. Two faster
engines implement the same rule with the same :class:`Tolerance`: the batched Gram–Schmidt
engine of :mod:`cogc_theory.decode` (whose results stand only where they provably equal the
reference's, with a safety margin, the others going to the reference), and the incremental
Gram–Schmidt of the enumeration tables (:func:`gs_extend`, used by :mod:`cogc_theory.outage`),
where a new row counts as independent when its residual exceeds ``rtol`` times its norm — the
same rank as the reference's whenever the condition number of the rows is well below
:math:`1/\mathrm{rtol}`, which :func:`cogc_theory.codes.conditioning` measures.

Examples
--------
>>> import numpy as np
>>> A = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
>>> span_contains(A, [[1, 2, 1], [1, 1, 1]]).tolist()
[True, False]
>>> bool(span_contains(A * 1e-200, [1, 2, 1]))     # invariant to scaling rows
True
>>> Tolerance(rtol=1e-12, atol=1e-9)
Tolerance(rtol=1e-12, atol=1e-09)
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ._validate import as_float

__all__ = [
    "ATOL",
    "ATOL_MAX",
    "DEFAULT_TOL",
    "RTOL",
    "SvdKernel",
    "Tolerance",
    "certificate_check",
    "certificate_ok",
    "check_tolerance",
    "complement",
    "unit_distances",
    "gs_extend",
    "kernel_of_svd",
    "ones_in_span",
    "rounding_gamma",
    "rowspace_distance",
    "scale_rows",
    "span_contains",
    "svd_kernel",
]

#: Default rank tolerance, relative to the largest singular value of the scaled rows.
RTOL = 1e-10
#: Default membership / certificate tolerance, in units of the 0/1 target.
ATOL = 1e-8
#: Largest accepted ``atol``: a certificate that misses a 0/1 target by more than 1% of a
#: gradient is not a recovery (at ``atol`` of order 1 a set that cannot decode would count).
ATOL_MAX = 1e-2


def _real(value: Any, name: str, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number (default {default:g}), got "
                        f"{type(value).__name__} {value!r}")
    return as_float(value, name)


@dataclass(frozen=True)
class Tolerance:
    r"""Tolerances of the float row-space decision (module docstring).

    Parameters
    ----------
    rtol : float
        Rank threshold relative to :math:`\sigma_1`, in :math:`(0, 1)`; default ``1e-10``.
        A threshold at or above :math:`\sigma_1` would drop every direction. Below about
        :math:`10^{-15}` the rounding of computed singular values (about :math:`Mu\sigma_1`)
        decides the rank, which may then exceed the number of nonzero rows; the engines
        agree there only because the SVD engine decides it alone.
    atol : float
        Largest distance of a target to the row space (and largest certificate error) that
        counts as membership, in :math:`(0, 10^{-2}]`; default ``1e-8``. Below about
        :math:`10^{-13}` rounding makes decodable sets look undecodable.

    Raises
    ------
    TypeError
        A tolerance that is not a real number.
    ValueError
        A tolerance outside its range (or not finite).
    """

    rtol: float = RTOL
    atol: float = ATOL

    def __post_init__(self) -> None:
        rtol = _real(self.rtol, "rtol", RTOL)
        atol = _real(self.atol, "atol", ATOL)
        if not (np.isfinite(rtol) and 0.0 < rtol < 1.0):
            raise ValueError(f"rtol must lie in (0, 1) (a rank threshold relative to the largest "
                             f"singular value; default {RTOL:g}), got {self.rtol}")
        if not (np.isfinite(atol) and 0.0 < atol <= ATOL_MAX):
            raise ValueError(f"atol must lie in (0, {ATOL_MAX:g}] (a distance in units of the "
                             f"0/1 target; default {ATOL:g}), got {self.atol}")
        object.__setattr__(self, "rtol", rtol)
        object.__setattr__(self, "atol", atol)


#: The tolerance every float decision uses unless told otherwise.
DEFAULT_TOL = Tolerance()


def check_tolerance(rtol: Any = RTOL, atol: Any = ATOL) -> Tolerance:
    """A validated :class:`Tolerance` from keyword values (``TypeError`` / ``ValueError``)."""
    if rtol == RTOL and atol == ATOL and type(rtol) is float and type(atol) is float:
        return DEFAULT_TOL
    return Tolerance(rtol, atol)


def scale_rows(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Rows scaled by exact powers of two: ``A == ldexp(A_s, e[..., None])``.

    Each nonzero row of ``A_s`` has its largest absolute entry in :math:`[1/2, 1)`; zero rows
    stay zero (``e = 0``). Works on any stack ``(..., n, M)``.

    Examples
    --------
    >>> As, e = scale_rows(np.array([[3.0, -1.0], [0.0, 0.0], [1e-300, 0.0]]))
    >>> As.tolist(), e.tolist()
    ([[0.75, -0.25], [0.0, 0.0], [0.66..., 0.0]], [2, 0, -996])
    """
    A = np.asarray(A, dtype=float)
    amax = np.abs(A).max(axis=-1) if A.shape[-1] else np.zeros(A.shape[:-1])
    e = np.frexp(amax)[1]
    return np.ldexp(A, -e[..., None]), e


class SvdKernel(NamedTuple):
    """The reference decomposition of a stack of scaled row sets ``(..., n, M)``."""

    U: np.ndarray        #: left singular vectors (..., n, k)
    S: np.ndarray        #: singular values (..., k), descending
    Vh: np.ndarray       #: right singular vectors (..., k, M)
    nonzero: np.ndarray  #: bool (..., k): singular values above rtol * sigma_1
    rank: np.ndarray     #: int (...)
    N: np.ndarray        #: kernel basis (..., M, M): column j is v_j where j is a kernel index


def svd_kernel(A: np.ndarray, tol: Tolerance = DEFAULT_TOL) -> SvdKernel:
    """Rank and kernel basis of (already scaled) rows ``A`` (..., n, M) by one stacked SVD.

    ``N`` has ``M`` columns; those of the retained directions are zero, so that
    ``N[..., :, j]`` for the ``M - rank`` kernel indices :math:`j` form an orthonormal basis of
    the kernel (all of them when ``n < M``).
    """
    A = np.asarray(A, dtype=float)
    U, S, Vh = np.linalg.svd(A, full_matrices=True)
    return kernel_of_svd(U, S, Vh, tol)


def kernel_of_svd(U: np.ndarray, S: np.ndarray, Vh: np.ndarray,
                  tol: Tolerance = DEFAULT_TOL) -> SvdKernel:
    """:func:`svd_kernel` from the factors of ``numpy.linalg.svd(A, full_matrices=True)``
    (for a caller that has them): the same arrays, by the same operations.

    >>> A = np.array([[[0.5, 0.5], [0.5, 0.5]]])
    >>> k = kernel_of_svd(*np.linalg.svd(A))
    >>> k.rank.tolist(), bool(np.abs(k.N[0] @ [1.0, -1.0]).max() > 0.5)
    ([1], True)
    """
    n, M = U.shape[-1], Vh.shape[-1]
    if n < M:                                             # pad: the extra directions are kernel
        pad = np.zeros(S.shape[:-1] + (M - n,))
        S = np.concatenate([S, pad], axis=-1)
    nonzero = S > tol.rtol * S[..., :1]
    rank = nonzero.sum(axis=-1)
    N = np.swapaxes(Vh, -1, -2) * (~nonzero)[..., None, :]
    return SvdKernel(U, S[..., :min(n, M)], Vh, nonzero[..., :min(n, M)], rank, N)


def rowspace_distance(A: Any, targets: Any = None, tol: Tolerance = DEFAULT_TOL) -> np.ndarray:
    r"""Distance :math:`\lVert N^\top t\rVert_2` of targets to the row space of ``A``.

    Parameters
    ----------
    A : array_like (..., n, M)
        Rows (any scale: they are scaled first, :func:`scale_rows`).
    targets : array_like (..., M), optional
        One target per stack element, broadcast; default the all-ones vector.
    tol : Tolerance
        Its ``rtol`` sets the rank.

    Returns
    -------
    ndarray (...)
    """
    As, _ = scale_rows(np.asarray(A, dtype=float))
    M = As.shape[-1]
    t = np.ones(M) if targets is None else np.asarray(targets, dtype=float)
    if As.shape[-2] == 0:
        return np.sqrt(np.einsum("...k,...k->...", t, t) * np.ones(As.shape[:-2]))
    N = svd_kernel(As, tol).N
    d = np.einsum("...kj,...k->...j", N, t)
    return np.sqrt(np.einsum("...j,...j->...", d, d))


def span_contains(A: Any, targets: Any = None, tol: Tolerance = DEFAULT_TOL) -> np.ndarray:
    r"""The reference float decision :math:`t\in\operatorname{rowspace}(A)` (module docstring).

    Parameters
    ----------
    A : array_like (..., n, M)
        A matrix or a stack of row sets; entries finite reals.
    targets : array_like (M,) or (..., M), optional
        Default the all-ones vector.
    tol : Tolerance

    Returns
    -------
    bool or ndarray of bool (...)

    Examples
    --------
    >>> span_contains(np.eye(3)[:2]), span_contains(np.eye(3)[:2], [1, 1, 0])
    (False, True)
    """
    out = rowspace_distance(A, targets, tol) <= tol.atol
    return bool(out) if np.ndim(out) == 0 else out


_U = float(np.finfo(float).eps) / 2      # unit roundoff


def rounding_gamma(q: Any) -> Any:
    r""":math:`\gamma=(q+1)u/(1-(q+1)u)`: a sum of :math:`q` products minus one more term,
    evaluated in any order, is within :math:`\gamma` times the sum of the absolute terms of
    its exact value (:math:`u` the unit roundoff). ``q`` an int or an integer array
    (elementwise).

    >>> rounding_gamma(0) == float(np.finfo(float).eps) / 2 / (1 - float(np.finfo(float).eps) / 2)
    True
    """
    return (q + 1) * _U / (1 - (q + 1) * _U)


def certificate_check(weights: np.ndarray, A: np.ndarray, target: np.ndarray,
                      atol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""``(ok, err, bound)`` of certificates: ``err`` :math:`=\max_k|(a^\top A-t)_k|` as
    computed here; ``ok`` when the weights are finite and ``bound`` :math:`\le` ``atol``.

    ``bound`` :math:`=\max_k\,\bigl(|(a^\top A-t)_k| + 2\gamma\,(|a|^\top|A|+|t|)_k\bigr)`,
    :math:`\gamma` = :func:`rounding_gamma` (:math:`q`), :math:`q` the most nonzero entries
    in a column of ``A`` (of each matrix of a stack: a claim's check does not depend on the
    other matrices decoded with it)
    (adding an exact zero rounds nothing, so a column is a sum of at most :math:`q` products).
    Every evaluation of :math:`a^\top A-t`, in any order (BLAS, ``einsum``, another machine),
    is within :math:`\gamma(|a|^\top|A|+|t|)_k` of the exact value, so an accepted
    certificate verifies within ``atol`` however the caller recomputes it. With large weights
    (an ill-conditioned round) the evaluations disagree by more than ``atol``; such a claim is
    not a certificate.

    ``weights`` (..., n), ``A`` (..., n, M), ``target`` (..., M).

    >>> A = np.array([[1.0, 1.0], [1.0, 1.0 + 1e-12]])
    >>> ok, err, bound = certificate_check(np.array([1.0, 0.0]), A, np.ones(2), 1e-8)
    >>> bool(ok), float(err), bool(bound < 1e-14)
    (True, 0.0, True)
    >>> w = np.array([1e12 + 1.0, -1e12])     # a @ A = (1, 0) exactly, up to 1e-4 computed
    >>> bool(certificate_check(w, A, np.array([1.0, 0.0]), 1e-8)[0])
    False
    """
    with np.errstate(all="ignore"):
        if weights.ndim == 1 and A.ndim == 2:              # one round: matrix products
            q = int(np.count_nonzero(A, axis=0).max(initial=0))
            err_k = np.abs(weights @ A - target)
            mag = np.abs(weights) @ np.abs(A) + np.abs(target)
        else:                                              # q per matrix, not per batch
            q = np.count_nonzero(A, axis=-2).max(axis=-1, initial=0)[..., None]
            err_k = np.abs(np.einsum("...i,...ik->...k", weights, A) - target)
            mag = np.einsum("...i,...ik->...k", np.abs(weights), np.abs(A)) + np.abs(target)
        g = rounding_gamma(q)
        err = err_k.max(axis=-1, initial=0.0)
        bound = (err_k + (2 * g) * mag).max(axis=-1, initial=0.0)
        ok = np.isfinite(weights).all(axis=-1) & (bound <= atol)
    return ok, err, bound


def certificate_ok(weights: np.ndarray, A: np.ndarray, target: np.ndarray,
                   tol: Tolerance = DEFAULT_TOL) -> np.ndarray:
    r"""Whether :math:`a^\top A` meets the target within ``atol`` with finite weights, for
    every order of evaluation (:func:`certificate_check`).

    ``weights`` (..., n), ``A`` (..., n, M), ``target`` (..., M); a NaN or infinite weight is
    never a certificate.
    """
    return certificate_check(weights, A, target, tol.atol)[0]


def gs_extend(Q: np.ndarray, rank: np.ndarray, res: np.ndarray, rows: np.ndarray,
              tol: Tolerance = DEFAULT_TOL) -> None:
    r"""Append one row to each of many incremental row-space bases, in place (enumeration).

    ``Q`` (n, M, M) holds orthonormal bases (the first ``rank[i]`` rows of ``Q[i]``), ``res``
    (n, M) the residual of the all-ones vector. Each of ``rows`` (n, M) is scaled
    (:func:`scale_rows`) and orthogonalised by classical Gram–Schmidt applied twice ("twice
    is enough"); it adds a direction when its residual exceeds ``tol.rtol`` times its norm.
    :math:`\mathbf 1` is then in span ``i`` iff ``norm(res[i]) <= tol.atol``
    (:func:`ones_in_span`).
    """
    rows, _ = scale_rows(rows)
    r = rows.copy()
    for _ in range(2):                                     # "twice is enough"
        c = np.einsum("nij,nj->ni", Q, r)
        r -= np.einsum("nij,ni->nj", Q, c)
    nr = np.sqrt(np.einsum("ni,ni->n", r, r))
    scale = np.sqrt(np.einsum("ni,ni->n", rows, rows))
    idx = np.flatnonzero((nr > tol.rtol * scale) & (scale > 0))
    if idx.size:
        q = r[idx] / nr[idx, None]
        Q[idx, rank[idx]] = q
        rank[idx] += 1
        res[idx] -= np.einsum("ni,ni->n", res[idx], q)[:, None] * q


def ones_in_span(res: np.ndarray, tol: Tolerance = DEFAULT_TOL) -> np.ndarray:
    r""":math:`\mathbf 1` in the span, from its residual ``res`` (..., M): the membership rule."""
    return np.sqrt(np.einsum("...i,...i->...", res, res)) <= tol.atol


def unit_distances(Q: np.ndarray) -> np.ndarray:
    r"""Distances :math:`\lVert e_k-Pe_k\rVert_2` of the unit vectors to spans with orthonormal
    rows ``Q`` (..., M, M) (zero rows allowed): (..., M), as the column norms of
    :func:`complement` (the cheap :math:`(1-\lVert Qe_k\rVert^2)^{1/2}` would cancel to
    about :math:`10^{-8}`, the size of ``atol``, where :math:`e_k` lies in the span).
    """
    D = complement(Q)
    return np.sqrt(np.einsum("...lk,...lk->...k", D, D))


def complement(Q: np.ndarray) -> np.ndarray:
    r""":math:`I-P` for orthonormal rows ``Q`` (..., M, M) (zero rows allowed): column
    :math:`k` is :math:`e_k-Pe_k`, formed without the cancelling :math:`1-\lVert Pe_k\rVert^2`."""
    M = Q.shape[-1]
    return np.eye(M) - np.swapaxes(Q, -1, -2) @ Q
