"""Tests for cogc_theory.codes: GC-matrix constructions and checks.

Expected values come from independent routes: sympy exact ranks over the rationals, numpy
least squares / condition numbers computed directly, brute-force enumeration of row sets, and
closed-form facts (group rule of fractional repetition, Tandon et al.'s published example).
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
import sympy as sp

from cogc_theory import codes
from cogc_theory.codes import _common

FLOAT_CONSTRUCTIONS = ["optimized", "orthonormal", "gaussian"]


# ----------------------------------------------------------------------------- independent oracles
def spans_ones_sympy(B: sp.Matrix, rows) -> bool:
    """1 in rowspace(B[rows]) by exact ranks: rank([B_R; 1]) == rank(B_R)."""
    M = B.shape[1]
    if not rows:
        return False
    A = B.extract(list(rows), list(range(M)))
    return A.rank() == A.col_join(sp.ones(1, M)).rank()


def spans_ones_lstsq(B: np.ndarray, rows, tol: float = 1e-7) -> bool:
    """1 in rowspace(B[rows]) by a least-squares residual (numpy lstsq, no code under test)."""
    if not rows:
        return False
    A = B[list(rows)]
    a, *_ = np.linalg.lstsq(A.T, np.ones(B.shape[1]), rcond=None)
    return bool(np.max(np.abs(a @ A - 1.0)) <= tol)


def explicit_cyclic_support(M: int, s: int) -> np.ndarray:
    S = np.zeros((M, M), dtype=bool)
    for m in range(M):
        for j in range(s + 1):
            S[m, (m + j) % M] = True
    return S


def ring_graph(M: int, s: int) -> nx.DiGraph:
    """Client m hears m+1, ..., m+s (edges k -> m), plus a PS node with uplinks."""
    G = nx.DiGraph()
    G.add_nodes_from(range(M))
    for m in range(M):
        for j in range(1, s + 1):
            G.add_edge((m + j) % M, m, erasure=0.1)
        G.add_edge(m, "PS", erasure=0.2)
    return G


CASES = [(4, 1), (6, 2), (7, 3), (8, 1), (5, 0), (5, 4)]


# ----------------------------------------------------------------------------- cyclic support
@pytest.mark.parametrize("construction", FLOAT_CONSTRUCTIONS)
@pytest.mark.parametrize(("M", "s"), CASES)
def test_rows_of_cyclic_B_have_the_cyclic_support(construction, M, s):
    B = codes.cyclic_repetition(M, s, seed=3, construction=construction)
    assert isinstance(B, np.ndarray) and B.dtype == float and B.shape == (M, M)
    np.testing.assert_array_equal(B != 0, explicit_cyclic_support(M, s))
    assert np.all(np.abs(np.diag(B)) > 0)


@pytest.mark.parametrize(("M", "s"), [(4, 1), (6, 2), (7, 3), (5, 0)])
@pytest.mark.parametrize("construction", ["optimized", "gaussian"])
def test_rows_of_exact_cyclic_B_have_the_cyclic_support(M, s, construction):
    B = codes.cyclic_repetition(M, s, seed=1, exact=True, construction=construction)
    support = np.array([[B[i, j] != 0 for j in range(M)] for i in range(M)])
    np.testing.assert_array_equal(support, explicit_cyclic_support(M, s))


@pytest.mark.parametrize(("M", "s"), [(4, 1), (10, 1), (7, 2), (10, 3), (9, 4)])
def test_circulant_rows_are_shifts_of_one_row_with_cyclic_support(M, s):
    B = codes.cyclic_repetition(M, s, construction="circulant")
    np.testing.assert_array_equal(B != 0, explicit_cyclic_support(M, s))
    for m in range(M):
        np.testing.assert_allclose(B[m], np.roll(B[0], m), atol=1e-15)


def test_circulant_first_row_has_the_chosen_roots_of_unity():
    # b(z) must vanish at omega^j for j = 4, 5, 6 (M = 10, s = 3) and not at 1
    B = codes.cyclic_repetition(10, 3, construction="circulant")
    b = B[0, :4]
    w = np.exp(2j * np.pi / 10)
    for j in (4, 5, 6):
        assert abs(np.polyval(b[::-1], w**j)) < 1e-12
    assert abs(np.polyval(b[::-1], 1.0)) > 0.1


# ----------------------------------------------------------------------------- GC property
@pytest.mark.parametrize("construction", FLOAT_CONSTRUCTIONS)
@pytest.mark.parametrize(("M", "s"), [(4, 1), (6, 2), (7, 3), (8, 2)])
def test_cyclic_B_tolerates_exactly_s_stragglers(construction, M, s):
    B = codes.cyclic_repetition(M, s, seed=0, construction=construction)
    assert codes.is_gc_matrix(B, s)
    assert not codes.is_gc_matrix(B, s + 1)
    assert codes.straggler_tolerance(B) == s
    # independently: every M - s rows span 1 (lstsq), and some M - s - 1 rows do not
    assert all(spans_ones_lstsq(B, R) for R in itertools.combinations(range(M), M - s))
    assert not all(spans_ones_lstsq(B, R) for R in itertools.combinations(range(M), M - s - 1))


@pytest.mark.parametrize(("M", "s"), [(4, 1), (10, 1), (7, 2), (10, 3), (9, 4), (5, 4)])
def test_circulant_B_tolerates_exactly_s_stragglers(M, s):
    B = codes.cyclic_repetition(M, s, construction="circulant")
    assert codes.is_gc_matrix(B, s) and codes.straggler_tolerance(B) == s
    assert all(spans_ones_lstsq(B, R) for R in itertools.combinations(range(M), M - s))


def test_circulant_is_not_generic_extra_small_decodable_sets():
    # s = 1, M = 10: rows e_m + e_{m+1} (scaled); rows 0, 2, 4, 6, 8 sum to 1, far fewer than
    # M - s = 9 rows. A generic (default) code has no decodable set below M - s rows.
    C = codes.cyclic_repetition(10, 1, construction="circulant")
    assert spans_ones_lstsq(C, (0, 2, 4, 6, 8))
    B = codes.cyclic_repetition(10, 1, seed=0)
    assert not any(spans_ones_lstsq(B, R) for R in itertools.combinations(range(10), 8))


@pytest.mark.parametrize("construction", FLOAT_CONSTRUCTIONS)
@pytest.mark.parametrize(("M", "s"), [(8, 1), (7, 2), (8, 3)])
def test_generic_constructions_have_no_decodable_set_below_M_minus_s(construction, M, s):
    B = codes.cyclic_repetition(M, s, seed=6, construction=construction)
    for r in range(1, M - s):
        assert not any(spans_ones_lstsq(B, R, tol=1e-6)
                       for R in itertools.combinations(range(M), r)), r


def _gcplus_full_recovery_decisions(B: np.ndarray, s: int) -> list[bool]:
    """Full-recovery decision (1 in the row space of the arrived effective rows) for every
    client state: uplink lost, or arrived with one of the 2^s link patterns (numpy lstsq)."""
    M = B.shape[0]
    options = []
    for m in range(M):
        rows = [None]
        for bits in itertools.product((1, 0), repeat=s):
            row = B[m].copy()
            for j, b in enumerate(bits, start=1):
                row[(m + j) % M] *= b
            rows.append(row)
        options.append(rows)
    out = []
    for state in itertools.product(*options):
        A = [r for r in state if r is not None]
        if not A:
            out.append(False)
            continue
        A = np.array(A)
        a, *_ = np.linalg.lstsq(A.T, np.ones(M), rcond=None)
        out.append(bool(np.max(np.abs(a @ A - 1)) < 1e-7))
    return out


@pytest.mark.slow
def test_generic_constructions_agree_on_every_gcplus_state_at_M6_s2():
    # SPEC section 4.2: for a generic cyclic B the GC+ decision depends only on the pattern
    ref = _gcplus_full_recovery_decisions(codes.cyclic_repetition(6, 2, seed=0), 2)
    assert len(ref) == 5**6
    for construction, seed in (("optimized", 1), ("orthonormal", 2), ("gaussian", 3)):
        B = codes.cyclic_repetition(6, 2, seed=seed, construction=construction)
        assert _gcplus_full_recovery_decisions(B, 2) == ref, construction


@pytest.mark.parametrize("construction", ["optimized", "gaussian", "orthonormal"])
@pytest.mark.parametrize(("M", "s"), [(4, 1), (5, 2), (6, 2)])
def test_exact_cyclic_B_tolerates_exactly_s_stragglers_by_sympy_rank(construction, M, s):
    B = codes.cyclic_repetition(M, s, seed=2, exact=True, construction=construction)
    assert codes.is_gc_matrix(B, s) and not codes.is_gc_matrix(B, s + 1)
    assert all(spans_ones_sympy(B, R) for R in itertools.combinations(range(M), M - s))
    assert not all(spans_ones_sympy(B, R) for R in itertools.combinations(range(M), M - s - 1))


@pytest.mark.parametrize("construction", ["optimized", "gaussian"])
@pytest.mark.parametrize(("M", "s"), [(4, 1), (6, 2), (8, 3), (5, 0), (5, 4)])
def test_exact_B_is_rational_with_rows_in_the_null_space_of_the_integer_H(construction, M, s):
    code = codes.cyclic_code(M, s, seed=4, exact=True, construction=construction)
    B, H = code.B, code.H
    assert isinstance(B, sp.MatrixBase) and B.shape == (M, M)
    assert all(isinstance(x, sp.Rational) for x in B)
    assert isinstance(H, sp.MatrixBase) and H.shape == (s, M)
    assert all(isinstance(x, sp.Integer) for x in H)
    assert H * sp.ones(M, 1) == sp.zeros(s, 1)
    assert B * H.T == sp.zeros(M, s)
    if construction == "gaussian":
        assert all(B[m, m] == 1 for m in range(M))
    else:
        assert all(max(abs(x) for x in B.row(m)) == 1 and B[m, m] > 0 for m in range(M))


def test_float_code_rows_lie_in_the_null_space_of_H():
    for construction in FLOAT_CONSTRUCTIONS + ["circulant"]:
        code = codes.cyclic_code(9, 2, seed=5, construction=construction)
        H = np.asarray(code.H, dtype=float)
        assert H.shape == (2, 9)
        np.testing.assert_allclose(H @ np.ones(9), 0, atol=1e-12)
        np.testing.assert_allclose(code.B @ H.T, 0, atol=1e-12)


def test_tandon_published_example_tolerates_one_straggler():
    # Tandon et al. (2017), n = 3, s = 1: B = [[1/2, 1, 0], [0, 1, -1], [1/2, 0, 1]]
    half = sp.Rational(1, 2)
    B = sp.Matrix([[half, 1, 0], [0, 1, -1], [half, 0, 1]])
    assert _common.parse_B(B)[0]                            # taken as exact (rational)
    assert codes.is_gc_matrix(B, 1) and not codes.is_gc_matrix(B, 2)
    assert codes.straggler_tolerance(B) == 1
    Bf = np.array(B.tolist(), dtype=float)
    assert codes.is_gc_matrix(Bf, 1) and codes.straggler_tolerance(Bf) == 1


def test_exact_and_float_checks_agree_on_the_same_rational_matrix():
    B = codes.cyclic_repetition(6, 2, seed=7, exact=True)
    Bf = np.array(B.tolist(), dtype=float)
    for s in range(6):
        assert codes.is_gc_matrix(B, s) == codes.is_gc_matrix(Bf, s)


def test_object_array_of_fractions_is_checked_exactly():
    from fractions import Fraction as F

    B = np.array([[F(1, 2), 1, 0], [0, 1, -1], [F(1, 2), 0, 1]], dtype=object)
    assert codes.is_gc_matrix(B, 1)


@pytest.mark.parametrize(
    ("B", "expected"),
    [
        (np.eye(4), 0),                       # only all rows together give 1
        (np.ones((4, 4)), 3),                 # every single row is 1
        (np.diag([1.0, 1.0, 1.0, 0.0]), -1),  # column 3 is never covered
        (np.array([[1.0, 1, 0], [0, 1, 1], [1, 0, 1]]), 0),  # 1 = (sum of rows) / 2 only
    ],
)
def test_straggler_tolerance_of_simple_matrices(B, expected):
    assert codes.straggler_tolerance(B) == expected
    assert codes.straggler_tolerance(sp.Matrix(B.astype(int))) == expected


def test_gc_property_is_monotone_in_s():
    B = codes.cyclic_repetition(7, 3, seed=0)
    results = [codes.is_gc_matrix(B, s) for s in range(7)]
    assert results == [True] * 4 + [False] * 3


# ----------------------------------------------------------------------------- fractional
@pytest.mark.parametrize(("M", "s"), [(6, 1), (6, 2), (4, 1), (6, 0), (6, 5)])
def test_fractional_repetition_decodes_iff_one_row_per_group(M, s):
    B = codes.fractional_repetition(M, s, exact=True)
    group = [m // (s + 1) for m in range(M)]
    n_groups = M // (s + 1)
    for r in range(M + 1):
        for R in itertools.combinations(range(M), r):
            rule = len({group[m] for m in R}) == n_groups
            assert spans_ones_sympy(B, R) == rule, R
    Bf = codes.fractional_repetition(M, s)
    assert Bf.dtype == float
    np.testing.assert_array_equal(Bf, np.array(B.tolist(), dtype=float))   # 0/1: exact
    assert codes.is_gc_matrix(Bf, s)
    if s + 1 < M:
        assert not codes.is_gc_matrix(Bf, s + 1)
    assert codes.straggler_tolerance(Bf) == s


def test_fractional_repetition_blocks_are_all_ones():
    B = codes.fractional_repetition(6, 2)
    expected = np.kron(np.eye(2), np.ones((3, 3)))
    np.testing.assert_array_equal(B, expected)                               # 0/1: exact


def test_fractional_repetition_requires_s_plus_1_to_divide_M():
    with pytest.raises(ValueError, match=r"\(s \+ 1\) to divide M"):
        codes.fractional_repetition(7, 1)


# ----------------------------------------------------------------------------- determinism
@pytest.mark.parametrize("construction", FLOAT_CONSTRUCTIONS)
def test_same_seed_same_matrix_different_seed_different_matrix(construction):
    a = codes.cyclic_repetition(8, 2, seed=11, construction=construction)
    b = codes.cyclic_repetition(8, 2, seed=11, construction=construction)
    c = codes.cyclic_repetition(8, 2, seed=12, construction=construction)
    np.testing.assert_array_equal(a, b)          # the same call: the same arithmetic, exact
    assert not np.allclose(a, c)


def test_exact_same_seed_same_matrix():
    assert codes.cyclic_repetition(6, 2, seed=3, exact=True) == \
        codes.cyclic_repetition(6, 2, seed=3, exact=True)
    assert codes.cyclic_repetition(6, 2, seed=3, exact=True) != \
        codes.cyclic_repetition(6, 2, seed=4, exact=True)


def test_generator_seed_is_reproducible_and_returned_matrix_is_a_private_copy():
    a = codes.cyclic_repetition(6, 2, seed=np.random.default_rng(5))
    b = codes.cyclic_repetition(6, 2, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)          # the same call: the same arithmetic, exact
    x = codes.cyclic_repetition(6, 2, seed=0)
    x[0, 0] = 123.0
    assert codes.cyclic_repetition(6, 2, seed=0)[0, 0] != 123.0


# ----------------------------------------------------------------------------- conditioning
def _direct_conditioning(B: np.ndarray, s: int) -> tuple[float, float]:
    """Worst condition number and weight over all straggler sets, straight from numpy."""
    M = B.shape[0]
    worst_c, worst_w = 0.0, 0.0
    for T in itertools.combinations(range(M), s):
        A = B[[m for m in range(M) if m not in T]]
        sv = np.linalg.svd(A, compute_uv=False)
        worst_c = max(worst_c, sv[0] / sv[-1])
        a = np.linalg.pinv(A.T) @ np.ones(M)
        worst_w = max(worst_w, np.abs(a).max())
    return worst_c, worst_w


def test_conditioning_matches_a_direct_computation():
    B = codes.cyclic_repetition(8, 2, seed=1, construction="gaussian")
    c = codes.conditioning(B, 2)
    kappa, w = _direct_conditioning(B, 2)
    assert c.exhaustive and c.subsets == c.total_subsets == 28
    assert c.max_condition == pytest.approx(kappa, rel=1e-8)
    assert c.max_weight == pytest.approx(w, rel=1e-6)
    assert c.max_residual < 1e-10
    T = c.worst_stragglers
    A = B[[m for m in range(8) if m not in T]]
    assert np.linalg.cond(A) == pytest.approx(kappa, rel=1e-8)


def test_conditioning_samples_large_families_including_the_cyclic_windows():
    """Beyond max_subsets the family is sampled, always including the M cyclic windows."""
    B = codes.cyclic_repetition(20, 4, seed=0, construction="orthonormal")
    c = codes.conditioning(B, 4, max_subsets=100, seed=0)
    assert not c.exhaustive and c.subsets == 100 and c.total_subsets == 4845
    # the M = 20 windows {t, ..., t+3} (mod 20), conditioned by hand with numpy's SVD, are
    # in every sample: alone (max_subsets = M) they give exactly their maximum, and the
    # larger sample's maximum is at least that
    kappa = max(np.linalg.cond(B[[m for m in range(20) if (m - t) % 20 >= 4]])
                for t in range(20))
    wins = codes.conditioning(B, 4, max_subsets=20, seed=0)
    assert wins.subsets == 20 and wins.max_condition == pytest.approx(kappa, rel=1e-8)
    assert c.max_condition >= wins.max_condition


def test_conditioning_of_a_rank_deficient_system_is_infinite_not_nan():
    B = np.eye(4)
    B[1] = B[0]
    c = codes.conditioning(B, 1)
    assert c.max_condition == np.inf
    assert np.isfinite(c.max_weight) and np.isfinite(c.max_residual)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_default_construction_is_better_conditioned_than_gaussian_at_10_3(seed):
    default = codes.conditioning(codes.cyclic_repetition(10, 3, seed=seed), 3)
    gauss = codes.conditioning(
        codes.cyclic_repetition(10, 3, seed=seed, construction="gaussian"), 3)
    assert default.exhaustive and gauss.exhaustive
    assert default.max_condition < gauss.max_condition
    assert default.max_condition < 1e4


def test_exact_default_stays_well_conditioned_in_float():
    B = codes.cyclic_repetition(10, 3, seed=0, exact=True)
    c = codes.conditioning(np.array(B.tolist(), dtype=float), 3)
    assert c.max_condition < 1e4


# ----------------------------------------------------------------------------- on a graph
@pytest.mark.parametrize(("M", "s"), [(5, 1), (6, 2), (7, 3)])
def test_ring_graph_gives_a_valid_cyclic_support_code_with_the_right_tolerance(M, s):
    code = codes.on_graph(ring_graph(M, s), seed=0)
    np.testing.assert_array_equal(code.B != 0, explicit_cyclic_support(M, s))
    np.testing.assert_array_equal(code.support, explicit_cyclic_support(M, s))
    assert code.design_tolerance == s and code.straggler_tolerance == s
    H = np.asarray(code.H)
    np.testing.assert_allclose(H @ np.ones(M), 0, atol=1e-12)
    np.testing.assert_allclose(code.B @ H.T, 0, atol=1e-12)
    assert all(spans_ones_lstsq(code.B, R) for R in itertools.combinations(range(M), M - s))
    assert not all(spans_ones_lstsq(code.B, R)
                   for R in itertools.combinations(range(M), M - s - 1))


def test_graph_missing_an_edge_reports_a_smaller_tolerance():
    G = ring_graph(6, 2)
    G.remove_edge(2, 0)  # client 0 now hears only client 1
    code = codes.on_graph(G, seed=0)
    assert code.design_tolerance == 1 and code.straggler_tolerance == 1
    assert not code.B[0, 2] and code.B[0, 1] and code.B[0, 0]
    # independently: some 4 rows (two stragglers) fail, every 5 rows succeed
    assert not all(spans_ones_lstsq(code.B, R) for R in itertools.combinations(range(6), 4))
    assert all(spans_ones_lstsq(code.B, R) for R in itertools.combinations(range(6), 5))


def test_duplicate_supports_force_the_achieved_tolerance_below_the_design():
    # clients 0 and 1 both hold exactly {0, 1}: the kernel of H restricted to {0, 1} is one-
    # dimensional, so their rows are parallel; losing client 2 leaves rows 0, 1, 3 of rank 2 < 3
    # = dim ker H, so the design tolerance 1 is not achieved: the verified tolerance is 0
    support = np.zeros((4, 4), dtype=bool)
    support[0, [0, 1]] = support[1, [0, 1]] = True
    support[2, [2, 3]] = support[3, [2, 3]] = True
    support[2, 0] = support[3, 1] = True
    code = codes.on_support(support, seed=0)
    assert code.design_tolerance == 1
    assert code.straggler_tolerance == 0
    assert abs(np.linalg.det(code.B[:2, :2])) < 1e-12
    assert not spans_ones_lstsq(code.B, (0, 1, 3))
    assert spans_ones_lstsq(code.B, (0, 1, 2, 3))


@pytest.mark.parametrize("construction", ["optimized", "gaussian"])
def test_exact_graph_code_is_rational_in_the_null_space_and_verified_by_sympy(construction):
    M, s = 6, 2
    G = ring_graph(M, s)
    code = codes.on_graph(G, seed=0, exact=True, construction=construction)
    assert code.exact and all(isinstance(x, sp.Rational) for x in code.B)
    assert code.H * sp.ones(M, 1) == sp.zeros(s, 1)
    assert code.B * code.H.T == sp.zeros(M, s)
    support = np.array([[code.B[i, j] != 0 for j in range(M)] for i in range(M)])
    np.testing.assert_array_equal(support, explicit_cyclic_support(M, s))
    assert code.straggler_tolerance == s
    assert all(spans_ones_sympy(code.B, R) for R in itertools.combinations(range(M), M - s))
    assert not all(spans_ones_sympy(code.B, R)
                   for R in itertools.combinations(range(M), M - s - 1))
    G.remove_edge(2, 0)
    smaller = codes.on_graph(G, seed=0, exact=True, construction=construction)
    assert smaller.design_tolerance == 1 and smaller.straggler_tolerance == 1


def test_exact_code_with_wider_kernels_uses_the_whole_support():
    code = codes.on_support(np.ones((5, 5), dtype=bool), s=2, seed=3, exact=True)
    assert all(x != 0 for x in code.B)
    assert code.B * code.H.T == sp.zeros(5, 2)
    assert code.straggler_tolerance == 2


def test_complete_graph_with_minimal_rows_gives_the_cyclic_support():
    support = np.ones((7, 7), dtype=bool)
    code = codes.on_support(support, s=2, seed=1, minimal=True)
    np.testing.assert_array_equal(code.B != 0, explicit_cyclic_support(7, 2))
    assert code.straggler_tolerance == 2


def test_complete_graph_full_rows_use_every_link_and_tolerate_M_minus_1():
    code = codes.on_support(np.ones((4, 4), dtype=bool), seed=0)
    assert code.design_tolerance == 3 and code.straggler_tolerance == 3
    assert np.all(code.B != 0)


def test_on_graph_reads_the_network_graph_and_ignores_the_PS():
    from cogc_theory import CooperativeNetwork

    net = CooperativeNetwork.cyclic(6, 2, uplink_erasure=0.1, link_erasure=0.2, seed=0)
    code = codes.on_graph(net.graph, seed=3)
    np.testing.assert_array_equal(code.support, np.asarray(net.support))
    assert code.straggler_tolerance == 2


def test_code_objects_are_frozen_and_read_only():
    code = codes.on_support(explicit_cyclic_support(5, 1))
    with pytest.raises(AttributeError):
        code.straggler_tolerance = 3  # type: ignore[misc]
    with pytest.raises(ValueError):
        code.B[0, 0] = 1.0
    assert code.M == 5 and not code.exact


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"M": 1, "s": 0}, ValueError, "M must be >= 2"),
        ({"M": 3.0, "s": 1}, TypeError, "M must be an integer"),
        ({"M": 5, "s": 5}, ValueError, "s must be <= 4"),
        ({"M": 5, "s": -1}, ValueError, "s must be >= 0"),
        ({"M": 5, "s": True}, TypeError, "s must be an integer"),
        ({"M": 5, "s": 1, "construction": "fourier"}, ValueError, "construction must be one"),
        ({"M": 10, "s": 2, "construction": "circulant"}, ValueError, "M - s odd"),
        ({"M": 9, "s": 2, "construction": "circulant", "exact": True}, ValueError, "exact=True"),
        ({"M": 5, "s": 1, "seed": -1}, ValueError, "seed"),
        ({"M": 5, "s": 1, "seed": "a"}, TypeError, "seed"),
        ({"M": 5, "s": 1, "exact": 1}, TypeError, "exact must be True or False"),
    ],
)
def test_cyclic_repetition_rejects_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        codes.cyclic_repetition(**kwargs)


@pytest.mark.parametrize(
    ("B", "s", "exc", "match"),
    [
        (np.ones((3, 4)), 1, ValueError, "B must be a square"),
        (np.ones(3), 1, ValueError, "B must be a square"),
        (np.array([[1.0, np.nan], [0.0, 1.0]]), 0, ValueError, "B must be finite"),
        (np.eye(3), 3, ValueError, "s must be <= 2"),
        (np.eye(3), -1, ValueError, "s must be >= 0"),
        (np.eye(3), 1.5, TypeError, "s must be an integer"),
        (sp.Matrix([[sp.Symbol("x"), 0], [0, 1]]), 0, TypeError, "B must contain numbers"),
        ([["a", 1], [0, 1]], 0, TypeError, "B must be a real matrix"),
    ],
)
def test_is_gc_matrix_rejects_bad_arguments(B, s, exc, match):
    with pytest.raises(exc, match=match):
        codes.is_gc_matrix(B, s)


def test_checks_refuse_enumerations_beyond_the_cap():
    B = codes.cyclic_repetition(12, 3, seed=0)
    with pytest.raises(ValueError, match="max_subsets"):
        codes.is_gc_matrix(B, 3, max_subsets=100)
    with pytest.raises(ValueError, match="max_subsets"):
        codes.straggler_tolerance(B, max_subsets=100)
    with pytest.raises(ValueError, match="rtol"):
        codes.is_gc_matrix(B, 3, rtol=2.0)


def test_fractional_and_conditioning_reject_bad_arguments():
    with pytest.raises(ValueError, match="s must be <= 3"):
        codes.fractional_repetition(4, 4)
    with pytest.raises(ValueError, match="M must be >= 2"):
        codes.fractional_repetition(1, 0)
    with pytest.raises(ValueError, match="s must be <= 2"):
        codes.conditioning(np.eye(3), 3)
    with pytest.raises(ValueError, match="B must be finite"):
        codes.conditioning(np.full((3, 3), np.inf), 1)


def test_on_support_and_on_graph_reject_bad_arguments():
    with pytest.raises(ValueError, match="support must be a square"):
        codes.on_support(np.ones((3, 4), dtype=bool))
    with pytest.raises(TypeError, match="support must be a boolean"):
        codes.on_support(np.full((3, 3), 0.5))
    with pytest.raises(ValueError, match="exceeds what the support allows"):
        codes.on_support(explicit_cyclic_support(6, 1), s=2)
    with pytest.raises(ValueError, match="construction must be one"):
        codes.on_support(explicit_cyclic_support(6, 1), construction="circulant")
    with pytest.raises(TypeError, match="G must be a networkx.DiGraph"):
        codes.on_graph(nx.Graph([(0, 1)]))
    with pytest.raises(ValueError, match="client nodes exactly 0..M-1"):
        codes.on_graph(nx.DiGraph([(0, 2), (2, 0)]))
    with pytest.raises(ValueError, match="client nodes exactly 0..M-1"):
        codes.on_graph(nx.DiGraph([("a", "b")]))


# ----------------------------------------------------------------------------- integration
@pytest.mark.parametrize(("M", "s"), [(10, 2), (10, 3)])
def test_default_code_decodes_every_M_minus_s_set_with_a_verified_certificate(M, s):
    from cogc_theory import decode

    B = codes.cyclic_repetition(M, s, seed=0)
    sets = list(itertools.combinations(range(M), M - s))
    received = np.zeros((len(sets), M), dtype=bool)
    for i, R in enumerate(sets):
        received[i, list(R)] = True
    r = decode.standard(B, received)
    assert np.all(r.full)
    w = np.asarray(r.weights, dtype=float)
    assert np.all(w[~received] == 0)
    np.testing.assert_allclose(w @ B, np.ones((len(sets), M)), atol=1e-9)


def test_graph_code_round_trips_through_the_network_model():
    from cogc_theory import CooperativeNetwork

    G = ring_graph(6, 2)
    code = codes.on_graph(G, seed=1)
    net = CooperativeNetwork.from_graph(G, code.B)
    np.testing.assert_array_equal(np.asarray(net.support), code.support)
    np.testing.assert_array_equal(np.asarray(net.B), code.B)   # stored as given: exact


# ----------------------------------------------------------------------------- audit: input checks
B3 = np.array([[0.5, 1.0, 0.0], [0.0, 1.0, -1.0], [0.5, 0.0, 1.0]])


@pytest.mark.parametrize("call", [
    lambda B: codes.is_gc_matrix(B, 1),
    lambda B: codes.straggler_tolerance(B),
    lambda B: codes.conditioning(B, 1),
])
@pytest.mark.parametrize("B", [B3 + 1j, B3.astype(complex),
                               np.array(B3.tolist(), dtype=object) * np.complex128(1)])
def test_complex_matrices_are_refused_not_truncated(call, B):
    """numpy's float cast drops imaginary parts with only a ComplexWarning: refused."""
    with pytest.raises(TypeError, match=r"^B must be a real matrix .*not complex"):
        call(B)


def test_object_arrays_of_int_fraction_and_rational_are_still_checked_exactly():
    from fractions import Fraction as F

    B = np.array([[F(1, 2), sp.Integer(1), 0], [0, 1, -1], [sp.Rational(1, 2), 0, 1]],
                 dtype=object)
    assert codes.is_gc_matrix(B, 1) and not codes.is_gc_matrix(B, 2)
    assert codes.straggler_tolerance(B) == 1


@pytest.mark.parametrize("call", [
    lambda: codes.cyclic_repetition(10**6, 1),
    lambda: codes.cyclic_repetition(codes.MAX_M + 1, 1, construction="gaussian"),
    lambda: codes.cyclic_code(codes.MAX_M + 1, 0),
    lambda: codes.cyclic_support(codes.MAX_M + 1, 1),
    lambda: codes.fractional_repetition(10**5, 0),
    lambda: codes.fractional_repetition(codes.MAX_M + 1, 0, exact=True),
    # beyond the float range: the message's size in GiB used to raise OverflowError (fuzz)
    lambda: codes.fractional_repetition(10**400, 0),
    lambda: codes.cyclic_repetition(10**400, 1),
])
def test_constructions_refuse_M_beyond_the_memory_cap(call):
    """An (M, M) float matrix is 8 M**2 bytes (80 GB at M = 1e5): refused before allocating."""
    assert codes.MAX_M == 10_000
    with pytest.raises(ValueError, match=r"^M must be <= 10000"):
        call()


def test_M_up_to_the_cap_is_accepted():
    """MAX_M itself passes the check (building it would take 800 MB, so the test builds a
    smaller code, checked against the closed-form group indicator)."""
    assert _common.check_M_s(codes.MAX_M, 1) == (codes.MAX_M, 1)
    B = codes.fractional_repetition(1000, 1)
    assert np.array_equal(np.flatnonzero(B[999]), [998, 999]) and B.sum() == 2 * 1000


@pytest.mark.parametrize("call", [
    lambda M: codes.cyclic_repetition(M, 1, construction="optimized"),
    lambda M: codes.cyclic_repetition(M, 3, exact=True, construction="optimized"),
    lambda M: codes.cyclic_code(M, 2, construction="optimized"),
    lambda M: codes.on_support(explicit_cyclic_support(M, 1), check=False),
])
def test_optimized_construction_refuses_M_beyond_its_limit(call):
    """Scoring 16 candidates costs about M**4 (measured 2-4 s at M = 100, 22-38 s at 200)."""
    assert codes.OPTIMIZED_MAX_M == 100
    with pytest.raises(ValueError, match=r"optimized.*M <= 100.*construction='orthonormal'"):
        call(codes.OPTIMIZED_MAX_M + 1)


def test_auto_default_is_optimized_up_to_the_limit_and_generic_beyond():
    """construction="auto" (the default): the same matrix as "optimized" for M <= 100, the
    generic construction above; exact codes beyond the limit name the constructions that work."""
    M = codes.OPTIMIZED_MAX_M
    assert np.array_equal(codes.cyclic_repetition(12, 2),
                          codes.cyclic_repetition(12, 2, construction="optimized"))
    assert codes.cyclic_code(M, 0).construction == "optimized"
    code = codes.cyclic_code(M + 1, 2)
    assert code.construction == "generic"
    assert np.array_equal(code.B != 0, explicit_cyclic_support(M + 1, 2))
    assert np.array_equal(code.B, codes.generic_cyclic_code(M + 1, 2, seed=0).dense())
    with pytest.raises(ValueError, match="exact=True.*'generic'.*'orthonormal'"):
        codes.cyclic_code(M + 1, 2, exact=True)


def test_beyond_the_optimized_limit_the_other_constructions_and_trivial_s_work():
    M = codes.OPTIMIZED_MAX_M + 1
    for con in ("orthonormal", "gaussian"):
        B = codes.cyclic_repetition(M, 2, construction=con)
        assert np.array_equal(B != 0, explicit_cyclic_support(M, 2))
    # s = 0 and s = M - 1 need no scoring: the default still works there
    assert np.array_equal(codes.cyclic_repetition(M, 0) != 0, np.eye(M, dtype=bool))
    assert np.all(codes.cyclic_repetition(M, M - 1) != 0)


def test_chunks_of_row_sets_are_bounded_in_memory():
    """A (n, M - s, M) stack holds at most _CHUNK_FLOATS floats (2048 sets for small M)."""
    assert _common.chunk_sets(3, 4) == _common.CHUNK == 2048
    for M, r in [(1000, 999), (300, 299), (50, 48), (20_000, 19_999)]:
        n = _common.chunk_sets(r, M)
        assert n >= 1 and (n == 1 or n * r * M <= _common.CHUNK_FLOATS)
        assert n * r * M * 8 <= max(_common.CHUNK_FLOATS * 8, r * M * 8)


def test_is_gc_matrix_of_a_large_identity_is_false_within_bounded_memory():
    """eye(M) without row 0 leaves coordinate 0 uncovered, so 1 is not spanned. The first
    chunk used to stack every set: 2.7 GiB at M = 700 (7.4 GiB at M = 1000, the audit's)."""
    import tracemalloc

    tracemalloc.start()
    try:
        assert not codes.is_gc_matrix(np.eye(700), 1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 400 * 2**20


def test_small_chunks_give_the_same_checks_and_conditioning(monkeypatch):
    """One row set per chunk: the same answers as the independent sympy / numpy oracles."""
    B = codes.cyclic_repetition(8, 2, seed=1, construction="gaussian")
    ref = codes.conditioning(B, 2)
    monkeypatch.setattr(_common, "CHUNK_FLOATS", 1)
    assert _common.chunk_sets(6, 8) == 1
    Bx = codes.cyclic_repetition(6, 2, seed=3, exact=True)
    Bf = np.array(Bx.tolist(), dtype=float)
    for s in range(6):
        sets = itertools.combinations(range(6), 6 - s)
        expect = all(spans_ones_sympy(Bx, R) for R in sets)
        assert codes.is_gc_matrix(Bf, s) == expect
    c = codes.conditioning(B, 2)
    kappa, w = _direct_conditioning(B, 2)
    assert c.max_condition == pytest.approx(kappa, rel=1e-8) and c.subsets == 28
    # the same SVDs in other stacks (chunks of one set): equal up to rounding. A backward
    # stable SVD moves each singular value by <= ~M eps sigma_1, so kappa and the weights
    # (U diag(1/sigma) V^T 1) move relatively by <= ~M eps kappa each: 32 M eps kappa allowed
    rel = 32 * 8 * np.finfo(float).eps * ref.max_condition
    assert c.max_condition == pytest.approx(ref.max_condition, rel=rel)
    assert c.max_weight == pytest.approx(ref.max_weight, rel=rel)


def test_conditioning_caps_max_subsets():
    """The sample is drawn one set at a time (about 40 us per set): at most 200,000 sets."""
    assert codes.MAX_CONDITIONING_SUBSETS == 200_000
    for bad in (10**9, codes.MAX_CONDITIONING_SUBSETS + 1):
        with pytest.raises(ValueError, match=r"^max_subsets must be <= 200000"):
            codes.conditioning(np.eye(40), 20, max_subsets=bad)
    c = codes.conditioning(np.eye(4), 1, max_subsets=codes.MAX_CONDITIONING_SUBSETS)
    assert c.exhaustive and c.subsets == 4 and c.max_condition == pytest.approx(1.0)
