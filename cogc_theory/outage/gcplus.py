r"""Exact GC+ probabilities by enumeration of client states.

Under GC+ the server uses every arrived partial sum, complete or not: :math:`A = \tilde B_U`,
:math:`U = \{m: u_m = 1\}`. Full recovery means :math:`\mathbf 1\in\operatorname{rowspace}(A)`;
otherwise a partial rule recovers :math:`\sum_{k\in K} g_k`:

* ``"max-subset"``: the largest :math:`K` with :math:`\mathbf 1_K\in\operatorname{rowspace}(A)`;
* ``"individual"``: :math:`K=\{k: e_k\in\operatorname{rowspace}(A)\}`;

and :math:`K=\emptyset` is a total outage. :math:`A` depends on the round only through the
**client states** (not arrived, or arrived with a pattern of link successes over
:math:`N_m`), which are independent across clients, so

.. math:: P(E) = \sum_{x}\mathbf 1_E(x)\prod_{m} q_m(x_m)

over the :math:`\prod_m(1+2^{|N_m|})` state patterns :math:`x` (see
:mod:`cogc_theory.outage._states`) instead of the :math:`2^{M+\sum_m|N_m|}` link-and-uplink
patterns. For the cyclic code with :math:`M=10, s=2` that is :math:`5^{10}\approx 9.8\cdot
10^6` patterns instead of :math:`2^{30}\approx 1.1\cdot 10^9`; a depth-first sweep that stops
as soon as :math:`\mathbf 1` is in the span (monotone in arrivals) or a coordinate can no
longer be reached prunes further (``benchmarks/bench_outage.py`` measures the gain).

With homogeneous erasures the probability of a pattern depends only on the numbers of absent
clients :math:`a`, failed links :math:`f` and good links :math:`g` of arrived clients, so every
probability is a polynomial

.. math:: P(E) = \sum_{a,f,g} c_{afg}\, p^a(1-p)^{M-a}\varepsilon^f(1-\varepsilon)^g

with integer counts :math:`c_{afg}` (:func:`gcplus_polynomial`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from .._validate import check_probability
from ..vocabulary import SUBSET_RULES
from . import _ring, _routes, _states, structure
from ._common import CheckedFunc, check_method, check_net
from .cogc import OutageFormula

__all__ = ["GCPlusOutage", "gcplus", "gcplus_distribution", "gcplus_formula",
           "gcplus_polynomial"]

RULES = SUBSET_RULES
_FALLBACK = "ct.simulate.outage(net, decoder='gcplus')"
#: Largest (non-full patterns) x 2**M work for the max-subset search on the float path.
MAX_SUBSET_WORK = 2_000_000_000
#: Largest number of client-state patterns for which the report and the bounds-vs-simulation
#: study take the exact max-subset law of |K| (above it, the individual rule).
MAX_SUBSET_PATTERNS = 100_000


def _weights(net: Any, kind: str) -> list[Any]:
    q = _states.state_probabilities(net)
    if kind == "float":
        if net.is_symbolic:
            raise ValueError("the network is symbolic; substitute numbers with net.subs({...}) "
                             "or use symbolic=True / gcplus_polynomial")
        return [np.array([float(x) for x in qm]) for qm in q]
    if kind == "exact":
        out = []
        for m, qm in enumerate(q):
            row = []
            for x in qm:
                if not x.is_Rational:
                    raise ValueError(
                        f"exact=True needs rational erasure probabilities; client {m} has "
                        f"state probability {x}; pass sympy Rationals or fractions.Fraction")
                row.append(Fraction(int(x.p), int(x.q)))
            out.append(row)
        return out
    return [[sp.expand(x) for x in qm] for qm in q]


def _check_rules(rules: Any) -> tuple[str, ...]:
    """``rules`` as a tuple of distinct rule names (a single string is one rule)."""
    if isinstance(rules, str):
        rules = (rules,)
    if isinstance(rules, bytes) or not isinstance(rules, Iterable):
        raise TypeError(f"rules must be a rule name or a tuple of them, drawn from {RULES}, "
                        f"got {type(rules).__name__} {rules!r}")
    rules = list(rules)
    for r in rules:
        if not isinstance(r, str):
            raise TypeError(f"rules must contain rule names (strings) from {RULES}, got "
                            f"{type(r).__name__} {r!r}")
    return tuple(dict.fromkeys(rules))


def _table(net: Any, method: str, rules: tuple[str, ...], what: str) -> _states.DecisionTable:
    check_net(net)
    n = _states.check_enumerable(net, what, _FALLBACK)
    for r in rules:
        if r not in RULES:
            raise ValueError(f"rules must be drawn from {RULES} (least-squares has no finite "
                             f"recovered set), got {r!r}")
    want_kmax = "max-subset" in rules
    if want_kmax and (method == "float" or net.B_exact is None
                      or n > _states.EXACT_AUTO_LIMIT):
        # the individual table (cached) has the same ``full``: the max-subset table below, or
        # a fallback to the individual rule after the refusal, reuses it instead of
        # enumerating the patterns again
        tab = _states.decision_table(net, method=method, individual=True)
        work = int(np.count_nonzero(~tab.full)) * (1 << net.M)
        if work > MAX_SUBSET_WORK:
            raise ValueError(
                f"{what}: the max-subset search would test {work:,} subset sums "
                f"(> {MAX_SUBSET_WORK:,}); use rules=('individual',) or estimate with "
                f"{_FALLBACK}")
    return _states.decision_table(net, method=method, kmax=want_kmax,
                                  individual="individual" in rules)


def gcplus(net: Any, *, symbolic: bool = False, method: str = "auto",
           route: str = "auto") -> float | sp.Expr:
    r"""Probability that GC+ does not fully recover :math:`\sum_k g_k`, exactly.

    .. math:: P_\mathrm{out}^{+} = \Pr\big[\mathbf 1\notin\operatorname{rowspace}(\tilde B_U)
              \big] = \sum_{x:\ \mathbf 1\notin\operatorname{rowspace}(A(x))}\prod_m q_m(x_m).

    Parameters
    ----------
    net : CooperativeNetwork
        Independent links (reciprocal links raise ``ValueError``).
    symbolic : bool
        Return a sympy expression in the network's symbols (homogeneous networks: the
        polynomial of :func:`gcplus_polynomial`; otherwise the contraction with symbolic
        state probabilities, practical for small ``M``).
    method : {"auto", "exact", "float"}
        Rank decisions in rational arithmetic (needs ``net.B_exact``; ``"auto"`` uses it for
        at most a few thousand patterns) or in floating point with the row-space rule and
        default tolerance of :mod:`cogc_theory._linalg` (the decoders' rule).
    route : {"auto", "blocks", "ring-s1", "ring", "enumeration"}
        The exact method (:mod:`cogc_theory.outage._routes`): ``"auto"`` takes the cheapest
        that applies — independent blocks of the support (a product over blocks), the s = 1
        ring's closed form (:math:`O(M)`, any ``M``), the full-recovery automaton of generic
        cyclic codes with s = 1 or 2 (:math:`O(M)`, any ``M``), or enumeration of client
        states.
        :func:`explain` says which one a call takes.

    Returns
    -------
    float or sympy.Expr

    Raises
    ------
    ValueError
        For reciprocal links, or more than
        :data:`cogc_theory.outage._states.MAX_PATTERNS` state patterns — the message points
        to ``ct.simulate.outage(net, decoder="gcplus")``.

    Examples
    --------
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> round(gcplus(net), 6)   # = 1 - (1-p)^4 - 4 p (1-p)^3 (1-eps)^3 for the s = 1 ring
    0.194601
    """
    if not isinstance(symbolic, bool):
        raise TypeError(f"symbolic must be True or False, got {symbolic!r}")
    check_net(net)
    check_method(method)
    if net.reciprocal:
        _states.check_enumerable(net, "outage.gcplus", _FALLBACK)   # raises, naming MC
    if net.is_symbolic and not symbolic:
        _weights(net, "float")                                       # raises with the fix
    return _gcplus_route(net, _routes.choose(net, "gcplus", route), symbolic, method)


def _gcplus_route(net: Any, r: Any, symbolic: bool, method: str) -> float | sp.Expr:
    """Evaluate the GC+ outage of ``net`` by the chosen route ``r``."""
    if r.name == "blocks":
        parts = [_gcplus_route(b, _routes.choose(b, "gcplus"), symbolic, method)
                 for b in _routes.block_networks(net)]
        return _routes.union_of_failures(parts, symbolic)
    if r.name == "ring-s1":
        if symbolic:
            return sp.expand(structure.ring_s1_outage(net))
        return float(structure.ring_s1_no_full(net))
    if r.name == "ring":
        out = _ring.ring_outage(net, symbolic=symbolic)
        return sp.expand(out) if symbolic else float(out)
    tab = _table(net, method, (), "outage.gcplus")
    if symbolic:
        if net.is_homogeneous:
            return _poly_from_table(~tab.full, net)
        return sp.expand(_states.contract(~tab.full, _weights(net, "sympy")))
    return float(_states.contract((~tab.full).astype(float), _weights(net, "float")))


def _homogeneous_values(net: Any) -> tuple[Any, Any]:
    p = sp.sympify(net.p[0])
    used = net.eps[net.link_used]
    eps = sp.sympify(used[0]) if used.size else sp.Integer(0)
    return p, eps


def _poly_from_table(table: np.ndarray, net: Any, p: Any = None, eps: Any = None) -> sp.Expr:
    if p is None:
        p, eps = _homogeneous_values(net)
    counts = _states.exponent_counts(table, net)
    M = net.M
    return sp.Add(*[c * p**a * (1 - p)**(M - a) * eps**f * (1 - eps)**g
                    for (a, f, g), c in sorted(counts.items())])


def gcplus_polynomial(net: Any, *, p: Any = None, eps: Any = None, event: str = "no-full",
                      method: str = "auto") -> sp.Expr:
    r"""GC+ probability of an event as a polynomial in :math:`(p, \varepsilon)`.

    Needs a homogeneous network (one uplink erasure, one link erasure). The result is

    .. math:: \sum_{a,f,g} c_{afg}\, p^a(1-p)^{M-a}\varepsilon^f(1-\varepsilon)^g ,

    where :math:`c_{afg}` counts the state patterns of the event with :math:`a` absent
    clients, :math:`f` failed and :math:`g` successful links among the arrived clients.

    Parameters
    ----------
    net : CooperativeNetwork
    p, eps : sympy expressions or numbers, optional
        What to write for the uplink and link erasure probabilities; default: the network's
        own values (symbols stay symbols, numbers give a number). Numbers must be finite
        probabilities in :math:`[0, 1]`.
    event : {"no-full", "full", "total-individual"}
        No full recovery, full recovery, or total outage under ``"individual"``.

    Raises
    ------
    TypeError
        ``p`` or ``eps`` is neither a number nor a sympy expression.
    ValueError
        A numeric ``p`` or ``eps`` outside :math:`[0, 1]` or not finite, only one of them
        given, an inhomogeneous network or an unknown ``event``.

    Examples
    --------
    >>> import cogc_theory as ct, sympy as sp
    >>> p, e = sp.symbols("p epsilon")
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=p, link_erasure=e)
    >>> sp.expand(gcplus_polynomial(net) - (1 - (1-p)**4 - 4*p*(1-p)**3*(1-e)**3))
    0
    """
    check_net(net)
    if not net.is_homogeneous:
        raise ValueError("gcplus_polynomial needs a homogeneous network (one uplink and one "
                         "link erasure value); use gcplus(net, symbolic=True) otherwise")
    if (p is None) != (eps is None):
        raise ValueError("give both p and eps, or neither")
    if p is not None:
        p, eps = check_probability(p, "p"), check_probability(eps, "eps")
    if event not in ("no-full", "full", "total-individual"):
        raise ValueError(f"event must be 'no-full', 'full' or 'total-individual', got {event!r}")
    rules = ("individual",) if event == "total-individual" else ()
    tab = _table(net, method, rules, "outage.gcplus_polynomial")
    T = {"no-full": ~tab.full, "full": tab.full,
         "total-individual": None if tab.k_individual is None else tab.k_individual == 0}[event]
    return _poly_from_table(T, net, p, eps)


@dataclass(frozen=True)
class GCPlusOutage:
    r"""GC+ outcome probabilities of one network.

    Attributes
    ----------
    full : float or Fraction
        :math:`P(\mathbf 1\in\operatorname{rowspace}(A))`.
    no_full : float or Fraction
        :math:`1 - ` ``full``, summed directly (no cancellation).
    partial : dict rule -> float or Fraction
        :math:`P(\emptyset\ne K\ne[M])`.
    total : dict rule -> float or Fraction
        :math:`P(K=\emptyset)`, total outage.
    size_pmf : dict rule -> ndarray (M + 1,)
        :math:`P(|K|=k)`, ``k = 0..M`` (object array of Fractions when exact).
    method : str
        How rank decisions were made (``"exact"`` or ``"float"``; ``"structure"`` for a
        characterisation by structure; joined by ``+`` over blocks).
    route : str
        The route taken (:func:`~cogc_theory.outage.explain`).

    Examples
    --------
    On the ring with :math:`M=4`, :math:`s=1`, GC+ recovers everything iff every client
    arrives (:math:`0.9^4`) or exactly one is absent and the other three are complete
    (:math:`4\cdot0.1\cdot0.9^3\cdot0.8^3`); together :math:`0.8053992`:

    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> d = ct.outage.gcplus_distribution(net)
    >>> round(float(d.full), 10), round(float(d.no_full), 10)
    (0.8053992, 0.1946008)
    >>> round(float(d.total["max-subset"]), 6)      # nothing recovered
    0.034084
    >>> d.size_pmf["max-subset"].round(6)           # P(|K| = 0..4)
    array([0.034084, 0.048413, 0.053784, 0.05832 , 0.805399])
    """

    M: int
    full: Any
    no_full: Any
    partial: dict[str, Any]
    total: dict[str, Any]
    size_pmf: dict[str, np.ndarray]
    method: str
    route: str = "enumeration"

    def mean_size(self, rule: str | None = None) -> Any:
        """:math:`E|K|` under ``rule``.

        ``rule`` must be one of the rules computed (the keys of :attr:`size_pmf`); the
        default is ``"max-subset"`` when it was computed, else the first computed rule.

        Raises
        ------
        ValueError
            ``rule`` was not computed (the message lists the computed rules), or no rule was.
        """
        computed = list(self.size_pmf)
        if rule is None:
            if not computed:
                raise ValueError("no partial rule was computed (rules=()); call "
                                 "gcplus_distribution(net, rules=('max-subset',)) for E|K|")
            rule = "max-subset" if "max-subset" in computed else computed[0]
        if not isinstance(rule, str) or rule not in self.size_pmf:
            raise ValueError(f"rule must be one of the rules computed, {tuple(computed)}, got "
                             f"{rule!r}; pass it in gcplus_distribution(net, rules=...)")
        pmf = self.size_pmf[rule]
        return sum(k * pmf[k] for k in range(self.M + 1))

    def __str__(self) -> str:
        lines = [f"GC+ outcomes (M={self.M}, decisions {self.method}):",
                 f"  P(full)   = {float(self.full):.6g}",
                 f"  P(no full) = {float(self.no_full):.6g}"]
        for r in self.size_pmf:
            lines.append(f"  [{r}] P(partial) = {float(self.partial[r]):.6g}, "
                         f"P(total outage) = {float(self.total[r]):.6g}, "
                         f"E|K| = {float(self.mean_size(r)):.6g}")
        return "\n".join(lines)


def gcplus_distribution(net: Any, *, rules: tuple[str, ...] = RULES, method: str = "auto",
                        exact: bool = False, route: str = "auto") -> GCPlusOutage:
    r"""Full, partial and total-outage probabilities of GC+ and the law of :math:`|K|`.

    .. math:: P(|K| = k) = \sum_{x:\ |K(x)| = k}\prod_m q_m(x_m),\qquad k=0,\dots,M,

    with :math:`|K|=M` exactly on full recovery, :math:`|K|=0` a total outage.

    Parameters
    ----------
    net : CooperativeNetwork
    rules : str or tuple of {"max-subset", "individual"}
        The partial rules whose law of :math:`|K|` is computed; a single string is one rule.
    method : {"auto", "exact", "float"}
        Rank decisions (see :func:`gcplus`).
    exact : bool
        Sum probabilities in rational arithmetic (rational erasures needed) and return
        :class:`fractions.Fraction` values.
    route : {"auto", "blocks", "ring-s1", "enumeration"}
        As in :func:`gcplus`; over blocks the law of :math:`|K|` is the convolution of the
        blocks' laws. The s = 1 ring's transfer matrix gives the individual rule's law at any
        ``M``, and the max-subset law where the kernel vector is checked zero-sum free.

    Returns
    -------
    GCPlusOutage

    Raises
    ------
    TypeError
        ``rules`` is not a string or an iterable of strings.
    ValueError
        An unknown rule, reciprocal links, too many state patterns, or ``exact=True`` with
        non-rational erasures.

    Examples
    --------
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.fractional(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> d = gcplus_distribution(net)
    >>> round(d.no_full, 6), round(float(d.size_pmf["max-subset"].sum()), 12)
    (0.089884, 1.0)
    """
    rules = _check_rules(rules)
    for r in rules:
        if r not in RULES:
            raise ValueError(f"rules must be drawn from {RULES} (least-squares has no finite "
                             f"recovered set), got {r!r}")
    check_net(net)
    check_method(method)
    if exact:
        _weights(net, "exact")                             # rational erasures, or raise
    if net.reciprocal:
        _states.check_enumerable(net, "outage.gcplus_distribution", _FALLBACK)
    return _distribution_route(net, _routes.choose(net, "distribution", route, rules), rules,
                               method, exact)


def _individual_joint(net: Any, method: str, exact: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(f, g)``: :math:`f_j = P(\\text{not full}, |K_\\mathrm{raw}|=j)` and
    :math:`g_j = P(\\text{full}, |K_\\mathrm{raw}|=j)` of one block by enumeration, where
    :math:`K_\\mathrm{raw}=\\{k: e_k\\in\\operatorname{rowspace}\\}` without the full override."""
    _states.check_enumerable(net, "outage.gcplus_distribution (a block)", _FALLBACK)
    tab = _states.decision_table(net, method=method, raw_individual=True)
    w = _weights(net, "exact" if exact else "float")

    def P(T: np.ndarray) -> Any:
        if exact:
            return _states.contract(T.astype(object) * 1, w)
        return float(_states.contract(T.astype(float), w))

    dtype = object if exact else float
    f = np.array([P(~tab.full & (tab.k_individual == j)) for j in range(net.M + 1)], dtype)
    g = np.array([P(tab.full & (tab.k_individual == j)) for j in range(net.M + 1)], dtype)
    return f, g


def _distribution_route(net: Any, r: Any, rules: tuple[str, ...], method: str,
                        exact: bool) -> GCPlusOutage:
    M = net.M
    zero = Fraction(0) if exact else 0.0
    if r.name in ("blocks", "ring-s1"):
        if r.name == "blocks":
            parts = [_distribution_route(b, _routes.choose(b, "distribution", rules=rules),
                                         rules, method, exact)
                     for b in _routes.block_networks(net)]
            full = parts[0].full
            for d in parts[1:]:
                full = full * d.full
            pmf = {rl: _routes.convolve([d.size_pmf[rl] for d in parts], exact)
                   for rl in rules if rl != "individual"}
            if "individual" in rules:
                # a full block does not make its e_k recoverable: combine the blocks' raw
                # individual counts, jointly with their full recovery
                joint = [_individual_joint(b, method, exact) for b in _routes.block_networks(net)]
                law = (_routes.convolve([f + g for f, g in joint], exact)
                       - _routes.convolve([g for _, g in joint], exact))
                law[M] += full
                pmf["individual"] = law if exact else np.maximum(law, 0.0)
                pmf = {rl: pmf[rl] for rl in rules}
            how = "+".join(sorted({d.method for d in parts}))
            no_full = (Fraction(1) - full if exact
                       else _routes.union_of_failures([d.no_full for d in parts], False))
        else:
            law = structure.ring_s1_size_pmf(net, exact=exact)
            full, pmf, how = law[M], {rl: law.copy() for rl in rules}, "structure"
            no_full = structure.ring_s1_no_full(net, exact=exact)
        return GCPlusOutage(M=M, full=full, no_full=no_full,
                            partial={rl: sum(pmf[rl][1:M], zero) for rl in rules},
                            total={rl: pmf[rl][0] for rl in rules}, size_pmf=pmf, method=how,
                            route=r.name)
    tab = _table(net, method, rules, "outage.gcplus_distribution")
    w = _weights(net, "exact" if exact else "float")

    def P(T: np.ndarray) -> Any:
        if exact:
            return _states.contract(T.astype(object) * 1, w)
        return float(_states.contract(T.astype(float), w))

    M = net.M
    pmf: dict[str, np.ndarray] = {}
    partial, total = {}, {}
    for r in rules:
        ksize = tab.k_max if r == "max-subset" else tab.k_individual
        vals = [P(ksize == k) for k in range(M + 1)]
        pmf[r] = np.array(vals, dtype=object if exact else float)
        total[r] = vals[0]
        partial[r] = sum(vals[1:M], Fraction(0) if exact else 0.0)
    return GCPlusOutage(M=M, full=P(tab.full), no_full=P(~tab.full), partial=partial,
                        total=total, size_pmf=pmf, method=tab.method, route="enumeration")


def gcplus_formula(net: Any, *, method: str = "auto") -> OutageFormula:
    r"""GC+ :math:`P(\text{no full recovery})` as an :class:`~.cogc.OutageFormula`.

    Homogeneous networks give the count polynomial of :func:`gcplus_polynomial` (its
    ``closed_form`` and LaTeX), others the symbolic contraction of :func:`gcplus`. Its
    ``func`` checks its arguments: values that are not finite, or that make an erasure
    probability leave :math:`[0, 1]`, raise ``ValueError`` naming the argument.

    Examples
    --------
    >>> import cogc_theory as ct, sympy as sp
    >>> p, e = sp.symbols("p epsilon")
    >>> f = gcplus_formula(ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=p,
    ...                                                 link_erasure=e))
    >>> f.symbols, round(float(f.func(0.2, 0.1)), 6)
    ((epsilon, p), 0.194601)
    """
    check_net(net)
    expr = (gcplus_polynomial(net, method=method) if net.is_homogeneous
            else gcplus(net, symbolic=True, method=method))
    syms = tuple(sorted(expr.free_symbols, key=lambda x: x.name))
    return OutageFormula(expr=expr, closed_form=expr, latex=sp.latex(expr), symbols=syms,
                         func=CheckedFunc(expr, syms, net))
