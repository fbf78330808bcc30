r"""Banded elimination for cyclic supports: full-recovery decisions in :math:`O(Ms^2)` per trial.

A matrix :math:`A` (the used rows of an effective matrix, unused rows zero) has a **cyclic
band** of width :math:`s` when every row lives on its cyclic window,

.. math:: A_{mk}\ne 0 \implies (k-m) \bmod M \le s ,

and every nonzero row has a nonzero diagonal entry :math:`A_{mm}` (a client always holds its
own gradient, :math:`\tau_{mm}=1`). Cyclic-repetition codes have it, with their :math:`s`; so
do their effective matrices under any link and uplink erasures. This module decides
:math:`\mathbf 1\in\operatorname{rowspace}(A)` (CoGC success and GC+ full recovery) with the
rank and membership semantics of the SVD engine of :mod:`cogc_theory.decode`
(:func:`cogc_theory.decode._svd.decode_svd` on the same matrix), vectorised over
a trials axis, without ever forming an :math:`M\times M` matrix.

**Elimination.** Rows :math:`m<M-s` ("band rows") occupy columns :math:`[m, m+s]`; the
:math:`s` rows :math:`m\ge M-s` ("wrap rows") occupy the head :math:`[0, s-1]` and the tail
:math:`[M-s, M-1]`. An orthogonal row reduction :math:`R = Q^\top A` processes the columns
:math:`x = 0,\dots,M-1` in order with :math:`s+1` active slots: the wrap rows (loaded at the
start) and the current band row :math:`x`. At column :math:`x` a Householder reflection of
the slots puts the column's mass :math:`\nu_x` into the current slot, which is retired as row
:math:`x` of :math:`R`; the other slots become zero in column :math:`x`. Every slot lives on
the window :math:`[x, x+s]` plus the :math:`s` tail columns (the cyclic wrap as a dense
corner), so a step costs :math:`4(s+1)(2s+1)` flops and the whole reduction
:math:`O(Ms^2)` per trial, against :math:`O(M^3)` for an SVD. A column with
:math:`\nu_x\le\mathrm{rtol}\cdot h` (:math:`h` the largest row norm, a lower bound on
:math:`\sigma_1`) has no pivot; its entries are dropped and their mass is accounted for.

**Certificates.** With :math:`P` the pivot columns, :math:`T=R_{PP}` (upper triangular,
bandwidth :math:`s` plus the dense tail columns) and :math:`F` the free columns, the forward
solve :math:`T^\top y = \mathbf 1_P` gives the residual :math:`\rho=\mathbf 1-R^\top y`
(zero on :math:`P`), :math:`O(Ms)`:

* **full**: :math:`\operatorname{dist}(\mathbf 1,\operatorname{rowspace}R)\le\lVert\rho
  \rVert_2`; the weights :math:`a = Qy` (the reflections applied backwards, zero on unused
  rows) are verified as :math:`e = a^\top A-\mathbf 1` on ``A`` itself;
* **not full**: back substitution of :math:`Rk=0` from free components :math:`k_F=\rho_F`
  gives a kernel vector with :math:`\mathbf 1^\top k=\lVert\rho_F\rVert_2^2`; for *any*
  :math:`k` the part in the SVD engine's retained space (singular values above
  :math:`\tau=\mathrm{rtol}\,\sigma_1`) is at most :math:`\lVert Ak\rVert_2/\tau`, so
  :math:`d\ge(|\mathbf 1^\top k|-\sqrt M\,\lVert Ak\rVert_2/\tau)/\lVert k\rVert_2` with
  :math:`Ak` computed from ``A`` (and its rounding bounded) — a certificate of
  non-membership that needs no condition number. When :math:`T` is badly conditioned
  :math:`k` grows along near-null directions; it is rescaled on the way and still certifies.

**Condition numbers.** :math:`\sigma_1\le\hat\sigma_1=\min(\lVert A\rVert_F,
(\lVert A\rVert_1\lVert A\rVert_\infty)^{1/2})` and :math:`1/\sigma_r(R)\le
\lVert T^{-1}\rVert_F`, computed exactly by the Takahashi recurrence on the band and the
tail, :math:`O(Ms^2)`. Position-order pivots are not rank revealing, so
:math:`\lVert T^{-1}\rVert_F` can exceed :math:`1/\sigma_r(R)` by orders of magnitude (and
:math:`\rho` inherits the error of solving with :math:`T`); the trials the cheap tests leave
open are **refined**: the kernel basis :math:`K` (:math:`Rk=0`, unit free components),
:math:`G=K^\top K` and Woodbury give :math:`\lVert R^+\rVert_F` and the exact distance
:math:`(\rho_F^\top G^{-1}\rho_F)^{1/2}`, :math:`O(MsD+MD^2)` for :math:`D` free positions.

**When a trial stands** (otherwise the SVD engine decides it). With
:math:`\kappa=\hat\sigma_1\lVert R^+\rVert_F` (or :math:`\lVert T^{-1}\rVert_F`) and the
dropped mass :math:`\delta=(\sum_{x\notin P}\nu_x^2)^{1/2}`:

* rank (the SVD rank is :math:`|P|`): :math:`10^3\,\mathrm{rtol}\,\kappa\le 1`,
  :math:`4\delta\le\mathrm{rtol}\,h`, and every nonzero band row pivots;
* engine-identical (decode results, :func:`decode_full`): the decision must be the SVD
  engine's *computed* one. Its distance and ours differ from the exact one by at most
  :math:`\epsilon=\gamma\,u\sqrt M\,\kappa+\delta(\lVert a\rVert_2+\sqrt M\lVert R^+\rVert_F)`
  (:math:`\gamma=20` for the cheap tests, 8 refined: observed maxima 11 and 4 on the
  textbook Gaussian code at :math:`M=10`, below 1 for the default codes at
  :math:`M\ge30`); full stands when rank holds, :math:`d+\epsilon\le\mathrm{atol}/2` and
  :math:`\max|e|\le\mathrm{atol}/2`; not full when the kernel bound exceeds
  :math:`10^3\,\mathrm{atol}` (or the refined :math:`d-\epsilon>4\,\mathrm{atol}`);
* semantic (outage counts, ``semantic=True``): the decision must be that of the exact
  rtol/atol rule. From :math:`\mathbf 1=A^\top a-e`, the distance to the retained space is at
  most :math:`\lVert e\rVert_2+\sigma_{\max}(\text{discarded})\lVert a\rVert_2`, and the
  discarded singular values are at most the backward error
  :math:`\lVert A-QR\rVert\le\delta+\gamma_E u\sqrt{M(s+1)}\lVert A\rVert_F` when the rank
  holds (:math:`\gamma_E=2`; observed at most 0.08), exactly zero when moreover every
  nonzero row of :math:`A` pivots (then :math:`\operatorname{rank}A\le|P|` exactly: weights of
  :math:`10^5` and more stand on their certificate alone), else at most :math:`\tau`: full stands
  when that bound is at most :math:`\mathrm{atol}/2`; not full when the kernel bound exceeds
  :math:`2\,\mathrm{atol}`. This needs no rounding model of the engine, so ill-conditioned
  full recoveries (:math:`\kappa\sim10^5\text{-}10^6` at :math:`M=100`) stand here and not
  above; the SVD engine's computed decision can differ from it only where its own rounding
  (about :math:`u\sqrt M\kappa`) reaches ``atol``.
* scale: a trial is divided by the power of two above its largest entry (exact: no decision
  changes) and stands only if that entry lies in :math:`[10^{-150},10^{150}]`; returned
  weights must be normal floats.

So the ``full`` (and ``rank``) of a trial that stands are those of the SVD engine (or, in
semantic mode, of its rule in exact arithmetic); weights may differ from the engine's (both
verified). Every operation is elementwise along the trials axis (kept last), so a trial's
numbers do not depend on the batch it is decoded in.

Size: one algorithm (reduction, solves, kernel and condition bounds, the rules deciding when
a trial stands) whose parts share the working layout :class:`Layout`; about 900 lines.

**Cost** per trial: :math:`O(Ms^2)` (reduction, Takahashi) plus :math:`O(Ms)` (solves,
certificates), and :math:`O(MsD+MD^2)` for the refined few; memory :math:`O(Ms)` per trial
in blocks of :data:`BLOCK_BYTES`.

Examples
--------
>>> import numpy as np
>>> from cogc_theory import codes
>>> B = np.asarray(codes.cyclic_repetition(12, 2, seed=0))
>>> s = cyclic_bandwidth(B != 0)
>>> s
2
>>> received = np.ones((3, 12), dtype=bool)
>>> received[1, [0, 5]] = False          # 10 rows >= M - s: decodable
>>> received[2, [0, 5, 7]] = False       # 9 rows: not
>>> r = decode_full(to_band(B, s)[None] * received[:, :, None])
>>> r["full"].tolist(), r["rank"].tolist()
([True, True, False], [10, 10, 9])
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._svd import decode_svd

__all__ = [
    "MARGIN",
    "cyclic_bandwidth",
    "decode_full",
    "decode_stack",
    "from_band",
    "individual",
    "run",
    "to_band",
]

#: Safety factor of the rank and non-membership tests (that of the Gram–Schmidt engine).
MARGIN = 1e3
GAMMA_T = 20.0         # rounding allowance of the cheap tests, in units u sqrt(M) kappa
GAMMA_R = 8.0          # ... of the refined tests (calibrated: see the module docstring)
GAMMA_E = 2.0          # backward error of the reduction, in units u sqrt(M (s + 1)) ||A||_F
BLOCK_BYTES = 128 << 20  # memory per block of trials for the stored factors
REFINE_KEEP = 1e-8     # smallest ||R^+||_F^2 / ||T^-1||_F^2 that refine() trusts
_TAKAHASHI_SLACK = 1e-6  # relative rounding allowed below the (1 / T_xx)^2 floor of Z_xx


# ----------------------------------------------------------------------------- structure
def cyclic_bandwidth(support: np.ndarray) -> int | None:
    r"""Smallest :math:`s` with :math:`\operatorname{supp}` row :math:`m\subseteq
    \{m,\dots,m+s\}\bmod M`, if the banded engine applies, else ``None``.

    ``support`` is a bool ``(M, M)`` (or ``(T, M, M)``, the union is taken) pattern. The
    engine applies when :math:`2s+1\le M` and every row with a nonzero entry has a nonzero
    diagonal entry (for a stack, checked per trial by :func:`decode_full`).

    Examples
    --------
    >>> import numpy as np
    >>> sup = np.eye(7, dtype=bool) | np.roll(np.eye(7, dtype=bool), 1, axis=1)
    >>> cyclic_bandwidth(sup)
    1
    >>> cyclic_bandwidth(np.ones((4, 4), dtype=bool)) is None   # 2 * 3 + 1 > 4
    True
    """
    sup = np.asarray(support, dtype=bool)
    if sup.ndim == 3:
        sup = sup.any(axis=0)
    M = sup.shape[-1]
    m, k = np.nonzero(sup)
    if m.size == 0:
        return 0
    if not np.all(np.diagonal(sup)[np.any(sup, axis=1)]):
        return None
    s = int(((k - m) % M).max())
    return s if 2 * s + 1 <= M else None


def to_band(A: np.ndarray, s: int) -> np.ndarray:
    """Band form ``Ab[..., m, j] = A[..., m, (m + j) % M]``, shape ``(..., M, s + 1)``."""
    A = np.asarray(A)
    M = A.shape[-1]
    rows = np.arange(M)[:, None]
    cols = (rows + np.arange(s + 1)[None, :]) % M
    return A[..., rows, cols]


def from_band(Ab: np.ndarray) -> np.ndarray:
    """Dense matrices ``(..., M, M)`` from the band form (the inverse of :func:`to_band`)."""
    Ab = np.asarray(Ab)
    M, S = Ab.shape[-2:]
    out = np.zeros(Ab.shape[:-2] + (M, M), dtype=Ab.dtype)
    rows = np.arange(M)[:, None]
    cols = (rows + np.arange(S)[None, :]) % M
    out[..., rows, cols] = Ab
    return out


# ----------------------------------------------------------------------------- the engine
class Layout:
    """Index bookkeeping shared by every block of one ``(M, s)``.

    The working array ``W`` has ``S = s + 1`` slots (rows; the wrap rows in slots
    ``0..s-1``, the current band row in slot ``s``) and ``S + s`` columns: band position
    ``p < nb = M - s`` lives in the circular window column ``p % S``, tail position
    ``p >= nb`` in column ``S + p - nb``. A retired row of ``R`` keeps this layout.
    """

    def __init__(self, M: int, s: int) -> None:
        S = s + 1
        nb = M - s
        self.M, self.s, self.S, self.nb = M, s, S, nb
        self.colof = np.array([p % S if p < nb else S + p - nb for p in range(M)])
        # band row x: entries j = 0..s at positions x + j
        self.rowcols = [self.colof[x + np.arange(S)] for x in range(nb)]
        # wrap row M - s + i (slot i): entries at positions (M - s + i + j) % M
        self.wrapcols = [self.colof[(M - s + i + np.arange(S)) % M] for i in range(s)]


class Workspace:
    """Reusable memory for the largest arrays of :func:`forward_pass` (``V`` and the rows of
    ``R``), one per :func:`run` call and shared by its blocks: a fresh array of tens of MB
    is mapped anew and pays a page fault per 4 KiB page on first touch (about 10 % of a
    trial at :math:`M=100`). Every entry is written before it is read, so reuse changes no
    number."""

    def __init__(self) -> None:
        self._flat: dict[str, np.ndarray] = {}

    def empty(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A C-contiguous float array of ``shape`` (uninitialised), reusing ``name``'s memory."""
        size = int(np.prod(shape))
        flat = self._flat.get(name)
        if flat is None or flat.size < size:
            flat = self._flat[name] = np.empty(size)
        return flat[:size].reshape(shape)


def _norm2(x: np.ndarray) -> np.ndarray:
    """Sum of squares of ``x`` (L, n) over its first axis (the trials are last)."""
    return np.einsum("ln,ln->n", x, x)


def core(Ab: np.ndarray, lay: Layout, rtol: float, atol: float, need_rank: bool,
          norm_bound: float | None = None, ws: Workspace | None = None) -> dict[str, np.ndarray]:
    r"""The engine on a block ``Ab`` (M, S, n) of scaled band matrices (trials last).

    After the forward pass the trials split by the upper bound ``dist_up``: the candidates
    for full recovery get their weights, certificate error and
    :math:`\lVert T^{-1}\rVert_F`; the others their kernel certificate (and
    :math:`\lVert T^{-1}\rVert_F` if ``need_rank``). ``norm_bound``, if given, is an upper
    bound on :math:`\sqrt{\lVert A\rVert_1\lVert A\rVert_\infty}` for every trial (in the
    scaled units), which spares computing it per trial.
    """
    M, S, n = Ab.shape
    nb = lay.nb
    u = np.finfo(float).eps
    row2 = np.einsum("mjn,mjn->mn", Ab, Ab)                # (M, n) squared row norms
    h = np.sqrt(row2.max(axis=0))
    fro = np.sqrt(row2.sum(axis=0))
    if norm_bound is None:
        absA = np.abs(Ab)
        inf_norm = absA.sum(axis=1).max(axis=0)            # max row sum
        one_norm = band_colsum(absA).max(axis=0)          # max column sum
        nb1 = np.sqrt(inf_norm * one_norm)
    else:
        nb1 = np.full(n, float(norm_bound))
    sig1 = np.minimum(fro, nb1)                            # >= sigma_1
    V, beta, Rrow, piv, nu, y, rho = forward_pass(Ab, lay, rtol * h, ws)
    dist_up = np.sqrt(_norm2(rho))
    q = {"piv": piv, "dist_up": dist_up, "sig1": sig1, "h": h, "Rrow": Rrow, "V": V,
         "beta": beta,
         "dropped2": np.where(piv, 0.0, nu * nu).sum(axis=0),
         "bad_row": np.any(~piv[:nb] & (row2[:nb] > 0), axis=0),   # a band row, no pivot
         "weights": np.zeros((M, n)), "cert": np.full(n, np.inf),
         "cert2": np.full(n, np.inf), "a_norm": np.zeros(n), "fro": fro, "nb1": nb1,
         "rows": np.count_nonzero(row2, axis=0),            # nonzero rows of A
         "rank": piv.sum(axis=0),                           # |P|
         "inv_f": np.full(n, np.inf), "dist_lo": np.full(n, -np.inf)}
    is_cand = dist_up <= atol                              # candidates for full recovery
    ci = _subset(is_cand, 0.25)
    if ci.size:
        a = _weights(_take(V, ci), _take(beta, ci), _take(y, ci), lay)
        a *= _take(row2, ci) > 0                           # zero on the unused rows
        q["weights"][:, ci] = a
        q["a_norm"][ci] = np.sqrt(_norm2(a))
        e = _band_vecmat(a, _take(Ab, ci)) - 1.0
        q["cert"][ci] = np.abs(e).max(axis=0)
        q["cert2"][ci] = np.sqrt(_norm2(e))
    ti = np.arange(n) if need_rank else _subset(is_cand, 0.85)
    if ti.size:
        q["inv_f"][ti] = np.sqrt(takahashi(_take(Rrow, ti), _take(piv, ti), lay))
    ki = _subset(~is_cand, 0.25)
    if ki.size:
        k = kernel_vector(_take(Rrow, ki), _take(piv, ki), _take(rho, ki), lay)
        Ak = _band_matvec(_take(Ab, ki), k)
        k_norm = np.sqrt(_norm2(k))
        # rounding of A k: |fl(Ak) - Ak| <= (S + 1) u |A| |k| entrywise, and || |A| ||_2 is at
        # most sqrt(||A||_1 ||A||_inf) (the same norms as for A)
        Ak_err = (S + 1) * u * nb1[ki] * k_norm
        hk = h[ki]
        scale = np.where(hk > 0, rtol * hk, np.inf)
        slack = np.sqrt(M) * (np.sqrt(_norm2(Ak)) + Ak_err) / scale
        q["dist_lo"][ki] = ((np.abs(k.sum(axis=0)) - slack)
                            / np.where(k_norm > 0, k_norm, 1.0))
    return q


def _subset(mask: np.ndarray, most: float) -> np.ndarray:
    """Indices of ``mask``; all trials when more than the fraction ``most`` are in it (the
    gather would then cost more than the work it saves)."""
    idx = np.flatnonzero(mask)
    return np.arange(mask.size) if idx.size > most * mask.size else idx


def _take(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Trials ``idx`` of ``x`` (trials last); no copy when ``idx`` is all of them."""
    if idx.size == x.shape[-1]:
        return x
    return np.take(x, idx, axis=-1)


def forward_pass(Ab: np.ndarray, lay: Layout, thr: np.ndarray,
                 ws: Workspace | None = None) -> tuple[np.ndarray, ...]:
    r"""Householder row reduction and the forward solve :math:`T^\top y = \mathbf 1_P`.

    Returns ``V`` (M, S, n) and ``beta`` (M, n) (reflection ``I - beta v v^T`` of step ``x``),
    the retired rows ``Rrow`` (M, S + s, n), ``piv`` (M, n), the column norms ``nu``, ``y`` and
    the residual ``rho = 1 - R^T y`` (zero on pivots).
    """
    M, S, n = Ab.shape
    s, nb, cur = lay.s, lay.nb, lay.s
    C = S + s
    W = np.zeros((S, C, n))
    for i in range(s):
        W[i, lay.wrapcols[i]] = Ab[M - s + i]
    ws = Workspace() if ws is None else ws
    V = ws.empty("V", (M, S, n))
    beta = np.empty((M, n))
    Rrow = ws.empty("R", (M, C, n))
    nu_all = np.empty((M, n))
    piv = np.empty((M, n), dtype=bool)
    y = np.zeros((M, n))
    rho = np.zeros((M, n))
    wv = np.empty((C, n))
    tmp = np.empty((C, n))
    t1 = np.empty(n)
    t2 = np.empty(n)
    for x in range(M):
        if x < nb:
            W[cur, lay.rowcols[x]] = Ab[x]
        col = lay.colof[x]
        c = W[:, col]                                      # (S, n) view
        nu = nu_all[x]
        np.einsum("kn,kn->n", c, c, out=nu)
        np.sqrt(nu, out=nu)
        p = piv[x]
        np.greater(nu, thr, out=p)
        v = V[x]
        v[...] = c
        np.copysign(nu, c[cur], out=t1)                    # sign(c_cur) nu = -alpha
        np.abs(c[cur], out=t2)
        v[cur] += t1                                       # v = c - alpha e_cur
        t2 += nu
        t2 *= nu                                           # v^T v / 2
        b = beta[x]
        np.divide(1.0, t2, out=b, where=p)
        b[~p] = 0.0
        np.einsum("kn,kcn->cn", v, W, out=wv)
        wv *= b
        for k in range(s):                                 # the wrap slots, one at a time
            np.multiply(v[k], wv, out=tmp)                 # (a (C, n) temporary stays in
            np.subtract(W[k], tmp, out=W[k])               # cache; (s, C, n) did not)
        np.multiply(v[cur], wv, out=wv)
        np.subtract(W[cur], wv, out=Rrow[x])               # the current slot, retired
        W[:s, col] = 0.0
        np.negative(t1, out=t1)
        t1[~p] = 0.0
        Rrow[x, col] = t1                                  # alpha on pivots
        W[cur] = 0.0
        # forward solve: R[i, x] for i < x sits in column `col` of the retired rows
        lo = max(0, x - s) if x < nb else 0
        r = 1.0 - np.einsum("in,in->n", Rrow[lo:x, col], y[lo:x])
        np.divide(r, Rrow[x, col], out=y[x], where=p)
        np.copyto(rho[x], r, where=~p)
    return V, beta, Rrow, piv, nu_all, y, rho


def _weights(V: np.ndarray, beta: np.ndarray, y: np.ndarray, lay: Layout) -> np.ndarray:
    """Certificate :math:`a = Qy`: the reflections applied to ``y`` in reverse order."""
    M, S, n = V.shape
    s, nb, cur = lay.s, lay.nb, lay.s
    g = np.zeros((S, n))
    a = np.zeros((M, n))
    for x in range(M - 1, -1, -1):
        if x + 1 < nb:
            a[x + 1] = g[cur]                              # row x + 1 entered slot `cur`
        g[cur] = y[x]
        g -= V[x] * (beta[x] * np.einsum("kn,kn->n", V[x], g))
    a[0] = g[cur]
    a[M - s:] = g[:s]                                      # the wrap rows' slots
    return a


def kernel_vector(Rrow: np.ndarray, piv: np.ndarray, rho: np.ndarray, lay: Layout) -> np.ndarray:
    r"""A kernel vector :math:`k` of :math:`R` (back substitution), scaled to
    :math:`\max_i|k_i|=1`.

    Free components :math:`k_F=\rho_F` (then :math:`\mathbf 1^\top k=\lVert\rho_F\rVert^2`,
    the best choice when :math:`T` is well conditioned), or :math:`\mathbf 1_F` where
    :math:`\rho` is not finite. Any vector of :math:`\ker R` serves as a certificate; when
    :math:`T` is badly conditioned the back substitution grows along its near-null
    directions, so ``k`` is rescaled on the way to stay finite.
    """
    M, C, n = Rrow.shape
    S, nb = lay.S, lay.nb
    inv = np.zeros((M, n))
    np.divide(1.0, Rrow[np.arange(M), lay.colof], out=inv, where=piv)
    good = np.isfinite(rho).all(axis=0)
    k = np.where(good, rho, np.where(piv, 0.0, 1.0))
    top = np.abs(k).max(axis=0)
    k /= np.where(top > 0, top, 1.0)
    kc = np.zeros((S, n))                                  # k at the band slots
    kt = k[nb:]                                            # view: k at the tail
    for x in range(M - 1, -1, -1):
        col = lay.colof[x]
        rt = Rrow[x, S:].copy()
        if x >= nb:
            rt[x - nb] = 0.0
            acc = np.einsum("tn,tn->n", rt, kt)
        else:
            rb = Rrow[x, :S].copy()
            rb[col] = 0.0
            acc = np.einsum("jn,jn->n", rb, kc) + np.einsum("tn,tn->n", rt, kt)
        np.copyto(k[x], -acc * inv[x], where=piv[x])
        big = np.abs(k[x]) > 1e100
        if big.any():                                      # rescale the trials that grew
            f = np.where(big, 1e-100, 1.0)
            k *= f
            kc *= f
        if x < nb:
            kc[col] = k[x]
    top = np.abs(k).max(axis=0)
    return k / np.where(top > 0, top, 1.0)


def takahashi(Rrow: np.ndarray, piv: np.ndarray, lay: Layout) -> np.ndarray:
    r""":math:`\lVert T^{-1}\rVert_F^2` per trial, :math:`T` the pivot block of :math:`R`.

    :math:`Z=\tilde T^{-1}\tilde T^{-\top}` (:math:`\tilde T` = :math:`T` with unit rows and
    columns at the free positions) is computed on the band and the tail only, from the last
    column back, by the Takahashi recurrence (Takahashi, Fagan and Chin 1973): for
    :math:`i<j`, :math:`Z_{ij}=-\sum_{q>i}\tilde T_{iq}Z_{qj}/\tilde T_{ii}` and
    :math:`Z_{ii}=(1/\tilde T_{ii}-\sum_{q>i}\tilde T_{iq}Z_{qi})/\tilde T_{ii}` need only
    entries on that pattern; :math:`\lVert T^{-1}\rVert_F^2=\sum_{i\in P} Z_{ii}`,
    :math:`O(Ms^2)` per trial. Band entries are kept in circular slots like the rows of ``R``.
    ``inf`` (no bound) for a trial where some computed :math:`Z_{ii}` falls below its floor
    :math:`1/\tilde T_{ii}^2`: cancellation has taken every digit (:math:`\lVert T^{-1}\rVert`
    of :math:`10^{16}` and more), so the value could be anything, 0 included.
    """
    M, C, n = Rrow.shape
    S, nb = lay.S, lay.nb
    pf = piv.astype(float)
    inv = np.zeros((M, n))
    np.divide(1.0, Rrow[np.arange(M), lay.colof], out=inv, where=piv)
    Z = np.zeros((C, C, n))                                # Z among the working columns
    pc = np.zeros((C, n))                                  # pivot flags of those columns
    pc[S:] = pf[nb:]
    tr = np.zeros(n)
    bad = np.zeros(n, dtype=bool)
    for x in range(M - 1, -1, -1):
        ix = inv[x]
        px = piv[x]
        col = lay.colof[x]
        r = Rrow[x] * pc                                   # row x of T~ (free columns out)
        r[col] = 0.0                                       # ... off the diagonal
        zrow = np.einsum("jn,jpn->pn", r, Z)
        zrow *= -ix                                        # Z[x, q] for the columns q > x
        zxx = ix * (ix - np.einsum("jn,jn->n", r, zrow))
        # Z_xx = |row x of T~^-1|^2 >= (1 / T_xx)^2: below it (or NaN) the recurrence has
        # lost every digit to cancellation (||T^-1|| of 1e16 and more): not a bound
        bad |= px & ~(zxx >= (1.0 - _TAKAHASHI_SLACK) * (ix * ix))
        Z[col] = zrow
        Z[:, col] = zrow
        Z[col, col] = np.where(px, zxx, 1.0)
        if x < nb:
            pc[col] = pf[x]
        tr += np.where(px, zxx, 0.0)
    return np.where(bad | ~(tr >= 0), np.inf, tr)


def kernel_basis(Rrow: np.ndarray, piv: np.ndarray, lay: Layout) -> np.ndarray:
    r"""Kernel basis :math:`K` (M, D, n) of :math:`R`: column :math:`\ell` is the kernel vector
    with unit component at the :math:`\ell`-th free position and zero at the other free
    positions (``D`` the largest number of free positions; padding columns are zero).

    Back substitution from the last column, :math:`O(MsD)` per trial; the band part is kept
    in circular slots like the rows of ``R``. A column that grows beyond :math:`10^{100}` is
    rescaled (the projector, :math:`\lVert R^+\rVert_F` and the certificates built from
    :math:`K` do not depend on the scale of its columns).
    """
    M, C, n = Rrow.shape
    S, nb = lay.S, lay.nb
    free = ~piv
    D = max(1, int(free.sum(axis=0).max()))
    slot = np.cumsum(free, axis=0) - 1                     # index of each free position
    K = np.zeros((M, D, n))
    xs, ts = np.nonzero(free)
    K[xs, slot[xs, ts], ts] = 1.0
    inv = np.zeros((M, n))
    np.divide(1.0, Rrow[np.arange(M), lay.colof], out=inv, where=piv)
    Kc = np.zeros((S, D, n))
    Kt = K[nb:]                                            # view
    for x in range(M - 1, -1, -1):
        col = lay.colof[x]
        rt = Rrow[x, S:].copy()
        if x >= nb:
            rt[x - nb] = 0.0
            acc = np.einsum("tn,tdn->dn", rt, Kt)
        else:
            rb = Rrow[x, :S].copy()
            rb[col] = 0.0
            acc = np.einsum("jn,jdn->dn", rb, Kc) + np.einsum("tn,tdn->dn", rt, Kt)
        acc *= -inv[x]
        np.copyto(K[x], acc, where=piv[x])
        big = np.abs(K[x]) > 1e100                         # columns growing along near-null
        if big.any():                                      # directions of T: rescale them
            f = np.where(big, 1e-100, 1.0)                 # (every use is scale-invariant)
            K *= f
            Kc *= f
        if x < nb:
            Kc[col] = K[x]
    return K


def refine(Rrow: np.ndarray, piv: np.ndarray, lay: Layout, tr: np.ndarray,
            units: bool = False, K: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    r""":math:`\lVert R^{+}\rVert_F` and the exact distance of :math:`\mathbf 1` to the row space.

    With :math:`K` the kernel basis (:func:`kernel_basis`), :math:`C=-K_P=T^{-1}R_F`,
    :math:`G = K^\top K = I + C^\top C` and :math:`X = T^{-\top}C` (forward substitution),
    Woodbury gives :math:`(RR^\top)^{-1}=T^{-\top}(I+CC^\top)^{-1}T^{-1}` and

    .. math:: \lVert R^+\rVert_F^2 = \lVert T^{-1}\rVert_F^2
              - \operatorname{tr}\big(G^{-1}X^\top X\big),

    which is :math:`\ge 1/\sigma_r(R)^2` and, unlike :math:`\lVert T^{-1}\rVert_F`, does not
    grow when the pivot columns are a poor choice; where the subtraction keeps less than
    :data:`REFINE_KEEP` of :math:`\lVert T^{-1}\rVert_F^2` it is rounding noise (it came out
    as 0, which passed the rank test) and :math:`\lVert T^{-1}\rVert_F` is returned. The distance is
    :math:`(\rho_F^\top G^{-1}\rho_F)^{1/2}` with :math:`\rho_F = K^\top\mathbf 1`.
    ``tr`` is :math:`\lVert T^{-1}\rVert_F^2`. With ``units``, also the distances of every
    :math:`e_k` to the row space, :math:`(K_k G^{-1}K_k^\top)^{1/2}`, (M, n).
    """
    M, C, n = Rrow.shape
    s, nb = lay.s, lay.nb
    if K is None:
        K = kernel_basis(Rrow, piv, lay)
    D = K.shape[1]
    G = np.einsum("xdn,xen->nde", K, K)
    pad = ~np.any(K != 0, axis=0)                          # (D, n) padding columns
    G[np.nonzero(pad.T)[0], np.nonzero(pad.T)[1], np.nonzero(pad.T)[1]] = 1.0
    # X = T^{-T} C, C = -K on the pivot rows: forward substitution like the solve for y
    X = np.zeros((M, D, n))
    inv = np.zeros((M, n))
    np.divide(1.0, Rrow[np.arange(M), lay.colof], out=inv, where=piv)
    for x in range(M):
        col = lay.colof[x]
        lo = max(0, x - s) if x < nb else 0
        r = -K[x] - np.einsum("in,idn->dn", Rrow[lo:x, col], X[lo:x])
        np.multiply(r, inv[x], out=X[x])
    H = np.einsum("xdn,xen->nde", X, X)
    rhoF = K.sum(axis=0).T                                  # (n, D)
    rhs = [H, rhoF[:, :, None]] + ([K.transpose(2, 1, 0)] if units else [])
    sol = _solve(G, np.concatenate(rhs, axis=2))
    corr = np.trace(sol[:, :, :D], axis1=1, axis2=2)
    dist2 = np.einsum("nd,nd->n", rhoF, sol[:, :, D])
    # ||R^+||_F^2 = tr - corr loses log10(tr / (tr - corr)) digits to cancellation; below
    # REFINE_KEEP * tr (or NaN) the difference is rounding noise, not a bound: keep tr
    pinv2 = tr - corr
    pinv2 = np.where(pinv2 >= REFINE_KEEP * tr, pinv2, tr)
    out = (np.sqrt(pinv2), np.sqrt(np.maximum(dist2, 0.0)))
    if units:
        unit2 = np.einsum("kdn,ndk->kn", K, sol[:, :, D + 1:])
        out += (np.sqrt(np.maximum(unit2, 0.0)),)
    return out


def _solve(G: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``solve(G[i], rhs[i])`` per trial; NaN for a trial whose ``G`` is singular or not
    finite (that trial then does not stand)."""
    bad = ~np.isfinite(G).all(axis=(1, 2)) | ~np.isfinite(rhs).all(axis=(1, 2))
    G = np.where(bad[:, None, None], np.eye(G.shape[1]), G)
    try:
        sol = np.linalg.solve(G, np.where(bad[:, None, None], 0.0, rhs))
    except np.linalg.LinAlgError:
        sol = np.full(rhs.shape, np.nan)
        for i in range(G.shape[0]):
            try:
                sol[i] = np.linalg.solve(G[i], rhs[i])
            except np.linalg.LinAlgError:
                pass
    sol[bad] = np.nan
    return sol


def _band_vecmat(a: np.ndarray, Ab: np.ndarray) -> np.ndarray:
    """``a^T A`` (M, n) for the band matrices ``Ab`` (M, S, n): row ``m`` feeds column
    ``(m + j) % M``."""
    out = a * Ab[:, 0]
    for j in range(1, Ab.shape[1]):
        prod = a * Ab[:, j]
        out[j:] += prod[:-j]
        out[:j] += prod[-j:]
    return out


def band_colsum(Ab: np.ndarray) -> np.ndarray:
    """Column sums (M, n) of the band matrices ``Ab`` (M, S, n)."""
    out = Ab[:, 0].copy()
    for j in range(1, Ab.shape[1]):
        out[j:] += Ab[:-j, j]
        out[:j] += Ab[-j:, j]
    return out


def _band_matvec(Ab: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``A k`` (M, n) for the band matrices ``Ab`` (M, S, n): the sum over ``j`` of
    ``A[m, (m + j) % M] k[(m + j) % M]``."""
    out = Ab[:, 0] * k
    for j in range(1, Ab.shape[1]):
        out[:-j] += Ab[:-j, j] * k[j:]
        out[-j:] += Ab[-j:, j] * k[:j]
    return out


def _rules(q: dict[str, np.ndarray], dist: np.ndarray, inv: np.ndarray, gamma: float,
           M: int, rtol: float, atol: float) -> tuple[np.ndarray, ...]:
    r"""(full, full_ok, full_sem, rank_ok, err) for distances ``dist`` and an ``inv`` at
    least ``||R^+||_F`` (see the module docstring).

    ``full_ok``: the SVD engine's computed decision is full too — ``err`` bounds how far the
    computed distances (ours and the engine's) can be from the exact one:
    ``gamma * u * sqrt(M) * kappa`` (rounding, calibrated) plus the rotation of the row
    space by the dropped entries. ``full_sem``: the exact-arithmetic decision of the rtol /
    atol rule is full — by the certificate, :math:`d \le \lVert a^\top A-\mathbf 1\rVert_2
    + \sigma_{\max}(\text{discarded})\,\lVert a\rVert_2`, where the discarded singular
    values are at most the backward error when the rank is the engine's (zero when every
    nonzero row pivots: the rank of :math:`A` is then at most :math:`|P|`), else at most
    :math:`\tau`.
    """
    u = np.finfo(float).eps
    S = q["Rrow"].shape[1] - (q["Rrow"].shape[1] - 1) // 2
    kappa = q["sig1"] * inv
    drop = np.sqrt(q["dropped2"])
    rank_ok = (kappa * rtol * MARGIN <= 1.0) & (4.0 * drop <= rtol * q["h"]) & ~q["bad_row"]
    err = gamma * u * np.sqrt(M) * kappa + drop * (q["a_norm"] + np.sqrt(M) * inv)
    full = dist <= atol
    cert_ok = q["cert"] <= atol / 2
    full_ok = rank_ok & (dist + err <= atol / 2) & cert_ok
    backward = drop + GAMMA_E * np.sqrt(M * S) * u * q["fro"]   # ||A - QR|| (calibrated)
    # a pivot for every nonzero row: rank(A) <= rows = |P| exactly, so with the rank the
    # discarded singular values are exact zeros
    exact_rank = rank_ok & (q["rank"] == q["rows"])
    discarded = np.where(exact_rank, 0.0, np.where(rank_ok, backward, rtol * q["sig1"]))
    e2 = q["cert2"] + (S + 1) * u * q["nb1"] * q["a_norm"]  # ||a^T A - 1||_2, with rounding
    full_sem = cert_ok & (e2 + discarded * q["a_norm"] <= atol / 2)
    return full, full_ok, full_sem, rank_ok, err


def _decide(q: dict[str, np.ndarray], lay: Layout, rtol: float, atol: float,
            need_rank: bool, semantic: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(full, settled, rank_ok) of a block: the cheap tests, then the refinement (exact
    distance and ``||R^+||_F``) for the trials they leave open. ``semantic``: settle the
    exact-arithmetic decision (outage counts) rather than the SVD engine's computed one."""
    M = lay.M
    full, full_ok, full_sem, rank_ok, _ = _rules(q, q["dist_up"], q["inv_f"], GAMMA_T, M,
                                                 rtol, atol)
    if semantic:
        settled = np.where(full, full_sem, q["dist_lo"] > 2 * atol)
    else:
        settled = np.where(full, full_ok, q["dist_lo"] > MARGIN * atol)
    if need_rank:
        settled &= rank_ok
    todo = np.flatnonzero(~settled)
    if todo.size:
        sub = {f: _take(v, todo) for f, v in q.items()}
        miss = np.flatnonzero(~np.isfinite(sub["inv_f"]))   # no Takahashi yet
        if miss.size:
            sub["inv_f"][miss] = np.sqrt(takahashi(_take(sub["Rrow"], miss),
                                                    _take(sub["piv"], miss), lay))
        inv_r, dist = refine(sub["Rrow"], sub["piv"], lay, sub["inv_f"] ** 2)
        f2, ok2, sem2, rk2, err = _rules(sub, dist, inv_r, GAMMA_R, M, rtol, atol)
        if semantic:
            st2 = np.where(f2, sem2, (sub["dist_lo"] > 2 * atol)
                           | (rk2 & (dist - err > 2 * atol)))
        else:
            st2 = np.where(f2, ok2, (sub["dist_lo"] > MARGIN * atol)
                           | (rk2 & (dist - err > 4 * atol)))
        if need_rank:
            st2 &= rk2
        full[todo] = f2
        settled[todo] = st2
        rank_ok[todo] = rk2
    return full, settled, rank_ok


def _block_size(M: int, s: int) -> int:
    """Trials per block: the stored factors (V, R, the band, y, rho, k, a, ...) of a block
    take about ``BLOCK_BYTES``."""
    per_trial = 8 * M * (3 * (s + 1) + 2 * s + 10)
    return int(max(64, min(8192, BLOCK_BYTES // per_trial)))


def run(At: np.ndarray, *, rtol: float = 1e-10, atol: float = 1e-8, need_rank: bool = True,
        weights: bool = True, scale_exp: int | None = None, norm_bound: float | None = None,
        semantic: bool = False) -> dict[str, np.ndarray]:
    r"""The banded engine on trials-last band matrices ``At`` (M, s + 1, n), no fallback.

    Returns ``full``, ``settled``, ``rank`` (n,), ``weights`` (M, n) (zero unless full;
    omitted with ``weights=False``) and ``cert_error`` (n,); see :func:`decode_full`. Each
    trial is scaled by the power of two above its largest entry, or by ``2**-scale_exp``
    for all trials when given (a caller whose entries all come from one matrix); scaling by
    a power of two is exact, so it changes no decision. ``norm_bound`` (with ``scale_exp``)
    bounds :math:`\sqrt{\lVert A\rVert_1\lVert A\rVert_\infty}` for every trial before
    scaling (e.g. that of the matrix all trials' entries come from). A trial's numbers do
    not depend on the others (every operation is elementwise along the trials axis), so the
    blocks of :data:`BLOCK_BYTES` do not change any result.
    """
    M, S, n = At.shape
    s = S - 1
    full = np.zeros(n, dtype=bool)
    w_out = np.zeros((M, n)) if weights else None
    rank = np.zeros(n, dtype=np.int64)
    cert = np.zeros(n)
    settled = np.zeros(n, dtype=bool)
    tiny = 2.0 ** 520 * np.finfo(float).tiny
    if scale_exp is None:
        amax = np.abs(At).max(axis=(0, 1)) if n else np.zeros(0)
        expo = np.frexp(amax)[1]
        sane = (amax == 0) | ((amax >= 1e-150) & (amax <= 1e150))
    else:
        expo = np.full(n, int(scale_exp))
        sane = np.full(n, 2.0 ** (scale_exp - 1) <= 1e150 and 2.0 ** scale_exp >= 1e-150)
    step = _block_size(M, s)
    lay = Layout(M, s)
    ws = Workspace()
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        for lo in range(0, n, step):
            sl = slice(lo, min(n, lo + step))
            nbound = None if norm_bound is None or scale_exp is None else \
                float(np.ldexp(norm_bound, -int(scale_exp)))
            if scale_exp != 0:
                blk = np.ldexp(At[..., sl], -expo[sl])
            elif sl.stop - sl.start < n:
                blk = np.ascontiguousarray(At[..., sl])
            else:
                blk = At
            q = core(blk, lay, rtol, atol, need_rank, nbound, ws)
            f, st, _ = _decide(q, lay, rtol, atol, need_rank, semantic)
            wts = q["weights"]
            st &= sane[sl]
            if weights:                                    # the returned weights are normal
                st &= ~f | ~np.any((wts != 0) & (np.abs(wts) < tiny), axis=0)
            full[sl] = f
            settled[sl] = st
            rank[sl] = q["rank"]
            if weights:
                w_out[:, sl] = np.where(f, np.ldexp(wts, -expo[sl]), 0.0)
            cert[sl] = np.where(f, q["cert"], 0.0)
    out = {"full": full, "settled": settled, "rank": rank, "cert_error": cert}
    if weights:
        out["weights"] = w_out
    return out


def _solve_t(Rrow: np.ndarray, piv: np.ndarray, target: np.ndarray,
             lay: Layout) -> np.ndarray:
    """Forward solve :math:`T^\top y = t_P` (as in :func:`forward_pass`), ``y`` (M, n)."""
    M, C, n = Rrow.shape
    s, nb = lay.s, lay.nb
    y = np.zeros((M, n))
    for x in range(M):
        col = lay.colof[x]
        lo = max(0, x - s) if x < nb else 0
        r = target[x] - np.einsum("in,in->n", Rrow[lo:x, col], y[lo:x])
        np.divide(r, Rrow[x, col], out=y[x], where=piv[x])
    return y


def _unit_lower_bounds(Ab: np.ndarray, K: np.ndarray, q: dict[str, np.ndarray],
                       rtol: float) -> np.ndarray:
    """Lower bounds (M, n) on the distance of each :math:`e_j` to the SVD engine's retained
    row space, from the kernel basis columns (the best column per ``j``)."""
    M, S, n = Ab.shape
    u = np.finfo(float).eps
    knorm = np.sqrt(np.einsum("mdn,mdn->dn", K, K))        # (D, n)
    AK = np.stack([_band_matvec(Ab, K[:, d]) for d in range(K.shape[1])], axis=1)
    akn = np.sqrt(np.einsum("mdn,mdn->dn", AK, AK)) + (S + 1) * u * q["nb1"] * knorm
    h = q["h"]
    slack = akn / np.where(h > 0, rtol * h, np.inf)       # (D, n)
    bound = (np.abs(K) - slack[None]) / np.where(knorm > 0, knorm, np.inf)[None]
    return bound.max(axis=1)


def individual(At: np.ndarray, *, rtol: float = 1e-10, atol: float = 1e-8,
               scale_exp: int | None = None, semantic: bool = False) -> dict[str, np.ndarray]:
    r"""GC+ ``rule="individual"`` on trials-last band matrices ``At`` (M, s + 1, n).

    :math:`K=\{k: \lVert P_{\ker A}e_k\rVert_2\le\mathrm{atol}\}`, the distances from the
    kernel basis of :math:`R` (:func:`refine`, :math:`O(MsD+MD^2)` for :math:`D` free
    positions), then the certificate for :math:`t=\mathbf 1_K` (solve with :math:`T`,
    reflections backwards) verified on ``A``; a round whose certificate fails is an outage,
    as in the SVD engine. A trial stands when the rank is the SVD rank, every distance lies
    outside :math:`(\mathrm{atol}/2-\epsilon,\ 2\,\mathrm{atol}+\epsilon]` (with the
    refined error allowance :math:`\epsilon` of the module docstring) and the certificate
    error is at most :math:`\mathrm{atol}/2`, so that ``recovered`` is the engine's. With
    ``semantic`` (outage statistics), a trial whose rank is not settled still stands as a
    total outage when kernel vectors bound every :math:`d(e_j)` above
    :math:`2\,\mathrm{atol}` (the decision of the exact rule).

    Returns ``recovered`` bool (M, n), ``full`` (n,), ``settled`` (n,) and ``cert_error``.

    Examples
    --------
    >>> import numpy as np
    >>> B = np.array([[1., 1, 0], [0, 1, 1], [1, 0, 1]]) / 2      # s = 1 ring of 3
    >>> A = to_band(B, 1) * np.array([[True], [False], [False]])  # only row 0 arrives
    >>> r = individual(A[:, :, None])
    >>> r["recovered"][:, 0].tolist(), bool(r["settled"][0])     # g_0 + g_1 only, no g_k
    ([False, False, False], True)
    """
    M, S, n = At.shape
    s = S - 1
    lay = Layout(M, s)
    recovered = np.zeros((M, n), dtype=bool)
    full = np.zeros(n, dtype=bool)
    settled = np.zeros(n, dtype=bool)
    cert = np.zeros(n)
    if scale_exp is None:
        amax = np.abs(At).max(axis=(0, 1)) if n else np.zeros(0)
        expo = np.frexp(amax)[1]
        sane = (amax == 0) | ((amax >= 1e-150) & (amax <= 1e150))
    else:
        expo = np.full(n, int(scale_exp))
        sane = np.full(n, True)
    step = max(16, _block_size(M, s) // 4)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        for lo in range(0, n, step):
            sl = slice(lo, min(n, lo + step))
            Ab = np.ldexp(At[..., sl], -expo[sl])
            q = core(Ab, lay, rtol, atol, True)
            Rrow, piv = q["Rrow"], q["piv"]
            Kb = kernel_basis(Rrow, piv, lay)
            inv_r, dist, dk = refine(Rrow, piv, lay, q["inv_f"] ** 2, units=True, K=Kb)
            f, _, _, rank_ok, err = _rules(q, dist, inv_r, GAMMA_R, M, rtol, atol)
            # kernel certificates: any k in ker R bounds d(e_j) from below by
            # (|k_j| - ||A k|| / tau) / ||k|| (the part of k the SVD engine keeps is at most
            # ||A k|| / tau), whatever the rank: they settle K = {} (a total outage) alone
            lo_j = _unit_lower_bounds(Ab, Kb, q, rtol)
            K = (dk <= atol) | f
            clear = np.all((dk + err <= atol / 2) | (dk - err > 2 * atol), axis=0)
            clear &= (dist + err <= atol / 2) | (dist - err > 2 * atol)
            tgt = K.astype(float)
            y = _solve_t(Rrow, piv, tgt, lay)
            a = _weights(q["V"], q["beta"], y, lay) * (np.einsum("mjn,mjn->mn", Ab, Ab) > 0)
            e = np.abs(_band_vecmat(a, Ab) - tgt).max(axis=0)
            ok_cert = e <= atol / 2
            none = ~f & np.all(lo_j > 2 * atol, axis=0) & (q["dist_lo"] > 2 * atol)
            none &= semantic
            K[:, none] = False
            settled[sl] = ((rank_ok & clear & ok_cert) | none) & sane[sl]
            recovered[:, sl] = K
            full[sl] = f
            cert[sl] = e
    return {"recovered": recovered, "full": full, "settled": settled, "cert_error": cert}


def decode_full(Ab: np.ndarray, *, rtol: float = 1e-10, atol: float = 1e-8,
                need_rank: bool = True, fallback: bool = True) -> dict[str, np.ndarray]:
    r"""Decide :math:`\mathbf 1\in\operatorname{rowspace}(A)` for a stack of band matrices.

    Parameters
    ----------
    Ab : ndarray (n, M, s + 1)
        Band form (:func:`to_band`) of the used-row matrices, unused rows zero; the support
        must be cyclic with :math:`2s+1\le M` (:func:`cyclic_bandwidth`).
    rtol, atol : float
        The tolerances of :mod:`cogc_theory.decode`.
    need_rank : bool
        A trial stands only if its rank is provably the SVD engine's too (needed for a
        decode result; an outage count needs only the decision: a non-recovery is then
        settled by its kernel certificate alone).
    fallback : bool
        Decide the trials that do not stand with the SVD engine (on their dense matrices);
        otherwise leave them to the caller (``settled`` False).

    Returns
    -------
    dict
        ``full`` bool (n,), ``weights`` (n, M) (the certificate, zero unless full),
        ``target`` (n, M) (all ones on full trials, else zero: the standard rule),
        ``rank`` int (n,), ``cert_error`` (n,) (:math:`\max_k|(a^\top A-t)_k|`, 0 when not
        full), ``downgraded`` bool (n,), ``settled`` bool (n,) (decided by the banded engine;
        with ``fallback`` the others were decided by the SVD engine).

    Examples
    --------
    >>> import numpy as np
    >>> B = np.array([[1., 1, 0], [0, 1, 1], [1, 0, 1]]) / 2      # s = 1 ring of 3
    >>> r = decode_full(to_band(B, 1)[None])
    >>> bool(r["full"][0]), r["weights"][0].round(12).tolist()   # the sum of all rows
    (True, [1.0, 1.0, 1.0])
    """
    Ab = np.asarray(Ab, dtype=float)
    n, M, S = Ab.shape
    r = run(np.ascontiguousarray(Ab.transpose(1, 2, 0)), rtol=rtol, atol=atol,
            need_rank=need_rank)
    settled = r["settled"]
    out = {"full": r["full"], "weights": np.ascontiguousarray(r["weights"].T),
           "rank": r["rank"], "cert_error": r["cert_error"],
           "downgraded": np.zeros(n, dtype=bool), "settled": settled}
    if fallback and not settled.all():
        redo = np.flatnonzero(~settled)
        sub = decode_svd(from_band(Ab[redo]), "standard", rtol, atol, 16)
        for f in ("full", "weights", "rank", "cert_error", "downgraded"):
            out[f][redo] = sub[f]
    out["target"] = np.repeat(out["full"][:, None], M, axis=1).astype(float)
    return out


def decode_stack(Ab: np.ndarray, mode: str, rtol: float, atol: float, maxc: int,
                 dense: Callable[..., dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The banded engine in front of a dense decoder, on band matrices ``Ab`` (n, M, s + 1).

    Full recoveries (and, for ``mode="standard"``, outages) that the banded engine settles,
    with their rank, are taken from it; every other trial is decoded by
    ``dense(A, mode, rtol, atol, maxc)`` on its dense matrix ``A`` (n', M, M) (the float
    path passes its Gram–Schmidt-then-SVD engines, which also decide the partial rules).
    Returns the fields of the SVD engine's result dict
    (:func:`cogc_theory.decode._svd.decode_svd`). The rows should already be scaled
    (:func:`cogc_theory._linalg.scale_rows`), as the float path's engines expect.

    Examples
    --------
    >>> import numpy as np
    >>> from cogc_theory import codes
    >>> B = np.asarray(codes.cyclic_repetition(8, 2, seed=0))
    >>> u = np.ones((2, 8), dtype=bool)
    >>> u[1, [0, 3, 6]] = False
    >>> A = B[None] * u[:, :, None]
    >>> mine = decode_stack(to_band(A, 2), "individual", 1e-10, 1e-8, 16, decode_svd)
    >>> ref = decode_svd(A, "individual", 1e-10, 1e-8, 16)
    >>> bool(np.array_equal(mine["recovered"], ref["recovered"])), mine["full"].tolist()
    (True, [True, False])
    """
    Ab = np.asarray(Ab, dtype=float)
    n, M, _ = Ab.shape
    r = decode_full(Ab, rtol=rtol, atol=atol, need_rank=True, fallback=False)
    done = r["settled"] & (r["full"] | (mode == "standard"))
    out = {"full": r["full"].copy(),
           "recovered": np.repeat(r["full"][:, None], M, axis=1),
           "weights": r["weights"], "target": r["target"], "rank": r["rank"],
           "residual": np.where(r["full"], 0.0, np.sqrt(M)),
           "cert_error": r["cert_error"], "downgraded": r["downgraded"]}
    rest = np.flatnonzero(~done)
    if rest.size:
        sub = dense(from_band(Ab[rest]), mode, rtol, atol, maxc)
        for f, v in out.items():
            v[rest] = sub[f]
    return out
