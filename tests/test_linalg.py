"""The row-space decision of ``cogc_theory._linalg`` and its one-owner property.

Oracles: exact rational membership (``cogc_theory.exact.in_rowspace``) on integer matrices;
scaling a row by a power of two or ten cannot change the row space (an identity of linear
algebra). The three users of the rule (code checks, decoders, outage tables) must agree with
the rule and with each other.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import cogc_theory as ct
from cogc_theory import _linalg, exact
from cogc_theory.outage import _states


@st.composite
def integer_rows(draw, max_n=5, max_M=6):
    M = draw(st.integers(2, max_M))
    n = draw(st.integers(1, max_n))
    vals = draw(st.lists(st.integers(-3, 3), min_size=n * M, max_size=n * M))
    return np.array(vals, dtype=float).reshape(n, M)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(integer_rows(), st.data())
def test_span_contains_equals_exact_membership(A, data):
    """Small integer matrices are well conditioned (kappa < 1e4 here, far from 1/rtol): the float
    rule must give the exact answer for 1, e_k and a random 0/1 target."""
    M = A.shape[1]
    targets = [np.ones(M), np.eye(M)[data.draw(st.integers(0, M - 1))],
               np.array(data.draw(st.lists(st.integers(0, 1), min_size=M, max_size=M)), float)]
    for t in targets:
        want, _ = exact.in_rowspace(A.astype(int).tolist(), t.astype(int).tolist())
        assert _linalg.span_contains(A, t) == want, (A, t)


@pytest.mark.parametrize("scale", [2.0 ** -1000, 1e-160, 1e-300, 1e155, 1e300, 2.0 ** 1000])
def test_decisions_do_not_depend_on_row_scale(scale):
    """Each row scaled independently (exact powers of two rescale exactly; powers of ten at the
    float range's ends): every decision equals the unscaled one."""
    rng = np.random.default_rng(1)
    for _ in range(30):
        A = rng.integers(-2, 3, size=(4, 5)).astype(float)
        row_scales = np.where(rng.random(4) < 0.5, scale, 1.0)
        for t in (np.ones(5), np.eye(5)[0]):
            assert (_linalg.span_contains(A * row_scales[:, None], t)
                    == _linalg.span_contains(A, t))


def test_tolerance_ranges_are_checked_by_name():
    for kw, exc in (({"rtol": 0.0}, ValueError), ({"rtol": 1.0}, ValueError),
                    ({"rtol": float("nan")}, ValueError), ({"atol": 0.02}, ValueError),
                    ({"atol": -1e-9}, ValueError), ({"rtol": "1e-10"}, TypeError),
                    ({"atol": True}, TypeError),
                    # beyond the float range: was OverflowError (found by the fuzz test)
                    ({"rtol": 10**400}, ValueError), ({"atol": -(10**400)}, ValueError)):
        name = next(iter(kw))
        with pytest.raises(exc, match=name):
            _linalg.Tolerance(**kw)
    assert _linalg.Tolerance() == _linalg.DEFAULT_TOL
    assert _linalg.check_tolerance() is _linalg.DEFAULT_TOL


def test_gs_extend_and_svd_reference_agree_on_code_row_sets():
    """The incremental engine of the outage tables decides 1 in span like the SVD reference on
    every row set of a cyclic code (M = 7, s = 2: 128 sets, exact oracle in between)."""
    B = ct.codes.cyclic_repetition(7, 2, seed=0)
    Bx = ct.codes.cyclic_repetition(7, 2, seed=0, exact=True)
    sets = [R for r in range(8) for R in itertools.combinations(range(7), r)]
    Q = np.zeros((len(sets), 7, 7))
    rank = np.zeros(len(sets), dtype=np.int64)
    res = np.ones((len(sets), 7))
    mask = np.zeros((len(sets), 7), dtype=bool)
    for i, R in enumerate(sets):
        mask[i, list(R)] = True
    for m in range(7):
        _linalg.gs_extend(Q, rank, res, np.where(mask[:, m:m + 1], B[m], 0.0))
    incremental = _linalg.ones_in_span(res)
    for i, R in enumerate(sets):
        ref = _linalg.span_contains(B[list(R)]) if R else False
        want = exact.in_rowspace(Bx.extract(list(R), list(range(7))), [1] * 7)[0] if R else False
        assert incremental[i] == ref == want, R


def test_unit_distances_are_accurate_near_zero():
    """e_k in the span: the distance is at rounding level (1e-15), far below atol = 1e-8, where
    the cancelling form 1 - |Q e_k|^2 gives about 1e-8."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 6))
    A[:, 5] = 0.0
    A = np.vstack([A, np.eye(6)[5]])                      # e_5 in the span
    Q = np.zeros((1, 6, 6))
    rank = np.zeros(1, dtype=np.int64)
    res = np.ones((1, 6))
    for row in A:
        _linalg.gs_extend(Q, rank, res, row[None])
    d = _linalg.unit_distances(Q)[0]
    assert d[5] < 1e-14
    assert np.all(d[:5] > 1e-3)


def test_code_checks_decoders_and_outage_tables_share_the_rule():
    """One decision, three users: for every client-state pattern of a small cyclic network the
    outage table's full-recovery bit equals decode.gcplus and the reference rule on its rows."""
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.3, link_erasure=0.3, seed=2)
    table = _states.decision_table(net, method="float").full
    rows = _states.state_rows(net)
    for x in itertools.product(*[range(len(r)) for r in rows]):
        A = np.array([rows[m][x[m]] for m in range(4)])
        arrived = np.array([s > 0 for s in x])
        ref = _linalg.span_contains(A) if arrived.any() else False
        assert table[x] == ref == ct.decode.gcplus(A, arrived).full, x


# ----------------------------------------------------------------------------- defects (#14)
def test_nan_and_subnormal_inputs_never_give_a_recovery():
    """cyclic * 1e-310 and eye * 1e-320 used to give NaN weights claimed as recoveries; their
    entries are subnormal, and they are refused with the fix named."""
    B = ct.codes.cyclic_repetition(4, 1)
    with pytest.raises(ValueError, match="subnormal.*power of two"):
        ct.decode.standard(B * 1e-310, [True] * 4)
    with pytest.raises(ValueError, match="subnormal"):
        ct.decode.gcplus(np.eye(4) * 1e-320, [1, 1, 0, 1])


@pytest.mark.parametrize("scale", [1e-300, 1e-200, 1e200, 1e300])
def test_decoders_are_scale_invariant_with_finite_certificates(scale):
    """Tiny or huge (normal) entries decode like the code; the certificate is finite and holds
    for the given rows."""
    B = ct.codes.cyclic_repetition(5, 2, seed=0)
    rng = np.random.default_rng(0)
    arrived = rng.random((50, 5)) < 0.8
    for r, r0 in zip(ct.decode.standard(B * scale, arrived), ct.decode.standard(B, arrived),
                     strict=True):
        assert r.full == r0.full and np.isfinite(r.weights).all()
        np.testing.assert_allclose(r.weights @ (B * scale), r.target, atol=1e-8)
    g = ct.decode.gcplus(np.eye(4) * scale, [1, 1, 0, 1])
    assert g.recovered.tolist() == [True, True, False, True] and np.isfinite(g.weights).all()


def test_text_is_not_taken_for_numbers():
    with pytest.raises(TypeError, match="Bt .*text"):
        ct.decode.gcplus(np.array([["0.5", "1"], ["0", "1"]]), [1, 1])
    with pytest.raises(TypeError, match="B .*text"):
        ct.decode.standard([["1", 0], [0, 1]], [1, 1])


@pytest.mark.parametrize("scale", [1e-160, 1e-250, 1e155, 1e250])
def test_exact_outage_is_invariant_to_the_scale_of_B(scale):
    """Closed form for cyclic M = 4, s = 1, p = 0.1, eps = 0.2: pi = 0.9 * 0.8 and
    P_out = P[Binomial(4, pi) <= 2]; scaling B used to give 1.0 and an empty family."""
    pi = sp.Rational(9, 10) * sp.Rational(4, 5)
    closed = float(sum(sp.binomial(4, j) * pi**j * (1 - pi)**(4 - j) for j in range(3)))
    B = ct.codes.cyclic_repetition(4, 1)
    net = ct.CooperativeNetwork(B * scale, uplink_erasure=0.1, link_erasure=0.2)
    ref = ct.CooperativeNetwork(B, uplink_erasure=0.1, link_erasure=0.2)
    assert ct.outage.cogc(net) == pytest.approx(closed, rel=1e-12)
    assert ct.outage.decodable_family(net).threshold == 3
    assert ct.outage.gcplus(net) == pytest.approx(ct.outage.gcplus(ref), rel=1e-12)
