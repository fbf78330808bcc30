"""The user-facing testing toolkit: strategies produce what they promise, and check_decoder
accepts correct decoders and catches broken ones with a named property and a counterexample."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from cogc_theory import decode, testing
from cogc_theory.network import CooperativeNetwork


def spans_ones(B, rows):
    A = B.extract(list(rows), list(range(B.shape[1])))
    return A.col_join(sp.ones(1, B.shape[1])).rank() == A.rank()


@pytest.mark.parametrize("M, s, seed", [(3, 1, 0), (4, 2, 1), (5, 2, 0), (6, 3, 2)])
def test_cyclic_exact_is_a_gc_matrix_with_cyclic_support(M, s, seed):
    B = testing.cyclic_exact(M, s, seed=seed)
    assert all(x.is_Rational for x in B)
    for m in range(M):
        assert [k for k in range(M) if B[m, k] != 0] == sorted((m + j) % M for j in range(s + 1))
    for rows in itertools.combinations(range(M), M - s):
        assert spans_ones(B, rows)


@pytest.mark.parametrize("M, s", [(4, 1), (6, 2), (6, 1)])
def test_fractional_exact_needs_one_row_per_group(M, s):
    B = testing.fractional_exact(M, s)
    groups = [list(range(g, g + s + 1)) for g in range(0, M, s + 1)]
    for pick in itertools.product(*groups):
        assert spans_ones(B, pick)
    assert not spans_ones(B, [m for m in range(M) if m not in groups[0]])
    with pytest.raises(ValueError, match="M"):
        testing.fractional_exact(5, 1)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_strategies_produce_consistent_patterns(data):
    exact = data.draw(st.booleans())
    B = data.draw(testing.gc_matrices(exact=exact))
    assert isinstance(B, sp.MatrixBase) if exact else B.dtype == float
    M = B.shape[0]
    Bf = np.array(B.tolist(), dtype=float)
    assert np.all(np.diag(Bf) != 0)
    tau, arrived = data.draw(testing.erasure_patterns(B))
    assert tau.shape == (M, M) and arrived.shape == (M,)
    assert np.all(np.diag(tau)) and np.all(tau[Bf == 0])
    Bt, arrived2 = data.draw(testing.effective_matrices(B))
    Btf = np.array(Bt.tolist(), dtype=float)
    assert np.all((Btf == Bf) | (Btf == 0)) and np.array_equal(np.diag(Btf), np.diag(Bf))


@settings(max_examples=30, deadline=None)
@given(testing.networks(kinds=("cyclic", "fractional")))
def test_networks_strategy_builds_valid_networks(net):
    """M within the default range [3, 6], and B a GC matrix: every set of M - s rows spans
    the all-ones vector (least-squares residual at rounding level; numpy's lstsq, not the
    decoders or the codes module)."""
    assert isinstance(net, CooperativeNetwork)
    assert 3 <= net.M <= 6
    B = np.asarray(net.B, dtype=float)
    s = min(len(net.neighbors(m)) for m in range(net.M))
    for rows in itertools.combinations(range(net.M), net.M - s):
        A = B[list(rows)]
        a = np.linalg.lstsq(A.T, np.ones(net.M), rcond=None)[0]
        assert np.abs(a @ A - 1.0).max() < 1e-9


@pytest.mark.parametrize("min_M, max_M", [(3, 3), (3, 6), (5, 5), (2, 2), (7, 7)])
def test_gc_matrices_strategy_respects_the_size_range(min_M, max_M):
    """Every kind, fractional included (M a multiple of s + 1), stays within [min_M, max_M]."""
    from hypothesis import find

    for kind in testing.KINDS:
        @settings(max_examples=25, deadline=None)
        @given(testing.gc_matrices(min_M=min_M, max_M=max_M, kinds=(kind,)))
        def check(B):
            assert min_M <= B.shape[0] <= max_M

        check()
    if min_M <= 6 <= max_M:    # two groups of 3 (s = 2) fit in the range
        find(testing.gc_matrices(min_M=min_M, max_M=max_M, kinds=("fractional",)),
             lambda B: B.shape[0] == 6 and B[0, 3] == 0 and B[0, 2] == 1)


def test_networks_strategy_reaches_every_documented_form():
    """Homogeneous and heterogeneous erasures, and the endpoints 0 and 1, are drawn; with
    exact=True the matrix and the probabilities are rational. (Generation only, no
    shrinking: the first example found is enough, and shrinking sympy networks is slow.)"""
    from hypothesis import Phase, find

    once = settings(phases=[Phase.generate], database=None, derandomize=True,
                    max_examples=2000)

    def hetero(n):
        p, eps = n.numeric()
        return len(set(p.tolist())) > 1

    find(testing.networks(), lambda n: n.is_homogeneous, settings=once)
    find(testing.networks(), hetero, settings=once)
    find(testing.networks(), lambda n: 0.0 in n.numeric()[0], settings=once)
    find(testing.networks(), lambda n: 1.0 in n.numeric()[1], settings=once)
    net = find(testing.networks(exact=True, homogeneous=False), hetero, settings=once)
    assert net.B_exact is not None and all(x.is_Rational for x in net.B_exact)
    assert all(isinstance(x, sp.Rational) for x in np.ravel(net.p))


@settings(max_examples=5, deadline=None)
@given(testing.networks(exact=True))
def test_networks_strategy_exact_keeps_rational_B(net):
    assert net.B_exact is not None


def test_check_decoder_accepts_the_reference_decoders():
    testing.check_decoder(decode.gcplus, max_examples=40)
    testing.check_decoder(decode.standard, kind="standard", max_examples=40)
    testing.check_decoder(decode.gcplus, rules=["individual"], max_examples=10, seed=None)


# ----------------------------------------------------------------------------- broken decoders
def optimistic(Bt, arrived, rule="max-subset"):
    """Claims full recovery whenever at most one partial sum is missing."""
    r = decode.gcplus(Bt, arrived, rule=rule)
    M = len(arrived)
    if arrived.sum() >= M - 1 and not r.full:
        return decode.DecodeResult(True, np.ones(M, bool), r.weights, np.ones(M), r.rank,
                                   0.0, 0.0, False, rule, False)
    return r


def individual_as_max_subset(Bt, arrived, rule="max-subset"):
    """Valid certificates, but never looks beyond individually recoverable gradients."""
    return decode.gcplus(Bt, arrived, rule="individual" if rule == "max-subset" else rule)


def leaky_weights(Bt, arrived, rule="max-subset"):
    """Correct decisions, but puts weight on a row that did not arrive (and is zero in A)."""
    r = decode.gcplus(Bt, arrived, rule=rule)
    w = r.weights.copy()
    missing = np.flatnonzero(~np.asarray(arrived))
    if missing.size:
        w[missing[0]] = 0.5
    return decode.DecodeResult(r.full, r.recovered, w, r.target, r.rank, r.residual,
                               r.cert_error, r.downgraded, rule, False)


def rank_only(Bt, arrived, rule="max-subset"):
    """Declares full recovery iff the arrived rows have full rank (misses rank-deficient wins)."""
    r = decode.gcplus(Bt, arrived, rule=rule)
    A = np.asarray(Bt)[np.asarray(arrived)]
    if r.full and (A.size == 0 or np.linalg.matrix_rank(A) < len(arrived)):
        M = len(arrived)
        return decode.DecodeResult(False, np.zeros(M, bool), np.zeros(M), np.zeros(M), r.rank,
                                   float(np.sqrt(M)), 0.0, False, rule, False)
    return r


def standard_from_all_rows(B, received):
    """A 'standard' decoder that wrongly ignores `received` and uses every row."""
    return decode.standard(B, np.ones_like(np.asarray(received, dtype=bool)))


@pytest.mark.parametrize("broken, kwargs, prop", [
    (optimistic, {}, "certificate verifies"),
    (individual_as_max_subset,
     {"rules": ["max-subset"], "matrices": testing.gc_matrices(exact=True, kinds=("fractional",))},
     "max-subset |K|"),
    (leaky_weights, {}, "weights vanish on unused rows"),
    (rank_only, {"rules": ["max-subset"]}, "exact oracle (full recovery)"),
    (standard_from_all_rows, {"kind": "standard"}, "check_decoder: property"),
])
def test_check_decoder_catches_broken_decoders(broken, kwargs, prop):
    with pytest.raises(AssertionError) as info:
        testing.check_decoder(broken, max_examples=100, **kwargs)
    msg = str(info.value)
    assert prop in msg
    assert "arrived = [" in msg and "Bt = B * tau" in msg      # the counterexample is shown


def test_check_decoder_catches_a_non_monotone_decoder():
    # exact agreement on the drawn pattern but a wrong answer once every client arrived
    def greedy_then_gives_up(Bt, arrived, rule="max-subset"):
        M = len(arrived)
        if np.all(arrived):
            return decode.DecodeResult(False, np.zeros(M, bool), np.zeros(M), np.zeros(M), 0,
                                       float(np.sqrt(M)), 0.0, False, rule, False)
        return decode.gcplus(Bt, arrived, rule=rule)

    with pytest.raises(AssertionError, match="monotone in arrivals"):
        testing.check_decoder(greedy_then_gives_up, rules=["max-subset"], max_examples=100)


def test_check_decoder_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        testing.check_decoder(decode.gcplus, kind="fancy")
    with pytest.raises(ValueError, match="rules"):
        testing.check_decoder(decode.gcplus, rules=["median"])
    with pytest.raises(TypeError, match="fn"):
        testing.check_decoder("not a function")
    with pytest.raises(ValueError, match="kinds"):
        testing.gc_matrices(kinds=("triangular",))
