r"""The law of the outcome of a round: :math:`P_k=P(|K|=k)`, :math:`k=0..M`.

What the linear-recursion bounds (:mod:`cogc_theory.bounds._linear`) average over. For
``"ideal"`` and ``"cogc"`` only full recovery or outage happen
(:math:`[P_\mathrm{out},0,\dots,0,1-P_\mathrm{out}]`, with :math:`P_\mathrm{out}` given,
computed from a network by :func:`cogc_theory.outage.cogc`, or the symbol); for ``"gcplus"``
the law of :math:`|K|` is given, computed from a network by
:func:`cogc_theory.outage.gcplus_distribution` (exact Fractions when the erasures are
rational), or symbols ``P_0..P_M``. The full law of the set :math:`K` (inclusion weights) is
:mod:`cogc_theory.bounds._law`'s.
"""

from __future__ import annotations

import numbers
from fractions import Fraction
from typing import Any

import sympy as sp

from .._validate import check_int, check_probability, is_symbolic
from ._recursion import Msym
from ._recursion import P_out as P_OUT_SYMBOL

__all__ = ["SCHEMES", "SUBSET_RULES", "gcplus_size_pmf", "outcome_law",
           "outcome_probabilities"]

#: schemes with a bound
SCHEMES = ("ideal", "cogc", "gcplus")
#: GC+ partial rules that recover a subset K (least squares recovers none)
SUBSET_RULES = ("max-subset", "individual")


def _is_rational_net(net: Any) -> bool:
    vals = list(net.p) + list(net.eps[net.link_used])
    return all(isinstance(x, (int, Fraction)) or (isinstance(x, sp.Basic) and x.is_Rational)
               for x in vals)


def _check_net(net: Any) -> None:
    from ..network import CooperativeNetwork

    if not isinstance(net, CooperativeNetwork):
        raise TypeError(f"net must be a CooperativeNetwork, got {type(net).__name__}")
    if net.memory is not None:
        raise ValueError("the bounds assume outcomes i.i.d. across rounds, but net.memory "
                         "makes the links Gilbert-Elliott chains; use a memoryless network "
                         "(memory=None)")


def gcplus_size_pmf(net: Any, rule: str) -> tuple[list[Any], str]:
    """``(P(|K| = k) for k = 0..M, the rule used)`` of GC+ on a numeric ``net``; ``rule="auto"``
    takes max-subset when its enumeration is within reach, else individual."""
    from .. import outage

    if net.is_symbolic:
        raise ValueError("GC+ bounds from a symbolic network are not available: substitute "
                         "numbers with net.subs({...}), or pass size_pmf=[P_0, ..., P_M]")
    exact = _is_rational_net(net)
    if rule == "auto":
        try:
            d = outage.gcplus_distribution(net, rules=("max-subset",), exact=exact)
            rule = "max-subset"
        except ValueError as exc:
            if "max-subset" not in str(exc):
                raise
            d = outage.gcplus_distribution(net, rules=("individual",), exact=exact)
            rule = "individual"
    else:
        d = outage.gcplus_distribution(net, rules=(rule,), exact=exact)
    return list(d.size_pmf[rule]), rule


def _prob(x: Any, name: str) -> Any:
    """A probability, keeping integers (0, 1) exact."""
    if isinstance(x, numbers.Integral) and not isinstance(x, bool):
        return sp.Integer(check_probability(sp.Integer(int(x)), name))
    return check_probability(x, name)


def outcome_law(scheme: str, *, P_out: Any = None, size_pmf: Any = None, net: Any = None,
                rule: str = "max-subset", M: Any = None) -> tuple[list[Any], Any, str]:
    """``(P, M, label)``: ``P = [P_0, ..., P_M]`` or ``[P_0, P_M]`` with ``M`` a symbol."""
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    if rule not in SUBSET_RULES + ("auto",):
        raise ValueError(f"rule must be 'max-subset', 'individual' or 'auto', got {rule!r} "
                         "(the bounds need a recovered subset K; least-squares has none)")
    if net is not None:
        _check_net(net)
        if P_out is not None or size_pmf is not None:
            given = "P_out" if P_out is not None else "size_pmf"
            raise ValueError(f"give net= or {given}=, not both (the network determines the "
                             f"outcome law; {given} would silently replace it)")
        if M is not None and check_int(M, "M", lo=1) != net.M:
            raise ValueError(f"M={M} disagrees with net.M={net.M}; omit M")
        M = net.M
    if M is not None:
        from ..codes import MAX_M

        # M + 1 outcome probabilities enter the bound; codes stop at MAX_M clients too
        M = check_int(M, "M", lo=1, hi=MAX_M)
    label = {"ideal": "ideal GD", "cogc": "CoGC", "gcplus": "GC+"}[scheme]
    ignored = ("size_pmf" if scheme != "gcplus" and size_pmf is not None
               else "P_out" if scheme != "cogc" and P_out is not None else None)
    if ignored:
        raise ValueError(f"{ignored}= does not apply to scheme {scheme!r} (CoGC takes P_out, "
                         f"GC+ size_pmf, ideal GD neither); drop it")
    if scheme in ("ideal", "cogc"):
        if scheme == "ideal":
            po: Any = sp.Integer(0)
        elif P_out is not None:
            po = _prob(P_out, "P_out")
        elif net is not None:
            from .. import outage

            exact = net.is_symbolic or _is_rational_net(net)
            po = check_probability(outage.cogc(net, symbolic=exact), "P_out")
        else:
            po = P_OUT_SYMBOL
        if M is None:
            return [po, 1 - sp.sympify(po)], Msym, label
        return [po] + [0] * (M - 1) + [1 - sp.sympify(po)], M, label
    if size_pmf is None:
        if net is not None:
            size_pmf, used = gcplus_size_pmf(net, rule)
            if used != "max-subset":
                label = f"GC+ ({used} rule)"
        elif M is not None:
            size_pmf = list(sp.symbols(f"P_0:{M + 1}", nonnegative=True))
        else:
            raise ValueError("gcplus bounds need size_pmf=[P_0, ..., P_M], net=, or M= "
                             "(for symbols P_0..P_M)")
    pmf = [_prob(x, f"size_pmf[{i}]") for i, x in enumerate(size_pmf)]
    if len(pmf) < 2:
        raise ValueError("size_pmf must have length M + 1 >= 2: P(|K| = k) for k = 0..M")
    if M is not None and len(pmf) != M + 1:
        raise ValueError(f"size_pmf has length {len(pmf)}, expected M + 1 = {M + 1}")
    if not any(is_symbolic(x) for x in pmf):
        tot = sum(sp.nsimplify(x) if isinstance(x, sp.Basic) else x for x in pmf)
        if abs(float(tot) - 1) > 1e-9:
            raise ValueError(f"size_pmf must sum to 1, got {float(tot)!r}; pass P(|K| = k) "
                             "for k = 0..M")
    return pmf, len(pmf) - 1, label


def outcome_probabilities(scheme: str = "cogc", *, P_out: Any = None, size_pmf: Any = None,
                          net: Any = None, rule: str = "max-subset",
                          M: int | None = None) -> list[Any]:
    r"""Probabilities :math:`[P_0,\dots,P_M]` of recovering :math:`|K|=k` gradients in a round.

    Parameters
    ----------
    scheme : {"ideal", "cogc", "gcplus"}
    P_out : number or sympy expression, optional
        CoGC outage probability; default: computed from ``net``, else the symbol
        :math:`P_\mathrm{out}`.
    size_pmf : sequence (M + 1,), optional
        GC+ law of :math:`|K|` (numbers or sympy expressions). Default: from ``net`` via
        :func:`cogc_theory.outage.gcplus_distribution` (exact Fractions when the erasures are
        rational), else symbols ``P_0..P_M`` (needs ``M``).
    net : CooperativeNetwork, optional
        Memoryless (``net.memory is None``); a symbolic ``net`` is allowed for CoGC only.
    rule : {"max-subset", "individual", "auto"}
        GC+ partial rule used with ``net``; ``"auto"`` takes max-subset when its enumeration
        is within reach, else individual.
    M : int, optional
        Number of clients.

    Returns
    -------
    list
        ``[P_0, ..., P_M]``; for CoGC ``[P_out, 0, ..., 0, 1 - P_out]``, or the two-element
        ``[P_out, 1 - P_out]`` when ``M`` is unknown (the symbol ``M`` then enters the noise
        term :math:`\sigma^2/M`).

    Examples
    --------
    >>> outcome_probabilities("cogc", P_out=sp.Rational(1, 4), M=3)
    [1/4, 0, 0, 3/4]
    """
    return outcome_law(scheme, P_out=P_out, size_pmf=size_pmf, net=net, rule=rule, M=M)[0]
