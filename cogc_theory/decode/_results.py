"""Result objects of the decoders: one round (:class:`DecodeResult`) and batched
(:class:`BatchDecodeResult`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

__all__ = ["FIELDS", "BatchDecodeResult", "DecodeResult", "empty_batch", "make_result"]


@dataclass(frozen=True, eq=False)
class DecodeResult:
    r"""Outcome of decoding one round.

    Attributes
    ----------
    full : bool
        :math:`\mathbf 1 \in \operatorname{rowspace}(A)`: the whole sum :math:`\sum_k g_k`.
    recovered : ndarray of bool, (M,)
        The set :math:`K` whose gradients enter the recovered sum (all on full recovery, none
        on outage; for ``"least-squares"`` the support of ``target``).
    weights : ndarray (M,)
        Certificate :math:`a`, zero on rows not used, with ``weights @ Bt == target``.
        Float, or object array of :class:`~fractions.Fraction` on the exact path.
    target : ndarray (M,)
        :math:`t`: all ones (full), :math:`\mathbf 1_K` (subset rules, standard), or the
        projection of :math:`\mathbf 1` (least-squares). The server obtains :math:`t^\top g`.
    rank : int
        Rank of the matrix of used rows.
    residual : float
        :math:`\lVert \mathbf 1 - t\rVert_2` (0 on full recovery).
    cert_error : float
        :math:`\max_k|(a^\top A - t)_k|` as computed (0 on the exact path; a one-round float
        decode may compute it on the rows scaled by powers of two, the same products unless
        one rounds below the normal range).
    downgraded : bool
        The float path found a recovery whose certificate failed and reported an outage.
    rule : str
        ``"standard"`` or the GC+ rule.
    exact : bool
        Whether exact rational arithmetic was used.

    Examples
    --------
    Fractional repetition with :math:`M=4`, :math:`s=1`: clients 0, 1 both hold
    :math:`g_0+g_1`, clients 2, 3 both hold :math:`g_2+g_3`. If only client 0 arrives, GC+
    recovers :math:`K=\{0,1\}`:

    >>> import numpy as np
    >>> import cogc_theory as ct
    >>> B = ct.codes.fractional_repetition(4, 1)
    >>> r = ct.decode.gcplus(B, np.array([True, False, False, False]))
    >>> r
    DecodeResult(rule='max-subset', full=False, K=[0, 1], rank=1, residual=1.41, exact=False)
    >>> r.weights, r.target, r.size
    (array([1., 0., 0., 0.]), array([1., 1., 0., 0.]), 2)
    >>> bool(np.allclose(r.weights @ B, r.target))          # the certificate
    True
    """

    full: bool
    recovered: np.ndarray
    weights: np.ndarray
    target: np.ndarray
    rank: int
    residual: float
    cert_error: float
    downgraded: bool
    rule: str
    exact: bool

    @property
    def size(self) -> int:
        """:math:`|K|`, the number of gradients in the recovered sum."""
        return int(np.count_nonzero(self.recovered))

    @property
    def outage(self) -> bool:
        """Total outage: nothing recovered (:math:`K=\\emptyset`)."""
        return not bool(np.any(self.recovered))

    def __repr__(self) -> str:
        K = np.flatnonzero(self.recovered).tolist()
        return (f"DecodeResult(rule={self.rule!r}, full={self.full}, K={K}, rank={self.rank}, "
                f"residual={self.residual:.3g}, exact={self.exact})")


@dataclass(frozen=True, eq=False)
class BatchDecodeResult:
    """Outcomes of decoding ``T`` rounds: the fields of :class:`DecodeResult` with a leading axis.

    ``full`` (T,), ``recovered`` (T, M), ``weights`` (T, M), ``target`` (T, M), ``rank`` (T,),
    ``residual`` (T,), ``cert_error`` (T,), ``downgraded`` (T,). ``len(r)`` is ``T`` and
    ``r[i]`` is the :class:`DecodeResult` of trial ``i``.

    Examples
    --------
    Two rounds at once (leading trials axis): one row from each group decodes everything, two
    rows of the same group only half:

    >>> import numpy as np
    >>> import cogc_theory as ct
    >>> B = ct.codes.fractional_repetition(4, 1)
    >>> arrived = np.array([[1, 0, 1, 0], [1, 1, 0, 0]], dtype=bool)
    >>> rb = ct.decode.gcplus(np.stack([B, B]), arrived)
    >>> rb
    BatchDecodeResult(rule='max-subset', trials=2, full=1, outage=0, exact=False)
    >>> rb.full, rb.size, len(rb)
    (array([ True, False]), array([4, 2]), 2)
    >>> rb[1].recovered
    array([ True,  True, False, False])
    """

    full: np.ndarray
    recovered: np.ndarray
    weights: np.ndarray
    target: np.ndarray
    rank: np.ndarray
    residual: np.ndarray
    cert_error: np.ndarray
    downgraded: np.ndarray
    rule: str
    exact: bool

    @property
    def size(self) -> np.ndarray:
        """:math:`|K|` per trial, int (T,)."""
        return np.count_nonzero(self.recovered, axis=1)

    @property
    def outage(self) -> np.ndarray:
        """Total outage per trial, bool (T,)."""
        return ~np.any(self.recovered, axis=1)

    def __len__(self) -> int:
        return int(self.full.shape[0])

    def __getitem__(self, i: int) -> DecodeResult:
        if not isinstance(i, int | np.integer):
            raise TypeError(f"index must be an integer, got {type(i).__name__}")
        i = int(i)
        if not -len(self) <= i < len(self):
            raise IndexError(f"trial index {i} out of range for {len(self)} trials")
        return make_result({
            "full": bool(self.full[i]), "recovered": self.recovered[i],
            "weights": self.weights[i], "target": self.target[i], "rank": int(self.rank[i]),
            "residual": float(self.residual[i]), "cert_error": float(self.cert_error[i]),
            "downgraded": bool(self.downgraded[i])}, self.rule, self.exact)

    def __iter__(self) -> Iterator[DecodeResult]:
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        return (f"BatchDecodeResult(rule={self.rule!r}, trials={len(self)}, "
                f"full={int(self.full.sum())}, outage={int(self.outage.sum())}, "
                f"exact={self.exact})")


FIELDS = ("full", "recovered", "weights", "target", "rank", "residual", "cert_error",
           "downgraded")
_KEYS = frozenset(FIELDS)


def make_result(fields: dict, rule: str, exact: bool) -> DecodeResult:
    """``DecodeResult(**fields, rule=rule, exact=exact)`` without the frozen dataclass's
    ``__init__``, which sets each of its ten fields through ``object.__setattr__`` (about
    4 µs, a few percent of a one-round decode at :math:`M=10`). ``fields`` must hold exactly
    :data:`FIELDS` (``TypeError`` otherwise, as from the constructor); the instance is the
    one the constructor builds (a plain ``__dict__``, no ``__post_init__``).

    >>> r = make_result(dict(full=True, recovered=np.ones(2, bool), weights=np.ones(2),
    ...                      target=np.ones(2), rank=2, residual=0.0, cert_error=0.0,
    ...                      downgraded=False), "individual", False)
    >>> r.full, r.rule, r.size
    (True, 'individual', 2)
    """
    if fields.keys() != _KEYS:
        raise TypeError(f"make_result needs exactly the fields {FIELDS}, got {sorted(fields)}")
    out = object.__new__(DecodeResult)
    d = out.__dict__
    d.update(fields)
    d["rule"] = rule
    d["exact"] = exact
    return out


def empty_batch(M: int, mode: str) -> BatchDecodeResult:
    """The float path's result for zero trials (no cache involved)."""
    return BatchDecodeResult(
        full=np.zeros(0, dtype=bool), recovered=np.zeros((0, M), dtype=bool),
        weights=np.zeros((0, M)), target=np.zeros((0, M)), rank=np.zeros(0, dtype=np.int64),
        residual=np.zeros(0), cert_error=np.zeros(0), downgraded=np.zeros(0, dtype=bool),
        rule=mode, exact=False)
