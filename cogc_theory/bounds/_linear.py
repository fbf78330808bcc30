r"""Convergence bounds from linear recursions on the gap (SPEC section 4, item 5).

:func:`strongly_convex` bounds :math:`\mathbb EF(w_T)-F^*` and :func:`nonconvex` bounds
:math:`\min_{t<T}\mathbb E\|\nabla F(w_t)\|^2`: the one-round inequalities
(:mod:`cogc_theory.bounds._recursion`, where the model and the table of coefficients are) are
averaged over the law of :math:`|K|` (:mod:`cogc_theory.bounds._outcomes`) and solved with
:func:`sympy.rsolve`; the result is a :class:`~cogc_theory.bounds.Bound`.

Examples
--------
>>> b = strongly_convex("cogc", P_out=0.2, M=4)
>>> round(b(T=10, eta=0.5, L=1.0, mu=0.1, sigma2=0.0, Delta0=1.0), 6)
0.538615
>>> b.rounds_to_accuracy(1e-3, eta=0.5, L=1.0, mu=0.1, sigma2=0.0, Delta0=1.0)
112
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from .._validate import check_int
from ._bound import Bound
from ._outcomes import outcome_law
from ._recursion import (
    SYMBOLS,
    Delta0,
    check_kind,
    check_method,
    one_round,
    solve_linear_recursion,
)

__all__ = ["cli_summary", "nonconvex", "strongly_convex"]


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
    >>> from cogc_theory.bounds import Delta0, L, P_out, T, eta, mu, sigma2
    >>> b = strongly_convex("cogc")
    >>> sp.simplify(b.expr.subs(sigma2, 0) - (1 - (1 - P_out)*mu*eta*(2 - L*eta))**T*Delta0)
    0
    >>> b = strongly_convex("cogc", method="pep")
    >>> sp.simplify(b.expr.subs(sigma2, 0) - (P_out + (1 - P_out)*(1 - eta*mu)**2)**T*Delta0)
    0
    """
    check_method(method)
    P, M, label = outcome_law(scheme, **kw)
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
    >>> from cogc_theory.bounds import Delta0, L, T, eta, sigma2
    >>> b = nonconvex("cogc", P_out=0)
    >>> sp.simplify(b.expr.subs(sigma2, 0) - 2*L*Delta0/(T*L*eta*(2 - L*eta)))
    0
    """
    P, M, label = outcome_law(scheme, **kw)
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
    check_kind(kind)
    rounds = check_int(rounds, "rounds", lo=0 if kind == "strongly-convex" else 1)
    scheme = "cogc" if decoder == "standard" else "gcplus"
    fn = strongly_convex if kind == "strongly-convex" else nonconvex
    b = fn(scheme, net=net, **({"rule": rule} if scheme == "gcplus" else {}))
    vals = dict(eta=eta, L=L, mu=mu, sigma2=sigma2, zeta2=zeta2, Delta0=Delta0)
    use = {k: v for k, v in vals.items() if SYMBOLS[k] in b.free_symbols}
    val = b(T=rounds, **use)                     # checks the parameters
    floor = float(b.floor.subs({SYMBOLS[k]: v for k, v in use.items()}))
    lines = [f"{b.name}: bound at T={rounds}: {val:.6g}; floor (T -> oo): {floor:.6g}",
             "  parameters: " + ", ".join(f"{k}={v:g}" for k, v in use.items())]
    if target is not None:
        lines.append(f"  rounds to reach {target:g}: {b.rounds_to_accuracy(target, **use)}")
    lines.append(f"  LaTeX: {b.latex}")
    return "\n".join(lines)
