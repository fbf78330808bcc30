r"""Convergence bounds for CoGC and GC+ (SPEC section 4, item 5).

The objective is :math:`F(w)=\frac1M\sum_{k=1}^M f_k(w)`. Client :math:`k` returns a
stochastic gradient :math:`g_k=\nabla f_k(w)+\xi_k` with :math:`\mathbb E\xi_k=0`,
:math:`\mathbb E\|\xi_k\|^2\le\sigma^2`, the :math:`\xi_k` independent across clients and of
the link draws. Heterogeneity is the bounded-dissimilarity assumption

.. math:: \frac1M\sum_{k=1}^M\|\nabla f_k(w)-\nabla F(w)\|^2\le\zeta^2

at every iterate :math:`w` (for all :math:`w`, or on a set known to contain the iterates).

In a round the server recovers a set :math:`K`, :math:`|K|=k`: :math:`k=M` (full recovery)
gives :math:`w^+=w-\frac\eta M\sum_j g_j`; :math:`1\le k<M` (GC+ partial recovery, a
subset rule) gives :math:`w^+=w-\frac\eta k\sum_{j\in K}g_j`; :math:`k=0` (outage) leaves
:math:`w`. The outcome is independent of :math:`w` and i.i.d. across rounds, with
:math:`P_k=P(|K|=k)` from :mod:`cogc_theory.outage` (or given as numbers or sympy symbols).
CoGC is the special case :math:`P_M=1-P_\mathrm{out}`, :math:`P_0=P_\mathrm{out}`; ideal
gradient descent is :math:`P_M=1`.

**One-round inequalities** (derived and checked in :mod:`cogc_theory.proofs`). For
:math:`0<\eta\le1/L`, with :math:`a_t=\mathbb EF(w_t)-F^*`, outcome :math:`k` gives
:math:`a_{t+1}\le\rho_k a_t+c_k` and :math:`h_{t+1}\le h_t-\gamma_k\|\nabla F(w_t)\|^2+c_k`:

=====================  ================================  ============================
outcome                :math:`\rho_k` / :math:`\gamma_k`  :math:`c_k`
=====================  ================================  ============================
:math:`k=0`            :math:`1` / :math:`0`             :math:`0`
:math:`1\le k<M`       :math:`1-\mu\eta` /                :math:`\frac{\eta(M-k)\zeta^2}{2k}
                       :math:`\eta/2`                    +\frac{L\eta^2\sigma^2}{2k}`
:math:`k=M`            :math:`1-\mu\eta(2-L\eta)` /       :math:`\frac{L\eta^2\sigma^2}{2M}`
                       :math:`\eta(1-L\eta/2)`
=====================  ================================  ============================

(:math:`(M-k)\zeta^2/k` is the largest squared bias of a size-:math:`k` average,
attained.) With ``method="pep"`` a full round contracts by
:math:`\rho_M=(1-\eta\mu)^2` instead: the exact worst-case one-step rate of gradient descent on
:math:`L`-smooth :math:`\mu`-strongly convex functions for :math:`\eta\le1/L` (a
performance-estimation certificate, Taylor–Hendrickx–Glineur; derived in
:mod:`cogc_theory.proofs.bound_gd_rate`), attained by the quadratic
:math:`\frac\mu2\lVert w\rVert^2`; the noise term is unchanged.
Averaging over the outcome and using :math:`\sum_kP_k=1`,

.. math:: a_{t+1}\le\rho\,a_t+c,\qquad \rho=1-\sum_{k\ge1}P_k(1-\rho_k),\qquad
          c=\sum_{k\ge1}P_kc_k,

which :func:`solve_linear_recursion` solves with :func:`sympy.rsolve`; the non-convex bound
telescopes :math:`h_{t+1}\le h_t-\gamma\,\mathbb E\|\nabla F(w_t)\|^2+c`,
:math:`\gamma=\sum_kP_k\gamma_k`, by the same solver.

Examples
--------
>>> b = strongly_convex("cogc", P_out=0.2, M=4)
>>> round(b(T=10, eta=0.5, L=1.0, mu=0.1, sigma2=0.0, Delta0=1.0), 6)
0.538615
>>> b.rounds_to_accuracy(1e-3, eta=0.5, L=1.0, mu=0.1, sigma2=0.0, Delta0=1.0)
112
"""

from __future__ import annotations

import functools
import math
import numbers
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from .._validate import check_int, check_probability, is_symbolic

__all__ = [
    "Bound",
    "SCHEMES",
    "SYMBOLS",
    "cli_summary",
    "nonconvex",
    "one_round",
    "outcome_probabilities",
    "outcome_step",
    "solve_linear_recursion",
    "strongly_convex",
]

T, t = sp.symbols("T t", integer=True, nonnegative=True)
eta, L, mu = sp.symbols("eta L mu", positive=True)
sigma2, zeta2 = sp.symbols("sigma2 zeta2", nonnegative=True)
Delta0 = sp.Symbol("Delta0", nonnegative=True)
P_out = sp.Symbol("P_out", nonnegative=True)
Msym = sp.Symbol("M", positive=True, integer=True)
#: symbols the bounds are expressed in (``T, eta, L, mu, sigma2, zeta2, Delta0, M``)
SYMBOLS = {"T": T, "eta": eta, "L": L, "mu": mu, "sigma2": sigma2, "zeta2": zeta2,
           "Delta0": Delta0, "M": Msym}
#: schemes with a bound
SCHEMES = ("ideal", "cogc", "gcplus")
_SUBSET_RULES = ("max-subset", "individual")
_LATEX_NAMES = {sigma2: r"\sigma^{2}", zeta2: r"\zeta^{2}", Delta0: r"\Delta_{0}",
                P_out: r"P_{\mathrm{out}}"}
_KINDS = ("strongly-convex", "nonconvex")
#: Full-round contraction of the strongly convex bound: the descent lemma with the PL
#: inequality (``"descent"``, SPEC 4.5) or the exact one-step rate of gradient descent
#: (``"pep"``).
METHODS = ("descent", "pep")


def _check_method(method: Any) -> str:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS} (the full round's contraction: "
                         f"descent lemma, or the exact gradient-descent rate), got {method!r}")
    return method


# ------------------------------------------------------------------------ outcome law
def _is_rational_net(net: Any) -> bool:
    vals = list(net.p) + list(net.eps[net.link_used])
    return all(isinstance(x, (int, Fraction)) or (isinstance(x, sp.Basic) and x.is_Rational)
               for x in vals)


def _check_net(net: Any) -> None:
    from ..network import CooperativeNetwork

    if not isinstance(net, CooperativeNetwork):
        raise TypeError(f"net must be a CooperativeNetwork, got {type(net).__name__}")
    if net.memory is not None:
        raise ValueError("the bounds assume outcomes i.i.d. across rounds, but net.memory "
                         "makes the links Gilbert-Elliott chains; use a memoryless network "
                         "(memory=None)")


def _gcplus_pmf(net: Any, rule: str) -> tuple[list[Any], str]:
    from .. import outage

    if net.is_symbolic:
        raise ValueError("GC+ bounds from a symbolic network are not available: substitute "
                         "numbers with net.subs({...}), or pass size_pmf=[P_0, ..., P_M]")
    exact = _is_rational_net(net)
    if rule == "auto":
        try:
            d = outage.gcplus_distribution(net, rules=("max-subset",), exact=exact)
            rule = "max-subset"
        except ValueError as exc:
            if "max-subset" not in str(exc):
                raise
            d = outage.gcplus_distribution(net, rules=("individual",), exact=exact)
            rule = "individual"
    else:
        d = outage.gcplus_distribution(net, rules=(rule,), exact=exact)
    return list(d.size_pmf[rule]), rule


def _prob(x: Any, name: str) -> Any:
    """A probability, keeping integers (0, 1) exact."""
    if isinstance(x, numbers.Integral) and not isinstance(x, bool):
        return sp.Integer(check_probability(sp.Integer(int(x)), name))
    return check_probability(x, name)


def _law(scheme: str, *, P_out: Any = None, size_pmf: Any = None, net: Any = None,
         rule: str = "max-subset", M: Any = None) -> tuple[list[Any], Any, str]:
    """``(P, M, label)``: ``P = [P_0, ..., P_M]`` or ``[P_0, P_M]`` with ``M`` a symbol."""
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    if rule not in _SUBSET_RULES + ("auto",):
        raise ValueError(f"rule must be 'max-subset', 'individual' or 'auto', got {rule!r} "
                         "(the bounds need a recovered subset K; least-squares has none)")
    if net is not None:
        _check_net(net)
        if M is not None and check_int(M, "M", lo=1) != net.M:
            raise ValueError(f"M={M} disagrees with net.M={net.M}; omit M")
        M = net.M
    if M is not None:
        M = check_int(M, "M", lo=1)
    label = {"ideal": "ideal GD", "cogc": "CoGC", "gcplus": "GC+"}[scheme]
    if scheme in ("ideal", "cogc"):
        if scheme == "ideal":
            po: Any = sp.Integer(0)
        elif P_out is not None:
            po = _prob(P_out, "P_out")
        elif net is not None:
            from .. import outage

            exact = net.is_symbolic or _is_rational_net(net)
            po = check_probability(outage.cogc(net, symbolic=exact), "P_out")
        else:
            po = globals()["P_out"]
        if M is None:
            return [po, 1 - sp.sympify(po)], Msym, label
        return [po] + [0] * (M - 1) + [1 - sp.sympify(po)], M, label
    if size_pmf is None:
        if net is not None:
            size_pmf, used = _gcplus_pmf(net, rule)
            if used != "max-subset":
                label = f"GC+ ({used} rule)"
        elif M is not None:
            size_pmf = list(sp.symbols(f"P_0:{M + 1}", nonnegative=True))
        else:
            raise ValueError("gcplus bounds need size_pmf=[P_0, ..., P_M], net=, or M= "
                             "(for symbols P_0..P_M)")
    pmf = [_prob(x, f"size_pmf[{i}]") for i, x in enumerate(size_pmf)]
    if len(pmf) < 2:
        raise ValueError("size_pmf must have length M + 1 >= 2: P(|K| = k) for k = 0..M")
    if M is not None and len(pmf) != M + 1:
        raise ValueError(f"size_pmf has length {len(pmf)}, expected M + 1 = {M + 1}")
    if not any(is_symbolic(x) for x in pmf):
        tot = sum(sp.nsimplify(x) if isinstance(x, sp.Basic) else x for x in pmf)
        if abs(float(tot) - 1) > 1e-9:
            raise ValueError(f"size_pmf must sum to 1, got {float(tot)!r}; pass P(|K| = k) "
                             "for k = 0..M")
    return pmf, len(pmf) - 1, label


def outcome_probabilities(scheme: str = "cogc", *, P_out: Any = None, size_pmf: Any = None,
                          net: Any = None, rule: str = "max-subset",
                          M: int | None = None) -> list[Any]:
    r"""Probabilities :math:`[P_0,\dots,P_M]` of recovering :math:`|K|=k` gradients in a round.

    Parameters
    ----------
    scheme : {"ideal", "cogc", "gcplus"}
    P_out : number or sympy expression, optional
        CoGC outage probability; default: computed from ``net``, else the symbol
        :math:`P_\mathrm{out}`.
    size_pmf : sequence (M + 1,), optional
        GC+ law of :math:`|K|` (numbers or sympy expressions). Default: from ``net`` via
        :func:`cogc_theory.outage.gcplus_distribution` (exact Fractions when the erasures are
        rational), else symbols ``P_0..P_M`` (needs ``M``).
    net : CooperativeNetwork, optional
        Memoryless (``net.memory is None``); a symbolic ``net`` is allowed for CoGC only.
    rule : {"max-subset", "individual", "auto"}
        GC+ partial rule used with ``net``; ``"auto"`` takes max-subset when its enumeration
        is within reach, else individual.
    M : int, optional
        Number of clients.

    Returns
    -------
    list
        ``[P_0, ..., P_M]``; for CoGC ``[P_out, 0, ..., 0, 1 - P_out]``, or the two-element
        ``[P_out, 1 - P_out]`` when ``M`` is unknown (the symbol ``M`` then enters the noise
        term :math:`\sigma^2/M`).

    Examples
    --------
    >>> outcome_probabilities("cogc", P_out=sp.Rational(1, 4), M=3)
    [1/4, 0, 0, 3/4]
    """
    return _law(scheme, P_out=P_out, size_pmf=size_pmf, net=net, rule=rule, M=M)[0]


# ------------------------------------------------------------------------ one round
def outcome_step(k: Any, M: Any, kind: str = "strongly-convex",
                 method: str = "descent") -> tuple[sp.Expr, sp.Expr]:
    r"""Coefficients of the one-round inequality after recovering :math:`|K|=k` gradients.

    ``kind="strongly-convex"``: :math:`(\rho_k, c_k)` with :math:`a_{t+1}\le\rho_ka_t+c_k`
    (``method="pep"``: :math:`\rho_M=(1-\eta\mu)^2`);
    ``kind="nonconvex"``: :math:`(\gamma_k, c_k)` with
    :math:`h_{t+1}\le h_t-\gamma_k\|\nabla F(w_t)\|^2+c_k` (table in the module docs; each
    entry is re-derived from the descent lemma in :mod:`cogc_theory.proofs`).

    Examples
    --------
    >>> outcome_step(4, 4)
    (-eta*mu*(-L*eta + 2) + 1, L*eta**2*sigma2/8)
    >>> outcome_step(1, 4, "nonconvex")
    (eta/2, L*eta**2*sigma2/2 + 3*eta*zeta2/2)
    >>> outcome_step(4, 4, method="pep")[0]
    (-eta*mu + 1)**2
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be 'strongly-convex' or 'nonconvex', got {kind!r}")
    _check_method(method)
    sc = kind == "strongly-convex"
    k, M = sp.sympify(k), sp.sympify(M)
    if k == 0:
        return (sp.Integer(1) if sc else sp.Integer(0)), sp.Integer(0)
    if k == M:
        c = L * eta**2 * sigma2 / (2 * M)
        if sc and method == "pep":
            return (1 - eta * mu) ** 2, c
        return ((1 - mu * eta * (2 - L * eta)) if sc else eta * (1 - L * eta / 2)), c
    if not (k.is_Integer and M.is_Integer and 0 < k < M):
        raise ValueError(f"k must be an integer in [0, M], got k={k}, M={M}")
    c = eta * (M - k) * zeta2 / (2 * k) + L * eta**2 * sigma2 / (2 * k)
    return ((1 - mu * eta) if sc else eta / 2), c


def one_round(P: list[Any], kind: str = "strongly-convex",
              M: Any = None, method: str = "descent") -> tuple[sp.Expr, sp.Expr]:
    r"""Coefficients of the averaged one-round inequality.

    ``kind="strongly-convex"``: :math:`(\rho, c)`, :math:`\rho=1-\sum_{k\ge1}P_k(1-\rho_k)`,
    :math:`c=\sum_kP_kc_k`; ``kind="nonconvex"``: :math:`(\gamma, c)`,
    :math:`\gamma=\sum_kP_k\gamma_k`. :math:`P_0` enters only through :math:`\sum_kP_k=1`.

    Parameters
    ----------
    P : list (M + 1,)
        :math:`P(|K|=k)`, ``k = 0..M``; or ``[P_0, P_M]`` when ``M`` is given separately
        (e.g. the symbol ``M``).
    kind : {"strongly-convex", "nonconvex"}
    M : int or sympy.Symbol, optional
        Default ``len(P) - 1``.
    method : {"descent", "pep"}
        Full-round contraction (strongly convex only; see :func:`outcome_step`).

    Examples
    --------
    >>> rho, c = one_round([P_out, 1 - P_out], M=Msym)
    >>> sp.simplify(rho - (1 - (1 - P_out)*mu*eta*(2 - L*eta)))
    0
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be 'strongly-convex' or 'nonconvex', got {kind!r}")
    P = [sp.sympify(x) for x in P]
    if M is None:
        M = len(P) - 1
    M = sp.sympify(M)
    if len(P) == 2:
        ks = [0, M]
    elif M.is_Integer and len(P) == int(M) + 1:
        ks = list(range(int(M) + 1))
    else:
        raise ValueError(f"P must have length M + 1 (or 2 for [P_0, P_M]), got {len(P)} "
                         f"with M={M}")
    rate, c = sp.Integer(1 if kind == "strongly-convex" else 0), sp.Integer(0)
    for k, Pk in zip(ks, P, strict=True):
        if k == 0 or Pk == 0:
            continue
        r_k, c_k = outcome_step(k, M, kind, method)
        rate = rate - Pk * (1 - r_k) if kind == "strongly-convex" else rate + Pk * r_k
        c = c + Pk * c_k
    return rate, c


@functools.lru_cache(maxsize=4)
def _generic_solution(const_rate: bool) -> sp.Expr:
    """``a_T`` of ``a_{t+1} = r a_t + c`` (or ``a_t + c``), by rsolve, in dummy symbols."""
    a = sp.Function("a")
    r_, c_, x_ = _DUMMIES
    rhs = a(t) + c_ if const_rate else r_ * a(t) + c_
    sol = sp.rsolve(a(t + 1) - rhs, a(t), {a(0): x_})
    if sol is None:
        raise RuntimeError("sympy.rsolve failed on the linear recursion")
    # regroup the rsolve output as r^T x + c (1 - r^T)/(1 - r); the identity is checked
    nice = (x_ + c_ * t) if const_rate else (r_**t * x_ + c_ * (1 - r_**t) / (1 - r_))
    if sp.simplify(sp.expand(sol - nice)) != 0:
        raise RuntimeError(f"rsolve gave {sol}, which is not the expected regrouped form")
    return nice


_DUMMIES = (sp.Dummy("r"), sp.Dummy("c"), sp.Dummy("x"))


def solve_linear_recursion(rho: Any, c: Any, a0: Any) -> sp.Expr:
    r"""Solve :math:`a_{t+1}=\rho a_t+c`, :math:`a_0` given, with :func:`sympy.rsolve`.

    Returns :math:`a_T` (in the symbol ``T``) regrouped as
    :math:`\rho^Ta_0+c\,\frac{1-\rho^T}{1-\rho}` (or :math:`a_0+cT` when :math:`\rho=1`);
    the regrouping is checked against the raw :func:`sympy.rsolve` output.

    Examples
    --------
    >>> r, c0, x = sp.symbols("r c x", positive=True)
    >>> sp.simplify(solve_linear_recursion(r, c0, x).subs(T, 2) - (r*(r*x + c0) + c0))
    0
    """
    rho = sp.sympify(rho)
    sol = _generic_solution(bool(rho == 1))
    r_, c_, x_ = _DUMMIES
    return sol.subs({r_: rho, c_: c, x_: a0, t: T}, simultaneous=True)


# ------------------------------------------------------------------------ the bound object
def _float_latex(e: sp.Expr) -> str:
    e = e.xreplace({f: sp.Float(f, 6) for f in e.atoms(sp.Float)})
    return sp.latex(e, symbol_names=_LATEX_NAMES, order="none")


@dataclass
class Bound:
    r"""A convergence bound :math:`B(T;\eta,L,\mu,\sigma^2,\zeta^2,\Delta_0)`.

    Attributes
    ----------
    name : str
    kind : {"strongly-convex", "nonconvex"}
    expr : sympy.Expr
        The bound on :math:`\mathbb E F(w_T)-F^*` (strongly convex) or on
        :math:`\min_{t<T}\mathbb E\|\nabla F(w_t)\|^2` (non-convex).
    rate, const : sympy.Expr
        :math:`\rho` (or :math:`\gamma`) and :math:`c` of the averaged one-round inequality.
    floor : sympy.Expr
        :math:`\lim_{T\to\infty}` of the bound (noise / heterogeneity floor).
    assumptions : str
    probabilities : tuple
        :math:`(P_0,\dots,P_M)` (or :math:`(P_0,P_M)` with ``M`` symbolic).
    func : callable
        ``sp.lambdify(args, expr, "numpy")``: the fast numeric bound, arguments in the order
        of ``args`` (sorted symbol names); no argument checks. ``None`` while ``expr`` has
        symbols other than :data:`SYMBOLS` (substitute them with :meth:`subs`). Calling the
        bound evaluates strongly convex bounds from :math:`1-\rho` with ``log1p``/``expm1``
        instead, which stays accurate when :math:`\rho` is within :math:`10^{-16}` of 1
        (where ``func`` computes :math:`\rho^T=1`).

    Examples
    --------
    CoGC on the :math:`M=4` ring: a round is a full gradient step with probability
    :math:`1-P_\mathrm{out}=0.72^4+4\cdot0.72^3\cdot0.28=0.68677632` and changes nothing
    otherwise, so without noise the gap contracts by
    :math:`\rho=P_\mathrm{out}+(1-P_\mathrm{out})(1-\eta\mu)^2` per round:

    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> b = ct.bounds.strongly_convex("cogc", net=net, method="pep")
    >>> b.kind, b.args
    ('strongly-convex', (Delta0, L, T, eta, mu, sigma2))
    >>> vals = dict(eta=0.5, L=1.0, mu=0.1, Delta0=1.0, sigma2=0.0)
    >>> rho = 0.31322368 + 0.68677632 * (1 - 0.5 * 0.1) ** 2
    >>> bool(abs(b(T=10, **vals) - rho**10) < 1e-12)
    True
    >>> b.rounds_to_accuracy(0.01, **vals)          # ceil(log(0.01) / log(rho))
    67
    """

    name: str
    kind: str
    expr: sp.Expr
    rate: sp.Expr
    const: sp.Expr
    floor: sp.Expr
    assumptions: str
    probabilities: tuple = ()
    func: Any = field(default=None, repr=False)
    args: tuple = field(default=(), repr=False)

    def __post_init__(self) -> None:
        self.args = tuple(sorted(self.expr.free_symbols | self.floor.free_symbols,
                                 key=lambda s: s.name))
        known = set(SYMBOLS.values())
        self.func = (sp.lambdify(self.args, self.expr, "numpy")
                     if all(s in known for s in self.args) else None)
        # Strongly convex: rho^T in float64 loses 1 - rho when it is below ~1e-16 (rho rounds
        # to 1), so __call__ evaluates rho^T = exp(T log1p(-(1 - rho))) and
        # (1 - rho^T)/(1 - rho) = -expm1(T log1p(-(1 - rho)))/(1 - rho) from 1 - rho, which
        # sympy keeps as a sum of products (1 - (1 - x) cancels symbolically, not in floats).
        self._parts = None
        if (self.func is not None and self.kind == "strongly-convex"
                and T in self.args and Delta0 in self.args):
            self._parts = sp.lambdify(self.args, (1 - self.rate, self.const), "numpy")

    # -- presentation
    @property
    def lhs_latex(self) -> str:
        return (r"\mathbb{E}F(w_T)-F^*" if self.kind == "strongly-convex"
                else r"\min_{t<T}\mathbb{E}\|\nabla F(w_t)\|^2")

    @property
    def latex(self) -> str:
        r"""LaTeX: the solved recursion with its coefficients, e.g.
        :math:`\rho^T\Delta_0+\frac{c}{1-\rho}(1-\rho^T)` where :math:`\rho=\dots, c=\dots`."""
        if self.kind == "strongly-convex":
            if self.rate == 1:
                return self.lhs_latex + r" \le \Delta_{0} + c\,T,\quad c = " + \
                    _float_latex(self.const)
            form = r"\rho^{T}\Delta_{0} + \frac{c}{1-\rho}\left(1-\rho^{T}\right)"
            rate = r"\rho = " + _float_latex(self.rate)
        else:
            form = r"\frac{\Delta_{0}}{\gamma T} + \frac{c}{\gamma}"
            rate = r"\gamma = " + _float_latex(self.rate)
        if self.const == 0:
            form = (r"\rho^{T}\Delta_{0}" if self.kind == "strongly-convex"
                    else r"\frac{\Delta_{0}}{\gamma T}")
            return f"{self.lhs_latex} \\le {form},\\quad {rate}"
        return (f"{self.lhs_latex} \\le {form},\\quad {rate},\\quad "
                f"c = {_float_latex(self.const)}")

    @property
    def latex_expanded(self) -> str:
        """LaTeX of the bound as one expression."""
        return self.lhs_latex + r" \le " + _float_latex(self.expr)

    @property
    def free_symbols(self) -> set:
        return set(self.args)

    # -- evaluation
    def _check(self, vals: dict[str, Any], need: tuple[str, ...] | None = None
               ) -> dict[sp.Symbol, Any]:
        unknown = set(vals) - set(SYMBOLS)
        if unknown:
            raise ValueError(f"unknown parameters {sorted(unknown)}; use {sorted(SYMBOLS)}")
        needed = {s.name for s in self.args} if need is None else set(need)
        missing = needed - set(vals)
        if missing:
            raise ValueError(f"{self.name} bound needs values for {sorted(missing)}")
        arrs = {}
        for k, v in vals.items():
            if isinstance(v, (bool, np.bool_)) or (
                    isinstance(v, (list, tuple, np.ndarray)) and np.asarray(v).dtype == bool):
                what = "an integer number of rounds" if k == "T" else "a number"
                raise TypeError(f"{k} must be {what} (or an array of them), got the bool {v!r}")
            try:
                arr = np.asarray(v, dtype=float)
            except OverflowError:
                raise ValueError(f"{k} is too large for a float, got {v!r}; it must be "
                                 "finite") from None
            except (TypeError, ValueError):
                raise TypeError(f"{k} must be a number or array of numbers, got {v!r}") from None
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{k} must be finite, got {v!r}")
            if np.any(arr < 0):
                raise ValueError(f"{k} must be >= 0, got {v!r}")
            arrs[k] = arr
        Lv, muv, ev = arrs.get("L"), arrs.get("mu"), arrs.get("eta")
        if Lv is not None and np.any(Lv <= 0):
            raise ValueError(f"L must be > 0, got {vals['L']!r}")
        if muv is not None and (np.any(muv <= 0) or (Lv is not None and np.any(muv > Lv))):
            raise ValueError(f"mu must lie in (0, L], got mu={vals['mu']!r}, "
                             f"L={vals.get('L')!r}")
        if ev is not None:
            if np.any(ev <= 0) or (Lv is not None and np.any(ev * Lv > 1 + 1e-12)):
                raise ValueError(f"eta must lie in (0, 1/L], got eta={vals['eta']!r}, "
                                 f"L={vals.get('L')!r}; the one-round inequality is proved "
                                 "for eta <= 1/L (reduce eta)")
        if "M" in arrs and (np.any(arrs["M"] < 1) or np.any(np.mod(arrs["M"], 1) != 0)):
            raise ValueError(f"M must be a positive integer, got {vals['M']!r}")
        if "T" in arrs:
            Tv = arrs["T"]
            if np.any(np.mod(Tv, 1) != 0):
                raise ValueError(f"T must be a nonnegative integer, got {vals['T']!r}")
            if self.kind == "nonconvex" and np.any(Tv < 1):
                raise ValueError(f"T must be >= 1 for the non-convex bound, got {vals['T']!r}")
        return {SYMBOLS[k]: v for k, v in vals.items()}

    def __call__(self, **vals: Any) -> Any:
        r"""Evaluate numerically, broadcasting over array arguments (e.g. ``T=np.arange(n)``).

        Every symbol of the bound needs a value; parameters in :data:`SYMBOLS` that the bound
        does not contain (``zeta2`` for CoGC, ``mu`` for non-convex) are checked and ignored.
        """
        self._check(vals)
        if self.func is None:
            raise ValueError(f"bound has symbolic probabilities "
                             f"{sorted(s.name for s in self.args if s.name not in SYMBOLS)}; "
                             "substitute them with .subs({...}) first")
        out = self._evaluate(vals)
        if np.any(np.isnan(out)):
            raise ValueError("bound evaluated to NaN; check the parameters")
        return float(out) if out.ndim == 0 else out

    def _evaluate(self, vals: dict[str, Any]) -> np.ndarray:
        """The numeric bound (no checks); strongly convex from ``1 - rho`` (see __post_init__)."""
        argv = [vals[s.name] for s in self.args]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            if self._parts is None:
                return np.asarray(self.func(*argv), dtype=float)
            omr, c = (np.asarray(x, dtype=float) for x in self._parts(*argv))
            omr = np.minimum(omr, 1.0)   # rho >= 0 (eta <= 1/L) up to rounding
            Tv = np.asarray(vals["T"], dtype=float)
            x = np.where(Tv == 0, 0.0, Tv * np.log1p(-omr))      # T log(rho); rho^0 = 1
            geo = np.where(omr == 0, Tv, -np.expm1(x) / omr)   # (1 - rho^T) / (1 - rho)
            out = np.asarray(vals["Delta0"], dtype=float) * np.exp(x) + c * geo
            shape = np.broadcast_shapes(np.shape(out), *(np.shape(a) for a in argv))
            return np.array(np.broadcast_to(out, shape), dtype=float)

    def subs(self, mapping: dict) -> Bound:
        """Substitute symbols (e.g. outcome probabilities) and return a new bound."""
        return Bound(self.name, self.kind, self.expr.subs(mapping), self.rate.subs(mapping),
                     self.const.subs(mapping), self.floor.subs(mapping), self.assumptions,
                     tuple(sp.sympify(p).subs(mapping) for p in self.probabilities))

    def _scalars(self, vals: dict[str, Any], drop: str) -> dict[str, Any]:
        vals = dict(vals)
        vals.pop(drop, None)
        for k, v in vals.items():
            if np.ndim(v) != 0:
                raise ValueError(f"{k} must be a scalar here, got shape {np.shape(v)}")
        return vals

    def rounds_to_accuracy(self, target: float, **vals: Any) -> int | float:
        r"""Smallest :math:`T` with bound :math:`\le` ``target`` (``math.inf`` if the floor is
        not below ``target``).

        The bound is solved for :math:`T` in closed form: strongly convex
        :math:`T=\Bigl\lceil\log\frac{\epsilon-a_\infty}{\Delta_0-a_\infty}\big/\log\rho
        \Bigr\rceil`, :math:`a_\infty=c/(1-\rho)`; non-convex
        :math:`T=\lceil\Delta_0/(\gamma\epsilon-c)\rceil`. The computation is exact: the
        parameters (floats are binary fractions) and the coefficients are taken as exact
        rationals, the non-convex ceiling is taken in rational arithmetic, and the strongly
        convex logarithms are evaluated with mpmath (:math:`\log\rho` as
        :math:`\mathrm{log1p}(-(1-\rho))`, so :math:`\rho=1-10^{-18}` is no problem) at a
        precision raised until :math:`\rho^T\le q<\rho^{T-1}` is decided (by exact rational
        powers when :math:`T` is small). So the result is the first :math:`T` for the bound in
        exact arithmetic, also beyond :math:`2^{53}`, where a float ``T`` would no longer
        be exact and the float bound cannot tell :math:`T` from :math:`T-1`.

        Parameters
        ----------
        target : float > 0
        **vals
            Scalar parameters (all but ``T``).

        Returns
        -------
        int or math.inf
            A Python ``int`` (exact at any size), or ``math.inf``.
        """
        if (isinstance(target, bool) or not isinstance(target, numbers.Real)
                or not math.isfinite(target) or target <= 0):
            raise ValueError(f"target must be a positive finite number, got {target!r}")
        vals = self._scalars(vals, "T")
        need = tuple(s.name for s in self.args if s.name != "T")
        sub = self._check(vals, need=need)
        if self.func is None:
            self(**vals, T=1)  # raises the symbolic-probability error
        sub = {k: sp.Rational(x.numerator, x.denominator)
               for k, x in ((k, _exact(v, k.name)) for k, v in sub.items())}
        eps = _exact(target, "target")
        r = _exact(_rationalize(self.rate).xreplace(sub), "the rate")
        c = _exact(_rationalize(self.const).xreplace(sub), "the constant")
        d0 = _exact(vals["Delta0"], "Delta0")
        if self.kind == "nonconvex":
            if r <= 0:
                raise ValueError("gamma <= 0 at these parameters: no round updates the model; "
                                 "check the outcome probabilities")
            slack = r * eps - c          # bound(T) <= eps  <=>  T >= Delta0 / slack
            if slack <= 0:
                return math.inf
            return max(1, -((-d0) // slack))
        if d0 <= eps:
            return 0
        omr = 1 - r
        if omr <= 0:                     # rho = 1: the bound never goes below Delta0
            return math.inf
        floor = c / omr
        if eps <= floor:
            return math.inf
        if r <= 0:                       # rho = 0 (or -0 by eta L rounding): one round
            return 1
        return _first_power_at_most(r, (eps - floor) / (d0 - floor))

    def optimal_step_size(self, **vals: Any) -> float:
        r"""Step size :math:`\eta^*\in(0,1/L]` minimising the bound at the given ``T``.

        The bound is evaluated (vectorised) on a grid of 2,400 step sizes (log-spaced from
        :math:`10^{-6}/L` and uniform up to :math:`1/L`); while the best grid point is the
        smallest one (large ``T``: :math:`\eta^*` shrinks like :math:`\log T/(\mu T)` or
        :math:`T^{-1/2}`), the grid is extended down by six decades at a time (to
        :math:`10^{-290}` at most). The best grid point is then refined
        by bounded Brent minimisation between its neighbours. With no noise and no
        heterogeneity this returns :math:`1/L` (the bound is then decreasing in
        :math:`\eta`, which :mod:`tests.test_bounds` checks with the sympy derivative).

        Parameters
        ----------
        **vals
            Scalar parameters including ``T`` and ``L`` (``eta`` is ignored).

        Returns
        -------
        float
        """
        from scipy.optimize import minimize_scalar

        vals = self._scalars(vals, "eta")
        need = tuple(s.name for s in self.args if s.name != "eta") + ("L",)
        self._check(vals, need=need)
        if self.func is None:
            self(**vals, eta=1.0 / float(vals["L"]))  # raises the symbolic-probability error
        Lv = float(vals["L"])
        if not math.isfinite(1.0 / Lv):
            raise ValueError(f"L={vals['L']!r} is so small that 1/L overflows; rescale the "
                             "problem (L of order 1)")
        grid = np.unique(np.concatenate([np.logspace(-6, 0, 1200),
                                         np.linspace(0.0, 1.0, 1201)[1:]])) / Lv
        grid[-1] = 1.0 / Lv

        def f(e: Any) -> Any:
            return self._evaluate({**vals, "eta": e}) * np.ones_like(e)

        y = f(grid)
        if "eta" not in {s.name for s in self.args} or np.all(y == y[0]):
            return 1.0 / Lv
        if not np.any(np.isfinite(y)):
            raise ValueError("the bound is not finite at any step size in (0, 1/L]; rescale "
                             "the parameters (e.g. Delta0, sigma2 of order 1)")
        decade6 = np.logspace(-6, 0, 1201)[:-1]          # six decades below grid[0]
        while int(np.nanargmin(y)) == 0 and grid[0] > 1e-290:
            lower = decade6 * grid[0]
            grid, y = np.concatenate([lower, grid]), np.concatenate([f(lower), y])
        i = int(np.nanargmin(y))
        lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
        best, fbest = float(grid[i]), float(y[i])
        if hi > lo:
            res = minimize_scalar(lambda e: float(f(np.float64(e))), bounds=(lo, hi),
                                  method="bounded", options={"xatol": 1e-12 * hi})
            if res.success and float(res.fun) < fbest:
                best = float(res.x)
        return min(best, 1.0 / Lv)


def _rationalize(e: sp.Expr) -> sp.Expr:
    """``e`` with every sympy Float replaced by its exact binary value (a Rational), so that
    substituting numbers afterwards computes in exact rational arithmetic."""
    return e.xreplace({f: sp.Rational(f) for f in e.atoms(sp.Float)})


def _exact(x: Any, name: str) -> Fraction:
    """``x`` (a number, or a sympy number without free symbols) as an exact Fraction; floats
    are exact binary fractions, sympy Floats too. An irrational sympy number (e.g. a
    substituted ``sqrt``) is rounded to 70 significant digits."""
    if isinstance(x, np.ndarray):
        x = x.item()
    if isinstance(x, sp.Basic):
        x = _rationalize(x)
        if x.is_Rational:
            return Fraction(int(x.p), int(x.q))
        v = sp.N(x, 70)
        if not (v.is_number and v.is_real and v.is_finite):
            raise ValueError(f"{name} is not a finite real number here: {x}")
        return Fraction(*map(int, mpmath.mpf(v._mpf_).as_integer_ratio()))
    if isinstance(x, numbers.Integral):
        return Fraction(int(x))
    if isinstance(x, Fraction):
        return x
    return Fraction(float(x))


_EXACT_POWER_BITS = 1 << 16


def _power_at_most(r: Fraction, q: Fraction, n: int) -> bool:
    """Whether ``r**n <= q`` (``0 < r < 1``, ``0 < q < 1``), decided exactly."""
    size = n * (r.numerator.bit_length() + r.denominator.bit_length())
    if size <= _EXACT_POWER_BITS:
        return r**n <= q
    prec = 128
    while prec <= 1 << 14:
        with mpmath.workprec(prec + n.bit_length()):
            lr = mpmath.log1p(-mpmath.mpf((1 - r).numerator) / (1 - r).denominator)
            lq = mpmath.log(mpmath.mpf(q.numerator) / q.denominator)
            d = n * lr - lq
            tol = (abs(n * lr) + abs(lq) + 1) * mpmath.ldexp(1, 16 - prec)
            if abs(d) > tol:
                return bool(d < 0)
        prec *= 2
    if size <= 1 << 24:          # a (near-)tie: settle it exactly
        return r**n <= q
    raise RuntimeError(f"cannot decide r**n <= q for n = {n}; report this with the inputs")


def _first_power_at_most(r: Fraction, q: Fraction) -> int:
    """Smallest ``n >= 1`` with ``r**n <= q`` (``0 < r < 1``, ``0 < q < 1``)."""
    omr = 1 - r
    with mpmath.workprec(64):
        x = mpmath.log(mpmath.mpf(q.numerator) / q.denominator) / mpmath.log1p(
            -mpmath.mpf(omr.numerator) / omr.denominator)
    with mpmath.workprec(96 + int(mpmath.ceil(mpmath.log(x + 2, 2)))):
        x = mpmath.log(mpmath.mpf(q.numerator) / q.denominator) / mpmath.log1p(
            -mpmath.mpf(omr.numerator) / omr.denominator)
        n = max(1, int(mpmath.ceil(x)))
    for _ in range(64):          # n is right up to rounding of x: at most a step or two
        if not _power_at_most(r, q, n):
            n += 1
        elif n > 1 and _power_at_most(r, q, n - 1):
            n -= 1
        else:
            return n
    raise RuntimeError("rounds_to_accuracy did not converge; report this with the inputs")


_ASSUME = ("F = (1/M) sum_k f_k is L-smooth{sc}; eta in (0, 1/L]; g_k = grad f_k + xi_k, "
           "E xi_k = 0, E||xi_k||^2 <= sigma^2, independent across clients and of the links; "
           "(1/M) sum_k ||grad f_k - grad F||^2 <= zeta^2 at every iterate; the recovered set "
           "K is independent of w and i.i.d. across rounds with P(|K| = k) = P_k; full "
           "recovery averages all M gradients, partial recovery averages those in K "
           "(weight 1/|K|), an outage leaves w unchanged.")


def strongly_convex(scheme: str = "cogc", *, method: str = "descent", **kw: Any) -> Bound:
    r"""Bound on :math:`\mathbb E F(w_T)-F^*` for L-smooth, :math:`\mu`-strongly convex :math:`F`.

    .. math:: \mathbb E F(w_T)-F^*\le\rho^T\Delta_0+\frac{c}{1-\rho}(1-\rho^T),

    the solution (by :func:`sympy.rsolve`) of :math:`a_{t+1}=\rho a_t+c`, :math:`a_0=\Delta_0
    =F(w_0)-F^*` (see the module docs for :math:`\rho, c`). For CoGC with exact gradients
    this is SPEC 4.5's :math:`(1-(1-P_\mathrm{out})\mu\eta(2-L\eta))^T\Delta_0`; with
    ``method="pep"`` it is :math:`(P_\mathrm{out}+(1-P_\mathrm{out})(1-\eta\mu)^2)^T\Delta_0`,
    which is attained by :math:`F(w)=\frac\mu2\lVert w\rVert^2` (the tightest bound of this
    form for the class).

    Parameters
    ----------
    scheme : {"ideal", "cogc", "gcplus"}
    method : {"descent", "pep"}
        Full-round contraction: descent lemma and PL (SPEC 4.5; the default), or the exact
        gradient-descent rate :math:`(1-\eta\mu)^2`.
    **kw
        ``P_out``, ``size_pmf``, ``net``, ``rule``, ``M``: see :func:`outcome_probabilities`.

    Returns
    -------
    Bound

    Examples
    --------
    >>> b = strongly_convex("cogc")
    >>> sp.simplify(b.expr.subs(sigma2, 0) - (1 - (1 - P_out)*mu*eta*(2 - L*eta))**T*Delta0)
    0
    >>> b = strongly_convex("cogc", method="pep")
    >>> sp.simplify(b.expr.subs(sigma2, 0) - (P_out + (1 - P_out)*(1 - eta*mu)**2)**T*Delta0)
    0
    """
    _check_method(method)
    P, M, label = _law(scheme, **kw)
    rho, c = one_round(P, "strongly-convex", M, method)
    expr = solve_linear_recursion(rho, c, Delta0)
    if rho == 1:
        floor = Delta0 if c == 0 else sp.oo
    else:
        floor = c / (1 - rho)
    sc = " and mu-strongly convex (so ||grad F||^2 >= 2 mu (F - F*))"
    name = f"{label} strongly convex"
    if method == "pep":
        sc = (" and mu-strongly convex; a full round contracts F - F* by (1 - eta mu)^2, the "
              "exact one-step rate of gradient descent for eta <= 1/L")
        name += ", exact GD rate"
    return Bound(name, "strongly-convex", expr, rho, c, floor, _ASSUME.format(sc=sc),
                 tuple(P))


def nonconvex(scheme: str = "cogc", **kw: Any) -> Bound:
    r"""Bound on :math:`\min_{t<T}\mathbb E\|\nabla F(w_t)\|^2` for L-smooth :math:`F`.

    With :math:`h_t=\mathbb EF(w_t)-F_\mathrm{inf}` and :math:`G` a lower bound on every
    :math:`\mathbb E\|\nabla F(w_t)\|^2`, the recursion :math:`u_{t+1}=u_t+c-\gamma G`,
    :math:`u_0=\Delta_0` is solved with :func:`sympy.rsolve`; :math:`0\le h_T\le u_T` then
    gives :math:`G\le\frac{\Delta_0}{\gamma T}+\frac c\gamma`, hence

    .. math:: \min_{t<T}\mathbb E\|\nabla F(w_t)\|^2\le\frac{\Delta_0}{\gamma T}+\frac c\gamma .

    Here ``Delta0`` means :math:`F(w_0)-F_\mathrm{inf}`.

    Examples
    --------
    >>> b = nonconvex("cogc", P_out=0)
    >>> sp.simplify(b.expr.subs(sigma2, 0) - 2*L*Delta0/(T*L*eta*(2 - L*eta)))
    0
    """
    P, M, label = _law(scheme, **kw)
    gamma, c = one_round(P, "nonconvex", M)
    if gamma == 0:
        raise ValueError("no round ever updates the model (P_0 = 1): there is no "
                         "non-convex bound; check the outcome probabilities")
    G = sp.Symbol("G", nonnegative=True)
    uT = solve_linear_recursion(sp.Integer(1), c - gamma * G, Delta0)
    sol = sp.solve(sp.Eq(uT, 0), G)
    if len(sol) != 1:
        raise RuntimeError("could not solve the telescoped recursion for G")
    expr = sol[0]
    floor = c / gamma
    return Bound(f"{label} non-convex", "nonconvex", expr, gamma, c, floor,
                 _ASSUME.format(sc="; F bounded below by F_inf"), tuple(P))


def cli_summary(net: Any, *, decoder: str = "standard", rounds: int = 100,
                kind: str = "strongly-convex", rule: str = "auto", eta: float = 0.5,
                L: float = 1.0, mu: float = 0.1, sigma2: float = 0.0, zeta2: float = 0.0,
                Delta0: float = 1.0, target: float | None = None) -> str:
    r"""A few lines summarising a bound on ``net`` (value at ``rounds``, floor, LaTeX).

    Examples
    --------
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> print(cli_summary(net, rounds=50, target=1e-2).splitlines()[0])
    CoGC strongly convex: bound at T=50: 0.0710687; floor (T -> oo): 0
    """
    if decoder not in ("standard", "gcplus"):
        raise ValueError(f"decoder must be 'standard' or 'gcplus', got {decoder!r}")
    if kind not in _KINDS:
        raise ValueError(f"kind must be 'strongly-convex' or 'nonconvex', got {kind!r}")
    rounds = check_int(rounds, "rounds", lo=0 if kind == "strongly-convex" else 1)
    scheme = "cogc" if decoder == "standard" else "gcplus"
    fn = strongly_convex if kind == "strongly-convex" else nonconvex
    b = fn(scheme, net=net, **({"rule": rule} if scheme == "gcplus" else {}))
    vals = dict(eta=eta, L=L, mu=mu, sigma2=sigma2, zeta2=zeta2, Delta0=Delta0)
    use = {k: v for k, v in vals.items() if SYMBOLS[k] in b.free_symbols}
    val = b(T=rounds, **use)
    floor = float(b.floor.subs(b._check(use, need=())))
    lines = [f"{b.name}: bound at T={rounds}: {val:.6g}; floor (T -> oo): {floor:.6g}",
             "  parameters: " + ", ".join(f"{k}={v:g}" for k, v in use.items())]
    if target is not None:
        lines.append(f"  rounds to reach {target:g}: {b.rounds_to_accuracy(target, **use)}")
    lines.append(f"  LaTeX: {b.latex}")
    return "\n".join(lines)
