"""The public decoders :func:`standard` and :func:`gcplus`: argument checks and dispatch to the
exact or float path (see the package docstring)."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from .. import exact as _exact
from .._linalg import ATOL, RTOL, check_tolerance
from .._validate import check_bool_array, check_int, check_real_array, check_square_matrix
from ..vocabulary import RULES
from . import _cache
from ._float import float_decode
from ._rational import exact_decode
from ._results import BatchDecodeResult, DecodeResult

__all__ = ["MAX_CANDIDATES", "clear_cache", "gcplus", "standard"]

#: Default cap on the candidate columns enumerated by ``rule="max-subset"``.
MAX_CANDIDATES = 16

_TINY = float(np.finfo(float).tiny)      # the smallest normal float


def parse_matrix(X: Any, name: str, allow_batch: bool) -> tuple[bool, np.ndarray]:
    """Return ``(is_exact, array)``: Fraction object array or float array, (M, M) or (T, M, M)."""
    if (type(X) is np.ndarray and X.dtype == np.float64 and X.ndim == 2
            and X.shape[0] == X.shape[1] > 0):
        # fast path for the common float (M, M) round: finite and no subnormal entry (NaN
        # fails both comparisons); anything else takes the checks below for their messages
        ax = np.abs(X)
        if ax.max() < np.inf and np.count_nonzero(ax < _TINY) == X.size - np.count_nonzero(X):
            return False, X
    if isinstance(X, sp.MatrixBase):
        if X.free_symbols:
            names = sorted(map(str, X.free_symbols))
            raise TypeError(f"{name} must contain numbers, not symbols {names}; substitute "
                            "values first")
        if _exact.is_exact_array(X):
            arr = np.array(X.tolist(), dtype=object)
            return True, to_fraction_array(arr, name)
        return False, check_square_matrix(X, name)
    if isinstance(X, np.ndarray) and X.dtype == object and _exact.is_exact_array(X):
        if X.ndim not in ((2, 3) if allow_batch else (2,)):
            raise ValueError(f"{name} must have shape (M, M)"
                             + (" or (trials, M, M)" if allow_batch else "")
                             + f", got {X.shape}")
        check_square_shape(X.shape, name)
        return True, to_fraction_array(X, name)
    arr = check_real_array(X, name, "a real matrix (array-like of numbers, a sympy Matrix of "
                                    "rationals, or an object array of Fractions)")
    if arr.ndim == 2:
        arr = check_square_matrix(arr, name)
    elif arr.ndim == 3 and allow_batch:
        check_square_shape(arr.shape, name)
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be finite; it contains NaN or infinity")
    else:
        want = "(M, M) or (trials, M, M)" if allow_batch else "(M, M)"
        raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    tiny = np.abs(arr[arr != 0]).min(initial=np.inf)
    if tiny < np.finfo(float).tiny:
        raise ValueError(
            f"{name} has subnormal entries (smallest nonzero |entry| {tiny:.3g} < "
            f"{np.finfo(float).tiny:.3g}), whose float arithmetic loses precision and whose "
            f"certificate weights would overflow; multiply {name} by a power of two (decoding "
            f"is invariant to scaling rows), or pass exact rationals")
    return False, arr


def check_square_shape(shape: tuple[int, ...], name: str) -> None:
    if shape[-1] != shape[-2] or shape[-1] < 1:
        raise ValueError(f"{name} must be square in its last two axes (..., M, M), got {shape}")


def to_fraction_array(arr: np.ndarray, name: str) -> np.ndarray:
    out = np.empty(arr.shape, dtype=object)
    for idx in np.ndindex(*arr.shape):
        out[idx] = _exact.as_fraction(arr[idx], f"{name}[{', '.join(map(str, idx))}]")
    return out


def parse_mask(mask: Any, name: str, M: int) -> np.ndarray:
    if type(mask) is np.ndarray and mask.dtype == bool and mask.shape == (M,):
        return mask                                        # the common one-round case
    if isinstance(mask, np.ndarray) and mask.dtype.kind == "f" and np.any(np.isnan(mask)):
        raise TypeError(f"{name} must be a boolean array, it contains NaN")
    return check_bool_array(mask, name, (M,), batch=True)


def batch_shape(mat: np.ndarray, mask: np.ndarray, mat_name: str, mask_name: str) -> int | None:
    """Number of trials, or None for one round."""
    tm = mat.shape[0] if mat.ndim == 3 else None
    tk = mask.shape[0] if mask.ndim == 2 else None
    if tm is not None and tk is not None and tm != tk:
        raise ValueError(f"{mask_name} has {tk} trials but {mat_name} has {tm}; give both the "
                         "same leading trials axis (or a shared (M, M) matrix)")
    return tm if tm is not None else tk


def parse_code_rounds(B: Any, Bt: Any, arrived: Any
                      ) -> tuple[bool, np.ndarray, np.ndarray, np.ndarray, int | None]:
    """``(exact, B (M, M), Bt (T, M, M), arrived (T, M), batch)`` for the structural decoders
    that take the complete matrix ``B`` with effective matrices ``Bt`` (same arithmetic)."""
    ex_b, Bm = parse_matrix(B, "B", allow_batch=False)
    ex_t, Btm = parse_matrix(Bt, "Bt", allow_batch=True)
    if ex_b != ex_t:
        raise TypeError("B and Bt must both be exact (rational) or both float; convert one")
    M = Bm.shape[0]
    if Btm.shape[-1] != M:
        raise ValueError(f"Bt must have M={M} columns like B, got shape {Btm.shape}")
    U = parse_mask(arrived, "arrived", M)
    batch = batch_shape(Btm, U, "Bt", "arrived")
    T = 1 if batch is None else batch
    Bts = np.broadcast_to(Btm, (T, M, M)) if Btm.ndim == 2 else Btm
    return ex_b, Bm, Bts, np.broadcast_to(U, (T, M)), batch


def standard(B: Any, received: Any, *, rtol: float = RTOL,
             atol: float = ATOL) -> DecodeResult | BatchDecodeResult:
    r"""Standard GC decoding (CoGC): decode from the complete partial sums that arrived.

    With :math:`R=\{m: \text{received}_m\}` (row :math:`m` complete *and* delivered), decoding
    succeeds iff

    .. math:: \mathbf 1 \in \operatorname{rowspace}(B_R),

    and then ``weights`` :math:`a` (zero off :math:`R`) satisfy :math:`a^\top B = \mathbf 1^\top`,
    so the server obtains :math:`\sum_k g_k = \sum_{m\in R} a_m c_m`. Otherwise the round is an
    outage (``target = 0``). The outcome is binary: ``recovered`` is all True or all False.

    Parameters
    ----------
    B : array_like (M, M), sympy.Matrix or object array of rationals
        The GC matrix. Rational input selects the exact path.
    received : array_like of bool, (M,) or (T, M)
        Which rows are complete and arrived; a leading axis gives a batch of ``T`` rounds.
    rtol, atol : float
        Rank and certificate tolerances of the float path (see the module docstring):
        ``rtol`` in :math:`(0, 1)`, ``atol`` in :math:`(0, 10^{-2}]`.

    Returns
    -------
    DecodeResult or BatchDecodeResult
        ``rule == "standard"``. With zero trials (``received`` of shape ``(0, M)``) an empty
        :class:`BatchDecodeResult`.

    Raises
    ------
    TypeError
        ``B`` not a real matrix (complex entries, symbols, non-numbers) or ``received`` not
        boolean (or 0/1).
    ValueError
        Wrong shapes, NaN or infinity in ``B``, or ``rtol`` / ``atol`` outside their ranges.

    Examples
    --------
    >>> import numpy as np
    >>> B = np.array([[0.5, 1, 0], [0, 1, -1], [0.5, 0, 1]])
    >>> r = standard(B, np.array([[True, False, True], [True, False, False]]))
    >>> r.full.tolist(), r[0].weights.round(12).tolist()
    ([True, False], [1.0, 0.0, 1.0])
    """
    tol = check_tolerance(rtol, atol)
    rtol, atol = tol.rtol, tol.atol
    is_exact, Bm = parse_matrix(B, "B", allow_batch=False)
    M = Bm.shape[-1]
    R = parse_mask(received, "received", M)
    batch = batch_shape(Bm, R, "B", "received")
    if is_exact:
        return exact_decode(Bm, R, "standard", MAX_CANDIDATES, batch)
    return float_decode(Bm, R, "standard", rtol, atol, MAX_CANDIDATES, batch)


def gcplus(Bt: Any, arrived: Any, rule: str = "max-subset", *, rtol: float = RTOL,
           atol: float = ATOL, max_candidates: int = MAX_CANDIDATES,
           B: Any = None) -> DecodeResult | BatchDecodeResult:
    r"""GC+ decoding: use every partial sum that arrived, complete or not.

    With :math:`A` the rows of the effective matrix :math:`\tilde B` that arrived, the round is a
    **full recovery** iff :math:`\mathbf 1\in\operatorname{rowspace}(A)`. Otherwise ``rule``
    decides the partial recovery:

    * ``"max-subset"`` — the largest :math:`K` with :math:`\mathbf 1_K \in
      \operatorname{rowspace}(A)`; ties go to the lexicographically smallest sorted ``K``;
    * ``"individual"`` — :math:`K = \{k : e_k \in \operatorname{rowspace}(A)\}`;
    * ``"least-squares"`` — :math:`t = \operatorname{proj}_{\operatorname{rowspace}(A)}
      \mathbf 1`, ``recovered`` its support, ``residual`` :math:`\lVert \mathbf 1-t\rVert_2`.

    :math:`K=\emptyset` is a total outage. The certificate ``weights`` :math:`a` is zero on rows
    not used and :math:`a^\top \tilde B = t^\top`.

    Parameters
    ----------
    Bt : array_like (M, M) or (T, M, M), sympy.Matrix, or object array of rationals
        Effective matrix :math:`\tilde B = B\circ\tau` (a shared ``(M, M)`` matrix is broadcast
        over the trials of ``arrived``). Rational input selects the exact path.
    arrived : array_like of bool, (M,) or (T, M)
        Which partial sums reached the server.
    rule : {"max-subset", "individual", "least-squares"}
    rtol, atol : float
        Rank and membership/certificate tolerances of the float path: ``rtol`` in
        :math:`(0, 1)`, ``atol`` in :math:`(0, 10^{-2}]` (see the module docstring).
    max_candidates : int
        Cap on the enumerated candidate columns of ``"max-subset"`` (:math:`2^{r}` subsets
        per distinct matrix); at most 20.
    B : array_like (M, M), optional
        The complete GC matrix of which ``Bt`` is an effective matrix (``"max-subset"``
        only). When given and :math:`M>` ``max_candidates``, max-subset runs a structural
        algorithm instead of enumerating subsets of all :math:`M` columns: for a block code
        (the support of ``B`` splits into disconnected blocks, e.g. fractional repetition)
        each block is decoded on its own (:mod:`cogc_theory.decode._block_subset`: the
        max-subset answer, any :math:`M`); otherwise the algorithm for banded (cyclic) codes
        of :func:`banded_max_subset`: any :math:`M`, cost :math:`O(M^3)` per distinct matrix,
        the exact max-subset answer for generic codes (the float cyclic constructions) and a
        certified recoverable set for any banded code. For :math:`M\le` ``max_candidates``
        the enumeration (exact for every code) runs and ``B`` is not used.

    Returns
    -------
    DecodeResult or BatchDecodeResult
        With zero trials (``arrived`` of shape ``(0, M)`` or ``Bt`` of shape ``(0, M, M)``)
        an empty :class:`BatchDecodeResult`.

    Raises
    ------
    TypeError
        ``Bt`` not a real matrix (complex entries, symbols, non-numbers), ``arrived`` not
        boolean (or 0/1), or ``max_candidates`` not an integer.
    ValueError
        Unknown ``rule``, wrong shapes, NaN in ``Bt``, ``rtol`` / ``atol`` outside their
        ranges, or a max-subset search that would
        enumerate more than ``max_candidates`` candidate columns (a search that the
        separation or screening tests settle without enumerating does not raise; see the
        module docstring); ``B`` given with another rule, or neither a block code nor banded
        with bandwidth at most :data:`MAX_BANDWIDTH` when used.

    Examples
    --------
    >>> import numpy as np
    >>> B = np.array([[0.5, 1, 0], [0, 1, -1], [0.5, 0, 1]])
    >>> Bt = B * np.array([[1, 0, 1], [1, 1, 1], [0, 1, 1]])   # clients 0 and 2 missed a link
    >>> gcplus(Bt, [True, False, True]).recovered.tolist()
    [True, False, True]
    >>> r = gcplus(Bt, [True, False, True], rule="least-squares")
    >>> r.full, r.target.round(12).tolist()
    (False, [1.0, 0.0, 1.0])
    """
    if not isinstance(rule, str) or rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    tol = check_tolerance(rtol, atol)
    rtol, atol = tol.rtol, tol.atol
    max_candidates = check_int(max_candidates, "max_candidates", lo=0, hi=20)
    if B is not None and rule != "max-subset":
        raise ValueError(f"B= (the complete GC matrix) is used only by rule='max-subset', got "
                         f"rule={rule!r}; drop B")
    is_exact, Bm = parse_matrix(Bt, "Bt", allow_batch=True)
    M = Bm.shape[-1]
    if B is not None and M > max_candidates:
        from ._band_subset import banded_max_subset  # they import this module's parsers
        from ._block_subset import block_max_subset, blocks_of

        if len(blocks_of(B)) >= 2:
            return block_max_subset(B, Bt, arrived, rtol=rtol, atol=atol,
                                    max_candidates=max_candidates)
        return banded_max_subset(B, Bt, arrived, rtol=rtol, atol=atol)
    U = parse_mask(arrived, "arrived", M)
    batch = batch_shape(Bm, U, "Bt", "arrived")
    if is_exact:
        return exact_decode(Bm, U, rule, max_candidates, batch)
    return float_decode(Bm, U, rule, rtol, atol, max_candidates, batch)


def clear_cache() -> None:
    """Forget every cached decoding (the caches are keyed by matrix, rule and tolerances).

    Examples
    --------
    Decoding the same matrix and arrivals again is answered from a cache; ``clear_cache`` empties
    it (the answer is the same):

    >>> import numpy as np
    >>> import cogc_theory as ct
    >>> B = ct.codes.cyclic_repetition(4, 1, seed=0)
    >>> first = ct.decode.gcplus(B, np.array([True, True, True, False]))
    >>> ct.decode.clear_cache()
    >>> ct.decode.gcplus(B, np.array([True, True, True, False])).full == first.full
    True
    """
    _cache.clear()
