"""Subsets of candidate columns for the max-subset rule: their search order and sums.

The order is the tie-break of the rule: size descending, then the sorted index list ascending
lexicographically, so the first subset that qualifies is the answer.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["GS_ENUM", "subset_dist2", "subset_order", "subset_rank", "subset_screen",
           "subset_sums", "too_many"]

#: Floats per subset-enumeration block.
GS_ENUM = 1 << 17


@lru_cache(maxsize=64)
def subset_order(r: int) -> np.ndarray:
    """All subsets of ``r`` candidates as bool rows (2**r, r), best first.

    Order: size descending, then the sorted index list ascending lexicographically
    (equivalently the indicator vector descending lexicographically).
    """
    codes = np.arange(1 << r, dtype=np.int64)
    masks = ((codes[:, None] >> np.arange(r)) & 1).astype(bool)
    size = masks.sum(axis=1)
    lex = (masks * (np.int64(1) << (r - 1 - np.arange(r, dtype=np.int64)))).sum(axis=1)
    order = np.lexsort((-lex, -size))
    out = masks[order]
    out.setflags(write=False)
    return out


@lru_cache(maxsize=64)
def subset_rank(r: int) -> np.ndarray:
    """Position in :func:`subset_order` of each subset code (bit ``j`` = candidate ``j``)."""
    order = subset_order(r)
    codes = order.astype(np.int64) @ (np.int64(1) << np.arange(r, dtype=np.int64))
    rank_of = np.empty(1 << r, dtype=np.int64)
    rank_of[codes] = np.arange(1 << r)
    rank_of.setflags(write=False)
    return rank_of


def too_many(r: int, cap: int) -> ValueError:
    return ValueError(
        f"max-subset decoding would enumerate 2**{r} subsets ({r} candidate columns > "
        f"max_candidates={cap}); raise max_candidates, use rule='individual', or for a "
        f"banded (cyclic) or block (fractional repetition) code pass B= (the complete GC "
        f"matrix) for the structural max-subset")


def subset_sums(c: np.ndarray) -> np.ndarray:
    """All subset sums of the rows of ``c`` (r, m), per column: (2**r, m), row = subset code.

    Bit ``j`` of the code selects row ``j``; ``sums[code + 2**j] = sums[code] + c[j]`` for
    ``code < 2**j`` (elementwise adds only: each column's numbers are independent of ``m``).
    """
    rv, m = c.shape
    sums = np.empty((1 << rv, m))
    sums[0] = 0.0
    for j in range(rv):
        np.add(sums[:1 << j], c[j], out=sums[1 << j:2 << j])
    return sums


def subset_screen(c: np.ndarray, bound: float) -> np.ndarray:
    """Columns of ``c`` (r, m) with a nonempty subset sum of absolute value <= ``bound``."""
    rv, m = c.shape
    step = max(1, GS_ENUM >> rv)
    out = []
    for lo in range(0, m, step):                           # blocks of matrices, not trials
        sums = subset_sums(c[:, lo:lo + step])
        np.abs(sums, out=sums)
        out.append(lo + np.flatnonzero(sums[1:].min(axis=0) <= bound))
    return np.concatenate(out)


def subset_dist2(C: np.ndarray) -> np.ndarray:
    """Squared norms of all subset sums of the rows of ``C`` (d, r, m): (2**r, m) by code.

    Coordinates are summed as in :func:`subset_sums`, squared and added in order.
    """
    dv, rv, m = C.shape
    step = max(1, GS_ENUM >> rv)
    out = []
    for lo in range(0, m, step):                           # blocks of matrices, not trials
        dist2 = np.zeros((1 << rv, C[0, 0, lo:lo + step].size))
        for t in range(dv):
            sums = subset_sums(C[t, :, lo:lo + step])
            np.multiply(sums, sums, out=sums)
            dist2 += sums
        out.append(dist2)
    return np.concatenate(out, axis=1)
