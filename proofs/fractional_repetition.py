r"""Fractional repetition: decodable iff every group is covered; the reliability polynomial.

The fractional-repetition code splits the :math:`M` clients into :math:`M/(s+1)` groups
:math:`g` of size :math:`s+1`; every client of a group holds the group's data and row
:math:`B_m=\mathbf 1_g` (client :math:`m` gathers the partial sums of the other members of its
group, :math:`N_m=g\setminus\{m\}`). The group indicators have disjoint supports, so they are
linearly independent and :math:`\mathbf 1=\sum_g\mathbf 1_g` lies in the span of the received
rows iff every group delivered at least one complete row. With the independent
:math:`X_m\sim\mathrm{Bernoulli}(\pi_m)` of the CoGC analysis (see ``cogc_outage``),

.. math:: P_\mathrm{succ}=\prod_g\Big(1-\prod_{m\in g}(1-\pi_m)\Big).

Independent route: all link-and-uplink patterns of :math:`M=4,s=1` and :math:`M=6,s=2`
(heterogeneous rationals, then symbols), decoded by exact rational elimination.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

import cogc_theory as ct

from . import _enumerate as en
from ._core import Check, ProofResult, Step

TITLE = "Fractional repetition: every group covered; reliability polynomial"
CASES = ((4, 1), (6, 2))


def rational_network(M: int, s: int) -> Any:
    """Fractional-repetition network with heterogeneous rational erasures."""
    B = ct.codes.fractional_repetition(M, s, exact=True)
    p = [sp.Rational(1, 10), sp.Rational(1, 5), sp.Rational(1, 4), sp.Rational(1, 3),
         sp.Rational(1, 8), sp.Rational(2, 7)][:M]
    eps = np.full((M, M), sp.Integer(0), dtype=object)
    for m in range(M):
        for k in range(M):
            eps[m, k] = sp.Rational(1, 3 + (m + 2 * k) % 5)
    return ct.CooperativeNetwork(B, uplink_erasure=p, link_erasure=eps)


def groups(M: int, s: int) -> list[tuple[int, ...]]:
    """Consecutive groups of size ``s + 1`` (the repository's construction)."""
    return [tuple(range(a, a + s + 1)) for a in range(0, M, s + 1)]


def _pi(net: Any, m: int) -> Fraction:
    out = 1 - en.frac(net.p[m])
    for k in net.neighbors(m):
        out *= 1 - en.frac(net.eps[m, k])
    return out


def _reliability(pis: list[Any], gs: list[tuple[int, ...]], one: Any = 1) -> Any:
    out = one
    for g in gs:
        miss = one
        for m in g:
            miss = miss * (1 - pis[m])
        out = out * (1 - miss)
    return out


def _derivation() -> list[Step]:
    # Step 3 verified: summing the law of X over the covering patterns gives the product.
    M, s = 6, 2
    gs = groups(M, s)
    ring, *x = sp.ring(sp.symbols(f"pi_0:{M}"), sp.QQ)
    total = ring.zero
    for code in range(1 << M):
        if all(any(code >> m & 1 for m in g) for g in gs):
            w = ring.one
            for m in range(M):
                w *= x[m] if code >> m & 1 else 1 - x[m]
            total += w
    ok = total == _reliability(list(x), gs, ring.one)
    return [
        Step("Row $m$ of the fractional-repetition matrix is the indicator of its group, "
             "and the supports of different groups are disjoint:",
             r"B_m=\mathbf 1_{g(m)},\qquad \mathbf 1=\sum_g \mathbf 1_g ."),
        Step("If $R$ is the set of clients with $X_m=1$, the received rows span "
             "$\\operatorname{span}\\{\\mathbf 1_g: g\\cap R\\ne\\emptyset\\}$; the "
             "$\\mathbf 1_g$ are linearly independent (disjoint supports), so",
             r"\mathbf 1\in\operatorname{rowspace}B_R\iff g\cap R\neq\emptyset\ \forall g."),
        Step("The $X_m$ are independent (disjoint indicator sets, see `cogc_outage`), and the "
             "groups are disjoint, so the group events are independent and",
             r"P_\mathrm{succ}=\sum_{x:\,\forall g\,\exists m\in g:\,x_m=1}\ \prod_m"
             r"\pi_m^{x_m}(1-\pi_m)^{1-x_m}=\prod_g\Big(1-\prod_{m\in g}(1-\pi_m)\Big).",
             ok, "sympy ring: sum over all 64 covering x for M=6, s=2 equals the product"),
        Step("Homogeneous erasures: $\\pi=(1-p)(1-\\varepsilon)^s$ and",
             r"P_\mathrm{out}=1-\big(1-(1-\pi)^{s+1}\big)^{M/(s+1)}."),
    ]


def _checks(M: int, s: int) -> list[Check]:
    net = rational_network(M, s)
    gs = groups(M, s)
    nb_ok = all(set(net.neighbors(m)) == set(g) - {m} for g in gs for m in g)
    out = [Check(f"M={M}, s={s}: N_m is the rest of m's group", nb_ok,
                 f"groups {gs}")]
    rows = en.exact_rows(net)
    shape_ok = all(rows[m][m] != 0 and rows[m] == [rows[m][m] * (k in g) for k in range(M)]
                   for g in gs for m in g)
    out.append(Check(f"M={M}, s={s}: every row of the exact B is a nonzero multiple of its "
                     "group's indicator", shape_ok, f"B = {net.B_exact.tolist()}"))
    dec = en.decodable_subsets(rows)
    cover = np.array([all(any(c >> m & 1 for m in g) for g in gs) for c in range(1 << M)])
    out.append(Check(f"M={M}, s={s}: decodable iff every group has a complete arrived row "
                     f"(exact rank of all {1 << M} row subsets)", np.array_equal(dec, cover),
                     f"{int(dec.sum())} decodable subsets, {int(cover.sum())} covering"))
    pat = en.Patterns(net)
    X = pat.complete_and_delivered()
    fail = ~dec[(X * (1 << np.arange(M))).sum(axis=1)]
    enum = pat.probability(fail)
    pis = [_pi(net, m) for m in range(M)]
    formula = 1 - _reliability(pis, gs, Fraction(1))
    out.append(Check(f"M={M}, s={s}, heterogeneous rationals: 1 - reliability polynomial = "
                     f"enumeration of all {len(pat.bits)} link+uplink patterns",
                     enum == formula, f"enumerated {enum} ({float(enum):.12g})"))
    code_sym = sp.nsimplify(ct.outage.cogc(net, symbolic=True))
    out.append(Check(f"M={M}, s={s}: ct.outage.cogc(symbolic=True) equals the enumeration",
                     code_sym == sp.Rational(enum.numerator, enum.denominator),
                     f"code: {code_sym}"))
    code_f = ct.outage.cogc(net)
    out.append(Check(f"M={M}, s={s}: ct.outage.cogc float within 1e-12 of the enumeration",
                     math.isclose(code_f, float(enum), rel_tol=1e-12), f"float {code_f!r}"))
    mds = en.poisson_binomial_cdf(pis, M - s - 1)
    out.append(Check(f"M={M}, s={s}: sensitivity — the MDS tail Pr[sum X <= M-s-1] does not "
                     "describe fractional repetition", mds != enum,
                     f"MDS tail {float(mds):.12g}"))
    # homogeneous symbols: polynomial identity from integer pattern counts
    p, e = sp.symbols("p epsilon")
    pat_h = en.Patterns(ct.CooperativeNetwork(net.B_exact, uplink_erasure=p, link_erasure=e),
                        weights=False)
    n_links = sum(len(x) for x in pat_h.link)
    fail_h = ~dec[(pat_h.complete_and_delivered() * (1 << np.arange(M))).sum(axis=1)]
    enum_h = en.homogeneous_polynomial(pat_h.exponent_counts(fail_h), M, n_links, p, e)
    pi = (1 - p) * (1 - e)**s
    closed = 1 - (1 - (1 - pi)**(s + 1))**(M // (s + 1))
    out.append(Check(f"M={M}, s={s}, symbols p, epsilon: closed form = enumeration "
                     "(polynomial identity)", en.same_polynomial(enum_h, closed, p, e),
                     "difference is the zero polynomial in (p, epsilon)"))
    symnet = ct.CooperativeNetwork(net.B_exact, uplink_erasure=p, link_erasure=e)
    out.append(Check(f"M={M}, s={s}: ct.outage.cogc(symbolic=True) on symbols = closed form",
                     en.same_polynomial(ct.outage.cogc(symnet, symbolic=True), closed, p, e),
                     "difference is the zero polynomial in (p, epsilon)"))
    return out


def run() -> ProofResult:
    """Derive the fractional-repetition reliability polynomial and check it exhaustively."""
    checks: list[Check] = []
    for M, s in CASES:
        checks += _checks(M, s)
    return ProofResult(
        name="fractional_repetition", title=TITLE,
        assumptions=[
            "$(s+1)\\mid M$; groups are consecutive blocks of $s+1$ clients; "
            "$B_m=\\mathbf 1_{g(m)}$ (`ct.codes.fractional_repetition`).",
            "Independent uplink and link erasures, no reciprocal links, no memory; standard "
            "GC decoding.",
        ],
        statement=r"\mathbf 1\in\operatorname{rowspace}B_R\iff\forall g:\ g\cap R\ne"
                  r"\emptyset,\qquad P_\mathrm{succ}=\prod_g\Big(1-\prod_{m\in g}"
                  r"(1-\pi_m)\Big),\quad \pi_m=(1-p_m)\prod_{k\in g(m)\setminus\{m\}}"
                  r"(1-\varepsilon_{mk}).",
        derivation=_derivation(),
        checks=checks,
    )
