r"""Property-testing tools for gradient-coding decoders: strategies and a conformance suite.

Strategies (for ``@hypothesis.given``):

* :func:`gc_matrices` — cyclic-repetition codes (Tandon et al. 2017; from
  :func:`cogc_theory.codes.cyclic_repetition` when that module is available), fractional
  repetition codes, and random rational matrices, as float arrays or exact sympy matrices;
* :func:`near_singular_matrices` — nearly singular and badly scaled matrices whose float
  entries are exact binary fractions (so the exact oracle judges exactly what a decoder sees);
* :func:`erasure_patterns` — link indicators :math:`\tau` and arrivals :math:`u` for a given ``B``;
* :func:`effective_matrices` — :math:`(\tilde B = B\circ\tau,\ u)` for a given ``B``;
* :func:`networks` — :class:`~cogc_theory.network.CooperativeNetwork` instances.

Conformance suite
-----------------
:func:`check_decoder` (and the command ``cogc check-decoder package.module:function``) tests
*any* decoder with the signature of :func:`cogc_theory.decode.gcplus` (``fn(Bt, arrived,
rule=...)``, ``kind="gcplus"``) or of :func:`cogc_theory.decode.standard` (``fn(B, received)``,
``kind="standard"``) that returns an object with ``full`` (bool), ``recovered`` (bool (M,)),
``weights`` and ``target`` ((M,)). Each property below is one hypothesis run and one row of
the report (:class:`ConformanceReport`); a failure names the property, prints the (shrunk)
case as pasteable numpy code, what the decoder returned and what the exact oracle says.

==================  ==========================================================================
property            what is checked, for every rule tested
==================  ==========================================================================
result types        ``full`` a bool; ``recovered`` a bool ndarray (M,); ``weights`` and
                    ``target`` real, finite ndarrays (M,); the decoder does not raise
certificate         :math:`\max_k|(a^\top A-t)_k|\le\mathrm{tol}\,(1+\max_k\sum_i|a_i A_{ik}|)`
                    with :math:`A` the arrived rows (standard: the received rows of ``B``),
                    and ``weights`` zero (:math:`\le\mathrm{tol}\max|a|`) on the other rows
claims              ``target`` matches the claim: all ones and every client recovered iff
                    ``full``; :math:`\mathbf 1_K` for ``max-subset`` / ``individual``;
                    standard (and full-only) outcomes all or nothing; ``least-squares``:
                    a client with :math:`|t_k|>\mathrm{tol}` is recovered, and a recovered
                    one has :math:`t_k\ne 0`
exact oracle        decisions equal the exact rational oracle's (:mod:`cogc_theory.exact`):
                    ``full``; ``individual`` :math:`K`; ``max-subset`` :math:`|K|`, with
                    :math:`\mathbf 1_K` exactly in the row space (any deterministic
                    tie-break); ``least-squares`` target within ``tol`` of the exact
                    projection and ``recovered`` its exact support
monotone            adding an arrival never loses full recovery, never shrinks the
                    max-subset :math:`|K|` or the individual :math:`K`, never increases the
                    least-squares residual; a standard success is a GC+ full recovery;
                    max-subset :math:`|K|\ge` individual :math:`|K|`; standard decoding is
                    also monotone in link successes
deterministic       the same input three times gives the same decisions, targets and
                    weights (weights within :math:`10^{-9}\max(1,\max|a|)`)
inputs unchanged    the decoder does not write into ``Bt`` / ``B``, ``arrived`` / ``received``
                    (every call gets fresh copies; the suite's own matrices are never exposed)
batched             a leading trials axis — ``Bt`` (T, M, M) with ``arrived`` (T, M), a shared
                    ``Bt`` (M, M) with ``arrived`` (T, M) (standard: ``B`` (M, M) with
                    ``received`` (T, M)), and T = 1 — gives ``full`` bool (T,),
                    ``recovered`` bool (T, M), ``weights`` / ``target`` (T, M), and each trial
                    is decided as the oracle decides it with a verified certificate
exact input         a sympy ``Matrix`` of rationals gives exact rational ``weights`` and
                    ``target`` (int, Fraction or sympy Rational), a certificate that holds
                    exactly, and the oracle's decisions — also on rationals such as
                    :math:`1+10^{-20}` that a float conversion cannot tell from 1
==================  ==========================================================================

The certificate's scale :math:`1+\max_k\sum_i|a_iA_{ik}|` bounds the size of the terms
summed (rounding makes an error of at most about :math:`10^{-16}` times it), so the check is
independent of how ``Bt`` and the weights are scaled, and ``tol`` leaves room for any sound
float decoder while a certificate that misses its target by more does not verify.

GC+ outcomes are **not** monotone in link successes, so that is not checked: with Tandon et
al.'s :math:`B` and only client 2 arriving, :math:`\tilde B_2=(0,0,1)` yields :math:`g_2`, but
after the link from client 0 succeeds, :math:`\tilde B_2=(1/2,0,1)` yields nothing.

**Cases.** Each example draws, with equal probability, a well-conditioned rational code
(:func:`gc_matrices`: cyclic, fractional, random rationals; the float input is the rounded
rational matrix and the oracle judges the rational one) or a hard case
(:func:`near_singular_matrices`: a block, cyclic, integer, :math:`\{0,\pm1\}` or 0/1 base
matrix whose entries are multiplied by :math:`1+p\,2^{-k}` — entries like
:math:`1+7.6\cdot10^{-6}` — with rows and the whole matrix scaled by powers of two; the floats
are exactly the rationals the oracle judges). Then links and arrivals: half the time
independent with a drawn failure rate, half the time near the decoding threshold (every link
but at most one, all but one or two arrivals), where perturbed codes put targets at distances
of :math:`10^{-7}`–:math:`10^{-1}` from the row space and make recoveries depend on singular
values down to :math:`10^{-7}\sigma_1`. The ``exact input`` property instead perturbs the
rational codes by :math:`1+p\,10^{-k}`, :math:`12\le k\le 30`, which floats cannot see.

Explicit cases run first in every run (whatever the seed): in ``certificate``, ``claims``,
``exact oracle`` and ``deterministic``, max-subset **ties** (two overlapping windows of an
all-ones block) and rows whose least-squares projection vanishes on clients they touch; in
``exact oracle``, a **tolerance ladder**: a cyclic code and two all-ones blocks perturbed by
:math:`2^{-k}` for every :math:`k` up to :math:`\log_2` ``cond_max``, one client missing (a
near miss at distance :math:`\approx 2^{-k}`) or none (a recovery through singular values
:math:`\approx 2^{-k}\sigma_1`), some scaled by :math:`2^{\pm 50}`. Any membership tolerance
between ``tol`` and 0.1 and any rank threshold between :math:`1/` ``cond_max`` and 0.1 lands
on the wrong side of some rung, so such a bug is caught in every run, not by luck. The
``deterministic`` property calls the decoder three times per input.

**Limits** (what a correct float decoder can be asked to decide). A case is used only if the
matrix of used rows :math:`A` has :math:`\sigma_1/\sigma_r\le` ``cond_max`` (default
:math:`10^7`; :math:`r` its exact rank) and every target that is not in the row space — the
all-ones vector; for ``individual`` each :math:`e_k`; for ``max-subset`` each :math:`e_k` and
each :math:`\mathbf 1_S` with :math:`|S|` at least the optimum — lies at distance at least
``tol`` (default :math:`10^{-7}`) from it, and for ``least-squares`` every nonzero entry of the
exact projection is at least ``tol``. These are exact computations (Fraction arithmetic) plus
one float SVD. :func:`cogc_theory.decode.gcplus` (rank tolerance ``rtol = 1e-10``, membership
``atol = 1e-8``) decides every such case. Why :math:`10^7` and not :math:`10^8`: a recovery
through a singular value :math:`\sigma_r` needs weights of order :math:`1/\sigma_r`, and above
a condition number of about :math:`3\cdot10^7` their rounding reaches ``decode``'s certificate
tolerance, so it reports an outage instead (measured on 40,000 full-rank hard cases: 0.8% of
those with :math:`10^7\le\kappa<10^8`, from :math:`\kappa=3.4\cdot10^7` up; none below).
State other limits with ``cond_max=`` (up to :math:`10^{12}`) and ``tol=``.

**Declaring what the decoder does.** ``rules=`` lists the GC+ rules it implements (default:
every rule it accepts, found by trying each on a small case; a decoder without a ``rule``
parameter is tested as ``"max-subset"`` and called without ``rule=``; so is any decoder
declared with one rule that does not accept the keyword); ``full_only=True`` for a GC+ decoder
that decides full recovery only (an outcome like standard decoding: all or nothing);
``batched=`` / ``exact=`` ``True`` (required), ``False`` (not tested) or ``None`` (default:
tested if the decoder accepts a small batch / a sympy matrix without raising, reported as
skipped otherwise).

**Reproducing, exploring, running longer.** By default (``seed=None``) every run draws new
cases, and hypothesis's example database (``.hypothesis/`` in the working directory, keyed by
the decoder and the property) replays earlier failures first. A failure prints a reproduction
blob: ``check_decoder(fn, reproduce="certificate:AXic...")`` (``cogc check-decoder ...
--reproduce ...``) replays exactly that case. ``seed=0`` gives a fixed run (no database), as
a project's own test suite wants. ``max_examples`` (default: the current hypothesis profile's,
100 unless changed) is per property; in CI run longer with ``max_examples=2000`` /
``--examples 2000``, or register and load a hypothesis profile
(``settings.register_profile("ci", max_examples=2000)``). Shrinking a failure stops after
:data:`SHRINK_SECONDS` (the smallest failing case found so far is reported).

Examples
--------
>>> from cogc_theory import decode
>>> report = check_decoder(decode.gcplus, max_examples=5, seed=0)
>>> report.passed
True
>>> check_decoder(decode.standard, kind="standard", max_examples=5, seed=0).passed
True
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import math
import os
import re
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property, lru_cache
from itertools import combinations
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import sympy as sp

try:
    import hypothesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
    from hypothesis.errors import Flaky, Unsatisfiable
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "cogc_theory.testing needs hypothesis; install it with "
        "python -m pip install 'cogc-theory[test]' (or: python -m pip install hypothesis)"
    ) from exc

from . import decode as _decode
from . import exact as _exact

__all__ = [
    "PROPERTIES",
    "SHRINK_SECONDS",
    "ConformanceReport",
    "PropertyResult",
    "apply_links",
    "check_decoder",
    "check_decoder_command",
    "cyclic_exact",
    "effective_matrices",
    "erasure_patterns",
    "fractional_exact",
    "gc_matrices",
    "load_decoder",
    "near_singular_matrices",
    "networks",
    "run_conformance",
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
    """Fractional-repetition matrix: groups of ``s + 1`` clients, each row its group's ones."""
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
    """Effective matrix :math:`B\\circ\\tau` (sympy in, sympy out; float otherwise)."""
    if isinstance(B, sp.MatrixBase):
        return B.multiply_elementwise(sp.Matrix(tau.astype(int)))
    return np.where(tau, np.asarray(B, dtype=float), 0.0)


@st.composite
def effective_matrices(draw: Callable, B: Any) -> tuple[Any, np.ndarray]:
    """Strategy for ``(Bt, arrived)`` with ``Bt = B * tau`` (exact if ``B`` is sympy)."""
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


# ----------------------------------------------------------------------------- suite constants
#: Properties of the conformance suite, in the order of the report.
PROPERTIES = ("result types", "certificate", "claims", "exact oracle", "monotone",
              "deterministic", "inputs unchanged", "batched", "exact input")
#: Seconds a failing property may spend shrinking its counterexample (the smallest failing
#: case found by then is reported); all properties together spend at most 4 times this.
SHRINK_SECONDS = 5.0
_SHRINK_TOTAL = 4 * SHRINK_SECONDS
#: Default certificate tolerance and smallest distance of a non-member target (``tol``).
TOL = 1e-7
#: Default largest condition number of a case's used rows (``cond_max``).
COND_MAX = 1e7
# hard bases, with draw weights: codes near their threshold are where targets come closest
# to the row space
_HARD_DRAW = ("blocks", "cyclic", "cyclic", "integer", "cyclic", "signed", "blocks", "binary")
_ULTRA_K = (12, 30)          # exact-input perturbations 10**-k
_PERTURB = 3                 # perturbation numerators p in [-3, 3]
_REPEATS = 3                 # calls per input in the "deterministic" property
_P_CHOICES = (1, -1, 2, -3, 3, -2, 0)


# ----------------------------------------------------------------------------- hard matrices
def _k_choices(k_max: int) -> tuple[int, ...]:
    """Exponents k of the perturbations 2**-k: every k once, the top ten twice more (the
    near-miss distances 1e-8..1e-5 that loose tolerances misjudge come from large k)."""
    top = tuple(range(max(1, k_max - 9), k_max + 1))
    return tuple(range(1, k_max + 1)) + top + top


def _k_max(cond_max: float) -> int:
    return max(2, min(30, int(math.log2(cond_max))))


@lru_cache(maxsize=256)
def _integer_cyclic(M: int, s: int, seed: int) -> tuple[tuple[int, ...], ...]:
    """:func:`cyclic_exact` with each row scaled to coprime integers (same row space)."""
    B = cyclic_exact(M, s, seed=seed)
    rows = []
    for m in range(M):
        row = [Fraction(int(x.p), int(x.q)) for x in B.row(m)]
        lcm = math.lcm(*(x.denominator for x in row))
        ints = [int(x * lcm) for x in row]
        g = math.gcd(*ints) or 1
        rows.append(tuple(v // g for v in ints))
    return tuple(rows)


@st.composite
def _hard_specs(draw: Callable, k_max: int, min_M: int = 3, max_M: int = 6) -> tuple:
    base = draw(st.sampled_from(_HARD_DRAW))
    M = draw(st.integers(min_M, max_M))
    if base == "blocks":
        params: tuple = tuple(draw(st.lists(st.booleans(), min_size=M - 1, max_size=M - 1)))
    elif base == "cyclic":
        params = (draw(st.integers(1, max(1, M - 2))), draw(st.integers(0, 20)))
    elif base == "integer":
        params = tuple(draw(st.lists(st.integers(-3, 3), min_size=M * M, max_size=M * M)))
    elif base == "signed":
        params = tuple(draw(st.lists(st.sampled_from((0, 1, -1)), min_size=M * M,
                                     max_size=M * M)))
    else:
        params = tuple(draw(st.lists(st.booleans(), min_size=M * M, max_size=M * M)))
    k = draw(st.sampled_from(_k_choices(k_max)))
    P = tuple(draw(st.lists(st.sampled_from(_P_CHOICES), min_size=M * M, max_size=M * M)))
    rows = tuple(draw(st.lists(st.one_of(st.just(0), st.integers(-12, 12)), min_size=M,
                               max_size=M)))
    scale = draw(st.one_of(st.just(0), st.integers(-60, 60)))
    return (base, M, params, k, P, rows, scale)


@lru_cache(maxsize=4096)
def _hard_matrix(spec: tuple) -> tuple[tuple[Fraction, ...], ...]:
    r"""The exact matrix of a hard spec: :math:`B_{mk}=b_{mk}(1+p_{mk}2^{-k})\,2^{e_m+g}`,
    each entry rounded to the nearest float (a no-op below 53 significant bits, which is
    every case at the default ``cond_max``), so that its float is exactly this rational."""
    base, M, params, k, P, rows, scale = spec
    if base == "ladder":
        B0 = np.array(params, dtype=object)
    elif base == "blocks":
        group = np.concatenate([[0], np.cumsum(params)])
        B0 = (group[:, None] == group[None, :]).astype(int)
    elif base == "cyclic":
        B0 = np.array(_integer_cyclic(M, params[0], params[1]), dtype=object)
    elif base in ("integer", "signed"):
        B0 = np.array(params, dtype=int).reshape(M, M)
        np.fill_diagonal(B0, np.where(np.diag(B0) == 0, 1, np.diag(B0)))
    else:
        B0 = np.array(params, dtype=int).reshape(M, M)
        np.fill_diagonal(B0, 1)
    den = 2 ** k
    out = []
    for m in range(M):
        f = Fraction(2) ** (rows[m] + scale)
        # Fraction(float(x)): the nearest float's exact value, x itself unless x needs more
        # than 53 bits (large code entries with k near 30)
        out.append(tuple(Fraction(float(Fraction(int(B0[m, j]) * (den + P[m * M + j]), den)
                                        * f)) for j in range(M)))
    return tuple(out)


def near_singular_matrices(min_M: int = 3, max_M: int = 6,
                           cond_max: float = COND_MAX) -> st.SearchStrategy:
    r"""Strategy for nearly singular, badly scaled float matrices (M, M) that are exact rationals.

    A base matrix ``b`` — all-ones blocks on the diagonal (fractional repetition with blocks
    of any size), a cyclic-repetition code scaled to integer rows, random integers in
    :math:`[-3,3]` or in :math:`\{0,\pm1\}`, or random 0/1 entries (nonzero diagonal) —
    becomes

    .. math:: B_{mk} = b_{mk}\,(1+p_{mk}2^{-k})\,2^{e_m+g},\qquad p_{mk}\in[-3,3],\
              1\le k\le\log_2(\mathrm{cond\_max}),\ |e_m|\le 12,\ |g|\le 60 .

    Rank-deficient bases (blocks, codes) gain singular values of order :math:`2^{-k}`, targets
    that were in the row space move off it by about :math:`2^{-k}`, and row and global scales
    spread the entries over many orders of magnitude. The entries need at most 53 significant
    bits at the default ``cond_max`` (beyond, each is rounded to its float first), so
    ``Fraction(x)`` of each float is the case's rational: no rounding separates what a
    decoder sees from what the oracle judges. The matrices are not filtered; see
    :func:`check_decoder` for the limits a case must meet to be used.
    """
    if not 2 <= min_M <= max_M:
        raise ValueError(f"need 2 <= min_M <= max_M, got min_M={min_M}, max_M={max_M}")
    return _hard_specs(_k_max(_check_cond_max(cond_max)), min_M, max_M).map(
        lambda spec: _float_matrix(_hard_matrix(spec)))


def _ultra_matrix(B: tuple, k: int, P: tuple) -> tuple[tuple[Fraction, ...], ...]:
    """``B`` with entries times ``1 + p / 10**k`` (exact; floats cannot see it for k > 16)."""
    M = len(B)
    return tuple(tuple(x * (1 + Fraction(P[m * M + j], 10 ** k)) for j, x in enumerate(row))
                 for m, row in enumerate(B))


# ----------------------------------------------------------------------------- cases
def _fractions(B: Any) -> tuple[tuple[Fraction, ...], ...]:
    """A sympy / numpy / nested-list matrix as exact Fractions (floats converted exactly)."""
    rows = B.tolist() if isinstance(B, sp.MatrixBase | np.ndarray) else [list(r) for r in B]
    out = []
    for r in rows:
        row = []
        for x in r:
            if isinstance(x, float | np.floating):
                row.append(Fraction(float(x)))
            else:
                row.append(_exact.as_fraction(x, "matrix entry"))
        out.append(tuple(row))
    return tuple(out)


def _float_matrix(B: tuple) -> np.ndarray:
    return np.array([[float(x) for x in r] for r in B], dtype=float).reshape(len(B), len(B))


def _zero_rows(B: tuple, keep: np.ndarray) -> tuple:
    zero = Fraction(0)
    return tuple(row if keep[m] else (zero,) * len(row) for m, row in enumerate(B))


class _Case:
    """One drawn case: an exact matrix, links, arrivals, and the variants the checks need."""

    def __init__(self, family: str, label: str, B: tuple, tau: np.ndarray,
                 arrived: np.ndarray, extra: int, flip: int | None) -> None:
        self.family, self.label, self.B = family, label, B
        self.M = M = len(B)
        self.tau, self.arrived, self.extra, self.flip = tau, arrived, extra, flip
        self.key = (family, B, tau.tobytes(), arrived.tobytes(), extra, flip)
        self.sup = np.array([[x != 0 for x in r] for r in B], dtype=bool).reshape(M, M)
        self.complete = np.all(tau | ~self.sup, axis=1)
        self.received = arrived & self.complete
        zero = Fraction(0)
        self.Bt = tuple(tuple(x if tau[m, j] else zero for j, x in enumerate(r))
                        for m, r in enumerate(B))
        self.Bf = _float_matrix(B)
        self.Btf = np.where(tau, self.Bf, 0.0)
        for a in (self.Bf, self.Btf, self.tau, self.arrived, self.received):
            a.flags.writeable = False
        self.explicit = False      # one of the explicit cases (ladder, ties, ...)

    def more(self) -> np.ndarray:
        """The arrivals with client ``extra`` added."""
        m = self.arrived.copy()
        m[self.extra] = True
        return m

    def flipped(self) -> tuple[np.ndarray, np.ndarray]:
        """``(tau, received)`` after the failed link ``flip`` succeeds."""
        tau = self.tau.copy()
        if self.flip is not None:
            tau.flat[self.flip] = True
        return tau, self.arrived & np.all(tau | ~self.sup, axis=1)

    def describe(self, exact_input: bool = False) -> str:
        lines = [f"case ({self.label}), M = {self.M}:"]
        if exact_input:
            lines.append(f"  B = {_fmt_exact(self.B)}")
        else:
            exact = all(Fraction(float(x)) == x for r in self.B for x in r)
            note = ("  # exactly the rationals judged" if exact
                    else "  # rounded from the rationals below")
            lines.append(f"  B = {_fmt_float(self.Bf)}{note}")
            if not exact:
                lines.append(f"  B (exact) = {_fmt_exact(self.B)}")
        lines.append(f"  tau = np.array({self.tau.astype(int).tolist()}, dtype=bool)")
        lines.append("  Bt = B * tau  # effective rows: "
                     + (_fmt_exact(self.Bt) if exact_input else _fmt_float(self.Btf)))
        lines.append(f"  arrived = np.array({_bits(self.arrived)}, dtype=bool)")
        lines.append(f"  received = np.array({_bits(self.received)}, dtype=bool)"
                     "  # complete and arrived")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.describe()


def _bits(x: np.ndarray) -> list:
    return np.asarray(x, dtype=bool).tolist()


def _fmt_float(A: np.ndarray) -> str:
    rows = ", ".join("[" + ", ".join(repr(float(x)) for x in r) + "]" for r in np.asarray(A))
    return f"np.array([{rows}])"


def _fmt_exact(B: tuple) -> str:
    rows = ", ".join("[" + ", ".join(str(x) for x in r) + "]" for r in B)
    return f'sp.Matrix(sp.sympify("[{rows}]"))'


def _fmt_vec(x: Any) -> str:
    a = np.asarray(x)
    if a.dtype == bool:
        return str(a.astype(int).tolist())
    if a.dtype == object:
        return "[" + ", ".join(str(v) for v in a.ravel()) + "]"
    return "[" + ", ".join(repr(float(v)) for v in a.ravel()) + "]"


def _bits_at_rate(draw: Callable, n: int) -> np.ndarray:
    """``n`` booleans, each False with a drawn rate in {0, 0.1, 0.3, 0.5, 0.8}: links and
    arrivals that mostly succeed put a code near its decoding threshold."""
    rate = draw(st.sampled_from((1, 3, 0, 5, 8)))
    return np.array(draw(st.lists(st.integers(0, 9), min_size=n, max_size=n)),
                    dtype=int).reshape(n) >= rate


@st.composite
def _cases(draw: Callable, families: tuple[str, ...], mats: st.SearchStrategy,
           k_max: int) -> _Case:
    family = draw(st.sampled_from(families))
    if family == "hard":
        spec = draw(_hard_specs(k_max))
        B = _hard_matrix(spec)
        base, M, _, k, _, rows, scale = spec
        label = (f"near-singular {base}, entries * (1 + p * 2**-{k})"
                 + (f", row scales 2**{list(rows)}" if any(rows) else "")
                 + (f", scaled by 2**{scale}" if scale else ""))
    else:
        B = _fractions(draw(mats))
        label = "rational code"
        if family == "ultra":
            k = draw(st.integers(*_ULTRA_K))
            P = tuple(draw(st.lists(st.integers(-_PERTURB, _PERTURB), min_size=len(B) ** 2,
                                    max_size=len(B) ** 2)))
            B = _ultra_matrix(B, k, P)
            label = f"rational code, entries * (1 + p * 10**-{k})"
    M = len(B)
    sup = np.array([[x != 0 for x in r] for r in B], dtype=bool).reshape(M, M)
    links = sup & ~np.eye(M, dtype=bool)
    n = int(links.sum())
    tau = np.ones((M, M), dtype=bool)
    if draw(st.booleans()):
        # near the decoding threshold: every link but at most one, all but 1-2 arrivals
        arrived = np.ones(M, dtype=bool)
        arrived[draw(st.lists(st.integers(0, M - 1), min_size=1, max_size=2,
                              unique=True))] = False
        if n and draw(st.booleans()):
            tau[tuple(np.argwhere(links)[draw(st.integers(0, n - 1))])] = False
    else:
        tau[links] = _bits_at_rate(draw, n)
        arrived = _bits_at_rate(draw, M)
    extra = draw(st.integers(0, M - 1))
    failed = np.flatnonzero(links & ~tau).tolist()
    flip = draw(st.sampled_from(failed)) if failed else None
    return _Case(family, label, B, tau, arrived, extra, flip)


# fixed perturbation numerators of the ladder: irregular, so that targets move off the row
# space at first order (a regular pattern such as (m + 2j) mod 5 keeps them in it)
_LADDER_P = (3, -2, -3, -2, -1, 2, -1, -3, -1, 1, 2, 2, 3, -2, 3, -3, 1, -2, -2, 1, -2, 1, -2,
             -3, 2, -1, 2, 2, 3, -1, -2, 1, 3, 3, 3, 2)


def _ladder_case(label: str, base: np.ndarray, k: int, missing: Sequence[int],
                 rows: Sequence[int] | None = None, scale: int = 0) -> _Case:
    M = base.shape[0]
    sup = base != 0
    P = [_LADDER_P[m * M + j] if sup[m, j] else 0 for m in range(M) for j in range(M)]
    spec = ("ladder", M, tuple(map(tuple, base.tolist())), k, tuple(P),
            tuple(rows or [0] * M), scale)
    arrived = np.ones(M, dtype=bool)
    arrived[list(missing)] = False
    return _Case("hard", f"tolerance ladder: {label}, entries * (1 + p * 2**-{k})"
                 + (f", row scales 2**{list(rows)}" if rows else "")
                 + (f", scaled by 2**{scale}" if scale else ""),
                 _hard_matrix(spec), np.ones((M, M), dtype=bool), arrived, 0, None)


@lru_cache(maxsize=8)
def _ladder(k_max: int) -> tuple[_Case, ...]:
    r"""Explicit cases that sweep the perturbation :math:`2^{-k}` over every :math:`k`.

    A cyclic code (M = 4, s = 1) and two all-ones blocks (sizes 3, 2), every link up, with
    one client missing (the all-ones vector and :math:`\mathbf 1_S` miss the row space by
    about :math:`2^{-k}`) or none (every target is in the row space, through singular values
    of about :math:`2^{-k}\sigma_1`); a few of them scaled by :math:`2^{\pm 50}` or with rows
    scaled by up to :math:`2^{\pm 8}`; and rows :math:`(2^k, 1, 0)`, :math:`(0, 0, 1)`, where
    :math:`e_0` misses the row space by about :math:`2^{-k}` and :math:`e_2` needs the row of
    norm 1 beside one of norm :math:`2^k`. Whatever membership tolerance a decoder uses
    between ``tol`` and 0.1, and whatever rank threshold between :math:`1/\mathrm{cond\_max}`
    and 0.1, some rung falls on the wrong side of it; these run first in every
    ``exact oracle`` run, so such a bug is caught deterministically.
    """
    cyc = np.array(_integer_cyclic(4, 1, 0), dtype=object)
    g = np.array([0, 0, 0, 1, 1])
    blocks = (g[:, None] == g[None, :]).astype(int).astype(object)
    cases = []
    for k in range(1, k_max + 1):
        dominant = _fractions([[2 ** k, 1, 0], [0, 1, 1], [0, 0, 1]])
        cases.append(_Case("hard", f"tolerance ladder: row (2**{k}, 1, 0) and row (0, 0, 1), "
                           f"e_0 at distance ~2**-{k}", dominant, np.ones((3, 3), dtype=bool),
                           np.array([True, False, True]), 1, None))
        cases += [_ladder_case("cyclic code M=4, s=1, client 0 missing", cyc, k, [0]),
                  _ladder_case("cyclic code M=4, s=1, all arrived", cyc, k, []),
                  _ladder_case("blocks (3, 2), client 0 missing", blocks, k, [0]),
                  _ladder_case("blocks (3, 2), all arrived", blocks, k, [])]
    for k in sorted({min(10, k_max), min(20, k_max)}):
        for scale in (-50, 50):
            cases += [_ladder_case("cyclic code M=4, s=1, client 0 missing", cyc, k, [0],
                                   scale=scale),
                      _ladder_case("cyclic code M=4, s=1, all arrived", cyc, k, [],
                                   scale=scale)]
        cases.append(_ladder_case("blocks (3, 2), all arrived", blocks, k, [],
                                  rows=[8, -8, 0, 4, -4]))
    for c in cases:
        c.explicit = True
    return tuple(cases)


@lru_cache(maxsize=1)
def _special_cases() -> tuple[_Case, ...]:
    r"""Explicit cases for tie-breaking and least-squares supports, run first where they matter.

    *Ties*: an all-ones block of :math:`M` clients where only clients :math:`i` and
    :math:`i+1` arrived, having missed all but the windows :math:`[i, i+w)` and
    :math:`[i+1, i+w+1)`: both windows are maximum subsets. *Zero projections*: rows with
    zero sum, so that the least-squares target vanishes on clients the rows touch, and one
    whose projection has an entry below 1/2. *Every
    candidate*: a block recovered and the other clients lost, so the maximum subset is all
    the clients the arrived rows touch (a search that stops one size short misses it).
    Tandon et al.'s example with an incomplete row.
    """
    one = Fraction(1)
    cases = []
    for M in range(3, 7):
        for w in range(2, M):
            for i in sorted({0, M - w - 1}):
                tau = np.zeros((M, M), dtype=bool)
                tau[i, i:i + w] = tau[i + 1, i + 1:i + w + 1] = True
                tau[np.arange(M), np.arange(M)] = True
                arrived = np.zeros(M, dtype=bool)
                arrived[[i, i + 1]] = True
                cases.append(_Case("nice", f"tie: windows [{i}, {i + w}) and [{i + 1}, "
                                   f"{i + w + 1}) of an all-ones block", ((one,) * M,) * M,
                                   tau, arrived, (i + 2) % M, None))
    signed = _fractions([[1, -1, 0], [0, 1, -1], [-1, 0, 1]])
    mixed = _fractions([[1, -1, 0], [0, 1, 0], [0, 0, 1]])
    for B, arr in ((signed, [1, 0, 0]), (signed, [1, 1, 0]), (mixed, [1, 0, 1]),
                   (mixed, [1, 0, 0])):
        cases.append(_Case("nice", "zero-sum rows: the projection of 1 vanishes on clients "
                           "they touch", B, np.ones((3, 3), dtype=bool),
                           np.array(arr, dtype=bool), 2, None))
    cases.append(_Case("nice", "one row (3, 1, 0): the projection of 1 is (6/5, 2/5, 0)",
                       _fractions([[3, 1, 0], [0, 1, 0], [0, 0, 1]]),
                       np.ones((3, 3), dtype=bool), np.array([True, False, False]), 1, None))
    for M in (4, 5):                 # every client the rows touch, and no more
        B = _fractions(((np.arange(M)[:, None] < 3) & (np.arange(M)[None, :] < 3)
                        | np.eye(M, dtype=bool)).astype(int))
        arrived = np.arange(M) < 3
        cases.append(_Case("nice", "a block of 3 recovered, the other clients lost: the "
                           "maximum subset is every client the arrived rows touch", B,
                           np.ones((M, M), dtype=bool), arrived, M - 1, None))
    cases.append(_probe_case())
    for c in cases:
        c.explicit = True
    return tuple(cases)


# ----------------------------------------------------------------------------- exact oracle
def _dot(u: Sequence[Fraction], v: Sequence[Fraction]) -> Fraction:
    return sum((a * b for a, b in zip(u, v, strict=True)), Fraction(0))


class _Oracle:
    r"""Exact decisions and distances for one matrix ``A`` of used rows (others zero).

    With :math:`N` a basis of :math:`\ker A` (rows ``self.N``) and :math:`G=NN^\top`, a target
    :math:`t` lies in the row space iff :math:`Nt=0`, and its squared distance to the row space
    is :math:`(Nt)^\top G^{-1}(Nt)` — rational, so every limit is checked exactly.
    """

    def __init__(self, A: tuple) -> None:
        self.A = A
        self.M = M = len(A)
        self.N = _exact.nullspace(A)
        self.rank = M - len(self.N)
        k = len(self.N)
        self._Ginv: list[list[Fraction]] = []
        if k:
            G = [[_dot(self.N[i], self.N[j]) for j in range(k)] for i in range(k)]
            aug = [G[i] + [Fraction(int(i == j)) for j in range(k)] for i in range(k)]
            R, _ = _exact.rref(aug)
            self._Ginv = [row[k:] for row in R]
        self._unfair: dict[tuple, str | None] = {}

    def _y(self, t: Sequence[Fraction]) -> list[Fraction]:
        return [_dot(n, t) for n in self.N]

    def member(self, t: Sequence[Any]) -> bool:
        tf = [Fraction(x) for x in t]
        return all(v == 0 for v in self._y(tf))

    def dist2(self, t: Sequence[Fraction]) -> Fraction:
        y = self._y(t)
        return sum((y[i] * _dot(self._Ginv[i], y) for i in range(len(y))), Fraction(0))

    def indicator(self, S: Any) -> list[Fraction]:
        S = set(S)
        return [Fraction(int(k in S)) for k in range(self.M)]

    @cached_property
    def full(self) -> bool:
        return self.member([1] * self.M)

    @cached_property
    def individual(self) -> np.ndarray:
        """:math:`K` of the individual rule: everyone on full recovery, else the recoverable
        :math:`e_k`."""
        if self.full:
            return np.ones(self.M, dtype=bool)
        return np.array([all(n[k] == 0 for n in self.N) for k in range(self.M)], dtype=bool)

    @cached_property
    def _subsets(self) -> tuple[int, list[tuple[int, ...]], list[tuple[int, ...]]]:
        """(max |K|, the optimal K's, the non-member sets at least that large)."""
        M = self.M
        forced = tuple(np.flatnonzero(self.individual).tolist())
        cand = [k for k in range(M) if not self.individual[k]
                and any(self.A[i][k] != 0 for i in range(M))]
        best, optimal = len(forced), [forced]
        for r in range(len(cand), 0, -1):
            found = [tuple(sorted(forced + S)) for S in combinations(cand, r)
                     if all(sum((n[k] for k in S), Fraction(0)) == 0 for n in self.N)]
            if found:
                best, optimal = len(forced) + r, found
                break
        near = [tuple(sorted(forced + S)) for r in range(max(best - len(forced), 1),
                                                          len(cand) + 1)
                for S in combinations(cand, r)
                if tuple(sorted(forced + S)) not in optimal]
        return best, optimal, near

    @property
    def max_size(self) -> int:
        return self._subsets[0]

    @property
    def optimal_sets(self) -> list[tuple[int, ...]]:
        return self._subsets[1]

    @cached_property
    def projection(self) -> list[Fraction]:
        """Exact orthogonal projection of the all-ones vector on the row space."""
        ones = [Fraction(1)] * self.M
        y = self._y(ones)
        z = [_dot(g, y) for g in self._Ginv]
        return [ones[j] - sum((z[i] * self.N[i][j] for i in range(len(z))), Fraction(0))
                for j in range(self.M)]

    @cached_property
    def cond(self) -> float:
        if self.rank == 0:
            return 1.0
        s = np.linalg.svd(_float_matrix(self.A), compute_uv=False)
        return float(s[0] / s[self.rank - 1]) if s[self.rank - 1] > 0 else math.inf

    def unfair(self, mode: str, cond_max: float, gap: Fraction) -> str | None:
        """Why a float decoder cannot be asked to decide this matrix (None: it can)."""
        key = (mode, cond_max, gap)
        if key not in self._unfair:
            self._unfair[key] = self._why_unfair(mode, cond_max, gap)
        return self._unfair[key]

    def _why_unfair(self, mode: str, cond_max: float, gap: Fraction) -> str | None:
        if self.cond > cond_max:
            return f"condition number {self.cond:.3g} > cond_max"
        g2 = gap * gap
        ones = [Fraction(1)] * self.M
        if not self.full and self.dist2(ones) < g2:
            return "the all-ones vector is closer than tol to the row space"
        if mode in ("individual", "max-subset"):
            for k in np.flatnonzero(~self.individual):
                if self.dist2(self.indicator([k])) < g2:
                    return f"e_{k} is closer than tol to the row space"
        if mode == "max-subset":
            for S in self._subsets[2]:
                if self.dist2(self.indicator(S)) < g2:
                    return f"1_{list(S)} is closer than tol to the row space"
        if mode == "least-squares":
            if any(0 < abs(x) < gap for x in self.projection):
                return "the projection has an entry below tol"
        return None


@lru_cache(maxsize=4096)
def _oracle(A: tuple) -> _Oracle:
    return _Oracle(A)


# ----------------------------------------------------------------------------- failures
class _Fail(AssertionError):
    """A violated property: what, the details, and (attached later) the case and call."""

    def __init__(self, what: str, detail: str, exact_input: bool = False) -> None:
        super().__init__(f"{what}: {detail}")
        self.what, self.detail, self.exact_input = what, detail, exact_input
        self.case: _Case | None = None

    def copy(self) -> _Fail:
        f = _Fail(self.what, self.detail, self.exact_input)
        f.case = self.case
        f.__cause__ = self.__cause__
        return f

    def text(self) -> str:
        out = [f"{self.what}", "  " + self.detail.replace("\n", "\n  ")]
        if self.case is not None:
            out.append("  " + self.case.describe(self.exact_input).replace("\n", "\n  "))
            if self.case.explicit:
                out.append("  (an explicit case: every run checks it first)")
        return "\n".join(out)


def _where(exc: BaseException) -> str:
    """Where an exception came from: the innermost frame outside libraries (the user's code),
    and the innermost frame if that is elsewhere (inside numpy, say)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
    if not frames:
        return ""
    lib = (os.sep + "site-packages" + os.sep, os.sep + "dist-packages" + os.sep,
           os.path.dirname(os.__file__) + os.sep)
    own = [f for f in frames if not any(s in f.filename or f.filename.startswith(s)
                                        for s in lib)]
    text = [f"{Path(f.filename).name}:{f.lineno} in {f.name}"
            for f in ([own[-1]] if own else []) + [frames[-1]]]
    if len(text) == 2 and text[0] == text[1]:
        text = text[:1]
    return f" (at {text[0]}" + (f"; raised at {text[1]})" if len(text) == 2 else ")")


# ----------------------------------------------------------------------------- the decoder
@dataclass
class _Ctx:
    """What the suite knows about the decoder under test."""

    fn: Callable[..., Any]
    kind: str
    modes: tuple[str, ...]
    rule_kw: bool
    tol: float
    cond_max: float
    forms: tuple[str, ...] = ()
    exact: bool = False

    @property
    def gap(self) -> Fraction:
        return Fraction(self.tol)

    @property
    def names(self) -> tuple[str, str]:
        return ("B", "received") if self.kind == "standard" else ("Bt", "arrived")

    def inputs(self, case: _Case) -> tuple[np.ndarray, np.ndarray]:
        return (case.Bf, case.received) if self.kind == "standard" else (case.Btf,
                                                                          case.arrived)

    def exact_inputs(self, case: _Case) -> tuple[tuple, np.ndarray]:
        return (case.B, case.received) if self.kind == "standard" else (case.Bt, case.arrived)

    def used(self, case: _Case, mask: np.ndarray | None = None) -> tuple:
        """Exact matrix of the rows the server may use (others zero)."""
        if self.kind == "standard":
            return _zero_rows(case.B, case.received if mask is None else mask)
        return _zero_rows(case.Bt, case.arrived if mask is None else mask)

    def call_text(self, mode: str, mat: Any, mask: np.ndarray) -> str:
        a, b = self.names
        shape = (f" {tuple(np.shape(mat))}" if isinstance(mat, np.ndarray) and mat.ndim == 3
                 else "")
        mshape = f" {mask.shape}" if mask.ndim == 2 else ""
        kw = f", rule={mode!r}" if self.rule_kw and mode in _decode.RULES else ""
        return f"fn({a}{shape}, {b}{mshape}{kw})"

    def invoke(self, mode: str, mat: Any, mask: np.ndarray) -> tuple[Any, list[str], str]:
        """Call the decoder on fresh copies; return (result, writes it made, call text)."""
        call = self.call_text(mode, mat, mask)
        m_in = mat.copy() if isinstance(mat, np.ndarray | sp.MatrixBase) else mat
        k_in = np.array(mask, dtype=bool, copy=True)
        kw = {"rule": mode} if self.rule_kw and mode in _decode.RULES else {}
        try:
            res = self.fn(m_in, k_in, **kw)
        except Exception as exc:  # noqa: BLE001 - a decoder's exception is a finding
            raise _Fail("does not raise on valid input",
                        f"{call} raised {type(exc).__name__}: {exc}{_where(exc)}",
                        isinstance(mat, sp.MatrixBase)) from exc
        a, b = self.names
        writes = _writes(a, mat, m_in) + _writes(b, mask, k_in)
        return res, writes, call


def _writes(name: str, before: Any, after: Any) -> list[str]:
    if isinstance(before, sp.MatrixBase):
        if not isinstance(after, sp.MatrixBase) or after.shape != before.shape:
            return [f"{name} was replaced by {type(after).__name__}"]
        diff = [idx for idx in np.ndindex(*before.shape) if before[idx] != after[idx]]
        b, a = before, after
    else:
        b, a = np.asarray(before), after
        if not isinstance(a, np.ndarray) or a.shape != b.shape or a.dtype != b.dtype:
            return [f"{name} changed shape or dtype"]
        same = (a == b) | ((a != a) & (b != b))     # NaN where NaN was is no write
        diff = [tuple(int(i) for i in ix) for ix in np.argwhere(~same)]
    if not diff:
        return []
    shown = ", ".join(f"{name}[{', '.join(map(str, ix))}]: {b[ix]} -> {a[ix]}" for ix in diff[:4])
    more = f" and {len(diff) - 4} more" if len(diff) > 4 else ""
    return [f"{shown}{more}"]


@dataclass
class _Out:
    full: Any
    rec: np.ndarray
    w: np.ndarray
    t: np.ndarray


_FIELDS = ("full", "recovered", "weights", "target")


def _fields(res: Any, call: str, exact_input: bool = False) -> dict[str, Any]:
    missing = [f for f in _FIELDS if not hasattr(res, f)]
    if missing:
        raise _Fail("result fields", f"{call} returned {type(res).__name__} without "
                    f"{', '.join(missing)} (a result has full, recovered, weights, target)",
                    exact_input)
    return {f: getattr(res, f) for f in _FIELDS}


def _read(res: Any, M: int, call: str, *, T: int | None = None,
          exact_input: bool = False) -> _Out:
    """Leniently read a result (0/1 integers as booleans); fail if it cannot be read."""
    f = _fields(res, call, exact_input)
    shape = (M,) if T is None else (T, M)

    def bad(what: str) -> _Fail:
        return _Fail("result fields", f"{call}: {what}", exact_input)

    full = np.asarray(f["full"])
    if (full.size != 1 if T is None else full.shape != (T,)):
        raise bad(f"full has shape {full.shape}")
    rec = np.asarray(f["recovered"])
    if rec.shape != shape:
        raise bad(f"recovered has shape {rec.shape}, expected {shape}")
    for name, v in (("full", full), ("recovered", rec)):
        if v.dtype != bool and not (v.dtype.kind in "iu" and np.isin(v, (0, 1)).all()):
            raise bad(f"{name} must be boolean, got dtype {v.dtype}")
    arrays = []
    for name in ("weights", "target"):
        v = f[name]
        if exact_input:
            arr = np.asarray(list(v) if isinstance(v, sp.MatrixBase) else v, dtype=object)
            if arr.shape != shape:
                raise bad(f"{name} has shape {arr.shape}, expected {shape}")
            try:
                arr = np.array([_exact.as_fraction(x, f"{name}[{i}]")
                                for i, x in enumerate(arr.ravel())], dtype=object).reshape(shape)
            except TypeError as exc:
                raise _Fail("exact results", f"{call}: given a rational matrix, weights and "
                            f"target must be exact rationals (int, Fraction, sympy Rational): "
                            f"{exc} (a float-only decoder: declare exact=False, or "
                            "--no-exact)", True) from None
        else:
            try:
                arr = np.array(np.asarray(v, dtype=object).tolist(), dtype=float)
            except (TypeError, ValueError) as exc:
                raise bad(f"{name} is not an array of real numbers ({exc})") from None
            if arr.shape != shape:
                raise bad(f"{name} has shape {arr.shape}, expected {shape}")
        arrays.append(arr)
    full_b = bool(full.reshape(())) if T is None else full.astype(bool)
    return _Out(full_b, rec.astype(bool), arrays[0], arrays[1])


def _strict_problems(res: Any, M: int, T: int | None, exact_input: bool = False) -> list[str]:
    """The documented result types: bool full, bool ndarray recovered, real finite arrays
    (object arrays of exact rationals for exact input)."""
    f = {n: getattr(res, n) for n in _FIELDS if hasattr(res, n)}
    probs = [f"no attribute {n!r}" for n in _FIELDS if n not in f]
    shape = (M,) if T is None else (T, M)
    if "full" in f:
        v = f["full"]
        if T is None:
            if not (isinstance(v, bool | np.bool_)
                    or (isinstance(v, np.ndarray) and v.shape == () and v.dtype == bool)):
                probs.append(f"full must be a bool, got {type(v).__name__} {v!r}")
        elif not (isinstance(v, np.ndarray) and v.dtype == bool and v.shape == (T,)):
            probs.append(f"full must be a bool ndarray of shape ({T},), got "
                         f"{type(v).__name__} {getattr(v, 'dtype', '')}"
                         f"{tuple(np.shape(v))}")
    if "recovered" in f:
        v = f["recovered"]
        if not (isinstance(v, np.ndarray) and v.dtype == bool and v.shape == shape):
            probs.append(f"recovered must be a bool ndarray of shape {shape}, got "
                         f"{type(v).__name__} {getattr(v, 'dtype', '')}{tuple(np.shape(v))}")
    for n in ("weights", "target"):
        if n not in f:
            continue
        v = f[n]
        if exact_input:
            if not (isinstance(v, np.ndarray) and v.shape == shape):
                probs.append(f"{n} must be an ndarray of shape {shape}, got "
                             f"{type(v).__name__}{tuple(np.shape(v))}")
            continue
        if not (isinstance(v, np.ndarray) and v.dtype.kind in "fiu" and v.shape == shape):
            probs.append(f"{n} must be a real ndarray of shape {shape}, got "
                         f"{type(v).__name__} {getattr(v, 'dtype', '')}{tuple(np.shape(v))}")
        elif not np.all(np.isfinite(v)):
            probs.append(f"{n} is not finite: {_fmt_vec(v)} (a non-finite certificate is "
                         "never a recovery)")
    return probs


# ----------------------------------------------------------------------------- checks
def _certificate_problem(A: np.ndarray, used: np.ndarray, o: _Out, tol: float,
                         a_name: str) -> tuple[str, str] | None:
    w, t = o.w, o.t
    if not (np.all(np.isfinite(w)) and np.all(np.isfinite(t))):
        return ("certificate is finite", f"weights={_fmt_vec(w)}, target={_fmt_vec(t)} (a "
                "non-finite certificate is never a recovery)")
    wmax = float(np.abs(w).max(initial=0.0))
    off = np.abs(w[~used]).max(initial=0.0)
    if off > tol * wmax or (wmax == 0 and off > 0):
        return ("weights vanish on rows not used",
                f"weights={_fmt_vec(w)} are nonzero on rows "
                f"{np.flatnonzero(~used & (w != 0)).tolist()}, which the server does not have")
    Au = np.where(used[:, None], A, 0.0)
    err = float(np.abs(w @ Au - t).max(initial=0.0))
    size = float((np.abs(w) @ np.abs(Au)).max(initial=0.0))
    allowed = tol * (1.0 + size)
    if not err <= allowed:
        return (f"certificate verifies (weights @ {a_name} == target)",
                f"max |weights @ {a_name} - target| = {err!r} > allowed "
                f"tol * (1 + max_k sum_i |w_i {a_name}_ik|) = {tol!r} * (1 + {size!r}) = "
                f"{allowed!r}\n  weights = {_fmt_vec(w)}\n  target  = {_fmt_vec(t)}\n"
                f"  weights @ {a_name} = {_fmt_vec(w @ Au)}")
    return None


def _binary_mode(mode: str) -> bool:
    return mode in ("standard", "full-only")


def _claims_problem(mode: str, o: _Out, tol: float) -> str | None:
    M = o.rec.shape[0]
    K = np.flatnonzero(o.rec).tolist()
    desc = f"full={o.full}, recovered={K}, target={_fmt_vec(o.t)}"
    if o.full and not (o.rec.all() and np.abs(o.t - 1).max() <= tol):
        return f"full=True needs every client recovered and target all ones; got {desc}"
    if _binary_mode(mode):
        if not o.full and (o.rec.any() or np.abs(o.t).max() > tol):
            return (f"the outcome is all or nothing: full=False needs recovered empty and "
                    f"target zero; got {desc}")
        return None
    if mode in ("max-subset", "individual"):
        if np.abs(o.t - o.rec.astype(float)).max() > tol:
            return f"target must be the indicator 1_K of recovered K; got {desc}"
        if o.rec.all() and not o.full and M:
            return f"recovering every client is a full recovery; got {desc}"
        return None
    big = np.abs(o.t) > tol
    if np.any(big & ~o.rec) or np.any(o.rec & (o.t == 0)):
        return (f"least-squares: recovered must be the support of target (|t_k| > tol "
                f"recovered, t_k = 0 not); got {desc}")
    return None


def _oracle_problem(mode: str, o: _Out, orc: _Oracle, tol: float) -> str | None:
    K = np.flatnonzero(o.rec).tolist()
    if o.full != orc.full:
        return (f"full={o.full}, exact oracle full={orc.full} (rank of the used rows "
                f"{orc.rank}, condition number {orc.cond:.6g})")
    if mode == "individual" and not np.array_equal(o.rec, orc.individual):
        return f"K={K}, exact oracle K={np.flatnonzero(orc.individual).tolist()}"
    if mode == "max-subset":
        if len(K) != orc.max_size:
            return (f"|K|={len(K)} (K={K}), exact oracle |K|={orc.max_size} "
                    f"(optimal sets {[list(S) for S in orc.optimal_sets[:4]]})")
        if not orc.member(orc.indicator(K)):
            d = math.sqrt(float(orc.dist2(orc.indicator(K))))
            return (f"K={K} has the optimal size but 1_K is not in the row space (distance "
                    f"{d!r}); optimal sets {[list(S) for S in orc.optimal_sets[:4]]}")
    if mode == "least-squares":
        proj = np.array([float(x) for x in orc.projection])
        supp = np.array([x != 0 for x in orc.projection], dtype=bool)
        err = float(np.abs(o.t - proj).max(initial=0.0))
        if err > tol:
            return (f"target={_fmt_vec(o.t)} differs from the exact projection "
                    f"{[str(x) for x in orc.projection]} by {err!r} > tol = {tol!r}")
        if not np.array_equal(o.rec, supp):
            return (f"recovered={K} but the support of the exact projection is "
                    f"{np.flatnonzero(supp).tolist()}")
    return None


def _assume_fair(ctx: _Ctx, orc: _Oracle, modes: Sequence[str] | None = None) -> None:
    for mode in ctx.modes if modes is None else modes:
        m = "full-only" if mode == "standard" else mode
        if orc.unfair(m, ctx.cond_max, ctx.gap) is not None:
            hypothesis.assume(False)


# ----------------------------------------------------------------------------- properties
def _p_types(ctx: _Ctx, case: _Case) -> None:
    mat, mask = ctx.inputs(case)
    for mode in ctx.modes:
        res, _, call = ctx.invoke(mode, mat, mask)
        probs = _strict_problems(res, case.M, None)
        if probs:
            raise _Fail("result types", f"{call} returned {type(res).__name__}: "
                        + "; ".join(probs))


def _p_certificate(ctx: _Ctx, case: _Case) -> None:
    mat, mask = ctx.inputs(case)
    for mode in ctx.modes:
        res, _, call = ctx.invoke(mode, mat, mask)
        o = _read(res, case.M, call)
        p = _certificate_problem(mat, mask, o, ctx.tol, ctx.names[0])
        if p:
            raise _Fail(p[0], f"{call}: {p[1]}")


def _p_claims(ctx: _Ctx, case: _Case) -> None:
    mat, mask = ctx.inputs(case)
    for mode in ctx.modes:
        res, _, call = ctx.invoke(mode, mat, mask)
        p = _claims_problem(mode, _read(res, case.M, call), ctx.tol)
        if p:
            raise _Fail("target matches the claim", f"{call}: {p}")


def _p_oracle(ctx: _Ctx, case: _Case) -> None:
    orc = _oracle(ctx.used(case))
    _assume_fair(ctx, orc)
    mat, mask = ctx.inputs(case)
    for mode in ctx.modes:
        res, _, call = ctx.invoke(mode, mat, mask)
        p = _oracle_problem(mode, _read(res, case.M, call), orc, ctx.tol)
        if p:
            raise _Fail(f"agrees with the exact oracle ({mode})", f"{call}: {p}")


def _p_monotone(ctx: _Ctx, case: _Case) -> None:
    mat, mask = ctx.inputs(case)
    if ctx.kind == "standard":
        more = case.received.copy()
        more[case.extra] = True
        variants = [(f"adding row {case.extra} to received", more)]
        if case.flip is not None:
            m, k = divmod(case.flip, case.M)
            variants.append((f"the link {k} -> {m} succeeding", case.flipped()[1]))
        _assume_fair(ctx, _oracle(ctx.used(case)))
        for _, msk in variants:
            _assume_fair(ctx, _oracle(_zero_rows(case.B, msk)))
        res, _, call = ctx.invoke("standard", mat, mask)
        o = _read(res, case.M, call)
        for what, msk in variants:
            res2, _, call2 = ctx.invoke("standard", mat, msk)
            o2 = _read(res2, case.M, call2)
            if o.full and not o2.full:
                raise _Fail("monotone (arrivals and links)",
                            f"{call} succeeds, but after {what} {call2} fails "
                            f"(received {_fmt_vec(mask)} -> {_fmt_vec(msk)})")
        return
    more = case.more()
    _assume_fair(ctx, _oracle(ctx.used(case)))
    _assume_fair(ctx, _oracle(ctx.used(case, more)))
    std = _oracle(_zero_rows(case.B, case.received))
    sizes: dict[str, int] = {}
    for mode in ctx.modes:
        res, _, call = ctx.invoke(mode, mat, mask)
        o = _read(res, case.M, call)
        res2, _, call2 = ctx.invoke(mode, mat, more)
        o2 = _read(res2, case.M, call2)
        K, K2 = np.flatnonzero(o.rec).tolist(), np.flatnonzero(o2.rec).tolist()
        detail = (f"adding the arrival of client {case.extra}: {call} gives full={o.full}, "
                  f"K={K}; with arrived={_fmt_vec(more)} it gives full={o2.full}, K={K2}")
        if o.full and not o2.full:
            raise _Fail("monotone in arrivals (full recovery)", detail)
        if mode == "max-subset" and len(K2) < len(K):
            raise _Fail("monotone in arrivals (max-subset |K|)", detail)
        if mode == "individual" and not set(K) <= set(K2):
            raise _Fail("monotone in arrivals (individual K)", detail)
        if mode == "least-squares":
            r1, r2 = np.linalg.norm(1 - o.t), np.linalg.norm(1 - o2.t)
            if r2 > r1 + ctx.tol * math.sqrt(case.M):
                raise _Fail("monotone in arrivals (least-squares residual)",
                            f"{detail}; residual |1 - target| {r1!r} -> {r2!r}")
        if std.full and not o.full:
            raise _Fail("a standard success is a GC+ full recovery",
                        f"{call}: full=False, but the complete rows that arrived "
                        f"({_fmt_vec(case.received)}) already span the all-ones vector")
        sizes[mode] = len(K)
    if sizes.get("max-subset", case.M) < sizes.get("individual", 0):
        raise _Fail("max-subset recovers at least as many as individual",
                    f"|K| max-subset = {sizes['max-subset']} < individual = "
                    f"{sizes['individual']}")


def _same(o1: _Out, o2: _Out) -> str | None:
    if o1.full != o2.full or not np.array_equal(o1.rec, o2.rec):
        return (f"full {o1.full} vs {o2.full}, recovered {np.flatnonzero(o1.rec).tolist()} vs "
                f"{np.flatnonzero(o2.rec).tolist()}")
    for name, a, b in (("target", o1.t, o2.t), ("weights", o1.w, o2.w)):
        if a.dtype == object or b.dtype == object:
            if not np.array_equal(a, b):
                return f"{name} {_fmt_vec(a)} vs {_fmt_vec(b)}"
            continue
        scale = max(1.0, float(np.abs(a).max(initial=0.0)))
        if not np.allclose(a, b, rtol=0, atol=1e-9 * scale, equal_nan=True):
            return f"{name} {_fmt_vec(a)} vs {_fmt_vec(b)}"
    return None


def _p_deterministic(ctx: _Ctx, case: _Case) -> None:
    mat, mask = ctx.inputs(case)
    for mode in ctx.modes:
        res1, _, call = ctx.invoke(mode, mat, mask)
        o1 = _read(res1, case.M, call)
        for _ in range(_REPEATS - 1):
            res2, _, _ = ctx.invoke(mode, mat, mask)
            diff = _same(o1, _read(res2, case.M, call))
            if diff:
                raise _Fail("same input, same result",
                            f"{call} called {_REPEATS} times on equal inputs: {diff}")


def _p_inputs(ctx: _Ctx, case: _Case) -> None:
    mat, mask = ctx.inputs(case)
    calls = [(mode, mat, mask) for mode in ctx.modes]
    if "stack" in ctx.forms:
        calls.append((ctx.modes[0], np.stack([mat, mat]), np.stack([mask, mask])))
    if "shared" in ctx.forms:
        calls.append((ctx.modes[0], mat, np.stack([mask, mask])))
    if ctx.exact:
        calls.append((ctx.modes[0], sp.Matrix(ctx.exact_inputs(case)[0]), mask))
    for mode, m, k in calls:
        _, writes, call = ctx.invoke(mode, m, k)
        if writes:
            raise _Fail("does not write into its inputs",
                        f"{call} modified its arguments: " + "; ".join(writes),
                        isinstance(m, sp.MatrixBase))


def _p_batched(ctx: _Ctx, case: _Case) -> None:
    M = case.M
    if ctx.kind == "standard":
        more = case.received.copy()
        more[case.extra] = True
        mats = [case.Bf] * 3
        masks = [case.received, more, np.zeros(M, dtype=bool)]
        exacts = [_zero_rows(case.B, k) for k in masks]
    else:
        more = case.more()
        tau2, _ = case.flipped()
        Bt2 = tuple(tuple(x if tau2[m, j] else Fraction(0) for j, x in enumerate(r))
                    for m, r in enumerate(case.B))
        mats = [case.Btf, case.Bf, _float_matrix(Bt2)]
        masks = [case.arrived, more, np.ones(M, dtype=bool)]
        exacts = [_zero_rows(case.Bt, masks[0]), _zero_rows(case.B, masks[1]),
                  _zero_rows(Bt2, masks[2])]
    orcs = [_oracle(A) for A in exacts]
    for orc in orcs:
        _assume_fair(ctx, orc)
    shared_orcs = [_oracle(_zero_rows(case.B if ctx.kind == "standard" else case.Bt, k))
                   for k in masks]
    forms: list[tuple[Any, np.ndarray, list[np.ndarray], list[_Oracle]]] = []
    if "stack" in ctx.forms:
        forms.append((np.stack(mats), np.stack(masks), mats, orcs))
        forms.append((np.stack(mats[:1]), np.stack(masks[:1]), mats[:1], orcs[:1]))
    if "shared" in ctx.forms:
        for orc in shared_orcs:
            _assume_fair(ctx, orc)
        forms.append((mats[0], np.stack(masks), [mats[0]] * 3, shared_orcs))
        forms.append((mats[0], np.stack(masks[:1]), mats[:1], shared_orcs[:1]))
    for mode in ctx.modes:
        for mat, mask, trial_mats, trial_orcs in forms:
            T = mask.shape[0]
            res, _, call = ctx.invoke(mode, mat, mask)
            probs = _strict_problems(res, M, T)
            if probs:
                raise _Fail("batched result types", f"{call} returned "
                            f"{type(res).__name__}: " + "; ".join(probs))
            o = _read(res, M, call, T=T)
            for i in range(T):
                oi = _Out(bool(o.full[i]), o.rec[i], o.w[i], o.t[i])
                p = _oracle_problem(mode, oi, trial_orcs[i], ctx.tol)
                cp = _certificate_problem(trial_mats[i], mask[i], oi, ctx.tol, ctx.names[0])
                if p or cp:
                    one, _, call1 = ctx.invoke(mode, trial_mats[i], mask[i])
                    o1 = _read(one, M, call1)
                    raise _Fail("each trial decided as on its own",
                                f"{call}, trial {i} ({ctx.names[1]}={_fmt_vec(mask[i])}"
                                + (f", {ctx.names[0]}={_fmt_float(trial_mats[i])}"
                                   if mat.ndim == 3 else "")
                                + f"): {p or cp[1]}\n  the one-round call {call1} gives "
                                f"full={o1.full}, K={np.flatnonzero(o1.rec).tolist()}, "
                                f"target={_fmt_vec(o1.t)}")


def _p_exact(ctx: _Ctx, case: _Case) -> None:
    Bx, mask = ctx.exact_inputs(case)
    orc = _oracle(ctx.used(case))
    M = case.M
    for mode in ctx.modes:
        res, _, call = ctx.invoke(mode, sp.Matrix(Bx), mask)
        probs = _strict_problems(res, M, None, exact_input=True)
        if probs:
            raise _Fail("result types", f"{call} returned {type(res).__name__}: "
                        + "; ".join(probs), True)
        o = _read(res, M, call, exact_input=True)
        used = np.asarray(mask, dtype=bool)
        A = ctx.used(case)
        if any(o.w[i] != 0 for i in np.flatnonzero(~used)):
            raise _Fail("weights vanish on rows not used", f"{call}: weights="
                        f"{_fmt_vec(o.w)}", True)
        wA = [sum((o.w[i] * A[i][k] for i in range(M)), Fraction(0)) for k in range(M)]
        if wA != list(o.t):
            raise _Fail(f"certificate holds exactly (weights @ {ctx.names[0]} == target)",
                        f"{call}: weights={_fmt_vec(o.w)}, target={_fmt_vec(o.t)}, "
                        f"weights @ {ctx.names[0]} = {[str(x) for x in wA]}", True)
        # the claims and decisions, with tolerance 0, on the floats of the exact target
        # (0/1 targets convert exactly); exactness of the target itself is checked apart
        of = _Out(o.full, o.rec, o.w, np.array([float(x) for x in o.t]))
        p = _claims_problem(mode, of, 0.0)
        if p is None and mode in ("max-subset", "individual", "standard", "full-only"):
            want = [Fraction(int(x)) for x in o.rec]
            if _binary_mode(mode):
                want = [Fraction(int(o.full))] * M
            if list(o.t) != want:
                p = f"target must be exactly {[str(x) for x in want]}, got {_fmt_vec(o.t)}"
        if p:
            raise _Fail("target matches the claim", f"{call}: {p}", True)
        if mode == "least-squares":
            if list(o.t) != orc.projection:
                raise _Fail("agrees with the exact oracle (least-squares)",
                            f"{call}: target={_fmt_vec(o.t)}, exact projection="
                            f"{[str(x) for x in orc.projection]}", True)
            of = _Out(o.full, o.rec, o.w, np.array([float(x) for x in orc.projection]))
        p = _oracle_problem(mode, of, orc, 0.0)
        if p:
            raise _Fail(f"agrees with the exact oracle ({mode})", f"{call}: {p}", True)


_CHECKS: dict[str, Callable[[_Ctx, _Case], None]] = {
    "result types": _p_types, "certificate": _p_certificate, "claims": _p_claims,
    "exact oracle": _p_oracle, "monotone": _p_monotone, "deterministic": _p_deterministic,
    "inputs unchanged": _p_inputs, "batched": _p_batched, "exact input": _p_exact,
}


# ----------------------------------------------------------------------------- report
@dataclass
class PropertyResult:
    """Outcome of one property: ``status`` is ``"pass"``, ``"fail"``, ``"skip"`` or ``"error"``.

    ``examples`` counts the cases checked (explicit ones included, rejected ones not);
    ``detail`` holds the failure (property, call, case) or the reason for a skip;
    ``reproduce`` the argument that replays the failing case (``check_decoder(...,
    reproduce=...)``; None for an explicit case, which every run checks).
    """

    name: str
    status: str
    examples: int = 0
    seconds: float = 0.0
    detail: str = ""
    reproduce: str | None = None

    def row(self) -> str:
        """One line of the report table."""
        ex = str(self.examples) if self.status in ("pass", "fail") else "-"
        sec = f"{self.seconds:.1f}" if self.status in ("pass", "fail", "error") else "-"
        note = self.detail.splitlines()[0] if self.detail else ""
        if self.status == "fail":
            note = note.split(":")[0]
        return f"{self.name:<17} {self.status.upper():<5} {ex:>8} {sec:>7}  {note}".rstrip()


@dataclass
class ConformanceReport:
    """Results of :func:`run_conformance`: one :class:`PropertyResult` per property."""

    decoder: str
    kind: str
    modes: tuple[str, ...]
    results: list[PropertyResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    cli_args: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """No property failed (skipped ones do not count)."""
        return not any(r.status in ("fail", "error") for r in self.results)

    @property
    def failed(self) -> list[PropertyResult]:
        return [r for r in self.results if r.status in ("fail", "error")]

    def header(self) -> str:
        what = ("standard decoding" if self.kind == "standard" else
                "GC+, full recovery only" if self.modes == ("full-only",) else
                "GC+ rules " + ", ".join(self.modes))
        lines = [f"conformance of {self.decoder} ({what})"]
        lines += [f"  note: {n}" for n in self.notes]
        lines.append(f"{'property':<17} {'result':<5} {'examples':>8} {'seconds':>7}  notes")
        return "\n".join(lines)

    def table(self) -> str:
        """The pass/fail table by property, with a summary line."""
        rows = [self.header()] + [r.row() for r in self.results]
        n_fail = len(self.failed)
        rows.append(f"{'FAILED' if n_fail else 'PASSED'}: "
                    f"{sum(r.status == 'pass' for r in self.results)} passed, {n_fail} failed, "
                    f"{sum(r.status == 'skip' for r in self.results)} skipped "
                    f"({sum(r.seconds for r in self.results):.1f} s)")
        return "\n".join(rows)

    def failure_text(self, command: str | None = None) -> str:
        """Every failure in full: property, call, returned values, oracle, pasteable case.

        Each ends with the call that replays it (``command``: as a ``cogc check-decoder``
        command line with the same options, else as a :func:`check_decoder` call).
        """
        out = []
        for r in self.failed:
            text = f"property '{r.name}' fails: {r.detail}"
            if r.reproduce:
                text += ("\n  replay: " + (" ".join([command, *self.cli_args, "--reproduce",
                                                    f"'{r.reproduce}'"]) if command else
                                          f"check_decoder(fn, {', '.join(self.args)}"
                                          f"{', ' if self.args else ''}"
                                          f"reproduce={r.reproduce!r})"))

            out.append(text)
        return "\n\n".join(out)

    def __str__(self) -> str:
        text = self.table()
        return text + ("\n\n" + self.failure_text() if self.failed else "")


# ----------------------------------------------------------------------------- probing
_TANDON = ((Fraction(1, 2), Fraction(1), Fraction(0)),
           (Fraction(0), Fraction(1), Fraction(-1)),
           (Fraction(1, 2), Fraction(0), Fraction(1)))


def _probe_case() -> _Case:
    """Tandon et al.'s B, client 0 missed g_1: GC+ with clients 0, 2 recovers g_0 + g_2."""
    tau = np.array([[1, 0, 1], [1, 1, 1], [1, 1, 1]], dtype=bool)
    return _Case("nice", "Tandon et al.'s B, client 0 missed g_1", _TANDON, tau,
                 np.array([True, False, True]), 1, 1)


def _accepts_rule(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.name == "rule" and p.kind != p.POSITIONAL_ONLY or p.kind == p.VAR_KEYWORD
               for p in params)


def _try(ctx: _Ctx, mode: str, mat: Any, mask: np.ndarray) -> str | None:
    try:
        ctx.invoke(mode, mat, mask)
    except _Fail as f:
        return f.detail
    return None


def _probe(ctx: _Ctx, rules: tuple[str, ...] | None, batched: bool | None,
           exact: bool | None) -> tuple[list[str], dict[str, str]]:
    """Settle modes, batched forms and exact support; return (notes, skipped rows)."""
    notes: list[str] = []
    skips: dict[str, str] = {}
    case = _probe_case()
    mat, mask = ctx.inputs(case)
    if ctx.kind == "gcplus" and ctx.modes != ("full-only",):
        if rules is None and not ctx.rule_kw:
            ctx.modes = ("max-subset",)
            notes.append("fn takes no rule= keyword: tested as rule 'max-subset' (declare "
                         "rules=[...] or full_only=True otherwise)")
        elif rules is None:
            ok, refused = [], []
            for r in _decode.RULES:
                why = _try(ctx, r, mat, mask)
                (refused.append(f"'{r}' ({why.split(' raised ', 1)[-1]})") if why
                 else ok.append(r))
            if ok:
                ctx.modes = tuple(ok)
                if refused:
                    notes.append("not tested, fn raised on a small case with rule "
                                 + "; ".join(refused) + " (declare rules= to choose)")
    forms = ("stack", "shared") if ctx.kind == "gcplus" else ("shared",)
    if batched is False:
        skips["batched"] = "not declared (batched=False)"
    elif batched is None:
        found = []
        for form in forms:
            bm = np.stack([mat, mat]) if form == "stack" else mat
            why = _try(ctx, ctx.modes[0], bm, np.stack([mask, mask]))
            if why is None:
                found.append(form)
        if found:
            ctx.forms = tuple(found)
        else:
            skips["batched"] = ("fn raised on a batch of 2 trials (declare batched=True to "
                                "require batches, batched=False to silence this)")
    else:
        ctx.forms = forms
    if exact is False:
        skips["exact input"] = "not declared (exact=False)"
    elif exact is None:
        why = _try(ctx, ctx.modes[0], sp.Matrix(ctx.exact_inputs(case)[0]), mask)
        if why is None:
            ctx.exact = True
        else:
            skips["exact input"] = (f"fn raised on a sympy Matrix ({why.split(' raised ', 1)[-1]}"
                                    "); declare exact=True to require it, exact=False to "
                                    "silence this")
    else:
        ctx.exact = True
    return notes, skips


# ----------------------------------------------------------------------------- running
def _check_cond_max(cond_max: Any) -> float:
    if isinstance(cond_max, bool) or not isinstance(cond_max, int | float) \
            or not 10 <= cond_max <= 1e12:
        raise ValueError(f"cond_max must be a number in [10, 1e12] (the largest condition "
                         f"number of a case; default {COND_MAX:g}), got {cond_max!r}")
    return float(cond_max)


def _fn_name(fn: Callable[..., Any]) -> str:
    mod = getattr(fn, "__module__", None) or ""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
    return f"{mod}.{name}" if mod else name


def _parse_reproduce(reproduce: Any) -> tuple[str, bytes] | None:
    if reproduce is None:
        return None
    if not isinstance(reproduce, str) or ":" not in reproduce:
        raise ValueError("reproduce must be 'property:blob' as printed by a failure, got "
                         f"{reproduce!r}")
    name, blob = reproduce.rsplit(":", 1)
    if name not in PROPERTIES:
        raise ValueError(f"reproduce names unknown property {name!r}; properties: "
                         f"{', '.join(PROPERTIES)}")
    return name, blob.strip().encode()


_UNSEEN = object()


class _Budget:
    """Shrinking time left for the whole run."""

    def __init__(self) -> None:
        self.left = _SHRINK_TOTAL


def _run_property(ctx: _Ctx, name: str, strategy: st.SearchStrategy,
                  max_examples: int | None, seed: int | None,
                  reproduce: bytes | None, budget: _Budget) -> PropertyResult:
    check = _CHECKS[name]
    memo: dict[tuple, _Fail | None] = {}
    state: dict[str, Any] = {"n": 0, "first": None}
    limit = min(SHRINK_SECONDS, budget.left)

    def body(case: _Case) -> None:
        f = memo.get(case.key, _UNSEEN)
        if f is _UNSEEN:
            if state["first"] is not None and time.perf_counter() - state["first"] > limit:
                return     # shrink budget spent: unseen cases pass, so shrinking ends here
            try:
                check(ctx, case)
                f = None
            except _Fail as exc:
                exc.case = case
                f = exc
                if state["first"] is None:
                    state["first"] = time.perf_counter()
            memo[case.key] = f
            state["n"] += 1
        if f is not None:
            raise f.copy()     # one raise site: hypothesis tells failures apart by it

    body._hypothesis_internal_add_digest = (  # type: ignore[attr-defined]
        f"cogc check_decoder|{name}|{ctx.kind}|{ctx.modes}|{_fn_name(ctx.fn)}".encode())
    kw: dict[str, Any] = dict(deadline=None, suppress_health_check=list(HealthCheck),
                              report_multiple_bugs=False, print_blob=True,
                              phases=(Phase.explicit, Phase.reuse, Phase.generate,
                                      Phase.shrink))
    if max_examples is not None:
        kw["max_examples"] = max_examples
    if seed is not None:
        kw["database"] = None
    test = given(case=strategy)(body)
    explicit: tuple[_Case, ...] = ()
    if name in ("certificate", "claims", "exact oracle", "deterministic"):
        explicit += _special_cases()
    if name == "exact oracle":
        explicit += _ladder(_k_max(ctx.cond_max))
    for case in reversed(explicit):
        test = hypothesis.example(case=case)(test)
    test = settings(**kw)(test)
    if seed is not None:
        test = hypothesis.seed(seed)(test)
    if reproduce is not None:
        test = hypothesis.reproduce_failure(hypothesis.__version__, reproduce)(test)
    t0 = time.perf_counter()
    try:
        test()
    except _Fail as f:
        notes = " ".join(getattr(f, "__notes__", []))
        m = re.search(r"reproduce_failure\('[^']*', b'([^']*)'\)", notes)
        if state["first"] is not None:
            budget.left -= min(limit, time.perf_counter() - state["first"])
        return PropertyResult(name, "fail", state["n"], time.perf_counter() - t0, f.text(),
                              f"{name}:{m.group(1)}" if m else None)
    except Flaky as exc:
        return PropertyResult(name, "fail", state["n"], time.perf_counter() - t0,
                              "same input, same result: a failure did not repeat when the "
                              f"case was run again (hypothesis: {type(exc).__name__})")
    except Unsatisfiable:
        return PropertyResult(name, "error", state["n"], time.perf_counter() - t0,
                              f"no case met the limits (cond_max={ctx.cond_max:g}, "
                              f"tol={ctx.tol:g}); raise cond_max or tol")
    return PropertyResult(name, "pass", state["n"], time.perf_counter() - t0)


def run_conformance(fn: Callable[..., Any], *, kind: str = "gcplus",
                    rules: Sequence[str] | None = None, full_only: bool = False,
                    batched: bool | None = None, exact: bool | None = None,
                    max_examples: int | None = None, seed: int | None = None,
                    tol: float = TOL, cond_max: float = COND_MAX,
                    matrices: st.SearchStrategy | None = None,
                    properties: Sequence[str] | None = None, reproduce: str | None = None,
                    progress: Callable[[ConformanceReport, PropertyResult | None], None]
                    | None = None) -> ConformanceReport:
    """Run the conformance suite and return the report (never raises for a failing decoder).

    The parameters are those of :func:`check_decoder`, plus ``progress``, called with the
    report once before the first property (result ``None``: the decoder has been probed, the
    header is known) and then with each :class:`PropertyResult` as it finishes.
    """
    if kind not in ("gcplus", "standard"):
        raise ValueError(f"kind must be 'gcplus' or 'standard', got {kind!r}")
    if not callable(fn):
        raise TypeError(f"fn must be callable (a decoder function), got {type(fn).__name__}")
    if rules is not None:
        if isinstance(rules, str):
            rules = (rules,)
        rules = tuple(rules)
        bad = [r for r in rules if r not in _decode.RULES]
        if bad or not rules:
            raise ValueError(f"rules must be a non-empty subset of {_decode.RULES}, got "
                             f"{list(rules)}")
        if kind == "standard":
            raise ValueError("rules apply to kind='gcplus' only (standard decoding has none)")
    for name, v in (("batched", batched), ("exact", exact)):
        if v is not None and not isinstance(v, bool):
            raise TypeError(f"{name} must be True, False or None (probe), got {v!r}")
    if not isinstance(full_only, bool):
        raise TypeError(f"full_only must be a bool, got {full_only!r}")
    if full_only and (kind == "standard" or rules is not None):
        raise ValueError("full_only=True is for a GC+ decoder without partial rules: use it "
                         "with kind='gcplus' and without rules=")
    if max_examples is not None and (isinstance(max_examples, bool)
                                     or not isinstance(max_examples, int) or max_examples < 1):
        raise ValueError(f"max_examples must be a positive integer or None (the hypothesis "
                         f"profile's), got {max_examples!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(f"seed must be an int or None (explore), got {seed!r}")
    if isinstance(tol, bool) or not isinstance(tol, int | float) or not 0 < tol <= 1e-2:
        raise ValueError(f"tol must lie in (0, 1e-2] (default {TOL:g}), got {tol!r}")
    cond_max = _check_cond_max(cond_max)
    props = PROPERTIES if properties is None else tuple(properties)
    bad = [p for p in props if p not in PROPERTIES]
    if bad:
        raise ValueError(f"unknown properties {bad}; choose from {', '.join(PROPERTIES)}")
    repro = _parse_reproduce(reproduce)
    if repro is not None:
        props = (repro[0],)
    if kind == "standard":
        modes: tuple[str, ...] = ("standard",)
    elif full_only:
        modes = ("full-only",)
    else:
        modes = rules if rules is not None else _decode.RULES
    rule_kw = _accepts_rule(fn)
    if kind == "gcplus" and not full_only and rules is not None and len(rules) > 1 \
            and not rule_kw:
        raise ValueError(f"fn takes no rule= keyword, so it can implement one rule only; "
                         f"rules names {len(rules)}")
    ctx = _Ctx(fn, kind, modes, rule_kw, float(tol), cond_max)
    notes, skips = _probe(ctx, rules, batched, exact)
    args, cli_args = [], []
    if kind != "gcplus":
        args.append(f"kind={kind!r}")
        cli_args.append(f"--kind {kind}")
    if rules is not None:
        args.append(f"rules={list(rules)!r}")
        cli_args.append(f"--rules {','.join(rules)}")
    if full_only:
        args.append("full_only=True")
        cli_args.append("--full-only")
    for n, v in (("batched", batched), ("exact", exact)):
        if v is not None:
            args.append(f"{n}={v!r}")
            cli_args.append(f"--{n}" if v else f"--no-{n}")
    for n, v, d in (("tol", tol, TOL), ("cond_max", cond_max, COND_MAX)):
        if v != d:
            args.append(f"{n}={v!r}")
            cli_args.append(f"--{n.replace('_', '-')} {v!r}")
    report = ConformanceReport(_fn_name(fn), kind, ctx.modes, notes=notes, args=args,
                               cli_args=cli_args)
    mats = matrices if matrices is not None else gc_matrices(exact=True, max_M=6)
    k_max = _k_max(cond_max)
    budget = _Budget()
    if progress is not None:
        progress(report, None)
    for name in PROPERTIES:
        if name not in props:
            continue
        if name in skips:
            res = PropertyResult(name, "skip", detail=skips[name])
        else:
            families = ("nice", "ultra") if name == "exact input" else ("nice", "hard")
            res = _run_property(ctx, name, _cases(families, mats, k_max), max_examples, seed,
                                repro[1] if repro else None, budget)
        report.results.append(res)
        if progress is not None:
            progress(report, res)
    return report


def check_decoder(fn: Callable[..., Any], *, kind: str = "gcplus",
                  rules: Sequence[str] | None = None, full_only: bool = False,
                  batched: bool | None = None, exact: bool | None = None,
                  max_examples: int | None = None, seed: int | None = None,
                  tol: float = TOL, cond_max: float = COND_MAX,
                  matrices: st.SearchStrategy | None = None,
                  properties: Sequence[str] | None = None,
                  reproduce: str | None = None) -> ConformanceReport:
    r"""Run the conformance suite against a decoder; raise :class:`AssertionError` on failure.

    Parameters
    ----------
    fn : callable
        ``kind="gcplus"``: ``fn(Bt, arrived, rule=rule)`` with float ``Bt`` (M, M) and bool
        ``arrived`` (M,); ``kind="standard"``: ``fn(B, received)``. It returns an object with
        ``full`` (bool), ``recovered`` (bool (M,)), ``weights`` and ``target`` ((M,)) such
        that ``weights @ Bt == target`` (standard: ``weights @ B``).
    kind : {"gcplus", "standard"}
    rules : sequence of str, optional
        GC+ rules the decoder implements (subset of :data:`cogc_theory.decode.RULES`);
        default: those it accepts on a small case (all three for a decoder that checks
        ``rule``; ``"max-subset"`` if it has no ``rule`` parameter). With a single rule,
        a decoder without a ``rule`` parameter is called without it.
    full_only : bool
        A GC+ decoder that decides full recovery only: ``full`` must match the oracle and
        the outcome is all or nothing (``recovered`` empty and ``target`` zero otherwise).
    batched, exact : bool or None
        Whether the decoder handles a leading trials axis / sympy matrices of rationals:
        ``True`` tests it, ``False`` skips it, ``None`` (default) tests it if the decoder
        accepts a small instance without raising.
    max_examples : int, optional
        Hypothesis examples per property (default: the current hypothesis profile's, 100
        unless changed); each example calls ``fn`` a few times per rule.
    seed : int, optional
        ``None`` (default) explores: new cases each run, failures saved in and replayed
        from hypothesis's example database. An int gives a fixed run without the database.
    tol : float
        Certificate tolerance (:math:`\max_k|(a^\top A-t)_k|\le\mathrm{tol}\,
        (1+\max_k\sum_i|a_iA_{ik}|)`), least-squares target tolerance, and the smallest
        distance from the row space of a target that is not in it (see *Limits* in the
        module docstring). In :math:`(0, 10^{-2}]`, default :math:`10^{-7}`.
    cond_max : float
        Largest condition number of a case's used rows, in :math:`[10, 10^{12}]`;
        default :math:`10^7` (see *Limits* in the module docstring).
    matrices : hypothesis strategy, optional
        Matrices (sympy rationals or floats, converted exactly) for the well-conditioned
        half of the cases; default ``gc_matrices(exact=True, max_M=6)``. The hard half is
        always :func:`near_singular_matrices`.
    properties : sequence of str, optional
        Run only these of :data:`PROPERTIES`.
    reproduce : str, optional
        ``"property:blob"`` printed with a failure: replay exactly that case.

    Returns
    -------
    ConformanceReport
        When every property passed or was skipped; ``print(report.table())`` shows it.

    Raises
    ------
    AssertionError
        If a property fails: the table, then for each failing property the violated
        statement, the call, what the decoder returned, the exact oracle's answer, the
        (shrunk) case as pasteable numpy code and the argument that replays it.
    ValueError, TypeError
        Bad arguments.

    Notes
    -----
    Call it from a plain test function, not from inside a ``@hypothesis.given`` test
    (hypothesis does not nest). Its own tests use ``seed=0``.
    """
    report = run_conformance(fn, kind=kind, rules=rules, full_only=full_only, batched=batched,
                             exact=exact, max_examples=max_examples, seed=seed, tol=tol,
                             cond_max=cond_max, matrices=matrices, properties=properties,
                             reproduce=reproduce)
    if not report.passed:
        raise AssertionError("check_decoder: the decoder fails the conformance suite\n"
                             + str(report))
    return report


# ----------------------------------------------------------------------------- command line
def load_decoder(target: str) -> Callable[..., Any]:
    """Import ``package.module:function`` (or ``path/to/file.py:function``); ValueError if not.

    The current directory is put on ``sys.path`` first (as ``python -m`` does), so a module
    beside the caller imports. ``function`` may be dotted (``module:Class.method``). Every
    failure — no such module, an exception while importing it, no such attribute, not
    callable — is one :class:`ValueError` line naming what to fix.
    """
    if not isinstance(target, str) or target.count(":") != 1 or target.startswith(":") \
            or target.endswith(":"):
        raise ValueError(f"the decoder must be given as package.module:function, got "
                         f"{target!r}")
    modname, attr = target.split(":")
    try:
        if modname.endswith(".py") or os.sep in modname or "/" in modname:
            path = Path(modname)
            if not path.is_file():
                raise ValueError(f"no such file {modname!r}")
            spec = importlib.util.spec_from_file_location(path.stem, path)
            if spec is None or spec.loader is None:
                raise ValueError(f"cannot import {modname!r} as a Python file")
            module = importlib.util.module_from_spec(spec)
            sys.modules.setdefault(path.stem, module)
            spec.loader.exec_module(module)
        else:
            if os.getcwd() not in sys.path and "" not in sys.path:
                sys.path.insert(0, os.getcwd())
            module = importlib.import_module(modname)
    except ValueError:
        raise
    except ModuleNotFoundError as exc:
        raise ValueError(f"cannot import module {modname!r}: {exc} (run from the directory "
                         "that contains it, or install its package)") from None
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the user's module failed
        raise ValueError(f"importing {modname!r} raised {type(exc).__name__}: "
                         f"{' '.join(str(exc).split())}{_where(exc)}") from None
    obj: Any = module
    for part in attr.split("."):
        if not part.isidentifier() or not hasattr(obj, part):
            names = [n for n in dir(obj) if not n.startswith("_")
                     and callable(getattr(obj, n, None))][:8]
            raise ValueError(f"{modname!r} has no attribute {attr!r} (callables there: "
                             f"{', '.join(names) or 'none'})")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ValueError(f"{target!r} is a {type(obj).__name__}, not a function")
    return obj


def _opt(options: Any, name: str, default: Any = None) -> Any:
    value = options.get(name) if isinstance(options, Mapping) else getattr(options, name, None)
    return default if value is None else value


def _split(value: Any) -> list[str] | None:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    return list(value) if value else None


def check_decoder_command(options: argparse.Namespace | Mapping[str, Any],
                          out: TextIO | None = None) -> int:
    """The ``cogc check-decoder`` command: run the suite, print the table, return exit status.

    ``options`` (an argparse namespace or a mapping) holds ``decoder``
    (``package.module:function``) and optionally ``kind``, ``examples``, ``rules`` (comma
    separated or a list), ``full_only``, ``batched``, ``exact`` (True / False / None),
    ``seed``, ``tol``, ``cond_max``, ``only`` (comma-separated properties) and
    ``reproduce``. The table goes to ``out`` (default stdout) one row per property as it
    finishes, then each failure in full. Returns 0 if every property passed or was skipped,
    1 if one failed. Bad options or a decoder that cannot be imported raise
    :class:`ValueError` / :class:`TypeError` with a one-line message (the command line
    prints it and exits with status 2).
    """
    out = sys.stdout if out is None else out
    target = _opt(options, "decoder")
    fn = load_decoder(target)
    started: list[bool] = []

    def progress(report: ConformanceReport, res: PropertyResult | None) -> None:
        if not started:
            out.write(report.header() + "\n")
            started.append(True)
        if res is not None:
            out.write(res.row() + "\n")
        out.flush()

    report = run_conformance(
        fn, kind=_opt(options, "kind") or "gcplus", rules=_split(_opt(options, "rules")),
        full_only=bool(_opt(options, "full_only", False)), batched=_opt(options, "batched"),
        exact=_opt(options, "exact"), max_examples=_opt(options, "examples"),
        seed=_opt(options, "seed"), tol=_opt(options, "tol", TOL),
        cond_max=_opt(options, "cond_max", COND_MAX),
        properties=_split(_opt(options, "only")), reproduce=_opt(options, "reproduce"),
        progress=progress)
    out.write(report.table().splitlines()[-1] + "\n")
    if report.failed:
        out.write("\n" + report.failure_text(command=f"cogc check-decoder {target}") + "\n")
        return 1
    return 0
