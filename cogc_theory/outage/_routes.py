r"""Which exact method computes an outage quantity of a network: structure before enumeration.

The public functions :func:`cogc_theory.outage.cogc`, :func:`~cogc_theory.outage.gcplus` and
:func:`~cogc_theory.outage.gcplus_distribution` take ``route="auto"`` (the cheapest exact
route that applies) or the name of one route; :func:`explain` says which route a call takes,
why, and what it costs as :math:`M` grows. The routes, cheapest first:

``"blocks"``
    The support of :math:`B` (the cooperative graph) splits into connected components, e.g.
    the groups of fractional repetition. :math:`B` is then block diagonal (rows of a block
    use only its clients), the blocks' clients are independent, and
    :math:`\mathbf 1_K\in\operatorname{rowspace}(A)` iff :math:`\mathbf 1_{K\cap C}` lies in
    the row space of every block :math:`C`. So CoGC success and GC+ full recovery are products
    over blocks, the recovered set is the union of the blocks' recovered sets and its size law
    is the convolution of the blocks' laws. Each block takes its own cheapest route. Cost: the
    sum of the blocks' costs (plus :math:`O(M^2)` for the convolutions).
``"threshold"`` (CoGC)
    The decodable family is :math:`\{R: |R|\ge t\}`: the number of contributing clients is
    Poisson-binomial and :math:`P_\mathrm{out}=\Pr[X\le t-1]`, :math:`O(M^2)` for numbers or
    symbols. :math:`t` is known by construction when the code's construction guarantees it
    (``net.threshold``), else verified (:func:`~cogc_theory.outage.decodable_family`: the
    :math:`2^M` sets for :math:`M\le 22`, or the :math:`\binom{M}{t}+\binom{M}{t-1}` sets
    around the threshold).
``"family"`` (CoGC)
    Any other decodable family, tabulated over the :math:`2^M` client sets
    (:math:`M\le 22`) and summed by a Shannon expansion.
``"ring-s1"`` (GC+)
    The cyclic ring with :math:`s=1` (support :math:`\{m, m+1\}`): full recovery iff every
    client arrived, or exactly one is absent and all others are complete, a closed form in
    :math:`O(M)`; the law of :math:`|K|` under the individual rule by a :math:`2\times 2`
    transfer matrix in :math:`O(M^2)` (see :mod:`cogc_theory.outage.structure`). Applies when
    the kernel vector :math:`h` of :math:`B` has no zero-sum proper arc (checked in
    :math:`O(M^2)`, exactly for rational :math:`B`, with a margin of :math:`10^3` times the
    decoders' ``atol`` in floats); the max-subset law also needs no zero-sum subset at all,
    checked for :math:`M\le 22`.
``"ring"`` (GC+ outage)
    A generic cyclic code (``net.generic``: a float construction covered by the threshold
    theorem of :mod:`cogc_theory.codes`) with support :math:`\{m,\dots,m+s\}`,
    :math:`s\in\{1,2\}`: GC+ full recovery is a function of the client-state pattern read
    around the ring by a finite automaton (4 states for :math:`s=1`, 21 for :math:`s=2`), and
    the outage is a product of :math:`M` transfer matrices (:mod:`cogc_theory.outage._ring`),
    heterogeneous erasures, numbers or symbols. Cost :math:`O(M n^2)` for :math:`n` states.
    The :math:`s=2` table is verified (against enumeration of all :math:`5^M` patterns for
    :math:`M\le 11` and direct decisions up to :math:`M=300`), not proven; see
    ``research/gcplus_structure.md``. Only full recovery: the law of :math:`|K|` is not
    covered.
``"enumeration"`` (GC+)
    Every client-state pattern, :math:`\prod_m(1+2^{|N_m|})` of them (pruned by
    monotonicity), refused beyond :data:`~cogc_theory.outage._states.MAX_PATTERNS` with Monte
    Carlo named as the alternative.

Examples
--------
>>> import cogc_theory as ct
>>> print(explain(ct.CooperativeNetwork.fractional(30, 2, uplink_erasure=0.1,
...                                                 link_erasure=0.1), "gcplus"))
gcplus: route 'blocks' -- 10 independent blocks (components of the support of B), each
  by its own route; cost: the sum of the blocks' costs
  [10 x] gcplus: route 'enumeration' -- 5^3 = 125 client-state patterns; cost: prod_m (1 +
    2^|N_m|) patterns (exponential in M)
>>> explain(ct.CooperativeNetwork.cyclic(100, 1, uplink_erasure=0.1, link_erasure=0.1,
...                                     construction="gaussian"), "gcplus").name
'ring-s1'
"""

from __future__ import annotations

import math
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from .._linalg import ATOL
from ..codes._common import support_blocks
from . import _ring, _states
from ._common import check_net

__all__ = ["QUANTITIES", "ROUTES", "Route", "block_networks", "components", "explain",
           "ring_s1_full_applies", "ring_s1_subsets_generic", "choose", "convolve",
           "union_of_failures"]

#: What a route computes: CoGC outage, GC+ outage, the GC+ distribution of outcomes.
QUANTITIES = ("cogc", "gcplus", "distribution")
#: The routes of each quantity, cheapest first (``"auto"`` picks the first that applies).
ROUTES = {"cogc": ("blocks", "threshold", "family"),
          "gcplus": ("blocks", "ring-s1", "ring", "enumeration"),
          "distribution": ("blocks", "ring-s1", "enumeration")}
#: Largest M whose decodable family is tabulated (2**M sets).
MAX_TABLE_M = 22
#: Safety factor between the distance of an arc's indicator to the ring's row space and the
#: decoders' atol (that distance is computed to about 1e-15 relative; 10 atol = 1e-7).
_RING_MARGIN = 10.0
#: Arc pairs evaluated per block of the float arc check (memory bound).
_ARC_BLOCK = 1 << 22


@dataclass(frozen=True)
class Route:
    """The exact method chosen for one quantity of one network (see the module docstring).

    Attributes
    ----------
    quantity : {"cogc", "gcplus", "distribution"}
    name : str
        The route.
    reason : str
        Why it applies (or what it enumerates).
    cost : str
        How its cost grows with ``M``.
    parts : tuple of (Route, int)
        For ``"blocks"``: the distinct block routes and how many blocks take each.

    Examples
    --------
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> r = ct.outage.explain(net, "cogc")
    >>> r.quantity, r.name, r.cost
    ('cogc', 'threshold', 'O(M^2) (Poisson binomial)')
    """

    quantity: str
    name: str
    reason: str
    cost: str
    parts: tuple[tuple[Route, int], ...] = field(default=())

    def __str__(self) -> str:
        head = f"{self.quantity}: route {self.name!r} -- {self.reason}; cost: {self.cost}"
        lines = textwrap.wrap(head, 88, subsequent_indent="  ")
        for sub, n in self.parts:
            first, *rest = str(sub).splitlines()
            lines += [f"  [{n} x] {first}"] + [f"  {line}" for line in rest]
        return "\n".join(lines)


# ----------------------------------------------------------------------------- blocks
def components(net: Any) -> list[list[int]]:
    """Connected components of the support of ``B`` (clients sorted, components by first client).

    :func:`cogc_theory.codes._common.support_blocks` of the cooperative graph.
    """
    return [b.tolist() for b in support_blocks(np.asarray(net.link_used))]


def block_networks(net: Any) -> list[Any]:
    """The sub-network of each component (same link model; exact ``B`` kept when given)."""
    from ..network import CooperativeNetwork

    out = []
    for C in components(net):
        B = (net.B_exact.extract(C, C) if net.B_exact is not None
             else net.B[np.ix_(C, C)])
        eps = np.zeros((len(C), len(C)), dtype=object)
        sub_used = net.link_used[np.ix_(C, C)]
        for i, j in zip(*np.nonzero(sub_used), strict=True):
            eps[i, j] = net.eps[C[i], C[j]]
        block = CooperativeNetwork(B, [net.p[m] for m in C], eps, reciprocal=net.reciprocal)
        block.s = net.s if net.s is not None and net.s < len(C) else None
        block.threshold = (len(C) - net.s if getattr(net, "threshold", None) is not None
                           and net.s is not None and net.s < len(C) else None)
        out.append(block)
    return out


def _block_key(net: Any) -> tuple:
    return (net.B.tobytes(), net.B.shape, net.B_exact is not None)


# ----------------------------------------------------------------------------- the s = 1 ring
def _is_ring_s1(net: Any) -> bool:
    M = net.M
    if M < 3:
        return False
    idx = np.arange(M)
    expect = np.zeros((M, M), dtype=bool)
    expect[idx, idx] = expect[idx, (idx + 1) % M] = True
    return bool(np.array_equal(net.support, expect))


def _ring_kernel(net: Any) -> tuple[list[Any] | np.ndarray | None, bool]:
    """The kernel vector ``h`` of the s = 1 ring (exact list or float array) and exactness."""
    M = net.M
    if net.B_exact is not None:
        # B_m = b_m e_m + c_m e_{m+1}: h_{m+1} = -b_m h_m / c_m around the ring
        B = net.B_exact
        h = [sp.Integer(1)]
        for m in range(M - 1):
            h.append(-B[m, m] * h[m] / B[m, (m + 1) % M])
        closes = sp.simplify(B[M - 1, M - 1] * h[M - 1] + B[M - 1, 0] * h[0]) == 0
        return (h if closes else None), True
    B = net.B
    h = np.empty(M)
    h[0] = 1.0
    for m in range(M - 1):
        h[m + 1] = -B[m, m] * h[m] / B[m, m + 1]
    scale = np.abs(h).max()
    if not np.isfinite(scale) or scale == 0:
        return None, False
    h = h / scale
    closes = abs(B[M - 1, M - 1] * h[M - 1] + B[M - 1, 0] * h[0]) <= 1e-12 * np.abs(B).max()
    return (h if closes else None), False


def ring_s1_full_applies(net: Any) -> tuple[bool, str]:
    r"""Whether the s = 1 ring's full-recovery characterisation holds for this ``B``.

    It needs a one-dimensional kernel :math:`h` with :math:`\mathbf 1^\top h=0` and no
    *proper arc* :math:`\{a,\dots,a+L\}` (a block of the ring) with :math:`\sum h=0`: the
    :math:`M(M-1)` arcs are checked with prefix sums in :math:`O(M^2)`, exactly for rational
    ``B``. In floats the decoders decide by distance: the indicator of an arc :math:`C`
    (all its rows but the last present) lies in the row space iff
    :math:`|\sum_{k\in C} h_k|/\lVert h_C\rVert_2\le\mathrm{atol}`, so every arc's distance
    must exceed :math:`10\cdot\mathrm{atol}` (the distances are computed to about
    :math:`10^{-15}`). Returns ``(applies, reason)``.
    """
    if not _is_ring_s1(net):
        return False, "B is not the s = 1 ring (support {m, m+1 mod M})"
    h, exact = _ring_kernel(net)
    if h is None:
        return False, "B has no one-dimensional kernel around the ring"
    M = net.M
    if exact:
        pre = [sp.Integer(0)]
        for x in h:
            pre.append(pre[-1] + x)
        if pre[M] != 0:
            return False, "1^T h != 0: B does not tolerate one straggler"
        seen: dict[Any, int] = {}
        for i, v in enumerate(pre[:M]):
            if v in seen:                     # pre[i] == pre[j]: the arc j..i-1 sums to zero
                return False, f"the arc {seen[v]}..{i - 1} of h sums to zero (non-generic B)"
            seen[v] = i
        return True, "exact arc sums of h are nonzero"
    h = np.asarray(h, dtype=float)
    h = h / np.linalg.norm(h)
    if abs(h.sum()) > 1e-9:
        return False, "1^T h != 0: B does not tolerate one straggler"
    gap = _min_arc_distance(h)
    margin = _RING_MARGIN * ATOL
    if gap <= margin:
        return False, (f"an arc's distance to the row space is {gap:.2g} (<= {margin:g}): the "
                       f"decoders' tolerance cannot tell it from zero")
    return True, f"every arc's distance to the row space exceeds {margin:g} (smallest {gap:.2g})"


def _min_arc_distance(h: np.ndarray) -> float:
    """Smallest :math:`|\\sum_C h|/\\lVert h_C\\rVert_2` over the proper arcs :math:`C` of the
    ring (unit ``h`` with zero sum): arcs :math:`[i, j)` and their complements, in blocks."""
    M = h.size
    pre = np.concatenate([[0.0], np.cumsum(h)])
    sq = np.concatenate([[0.0], np.cumsum(h * h)])
    best = np.inf
    step = max(1, _ARC_BLOCK // M)
    j = np.arange(M + 1)
    for lo in range(0, M, step):
        i = np.arange(lo, min(M, lo + step))[:, None]
        ok = (j > i) & (j - i < M)
        S = np.abs(pre[None, :] - pre[i])
        Q = sq[None, :] - sq[i]
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.minimum(S / np.sqrt(np.maximum(Q, 0.0)), S / np.sqrt(np.maximum(1.0 - Q, 0.0)))
        best = min(best, float(np.where(ok, d, np.inf).min(initial=np.inf)))
    return best


def ring_s1_subsets_generic(net: Any) -> bool:
    """Zero-sum-free kernel vector (needed by the max-subset law of the ring): checked for
    ``M <= 22`` by :func:`cogc_theory.outage.structure.ring_s1_generic`; False beyond."""
    from .structure import ring_s1_generic

    return net.M <= MAX_TABLE_M and ring_s1_generic(net)


# ----------------------------------------------------------------------------- choice
def _patterns(net: Any) -> int:
    return _states.n_patterns(net)


def _pattern_text(net: Any) -> str:
    sizes = Counter(1 + (1 << len(net.neighbors(m))) for m in range(net.M))
    return " x ".join(f"{b}^{e}" if e > 1 else f"{b}" for b, e in sorted(sizes.items()))


def _blocks_route(net: Any, quantity: str, rules: tuple[str, ...]) -> Route | None:
    comps = components(net)
    if len(comps) < 2:
        return None
    counts: dict[tuple, list] = {}
    for b in block_networks(net):
        key = _block_key(b)
        if key in counts:
            counts[key][1] += 1
        else:
            counts[key] = [choose(b, quantity, rules=rules), 1]
    parts = tuple((r, n) for r, n in counts.values())
    return Route(quantity, "blocks",
                 f"{len(comps)} independent blocks (components of the support of B), each by "
                 f"its own route", "the sum of the blocks' costs", parts)


def _applies(net: Any, quantity: str, name: str, rules: tuple[str, ...]) -> Route | str:
    """The route ``name`` for ``net``, or the reason it does not apply."""
    M = net.M
    if name == "blocks":
        r = _blocks_route(net, quantity, rules)
        return r if r is not None else "the support of B is connected (one block)"
    if name == "threshold":
        t = getattr(net, "threshold", None)
        if t is not None:
            return Route(quantity, name, f"the decodable family is {{|R| >= {t}}} by "
                         f"construction (net.threshold)", "O(M^2) (Poisson binomial)")
        if M <= MAX_TABLE_M:
            return (f"M = {M} <= {MAX_TABLE_M}: the family is tabulated (route 'family', "
                    f"which uses the Poisson binomial when it finds a threshold family)")
        if net.s is None:
            return "the family is unknown (no net.s) and M > 22 is too large to tabulate"
        from .cogc import MAX_THRESHOLD_TESTS

        t = M - net.s
        n = math.comb(M, t) + (math.comb(M, t - 1) if t >= 1 else 0)
        if n > MAX_THRESHOLD_TESTS:
            return (f"verifying the threshold family needs {n:,} rank tests (> "
                    f"{MAX_THRESHOLD_TESTS:,}) and the construction does not guarantee it")
        return Route(quantity, name, f"threshold family |R| >= {t} verified by {n:,} rank "
                     "tests", "O(C(M, s) M^3) to verify, then O(M^2) (Poisson binomial)")
    if name == "family":
        if M <= MAX_TABLE_M:
            return Route(quantity, name, f"decodable family tabulated over 2^{M} client sets "
                         "(Poisson binomial if it is a threshold family)",
                         "O(2^M) rank updates, pruned by monotonicity")
        return f"M = {M} > {MAX_TABLE_M}: the 2^M client sets are too many to tabulate"
    if name == "ring-s1":
        ok, why = ring_s1_full_applies(net)
        if not ok:
            return why
        if quantity == "distribution" and "max-subset" in rules \
                and not ring_s1_subsets_generic(net):
            return ("the max-subset law of the ring needs a zero-sum-free kernel vector, "
                    "checked only for M <= 22 (use rules=('individual',))")
        return Route(quantity, name, why, "O(M) closed form" if quantity == "gcplus"
                     else "O(M^2) transfer matrix")
    if name == "ring":
        if not getattr(net, "generic", False):
            return ("the code is not known to be generic (net.generic is set by "
                    "CooperativeNetwork.cyclic for the float constructions the threshold "
                    "theorem covers)")
        try:
            s = _ring.check_ring(net)
        except ValueError as exc:
            return str(exc)
        n = _ring.automaton(s).n_states
        note = ("; its table is verified against enumeration (M <= 11) and direct decisions "
                "(M <= 300), not proven" if s == 2 else "")
        return Route(quantity, name, f"generic cyclic code with s = {s}: full-recovery "
                     f"automaton of {n} states read around the ring{note}",
                     f"O(M n^2) with n = {n} (transfer matrices)")
    if name == "enumeration":
        if net.reciprocal:
            return "reciprocal links couple the clients (no independent states)"
        n = _patterns(net)
        if n > _states.MAX_PATTERNS:
            size = f"{n:,}" if n < 10**15 else f"about 10^{len(str(n)) - 1}"
            return (f"{size} client-state patterns exceed the enumeration limit "
                    f"{_states.MAX_PATTERNS:,}")
        return Route(quantity, name, f"{_pattern_text(net)} = {n:,} client-state patterns",
                     "prod_m (1 + 2^|N_m|) patterns (exponential in M)")
    raise AssertionError(name)  # pragma: no cover


def choose(net: Any, quantity: str, route: str = "auto",
           rules: tuple[str, ...] = ()) -> Route:
    """The route ``quantity`` of ``net`` takes: ``route="auto"`` picks the cheapest that
    applies; a named route is checked to apply.

    Raises
    ------
    ValueError
        An unknown route, a named route that does not apply (with the reason), or no route
        at all (with the reasons and the Monte Carlo alternative).
    """
    check_net(net)
    names = ROUTES[quantity]
    if not isinstance(route, str) or route not in names + ("auto",):
        raise ValueError(f"route must be 'auto' or one of {names} for {quantity}, got "
                         f"{route!r}")
    tried = names if route == "auto" else (route,)
    why = {}
    for name in tried:
        r = _applies(net, quantity, name, rules)
        if isinstance(r, Route):
            return r
        why[name] = r
    mc = ("ct.simulate.outage(net, decoder='standard')" if quantity == "cogc"
          else "ct.simulate.outage(net, decoder='gcplus') (or ct.simulate.importance_outage "
               "for rare outages)")
    reasons = "; ".join(f"{k}: {v}" for k, v in why.items())
    raise ValueError(f"no exact route computes {quantity} for this network ({reasons}); "
                     f"estimate it by Monte Carlo with {mc}")


def explain(net: Any, what: str = "gcplus", *, route: str = "auto",
            rules: tuple[str, ...] = ("max-subset", "individual")) -> Route:
    """The route an outage call takes for ``net``, why, and its cost (print it to read it).

    Parameters
    ----------
    net : CooperativeNetwork
    what : {"cogc", "gcplus", "distribution"}
        :func:`~cogc_theory.outage.cogc`, :func:`~cogc_theory.outage.gcplus` or
        :func:`~cogc_theory.outage.gcplus_distribution` (with ``rules``).
    route : str
        ``"auto"`` or a route name, as passed to those functions.

    Returns
    -------
    Route

    Raises
    ------
    ValueError
        As the call itself would (no route applies, or the named route does not).

    Examples
    --------
    The s = 1 ring has a closed form for GC+; a generic cyclic code with s = 2 is read by the
    ring automaton:

    >>> import cogc_theory as ct
    >>> ct.outage.explain(ct.CooperativeNetwork.cyclic(8, 1, uplink_erasure=0.1,
    ...                                                link_erasure=0.2)).name
    'ring-s1'
    >>> print(ct.outage.explain(ct.CooperativeNetwork.cyclic(5, 2, uplink_erasure=0.1,
    ...                                                      link_erasure=0.2)))
    gcplus: route 'ring' -- generic cyclic code with s = 2: full-recovery automaton of 21
      states read around the ring; its table is verified against enumeration (M <= 11) and
      direct decisions (M <= 300), not proven; cost: O(M n^2) with n = 21 (transfer
      matrices)
    """
    if not isinstance(what, str) or what not in QUANTITIES:
        raise ValueError(f"what must be one of {QUANTITIES}, got {what!r}")
    if isinstance(rules, str):
        rules = (rules,)
    return choose(net, what, route, tuple(rules))


# ----------------------------------------------------------------------------- combining
def convolve(pmfs: list[np.ndarray], exact: bool) -> np.ndarray:
    """The law of a sum of independent sizes from their laws (object arrays when exact)."""
    out = np.array([Fraction(1) if exact else 1.0], dtype=object if exact else float)
    for p in pmfs:
        out = np.convolve(out, p) if not exact else np.array(
            [sum((out[i] * p[k - i] for i in range(max(0, k - len(p) + 1),
                                                   min(k, len(out) - 1) + 1)), Fraction(0))
             for k in range(len(out) + len(p) - 1)], dtype=object)
    return out


def union_of_failures(parts: list[Any], symbolic: bool) -> Any:
    r""":math:`1-\prod_b(1-P_b)`: the failure probability of independent blocks that must all
    succeed (``-expm1(sum log1p(-P_b))`` in floats, accurate for tiny :math:`P_b`)."""
    if symbolic:
        return 1 - sp.Mul(*[1 - x for x in parts])
    vals = [float(x) for x in parts]
    if any(v >= 1.0 for v in vals):
        return 1.0
    return float(-math.expm1(math.fsum(math.log1p(-v) for v in vals)))
