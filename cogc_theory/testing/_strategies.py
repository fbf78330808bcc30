"""Hypothesis strategies for GC matrices, erasure patterns and networks (public
through :mod:`cogc_theory.testing`); exact constructions of the codes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import sympy as sp
from hypothesis import strategies as st

__all__ = ["KINDS", "apply_links", "cyclic_exact", "effective_matrices", "erasure_patterns",
           "fractional_exact", "gc_matrices", "networks"]


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
        from .. import codes  # type: ignore[attr-defined]

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
    from .. import codes

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
    >>> Bt, arrived = find(effective_matrices(fractional_exact(4, 1)),
    ...                    lambda x: x[1].sum() == 2,
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
    from ..network import CooperativeNetwork

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


