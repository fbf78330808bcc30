"""The erased-rows route of standard-decoding Monte Carlo (``simulate._erasures``).

Its decisions are checked against the SVD engine (the float decoders' reference rule) on the
same received-row masks, for codes of every kind the route accepts: cyclic and fractional
repetition, dense low-rank codes, full-rank codes (no left null space), rows scaled by
1e±100, a nearly singular code, and a code whose row space misses the all-ones vector.
A settled trial must agree with the reference; well-conditioned codes must be settled
almost always (that is the route's point).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cogc_theory as ct
from cogc_theory._linalg import ATOL, RTOL, scale_rows
from cogc_theory.decode._svd import decode_svd
from cogc_theory.simulate._erasures import ErasureDecider
from cogc_theory.simulate._fastmc import FastOutageSystem


def reference(B: np.ndarray, received: np.ndarray) -> np.ndarray:
    """Full recovery by the SVD engine on the scaled received rows (unused rows zero)."""
    A = scale_rows(B[None] * received[:, :, None])[0]
    return decode_svd(A, "standard", RTOL, ATOL, 16)["full"]


def masks(M: int, n: int, q: float, seed: int) -> np.ndarray:
    """Random received-row masks: each row erased with probability ``q``, plus the edge
    cases (nothing received, everything received, one row erased)."""
    rng = np.random.default_rng(seed)
    R = rng.random((n, M)) >= q
    R[0] = False
    R[1] = True
    R[2] = True
    R[2, rng.integers(M)] = False
    return R


def low_rank(M: int, s: int, seed: int) -> np.ndarray:
    """A dense code of rank M - s whose row space holds the all-ones vector."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((M, M - s))
    Y = rng.standard_normal((M - s, M))
    Y[0] = 1.0
    return X @ Y


CODES = {
    "cyclic M=12 s=2": lambda: ct.codes.cyclic_repetition(12, 2, seed=0),
    "cyclic M=40 s=4": lambda: ct.codes.cyclic_repetition(40, 4, seed=1),
    "cyclic M=120 s=3 orthonormal": lambda: ct.codes.cyclic_repetition(
        120, 3, seed=2, construction="orthonormal"),
    "fractional M=30 s=2": lambda: ct.codes.fractional_repetition(30, 2),
    "dense rank M-3": lambda: low_rank(20, 3, 4),
    "full rank": lambda: np.eye(9) + 0.1 * np.random.default_rng(5).standard_normal((9, 9)),
    "rows scaled 1e+-100": lambda: (ct.codes.cyclic_repetition(10, 2, seed=3)
                                    * np.logspace(-100, 100, 10)[:, None]),
}


@pytest.mark.parametrize("name", list(CODES))
def test_settled_decisions_are_the_reference_rule(name):
    B = np.asarray(CODES[name](), dtype=float)
    M = B.shape[0]
    dec = ErasureDecider(B)
    assert dec.applies
    for q in (0.02, 0.1, 0.3):
        R = masks(M, 400, q, seed=M + int(100 * q))
        full, settled = dec.decide(R)
        ref = reference(B, R)
        np.testing.assert_array_equal(full[settled], ref[settled])
        # well-conditioned codes: the route settles (nearly) everything
        assert settled.mean() >= 0.97, (name, q, settled.mean())
        assert not full[0] and settled[0]                 # nothing received: not full
        assert full[1] and settled[1]                     # everything received: full


def test_the_left_null_space_has_the_codes_redundancy():
    B = np.asarray(ct.codes.cyclic_repetition(30, 4, seed=0), dtype=float)
    assert ErasureDecider(B).d == 4                       # rank M - s
    assert ErasureDecider(np.eye(5)).d == 0


def test_nearly_singular_code_is_left_to_the_fallback():
    """A code with a singular value at 1e-12 (neither clearly kept nor clearly discarded by
    the rank rule at rtol = 1e-10 for every row subset): the route may leave trials
    unsettled, but what it settles is right."""
    rng = np.random.default_rng(9)
    U, _ = np.linalg.qr(rng.standard_normal((12, 12)))
    V, _ = np.linalg.qr(rng.standard_normal((12, 12)))
    S = np.logspace(0, -12, 12)
    B = (U * S) @ V.T
    B[0] = 1.0                                            # the all-ones vector is a row
    dec = ErasureDecider(B)
    R = masks(12, 600, 0.2, seed=1)
    full, settled = dec.decide(R)
    np.testing.assert_array_equal(full[settled], reference(B, R)[settled])


def test_a_code_without_the_all_ones_vector_does_not_apply():
    B = np.outer([1.0, -1.0, 1.0], [1.0, -1.0, 1.0])   # rank 1, full support: one block
    dec = ErasureDecider(B)
    assert not dec.applies
    full, settled = dec.decide(np.ones((3, 3), dtype=bool))
    assert not settled.any() and not full.any()
    net = ct.CooperativeNetwork(B, uplink_erasure=0.1, link_erasure=0.1)
    assert FastOutageSystem(net, "standard").route == "dense"


def test_decisions_do_not_depend_on_the_block():
    """A trial decided alone, in a block, or in blocks of another size: the same decision
    (settled trials prove the exact rule's decision, whatever the products' rounding)."""
    import cogc_theory.simulate._erasures as er

    B = np.asarray(ct.codes.cyclic_repetition(24, 3, seed=0), dtype=float)
    dec = ErasureDecider(B)
    R = masks(24, 300, 0.1, seed=2)
    whole = dec.decide(R)
    alone = [dec.decide(R[i:i + 1]) for i in range(0, 300, 7)]
    for j, i in enumerate(range(0, 300, 7)):
        if whole[1][i] and alone[j][1][0]:
            assert whole[0][i] == alone[j][0][0]
    old = er.BLOCK_FLOATS
    try:
        er.BLOCK_FLOATS = 24 * 13                         # blocks of 13 trials
        small = dec.decide(R)
    finally:
        er.BLOCK_FLOATS = old
    both = whole[1] & small[1]
    np.testing.assert_array_equal(whole[0][both], small[0][both])
    assert both.mean() >= 0.97


@settings(max_examples=40, deadline=None)
@given(M=st.integers(3, 14), s=st.integers(0, 3), seed=st.integers(0, 2**31 - 1),
       q=st.sampled_from([0.05, 0.2, 0.5]), exp=st.integers(-60, 60))
def test_random_low_rank_codes(M, s, seed, q, exp):
    """Dense codes of rank M - s (rows scaled by 2**exp times random factors): every settled
    decision is the reference's."""
    s = min(s, M - 1)
    rng = np.random.default_rng(seed)
    B = low_rank(M, s, seed) * np.exp2(exp) * rng.uniform(0.1, 10.0, M)[:, None]
    dec = ErasureDecider(B)
    R = masks(M, 60, q, seed)
    full, settled = dec.decide(R)
    if not dec.applies:
        assert not settled.any()
        return
    np.testing.assert_array_equal(full[settled], reference(B, R)[settled])


def test_certificates_do_not_claim_what_the_rule_decides_otherwise():
    """Two exact-arithmetic traps (rows already scaled: largest entry 1/2, or powers of two).

    1. Weights of norm 1.6e4 reproduce the all-ones vector to rounding, but the received
       rows have a singular value of 5e-11, which the rule (rtol = 1e-10) discards, and the
       all-ones vector has a component 5e-7 > atol along it: not full. The full certificate
       must account for the discarded singular value (the gap test fails here).
    2. The least-squares solve discards an eigenvalue of 7e-15 (below its rounding cut), so
       the residual on the erased rows is not small; yet the received rows' second singular
       value (6e-8) is retained and the rule says full. The kernel certificate must not
       stand.
    """
    x, delta, eta = 1 - 2.0**-21, 2.0**-33, 2.0**-14
    B1 = np.array([[1, x, 1, 1], [1, x + delta, 1, 1], [0, 1, 0, 1],
                   [0, 1 - 2 * eta, 0, 1]]) / 2
    B2 = np.array([[1.0, 0.0, 1.0], [1.0, 2.0**-23, 1.0], [0.0, 1.0, 0.0]])
    for B, want in ((B1, False), (B2, True)):
        R = np.zeros((1, B.shape[0]), dtype=bool)
        R[0, :2] = True
        assert reference(B, R)[0] == want
        dec = ErasureDecider(B)
        assert dec.applies and dec.d == 1
        full, settled = dec.decide(R)
        assert not settled[0] or full[0] == want
