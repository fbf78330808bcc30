r"""The bound object: a solved recursion as a sympy expression, evaluated and inverted.

:class:`Bound` holds :math:`B(T;\eta,L,\mu,\sigma^2,\zeta^2,\Delta_0)` with its averaged
one-round coefficients and floor; it evaluates numerically (strongly convex bounds from
:math:`1-\rho` with ``log1p``/``expm1``), checks the parameters, and solves for the first
:math:`T` that reaches an accuracy exactly (rational arithmetic and mpmath, see
:meth:`Bound.rounds_to_accuracy`).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from .._validate import as_float, check_real_array
from ._recursion import SYMBOLS, Delta0, P_out, T, sigma2, zeta2

__all__ = ["Bound"]

_LATEX_NAMES = {sigma2: r"\sigma^{2}", zeta2: r"\zeta^{2}", Delta0: r"\Delta_{0}",
                P_out: r"P_{\mathrm{out}}"}


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
        # Non-convex: Delta0/(gamma T) + c/gamma from (gamma, c), not the lambdified quotient,
        # whose normal form can carry constants like 1e15 that overflow Delta0 = 1e300.
        self._parts = None
        if self.func is not None and T in self.args and Delta0 in self.args:
            if self.kind == "strongly-convex":
                self._parts = sp.lambdify(self.args, (1 - self.rate, self.const), "numpy")
            else:
                self._parts = sp.lambdify(self.args, (self.rate, self.const), "numpy")

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
            # refuses complex values (numpy would drop the imaginary part with a warning),
            # text (numpy would parse "0.5") and numbers beyond the float range
            arr = check_real_array(v, k, "a number or array of numbers")
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
            if self.kind != "strongly-convex":
                g, c = (np.asarray(x, dtype=float) for x in self._parts(*argv))
                Tv = np.asarray(vals["T"], dtype=float)
                out = np.asarray(vals["Delta0"], dtype=float) / (g * Tv) + c / g
                shape = np.broadcast_shapes(np.shape(out), *(np.shape(a) for a in argv))
                return np.array(np.broadcast_to(out, shape), dtype=float)
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
                or not math.isfinite(as_float(target, "target")) or target <= 0):
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
