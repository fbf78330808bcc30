r"""The law of the recovered set :math:`K` of one round, exactly.

In a round the server updates with :math:`\frac1{|K|}\sum_{j\in K}g_j` (full recovery:
:math:`K=[M]`; outage: :math:`K=\emptyset`, no update). What the convergence analysis of
:mod:`cogc_theory.bounds._distance` and the exact second-moment recursion of
:mod:`cogc_theory.validation.bounds_vs_simulation` need of that law are its outcome
probabilities and, over the **partial** outcomes :math:`\emptyset\ne K\ne[M]`, the first- and
second-order inclusion weights

.. math:: \pi_j=\mathbb E\Big[\frac{\mathbf 1\{j\in K\}}{|K|};\ \text{partial}\Big],\qquad
          W_{jl}=\mathbb E\Big[\frac{\mathbf 1\{j\in K\}\mathbf 1\{l\in K\}}{|K|^2};\
          \text{partial}\Big],

so that :math:`\mathbb E[v_K;\text{partial}]=\pi` and :math:`\mathbb E[v_Kv_K^\top;
\text{partial}]=W` for :math:`v_K=\mathbf 1_K/|K|`; :math:`W\succeq0`, its row sums are
:math:`\pi` and :math:`\sum_j\pi_j=P(\text{partial})`.

How each scheme's law is obtained (SPEC 3, 5):

* ``"ideal"``: full recovery always; ``"cogc"``: full with probability
  :math:`1-P_\mathrm{out}` (:func:`cogc_theory.outage.cogc`), else outage; ``"gc"`` (classic
  gradient coding with replication): the same with complete rows, i.e. the outage of the
  network with reliable client links;
* ``"fedavg"``: :math:`K` is the set of arrived uplinks, independent Bernoulli(:math:`1-p_m`);
  all :math:`2^M` sets are enumerated (:math:`M\le20`);
* ``"gcplus"``: every client-state pattern is enumerated (:mod:`cogc_theory.outage._states`,
  :math:`\prod_m(1+2^{|N_m|})` patterns, refused beyond :data:`MAX_PATTERNS`). The
  ``"individual"`` rule reads :math:`K` from the float decision table (the one
  :func:`cogc_theory.outage.gcplus_distribution` uses); ``"max-subset"`` decodes each pattern
  with :func:`cogc_theory.decode.gcplus`, the simulator's decoder (at most
  :data:`~cogc_theory.outage.gcplus.MAX_SUBSET_PATTERNS` patterns). Cost: one decision per
  pattern, :math:`O(\prod_m(1+2^{|N_m|}))` — about 10 s for the cyclic code with
  :math:`M=10, s=2` (:math:`5^{10}` patterns); the table of sets is cached per :math:`B`, so
  other erasure probabilities cost one weighted count each. Beyond the limit, Monte Carlo
  (``ct.simulate.outage``) estimates the law instead.

Examples
--------
>>> import cogc_theory as ct
>>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.2, link_erasure=0.2, seed=0)
>>> law = recovery_law(net, "gcplus", rule="max-subset")
>>> round(law.P_full + law.P_partial + law.P_outage, 12)
1.0
>>> bool(np.allclose(law.W2.sum(axis=1), law.pi))
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["MAX_PATTERNS", "SCHEMES", "RecoveryLaw", "recovery_law"]

#: Schemes with a recovery law.
SCHEMES = ("ideal", "cogc", "gcplus", "fedavg", "gc")
#: Largest number of client-state patterns enumerated for the GC+ law.
MAX_PATTERNS = 20_000_000
#: Largest M for which the law over all 2**M sets is kept.
_MAX_SET_M = 20
_SETS_CACHE: dict[tuple, np.ndarray] = {}


@dataclass(frozen=True, eq=False)
class RecoveryLaw:
    r"""Law of the recovered set :math:`K` (see the module docs).

    Attributes
    ----------
    scheme : str
    rule : str or None
        GC+ subset rule.
    M : int
    P_outage, P_full : float
        :math:`P(K=\emptyset)`, :math:`P(K=[M])`.
    size_pmf : ndarray (M + 1,)
        :math:`P(|K|=k)`.
    pi : ndarray (M,)
    W2 : ndarray (M, M)
    sets : ndarray of int64 (n,)
        The partial sets with positive probability, as bit masks (bit ``j``: client ``j``).
    set_prob : ndarray (n,)
        Their probabilities.
    method : str
        How the law was obtained.

    Examples
    --------
    CoGC recovers all or nothing; GC+ (individual rule) on the :math:`M=4` ring also recovers
    partial sets, each client with the same inclusion probability by symmetry:

    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> law = ct.bounds.recovery_law(net, "cogc")
    >>> law.size_pmf.round(8)                         # P(|K| = 0..4): outage or full
    array([0.31322368, 0.        , 0.        , 0.        , 0.68677632])
    >>> plus = ct.bounds.recovery_law(net, "gcplus", rule="individual")
    >>> round(plus.P_full, 7), round(plus.P_partial, 7)
    (0.8053992, 0.1605168)
    >>> bool(abs(plus.pi - plus.pi[0]).max() < 1e-12)
    True
    """

    scheme: str
    rule: str | None
    M: int
    P_outage: float
    P_full: float
    size_pmf: np.ndarray
    pi: np.ndarray
    W2: np.ndarray
    sets: np.ndarray
    set_prob: np.ndarray
    method: str

    @property
    def P_partial(self) -> float:
        """:math:`P(\\emptyset\\ne K\\ne[M])`."""
        return float(self.set_prob.sum())

    @property
    def inv_size(self) -> float:
        r""":math:`\mathbb E[1/|K|;\ \text{partial}]=\operatorname{tr}W` (noise of a partial
        round)."""
        return float(np.trace(self.W2))

    @property
    def lam_perp(self) -> float:
        r""":math:`\lambda_{\max}(PWP)`, :math:`P=I-\frac1M\mathbf 1\mathbf 1^\top`: the
        largest :math:`d^\top Wd/\lVert d\rVert^2` over vectors summing to zero (client
        gradients at the optimum), so :math:`\mathbb E[\lVert\beta_K\rVert^2;\text{partial}]
        \le\lambda_\perp M\zeta_\star^2`."""
        P = np.eye(self.M) - 1.0 / self.M
        return float(max(np.linalg.eigvalsh(P @ self.W2 @ P)[-1], 0.0))

    @property
    def pi_spread(self) -> float:
        r""":math:`\lVert\pi-\bar\pi\mathbf 1\rVert_2`: zero when every client is recovered
        with the same weight (then a partial round is unbiased in expectation)."""
        return float(np.linalg.norm(self.pi - self.pi.mean()))

    def members(self) -> np.ndarray:
        """Bool ``(n, M)``: the partial sets as rows."""
        return ((self.sets[:, None] >> np.arange(self.M)) & 1).astype(bool)

    def set_means(self, x: Any) -> np.ndarray:
        r""":math:`\frac1{|K|}\sum_{j\in K}x_j` for every partial set, ``(n,)``."""
        x = np.asarray(x, dtype=float)
        if x.shape != (self.M,):
            raise ValueError(f"x must have one value per client, shape ({self.M},), got "
                             f"{x.shape}")
        S = self.members()
        return (S @ x) / S.sum(axis=1)

    @classmethod
    def from_sets(cls, probabilities: Any, M: int, *, scheme: str = "gcplus",
                  rule: str | None = None) -> RecoveryLaw:
        """A law given directly: ``{K: P(K)}`` with ``K`` an iterable of client indices
        (``()`` an outage, all ``M`` clients full recovery); the probabilities must sum to 1.

        Examples
        --------
        >>> law = RecoveryLaw.from_sets({(): 0.2, (0,): 0.1, (1,): 0.1, (0, 1): 0.6}, M=2)
        >>> law.P_partial, law.pi.tolist(), law.W2.tolist()
        (0.2, [0.1, 0.1], [[0.1, 0.0], [0.0, 0.1]])
        """
        if isinstance(M, bool) or not isinstance(M, int) or not 1 <= M <= _MAX_SET_M:
            raise ValueError(f"M must be an integer in [1, {_MAX_SET_M}], got {M!r}")
        if scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
        law = np.zeros(1 << M)
        for K, p in dict(probabilities).items():
            idx = sorted(set(int(k) for k in K))
            if any(not 0 <= k < M for k in idx):
                raise ValueError(f"sets must hold client indices in 0..{M - 1}, got {K!r}")
            p = float(p)
            if not (math.isfinite(p) and 0 <= p <= 1):
                raise ValueError(f"P({K!r}) must be a probability, got {p!r}")
            law[sum(1 << k for k in idx)] += p
        if abs(law.sum() - 1.0) > 1e-9:
            raise ValueError(f"the probabilities must sum to 1, got {law.sum()!r}")
        return _from_set_law(scheme, rule, M, law, "given")

    def __repr__(self) -> str:
        rule = f", rule={self.rule!r}" if self.rule else ""
        return (f"RecoveryLaw(scheme={self.scheme!r}{rule}, M={self.M}, full={self.P_full:.6g}, "
                f"partial={self.P_partial:.6g}, outage={self.P_outage:.6g}, "
                f"lam_perp={self.lam_perp:.4g}, pi_spread={self.pi_spread:.3g})")


def _from_set_law(scheme: str, rule: str | None, M: int, law: np.ndarray,
                  method: str) -> RecoveryLaw:
    """A :class:`RecoveryLaw` from probabilities over all ``2**M`` sets (index = bit mask)."""
    codes = np.arange(law.size, dtype=np.int64)
    S = ((codes[:, None] >> np.arange(M)) & 1).astype(float)
    size = S.sum(axis=1).astype(int)
    full = codes == (1 << M) - 1
    part = (size > 0) & ~full & (law > 0)
    V = S[part] / size[part, None]
    w = law[part]
    return RecoveryLaw(scheme, rule, M, float(law[0]), float(law[full].sum()),
                       np.bincount(size, weights=law, minlength=M + 1), w @ V,
                       (V * w[:, None]).T @ V, codes[part], w, method)


def _binary(scheme: str, M: int, P_out: float, method: str) -> RecoveryLaw:
    pmf = np.zeros(M + 1)
    pmf[0], pmf[M] = P_out, 1.0 - P_out
    return RecoveryLaw(scheme, None, M, P_out, 1.0 - P_out, pmf, np.zeros(M),
                       np.zeros((M, M)), np.zeros(0, dtype=np.int64), np.zeros(0), method)


def _pattern_weights(net: Any) -> np.ndarray:
    """Probability of every client-state pattern, flat in the tables' order."""
    from ..outage import _states

    q = [np.array([float(x) for x in qm]) for qm in _states.state_probabilities(net)]
    out = q[0]
    for qm in q[1:]:
        out = np.multiply.outer(out, qm).ravel()
    return out


def individual_sets(net: Any) -> np.ndarray:
    """Individual-rule set of every pattern (bit masks, flat), from the float decision table."""
    from .._linalg import DEFAULT_TOL
    from ..outage import _states

    key = (net.B.tobytes(), net.B.shape, "individual")
    hit = _SETS_CACHE.get(key)
    if hit is not None:
        return hit
    rows = _states.state_rows(net)
    sets = np.zeros(math.prod(r.shape[0] for r in rows), dtype=np.int64)
    _states.float_table(rows, DEFAULT_TOL, prune_cover=False, sets=sets)
    sets.setflags(write=False)
    if len(_SETS_CACHE) > 4:
        _SETS_CACHE.clear()
    _SETS_CACHE[key] = sets
    return sets


def decoded_sets(net: Any, rule: str) -> np.ndarray:
    """Set of every pattern by the simulator's decoder (one batched call per chunk)."""
    from .. import decode
    from ..outage import _states

    key = (net.B.tobytes(), net.B.shape, rule)
    hit = _SETS_CACHE.get(key)
    if hit is not None:
        return hit
    rows = _states.state_rows(net)
    sizes = [r.shape[0] for r in rows]
    n = math.prod(sizes)
    out = np.empty(n, dtype=np.int64)
    bits = 1 << np.arange(net.M)
    for lo in range(0, n, 50_000):
        idx = np.arange(lo, min(n, lo + 50_000))
        st = np.array(np.unravel_index(idx, sizes)).T                      # (c, M)
        Bt = np.stack([rows[m][st[:, m]] for m in range(net.M)], axis=1)  # (c, M, M)
        r = decode.gcplus(Bt, st > 0, rule=rule)
        K = np.where(np.asarray(r.full)[:, None], True, np.asarray(r.recovered))
        out[idx] = K.astype(np.int64) @ bits
    out.setflags(write=False)
    if len(_SETS_CACHE) > 4:
        _SETS_CACHE.clear()
    _SETS_CACHE[key] = out
    return out


def recovery_law(net: Any, scheme: str = "gcplus", *, rule: str = "auto") -> RecoveryLaw:
    r"""The exact law of the recovered set of ``scheme`` on ``net`` (see the module docs).

    Parameters
    ----------
    net : CooperativeNetwork
        Numeric, memoryless; GC+ also needs independent (not reciprocal) links.
    scheme : {"ideal", "cogc", "gcplus", "fedavg", "gc"}
    rule : {"auto", "max-subset", "individual"}
        GC+ subset rule; ``"auto"``: max-subset when the network has at most
        :data:`~cogc_theory.outage.gcplus.MAX_SUBSET_PATTERNS` client-state patterns, else
        individual (as the report and the bounds-vs-simulation study do).

    Returns
    -------
    RecoveryLaw

    Raises
    ------
    ValueError
        Unknown scheme or rule, a symbolic or Gilbert–Elliott network, reciprocal links (GC+),
        or an enumeration out of reach (the message names the Monte Carlo alternative).

    Examples
    --------
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> law = recovery_law(net, "cogc")
    >>> round(law.P_outage, 6), law.P_partial
    (0.313224, 0.0)
    >>> f = recovery_law(net, "fedavg")          # K = the arrived clients
    >>> round(f.P_full, 6), round(float(f.pi.sum()), 6)    # 0.9**4, P(partial)
    (0.6561, 0.3438)
    """
    from ..network import CooperativeNetwork
    from ..outage import _states
    from ..outage.gcplus import MAX_SUBSET_PATTERNS

    if not isinstance(net, CooperativeNetwork):
        raise TypeError(f"net must be a CooperativeNetwork, got {type(net).__name__}")
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    if rule not in ("auto", "max-subset", "individual"):
        raise ValueError(f"rule must be 'auto', 'max-subset' or 'individual', got {rule!r}")
    if net.is_symbolic:
        raise ValueError("net has symbolic erasure probabilities; substitute numbers with "
                         "net.subs({...}) first")
    if net.memory is not None:
        raise ValueError("the recovery law is per round and i.i.d. across rounds, but "
                         "net.memory makes the links Gilbert-Elliott chains; use a memoryless "
                         "network")
    M = net.M
    if scheme == "ideal":
        return _binary(scheme, M, 0.0, "no erasures")
    if scheme in ("cogc", "gc"):
        from .. import outage

        if scheme == "cogc":
            return _binary(scheme, M, float(outage.cogc(net)), "outage.cogc")
        rel = CooperativeNetwork(net.B, uplink_erasure=net.p, link_erasure=0.0)
        return _binary(scheme, M, float(outage.cogc(rel)),
                       "outage.cogc with complete rows (data replication)")
    if M > _MAX_SET_M:
        raise ValueError(f"the law over all 2**M sets is kept up to M = {_MAX_SET_M}; got "
                         f"M = {M}: estimate it by Monte Carlo (ct.simulate.outage)")
    if scheme == "fedavg":
        p = np.array([float(x) for x in net.p])
        codes = np.arange(1 << M, dtype=np.int64)
        S = ((codes[:, None] >> np.arange(M)) & 1).astype(bool)
        law = np.where(S, 1.0 - p, p).prod(axis=1)
        return _from_set_law(scheme, None, M, law, "product of independent uplinks")
    n = _states.check_enumerable(net, "bounds.recovery_law", "ct.simulate.outage(net, "
                                 "decoder='gcplus')", limit=MAX_PATTERNS)
    if rule == "auto":
        rule = "max-subset" if n <= MAX_SUBSET_PATTERNS else "individual"
    if rule == "max-subset":
        if n > MAX_SUBSET_PATTERNS:
            raise ValueError(f"the max-subset law decodes every client-state pattern; {n:,} "
                             f"patterns exceed {MAX_SUBSET_PATTERNS:,}: use rule='individual' "
                             "or estimate it by Monte Carlo (ct.simulate.outage)")
        sets, how = decoded_sets(net, rule), "every client-state pattern decoded"
    else:
        sets, how = individual_sets(net), "float decision table of every client-state pattern"
    law = np.bincount(sets, weights=_pattern_weights(net), minlength=1 << M)
    return _from_set_law(scheme, rule, M, law, f"exact enumeration ({n:,} patterns; {how})")
