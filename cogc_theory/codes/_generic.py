r"""Generic cyclic-repetition codes at any M: a threshold theorem and a well-conditioned draw.

Size: the theorem, its proof and the draw it licenses belong together; the docstring (the
statement and proof) is a third of the file.

**Setting.** Fix :math:`M\ge 2`, :math:`1\le s\le M-1`, the windows
:math:`W_m=\{m,m+1,\dots,m+s\}\bmod M` and the parity space

.. math:: \mathcal L=\{H\in\mathbb R^{s\times M}:\ H\mathbf 1=0\}
          \;\cong\;\mathbb R^{s\times(M-1)} .

For :math:`H\in\mathcal L` the *window vector* :math:`b_m(H)\in\mathbb R^M` is the generalised
cross product of the :math:`s+1` columns of :math:`H` on :math:`W_m`
(:math:`w_j = m+j \bmod M`):

.. math:: b_m(H)_{w_j} = (-1)^j\det H_{:,\,W_m\setminus\{w_j\}}\quad(0\le j\le s),
          \qquad b_m(H)_k = 0\ (k\notin W_m).

By Laplace expansion :math:`H\,b_m(H)=0`; when :math:`\operatorname{rank}H_{:,W_m}=s` it spans
:math:`\ker H\cap\mathbb R^{W_m}`, so it is (up to scale) the row :math:`m` of the null-space
construction of Tandon et al. (2017, Alg. 2) used by every real construction of
:mod:`cogc_theory.codes`. The entries of :math:`B(H)` are polynomials with integer coefficients
in the entries of :math:`H`; rescaling rows (unit norm, :math:`B_{mm}>0`) changes no rank.

**Theorem.** There is a proper algebraic subset :math:`Z\subset\mathcal L` (a finite union of
zero sets of nonzero integer polynomials) such that for every :math:`H\in\mathcal L\setminus Z`
and :math:`B=B(H)`:

(i) every :math:`s\times s` minor of :math:`H` is nonzero, hence every entry of :math:`b_m` on
    :math:`W_m` is nonzero and :math:`\ker H\cap\mathbb R^{W_m}=\operatorname{span}b_m`;
(ii) every :math:`M-s` rows of :math:`B` are linearly independent, so they span
     :math:`\ker H\ni\mathbf 1`;
(iii) no :math:`M-s-1` rows of :math:`B` span :math:`\mathbf 1` — equivalently, in the
      expansion :math:`\mathbf 1=\sum_{m\in R}a_mb_m` over any :math:`|R|=M-s` every
      :math:`a_m\ne 0`. Hence the decodable family of standard decoding is exactly the
      threshold family

      .. math:: \mathcal D(B)=\{R\subseteq\{0,\dots,M-1\}:\ |R|\ge M-s\};

(iv) for :math:`s=1`, with :math:`h=H^\top` (so :math:`\ker B=\operatorname{span}h`,
     :math:`\mathbf 1^\top h=0`): :math:`\sum_{k\in K}h_k\ne 0` for every nonempty proper
     :math:`K` — the condition of :func:`cogc_theory.outage.structure.ring_s1_generic`;
(v) for every GC+ client-state pattern :math:`x` (effective rows :math:`A_x`, some entries
    zeroed by failed links) and every :math:`K`, :math:`\operatorname{rank}A_x` and whether
    :math:`\mathbf 1_K\in\operatorname{rowspace}A_x` take their generic values. So GC+ full
    recovery, the individual set and the max-subset set are functions of the pattern alone,
    the same for every :math:`H\notin Z` (SPEC §4).

Consequently, if :math:`H` has a distribution absolutely continuous with respect to Lebesgue
measure on :math:`\mathcal L`, then (i)–(v) hold with probability 1. This covers centred
Gaussian parities (``"gaussian"``), Haar row spaces (``"orthonormal"``: :math:`B` depends only
on :math:`\operatorname{rowspace}H`, which orthonormalising a centred Gaussian draw does not
change), the best-of-16 selection ``"optimized"`` (the chosen draw lies in :math:`Z` with
probability at most 16 times that of one draw, i.e. 0) and the locally conditioned draw of
:func:`generic_cyclic_code` (each kept column is an independent draw translated by a function
of earlier draws, and the centring is a linear surjection onto :math:`\mathcal L`; for
:math:`s=1` a uniform perturbation of a fixed :math:`h`). It does **not** cover discrete
draws (the exact integer constructions must still be checked, as they are) nor the real
circulant, which lies in :math:`Z` (see below).

*Proof.* Each property is the non-vanishing of a polynomial with integer coefficients on
:math:`\mathcal L`: for (ii) some maximal minor of :math:`B_R`, for (iii) some maximal minor of
:math:`\left[\begin{smallmatrix}B_{R'}\\ \mathbf 1^\top\end{smallmatrix}\right]`,
:math:`|R'|=M-s-1`, for (iv) the linear form :math:`\sum_{k\in K}h_k`, for (v) a minor of
maximal (generic) size of :math:`A_x` or of
:math:`\left[\begin{smallmatrix}A_x\\ \mathbf 1_K^\top\end{smallmatrix}\right]`. A polynomial that
is not identically zero vanishes only on a Lebesgue-null closed set, and finitely many null
sets are null; (v) needs nothing more (the rank of a polynomial matrix equals its maximum off
a proper algebraic set). For (iv) the form is not zero on :math:`\mathcal L`
(:math:`h=e_a-e_b`, :math:`a\in K\not\ni b`). For (i)–(iii) one point where the polynomial is
nonzero suffices, and it may lie over any field :math:`F` containing a primitive
:math:`M`-th root of unity :math:`\omega` (:math:`\mathbb C`, or :math:`\mathbb F_p` with
:math:`p\equiv 1\bmod M`): an integer polynomial that is nonzero at a point over :math:`F` is
not the zero polynomial. Take :math:`H^\star_{jk}=\omega^{jk}`, :math:`j=1,\dots,s`, so
:math:`H^\star\mathbf 1=0`. Any :math:`s` of its columns form a row-scaled Vandermonde matrix
in distinct nodes, which gives (i); the window vectors are the cyclic shifts of the coefficient
vector of :math:`g(z)=\prod_{j=1}^{s}(z-\omega^j)`. Identify :math:`a\in F^M` with
:math:`a(z)=\sum_m a_mz^m` modulo :math:`z^M-1`, so that :math:`\sum_m a_mb_m\leftrightarrow
a(z)g(z)`, and evaluate at :math:`z=\omega^j`:

* (ii) :math:`\sum_{m\in R}a_mb_m=0` forces :math:`a(\omega^j)=0` for the :math:`M-s`
  consecutive exponents :math:`j=s+1,\dots,M` (where :math:`g\ne 0`); a polynomial supported on
  :math:`M-s` monomials :math:`z^m`, :math:`m\in R`, vanishing there is zero (Vandermonde in the
  distinct :math:`\omega^m`), so :math:`a=0`;
* (iii) :math:`\sum_{m\in R'}a_mb_m=\mathbf 1\leftrightarrow 1+z+\dots+z^{M-1}` forces
  :math:`a(\omega^j)=0` for :math:`j=s+1,\dots,M-1` (:math:`M-s-1` consecutive exponents,
  :math:`|R'|=M-s-1`), so :math:`a=0`, while :math:`z=1` needs :math:`a(1)g(1)=M\ne 0` in
  :math:`F`: a contradiction. :math:`\square`

The exponents :math:`J=\{1,\dots,s\}` matter: the real cyclic-MDS code of Raviv, Tamo, Tandon
and Dimakis (``construction="circulant"``) needs :math:`J=-J` (a real :math:`g`), which puts
:math:`0` inside the complement of :math:`J`; then (ii) still holds (BCH bound) but (iii) can
fail (:math:`s=1`: rows :math:`e_m+e_{m+1}`, every other row sums to :math:`\mathbf 1`). No
conjugation-closed consecutive :math:`J` is adjacent to :math:`0`, so no real circulant is a
witness, and the real default code must be drawn at random. ``proofs/generic_cyclic.py`` checks
the witness exhaustively over :math:`\mathbb F_p` and the theorem on rational draws.

**What the toolkit may skip.** For a code from :func:`generic_cyclic_code` (and the other
continuous constructions) the CoGC outage is the Poisson-binomial tail at :math:`t=M-s` with no
rank test (:attr:`GenericCyclicCode.threshold_by_construction`), the :math:`s=1` ring routes
apply, and GC+ decisions may be cached per pattern.

**Floating point.** The theorem is about exact ranks. A float decoder resolves them only while
the decoding systems are well conditioned: the rank test uses ``rtol = 1e-10`` and the
certificate ``atol = 1e-8``. The conditioning of random constructions is set by *local*
degeneracies: when :math:`s` consecutive columns of :math:`H` are nearly dependent, two
adjacent rows of :math:`B` become nearly parallel (for :math:`s=1`, a tiny :math:`|h_k|`).
:func:`generic_cyclic_code` therefore draws the columns one at a time and redraws any column
that leaves a block of :math:`s` consecutive columns with condition number above
``block_kappa * s``. Measured in ``benchmarks/bench_conditioning_scale.py`` (and summarised in
``research/default_code.md``), this lowers the typical :math:`\kappa(B_R)` at
:math:`M=1000` by one to two orders of magnitude against a Haar draw.

For :math:`s=1` the code is fixed by :math:`h` and two more float margins can be *guaranteed*:
:math:`h=z+\delta(u-\bar u)` with :math:`z` the steps of a zigzag whose prefix sums
:math:`0,2,4,\dots,\dots,5,3,1` are distinct integers, :math:`u` uniform on :math:`[-1,1]^M`
and :math:`\delta=1/(4M)` (a density on :math:`\mathcal L`, so the theorem applies). Every
proper cyclic interval sum of :math:`h` is then at least :math:`1/2` in absolute value
(:func:`interval_margin` :math:`>0.24`) — the quantity that two-straggler decisions and GC+ full
recovery on the ring depend on (a Haar :math:`h` gives about :math:`10^{-6}` at
:math:`M=10^4`) — and :math:`|h_k|\ge 3/4`, so :math:`\kappa(B_R)\approx 0.64\,M`. Sums over
non-interval subsets (the max-subset rule) are only :math:`\ne 0` with probability 1, with
no useful float margin at large :math:`M` (nor for any draw: :math:`2^M` sums of :math:`M`
bounded numbers).

Examples
--------
>>> code = generic_cyclic_code(8, 2, seed=0)
>>> code.coef.shape, code.threshold, code.threshold_by_construction
((8, 3), 6, True)
>>> import numpy as np
>>> B = code.dense()
>>> bool(np.allclose(B @ code.H.T, 0, atol=1e-12)), bool(np.allclose(code.H.sum(axis=1), 0))
(True, True)

References
----------
.. [1] R. Tandon, Q. Lei, A. G. Dimakis, N. Karampatziakis, "Gradient coding: avoiding
   stragglers in distributed learning", ICML 2017 (Alg. 2, the random construction).
.. [2] N. Raviv, I. Tamo, R. Tandon, A. G. Dimakis, "Gradient coding from cyclic MDS codes and
   expander graphs", IEEE Trans. Inf. Theory 66(12), 2020 (the cyclic-MDS construction).
.. [3] J. T. Schwartz, "Fast probabilistic algorithms for verification of polynomial
   identities", J. ACM 27(4), 1980 (a nonzero polynomial rarely vanishes).
"""

from __future__ import annotations

import functools
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse

from .._validate import check_positive, check_rng
from ._common import OPTIMIZED_MAX_M, check_M_s, readonly

__all__ = [
    "DEFAULT_BLOCK_KAPPA",
    "MAX_WORK",
    "THEOREM_CONSTRUCTIONS",
    "GenericCyclicCode",
    "covered_by_theorem",
    "generic_cyclic_code",
    "interval_margin",
    "resolve_construction",
    "window_vectors",
]

#: Largest :math:`M(s+1)^3` accepted: the construction takes about that many flops (a small
#: SVD per window, a few passes), about 10-30 s at the limit (e.g. M = 10,000 with s <= 125).
MAX_WORK = 2e10
#: Default cap on :math:`\kappa(H_{:,k..k+s-1})/s` for blocks of s consecutive parity columns.
DEFAULT_BLOCK_KAPPA = 8.0
#: Float constructions whose parity has a density on L, so the theorem applies: "generic"
#: (this module) and those of :func:`cogc_theory.codes.cyclic_repetition` except "circulant".
THEOREM_CONSTRUCTIONS = ("generic", "optimized", "orthonormal", "gaussian")
#: Candidates drawn at once when a column is redrawn.
_CANDIDATES = 8
#: Redraw attempts (batches of candidates) per column in the sequential pass.
_TRIES = 4
#: Repair rounds after centring (each re-checks every block), and rounds without a lower
#: maximum after which the repair stops.
_ROUNDS = 30
_STALE = 2
#: A window whose parity block has sigma_s <= _RANK_TOL * sigma_1 is treated as rank deficient.
_RANK_TOL = 1e-12
#: Floats per batched SVD chunk.
_CHUNK_FLOATS = 1 << 22


def _check_M_s(M: Any, s: Any) -> tuple[int, int]:
    M, s = check_M_s(M, s)
    work = M * (s + 1) ** 3
    if work > MAX_WORK:
        s_max = int((MAX_WORK / M) ** (1 / 3)) - 1
        raise ValueError(
            f"generic_cyclic_code(M={M}, s={s}) would take about M*(s+1)**3 = {work:.2g} flops "
            f"(> MAX_WORK = {MAX_WORK:.0e}); use s <= {s_max} at this M, or "
            f"cogc_theory.codes.cyclic_repetition(M, s, construction='orthonormal')")
    return M, s


def resolve_construction(M: int, construction: str) -> str:
    """The construction ``"auto"`` stands for: ``"optimized"`` for ``M <=``
    :data:`~cogc_theory.codes.OPTIMIZED_MAX_M` (100), ``"generic"`` above (where scoring the
    optimized candidates would take minutes); any other name unchanged.

    Examples
    --------
    >>> resolve_construction(100, "auto"), resolve_construction(101, "auto")
    ('optimized', 'generic')
    """
    if construction == "auto":
        return "optimized" if M <= OPTIMIZED_MAX_M else "generic"
    return construction


# ============================================================================ window vectors
def _chunk(per_item: int) -> int:
    """Items per batched SVD so that a chunk holds at most ``_CHUNK_FLOATS`` floats."""
    return max(1, _CHUNK_FLOATS // max(1, per_item))


def window_vectors(H: Any) -> np.ndarray:
    r"""Unit window vectors of a parity matrix: ``coef[m, j]`` is entry :math:`m+j` of row m.

    Row :math:`m` spans :math:`\ker H\cap\mathbb R^{W_m}`, :math:`W_m=\{m,\dots,m+s\}\bmod M`
    (the generalised cross product of the module docstring, normalised to unit norm with a
    positive first entry), computed by one SVD of the :math:`s\times(s+1)` block per window:
    :math:`O(Ms^3)` time, :math:`O(Ms)` memory.

    Parameters
    ----------
    H : array_like (s, M)
        Real parity matrix with :math:`1\le s\le M-1` (the sum of its columns is not checked
        here: it decides whether :math:`\mathbf 1\in\ker H`).

    Returns
    -------
    ndarray (M, s + 1)

    Raises
    ------
    ValueError
        ``H`` not a finite 2-D array with :math:`1\le s<M`, or a window block of rank
        :math:`<s` (:math:`\sigma_s\le 10^{-12}\sigma_1`), or a window vector with a zero
        first entry (``H`` is then on the exceptional set of the theorem).

    Examples
    --------
    >>> import numpy as np
    >>> window_vectors(np.array([[1.0, -2.0, 1.0]])).round(4)   # s = 1: +-(h_{m+1}, -h_m)
    array([[ 0.8944,  0.4472],
           [ 0.4472,  0.8944],
           [ 0.7071, -0.7071]])
    """
    Hf = np.asarray(H, dtype=float)
    if Hf.ndim != 2 or not 1 <= Hf.shape[0] < Hf.shape[1] or not np.all(np.isfinite(Hf)):
        raise ValueError(f"H must be a finite (s, M) array with 1 <= s < M, got shape "
                         f"{Hf.shape}")
    s, M = Hf.shape
    idx = (np.arange(M)[:, None] + np.arange(s + 1)[None, :]) % M
    out = np.empty((M, s + 1))
    step = _chunk(s * (s + 1))
    for i in range(0, M, step):
        blk = np.moveaxis(Hf[:, idx[i:i + step]], 0, 1)
        _, sv, Vt = np.linalg.svd(blk, full_matrices=True)
        if np.any(sv[:, -1] <= _RANK_TOL * sv[:, 0]):
            bad = i + int(np.argmax(sv[:, -1] <= _RANK_TOL * sv[:, 0]))
            raise ValueError(f"H has a rank-deficient window block at m={bad}: its window "
                             f"vector is not unique (H lies on the exceptional set)")
        out[i:i + len(blk)] = Vt[:, -1, :]
    first = out[:, 0]
    if np.any(np.abs(first) <= 1e-14 * np.abs(out).max(axis=1)):
        bad = int(np.argmax(np.abs(first) <= 1e-14 * np.abs(out).max(axis=1)))
        raise ValueError(f"window vector {bad} has a zero diagonal entry (H lies on the "
                         f"exceptional set of the theorem)")
    return out * np.sign(first)[:, None]


def interval_margin(h: Any) -> float:
    r"""Smallest :math:`|\sum_{k\in I}h_k|/\max_k|h_k|` over proper nonempty cyclic intervals.

    For :math:`s=1` the row sets of size :math:`M-2` (two stragglers) that decode are those
    that split the ring into two intervals with zero :math:`h`-sum, and GC+ full recovery on
    the ring uses the same interval sums; so this margin is what a float decoder must resolve
    (the theorem makes it nonzero, exactly). The interval sums are the differences of the
    prefix sums :math:`S_j=\sum_{k<j}h_k`, :math:`j=0,\dots,M-1`, so the margin is their
    smallest gap after sorting: :math:`O(M\log M)`.

    Parameters
    ----------
    h : array_like (M,)
        Real vector with :math:`\sum_k h_k=0` (up to rounding), :math:`M\ge 2`.

    Returns
    -------
    float

    Examples
    --------
    >>> interval_margin([1.0, 2.0, -3.0]), interval_margin([1.0, -1.0, 2.0, -2.0])
    (0.3333333333333333, 0.0)
    """
    hf = np.asarray(h, dtype=float).ravel()
    if hf.size < 2 or not np.all(np.isfinite(hf)):
        raise ValueError(f"h must be a finite vector of length >= 2, got shape {np.shape(h)}")
    S = np.sort(np.concatenate(([0.0], np.cumsum(hf)[:-1])))
    return float(np.diff(S).min() / np.abs(hf).max())


def covered_by_theorem(construction: str, *, exact: bool = False) -> bool:
    r"""Whether a cyclic code built this way has the theorem's properties with probability 1.

    True for the float constructions in :data:`THEOREM_CONSTRUCTIONS` (their parity, or its
    row space, has a density on :math:`\mathcal L`), so the decodable family is
    :math:`\{|R|\ge M-s\}` without a rank test, the :math:`s=1` ring is generic and GC+
    decisions depend only on the pattern. False for ``"circulant"`` (on the exceptional set)
    and for ``exact=True`` (integer draws are discrete: certify them by enumeration, as
    :func:`cogc_theory.codes.cyclic_code` does for small :math:`\binom Ms`). The theorem
    concerns exact ranks; whether float decoders resolve them is a matter of conditioning
    (``benchmarks/bench_conditioning_scale.py``).

    Parameters
    ----------
    construction : str
        A name accepted by ``codes.cyclic_repetition`` or ``"generic"``.
    exact : bool
        Whether the code was built with ``exact=True``.

    Returns
    -------
    bool

    Examples
    --------
    >>> covered_by_theorem("optimized"), covered_by_theorem("circulant")
    (True, False)
    >>> covered_by_theorem("optimized", exact=True)
    False
    """
    if not isinstance(construction, str):
        raise TypeError(f"construction must be a string, got {type(construction).__name__}")
    if not isinstance(exact, (bool, np.bool_)):
        raise TypeError(f"exact must be True or False, got {exact!r}")
    known = THEOREM_CONSTRUCTIONS + ("circulant",)
    if construction not in known:
        raise ValueError(f"construction must be one of {', '.join(map(repr, known))}, got "
                         f"{construction!r}")
    return construction in THEOREM_CONSTRUCTIONS and not exact


# ============================================================================ the draw
def _draw(rng: np.random.Generator, s: int, n: int) -> np.ndarray:
    """``n`` columns (s, n): uniform direction, norm uniform on [1, 2]."""
    G = rng.standard_normal((s, n))
    nrm = np.linalg.norm(G, axis=0)
    nrm[nrm == 0] = 1.0
    return G / nrm * (1.0 + rng.random(n))


def _kappa(blocks: np.ndarray) -> np.ndarray:
    """Condition numbers of a stack (..., s, s), from the eigenvalues of the Gram matrices
    (accurate while kappa is far below 1e8; the caps used here are below 1e4)."""
    G = np.swapaxes(blocks, -1, -2) @ blocks
    lam = np.linalg.eigvalsh(G)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(lam[..., 0] > 0, np.sqrt(lam[..., -1] / lam[..., 0]), np.inf)


def _kappa_of(H: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """kappa of the blocks of s consecutive columns (cyclic) starting at ``starts``."""
    s, M = H.shape
    idx = (starts[:, None] + np.arange(s)[None, :]) % M
    step = _chunk(s * s)
    return np.concatenate([_kappa(np.moveaxis(H[:, idx[i:i + step]], 0, 1))
                           for i in range(0, len(starts), step)])


def _block_kappas(H: np.ndarray) -> np.ndarray:
    """kappa of every block of s consecutive columns (cyclic), shape (M,)."""
    return _kappa_of(H, np.arange(H.shape[1]))


def _local_kappas(H: np.ndarray, c: int, C: np.ndarray) -> np.ndarray:
    """For each candidate column ``C[:, i]`` put at ``c``: the worst kappa of the s blocks
    that contain column ``c``, shape (n,)."""
    s, M = H.shape
    n = C.shape[1]
    if 2 * s - 1 <= M:                                  # only the 2s - 1 columns around c
        cols = (c + np.arange(-(s - 1), s)) % M
        sub = np.broadcast_to(H[:, cols], (n, s, 2 * s - 1)).copy()
        sub[:, :, s - 1] = C.T
        win = np.lib.stride_tricks.sliding_window_view(sub, s, axis=2)   # (n, s, s, s)
        return _kappa(np.moveaxis(win, 2, 1)).max(axis=1)
    Hc = np.broadcast_to(H, (n, s, M)).copy()
    Hc[:, :, c] = C.T
    idx = (((c - np.arange(s)) % M)[:, None] + np.arange(s)[None, :]) % M
    return _kappa(np.moveaxis(Hc[:, :, idx], 2, 1)).max(axis=1)


def _ring_parity(M: int, rng: np.random.Generator) -> np.ndarray:
    r"""s = 1: :math:`h=z+\delta(u-\bar u)`, :math:`z_k=S_{k+1}-S_k` where the prefix sums
    :math:`S_0,\dots,S_{M-1}` are :math:`0,2,4,\dots` then the odd numbers downwards (a
    permutation of :math:`0..M-1`, :math:`S_M=0`), :math:`u` uniform on :math:`[-1,1]^M`,
    :math:`\delta=1/(4M)`. Every proper interval sum of :math:`z` is a nonzero integer and the
    perturbation moves it by less than :math:`1/2`; :math:`|z_k|\in\{1,2\}`."""
    S = np.concatenate((np.arange(0, M, 2), np.arange(1, M, 2)[::-1]))
    z = np.diff(np.concatenate((S, [0]))).astype(float)
    u = rng.uniform(-1.0, 1.0, M)
    return (z + (u - u.mean()) / (4 * M))[None, :]


def _local_parity(M: int, s: int, rng: np.random.Generator, K: float) -> tuple[np.ndarray, float]:
    """Locally conditioned parity (s, M) with H 1 = 0, and max block kappa / s achieved."""
    if s == 1:
        return _ring_parity(M, rng), 1.0
    lim = K * s
    if 4 * s > M:                                      # blocks cover much of the ring: a
        H = rng.standard_normal((s, M))                # centred Gaussian, whose row space
        H -= H.mean(axis=1, keepdims=True)             # (hence B) is that of "orthonormal"
        return H, float(_block_kappas(H).max()) / s
    H = _draw(rng, s, M)
    ends = np.arange(s - 1, M)                         # block k-s+1..k ends at k (no wrap yet)
    kb = np.zeros(M)
    kb[s - 1:] = _kappa_of(H, ends - s + 1)
    k = s - 1
    while True:                                        # sequential pass over the bad blocks
        rest = np.flatnonzero(kb[k:] > lim)
        if rest.size == 0:
            break
        k += int(rest[0])
        left = np.broadcast_to(H[:, k - s + 1:k], (_CANDIDATES, s, s - 1))
        cur = float(kb[k])
        for _ in range(_TRIES):
            C = _draw(rng, s, _CANDIDATES)
            kap = _kappa(np.concatenate((left, C.T[:, :, None]), axis=2))
            j = int(np.argmin(kap))
            if kap[j] < cur:
                H[:, k], cur = C[:, j], float(kap[j])
            if cur <= lim:
                break
        kb[k] = cur
        later = np.arange(k + 1, min(M, k + s))        # later blocks that contain column k
        if later.size:
            kb[later] = _kappa_of(H, later - s + 1)
        k += 1
        if k >= M:
            break
    best: tuple[float, np.ndarray] = (np.inf, H)
    stale = 0
    for _ in range(_ROUNDS):
        H = H - H.mean(axis=1, keepdims=True)
        kb = _block_kappas(H)
        stale = 0 if kb.max() < best[0] else stale + 1
        if kb.max() < best[0]:
            best = (float(kb.max()), H)
        bad = np.flatnonzero(kb > lim)
        if bad.size == 0 or stale >= _STALE:
            break
        # the worst blocks first, at most about M / (8 s) of them per round: each costs s SVDs
        # of (s, s) for each of 9 candidates, so a round costs about as much as the first pass
        bad = bad[np.argsort(-kb[bad])][:max(8, M // (s * _CANDIDATES))]
        H = H.copy()
        for b in bad.tolist():                         # redraw one column of each bad block
            c = (b + int(rng.integers(s))) % M
            C = np.concatenate((H[:, c:c + 1], _draw(rng, s, _CANDIDATES)), axis=1)
            H[:, c] = C[:, int(np.argmin(_local_kappas(H, c, C)))]
    return best[1], best[0] / s


# ============================================================================ the code
@dataclass(frozen=True)
class GenericCyclicCode:
    r"""A cyclic-repetition GC code stored by its bands, with what the theorem guarantees.

    Row :math:`m` of :math:`B` has the entries ``coef[m, j]`` at columns :math:`m+j \bmod M`,
    :math:`j=0,\dots,s`, and zeros elsewhere; it is the unit window vector of ``H``
    (:func:`window_vectors`), with :math:`B_{mm}>0`.

    Attributes
    ----------
    M, s : int
    coef : ndarray (M, s + 1), read-only
    H : ndarray (s, M), read-only
        The parity matrix: :math:`H\mathbf 1=0` and :math:`BH^\top=0` (to rounding).
    seed : int or None
        The integer seed (``None`` when a Generator or SeedSequence was passed).
    block_kappa : float
        Achieved :math:`\max_k\kappa(H_{:,k..k+s-1})/s` (1 for :math:`s\le1`).

    Examples
    --------
    >>> import numpy as np
    >>> code = generic_cyclic_code(1000, 10, seed=0)
    >>> code.coef.shape, code.threshold, code.threshold_by_construction
    ((1000, 11), 990, True)
    >>> B = code.dense()
    >>> bool(np.allclose(B @ code.H.T, 0, atol=1e-9))     # the parity checks hold
    True
    """

    M: int
    s: int
    coef: np.ndarray
    H: np.ndarray
    seed: int | None
    block_kappa: float

    @property
    def threshold(self) -> int:
        """:math:`t=M-s`: a set of complete rows decodes iff it has at least t rows."""
        return self.M - self.s

    @property
    def threshold_by_construction(self) -> bool:
        """Always ``True``: the decodable family is :math:`\\{R: |R|\\ge M-s\\}` with
        probability 1 over the draw (theorem (ii)-(iii)), so no rank test is needed."""
        return True

    @property
    def pattern_generic(self) -> bool:
        """Always ``True``: GC+ decisions depend only on the client-state pattern (theorem (v),
        with probability 1)."""
        return True

    @property
    def ring_generic(self) -> bool | None:
        """For :math:`s=1`: ``True`` (theorem (iv), with probability 1); else ``None``."""
        return True if self.s == 1 else None

    @property
    def construction(self) -> str:
        return "generic"

    def dense(self) -> np.ndarray:
        """:math:`B` as a dense (M, M) float array (8 M² bytes: 800 MB at M = 10,000)."""
        B = np.zeros((self.M, self.M))
        cols = (np.arange(self.M)[:, None] + np.arange(self.s + 1)[None, :]) % self.M
        np.put_along_axis(B, cols, self.coef, axis=1)
        return B

    def sparse(self) -> scipy.sparse.csr_array:
        """:math:`B` as a ``scipy.sparse.csr_array`` (M (s + 1) stored entries)."""
        M, s = self.M, self.s
        rows = np.repeat(np.arange(M), s + 1)
        cols = ((np.arange(M)[:, None] + np.arange(s + 1)[None, :]) % M).ravel()
        return scipy.sparse.csr_array((self.coef.ravel(), (rows, cols)), shape=(M, M))


def _ro(a: np.ndarray) -> np.ndarray:
    return readonly(np.asarray(a, dtype=float))


def _build(M: int, s: int, rng: np.random.Generator, K: float, seed: int | None
           ) -> GenericCyclicCode:
    if s == 0:
        return GenericCyclicCode(M=M, s=0, coef=_ro(np.ones((M, 1))),
                                 H=_ro(np.zeros((0, M))), seed=seed, block_kappa=1.0)
    for _ in range(10):
        H, achieved = _local_parity(M, s, rng, K)
        try:
            coef = window_vectors(H)
        except ValueError:                             # probability 0; redraw
            continue
        return GenericCyclicCode(M=M, s=s, coef=_ro(coef), H=_ro(H), seed=seed,
                                 block_kappa=achieved)
    raise RuntimeError(f"no non-degenerate draw for M={M}, s={s}")  # pragma: no cover


@functools.lru_cache(maxsize=64)
def _cached(M: int, s: int, seed: int, K: float) -> GenericCyclicCode:
    return _build(M, s, np.random.default_rng([seed, 0x6E6]), K, seed)


def generic_cyclic_code(M: int, s: int, seed: Any = 0, *,
                        block_kappa: float = DEFAULT_BLOCK_KAPPA) -> GenericCyclicCode:
    r"""Cyclic-repetition code for any :math:`M\le 10{,}000`, threshold family by theorem.

    Draws a parity :math:`H\in\mathcal L` with a density (module docstring) and returns the
    unit window vectors of :func:`window_vectors` as the rows. By the theorem of the module
    docstring, with probability 1

    .. math:: \mathbf 1\in\operatorname{rowspace}B_R\iff |R|\ge M-s ,

    the :math:`s=1` ring is generic and GC+ decisions depend only on the client-state
    pattern. For :math:`s=1`, :math:`h` is the perturbed zigzag of the module docstring
    (proper interval sums :math:`\ge 1/2`). For :math:`s\ge 2` the columns of :math:`H`
    (uniform directions, norms uniform on :math:`[1,2]`) are
    drawn one at a time, and a column that leaves a block of :math:`s` consecutive columns
    with :math:`\kappa>` ``block_kappa`` :math:`\cdot s` is redrawn; then the columns are
    centred (:math:`H\mathbf 1=0`) and blocks still above the cap are repaired (at most 30
    rounds; the cap achieved is recorded, the theorem does not depend on it). When
    :math:`4s>M` the blocks cover much of the ring and the draw is a centred Gaussian, which
    gives :math:`B` the distribution of ``construction="orthonormal"`` (a Haar row space).
    The local repair removes the near-degeneracies that dominate the condition number of a
    Haar draw on long rings.

    Cost: :math:`O(Ms^3)` time (about :math:`M(s+1)^3` flops times a small constant) and
    :math:`O(Ms)` memory; refused beyond :data:`MAX_WORK`.

    Parameters
    ----------
    M : int
        Number of clients, :math:`2\le M\le 10{,}000`.
    s : int
        Straggler tolerance, :math:`0\le s\le M-1` (:math:`s=0`: :math:`B=I`).
    seed : int, SeedSequence or Generator
        Integer seeds are cached (same seed, same code).
    block_kappa : float
        The cap on :math:`\kappa(H_{:,k..k+s-1})/s`, at least 1.5 (default 8: codes about as
        well conditioned as with 4, and much cheaper to draw for :math:`s\ge 10`).

    Returns
    -------
    GenericCyclicCode

    Raises
    ------
    TypeError
        ``M``, ``s`` not integers, ``block_kappa`` not a number, ``seed`` of a wrong type.
    ValueError
        ``M`` outside ``[2, 10000]``, ``s`` outside ``[0, M-1]``, :math:`M(s+1)^3` above
        :data:`MAX_WORK`, or ``block_kappa < 1.5``.

    Examples
    --------
    >>> code = generic_cyclic_code(1000, 10, seed=0)
    >>> code.coef.shape, code.threshold, code.block_kappa <= 8.0
    ((1000, 11), 990, True)
    >>> import numpy as np
    >>> bool(np.abs(code.H.sum(axis=1)).max() < 1e-12)
    True
    """
    M, s = _check_M_s(M, s)
    K = check_positive(block_kappa, "block_kappa")
    if K < 1.5:
        raise ValueError(f"block_kappa must be >= 1.5 (a cap below that is rarely reachable), "
                         f"got {K}")
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        check_rng(seed)
        return _cached(M, s, int(seed), K)
    return _build(M, s, check_rng(seed), K, None)
