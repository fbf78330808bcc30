r"""Fading networks and the high-SNR behaviour of CoGC and GC+: diversity and coding gain.

With Rayleigh block fading every erasure probability is a function of the SNR,
:math:`\varepsilon_i(\mathrm{snr}) = 1-\exp(-c_i/\mathrm{snr}) = \theta_i x + O(x^2)`,
:math:`x = 1/\mathrm{snr}` (:mod:`cogc_theory.channels`; :math:`\theta_i` includes the rate
threshold :math:`2^R-1` and the path loss). An outage probability is a polynomial
:math:`P(\varepsilon_1,\dots,\varepsilon_n)` with :math:`P(0)=0`; if its lowest-degree
homogeneous part :math:`L_d` has degree :math:`d`, then

.. math:: P_\mathrm{out}(\mathrm{snr}) = L_d(\theta)\,\mathrm{snr}^{-d} + O(\mathrm{snr}^{-d-1})
          = (G_c\,\mathrm{snr})^{-d} + O(\mathrm{snr}^{-d-1}),

so the **diversity order** is :math:`d` and the **coding gain** :math:`G_c = L_d(\theta)^{-1/d}`
(:func:`diversity`). The polynomial comes from the exact engines (:func:`~.cogc.cogc`'s
polynomial-ring DP, the GC+ state enumeration); the leading term is the first-order series of
each :math:`\varepsilon_i` in :math:`x` substituted into :math:`L_d` — and, should that vanish,
a full :func:`sympy.series` of the composed expression.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from .. import channels
from .._validate import check_square_matrix
from . import _states
from ._common import check_independent, check_net, client_polys, poisson_binomial_cdf, shannon
from .cogc import decodable_family

__all__ = ["SNR", "Diversity", "diversity", "fading_network", "outage_polynomial"]

#: The default SNR symbol.
SNR = sp.Symbol("snr", positive=True)


def fading_network(B: Any, *, snr: Any = SNR, rate: Any = 1, link_rate: Any = None,
                   positions: Any = None, ps_position: Any = None, alpha: Any = 3,
                   d0: float = 1.0, uplink_gain: Any = 1, link_gain: Any = 1,
                   **kwargs: Any) -> Any:
    r"""A :class:`~cogc_theory.network.CooperativeNetwork` whose erasures follow Rayleigh fading.

    Without positions every uplink has mean SNR ``uplink_gain * snr`` and every client link
    ``link_gain * snr``; with ``positions`` (M, D) and ``ps_position`` (D,) the mean SNRs come
    from the path loss :math:`(d/d_0)^{-\alpha}`
    (:func:`cogc_theory.channels.erasures_from_positions`).

    Parameters
    ----------
    B : array_like or sympy.Matrix (M, M)
    snr : sympy.Symbol or float
        The reference SNR; a symbol gives a symbolic network.
    rate, link_rate : number
        Rate thresholds of uplinks and client links (bits per channel use).
    kwargs
        ``reciprocal`` / ``memory`` for the network.

    Raises
    ------
    TypeError
        ``B`` is not a square matrix of numbers (e.g. ``None``).
    ValueError
        ``B`` not square or not finite, ``positions`` without ``ps_position`` or with the
        wrong number of rows.

    Examples
    --------
    >>> import cogc_theory as ct
    >>> B = ct.codes.cyclic_repetition(4, 1, seed=0)
    >>> net = fading_network(B, rate=1)
    >>> net.p[0]
    1 - exp(-1/snr)
    """
    from ..network import CooperativeNetwork

    if B is None or isinstance(B, str | bytes | numbers.Number):
        raise TypeError(f"B must be a square GC matrix (array_like or sympy.Matrix (M, M), "
                        f"e.g. ct.codes.cyclic_repetition(M, s)), got {type(B).__name__}")
    M = check_square_matrix(B, "B").shape[0]
    link_rate = rate if link_rate is None else link_rate
    if positions is not None:
        if ps_position is None:
            raise ValueError("give ps_position (the parameter server's coordinates) together "
                             "with positions")
        p, eps = channels.erasures_from_positions(positions, ps_position, snr, rate=rate,
                                                  alpha=alpha, d0=d0, link_rate=link_rate)
        if np.shape(p)[0] != M:
            raise ValueError(f"positions must have one row per client: B has M={M}, "
                             f"positions has {np.shape(p)[0]}")
    else:
        p = channels.rayleigh_erasure(uplink_gain * snr, rate)
        eps = channels.rayleigh_erasure(link_gain * snr, link_rate)
    return CooperativeNetwork(B, p, eps, **kwargs)


def _state_polys(net: Any, gens: list[sp.Symbol], table: dict) -> list[list[sp.Poly]]:
    """Client-state probabilities as polynomials in the erasure generators."""
    def g(x: Any) -> Any:
        x = sp.sympify(x)
        return table.get(x, x)

    out = []
    for m in range(net.M):
        P = g(net.p[m])
        nb = net.neighbors(m)
        E = [g(net.eps[m, k]) for k in nb]
        row = [sp.Poly(P, *gens)]
        for b in range(1 << len(nb)):
            term = 1 - P
            for i, e in enumerate(E):
                term *= (1 - e) if b >> i & 1 else e
            row.append(sp.Poly(term, *gens))
        out.append(row)
    return out


def outage_polynomial(net: Any, decoder: str = "standard") -> tuple[sp.Poly, dict]:
    r"""The outage as a :class:`sympy.Poly` in one generator per distinct erasure expression.

    Returns ``(poly, back)`` where ``back`` maps each generator to its erasure expression.
    ``decoder``: ``"standard"`` (CoGC) or ``"gcplus"`` (no full recovery).

    Examples
    --------
    With one symbol for every uplink and one for every link, the CoGC outage of the
    :math:`M=3` ring is a polynomial in them:

    >>> import sympy as sp
    >>> import cogc_theory as ct
    >>> p, e = sp.symbols("p e")
    >>> poly, back = outage_polynomial(ct.CooperativeNetwork.cyclic(3, 1, uplink_erasure=p,
    ...                                                              link_erasure=e))
    >>> poly.gens, poly.total_degree()
    ((p, e), 6)
    >>> pi = (1 - p) * (1 - e)                          # fails iff at most 1 of 3 contributes
    >>> sp.expand(poly.as_expr() - ((1 - pi)**3 + 3 * pi * (1 - pi)**2))
    0
    """
    check_net(net)
    if decoder == "standard":
        check_independent(net, "fading.outage_polynomial", "ct.simulate.outage(net)")
        fam = decodable_family(net)
        pis, qs, back = client_polys(net)
        one, zero = pis[0].one, pis[0].zero
        if fam.threshold is not None:
            t = fam.threshold
            poly = zero if t <= 0 else one if t > net.M else poisson_binomial_cdf(
                pis, qs, t - 1, one, zero)
        else:
            poly = shannon(~fam.table, qs, pis, one, zero)
        return poly, back
    if decoder != "gcplus":
        raise ValueError(f"decoder must be 'standard' or 'gcplus', got {decoder!r}")
    _states.check_enumerable(net, "fading.outage_polynomial",
                             "ct.simulate.outage(net, decoder='gcplus')", limit=2_000_000)
    tab = _states.decision_table(net)
    atoms = [sp.sympify(x) for x in net.p] + [sp.sympify(x) for x in net.eps[net.link_used]]
    gens_map: dict[sp.Expr, sp.Symbol] = {}
    for a in atoms:
        if a.free_symbols and a not in gens_map:
            gens_map[a] = sp.Dummy(f"e{len(gens_map)}")
    gens = list(gens_map.values()) or [sp.Dummy("z")]
    back = {v: k for k, v in gens_map.items()}
    if net.is_homogeneous and len(gens_map) <= 2:
        p, eps = sp.sympify(net.p[0]), sp.sympify(net.eps[net.link_used][0]) \
            if net.link_used.any() else sp.Integer(0)
        counts = _states.exponent_counts(~tab.full, net)
        P, E = gens_map.get(p, p), gens_map.get(eps, eps)
        expr = sp.Add(*[c * P**a * (1 - P)**(net.M - a) * E**f * (1 - E)**g
                        for (a, f, g), c in counts.items()])
        return sp.Poly(expr, *gens), back
    w = _state_polys(net, gens, gens_map)
    poly = _states.contract((~tab.full).astype(object) * 1, w)
    if not isinstance(poly, sp.Poly):
        poly = sp.Poly(poly, *gens)
    return poly, back


@dataclass(frozen=True)
class Diversity:
    r"""High-SNR behaviour :math:`P_\mathrm{out}\approx A\,\mathrm{snr}^{-d}=(G_c\,
    \mathrm{snr})^{-d}`.

    Attributes
    ----------
    decoder : str
    order : int
        Diversity order :math:`d`.
    constant : sympy.Expr
        :math:`A`.
    coding_gain : sympy.Expr
        :math:`G_c = A^{-1/d}`.
    leading_term : sympy.Expr
        :math:`A\,\mathrm{snr}^{-d}`.
    snr : sympy.Symbol

    Examples
    --------
    On the ring with :math:`M=4`, :math:`s=1`, standard decoding fails once two clients
    are lost; each loss costs :math:`\approx 2(2^R-1)/\mathrm{snr}` (its uplink or its one
    link), so :math:`P_\mathrm{out}\approx\binom42\,(2/\mathrm{snr})^2=24/\mathrm{snr}^2` at
    :math:`R=1`:

    >>> import cogc_theory as ct
    >>> from cogc_theory.outage import fading
    >>> net = fading.fading_network(ct.codes.cyclic_repetition(4, 1, seed=0), rate=1)
    >>> d = fading.diversity(net)
    >>> d.order, d.constant, d.leading_term
    (2, 24, 24/snr**2)
    >>> d.coding_gain                                   # A**(-1/d)
    sqrt(6)/12
    """

    decoder: str
    order: int
    constant: sp.Expr
    coding_gain: sp.Expr
    leading_term: sp.Expr
    snr: sp.Symbol

    @property
    def latex(self) -> str:
        return sp.latex(sp.Eq(sp.Symbol(r"P_\mathrm{out}"), self.leading_term, evaluate=False))

    def __str__(self) -> str:
        return (f"{self.decoder}: P_out ~ {self.leading_term} (diversity {self.order}, "
                f"coding gain {self.coding_gain} = {float(self.coding_gain):.6g})")


def diversity(net: Any, decoder: str = "standard", *, snr: sp.Symbol | None = None
              ) -> Diversity:
    r"""Diversity order and coding gain of ``decoder`` on a network parameterised by ``snr``.

    Parameters
    ----------
    net : CooperativeNetwork
        Erasures are expressions in ``snr`` that vanish as ``snr -> oo``
        (e.g. from :func:`fading_network`).
    decoder : {"standard", "gcplus"}
    snr : sympy.Symbol, optional
        Default: the network's only free symbol.

    Returns
    -------
    Diversity

    Raises
    ------
    TypeError
        ``snr`` is not a sympy Symbol.
    ValueError
        ``snr`` is not a free symbol of the network, an erasure depends on other symbols
        or does not vanish as ``snr -> oo``, or the outage is identically zero.

    Examples
    --------
    >>> import cogc_theory as ct
    >>> net = fading_network(ct.codes.cyclic_repetition(5, 2, seed=0), rate=1)
    >>> d = diversity(net, "standard")
    >>> d.order, d.constant                          # C(5, 3) (1 + 2)^3
    (3, 270)
    """
    check_net(net)
    syms = net.symbols
    if snr is None:
        if len(syms) != 1:
            raise ValueError(f"pass snr=: the network has free symbols {sorted(map(str, syms))}")
        snr = next(iter(syms))
    elif not isinstance(snr, sp.Symbol):
        raise TypeError(f"snr must be a sympy Symbol (the network's SNR symbol, e.g. "
                        f"fading.SNR), got {type(snr).__name__} {snr!r}")
    elif snr not in syms:
        raise ValueError(f"snr={snr} is not a free symbol of the network (its symbols: "
                         f"{sorted(map(str, syms))}); pass the symbol the erasures depend on")
    poly, back = outage_polynomial(net, decoder)
    # generators that stand for erasure expressions: dummies (``back``) and erasures that are
    # bare symbols (their own generators, absent from ``back``)
    back = {g: back.get(g, g) for g in poly.gens if g in back or g in syms}
    for e in back.values():
        others = sp.sympify(e).free_symbols - {snr}
        if others:
            raise ValueError(f"erasure {e} depends on {sorted(map(str, others))} besides "
                             f"snr={snr}; substitute numbers for them with net.subs({{...}}) "
                             f"so that every erasure is a function of snr alone")
    x = sp.Dummy("x", positive=True)
    theta = {}
    for g, e in back.items():
        ex = sp.sympify(e).subs(snr, 1 / x)
        ser = sp.series(ex, x, 0, 2).removeO()
        if sp.simplify(ser.subs(x, 0)) != 0:
            raise ValueError(f"erasure {e} does not vanish as {snr} -> oo; the outage has no "
                             f"diversity (order 0)")
        theta[g] = sp.simplify(ser.coeff(x, 1))
    terms = poly.terms()
    if not terms:
        raise ValueError("the outage probability is identically zero")
    degrees = sorted({sum(m) for m, _ in terms})
    gens = poly.gens
    for d in degrees:
        if d == 0:
            const = sum(c for m, c in terms if sum(m) == 0)
            if const != 0:
                return Diversity(decoder, 0, sp.sympify(const), sp.oo, sp.sympify(const), snr)
            continue
        L = sp.Add(*[c * sp.Mul(*[theta.get(g, g) ** k for g, k in zip(gens, m, strict=True)])
                     for m, c in terms if sum(m) == d])
        L = sp.simplify(L)
        if L != 0:
            return _make(decoder, d, L, snr)
        break
    # cancellation in the lowest degree: full series of the composed expression
    expr = poly.as_expr().xreplace({g: sp.sympify(e).subs(snr, 1 / x) for g, e in back.items()})
    n = degrees[0] + 2
    while n < degrees[-1] + 3:
        ser = sp.series(expr, x, 0, n).removeO()
        lead = sp.Poly(sp.expand(ser), x)
        nz = [(k[0], c) for k, c in lead.terms() if sp.simplify(c) != 0]
        if nz:
            d, A = min(nz)
            return _make(decoder, d, sp.simplify(A), snr)
        n += 2
    raise ValueError("could not find a nonzero term of the outage's high-SNR series")


def _make(decoder: str, d: int, A: sp.Expr, snr: sp.Symbol) -> Diversity:
    return Diversity(decoder=decoder, order=int(d), constant=A,
                     coding_gain=sp.simplify(A ** sp.Rational(-1, d)),
                     leading_term=A * snr ** (-d), snr=snr)
