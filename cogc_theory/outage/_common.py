"""Shared pieces of the outage modules: argument checks, the per-client polynomials, the
Poisson-binomial and Shannon-expansion dynamic programs, and checked numeric formula functions."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp

from .._validate import check_real_array

__all__ = ["CheckedFunc", "check_independent", "check_method", "check_net", "client_polys",
           "generators", "pi_polys", "poisson_binomial_cdf", "real_argument", "shannon"]


def generators(exprs: list[sp.Expr]) -> tuple[list[sp.Expr], dict[sp.Expr, sp.Symbol]]:
    """Replace each distinct non-numeric erasure expression by a fresh generator."""
    gens: dict[sp.Expr, sp.Symbol] = {}
    for e in exprs:
        if e.free_symbols and e not in gens:
            gens[e] = e if isinstance(e, sp.Symbol) else sp.Dummy(f"x{len(gens)}")
    return list(gens.values()), gens


def client_polys(net: Any) -> tuple[list[sp.Poly], list[sp.Poly], dict]:
    """:math:`\\pi_m` and :math:`1-\\pi_m` as polynomials in the erasure generators."""
    atoms = [sp.sympify(x) for x in net.p] + [sp.sympify(x) for x in net.eps[net.link_used]]
    gens, table = generators(atoms)
    gens = gens or [sp.Dummy("z")]

    def P(e: Any) -> sp.Poly:
        e = sp.sympify(e)
        return sp.Poly(table.get(e, e), *gens)

    one = sp.Poly(1, *gens)
    pis, qs = [], []
    for m in range(net.M):
        term = one - P(net.p[m])
        for k in net.neighbors(m):
            term = term * (one - P(net.eps[m, k]))
        pis.append(term)
        qs.append(one - term)
    back = {v: k for k, v in table.items() if v is not k}
    return pis, qs, back


def pi_polys(net: Any) -> tuple[list[sp.Poly], list[sp.Poly], dict]:
    r""":math:`\pi_m` and :math:`1-\pi_m` as polynomials in one generator per distinct
    :math:`\pi_m` expression (numbers stay numbers), and the map back."""
    pis_e = [sp.sympify(x) for x in net.success_probabilities(symbolic=True)]
    gens_of: dict[sp.Expr, sp.Symbol] = {}
    for e in pis_e:
        if e.free_symbols and e not in gens_of:
            gens_of[e] = sp.Dummy(f"pi{len(gens_of)}")
    gens = list(gens_of.values()) or [sp.Dummy("z")]
    pis = [sp.Poly(gens_of.get(e, e), *gens) for e in pis_e]
    one = sp.Poly(1, *gens)
    return pis, [one - x for x in pis], {v: k for k, v in gens_of.items()}


def poisson_binomial_cdf(pis: list[Any], qs: list[Any], upto: int, one: Any, zero: Any
                          ) -> Any:
    """:math:`\\Pr[X\\le` ``upto`` :math:`]` by the recursion over clients (any ring)."""
    dist = [one] + [zero] * upto
    for pi, q in zip(pis, qs, strict=True):
        new = [d * q for d in dist]
        for j in range(1, upto + 1):
            new[j] = new[j] + dist[j - 1] * pi
        dist = new
    total = zero
    for d in dist:
        total = total + d
    return total


def shannon(table: np.ndarray, w0: list[Any], w1: list[Any], one: Any, zero: Any) -> Any:
    """:math:`\\sum_x T(x)\\prod_m w_{x_m}[m]` by Shannon expansion with shared sub-tables.

    Equal sub-tables (same remaining clients, same truth table) are evaluated once, as in a
    reduced binary decision diagram; a threshold family has :math:`O(M^2)` of them.
    """
    memo: dict[tuple[int, bytes], Any] = {}

    def f(i: int, T: np.ndarray) -> Any:
        if T.all():
            return one
        if not T.any():
            return zero
        key = (i, T.tobytes())
        if key not in memo:
            memo[key] = w0[i] * f(i + 1, T[0]) + w1[i] * f(i + 1, T[1])
        return memo[key]

    return f(0, np.ascontiguousarray(table))


def check_net(net: Any, name: str = "net") -> None:
    from ..network import CooperativeNetwork

    if not isinstance(net, CooperativeNetwork):
        raise TypeError(f"{name} must be a CooperativeNetwork (e.g. ct.CooperativeNetwork."
                        f"cyclic(M, s, uplink_erasure=..., link_erasure=...)), got "
                        f"{type(net).__name__}")


def check_independent(net: Any, what: str, fallback: str) -> None:
    if net.reciprocal:
        raise ValueError(
            f"{what} assumes independent clients, but net.reciprocal=True couples them "
            f"(tau[m, k] == tau[k, m]); the Poisson-binomial / reliability formulas do not "
            f"apply. Estimate it with {fallback}, which samples reciprocal links")


class CheckedFunc:
    """Numeric evaluation of an outage expression whose arguments are checked first.

    ``expr`` is lambdified over ``syms`` (numpy); each call checks that every argument is a
    finite real number or array and that every erasure probability of ``net`` that depends
    on the arguments evaluates into :math:`[0, 1]`.
    """

    def __init__(self, expr: sp.Expr, syms: tuple[sp.Symbol, ...], net: Any) -> None:
        self._raw = sp.lambdify(syms, expr, modules="numpy")
        self.__signature__ = inspect.signature(self._raw)
        self._names = [str(x) for x in syms]
        erasures: dict[sp.Expr, Callable[..., Any]] = {}
        for e in [sp.sympify(x) for x in net.p] + [sp.sympify(x) for x in
                                                    net.eps[net.link_used]]:
            if e.free_symbols and e.free_symbols <= set(syms) and e not in erasures:
                erasures[e] = sp.lambdify(syms, e, modules="numpy")
        # bare-symbol erasures first, in argument order, so the message names the argument
        order = {x: i for i, x in enumerate(syms)}
        self._erasures = dict(sorted(erasures.items(), key=lambda kv: order.get(kv[0],
                                                                                len(syms))))

    def __repr__(self) -> str:
        return f"<outage function of ({', '.join(self._names)})>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            bound = self.__signature__.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"func takes one value for each of ({', '.join(self._names)}), "
                            f"in this order: {exc}") from exc
        values = [bound.arguments[k] for k in self.__signature__.parameters]
        floats = [real_argument(v, n) for v, n in zip(values, self._names, strict=True)]
        for e, fn in self._erasures.items():
            with np.errstate(all="ignore"):
                val = np.asarray(fn(*floats), dtype=float)
            bad = ~((val >= 0) & (val <= 1))
            if bad.any():
                got = float(val[bad].flat[0])
                if isinstance(e, sp.Symbol):
                    raise ValueError(f"{e} is an erasure probability and must lie in [0, 1], "
                                     f"got {got}")
                raise ValueError(
                    f"the values of ({', '.join(self._names)}) make the erasure probability "
                    f"{e} equal {got}, outside [0, 1]; pass values for which it is a "
                    f"probability")
        return self._raw(*bound.args, **bound.kwargs)


def real_argument(value: Any, name: str) -> np.ndarray:
    """``value`` as a finite float array, or raise naming ``name``."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a real number or array, got bool {value!r}")
    arr = check_real_array(value, name, "a real number or array of real numbers")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or infinity), got {value!r}")
    return arr


def check_method(method: Any) -> str:
    """``method`` of the decision tables: ``"auto"``, ``"exact"`` or ``"float"``."""
    if not isinstance(method, str) or method not in ("auto", "exact", "float"):
        raise ValueError(f"method must be 'auto', 'exact' or 'float', got {method!r}")
    return method
