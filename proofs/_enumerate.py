r"""Exact oracles shared by the outage proofs: brute-force enumeration over the rationals.

Nothing here calls the outage code under test. A network's erasure model is read from
``net.p``, ``net.eps`` and ``net.neighbors``; ``B`` from ``net.B_exact``; every decision
("is :math:`\mathbf 1` in the row space of these rows?") is made by the Gaussian elimination
over :class:`fractions.Fraction` below, and every probability is summed exactly.

A *link-and-uplink pattern* assigns success (1) or erasure (0) to each uplink
:math:`U_m` and to each link :math:`L_{mk}`, :math:`k\in N_m`; the patterns are
enumerated in full, :math:`2^{M+\sum_m|N_m|}` of them. Erasures are independent, so a
pattern's probability is the product of its bits' probabilities; with each bit's
probability written as ``n / d`` the denominator :math:`\prod d` is common to all patterns
and the sums are carried out on integer numerators.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from itertools import combinations
from typing import Any

import numpy as np
import sympy as sp


def frac(x: Any) -> Fraction:
    """A sympy/int/Fraction rational as a Fraction (refuses floats and symbols)."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, (float, np.floating)):
        raise TypeError(f"expected an exact rational, got the float {x!r}; use "
                        "sympy.Rational or fractions.Fraction")
    x = sp.sympify(x)
    if not x.is_Rational:
        raise ValueError(f"expected a rational number, got {x!r}")
    return Fraction(int(x.p), int(x.q))


def exact_rows(net: Any) -> list[list[Fraction]]:
    """``net.B_exact`` as a list of Fraction rows."""
    if net.B_exact is None:
        raise ValueError("the oracle needs an exact rational B (net.B_exact)")
    Bx = net.B_exact
    return [[frac(Bx[m, k]) for k in range(net.M)] for m in range(net.M)]


def in_rowspan(rows: Sequence[Sequence[Fraction]], target: Sequence[Fraction]) -> bool:
    """Whether ``target`` is a rational combination of ``rows`` (Gaussian elimination)."""
    basis: list[tuple[int, list[Fraction]]] = []       # (pivot column, row with pivot 1)

    def reduce(v: list[Fraction]) -> list[Fraction]:
        for piv, b in basis:
            if v[piv]:
                f = v[piv]
                v = [x - f * y for x, y in zip(v, b, strict=True)]
        return v

    for r in rows:
        v = reduce(list(r))
        nz = next((j for j, x in enumerate(v) if x), None)
        if nz is None:
            continue
        inv = 1 / v[nz]
        basis.append((nz, [x * inv for x in v]))
    return not any(reduce(list(target)))


def decodable_subsets(rows: Sequence[Sequence[Fraction]]) -> np.ndarray:
    """``dec[code]`` for every subset code of the rows: is :math:`\\mathbf 1` in their span."""
    M = len(rows)
    one = [Fraction(1)] * len(rows[0])
    return np.array([in_rowspan([rows[m] for m in range(M) if code >> m & 1], one)
                     for code in range(1 << M)], dtype=bool)


def threshold_of(dec: np.ndarray, M: int) -> int | None:
    """The ``t`` with "decodable iff ``|R| >= t``" if the family is a threshold family."""
    sizes = np.array([bin(c).count("1") for c in range(1 << M)])
    for t in range(M + 2):
        if np.array_equal(dec, sizes >= t):
            return t
    return None


class Patterns:
    """All link-and-uplink patterns of a network, with exact integer probability numerators.

    Attributes
    ----------
    bits : ndarray of bool, ``(2**L, L)``
        Success indicators; column ``uplink[m]`` is :math:`U_m`, column ``link[m][i]`` is
        :math:`L_{m,N_m[i]}`.
    numer : ndarray of object (Python ints), ``(2**L,)``
        Pattern probability times ``denom`` (only for rational networks).
    """

    def __init__(self, net: Any, *, weights: bool = True) -> None:
        M = net.M
        self.M = M
        self.neighbors = [tuple(net.neighbors(m)) for m in range(M)]
        cols: list[tuple[str, int, int]] = []
        self.uplink, self.link = [], []
        for m in range(M):
            self.uplink.append(len(cols))
            cols.append(("U", m, m))
            self.link.append([])
            for k in self.neighbors[m]:
                self.link[m].append(len(cols))
                cols.append(("L", m, k))
        self.cols = cols
        L = len(cols)
        if L > 20:
            raise ValueError(f"{L} erasure indicators: 2**{L} patterns is too many to enumerate")
        codes = np.arange(1 << L, dtype=np.int64)
        self.bits = ((codes[:, None] >> np.arange(L)) & 1).astype(bool)
        self.numer = None
        self.denom = 1
        if weights:
            numer = np.ones(1 << L, dtype=object)
            for j, (kind, m, k) in enumerate(cols):
                e = frac(net.p[m] if kind == "U" else net.eps[m, k])
                d = e.denominator
                fail, succ = e.numerator, d - e.numerator
                numer = numer * np.where(self.bits[:, j], succ, fail).astype(object)
                self.denom *= d
            self.numer = numer

    def complete_and_delivered(self) -> np.ndarray:
        """:math:`X_m = U_m\\prod_{k\\in N_m}L_{mk}` for every pattern, ``(2**L, M)``."""
        X = np.empty((len(self.bits), self.M), dtype=bool)
        for m in range(self.M):
            X[:, m] = self.bits[:, [self.uplink[m], *self.link[m]]].all(axis=1)
        return X

    def probability(self, event: np.ndarray) -> Fraction:
        """Exact probability of the patterns where ``event`` holds."""
        return Fraction(int(self.numer[event].sum()), self.denom)

    def exponent_counts(self, event: np.ndarray) -> dict[tuple[int, int], int]:
        """Counts of ``event`` patterns by (#uplink erasures, #link erasures)."""
        up = ~self.bits[:, self.uplink]
        lk = ~self.bits[:, [j for row in self.link for j in row]]
        key = up.sum(axis=1)[event] * 1000 + lk.sum(axis=1)[event]
        vals, cnt = np.unique(key, return_counts=True)
        return {(int(v) // 1000, int(v) % 1000): int(c) for v, c in zip(vals, cnt, strict=True)}


def homogeneous_polynomial(counts: dict[tuple[int, int], int], M: int, n_links: int,
                           p: sp.Symbol, e: sp.Symbol) -> sp.Expr:
    """:math:`\\sum c_{a,f}\\,p^a(1-p)^{M-a}\\varepsilon^f(1-\\varepsilon)^{n-f}`."""
    return sp.Add(*[c * p**a * (1 - p)**(M - a) * e**f * (1 - e)**(n_links - f)
                    for (a, f), c in counts.items()])


def same_polynomial(a: Any, b: Any, *gens: sp.Symbol) -> bool:
    """Whether ``a - b`` is the zero polynomial in ``gens`` (exact, via sympy's Poly)."""
    return sp.Poly(sp.sympify(a) - sp.sympify(b), *gens).is_zero


def poisson_binomial_cdf(pis: Sequence[Any], upto: int) -> Any:
    r""":math:`\Pr[\sum_m X_m\le` ``upto`` :math:`]` by the sum over subsets (no recursion)."""
    M = len(pis)
    total: Any = 0
    for j in range(upto + 1):
        for R in combinations(range(M), j):
            term: Any = 1
            for m in range(M):
                term = term * (pis[m] if m in R else 1 - pis[m])
            total = total + term
    return total


def state_enumeration(M: int, n_states: int, full: Callable[[tuple[int, ...]], bool]
                      ) -> dict[tuple[int, ...], bool]:
    """``full(x)`` for every client-state pattern ``x`` in ``range(n_states) ** M``."""
    out = {}
    for code in range(n_states ** M):
        x = tuple((code // n_states ** m) % n_states for m in range(M))
        out[x] = full(x)
    return out


def binom_closed_form(M: int, t: int, pi: Any) -> Any:
    r""":math:`\sum_{j=0}^{t} \binom Mj \pi^j(1-\pi)^{M-j}`."""
    return sum(math.comb(M, j) * pi**j * (1 - pi)**(M - j) for j in range(t + 1))
