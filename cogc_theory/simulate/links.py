r"""Sampling the links of a cooperative network: independent, reciprocal, Gilbert–Elliott.

A round of the network is a vector of independent **channels**: the :math:`M` uplinks
(channel :math:`m` carries client :math:`m`'s partial sum to the PS), then one channel per
client link that ``B`` uses (:math:`k\to m` for :math:`k\in N_m`, in row-major order of
``net.link_used``). With ``net.reciprocal`` a pair of clients shares one channel,
:math:`\tau_{mk}=\tau_{km}`, so the link channels are the unordered pairs
:math:`\{m,k\}` of which at least one direction is used. Only links that exist are drawn.

Channel :math:`c` succeeds with probability :math:`1-e_c`; a success bit is
``U >= e_c`` for one uniform ``U`` per channel, drawn as ``rng.random(shape + (C,))``, so a
draw consumes exactly ``prod(shape) * C`` uniforms and is a deterministic function of the
generator's state and the shape. Seeding one generator per chunk of trials therefore makes
Monte Carlo results independent of how chunks are batched.

**Memory across rounds** (``net.memory``, :class:`~cogc_theory.network.GilbertElliott`): every
channel is a two-state Markov chain, erased in the bad state, started from its stationary law,
so each round's marginal is the memoryless one and every per-round formula still applies; only
the rounds are correlated (mean burst length ``mean_burst``).

**Fading.** Under Rayleigh block fading a channel with mean SNR :math:`\bar\gamma` at rate
:math:`R` is erased iff :math:`|h|^2\bar\gamma < 2^R-1` with :math:`|h|^2\sim\mathrm{Exp}(1)`,
an event of probability :func:`cogc_theory.channels.rayleigh_erasure`; build the network with
:func:`cogc_theory.channels.erasures_from_positions` or
:func:`cogc_theory.outage.fading.fading_network` and sample it here.
:func:`sample_rayleigh` draws the gains themselves, for users who want the physical layer.

Examples
--------
>>> import numpy as np
>>> from cogc_theory import CooperativeNetwork
>>> net = CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
>>> model = LinkModel(net)
>>> model.C                        # 4 uplinks + 4 client links
8
>>> d = model.draw(np.random.default_rng(0), (1000,))
>>> d.tau.shape, d.u.shape, d.received.shape
((1000, 4, 4), (1000, 4), (1000, 4))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import check_int, check_rng

__all__ = ["LinkDraw", "LinkModel", "sample_rayleigh"]


def _check_shape(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (int(shape),)
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"shape must be an int or a tuple of ints, got {shape!r}") from None
    for n in shape:
        check_int(n, "shape entries", lo=0)
    return tuple(int(n) for n in shape)


@dataclass(frozen=True)
class LinkDraw:
    r"""Link and uplink outcomes of one or many rounds, leading axes ``shape``.

    Attributes
    ----------
    tau : ndarray of bool (\*shape, M, M)
        ``tau[..., m, k]``: :math:`g_k` reached client :math:`m`. True on the diagonal, False
        where ``k`` is not in :math:`S_m` (no such link).
    u : ndarray of bool (\*shape, M)
        ``u[..., m]``: client :math:`m`'s upload reached the PS.
    link_used : ndarray of bool (M, M)
        The links that exist (``net.link_used``).

    Examples
    --------
    1000 rounds of the :math:`M=4` ring: a client is complete when its one link succeeds
    (probability 0.8) and its partial sum is received when its uplink succeeds too (0.72):

    >>> import numpy as np
    >>> import cogc_theory as ct
    >>> from cogc_theory.simulate import LinkModel
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> d = LinkModel(net).draw(np.random.default_rng(0), (1000,))
    >>> d.shape, d.tau.shape, d.u.shape
    ((1000,), (1000, 4, 4), (1000, 4))
    >>> bool(abs(d.complete.mean() - 0.8) < 0.03), bool(abs(d.received.mean() - 0.72) < 0.03)
    (True, True)
    >>> d.effective(net.B).shape                    # B * tau, round by round
    (1000, 4, 4)
    """

    tau: np.ndarray
    u: np.ndarray
    link_used: np.ndarray

    @property
    def shape(self) -> tuple[int, ...]:
        """The leading (trials / rounds) axes."""
        return self.u.shape[:-1]

    @property
    def complete(self) -> np.ndarray:
        """Bool ``(*shape, M)``: every link client :math:`m` needs succeeded."""
        return np.all(self.tau | ~self.link_used, axis=-1)

    @property
    def received(self) -> np.ndarray:
        """Bool ``(*shape, M)``: complete **and** arrived — what standard decoding uses."""
        return self.complete & self.u

    def effective(self, B: Any) -> np.ndarray:
        r"""The effective matrices :math:`\tilde B = B\circ\tau`, float ``(*shape, M, M)``."""
        B = np.asarray(B, dtype=float)
        if B.shape != self.link_used.shape:
            raise ValueError(f"B must have shape {self.link_used.shape} like the network, "
                             f"got {B.shape}")
        return B * self.tau

    def __getitem__(self, idx: Any) -> LinkDraw:
        tau, u = self.tau[idx], self.u[idx]
        if u.ndim < 1 or tau.shape[-2:] != self.link_used.shape:
            raise IndexError("index only the leading (trials / rounds) axes of a LinkDraw")
        return LinkDraw(tau, u, self.link_used)


class LinkModel:
    r"""The channels of a numeric :class:`~cogc_theory.network.CooperativeNetwork`.

    Parameters
    ----------
    net : CooperativeNetwork
        Numeric (substitute symbols first with ``net.subs``).

    Attributes
    ----------
    M : int
    C : int
        Number of independent channels (uplinks first).
    erasure : ndarray (C,)
        Erasure probability of each channel.
    links : ndarray of int (C - M, 2)
        ``(m, k)`` of each link channel (for reciprocal links, ``m < k`` and the channel also
        drives ``(k, m)``).

    Examples
    --------
    Four uplinks and four links (client :math:`m` hears :math:`m+1`), each an independent
    channel; all eight succeed with probability :math:`0.9^4\,0.8^4`:

    >>> import numpy as np
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> model = LinkModel(net)
    >>> model.C, model.erasure.tolist(), model.links.tolist()
    (8, [0.1, 0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.2], [[0, 1], [1, 2], [2, 3], [3, 0]])
    >>> bool(np.isclose(model.log_prob(np.ones((1, 8), dtype=bool))[0], np.log(0.9**4 * 0.8**4)))
    True
    """

    def __init__(self, net: Any) -> None:
        from ..network import CooperativeNetwork

        if not isinstance(net, CooperativeNetwork):
            raise TypeError(f"net must be a CooperativeNetwork, got {type(net).__name__}")
        if net.is_symbolic:
            raise ValueError("net has symbolic erasure probabilities; substitute numbers first "
                             "(net.subs({symbol: value, ...})) to simulate it")
        p, eps = net.numeric()
        used = np.asarray(net.link_used)
        self.net = net
        self.M: int = net.M
        self.reciprocal: bool = bool(net.reciprocal)
        if self.reciprocal:
            pairs = used | used.T
            m_idx, k_idx = np.nonzero(np.triu(pairs, 1))
            # the network checked eps[m, k] == eps[k, m] where both are used
            e_link = np.where(used[m_idx, k_idx], eps[m_idx, k_idx], eps[k_idx, m_idx])
        else:
            m_idx, k_idx = np.nonzero(used)
            e_link = eps[m_idx, k_idx]
        self.links = np.stack([m_idx, k_idx], axis=1).astype(np.intp)
        self.erasure = np.concatenate([p, e_link]).astype(float)
        self.erasure.setflags(write=False)
        self.C: int = self.erasure.shape[0]
        self.link_used = used
        self.memory = net.memory
        if self.memory is not None:
            self._g2b, self._b2g = self.memory.transitions(self.erasure)

    def __repr__(self) -> str:
        kind = "reciprocal" if self.reciprocal else "independent"
        mem = f", memory={self.memory}" if self.memory is not None else ""
        return f"LinkModel(M={self.M}, C={self.C}, {kind}{mem})"

    # ------------------------------------------------------------------ channels
    def _check_erasure(self, erasure: Any) -> np.ndarray:
        if erasure is None:
            return self.erasure
        e = np.asarray(erasure, dtype=float)
        if e.shape != (self.C,):
            raise ValueError(f"erasure must have shape ({self.C},), one probability per channel "
                             f"(uplinks first), got {e.shape}")
        if not np.all(np.isfinite(e)) or np.any((e < 0) | (e > 1)):
            raise ValueError("erasure must hold finite probabilities in [0, 1]")
        return e

    def sample_channels(self, rng: Any, shape: Any = (), *, erasure: Any = None) -> np.ndarray:
        """Independent channel successes, bool ``shape + (C,)`` (True = success).

        ``erasure`` overrides the per-channel probabilities (importance sampling).
        """
        rng = check_rng(rng, "rng")
        shape = _check_shape(shape)
        e = self._check_erasure(erasure)
        return rng.random(shape + (self.C,)) >= e

    def _check_ok(self, ok: Any) -> np.ndarray:
        """Channel outcomes as a bool array ``(..., C)`` (booleans or 0/1 only)."""
        arr = np.asarray(ok)
        if arr.dtype != bool:
            if arr.dtype.kind not in "iuf" or not np.all(np.isin(arr, (0, 1))):
                raise TypeError(f"ok must hold channel outcomes as booleans (or 0/1), got "
                                f"dtype {arr.dtype}")
            arr = arr.astype(bool)
        if arr.shape[-1:] != (self.C,):
            raise ValueError(f"ok must have last axis {self.C} (channels), got {arr.shape}")
        return arr

    def log_prob(self, ok: Any, *, erasure: Any = None) -> np.ndarray:
        r"""Log-probability of channel outcomes ``ok`` (bool ``(..., C)``) under ``erasure``.

        :math:`\sum_c \log\big(\mathbb 1[\mathrm{ok}_c](1-e_c)
        + \mathbb 1[\lnot\mathrm{ok}_c]\,e_c\big)`; ``-inf`` for an outcome of probability zero.
        """
        ok = self._check_ok(ok)
        e = self._check_erasure(erasure)
        with np.errstate(divide="ignore"):
            log_s, log_f = np.log1p(-e), np.log(e)
        return np.where(ok, log_s, log_f).sum(axis=-1)

    def channel_index(self) -> np.ndarray:
        """``chan[m, k]``: the channel of the link ``k -> m`` (intp ``(M, M)``), ``C`` where
        no channel is drawn (the diagonal, unused links); index channel bits extended by an
        always-true channel ``C``.

        Examples
        --------
        >>> import cogc_theory as ct
        >>> model = LinkModel(ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1,
        ...                                                link_erasure=0.1))
        >>> model.channel_index().tolist()                 # links k -> m for k = m + 1
        [[8, 4, 8, 8], [8, 8, 5, 8], [8, 8, 8, 6], [7, 8, 8, 8]]
        """
        M, C = self.M, self.C
        chan = np.full((M, M), C, dtype=np.intp)
        m, k = self.links[:, 0], self.links[:, 1]
        chan[m, k] = M + np.arange(len(m))
        if self.reciprocal:
            chan[k, m] = M + np.arange(len(m))
        return np.where(self.link_used, chan, C)

    def to_draw(self, ok: Any) -> LinkDraw:
        """Turn channel successes (bool ``(..., C)``) into a :class:`LinkDraw`."""
        ok = self._check_ok(ok)
        shape = ok.shape[:-1]
        M = self.M
        tau = np.zeros(shape + (M, M), dtype=bool)
        idx = np.arange(M)
        tau[..., idx, idx] = True
        m, k = self.links[:, 0], self.links[:, 1]
        link_ok = ok[..., M:]
        tau[..., m, k] = link_ok
        if self.reciprocal:
            tau[..., k, m] = link_ok
            tau &= self.link_used | np.eye(M, dtype=bool)
        return LinkDraw(tau, ok[..., :M].copy(), self.link_used)

    # ------------------------------------------------------------------ rounds
    def draw(self, rng: Any, shape: Any = ()) -> LinkDraw:
        """One round per entry of ``shape``, independent (each channel at its marginal)."""
        return self.to_draw(self.sample_channels(rng, shape))

    def sample_channel_rounds(self, rng: Any, rounds: int, shape: Any = ()) -> np.ndarray:
        """Channel successes over ``rounds`` rounds, bool ``(rounds, *shape, C)``.

        Without memory the rounds are independent (one ``rng.random((rounds, *shape, C))``
        call). With Gilbert–Elliott memory round 0 is stationary and each later round draws
        ``rng.random(shape + (C,))`` once for the chain transitions.
        """
        rng = check_rng(rng, "rng")
        rounds = check_int(rounds, "rounds", lo=0)
        shape = _check_shape(shape)
        if self.memory is None:
            return rng.random((rounds,) + shape + (self.C,)) >= self.erasure
        out = np.empty((rounds,) + shape + (self.C,), dtype=bool)
        if rounds == 0:
            return out
        bad = rng.random(shape + (self.C,)) < self.erasure
        out[0] = ~bad
        for t in range(1, rounds):
            U = rng.random(shape + (self.C,))
            bad = np.where(bad, U >= self._b2g, U < self._g2b)
            out[t] = ~bad
        return out

    def draw_rounds(self, rng: Any, rounds: int, shape: Any = ()) -> LinkDraw:
        """Rounds along a leading axis: a :class:`LinkDraw` of shape ``(rounds, *shape)``."""
        return self.to_draw(self.sample_channel_rounds(rng, rounds, shape))


def sample_rayleigh(snr: Any, rate: Any, rng: Any, shape: Any = ()) -> np.ndarray:
    r"""Successes of Rayleigh block-fading channels, bool ``shape + snr.shape``.

    Draws power gains :math:`|h|^2\sim\mathrm{Exp}(1)` and declares success iff
    :math:`|h|^2\,\bar\gamma \ge 2^R-1`, so a channel is erased with probability
    :math:`1-e^{-(2^R-1)/\bar\gamma}` (:func:`cogc_theory.channels.rayleigh_erasure`).

    Parameters
    ----------
    snr : array_like
        Mean SNR of each channel (linear, > 0).
    rate : float or array_like
        Rate threshold in bit/s/Hz (> 0), broadcast against ``snr``.

    Examples
    --------
    A Rayleigh link at rate 1 succeeds with probability :math:`e^{-1/\bar\gamma}`: 0.368 at
    mean SNR 1, 0.990 at 100:

    >>> import numpy as np
    >>> ok = sample_rayleigh(np.array([1.0, 100.0]), 1.0, np.random.default_rng(0), (100_000,))
    >>> ok.shape, np.round(ok.mean(axis=0), 2).tolist()
    ((100000, 2), [0.37, 0.99])
    """
    rng = check_rng(rng, "rng")
    shape = _check_shape(shape)
    snr = np.asarray(snr, dtype=float)
    rate = np.asarray(rate, dtype=float)
    if not np.all(np.isfinite(snr)) or np.any(snr <= 0):
        raise ValueError("snr must hold finite positive mean SNRs (linear scale, not dB)")
    if not np.all(np.isfinite(rate)) or np.any(rate <= 0):
        raise ValueError("rate must be finite and positive (bit/s/Hz)")
    gain = rng.exponential(1.0, size=shape + np.broadcast_shapes(snr.shape, rate.shape))
    return gain * snr >= np.expm1(rate * math.log(2))
