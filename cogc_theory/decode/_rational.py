"""The exact path: rational decoding in :class:`fractions.Fraction` arithmetic (the oracle of
the float path; it loops over trials)."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from .. import exact as _exact
from ._results import FIELDS, BatchDecodeResult, DecodeResult
from ._subsets import subset_order, too_many

__all__ = ["exact_decode"]


def _exact_one(A: list[list[Fraction]], mode: str, maxc: int) -> dict[str, Any]:
    """Decode one exact matrix of used rows (unused rows zero)."""
    M = len(A)
    one, zero = Fraction(1), Fraction(0)
    ones = [one] * M
    R, piv = _exact.rref(A)
    rank = len(piv)
    N = _exact.nullspace(A)
    full = all(sum(x, zero) == 0 for x in N)
    if full or mode == "standard":
        target = ones if full else [zero] * M
    elif mode == "least-squares":
        target = _exact.project_rowspace(A, ones)
    else:
        K = [all(x[k] == 0 for x in N) for k in range(M)]
        if mode == "max-subset":
            colnz = [any(A[i][k] != 0 for i in range(M)) for k in range(M)]
            cand = [k for k in range(M) if not K[k] and colnz[k]]
            if len(cand) > maxc:
                raise too_many(len(cand), maxc)
            if cand:
                for sub in subset_order(len(cand)):
                    chosen = [cand[j] for j in np.flatnonzero(sub)]
                    if all(sum((x[k] for k in chosen), zero) == 0 for x in N):
                        for k in chosen:
                            K[k] = True
                        break
        target = [one if k else zero for k in K]
    a = _exact.solve_left(A, target)
    if a is None:  # pragma: no cover - membership was decided exactly above
        raise AssertionError("internal error: exact target not in the row space")
    check = [sum((a[i] * A[i][k] for i in range(M)), zero) for k in range(M)]
    if check != list(target):  # pragma: no cover
        raise AssertionError("internal error: exact certificate does not verify")
    recovered = np.array([t != 0 for t in target], dtype=bool)
    residual = math.sqrt(float(sum(((one - t) ** 2 for t in target), zero)))
    return {"full": full, "recovered": recovered, "weights": _exact.to_object_array(a),
            "target": _exact.to_object_array(list(target)), "rank": rank,
            "residual": residual, "cert_error": 0.0, "downgraded": False}


def exact_decode(Bm: np.ndarray, mask: np.ndarray, mode: str, maxc: int,
                  batch: int | None) -> DecodeResult | BatchDecodeResult:
    M = Bm.shape[-1]
    T = 1 if batch is None else batch
    masks = np.broadcast_to(mask, (T, M))
    memo: dict[bytes, dict[str, Any]] = {}
    rows = []
    zero = Fraction(0)
    for t in range(T):  # the exact path is the oracle: clarity over speed
        Bt = Bm if Bm.ndim == 2 else Bm[t]
        A = [[Bt[i, k] if masks[t, i] else zero for k in range(M)] for i in range(M)]
        key = masks[t].tobytes() if Bm.ndim == 2 else None
        if key is not None and key in memo:
            rows.append(memo[key])
            continue
        res = _exact_one(A, mode, maxc)
        if key is not None:
            memo[key] = res
        rows.append(res)
    out: dict[str, np.ndarray] = {}
    for f in FIELDS:
        vals = [r[f] for r in rows]
        if f in ("weights", "target"):
            arr = np.empty((T, M), dtype=object)
            for t, v in enumerate(vals):
                arr[t, :] = v
            out[f] = arr
        elif f == "recovered":
            out[f] = np.array(vals, dtype=bool).reshape(T, M)
        elif f in ("full", "downgraded"):
            out[f] = np.array(vals, dtype=bool)
        elif f == "rank":
            out[f] = np.array(vals, dtype=np.int64)
        else:
            out[f] = np.array(vals, dtype=float)
    res = BatchDecodeResult(**out, rule=mode, exact=True)
    return res if batch is not None else res[0]
