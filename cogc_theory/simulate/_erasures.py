r"""Standard decoding decided from the erased rows: :math:`O(M^2 + M d^2)` per trial, any ``B``.

A standard-decoding round keeps the complete-and-arrived rows :math:`R` of ``B`` and erases
the others, :math:`E=[M]\setminus R` (:math:`e=|E|`). Everything that does not depend on the
round is computed once, from the rows scaled as the float decoders scale them
(:func:`cogc_theory._linalg.scale_rows`, so :math:`A=B^s_R` is exactly what they see): one
SVD :math:`B^s=U\Sigma V^\top`, the left null space :math:`N` (:math:`M\times d`, the
directions with :math:`\sigma\le\mathrm{rtol}\,\sigma_1`), the pseudo-inverse :math:`P` and
one solution :math:`a_0=P^\top\mathbf 1` of :math:`a^\top B^s=\mathbf 1^\top` (the route
applies when it solves it and :math:`d\le` :data:`MAX_D`). Every solution is
:math:`a_0+Nc`, so

.. math:: \mathbf 1\in\operatorname{rowspace}(B^s_R)\iff
          \exists c:\ a_{0,E}+N_Ec=0 ,

an :math:`e\times d` least-squares problem per round (:math:`d=s` for a gradient code)
instead of an :math:`M\times M` factorisation. Both outcomes come with a certificate checked
on :math:`A` itself, in the semantic sense of :mod:`cogc_theory.decode._banded` (the decision
of the exact rtol/atol rule, whatever the rounding of the SVD engine):

* **full**: the weights :math:`a=a_0+Nc` set to zero on :math:`E`, :math:`\epsilon=
  a^\top A-\mathbf 1`; the distance of :math:`\mathbf 1` to the retained row space is at most
  :math:`\lVert\epsilon\rVert_2+\sigma_{\rm disc}\lVert a\rVert_2` (with
  :math:`\epsilon` as computed plus its rounding, :math:`(q+1)u\lVert A\rVert_F\lVert
  a\rVert_2` for :math:`q` nonzeros per column), :math:`\sigma_{\rm
  disc}` the largest singular value of :math:`A` the rule discards (at most
  :math:`\tau=\mathrm{rtol}\,\sigma_1`); the round stands as full when that is at most
  ``atol / 2``. The gradient codes' weights are large (:math:`\lVert a\rVert_2\approx 55`
  at :math:`M=30`), so :math:`\tau` alone rarely suffices; the **gap** does. Write
  :math:`B^s=B_r+B_t` (retained part and tail, :math:`\lVert B_t\rVert_2=\sigma_t`). The
  rows of :math:`U` are orthonormal, so :math:`A_r^\top A_r=B_r^\top B_r-(B_r)_E^\top(B_r)_E`
  has, in the retained coordinates, the form :math:`\Sigma_r X\Sigma_r` with :math:`X`
  whose eigenvalues are 0, 1 and :math:`\lambda_j(N_E^\top N_E)` (the largest
  :math:`\min(e,d)`); hence every nonzero singular value of :math:`A_r=(B_r)_R` is at least
  :math:`\sigma_{M-d}\,\lambda_{\min}^{1/2}`, and by Weyl every singular value of
  :math:`A` is at most :math:`\sigma_t` or at least :math:`\sigma_{M-d}
  \lambda_{\min}^{1/2}-\sigma_t`. Here :math:`\sigma_t` is the computed tail plus the
  SVD's backward error :data:`GAMMA_B` :math:`u\sqrt M\sigma_1(B^s)`, and
  :math:`\lambda_{\min}` is taken less its rounding :data:`GAMMA` :math:`u(e+d)`. When that
  lower bound exceeds :data:`MARGIN` :math:`\cdot\,\mathrm{rtol}\lVert A\rVert_F` and
  :math:`10\,\sigma_t\le\mathrm{rtol}\,h` (:math:`h` the largest row norm of :math:`A`,
  :math:`h\le\sigma_1`, so :math:`\sigma_t` lies below :math:`\tau/10`), the discarded
  values are at most :math:`\sigma_t`, which then replaces :math:`\tau`;
* **not full**: the least-squares residual :math:`w=a_{0,E}+N_Ec` (on :math:`E`, zero on
  :math:`R`) is orthogonal to :math:`N`, so :math:`w=B^sk` for :math:`k=Pw`: then
  :math:`Ak=w_R=0` and :math:`\mathbf 1^\top k=a_0^\top w=\lVert w\rVert_2^2>0` — a kernel
  vector of :math:`A` off the hyperplane :math:`\mathbf 1^\perp`. With :math:`Ak` computed
  and its rounding bounded, the bound of the banded engine
  :math:`d\ge(|\mathbf 1^\top k|-\sqrt M\lVert Ak\rVert_2/\tau)/\lVert k\rVert_2`
  (:math:`\tau=\mathrm{rtol}\,h`, :math:`h` the largest row norm of :math:`A`) stands when it
  exceeds ``2 atol``.

A round neither certificate settles (an ill-conditioned :math:`N_E` or ``B``) is left to the
caller (``settled`` false). Work per trial: :math:`O(M^2+Md^2)` — the Gram matrix
:math:`N_E^\top N_E` as one product of the erasure mask with a precomputed
:math:`M\times d^2` table, two or three products with :math:`M\times M` matrices (one GEMM
each for a block of trials) and a :math:`d\times d` solve; memory :math:`O(M+d^2)` per trial
in blocks of :data:`BLOCK_FLOATS` floats. The products are BLAS matrix products over a block
of trials, whose rounding may depend on the block; a settled trial proves the exact rule's
decision whatever that rounding, so only whether a trial at a certificate's margin is settled
(or left to the caller, who decides by the same rule) can depend on its block.

Examples
--------
>>> import numpy as np
>>> from cogc_theory import codes
>>> B = np.asarray(codes.cyclic_repetition(12, 2, seed=0))
>>> dec = ErasureDecider(B)
>>> received = np.ones((3, 12), dtype=bool)
>>> received[1, [0, 5]] = False          # 10 rows >= M - s: decodable
>>> received[2, [0, 5, 7]] = False       # 9 rows: not
>>> full, settled = dec.decide(received)
>>> full.tolist(), settled.tolist()
([True, True, False], [True, True, True])
"""

from __future__ import annotations

import numpy as np

from .._linalg import ATOL, RTOL, scale_rows

__all__ = ["BLOCK_FLOATS", "CHOL_MAX_D", "MAX_D", "GAMMA", "GAMMA_B", "MARGIN", "ErasureDecider"]

#: Largest left-null-space dimension of the route: the per-round solve is d x d (a block
#: code has a large one, e.g. d = 4M/5 for fractional repetition with s = 4: its blocks
#: route is the fast one).
MAX_D = 64
#: Largest left-null-space dimension solved by the vectorised Cholesky (eigh above).
CHOL_MAX_D = 12
#: Floats per working array of one block of trials (32 MiB).
BLOCK_FLOATS = 1 << 22
#: Safety factor of the gap test (that of the banded and Gram–Schmidt engines).
MARGIN = 1e3
#: Rounding allowance of the small eigenproblems, in units of u (e + d).
GAMMA = 64.0
#: Backward error allowance of the SVD of ``B``, in units of u sqrt(M) sigma_1.
GAMMA_B = 4.0


class ErasureDecider:
    """Standard-decoding decisions of ``B`` from the received-row masks (module docstring).

    Parameters
    ----------
    B : ndarray (M, M)
        Finite real code matrix.
    rtol, atol : float
        The decoders' tolerances.

    Attributes
    ----------
    applies : bool
        :math:`\\mathbf 1` lies in the row space of ``B`` (by the computed :math:`a_0`, with
        a margin) and :math:`d\\le` :data:`MAX_D`; otherwise :meth:`decide` leaves every
        round unsettled.
    d : int
        Dimension of the left null space (the size of the per-round solve).
    """

    def __init__(self, B: np.ndarray, rtol: float = RTOL, atol: float = ATOL) -> None:
        Bs = scale_rows(np.asarray(B, dtype=float))[0]
        M = Bs.shape[0]
        self.M, self.rtol, self.atol = M, float(rtol), float(atol)
        self.Bs = Bs
        self.row2 = np.einsum("mk,mk->m", Bs, Bs)
        self.width = int((Bs != 0).sum(axis=1).max()) if M else 0      # most in a row
        self.depth = int((Bs != 0).sum(axis=0).max()) if M else 0      # ... in a column
        U, S, Vh = np.linalg.svd(Bs)
        keep = S > rtol * S[0] if M and S[0] > 0 else np.zeros(M, dtype=bool)
        self.N = np.ascontiguousarray(U[:, ~keep])           # (M, d)
        self.d = self.N.shape[1]
        self.P = (Vh[keep].T / S[keep]) @ U[:, keep].T         # pseudo-inverse of Bs
        self.a0 = self.P.T.sum(axis=1)                       # P^T 1
        u = np.finfo(float).eps
        s1 = float(S[0]) if M else 0.0
        self.sig_r = float(S[keep][-1]) if keep.any() else 0.0     # sigma_{M-d}
        self.sig_t = (float(S[~keep][0]) if self.d else 0.0) + GAMMA_B * u * np.sqrt(M) * s1
        resid = self.a0 @ Bs - 1.0
        self.applies = bool(M and self.d <= MAX_D and np.all(np.isfinite(self.P))
                            and np.sqrt(resid @ resid) <= atol / 4)
        if self.d <= MAX_D:
            self.NN = np.einsum("mi,mj->mij", self.N, self.N).reshape(M, -1)   # (M, d*d)

    def decide(self, received: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(full, settled)`` bool ``(n,)`` for received-row masks bool ``(n, M)``."""
        received = np.asarray(received, dtype=bool)
        n, M = received.shape
        full = np.zeros(n, dtype=bool)
        settled = np.zeros(n, dtype=bool)
        if not self.applies or n == 0:
            return full, settled
        step = max(1, BLOCK_FLOATS // max(M, self.d * self.d, 1))
        for lo in range(0, n, step):
            sl = slice(lo, lo + step)
            full[sl], settled[sl] = self._block(received[sl])
        return full, settled

    def _solve(self, R: np.ndarray, Ef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r"""Least-squares weights ``a = a0 + N c`` (c minimising ``|a0_E + N_E c|``, the
        minimum-norm one when ``e < d``) and a lower bound on the smallest of the
        ``min(e, d)`` largest eigenvalues of ``N_E^T N_E``, per trial.

        For ``d <=`` :data:`CHOL_MAX_D` a Cholesky factorisation vectorised along the trials:
        of ``N_E^T N_E`` when ``e >= d``, else of ``N_E N_E^T`` (its nonzero eigenvalues are
        the same), padded to ``d x d`` with a unit diagonal; the bound is
        :math:`1/\operatorname{tr}(G^{-1})` (the eigenvalues of either matrix are at most 1,
        the padding's are 1). Trials whose factorisation meets a pivot below the rounding cut,
        and every trial for larger ``d``, take a batched ``eigh`` and its pseudo-inverse.
        """
        n, M = R.shape
        d, u = self.d, np.finfo(float).eps
        e = Ef.sum(axis=1)
        cut = GAMMA * u * (e + d)
        a = np.empty((n, M))
        lam_lo = np.empty(n)
        rest = np.arange(n)
        if d <= CHOL_MAX_D:
            G = (Ef @ self.NN).reshape(n, d, d)                 # N_E^T N_E
            rhs = (Ef * self.a0) @ self.N                       # N_E^T a0_E
            few = e < d
            if few.any():                                       # N_E N_E^T, padded
                fi = np.flatnonzero(few)
                order = np.argsort(R[fi], axis=1, kind="stable")[:, :d]   # erased first
                real = np.arange(d)[None, :] < e[fi, None]
                NE = self.N[order] * real[:, :, None]           # (f, d, d): rows of E
                H = np.einsum("fid,fjd->fij", NE, NE)
                H[:, np.arange(d), np.arange(d)] += ~real
                G[fi] = H
                rhs[fi] = self.a0[order] * real
            y, tr, good = _cholesky_solve(G, rhs, cut)
            c = -y
            if few.any():
                c[fi] = -np.einsum("fid,fi->fd", NE, y[fi])
            a[good] = self.a0 + c[good] @ self.N.T
            lam_lo[good] = np.where(e[good] > 0, 1.0 / tr[good] - cut[good], 1.0)
            rest = np.flatnonzero(~good)
        if rest.size:
            Er = Ef[rest]
            G = (Er @ self.NN).reshape(rest.size, d, d)
            b = (Er * self.a0) @ self.N
            lam, Q = np.linalg.eigh(G)                          # ascending
            cr = cut[rest]
            inv = np.divide(1.0, lam, out=np.zeros_like(lam), where=lam > cr[:, None])
            y = np.einsum("nkj,nk->nj", Q, b) * inv
            c = -np.einsum("nij,nj->ni", Q, y)                  # least squares (pinv)
            a[rest] = self.a0 + c @ self.N.T
            # the smallest of the min(e, d) largest eigenvalues, less its rounding
            er = e[rest]
            j = np.clip(d - er, 0, d - 1).astype(np.intp)
            lam_lo[rest] = np.where(er > 0, lam[np.arange(rest.size), j] - cr, 1.0)
        return a, lam_lo

    def _block(self, R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n, M = R.shape
        d, u = self.d, np.finfo(float).eps
        Ef = (~R).astype(float)
        Rf = R.astype(float)
        if d:
            a, lam_lo = self._solve(R, Ef)
        else:
            a = np.broadcast_to(self.a0, (n, M)).copy()
            lam_lo = np.ones(n)
        w = a * Ef                                              # residual on E
        a *= Rf                                                 # weights on R
        fro = np.sqrt(Rf @ self.row2)
        h = np.sqrt(np.max(Rf * self.row2, axis=1))
        full = np.zeros(n, dtype=bool)
        no = ~R.any(axis=1)               # nothing received: the distance is sqrt(M) exactly
        cand = np.einsum("nm,nm->n", w, w) <= self.atol**2
        ci = np.flatnonzero(cand)
        if ci.size:
            # full: 1 = A^T a - eps; distance to the retained space <= |eps| + sigma_disc |a|
            ac = a[ci]
            eps = ac @ self.Bs - 1.0
            low = self.sig_r * np.sqrt(np.maximum(lam_lo[ci], 0.0)) - self.sig_t
            gap = ((low > MARGIN * self.rtol * fro[ci])
                   & (10.0 * self.sig_t <= self.rtol * h[ci]))
            disc = np.where(gap, self.sig_t, self.rtol * fro[ci])
            a_norm = np.sqrt(np.einsum("nm,nm->n", ac, ac))
            # and the rounding of eps: |fl(eps) - eps| <= (q + 1) u |A|^T |a| entrywise (q
            # the most nonzeros in a column of B), whose norm is <= (q + 1) u ||A||_F ||a||_2
            eps_err = (self.depth + 1) * u * fro[ci] * a_norm
            bound = np.sqrt(np.einsum("nm,nm->n", eps, eps)) + eps_err + disc * a_norm
            full[ci] = np.isfinite(bound) & (bound <= self.atol / 2)
        ki = np.flatnonzero(~cand & ~no)
        if ki.size:
            # not full: k = P w is a kernel vector of A with 1^T k = |w|^2
            k = w[ki] @ self.P.T
            Ak = (k @ self.Bs.T) * Rf[ki]
            k_norm = np.sqrt(np.einsum("nm,nm->n", k, k))
            Ak_err = (self.width + 1) * u * fro[ki] * k_norm
            tau = np.where(h[ki] > 0, self.rtol * h[ki], np.inf)
            slack = np.sqrt(M) * (np.sqrt(np.einsum("nm,nm->n", Ak, Ak)) + Ak_err) / tau
            dist_lo = (np.abs(k.sum(axis=1)) - slack) / np.where(k_norm > 0, k_norm, 1.0)
            no[ki] = np.isfinite(dist_lo) & (dist_lo > 2 * self.atol)
        return full, full | no


def _cholesky_solve(G: np.ndarray, b: np.ndarray,
                    cut: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Solve ``G y = b`` for a stack of small SPD matrices ``G`` (n, d, d) by Cholesky,
    vectorised along the stack; also ``tr(G^-1)`` and whether every pivot exceeded ``cut``
    (n,). Trials that fail have garbage ``y`` and ``tr``."""
    n, d, _ = G.shape
    L = np.zeros((n, d, d))
    good = np.ones(n, dtype=bool)
    for j in range(d):
        piv = G[:, j, j] - np.einsum("nk,nk->n", L[:, j, :j], L[:, j, :j])
        good &= piv > cut
        ljj = np.sqrt(np.where(good, piv, 1.0))
        L[:, j, j] = ljj
        if j + 1 < d:
            L[:, j + 1:, j] = (G[:, j + 1:, j]
                               - np.einsum("nik,nk->ni", L[:, j + 1:, :j], L[:, j, :j])
                               ) / ljj[:, None]
    # forward: L z = b, and X = L^-1 (for the trace of G^-1 = |L^-1|_F^2)
    z = np.zeros((n, d))
    X = np.zeros((n, d, d))
    for j in range(d):
        inv = 1.0 / L[:, j, j]
        z[:, j] = (b[:, j] - np.einsum("nk,nk->n", L[:, j, :j], z[:, :j])) * inv
        X[:, j, :] = -np.einsum("nk,nkc->nc", L[:, j, :j], X[:, :j, :]) * inv[:, None]
        X[:, j, j] += inv
    y = np.zeros((n, d))
    for j in range(d - 1, -1, -1):                      # back: L^T y = z
        y[:, j] = (z[:, j] - np.einsum("nk,nk->n", L[:, j + 1:, j], y[:, j + 1:])) / L[:, j, j]
    tr = np.einsum("nij,nij->n", X, X)
    return y, tr, good & np.isfinite(tr)
