"""Tiny federated problems solved exactly: the toys of the convergence-bound proofs.

Scalar quadratics :math:`f_k(w)=\frac{L_k}2(w-c_k)^2` with a law of the recovered set
:math:`K` and optional two-point gradient noise; :meth:`Toy.run` enumerates every sequence of
round outcomes (and noise signs) for :math:`T\\le` ``T_MAX`` rounds, so
:math:`\\mathbb EF(w_t)-F^*` and :math:`\\mathbb E|F'(w_t)|^2` are exact rationals. Shared by
:mod:`cogc_theory.proofs.bound_strongly_convex` and :mod:`cogc_theory.proofs.bound_nonconvex`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations, product

import sympy as sp

from cogc_theory import bounds as bd

__all__ = ["T_MAX", "Toy", "rational", "subsets_law"]

#: Rounds enumerated by default.
T_MAX = 4

eta, L, mu = bd.eta, bd.L, bd.mu
sigma2, zeta2, Delta0 = bd.sigma2, bd.zeta2, bd.Delta0


def rational(x: Fraction) -> sp.Rational:
    """A Fraction as a sympy Rational (exactly)."""
    return sp.Rational(x.numerator, x.denominator)


@dataclass(frozen=True)
class Toy:
    """Scalar quadratics ``f_k(w) = L_k/2 (w - c_k)^2``, a subset law, optional noise.

    ``law`` maps a recovered subset ``K`` (tuple of client indices; ``()`` is an outage,
    all clients a full recovery) to its probability. ``noise`` is the half-width ``s`` of the
    two-point gradient noise ``xi_k = +-s`` (mean 0, variance ``s^2``), independent.
    """

    Ls: tuple[Fraction, ...]
    cs: tuple[Fraction, ...]
    law: tuple[tuple[tuple[int, ...], Fraction], ...]
    eta: Fraction
    w0: Fraction
    noise: Fraction = Fraction(0)

    @property
    def M(self) -> int:
        return len(self.Ls)

    @property
    def curv(self) -> Fraction:
        """:math:`F''`: F is exactly ``curv``-smooth and ``curv``-strongly convex."""
        return sum(self.Ls, Fraction(0)) / self.M

    @property
    def wstar(self) -> Fraction:
        return sum((a * b for a, b in zip(self.Ls, self.cs, strict=True)), Fraction(0)) / (
            self.M * self.curv)

    def F(self, w: Fraction) -> Fraction:
        return sum((a * (w - b) ** 2 / 2 for a, b in zip(self.Ls, self.cs, strict=True)),
                   Fraction(0)) / self.M

    def grads(self, w: Fraction) -> list[Fraction]:
        return [a * (w - b) for a, b in zip(self.Ls, self.cs, strict=True)]

    def dissimilarity(self, w: Fraction) -> Fraction:
        g = self.grads(w)
        gF = sum(g, Fraction(0)) / self.M
        return sum(((x - gF) ** 2 for x in g), Fraction(0)) / self.M

    def P(self) -> list[Fraction]:
        out = [Fraction(0)] * (self.M + 1)
        for K, p in self.law:
            out[len(K)] += p
        return out

    def _noise_sums(self, k: int) -> dict[Fraction, Fraction]:
        """Law of the sum of ``k`` independent ``+-s`` draws."""
        if self.noise == 0 or k == 0:
            return {Fraction(0): Fraction(1)}
        out: dict[Fraction, Fraction] = {}
        for signs in product((-1, 1), repeat=k):
            v = self.noise * sum(signs)
            out[v] = out.get(v, Fraction(0)) + Fraction(1, 2 ** k)
        return out

    def run(self, T_max: int = T_MAX) -> tuple[list[Fraction], list[Fraction], Fraction]:
        """Exact ``E F(w_t) - F*`` and ``E |F'(w_t)|^2`` for ``t = 0..T_max``, and the exact
        sup of the dissimilarity over every iterate reachable at ``t < T_max``."""
        Fs = self.F(self.wstar)
        dist = {self.w0: Fraction(1)}
        gaps, gsq, zeta = [], [], Fraction(0)
        sums = {k: self._noise_sums(k) for k in range(self.M + 1)}
        for t in range(T_max + 1):
            gaps.append(sum((p * (self.F(w) - Fs) for w, p in dist.items()), Fraction(0)))
            gsq.append(sum((p * (self.curv * (w - self.wstar)) ** 2 for w, p in dist.items()),
                           Fraction(0)))
            if t == T_max:
                break
            zeta = max([zeta] + [self.dissimilarity(w) for w in dist])
            new: dict[Fraction, Fraction] = {}
            for w, p in dist.items():
                g = self.grads(w)
                for K, pK in self.law:
                    if not K:
                        new[w] = new.get(w, Fraction(0)) + p * pK
                        continue
                    base = sum((g[j] for j in K), Fraction(0))
                    for xs, px in sums[len(K)].items():
                        w1 = w - self.eta * (base + xs) / len(K)
                        new[w1] = new.get(w1, Fraction(0)) + p * pK * px
            dist = new
        return gaps, gsq, zeta

    def values(self, zeta: Fraction) -> dict[sp.Symbol, sp.Rational]:
        c = rational(self.curv)
        return {eta: rational(self.eta), L: c, mu: c, sigma2: rational(self.noise ** 2),
                zeta2: rational(zeta), Delta0: rational(self.F(self.w0) - self.F(self.wstar))}


def subsets_law(M: int, P_sub: dict[int, Fraction]) -> tuple:
    """Spread ``P(|K| = k)`` uniformly over the subsets of size ``k``."""
    out = []
    for k, p in P_sub.items():
        Ks = list(combinations(range(M), k))
        out += [(K, p / len(Ks)) for K in Ks]
    return tuple(out)
