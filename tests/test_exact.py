"""Exact rational linear algebra, checked against sympy's own routines (an independent route)."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from cogc_theory import exact

small = st.integers(-3, 3)


@st.composite
def rational_matrices(draw, max_n=5, max_M=5):
    n = draw(st.integers(1, max_n))
    M = draw(st.integers(1, max_M))
    num = draw(st.lists(small, min_size=n * M, max_size=n * M))
    den = draw(st.lists(st.integers(1, 3), min_size=n * M, max_size=n * M))
    zero = draw(st.lists(st.booleans(), min_size=n * M, max_size=n * M))
    vals = [F(a, b) if not z else F(0) for a, b, z in zip(num, den, zero, strict=True)]
    return [vals[i * M:(i + 1) * M] for i in range(n)]


def sym(A):
    return sp.Matrix([[sp.Rational(x.numerator, x.denominator) for x in r] for r in A])


@settings(max_examples=60, deadline=None)
@given(rational_matrices())
def test_rank_equals_sympy_rank(A):
    assert exact.rank(A) == sym(A).rank()


@settings(max_examples=60, deadline=None)
@given(rational_matrices())
def test_nullspace_is_a_basis_of_the_kernel(A):
    N = exact.nullspace(A)
    S = sym(A)
    assert len(N) == S.shape[1] - S.rank()
    for x in N:
        assert S * sp.Matrix([sp.Rational(v.numerator, v.denominator) for v in x]) == \
            sp.zeros(S.shape[0], 1)
    if N:
        assert sym(N).rank() == len(N)


@settings(max_examples=60, deadline=None)
@given(rational_matrices(), st.data())
def test_solve_left_certificate_and_membership_agree_with_sympy(A, data):
    n, M = len(A), len(A[0])
    S = sym(A)
    # a vector in the row space: a random combination of rows
    c = data.draw(st.lists(small, min_size=n, max_size=n))
    t = [sum((F(c[i]) * A[i][k] for i in range(n)), F(0)) for k in range(M)]
    ok, a = exact.in_rowspace(A, t)
    assert ok
    assert [sum((a[i] * A[i][k] for i in range(n)), F(0)) for k in range(M)] == t
    # an arbitrary vector: member iff appending it does not raise the rank
    u = data.draw(st.lists(small, min_size=M, max_size=M))
    ok, a = exact.in_rowspace(A, u)
    assert ok == (S.col_join(sp.Matrix([u]).reshape(1, M)).rank() == S.rank())
    if ok:
        assert [sum((a[i] * A[i][k] for i in range(n)), F(0)) for k in range(M)] == u
    else:
        assert a is None


@settings(max_examples=60, deadline=None)
@given(rational_matrices(), st.data())
def test_projection_equals_sympy_pseudoinverse_projection(A, data):
    M = len(A[0])
    t = data.draw(st.lists(small, min_size=M, max_size=M))
    S = sym(A)
    expected = (sp.Matrix([t]) * S.pinv() * S) if S.rank() else sp.zeros(1, M)
    got = exact.project_rowspace(A, t)
    assert [sp.Rational(x.numerator, x.denominator) for x in got] == list(expected)


def test_tandon_pair_weights_are_unique_and_published():
    # Tandon et al. (2017), n = 3, s = 1; workers 1, 2 combine with (2, -1)
    A = [[F(1, 2), 1, 0], [0, 1, -1]]
    assert exact.solve_left(A, [1, 1, 1]) == [2, -1]


def test_is_exact_array_switch():
    assert exact.is_exact_array(sp.Matrix([[1, sp.Rational(1, 3)]]))
    assert exact.is_exact_array(np.array([[F(1, 2), 1]], dtype=object))
    assert not exact.is_exact_array(np.array([[0.5, 1.0]]))
    assert not exact.is_exact_array(np.array([[0.5, 1]], dtype=object))
    assert not exact.is_exact_array(sp.Matrix([[sp.sqrt(2)]]))


def test_floats_are_refused_with_a_clear_message():
    with pytest.raises(TypeError, match="exact rational"):
        exact.rank([[0.5, 1.0]])
    with pytest.raises(TypeError, match="rational"):
        exact.as_fraction(sp.sqrt(2), "x")
    with pytest.raises(ValueError, match="rectangular"):
        exact.rank([[1, 2], [3]])
