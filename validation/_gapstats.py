r"""What a sample of simulated optimality gaps can prove, conservatively.

:func:`loss_rounding_bound` is a rigorous bound on the rounding error of the simulator's
evaluation of :math:`F` (the floating-point floor of a computed gap, on any machine and BLAS
kernel); :func:`anderson_lower` is Anderson's distribution-free lower confidence bound of the
mean of non-negative samples. :mod:`cogc_theory.validation.bounds_vs_simulation` lowers each
gap by its floor and declares a bound violated only where the lower confidence bound of the
mean exceeds it (its module docs give the argument).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

__all__ = ["anderson_lower", "loss_rounding_bound"]

#: Unit roundoff of float64.
_U = 2.0**-53
#: Assumed relative accuracy of exp, log and log1p, in units of u (16 u = 8 ulp at most; the
#: C libraries and numpy's SIMD loops document errors of a few ulp).
_ELEMENTARY = 16


def _gamma(n: int) -> float:
    r"""Higham's :math:`\gamma_n=nu/(1-nu)`."""
    return n * _U / (1.0 - n * _U)


def loss_rounding_bound(prob: Any, w: Any, loss: Any) -> np.ndarray:
    r"""Bound on the rounding error of the simulator's evaluation of :math:`F` at ``w``.

    For the objective of :mod:`cogc_theory.simulate.problems`,
    :math:`F(w)=\sum_ia_i\ell(z_i;y_i)+\frac\lambda2\lVert w\rVert^2`, :math:`z_i=W^\top x_i`
    (:math:`C` logits), the computed value :math:`\hat F` satisfies
    :math:`|\hat F-F(w)|\le E(w)` with

    .. math:: E(w)=2\sum_ia_i(G_i+P_i)+2\gamma_N|\hat F|+\gamma_N\lambda\lVert w\rVert^2,

    under the standard model of floating-point arithmetic (every operation exact up to a
    factor :math:`1+\delta`, :math:`|\delta|\le u=2^{-53}`; sums and dot products in **any**
    order, with or without fused multiply-adds, so every BLAS kernel is covered; exp, log,
    log1p within :math:`16u` of the exact value of their rounded argument). Here
    :math:`\gamma_k=ku/(1-ku)`, :math:`N=n+d+p+C+40`, and

    * :math:`G_i` bounds the change of :math:`\ell` caused by the rounded logits,
      :math:`|\hat z_{ic}-z_{ic}|\le\gamma_p\sum_j|x_{ij}||w_{cj}|\le\gamma_p\lVert x_i
      \rVert\lVert w\rVert` (Cauchy–Schwarz): squared loss
      :math:`|r_i|\rho_i+\rho_i^2/2` with :math:`\rho_i=\gamma_p\lVert x_i\rVert\lVert
      w\rVert`, summed with Cauchy–Schwarz as :math:`\sum_ia_i|r_i|\rho_i\le\gamma_p
      \lVert w\rVert\sqrt{s_2}\,R`, :math:`R\ge\sqrt{\sum_ia_ir_i^2}` from the computed
      loss, :math:`s_2=\sum_ia_i\lVert x_i\rVert^2`; logistic :math:`\rho_i`
      (:math:`|\ell'|\le1`); softmax :math:`2\rho_i` (:math:`\lVert\nabla_z\ell\rVert_1
      \le2`);
    * :math:`P_i` bounds the pointwise evaluation at the rounded logits: squared 0 (absorbed in
      :math:`\gamma_N|\hat F|`), logistic :math:`(2\cdot16+6)u(|\hat z_i|+1)`, softmax
      :math:`(2\cdot16+C+8)u(1+\log C+2\lVert\hat z_i\rVert_\infty)`, with
      :math:`\lVert\hat z_i\rVert_\infty\le(1+\gamma_p)\lVert x_i\rVert\lVert w\rVert`.

    The factor 2 absorbs the :math:`(1+\gamma_N)` factors of the final sums (the losses are
    non-negative, so :math:`\sum_ia_i|\hat\ell_i|\le F+\sum_ia_i(G_i+P_i)`), valid while
    :math:`\gamma_N<0.1`.

    Parameters
    ----------
    prob : Problem
    w : ndarray (..., d)
        Points (any leading shape).
    loss : ndarray (...)
        :math:`\hat F(w)` as computed by ``prob.loss`` (or the simulator).

    Returns
    -------
    ndarray (...)
        :math:`E(w)`.

    Examples
    --------
    >>> from cogc_theory.simulate import make_problem
    >>> prob = make_problem("least-squares", 4)
    >>> w = prob.optimum()[0]
    >>> e = float(loss_rounding_bound(prob, w, prob.loss(w)))
    >>> 0 < e < 1e-10 * prob.loss(w)          # rigorous, and far below the loss itself
    True
    """
    w = np.asarray(w, dtype=float)
    Fh = np.abs(np.asarray(loss, dtype=float))
    if w.shape[-1:] != (prob.d,) or Fh.shape != w.shape[:-1]:
        raise ValueError(f"w must have shape (..., {prob.d}) and loss its leading shape, got "
                         f"{w.shape} and {Fh.shape}")
    n, p, C = prob.X.shape[0], prob.p, prob.C
    N = n + prob.d + p + C + 40
    cN, cp = _gamma(N), _gamma(p)
    if cN >= 0.1:
        raise ValueError(f"the problem is too large for this rounding bound (gamma_N = {cN:g})")
    a = prob.sample_weight
    xn = np.sqrt(np.einsum("ij,ij->i", prob.X, prob.X))
    up = 1.0 + 1e-12                                      # the constants' own rounding
    s1, s2, A = float(a @ xn) * up, float(a @ (xn * xn)) * up, float(a.sum()) * up
    nw = np.sqrt(np.einsum("...j,...j->...", w, w)) * up
    if prob.kind == "squared":
        Fd = np.maximum(Fh - 0.5 * prob.lam * nw * nw, 0.0) + cN * Fh   # ~ sum a r^2 / 2
        R = np.sqrt(2.0 * Fd * (1.0 + cN)) * (1.0 + cN) + cp * nw * math.sqrt(s2)
        G = cp * nw * math.sqrt(s2) * R + 0.5 * (cp * nw) ** 2 * s2
        P = 0.0
    elif prob.kind == "logistic":
        G = cp * nw * s1
        P = (2 * _ELEMENTARY + 6) * _U * ((1.0 + cp) * nw * s1 + A)
    else:
        G = 2.0 * cp * nw * s1
        P = (2 * _ELEMENTARY + C + 8) * _U * ((1.0 + math.log(C)) * A
                                                 + 2.0 * (1.0 + cp) * nw * s1)
    return 2.0 * (G + P) + 2.0 * cN * Fh + cN * prob.lam * nw * nw


def anderson_lower(x: Any, alpha: float) -> np.ndarray:
    r"""Anderson's one-sided lower confidence bound for the mean of non-negative samples.

    Parameters
    ----------
    x : array_like (n, ...)
        Samples along axis 0 (non-negative; vectorised over the other axes).
    alpha : float in (0, 1)
        :math:`P(\ell>\mathbb EX)\le\alpha` for every law on :math:`[0,\infty)`.

    Returns
    -------
    ndarray (...)
        :math:`\ell=\sum_i(x_{(i)}-x_{(i-1)})(\frac{n-i+1}n-\varepsilon)_+`,
        :math:`\varepsilon=\sqrt{\log(1/\alpha)/(2n)}`.

    Examples
    --------
    >>> round(float(anderson_lower([1.0] * 50, 0.05)), 4)   # all equal: 1 - eps
    0.8269
    """
    x = np.asarray(x, dtype=float)
    if x.ndim < 1 or x.shape[0] < 1:
        raise ValueError("x must have at least one sample along axis 0")
    if not np.all(np.isfinite(x)) or np.any(x < 0):
        raise ValueError("x must hold finite non-negative samples (clip rounding noise first)")
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    n = x.shape[0]
    eps = math.sqrt(math.log(1.0 / alpha) / (2.0 * n))
    xs = np.sort(x, axis=0)
    steps = np.diff(xs, axis=0, prepend=np.zeros((1,) + xs.shape[1:]))
    w = np.clip((n - np.arange(n)) / n - eps, 0.0, None)
    return np.tensordot(w, steps, axes=(0, 0))
