r"""Outage Monte Carlo that decides by structure: the fast routes of ``OutageSystem``.

:class:`FastOutageSystem` has the interface of
:class:`cogc_theory.simulate.outage_mc.OutageSystem` — ``model`` (the
:class:`~cogc_theory.simulate.links.LinkModel`) and ``failures(ok) -> (failures, extras)``
for channel outcomes ``ok`` (bool ``(T, C)``) — and returns the same failures, decided per
trial from its own channel bits (so results do not depend on how trials are batched). It
never builds the ``(T, M, M)`` link or effective matrices. One exception to "the same": a
round that the exact rtol/atol rule decodes but whose float certificate does not verify
within ``atol`` in every order of evaluation (weights of :math:`10^6` and more) is an
outage for the decoders, which downgrade it, and decoded here (the count route counts rows;
the certificates here prove the rule). On the default cyclic code at :math:`M=100`,
:math:`p=0.02` that is 2 rounds in 10,000; ``benchmarks/bench_scale.py`` reports them.
Routes, in order:

* **standard decoding, threshold family** (``threshold=t``: the caller knows that the
  decodable sets are exactly those of at least :math:`t` complete-and-arrived rows, e.g. by a
  theorem on the code): a round fails iff fewer than :math:`t` rows are received —
  :math:`O(C)` per trial (reading the channel bits), no linear algebra;
* **erased rows** (standard decoding, any ``B`` with :math:`\mathbf 1` in its row space,
  :math:`M\le` :data:`ERASURES_MAX_M`, a left null space of dimension :math:`d\le 64`):
  :class:`~cogc_theory.simulate._erasures.ErasureDecider` decides from the erased rows — an
  :math:`e\times d` least-squares problem against the left null space of ``B`` (:math:`d=s`
  for a gradient code) and three products with precomputed :math:`M\times M` matrices,
  :math:`O(M^2+Md^2)` per trial, each outcome with a certificate of the exact rtol/atol
  rule; the trials it cannot settle go to the banded engine (cyclic band) or to
  :func:`cogc_theory.decode.standard`;
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
* **blocks** (the support of ``B`` and the links split the clients into at least two
  disconnected blocks, e.g. fractional repetition; GC+ and standard decoding; taken before
  the erased-rows and banded routes when every block has at most 7 clients, so that its
  patterns are deduplicated, after them otherwise):
  :class:`~cogc_theory.simulate._blocks.BlockDecider` computes the SVD engine's rule block
  by block (the SVD of a block-diagonal matrix is the union of the blocks'), one small SVD
  per distinct (block, pattern), :math:`O(Mb)` per trial for blocks of :math:`b` clients;
  rounds whose decision is not clear of the tolerances, and the ``max-subset`` extras of
  the rounds without full recovery, go to :func:`cogc_theory.decode.gcplus`;
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
from scipy import sparse

from .. import decode
from .._linalg import ATOL, RTOL, check_tolerance
from ..decode._banded import band_colsum, cyclic_bandwidth, from_band, individual, run, to_band
from ..decode._svd import decode_svd
from ..vocabulary import DECODERS, RULES
from ._blocks import BlockDecider
from ._erasures import ErasureDecider
from .links import LinkModel

__all__ = ["FastOutageSystem"]

_DEDUP_BITS = 128          # deduplicate band patterns of at most this many bits
#: Largest M of the erased-rows route (it holds two dense M x M matrices: 64 MiB here).
ERASURES_MAX_M = 2048


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
    route : {"auto", "count", "erasures", "banded", "blocks"}
        ``"auto"`` takes the first route that applies, in the order of the module
        docstring; a named route must apply (``ValueError`` otherwise), e.g. to compare
        routes on the same rounds.

    Attributes
    ----------
    route : str
        ``"count"`` (standard with ``threshold``), ``"erasures"`` (standard otherwise),
        ``"banded"`` (GC+ on a cyclic band; standard above ``ERASURES_MAX_M``),
        ``"blocks"`` (a block code) or ``"dense"`` (no route applies:
        :meth:`failures` refuses, ``OutageSystem`` decodes densely).
    """

    def __init__(self, net: Any, decoder: str = "standard", rule: str = "individual", *,
                 threshold: int | None = None, extras: bool = True,
                 rtol: float = RTOL, atol: float = ATOL, route: str = "auto") -> None:
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
        self._erasures = self._blocks = None
        routes = ("auto", "count", "erasures", "banded", "blocks")
        if not isinstance(route, str) or route not in routes:
            raise ValueError(f"route must be one of {routes}, got {route!r}")
        std = decoder == "standard"
        applies = {"count": lambda: std and threshold is not None,
                   "erasures": lambda: std and M <= ERASURES_MAX_M and self._erasure_decider(),
                   "banded": lambda: self.s is not None,
                   "blocks": lambda: self._block_decider()}
        if route == "auto" and self._block_decider() and self._blocks.dedup:
            applies = {"count": applies["count"], "blocks": lambda: True}   # the fastest
        if route == "auto":
            self.route = next((r for r, ok in applies.items() if ok()), "dense")
        elif applies[route]():
            self.route = route
        else:
            raise ValueError(f"route {route!r} does not apply to this network and decoder "
                             "(see the FastOutageSystem docstring); use route='auto'")
        self._maps()

    def _block_decider(self) -> bool:
        """Build the block decider; whether the network splits into blocks."""
        dec = BlockDecider(self.B, self.model, self.rtol, self.atol)
        self._blocks = dec if dec.applies else None
        return dec.applies

    def _erasure_decider(self) -> bool:
        """Build the erased-rows decider; whether it applies (``1`` in the row space)."""
        if not np.all(np.isfinite(self.B)):
            return False
        dec = ErasureDecider(self.B, self.rtol, self.atol)
        self._erasures = dec if dec.applies else None
        self._cover = sparse.csr_matrix((self.B != 0).T.astype(np.float32))
        return dec.applies

    # ------------------------------------------------------------------ channel maps
    def _maps(self) -> None:
        """Channel index of every link a client needs (``C`` = always succeeds)."""
        M, C = self.M, self.model.C
        chan = self.model.channel_index()                  # chan[m, k]: channel of k -> m
        used = np.asarray(self.model.link_used)
        width = max(1, int(used.sum(axis=1).max())) if used.any() else 1
        need = np.full((M, width), C, dtype=np.intp)
        for m in range(M):
            ks = np.flatnonzero(used[m])
            need[m, :ks.size] = chan[m, ks]
        self._need = need                                  # (M, L): links of client m
        if self.s is not None:
            self._band_chan = to_band(chan, self.s)        # (M, S)
            Bb = self._Bb = to_band(self.B, self.s)        # (M, S)
            # row scaling by table (_scaled): frexp exponents offset by _EXP_OFF (0 marks a
            # zero entry), exact while every nonzero |entry| has its exponent in +-1000
            expo = np.frexp(np.abs(Bb))[1]
            nz = Bb != 0
            self._Bexp = None
            if np.all(np.isfinite(Bb)) and np.all(np.abs(expo[nz]) <= 1000):
                self._Bexp = np.where(nz, expo + _EXP_OFF, 0).astype(np.int16)

    def _scaled(self, bits: np.ndarray) -> np.ndarray:
        """The band matrices (M, S, n) of the rows of ``B`` kept by ``bits``, each row scaled
        by the power of two that puts its largest entry in [1/2, 1) (exact; the float
        decoders' :func:`cogc_theory._linalg.scale_rows`, so the decisions are theirs)."""
        At = np.multiply(self._Bb[:, :, None], bits)
        if self._Bexp is None:
            e = np.frexp(np.abs(At).max(axis=1))[1]       # (M, n)
            return np.ldexp(At, -e[:, None, :])
        # the exponent of a row's largest kept entry is the largest kept exponent; the
        # factor 2**-e is exact (|e| <= 1000) and so is the product (a power of two)
        e = (bits * self._Bexp[:, :, None]).max(axis=1)  # (M, n), 0: nothing kept
        At *= _POW2[e][:, None, :]
        return At

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
        if self.route == "erasures":
            # exact screen: a column no received row covers is a kernel vector e_k with
            # 1^T e_k = 1, so the round fails (distance >= 1 > atol); the others are decided
            covered = (self._cover @ received.astype(np.float32)) > 0        # (M, T)
            todo = np.flatnonzero(covered.all(axis=0))
            full = np.zeros(T, dtype=bool)
            full[todo], settled = self._erasures.decide(received.T[todo])
            rest = todo[~settled]
            if rest.size and self.s is not None:
                # the banded route's rule (semantic certificates, else the SVD engine) for
                # any number of rounds: a round's decision must not depend on how many
                # others the erased-rows decider left (the float decoder would downgrade a
                # round whose certificate rounds to within atol, the rule does not)
                bits = np.broadcast_to(received[:, None, rest],
                                       (M, self._band_chan.shape[1], rest.size))
                full[rest] = self._banded(bits)
            elif rest.size:                                # at most 32 MiB of matrices
                for idx in _stacks(rest, M):
                    full[idx] = np.asarray(decode.standard(self.B, received.T[idx],
                                                           rtol=self.rtol, atol=self.atol).full)
            return ~full, {}
        if self.route == "blocks":
            return self._by_blocks(ok, None if gc else received.T)
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

    def _by_blocks(self, ok: np.ndarray,
                   received: np.ndarray | None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Decisions by blocks (standard decoding when ``received`` (T, M) is given); the
        rounds it leaves (and GC+ max-subset extras) are decoded densely."""
        M = self.M
        if received is not None:
            r = self._blocks.decide(ok, None, received)
            full = r["full"]
            rest = np.flatnonzero(~r["settled"])
            for idx in _stacks(rest, M):
                full[idx] = np.asarray(decode.standard(self.B, received[idx], rtol=self.rtol,
                                                       atol=self.atol).full)
            return ~full, {}
        rule = self.rule if self.extras and self.rule != "max-subset" else None
        r = self._blocks.decide(ok, rule)
        full = r["full"]
        size = r.get("size", np.where(full, M, 0)).astype(np.int64)
        rest = np.flatnonzero(~r["settled"])
        if self.extras and self.rule == "max-subset":
            rest = np.union1d(rest, np.flatnonzero(~full))
        for idx in _stacks(rest, M):
            d = self.model.to_draw(ok[idx])
            # max-subset beyond the enumeration: block by block (decode.gcplus, B=)
            extra = {"B": self.B} if self.rule == "max-subset" else {}
            res = decode.gcplus(d.effective(self.B), d.u, rule=self.rule,
                                rtol=self.rtol, atol=self.atol, **extra)
            full[idx], size[idx] = res.full, res.size
        if not self.extras:
            return ~full, {}
        return ~full, {"recovered_size": size, "total_outage": size == 0}

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


#: Offset of the stored exponents, and 2**-(k - _EXP_OFF) for k >= 1 (1.0 for k = 0: a row
#: with nothing kept), the row scale factors of ``_scaled``.
_EXP_OFF = 1100
with np.errstate(over="ignore"):
    _POW2 = np.where(np.arange(2 * _EXP_OFF) > 0,
                     np.ldexp(1.0, _EXP_OFF - np.arange(2 * _EXP_OFF)), 1.0)


def _stacks(rows: np.ndarray, M: int) -> list[np.ndarray]:
    """``rows`` in pieces of at most 32 MiB of ``(M, M)`` float matrices (the dense
    decoders' stacks: unbounded, 40,000 rounds at M = 300 took 29 GB)."""
    per = max(1, (1 << 25) // (8 * M * M))
    return [rows[lo:lo + per] for lo in range(0, rows.size, per)]
