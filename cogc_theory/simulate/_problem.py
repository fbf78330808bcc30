"""The :class:`Problem` engine: batched losses, gradients and exact curvature constants (see
:mod:`cogc_theory.simulate.problems` for the model and the batching contract).

Size: just over 600 lines because every public method carries a doctested example; one class.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validate import as_float, check_int

__all__ = ["BLOCK", "KINDS", "Problem", "single_threaded_blas"]

#: Trials per internal chunk (memory bound; results depend on it at most through rounding)
#: and per seed block of the training simulator's link draws.
BLOCK = 10
#: Loss kinds.
KINDS = ("squared", "logistic", "softmax")
#: Largest logit magnitude the softmax exponentiates without shifting by the maximum logit:
#: :math:`e^{\pm 300}` and a sum of up to :math:`10^{100}` such terms are normal floats.
_EXP_SAFE = 300.0
_CURVATURE = {"squared": 1.0, "logistic": 0.25, "softmax": 0.5}

_CONTROLLER: Any = None


def single_threaded_blas() -> Any:
    """Context manager limiting BLAS to one thread (``threadpoolctl``, a scikit-learn
    dependency; a no-op without it).

    The blocks of trials are small: threaded BLAS gains little on them and, on a loaded
    machine, threads waiting for a busy core cost more than the product itself. Every batched
    evaluation of a :class:`Problem` and the training loop run inside it, so all of them use
    the same (single-threaded) kernels.

    Examples
    --------
    >>> import numpy as np
    >>> from cogc_theory.simulate.problems import single_threaded_blas
    >>> with single_threaded_blas():
    ...     x = np.ones((50, 50)) @ np.ones(50)
    >>> float(x[0])
    50.0
    """
    global _CONTROLLER
    import contextlib

    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - scikit-learn requires threadpoolctl
        return contextlib.nullcontext()
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


@dataclass(eq=False)
class Problem:
    r"""A learning problem split across clients (see the module docstring for :math:`F`).

    Build one with :func:`make_problem`, or directly from arrays (features are used as given:
    standardise them and append an intercept column yourself).

    Parameters
    ----------
    X : ndarray (n, p)
        Training features; the rows of client ``k`` are ``X[bounds[k]:bounds[k+1]]``.
    y : ndarray (n,)
        Targets: real (squared), 0/1 (logistic) or class index ``0..C-1`` (softmax).
    client : ndarray of int (n,)
        Client of each training sample (rows are reordered so clients are contiguous).
    M : int
    kind : {"squared", "logistic", "softmax"}
    lam : float
        :math:`\lambda \ge 0`.
    X_test, y_test : ndarray, optional
        Held-out data for :meth:`test_loss` and :meth:`accuracy`.
    classes : int
        :math:`C` for softmax (1 otherwise).
    weighting : {"clients", "samples"}
    name : str

    Attributes
    ----------
    d : int
        Number of parameters :math:`pC`.
    n_k : ndarray of int (M,)
    bounds : ndarray of int (M + 1,)
    coef : ndarray (M,)
        :math:`c_k`.
    sample_weight : ndarray (n,)
        :math:`a_i = c_{k(i)}/M`, so :math:`F(w)=\sum_i a_i\ell_i+\frac\lambda2\lVert w\rVert^2`.

    Notes
    -----
    The training simulator (:mod:`cogc_theory.simulate.training`) drives the engine through
    :meth:`forward`, :meth:`sample_scale`, :meth:`backward`, :meth:`runs` and
    :meth:`heldout_metrics`, which work on the internal layout ``(trials, C, p)``
    (:meth:`to_internal` / :meth:`from_internal`); the other methods take flat ``w``.

    Examples
    --------
    Least squares :math:`y = 1 + 2x` on eight samples, two per client: the optimum is
    :math:`w^\star=(1, 2)` with zero loss:

    >>> import numpy as np
    >>> from cogc_theory.simulate import Problem
    >>> x = np.arange(8.0)
    >>> prob = Problem(np.c_[np.ones(8), x], 1 + 2 * x, np.repeat(np.arange(4), 2), 4, "squared")
    >>> prob
    Problem('custom', kind='squared', M=4, n=8, d=2, lam=0, weighting='clients')
    >>> w_star, F_star = prob.optimum()
    >>> np.round(w_star, 10).tolist(), round(F_star, 12)
    ([1.0, 2.0], 0.0)
    """

    X: np.ndarray
    y: np.ndarray
    client: np.ndarray
    M: int
    kind: str
    lam: float = 0.0
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    classes: int = 1
    weighting: str = "clients"
    name: str = "custom"
    _optimum: tuple[np.ndarray, float] | None = field(default=None, repr=False)
    _consts: dict[str, float] = field(default_factory=dict, repr=False)
    _flat: dict[str, np.ndarray] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.M = check_int(self.M, "M", lo=1)
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.weighting not in ("clients", "samples"):
            raise ValueError(f"weighting must be 'clients' or 'samples', got {self.weighting!r}")
        if isinstance(self.lam, bool) or not isinstance(self.lam, (int, float, np.floating)) \
                or not math.isfinite(as_float(self.lam, "lam")) or self.lam < 0:
            raise ValueError(f"lam must be a finite regularisation weight >= 0, got {self.lam!r}")
        self.lam = float(self.lam)
        X = np.asarray(self.X, dtype=float)
        if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
            raise ValueError(f"X must be a non-empty (n, p) array, got shape {X.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError("X must be finite (no NaN or infinity)")
        n = X.shape[0]
        y = np.asarray(self.y)
        if y.shape != (n,):
            raise ValueError(f"y must have shape ({n},) like X's rows, got {y.shape}")
        client = np.asarray(self.client)
        if client.shape != (n,) or client.dtype.kind not in "iu":
            raise ValueError(f"client must be an int array of shape ({n},)")
        if client.min() < 0 or client.max() >= self.M:
            raise ValueError(f"client entries must lie in 0..M-1 = 0..{self.M - 1}")
        n_k = np.bincount(client, minlength=self.M)
        if n_k.min() == 0:
            raise ValueError(f"every client needs data; clients {np.flatnonzero(n_k == 0)} "
                             "have none")
        self.classes = check_int(self.classes, "classes", lo=1)
        y = self._check_targets(y, "y")
        order = np.argsort(client, kind="stable")
        self.X = np.ascontiguousarray(X[order])
        self.y = y[order]
        self.client = client[order].astype(np.intp)
        self.n_k = n_k
        self.bounds = np.concatenate([[0], np.cumsum(n_k)])
        if self.X_test is not None:
            Xt = np.ascontiguousarray(np.asarray(self.X_test, dtype=float))
            if Xt.ndim != 2 or Xt.shape[1] != X.shape[1]:
                raise ValueError(f"X_test must have shape (n_test, {X.shape[1]})")
            yt = np.asarray(self.y_test)
            if yt.shape != (Xt.shape[0],):
                raise ValueError("y_test must have one target per row of X_test")
            self.X_test, self.y_test = Xt, self._check_targets(yt, "y_test")
        n_tot = float(n)
        self.coef = (1.0 / n_k) if self.weighting == "clients" else np.full(self.M, self.M / n_tot)
        self._coef_i = self.coef[self.client]
        self.sample_weight = self._coef_i / self.M
        self._XT = np.ascontiguousarray(self.X.T)
        self._XtestT = None if self.X_test is None else np.ascontiguousarray(self.X_test.T)
        self._xmax = {"train": float(np.sqrt((self.X * self.X).sum(axis=1)).max()),
                      "test": 0.0 if self.X_test is None
                      else float(np.sqrt((self.X_test * self.X_test).sum(axis=1)).max())}
        self.C = self.classes if self.kind == "softmax" else 1
        self._onehot = np.zeros((self.C, n))                    # softmax residual's targets
        if self.kind == "softmax":
            self._onehot[self.y, np.arange(n)] = 1.0
        self.p = X.shape[1]
        self.d = self.p * self.C
        for a in (self.X, self.y, self.client, self.n_k, self.bounds, self.coef,
                  self.sample_weight, self._onehot):
            a.setflags(write=False)

    def _check_targets(self, y: np.ndarray, name: str) -> np.ndarray:
        if self.kind == "squared":
            y = y.astype(float)
            if not np.all(np.isfinite(y)):
                raise ValueError(f"{name} must be finite")
            return y
        if y.dtype.kind == "f" and np.any(y != np.round(y)):
            raise ValueError(f"{name} must hold class labels (integers) for kind={self.kind!r}")
        y = y.astype(np.intp)
        hi = 1 if self.kind == "logistic" else self.classes - 1
        if y.min() < 0 or y.max() > hi:
            raise ValueError(f"{name} must hold labels in 0..{hi} for kind={self.kind!r}"
                             + (" (set classes=)" if self.kind == "softmax" else ""))
        return y

    def __repr__(self) -> str:
        return (f"Problem({self.name!r}, kind={self.kind!r}, M={self.M}, n={self.X.shape[0]}, "
                f"d={self.d}, lam={self.lam:g}, weighting={self.weighting!r})")

    # ------------------------------------------------------------------ layout
    def _as_batch(self, w: Any, name: str = "w") -> tuple[np.ndarray, bool]:
        w = np.asarray(w, dtype=float)
        single = w.ndim == 1
        if w.ndim not in (1, 2) or w.shape[-1] != self.d:
            raise ValueError(f"{name} must have shape ({self.d},) or (trials, {self.d}), "
                             f"got {w.shape}")
        if not np.all(np.isfinite(w)):
            raise ValueError(f"{name} must be finite")
        return (w[None] if single else w), single

    def to_internal(self, w: np.ndarray) -> np.ndarray:
        """``(T, d)`` -> internal layout ``(T, C, p)`` (a new contiguous array)."""
        T = w.shape[0]
        return w.reshape(T, self.p, self.C).transpose(0, 2, 1).copy()

    def from_internal(self, W: np.ndarray) -> np.ndarray:
        """Internal ``(T, C, p)`` -> ``(T, d)``."""
        return np.ascontiguousarray(W.transpose(0, 2, 1)).reshape(W.shape[0], self.d)

    def _blocks(self, w: np.ndarray) -> Any:
        """Yield ``(lo, hi, W)``: chunks of at most BLOCK trials in internal layout (bounding
        memory; the results depend on the chunking at most through rounding), with
        single-threaded BLAS."""
        T = w.shape[0]
        with single_threaded_blas():
            for lo in range(0, T, BLOCK):
                hi = min(T, lo + BLOCK)
                yield lo, hi, self.to_internal(w[lo:hi])

    # ------------------------------------------------------------------ engine
    # Layout: W (T, C, p); logits Z (T, C, n) by np.matmul over the stack of trials, which
    # calls one matrix product of the same shape per trial: trial t's arithmetic never
    # depends on the other trials. Every other operation is elementwise or a reduction along
    # a per-trial axis. Samples lie on the contiguous last axis.
    def _logits(self, XT: np.ndarray, W: np.ndarray) -> np.ndarray:
        return np.matmul(W, XT)

    def _pointwise(self, Z: np.ndarray, y: np.ndarray, residual: bool = True,
                   s: np.ndarray | None = None,
                   big: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        r"""Per-sample losses ``(T, n)`` and residuals :math:`\partial\ell/\partial z`
        ``(T, C, n)``, each sample's residual multiplied by ``s`` ``(T, n)`` if given;
        overwrites ``Z`` (with the residuals when ``residual``).

        Softmax: ``big`` ``(T,)`` marks the trials whose logits may exceed :data:`_EXP_SAFE`
        in magnitude (:meth:`_big`; None: all); only their logits are shifted by the
        per-sample maximum before the exponential. Each trial's arithmetic depends on its own
        flag alone, so results do not depend on the other trials of the batch."""
        if self.kind == "squared":
            r = Z[:, 0, :]
            r -= y
            ell = 0.5 * (r * r)
            if residual and s is not None:
                r *= s
            return ell, (Z if residual else None)
        if self.kind == "logistic":
            z = Z[:, 0, :]
            ell = np.logaddexp(0.0, z) - y * z
            if residual:
                e = np.exp(-np.abs(z))                          # sigma(z) - y, stable
                z[...] = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)) - y
                if s is not None:
                    z *= s
                return ell, Z
            return ell, None
        T, C, n = Z.shape
        zy = Z.reshape(-1)[self._label_index(y, T)]
        m = None                                                # the shift (zero: none)
        if big is None or big.all():
            m = Z.max(axis=1)                                   # exact in any order
            Z -= m[:, None, :]
        elif big.any():
            u = np.flatnonzero(big)
            Zu = Z[u]
            mu = Zu.max(axis=1)
            Zu -= mu[:, None, :]
            Z[u] = Zu
            m = np.zeros((T, n))
            m[u] = mu
        np.exp(Z, out=Z)
        S = Z[:, 0, :].copy()
        for c in range(1, C):                                   # classes summed in order
            S += Z[:, c, :]
        ell = np.log(S)
        if m is not None:
            ell += m                                            # x + 0.0 == x: unshifted
        ell -= zy
        if not residual:
            return ell, None
        if s is None:
            Z *= (1.0 / S)[:, None, :]
            Z -= self._onehot                                   # x - 0.0 == x: only (y_i, i)
        else:                                                   # s (pi - e_y), in two passes
            Z *= (s / S)[:, None, :]
            Z.reshape(-1)[self._label_index(y, T)] -= s
        return ell, Z

    def _big(self, W: np.ndarray, data: str = "train") -> np.ndarray | None:
        r"""Softmax trials ``(T,)`` whose logits on ``data`` may exceed :data:`_EXP_SAFE` in
        magnitude: :math:`|w_c^\top x_i|\le\max_c\lVert w_c\rVert\,\max_i\lVert x_i\rVert`
        (None for the other kinds). Below that bound :math:`e^{z}` and a sum of :math:`C`
        of them are normal floats, so the shift by the maximum logit can be skipped."""
        if self.kind != "softmax":
            return None
        wn = np.sqrt((W * W).sum(axis=2)).max(axis=1)
        return ~(wn * self._xmax[data] <= _EXP_SAFE)           # NaN: shifted, as before

    def _label_index(self, y: np.ndarray, T: int) -> np.ndarray:
        """Flat indices of the entries ``(t, y_i, i)`` of a ``(T, C, n)`` array (cached; the
        rows for ``T`` trials are the first ``T`` rows of any larger table)."""
        key = "test" if y is self.y_test else "train"
        flat = self._flat.get(key)
        if flat is None or flat.shape[0] < T:
            C, n = self.C, y.shape[0]
            flat = (np.arange(max(T, 64)) * (C * n))[:, None] + (y * n + np.arange(n))
            self._flat[key] = flat
        return flat[:T]

    def forward(self, W: np.ndarray,
                s: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Loss :math:`F` per trial ``(T,)`` and residuals ``(T, C, n)`` at internal ``W``
        (scaled per sample by ``s`` = :meth:`sample_scale` of the next step's weights, if
        given)."""
        ell, R = self._pointwise(self._logits(self._XT, W), self.y, s=s, big=self._big(W))
        sq = (W * W).reshape(W.shape[0], -1).sum(axis=1)
        return (ell * self.sample_weight).sum(axis=1) + (0.5 * self.lam) * sq, R

    def sample_scale(self, cw: np.ndarray) -> np.ndarray:
        """Per-sample factors ``(T, n)`` of client weights ``cw`` ``(T, M)``."""
        return cw[:, self.client] * self._coef_i

    def backward(self, W: np.ndarray, R: np.ndarray, cw: np.ndarray, scaled: bool = False,
                 sel: np.ndarray | None = None) -> np.ndarray:
        r"""Direction :math:`\sum_k \mathrm{cw}_{tk}\nabla f_k(w_t)`, internal layout.

        ``cw`` (T, M) client weights (``1/M`` everywhere gives :math:`\nabla F`). ``R`` holds
        the residuals, already scaled by ``sample_scale(cw)`` if ``scaled`` (else it is
        scaled here, in place). ``sel``: compute only these trials (rows of ``W``, ``R`` and
        ``cw``), without copying ``R``.

        Trials whose weights are all nonzero take one product ``R_t X`` over all samples;
        the others one product per run of consecutive clients with nonzero weight, over that
        run's samples only (the other residuals are zero). Per-trial products have the shape
        of the stacked ones, so a trial's numbers do not depend on the other trials (up to
        rounding across batch shapes and code paths; see the module docstring).
        """
        if not scaled:
            R *= self.sample_scale(cw)[:, None, :]
        tr = np.arange(W.shape[0]) if sel is None else np.asarray(sel)
        nz = cw[tr] != 0
        if sel is None and nz.all():
            D = np.matmul(R, self.X)                                   # (T, C, p)
        else:
            D = np.empty((tr.size, self.C, self.p))
            X = self.X
            for j, t in enumerate(tr.tolist()):
                runs = self.runs(nz[j])
                if not runs:
                    D[j] = 0.0
                    continue
                lo, hi = runs[0]
                np.matmul(R[t, :, lo:hi], X[lo:hi], out=D[j])
                for lo, hi in runs[1:]:
                    D[j] += R[t, :, lo:hi] @ X[lo:hi]
        D += (self.lam * cw[tr].sum(axis=1))[:, None, None] * (W if sel is None else W[tr])
        return D

    def runs(self, nz: np.ndarray) -> tuple[tuple[int, int], ...]:
        """Sample ranges ``(lo, hi)`` of the maximal runs of consecutive clients marked in
        ``nz`` (M,)."""
        edge = np.diff(np.concatenate([[0], nz.astype(np.int8), [0]]))
        starts, ends = self.bounds[edge == 1].tolist(), self.bounds[edge == -1].tolist()
        return tuple(zip(starts, ends, strict=True))

    def heldout_metrics(self, W: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Test loss (mean, no regulariser) and accuracy (classification), each ``(T,)``."""
        Z = self._logits(self._XtestT, W)
        if self.kind == "squared":
            acc = None
        elif self.kind == "logistic":
            acc = ((Z[:, 0, :] > 0) == (self.y_test == 1)).mean(axis=1)
        else:
            acc = (Z.argmax(axis=1) == self.y_test).mean(axis=1)     # first maximal class
        ell, _ = self._pointwise(Z, self.y_test, residual=False, big=self._big(W, "test"))
        return ell.mean(axis=1), acc

    # ------------------------------------------------------------------ public, batched
    def loss(self, w: Any) -> Any:
        r""":math:`F(w)`: float, or ``(trials,)`` for ``w`` of shape ``(trials, d)``."""
        w, single = self._as_batch(w)
        out = np.empty(w.shape[0])
        for lo, hi, W in self._blocks(w):
            out[lo:hi] = self.forward(W)[0]
        return float(out[0]) if single else out

    def gradient(self, w: Any) -> np.ndarray:
        r""":math:`\nabla F(w)=\frac1M\sum_k\nabla f_k(w)`, ``(d,)`` or ``(trials, d)``."""
        w, single = self._as_batch(w)
        out = np.empty_like(w)
        for lo, hi, W in self._blocks(w):
            cw = np.full((hi - lo, self.M), 1.0 / self.M)
            _, R = self.forward(W, self.sample_scale(cw))
            out[lo:hi] = self.from_internal(self.backward(W, R, cw, scaled=True))
        return out[0] if single else out

    def client_losses(self, w: Any) -> np.ndarray:
        """:math:`f_k(w)`, ``(M,)`` or ``(trials, M)``."""
        w, single = self._as_batch(w)
        out = np.empty((w.shape[0], self.M))
        for lo, hi, W in self._blocks(w):
            ell, _ = self._pointwise(self._logits(self._XT, W), self.y, residual=False,
                                     big=self._big(W))
            sums = np.add.reduceat(ell, self.bounds[:-1], axis=1)           # (T, M)
            sq = (W * W).reshape(W.shape[0], -1).sum(axis=1)
            out[lo:hi] = self.coef * sums + (0.5 * self.lam * sq)[:, None]
        return out[0] if single else out

    def client_gradients(self, w: Any) -> np.ndarray:
        r""":math:`\nabla f_k(w)` of every client, ``(M, d)`` or ``(trials, M, d)``.

        One product per client, vectorised over the trials (no loop over trials).
        """
        w, single = self._as_batch(w)
        T = w.shape[0]
        out = np.empty((T, self.M, self.d))
        for lo, hi, W in self._blocks(w):
            _, R = self.forward(W)
            for k in range(self.M):
                cw = np.zeros((hi - lo, self.M))
                cw[:, k] = 1.0
                out[lo:hi, k] = self.from_internal(self.backward(W, R.copy(), cw))
        return out[0] if single else out

    def test_loss(self, w: Any) -> Any:
        """Mean loss on the held-out set (no regulariser): float or ``(trials,)``."""
        self._need_test()
        w, single = self._as_batch(w)
        out = np.empty(w.shape[0])
        for lo, hi, W in self._blocks(w):
            out[lo:hi] = self.heldout_metrics(W)[0]
        return float(out[0]) if single else out

    def accuracy(self, w: Any) -> Any:
        """Test accuracy (fraction of held-out samples classified correctly)."""
        self._need_test()
        if self.kind == "squared":
            raise ValueError("accuracy is defined for classification problems; use test_loss "
                             "for least squares")
        w, single = self._as_batch(w)
        out = np.empty(w.shape[0])
        for lo, hi, W in self._blocks(w):
            out[lo:hi] = self.heldout_metrics(W)[1]
        return float(out[0]) if single else out

    def _need_test(self) -> None:
        if self.X_test is None:
            raise ValueError("this problem has no held-out data (X_test=None)")

    def hessian_vector(self, w: Any, v: Any) -> np.ndarray:
        r""":math:`\nabla^2F(w)\,v` for one ``w`` and one ``v`` (both ``(d,)``), exactly."""
        w, _ = self._as_batch(w)
        v, _ = self._as_batch(v, "v")
        if w.shape[0] != 1 or v.shape[0] != 1:
            raise ValueError("hessian_vector takes one w and one v of shape (d,)")
        Wm = w[0].reshape(self.p, self.C)
        Vm = v[0].reshape(self.p, self.C)
        U = self.X @ Vm                                         # (n, C)
        a = self.sample_weight[:, None]
        if self.kind == "squared":
            HU = U
        elif self.kind == "logistic":
            z = self.X @ Wm
            sig = 0.5 * (1.0 + np.tanh(0.5 * z))
            HU = sig * (1.0 - sig) * U
        else:
            Z = self.X @ Wm
            P = np.exp(Z - Z.max(axis=1, keepdims=True))
            P /= P.sum(axis=1, keepdims=True)
            HU = P * U - P * (P * U).sum(axis=1, keepdims=True)
        return (self.X.T @ (a * HU) + self.lam * Vm).ravel()

    # ------------------------------------------------------------------ constants
    def _sigma_eigh(self) -> tuple[np.ndarray, np.ndarray]:
        Sigma = self.X.T @ (self.sample_weight[:, None] * self.X)
        return np.linalg.eigh(0.5 * (Sigma + Sigma.T))

    def smoothness(self) -> float:
        r"""Global smoothness constant :math:`L` (exact; see the module docstring)."""
        if "L" not in self._consts:
            ev = self._sigma_eigh()[0]
            self._consts["L"] = float(_CURVATURE[self.kind] * ev[-1] + self.lam)
        return self._consts["L"]

    def strong_convexity(self) -> float:
        r"""Strong-convexity constant :math:`\mu` (exact infimum over all :math:`w`)."""
        if "mu" not in self._consts:
            if self.kind == "squared":
                self._consts["mu"] = float(max(self._sigma_eigh()[0][0], 0.0) + self.lam)
            else:
                self._consts["mu"] = self.lam
        return self._consts["mu"]

    def curvature_directions(self) -> dict[str, np.ndarray]:
        r"""Unit directions (and points) where the constants are attained or approached.

        Returns ``{"L_dir", "L_at", "mu_dir"}``: the Hessian's quadratic form along
        ``L_dir`` at ``L_at`` equals :math:`L` (exactly for squared / logistic, up to
        :math:`e^{-60}` for softmax), and along ``mu_dir`` equals :math:`\mu` (exactly for
        squared and softmax at every point; for logistic only as :math:`\|w\|\to\infty`).
        """
        _, V = self._sigma_eigh()
        top, bot = V[:, -1], V[:, 0]
        if self.kind == "softmax":
            e = np.zeros(self.C)
            e[0], e[1] = 1.0, -1.0
            L_dir = np.kron(top, e / math.sqrt(2.0))
            at = np.zeros((self.p, self.C))
            at[-1, 2:] = -60.0                      # intercept row: classes >= 2 vanish
            mu_dir = np.kron(bot, np.ones(self.C) / math.sqrt(self.C))
            return {"L_dir": L_dir, "L_at": at.ravel(), "mu_dir": mu_dir}
        return {"L_dir": top, "L_at": np.zeros(self.d), "mu_dir": bot}

    def optimum(self) -> tuple[np.ndarray, float]:
        r"""Minimiser :math:`w^\star` and :math:`F^\star = F(w^\star)`, to high accuracy.

        Least squares: the normal equations :math:`(\Sigma+\lambda I)w=X^\top Ay`, solved
        and refined once. Logistic / softmax: damped Newton's method with conjugate-gradient
        steps (``scipy.sparse.linalg.cg``) on exact Hessian-vector products, to a gradient
        norm at rounding level; then :math:`F(w^\star)-F^\star\le\lVert\nabla
        F(w^\star)\rVert^2/(2\mu)`
        (:meth:`optimum_error_bound`). Cached.
        """
        if self._optimum is None:
            if self.kind == "squared":
                Sigma = self.X.T @ (self.sample_weight[:, None] * self.X)
                H = Sigma + self.lam * np.eye(self.p)
                b = self.X.T @ (self.sample_weight * self.y)
                try:
                    w = np.linalg.solve(H, b)
                    w = w + np.linalg.solve(H, b - H @ w)
                except np.linalg.LinAlgError:
                    # exactly singular (fewer samples than features, lam = 0): b lies in the
                    # range of H, so the least-norm solution is a minimiser
                    w = np.linalg.lstsq(H, b, rcond=None)[0]
            else:
                w = self._newton()
            self._optimum = (w, self.loss(w))
            self._optimum[0].setflags(write=False)
        return self._optimum

    def _newton(self) -> np.ndarray:
        """Damped Newton with conjugate-gradient steps on exact Hessian-vector products."""
        from scipy.sparse.linalg import LinearOperator, cg

        if self.lam <= 0:
            raise ValueError("the optimum of a logistic problem needs lam > 0 (strong "
                             "convexity); build the problem with lam > 0")
        x = np.zeros(self.d)
        f, g = self.loss(x), self.gradient(x)
        for _ in range(100):
            gn = float(np.linalg.norm(g))
            if gn <= 1e-14 * max(1.0, abs(f)):
                break
            H = LinearOperator((self.d, self.d), dtype=float,
                               matvec=lambda v, x=x: self.hessian_vector(x, v))
            step, _ = cg(H, -g, rtol=1e-12, maxiter=20 * self.d)
            t = 1.0
            for _ in range(60):
                xn = x + t * step
                fn, gn_vec = self.loss(xn), self.gradient(xn)
                if fn <= f + 1e-4 * t * float(g @ step) or \
                        float(np.linalg.norm(gn_vec)) < 0.5 * gn:
                    break
                t *= 0.5
            if np.array_equal(xn, x):
                break
            x, f, g = xn, fn, gn_vec
        return x

    def optimum_error_bound(self) -> float:
        r"""Certified bound on :math:`F(w^\star)-F^\star`: :math:`\lVert\nabla F\rVert^2/2\mu`."""
        w, _ = self.optimum()
        mu = self.strong_convexity()
        g = float(np.linalg.norm(self.gradient(w)))
        return math.inf if mu <= 0 else g * g / (2.0 * mu)

    def heterogeneity(self, w: Any = None) -> Any:
        r""":math:`\zeta^2(w)=\frac1M\sum_k\lVert\nabla f_k(w)-\nabla F(w)\rVert^2`.

        At ``w`` (``(d,)`` or ``(trials, d)``); default :math:`w^\star`, where it is
        :math:`\frac1M\sum_k\lVert\nabla f_k(w^\star)\rVert^2`. The bounds' :math:`\zeta^2` is a
        supremum over the iterates: evaluate this along a trajectory
        (``train(..., keep_iterates=True)``) to bound it.
        """
        if w is None:
            w = self.optimum()[0]
        G = self.client_gradients(w)
        dev = G - G.mean(axis=-2, keepdims=True)
        return np.einsum("...kd,...kd->...", dev, dev) / self.M

    def label_counts(self) -> np.ndarray:
        """Samples of each class per client, int ``(M, classes)`` (classification only)."""
        if self.kind == "squared":
            raise ValueError("label_counts needs a classification problem")
        ncls = self.C if self.kind == "softmax" else 2
        out = np.zeros((self.M, ncls), dtype=np.int64)
        np.add.at(out, (self.client, self.y), 1)
        return out
