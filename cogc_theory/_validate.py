"""Argument checking shared by every public entry point.

Each checker returns the normalised value or raises :class:`ValueError` / :class:`TypeError`
with a message that names the argument and says how to fix it. Nothing here prints.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import sympy as sp

__all__ = [
    "as_float",
    "check_bool",
    "check_bool_array",
    "check_erasure",
    "check_int",
    "check_list",
    "check_positive",
    "check_probability",
    "check_probability_array",
    "check_real",
    "check_real_array",
    "check_square_matrix",
    "check_str",
    "check_rng",
    "is_symbolic",
]


def is_symbolic(x: Any) -> bool:
    """True if ``x`` is a sympy object with free symbols."""
    return isinstance(x, sp.Basic) and bool(getattr(x, "free_symbols", ()))


def as_float(value: Any, name: str) -> float:
    """``float(value)`` for a real number, or :class:`ValueError` naming ``name`` if it lies
    beyond the float range (a Python int or Fraction above 1.8e308 raises ``OverflowError``).

    >>> as_float(10**400, "p")
    Traceback (most recent call last):
    ...
    ValueError: p is beyond the float range (|p| > 1.8e308)
    """
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"{name} is beyond the float range (|{name}| > 1.8e308)") from None


def check_int(value: Any, name: str, *, lo: int | None = None, hi: int | None = None) -> int:
    """Return ``value`` as an ``int`` in ``[lo, hi]`` or raise naming ``name``."""
    if type(value) is int and (lo is None or value >= lo) and (hi is None or value <= hi):
        return value                                       # the common case, without the ABC
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    if lo is not None and value < lo:
        raise ValueError(f"{name} must be >= {lo}, got {value}")
    if hi is not None and value > hi:
        raise ValueError(f"{name} must be <= {hi}, got {value}")
    return value


def check_positive(value: Any, name: str, kind: str = "number") -> float:
    """Return ``value`` as a positive finite ``float`` or raise naming ``name`` (the message
    calls it a positive ``kind``)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a positive {kind}, got {value!r}")
    value = as_float(value, name)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite {kind}, got {value}")
    return value


def check_real(value: Any, name: str, *, lo: float | None = None, hi: float | None = None,
               kind: str = "number") -> float:
    """Return a plain finite real number (python or numpy, not bool) as ``float``, within
    ``[lo, hi]`` when given, or raise naming ``name``; messages call it a ``kind``.

    For values read from files and options; :func:`check_probability` also takes sympy.

    Examples
    --------
    >>> check_real(0.25, "p", lo=0, hi=1, kind="probability")
    0.25
    >>> check_real(1.5, "p", lo=0, hi=1, kind="probability")
    Traceback (most recent call last):
    ...
    ValueError: p must be a probability in [0, 1], got 1.5
    """
    where = (f" in [{lo:g}, {hi:g}]" if lo is not None and hi is not None
             else f" >= {lo:g}" if lo is not None else f" <= {hi:g}" if hi is not None else "")
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a {kind}{where}, got {value!r}")
    value = as_float(value, name)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite {kind}{where}, got {value}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ValueError(f"{name} must be a {kind}{where}, got {value}")
    return value


def check_bool(value: Any, name: str) -> bool:
    """Return ``value`` if it is a bool (python or numpy), else raise :class:`TypeError`.

    >>> check_bool(1, "exact")
    Traceback (most recent call last):
    ...
    TypeError: exact must be true or false (a bool), got 1
    """
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be true or false (a bool), got {value!r}")
    return bool(value)


def check_str(value: Any, name: str) -> str:
    """Return ``value`` if it is a non-empty string, else raise :class:`TypeError`.

    >>> check_str("digits", "problem")
    'digits'
    """
    if not isinstance(value, str) or not value:
        raise TypeError(f"{name} must be a non-empty string, got {value!r}")
    return value


def check_list(value: Any, name: str, what: str) -> list[Any]:
    """Return a non-empty list or tuple of ``what`` (described in messages) as a list.

    >>> check_list((1, 2), "s_values", "integers")
    [1, 2]
    """
    if not isinstance(value, list | tuple):
        raise TypeError(f"{name} must be a list of {what}, e.g. [1, 2], got {value!r}")
    if not value:
        raise ValueError(f"{name} must not be empty; give a list of {what}")
    return list(value)


def check_erasure(value: Any, name: str, M: int, *, matrix: bool) -> float | list[Any]:
    """An erasure probability, ``M`` of them (uplinks) or an ``M x M`` nested list (client
    links, ``matrix=True``), as a float or (nested) lists of floats.

    Numbers only (numpy arrays and tuples are accepted); errors name ``name`` and the entry.

    Examples
    --------
    >>> check_erasure([0.1, 0.2], "p", 2, matrix=False)
    [0.1, 0.2]
    >>> check_erasure([[0.1, 0.2], [0.1]], "eps", 2, matrix=True)
    Traceback (most recent call last):
    ...
    ValueError: eps must be a probability or an M x M nested list (M = 2); row 1 is [0.1]
    """
    shape = f"an M x M nested list (M = {M})" if matrix else f"a list of M = {M} values"
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real | list | tuple):
        raise TypeError(f"{name} must be a probability or {shape}, got {value!r}")
    if isinstance(value, numbers.Real):
        return check_real(value, name, lo=0, hi=1, kind="probability")
    if len(value) != M:
        raise ValueError(f"{name} must be a probability or {shape}; got {len(value)} "
                         f"{'rows' if matrix else 'values'}")
    if not matrix:
        return [check_real(v, f"{name}[{i}]", lo=0, hi=1, kind="probability")
                for i, v in enumerate(value)]
    out = []
    for i, row in enumerate(value):
        if not isinstance(row, list | tuple) or len(row) != M:
            raise ValueError(f"{name} must be a probability or {shape}; row {i} is {row!r}")
        out.append([check_real(v, f"{name}[{i}][{j}]", lo=0, hi=1, kind="probability")
                    for j, v in enumerate(row)])
    return out


def check_probability(value: Any, name: str) -> float | sp.Expr:
    """Validate one probability: a finite number in [0, 1] or a sympy expression.

    Numbers (python, numpy, sympy numbers) are returned as ``float`` unless they are sympy
    rationals/integers, which are kept exact. Expressions with free symbols are returned
    unchanged (they are checked when substituted).
    """
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a probability (number in [0, 1]), got bool {value!r}")
    if isinstance(value, sp.Basic):
        if is_symbolic(value):
            real = value.xreplace({x: sp.Dummy(x.name, real=True) for x in value.free_symbols})
            if real.has(sp.I) and sp.simplify(sp.im(real)) != 0:
                raise ValueError(f"{name} must be a real expression (a probability), got "
                                 f"{value} with an imaginary part for real symbols")
            return value
        if value.is_Rational:
            if not (0 <= value <= 1):
                raise ValueError(f"{name} must lie in [0, 1], got {value}")
            return value
        try:
            value = as_float(value, name)
        except TypeError as exc:
            raise TypeError(f"{name} must be a number or sympy expression, got {value!r}") from exc
    if isinstance(value, numbers.Rational) and not isinstance(value, numbers.Integral):
        # fractions.Fraction: keep exact as a sympy Rational
        value = sp.Rational(value.numerator, value.denominator)
        if not (0 <= value <= 1):
            raise ValueError(f"{name} must lie in [0, 1], got {value}")
        return value
    if not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a probability (number in [0, 1] or sympy expression), "
            f"got {type(value).__name__} {value!r}"
        )
    value = as_float(value, name)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite probability in [0, 1], got {value}")
    if not (0.0 <= value <= 1.0):
        raise ValueError(f"{name} must lie in [0, 1], got {value}")
    return value


def check_probability_array(value: Any, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Broadcast a scalar or array of probabilities to ``shape``; object dtype.

    A scalar is broadcast; otherwise the shape must match exactly.
    """
    if isinstance(value, sp.MatrixBase):
        value = np.array(value.tolist(), dtype=object)
    arr = np.asarray(value, dtype=object) if not isinstance(value, np.ndarray) else value
    if arr.ndim == 0:
        item = check_probability(arr.item() if isinstance(arr, np.ndarray) else arr, name)
        out = np.empty(shape, dtype=object)
        out[...] = item
        return out
    if arr.shape != shape:
        raise ValueError(
            f"{name} must be a scalar or have shape {shape}, got shape {arr.shape}"
        )
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(*shape):
        out[idx] = check_probability(arr[idx], f"{name}[{', '.join(map(str, idx))}]")
    return out


def _has_complex(value: Any) -> bool:
    """Whether ``value`` converts to a complex array or holds complex numbers (object dtype)."""
    raw = value
    if not isinstance(raw, np.ndarray):
        try:
            raw = np.asarray(value)
        except (TypeError, ValueError):    # ragged or odd input: the float conversion reports it
            return False
    if raw.dtype.kind == "c":
        return True
    if raw.dtype == object:
        # python complex, numpy complex scalars (a subclass of complex)
        return any(isinstance(x, complex | np.complexfloating) for x in raw.flat)
    return False


def check_real_array(value: Any, name: str, what: str = "a real array") -> np.ndarray:
    """Return ``value`` as a float array of any shape, or raise :class:`TypeError` naming
    ``name``.

    Complex input is refused, even with zero imaginary parts: numpy would otherwise discard
    the imaginary parts with only a ``ComplexWarning``. ``what`` describes the expected input
    in the message (e.g. ``"a real matrix (array-like of numbers)"``).
    """
    if _has_complex(value):
        kind = (f"dtype {value.dtype}" if isinstance(value, np.ndarray) and value.dtype.kind == "c"
                else "complex entries")
        raise TypeError(
            f"{name} must be {what}, not complex ({kind}); pass the real part "
            f"(e.g. np.real({name})) if the imaginary parts are meant to be zero"
        )
    if _has_text(value):
        raise TypeError(f"{name} must be {what}, not text (strings or bytes); convert the "
                        f"entries to numbers first")
    try:
        return np.asarray(value, dtype=float)
    except OverflowError as exc:        # a Python int or Fraction beyond the float range
        raise ValueError(f"{name} has an entry beyond the float range (|x| > 1.8e308): "
                         f"{exc}; rescale it, or pass exact rationals (an object array of "
                         f"int / Fraction, or a sympy Matrix) where exact input is accepted"
                         ) from exc
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be {what}: {exc}") from exc


def _has_text(value: Any) -> bool:
    """Whether ``value`` holds strings or bytes (numpy would parse ``'0.5'`` as a number)."""
    if isinstance(value, str | bytes):
        return True
    raw = value
    if not isinstance(raw, np.ndarray):
        try:
            raw = np.asarray(value, dtype=object)
        except (TypeError, ValueError):
            return False
    if raw.dtype.kind in "USV":
        return raw.dtype.kind != "V" or raw.dtype.fields is None
    if raw.dtype == object:
        return any(isinstance(x, str | bytes) for x in raw.flat)
    return False


def check_square_matrix(B: Any, name: str = "B") -> np.ndarray:
    """Return ``B`` as a finite float ``(M, M)`` array or raise naming ``name``.

    Accepts numpy arrays, nested lists and sympy matrices of real numbers.

    Raises
    ------
    TypeError
        Symbols, complex entries (even with zero imaginary part) or non-numbers.
    ValueError
        Not square ``(M, M)`` with ``M >= 1``, or not finite.
    """
    if isinstance(B, sp.MatrixBase):
        if B.free_symbols:
            names = sorted(map(str, B.free_symbols))
            raise TypeError(f"{name} must contain numbers, not symbols {names}")
        B = np.array(B.tolist(), dtype=object)
    arr = check_real_array(B, name, "a real matrix (array-like of numbers)")
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be a square (M, M) matrix, got shape {arr.shape}")
    if arr.shape[0] < 1:
        raise ValueError(f"{name} must have at least one row")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite; it contains NaN or infinity")
    return arr


def check_bool_array(value: Any, name: str, shape_tail: tuple[int, ...], *,
                     batch: bool = True) -> np.ndarray:
    """Return ``value`` as a bool array whose trailing shape is ``shape_tail``.

    With ``batch=True`` one leading trials axis is allowed. Entries must be booleans or 0/1.
    """
    arr = np.asarray(value)
    if arr.dtype != bool:
        if arr.dtype.kind not in "iuf" or not np.all(np.isin(arr, (0, 1))):
            raise TypeError(f"{name} must be a boolean array (or 0/1), got dtype {arr.dtype}")
        arr = arr.astype(bool)
    nd = len(shape_tail)
    ok = arr.shape[arr.ndim - nd:] == shape_tail and arr.ndim in ((nd, nd + 1) if batch else (nd,))
    if not ok:
        tail = ", ".join(map(str, shape_tail))
        want = f"{shape_tail}" + (f" or (trials, {tail})" if batch else "")
        raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    return arr


def check_rng(seed: Any, name: str = "seed") -> np.random.Generator:
    """Return a ``numpy.random.Generator`` from a seed, SeedSequence or Generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (numbers.Integral, np.random.SeedSequence)):
        if isinstance(seed, bool):
            raise TypeError(f"{name} must be an int, SeedSequence or Generator, got bool")
        if isinstance(seed, numbers.Integral) and int(seed) < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {seed}")
        return np.random.default_rng(seed)
    raise TypeError(
        f"{name} must be an int, numpy SeedSequence or Generator, got {type(seed).__name__}"
    )
