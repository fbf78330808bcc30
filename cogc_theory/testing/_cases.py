"""The cases the properties check (internal): one drawn or explicit case (:class:`Case`), how
it prints, the case strategy, the tolerance ladder and the explicit special cases."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from functools import lru_cache
from typing import Any

import numpy as np
from hypothesis import strategies as st

from ._matrices import (
    PERTURB,
    ULTRA_K,
    as_fractions,
    float_matrix,
    hard_matrix,
    hard_specs,
    integer_cyclic,
    ultra_matrix,
)

__all__ = ["Case", "bits", "case_strategy", "fmt_exact", "fmt_float", "fmt_vec", "ladder",
           "probe_case", "special_cases"]


class Case:
    """One drawn case: an exact matrix, links, arrivals, and the variants the checks need."""

    def __init__(self, family: str, label: str, B: tuple, tau: np.ndarray,
                 arrived: np.ndarray, extra: int, flip: int | None) -> None:
        self.family, self.label, self.B = family, label, B
        self.M = M = len(B)
        self.tau, self.arrived, self.extra, self.flip = tau, arrived, extra, flip
        self.key = (family, B, tau.tobytes(), arrived.tobytes(), extra, flip)
        self.sup = np.array([[x != 0 for x in r] for r in B], dtype=bool).reshape(M, M)
        self.complete = np.all(tau | ~self.sup, axis=1)
        self.received = arrived & self.complete
        zero = Fraction(0)
        self.Bt = tuple(tuple(x if tau[m, j] else zero for j, x in enumerate(r))
                        for m, r in enumerate(B))
        self.Bf = float_matrix(B)
        self.Btf = np.where(tau, self.Bf, 0.0)
        for a in (self.Bf, self.Btf, self.tau, self.arrived, self.received):
            a.flags.writeable = False
        self.explicit = False      # one of the explicit cases (ladder, ties, ...)

    def more(self) -> np.ndarray:
        """The arrivals with client ``extra`` added."""
        m = self.arrived.copy()
        m[self.extra] = True
        return m

    def flipped(self) -> tuple[np.ndarray, np.ndarray]:
        """``(tau, received)`` after the failed link ``flip`` succeeds."""
        tau = self.tau.copy()
        if self.flip is not None:
            tau.flat[self.flip] = True
        return tau, self.arrived & np.all(tau | ~self.sup, axis=1)

    def describe(self, exact_input: bool = False) -> str:
        lines = [f"case ({self.label}), M = {self.M}:"]
        if exact_input:
            lines.append(f"  B = {fmt_exact(self.B)}")
        else:
            exact = all(Fraction(float(x)) == x for r in self.B for x in r)
            note = ("  # exactly the rationals judged" if exact
                    else "  # rounded from the rationals below")
            lines.append(f"  B = {fmt_float(self.Bf)}{note}")
            if not exact:
                lines.append(f"  B (exact) = {fmt_exact(self.B)}")
        lines.append(f"  tau = np.array({self.tau.astype(int).tolist()}, dtype=bool)")
        lines.append("  Bt = B * tau  # effective rows: "
                     + (fmt_exact(self.Bt) if exact_input else fmt_float(self.Btf)))
        lines.append(f"  arrived = np.array({bits(self.arrived)}, dtype=bool)")
        lines.append(f"  received = np.array({bits(self.received)}, dtype=bool)"
                     "  # complete and arrived")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.describe()


def bits(x: np.ndarray) -> list:
    return np.asarray(x, dtype=bool).tolist()


def fmt_float(A: np.ndarray) -> str:
    rows = ", ".join("[" + ", ".join(repr(float(x)) for x in r) + "]" for r in np.asarray(A))
    return f"np.array([{rows}])"


def fmt_exact(B: tuple) -> str:
    rows = ", ".join("[" + ", ".join(str(x) for x in r) + "]" for r in B)
    return f'sp.Matrix(sp.sympify("[{rows}]"))'


def fmt_vec(x: Any) -> str:
    a = np.asarray(x)
    if a.dtype == bool:
        return str(a.astype(int).tolist())
    if a.dtype == object:
        return "[" + ", ".join(str(v) for v in a.ravel()) + "]"
    return "[" + ", ".join(repr(float(v)) for v in a.ravel()) + "]"


def _bits_at_rate(draw: Callable, n: int) -> np.ndarray:
    """``n`` booleans, each False with a drawn rate in {0, 0.1, 0.3, 0.5, 0.8}: links and
    arrivals that mostly succeed put a code near its decoding threshold."""
    rate = draw(st.sampled_from((1, 3, 0, 5, 8)))
    return np.array(draw(st.lists(st.integers(0, 9), min_size=n, max_size=n)),
                    dtype=int).reshape(n) >= rate


@st.composite
def case_strategy(draw: Callable, families: tuple[str, ...], mats: st.SearchStrategy,
           k_max: int) -> Case:
    family = draw(st.sampled_from(families))
    if family == "hard":
        spec = draw(hard_specs(k_max))
        B = hard_matrix(spec)
        base, M, _, k, _, rows, scale = spec
        label = (f"near-singular {base}, entries * (1 + p * 2**-{k})"
                 + (f", row scales 2**{list(rows)}" if any(rows) else "")
                 + (f", scaled by 2**{scale}" if scale else ""))
    else:
        B = as_fractions(draw(mats))
        label = "rational code"
        if family == "ultra":
            k = draw(st.integers(*ULTRA_K))
            P = tuple(draw(st.lists(st.integers(-PERTURB, PERTURB), min_size=len(B) ** 2,
                                    max_size=len(B) ** 2)))
            B = ultra_matrix(B, k, P)
            label = f"rational code, entries * (1 + p * 10**-{k})"
    M = len(B)
    sup = np.array([[x != 0 for x in r] for r in B], dtype=bool).reshape(M, M)
    links = sup & ~np.eye(M, dtype=bool)
    n = int(links.sum())
    tau = np.ones((M, M), dtype=bool)
    if draw(st.booleans()):
        # near the decoding threshold: every link but at most one, all but 1-2 arrivals
        arrived = np.ones(M, dtype=bool)
        arrived[draw(st.lists(st.integers(0, M - 1), min_size=1, max_size=2,
                              unique=True))] = False
        if n and draw(st.booleans()):
            tau[tuple(np.argwhere(links)[draw(st.integers(0, n - 1))])] = False
    else:
        tau[links] = _bits_at_rate(draw, n)
        arrived = _bits_at_rate(draw, M)
    extra = draw(st.integers(0, M - 1))
    failed = np.flatnonzero(links & ~tau).tolist()
    flip = draw(st.sampled_from(failed)) if failed else None
    return Case(family, label, B, tau, arrived, extra, flip)


# fixed perturbation numerators of the ladder: irregular, so that targets move off the row
# space at first order (a regular pattern such as (m + 2j) mod 5 keeps them in it)
_LADDER_P = (3, -2, -3, -2, -1, 2, -1, -3, -1, 1, 2, 2, 3, -2, 3, -3, 1, -2, -2, 1, -2, 1, -2,
             -3, 2, -1, 2, 2, 3, -1, -2, 1, 3, 3, 3, 2)


def _ladder_case(label: str, base: np.ndarray, k: int, missing: Sequence[int],
                 rows: Sequence[int] | None = None, scale: int = 0) -> Case:
    M = base.shape[0]
    sup = base != 0
    P = [_LADDER_P[m * M + j] if sup[m, j] else 0 for m in range(M) for j in range(M)]
    spec = ("ladder", M, tuple(map(tuple, base.tolist())), k, tuple(P),
            tuple(rows or [0] * M), scale)
    arrived = np.ones(M, dtype=bool)
    arrived[list(missing)] = False
    return Case("hard", f"tolerance ladder: {label}, entries * (1 + p * 2**-{k})"
                 + (f", row scales 2**{list(rows)}" if rows else "")
                 + (f", scaled by 2**{scale}" if scale else ""),
                 hard_matrix(spec), np.ones((M, M), dtype=bool), arrived, 0, None)


@lru_cache(maxsize=8)
def ladder(k_max: int) -> tuple[Case, ...]:
    r"""Explicit cases that sweep the perturbation :math:`2^{-k}` over every :math:`k`.

    A cyclic code (M = 4, s = 1) and two all-ones blocks (sizes 3, 2), every link up, with
    one client missing (the all-ones vector and :math:`\mathbf 1_S` miss the row space by
    about :math:`2^{-k}`) or none (every target is in the row space, through singular values
    of about :math:`2^{-k}\sigma_1`); a few of them scaled by :math:`2^{\pm 50}` or with rows
    scaled by up to :math:`2^{\pm 8}`; and rows :math:`(2^k, 1, 0)`, :math:`(0, 0, 1)`, where
    :math:`e_0` misses the row space by about :math:`2^{-k}` and :math:`e_2` needs the row of
    norm 1 beside one of norm :math:`2^k`. Whatever membership tolerance a decoder uses
    between ``tol`` and 0.1, and whatever rank threshold between :math:`1/\mathrm{cond\_max}`
    and 0.1, some rung falls on the wrong side of it; these run first in every
    ``exact oracle`` run, so such a bug is caught deterministically.
    """
    cyc = np.array(integer_cyclic(4, 1, 0), dtype=object)
    g = np.array([0, 0, 0, 1, 1])
    blocks = (g[:, None] == g[None, :]).astype(int).astype(object)
    cases = []
    for k in range(1, k_max + 1):
        dominant = as_fractions([[2 ** k, 1, 0], [0, 1, 1], [0, 0, 1]])
        cases.append(Case("hard", f"tolerance ladder: row (2**{k}, 1, 0) and row (0, 0, 1), "
                           f"e_0 at distance ~2**-{k}", dominant, np.ones((3, 3), dtype=bool),
                           np.array([True, False, True]), 1, None))
        cases += [_ladder_case("cyclic code M=4, s=1, client 0 missing", cyc, k, [0]),
                  _ladder_case("cyclic code M=4, s=1, all arrived", cyc, k, []),
                  _ladder_case("blocks (3, 2), client 0 missing", blocks, k, [0]),
                  _ladder_case("blocks (3, 2), all arrived", blocks, k, [])]
    for k in sorted({min(10, k_max), min(20, k_max)}):
        for scale in (-50, 50):
            cases += [_ladder_case("cyclic code M=4, s=1, client 0 missing", cyc, k, [0],
                                   scale=scale),
                      _ladder_case("cyclic code M=4, s=1, all arrived", cyc, k, [],
                                   scale=scale)]
        cases.append(_ladder_case("blocks (3, 2), all arrived", blocks, k, [],
                                  rows=[8, -8, 0, 4, -4]))
    for c in cases:
        c.explicit = True
    return tuple(cases)


@lru_cache(maxsize=1)
def special_cases() -> tuple[Case, ...]:
    r"""Explicit cases for tie-breaking and least-squares supports, run first where they matter.

    *Ties*: an all-ones block of :math:`M` clients where only clients :math:`i` and
    :math:`i+1` arrived, having missed all but the windows :math:`[i, i+w)` and
    :math:`[i+1, i+w+1)`: both windows are maximum subsets. *Zero projections*: rows with
    zero sum, so that the least-squares target vanishes on clients the rows touch, and one
    whose projection has an entry below 1/2. *Every
    candidate*: a block recovered and the other clients lost, so the maximum subset is all
    the clients the arrived rows touch (a search that stops one size short misses it).
    Tandon et al.'s example with an incomplete row.
    """
    one = Fraction(1)
    cases = []
    for M in range(3, 7):
        for w in range(2, M):
            for i in sorted({0, M - w - 1}):
                tau = np.zeros((M, M), dtype=bool)
                tau[i, i:i + w] = tau[i + 1, i + 1:i + w + 1] = True
                tau[np.arange(M), np.arange(M)] = True
                arrived = np.zeros(M, dtype=bool)
                arrived[[i, i + 1]] = True
                cases.append(Case("nice", f"tie: windows [{i}, {i + w}) and [{i + 1}, "
                                   f"{i + w + 1}) of an all-ones block", ((one,) * M,) * M,
                                   tau, arrived, (i + 2) % M, None))
    signed = as_fractions([[1, -1, 0], [0, 1, -1], [-1, 0, 1]])
    mixed = as_fractions([[1, -1, 0], [0, 1, 0], [0, 0, 1]])
    for B, arr in ((signed, [1, 0, 0]), (signed, [1, 1, 0]), (mixed, [1, 0, 1]),
                   (mixed, [1, 0, 0])):
        cases.append(Case("nice", "zero-sum rows: the projection of 1 vanishes on clients "
                           "they touch", B, np.ones((3, 3), dtype=bool),
                           np.array(arr, dtype=bool), 2, None))
    cases.append(Case("nice", "one row (3, 1, 0): the projection of 1 is (6/5, 2/5, 0)",
                       as_fractions([[3, 1, 0], [0, 1, 0], [0, 0, 1]]),
                       np.ones((3, 3), dtype=bool), np.array([True, False, False]), 1, None))
    for M in (4, 5):                 # every client the rows touch, and no more
        B = as_fractions(((np.arange(M)[:, None] < 3) & (np.arange(M)[None, :] < 3)
                        | np.eye(M, dtype=bool)).astype(int))
        arrived = np.arange(M) < 3
        cases.append(Case("nice", "a block of 3 recovered, the other clients lost: the "
                           "maximum subset is every client the arrived rows touch", B,
                           np.ones((M, M), dtype=bool), arrived, M - 1, None))
    cases.append(probe_case())
    for c in cases:
        c.explicit = True
    return tuple(cases)


_TANDON = ((Fraction(1, 2), Fraction(1), Fraction(0)),
           (Fraction(0), Fraction(1), Fraction(-1)),
           (Fraction(1, 2), Fraction(0), Fraction(1)))


def probe_case() -> Case:
    """Tandon et al.'s B, client 0 missed g_1: GC+ with clients 0, 2 recovers g_0 + g_2."""
    tau = np.array([[1, 0, 1], [1, 1, 1], [1, 1, 1]], dtype=bool)
    return Case("nice", "Tandon et al.'s B, client 0 missed g_1", _TANDON, tau,
                 np.array([True, False, True]), 1, 1)


