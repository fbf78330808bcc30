r"""Exact enumeration of the outage probabilities: the independent oracle of the campaigns.

Written apart from the library on purpose: decodability is decided by Gaussian elimination
over :class:`fractions.Fraction` (:func:`spans_ones`) on the rational ``B``, and the
probabilities are products of exact rationals (the float erasures converted exactly), so no
tolerance enters.

Examples
--------
>>> from fractions import Fraction
>>> import cogc_theory as ct
>>> p, e = Fraction(1, 10), Fraction(1, 5)
>>> net = ct.CooperativeNetwork.cyclic(3, 1, uplink_erasure=p, link_erasure=e, exact=True)
>>> pi = (1 - p) * (1 - e)            # a client contributes: complete and arrived
>>> brute_force_cogc(net) == 1 - pi**3 - 3 * pi**2 * (1 - pi)     # needs 2 of 3
True
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from typing import Any

__all__ = ["MAX_BRUTE_STATES", "brute_force_cogc", "brute_force_gcplus", "frac", "rational_B",
           "spans_ones"]

#: Largest number of client-state patterns for the GC+ brute force.
MAX_BRUTE_STATES = 20_000


def frac(x: Any) -> Fraction:
    """Exact rational value of a float / int / sympy Rational.

    Examples
    --------
    >>> import sympy as sp
    >>> frac(0.5), frac(sp.Rational(2, 6)), frac(0.1) == Fraction(1, 10)   # 0.1 is not 1/10
    (Fraction(1, 2), Fraction(1, 3), False)
    """
    if isinstance(x, Fraction):
        return x
    try:
        import sympy as sp

        if isinstance(x, sp.Basic):
            x = sp.nsimplify(x) if not x.is_Rational else x
            return Fraction(int(x.p), int(x.q))
    except ImportError:  # pragma: no cover
        pass
    return Fraction(float(x))


def rational_B(net: Any) -> list[list[Fraction]]:
    """The network's ``B`` in exact rationals (its exact ``B`` when it has one).

    Examples
    --------
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(3, 1, uplink_erasure=0.1, link_erasure=0.2, exact=True)
    >>> [[str(x) for x in row] for row in rational_B(net)]
    [['1', '1/2', '0'], ['0', '1/2', '1'], ['-1', '0', '1']]
    """
    if net.B_exact is not None:
        return [[frac(net.B_exact[i, j]) for j in range(net.M)] for i in range(net.M)]
    return [[Fraction(float(v)) for v in row] for row in net.B]


def spans_ones(rows: list[list[Fraction]], M: int) -> bool:
    """Whether the all-ones vector lies in the span of ``rows`` (exact elimination).

    Examples
    --------
    >>> F = Fraction
    >>> spans_ones([[F(1), F(1), F(0)], [F(0), F(0), F(1)]], 3)
    True
    >>> spans_ones([[F(1), F(1), F(0)]], 3)
    False
    """
    basis: list[tuple[int, list[Fraction]]] = []   # (pivot column, row with pivot 1)

    def reduce(v: list[Fraction]) -> list[Fraction]:
        v = list(v)
        for piv, b in basis:
            if v[piv]:
                c = v[piv]
                v = [x - c * y for x, y in zip(v, b, strict=True)]
        return v

    for r in rows:
        v = reduce(r)
        nz = next((j for j, x in enumerate(v) if x), None)
        if nz is None:
            continue
        c = v[nz]
        v = [x / c for x in v]
        basis = [(piv, [x - b[nz] * y for x, y in zip(b, v, strict=True)]) for piv, b in basis]
        basis.append((nz, v))
    return not any(reduce([Fraction(1)] * M))


def brute_force_cogc(net: Any) -> Fraction:
    r"""CoGC outage by enumerating all :math:`2^M` contributing sets, in exact rationals.

    .. math:: P_\mathrm{out} = \sum_{R:\ \mathbf 1\notin\operatorname{rowspace}(B_R)}
              \prod_{m\in R}\pi_m\prod_{m\notin R}(1-\pi_m),\quad
              \pi_m=(1-p_m)\prod_{k\in N_m}(1-\varepsilon_{mk}).

    Examples
    --------
    The :math:`M=4` ring at :math:`p=1/10`, :math:`\varepsilon=1/5`:
    :math:`\pi=18/25` and :math:`P_\mathrm{out}=1-\pi^4-4\pi^3(1-\pi)=122353/390625`:

    >>> import sympy as sp
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=sp.Rational(1, 10),
    ...                                    link_erasure=sp.Rational(1, 5), exact=True)
    >>> brute_force_cogc(net)
    Fraction(122353, 390625)
    """
    M = net.M
    B = rational_B(net)
    pis = []
    for m in range(M):
        pi = 1 - frac(net.p[m])
        for k in net.neighbors(m):
            pi *= 1 - frac(net.eps[m, k])
        pis.append(pi)
    total = Fraction(0)
    for bits in itertools.product((0, 1), repeat=M):
        R = [m for m in range(M) if bits[m]]
        if spans_ones([B[m] for m in R], M):
            continue
        w = Fraction(1)
        for m in range(M):
            w *= pis[m] if bits[m] else 1 - pis[m]
        total += w
    return total


def _client_states(net: Any, m: int, B: list[list[Fraction]]) -> list[tuple[Fraction, Any]]:
    """(probability, effective row or None) for every state of client ``m``."""
    p = frac(net.p[m])
    nb = net.neighbors(m)
    out: list[tuple[Fraction, Any]] = [(p, None)]
    for ok in itertools.product((0, 1), repeat=len(nb)):
        w = 1 - p
        row = list(B[m])
        for k, good in zip(nb, ok, strict=True):
            e = frac(net.eps[m, k])
            w *= (1 - e) if good else e
            if not good:
                row[k] = Fraction(0)
        out.append((w, row))
    return out


def brute_force_gcplus(net: Any) -> Fraction:
    r"""GC+ :math:`P(\text{no full recovery})` by enumerating every client-state pattern.

    Raises ``ValueError`` when there are more than :data:`MAX_BRUTE_STATES` patterns.

    Examples
    --------
    The same ring: GC+ fails unless all four arrive or one is absent and the rest complete,
    :math:`1-0.9^4-4\cdot0.1\cdot0.9^3\cdot0.8^3`:

    >>> import sympy as sp
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=sp.Rational(1, 10),
    ...                                    link_erasure=sp.Rational(1, 5), exact=True)
    >>> F = Fraction
    >>> brute_force_gcplus(net) == 1 - F(9, 10)**4 - 4 * F(1, 10) * F(9, 10)**3 * F(4, 5)**3
    True
    """
    M = net.M
    n = math.prod(1 + 2 ** len(net.neighbors(m)) for m in range(M))
    if n > MAX_BRUTE_STATES:
        raise ValueError(f"GC+ brute force would enumerate {n:,} client-state patterns "
                         f"(> {MAX_BRUTE_STATES:,})")
    B = rational_B(net)
    states = [_client_states(net, m, B) for m in range(M)]
    total = Fraction(0)
    for combo in itertools.product(*states):
        rows = [r for _, r in combo if r is not None]
        if spans_ones(rows, M):
            continue
        w = Fraction(1)
        for pr, _ in combo:
            w *= pr
        total += w
    return total
