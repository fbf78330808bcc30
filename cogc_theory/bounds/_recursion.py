r"""The one-round inequalities of the convergence bounds and the recursion they average to.

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

The symbols the bounds are written in (:data:`SYMBOLS`) live here too.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import sympy as sp

__all__ = [
    "KINDS",
    "METHODS",
    "SYMBOLS",
    "check_kind",
    "check_method",
    "one_round",
    "outcome_step",
    "solve_linear_recursion",
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
#: What a bound bounds: :math:`\mathbb EF(w_T)-F^*` (strongly convex) or
#: :math:`\min_{t<T}\mathbb E\|\nabla F(w_t)\|^2` (non-convex).
KINDS = ("strongly-convex", "nonconvex")
#: Full-round contraction of the strongly convex bound: the descent lemma with the PL
#: inequality (``"descent"``, SPEC 4.5) or the exact one-step rate of gradient descent
#: (``"pep"``).
METHODS = ("descent", "pep")



def _expr(x: Any, name: str) -> sp.Expr:
    """``x`` as a sympy expression: numbers and sympy objects only.

    Text is refused (``sympify`` would parse, i.e. evaluate, it), and so are bools, NaN,
    infinities and complex numbers.
    """
    if isinstance(x, bool | np.bool_ | str | bytes):
        raise TypeError(f"{name} must be a number or sympy expression, got {x!r}")
    try:
        e = sp.sympify(x, strict=True)
    except sp.SympifyError:
        raise TypeError(f"{name} must be a number or sympy expression, got "
                        f"{type(x).__name__} {x!r}") from None
    if not isinstance(e, sp.Expr):   # None, tuples, sets, relations: not a number
        raise TypeError(f"{name} must be a number or sympy expression, got "
                        f"{type(x).__name__} {x!r}")
    if e.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or (e.is_number and not e.is_extended_real):
        raise ValueError(f"{name} must be finite and real, got {e}")
    return e

def check_method(method: Any) -> str:
    """``method`` if it is one of :data:`METHODS`, else a ValueError naming them."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS} (the full round's contraction: "
                         f"descent lemma, or the exact gradient-descent rate), got {method!r}")
    return method


def check_kind(kind: Any) -> str:
    """``kind`` if it is one of :data:`KINDS`, else a ValueError naming them."""
    if kind not in KINDS:
        raise ValueError(f"kind must be 'strongly-convex' or 'nonconvex', got {kind!r}")
    return kind


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
    check_kind(kind)
    check_method(method)
    sc = kind == "strongly-convex"
    k, M = _expr(k, "k"), _expr(M, "M")
    for name, v in (("k", k), ("M", M)):     # 0.0 is not 0 to sympy: refuse float counts
        if v.is_number and not v.is_Integer:
            raise ValueError(f"{name} must be an integer (or a sympy symbol), got {v}; "
                             f"pass int({name}) for a whole-number float")
    if M.is_number and M < 1:
        raise ValueError(f"M must be a positive integer (the number of clients), got {M}")
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
    check_kind(kind)
    if not isinstance(P, list | tuple | np.ndarray):
        raise TypeError(f"P must be a list of probabilities [P_0, ..., P_M], got {P!r}")
    P = [_expr(x, f"P[{i}]") for i, x in enumerate(P)]
    if M is None:
        M = len(P) - 1
    M = _expr(M, "M")
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
    rho, c, a0 = _expr(rho, "rho"), _expr(c, "c"), _expr(a0, "a0")
    sol = _generic_solution(bool(rho == 1) or bool(rho.is_number and (rho - 1).is_zero))
    r_, c_, x_ = _DUMMIES
    return sol.subs({r_: rho, c_: c, x_: a0, t: T}, simultaneous=True)
