r"""Outage of standard GC decoding (CoGC): closed forms, reliability polynomials, symbolic.

Client :math:`m` *contributes* when its partial sum is complete and its upload arrives, with
probability

.. math:: \pi_m = (1-p_m)\prod_{k\in N_m}(1-\varepsilon_{mk}),

independently across clients (links not reciprocal). Standard decoding succeeds iff the set
:math:`R` of contributing clients is **decodable**: :math:`\mathbf 1\in\operatorname{rowspace}
(B_R)`. Decodable sets form an up-set (supersets of decodable sets are decodable), the
*decodable family* :math:`\mathcal D(B)`, and

.. math:: P_\mathrm{out} = 1 - \sum_{R\in\mathcal D(B)}\prod_{m\in R}\pi_m
          \prod_{m\notin R}(1-\pi_m) = \sum_{R\notin\mathcal D(B)}\prod_{m\in R}\pi_m
          \prod_{m\notin R}(1-\pi_m).

The toolkit determines :math:`\mathcal D(B)` itself (:func:`decodable_family`). When it is a
**threshold family** — exactly the sets of size :math:`\ge t` — the number of contributions is
Poisson-binomial and :math:`P_\mathrm{out} = \Pr[X\le t-1]` (:mod:`scipy.stats.poisson_binom`);
for a cyclic-repetition code :math:`t = M-s`, and with homogeneous erasures

.. math:: P_\mathrm{out} = \sum_{j=0}^{M-s-1}\binom{M}{j}\pi^j(1-\pi)^{M-j},\qquad
          \pi=(1-p)(1-\varepsilon)^s.

Fractional-repetition and user matrices are not threshold families in general (a fractional
code decodes from one row per group), and their outage is the reliability polynomial above.

Symbolic results are built by dynamic programming in a polynomial ring (:class:`sympy.Poly`
over one generator per distinct :math:`\pi_m`, substituted at the end, so the result stays
compact: at most :math:`2^M` terms in the :math:`\pi_m`) — the Poisson-binomial recursion for
threshold families, a Shannon expansion of the decodable family with shared sub-families
otherwise — never by expanding the product over all :math:`2^M` sets.

References
----------
.. [1] S. Weng, M. Xiao, C. Ren, M. Skoglund, "Cooperative Gradient Coding", IEEE Trans.
   Commun., 2025 (arXiv:2507.05230).
.. [2] R. Tandon, Q. Lei, A. G. Dimakis, N. Karampatziakis, "Gradient Coding", ICML 2017.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.stats
import sympy as sp

from .._linalg import ATOL, RTOL, Tolerance, gs_extend, ones_in_span
from . import _routes, _states
from ._common import (
    CheckedFunc,
    check_independent,
    check_method,
    check_net,
    pi_polys,
    poisson_binomial_cdf,
    shannon,
)

__all__ = ["DecodableFamily", "OutageFormula", "cogc", "cogc_formula", "decodable_family"]

#: Largest ``M`` for which the whole family (:math:`2^M` sets) is tabulated.
MAX_TABLE_M = 22
#: Largest number of subsets tested when checking a threshold family for larger ``M``.
MAX_THRESHOLD_TESTS = 200_000


# ----------------------------------------------------------------------------- family
@dataclass(frozen=True)
class DecodableFamily:
    r"""The sets :math:`R` of clients with :math:`\mathbf 1\in\operatorname{rowspace}(B_R)`.

    Attributes
    ----------
    M : int
    table : bool ndarray of shape ``(2,) * M`` or None
        ``table[x_0, ..., x_{M-1}]`` is True iff :math:`\{m : x_m = 1\}` is decodable
        (``None`` when ``M`` is too large to tabulate and the family is a threshold family).
    threshold : int or None
        :math:`t` when the family is exactly the sets of size :math:`\ge t`, else ``None``
        (:math:`t = M + 1` when no set decodes, not even all :math:`M` rows).
    method : str
        ``"exact"`` (rational arithmetic) or ``"float"``.

    Examples
    --------
    On the ring with :math:`M=4`, :math:`s=1`, any three rows decode and no two do:

    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> fam = ct.outage.decodable_family(net)
    >>> fam.threshold, fam.counts                 # decodable sets by size 0..4: C(4,3), C(4,4)
    (3, [0, 0, 0, 4, 1])
    >>> fam.is_decodable({0, 1, 2}), fam.is_decodable({0, 1})
    (True, False)
    """

    M: int
    table: np.ndarray | None
    threshold: int | None
    method: str
    _minimal: list[frozenset[int]] | None = field(default=None, repr=False, compare=False)

    @property
    def counts(self) -> list[int]:
        """:math:`A_j`, the number of decodable sets of size :math:`j`, for ``j = 0..M``."""
        if self.table is None:
            t = self.threshold
            return [math.comb(self.M, j) if j >= t else 0 for j in range(self.M + 1)]
        sizes = np.indices(self.table.shape).sum(axis=0)
        return [int(np.count_nonzero(self.table & (sizes == j))) for j in range(self.M + 1)]

    def minimal_sets(self) -> list[frozenset[int]]:
        """Minimal decodable sets (no decodable proper subset), sorted by size then members."""
        if self.table is None:
            raise ValueError(f"the family of this M={self.M} threshold code is not tabulated: "
                             f"its minimal sets are all {math.comb(self.M, self.threshold)} "
                             f"sets of size {self.threshold}")
        out = []
        for idx in zip(*np.nonzero(self.table), strict=True):
            members = [m for m, x in enumerate(idx) if x]
            ok = True
            for m in members:
                sub = list(idx)
                sub[m] = 0
                if self.table[tuple(sub)]:
                    ok = False
                    break
            if ok:
                out.append(frozenset(members))
        return sorted(out, key=lambda S: (len(S), sorted(S)))

    def is_decodable(self, R: Any) -> bool:
        """Whether the client set ``R`` is decodable.

        Parameters
        ----------
        R : iterable of int, or boolean mask of length ``M``
            Distinct client indices in ``0..M-1`` (e.g. ``[0, 2, 3]``), or a mask whose entry
            ``m`` says whether client ``m`` is in the set (a numpy bool array or a sequence
            of ``bool``, e.g. ``[True, False, True, True]``). Integer 0/1 sequences are read
            as indices, not as a mask.

        Raises
        ------
        TypeError
            ``R`` is not an iterable of integers or a boolean mask.
        ValueError
            An index is out of range or repeated, or a mask does not have length ``M``.
        """
        members = _client_set(R, self.M)
        if self.table is None:
            return len(members) >= self.threshold
        return bool(self.table[tuple(1 if m in members else 0 for m in range(self.M))])

    def __str__(self) -> str:
        kind = (f"threshold family: decodable iff |R| >= {self.threshold}"
                if self.threshold is not None else "not a threshold family")
        lines = [f"DecodableFamily(M={self.M}, {self.method}): {kind}",
                 "  decodable sets by size: "
                 + ", ".join(f"{j}:{c}" for j, c in enumerate(self.counts) if c)]
        if self.table is not None:
            mins = self.minimal_sets()
            shown = ", ".join("{" + ",".join(map(str, sorted(S))) + "}" for S in mins[:8])
            more = f", ... ({len(mins)} in all)" if len(mins) > 8 else ""
            lines.append(f"  minimal decodable sets: {shown}{more}")
        return "\n".join(lines)


def _client_set(R: Any, M: int, name: str = "R") -> set[int]:
    """The client indices of ``R``: distinct indices in ``0..M-1`` or a length-``M`` bool mask."""
    if isinstance(R, str | bytes) or not isinstance(R, np.ndarray | Iterable):
        raise TypeError(f"{name} must be an iterable of client indices or a boolean mask of "
                        f"length M={M}, got {type(R).__name__} {R!r}")
    if isinstance(R, np.ndarray) and R.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional (indices or a mask of length M={M}), "
                         f"got shape {R.shape}")
    items = R.tolist() if isinstance(R, np.ndarray) else list(R)
    is_mask = (R.dtype == bool if isinstance(R, np.ndarray)
               else bool(items) and all(isinstance(x, bool | np.bool_) for x in items))
    if is_mask:
        if len(items) != M:
            raise ValueError(f"{name} as a boolean mask must have length M={M}, got length "
                             f"{len(items)}; or pass the client indices, e.g. [0, 2]")
        return {m for m, x in enumerate(items) if x}
    out: set[int] = set()
    for x in items:
        if isinstance(x, bool | np.bool_) or not isinstance(x, numbers.Integral):
            raise TypeError(f"{name} must contain integer client indices (or be a boolean "
                            f"mask of length M={M}), got {type(x).__name__} {x!r}")
        m = int(x)
        if not 0 <= m < M:
            raise ValueError(f"{name} contains client index {m}, outside 0..{M - 1}")
        if m in out:
            raise ValueError(f"{name} contains client index {m} twice; list each client once")
        out.add(m)
    return out


def _threshold_of(table: np.ndarray) -> int | None:
    M = table.ndim
    sizes = np.indices(table.shape).sum(axis=0)
    for t in range(M + 2):
        if np.array_equal(table, sizes >= t):
            return t
    return None


def _subsets_decodable(net: Any, subsets: list[tuple[int, ...]], tol: Tolerance) -> np.ndarray:
    """Float test of :math:`\\mathbf 1\\in\\operatorname{rowspace}(B_R)` for explicit sets."""
    M = net.M
    n = len(subsets)
    Q = np.zeros((n, M, M))
    rk = np.zeros(n, dtype=np.int64)
    res = np.ones((n, M))
    mask = np.zeros((n, M), dtype=bool)
    for i, R in enumerate(subsets):
        mask[i, list(R)] = True
    for m in range(M):
        gs_extend(Q, rk, res, np.where(mask[:, m:m + 1], net.B[m][None, :], 0.0), tol)
    return ones_in_span(res, tol)


def decodable_family(net: Any, *, method: str = "auto", rtol: float = RTOL,
                     atol: float = ATOL) -> DecodableFamily:
    r"""Find the decodable family :math:`\mathcal D(B)` of the network's GC matrix.

    For :math:`M\le` :data:`MAX_TABLE_M` every set is classified (rank tests over the
    :math:`2^M` sets, pruned by monotonicity). For larger ``M`` only a threshold family can be
    certified: with ``t = M - net.s`` (a hint, not trusted), all sets of size ``t`` are
    checked to decode and all sets of size ``t - 1`` to fail, which by monotonicity pins
    down the whole family.

    Parameters
    ----------
    net : CooperativeNetwork
    method : {"auto", "exact", "float"}
        ``"exact"`` uses rational arithmetic on ``net.B_exact``; ``"auto"`` does so when ``B``
        is rational and ``M`` is small.
    rtol, atol : float
        Tolerances of the float path, the row-space rule of :mod:`cogc_theory._linalg`
        shared with the decoders (:class:`~cogc_theory._linalg.Tolerance`: ``rtol`` in
        :math:`(0, 1)`, ``atol`` in :math:`(0, 10^{-2}]`).

    Returns
    -------
    DecodableFamily

    Raises
    ------
    TypeError
        ``net`` is not a :class:`~cogc_theory.network.CooperativeNetwork` or a tolerance is
        not a number.
    ValueError
        A tolerance outside its range, an unknown ``method``, or a family that cannot be
        determined (the message points to ``ct.simulate.outage``).

    Examples
    --------
    >>> import cogc_theory as ct
    >>> fam = decodable_family(ct.CooperativeNetwork.fractional(
    ...     4, 1, uplink_erasure=0.1, link_erasure=0.1))
    >>> fam.threshold is None, sorted(map(sorted, fam.minimal_sets()))
    (True, [[0, 2], [0, 3], [1, 2], [1, 3]])
    """
    check_net(net)
    tol = Tolerance(rtol, atol)
    M = net.M
    if M <= MAX_TABLE_M:
        tab = _states.decision_table(net, method=method, complete_only=True, tol=tol)
        return DecodableFamily(M=M, table=tab.full, threshold=_threshold_of(tab.full),
                               method=tab.method)
    s = net.s
    if s is None:
        raise ValueError(
            f"decodable_family: M={M} > {MAX_TABLE_M} and net.s is unknown, so the family "
            f"cannot be tabulated; estimate the outage with ct.simulate.outage(net)")
    t = M - s
    n_tests = math.comb(M, t) + math.comb(M, t - 1)
    if n_tests > MAX_THRESHOLD_TESTS:
        raise ValueError(
            f"decodable_family: checking the threshold family of M={M}, s={s} needs "
            f"{n_tests:,} rank tests (> {MAX_THRESHOLD_TESTS:,}); estimate the outage with "
            f"ct.simulate.outage(net)")
    upper = list(itertools.combinations(range(M), t))
    lower = list(itertools.combinations(range(M), t - 1)) if t >= 1 else []
    ok_up = _subsets_decodable(net, upper, tol).all()
    ok_low = not _subsets_decodable(net, lower, tol).any() if lower else True
    if not ok_up:
        raise ValueError(
            f"decodable_family: for M={M} some sets of M - s = {t} clients do not decode, so B "
            f"does not tolerate s = net.s = {s} stragglers and the family is not the threshold "
            f"family |R| >= {t}; 2^{M} sets are too many to tabulate: estimate the outage "
            f"with ct.simulate.outage(net)")
    if not ok_low:
        raise ValueError(
            f"decodable_family: for M={M} some sets of {t - 1} clients decode too, so the "
            f"family is not a threshold family (fractional repetition, for one, decodes from "
            f"one row per group) and 2^{M} sets are too many to tabulate; ct.outage.cogc(net) "
            f"uses the independent blocks of B where its support splits, else estimate the "
            f"outage with ct.simulate.outage(net)")
    return DecodableFamily(M=M, table=None, threshold=t, method="float")


# ----------------------------------------------------------------------------- polynomials










# ----------------------------------------------------------------------------- public API




def cogc(net: Any, *, symbolic: bool = False, method: str = "auto",
         route: str = "auto") -> float | sp.Expr:
    r"""Probability that standard GC decoding fails in one round, exactly.

    .. math:: P_\mathrm{out} = \sum_{R\notin\mathcal D(B)}\prod_{m\in R}\pi_m
              \prod_{m\notin R}(1-\pi_m),
              \qquad \pi_m = (1-p_m)\prod_{k\in N_m}(1-\varepsilon_{mk}).

    For a threshold family (:math:`\mathcal D(B)` = sets of size :math:`\ge t`) this is the
    Poisson-binomial CDF :math:`\Pr[X\le t-1]`.

    Parameters
    ----------
    net : CooperativeNetwork
        Numeric or symbolic erasures; reciprocal links are refused.
    symbolic : bool
        Return a sympy expression (in the network's symbols; a rational number when the
        erasures are rationals) instead of a float.
    method : {"auto", "exact", "float"}
        How the decodable family is found (see :func:`decodable_family`).
    route : {"auto", "blocks", "threshold", "family"}
        The exact method (:mod:`cogc_theory.outage._routes`): ``"auto"`` takes the cheapest
        that applies — independent blocks of the support (a product over blocks), a threshold
        family known by construction or verified (Poisson binomial, :math:`O(M^2)`), or the
        tabulated family (:math:`M\le 22`). :func:`explain` says which one a call takes.

    Returns
    -------
    float or sympy.Expr

    Raises
    ------
    ValueError
        For reciprocal links, for a symbolic network with ``symbolic=False``, or when the
        family cannot be determined (the message points to ``ct.simulate.outage``).

    Examples
    --------
    >>> import cogc_theory as ct, sympy as sp
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> round(cogc(net), 6)
    0.313224
    >>> p, e = sp.symbols("p epsilon")
    >>> sp.factor(cogc(net.with_erasures(uplink_erasure=p, link_erasure=e), symbolic=True)
    ...           - (1 - ((1-p)*(1-e))**4 - 4*((1-p)*(1-e))**3*(1-(1-p)*(1-e))))
    0
    """
    check_net(net)
    check_independent(net, "outage.cogc", "ct.simulate.outage(net, decoder='standard')")
    if not isinstance(symbolic, bool):
        raise TypeError(f"symbolic must be True or False, got {symbolic!r}")
    check_method(method)
    if net.is_symbolic and not symbolic:
        raise ValueError("outage.cogc: the network is symbolic; pass symbolic=True or "
                         "substitute numbers with net.subs({...})")
    return _cogc_route(net, _routes.choose(net, "cogc", route), symbolic, method)


def _cogc_route(net: Any, r: Any, symbolic: bool, method: str) -> float | sp.Expr:
    """Evaluate the CoGC outage of ``net`` by the chosen route ``r``."""
    if r.name == "blocks":
        parts = [_cogc_route(b, _routes.choose(b, "cogc"), symbolic, method)
                 for b in _routes.block_networks(net)]
        return _routes.union_of_failures(parts, symbolic)
    if r.name == "threshold" and net.threshold is not None:
        t = net.threshold
    else:
        fam = decodable_family(net, method=method)
        if symbolic:
            return _cogc_symbolic(net, fam)
        t = fam.threshold
        if t is None:
            pi = np.clip(net.success_probabilities(), 0.0, 1.0)
            return float(shannon(~fam.table, list(1 - pi), list(pi), 1.0, 0.0))
    if symbolic:
        return _cogc_symbolic(net, DecodableFamily(M=net.M, table=None, threshold=t,
                                                   method="construction"))
    if t <= 0:
        return 0.0
    if t > net.M:
        return 1.0
    pi = np.clip(net.success_probabilities(), 0.0, 1.0)
    # the CDF's rounding can leave [0, 1] by an ulp (-0.0 when every pi_m is 1)
    return min(1.0, max(0.0, float(scipy.stats.poisson_binom(pi).cdf(t - 1))))


def _cogc_symbolic(net: Any, fam: DecodableFamily) -> sp.Expr:
    pis_e = list(net.success_probabilities(symbolic=True))
    M = net.M
    if all(sp.simplify(x - pis_e[0]) == 0 for x in pis_e[1:]):
        pi = pis_e[0]
        counts = fam.counts
        return sp.Add(*[(math.comb(M, j) - counts[j]) * pi**j * (1 - pi)**(M - j)
                        for j in range(M + 1) if math.comb(M, j) != counts[j]])
    pis, qs, back = pi_polys(net)
    one, zero = pis[0].one, pis[0].zero
    if fam.threshold is not None:
        t = fam.threshold
        poly = zero if t <= 0 else one if t > M else poisson_binomial_cdf(
            pis, qs, t - 1, one, zero)
    else:
        poly = shannon(~fam.table, qs, pis, one, zero)
    return sp.sympify(poly.as_expr()).xreplace(back)


@dataclass(frozen=True)
class OutageFormula:
    r"""A CoGC outage formula in three forms.

    Attributes
    ----------
    expr : sympy.Expr
        The outage probability (:func:`cogc` with ``symbolic=True``).
    closed_form : sympy.Expr
        For homogeneous erasures, the unevaluated sum
        :math:`\sum_j (\binom{M}{j}-A_j)\pi^j(1-\pi)^{M-j}` (:math:`A_j` decodable sets of size
        :math:`j`), which for a threshold family :math:`t` is
        :math:`\sum_{j=0}^{t-1}\binom{M}{j}\pi^j(1-\pi)^{M-j}`; else equal to ``expr``.
    latex : str
        LaTeX of ``closed_form``.
    symbols : tuple of sympy.Symbol
        Free symbols, in the argument order of :attr:`func`.
    func : callable
        ``func(*values)`` evaluates ``expr`` numerically (numpy-vectorised: arrays broadcast).
        Every value must be a finite real number or array, and the erasure probabilities it
        implies must lie in :math:`[0, 1]` (a symbol that *is* an erasure probability must
        itself lie in :math:`[0, 1]`); otherwise it raises ``TypeError`` / ``ValueError``
        naming the argument, instead of returning a meaningless number or NaN.

    Examples
    --------
    The ring with :math:`M=4`, :math:`s=1` decodes iff at least 3 clients contribute, each with
    probability :math:`\pi=(1-p)(1-\varepsilon)`, so
    :math:`P_\mathrm{out}=\sum_{j\le 2}\binom4j\pi^j(1-\pi)^{4-j}`; at :math:`p=0.1`,
    :math:`\varepsilon=0.2`, :math:`\pi=0.72` and
    :math:`P_\mathrm{out}=1-0.72^4-4\cdot0.72^3\cdot0.28=0.31322368`:

    >>> import sympy as sp
    >>> import cogc_theory as ct
    >>> p, eps = sp.symbols("p epsilon")
    >>> f = ct.outage.cogc_formula(ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=p,
    ...                                                         link_erasure=eps))
    >>> f.symbols
    (epsilon, p)
    >>> round(float(f.func(0.2, 0.1)), 8)
    0.31322368
    >>> f.closed_form
    Sum(((1 - epsilon)*(1 - p))**j*(-(1 - epsilon)*(1 - p) + 1)**(4 - j)*binomial(4, j), (j, 0, 2))
    """

    expr: sp.Expr
    closed_form: sp.Expr
    latex: str
    symbols: tuple[sp.Symbol, ...]
    func: Callable[..., Any]

    def _repr_latex_(self) -> str:
        return f"${self.latex}$"






def cogc_formula(net: Any, *, method: str = "auto") -> OutageFormula:
    r"""The CoGC outage of ``net`` as an :class:`OutageFormula` (expression, LaTeX, function).

    The function ``func`` checks its arguments: values that are not finite, or that make an
    erasure probability leave :math:`[0, 1]`, raise ``ValueError`` naming the argument.

    Examples
    --------
    >>> import cogc_theory as ct, sympy as sp
    >>> p, e = sp.symbols("p epsilon")
    >>> f = cogc_formula(ct.CooperativeNetwork.cyclic(5, 2, uplink_erasure=p, link_erasure=e))
    >>> f.latex.startswith(r"\sum_{j=0}^{2}")
    True
    >>> net = ct.CooperativeNetwork.cyclic(5, 2, uplink_erasure=0.1, link_erasure=0.2)
    >>> f.symbols, bool(abs(f.func(0.2, 0.1) - cogc(net)) < 1e-12)
    ((epsilon, p), True)
    """
    check_net(net)
    expr = cogc(net, symbolic=True, method=method)
    closed = expr
    pis = list(net.success_probabilities(symbolic=True))
    if all(sp.simplify(x - pis[0]) == 0 for x in pis[1:]):
        fam = decodable_family(net, method=method)
        M = net.M
        j = sp.Symbol("j", integer=True, nonnegative=True)
        pi = pis[0]
        if fam.threshold is not None and 0 < fam.threshold <= M:
            closed = sp.Sum(sp.binomial(M, j) * pi**j * (1 - pi)**(M - j),
                            (j, 0, fam.threshold - 1))
    syms = tuple(sorted(expr.free_symbols, key=lambda x: x.name))
    return OutageFormula(expr=expr, closed_form=closed, latex=sp.latex(closed), symbols=syms,
                         func=CheckedFunc(expr, syms, net))
