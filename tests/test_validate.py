"""Tests of the shared argument checks (cogc_theory/_validate.py)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from cogc_theory import _validate as v


def test_probability_keeps_exact_rationals_and_symbols():
    assert v.check_probability(Fraction(1, 3), "p") == sp.Rational(1, 3)
    assert v.check_probability(sp.Rational(2, 7), "p") == sp.Rational(2, 7)
    x = sp.Symbol("x")
    assert v.check_probability(x / 2, "p") == x / 2
    assert isinstance(v.check_probability(np.float32(0.25), "p"), float)


@pytest.mark.parametrize("bad", [1.01, -1e-9, float("nan"), float("inf"), Fraction(3, 2),
                                 sp.Rational(-1, 2)])
def test_probability_outside_unit_interval_is_rejected(bad):
    with pytest.raises(ValueError, match="p_up"):
        v.check_probability(bad, "p_up")


@pytest.mark.parametrize("bad", [True, "0.1", None, 1j])
def test_probability_of_wrong_type_is_rejected(bad):
    with pytest.raises(TypeError, match="p_up"):
        v.check_probability(bad, "p_up")


def test_int_checks_type_and_range():
    assert v.check_int(np.int64(3), "s", lo=0, hi=5) == 3
    with pytest.raises(TypeError, match="s must be an integer"):
        v.check_int(2.0, "s")
    with pytest.raises(TypeError):
        v.check_int(True, "s")
    with pytest.raises(ValueError, match="s must be <= 5"):
        v.check_int(6, "s", hi=5)


def test_bool_array_accepts_zero_one_and_a_trials_axis():
    out = v.check_bool_array([[1, 0, 1]], "arrived", (3,))
    assert out.dtype == bool and out.shape == (1, 3)
    with pytest.raises(ValueError, match="arrived must have shape"):
        v.check_bool_array([1, 0], "arrived", (3,))
    with pytest.raises(TypeError, match="arrived"):
        v.check_bool_array([0.5, 1, 1], "arrived", (3,))
    with pytest.raises(ValueError, match="arrived"):
        v.check_bool_array(np.ones((2, 2, 3), bool), "arrived", (3,))


def test_rng_is_reproducible_and_checked():
    assert v.check_rng(5).random() == np.random.default_rng(5).random()
    g = np.random.default_rng(1)
    assert v.check_rng(g) is g
    with pytest.raises(ValueError, match="seed"):
        v.check_rng(-1)
    with pytest.raises(TypeError, match="seed"):
        v.check_rng("abc")


def test_probability_array_broadcasts_scalars_and_checks_shape():
    out = v.check_probability_array(0.5, "eps", (2, 2))
    assert out.shape == (2, 2) and out.dtype == object
    with pytest.raises(ValueError, match=r"eps must be a scalar or have shape \(2, 2\)"):
        v.check_probability_array(np.zeros(3), "eps", (2, 2))
    with pytest.raises(ValueError, match=r"eps\[1, 0\]"):
        v.check_probability_array([[0, 0], [2, 0]], "eps", (2, 2))


@pytest.mark.parametrize("value, exc", [(0.0, ValueError), (-1, ValueError),
                                        (float("inf"), ValueError), (float("nan"), ValueError),
                                        (True, TypeError), ("1", TypeError),
                                        (Fraction(1, 2), TypeError)])
def test_check_positive_rejects_naming_the_argument(value, exc):
    """check_positive refuses non-positive, non-finite and non-numeric values, naming them."""
    with pytest.raises(exc, match="tol must be a positive"):
        v.check_positive(value, "tol", "float")


def test_check_positive_returns_a_float():
    """Positive ints, floats and numpy scalars come back as Python floats of the same value."""
    for x in (3, 2.5, np.float32(0.5), np.int64(7)):
        out = v.check_positive(x, "x")
        assert type(out) is float and out == float(x)


TANDON_ROWS = [[0.5, 1.0, 0.0], [0.0, 1.0, -1.0], [0.5, 0.0, 1.0]]


@pytest.mark.parametrize("B", [
    np.array(TANDON_ROWS) + 1j,                                   # complex128 array
    np.array(TANDON_ROWS, dtype=complex),                         # zero imaginary parts
    np.array(TANDON_ROWS, dtype=np.complex64),
    [[1 + 0j, 0], [0, 1]],                                        # nested list of complex
    np.array([[np.complex128(1), 0], [0, 1]], dtype=object),      # numpy complex in object
    np.array([[1j, 0], [0, 1]], dtype=object),                    # python complex in object
])
def test_square_matrix_refuses_complex_input_naming_the_argument(B):
    """numpy would drop the imaginary parts with only a ComplexWarning: refused instead."""
    with pytest.raises(TypeError, match=r"B must be a real matrix .*not complex"):
        v.check_square_matrix(B, "B")


def test_square_matrix_refuses_sympy_imaginary_entries():
    with pytest.raises(TypeError, match="Bt must be a real matrix"):
        v.check_square_matrix(sp.Matrix([[sp.I, 0], [0, 1]]), "Bt")


@pytest.mark.parametrize("B", [
    np.array([[Fraction(1, 2), 1, 0], [0, 1, -1], [Fraction(1, 2), 0, 1]], dtype=object),
    np.array([[sp.Rational(1, 2), 1, 0], [0, 1, -1], [sp.Rational(1, 2), 0, 1]], dtype=object),
    sp.Matrix([[sp.Rational(1, 2), 1, 0], [0, 1, -1], [sp.Rational(1, 2), 0, 1]]),
    [[0.5, 1, 0], [0, 1, -1], [0.5, 0, 1]],
])
def test_square_matrix_still_accepts_real_and_rational_input(B):
    out = v.check_square_matrix(B, "B")
    assert out.dtype == float and out.tolist() == TANDON_ROWS


def test_real_array_keeps_any_shape_and_names_the_argument():
    out = v.check_real_array([[[1, 2]], [[3, 4]]], "Bt")
    assert out.dtype == float and out.shape == (2, 1, 2)
    with pytest.raises(TypeError, match="Bt must be a real stack, not complex"):
        v.check_real_array(np.ones((2, 3, 3), dtype=complex), "Bt", "a real stack")
    with pytest.raises(TypeError, match="Bt must be a real stack"):
        v.check_real_array([["a"]], "Bt", "a real stack")


@pytest.mark.parametrize("B", [
    [[10**400, 0], [0, 1]],                                       # python int
    np.array([[10**400, 0], [0, 1]], dtype=object),
    np.array([[Fraction(10**400, 3), 0], [0, 1]], dtype=object),  # Fraction
])
def test_real_array_refuses_numbers_beyond_the_float_range(B):
    """numpy raises OverflowError converting them (found by the fuzz test): a ValueError
    naming the argument and the fix instead."""
    with pytest.raises(ValueError, match=r"^B has an entry beyond the float range .*exact"):
        v.check_real_array(B, "B")
    with pytest.raises(ValueError, match="^B has an entry beyond the float range"):
        v.check_square_matrix(B, "B")


# ---------------------------------------------------------------- plain values (files, options)
def test_real_takes_plain_numbers_in_range_and_names_the_kind():
    assert v.check_real(np.float32(0.5), "x", lo=0, hi=1) == 0.5
    assert v.check_real(3, "x") == 3.0 and isinstance(v.check_real(3, "x"), float)
    with pytest.raises(ValueError, match=r"^study.p must be a probability in \[0, 1\], got 1.5$"):
        v.check_real(1.5, "study.p", lo=0, hi=1, kind="probability")
    with pytest.raises(ValueError, match="x must be a finite number, got inf"):
        v.check_real(float("inf"), "x")
    with pytest.raises(ValueError, match="x must be a number >= 2"):
        v.check_real(1, "x", lo=2)
    for bad in (True, "0.5", None, 1j, [0.5]):
        with pytest.raises(TypeError, match="^x must be a number"):
            v.check_real(bad, "x")


@pytest.mark.parametrize("check", [
    lambda x: v.check_real(x, "x"), lambda x: v.check_positive(x, "x"),
    lambda x: v.check_probability(x, "x"), lambda x: v.check_probability_array([x], "x", (1,)),
    lambda x: v.check_erasure(x, "x", 2, matrix=False),
])
@pytest.mark.parametrize("x", [10**400, -(10**400)])
def test_numbers_beyond_the_float_range_are_value_errors(check, x):
    """float() of them raises OverflowError (found by the fuzz test through every erasure
    probability): a ValueError naming the argument instead."""
    with pytest.raises(ValueError, match=r"^x(\[0\])? is beyond the float range"):
        check(x)
    with pytest.raises(ValueError, match=r"^x is beyond the float range"):
        v.check_real(Fraction(10**400, 7), "x")


def test_bool_str_and_list_checks_name_the_argument():
    assert v.check_bool(np.bool_(True), "exact") is True
    with pytest.raises(TypeError, match="exact must be true or false"):
        v.check_bool("yes", "exact")
    with pytest.raises(TypeError, match="exact must be true or false"):
        v.check_bool(1, "exact")
    assert v.check_str("digits", "problem") == "digits"
    for bad in ("", None, 3):
        with pytest.raises(TypeError, match="problem must be a non-empty string"):
            v.check_str(bad, "problem")
    assert v.check_list((1, 2), "s_values", "integers") == [1, 2]
    with pytest.raises(TypeError, match="s_values must be a list of integers"):
        v.check_list(2, "s_values", "integers")
    with pytest.raises(ValueError, match="s_values must not be empty"):
        v.check_list([], "s_values", "integers")


def test_erasure_scalar_vector_and_matrix_shapes():
    assert v.check_erasure(0, "p", 3, matrix=False) == 0.0
    assert v.check_erasure(np.array([0.1, 0.2, 0.3]), "p", 3, matrix=False) == [0.1, 0.2, 0.3]
    assert v.check_erasure(((0, 0.5), (0.5, 0)), "eps", 2, matrix=True) == [[0, 0.5], [0.5, 0]]
    with pytest.raises(ValueError, match=r"p must be a probability or a list of M = 3 values; "
                                         r"got 2 values"):
        v.check_erasure([0.1, 0.2], "p", 3, matrix=False)
    with pytest.raises(TypeError, match=r"p\[1\] must be a probability"):
        v.check_erasure([0.1, "a", 0.2], "p", 3, matrix=False)
    with pytest.raises(ValueError, match=r"eps\[0\]\[1\] must be a probability in \[0, 1\]"):
        v.check_erasure([[0, 2], [0, 0]], "eps", 2, matrix=True)
    with pytest.raises(ValueError, match="row 1"):
        v.check_erasure([[0, 0], 0.1], "eps", 2, matrix=True)
    with pytest.raises(TypeError, match="eps must be a probability or an M x M nested list"):
        v.check_erasure("0.1", "eps", 2, matrix=True)
