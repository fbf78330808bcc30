r"""The constants of a training problem that the bounds need, and the exact expected gap.

:func:`problem_constants` gives :math:`L, \mu, \Delta_0, D_0`, the per-client
:math:`\mu_k, L_k`, the Hessian dissimilarity :math:`\delta^2` and the heterogeneity at the
optimum :math:`\zeta_\star^2` of a :class:`~cogc_theory.simulate.Problem`;
:func:`expected_gap` computes :math:`\mathbb EF(w_t)-F^\star` exactly on least squares (a
second-moment recursion over the exact law of the recovered set).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cogc_theory._validate import check_int

__all__ = ["client_quadratics", "expected_gap", "problem_constants"]


def client_quadratics(prob: Any) -> tuple[np.ndarray, np.ndarray]:
    """Hessians ``(M, d, d)`` and linear terms ``(M, d)`` of least-squares clients:
    :math:`\nabla f_k(w)=H_kw-b_k`."""
    if prob.kind != "squared":
        raise ValueError(f"this needs a quadratic (least-squares) problem, got kind "
                         f"{prob.kind!r}")
    H, b = [], []
    for k, (lo, hi) in enumerate(zip(prob.bounds[:-1], prob.bounds[1:], strict=True)):
        X, y, c = prob.X[lo:hi], prob.y[lo:hi], prob.coef[k]
        H.append(c * (X.T @ X) + prob.lam * np.eye(prob.d))
        b.append(c * (X.T @ y))
    H = np.array(H)
    return 0.5 * (H + H.transpose(0, 2, 1)), np.array(b)


def problem_constants(prob: Any, w0: Any = None) -> dict[str, Any]:
    r"""The constants the bounds need, for a :class:`~cogc_theory.simulate.Problem`.

    Returns ``{"L", "mu", "Delta0", "D0", "zeta2_star", "delta2", "client_mu", "client_L"}``:

    * :math:`L, \mu` exact (:meth:`Problem.smoothness`, :meth:`Problem.strong_convexity`);
      :math:`\Delta_0=F(w_0)-F^\star`, :math:`D_0=\lVert w_0-w^\star\rVert^2`
      (:math:`w_0=0` by default);
    * per client :math:`\mu_k, L_k`: least squares, the extreme eigenvalues of
      :math:`H_k=c_kX_k^\top X_k+\lambda I`; logistic / softmax, :math:`\mu_k=\lambda` and
      :math:`L_k=\kappa\lambda_{\max}(c_kX_k^\top X_k)+\lambda` (:math:`\kappa` = 1/4, 1/2 the
      curvature bound of the loss);
    * :math:`\delta^2`: least squares :math:`\lambda_{\max}(\frac1M\sum_k(H_k-H)^2)` (exact);
      otherwise the always valid :math:`\frac1M\sum_kL_k^2-\mu^2`;
    * :math:`\zeta_\star^2\ge\frac1M\sum_k\lVert\nabla f_k(w^\star)\rVert^2`, certified against
      the error of the computed optimum :math:`\hat w^\star`: with
      :math:`\lVert\hat w^\star-w^\star\rVert\le\rho=\lVert\nabla F(\hat w^\star)\rVert/\mu`,
      :math:`\sqrt{\zeta_\star^2}\le\sqrt{\frac1M\sum_k(\lVert\nabla f_k(\hat w^\star)\rVert
      +L_k\rho)^2}`, times :math:`1+10^{-9}` for rounding.

    Examples
    --------
    >>> import cogc_theory as ct
    >>> prob = ct.simulate.make_problem("least-squares", M=4, n_train=200, n_features=5)
    >>> c = problem_constants(prob)
    >>> sorted(c)
    ['D0', 'Delta0', 'L', 'client_L', 'client_mu', 'delta2', 'mu', 'zeta2_star']
    >>> bool(0 < c["mu"] <= c["L"]), c["client_mu"].shape
    (True, (4,))
    """
    L, mu = prob.smoothness(), prob.strong_convexity()
    w_star, F_star = prob.optimum()
    w0 = np.zeros(prob.d) if w0 is None else np.asarray(w0, dtype=float)
    if w0.shape != (prob.d,):
        raise ValueError(f"w0 must have shape ({prob.d},), got {w0.shape}")
    if prob.kind == "squared":
        H, _ = client_quadratics(prob)
        ev = np.linalg.eigvalsh(H)
        cmu, cL = np.maximum(ev[:, 0], 0.0), ev[:, -1]
        dev = H - H.mean(axis=0)
        delta2 = float(max(np.linalg.eigvalsh(np.einsum("kij,kjl->il", dev, dev) / prob.M)[-1],
                           0.0))
    else:
        curv = {"logistic": 0.25, "softmax": 0.5}[prob.kind]
        cL = np.empty(prob.M)
        for k, (lo, hi) in enumerate(zip(prob.bounds[:-1], prob.bounds[1:], strict=True)):
            X = prob.X[lo:hi]
            cL[k] = curv * prob.coef[k] * np.linalg.eigvalsh(X.T @ X)[-1] + prob.lam
        cmu = np.full(prob.M, prob.lam)
        delta2 = float(max(np.mean(cL * cL) - mu * mu, 0.0))
    G = prob.client_gradients(w_star)                                    # (M, d)
    rho = float(np.linalg.norm(prob.gradient(w_star))) / mu
    zeta = math.sqrt(np.mean((np.linalg.norm(G, axis=1) + cL * rho) ** 2)) * (1 + 1e-9)
    return {"L": L, "mu": mu, "Delta0": float(prob.loss(w0) - F_star),
            "D0": float(np.sum((w0 - w_star) ** 2)), "zeta2_star": zeta * zeta,
            "delta2": delta2, "client_mu": cmu, "client_L": cL}


def expected_gap(prob: Any, law: Any, eta: float, rounds: int, w0: Any = None) -> np.ndarray:
    r"""The exact :math:`\mathbb EF(w_t)-F^\star`, :math:`t=0..` ``rounds``, on least squares.

    With :math:`e=w-w^\star`, a round is the random affine map :math:`e^+=A_Ke+c_K`,
    :math:`A_K=I-\eta H_K`, :math:`c_K=-\eta\sum_j v_j\nabla f_j(w^\star)` for
    :math:`v=\mathbf 1_K/|K|` (:math:`A=I, c=0` on an outage; :math:`v=\mathbf 1/M`, so
    :math:`c=0`, on full recovery), :math:`K` independent of :math:`e`. The mean
    :math:`m=\mathbb Ee` and second moment :math:`S=\mathbb Eee^\top` then obey the exact linear
    recursion

    .. math:: m^+=\mathbb E[A]m+\mathbb E[c],\qquad
              S^+=\mathbb E[ASA^\top]+\mathbb E[Amc^\top]+\mathbb E[cm^\top A^\top]
              +\mathbb E[cc^\top],

    whose expectations need only :math:`P(\text{full})` and the inclusion weights
    :math:`\pi, W` of the law (:class:`~cogc_theory.bounds.RecoveryLaw`), and
    :math:`\mathbb EF(w_t)-F^\star=\frac12\operatorname{tr}(HS_t)` — no Monte Carlo and no
    cancellation. Cost :math:`O(Md^4)` once and :math:`O(d^4)` per round (``d <= 60``).

    Parameters
    ----------
    prob : Problem (least squares)
    law : RecoveryLaw
    eta : float
    rounds : int
    w0 : array_like (d,), optional
        Default zeros.

    Returns
    -------
    ndarray (rounds + 1,)

    Examples
    --------
    An independent route for CoGC: a round is a gradient step with probability
    :math:`q=P(\text{full})`, else nothing, so after :math:`t` rounds the gap is that of
    :math:`N\sim\mathrm{Bin}(t,q)` plain gradient steps, averaged over :math:`N`:

    >>> import numpy as np
    >>> from scipy.stats import binom
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> prob = ct.simulate.make_problem("least-squares", M=4, n_train=200, n_features=5)
    >>> law = ct.bounds.recovery_law(net, "cogc")
    >>> eta = 1 / problem_constants(prob)["L"]
    >>> gap = expected_gap(prob, law, eta, rounds=10)
    >>> w_star, F_star = prob.optimum()
    >>> w, gd = np.zeros(prob.d), []
    >>> for n in range(11):                            # gaps of 0..10 gradient steps
    ...     gd.append(prob.loss(w) - F_star)
    ...     w = w - eta * prob.gradient(w)
    >>> mixed = binom.pmf(np.arange(11), 10, law.P_full) @ np.array(gd)
    >>> bool(np.isclose(gap[10], mixed, rtol=1e-9))
    True
    """
    Hk, bk = client_quadratics(prob)
    d, M = prob.d, prob.M
    if d > 60:
        raise ValueError(f"expected_gap works with d**2 x d**2 matrices; d = {d} > 60")
    if law.M != M:
        raise ValueError(f"law has M = {law.M} but the problem has M = {M} clients")
    rounds = check_int(rounds, "rounds", lo=0)
    H = Hk.mean(axis=0)
    w_star = np.linalg.solve(H, bk.mean(axis=0))
    w_star = w_star + np.linalg.solve(H, bk.mean(axis=0) - H @ w_star)
    D = np.einsum("kij,j->ki", Hk, w_star) - bk                 # grad f_k(w*), (M, d)
    w0 = np.zeros(d) if w0 is None else np.asarray(w0, dtype=float)
    pi, W, Pf = law.pi, law.W2, law.P_full
    I = np.eye(d)
    AF = I - eta * H
    Hpi = np.einsum("j,jab->ab", pi, Hk)
    HW = np.einsum("jl,lab->jab", W, Hk)                        # sum_l W_jl H_l
    EAA = (1.0 - law.P_full) * np.eye(d * d) + Pf * np.kron(AF, AF)
    if law.P_partial > 0:
        EAA += eta * eta * sum(np.kron(Hk[j], HW[j]) for j in range(M)) \
            - eta * (np.kron(Hpi, I) + np.kron(I, Hpi))
    EA = I - eta * (Pf * H + Hpi)
    Ec = -eta * pi @ D
    WD = W @ D                                                  # sum_l W_jl d_l, (M, d)
    Ecc = eta * eta * D.T @ WD
    m = w0 - w_star
    S = np.outer(m, m)
    out = np.empty(rounds + 1)
    out[0] = 0.5 * np.sum(H * S)
    for t in range(1, rounds + 1):
        X = np.outer(m, Ec) + eta * eta * np.einsum("jab,b,jc->ac", Hk, m, WD)
        S = (EAA @ S.ravel()).reshape(d, d) + X + X.T + Ecc
        m = EA @ m + Ec
        out[t] = 0.5 * np.sum(H * S)
    return out
