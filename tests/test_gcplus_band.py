"""Max-subset GC+ for banded codes (cogc_theory.decode._band_subset) against independent routes.

Oracles: brute force over all 2**M sets (the ring DP); the enumerating max-subset search of
``ct.decode.gcplus`` (float and exact rational paths) on random and on all client-state
patterns; plain numpy least squares for membership at large M. Exact codes for the exact
comparisons come from random integer parity matrices with entries up to 1e9
(``proofs.gcplus_window.generic_exact_code``): the small-integer codes of
``cyclic_repetition(exact=True)`` are often non-generic (documented in the memo).
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from cogc_theory.proofs import gcplus_window as gw

import cogc_theory as ct
from cogc_theory.decode._band_subset import (
    MAX_BANDWIDTH,
    banded_max_subset,
    bandwidth,
    ring_max_pattern,
    window_allowed,
)

# Float comparisons: decisions are 0/1 and must be identical; certificates are checked with the
# decoder's own tolerance ATOL = 1e-8 (a 0/1 target missed by more than that is no recovery).
ATOL = ct.decode.ATOL


def _brute(al: np.ndarray, s: int) -> np.ndarray:
    M = al.shape[0]
    best = None
    for code in range(1 << M):
        bits = [(code >> k) & 1 for k in range(M)]
        if all(al[m, sum(bits[(m + i) % M] << i for i in range(s + 1))] for m in range(M)):
            key = (sum(bits), bits)          # larger, then lexicographically larger indicator
            best = key if best is None or key > best else best
    return np.array(best[1], dtype=bool)


def _random_effective(B: np.ndarray, T: int, pa: float, pl: float, seed: int):
    rng = np.random.default_rng(seed)
    M = B.shape[0]
    arrived = rng.random((T, M)) > pa
    tau = rng.random((T, M, M)) > pl
    return B[None] * tau, arrived


def test_ring_dp_matches_brute_force() -> None:
    rng = np.random.default_rng(0)
    for _ in range(250):
        s = int(rng.integers(0, 4))
        M = int(rng.integers(s + 1, 10))
        al = rng.random((M, 1 << (s + 1))) < rng.random()
        al[:, 0] = True
        assert np.array_equal(ring_max_pattern(al), _brute(al, s)), (M, s)


def test_ring_dp_batch_equals_single_and_checks_input() -> None:
    rng = np.random.default_rng(1)
    al = rng.random((40, 9, 8)) < 0.7
    al[:, :, 0] = True
    Kb = ring_max_pattern(al)
    assert all(np.array_equal(Kb[t], ring_max_pattern(al[t])) for t in range(40))
    assert ring_max_pattern(np.ones((0, 5, 4), dtype=bool)).shape == (0, 5)
    with pytest.raises(ValueError, match="empty set"):
        ring_max_pattern(np.zeros((5, 4), dtype=bool))
    with pytest.raises(ValueError, match="2\\*\\*\\(s\\+1\\)"):
        ring_max_pattern(np.ones((5, 3), dtype=bool))
    with pytest.raises(TypeError, match="boolean"):
        ring_max_pattern(np.ones((5, 4)))


@pytest.mark.parametrize("M,s", [(8, 1), (10, 2), (12, 2), (9, 3), (11, 4)])
def test_float_matches_enumerating_decoder(M: int, s: int) -> None:
    """Same K (including the tie-break) as the 2**r subset search, on random patterns with
    mostly complete clients; certificates verify."""
    B = ct.codes.cyclic_repetition(M, s, seed=M + s)
    Bt, U = _random_effective(B, 300, 0.15, 0.2, seed=M * s)
    ours = banded_max_subset(B, Bt, U)
    ref = ct.decode.gcplus(Bt, U, rule="max-subset", max_candidates=20)
    assert np.array_equal(ours.recovered, ref.recovered)
    assert np.array_equal(ours.full, ref.full)
    A = Bt * U[:, :, None]
    err = np.abs(np.einsum("ti,tik->tk", ours.weights, A) - ours.target).max(axis=1)
    assert np.all(err <= ATOL) and not ours.downgraded.any()
    assert np.all(ours.weights[~U] == 0)


def test_exact_matches_subset_search_on_every_pattern() -> None:
    """M = 5, s = 1: all 3**5 client-state patterns, exact rational arithmetic."""
    r = gw.compare_exact(5, 1, None, seed=3)
    assert r["agree"] == r["patterns"] == 243 and r["certified"]


@pytest.mark.slow
def test_exact_matches_subset_search_on_every_pattern_s2() -> None:
    """M = 6, s = 2: all 5**6 = 15,625 patterns (about a minute)."""
    r = gw.compare_exact(6, 2, None, seed=4)
    assert r["agree"] == r["patterns"] == 15_625 and r["certified"]


def test_recovers_more_than_the_individual_rule() -> None:
    """Client 37 misses g_39, 38 is absent, 39 misses g_0 (M = 40, s = 2): every gradient but
    g_39 is recovered although no single one is (checked with numpy lstsq)."""
    M = 40
    B = ct.codes.cyclic_repetition(M, 2, seed=1)
    tau = np.ones((M, M), dtype=bool)
    tau[37, 39] = tau[39, 0] = False
    U = np.ones(M, dtype=bool)
    U[38] = False
    Bt = B * tau
    r = banded_max_subset(B, Bt, U)
    assert np.flatnonzero(~r.recovered).tolist() == [39] and not r.full
    A = Bt * U[:, None]
    for t, inside in ((r.target, True), (np.ones(M), False)):
        a = np.linalg.lstsq(A.T, t, rcond=None)[0]
        assert (np.abs(a @ A - t).max() <= ATOL) == inside
    assert ct.decode.gcplus(Bt, U, rule="individual").size == 0


def test_non_generic_code_gives_a_certified_lower_bound() -> None:
    ng = gw.non_generic_ring()
    assert ng["ours"] == [] and ng["ref"] == [0, 1, 2, 3]


def test_subset_sum_reduction() -> None:
    assert gw.subset_sum_instance([3, -5, 2, 7]) == (True, True)
    assert gw.subset_sum_instance([3, 5, 9, -4]) == (False, False)


def test_large_M_certified_and_full_agrees_with_svd() -> None:
    """M = 120, s = 3: every returned K is certified; full recovery agrees with a plain numpy
    SVD test of 1 in the row space; K is never smaller than the individual rule's."""
    M, s = 120, 3
    B = ct.codes.cyclic_repetition(M, s, seed=0, construction="orthonormal")
    Bt, U = _random_effective(B, 20, 3.0 / M, 1.0 / M, seed=9)
    r = banded_max_subset(B, Bt, U)
    A = Bt * U[:, :, None]
    err = np.abs(np.einsum("ti,tik->tk", r.weights, A) - r.target).max(axis=1)
    assert np.all(err <= ATOL)
    _, S, Vh = np.linalg.svd(A)
    null = S <= ct.decode.RTOL * S[:, :1]
    d1 = np.einsum("tjk->tj", Vh) * null
    assert np.array_equal(np.sqrt((d1 ** 2).sum(axis=1)) <= ATOL, r.full)
    ind = ct.decode.gcplus(Bt, U, rule="individual")
    assert np.all(r.size >= ind.size) and 0 < r.full.mean() < 1


def test_one_round_exact_result_types() -> None:
    B = gw.generic_exact_code(6, 1, seed=2)
    U = np.array([1, 1, 0, 0, 1, 1], dtype=bool)
    r = banded_max_subset(B, B, U)
    assert isinstance(r, ct.decode.DecodeResult) and r.exact
    assert all(isinstance(w, Fraction) for w in r.weights)
    assert r.recovered.tolist() == [False] * 6       # two adjacent absent: nothing, ...
    U[3] = True
    assert banded_max_subset(B, B, U).full                  # ... one absent, others complete: full


def test_window_allowed_and_bandwidth() -> None:
    B = ct.codes.cyclic_repetition(7, 2, seed=0)
    assert bandwidth(B) == 2
    al = window_allowed(B, B, np.ones(7, dtype=bool))
    # complete rows are in R = V; no single truncation e.g. B[m, m] e_m is
    assert al[:, 7].all() and not al[:, 1].any()


def test_bad_input() -> None:
    B = ct.codes.cyclic_repetition(8, 1, seed=0)
    U = np.ones(8, dtype=bool)
    with pytest.raises(TypeError, match="both be exact"):
        banded_max_subset(gw.generic_exact_code(8, 1), B, U)
    Bt = B.copy()
    Bt[0, 1] *= 2
    with pytest.raises(ValueError, match="effective matrix"):
        banded_max_subset(B, Bt, U)
    wide = ct.codes.cyclic_repetition(12, MAX_BANDWIDTH + 1, seed=0, construction="gaussian")
    with pytest.raises(ValueError, match="rule='individual'"):
        banded_max_subset(wide, wide, np.ones(12, dtype=bool))
    small = ct.codes.cyclic_repetition(3, 2, seed=0, construction="gaussian")
    with pytest.raises(ValueError, match="M > s \\+ 1"):
        banded_max_subset(small, small, np.ones(3, dtype=bool))
    with pytest.raises(ValueError, match="arrived"):
        banded_max_subset(B, B, np.ones(7, dtype=bool))


def test_patterns_of_the_proof_are_the_offset_convention() -> None:
    """``effective`` zeroes exactly the failed links (bit i = link from m+1+i)."""
    B = gw.generic_exact_code(5, 2, seed=1)
    for x in itertools.product(range(5), repeat=1):
        Bt, U = gw.effective(B, (x[0], 4, 4, 4, 4), 2)
        b = max(x[0] - 1, 0)
        assert U[0] == (x[0] > 0)
        if x[0]:
            assert [Bt[0, k] != 0 for k in (1, 2)] == [bool(b & 1), bool(b & 2)]
