"""High-precision tails (outage.precision) against exact rational enumeration."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
from cogc_theory.validation.make_reference import brute_force

import cogc_theory as ct
from cogc_theory import outage
from cogc_theory.outage import precision
from cogc_theory.testing import cyclic_exact, fractional_exact


def _oracle(net: ct.CooperativeNetwork, B) -> dict:
    """Brute force with the exact binary values of the float probabilities."""
    Bf = [[Fraction(str(x)) for x in B.row(m)] for m in range(net.M)]
    p = [Fraction(float(x)) for x in net.p]
    eps = {(m, k): Fraction(float(net.eps[m, k])) for m in range(net.M)
           for k in net.neighbors(m)}
    return brute_force(Bf, p, eps, rules=False)


def _rel(a: mpmath.mpf, b: Fraction) -> float:
    with mpmath.workdps(60):
        exact = mpmath.mpf(b.numerator) / b.denominator
        return float(abs(a - exact) / exact)


CASES = [
    ("cyclic 4,1", cyclic_exact(4, 1, seed=0), [3e-16, 1e-16, 2e-16, 5e-17], 4e-16),
    ("cyclic 4,2", cyclic_exact(4, 2, seed=1), 1e-11, 2e-11),
    ("fractional 4,1", fractional_exact(4, 1), [1e-8, 2e-8, 3e-9, 1e-8], 1e-8),
]


@pytest.mark.parametrize("name,B,p,eps", CASES, ids=[c[0] for c in CASES])
def test_tails_match_exact_rationals(name: str, B, p, eps) -> None:
    net = ct.CooperativeNetwork(np.array(B.tolist(), dtype=float), p, eps)
    ref = _oracle(net, B)
    assert 0 < ref["cogc"] < Fraction(1, 10**12)        # genuinely deep tails
    got_c = precision.cogc(net)
    got_g = precision.gcplus(net)
    assert _rel(got_c, ref["cogc"]) <= 1e-10
    assert _rel(got_g, ref["gcplus"]) <= 1e-10


def test_reaches_1e_minus_30() -> None:
    B = cyclic_exact(4, 1, seed=0)
    net = ct.CooperativeNetwork(np.array(B.tolist(), dtype=float), 3e-16, 3e-16)
    ref = _oracle(net, B)
    assert Fraction(1, 10**31) < ref["cogc"] < Fraction(1, 10**29)
    assert _rel(precision.cogc(net), ref["cogc"]) <= 1e-10
    assert _rel(precision.gcplus(net), ref["gcplus"]) <= 1e-10


def test_float64_cancellation_fails_where_mpmath_does_not() -> None:
    """1 - P(success) in float64 loses every digit at 1e-30; the float Poisson-binomial with
    1 - pi formed in float64 is off by tens of percent; mpmath is within 1e-10."""
    B = cyclic_exact(4, 1, seed=0)
    net = ct.CooperativeNetwork(np.array(B.tolist(), dtype=float), 3e-16, 3e-16)
    ref = _oracle(net, B)
    exact = float(ref["cogc"])
    naive = precision.float64_naive_cogc(net)
    assert naive == 0.0 or abs(naive - exact) / exact > 1e3
    pb = outage.cogc(net)
    assert abs(pb - exact) / exact > 1e-2
    assert _rel(precision.cogc(net), ref["cogc"]) <= 1e-10


def test_symbolic_input_is_refused() -> None:
    import sympy as sp

    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=sp.Symbol("p"), link_erasure=0.1)
    with pytest.raises(ValueError, match="symbolic"):
        precision.cogc(net)
    with pytest.raises(ValueError, match="rel_tol"):
        precision.cogc(net.subs({sp.Symbol("p"): 0.1}), rel_tol=2.0)


def _binomial_lower_tail(pi: Fraction, M: int, upto: int) -> Fraction:
    """P(Bin(M, pi) <= upto) in exact rational arithmetic."""
    import math

    return sum((math.comb(M, j) * pi**j * (1 - pi)**(M - j) for j in range(upto + 1)),
               Fraction(0))


@pytest.mark.parametrize("M,s,p,eps", [(25, 1, 1e-3, 1e-3), (24, 2, 0.01, 0.02)])
def test_float64_naive_cogc_threshold_family_beyond_table(M: int, s: int, p: float,
                                                          eps: float) -> None:
    """For M > 22 the family is a certified threshold family without a table; the naive
    route must use it (it used to read the missing table and return 1.0)."""
    net = ct.CooperativeNetwork.cyclic(M, s, uplink_erasure=p, link_erasure=eps)
    fam = outage.decodable_family(net)
    assert fam.table is None and fam.threshold == M - s
    pi = (1 - Fraction(p)) * (1 - Fraction(eps))**s      # exact binary values of the floats
    exact = float(_binomial_lower_tail(pi, M, M - s - 1))
    naive = precision.float64_naive_cogc(net)
    assert naive == pytest.approx(exact, rel=1e-10)
    assert naive == pytest.approx(outage.cogc(net), rel=1e-10)


def test_float64_naive_cogc_and_family_check_net() -> None:
    with pytest.raises(TypeError, match="net"):
        precision.float64_naive_cogc(None)
    with pytest.raises(TypeError, match="net"):
        outage.decodable_family(None)
    rec = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2,
                                       reciprocal=True)
    with pytest.raises(ValueError, match="reciprocal"):
        precision.float64_naive_cogc(rec)


@pytest.mark.parametrize("fn", ["cogc", "gcplus"])
def test_dps_and_rel_tol_are_validated(fn: str) -> None:
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    f = getattr(precision, fn)
    for bad in (0, -5, precision.DPS_MIN - 1, precision.DPS_MAX + 1, 10**6):
        with pytest.raises(ValueError, match="dps"):
            f(net, dps=bad)
    for bad in (2.7, "x", True, 30.0):
        with pytest.raises(TypeError, match="dps"):
            f(net, dps=bad)
    for bad in ("a", None):
        with pytest.raises(TypeError, match="rel_tol"):
            f(net, rel_tol=bad)
    for bad in (float("nan"), 0.0, -1e-3, 1.0):
        with pytest.raises(ValueError, match="rel_tol"):
            f(net, rel_tol=bad)
    # the ends of the range give the exact value: s=1 ring with pi = (1-p)(1-eps)
    P, E = Fraction(0.1), Fraction(0.2)
    pi = (1 - P) * (1 - E)
    exact = (1 - pi**4 - 4 * pi**3 * (1 - pi) if fn == "cogc"
             else 1 - (1 - P)**4 - 4 * P * (1 - P)**3 * (1 - E)**3)
    for dps in (precision.DPS_MIN, precision.DPS_MAX, np.int64(40)):
        assert _rel(f(net, dps=dps), exact) <= 1e-10
