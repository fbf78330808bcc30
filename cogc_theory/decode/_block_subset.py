r"""Max-subset GC+ decoding of a block code (fractional repetition) at any :math:`M`.

When the support of the complete GC matrix :math:`B` splits the clients into disconnected
blocks :math:`C_1,\dots,C_q` (:func:`cogc_theory.codes._common.support_blocks`), every
effective matrix is block diagonal after a permutation, so

.. math:: \mathbf 1_K\in\operatorname{rowspace}A\iff
          \mathbf 1_{K\cap C_j}\in\operatorname{rowspace}A_{C_jC_j}\ \ \forall j ,

and the largest :math:`K` is the union of the blocks' largest (the lexicographic tie-break
too: blocks are disjoint, so the indicator vector is lexicographically largest iff each
block's part is). Each block is decoded by :func:`cogc_theory.decode.gcplus` on its own rows
and columns: subset enumeration (with its screens) over its candidates, and, for a banded
block whose candidates exceed ``max_candidates``, the banded algorithm; a block neither
settles is refused with the enumeration's message. A block code of any :math:`M` with small
blocks costs :math:`q` decodings of :math:`b\times b` matrices. The weights of the blocks
together are a certificate for the whole matrix (:math:`a^\top A=\mathbf 1_K` block by
block).

In floating point each block's rank and membership tests are relative to that block:
``rtol`` times the block's :math:`\sigma_1`, distances per block against ``atol``. One SVD
of the whole matrix thresholds at ``rtol`` times the largest :math:`\sigma_1` of all
blocks, so the two rules differ when a block has a singular value within the factor
:math:`\sigma_1(A)/\sigma_1(A_{C_jC_j})` (at most about :math:`2b`: rows are scaled to a
largest entry in :math:`[1/2,1)`) of its threshold — an adversarial, nearly singular block;
the block rule is the scale-invariant one, and its answers are certified. The 0/1 blocks of
fractional repetition have no such singular values. Exact input is decided exactly.

Examples
--------
>>> import numpy as np
>>> import cogc_theory as ct
>>> B = ct.codes.fractional_repetition(40, 3)          # 10 blocks of 4
>>> arrived = np.ones(40, dtype=bool); arrived[[0, 1, 2, 3, 9]] = False
>>> r = block_max_subset(B, B, arrived)                 # block 0 lost, block 2 still in
>>> r.full, r.size, np.flatnonzero(~r.recovered).tolist()
(False, 36, [0, 1, 2, 3])
>>> bool(np.abs(r.weights @ B - r.target).max() <= 1e-8)
True
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from .._linalg import ATOL, RTOL
from ..codes._common import support_blocks
from ._api import MAX_CANDIDATES, parse_code_rounds, parse_matrix
from ._band_subset import MAX_BANDWIDTH, bandwidth
from ._results import BatchDecodeResult, DecodeResult

__all__ = ["block_max_subset", "blocks_of"]


def blocks_of(B: Any) -> list[np.ndarray]:
    """The connected components of the support of ``B`` (clients in increasing order), in
    order of their first client.

    Examples
    --------
    >>> import cogc_theory as ct
    >>> [b.tolist() for b in blocks_of(ct.codes.fractional_repetition(6, 1))]
    [[0, 1], [2, 3], [4, 5]]
    """
    is_exact, Bm = parse_matrix(B, "B", allow_batch=False)
    nz = (Bm != 0) if not is_exact else np.vectorize(lambda x: x != 0, otypes=[bool])(Bm)
    return support_blocks(nz)


def block_max_subset(B: Any, Bt: Any, arrived: Any, *, rtol: float = RTOL,
                     atol: float = ATOL, max_candidates: int = MAX_CANDIDATES
                     ) -> DecodeResult | BatchDecodeResult:
    """Max-subset GC+ decoding block by block (module docstring); arguments as
    :func:`cogc_theory.decode.gcplus` with ``B`` the complete GC matrix. ``Bt`` must be an
    effective matrix of ``B`` (zero outside the support of ``B``).

    Examples
    --------
    >>> import numpy as np
    >>> import cogc_theory as ct
    >>> B = ct.codes.fractional_repetition(6, 1)
    >>> block_max_subset(B, B, [True, False, False, False, True, True]).recovered.tolist()
    [True, True, False, False, True, True]
    """
    from ._api import gcplus  # the per-block decoder (its module imports this one lazily)

    ex_b, Bm, Bts, masks, batch = parse_code_rounds(B, Bt, arrived)
    T, M = masks.shape
    blocks = blocks_of(Bm)
    inside = np.zeros((M, M), dtype=bool)
    for b in blocks:
        inside[np.ix_(b, b)] = True
    zero = Fraction(0) if ex_b else 0.0
    if not np.all(Bts[:, ~inside] == zero):
        raise ValueError("Bt must be an effective matrix of B: it has nonzero entries outside "
                         "the blocks of B's support")
    dtype = object if ex_b else float
    full = np.ones(T, dtype=bool)
    recovered = np.zeros((T, M), dtype=bool)
    weights = np.full((T, M), zero, dtype=dtype)
    target = np.full((T, M), zero, dtype=dtype)
    rank = np.zeros(T, dtype=np.int64)
    res2 = np.zeros(T)
    cert = np.zeros(T)
    down = np.zeros(T, dtype=bool)
    for b in blocks:
        sub = Bts[:, b[:, None], b[None, :]]
        try:                                   # enumeration (its screens settle many rounds)
            r = gcplus(sub, masks[:, b], "max-subset", rtol=rtol, atol=atol,
                       max_candidates=max_candidates)
        except ValueError:                     # too many candidates: a banded block?
            Bb = Bm[np.ix_(b, b)]
            if b.size <= max_candidates or bandwidth(Bb) > MAX_BANDWIDTH:
                raise
            r = gcplus(sub, masks[:, b], "max-subset", rtol=rtol, atol=atol,
                       max_candidates=max_candidates, B=Bb)
        full &= r.full
        recovered[:, b] = r.recovered
        weights[:, b] = r.weights
        target[:, b] = r.target
        rank += np.asarray(r.rank, dtype=np.int64)
        res2 += np.asarray(r.residual, dtype=float) ** 2
        cert = np.maximum(cert, np.asarray(r.cert_error, dtype=float))
        down |= r.downgraded
    out = BatchDecodeResult(full=full, recovered=recovered, weights=weights, target=target,
                            rank=rank, residual=np.sqrt(res2), cert_error=cert,
                            downgraded=down, rule="max-subset", exact=ex_b)
    return out if batch is not None else out[0]
