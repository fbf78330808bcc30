r"""Exact rational linear algebra: the oracle behind every float decoder.

All computations run over :class:`fractions.Fraction`, so ranks, null spaces and row-space
memberships are decided without rounding. Inputs may be sympy matrices of rationals, numpy
object arrays of :class:`~fractions.Fraction` / sympy ``Rational`` / Python ``int``, or nested
lists of those; floats are refused (a float is not the exact number its decimal looks like —
convert with ``Fraction(str(x))`` or ``sympy.nsimplify`` if that is what you mean).

The central question of gradient coding is row-space membership: the parameter server, holding
the partial sums :math:`c = A g`, can form :math:`t^\top g` iff

.. math:: t \in \operatorname{rowspace}(A) \iff \exists\, a:\ a^\top A = t^\top
          \iff t \perp \ker A ,

and a certificate of membership is such an :math:`a`. :func:`solve_left` returns one (the basic
solution read off the reduced row echelon form, free variables set to zero, so the answer is
deterministic), :func:`nullspace` a basis of :math:`\ker A`.

Examples
--------
>>> from fractions import Fraction as F
>>> A = [[F(1, 2), 1, 0], [0, 1, -1]]          # Tandon et al. (2017), workers 1 and 2
>>> rank(A)
2
>>> a = solve_left(A, [1, 1, 1])
>>> [str(x) for x in a]
['2', '-1']
>>> in_rowspace(A, [1, 0, 0])[0]
False
>>> [[str(x) for x in v] for v in nullspace(A)]
[['-2', '1', '1']]
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

__all__ = [
    "as_fraction",
    "as_fraction_matrix",
    "as_fraction_vector",
    "in_rowspace",
    "is_exact_array",
    "nullspace",
    "project_rowspace",
    "rank",
    "rref",
    "solve_left",
    "to_object_array",
]

FractionMatrix = list[list[Fraction]]


def as_fraction(x: Any, name: str = "value") -> Fraction:
    """Convert one exact rational (int, Fraction, sympy Rational, numpy integer) to Fraction.

    Examples
    --------
    >>> as_fraction(3), as_fraction(np.int64(-2))
    (Fraction(3, 1), Fraction(-2, 1))
    >>> import sympy as sp
    >>> as_fraction(sp.Rational(2, 6))
    Fraction(1, 3)
    >>> as_fraction(0.5)
    Traceback (most recent call last):
    ...
    TypeError: value must be an exact rational ..., got float 0.5; ...
    """
    if isinstance(x, bool | np.bool_):
        raise TypeError(f"{name} must be a rational number, got bool {x!r}")
    if isinstance(x, Fraction):
        return x
    if isinstance(x, numbers.Integral):
        return Fraction(int(x))
    if isinstance(x, sp.Basic):
        if x.is_Rational:
            return Fraction(int(x.p), int(x.q))
        raise TypeError(
            f"{name} must be rational for exact arithmetic, got {x!r}; use a float array "
            "for float decoding"
        )
    if isinstance(x, numbers.Rational):
        return Fraction(x.numerator, x.denominator)
    raise TypeError(
        f"{name} must be an exact rational (int, fractions.Fraction or sympy Rational), got "
        f"{type(x).__name__} {x!r}; convert floats with Fraction(str(x)) or use float decoding"
    )


def _is_exact_scalar(x: Any) -> bool:
    if isinstance(x, bool | np.bool_):
        return False
    if isinstance(x, sp.Basic):
        return bool(x.is_Rational)
    return isinstance(x, numbers.Rational)


def is_exact_array(A: Any) -> bool:
    """True if ``A`` is a sympy matrix of rationals or an object array of exact rationals.

    This is the switch between the exact and the float decoding paths: numeric numpy arrays
    (any non-object dtype) are float data; sympy matrices and object arrays whose every entry
    is an ``int``, :class:`~fractions.Fraction` or sympy ``Rational`` are exact.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> is_exact_array(sp.Matrix([[1, sp.Rational(1, 2)]])), is_exact_array(np.eye(2))
    (True, False)
    """
    if isinstance(A, sp.MatrixBase):
        return all(_is_exact_scalar(x) for x in A)
    if isinstance(A, np.ndarray) and A.dtype == object:
        return A.size > 0 and all(_is_exact_scalar(x) for x in A.flat)
    return False


def as_fraction_matrix(A: Any, name: str = "A") -> FractionMatrix:
    """Return ``A`` (sympy matrix, object array or nested lists, 2-D) as lists of Fractions.

    Examples
    --------
    >>> as_fraction_matrix([[1, 2], [Fraction(1, 2), 0]])
    [[Fraction(1, 1), Fraction(2, 1)], [Fraction(1, 2), Fraction(0, 1)]]
    """
    if isinstance(A, sp.MatrixBase):
        rows = A.tolist()
    elif isinstance(A, np.ndarray):
        if A.ndim != 2:
            raise ValueError(f"{name} must be a 2-D matrix, got shape {A.shape}")
        rows = A.tolist()
    else:
        rows = [list(r) for r in A]
    if not rows or any(len(r) != len(rows[0]) for r in rows):
        raise ValueError(f"{name} must be a non-empty rectangular matrix")
    return [[as_fraction(x, f"{name}[{i}, {j}]") for j, x in enumerate(r)]
            for i, r in enumerate(rows)]


def as_fraction_vector(t: Any, n: int, name: str = "t") -> list[Fraction]:
    """Return a length-``n`` vector of Fractions.

    Examples
    --------
    >>> as_fraction_vector([1, Fraction(1, 3)], 2)
    [Fraction(1, 1), Fraction(1, 3)]
    """
    if isinstance(t, sp.MatrixBase):
        t = list(t)
    vals = list(np.asarray(t, dtype=object).ravel()) if not isinstance(t, list) else t
    if len(vals) != n:
        raise ValueError(f"{name} must have length {n}, got {len(vals)}")
    return [as_fraction(x, f"{name}[{i}]") for i, x in enumerate(vals)]


def rref(A: Any) -> tuple[FractionMatrix, tuple[int, ...]]:
    r"""Reduced row echelon form over the rationals.

    Parameters
    ----------
    A : matrix-like (n, M) of exact rationals

    Returns
    -------
    R : list of lists of Fraction, (r, M)
        The nonzero rows of the reduced row echelon form; :math:`r=\operatorname{rank}A`.
    pivots : tuple of int
        Pivot column of each row of ``R``.

    Examples
    --------
    The second row is twice the first, so the rank is 2 with pivots in columns 0 and 1:

    >>> R, pivots = rref([[1, 2], [2, 4], [0, 1]])
    >>> [[int(x) for x in row] for row in R], pivots
    ([[1, 0], [0, 1]], (0, 1))
    """
    rows = [list(r) for r in as_fraction_matrix(A)]
    n, M = len(rows), len(rows[0])
    pivots: list[int] = []
    i = 0
    for j in range(M):
        p = next((k for k in range(i, n) if rows[k][j] != 0), None)
        if p is None:
            continue
        rows[i], rows[p] = rows[p], rows[i]
        piv = rows[i][j]
        rows[i] = [x / piv for x in rows[i]]
        for k in range(n):
            if k != i and rows[k][j] != 0:
                f = rows[k][j]
                rows[k] = [x - f * y for x, y in zip(rows[k], rows[i], strict=True)]
        pivots.append(j)
        i += 1
        if i == n:
            break
    return rows[:i], tuple(pivots)


def rank(A: Any) -> int:
    """Exact rank of a rational matrix.

    Examples
    --------
    >>> rank([[1, 2], [2, 4]]), rank([[1, 2], [2, 5]])
    (1, 2)
    """
    return len(rref(A)[1])


def nullspace(A: Any) -> list[list[Fraction]]:
    r"""A basis of the right null space :math:`\ker A=\{x: Ax=0\}`, one list per vector.

    The basis is the standard one from the reduced row echelon form: one vector per free
    column :math:`f`, with :math:`x_f=1` and zeros on the other free columns.

    Examples
    --------
    :math:`x_0+x_1=0,\ x_2=0` leaves one free column (1):

    >>> nullspace([[1, 1, 0], [0, 0, 1]])
    [[Fraction(-1, 1), Fraction(1, 1), Fraction(0, 1)]]
    """
    Af = as_fraction_matrix(A)
    R, piv = rref(Af)
    M = len(Af[0])
    free = [j for j in range(M) if j not in piv]
    basis = []
    for f in free:
        x = [Fraction(0)] * M
        x[f] = Fraction(1)
        for row, p in zip(R, piv, strict=True):
            x[p] = -row[f]
        basis.append(x)
    return basis


def solve_left(A: Any, t: Any) -> list[Fraction] | None:
    r"""Solve :math:`a^\top A = t^\top` exactly; ``None`` if ``t`` is not in the row space.

    Parameters
    ----------
    A : matrix-like (n, M) of exact rationals
    t : vector-like (M,) of exact rationals

    Returns
    -------
    list of Fraction (n,) or None
        The basic solution of :math:`A^\top a = t` (free variables zero): deterministic, and
        zero on every row of ``A`` that is a combination of earlier rows.

    Examples
    --------
    :math:`a^\top A = (1, 1, 1)` for rows :math:`(1,1,0)` and :math:`(0,0,1)`: :math:`a=(1,1)`:

    >>> solve_left([[1, 1, 0], [0, 0, 1]], [1, 1, 1])
    [Fraction(1, 1), Fraction(1, 1)]
    >>> solve_left([[1, 1, 0]], [1, 0, 0]) is None
    True
    """
    Af = as_fraction_matrix(A)
    n, M = len(Af), len(Af[0])
    tf = as_fraction_vector(t, M)
    # augmented system A^T a = t: M equations in n unknowns
    aug = [[Af[i][j] for i in range(n)] + [tf[j]] for j in range(M)]
    R, piv = rref(aug)
    if n in piv:  # pivot in the augmented column: inconsistent
        return None
    a = [Fraction(0)] * n
    for row, p in zip(R, piv, strict=True):
        a[p] = row[n]
    return a


def in_rowspace(A: Any, t: Any) -> tuple[bool, list[Fraction] | None]:
    """Row-space membership with certificate.

    Returns ``(True, a)`` with ``a @ A == t`` exactly, or ``(False, None)``.

    Examples
    --------
    The all-ones vector is the sum of the two rows; ``(1, 0, 0)`` is not in their span:

    >>> A = [[1, 1, 0], [0, 0, 1]]
    >>> in_rowspace(A, [1, 1, 1])
    (True, [Fraction(1, 1), Fraction(1, 1)])
    >>> in_rowspace(A, [1, 0, 0])
    (False, None)
    """
    a = solve_left(A, t)
    return a is not None, a


def project_rowspace(A: Any, t: Any) -> list[Fraction]:
    r"""Orthogonal projection of ``t`` onto :math:`\operatorname{rowspace}A`, exactly.

    With :math:`R` the nonzero rows of the reduced echelon form (a basis of the row space),

    .. math:: \hat t = R^\top (R R^\top)^{-1} R\, t .

    Examples
    --------
    The row space of ``[[1, 1, 0]]`` is the line through :math:`(1,1,0)`; projecting
    :math:`e_0` onto it gives :math:`(1/2, 1/2, 0)`:

    >>> project_rowspace([[1, 1, 0]], [1, 0, 0])
    [Fraction(1, 2), Fraction(1, 2), Fraction(0, 1)]
    """
    Af = as_fraction_matrix(A)
    R, piv = rref(Af)
    M = len(Af[0])
    tf = as_fraction_vector(t, M)
    if not piv:
        return [Fraction(0)] * M
    r = len(R)
    G = [[sum((R[i][k] * R[j][k] for k in range(M)), Fraction(0)) for j in range(r)]
         + [sum((R[i][k] * tf[k] for k in range(M)), Fraction(0))] for i in range(r)]
    Gr, _ = rref(G)
    y = [row[r] for row in Gr]  # G is positive definite: unique solution
    return [sum((y[i] * R[i][k] for i in range(r)), Fraction(0)) for k in range(M)]


def to_object_array(values: Sequence[Fraction] | Sequence[Sequence[Fraction]]) -> np.ndarray:
    """Pack Fractions into a numpy object array (no conversion to float).

    Examples
    --------
    >>> a = to_object_array([[Fraction(1, 2), Fraction(1, 3)]])
    >>> a.dtype, a.shape, a[0, 1]
    (dtype('O'), (1, 2), Fraction(1, 3))
    """
    arr = np.empty(np.shape(np.asarray(values, dtype=object)), dtype=object)
    arr[...] = np.asarray(values, dtype=object)
    return arr
