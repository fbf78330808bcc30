r"""Outage probabilities far in the tail (down to :math:`10^{-30}` and below) with mpmath.

In float64 the natural route :math:`P_\mathrm{out} = 1 - P(\text{success})`, or the
Poisson-binomial with :math:`1-\pi_m` formed from :math:`\pi_m=(1-p_m)\prod(1-\varepsilon)`,
cancels catastrophically: with :math:`p=10^{-16}` already :math:`1-p` rounds, and
:math:`1-\pi_m` keeps no correct digit. Monte Carlo needs :math:`\gtrsim 10^{32}` trials.

Here every outage is written as a **sum of nonnegative terms** — the Poisson-binomial lower
tail :math:`\sum_{j<t}\Pr[X=j]`, the reliability polynomial over *non*-decodable sets, or the
contraction of the GC+ "no full recovery" table with the client-state probabilities — and the
one difference that remains, :math:`1-\pi_m`, is evaluated as
:math:`-\operatorname{expm1}\big(\log1p(-p_m)+\sum_k\log1p(-\varepsilon_{mk})\big)`. Inputs are
converted to binary floating point exactly (a Python float is a dyadic rational; sympy
rationals are divided at working precision). The sum is computed at increasing working
precision until two successive results agree to ``rel_tol / 100``; with nonnegative terms the
relative error is then far below ``rel_tol``.
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import sympy as sp

from .._validate import check_int, check_positive
from . import _states
from ._common import check_independent, check_net, poisson_binomial_cdf, shannon
from .cogc import decodable_family

__all__ = ["DPS_DEFAULT", "DPS_MAX", "DPS_MIN", "cogc", "float64_naive_cogc", "gcplus", "to_mpf"]

#: Default starting working precision (decimal digits).
DPS_DEFAULT = 30
#: Range of the starting working precision ``dps``: below ``DPS_MIN`` digits the first
#: evaluations are coarser than float64; above ``DPS_MAX`` a single evaluation is already
#: slow (and the precision is doubled up to eight times from there).
DPS_MIN = 15
DPS_MAX = 1000


def to_mpf(x: Any, name: str = "value") -> mpmath.mpf:
    """Convert a float or rational exactly (at the current working precision) to ``mpf``.

    Examples
    --------
    The float ``0.1`` is converted exactly (it is not 1/10):

    >>> import mpmath
    >>> import sympy as sp
    >>> with mpmath.workdps(30):
    ...     print(to_mpf(0.1), to_mpf(sp.Rational(1, 10)))
    0.100000000000000005551115123126 0.1
    """
    if isinstance(x, sp.Basic):
        if x.free_symbols:
            raise ValueError(f"{name} is symbolic ({x}); substitute numbers first")
        if x.is_Rational:
            return mpmath.mpf(int(x.p)) / int(x.q)
        return mpmath.mpf(float(x))
    return mpmath.mpf(x)


def _client_mp(net: Any) -> tuple[list[mpmath.mpf], list[mpmath.mpf]]:
    """(pi_m, 1 - pi_m) at the current precision, the latter without cancellation."""
    pis, qs = [], []
    for m in range(net.M):
        lg = mpmath.log1p(-to_mpf(net.p[m], f"uplink_erasure[{m}]"))
        for k in net.neighbors(m):
            lg += mpmath.log1p(-to_mpf(net.eps[m, k], f"link_erasure[{m}, {k}]"))
        pis.append(mpmath.exp(lg))
        qs.append(-mpmath.expm1(lg))
    return pis, qs


def _check_precision(rel_tol: Any, dps: Any) -> tuple[float, int]:
    """Validate ``rel_tol`` (a number in (0, 1)) and ``dps`` (None or an int in
    [:data:`DPS_MIN`, :data:`DPS_MAX`])."""
    rel_tol = check_positive(rel_tol, "rel_tol", "relative tolerance")
    if not rel_tol < 1:
        raise ValueError(f"rel_tol must lie in (0, 1), got {rel_tol}")
    if dps is None:
        return rel_tol, DPS_DEFAULT
    dps = check_int(dps, "dps")
    if not DPS_MIN <= dps <= DPS_MAX:
        raise ValueError(
            f"dps (the starting working precision in decimal digits) must lie in "
            f"[{DPS_MIN}, {DPS_MAX}], got {dps}; leave it at None for {DPS_DEFAULT} digits "
            f"(the precision is raised automatically until rel_tol is met)")
    return rel_tol, dps


def _adaptive(fn: Any, rel_tol: float, d: int) -> mpmath.mpf:
    with mpmath.workdps(d):
        prev = fn()
    for _ in range(8):
        d *= 2
        with mpmath.workdps(d):
            cur = fn()
        if cur == prev or abs(cur - prev) <= abs(cur) * rel_tol / 100:
            return +cur
        prev = cur
    raise ArithmeticError(f"no convergence to rel_tol={rel_tol} up to {d} digits")


def cogc(net: Any, *, rel_tol: float = 1e-10, dps: int | None = None) -> mpmath.mpf:
    r"""CoGC outage :math:`P_\mathrm{out}` as an ``mpmath.mpf`` with relative error ``rel_tol``.

    .. math:: P_\mathrm{out} = \sum_{R\notin\mathcal D(B)}\prod_{m\in R}\pi_m
              \prod_{m\notin R}(1-\pi_m)\quad(\text{Poisson-binomial tail for threshold }B).

    Parameters
    ----------
    net : CooperativeNetwork
        Numeric erasures (floats are taken exactly, sympy rationals at working precision).
    rel_tol : float
        Target relative error, in :math:`(0, 1)`.
    dps : int, optional
        Starting working precision in decimal digits, an integer in
        [:data:`DPS_MIN`, :data:`DPS_MAX`] = [15, 1000] (default :data:`DPS_DEFAULT` = 30);
        it is doubled until two successive results agree to ``rel_tol / 100``.

    Returns
    -------
    mpmath.mpf

    Raises
    ------
    TypeError
        ``net`` is not a network, ``rel_tol`` is not a number or ``dps`` not an integer.
    ValueError
        ``rel_tol`` outside (0, 1), ``dps`` outside [15, 1000], a symbolic network, or a
        network the exact engines refuse (reciprocal links, too many patterns).
    ArithmeticError
        No convergence to ``rel_tol`` after eight doublings of the precision.

    Examples
    --------
    >>> import cogc_theory as ct, mpmath
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=1e-17, link_erasure=1e-17)
    >>> mpmath.nstr(cogc(net), 12)   # 6 (2e-17)^2 to leading order; float64 gives 0 here
    '2.4e-33'
    """
    check_net(net)
    rel_tol, dps = _check_precision(rel_tol, dps)
    check_independent(net, "outage.precision.cogc", "ct.simulate.outage(net)")
    fam = decodable_family(net)

    def run() -> mpmath.mpf:
        pis, qs = _client_mp(net)
        one, zero = mpmath.mpf(1), mpmath.mpf(0)
        if fam.threshold is not None:
            t = fam.threshold
            if t <= 0:
                return zero
            if t > net.M:
                return one
            return poisson_binomial_cdf(pis, qs, t - 1, one, zero)
        return shannon(~fam.table, qs, pis, one, zero)

    return _adaptive(run, rel_tol, dps)


def gcplus(net: Any, *, rel_tol: float = 1e-10, dps: int | None = None,
           method: str = "auto") -> mpmath.mpf:
    r"""GC+ :math:`P(\text{no full recovery})` as an ``mpmath.mpf`` with relative error
    ``rel_tol``: the contraction of the no-full table with the client-state probabilities,
    all terms nonnegative.

    Parameters
    ----------
    net : CooperativeNetwork
        Numeric erasures (floats are taken exactly, sympy rationals at working precision).
    rel_tol : float
        Target relative error, in :math:`(0, 1)`.
    dps : int, optional
        Starting working precision in decimal digits, an integer in
        [:data:`DPS_MIN`, :data:`DPS_MAX`] = [15, 1000] (default :data:`DPS_DEFAULT` = 30);
        it is doubled until two successive results agree to ``rel_tol / 100``.
    method : {"auto", "exact", "float"}
        How the no-full table is decided (see :func:`cogc_theory.outage.gcplus`).

    Returns
    -------
    mpmath.mpf

    Raises
    ------
    TypeError
        ``net`` is not a network, ``rel_tol`` is not a number or ``dps`` not an integer.
    ValueError
        ``rel_tol`` outside (0, 1), ``dps`` outside [15, 1000], a symbolic network, or a
        network the exact engines refuse (reciprocal links, too many patterns).
    ArithmeticError
        No convergence to ``rel_tol`` after eight doublings of the precision.

    Examples
    --------
    >>> import cogc_theory as ct, mpmath
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=1e-17, link_erasure=1e-17)
    >>> mpmath.nstr(gcplus(net), 12)  # two absent, or one absent and one incomplete
    '1.8e-33'
    """
    check_net(net)
    rel_tol, dps = _check_precision(rel_tol, dps)
    _states.check_enumerable(net, "outage.precision.gcplus",
                             "ct.simulate.outage(net, decoder='gcplus')")
    tab = _states.decision_table(net, method=method)
    nofull = (~tab.full).astype(object)

    def run() -> mpmath.mpf:
        w = []
        for m in range(net.M):
            p = to_mpf(net.p[m])
            nb = net.neighbors(m)
            eps = [to_mpf(net.eps[m, k]) for k in nb]
            row = [p]
            for b in range(1 << len(nb)):
                term = 1 - p
                for i, e in enumerate(eps):
                    term *= (1 - e) if b >> i & 1 else e
                row.append(term)
            w.append(row)
        return _states.contract(nofull, w)

    return _adaptive(run, rel_tol, dps)


def float64_naive_cogc(net: Any) -> float:
    r"""The float64 route :math:`1 - P(\text{success})` (for demonstrating cancellation).

    :math:`P(\text{success})` is the reliability polynomial of the decodable family (the
    Poisson-binomial upper tail :math:`\Pr[X\ge t]` for a threshold family, which is how
    families with ``M`` above :data:`~cogc_theory.outage.cogc.MAX_TABLE_M` are known),
    evaluated in float64 with :math:`\pi_m` formed in float64; the result loses every digit
    once the outage falls below about :math:`10^{-16}`.

    Raises
    ------
    TypeError
        ``net`` is not a :class:`~cogc_theory.network.CooperativeNetwork`.
    ValueError
        Reciprocal links, a symbolic network, or a family that cannot be determined.

    Examples
    --------
    At erasures of :math:`10^{-9}` the outage of the :math:`M=6` ring is about
    :math:`\binom62(2\cdot10^{-9})^2=6\cdot10^{-17}`, below float64's resolution of
    :math:`1-P(\text{success})`:

    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(6, 1, uplink_erasure=1e-9, link_erasure=1e-9)
    >>> float64_naive_cogc(net)
    0.0
    >>> print(f"{float(cogc(net)):.6e}")                # mpmath, 30 digits
    6.000000e-17
    """
    check_net(net)
    check_independent(net, "outage.precision.float64_naive_cogc", "ct.simulate.outage(net)")
    if net.is_symbolic:
        raise ValueError("outage.precision.float64_naive_cogc: the network is symbolic; "
                         "substitute numbers with net.subs({...})")
    fam = decodable_family(net)
    pi = np.asarray(net.success_probabilities(), dtype=float)
    q = 1.0 - pi
    if fam.table is not None:
        ok = shannon(fam.table, list(q), list(pi), 1.0, 0.0)
    else:
        # P(X >= t) = P(at most M - t clients fail to contribute): the lower tail of the
        # Poisson-binomial count of failures, roles of pi and 1 - pi swapped
        t = fam.threshold
        ok = (1.0 if t <= 0 else 0.0 if t > net.M
              else poisson_binomial_cdf(list(q), list(pi), net.M - t, 1.0, 0.0))
    return float(1.0 - ok)



