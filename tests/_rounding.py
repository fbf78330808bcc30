r"""Rounding-error bounds for tests that compare one quantity computed two ways.

Two evaluations of the same mathematical quantity agree bit for bit only when they perform the
same floating-point operations in the same order. A different code path, batch shape, chunking,
thread count or BLAS kernel (``OPENBLAS_CORETYPE``, another machine) may sum the same terms in
another order, so such comparisons need a tolerance — and a tolerance needs a reason. The reason
used here is the classical worst-case bound (Higham, *Accuracy and Stability of Numerical
Algorithms*, 2nd ed., SIAM 2002, sections 3.1 and 4.2): with unit roundoff :math:`u = 2^{-53}`,

.. math:: \Big|\mathrm{fl}\Big(\sum_{i=1}^n x_i\Big) - \sum_{i=1}^n x_i\Big|
          \le \gamma_{n-1} \sum_{i=1}^n |x_i|, \qquad \gamma_n = \frac{nu}{1-nu},

*for any order of summation* (pairwise, blocked, threaded), and a dot product of length
:math:`n` obeys the same bound with :math:`\gamma_n`. Two evaluations therefore differ by at most
twice the bound. Elementwise operations are correctly rounded (relative error :math:`u`);
``exp`` / ``log`` are allowed a few ulps. Errors in the inputs of a smooth function are carried
through its Lipschitz constant.

The bounds are worst cases: actual differences are usually thousands of times smaller, and a
real defect (another trial's data, a wrong weight) is many orders of magnitude larger.
"""

from __future__ import annotations

import numpy as np

#: Unit roundoff of float64.
U = 2.0 ** -53
#: Relative error allowed for one elementwise evaluation of ``exp``, ``log``, ``log1p``,
#: ``logaddexp`` or a short chain of them (numpy's SIMD and libm versions are within a few
#: ulps; 16 u leaves room for the chain).
ELEMENTWISE = 16 * U


def gamma(n: int) -> float:
    r""":math:`\gamma_n = nu/(1-nu)`: relative error bound of a sum or dot product of n terms."""
    return n * U / (1.0 - n * U)


def assert_within(actual, desired, bound, what: str = "") -> None:
    """Assert ``|actual - desired| <= bound`` elementwise (same shapes, all finite)."""
    actual, desired = np.asarray(actual, dtype=float), np.asarray(desired, dtype=float)
    bound = np.broadcast_to(np.asarray(bound, dtype=float), actual.shape)
    assert actual.shape == desired.shape, (what, actual.shape, desired.shape)
    assert np.all(np.isfinite(actual)) and np.all(np.isfinite(desired)), what
    diff = np.abs(actual - desired)
    bad = diff > bound
    if bad.any():
        i = np.unravel_index(np.argmax(np.where(bad, diff - bound, -np.inf)), diff.shape)
        raise AssertionError(f"{what}: |difference| {diff[i]:.3e} exceeds the rounding bound "
                             f"{bound[i]:.3e} at {i} ({int(bad.sum())} of {bad.size} entries)")


# ----------------------------------------------------------------------------- training problems
def _pointwise(prob, X, y, Wm):
    """Logits z (n, C), residuals r = dl/dz (n, C) and losses l (n,) in plain numpy, and the
    Lipschitz constants of r (max-norm to max-norm) and of l (in z, max-norm)."""
    z = X @ Wm
    if prob.kind == "squared":
        r = z - y[:, None]
        return z, r, 0.5 * r[:, 0] ** 2, 1.0, np.abs(r[:, 0])
    if prob.kind == "logistic":
        s = 0.5 * (1.0 + np.tanh(0.5 * z))
        ell = np.logaddexp(0.0, z[:, 0]) - y * z[:, 0]
        return z, s - y[:, None], ell, 0.25, np.ones(len(y))
    m = z.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(z - m).sum(axis=1))
    r = np.exp(z - lse[:, None])
    r[np.arange(len(y)), y] -= 1.0
    # softmax Jacobian diag(pi) - pi pi^T: max-norm <= 1/2; |grad_z l|_1 = |pi - e_y|_1 <= 2
    return z, r, lse - z[np.arange(len(y)), y], 0.5, np.full(len(y), 2.0)


def _logit_gap(X, Wm):
    """Largest difference, per sample, between two evaluations of the logits x_i^T W_c
    (dot products of length p): 2 gamma_p sum_j |x_ij| |W_jc|, max over c."""
    return 2.0 * gamma(X.shape[1]) * (np.abs(X) @ np.abs(Wm)).max(axis=1)


def direction_bound(prob, w, cw=None) -> np.ndarray:
    r"""Entrywise bound on the difference of two evaluations of the direction
    :math:`D=\sum_k \mathrm{cw}_k\nabla f_k(w)` (``cw=None``: :math:`1/M`, i.e.
    :math:`\nabla F`), shape of ``w`` (``(d,)`` or ``(trials, d)``).

    :math:`D = \sum_i s_i r_i x_i^\top + \lambda(\sum_k \mathrm{cw}_k) W` with
    :math:`s_i = \mathrm{cw}_{k(i)} c_{k(i)}`. The logits differ by at most ``dz`` (dot products of
    length p), so the residuals by :math:`L_r\,dz_i` (:math:`L_r` = 1, 1/4, 1/2 for squared,
    logistic, softmax) plus their own elementwise rounding; the product over the n samples adds
    :math:`2\gamma_{n+2}\sum_i |s_i r_i||x_i|`; the regulariser and the final sum a few u.
    """
    w = np.asarray(w, dtype=float)
    single = w.ndim == 1
    W = w.reshape(-1, prob.p, prob.C)
    cw = np.full((W.shape[0], prob.M), 1.0 / prob.M) if cw is None else \
        np.broadcast_to(np.asarray(cw, dtype=float), (W.shape[0], prob.M))
    Xa = np.abs(prob.X)
    out = np.empty_like(W)
    for t, Wm in enumerate(W):
        z, r, _, lip_r, _ = _pointwise(prob, prob.X, prob.y, Wm)
        s = np.abs(cw[t][prob.client] * prob.coef[prob.client])
        # pi_c = exp(z_c - m) / S with S a sum of C terms: relative error <= ELEMENTWISE + gamma_C
        ew = 2 * (ELEMENTWISE + gamma(prob.C))
        dr = lip_r * _logit_gap(prob.X, Wm)[:, None] + ew * (1.0 + np.abs(r))
        D = (s[:, None] * r).T @ prob.X + prob.lam * cw[t].sum() * Wm.T
        out[t] = (2 * gamma(prob.X.shape[0] + 2) * ((s[:, None] * np.abs(r)).T @ Xa)
                  + (s[:, None] * dr).T @ Xa
                  + (2 * gamma(prob.M) + 4 * U) * prob.lam * np.abs(cw[t]).sum() * np.abs(Wm.T)
                  + 4 * U * np.abs(D)).T
    out = out.reshape(-1, prob.d)
    return out[0] if single else out


def loss_bound(prob, w, data: str = "train") -> np.ndarray | float:
    r"""Bound on the difference of two evaluations of the training objective :math:`F(w)`
    (``data="train"``) or of the held-out mean loss (``data="test"``, no regulariser).

    Each sample's loss moves by at most its Lipschitz constant in the logits times ``dz``, plus
    its own elementwise rounding (relative to :math:`|\ell_i|` and the logits it cancels); the
    weighted sum over the n samples adds :math:`2\gamma_{n+1}\sum_i a_i|\ell_i|`, the
    regulariser :math:`2\gamma_{d+1}\frac\lambda2\lVert w\rVert^2`.
    """
    w = np.asarray(w, dtype=float)
    single = w.ndim == 1
    W = w.reshape(-1, prob.p, prob.C)
    X, y = (prob.X, prob.y) if data == "train" else (prob.X_test, prob.y_test)
    a = prob.sample_weight if data == "train" else np.full(X.shape[0], 1.0 / X.shape[0])
    out = np.empty(W.shape[0])
    for t, Wm in enumerate(W):
        z, _, ell, _, lip_l = _pointwise(prob, X, y, Wm)
        dz = _logit_gap(X, Wm)
        ew = 2 * (ELEMENTWISE + gamma(prob.C))
        dl = lip_l * dz + 0.5 * dz * dz + ew * (1 + np.abs(ell) + np.abs(z).max(axis=1))
        F = float(a @ ell)
        b = 2 * gamma(X.shape[0] + 1) * float(a @ np.abs(ell)) + float(a @ dl) + 4 * U * abs(F)
        if data == "train":
            b += 2 * gamma(prob.d + 1) * 0.5 * prob.lam * float((Wm * Wm).sum())
        out[t] = b
    return float(out[0]) if single else out


def loss_gradient(prob, w, data: str = "train") -> np.ndarray:
    """Gradient of the training objective or of the held-out mean loss, plain numpy."""
    w = np.asarray(w, dtype=float)
    single = w.ndim == 1
    W = w.reshape(-1, prob.p, prob.C)
    X, y = (prob.X, prob.y) if data == "train" else (prob.X_test, prob.y_test)
    a = prob.sample_weight if data == "train" else np.full(X.shape[0], 1.0 / X.shape[0])
    lam = prob.lam if data == "train" else 0.0
    out = np.stack([(X.T @ (a[:, None] * _pointwise(prob, X, y, Wm)[1]) + lam * Wm).ravel()
                    for Wm in W])
    return out[0] if single else out


def smoothness(prob, data: str = "train") -> float:
    """Smoothness constant of the training objective or of the held-out mean loss."""
    if data == "train":
        return prob.smoothness()
    X = prob.X_test
    curv = {"squared": 1.0, "logistic": 0.25, "softmax": 0.5}[prob.kind]
    return curv * float(np.linalg.eigvalsh(X.T @ X / X.shape[0])[-1])


def client_smoothness(prob) -> float:
    r""":math:`\max_k L_k`, :math:`L_k` the smoothness constant of :math:`f_k`."""
    curv = {"squared": 1.0, "logistic": 0.25, "softmax": 0.5}[prob.kind]
    return max(curv * prob.coef[k] * float(np.linalg.eigvalsh(
        prob.X[lo:hi].T @ prob.X[lo:hi])[-1]) + prob.lam
        for k, (lo, hi) in enumerate(zip(prob.bounds[:-1], prob.bounds[1:], strict=True)))


def trajectory_bound(prob, eta: float, iterates) -> np.ndarray:
    r"""Bound on :math:`\lVert w_t - w'_t\rVert_2`, ``(trials, rounds + 1)``, for two runs of
    the same updates :math:`w_{t+1} = w_t - \eta\sum_k \mathrm{cw}_{tk}\nabla f_k(w_t)` from the
    same :math:`w_0` that round differently; ``iterates`` (trials, rounds + 1, d) are one run's.

    Client weights are nonnegative and sum to at most 1 (full: 1/M; subset rules: 1/|K| or 1/M;
    outage: 0), so the Hessian of the step is between 0 and :math:`\max_k L_k` and the update
    map is Lipschitz with :math:`\Lambda=\max(1, \eta\max_k L_k - 1)`. Each round adds at most
    :math:`e_t = \eta\,\mathrm{direction\_bound}(w_t, \mathbf 1)` (weights 1 bound every
    admissible weight vector, entry by entry) plus the rounding of :math:`w - \eta D`:
    :math:`\Delta_{t+1} \le \Lambda\Delta_t + \lVert e_t\rVert_2`. (The bound is evaluated at one
    run's iterates; the other's differ by :math:`\Delta_t`, a second-order effect.)
    """
    its = np.asarray(iterates, dtype=float)
    T, R1, _ = its.shape
    lam_ = max(1.0, eta * client_smoothness(prob) - 1.0)
    out = np.zeros((T, R1))
    for t in range(R1 - 1):
        w, nxt = its[:, t], its[:, t + 1]
        e = (eta * direction_bound(prob, w, np.ones(prob.M))
             + 2 * U * (np.abs(w) + np.abs(nxt) + np.abs(nxt - w)))
        out[:, t + 1] = lam_ * out[:, t] + np.sqrt((e * e).sum(axis=1))
    return out


def trajectory_loss_bound(prob, iterates, delta, data: str = "train") -> np.ndarray:
    r"""Bound on the difference of the losses of two runs whose iterates differ by at most
    ``delta`` (:func:`trajectory_bound`): :math:`|F(w)-F(w')| \le \lVert\nabla F(w)\rVert\Delta
    + \frac L2\Delta^2` plus the rounding of each evaluation, ``(trials, rounds + 1)``."""
    its = np.asarray(iterates, dtype=float)
    T, R1, d = its.shape
    flat = its.reshape(T * R1, d)
    g = np.linalg.norm(loss_gradient(prob, flat, data), axis=1).reshape(T, R1)
    rb = np.asarray(loss_bound(prob, flat, data)).reshape(T, R1)
    return rb + g * delta + 0.5 * smoothness(prob, data) * delta * delta


def accuracy_slack(prob, iterates, delta) -> np.ndarray:
    r"""Largest possible difference of held-out accuracies of two runs whose iterates differ by
    at most ``delta`` (2-norm), ``(trials, rounds + 1)``: the fraction of held-out samples whose
    predicted class could flip, i.e. whose margin (top two logits; :math:`|z|` for logistic) is
    at most twice the logits' possible movement :math:`\lVert x_i\rVert\Delta + dz_i`."""
    its = np.asarray(iterates, dtype=float)
    T, R1, _ = its.shape
    X = prob.X_test
    xn = np.linalg.norm(X, axis=1)
    out = np.empty((T, R1))
    for i in range(T):
        for t in range(R1):
            Wm = its[i, t].reshape(prob.p, prob.C)
            z = X @ Wm
            move = xn * delta[i, t] + _logit_gap(X, Wm)
            if prob.kind == "logistic":
                margin = np.abs(z[:, 0])
            else:
                top2 = np.sort(z, axis=1)[:, -2:]
                margin = top2[:, 1] - top2[:, 0]
            out[i, t] = np.count_nonzero(margin <= 2 * move + 4 * U * np.abs(z).max(axis=1))
    return out / X.shape[0]
