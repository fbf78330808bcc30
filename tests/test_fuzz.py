r"""Property-based fuzz test of the public API (issue 14, section 3).

**The contract.** For any input — arbitrary shapes; dtypes (complex, object, strings, bytes,
bool, int, float16/32, ``None``, nested ragged lists, sympy matrices and expressions,
:class:`~fractions.Fraction`); non-finite values (NaN, :math:`\pm\infty`); extreme magnitudes
(subnormal, :math:`10^{\pm300}`, integers beyond the float range); out-of-range parameters —
every public entry point either

* returns a result whose invariants hold (below), or
* raises :class:`ValueError` / :class:`TypeError` with a message (not
  :class:`numpy.linalg.LinAlgError` nor :class:`UnicodeError`, which subclass
  :class:`ValueError` but signal an internal failure),

and nothing else: no other exception (``IndexError``, ``KeyError``, ``ZeroDivisionError``,
``AttributeError``, ``OverflowError``, ``RecursionError``, ``MemoryError``, ...), no warning
(every warning is escalated to an error while the library runs), and no hang: each example
runs under a wall-clock alarm (:data:`HANG_SECONDS`), so a hang fails the test instead of
stalling CI.

**Invariants checked on results.**

* decoders: the certificate verifies — ``weights @ Bt == target`` exactly on the exact path,
  within ``atol`` plus the rounding bound of the product on the float path — weights and
  target are finite, weights vanish on rows that were not received, ``recovered`` and
  ``full`` agree with ``target`` (and batched results with their one-round items);
* probabilities: floats in :math:`[0, 1]`, or sympy expressions whose free symbols are the
  network's and whose values at random points of :math:`[0,1]^n` lie in :math:`[0, 1]`;
  outcome laws sum to one; decisions of the float row-space test are invariant to scaling
  ``B`` by powers of two;
* codes: the constructions tolerate the stragglers they claim, ``is_gc_matrix`` agrees with
  ``straggler_tolerance``;
* estimates: :math:`0 \le k \le n`, ``lo <= estimate <= hi`` inside :math:`[0, 1]`;
* bounds: finite non-negative values, integer rounds;
* exact linear algebra: weights reproduce the target, null vectors are null;
* the CLI: an ``int`` exit status in {0, 1, 2}, and on error one line on stderr, never
  ``internal error`` nor a traceback.

**Size bounds** keep legitimate work small: :math:`M \le 6` (8 for code constructions),
GC+ enumerations of at most :data:`MAX_PATTERNS` client-state patterns (larger ones must be
refused quickly, so they are drawn only beyond the library's enumeration limit), Monte Carlo
trials :math:`\le 1000`, training :math:`\le 3` rounds and trials. Out-of-range values
(:math:`M = 10^{12}`, ``trials = 10**15``) are drawn too: they must be refused up front.

The default run is derandomised (a fixed seed per property, so CI is reproducible) with a
few dozen examples per property; ``pytest -m slow tests/test_fuzz.py`` runs
:data:`SLOW_FACTOR` times as many.
"""

from __future__ import annotations

import collections
import contextlib
import io
import json
import math
import os
import signal
import tempfile
import warnings
from collections.abc import Callable, Iterator
from decimal import Decimal
from fractions import Fraction
from typing import Any

import networkx as nx
import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cogc_theory as ct
from cogc_theory.vocabulary import RULES, TRAINING_SCHEMES

# ----------------------------------------------------------------------------- harness
#: Wall-clock limit of one example (the heaviest legitimate example takes about a second).
HANG_SECONDS = 60
#: Largest number of GC+ client-state patterns enumerated by a legitimate call.
MAX_PATTERNS = 20_000
#: The library's enumeration limit (beyond it, calls must refuse at once).
ENUMERATION_LIMIT = 60_000_000
#: Print every refusal (``COGC_FUZZ_DEBUG=1 pytest -s``), to see what the strategies draw.
DEBUG = bool(os.environ.get("COGC_FUZZ_DEBUG"))
#: Examples of the slow variant, relative to the default run (4 in CI, about 8 minutes;
#: ``COGC_FUZZ_FACTOR=10 pytest -m slow tests/test_fuzz.py`` explores further).
SLOW_FACTOR = int(os.environ.get("COGC_FUZZ_FACTOR", "4"))
EPS64 = np.finfo(float).eps


class Hang(BaseException):
    """Raised by the alarm: an example ran longer than :data:`HANG_SECONDS`.

    A ``BaseException`` so that no ``except Exception`` in the library swallows it.
    """


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`Hang` in the main thread after ``seconds`` (POSIX ``SIGALRM``)."""
    if not hasattr(signal, "setitimer"):          # pragma: no cover - not POSIX
        yield
        return

    def alarm(signum: int, frame: Any) -> None:
        raise Hang(f"example exceeded {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


class Refused:
    """What :func:`attempt` returns when the call raised a clean ValueError / TypeError."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def __repr__(self) -> str:
        return f"Refused({type(self.exc).__name__}: {self.exc})"


def refused(x: Any) -> bool:
    return isinstance(x, Refused)


def attempt(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` with every warning escalated to an error.

    Returns its result, or a :class:`Refused` if it raised a ``ValueError`` / ``TypeError``
    with a message; any other exception propagates and fails the example.
    """
    name = getattr(fn, "__qualname__", type(fn).__name__)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            out = fn(*args, **kwargs)
        except (np.linalg.LinAlgError, UnicodeError):
            raise
        except (ValueError, TypeError) as exc:
            assert str(exc).strip(), f"{name} raised an empty {exc!r}"
            STATS[f"{name}: refused"] += 1
            if DEBUG:
                print(f"  {name} refused: {type(exc).__name__}: {str(exc)[:160]}")
            return Refused(exc)
    STATS[f"{name}: returned"] += 1
    return out


#: Calls by outcome in the current property (a property whose calls are all refused would
#: check no invariant: :func:`run_property` requires some results).
STATS: collections.Counter[str] = collections.Counter()


def fuzz_test(examples: int) -> Callable[[Callable[[Any], None]], Callable[..., None]]:
    """Decorator: a property ``f(data)`` run as a derandomised hypothesis test under the alarm.

    Registered in :data:`PROPERTIES` with its default number of examples.
    """

    def deco(prop: Callable[[Any], None]) -> Callable[..., None]:
        PROPERTIES[prop.__name__] = (prop, examples)
        return prop

    return deco


PROPERTIES: dict[str, tuple[Callable[[Any], None], int]] = {}


def run_property(name: str, factor: int) -> None:
    prop, examples = PROPERTIES[name]

    @settings(max_examples=examples * factor, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), print_blob=True)
    @given(data=st.data())
    def inner(data: Any) -> None:
        with time_limit(HANG_SECONDS):
            prop(data)

    STATS.clear()
    inner()
    print(f"{name}: " + ", ".join(f"{k} {n}" for k, n in sorted(STATS.items())))
    assert any(k.endswith("returned") for k in STATS), f"{name}: every call was refused"


# ----------------------------------------------------------------------------- strategies
P, E, Q = sp.symbols("p epsilon q")
EVAL_TEXT = "__import__('os').getpid()"
EXTREME_FLOATS = [0.0, -0.0, 5e-324, 2.2250738585072014e-308, 1e-300, 1e-160, 1e-16,
                  1 - 1e-16, 1.0, 1e16, 1e155, 1e300, 1.7976931348623157e308,
                  math.nan, math.inf, -math.inf, -1.0, -1e-300]
HUGE_INTS = [2**53 + 1, 2**63, 2**64, 10**400, -(10**400)]
TEXTS = ["", "0.5", "1", "nan", "1e400", "p", "x**2", EVAL_TEXT, "\x00", "é"]
SYMPY_ATOMS = [P, E, sp.Rational(1, 3), sp.Float(0.25), sp.I, sp.zoo, sp.oo, sp.nan,
               sp.sqrt(2) / 2, P + sp.I, P**2, 1 - P, sp.Integer(2), -P]


def numpy_scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.floats(width=16, allow_nan=True).map(np.float16),
        st.floats(width=32, allow_nan=True).map(np.float32),
        st.integers(-128, 127).map(np.int8),
        st.booleans().map(np.bool_),
        st.complex_numbers(max_magnitude=2, width=64).map(np.complex64),
        st.integers(0, 2**64 - 1).map(np.uint64),
    )


def scalars() -> st.SearchStrategy[Any]:
    """Any scalar a caller might pass (numbers of every kind, text, sympy, None)."""
    return st.one_of(
        st.none(), st.booleans(), st.integers(-3, 10), st.sampled_from(HUGE_INTS),
        st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True),
        st.sampled_from(EXTREME_FLOATS),
        st.complex_numbers(max_magnitude=1e3), st.just(complex(math.nan, 1)),
        st.text(max_size=4), st.sampled_from(TEXTS), st.binary(max_size=3),
        st.fractions(max_denominator=1000), st.just(Decimal("0.1")), st.just(Decimal("NaN")),
        numpy_scalars(), st.sampled_from(SYMPY_ATOMS),
    )


def junk() -> st.SearchStrategy[Any]:
    """Arbitrary values: scalars, nested (ragged) lists, dicts, arrays of odd dtypes."""
    arrays = st.builds(
        lambda shape, dtype: np.zeros(shape, dtype=dtype),
        st.lists(st.integers(0, 3), max_size=3).map(tuple),
        st.sampled_from([float, np.float16, np.float32, int, bool, complex, object, "U2",
                         "S2"]))
    return st.recursive(
        st.one_of(scalars(), arrays),
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                                st.dictionaries(st.text(max_size=3), inner, max_size=3)),
        max_leaves=12)


def rare(draw: Any, k: int = 3) -> bool:
    """True with probability :math:`2^{-k}` (``k`` fair booleans; shrinks to False)."""
    return all([draw(st.booleans()) for _ in range(k)])


def maybe(draw: Any, good: Any, k: int = 3) -> Any:
    """``good`` most of the time, else (probability :math:`2^{-k}`) an arbitrary value."""
    return draw(junk()) if rare(draw, k) else good


@st.composite
def ints(draw: Any, lo: int, hi: int, extremes: tuple[Any, ...] = ()) -> Any:
    """Mostly integers in ``[lo, hi]``; sometimes out of range or not integers at all."""
    if rare(draw):
        return draw(st.sampled_from((-1, 0, 10**4 + 1, 10**12, 10**400, 2.0, "4", None, True,
                                     np.int64(3), *extremes)))
    return draw(st.integers(lo, hi))


def options(data: Any, spec: dict[str, tuple[Any, tuple[Any, ...]]],
            k_present: int = 1) -> dict[str, Any]:
    """Keyword arguments: each key of ``spec = {key: (good strategy, bad values)}`` present
    with probability :math:`2^{-k}`, its value bad (an out-of-range value or junk) rarely."""
    kw: dict[str, Any] = {}
    for key, (good, bad) in spec.items():
        if rare(data.draw, k_present):
            if rare(data.draw):
                kw[key] = data.draw(st.sampled_from(bad)) if data.draw(st.booleans()) \
                    else data.draw(junk())
            else:
                kw[key] = data.draw(good)
    return kw


def probabilities(symbols: bool = True) -> st.SearchStrategy[Any]:
    """Probability values, mostly valid, including the extremes of [0, 1]."""
    good = st.one_of(
        st.sampled_from([0.0, 1.0, 5e-324, 1e-300, 1e-16, 0.1, 0.25, 0.5, 1 - 1e-16]),
        st.floats(0, 1), st.fractions(0, 1, max_denominator=50),
        st.fractions(0, 1, max_denominator=50).map(lambda f: sp.Rational(f.numerator,
                                                                         f.denominator)),
        st.floats(0, 1, width=32).map(np.float32))
    if symbols:
        good = st.one_of(good, st.sampled_from([P, E, P / 2, 1 - P, sp.Rational(1, 7)]))
    return good


def erasures(draw: Any, M: int, matrix: bool, symbols: bool = True) -> Any:
    """An erasure argument for ``M`` clients: a scalar, a vector / matrix, or junk."""
    kind = "junk" if rare(draw) else draw(st.sampled_from(["scalar", "array"]))
    if kind == "scalar":
        return draw(probabilities(symbols))
    if kind == "array":
        shape = (M, M) if matrix else (M,)
        vals = np.array(draw(st.lists(probabilities(False), min_size=M * M if matrix else M,
                                      max_size=M * M if matrix else M)), dtype=object)
        arr = vals.reshape(shape)
        form = draw(st.sampled_from(["float", "object", "list"]))
        if form == "float":
            return arr.astype(float)
        return arr if form == "object" else arr.tolist()
    return draw(st.one_of(scalars(), junk()))


SCALES = [1.0, 2.0**-1000, 2.0**-500, 2.0**500, 2.0**1000, 1e-300, 1e-160, 1e155, 1e300,
          1e-310, 3.0, 1e8]


@st.composite
def code_matrices(draw: Any, M: int, s: int, exact: bool | None = None) -> Any:
    """A GC matrix of ``M`` clients (cyclic, fractional, random), maybe scaled."""
    exact = draw(st.booleans()) if exact is None else exact
    kind = draw(st.sampled_from(["cyclic", "cyclic", "fractional", "random", "integer"]))
    if kind == "fractional" and M % (s + 1) == 0:
        return ct.codes.fractional_repetition(M, s, exact=exact)
    if kind == "random":
        rng = np.random.default_rng(draw(st.integers(0, 2**32)))
        B = rng.standard_normal((M, M)) * (rng.random((M, M)) < 0.7)
        np.fill_diagonal(B, 1.0)
        return B * draw(st.sampled_from(SCALES))
    if kind == "integer":
        vals = draw(st.lists(st.integers(-3, 3), min_size=M * M, max_size=M * M))
        B = np.array(vals, dtype=object).reshape(M, M)
        for m in range(M):
            B[m, m] = B[m, m] or 1
        return B if exact else B.astype(float)
    construction = draw(st.sampled_from(["optimized", "orthonormal", "gaussian", "circulant"]))
    if construction == "circulant" and ((M - s) % 2 == 0 or exact):
        construction = "optimized"
    B = ct.codes.cyclic_repetition(M, s, seed=draw(st.integers(0, 3)), exact=exact,
                                   construction=construction)
    if exact:
        return B
    return B * draw(st.sampled_from(SCALES))


def corrupt(draw: Any, B: Any) -> Any:
    """Change the container or dtype of a matrix, or plant one odd entry in it."""
    if not rare(draw, 1):
        return B
    how = draw(st.sampled_from(["list", "sympy", "object", "dtype", "entry", "ragged",
                                "shape"]))
    if isinstance(B, sp.MatrixBase):
        arr = np.array(B.tolist(), dtype=object)
    else:
        arr = np.asarray(B)
    if how == "list":
        return arr.tolist()
    if how == "sympy":
        try:
            with warnings.catch_warnings():       # non-Expr entries are deprecated in sympy
                warnings.simplefilter("ignore")
                return sp.Matrix(arr.tolist()) if arr.ndim == 2 else arr
        except Exception:              # noqa: BLE001 - sympy refuses some entries: keep B
            return arr
    if how == "object":
        return arr.astype(object)
    if how == "dtype":
        dtype = draw(st.sampled_from([np.float16, np.float32, int, bool, complex, "U8",
                                      "S8"]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return arr.astype(dtype)
            except (TypeError, ValueError, OverflowError):
                return arr
    if how == "entry" and arr.size:
        out = arr.astype(object)
        idx = tuple(draw(st.integers(0, n - 1)) for n in out.shape)
        out[idx] = draw(scalars())
        return out
    if how == "ragged" and arr.ndim >= 2 and arr.shape[0]:
        rows = arr.tolist()
        rows[-1] = rows[-1][:-1]
        return rows
    if how == "shape":
        shape = draw(st.lists(st.integers(0, 4), max_size=3).map(tuple))
        return np.zeros(shape)
    return B


def to_float(B: Any) -> np.ndarray:
    """The float matrix a decoder sees (for checking certificates)."""
    if isinstance(B, sp.MatrixBase):
        B = B.tolist()
    return np.asarray(np.asarray(B, dtype=object).tolist(), dtype=float)


def to_fractions(B: Any) -> np.ndarray:
    if isinstance(B, sp.MatrixBase):
        B = B.tolist()
    arr = np.asarray(B, dtype=object)
    out = np.empty(arr.shape, dtype=object)
    for idx in np.ndindex(*arr.shape):
        out[idx] = ct.exact.as_fraction(arr[idx])
    return out


def masks(draw: Any, M: int, batch: int | None) -> Any:
    """A received / arrived mask (one round or ``batch`` rounds), sometimes malformed."""
    shape = (M,) if batch is None else (batch, M)
    mask = np.array(draw(st.lists(st.booleans(), min_size=int(np.prod(shape)),
                                  max_size=int(np.prod(shape)))), dtype=bool).reshape(shape)
    how = draw(st.sampled_from(["int", "float", "list", "bad"])) if rare(draw, 1) else "bool"
    if how == "int":
        return mask.astype(int)
    if how == "float":
        return mask.astype(float)
    if how == "list":
        return mask.tolist()
    if how == "bad":
        return draw(st.one_of(junk(), st.just(np.full(shape, np.nan)),
                              st.just(np.full(shape, 0.5)), st.just(mask.astype(complex)),
                              st.just(mask.astype(str)), st.just(mask[..., :-1])))
    return mask


def tolerances(draw: Any) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    if draw(st.booleans()):
        kw["rtol"] = draw(scalars()) if rare(draw) else draw(st.sampled_from(
            [1e-10, 1e-6, 1e-14, 0.5]))
    if draw(st.booleans()):
        kw["atol"] = draw(scalars()) if rare(draw) else draw(st.sampled_from(
            [1e-8, 1e-6, 1e-12, 1e-2]))
    return kw


def states_count(net: Any) -> int:
    """GC+ client-state patterns of ``net``: :math:`\\prod_m (1 + 2^{|N_m|})`."""
    return math.prod(1 + 2 ** len(net.neighbors(m)) for m in range(net.M))


@st.composite
def networks(draw: Any, symbols: bool = True, max_M: int = 6) -> Any:
    """A small cooperative network, built by one of the public constructors (may be refused:
    then the property draws nothing further from it)."""
    M = draw(st.integers(1, max_M)) if rare(draw) else draw(st.integers(2, max_M))
    s = draw(st.integers(0, M - 1))
    p = erasures(draw, M, matrix=False, symbols=symbols)
    eps = erasures(draw, M, matrix=True, symbols=symbols)
    how = draw(st.sampled_from(["cyclic", "cyclic", "fractional", "matrix", "matrix",
                                "graph"]))
    reciprocal = rare(draw, 2)
    if how == "cyclic" and M >= 2:
        return attempt(ct.CooperativeNetwork.cyclic, M, s, uplink_erasure=p, link_erasure=eps,
                       seed=draw(st.integers(0, 3)), exact=draw(st.booleans()),
                       reciprocal=reciprocal)
    if how == "fractional" and M >= 2:
        if not rare(draw):
            s = draw(st.sampled_from([d - 1 for d in range(1, M + 1) if M % d == 0]))
        return attempt(ct.CooperativeNetwork.fractional, M, s, uplink_erasure=p,
                       link_erasure=eps, reciprocal=reciprocal)
    B = draw(code_matrices(M, s)) if M >= 2 else np.array([[draw(st.sampled_from(SCALES))]])
    B = corrupt(draw, B) if draw(st.integers(0, 4)) == 0 else B
    net = attempt(ct.CooperativeNetwork, B, p, eps, reciprocal=reciprocal)
    if how == "graph" and not refused(net):
        return attempt(ct.CooperativeNetwork.from_graph, net.graph, B)
    return net


# ----------------------------------------------------------------------------- invariants
def assert_probability(x: Any, what: str, symbols: Any = ()) -> None:
    """A float in [0, 1], or a sympy expression in ``symbols`` with values in [0, 1]."""
    if isinstance(x, sp.Basic):
        free = x.free_symbols
        assert free <= set(symbols), f"{what}: unexpected symbols {free - set(symbols)}"
        if not free:
            v = complex(x)
            assert v.imag == 0 and -1e-12 <= v.real <= 1 + 1e-12, f"{what} = {x}"
            return
        rng = np.random.default_rng(0)
        for _ in range(3):
            vals = {s: sp.Float(rng.random()) for s in free}
            v = complex(x.xreplace(vals).evalf())
            # a polynomial of degree <= 64 in values in [0, 1] with O(1) coefficients:
            # evaluation error well below 1e-9
            assert abs(v.imag) <= 1e-9 and -1e-9 <= v.real <= 1 + 1e-9, f"{what}({vals}) = {v}"
        return
    if isinstance(x, Fraction):
        assert 0 <= x <= 1, f"{what} = {x}"
        return
    assert isinstance(x, float | np.floating), f"{what} is a {type(x).__name__}, not a float"
    assert math.isfinite(x) and 0.0 <= x <= 1.0, f"{what} = {x}"


def assert_pmf(pmf: Any, what: str) -> None:
    arr = np.asarray(pmf, dtype=object)
    vals = np.array([float(v) for v in arr.ravel()])
    assert np.all(np.isfinite(vals)) and np.all(vals >= -1e-15), f"{what} = {pmf}"
    # a sum of at most ~2**12 non-negative rounded terms: relative error < 1e-12
    assert abs(vals.sum() - 1.0) <= 1e-9, f"{what} sums to {vals.sum()}"


def check_decode_one(r: Any, A: Any, mask: np.ndarray, rule: str, atol: float) -> None:
    """Invariants of one :class:`DecodeResult` decoded from the matrix ``A`` (as given)."""
    M = mask.shape[-1]
    assert isinstance(r.full, bool) and isinstance(r.downgraded, bool)
    assert r.recovered.shape == r.weights.shape == r.target.shape == (M,)
    assert r.recovered.dtype == bool
    assert 0 <= r.rank <= M
    assert r.rule == rule
    w, t = r.weights, r.target
    assert np.all(w[~mask] == 0), f"weights on rows not received: {w}"
    if r.exact:
        Af = to_fractions(A)
        for j in range(M):
            assert sum(w[i] * Af[i, j] for i in range(M)) == t[j], "exact certificate fails"
        tf = np.array([float(x) for x in t])
    else:
        Af = to_float(A)
        assert w.dtype == float and t.dtype == float
        assert np.all(np.isfinite(w)) and np.all(np.isfinite(t)), f"non-finite certificate {w}"
        with np.errstate(all="ignore"):
            prod = w @ Af
            # float rounding of the product: |fl(w.A) - w.A| <= M eps sum_i |w_i||A_ij|;
            # both the library's and this computation carry it, hence the factor 2
            slack = 2 * (M + 1) * EPS64 * (np.abs(w) @ np.abs(Af))
        assert np.all(np.abs(prod - t) <= atol + slack), (
            f"certificate misses: max |w A - t| = {np.max(np.abs(prod - t))}, atol {atol}")
        assert math.isfinite(r.residual) and r.residual >= 0
        tf = t
    if rule in ("standard", "max-subset", "individual"):
        assert set(np.unique(tf)) <= {0.0, 1.0}, f"target {t} is not 0/1"
        assert np.array_equal(r.recovered, tf == 1)
        if rule == "standard":
            assert len(set(r.recovered.tolist())) <= 1, "standard decoding is all or nothing"
    else:
        assert np.array_equal(r.recovered, np.abs(tf) > atol) or r.exact
    assert r.full == bool(r.recovered.all() and (rule != "least-squares"
                                                 or np.allclose(tf, 1, atol=atol, rtol=0))) \
        or (rule == "individual" and not r.full), (r.full, r.recovered, tf)
    if r.full:
        assert np.allclose(tf, 1, rtol=0, atol=atol)
    if r.downgraded:
        assert not r.full and not np.any(r.recovered)


def check_decode(res: Any, Bt: Any, mask_in: Any, rule: str, atol: float) -> None:
    mask = np.asarray(mask_in).astype(bool)
    if isinstance(res, ct.decode.DecodeResult):
        check_decode_one(res, Bt, mask, rule, atol)
        return
    assert isinstance(res, ct.decode.BatchDecodeResult)
    A = np.array(Bt.tolist(), dtype=object) if isinstance(Bt, sp.MatrixBase) else \
        np.asarray(Bt, dtype=object)
    T = len(res)
    assert T == (A.shape[0] if A.ndim == 3 else mask.shape[0])
    for i in range(T):
        check_decode_one(res[i], A[i] if A.ndim == 3 else A,
                         mask[i] if mask.ndim == 2 else mask, rule, atol)


def check_estimate(est: Any, max_trials: int | None = None) -> None:
    """An :class:`OutageEstimate` (or importance estimate) and its interval."""
    assert 0 <= est.failures <= est.trials
    if max_trials is not None:
        assert est.trials <= max_trials
    if est.trials == 0:
        assert refused(attempt(lambda: est.estimate))
        return
    e = est.estimate
    assert isinstance(e, float) and math.isfinite(e) and e >= 0
    ci = attempt(est.ci, 0.95)
    if isinstance(est, ct.simulate.ImportanceEstimate):
        if refused(ci):
            return
    else:
        assert 0 <= e <= 1
        assert not refused(ci), ci
    lo, hi = ci
    # the interval contains the point estimate up to the rounding of its end points; an
    # (unbiased) importance-sampling estimate may exceed 1 on few samples, while its interval
    # is clipped to [0, 1], where the probability lies
    cap = 1.0 if isinstance(est, ct.simulate.ImportanceEstimate) else math.inf
    assert 0 <= lo <= e + 1e-12 and min(e, cap) - 1e-12 <= hi, (lo, e, hi)
    if not isinstance(est, ct.simulate.ImportanceEstimate):
        assert hi <= 1


# ----------------------------------------------------------------------------- codes
CONSTRUCTIONS = ("optimized", "orthonormal", "gaussian", "circulant")


@fuzz_test(examples=60)
def codes_constructions(data: Any) -> None:
    M = data.draw(ints(2, 8))
    fn = data.draw(st.sampled_from(["cyclic_repetition", "fractional_repetition",
                                    "cyclic_code"]))
    if not isinstance(M, int) or not 2 <= M <= 8:
        s = data.draw(ints(0, 7))
    elif fn == "fractional_repetition":
        s = data.draw(ints(0, M - 1)) if rare(data.draw) else data.draw(st.sampled_from(
            [d - 1 for d in range(1, M + 1) if M % d == 0]))
    else:
        s = data.draw(ints(0, M - 1))
    kw: dict[str, Any] = {}
    if data.draw(st.booleans()):
        kw["exact"] = maybe(data.draw, data.draw(st.booleans()))
    if fn != "fractional_repetition":
        if data.draw(st.booleans()):
            kw["construction"] = maybe(data.draw, data.draw(st.sampled_from(CONSTRUCTIONS)))
        if data.draw(st.booleans()):
            kw["seed"] = data.draw(st.one_of(st.integers(0, 5), scalars()))
    B = attempt(getattr(ct.codes, fn), M, s, **kw)
    if refused(B):
        return
    if fn == "cyclic_code":
        assert B.design_tolerance == s
        B = B.B
    shape = (B.rows, B.cols) if isinstance(B, sp.MatrixBase) else B.shape
    assert shape == (M, M)
    if not isinstance(B, sp.MatrixBase):
        assert np.all(np.isfinite(np.asarray(B, dtype=float)))
    assert ct.codes.is_gc_matrix(B, s), f"{fn}({M}, {s}, {kw}) does not tolerate s stragglers"
    assert ct.codes.straggler_tolerance(B) >= s


@fuzz_test(examples=80)
def codes_checks(data: Any) -> None:
    M = data.draw(st.integers(2, 6))
    s0 = data.draw(st.integers(0, M - 1))
    B = corrupt(data.draw, data.draw(code_matrices(M, s0)))
    s = data.draw(ints(0, M - 1))
    tol = tolerances(data.draw)
    if data.draw(st.booleans()):
        tol["max_subsets"] = data.draw(ints(1, 100, (2_000_000, 10**15)))
    st_tol = attempt(ct.codes.straggler_tolerance, B, **tol)
    gc = attempt(ct.codes.is_gc_matrix, B, s, **tol)
    if not refused(st_tol):
        assert isinstance(st_tol, int) and -1 <= st_tol <= M - 1
    if not refused(gc):
        assert isinstance(gc, bool)
        if not refused(st_tol):
            # the property is monotone in s, and straggler_tolerance is the largest s
            assert gc == (s <= st_tol), (gc, s, st_tol)
    cond = attempt(ct.codes.conditioning, B, s,
                   **({"max_subsets": data.draw(ints(1, 50))} if data.draw(st.booleans())
                      else {}))
    if not refused(cond):
        assert cond.subsets <= cond.total_subsets
        assert not math.isnan(cond.max_condition) and not math.isnan(cond.median_condition)
        assert cond.max_condition >= cond.median_condition >= 1 or \
            math.isinf(cond.max_condition)
        assert math.isfinite(cond.max_weight) and math.isfinite(cond.max_residual)
    # every float decision is invariant to scaling B by a power of two
    if not refused(st_tol) and isinstance(B, np.ndarray) and B.dtype == float and \
            not tol.get("max_subsets"):
        k = data.draw(st.integers(-900, 900))
        with np.errstate(over="ignore", under="ignore"):
            Bk = B * 2.0**k
        nz = np.abs(Bk[Bk != 0])
        if nz.size and nz.min() >= np.finfo(float).tiny and np.isfinite(nz.max()):
            assert attempt(ct.codes.straggler_tolerance, Bk, **tol) == st_tol


@fuzz_test(examples=60)
def codes_on_support(data: Any) -> None:
    M = data.draw(st.integers(1, 6)) if rare(data.draw) else data.draw(st.integers(2, 6))
    sup = np.array(data.draw(st.lists(st.booleans(), min_size=M * M, max_size=M * M)),
                   dtype=bool).reshape(M, M)
    if data.draw(st.booleans()):
        np.fill_diagonal(sup, True)
    kw: dict[str, Any] = {}
    for key, strat in (("construction", st.sampled_from(CONSTRUCTIONS)),
                       ("minimal", st.booleans()), ("exact", st.booleans()),
                       ("check", st.booleans()), ("seed", st.integers(0, 3))):
        if data.draw(st.booleans()):
            kw[key] = maybe(data.draw, data.draw(strat))
    s = data.draw(st.one_of(st.none(), ints(0, M - 1)))
    if data.draw(st.booleans()):
        G = nx.DiGraph()
        G.add_nodes_from(range(M))
        G.add_edges_from((k, m) for m in range(M) for k in range(M) if sup[m, k] and k != m)
        if data.draw(st.integers(0, 5)) == 0:
            G.add_node(data.draw(st.sampled_from(["PS", "x", M + 3, -1, 2.5])))
        if data.draw(st.integers(0, 5)) == 0:
            G = data.draw(st.sampled_from([nx.Graph(G), G.reverse(), nx.DiGraph()]))
        code = attempt(ct.codes.on_graph, G, s, **kw)
    else:
        code = attempt(ct.codes.on_support, corrupt(data.draw, sup), s, **kw)
    if refused(code):
        return
    B = code.B
    Bf = to_float(B)
    assert Bf.shape == (M, M) and np.all(np.isfinite(Bf))
    assert np.all(code.support[Bf != 0]), "B uses a link outside the support"
    if code.straggler_tolerance is not None:
        # the verified tolerance (documented: dependent rows forced by the support may make
        # it smaller than the design, even -1: not every row set decodes)
        assert code.straggler_tolerance == ct.codes.straggler_tolerance(B)
        if code.straggler_tolerance >= 0:
            assert ct.codes.is_gc_matrix(B, code.straggler_tolerance)


# ----------------------------------------------------------------------------- network
@fuzz_test(examples=80)
def network_constructors(data: Any) -> None:
    net = data.draw(networks())
    if refused(net):
        return
    M = net.M
    assert to_float(net.B).shape == (M, M)
    if not net.is_symbolic:
        pi = net.success_probabilities()
        assert pi.shape == (M,)
        for x in pi:
            assert_probability(float(x), "success probability")
    else:
        for x in net.success_probabilities(symbolic=True):
            assert_probability(sp.sympify(x), "success probability", net.symbols)
    again = attempt(ct.CooperativeNetwork.from_graph, net.graph, net.B)
    assert not refused(again), again
    assert np.array_equal(to_float(again.B), to_float(net.B))
    # substitution: a mapping of fuzzed values, or every symbol by a probability
    if net.symbols and data.draw(st.booleans()):
        values = {sym: data.draw(probabilities(False)) for sym in net.symbols}
        sub = attempt(net.subs, values)
        if not refused(sub):
            assert not sub.is_symbolic
            for x in sub.success_probabilities():
                assert_probability(float(x), "substituted success probability")
    else:
        sub = attempt(net.subs, data.draw(junk()))
        assert refused(sub) or isinstance(sub, ct.CooperativeNetwork)
    kw: dict[str, Any] = {}
    if data.draw(st.booleans()):
        kw["uplink_erasure"] = erasures(data.draw, M, matrix=False)
    if data.draw(st.booleans()):
        kw["link_erasure"] = erasures(data.draw, M, matrix=True)
    other = attempt(net.with_erasures, **kw)
    if not refused(other):
        assert other.M == M


# ----------------------------------------------------------------------------- decoders
@fuzz_test(examples=150)
def decode_standard(data: Any) -> None:
    M = data.draw(st.integers(1, 6))
    B = data.draw(code_matrices(M, data.draw(st.integers(0, M - 1)))) if M > 1 else \
        np.array([[data.draw(st.sampled_from(SCALES))]])
    B = corrupt(data.draw, B)
    batch = data.draw(st.one_of(st.none(), st.integers(0, 4)))
    received = masks(data.draw, M, batch)
    kw = tolerances(data.draw)
    r = attempt(ct.decode.standard, B, received, **kw)
    if refused(r):
        return
    check_decode(r, B, received, "standard", kw.get("atol", 1e-8))


@fuzz_test(examples=200)
def decode_gcplus(data: Any) -> None:
    M = data.draw(st.integers(1, 6))
    s = data.draw(st.integers(0, M - 1))
    batch = data.draw(st.one_of(st.none(), st.integers(0, 4)))
    exact = data.draw(st.booleans())
    if batch is not None and data.draw(st.booleans()):
        # one effective matrix per trial: B with random link failures
        B = data.draw(code_matrices(M, s, exact=exact)) if M > 1 else np.eye(1)
        Bo = np.array(B.tolist(), dtype=object) if isinstance(B, sp.MatrixBase) else B
        rng = np.random.default_rng(data.draw(st.integers(0, 2**32)))
        tau = rng.random((batch, M, M)) < 0.7
        tau[:, np.arange(M), np.arange(M)] = True
        Bt = np.where(tau, Bo[None], 0 * Bo[None])
        Bt = Bt if Bt.dtype == object else Bt.astype(float)
    else:
        Bt = data.draw(code_matrices(M, s, exact=exact)) if M > 1 else np.eye(1)
    Bt = corrupt(data.draw, Bt)
    arrived = masks(data.draw, M, batch)
    rule = maybe(data.draw, data.draw(st.sampled_from(RULES)))
    kw = tolerances(data.draw)
    if data.draw(st.booleans()):
        kw["max_candidates"] = data.draw(ints(0, 20, (21, 16.0)))
    r = attempt(ct.decode.gcplus, Bt, arrived, rule, **kw)
    if refused(r):
        return
    check_decode(r, Bt, arrived, rule, float(kw.get("atol", 1e-8)))


# ----------------------------------------------------------------------------- outage
ROUTE_NAMES = ("auto", "blocks", "threshold", "family", "ring-s1", "enumeration")


def outage_kwargs(data: Any, what: str) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    if data.draw(st.booleans()):
        kw["method"] = maybe(data.draw, data.draw(st.sampled_from(["auto", "exact", "float"])))
    if what in ("cogc", "gcplus", "gcplus_distribution") and data.draw(st.booleans()):
        kw["route"] = maybe(data.draw, data.draw(st.sampled_from(ROUTE_NAMES)))
    if what in ("cogc", "gcplus") and data.draw(st.booleans()):
        kw["symbolic"] = maybe(data.draw, data.draw(st.booleans()))
    return kw


def affordable(net: Any) -> bool:
    """A GC+ enumeration of ``net`` is small, or so large that it must be refused at once."""
    n = states_count(net)
    return n <= MAX_PATTERNS or n > ENUMERATION_LIMIT


def scaled(net: Any, k: int) -> Any:
    """``net`` with ``B`` multiplied by ``2**k`` (None if that leaves the normal floats).

    Scaling rows keeps every row-space decision, so what the construction knows (``s``, the
    threshold, genericity) is carried over as :meth:`CooperativeNetwork.with_erasures` does.
    """
    B = to_float(net.B) * 2.0**k
    nz = np.abs(B[B != 0])
    if not nz.size or nz.min() < np.finfo(float).tiny or not np.isfinite(nz.max()):
        return None
    out = ct.CooperativeNetwork(B, net.p.copy(), net.eps.copy(), reciprocal=net.reciprocal)
    out.s, out.threshold = net.s, net.threshold
    out.generic, out.construction = net.generic, net.construction
    return out


OUTAGE_FUNCTIONS = ("cogc", "gcplus", "gcplus_distribution", "decodable_family", "explain",
                    "cogc_formula", "gcplus_formula", "gcplus_polynomial")


@fuzz_test(examples=40)
def outage_exact(data: Any) -> None:
    """Every exact outage function on one fuzzed network (skipping unaffordable GC+ work)."""
    net = data.draw(networks())
    if refused(net):
        return
    for what in OUTAGE_FUNCTIONS:
        if what.startswith("gcplus") and not affordable(net):
            continue
        check_outage_call(data, net, what)


def check_outage_call(data: Any, net: Any, what: str) -> None:
    syms = tuple(net.symbols)
    kw = outage_kwargs(data, what)
    fn = getattr(ct.outage, what)
    if what == "explain":
        quantity = maybe(data.draw, data.draw(st.sampled_from(["cogc", "gcplus",
                                                                "distribution"])))
        if quantity != "cogc" and not affordable(net):
            return
        route = attempt(fn, net, quantity,
                        route=maybe(data.draw, data.draw(st.sampled_from(ROUTE_NAMES))))
        if not refused(route):
            assert route.name in ct.outage._routes.ROUTES[route.quantity]
            assert str(route)
        return
    if what == "gcplus_distribution" and data.draw(st.booleans()):
        kw["exact"] = maybe(data.draw, data.draw(st.booleans()))
    if what == "gcplus_distribution" and data.draw(st.booleans()):
        kw["rules"] = maybe(data.draw, tuple(data.draw(st.lists(
            st.sampled_from(("max-subset", "individual", "least-squares")), max_size=3))))
    if what == "decodable_family":
        kw.update({k: v for k, v in tolerances(data.draw).items()})
    if what == "gcplus_polynomial":
        kw.pop("method", None)
        if data.draw(st.booleans()):
            kw["event"] = maybe(data.draw, data.draw(st.sampled_from(
                ["no-full", "full", "total-individual"])))
        if data.draw(st.booleans()):
            kw["p"], kw["eps"] = data.draw(probabilities()), data.draw(probabilities())
            syms = syms + tuple(sp.sympify(kw["p"]).free_symbols) + \
                tuple(sp.sympify(kw["eps"]).free_symbols) \
                if isinstance(kw["p"], sp.Basic) or isinstance(kw["eps"], sp.Basic) else syms
    res = attempt(fn, net, **kw)
    if refused(res):
        return
    if what in ("cogc", "gcplus"):
        assert_probability(res, f"outage.{what}", syms)
        if net.is_symbolic or kw.get("symbolic") is True:
            return
        # the same number by the symbolic route (exact rational arithmetic or sympy floats)
        sym = attempt(fn, net, symbolic=True)
        if not refused(sym):
            # both are sums of at most 2**12 products of probabilities: the float one is
            # within 1e-12 of the exact value
            assert abs(float(sym) - res) <= 1e-9, (float(sym), res)
        k = data.draw(st.integers(-1000, 1000))
        other = scaled(net, k) if net.B_exact is None else None
        if other is not None:
            again = attempt(fn, other, **kw)
            assert not refused(again), again
            # the row-space decisions are invariant to power-of-two scaling; the sum of the
            # same probabilities in the same order then gives the same float
            assert abs(again - res) <= 1e-12, (k, again, res)
    elif what == "gcplus_distribution":
        for name in ("full", "no_full"):
            assert_probability(getattr(res, name) if not isinstance(getattr(res, name),
                                                                    np.floating)
                               else float(getattr(res, name)), name, syms)
        assert abs(float(res.full) + float(res.no_full) - 1) <= 1e-9
        for rule, pmf in res.size_pmf.items():
            assert len(pmf) == net.M + 1
            assert_pmf(pmf, f"size_pmf[{rule}]")
            assert abs(float(res.partial[rule]) + float(res.total[rule]) + float(res.full)
                       - 1) <= 1e-9
    elif what == "decodable_family":
        if res.table is not None:
            assert res.table.shape == (2,) * net.M and res.table.dtype == bool
            for b in range(net.M):       # adding a client never loses decodability
                assert np.all(res.table.take(0, axis=b) <= res.table.take(1, axis=b))
        if res.threshold is not None:     # M + 1: the empty family
            assert 0 <= res.threshold <= net.M + 1
    elif what in ("cogc_formula", "gcplus_formula"):
        assert isinstance(res.expr, sp.Basic) and isinstance(res.latex, str)
        vals = [data.draw(st.floats(0, 1)) for _ in res.symbols]
        v = attempt(res.func, *vals)
        assert not refused(v), v
        assert -1e-9 <= float(v) <= 1 + 1e-9
    elif what == "gcplus_polynomial":
        assert isinstance(res, sp.Basic)
        assert_probability(res, "gcplus_polynomial", syms)


@fuzz_test(examples=40)
def outage_precision(data: Any) -> None:
    net = data.draw(networks(symbols=False, max_M=5))
    if refused(net):
        if data.draw(st.booleans()):
            x = data.draw(scalars())
            v = attempt(ct.outage.precision.to_mpf, x)
            if not refused(v):
                assert v == v and abs(v) != float("inf"), f"to_mpf({x!r}) = {v}"
        return
    which = data.draw(st.sampled_from(["cogc", "gcplus", "float64_naive_cogc"]))
    if which == "gcplus" and not (states_count(net) <= 2_000
                                  or states_count(net) > ENUMERATION_LIMIT):
        return
    kw: dict[str, Any] = {}
    if which != "float64_naive_cogc":
        if data.draw(st.booleans()):
            kw["rel_tol"] = data.draw(st.one_of(st.sampled_from([1e-10, 1e-3, 1e-30]),
                                                scalars()))
        if data.draw(st.booleans()):
            kw["dps"] = data.draw(ints(15, 60, (1000, 1001, 14)))
    res = attempt(getattr(ct.outage.precision, which), net, **kw)
    if refused(res):
        return
    v = float(res)
    assert math.isfinite(v) and 0 <= v <= 1, res
    ref = attempt(ct.outage.cogc if which != "gcplus" else ct.outage.gcplus, net)
    if not refused(ref) and which != "float64_naive_cogc":
        # the float routes are accurate to about 1e-15 absolute for these sizes
        assert abs(v - ref) <= 1e-9, (v, ref)


# ----------------------------------------------------------------------------- channels
@fuzz_test(examples=100)
def channels_and_fading(data: Any) -> None:
    C = ct.channels
    positive = st.one_of(st.sampled_from([1.0, 10.0, 1e-300, 1e300, 5e-324, 1e155]),
                         st.floats(1e-3, 1e3), scalars(),
                         st.lists(st.floats(1e-3, 1e3), min_size=1, max_size=3).map(np.array),
                         st.sampled_from([sp.Symbol("snr", positive=True), Q]))
    which = data.draw(st.sampled_from(["snr_threshold", "rayleigh_erasure", "path_loss",
                                       "mean_snr", "erasures_from_positions",
                                       "fading_network"]))
    if which == "snr_threshold":
        res = attempt(C.snr_threshold, data.draw(positive))
    elif which == "rayleigh_erasure":
        res = attempt(C.rayleigh_erasure, data.draw(positive),
                      **({"rate": data.draw(positive)} if data.draw(st.booleans()) else {}))
        if not refused(res):
            for x in np.atleast_1d(np.asarray(res, dtype=object)).ravel():
                if isinstance(x, sp.Basic) and x.free_symbols:
                    continue
                assert_probability(float(x), "rayleigh_erasure")
            return
    elif which == "path_loss":
        res = attempt(C.path_loss, data.draw(positive),
                      **({"alpha": data.draw(positive)} if data.draw(st.booleans()) else {}))
    elif which == "mean_snr":
        res = attempt(C.mean_snr, data.draw(positive), data.draw(positive))
    else:
        M = data.draw(st.integers(1, 5))
        pos = np.array(data.draw(st.lists(st.floats(-10, 10), min_size=2 * M,
                                          max_size=2 * M))).reshape(M, 2)
        pos = pos * data.draw(st.sampled_from([1.0, 1e-300, 1e300, 1e155, 1e-160]))
        pos = corrupt(data.draw, pos)
        ps = maybe(data.draw, [data.draw(st.floats(-10, 10)), 20.0])
        snr = data.draw(positive)
        if which == "erasures_from_positions":
            res = attempt(C.erasures_from_positions, pos, ps, snr)
            if not refused(res):
                for x in np.concatenate([np.ravel(res[0]), np.ravel(res[1])]):
                    if not (isinstance(x, sp.Basic) and x.free_symbols):
                        assert_probability(float(x), "erasure from positions")
            return
        B = ct.codes.cyclic_repetition(M, min(1, M - 1)) if M > 1 else np.eye(1)
        kw = {"positions": pos, "ps_position": ps} if data.draw(st.booleans()) else {}
        if data.draw(st.booleans()):
            kw["snr"] = snr
        net = attempt(ct.outage.fading.fading_network, B, **kw)
        if refused(net) or not net.is_symbolic or len(net.symbols) != 1:
            return
        dec = data.draw(st.sampled_from(["standard", "gcplus"]))
        if dec == "gcplus" and states_count(net) > MAX_PATTERNS:
            return
        div = attempt(ct.outage.fading.diversity, net, dec)
        if not refused(div):
            assert isinstance(div.order, int) and 0 <= div.order <= net.M * (net.M + 1)
        return
    if refused(res):
        return
    for x in np.atleast_1d(np.asarray(res, dtype=object)).ravel():
        if isinstance(x, sp.Basic) and x.free_symbols:
            continue
        v = float(x)
        assert math.isfinite(v) and v >= 0, f"{which} = {res}"


# ----------------------------------------------------------------------------- simulation
def trials_arg(data: Any) -> Any:
    if rare(data.draw):
        return data.draw(st.sampled_from([0, -1, 10**12 + 1, 10**15, 100.0, None, "10"]))
    return data.draw(st.integers(1, 1000))


def mc_options(data: Any) -> dict[str, Any]:
    """Options of the Monte Carlo drivers: valid values mostly, extremes and junk rarely."""
    kw: dict[str, Any] = {}
    options = {
        "seed": (st.integers(0, 2**70), (-1, 1.5, None)),
        "chunk": (st.integers(1, 500), (0, 10**7 + 1)),
        "target_failures": (st.integers(1, 50), (0,)),
        "rel_error": (st.sampled_from([0.1, 0.5, 2.0]), (0.0, -0.0, 1e-300, math.nan)),
        "max_trials": (st.integers(1, 1000), (10**15, 0, 1.5)),
        "level": (st.sampled_from([0.95, 0.5, 0.999]), (1.0, 1 - 1e-16, 0.0, math.nan)),
        "max_patterns": (st.integers(0, 20), (-1, 10**12)),
        "batch_size": (st.integers(1, 8), (0, 10**12)),
    }
    for key, (good, bad) in options.items():
        if rare(data.draw, 2):
            kw[key] = data.draw(st.sampled_from(bad)) if rare(data.draw, 2) else \
                maybe(data.draw, data.draw(good))
    return kw


@fuzz_test(examples=60)
def simulate_outage(data: Any) -> None:
    net = data.draw(networks(symbols=False))
    if refused(net):
        net = data.draw(st.one_of(junk(), st.just(np.eye(3))))
    decoder = maybe(data.draw, data.draw(st.sampled_from(["standard", "gcplus"])))
    kw = mc_options(data)
    if data.draw(st.booleans()):
        kw["rule"] = maybe(data.draw, data.draw(st.sampled_from(RULES)))
    trials = trials_arg(data)
    if data.draw(st.booleans()):
        kw.pop("rel_error", None)
        kw.pop("target_failures", None)
        kw["ci_method"] = maybe(data.draw, data.draw(st.sampled_from(
            ["wilson", "wilsoncc", "clopper-pearson", "exact"])))
        est = attempt(ct.simulate.outage, net, decoder, trials, **kw)
        cap = trials
    else:
        for key in ("rel_error",):
            kw.pop(key, None)
        if data.draw(st.booleans()):
            kw["tilt"] = data.draw(st.one_of(st.sampled_from(["auto", 1.0, 2.0, 8.0]),
                                             scalars()))
        kw["pilot"] = data.draw(ints(100, 300))
        est = attempt(ct.simulate.importance_outage, net, decoder, trials, **kw)
        cap = trials
    if refused(est):
        return
    check_estimate(est, cap if isinstance(cap, int) and not kw.get("max_trials") else None)


def _mc_callable(kind: str) -> Callable[..., Any]:
    def f(n: int, point: Any, rng: np.random.Generator) -> Any:
        x = rng.random(n) < 0.3
        if kind == "bool":
            return x
        if kind == "dict":
            return {"failures": x, "patterns": rng.random((n, 2)) < 0.5,
                    "cost": rng.random(n)}
        if kind == "weights":
            return {"failures": x, "weights": rng.random(n) * 2}
        if kind == "float":
            return x.astype(float)
        if kind == "short":
            return x[:-1]
        if kind == "none":
            return None
        if kind == "nanextra":
            return {"failures": x, "cost": np.full(n, np.nan)}
        return {"failures": x, "weights": np.full(n, -1.0)}

    return f


@fuzz_test(examples=80)
def simulate_run_mc(data: Any) -> None:
    if rare(data.draw, 2):
        kind = data.draw(st.sampled_from(["float", "short", "none", "nanextra", "badweights"]))
    else:
        kind = data.draw(st.sampled_from(["bool", "dict", "weights"]))
    f = data.draw(junk()) if rare(data.draw, 4) else _mc_callable(kind)
    kw = mc_options(data)
    kw["max_trials"] = data.draw(st.sampled_from([0, 10**15, 1.5])) if rare(data.draw) else \
        data.draw(st.integers(1, 1000))
    if data.draw(st.booleans()):
        kw["points"] = maybe(data.draw, data.draw(st.lists(st.integers(0, 3), max_size=3)))
    if data.draw(st.booleans()):
        kw["skip_after_zero"] = maybe(data.draw, data.draw(st.booleans()))
    if data.draw(st.booleans()):
        kw["workers"] = data.draw(ints(1, 2, (10**6,)))
    if data.draw(st.booleans()):
        kw["stop"] = maybe(data.draw, data.draw(st.one_of(
            st.builds(ct.simulate.TargetFailures, st.integers(1, 20)),
            st.builds(ct.simulate.MaxTrials, st.integers(1, 500)),
            st.builds(ct.simulate.RelativeError, st.floats(0.05, 1)))))
    res = attempt(ct.simulate.run_mc, f, **kw)
    if refused(res):
        return
    for est in res.estimates:
        check_estimate(est, kw["max_trials"])
        for name, total in est.totals.items():
            assert np.all(np.isfinite(total)), f"total {name} = {total} is not finite"


@fuzz_test(examples=40)
def simulate_train(data: Any) -> None:
    net = data.draw(networks(symbols=False, max_M=5))
    if refused(net):
        return
    problem = maybe(data.draw, data.draw(st.sampled_from(["least-squares",
                                                          "synthetic-logistic"])))
    kw: dict[str, Any] = {
        "problem_options": maybe(data.draw, {"n_train": data.draw(st.integers(20, 60)),
                                             "n_features": data.draw(st.integers(1, 4))}, 5),
        "rounds": data.draw(ints(0, 3, (10**12,))),
        "trials": data.draw(ints(1, 3, (10**12,))),
    }
    kw.update(options(data, {
        "scheme": (st.sampled_from(TRAINING_SCHEMES + ("gcplus-max-subset", "standard")),
                   ("x", None)),
        "eta": (st.sampled_from([0.1, 1e-300, 1.0]), (0.0, math.nan, 1e300, 10**400)),
        "split": (st.sampled_from(["iid", "dirichlet"]), ("x",)),
        "alpha": (st.sampled_from([0.5, 1e-300, 1e300]), (0.0, math.nan, 10**400)),
        "seed": (st.integers(0, 10), (-1, 2.5)),
        "renormalize": (st.booleans(), (1, None)),
        "w0": (st.just(None), (np.zeros(3), [math.nan])),
    }))
    if isinstance(kw["problem_options"], dict) and rare(data.draw, 2):
        key = data.draw(st.sampled_from(["noise", "lam", "test_fraction", "weighting",
                                         "data_seed"]))
        kw["problem_options"][key] = data.draw(scalars()) if rare(data.draw) else \
            data.draw(st.sampled_from([0.0, 1e-300, 1e300, 1e155, 0.5, 1e100]))
    run = attempt(ct.simulate.train, net, problem, **kw)
    if refused(run):
        return
    T, R = kw["trials"], kw["rounds"]
    assert run.loss.shape == (T, R + 1)
    assert np.all(np.isfinite(run.loss)), "training returned a non-finite loss"
    assert run.outcome.shape == run.recovered_size.shape == (T, R)
    assert np.all((run.recovered_size >= 0) & (run.recovered_size <= net.M))
    assert np.all(np.isfinite(run.w_final))


@fuzz_test(examples=30)
def simulate_make_problem(data: Any) -> None:
    name = maybe(data.draw, data.draw(st.sampled_from(["least-squares", "synthetic-logistic",
                                                       "digits"])))
    kw: dict[str, Any] = {"M": data.draw(ints(1, 6, (5000,)))}
    kw.update(options(data, {
        "split": (st.sampled_from(["iid", "dirichlet"]), ("x", None)),
        "alpha": (st.sampled_from([0.5, 1e-300, 1e300, 2.0]), (0.0, -1.0, math.nan, 10**400)),
        "lam": (st.sampled_from([0.0, 0.01, 1e300, 1e-300]), (-1.0, math.inf, 10**400)),
        "weighting": (st.sampled_from(["clients", "samples"]), ("x",)),
        "test_fraction": (st.sampled_from([0.2, 0.5, 1e-300, 1 - 1e-16]), (0.0, 1.0, 0j)),
        "n_train": (st.integers(2, 60), (1, 10**12)),
        "n_features": (st.integers(1, 4), (0, 10**9)),
        "noise": (st.sampled_from([0.0, 0.5, 1e100, 1e-300]), (1e300, -1.0, 10**400)),
        "data_seed": (st.integers(0, 3), (-1, 2.5)),
    }))
    if name != "digits":
        kw.setdefault("n_train", 40)
        kw.setdefault("n_features", 3)
    prob = attempt(ct.simulate.make_problem, name, **kw)
    if refused(prob):
        return
    assert prob.M == kw["M"]
    L, mu = prob.smoothness(), prob.strong_convexity()
    assert math.isfinite(L) and L > 0 and math.isfinite(mu) and 0 <= mu <= L * (1 + 1e-9)
    opt = attempt(prob.optimum)         # refused for logistic problems with lam = 0
    if not refused(opt):
        w, F = opt
        assert np.all(np.isfinite(w)) and math.isfinite(F)
        assert np.all(np.isfinite(prob.gradient(np.zeros_like(w))))


@fuzz_test(examples=60)
def simulate_helpers(data: Any) -> None:
    which = data.draw(st.sampled_from(["iid_split", "dirichlet_split", "link_draws"]))
    rng = data.draw(st.one_of(st.integers(0, 3).map(np.random.default_rng), scalars()))
    if which == "iid_split":
        res = attempt(ct.simulate.iid_split, data.draw(ints(1, 30)), data.draw(ints(1, 6)), rng)
        if not refused(res):
            assert res.dtype.kind in "iu"
    elif which == "dirichlet_split":
        labels = data.draw(st.one_of(st.lists(st.integers(0, 2), max_size=30), junk()))
        res = attempt(ct.simulate.dirichlet_split, labels, data.draw(ints(1, 4)),
                      data.draw(st.one_of(st.sampled_from([0.5, 1e-300, 1e300]), scalars())),
                      rng, max_tries=data.draw(ints(0, 50)))
        if not refused(res):
            assert len(res) == len(labels)
    else:
        net = data.draw(networks(symbols=False, max_M=4))
        if refused(net):
            return
        res = attempt(ct.simulate.link_draws, net, data.draw(ints(0, 5, (10**12,))),
                      data.draw(ints(1, 5, (10**12,))), seed=data.draw(st.integers(0, 5)))
        if not refused(res):
            assert res.tau.dtype == bool and res.u.dtype == bool


# ----------------------------------------------------------------------------- bounds
BOUND_CONSTANTS = ("T", "eta", "L", "mu", "sigma2", "zeta2", "Delta0", "M")


def constant(data: Any, name: str) -> Any:
    if name == "T":
        return data.draw(st.sampled_from([10**12, -1, 2.5, 10**400])) if rare(data.draw) \
            else data.draw(st.integers(0, 50))
    if name == "M":
        return data.draw(ints(1, 6))
    if rare(data.draw):
        return data.draw(st.one_of(scalars(), st.sampled_from([1e300, 1.7e308, 10**400])))
    return data.draw(st.one_of(st.sampled_from([0.0, 0.1, 0.5, 1.0, 1e-300]), st.floats(0, 1)))


def valid_constants(data: Any) -> dict[str, Any]:
    """Problem constants satisfying the bounds' assumptions: 0 < mu <= L, 0 < eta <= 1/L."""
    L_ = data.draw(st.sampled_from([1.0, 2.0, 1e-3, 1e3]))
    return {"T": data.draw(st.integers(0, 50)), "L": L_,
            "mu": L_ * data.draw(st.sampled_from([1.0, 0.5, 0.01, 1e-12])),
            "eta": data.draw(st.sampled_from([1.0, 0.5, 0.1, 1e-6])) / L_,
            "sigma2": data.draw(st.sampled_from([0.0, 0.1, 1.0, 1e6])),
            "zeta2": data.draw(st.sampled_from([0.0, 0.1, 1.0])),
            "Delta0": data.draw(st.sampled_from([1.0, 1e-300, 1e300, 0.0]))}


@fuzz_test(examples=80)
def bounds_linear(data: Any) -> None:
    scheme = maybe(data.draw, data.draw(st.sampled_from(["cogc", "gcplus", "ideal"])))
    fn = data.draw(st.sampled_from([ct.bounds.strongly_convex, ct.bounds.nonconvex]))
    kw: dict[str, Any] = {}
    source = data.draw(st.sampled_from(["P_out", "net", "size_pmf", "both", "none"]))
    if source in ("P_out", "both"):
        kw["P_out"] = data.draw(probabilities())
        kw["M"] = data.draw(ints(1, 6, (10**12,)))
    if source in ("net", "both"):
        net = data.draw(networks(symbols=False, max_M=4))
        if not refused(net) and states_count(net) <= MAX_PATTERNS:
            kw["net"] = net
    if source == "size_pmf":
        n = data.draw(st.integers(0, 6))
        kw["size_pmf"] = maybe(data.draw, list(np.random.default_rng(n).dirichlet(
            np.ones(n + 1))) if n else [])
    if fn is ct.bounds.strongly_convex and data.draw(st.booleans()):
        kw["method"] = maybe(data.draw, data.draw(st.sampled_from(["descent", "pep"])))
    b = attempt(fn, scheme, **kw)
    if refused(b):
        return
    if "net" in kw and "P_out" in kw:
        pytest.fail("a bound given both net= and P_out= must refuse (one would be ignored)")
    assert isinstance(b.latex, str) and isinstance(b.expr, sp.Basic)
    values = valid_constants(data)
    for name in BOUND_CONSTANTS:                 # one or two odd values now and then
        if rare(data.draw, 4):
            values[name] = constant(data, name)
    v = attempt(b, **values)
    if not refused(v):
        v = float(v)
        assert math.isfinite(v) and v >= 0, f"bound value {v} for {values}"
    target = data.draw(scalars()) if rare(data.draw) else data.draw(st.sampled_from(
        [1e-3, 1e-300, 0.5, 10.0]))
    rest = {k: x for k, x in values.items() if k != "T"}
    if hasattr(b, "rounds_to_accuracy"):
        n = attempt(b.rounds_to_accuracy, target, **rest)
        if not refused(n):
            assert (isinstance(n, int) and n >= 0) or n == math.inf, n


@fuzz_test(examples=40)
def bounds_law_and_distance(data: Any) -> None:
    net = data.draw(networks(symbols=False, max_M=4))
    if refused(net) or states_count(net) > MAX_PATTERNS:
        net = data.draw(junk())
    scheme = maybe(data.draw, data.draw(st.sampled_from(["ideal", "cogc", "gcplus", "fedavg",
                                                         "gc"])))
    rule = maybe(data.draw, data.draw(st.sampled_from(["auto", "max-subset", "individual"])))
    law = attempt(ct.bounds.recovery_law, net, scheme, rule=rule)
    if refused(law):
        return
    M = law.M
    assert_pmf(law.size_pmf, "recovery law size_pmf")
    assert_probability(float(law.P_outage), "P_outage")
    assert_probability(float(law.P_full), "P_full")
    assert np.all((law.pi >= -1e-12) & (law.pi <= 1 + 1e-12)) and law.pi.shape == (M,)
    assert law.W2.shape == (M, M) and np.all(np.isfinite(law.W2))
    # set_prob holds the partial sets only: with the full and empty sets they sum to one
    assert np.all(law.set_prob >= 0)
    assert abs(law.set_prob.sum() + law.P_full + law.P_outage - 1) <= 1e-9
    db = attempt(ct.bounds.gcplus_distance, law)
    if refused(db):
        return
    consts = {"D0": 1.0, "eta": 0.5, "L": 1.0, "mu": 0.1, "zeta2_star": 0.1, "delta2": 0.5,
              "client_mu": 0.0, "client_L": 1.0}
    for key in list(consts):
        if data.draw(st.integers(0, 3)) == 0:
            consts[key] = constant(data, "eta")
    v = attempt(db, data.draw(st.one_of(st.integers(0, 30), scalars())), **consts)
    if not refused(v):
        assert math.isfinite(float(v)) and float(v) >= 0, v
    fl = attempt(db.floor, **{k: x for k, x in consts.items() if k != "D0"})
    if not refused(fl):
        assert float(fl) >= 0 and not math.isnan(float(fl))


@fuzz_test(examples=80)
def bounds_helpers(data: Any) -> None:
    which = data.draw(st.sampled_from(["one_round", "outcome_step", "solve_linear_recursion",
                                       "outcome_probabilities"]))
    value = st.one_of(st.sampled_from([0.5, sp.Rational(1, 3), P, EVAL_TEXT, "x", math.nan,
                                       sp.zoo, sp.nan, 1.0, 2]), scalars())
    if which == "one_round":
        P_list = data.draw(st.one_of(st.lists(probabilities(), max_size=4), junk(),
                                     st.lists(value, max_size=3)))
        res = attempt(ct.bounds.one_round, P_list,
                      **({"M": data.draw(ints(1, 6))} if data.draw(st.booleans()) else {}))
    elif which == "outcome_step":
        res = attempt(ct.bounds.outcome_step, data.draw(value), data.draw(value))
    elif which == "solve_linear_recursion":
        res = attempt(ct.bounds.solve_linear_recursion, data.draw(value), data.draw(value),
                      data.draw(value))
    else:
        res = attempt(ct.bounds.outcome_probabilities,
                      maybe(data.draw, data.draw(st.sampled_from(["cogc", "gcplus"]))),
                      P_out=data.draw(probabilities()), M=data.draw(ints(1, 6, (10**12,))))
        if not refused(res):
            total = sp.nsimplify(sum(sp.sympify(x) for x in res))
            if not total.free_symbols:               # symbols P_0..P_M: nothing to sum
                assert abs(float(total) - 1) <= 1e-9, res
        return
    if refused(res):
        return
    for x in (res if isinstance(res, tuple) else (res,)):
        assert isinstance(x, sp.Basic), x
        assert not x.has(sp.nan, sp.zoo), f"{which} returned {x}"
        assert all(isinstance(s, sp.Symbol) for s in x.free_symbols)


# ----------------------------------------------------------------------------- exact
@fuzz_test(examples=100)
def exact_linear_algebra(data: Any) -> None:
    rows, cols = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    vals = data.draw(st.lists(st.one_of(st.integers(-3, 3), st.fractions(-2, 2, max_denominator=5)),
                              min_size=rows * cols, max_size=rows * cols))
    A = corrupt(data.draw, np.array(vals, dtype=object).reshape(rows, cols))
    t = data.draw(st.one_of(st.lists(st.integers(-2, 2), min_size=cols, max_size=cols),
                            junk()))
    which = data.draw(st.sampled_from(["in_rowspace", "rank", "nullspace", "rref",
                                       "solve_left", "project_rowspace"]))
    fn = getattr(ct.exact, which)
    res = attempt(fn, A, t) if which in ("in_rowspace", "solve_left", "project_rowspace") \
        else attempt(fn, A)
    if refused(res):
        return
    Af = to_fractions(A)
    # a "ragged" corruption of one row is a smaller matrix; a scalar target is a 1-vector
    rows, cols = Af.shape
    if which in ("in_rowspace", "solve_left"):
        t = np.ravel(np.asarray(t, dtype=object))
    if which == "in_rowspace":
        ok, w = res
        if ok:
            assert all(sum(w[i] * Af[i, j] for i in range(rows)) == Fraction(t[j])
                       for j in range(cols))
    elif which == "solve_left" and res is not None:
        assert all(sum(res[i] * Af[i, j] for i in range(rows)) == Fraction(t[j])
                   for j in range(cols))
    elif which == "rank":
        assert 0 <= res <= min(rows, cols)
    elif which == "nullspace":
        for v in res:
            assert all(sum(Af[i, j] * v[j] for j in range(cols)) == 0 for i in range(rows))


# ----------------------------------------------------------------------------- scenario, config
SCENARIO_KEYS = ("M", "s", "code", "uplink_erasure", "link_erasure", "p", "eps", "code_seed",
                 "exact", "construction", "reciprocal", "decoder", "rule", "trials", "seed",
                 "rounds", "problem", "scheme", "other")


def mapping(data: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    """A scenario mapping: consistent values for some of ``keys``, rarely one odd value."""
    M = data.draw(st.integers(1, 6))
    good = {"M": st.just(M), "s": st.integers(0, M - 1),
            "code": st.sampled_from(["cyclic", "fractional"]),
            "p": probabilities(False), "eps": probabilities(False),
            "uplink_erasure": probabilities(), "link_erasure": probabilities(),
            "code_seed": st.integers(0, 3), "exact": st.booleans(),
            "construction": st.sampled_from(["optimized", "gaussian", None]),
            "reciprocal": st.booleans(),
            "decoder": st.sampled_from(["standard", "gcplus", "both"]),
            "rule": st.sampled_from(RULES), "trials": st.integers(1, 1000),
            "seed": st.integers(0, 3), "rounds": st.integers(0, 5),
            "problem": st.sampled_from(["digits", "least-squares"]),
            "scheme": st.sampled_from(TRAINING_SCHEMES)}
    out = {"M": M, "s": data.draw(good["s"])}
    for key in keys:
        if key in good and key not in out and data.draw(st.booleans()):
            out[key] = data.draw(good[key])
    if "p" in out and "uplink_erasure" in out:
        del out["uplink_erasure"]
    if "eps" in out and "link_erasure" in out:
        del out["link_erasure"]
    if rare(data.draw, 2):
        key = data.draw(st.sampled_from(keys))
        out[key] = data.draw(st.sampled_from([10**12, 10**400, -1, math.nan, "x", None, 1.5,
                                              [0.1] * 7])) if data.draw(st.booleans()) \
            else data.draw(junk())
    return out


@fuzz_test(examples=80)
def scenario_and_config(data: Any) -> None:
    which = data.draw(st.sampled_from(["spec", "spec_mapping", "scenario", "study"]))
    m = mapping(data, SCENARIO_KEYS)
    if which == "spec":
        m.pop("p", None), m.pop("eps", None), m.pop("other", None)
        for key in ("decoder", "rule", "trials", "seed", "rounds", "problem", "scheme"):
            m.pop(key, None)
        spec = attempt(lambda: ct.scenario.NetworkSpec(**m))
    elif which == "spec_mapping":
        spec = attempt(ct.scenario.NetworkSpec.from_mapping,
                       maybe(data.draw, m, 5), name="point")
    elif which == "scenario":
        m = {k: v for k, v in m.items() if k not in ("uplink_erasure", "link_erasure")}
        sc = attempt(ct.config.Scenario.from_mapping, maybe(data.draw, m, 5))
        if refused(sc):
            return
        assert ct.config.Scenario.from_mapping(sc.to_dict()) == sc
        spec = attempt(sc.spec)
    else:
        st_map = options(data, {
            "M": (st.integers(4, 12), (1, 10**15, 2.5)),
            "s_values": (st.lists(st.integers(1, 3), min_size=1, max_size=3), ([], [10**12])),
            "p_grid": (st.lists(st.floats(0, 1), min_size=1, max_size=3), ([math.nan], [2])),
            "eps_grid": (st.lists(st.floats(0, 1), min_size=1, max_size=3), ([-1.0],)),
            "mc_trials": (st.integers(1, 10**6), (0, 10**15)),
            "snr_db": (st.lists(st.floats(-10, 40), min_size=1, max_size=3), ([1e300],)),
            "rate": (st.floats(0.1, 10), (0.0, 1e300, math.inf)),
            "schemes": (st.lists(st.sampled_from(TRAINING_SCHEMES), min_size=1, max_size=3),
                        (["x"], [])),
            "train_trials": (st.integers(1, 50), (0, 10**15)),
            "rounds": (st.integers(1, 300), (0, 10**15)),
            "validation_fwer": (st.floats(1e-6, 0.5), (0.0, 1.0, math.nan)),
            "seed": (st.integers(0, 10), (-1, "x")),
            "other": (st.integers(), (None,)),
        })
        study = attempt(ct.config.Study.from_mapping, st_map)
        if not refused(study):
            assert ct.config.Study.from_mapping(study.to_dict()) == study
        return
    if refused(spec):
        return
    if spec.code == "fractional" or spec.M <= 6:
        net = attempt(spec.network)
        if not refused(net):
            assert net.M == spec.M


# ----------------------------------------------------------------------------- sweeps
@fuzz_test(examples=80)
def sweep_planning(data: Any) -> None:
    if rare(data.draw, 2):
        grid: Any = data.draw(junk())
    else:
        M = data.draw(st.integers(2, 6))
        grid = {"M": M, "s": data.draw(st.lists(st.integers(0, M - 1), min_size=1,
                                                  max_size=3))}
        grid.update(options(data, {
            "p": (st.lists(st.floats(0, 1), min_size=1, max_size=3), ([math.nan], [])),
            "eps": (st.lists(st.floats(0, 1), min_size=1, max_size=3), ([2.0],)),
            "code": (st.sampled_from(["cyclic", "fractional"]), ("x",)),
            "decoder": (st.sampled_from(["standard", "gcplus", "both"]), ("x",)),
            "trials": (st.integers(1, 1000), (10**15, 0)),
            "foo": (st.integers(), (None,)),
        }))
    if rare(data.draw, 4):                         # a grid of a billion points
        grid = {f"k{i}": list(range(10)) for i in range(9)}
    points = attempt(ct.sweep.expand_grid, grid)
    if not refused(points):
        assert isinstance(points, list) and all(isinstance(p, dict) for p in points)
    task_name = maybe(data.draw, data.draw(st.sampled_from(["outage-exact", "outage-mc",
                                                            "train"])))
    opts = {}
    if task_name == "outage-mc" and data.draw(st.booleans()):
        opts = {"trials": data.draw(ints(1, 1000, (10**15,))),
                "chunk_trials": data.draw(ints(1, 100))}
    task = attempt(ct.sweep.make_task, task_name, **opts)
    if refused(task):
        task = task_name
    plan = attempt(ct.sweep.plan_sweep, task, grid,
                   seed=data.draw(st.one_of(st.integers(0, 10), scalars())))
    if refused(plan):
        return
    assert len(plan.points) == len(plan.chunks) == len(plan.keys)
    assert all(isinstance(c, int) and c >= 1 for c in plan.chunks)
    assert sum(plan.chunks) <= ct.sweep.MAX_UNITS


# ----------------------------------------------------------------------------- CLI
TOKENS = ["-M", "-s", "-p", "-e", "--trials", "--seed", "--decoder", "--rule", "--code",
          "--construction", "--exact", "--symbolic", "--precise", "--rel-tol", "--json",
          "--reciprocal", "--kind", "--eta", "--L", "--mu", "--sigma2", "--Delta0",
          "--rounds", "--target", "--latex", "--train", "--train-trials", "--problem",
          "--scheme", "--grid", "--task", "--chunk-trials", "--workers", "--quiet",
          "--vary", "--rate", "--config", "--out", "--help", "--bogus", "--", "-"]
VALUES = ["1", "2", "3", "4", "0", "-1", "0.1", "1e-300", "1e400", "nan", "inf", "1_000",
          "10000000000000000", "abc", "", "0.1,0.2", "M=4", "s=1,2", "p=0.1", "eps=nan",
          "decoder=standard", "standard", "gcplus", "both", "max-subset", "cyclic",
          "fractional", "outage-exact", "outage-mc", "train", "least-squares", "gcplus",
          "strongly-convex", "nonconvex", EVAL_TEXT, "\x00", "é", "x" * 300]
COMMANDS = ["outage", "bound", "simulate", "sweep", "plot", "prove", "validate", "report",
            "nope", "--version", "-h"]
TOML_VALUES = ["1", "4", "-1", "0.1", "nan", "inf", "1e400", '"x"', "true", "[1, 2]", "[]",
               "{a = 1}", '"__import__(\'os\')"', "[" * 600 + "]" * 600, "10000000000000000"]


def toml_text(data: Any) -> str:
    table = data.draw(st.sampled_from(["scenario", "sweep", "study", "other", "sweep.grid"]))
    lines = [f"[{table}]"]
    keys = ["M", "s", "p", "eps", "trials", "task", "out", "grid", "decoder", "code", "seed",
            "rounds", "x"]
    for key in data.draw(st.lists(st.sampled_from(keys), max_size=5, unique=True)):
        lines.append(f"{key} = {data.draw(st.sampled_from(TOML_VALUES))}")
    if data.draw(st.integers(0, 5)) == 0:
        lines.append(data.draw(st.text(max_size=20)))
    return "\n".join(lines) + "\n"


def cli_argv(data: Any) -> list[str]:
    """A command line: mostly a small valid invocation, with odd values and tokens rarely."""

    def pick(good: list[str], bad: list[str]) -> str:
        return data.draw(st.sampled_from(bad if rare(data.draw) else good))

    if rare(data.draw):
        cmd = data.draw(st.sampled_from(["prove", "validate", "report", "nope", "--version",
                                         "-h"]))
    else:
        cmd = data.draw(st.sampled_from(["outage", "bound", "simulate", "sweep", "plot"]))
    argv = [cmd]
    if cmd in ("prove", "validate", "report"):
        # these run long jobs when valid: give them only options that must be refused
        argv += data.draw(st.lists(st.sampled_from(["--trials", "-1", "--fwer", "2", "--only",
                                                    "x", "--seed", "abc"]), max_size=3))
        return argv + ["--bogus"]
    kind = None
    if cmd == "plot":
        kind = pick(["outage", "snr", "recovered"], ["x"])
        argv.append(kind)
    # small scenarios (the command-line defaults are M = 10, s = 2)
    default_size = rare(data.draw, 4)
    if not default_size:
        M = data.draw(st.integers(2, 4))
        argv += ["-M", str(M), "-s", str(data.draw(st.integers(0, min(M - 1, 2))))]
    if cmd in ("outage", "bound", "simulate", "plot"):
        for opt, good, bad in (("-p", ["0.1", "0", "1", "1e-300", "0.3"], ["nan", "2", "a"]),
                               ("-e", ["0.2", "0", "1", "5e-324"], ["-1", "inf"]),
                               ("--decoder", ["standard", "gcplus", "both"], ["x"]),
                               ("--rule", list(RULES), ["x"])):
            if data.draw(st.booleans()):
                argv += [opt, pick(good, bad)]
    if default_size and cmd in ("outage", "plot"):
        # the default scenario (M = 10, s = 2) has 5**10 client-state patterns: exact GC+
        # outage there is legitimate work of minutes, beyond this test's size bounds
        argv += ["--decoder", "standard"]
    if cmd == "outage":
        argv += data.draw(st.lists(st.sampled_from(["--json", "--symbolic", "--precise",
                                                    "--exact", "--reciprocal"]),
                                   max_size=2, unique=True))
    if cmd == "bound":
        for opt, good, bad in (("--kind", ["strongly-convex", "nonconvex"], ["x"]),
                               ("--eta", ["0.5", "1e-300", "0.1"], ["2", "nan"]),
                               ("--mu", ["0.1", "1e-12"], ["0", "1e300"]),
                               ("--rounds", ["10", "0", "100000"], ["-1"]),
                               ("--target", ["1e-3", "1e-300"], ["0"])):
            if data.draw(st.booleans()):
                argv += [opt, pick(good, bad)]
        if data.draw(st.booleans()):
            argv.append("--latex")
    if cmd == "simulate":
        argv += ["--trials", pick(["10", "200"], ["1000000000000000", "0"]),
                 "--seed", pick(["0", "7"], ["-1"])]
        if rare(data.draw, 2):
            argv += ["--train", "--problem", pick(["least-squares", "synthetic-logistic"],
                                                  ["x"]),
                     "--rounds", "2", "--train-trials", "1",
                     "--scheme", pick(["gcplus", "cogc", "fedavg"], ["x"])]
            if data.draw(st.booleans()):
                argv += ["--out", pick(["loss.csv", "d/loss.csv"], [""])]
        elif data.draw(st.booleans()):
            argv.append("--json")
    if cmd == "sweep":
        argv = ["sweep", "--task", data.draw(st.sampled_from(["outage-exact", "outage-mc"])),
                "--workers", "1", "--quiet", "--trials", "50", "--chunk-trials", "25",
                "--out", pick(["sw", "sw/a"], [""])]
        grid = [data.draw(st.sampled_from(["M=3", "M=4", "M=3,4"])),
                data.draw(st.sampled_from(["s=1", "s=0,1"])), "p=0.1", "eps=0.2"]
        if rare(data.draw, 2):
            grid[data.draw(st.integers(0, 3))] = data.draw(st.sampled_from(
                ["M=10000000", "p=nan", "x=1", "s=5", "eps=", "M=1", "decoder=x"]))
        for key in grid:
            argv += ["--grid", key]
    if cmd == "plot":
        argv += ["--out", pick(["fig/a", "a"], [""])]
        if kind != "recovered" and data.draw(st.booleans()):
            argv += ["--grid", pick(["0.1,0.2", "0,1"] if kind == "outage" else ["5,10"],
                                    ["nan", "", "x"])]
    if rare(data.draw, 2):                       # odd tokens anywhere after the command
        for _ in range(data.draw(st.integers(1, 3))):
            tok = data.draw(st.sampled_from(TOKENS))
            val = data.draw(st.one_of(st.sampled_from(VALUES), st.text(max_size=6)))
            at = data.draw(st.integers(1, len(argv)))
            argv[at:at] = [tok, val] if data.draw(st.booleans()) else [tok]
    if rare(data.draw, 2):
        argv += ["--config", data.draw(st.sampled_from(["cfg.toml", "cfg.toml", "missing.toml",
                                                        ".", "notoml.txt"]))]
    return argv


@fuzz_test(examples=100)
def cli_main(data: Any) -> None:
    argv = cli_argv(data)
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        with open("cfg.toml", "w", encoding="utf-8") as fh:
            fh.write(toml_text(data))
        with open("notoml.txt", "wb") as fh:
            fh.write(b"\xff\xfe[x\n")
        out, errs = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(errs), \
                warnings.catch_warnings():
            warnings.simplefilter("error")
            code = ct.cli.main(argv)
        assert isinstance(code, int) and code in (0, 1, 2), (argv, code)
        STATS[f"cogc {argv[0]}: " + ("returned" if code == 0 else f"exit {code}")] += 1
        err = errs.getvalue()
        if DEBUG and code:
            print(f"  {argv} -> {code}: {err.strip()[:160]}")
        assert "Traceback" not in err and "internal error" not in err, (argv, err)
        if code != 0 and "--help" not in argv and "-h" not in argv:
            lines = [x for x in err.splitlines() if x.strip()]
            assert len(lines) == 1 and lines[0].startswith("cogc: "), (argv, err)
        if code == 0 and "--json" in argv and out.getvalue().strip():
            json.loads(out.getvalue())


# ----------------------------------------------------------------------------- the tests
@pytest.mark.parametrize("name", sorted(PROPERTIES))
def test_fuzz(name: str) -> None:
    """Each property with its default number of examples (derandomised)."""
    run_property(name, 1)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PROPERTIES))
def test_fuzz_many(name: str) -> None:
    """Each property with :data:`SLOW_FACTOR` times as many examples."""
    run_property(name, SLOW_FACTOR)
