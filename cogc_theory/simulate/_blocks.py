r"""Decisions of a block code: small SVDs per block, one per distinct block pattern.

When the support of ``B`` and the links split the clients into disconnected blocks
(fractional repetition; any ``B`` whose graph does, by
:func:`cogc_theory.codes._common.support_blocks`), the effective matrix of a round is
block diagonal after a permutation, and the SVD of a block-diagonal matrix is the union of
its blocks' SVDs. So the rule of the SVD engine (:func:`cogc_theory.decode._svd.decode_svd`,
rows scaled by :func:`cogc_theory._linalg.scale_rows`) is computed block by block, exactly
as stated:

* :math:`\sigma_1` of the round is the largest of the blocks' :math:`\sigma_1`; a singular
  value is retained iff it exceeds :math:`\mathrm{rtol}\,\sigma_1` (this global threshold,
  not a per-block one);
* the distance of :math:`\mathbf 1` to the retained row space is
  :math:`(\sum_{\text{blocks}}\sum_{j\ \text{discarded}}(v_j^\top\mathbf 1_b)^2)^{1/2}`;
  full recovery iff it is at most ``atol``;
* ``individual``: :math:`k\in K` iff :math:`(\sum_{j\ \text{discarded}}v_{jk}^2)^{1/2}\le
  \mathrm{atol}` (the norm of row :math:`k` of the kernel basis lives in :math:`k`'s block);
  ``least-squares``: :math:`k\in K` iff :math:`|1-\sum_{j\ \text{discarded}}v_{jk}\,
  v_j^\top\mathbf 1_b|>\mathrm{atol}`.

A block's matrix depends only on its own channel bits, so each distinct (block, pattern) is
decomposed once when its key fits 62 bits, i.e. for blocks of at most 7 clients (a block of
:math:`b` clients has at most :math:`2^{b^2}` patterns: for fractional repetition with
:math:`s=2`, 512); the per-round work is then :math:`O(M b)` gathers and sums. Larger blocks
cost one SVD per block per round, :math:`O(Mb^2)`. Both run in slices of rounds whose
working arrays hold about :data:`BLOCK_FLOATS` floats (memory :math:`O(Mb)` per round).
Rounding differs from one SVD of the whole matrix, so a round stands only when its decision
is clear (otherwise the caller decodes it densely): no singular value within a factor
:data:`MARGIN` of :math:`\mathrm{rtol}\,\sigma_1`, every retained one at least
:data:`GAMMA_W` :math:`u\,b\sqrt M\sigma_1/\mathrm{atol}` (so that the certificate the SVD
engine computes, :math:`a=t A_r^+`, verifies: it is never downgraded), and every tested
quantity (distance, row norms, projections) away from ``atol`` — at most ``atol / (2M)`` or
at least ``2 atol``. ``max-subset`` extras are not computed here. Standard decoding is the
same rule on the received rows of ``B`` (``received=``).

Examples
--------
>>> import numpy as np
>>> import cogc_theory as ct
>>> net = ct.CooperativeNetwork.fractional(12, 2, uplink_erasure=0.2, link_erasure=0.2)
>>> from cogc_theory.simulate.links import LinkModel
>>> model = LinkModel(net)
>>> dec = BlockDecider(np.asarray(net.B), model)
>>> dec.applies, [g.shape for g in dec.idx]
(True, [(4, 3)])
>>> ok = model.sample_channels(np.random.default_rng(0), (500,))
>>> r = dec.decide(ok, "individual")
>>> d = model.to_draw(ok)
>>> ref = ct.decode.gcplus(d.effective(net.B), d.u, rule="individual")
>>> s = r["settled"]
>>> bool(np.array_equal(r["full"][s], ref.full[s])), bool(np.array_equal(r["size"][s],
...                                                                      ref.size[s]))
(True, True)
>>> float(s.mean())
1.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._linalg import ATOL, RTOL, scale_rows
from ..codes._common import support_blocks

__all__ = ["BLOCK_FLOATS", "GAMMA_W", "MARGIN", "BlockDecider"]

#: Singular values within this factor of the rank threshold leave a round to the caller.
MARGIN = 1e3
#: Smallest retained singular value, in units of u b sqrt(M) sigma_1 / atol.
GAMMA_W = 100.0
_DEDUP_BITS = 62           # deduplicate (block, pattern) keys of at most this many bits
#: Rounds per slice: about this many floats per (g, T, b, b) working array (32 MiB).
BLOCK_FLOATS = 1 << 22


class BlockDecider:
    """GC+ full recovery and ``|K|`` (or standard decoding) of a block code, block by block
    (module docstring).

    Parameters
    ----------
    B : ndarray (M, M)
        The code (finite reals).
    model : LinkModel
        The network's link model (its channels: ``M`` uplinks, then one per used link or
        per reciprocal pair).
    rtol, atol : float

    Attributes
    ----------
    applies : bool
        At least two blocks.
    dedup : bool
        Every block's patterns are deduplicated (blocks of at most 7 clients).
    idx : list of ndarray (g, b)
        The blocks, grouped by size ``b`` (clients in increasing order).
    """

    def __init__(self, B: np.ndarray, model: Any, rtol: float = RTOL,
                 atol: float = ATOL) -> None:
        B = np.asarray(B, dtype=float)
        self.M = B.shape[0]
        self.rtol, self.atol = float(rtol), float(atol)
        chan = model.channel_index()                       # chan[m, k]: channel of k -> m
        blocks = support_blocks((B != 0) | np.asarray(model.link_used))
        self.applies = len(blocks) >= 2
        self.idx: list[np.ndarray] = []
        self._chan: list[np.ndarray] = []
        self._B: list[np.ndarray] = []
        sizes = np.array([blk.size for blk in blocks])
        for b in sorted(set(sizes.tolist())):
            idx = np.array([blk for blk in blocks if blk.size == b], dtype=np.intp)
            self.idx.append(idx)
            self._chan.append(chan[idx[:, :, None], idx[:, None, :]])      # (g, b, b)
            self._B.append(B[idx[:, :, None], idx[:, None, :]])
        #: every (block, pattern) key fits the deduplication (blocks of at most 7 clients)
        self.dedup = bool(self.applies and all(
            g.shape[1] ** 2 + int(np.ceil(np.log2(g.shape[0] + 1))) <= _DEDUP_BITS
            for g in self.idx))

    def decide(self, ok: np.ndarray, rule: str | None = None,
               received: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Channel outcomes ``ok`` (bool ``(T, C)``) to ``full``, ``settled`` and, for
        ``rule`` ``"individual"`` / ``"least-squares"``, ``size`` (``|K|``; ``M`` on full
        recovery) — all ``(T,)``.

        GC+ decides on the arrived effective rows; with ``received`` (bool ``(T, M)``, the
        complete-and-arrived rows) the decision is standard decoding's: the rows of ``B``
        kept where received (``ok`` is then not read)."""
        ok = np.asarray(ok, dtype=bool)
        T = ok.shape[0]
        bmax = max(g.shape[1] for g in self.idx)
        step = max(1, BLOCK_FLOATS // (self.M * bmax))
        if T <= step:
            return self._decide(ok, rule, received)
        parts = [self._decide(ok[lo:lo + step], rule,
                              None if received is None else received[lo:lo + step])
                 for lo in range(0, T, step)]
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    def _decide(self, ok: np.ndarray, rule: str | None,
                received: np.ndarray | None) -> dict[str, np.ndarray]:
        T, M = ok.shape[0], self.M
        okT = np.empty((ok.shape[1] + 1, T), dtype=bool)
        okT[:-1] = ok.T
        okT[-1] = True
        recT = None if received is None else np.asarray(received, dtype=bool).T   # (M, T)
        parts = []
        sig1 = np.zeros(T)
        for idx, chan, Bg in zip(self.idx, self._chan, self._B, strict=True):
            part = self._group(okT, idx, chan, Bg, recT)
            sig1 = np.maximum(sig1, part["S"][..., 0].max(axis=0))
            parts.append(part)
        tau = self.rtol * sig1                                         # (T,)
        u = np.finfo(float).eps
        lo = tau / MARGIN                                              # discarded: below
        hi = np.maximum(MARGIN * tau, GAMMA_W * u * np.sqrt(M) * sig1 / self.atol)
        res2 = np.zeros(T)
        clear = np.ones(T, dtype=bool)
        size = np.zeros(T, dtype=np.int64)
        size_clear = np.ones(T, dtype=bool)
        small, big = self.atol / (2 * M), 2 * self.atol
        for part in parts:
            S, c2, V, v1 = part["S"], part["c2"], part["V"], part["v1"]   # (g, T, b[, b])
            b = S.shape[-1]
            disc = S <= tau[None, :, None]
            gray = np.where(disc, S > lo[None, :, None], S < b * hi[None, :, None])
            clear &= ~gray.any(axis=(0, 2))
            res2 += np.einsum("gtj,gtj->t", c2, disc)
            if rule == "individual":
                col2 = np.einsum("gtj,gtjk->gtk", disc.astype(float), V * V)
                inK = col2 <= self.atol**2
                size += inK.sum(axis=(0, 2))
                size_clear &= np.all((col2 <= small**2) | (col2 >= big**2), axis=(0, 2))
            elif rule == "least-squares":
                proj = 1.0 - np.einsum("gtj,gtjk->gtk", disc * v1, V)
                a = np.abs(proj)
                size += (a > self.atol).sum(axis=(0, 2))
                size_clear &= np.all((a <= small) | (a >= big), axis=(0, 2))
        res = np.sqrt(res2)
        full = res <= self.atol
        clear &= (res <= self.atol / 2) | (res >= big)
        out = {"full": full, "settled": clear}
        if rule in ("individual", "least-squares"):
            out["size"] = np.where(full, M, size)
            out["settled"] = clear & (full | size_clear)
        return out

    def _group(self, okT: np.ndarray, idx: np.ndarray, chan: np.ndarray, Bg: np.ndarray,
               recT: np.ndarray | None) -> dict[str, np.ndarray]:
        """SVD data of every block of one size, per round: ``S`` (g, T, b), ``c2``
        (squared components of 1 on the right singular vectors), ``V`` (g, T, b, b) and
        ``v1`` (their sums)."""
        g, b, _ = Bg.shape
        T = okT.shape[1]
        if recT is None:
            bits = okT[chan] & okT[idx][:, :, None, :]               # (g, b, b, T)
        else:                                                        # whole rows kept
            bits = np.broadcast_to(recT[idx][:, :, None, :], (g, b, b, T))
        nbits = b * b
        keys = None
        if nbits + int(np.ceil(np.log2(g + 1))) <= _DEDUP_BITS:
            w = np.left_shift(np.int64(1), np.arange(nbits, dtype=np.int64))
            pat = np.einsum("gkt,k->gt", bits.reshape(g, nbits, T).astype(np.int64), w)
            keys = pat + (np.arange(g, dtype=np.int64)[:, None] << nbits)
            uniq, inv = np.unique(keys.ravel(), return_inverse=True)
            blk = uniq >> nbits
            ubits = ((uniq & ((np.int64(1) << nbits) - 1))[:, None] >> np.arange(nbits)) & 1
            mats = Bg[blk] * ubits.reshape(-1, b, b)
        else:
            mats = (Bg[:, :, :, None] * bits).transpose(0, 3, 1, 2).reshape(g * T, b, b)
        mats = scale_rows(mats)[0]
        _, S, Vh = np.linalg.svd(mats)
        v1 = Vh.sum(axis=-1)                                         # v_j^T 1
        data = {"S": S, "c2": v1 * v1, "V": Vh, "v1": v1}
        if keys is not None:
            inv = inv.reshape(g, T)
            return {k: v[inv] for k, v in data.items()}
        return {k: v.reshape((g, T) + v.shape[1:]) for k, v in data.items()}
