r"""Decoders for cooperative gradient coding: standard (CoGC) and GC+, with certificates.

The parameter server holds the partial sums :math:`c_m = \tilde B_m g` of the clients whose
upload arrived, i.e. :math:`c = A g` with :math:`A` the arrived rows of the effective matrix
:math:`\tilde B = B \circ \tau`. It can form :math:`t^\top g = \sum_k t_k g_k` for every
:math:`t` in the row space of :math:`A`, and for no other :math:`t`:

.. math:: t \in \operatorname{rowspace}(A) \iff \exists\, a:\ a^\top A = t^\top .

Every result carries such an :math:`a` (``weights``) and :math:`t` (``target``) — the
**certificate** — so a claim of recovery can be checked without trusting the decoder:
``weights @ Bt == target`` (exactly on the exact path, within ``atol`` on the float path), with
``weights`` zero on every row that was not used.

* :func:`standard` (CoGC): only complete partial sums that arrived, :math:`R`; success iff
  :math:`\mathbf 1 \in \operatorname{rowspace}(B_R)`. The outcome is binary: all or nothing.
* :func:`gcplus` (GC+): every arrived partial sum, complete or not. **Full recovery** iff
  :math:`\mathbf 1 \in \operatorname{rowspace}(A)`; otherwise a partial rule:
  ``"max-subset"`` (largest :math:`K` with :math:`\mathbf 1_K` in the row space),
  ``"individual"`` (:math:`K=\{k: e_k \in \operatorname{rowspace}(A)\}`) or ``"least-squares"``
  (the projection of :math:`\mathbf 1` on the row space). :math:`K=\emptyset` is a total outage.
* :func:`banded_max_subset` — max-subset for banded (cyclic) codes at any :math:`M` (a window
  criterion and a dynamic program around the ring, :math:`O(M^3+M4^s)` per matrix); what
  :func:`gcplus` runs when given the complete matrix ``B=`` beyond ``max_candidates``.

Monotonicity: adding arrivals never loses full recovery nor shrinks the max-subset :math:`|K|`
(the row space only grows), and standard decoding is also monotone in link successes. GC+ is
**not** monotone in link successes: a link success replaces row :math:`m` by a longer row, and
the old row may have been the useful one (Tandon et al.'s :math:`B`, only client 2 arriving:
:math:`\tilde B_2=(0,0,1)` yields :math:`g_2`, the complete row :math:`(1/2,0,1)` yields
nothing; a full recovery can be lost the same way, see ``tests/test_decode.py``).

Both functions take one round (``(M,)`` masks) or a batch with a leading trials axis
(``(T, M)`` masks, and for :func:`gcplus` ``Bt`` of shape ``(T, M, M)`` or a shared
``(M, M)``); a batch returns a :class:`BatchDecodeResult` whose ``result[i]`` equals the
one-round result of trial ``i``: the same decisions (``full``, ``recovered``, ``rank``,
``downgraded``), and numbers computed by the same per-matrix operations, equal up to rounding
across batch shapes (and where the certificate is not unique, a matrix at the edge of what
Gram–Schmidt settles may carry the other engine's verified certificate).

**Exact path.** If the matrix is a sympy matrix of rationals or a numpy object array of
``int`` / :class:`fractions.Fraction` / sympy ``Rational``, decoding runs in exact rational
arithmetic (:mod:`cogc_theory.exact`); weights and targets are object arrays of
:class:`~fractions.Fraction`. This path is the oracle for the float path; it loops over trials.

**Float path and its tolerances.** Let :math:`\sigma_1\ge\dots\ge\sigma_M` be the singular values
of :math:`A` and :math:`V` its right singular vectors.

* rank: :math:`r = \#\{i: \sigma_i > \mathrm{rtol}\cdot\sigma_1\}` (default ``rtol = 1e-10``);
  the columns :math:`N = [v_{r+1},\dots,v_M]` are an orthonormal basis of :math:`\ker A`;
* membership: :math:`t` is taken to lie in the row space iff its distance to it,
  :math:`\lVert N^\top t\rVert_2`, is at most ``atol`` (default ``1e-8``, in units of the
  target, whose entries are 0 or 1);
* ranges: ``rtol`` must lie in :math:`(0, 1)` (a threshold at or above :math:`\sigma_1` would
  drop every singular value and report an outage for any set) and ``atol`` in
  :math:`(0, 10^{-2}]` (:data:`ATOL_MAX`: a certificate that misses a 0/1 target by more than
  1% of a gradient is not a recovery; at ``atol`` of order 1 a set that cannot decode would be
  reported as a full recovery). Other values raise :class:`ValueError`. An ``atol`` near the
  float resolution (below about :math:`10^{-13}`) turns decodable sets into outages;
* certificate: :math:`a = t\,A^{+}_r` (truncated pseudo-inverse); the claim stands only if
  :math:`\max_k |(a^\top A - t)_k| \le \mathrm{atol}`. Otherwise the trial is **downgraded** to a
  total outage (``target = 0``, ``weights = 0``, ``downgraded = True``): the float path never
  claims a recovery that its own certificate does not verify.

**Gram–Schmidt engine** (every GC+ rule; the SVD above is the reference it must agree with).
A stacked SVD costs about as much per matrix as a plain loop, so :func:`gcplus` first runs
classical Gram–Schmidt with one reorthogonalisation ("twice is enough") over the rows
:math:`A_0,\dots,A_{M-1}` of all matrices at once (a loop over the :math:`M` rows, none over
trials). Row :math:`i` is kept iff its residual norm
:math:`\rho_i` exceeds :math:`\mathrm{rtol}\cdot\max_j\lVert A_j\rVert` (a lower bound on
:math:`\mathrm{rtol}\,\sigma_1`); this gives orthonormal rows :math:`Q` spanning the row
space, coefficients :math:`W` with :math:`Q = WA` (zero on dropped rows) and the projector
:math:`P = Q^\top Q`. Full recovery: :math:`\lVert\mathbf 1-P\mathbf 1\rVert_2\le\mathrm{atol}`;
individual: :math:`\lVert e_k-Pe_k\rVert_2\le\mathrm{atol}` (the same distances as
:math:`\lVert N^\top t\rVert_2` above); max-subset: :math:`\lVert(I-P)\mathbf 1_S\rVert_2`
(below); least-squares: :math:`\hat t=P\mathbf 1`. The
certificate is :math:`a=(tQ^\top)W`, a solution supported on the kept (independent) rows rather
than the minimum-norm one, and is verified as above. A matrix's result *stands* only if it
provably makes the SVD engine's decisions, with a safety factor :math:`c=10^3`:

* rank: :math:`\lVert A\rVert_F\lVert W\rVert_F` (:math:`\ge\sigma_1/\sigma_r`) is at most
  :math:`\min(10^6, 1/(c\,\mathrm{rtol}))`, so :math:`\sigma_r` clears the rank threshold, and
  the dropped residuals satisfy :math:`(\sum\rho_i^2)^{1/2}\le\mathrm{rtol}\max_j\lVert A_j\rVert/c`
  (a bound on :math:`\sigma_{r+1}`): the rank equals the SVD rank;
* decisions: no distance above (nor, for least-squares, no :math:`|\hat t_k|`; for
  max-subset, no subset distance up to the chosen subset in the search order) lies in
  :math:`(\mathrm{atol}/c,\ c\,\mathrm{atol}]`, which the projector's rounding error
  (about :math:`10^{-16}\sigma_1/\sigma_r\le 10^{-10}`) cannot cross;
* certificate: :math:`\max_k|(a^\top A-t)_k|\le\mathrm{atol}/c`, and its rounding
  :math:`2\gamma_{M+1}\max_k(|a|^\top|A|+|t|)_k\le\mathrm{atol}/2` (so that it verifies in
  every order of evaluation, :func:`cogc_theory._linalg.certificate_check`);
* tolerances: :math:`\mathrm{atol}\ge c\,\gamma_{M+1}` and
  :math:`\mathrm{rtol}\ge c\,\gamma_{M+1}` — below the rounding of distances between
  unit-scale vectors (``atol=1e-100``, say) no decision is clear of it, and whether a
  computed distance is exactly 0 differs between engines; below the noise of computed
  singular values (``rtol=1e-17``) the SVD's rank is not the exact one that Gram–Schmidt
  bounds;
* scale: each matrix is first divided by the power of two nearest above its largest entry
  (exact; every quantity above is unchanged), and the result stands only if that entry lies in
  :math:`[10^{-150}, 10^{150}]` and the rescaled weights stay normal floats.

The other matrices (near-singular, near-threshold or badly scaled ones, and max-subset
searches with more than ``max_candidates`` candidates left) are decoded by the SVD engine. So
``full``, ``recovered``, ``rank`` and ``downgraded`` are those of the SVD engine, ``target``
agrees to rounding, and ``weights`` may differ (both are verified certificates). The one
difference: a max-subset search that Gram–Schmidt settles by its separation or screening test
(below) is not enumerated, so it cannot raise for too many candidates where the SVD engine,
whose separation test is weaker, would.

**Max-subset.** :math:`\mathbf 1_K \in \operatorname{rowspace}(A)` iff
:math:`\sum_{k\in K} N_{k\cdot} = 0`. Columns with :math:`N_{k\cdot}=0` (individually recoverable)
belong to every maximal :math:`K`; columns where :math:`A` is zero belong to none; the subsets of
the remaining *candidate* columns are enumerated, vectorised over bitmasks and trials, unless a
cheap separation test (a direction :math:`v` with :math:`N_{k\cdot}v > \mathrm{atol}` for every
candidate) proves that no nonempty candidate subset qualifies. Ties are broken
deterministically: among the sets of maximum size the decoder returns the one whose sorted list
of clients is lexicographically smallest (``{0, 2}`` before ``{1, 2}``), on both paths.
In the Gram–Schmidt engine the distance of :math:`\mathbf 1_S` is
:math:`\lVert(I-P)\mathbf 1_S\rVert_2=\lVert N^\top\mathbf 1_S\rVert_2`, never the cancelling
Gram form :math:`\mathbf 1_S^\top(I-P)\mathbf 1_S`. Its separation direction :math:`v` is a
fixed positive combination of the candidates' unit columns of :math:`I-P` and must clear
:math:`c\,\mathrm{atol}`; then a *screen* enumerates the subset sums of the scalars
:math:`v^\top(I-P)e_k` (a lower bound on each distance) and settles, with nothing added, every
matrix whose nonempty sums all exceed :math:`c\,\mathrm{atol}`. Only the rest (mostly those
with a qualifying subset) are enumerated in the :math:`M-\operatorname{rank}` coordinates
:math:`L^\top` of a pivoted Cholesky factorisation :math:`LL^\top=I-P`. The rule
is exponential in the number :math:`r` of candidates (:math:`2^r` subsets per distinct matrix;
it is a search for the largest 0/1 vector in a subspace), which is fine at :math:`M\lesssim 16`;
more than ``max_candidates`` (default 16, at most 20) candidates raise :class:`ValueError` —
use ``rule="individual"`` for large :math:`M`.

**Least-squares.** ``target`` is the projection :math:`\hat t` of :math:`\mathbf 1` on the row
space (all ones when full); ``recovered`` is its support, :math:`\{k: |\hat t_k| > \mathrm{atol}\}`
(exactly :math:`\hat t_k\ne 0` on the exact path) — the gradients that enter the (biased) sum
:math:`\hat t^\top g`; ``residual`` is :math:`\lVert\mathbf 1-\hat t\rVert_2`.

**Speed.** The outcome depends on the trial only through the matrix :math:`A`, and effective
matrices come from one ``B`` by zeroing entries, so trials are keyed by the bit pattern of
:math:`A` (the arrival mask when ``B``/``Bt`` is shared, else the nonzero pattern of ``A`` when all
trials' nonzero entries agree with one matrix, else the bytes of ``A``), decoded once per
unique key with stacked numpy linear algebra (the Gram–Schmidt engine where it applies), and
cached per matrix across calls (a dense table when the key has at most 16 bits and the batch
is large enough to fill it). No Python loop runs over trials on the float path. Zeros reach
the engines as ``+0.0`` on every route (LAPACK's reflections take the sign of a zero, which
could otherwise change an ill-conditioned decision).

Two more engines make the same decisions where they apply (each hands back what it cannot
settle; ``benchmarks/bench_scale.py`` measures them):

* **one round** (``(M,)`` mask, float input): one SVD of the row-scaled matrix, no cache,
  :math:`O(M^3)` (:mod:`cogc_theory.decode._oneround`); where a decision lies within a
  relative :math:`10^{-6}` of its threshold, a certificate error within the bound on how far
  another order of evaluation moves it, or a max-subset search is unsettled, the SVD
  engine's own operations decide from the same factors (:math:`O(M^2)`, no second SVD); only
  a max-subset search the engine refuses goes to the batched path, which raises;
* **cyclic band** (a batch whose support puts row :math:`m` inside
  :math:`\{m,\dots,m+s\}\bmod M`, :math:`2s+1\le M`, and :math:`M>16`): banded Householder
  elimination, :math:`O(Ms^2)` per matrix, whose full recoveries (and standard outages) stand
  only where certificates prove the SVD engine's rank and decision
  (:mod:`cogc_theory.decode._banded`); the other matrices and partial rules go to the engines
  above.

Examples
--------
Tandon et al. (2017), :math:`n=3, s=1`: workers 1 and 2 (indices 0, 1) decode with
weights :math:`(2, -1)`:

>>> import numpy as np
>>> B = np.array([[0.5, 1, 0], [0, 1, -1], [0.5, 0, 1]])
>>> r = standard(B, [True, True, False])
>>> r.full, r.weights.round(12).tolist()
(True, [2.0, -1.0, 0.0])

GC+ with an incomplete row: client 0 missed :math:`g_1`, so :math:`\tilde B_0=(1/2, 0, 0)`;
with client 2's complete row the server still recovers :math:`g_0+g_2`:

>>> Bt = B * np.array([[1, 0, 1], [1, 1, 1], [1, 1, 1]])
>>> r = gcplus(Bt, [True, False, True])
>>> r.full, r.recovered.tolist(), r.target.tolist()
(False, [True, False, True], [1.0, 0.0, 1.0])
>>> bool(np.allclose(r.weights @ Bt, r.target))
True
"""

from __future__ import annotations

from .._linalg import ATOL, ATOL_MAX, RTOL
from ..vocabulary import RULES
from ._api import MAX_CANDIDATES, clear_cache, gcplus, standard
from ._band_subset import MAX_BANDWIDTH, banded_max_subset
from ._results import BatchDecodeResult, DecodeResult

__all__ = [
    "ATOL",
    "ATOL_MAX",
    "BatchDecodeResult",
    "DecodeResult",
    "banded_max_subset",
    "MAX_BANDWIDTH",
    "MAX_CANDIDATES",
    "RTOL",
    "RULES",
    "clear_cache",
    "gcplus",
    "standard",
]
