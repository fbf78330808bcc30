r"""Structure of a GC matrix under outages: which client-state patterns let GC+ decode.

Size: just over 600 lines because every public function carries a doctested example; one
concept (the structure of decodable patterns).

A **client-state pattern** :math:`x=(x_0,\dots,x_{M-1})` gives each client either ``0`` (upload
lost) or ``1 + b`` (upload arrived; link from ``N_m[i]`` succeeded iff bit ``i`` of ``b`` is set;
see :mod:`cogc_theory.outage._states`). GC+ recovers :math:`\sum_k g_k` iff
:math:`\mathbf 1\in\operatorname{rowspace}A(x)`. Full recovery is monotone in arrivals (adding a
row keeps :math:`\mathbf 1` in the span) but **not** in link successes, so the natural order is
:math:`x\preceq y` iff :math:`y` agrees with :math:`x` on the clients that arrived in
:math:`x`; the *minimal full patterns* are the full patterns from which no arrived client
can be dropped.

**The cyclic ring with** :math:`s=1`. Row :math:`m` has support :math:`\{m, m+1\}`; a GC matrix
of this shape has a one-dimensional kernel spanned by some :math:`h` with
:math:`\mathbf 1^\top h=0` and complete rows span :math:`h^\perp` along any path. Call client
:math:`m` *complete* (C: arrived, link from :math:`m+1` up), *incomplete* (I: arrived, link
down, row :math:`B_{mm}e_m`) or *absent*. Complete rows are edges :math:`(m,m+1)` of the ring;
the edges cut the ring into blocks :math:`\{a,\dots,a+L\}` ending at a non-complete client
:math:`a+L`. The row space is the direct sum over blocks of all of :math:`\mathbb R^{block}`
when the block ends at an incomplete client (the edges give :math:`h^\perp` on the block and
:math:`e_{a+L}\notin h^\perp`), and of :math:`h^\perp\cap\mathbb R^{block}` when it ends at an
absent one. Hence, when no nonempty proper subset :math:`K` has :math:`\sum_{k\in K}h_k=0`
(true for generic coefficients; checked by :func:`ring_s1_generic`):

* GC+ recovers exactly the union of the blocks that end at an *arrived* client, for both the
  max-subset and the individual rule;
* **full recovery iff every client arrived, or exactly one is absent and all others are
  complete**:
  :math:`P_\mathrm{full} = \prod_m(1-p_m) + \sum_m p_m\prod_{k\ne m}(1-p_k)(1-\varepsilon_{k,k+1})`;
* :math:`\operatorname{rank}A = \#\text{arrived} - [\text{all complete}]`.

**Genericity matters.** The SPEC observes that for a generic cyclic ``B`` the GC+ decision
depends only on the state pattern; :func:`compare_constructions` confirms it for random real
constructions (all 15,625 states agree at :math:`M=6, s=2`). Exact constructions from small
integer parity matrices need not be generic: one such ``B`` at :math:`M=6, s=2` decodes 16
patterns that generic ones do not, and at :math:`s=1` some have zero-sum subsets of :math:`h`
(:func:`ring_s1_generic` is then False and max-subset recovers more than the block rule).

The law of :math:`|K|` follows from a :math:`2\times 2` transfer matrix per client
(:func:`ring_s1_size_generating_function`) whose two states carry the weight of the open block
as if it will end at an arrived client (counting :math:`z^{\text{size}}`) or at an absent one
(counting 1):

.. math:: T_m = \begin{pmatrix} z(c_m+i_m) & a_m\\ z\,i_m & c_m+a_m\end{pmatrix},\quad
          G(z) = \operatorname{tr}\prod_m T_m - \prod_m c_m
          + (z^M-1)\sum_m a_m\prod_{k\ne m}c_k ,

with :math:`a_m=p_m`, :math:`c_m=(1-p_m)(1-\varepsilon_{m,m+1})`,
:math:`i_m=(1-p_m)\varepsilon_{m,m+1}`; the two corrections are the all-complete ring (counted
twice by the trace) and the ring that is one path ending at an absent client (still full).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from .._validate import check_int
from . import _states
from ._common import check_net

__all__ = [
    "GCPlusStructure",
    "compare_constructions",
    "gcplus_structure",
    "ring_s1_full_table",
    "ring_s1_generic",
    "ring_s1_outage",
    "ring_s1_no_full",
    "ring_s1_rank_generating_function",
    "ring_s1_size_pmf",
    "ring_s1_size_generating_function",
    "state_label",
]

#: Largest number of entries (:math:`3^M`) of :func:`ring_s1_full_table`, as for the
#: enumerated decision tables (:data:`cogc_theory.outage._states.MAX_PATTERNS`).
MAX_RING_TABLE = _states.MAX_PATTERNS


def state_label(net: Any, m: int, state: int) -> str:
    """Readable label of client ``m``'s state: ``"-"`` absent, ``"C"`` complete, else the
    neighbours heard, e.g. ``"{3}"``.

    Raises
    ------
    TypeError
        ``net`` is not a network, or ``m`` / ``state`` is not an integer.
    ValueError
        ``m`` outside ``0..M-1`` or ``state`` outside ``0..2**|N_m|``.

    Examples
    --------
    Client 0 of the ring hears client 1 only: its states are absent, arrived without
    :math:`g_1` (``{}``: no neighbour heard) and complete:

    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> net.neighbors(0), [state_label(net, 0, k) for k in range(3)]
    ((1,), ['-', '{}', 'C'])
    """
    check_net(net)
    m = check_int(m, "m", lo=0, hi=net.M - 1)
    nb = net.neighbors(m)
    state = check_int(state, "state")
    if not 0 <= state <= 1 << len(nb):
        raise ValueError(f"state of client {m} must lie in 0..{1 << len(nb)} (0 absent, "
                         f"1 + b arrived with link bitmap b over its {len(nb)} neighbours), "
                         f"got {state}")
    if state == 0:
        return "-"
    b = state - 1
    if b == (1 << len(nb)) - 1:
        return "C"
    return "{" + ",".join(str(k) for i, k in enumerate(nb) if b >> i & 1) + "}"


@dataclass
class GCPlusStructure:
    r"""Full-recovery structure of one network's ``B`` (independent of the erasure values).

    Attributes
    ----------
    net : CooperativeNetwork
    table : DecisionTable
        ``full``, ``rank`` and ``k_individual`` for every state pattern.

    Examples
    --------
    Each client of the :math:`M=4` ring is absent, arrived incomplete or complete: :math:`3^4=81`
    patterns, of which GC+ fully decodes the :math:`2^4` with everyone arrived and the 4 with
    exactly one absent and the rest complete:

    >>> import cogc_theory as ct
    >>> from cogc_theory.outage import structure
    >>> S = structure.gcplus_structure(ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1,
    ...                                                             link_erasure=0.2))
    >>> S.shape, S.n_patterns, int(S.table.full.sum()), S.min_arrivals_for_full()
    ((3, 3, 3, 3), 81, 20, 3)
    """

    net: Any
    table: _states.DecisionTable

    @property
    def shape(self) -> tuple[int, ...]:
        return self.table.full.shape

    @property
    def n_patterns(self) -> int:
        return int(self.table.full.size)

    def full_patterns(self) -> np.ndarray:
        """State patterns with full recovery, int array ``(n, M)``."""
        return np.argwhere(self.table.full)

    def minimal_mask(self) -> np.ndarray:
        """Bool table: full patterns from which dropping any arrived client breaks recovery."""
        full = self.table.full
        out = full.copy()
        for m in range(full.ndim):
            dropped = np.take(full, [0], axis=m)           # client m absent, broadcast
            idx = np.arange(full.shape[m]).reshape([-1 if a == m else 1
                                                    for a in range(full.ndim)])
            out &= (idx == 0) | ~dropped
        return out

    def minimal_full_patterns(self) -> np.ndarray:
        """Minimal full patterns, int array ``(n, M)``."""
        return np.argwhere(self.minimal_mask())

    def describe(self, pattern: Any) -> str:
        """Labels of a pattern, e.g. ``"C C - {2} C"``.

        Raises
        ------
        ValueError
            ``pattern`` does not have one state per client, or a state is out of range.
        TypeError
            A state is not an integer.
        """
        states = list(np.asarray(pattern).ravel()) if isinstance(pattern, np.ndarray) \
            else list(pattern)
        if len(states) != self.net.M:
            raise ValueError(f"pattern must have one state per client (length M="
                             f"{self.net.M}), got length {len(states)}")
        labels = []
        for m, x in enumerate(states):
            try:
                labels.append(state_label(self.net, m, x))
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"pattern[{m}]: {exc}") from exc
        return " ".join(labels)

    def rank_counts(self) -> np.ndarray:
        """Number of state patterns with each rank ``0..M``."""
        return np.bincount(self.table.rank.ravel().astype(np.int64), minlength=self.net.M + 1)

    def rank_distribution(self) -> np.ndarray:
        """:math:`P(\\operatorname{rank}A=r)`, ``r = 0..M`` (float; needs numeric erasures)."""
        w = [np.array([float(x) for x in q]) for q in _states.state_probabilities(self.net)]
        return np.array([float(_states.contract((self.table.rank == r).astype(float), w))
                         for r in range(self.net.M + 1)])

    def min_arrivals_for_full(self) -> int:
        """Fewest arrived clients among full patterns."""
        arrived = np.indices(self.shape).astype(bool).sum(axis=0)
        return int(arrived[self.table.full].min()) if self.table.full.any() else -1

    def summary(self) -> str:
        """A text summary: counts, minimal patterns, rank profile, ring characterisation."""
        M = self.net.M
        full = self.table.full
        mins = self.minimal_full_patterns()
        lines = [
            f"GC+ structure of B (M={M}, {self.n_patterns:,} client-state patterns, "
            f"decisions {self.table.method})",
            f"  full recovery in {int(full.sum()):,} patterns "
            f"({full.mean():.4f} of all); minimal full patterns: {len(mins):,}",
            f"  fewest arrivals with full recovery: {self.min_arrivals_for_full()}",
        ]
        sizes = (mins > 0).sum(axis=1) if len(mins) else np.array([], dtype=int)
        if len(mins):
            by = np.bincount(sizes)
            lines.append("  minimal patterns by number of arrived clients: "
                         + ", ".join(f"{k}:{c}" for k, c in enumerate(by) if c))
            for x in mins[:5]:
                lines.append(f"    e.g. [{self.describe(x)}]")
        rc = self.rank_counts()
        lines.append("  patterns by rank of A: " + ", ".join(
            f"{r}:{c}" for r, c in enumerate(rc) if c))
        if _is_ring_s1(self.net):
            ok = np.array_equal(full, ring_s1_full_table(self.net))
            gen = ring_s1_generic(self.net)
            lines.append(f"  s=1 ring: 'full iff all arrived, or one absent and the rest "
                         f"complete' {'holds' if ok else 'FAILS'} here (generic: {gen})")
        return "\n".join(lines)

    __str__ = summary


def gcplus_structure(net: Any, *, method: str = "auto") -> GCPlusStructure:
    """Decision table with ranks and individual sets for every client-state pattern.

    Examples
    --------
    >>> import cogc_theory as ct
    >>> S = gcplus_structure(ct.CooperativeNetwork.cyclic(
    ...     4, 1, uplink_erasure=0.1, link_erasure=0.1, exact=True))
    >>> S.n_patterns, int(S.table.full.sum()), len(S.minimal_full_patterns())
    (81, 20, 15)
    """
    check_net(net)
    _states.check_enumerable(net, "outage.structure", "ct.simulate.outage(net, 'gcplus')",
                             limit=2_000_000)
    tab = _states.decision_table(net, method=method, rank=True, individual=True)
    return GCPlusStructure(net=net, table=tab)


def compare_constructions(nets: list[Any], *, method: str = "auto") -> dict[str, Any]:
    r"""Do several matrices with the same support make the same GC+ decision on every pattern?

    Returns a dict with ``"agree"`` (bool), ``"patterns"`` (number compared) and
    ``"disagreements"`` (count of patterns where some matrix differs from the first).
    The SPEC's observation: random cyclic constructions with equal ``(M, s)`` agree.

    Raises
    ------
    TypeError
        ``nets`` is not a list of networks.
    ValueError
        Fewer than two networks, or supports that differ.

    Examples
    --------
    Three random cyclic constructions of the same support make the same GC+ decision on all
    :math:`(1+2^2)^5` patterns:

    >>> import cogc_theory as ct
    >>> nets = [ct.CooperativeNetwork.cyclic(5, 2, uplink_erasure=0.1, link_erasure=0.2, seed=k)
    ...         for k in range(3)]
    >>> compare_constructions(nets)
    {'agree': True, 'patterns': 3125, 'disagreements': 0}
    """
    if isinstance(nets, str | bytes) or not isinstance(nets, Iterable):
        raise TypeError(f"nets must be a list of CooperativeNetworks, got "
                        f"{type(nets).__name__}")
    nets = list(nets)
    if len(nets) < 2:
        raise ValueError("compare_constructions needs at least two networks")
    for i, n in enumerate(nets):
        check_net(n, f"nets[{i}]")
    sup = nets[0].support
    for n in nets[1:]:
        if not np.array_equal(n.support, sup):
            raise ValueError("all networks must have the same support of B")
    tabs = [_states.decision_table(n, method=method).full for n in nets]
    diff = np.zeros_like(tabs[0])
    for t in tabs[1:]:
        diff |= t != tabs[0]
    return {"agree": not diff.any(), "patterns": int(diff.size),
            "disagreements": int(diff.sum())}


# ----------------------------------------------------------------------------- s = 1 ring
def _is_ring_s1(net: Any) -> bool:
    M = net.M
    if M < 3:
        return False
    expect = np.zeros((M, M), dtype=bool)
    for m in range(M):
        expect[m, m] = expect[m, (m + 1) % M] = True
    return bool(np.array_equal(net.support, expect))


def _require_ring(net: Any) -> None:
    check_net(net)
    if not _is_ring_s1(net):
        raise ValueError("this result is for the cyclic ring with s = 1: B must have support "
                         "exactly {m, m+1 mod M} in every row (e.g. codes.cyclic_repetition(M, 1))")


def ring_s1_generic(net: Any) -> bool:
    r"""Whether the ring's kernel vector :math:`h` has no zero-sum nonempty proper subset.

    Checked exactly (rationally) when ``net.B_exact`` is given, else in floating point with
    relative tolerance :math:`10^{-9}`. Also requires :math:`\mathbf 1^\top h = 0` and a
    one-dimensional kernel (else the ring is not a GC matrix with :math:`s = 1`).

    Examples
    --------
    >>> import cogc_theory as ct
    >>> ring_s1_generic(ct.CooperativeNetwork.cyclic(5, 1, uplink_erasure=0.1, link_erasure=0.2))
    True
    """
    _require_ring(net)
    M = net.M
    if net.B_exact is not None:
        ker = sp.Matrix(net.B_exact).nullspace()
        if len(ker) != 1:
            return False
        h = [sp.Rational(x) for x in ker[0]]
        if sum(h) != 0 or M > 22:
            return sum(h) == 0 and M <= 22
        vals = {0}
        for k in range(M - 1):                     # subset sums of h_0..h_{M-2}
            vals_new = {v + h[k] for v in vals}
            if 0 in vals_new:
                return False
            vals |= vals_new
        # subsets containing h_{M-1}: zero iff complement (without M-1) sums to 0 -> covered
        return True
    _, S, Vh = np.linalg.svd(net.B)
    if S[-1] > 1e-9 * S[0] or S[-2] <= 1e-9 * S[0]:
        return False
    h = Vh[-1] / np.abs(Vh[-1]).max()
    if abs(h.sum()) > 1e-9 or M > 22:
        return abs(h.sum()) <= 1e-9 and M <= 22
    codes = np.arange(1, 1 << (M - 1))
    sums = ((codes[:, None] >> np.arange(M - 1)) & 1) @ h[:M - 1]
    return bool(np.all(np.abs(sums) > 1e-9))


def ring_s1_full_table(net: Any) -> np.ndarray:
    """Predicted full-recovery table of the s = 1 ring (shape ``(3,) * M``)::

        full iff every client arrived, or exactly one is absent and all others complete.

    States per client: 0 absent, 1 incomplete (link from m+1 failed), 2 complete.

    Raises
    ------
    ValueError
        Not an s = 1 ring, or :math:`3^M` above :data:`MAX_RING_TABLE` entries (``M > 16``):
        use :func:`ring_s1_outage` for the probability, which holds for any ``M``.

    Examples
    --------
    States 0 absent, 1 incomplete, 2 complete:

    >>> import cogc_theory as ct
    >>> t = ring_s1_full_table(ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1,
    ...                                                     link_erasure=0.2))
    >>> int(t.sum()), bool(t[1, 1, 1, 1]), bool(t[0, 2, 2, 2]), bool(t[0, 1, 2, 2])
    (20, True, True, False)
    """
    _require_ring(net)
    M = net.M
    if 3**M > MAX_RING_TABLE:
        raise ValueError(
            f"ring_s1_full_table: the table of M={M} clients has 3**{M} = {3**M:,} entries, "
            f"above the limit MAX_RING_TABLE = {MAX_RING_TABLE:,} (M <= 16); use "
            f"ring_s1_outage(net) for P(no full recovery) at any M, or test single patterns "
            f"with the rule 'all arrived, or one absent and the rest complete'")
    absent = np.zeros((3,) * M, dtype=np.int8)
    complete = np.zeros((3,) * M, dtype=np.int8)
    for m in range(M):
        shape = [1] * M
        shape[m] = 3
        absent += np.array([1, 0, 0], dtype=np.int8).reshape(shape)
        complete += np.array([0, 0, 1], dtype=np.int8).reshape(shape)
    return (absent == 0) | ((absent == 1) & (complete == M - 1))


def _ring_weights(net: Any) -> tuple[list[Any], list[Any], list[Any]]:
    a, c, i = [], [], []
    M = net.M
    for m in range(M):
        p = sp.sympify(net.p[m])
        e = sp.sympify(net.eps[m, (m + 1) % M])
        a.append(p)
        c.append((1 - p) * (1 - e))
        i.append((1 - p) * e)
    return a, c, i


def ring_s1_outage(net: Any) -> sp.Expr:
    r"""GC+ :math:`P(\text{no full recovery})` of the generic s = 1 ring, for any ``M``:

    .. math:: 1 - \prod_m(1-p_m) - \sum_m p_m\prod_{k\ne m}(1-p_k)(1-\varepsilon_{k,k+1}).

    Examples
    --------
    >>> import cogc_theory as ct, sympy as sp
    >>> p, e = sp.symbols("p epsilon")
    >>> net = ct.CooperativeNetwork.cyclic(50, 1, uplink_erasure=p, link_erasure=e)
    >>> expr = ring_s1_outage(net).subs(e, 0)   # no link losses: full unless 2 absent
    >>> sp.expand(expr - (1 - (1 - p)**50 - 50*p*(1 - p)**49))
    0
    """
    _require_ring(net)
    a, c, _ = _ring_weights(net)
    M = net.M
    all_arrived = sp.Mul(*[1 - x for x in a])
    one_absent = sp.Add(*[a[m] * sp.Mul(*[c[k] for k in range(M) if k != m])
                          for m in range(M)])
    return 1 - all_arrived - one_absent


def _check_symbol(x: Any, name: str) -> sp.Symbol:
    if not isinstance(x, sp.Symbol):
        raise TypeError(f"{name} must be a sympy Symbol, e.g. sympy.Symbol({name!r}), got "
                        f"{type(x).__name__} {x!r}")
    return x


def ring_s1_size_generating_function(net: Any, z: sp.Symbol | None = None) -> sp.Expr:
    r""":math:`G(z)=\sum_k P(|K|=k)z^k` of the generic s = 1 ring by the transfer matrix.

    Holds for both partial rules (they coincide on a generic ring). :math:`G(1)=1`,
    :math:`[z^M]G = P_\mathrm{full}`, :math:`G(0)` is the total-outage probability.

    Raises
    ------
    TypeError
        ``z`` is not a sympy Symbol.
    ValueError
        Not an s = 1 ring.

    Examples
    --------
    >>> import cogc_theory as ct, sympy as sp
    >>> z = sp.Symbol("z")
    >>> net = ct.CooperativeNetwork.cyclic(6, 1, uplink_erasure=sp.Rational(1, 10),
    ...                                    link_erasure=sp.Rational(1, 5))
    >>> G = ring_s1_size_generating_function(net, z)
    >>> G.subs(z, 1)
    1
    """
    _require_ring(net)
    z = sp.Symbol("z") if z is None else _check_symbol(z, "z")
    a, c, i = _ring_weights(net)
    M = net.M
    P = sp.eye(2)
    for m in range(M):
        T = sp.Matrix([[z * (c[m] + i[m]), a[m]], [z * i[m], c[m] + a[m]]])
        P = T * P
    allc = sp.Mul(*c)
    path = sp.Add(*[a[m] * sp.Mul(*[c[k] for k in range(M) if k != m]) for m in range(M)])
    return sp.expand(P.trace() - allc + (z**M - 1) * path)


def ring_s1_rank_generating_function(net: Any, y: sp.Symbol | None = None) -> sp.Expr:
    r""":math:`\sum_r P(\operatorname{rank}A=r)\,y^r` for the generic s = 1 ring:

    .. math:: \prod_m (p_m + (1-p_m) y) - (y^M - y^{M-1})\prod_m c_m .

    Raises
    ------
    TypeError
        ``y`` is not a sympy Symbol.
    ValueError
        Not an s = 1 ring.

    Examples
    --------
    At :math:`y=1` the generating function sums the probabilities of all ranks, 1:

    >>> import sympy as sp
    >>> import cogc_theory as ct
    >>> p, e, y = sp.symbols("p epsilon y")
    >>> net = ct.CooperativeNetwork.cyclic(3, 1, uplink_erasure=p, link_erasure=e)
    >>> G = ring_s1_rank_generating_function(net, y)
    >>> sp.expand(G.subs(y, 1)), sp.expand(G.subs(y, 0)) == sp.expand(p**3)   # rank 0: none arrived
    (1, True)
    """
    _require_ring(net)
    y = sp.Symbol("y") if y is None else _check_symbol(y, "y")
    a, c, _ = _ring_weights(net)
    return sp.expand(sp.Mul(*[x + (1 - x) * y for x in a])
                     - (y**net.M - y**(net.M - 1)) * sp.Mul(*c))


def _ring_numbers(net: Any, exact: bool) -> tuple[list[Any], list[Any], list[Any]]:
    """(a, c, i) of :func:`_ring_weights` as floats or Fractions (numeric networks)."""
    a, c, i = _ring_weights(net)
    if exact:
        def conv(x: Any) -> Fraction:
            if not x.is_Rational:
                raise ValueError(f"exact=True needs rational erasure probabilities, got {x}; "
                                 f"pass sympy Rationals or fractions.Fraction")
            return Fraction(int(x.p), int(x.q))
    else:
        def conv(x: Any) -> float:
            return float(x)
    return [conv(x) for x in a], [conv(x) for x in c], [conv(x) for x in i]


def ring_s1_no_full(net: Any, *, exact: bool = False) -> Any:
    r"""GC+ :math:`P(\text{no full recovery})` of the generic s = 1 ring in :math:`O(M)`
    arithmetic (float, or Fraction with ``exact=True``): the closed form of
    :func:`ring_s1_outage` evaluated with prefix and suffix products.

    Examples
    --------
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> round(ring_s1_no_full(net), 6)
    0.194601
    """
    _require_ring(net)
    if net.is_symbolic:
        raise ValueError("ring_s1_no_full needs numbers; use ring_s1_outage for symbols")
    a, c, _ = _ring_numbers(net, exact)
    M = net.M
    one = Fraction(1) if exact else 1.0
    pre, suf = [one] * (M + 1), [one] * (M + 1)
    for m in range(M):
        pre[m + 1] = pre[m] * c[m]
        suf[M - 1 - m] = suf[M - m] * c[M - 1 - m]
    one_absent = sum((a[m] * pre[m] * suf[m + 1] for m in range(M)), 0 * one)
    if exact:
        all_arrived = one
        for x in a:
            all_arrived *= one - x
        return one - all_arrived - one_absent
    all_lost = -math.expm1(math.fsum(math.log1p(-x) if x < 1 else -math.inf for x in a))
    return max(0.0, all_lost - one_absent)


def ring_s1_size_pmf(net: Any, *, exact: bool = False) -> np.ndarray:
    r"""The law of :math:`|K|` of the generic s = 1 ring, ``(M + 1,)``, by the transfer matrix
    of :func:`ring_s1_size_generating_function` with numeric polynomial entries.

    Cost :math:`O(M^2)` (the product of :math:`M` :math:`2\times 2` matrices whose entries are
    polynomials of degree up to :math:`M`). It is the individual rule's law on any ring
    whose kernel vector has no zero-sum proper arc, and also the max-subset law when no
    nonempty proper subset of it sums to zero (:func:`ring_s1_generic`).

    Examples
    --------
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(5, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> pmf = ring_s1_size_pmf(net)
    >>> round(float(pmf.sum()), 12), round(float(pmf[-1]), 6) == round(1 - ring_s1_no_full(net), 6)
    (1.0, True)
    """
    _require_ring(net)
    if net.is_symbolic:
        raise ValueError("ring_s1_size_pmf needs numbers; use "
                         "ring_s1_size_generating_function for symbols")
    a, c, i = _ring_numbers(net, exact)
    M = net.M
    dtype = object if exact else float
    zero = Fraction(0) if exact else 0.0

    def poly(*coef: Any) -> np.ndarray:
        out = np.array([zero] * (M + 1), dtype=dtype)
        out[:len(coef)] = coef
        return out

    def shift(x: np.ndarray) -> np.ndarray:                  # multiply by z
        return np.concatenate([np.array([zero], dtype=dtype), x[:-1]])

    P = [[poly(1), poly(0)], [poly(0), poly(1)]]
    for m in range(M):
        T00, T01, T10, T11 = c[m] + i[m], a[m], i[m], c[m] + a[m]   # z on T00, T10
        P = [[shift(T00 * P[0][0]) + T01 * P[1][0],
              shift(T00 * P[0][1]) + T01 * P[1][1]],
             [shift(T10 * P[0][0]) + T11 * P[1][0],
              shift(T10 * P[0][1]) + T11 * P[1][1]]]
    G = P[0][0] + P[1][1]
    allc = Fraction(1) if exact else 1.0
    for x in c:
        allc *= x
    one = Fraction(1) if exact else 1.0
    pre, suf = [one] * (M + 1), [one] * (M + 1)
    for m in range(M):
        pre[m + 1] = pre[m] * c[m]
        suf[M - 1 - m] = suf[M - m] * c[M - 1 - m]
    path = sum((a[m] * pre[m] * suf[m + 1] for m in range(M)), zero)
    G[0] -= allc
    G[M] += path
    G[0] -= path
    if not exact:
        G = np.maximum(G, 0.0)
    return G
