"""The exact rational oracle of the suite (internal): decisions and distances for one matrix
of used rows, computed with Fractions."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from functools import cached_property, lru_cache
from itertools import combinations
from typing import Any

import numpy as np

from .. import exact as _exact
from ._matrices import float_matrix

__all__ = ["Oracle", "oracle_of"]


def _dot(u: Sequence[Fraction], v: Sequence[Fraction]) -> Fraction:
    return sum((a * b for a, b in zip(u, v, strict=True)), Fraction(0))


class Oracle:
    r"""Exact decisions and distances for one matrix ``A`` of used rows (others zero).

    With :math:`N` a basis of :math:`\ker A` (rows ``self.N``) and :math:`G=NN^\top`, a target
    :math:`t` lies in the row space iff :math:`Nt=0`, and its squared distance to the row space
    is :math:`(Nt)^\top G^{-1}(Nt)` — rational, so every limit is checked exactly.
    """

    def __init__(self, A: tuple) -> None:
        self.A = A
        self.M = M = len(A)
        self.N = _exact.nullspace(A)
        self.rank = M - len(self.N)
        k = len(self.N)
        self._Ginv: list[list[Fraction]] = []
        if k:
            G = [[_dot(self.N[i], self.N[j]) for j in range(k)] for i in range(k)]
            aug = [G[i] + [Fraction(int(i == j)) for j in range(k)] for i in range(k)]
            R, _ = _exact.rref(aug)
            self._Ginv = [row[k:] for row in R]
        self._unfair: dict[tuple, str | None] = {}

    def _y(self, t: Sequence[Fraction]) -> list[Fraction]:
        return [_dot(n, t) for n in self.N]

    def member(self, t: Sequence[Any]) -> bool:
        tf = [Fraction(x) for x in t]
        return all(v == 0 for v in self._y(tf))

    def dist2(self, t: Sequence[Fraction]) -> Fraction:
        y = self._y(t)
        return sum((y[i] * _dot(self._Ginv[i], y) for i in range(len(y))), Fraction(0))

    def indicator(self, S: Any) -> list[Fraction]:
        S = set(S)
        return [Fraction(int(k in S)) for k in range(self.M)]

    @cached_property
    def full(self) -> bool:
        return self.member([1] * self.M)

    @cached_property
    def individual(self) -> np.ndarray:
        """:math:`K` of the individual rule: everyone on full recovery, else the recoverable
        :math:`e_k`."""
        if self.full:
            return np.ones(self.M, dtype=bool)
        return np.array([all(n[k] == 0 for n in self.N) for k in range(self.M)], dtype=bool)

    @cached_property
    def _subsets(self) -> tuple[int, list[tuple[int, ...]], list[tuple[int, ...]]]:
        """(max |K|, the optimal K's, the non-member sets at least that large)."""
        M = self.M
        forced = tuple(np.flatnonzero(self.individual).tolist())
        cand = [k for k in range(M) if not self.individual[k]
                and any(self.A[i][k] != 0 for i in range(M))]
        best, optimal = len(forced), [forced]
        for r in range(len(cand), 0, -1):
            found = [tuple(sorted(forced + S)) for S in combinations(cand, r)
                     if all(sum((n[k] for k in S), Fraction(0)) == 0 for n in self.N)]
            if found:
                best, optimal = len(forced) + r, found
                break
        near = [tuple(sorted(forced + S)) for r in range(max(best - len(forced), 1),
                                                          len(cand) + 1)
                for S in combinations(cand, r)
                if tuple(sorted(forced + S)) not in optimal]
        return best, optimal, near

    @property
    def max_size(self) -> int:
        return self._subsets[0]

    @property
    def optimal_sets(self) -> list[tuple[int, ...]]:
        return self._subsets[1]

    @cached_property
    def projection(self) -> list[Fraction]:
        """Exact orthogonal projection of the all-ones vector on the row space."""
        ones = [Fraction(1)] * self.M
        y = self._y(ones)
        z = [_dot(g, y) for g in self._Ginv]
        return [ones[j] - sum((z[i] * self.N[i][j] for i in range(len(z))), Fraction(0))
                for j in range(self.M)]

    @cached_property
    def cond(self) -> float:
        if self.rank == 0:
            return 1.0
        s = np.linalg.svd(float_matrix(self.A), compute_uv=False)
        return float(s[0] / s[self.rank - 1]) if s[self.rank - 1] > 0 else math.inf

    def unfair(self, mode: str, cond_max: float, gap: Fraction) -> str | None:
        """Why a float decoder cannot be asked to decide this matrix (None: it can)."""
        key = (mode, cond_max, gap)
        if key not in self._unfair:
            self._unfair[key] = self._why_unfair(mode, cond_max, gap)
        return self._unfair[key]

    def _why_unfair(self, mode: str, cond_max: float, gap: Fraction) -> str | None:
        if self.cond > cond_max:
            return f"condition number {self.cond:.3g} > cond_max"
        g2 = gap * gap
        ones = [Fraction(1)] * self.M
        if not self.full and self.dist2(ones) < g2:
            return "the all-ones vector is closer than tol to the row space"
        if mode in ("individual", "max-subset"):
            for k in np.flatnonzero(~self.individual):
                if self.dist2(self.indicator([k])) < g2:
                    return f"e_{k} is closer than tol to the row space"
        if mode == "max-subset":
            for S in self._subsets[2]:
                if self.dist2(self.indicator(S)) < g2:
                    return f"1_{list(S)} is closer than tol to the row space"
        if mode == "least-squares":
            if any(0 < abs(x) < gap for x in self.projection):
                return "the projection has an entry below tol"
        return None


@lru_cache(maxsize=4096)
def oracle_of(A: tuple) -> Oracle:
    return Oracle(A)
