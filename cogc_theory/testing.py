r"""Property-testing tools for gradient-coding decoders: strategies and a conformance suite.

Strategies (for ``@hypothesis.given``):

* :func:`gc_matrices` — cyclic-repetition codes (Tandon et al. 2017; from
  :func:`cogc_theory.codes.cyclic_repetition` when that module is available), fractional
  repetition codes, and random rational matrices, as float arrays or exact sympy matrices;
* :func:`erasure_patterns` — link indicators :math:`\tau` and arrivals :math:`u` for a given ``B``;
* :func:`effective_matrices` — :math:`(\tilde B = B\circ\tau,\ u)` for a given ``B``;
* :func:`networks` — :class:`~cogc_theory.network.CooperativeNetwork` instances.

:func:`check_decoder` runs a conformance suite against *any* decoder with the signature of
:func:`cogc_theory.decode.gcplus` (``fn(Bt, arrived, rule=...)``) or
:func:`cogc_theory.decode.standard` (``fn(B, received)``) that returns an object with
``full``, ``recovered``, ``weights`` and ``target``. It checks, on random exact-rational codes
and erasure patterns, that

1. certificates verify: ``weights @ Bt == target`` and ``weights`` vanish on unused rows;
2. targets match the claim (all ones iff full; :math:`\mathbf 1_K` for subset rules);
3. the decisions agree with the exact rational oracle (:mod:`cogc_theory.exact`);
4. every standard success is a GC+ full recovery;
5. outcomes are monotone in arrivals (and, for standard decoding, in link successes);
6. ``max-subset`` recovers at least as many gradients as ``individual``.

GC+ outcomes are **not** monotone in link successes, so that is not checked: with Tandon et
al.'s :math:`B` and only client 2 arriving, :math:`\tilde B_2=(0,0,1)` yields :math:`g_2`, but
after the link from client 0 succeeds, :math:`\tilde B_2=(1/2,0,1)` yields nothing.

A failure raises :class:`AssertionError` naming the property and the counterexample (the
matrix, the arrivals, what the decoder returned and what was expected), after hypothesis has
shrunk it.

Examples
--------
>>> from cogc_theory import decode
>>> check_decoder(decode.gcplus, max_examples=10)
>>> check_decoder(decode.standard, kind="standard", max_examples=10)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import sympy as sp

try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "cogc_theory.testing needs hypothesis; install it with "
        "python -m pip install 'cogc-theory[test]' (or: python -m pip install hypothesis)"
    ) from exc

from . import decode as _decode

__all__ = [
    "apply_links",
    "check_decoder",
    "cyclic_exact",
    "effective_matrices",
    "erasure_patterns",
    "fractional_exact",
    "gc_matrices",
    "networks",
]

KINDS = ("cyclic", "fractional", "rational")


# ----------------------------------------------------------------------------- constructions
def cyclic_exact(M: int, s: int, seed: int = 0) -> sp.Matrix:
    r"""Exact cyclic-repetition matrix: the code module's if present, else built here.

    The local construction draws an integer :math:`H\in\mathbb Z^{s\times M}` with
    :math:`H\mathbf 1=0` and gives row :math:`m` the support :math:`\{m,\dots,m+s\}\bmod M`
    and the (rational, one-dimensional) kernel of :math:`H` restricted to it, scaled to
    :math:`B_{mm}=1`; draws are repeated until every kernel is one-dimensional with no zero
    entry (so the support is exactly cyclic). Every :math:`M-s` rows then generically span
    :math:`\ker H\ni\mathbf 1`.

    Examples
    --------
    >>> B = cyclic_exact(4, 1)
    >>> B.shape, [sum(1 for x in B.row(m) if x != 0) for m in range(4)]      # s + 1 per row
    ((4, 4), [2, 2, 2, 2])
    """
    try:
        from . import codes  # type: ignore[attr-defined]

        B = codes.cyclic_repetition(M, s, seed=seed, exact=True)
        return sp.Matrix(B)
    except (ImportError, AttributeError):
        pass
    rng = np.random.default_rng(seed)
    for _ in range(1000):
        H = rng.integers(-4, 5, size=(s, M))
        H[:, -1] = -H[:, :-1].sum(axis=1)
        Hs = sp.Matrix(H)
        B = sp.zeros(M, M)
        ok = True
        for m in range(M):
            S = [(m + j) % M for j in range(s + 1)]
            ker = Hs[:, S].nullspace()
            if len(ker) != 1 or any(x == 0 for x in ker[0]):
                ok = False
                break
            v = ker[0] / ker[0][0]
            for j, k in enumerate(S):
                B[m, k] = v[j]
        if ok:
            return B
    raise RuntimeError(f"no cyclic code found for M={M}, s={s}")  # pragma: no cover


def fractional_exact(M: int, s: int) -> sp.Matrix:
    """Fractional-repetition matrix: groups of ``s + 1`` clients, each row its group's ones.

    Examples
    --------
    >>> fractional_exact(4, 1)
    Matrix([
    [1, 1, 0, 0],
    [1, 1, 0, 0],
    [0, 0, 1, 1],
    [0, 0, 1, 1]])
    """
    if M % (s + 1):
        raise ValueError(f"fractional repetition needs (s + 1) | M, got M={M}, s={s}")
    g = np.arange(M) // (s + 1)
    return sp.Matrix((g[:, None] == g[None, :]).astype(int))


def _codes_float(M: int, s: int, seed: int) -> np.ndarray:
    """The code module's default (float) cyclic construction."""
    from . import codes

    return np.asarray(codes.cyclic_repetition(M, s, seed=seed), dtype=float)


def _as_output(B: sp.Matrix, exact: bool) -> Any:
    return sp.Matrix(B) if exact else np.array(B.tolist(), dtype=float)


# ----------------------------------------------------------------------------- strategies
def gc_matrices(min_M: int = 3, max_M: int = 6, kinds: Sequence[str] = KINDS,
                exact: bool = False) -> st.SearchStrategy:
    """Strategy for GC matrices ``B`` (M, M): float ndarray, or sympy Matrix with ``exact=True``.

    Parameters
    ----------
    min_M, max_M : int
        Range of the number of clients.
    kinds : sequence of {"cyclic", "fractional", "rational"}
        ``"cyclic"``: cyclic repetition with :math:`1\\le s\\le M-2` (the code module's float
        construction when ``exact=False``, else :func:`cyclic_exact`); ``"fractional"``:
        fractional repetition (``M`` a multiple of ``s + 1`` in the range); ``"rational"``: random
        small rationals on a random support with nonzero diagonal (not necessarily a GC
        matrix — decoders must handle any matrix).
    exact : bool
        Return sympy matrices of rationals (the exact decoding path).

    Examples
    --------
    >>> from hypothesis import find, settings
    >>> B = find(gc_matrices(kinds=("fractional",), exact=True), lambda B: B.shape[0] == 4,
    ...          settings=settings(database=None, derandomize=True))
    >>> B.shape, set(B) <= {0, 1}                   # fractional repetition: 0/1 entries
    ((4, 4), True)
    """
    bad = [k for k in kinds if k not in KINDS]
    if bad or not kinds:
        raise ValueError(f"kinds must be a non-empty subset of {KINDS}, got {tuple(kinds)}")
    if not 2 <= min_M <= max_M:
        raise ValueError(f"need 2 <= min_M <= max_M, got min_M={min_M}, max_M={max_M}")
    return _gc_matrices(min_M, max_M, tuple(kinds), exact)


@st.composite
def _gc_matrices(draw: Callable, min_M: int, max_M: int, kinds: tuple[str, ...],
                 exact: bool) -> Any:
    kind = draw(st.sampled_from(list(kinds)))
    M = draw(st.integers(min_M, max_M))
    if kind == "cyclic":
        s = draw(st.integers(1, max(1, M - 2)))
        seed = draw(st.integers(0, 50))
        if not exact:
            return _codes_float(M, s, seed)
        B = cyclic_exact(M, s, seed=seed)
    elif kind == "fractional":
        # s such that a multiple of s + 1 lies in [min_M, max_M] (s = M - 1, one group,
        # always qualifies), then M among those multiples
        s = draw(st.sampled_from([t for t in range(1, max_M)
                                  if min_M <= max_M // (t + 1) * (t + 1)]))
        M = draw(st.sampled_from(list(range(-(-min_M // (s + 1)) * (s + 1), max_M + 1,
                                            s + 1))))
        B = fractional_exact(M, s)
    else:
        nums = st.integers(-3, 3)
        dens = st.integers(1, 3)
        entries = draw(st.lists(st.tuples(nums, dens, st.booleans()), min_size=M * M,
                                max_size=M * M))
        B = sp.zeros(M, M)
        for i, (a, b, keep) in enumerate(entries):
            m, k = divmod(i, M)
            if m == k:
                B[m, k] = sp.Rational(a if a else 1, b)
            elif keep:
                B[m, k] = sp.Rational(a, b)
    return _as_output(B, exact)


def _support(B: Any) -> np.ndarray:
    arr = np.array(B.tolist(), dtype=float) if isinstance(B, sp.MatrixBase) else np.asarray(B)
    return arr != 0


@st.composite
def erasure_patterns(draw: Callable, B: Any) -> tuple[np.ndarray, np.ndarray]:
    r"""Strategy for ``(tau, arrived)`` for the matrix ``B``.

    ``tau`` is bool (M, M): drawn where :math:`k\in N_m` (support of ``B`` off the diagonal),
    True elsewhere (the diagonal, and links ``B`` does not use); ``arrived`` is bool (M,).

    Examples
    --------
    >>> from hypothesis import find, settings
    >>> tau, arrived = find(erasure_patterns(fractional_exact(4, 1)), lambda x: True,
    ...                     settings=settings(database=None, derandomize=True))
    >>> tau.shape, arrived.shape, bool(tau.diagonal().all())
    ((4, 4), (4,), True)
    """
    sup = _support(B)
    M = sup.shape[0]
    used = sup & ~np.eye(M, dtype=bool)
    bits = draw(st.lists(st.booleans(), min_size=int(used.sum()), max_size=int(used.sum())))
    tau = np.ones((M, M), dtype=bool)
    tau[used] = bits
    arrived = np.array(draw(st.lists(st.booleans(), min_size=M, max_size=M)), dtype=bool)
    return tau, arrived


def apply_links(B: Any, tau: np.ndarray) -> Any:
    """Effective matrix :math:`B\\circ\\tau` (sympy in, sympy out; float otherwise).

    Examples
    --------
    >>> import numpy as np
    >>> apply_links(fractional_exact(4, 1), np.eye(4, dtype=bool))     # no link succeeded
    Matrix([
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1]])
    """
    if isinstance(B, sp.MatrixBase):
        return B.multiply_elementwise(sp.Matrix(tau.astype(int)))
    return np.where(tau, np.asarray(B, dtype=float), 0.0)


@st.composite
def effective_matrices(draw: Callable, B: Any) -> tuple[Any, np.ndarray]:
    """Strategy for ``(Bt, arrived)`` with ``Bt = B * tau`` (exact if ``B`` is sympy).

    Examples
    --------
    >>> from hypothesis import find, settings
    >>> Bt, arrived = find(effective_matrices(fractional_exact(4, 1)), lambda x: x[1].sum() == 2,
    ...                    settings=settings(database=None, derandomize=True))
    >>> Bt.shape, int(arrived.sum())
    ((4, 4), 2)
    """
    tau, arrived = draw(erasure_patterns(B))
    return apply_links(B, tau), arrived


@st.composite
def networks(draw: Callable, min_M: int = 3, max_M: int = 6,
             kinds: Sequence[str] = KINDS, exact: bool = False,
             homogeneous: bool | None = None) -> Any:
    """Strategy for :class:`~cogc_theory.network.CooperativeNetwork` with numeric erasures.

    Uplink and link erasure probabilities are floats in [0, 1] (including the endpoints),
    scalar (homogeneous) or per client / per link; ``exact=True`` gives a rational ``B``
    (kept as ``net.B_exact``) and rational probabilities.

    Examples
    --------
    >>> from hypothesis import find, settings
    >>> net = find(networks(max_M=4), lambda n: n.M == 4,
    ...            settings=settings(database=None, derandomize=True))
    >>> net.M, net.is_symbolic
    (4, False)
    """
    from .network import CooperativeNetwork

    B = draw(gc_matrices(min_M=min_M, max_M=max_M, kinds=kinds, exact=exact))
    M = B.shape[0]
    if exact:
        prob = st.fractions(0, 1, max_denominator=20).map(
            lambda f: sp.Rational(f.numerator, f.denominator))
    else:
        prob = st.floats(0.0, 1.0, allow_nan=False)
    hom = draw(st.booleans()) if homogeneous is None else homogeneous
    if hom:
        p, eps = draw(prob), draw(prob)
    else:
        p = draw(st.lists(prob, min_size=M, max_size=M))
        vals = draw(st.lists(prob, min_size=M * M, max_size=M * M))
        eps = np.array(vals, dtype=object).reshape(M, M)
    return CooperativeNetwork(B, uplink_erasure=p, link_erasure=eps)


# ----------------------------------------------------------------------------- conformance suite
def _f(x: Any) -> np.ndarray:
    return np.array(np.asarray(x, dtype=object).tolist(), dtype=float)


def _fmt(B: Any) -> str:
    rows = B.tolist() if isinstance(B, sp.MatrixBase) else np.asarray(B).tolist()
    return "[" + ", ".join("[" + ", ".join(str(x) for x in r) + "]" for r in rows) + "]"


class _Case:
    """One drawn case, for messages."""

    def __init__(self, B: sp.Matrix, tau: np.ndarray, arrived: np.ndarray, extra: int,
                 flip: int | None) -> None:
        self.B, self.tau, self.arrived, self.extra, self.flip = B, tau, arrived, extra, flip
        self.M = B.shape[0]
        self.Bt = apply_links(B, tau)
        self.Bt_f = _f(self.Bt.tolist())
        sup = _support(B)
        self.complete = np.all(tau | ~sup, axis=1)
        self.received = arrived & self.complete

    def describe(self) -> str:
        return (f"B = {_fmt(self.B)}\n  tau = {self.tau.astype(int).tolist()}\n"
                f"  Bt = B * tau = {_fmt(self.Bt)}\n  arrived = {self.arrived.astype(int).tolist()}"
                f"\n  received (complete and arrived) = {self.received.astype(int).tolist()}")


def _fail(prop: str, case: _Case, detail: str) -> AssertionError:
    return AssertionError(f"check_decoder: property '{prop}' fails\n  {case.describe()}\n"
                          f"  {detail}")


def _fields(r: Any, M: int, case: _Case, who: str) -> tuple[bool, np.ndarray, np.ndarray,
                                                            np.ndarray]:
    try:
        full = bool(r.full)
        rec = np.asarray(r.recovered)
        w = _f(r.weights)
        t = _f(r.target)
    except Exception as exc:  # noqa: BLE001 - reported as a conformance failure
        raise _fail("result fields", case, f"{who}: cannot read full/recovered/weights/target "
                    f"as (M,) arrays: {exc!r}") from exc
    if rec.shape != (M,) or rec.dtype != bool or w.shape != (M,) or t.shape != (M,):
        raise _fail("result fields", case, f"{who}: recovered must be bool (M,), weights and "
                    f"target (M,); got {rec.dtype}{rec.shape}, {w.shape}, {t.shape}")
    return full, rec, w, t


def _check_certificate(prop_who: str, case: _Case, A: np.ndarray, used: np.ndarray,
                       w: np.ndarray, t: np.ndarray, tol: float) -> None:
    off = np.abs(w[~used]).max(initial=0.0)
    if off > tol:
        raise _fail("weights vanish on unused rows", case,
                    f"{prop_who}: weights={w.tolist()} nonzero on unused rows "
                    f"{np.flatnonzero(~used).tolist()}")
    scale = 1.0 + np.abs(w).sum() * max(1.0, np.abs(A).max())
    err = np.abs(w @ A - t).max()
    if not err <= tol * scale:
        raise _fail("certificate verifies", case,
                    f"{prop_who}: weights @ Bt - target has max |.| = {err:.3g} "
                    f"(weights={w.tolist()}, target={t.tolist()})")


def check_decoder(fn: Callable[..., Any], *, kind: str = "gcplus",
                  rules: Sequence[str] | None = None, max_examples: int = 50,
                  seed: int | None = 0, tol: float = 1e-7,
                  matrices: st.SearchStrategy | None = None) -> None:
    r"""Run the conformance suite against a decoder; raise :class:`AssertionError` on failure.

    Parameters
    ----------
    fn : callable
        ``kind="gcplus"``: ``fn(Bt, arrived, rule=rule)`` with float ``Bt`` (M, M) and bool
        ``arrived`` (M,); ``kind="standard"``: ``fn(B, received)``. It returns an object with
        ``full`` (bool), ``recovered`` (bool (M,)), ``weights`` and ``target`` ((M,)).
    kind : {"gcplus", "standard"}
    rules : sequence of str, optional
        GC+ rules to test (default all of :data:`cogc_theory.decode.RULES`). With both
        ``"max-subset"`` and ``"individual"``, also checks max-subset :math:`\ge` individual.
    max_examples : int
        Hypothesis examples (each calls ``fn`` a few times per rule).
    seed : int or None
        Hypothesis seed (reproducible runs); ``None`` for a random run.
    tol : float
        Certificate tolerance: :math:`\max_k|(a^\top\tilde B-t)_k|\le
        \mathrm{tol}\,(1+\lVert a\rVert_1\max(1,\max|\tilde B|))`, and ``target`` entries
        within ``tol`` of the exact oracle's.
    matrices : hypothesis strategy, optional
        Exact (sympy) matrices to test on; default ``gc_matrices(exact=True, max_M=6)``.

    Raises
    ------
    AssertionError
        Naming the violated property and the (shrunk) counterexample.

    Notes
    -----
    Call it from a plain test function, not from inside a ``@hypothesis.given`` test (hypothesis
    does not nest). The exact oracle is :func:`cogc_theory.decode.gcplus` /
    :func:`~cogc_theory.decode.standard` on the sympy matrix. For ``"max-subset"`` only
    :math:`|K|` must match the oracle (any deterministic tie-breaking is allowed);
    ``"individual"`` must match :math:`K` exactly; ``"least-squares"`` must match the
    projection target.

    Examples
    --------
    The built-in decoders pass; a decoder that always claims full recovery does not:

    >>> from cogc_theory import decode
    >>> check_decoder(decode.standard, kind="standard", max_examples=5)
    >>> import dataclasses
    >>> def overconfident(B, received):
    ...     return dataclasses.replace(decode.standard(B, received), full=True)
    >>> check_decoder(overconfident, kind="standard", max_examples=5)
    Traceback (most recent call last):
    ...
    AssertionError: check_decoder: property 'standard outcome is binary' fails...
    """
    if kind not in ("gcplus", "standard"):
        raise ValueError(f"kind must be 'gcplus' or 'standard', got {kind!r}")
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    if rules is None:
        rules = _decode.RULES if kind == "gcplus" else ()
    rules = tuple(rules)
    bad = [r for r in rules if r not in _decode.RULES]
    if bad:
        raise ValueError(f"rules must be a subset of {_decode.RULES}, got {bad}")
    if kind == "gcplus" and not rules:
        raise ValueError("rules must name at least one GC+ rule")
    mats = matrices if matrices is not None else gc_matrices(exact=True, max_M=6)

    @st.composite
    def cases(draw: Callable) -> _Case:
        B = draw(mats)
        if not isinstance(B, sp.MatrixBase):
            B = sp.Matrix(B)
        tau, arrived = draw(erasure_patterns(B))
        M = B.shape[0]
        extra = draw(st.integers(0, M - 1))
        used = np.flatnonzero(_support(B) & ~np.eye(M, dtype=bool) & ~tau)
        flip = draw(st.sampled_from(used.tolist())) if used.size else None
        return _Case(B, tau, arrived, extra, flip)

    @settings(max_examples=max_examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), derandomize=False,
              report_multiple_bugs=False)
    @given(case=cases())
    def run(case: _Case) -> None:
        if kind == "gcplus":
            _check_gcplus(fn, case, rules, tol)
        else:
            _check_standard(fn, case, tol)

    if seed is not None:
        run = hypothesis_seed(seed)(run)
    run()


def _check_gcplus(fn: Callable[..., Any], case: _Case, rules: tuple[str, ...],
                  tol: float) -> None:
    M = case.M
    sizes: dict[str, int] = {}
    std = _decode.standard(case.B, case.received)
    more = case.arrived.copy()
    more[case.extra] = True
    for rule in rules:
        who = f"fn(Bt, arrived, rule={rule!r})"
        full, rec, w, t = _fields(fn(case.Bt_f, case.arrived.copy(), rule=rule), M, case, who)
        _check_certificate(who, case, case.Bt_f, case.arrived, w, t, tol)
        ones = np.ones(M)
        if full and not (np.allclose(t, ones, atol=tol) and rec.all()):
            raise _fail("full recovery means target = 1", case,
                        f"{who}: full=True but target={t.tolist()}, recovered={rec.tolist()}")
        if rule != "least-squares" and not np.allclose(t, rec.astype(float), atol=tol):
            raise _fail("target is the indicator of recovered", case,
                        f"{who}: target={t.tolist()} but recovered={rec.astype(int).tolist()}")
        o = _decode.gcplus(case.Bt, case.arrived, rule=rule)
        if full != o.full:
            raise _fail("agrees with the exact oracle (full recovery)", case,
                        f"{who}: full={full}, exact oracle full={o.full}")
        if std.full and not full:
            raise _fail("every standard success is a GC+ full recovery", case,
                        f"{who}: standard decoding succeeds (weights "
                        f"{[str(x) for x in std.weights]}) but full=False")
        if rule == "individual" and not np.array_equal(rec, o.recovered):
            raise _fail("agrees with the exact oracle (individual K)", case,
                        f"{who}: K={np.flatnonzero(rec).tolist()}, exact oracle "
                        f"K={np.flatnonzero(o.recovered).tolist()}")
        if rule == "max-subset" and rec.sum() != o.size:
            raise _fail("agrees with the exact oracle (max-subset |K|)", case,
                        f"{who}: |K|={int(rec.sum())} (K={np.flatnonzero(rec).tolist()}), "
                        f"exact oracle |K|={o.size} (K={np.flatnonzero(o.recovered).tolist()})")
        if rule == "least-squares" and not np.allclose(t, _f(o.target), atol=1e-6):
            raise _fail("agrees with the exact oracle (least-squares projection)", case,
                        f"{who}: target={t.tolist()}, exact projection="
                        f"{[str(x) for x in o.target]}")
        # monotone in arrivals
        full2, rec2, w2, t2 = _fields(fn(case.Bt_f, more.copy(), rule=rule), M, case, who)
        detail = (f"{who}: adding arrival of client {case.extra} changes full {full} -> "
                  f"{full2}, K {np.flatnonzero(rec).tolist()} -> {np.flatnonzero(rec2).tolist()}")
        if full and not full2:
            raise _fail("monotone in arrivals (full recovery)", case, detail)
        if rule == "max-subset" and rec2.sum() < rec.sum():
            raise _fail("monotone in arrivals (|K|)", case, detail)
        if rule == "individual" and np.any(rec & ~rec2):
            raise _fail("monotone in arrivals (K)", case, detail)
        if rule == "least-squares" and (np.linalg.norm(1 - t2) > np.linalg.norm(1 - t) + 1e-6):
            raise _fail("monotone in arrivals (least-squares residual)", case,
                        detail + f"; residual {np.linalg.norm(1 - t):.3g} -> "
                        f"{np.linalg.norm(1 - t2):.3g}")
        sizes[rule] = int(rec.sum())
    if sizes.get("max-subset", M) < sizes.get("individual", 0):
        raise _fail("max-subset recovers at least as many as individual", case,
                    f"|K| max-subset={sizes['max-subset']} < individual={sizes['individual']}")


def _check_standard(fn: Callable[..., Any], case: _Case, tol: float) -> None:
    M = case.M
    B_f = _f(case.B.tolist())
    who = "fn(B, received)"
    full, rec, w, t = _fields(fn(B_f, case.received.copy()), M, case, who)
    _check_certificate(who, case, B_f, case.received, w, t, tol)
    if not (rec.all() if full else not rec.any()):
        raise _fail("standard outcome is binary", case,
                    f"{who}: full={full} but recovered={rec.astype(int).tolist()}")
    if not np.allclose(t, np.full(M, 1.0 if full else 0.0), atol=tol):
        raise _fail("target is all ones on success, zero on outage", case,
                    f"{who}: full={full}, target={t.tolist()}")
    o = _decode.standard(case.B, case.received)
    if full != o.full:
        raise _fail("agrees with the exact oracle", case,
                    f"{who}: success={full}, exact oracle success={o.full}")
    if full and not _decode.gcplus(case.Bt, case.arrived).full:
        raise _fail("every standard success is a GC+ full recovery", case,
                    f"{who}: success, but exact GC+ is not a full recovery")
    more = case.received.copy()
    more[case.extra] = True
    full2 = bool(fn(B_f, more).full)
    if full and not full2:
        raise _fail("monotone in arrivals", case,
                    f"{who}: adding row {case.extra} turns success into outage")
    if case.flip is not None:
        tau2 = case.tau.copy()
        tau2.flat[case.flip] = True
        sup = _support(case.B)
        rec_links = case.arrived & np.all(tau2 | ~sup, axis=1)
        full3 = bool(fn(B_f, rec_links).full)
        if full and not full3:
            m, k = divmod(case.flip, M)
            raise _fail("monotone in link successes", case,
                        f"{who}: link {k} -> {m} succeeding turns success into outage")
