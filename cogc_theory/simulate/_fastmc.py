r"""Outage Monte Carlo that decides by structure: the fast routes of ``OutageSystem``.

:class:`FastOutageSystem` has the interface of
:class:`cogc_theory.simulate.outage_mc.OutageSystem` — ``model`` (the
:class:`~cogc_theory.simulate.links.LinkModel`) and ``failures(ok) -> (failures, extras)``
for channel outcomes ``ok`` (bool ``(T, C)``) — and returns the same failures, decided per
trial from its own channel bits (so results do not depend on how trials are batched). It
never builds the ``(T, M, M)`` link or effective matrices. Routes, in order:

* **standard decoding, threshold family** (``threshold=t``: the caller knows that the
  decodable sets are exactly those of at least :math:`t` complete-and-arrived rows, e.g. by a
  theorem on the code): a round fails iff fewer than :math:`t` rows are received —
  :math:`O(C)` per trial (reading the channel bits), no linear algebra;
* **cyclic band** (every row :math:`m` of ``B`` inside :math:`\{m,\dots,m+s\}\bmod M`,
  nonzero diagonal, :math:`2s+1\le M`): the banded engine of
  :mod:`cogc_theory.decode._banded` on the received rows (standard) or on the arrived
  effective rows (GC+), each row scaled by a power of two as the float decoders do
  (:func:`cogc_theory._linalg.scale_rows`), :math:`O(Ms^2)` per trial, in its *semantic*
  mode: a trial stands when its certificate proves the decision of the exact rtol/atol rule
  (the weights, or a kernel vector); the trials it cannot settle go to the SVD engine of
  :mod:`cogc_theory.decode` (:func:`cogc_theory.decode._svd.decode_svd`).
  For GC+ two exact screens come first: with ``threshold``, a trial with at least
  :math:`t` received rows fully recovers (its rows contain a decodable set of complete
  rows); a trial in which some column of :math:`\tilde B_U` is zero does not (the
  all-ones vector has a unit component on a kernel vector :math:`e_k`);
* **otherwise** (``route == "dense"``) none: ``OutageSystem`` decodes with
  :mod:`cogc_theory.decode` itself. ``OutageSystem`` uses this class whenever a route
  applies, with the threshold the network knows by construction (``net.threshold``).

GC+ extras (``"recovered_size"`` :math:`|K|`, ``"total_outage"``) follow the partial
``rule``: :math:`|K|=M` on full recovery; for ``rule="individual"`` the other trials go to
:func:`cogc_theory.decode.individual` (kernel basis, :math:`O(MsD+MD^2)` for :math:`D`
free positions), and what it cannot settle — and the other rules — to
:func:`cogc_theory.decode.gcplus` (``extras=False`` skips the extras).

Examples
--------
>>> import numpy as np
>>> import cogc_theory as ct
>>> net = ct.CooperativeNetwork.cyclic(12, 2, uplink_erasure=0.1, link_erasure=0.1)
>>> fast = FastOutageSystem(net, "gcplus")
>>> fast.route
'banded'
>>> ok = fast.model.sample_channels(np.random.default_rng(0), (2000,))
>>> f1, e1 = fast.failures(ok)
>>> d = fast.model.to_draw(ok)                     # the decoder itself, round by round
>>> ref = ct.decode.gcplus(d.effective(fast.B), d.u, rule="individual")
>>> bool(np.array_equal(f1, ~ref.full)), bool(np.array_equal(e1["recovered_size"], ref.size))
(True, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import decode
from .._linalg import ATOL, RTOL, check_tolerance
from ..decode._banded import band_colsum, cyclic_bandwidth, from_band, individual, run, to_band
from ..decode._svd import decode_svd
from ..vocabulary import DECODERS, RULES
from .links import LinkModel

__all__ = ["FastOutageSystem"]

_DEDUP_BITS = 128          # deduplicate band patterns of at most this many bits


class FastOutageSystem:
    r"""A network with a decoder, deciding outages by structure (see the module docstring).

    Parameters
    ----------
    net : CooperativeNetwork
        Numeric network (reciprocal links and memory as in ``OutageSystem``).
    decoder : {"standard", "gcplus"}
    rule : {"individual", "max-subset", "least-squares"}
        GC+ partial rule of the extras (failures do not depend on it).
    threshold : int, optional
        The decodable sets of ``B`` are exactly the sets of at least ``threshold``
        complete-and-arrived rows (a threshold family, e.g. :math:`M-s` for a cyclic MDS
        code). Known by construction, not checked here: a wrong value gives wrong counts.
    extras : bool
        Compute the GC+ extras.
    rtol, atol : float
        Tolerances of the decoders.

    Attributes
    ----------
    route : str
        ``"count"`` (standard with ``threshold``), ``"banded"`` or ``"dense"`` (no route
        applies: :meth:`failures` refuses, ``OutageSystem`` decodes densely).
    """

    def __init__(self, net: Any, decoder: str = "standard", rule: str = "individual", *,
                 threshold: int | None = None, extras: bool = True,
                 rtol: float = RTOL, atol: float = ATOL) -> None:
        if not isinstance(decoder, str) or decoder not in DECODERS:
            raise ValueError(f"decoder must be one of {DECODERS}, got {decoder!r}")
        if not isinstance(rule, str) or rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
        self.model = LinkModel(net)
        self.net = net
        self.decoder = decoder
        self.rule = rule
        self.extras = bool(extras)
        tol = check_tolerance(rtol, atol)
        self.rtol, self.atol = tol.rtol, tol.atol
        self.B = np.asarray(net.B, dtype=float)
        M = self.M = self.B.shape[0]
        if threshold is not None:
            if isinstance(threshold, bool) or not isinstance(threshold, int | np.integer):
                raise TypeError(f"threshold must be an int in [0, M], got {threshold!r}")
            if not 0 <= int(threshold) <= M:
                raise ValueError(f"threshold must lie in [0, {M}], got {threshold}")
            threshold = int(threshold)
        self.threshold = threshold
        self.s = cyclic_bandwidth(self.B != 0)
        used = np.asarray(self.model.link_used)
        if self.s is not None and not np.all(to_band(used | np.eye(M, dtype=bool),
                                                             self.s).sum() == used.sum() + M):
            self.s = None                                  # a link outside the band
        if decoder == "standard" and threshold is not None:
            self.route = "count"
        elif self.s is not None:
            self.route = "banded"
        else:
            self.route = "dense"
        self._maps()

    # ------------------------------------------------------------------ channel maps
    def _maps(self) -> None:
        """Channel index of every link a client needs (``C`` = always succeeds)."""
        M, C = self.M, self.model.C
        chan = np.full((M, M), C, dtype=np.intp)           # chan[m, k]: channel of k -> m
        for i, (m, k) in enumerate(self.model.links):
            chan[m, k] = M + i
            if self.model.reciprocal:
                chan[k, m] = M + i
        used = np.asarray(self.model.link_used)
        chan = np.where(used, chan, C)
        width = max(1, int(used.sum(axis=1).max())) if used.any() else 1
        need = np.full((M, width), C, dtype=np.intp)
        for m in range(M):
            ks = np.flatnonzero(used[m])
            need[m, :ks.size] = chan[m, ks]
        self._need = need                                  # (M, L): links of client m
        if self.s is not None:
            self._band_chan = to_band(chan, self.s)        # (M, S)
            self._Bb = to_band(self.B, self.s)             # (M, S)

    def _scaled(self, bits: np.ndarray) -> np.ndarray:
        """The band matrices (M, S, n) of the rows of ``B`` kept by ``bits``, each row scaled
        by the power of two that puts its largest entry in [1/2, 1) (exact; the float
        decoders' :func:`cogc_theory._linalg.scale_rows`, so the decisions are theirs)."""
        At = self._Bb[:, :, None] * bits
        e = np.frexp(np.abs(At).max(axis=1))[1]           # (M, n)
        return np.ldexp(At, -e[:, None, :])

    def _ext(self, ok: np.ndarray) -> np.ndarray:
        """Channel bits with a final always-true channel, channels first: (C + 1, T)."""
        T, C = ok.shape
        out = np.empty((C + 1, T), dtype=bool)
        out[:C] = ok.T
        out[C] = True
        return out

    # ------------------------------------------------------------------ decisions
    def failures(self, ok: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Decode channel outcomes ``ok`` (bool ``(T, C)``): failures bool ``(T,)``, extras."""
        ok = np.asarray(ok, dtype=bool)
        T, M = ok.shape[0], self.M
        gc = self.decoder == "gcplus"
        if self.route == "dense":
            raise ValueError("no structured route applies to this network and decoder (not a "
                             "cyclic band, no threshold); decode with OutageSystem")
        if T == 0:
            extras = {"recovered_size": np.zeros(0, dtype=np.int64),
                      "total_outage": np.zeros(0, dtype=bool)} if gc and self.extras else {}
            return np.zeros(0, dtype=bool), extras
        okT = self._ext(ok)                                # (C + 1, T)
        u = okT[:M]                                        # (M, T)
        received = None
        if not gc or self.threshold is not None:
            received = u & okT[self._need].all(axis=1)     # (M, T)
        if self.route == "count":
            return received.sum(axis=0) < self.threshold, {}
        bits = okT[self._band_chan]                        # (M, S, T): link bits in the band
        if gc:
            bits &= u[:, None, :]
        else:
            bits = np.broadcast_to(received[:, None, :], bits.shape)
        full = np.zeros(T, dtype=bool)
        todo = np.ones(T, dtype=bool)
        if gc:
            if self.threshold is not None:
                full |= received.sum(axis=0) >= self.threshold
                todo &= ~full
            nz = bits & (self._Bb != 0)[:, :, None]
            covered = band_colsum(nz.astype(np.int8)) > 0
            todo &= covered.all(axis=0)
        idx = np.flatnonzero(todo)
        if idx.size == T:
            full = self._banded(bits)
        elif idx.size:
            full[idx] = self._banded(bits[:, :, idx])
        fail = ~full
        if not gc or not self.extras:
            return fail, {}
        size = np.where(full, M, 0).astype(np.int64)
        total = np.zeros(T, dtype=bool)
        rest = np.flatnonzero(~full)
        if rest.size and self.rule == "individual":
            r = individual(self._scaled(bits[:, :, rest]), rtol=self.rtol, atol=self.atol,
                           scale_exp=0, semantic=True)
            done = r["settled"] & ~r["full"]
            k = r["recovered"].sum(axis=0)
            size[rest[done]] = k[done]
            total[rest[done]] = k[done] == 0
            rest = rest[~done]
        if rest.size:
            A = self._Bb[:, :, None] * bits[:, :, rest]
            r = decode.gcplus(from_band(A.transpose(2, 0, 1)),
                               np.ones((rest.size, M), dtype=bool), rule=self.rule,
                               rtol=self.rtol, atol=self.atol)
            size[rest] = r.size
            total[rest] = r.outage
        return fail, {"recovered_size": size, "total_outage": total}

    def _banded(self, bits: np.ndarray) -> np.ndarray:
        """Full recovery of band patterns ``bits`` (M, S, n), deduplicated when small."""
        M, S, n = bits.shape
        inv = None
        if M * S <= _DEDUP_BITS and n > 1:
            packed = np.packbits(bits.reshape(M * S, n), axis=0)     # (bytes, n)
            keys = np.ascontiguousarray(packed.T).view(f"V{packed.shape[0]}").ravel()
            _, first, inv = np.unique(keys, return_index=True, return_inverse=True)
            bits = bits[:, :, first]
        At = self._scaled(bits)
        # rows scaled: every |entry| < 1 and at most S per row and per column, so
        # sqrt(||A||_1 ||A||_inf) <= S bounds sigma_1 for every trial
        r = run(At, rtol=self.rtol, atol=self.atol, need_rank=False, weights=False,
                scale_exp=0, norm_bound=float(S), semantic=True)
        full = r["full"]
        redo = np.flatnonzero(~r["settled"])
        if redo.size:
            dense = from_band(At[:, :, redo].transpose(2, 0, 1))
            full[redo] = decode_svd(dense, "standard", self.rtol, self.atol, 16)["full"]
        return full if inv is None else full[inv.ravel()]
