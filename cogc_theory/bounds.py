r"""Convergence bounds for CoGC and GC+ (SPEC section 4, item 5).

The objective is :math:`F(w)=\frac1M\sum_{k=1}^M f_k(w)`. Client :math:`k` returns a
stochastic gradient :math:`g_k=\nabla f_k(w)+\xi_k` with :math:`\mathbb E\xi_k=0`,
:math:`\mathbb E\|\xi_k\|^2\le\sigma^2`, the :math:`\xi_k` independent across clients and of
the link draws. Heterogeneity is the bounded-dissimilarity assumption

.. math:: \frac1M\sum_{k=1}^M\|\nabla f_k(w)-\nabla F(w)\|^2\le\zeta^2\quad\forall w.

In a round the server recovers a set :math:`K` with :math:`|K|=k`: :math:`k=M` (full
recovery) gives :math:`w^+=w-\frac\eta M\sum_k g_k`; :math:`1\le k<M` (GC+ partial recovery)
gives :math:`w^+=w-\frac\eta k\sum_{j\in K}g_j`; :math:`k=0` (outage) leaves :math:`w`. The
outcome probabilities :math:`P_0,\dots,P_M` come from :mod:`cogc_theory.outage` (or are given
as numbers or sympy symbols). CoGC is the special case :math:`P_M=1-P_\mathrm{out}`,
:math:`P_0=P_\mathrm{out}`.

One-round inequalities (proved in :mod:`cogc_theory.proofs.bound_one_step`), for
:math:`\eta\le 1/L` and :math:`a_t=\mathbb E F(w_t)-F^*`:

.. math::
    a_{t+1}\le\rho\,a_t+c,\qquad
    \rho=P_0+P_M\bigl(1-\mu\eta(2-L\eta)\bigr)+\sum_{k=1}^{M-1}P_k(1-\mu\eta),

    c=P_M\frac{L\eta^2\sigma^2}{2M}+\sum_{k=1}^{M-1}P_k\Bigl(\frac{\eta(M-k)\zeta^2}{2k}
    +\frac{L\eta^2\sigma^2}{2k}\Bigr),

where :math:`(M-k)\zeta^2/k` is the worst-case squared bias of a size-:math:`k` average
(tight). The recursion is solved with :func:`sympy.rsolve`. The non-convex bound telescopes
:math:`h_{t+1}\le h_t-\gamma\,\mathbb E\|\nabla F(w_t)\|^2+c` with
:math:`\gamma=P_M\eta(1-L\eta/2)+\frac\eta2\sum_{k=1}^{M-1}P_k`.

Examples
--------
>>> b = strongly_convex("cogc", P_out=0.2, M=4)
>>> round(b(T=10, eta=0.5, L=1.0, mu=0.1, sigma2=0.0, Delta0=1.0), 6)
0.538615
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from ._validate import check_int, check_probability, is_symbolic

__all__ = [
    "Bound",
    "SYMBOLS",
    "cli_summary",
    "nonconvex",
    "one_round",
    "outcome_probabilities",
    "solve_linear_recursion",
    "strongly_convex",
]

T, t = sp.symbols("T t", integer=True, nonnegative=True)
eta, L, mu = sp.symbols("eta L mu", positive=True)
sigma2, zeta2 = sp.symbols("sigma2 zeta2", nonnegative=True)
Delta0 = sp.Symbol("Delta0", nonnegative=True)
P_out = sp.Symbol("P_out", nonnegative=True)
Msym = sp.Symbol("M", positive=True, integer=True)
#: symbols used by the bounds (``T, eta, L, mu, sigma2, zeta2, Delta0, M``)
SYMBOLS = {"T": T, "eta": eta, "L": L, "mu": mu, "sigma2": sigma2, "zeta2": zeta2,
           "Delta0": Delta0, "M": Msym}
_LATEX_NAMES = {sigma2: r"\sigma^{2}", zeta2: r"\zeta^{2}", Delta0: r"\Delta_{0}",
                P_out: r"P_{\mathrm{out}}"}


def outcome_probabilities(scheme: str = "cogc", *, P_out: Any = None, size_pmf: Any = None,
                          net: Any = None, rule: str = "max-subset",
                          M: int | None = None) -> list[Any]:
    r"""Probabilities :math:`[P_0,\dots,P_M]` of recovering :math:`|K|=k` gradients in a round.

    Parameters
    ----------
    scheme : {"cogc", "gcplus"}
    P_out : number or sympy expression, optional
        CoGC outage probability; default symbol :math:`P_\mathrm{out}` (or computed from ``net``).
    size_pmf : sequence (M + 1,), optional
        GC+ law of :math:`|K|` (numbers or sympy expressions). Default: from ``net`` via
        :func:`cogc_theory.outage.gcplus_distribution`, else symbols ``P_0..P_M`` (needs ``M``).
    net : CooperativeNetwork, optional
    rule : str
        GC+ partial rule used with ``net``.
    M : int, optional
        Number of clients for symbolic GC+ probabilities.

    Returns
    -------
    list
        ``[P_0, ..., P_M]``; for CoGC ``[P_out, 0, ..., 0, 1 - P_out]``, or
        ``[P_out, 1 - P_out]`` when ``M`` is unknown (the symbol ``M`` then enters the noise
        term :math:`\sigma^2/M`).
    """
    if scheme not in ("cogc", "gcplus"):
        raise ValueError(f"scheme must be 'cogc' or 'gcplus', got {scheme!r}")
    if scheme == "cogc":
        if P_out is None:
            if net is not None:
                from . import outage
                P_out = outage.cogc(net, symbolic=net.is_symbolic)
            else:
                P_out = globals()["P_out"]
        P_out = check_probability(P_out, "P_out")
        if M is None and net is not None:
            M = net.M
        if M is None:
            return [P_out, 1 - P_out]
        M = check_int(M, "M", lo=1)
        return [P_out] + [0] * (M - 1) + [1 - P_out]
    if size_pmf is None:
        if net is not None:
            from . import outage
            d = outage.gcplus_distribution(net, rules=(rule,))
            size_pmf = list(d.size_pmf[rule])
        else:
            if M is None:
                raise ValueError("gcplus bounds need size_pmf, net, or M (for symbols P_0..P_M)")
            M = check_int(M, "M", lo=1)
            return list(sp.symbols(f"P_0:{M + 1}", nonnegative=True))
    pmf = [check_probability(x, f"size_pmf[{i}]") for i, x in enumerate(size_pmf)]
    if len(pmf) < 2:
        raise ValueError("size_pmf must have length M + 1 >= 2 (P(|K|=0..M))")
    if not any(is_symbolic(x) for x in pmf):
        tot = float(sum(pmf))
        if abs(tot - 1) > 1e-9:
            raise ValueError(f"size_pmf must sum to 1, got {tot!r}; pass P(|K|=k) for k=0..M")
    return pmf


def one_round(P: list[Any], kind: str = "strongly-convex") -> tuple[sp.Expr, sp.Expr]:
    r"""Coefficients of the proved one-round inequality.

    For ``kind="strongly-convex"``: :math:`(\rho, c)` with :math:`a_{t+1}\le\rho a_t+c`.
    For ``kind="nonconvex"``: :math:`(\gamma, c)` with
    :math:`h_{t+1}\le h_t-\gamma\,\mathbb E\|\nabla F(w_t)\|^2+c`.

    Parameters
    ----------
    P : list (M + 1,)
        :math:`P(|K|=k)`, ``k = 0..M`` (a length-2 list ``[P_out, P_full]`` is CoGC).
    kind : {"strongly-convex", "nonconvex"}
    """
    P = [sp.sympify(x) for x in P]
    M = len(P) - 1
    if M == 1:  # CoGC form [P_out, P_full] with M unknown: the symbol M
        c = P[1] * L * eta**2 * sigma2 / (2 * Msym)
    else:
        c = P[M] * L * eta**2 * sigma2 / (2 * M)
    part = sum((P[k] for k in range(1, M)), sp.Integer(0))
    for k in range(1, M):
        c += P[k] * (eta * (M - k) * zeta2 / (2 * k) + L * eta**2 * sigma2 / (2 * k))
    if kind == "strongly-convex":
        rho = P[0] + P[M] * (1 - mu * eta * (2 - L * eta)) + part * (1 - mu * eta)
        return rho, c
    if kind == "nonconvex":
        gamma = P[M] * eta * (1 - L * eta / 2) + part * eta / 2
        return gamma, c
    raise ValueError(f"kind must be 'strongly-convex' or 'nonconvex', got {kind!r}")


def solve_linear_recursion(rho: sp.Expr, c: sp.Expr, a0: sp.Expr) -> sp.Expr:
    r"""Solve :math:`a_{t+1}=\rho a_t+c`, :math:`a_0` given, with :func:`sympy.rsolve`.

    Returns :math:`a_T` as an expression in the symbol ``T``.

    Examples
    --------
    >>> r, c0, x = sp.symbols("r c x", positive=True)
    >>> sp.simplify(solve_linear_recursion(r, c0, x).subs(T, 2) - (r*(r*x + c0) + c0))
    0
    """
    a = sp.Function("a")
    r_, c_, x_ = sp.Dummy("r"), sp.Dummy("c"), sp.Dummy("x")
    if sp.sympify(rho) == 1:
        sol = sp.rsolve(a(t + 1) - a(t) - c_, a(t), {a(0): x_})
    else:
        sol = sp.rsolve(a(t + 1) - r_ * a(t) - c_, a(t), {a(0): x_})
    if sol is None:
        raise RuntimeError("sympy.rsolve failed on the linear recursion")
    # regroup the rsolve output as r^T x + c (1 - r^T)/(1 - r); the identity is checked
    nice = (x_ + c_ * t) if sp.sympify(rho) == 1 else (r_**t * x_ + c_ * (1 - r_**t) / (1 - r_))
    if sp.simplify(sp.expand(sol - nice)) != 0:
        raise RuntimeError(f"rsolve gave {sol}, which is not the expected regrouped form")
    sol = nice
    return sol.subs({r_: rho, c_: c, x_: a0, t: T}, simultaneous=True)


@dataclass
class Bound:
    r"""A convergence bound :math:`B(T;\eta,L,\mu,\sigma^2,\zeta^2,\Delta_0)`.

    Attributes
    ----------
    name : str
    kind : {"strongly-convex", "nonconvex"}
    expr : sympy.Expr
        The bound (on :math:`\mathbb E F(w_T)-F^*`, or on
        :math:`\min_{t<T}\mathbb E\|\nabla F(w_t)\|^2` for non-convex).
    rate, const : sympy.Expr
        :math:`\rho` (or :math:`\gamma`) and :math:`c` of the one-round inequality.
    floor : sympy.Expr
        :math:`\lim_{T\to\infty}` of the bound (heterogeneity / noise floor).
    """

    name: str
    kind: str
    expr: sp.Expr
    rate: sp.Expr
    const: sp.Expr
    floor: sp.Expr
    assumptions: str
    _fn: Any = field(default=None, repr=False)
    _args: tuple = field(default=(), repr=False)

    def __post_init__(self) -> None:
        self._args = tuple(sorted(self.expr.free_symbols | self.floor.free_symbols,
                                  key=lambda s: s.name))
        extra = [s for s in self._args if s.name not in SYMBOLS]
        if extra:
            self._fn = None
        else:
            self._fn = sp.lambdify(self._args, self.expr, "numpy")

    @property
    def latex(self) -> str:
        """LaTeX of the bound."""
        lhs = (r"\mathbb{E}F(w_T)-F^*" if self.kind == "strongly-convex"
               else r"\min_{t<T}\mathbb{E}\|\nabla F(w_t)\|^2")
        return lhs + r" \le " + sp.latex(self.expr, symbol_names=_LATEX_NAMES)

    @property
    def free_symbols(self) -> set:
        return set(self._args)

    def _check(self, vals: dict[str, Any], need_T: bool = True,
               skip: tuple = ()) -> dict[sp.Symbol, Any]:
        needed = {s.name for s in self._args} - (set() if need_T else {"T"}) - set(skip)
        missing = needed - set(vals)
        if missing:
            raise ValueError(f"bound needs values for {sorted(missing)}")
        unknown = set(vals) - set(SYMBOLS)
        if unknown:
            raise ValueError(f"unknown parameters {sorted(unknown)}; use {sorted(SYMBOLS)}")
        Lv, muv, ev = vals.get("L"), vals.get("mu"), vals.get("eta")
        for k, v in vals.items():
            if k == "T":
                continue
            arr = np.asarray(v, dtype=float)
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{k} must be finite, got {v!r}")
            if np.any(arr < 0):
                raise ValueError(f"{k} must be >= 0, got {v!r}")
        if Lv is not None and np.any(np.asarray(Lv, float) <= 0):
            raise ValueError(f"L must be > 0, got {Lv!r}")
        if muv is not None and (np.any(np.asarray(muv, float) <= 0)
                                or (Lv is not None and np.any(np.asarray(muv, float)
                                                              > np.asarray(Lv, float)))):
            raise ValueError(f"mu must lie in (0, L], got mu={muv!r}, L={Lv!r}")
        if ev is not None:
            e = np.asarray(ev, float)
            if np.any(e <= 0) or (Lv is not None and np.any(e * np.asarray(Lv, float)
                                                           > 1 + 1e-12)):
                raise ValueError(f"eta must lie in (0, 1/L], got eta={ev!r}, L={Lv!r}; "
                                 "the one-round inequality is proved for eta <= 1/L")
        if "T" in vals:
            Tv = np.asarray(vals["T"])
            if np.any(Tv < 0) or not np.all(np.equal(np.mod(Tv, 1), 0)):
                raise ValueError(f"T must be a nonnegative integer, got {vals['T']!r}")
            if self.kind == "nonconvex" and np.any(Tv < 1):
                raise ValueError("T must be >= 1 for the non-convex bound")
        return {SYMBOLS[k]: v for k, v in vals.items()}

    def __call__(self, **vals: Any) -> Any:
        r"""Evaluate numerically (numpy broadcasting over array arguments)."""
        self._check(vals)
        if self._fn is None:
            raise ValueError(f"bound has symbolic probabilities {self.free_symbols}; "
                             "substitute them with .subs({...}) first")
        out = self._fn(*[vals[s.name] for s in self._args])
        out = np.asarray(out, dtype=float)
        if np.any(np.isnan(out)):
            raise ValueError("bound evaluated to NaN; check the parameters")
        return float(out) if out.ndim == 0 else out

    def subs(self, mapping: dict) -> Bound:
        """Substitute symbols (e.g. outcome probabilities) and return a new bound."""
        return Bound(self.name, self.kind, self.expr.subs(mapping), self.rate.subs(mapping),
                     self.const.subs(mapping), self.floor.subs(mapping), self.assumptions)

    def rounds_to_accuracy(self, target: float, **vals: Any) -> float:
        r"""Smallest :math:`T` with bound :math:`\le` ``target`` (``inf`` if below the floor).

        Strongly convex: :math:`T=\lceil\log\frac{\epsilon-a_\infty}{\Delta_0-a_\infty}/
        \log\rho\rceil`; non-convex: :math:`T=\lceil\Delta_0/(\gamma\epsilon-c)\rceil`
        (both from solving the bound for :math:`T` symbolically).
        """
        if not (isinstance(target, (int, float)) and math.isfinite(target) and target > 0):
            raise ValueError(f"target must be a positive finite number, got {target!r}")
        vals = dict(vals)
        vals.pop("T", None)
        sub = self._check(vals, need_T=False)
        floor = float(self.floor.subs(sub))
        if target <= floor:
            return math.inf
        eps_ = sp.Symbol("epsilon", positive=True)
        if self.kind == "strongly-convex":
            rho = float(self.rate.subs(sub))
            d0 = float(vals["Delta0"])
            if d0 <= target:
                return 0
            if rho <= 0:
                return 1
            sol = sp.log((eps_ - floor) / (d0 - floor)) / sp.log(rho)
        else:
            sol = sp.solve(sp.Eq(self.expr.subs(sub), eps_), T)[0]
        return int(math.ceil(float(sol.subs(eps_, target)) - 1e-12))

    def optimal_step_size(self, **vals: Any) -> float:
        r"""Step size in :math:`(0, 1/L]` minimising the bound at the given ``T``.

        Symbolic stationary points of the bound in :math:`\eta` are tried first (solvable when
        the noise and heterogeneity vanish, e.g. :math:`\eta^*=1/L` for exact CoGC); otherwise
        a bounded scalar minimisation is used.
        """
        vals = dict(vals)
        vals.pop("eta", None)
        sub = self._check(vals, skip=("eta",))
        Lv = float(vals["L"])
        g = self.expr.subs(sub)
        cands = [1.0 / Lv]
        try:
            roots = sp.solve(sp.diff(g, eta), eta)
            cands += [float(r) for r in roots if r.is_real and 0 < float(r) <= 1 / Lv]
        except (NotImplementedError, TypeError, ValueError):
            from scipy.optimize import minimize_scalar
            f = sp.lambdify(eta, g, "numpy")
            r = minimize_scalar(f, bounds=(1e-12 / Lv, 1 / Lv), method="bounded")
            cands.append(float(r.x))
        f = sp.lambdify(eta, g, "math")
        if not any(True for _ in cands[1:]):
            from scipy.optimize import minimize_scalar
            r = minimize_scalar(lambda x: float(f(x)), bounds=(1e-12 / Lv, 1 / Lv),
                                method="bounded")
            cands.append(float(r.x))
        return min(cands, key=lambda x: float(f(x)))


_ASSUME = ("F = (1/M) sum_k f_k is L-smooth{sc}; eta in (0, 1/L]; g_k = grad f_k + xi_k, "
           "E xi_k = 0, E||xi_k||^2 <= sigma^2, independent across clients and of the links; "
           "(1/M) sum_k ||grad f_k - grad F||^2 <= zeta^2 for all w; rounds i.i.d. with "
           "P(|K| = k) = P_k; full recovery averages all M, partial averages K (1/|K|), "
           "outage leaves w unchanged.")


def _probs(scheme: str, **kw: Any) -> list[Any]:
    P = outcome_probabilities(scheme, **kw)
    return P


def strongly_convex(scheme: str = "cogc", **kw: Any) -> Bound:
    r"""Bound on :math:`\mathbb E F(w_T)-F^*` for L-smooth, :math:`\mu`-strongly convex :math:`F`.

    .. math:: \mathbb E F(w_T)-F^*\le\rho^T\Delta_0+\frac{c}{1-\rho}(1-\rho^T)

    obtained from :func:`sympy.rsolve` on :math:`a_{t+1}=\rho a_t+c` (see module docs).

    Parameters
    ----------
    scheme : {"cogc", "gcplus"}
    **kw
        Passed to :func:`outcome_probabilities` (``P_out``, ``size_pmf``, ``net``, ``rule``,
        ``M``).

    Returns
    -------
    Bound

    Examples
    --------
    >>> b = strongly_convex("cogc")
    >>> sp.simplify(b.expr.subs(sigma2, 0) - (1 - (1 - P_out)*mu*eta*(2 - L*eta))**T*Delta0)
    0
    """
    P = _probs(scheme, **kw)
    rho, c = one_round(P, "strongly-convex")
    rho, c = sp.simplify(rho), sp.simplify(c)
    expr = solve_linear_recursion(rho, c, Delta0)
    floor = sp.simplify(c / (1 - rho))
    return Bound(f"{scheme} strongly convex", "strongly-convex", expr, rho, c, floor,
                 _ASSUME.format(sc=" and mu-strongly convex"))


def nonconvex(scheme: str = "cogc", **kw: Any) -> Bound:
    r"""Bound on :math:`\min_{t<T}\mathbb E\|\nabla F(w_t)\|^2` for L-smooth :math:`F`.

    With :math:`h_t=\mathbb EF(w_t)-F_\mathrm{inf}` and :math:`G` a lower bound on every
    :math:`\mathbb E\|\nabla F(w_t)\|^2`, the solved recursion :math:`u_{t+1}=u_t+c-\gamma G`
    gives :math:`0\le u_T=\Delta_0+T(c-\gamma G)`, hence

    .. math:: \min_{t<T}\mathbb E\|\nabla F(w_t)\|^2\le\frac{\Delta_0}{\gamma T}+\frac c\gamma.

    Here ``Delta0`` means :math:`F(w_0)-F_\mathrm{inf}`.

    Examples
    --------
    >>> b = nonconvex("cogc", P_out=0)
    >>> sp.simplify(b.expr.subs(sigma2, 0) - 2*L*Delta0/(T*L*eta*(2 - L*eta)))
    0
    """
    P = _probs(scheme, **kw)
    gamma, c = one_round(P, "nonconvex")
    G = sp.Symbol("G", nonnegative=True)
    uT = solve_linear_recursion(sp.Integer(1), c - gamma * G, Delta0)
    sol = sp.solve(sp.Eq(uT, 0), G)
    if len(sol) != 1:
        raise RuntimeError("could not solve the telescoped recursion for G")
    expr = sp.simplify(sol[0])
    floor = sp.simplify(c / gamma)
    return Bound(f"{scheme} non-convex", "nonconvex", expr, gamma, c, floor,
                 _ASSUME.format(sc="; F bounded below by F_inf"))


def cli_summary(net: Any, *, decoder: str = "standard", rounds: int = 100,
                kind: str = "strongly-convex", eta: float = 0.5, L: float = 1.0,
                mu: float = 0.1, sigma2: float = 0.0, zeta2: float = 0.0,
                Delta0: float = 1.0) -> str:
    """One-paragraph text summary of a bound for ``cogc bound`` (used by the CLI)."""
    scheme = "cogc" if decoder == "standard" else "gcplus"
    fn = strongly_convex if kind == "strongly-convex" else nonconvex
    b = fn(scheme, net=net)
    vals = dict(eta=eta, L=L, sigma2=sigma2, zeta2=zeta2, Delta0=Delta0)
    if kind == "strongly-convex":
        vals["mu"] = mu
    vals = {k: v for k, v in vals.items() if SYMBOLS[k] in b.free_symbols}
    val = b(T=rounds, **vals)
    return (f"{b.name} bound: ${b.latex}$\nat T={rounds}: {val:.6g}; "
            f"floor {float(b.floor.subs(b._check(vals))):.6g}")
