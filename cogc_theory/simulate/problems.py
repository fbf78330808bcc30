r"""Training problems for the simulator: least squares and L2-regularised logistic regression.

A problem is a data set split across :math:`M` clients, client :math:`k` holding
:math:`D_k` (:math:`n_k = |D_k|` samples), and the objective of SPEC section 3,

.. math:: F(w) = \frac1M\sum_{k=0}^{M-1} f_k(w), \qquad
          f_k(w) = c_k\sum_{i\in D_k}\ell(w; x_i, y_i) + \frac\lambda2\lVert w\rVert^2,

with :math:`c_k = 1/n_k` (``weighting="clients"``, the default: :math:`f_k` is client
:math:`k`'s mean loss, every client counts the same) or :math:`c_k = M/n`
(``weighting="samples"``: :math:`F` is the pooled empirical risk, the :math:`n_k/n` weighting
obtained by scaling :math:`g_k`). The full-recovery update
:math:`w\leftarrow w-\eta\frac1M\sum_k\nabla f_k(w)` is gradient descent on :math:`F`.

Losses, with :math:`z = W^\top x` (the model is a matrix :math:`W\in\mathbb R^{p\times C}`,
flattened row-major to :math:`w\in\mathbb R^{d}`, :math:`d=pC`):

* ``"squared"`` (:math:`C=1`): :math:`\ell=\tfrac12(z-y)^2`, curvature :math:`\ell''=1`;
* ``"logistic"`` (binary, :math:`C=1`, :math:`y\in\{0,1\}`):
  :math:`\ell=\log(1+e^{z})-yz`, :math:`0<\ell''=\sigma(z)(1-\sigma(z))\le\frac14`;
* ``"softmax"`` (multinomial, :math:`C` classes):
  :math:`\ell=\log\sum_c e^{z_c}-z_y`, Hessian in :math:`z`
  :math:`\operatorname{diag}(\pi)-\pi\pi^\top\preceq\frac12 I` (:math:`\pi` the softmax).

Hence, with :math:`A=\operatorname{diag}(a)`, :math:`a_i=c_{k(i)}/M`, and
:math:`\Sigma=X^\top AX`, the constants returned by :meth:`Problem.smoothness` and
:meth:`Problem.strong_convexity` are exact:

* squared: :math:`\nabla^2F=\Sigma+\lambda I`, so :math:`L=\lambda_{\max}(\Sigma)+\lambda`,
  :math:`\mu=\lambda_{\min}(\Sigma)+\lambda`, both attained (eigenvectors of :math:`\Sigma`);
* logistic: :math:`L=\frac14\lambda_{\max}(\Sigma)+\lambda`, attained at :math:`w=0`;
  :math:`\mu=\lambda`, approached as :math:`\lVert w\rVert\to\infty`;
* softmax: :math:`L=\frac12\lambda_{\max}(\Sigma)+\lambda`, approached where every sample has
  :math:`\pi=(\frac12,\frac12,0,\dots)` (direction :math:`v\otimes(e_0-e_1)/\sqrt2`);
  :math:`\mu=\lambda`, attained everywhere along :math:`v\otimes\mathbf 1` (the softmax
  is invariant to adding one vector to every class column).

Features are standardised with the training set's mean and standard deviation (constant
features are dropped) and a constant feature 1 is appended last (an intercept, regularised
like every weight, so that :math:`F` is :math:`\lambda`-strongly convex).

**Batched evaluation.** Every method takes ``w`` of shape ``(d,)`` or ``(trials, d)``.
Internally the model is laid out as ``(trials, C, p)`` and every matrix product is a
``numpy.matmul`` over the stack of trials, which performs one product *of the same shape* per
trial; everything else is elementwise or reduces along a per-trial axis. So a trial's
numbers never depend on the values of the other trials in the call. As for the last bits: a
call repeated with the same shapes gives identical results (BLAS runs single-threaded, see
:func:`single_threaded_blas`), and gradient descent written with :meth:`Problem.gradient` on
the same trials performs exactly the operations of the training simulator's full-recovery
round. The same trial evaluated in another batch (alone, among other trials, or as a subset)
goes through products of the same shape, which BLAS implementations usually round alike, but
neither numpy nor BLAS promises it: across batch shapes results are equal up to rounding (a
few ulps times the number of summed terms), and across machines, BLAS kernels or thread
counts they agree up to rounding only. A direction whose client weights are zero for some clients
(a partial recovery) is one product per run of consecutive weighted clients, over their
samples only. The softmax shifts a trial's logits by their per-sample maximum before the
exponential only when they may exceed 300 in magnitude (a bound from the norms of the
trial's weights and of the data), which is again a per-trial decision.

Examples
--------
>>> prob = make_problem("least-squares", M=4, n_train=200, n_features=3, data_seed=0)
>>> prob.d, prob.n_k.tolist()
(4, [40, 40, 40, 40])
>>> w_star, F_star = prob.optimum()
>>> bool(abs(prob.loss(w_star) - F_star) < 1e-15) and bool(prob.strong_convexity() > 0)
True
>>> g = prob.client_gradients(w_star)                 # (M, d); they average to ~0 at w*
>>> bool(np.abs(g.mean(axis=0)).max() < 1e-12)
True
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .._validate import check_int, check_positive
from ._problem import BLOCK, KINDS, Problem, single_threaded_blas

__all__ = [
    "BLOCK",
    "KINDS",
    "PROBLEMS",
    "Problem",
    "dirichlet_split",
    "iid_split",
    "make_problem",
    "single_threaded_blas",
]

#: Named problems of :func:`make_problem`.
PROBLEMS = ("digits", "synthetic-logistic", "least-squares")
#: Largest label-noise standard deviation of ``"least-squares"``: squared labels of 1e100
#: summed over 10**7 samples stay far below the float maximum 1.8e308.
MAX_NOISE = 1e100
#: Most samples a split assigns (the synthetic problems have at most 10**7).
MAX_SAMPLES = 10**8


def _check_rng(rng: Any) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (e.g. "
                        f"np.random.default_rng(0)), got {type(rng).__name__}")
    return rng


# ----------------------------------------------------------------------------- splits
def iid_split(n: int, M: int, rng: np.random.Generator) -> np.ndarray:
    """Client of each of ``n`` samples: a random permutation cut into ``M`` near-equal parts.

    Returns int ``(n,)``; client ``k`` gets ``n // M`` or ``n // M + 1`` samples.

    Examples
    --------
    >>> import numpy as np
    >>> client = iid_split(10, 3, np.random.default_rng(0))
    >>> client.shape, np.bincount(client).tolist()           # 10 // 3 or 10 // 3 + 1 each
    ((10,), [3, 3, 4])
    """
    n = check_int(n, "n", lo=0, hi=MAX_SAMPLES)
    M = check_int(M, "M", lo=1)
    rng = _check_rng(rng)
    client = np.repeat(np.arange(M), np.diff(np.linspace(0, n, M + 1).astype(int)))
    return client[rng.permutation(n)]


def dirichlet_split(labels: Any, M: int, alpha: float, rng: np.random.Generator, *,
                    min_size: int = 2, max_tries: int = 1000) -> np.ndarray:
    r"""Dirichlet label skew: client of each sample, int ``(n,)``.

    For every class :math:`c` independently, proportions :math:`q_c\sim\mathrm{Dir}(\alpha
    \mathbf 1_M)` are drawn and the class's samples (in random order) are cut at
    :math:`\lfloor n_c\,\mathrm{cumsum}(q_c)\rfloor`. Small :math:`\alpha` gives clients
    dominated by few classes; :math:`\alpha\to\infty` approaches an IID split. The draw is
    repeated until every client holds at least ``min_size`` samples.

    Examples
    --------
    Three classes of 20 samples over four clients, strongly skewed (:math:`\alpha=0.3`):

    >>> import numpy as np
    >>> labels = np.repeat(np.arange(3), 20)
    >>> client = dirichlet_split(labels, 4, 0.3, np.random.default_rng(0))
    >>> client.shape, int(np.bincount(client, minlength=4).min()) >= 2
    ((60,), True)
    """
    labels = np.asarray(labels)
    alpha = check_positive(alpha, "alpha", "Dirichlet concentration")
    rng = _check_rng(rng)
    n = labels.shape[0]
    if n < M * min_size:
        raise ValueError(f"{n} samples cannot give each of M={M} clients {min_size} samples; "
                         "use fewer clients or more data")
    classes = np.unique(labels)
    for _ in range(max_tries):
        client = np.empty(n, dtype=np.intp)
        for c in classes:
            idx = rng.permutation(np.flatnonzero(labels == c))
            q = rng.dirichlet(np.full(M, float(alpha)))
            cuts = np.floor(np.cumsum(q)[:-1] * idx.size).astype(int)
            for k, part in enumerate(np.split(idx, cuts)):
                client[part] = k
        if np.bincount(client, minlength=M).min() >= min_size:
            return client
    raise ValueError(f"no Dirichlet split with alpha={alpha} gave every client {min_size} "
                     f"samples in {max_tries} draws; increase alpha or reduce M")


# ----------------------------------------------------------------------------- the problem


# ----------------------------------------------------------------------------- builders
def _standardise(Xtr: np.ndarray, Xte: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean, std = Xtr.mean(axis=0), Xtr.std(axis=0)
    keep = std > 0
    f = lambda A: np.hstack([(A[:, keep] - mean[keep]) / std[keep],  # noqa: E731
                             np.ones((A.shape[0], 1))])
    return f(Xtr), f(Xte)


def _train_test(y: np.ndarray, test_fraction: float, rng: np.random.Generator,
                stratify: bool) -> tuple[np.ndarray, np.ndarray]:
    if stratify:
        test = []
        for c in np.unique(y):
            idx = rng.permutation(np.flatnonzero(y == c))
            test.append(idx[: int(round(test_fraction * idx.size))])
        test = np.sort(np.concatenate(test))
    else:
        test = np.sort(rng.permutation(y.size)[: int(round(test_fraction * y.size))])
    train = np.setdiff1d(np.arange(y.size), test)
    return train, test


def make_problem(name: str = "digits", M: int = 10, *, split: str = "iid", alpha: float = 0.5,
                 data_seed: int = 0, lam: float | None = None, weighting: str = "clients",
                 test_fraction: float = 0.2, n_train: int = 2000, n_features: int = 20,
                 noise: float = 0.5) -> Problem:
    r"""A named problem split across ``M`` clients.

    Parameters
    ----------
    name : {"digits", "synthetic-logistic", "least-squares"}
        * ``"digits"``: scikit-learn's bundled handwritten digits (1797 images of 8x8 pixels,
          10 classes; no download), multinomial (softmax) logistic regression,
          default :math:`\lambda=10^{-2}`;
        * ``"synthetic-logistic"``: binary logistic regression on Gaussian features,
          :math:`y\sim\mathrm{Bernoulli}(\sigma(x^\top\beta))`, default :math:`\lambda=10^{-2}`;
        * ``"least-squares"``: :math:`y=x^\top\beta+\text{noise}\cdot\mathcal N(0,1)`,
          features with geometrically spread scales, default :math:`\lambda=0`.
    M : int
        Clients.
    split : {"iid", "dirichlet"}
        Dirichlet label skew (:func:`dirichlet_split`) uses the class labels; for least
        squares the labels are the deciles of :math:`y`.
    alpha : float
        Dirichlet concentration.
    data_seed : int
        Seeds the synthetic data, the train/test split and the client split (not the links).
    lam : float, optional
        :math:`\lambda`.
    weighting : {"clients", "samples"}
    test_fraction : float
        Held-out fraction (stratified by class for classification).
    n_train, n_features, noise
        Size of the synthetic problems (``n_train`` samples before the held-out split).

    Examples
    --------
    >>> import numpy as np
    >>> prob = make_problem("least-squares", M=4, n_train=200, n_features=5)
    >>> prob
    Problem('least-squares', kind='squared', M=4, n=160, d=6, lam=0, weighting='clients')
    >>> w_star, F_star = prob.optimum()
    >>> bool(np.abs(prob.gradient(w_star)).max() < 1e-10)
    True
    >>> bool(0 < prob.strong_convexity() <= prob.smoothness())
    True
    """
    if name not in PROBLEMS:
        raise ValueError(f"problem must be one of {PROBLEMS} or a Problem, got {name!r}")
    M = check_int(M, "M", lo=1)
    check_int(data_seed, "data_seed", lo=0)
    alpha = check_positive(alpha, "alpha", "Dirichlet concentration")   # used or not
    if split not in ("iid", "dirichlet"):
        raise ValueError(f"split must be 'iid' or 'dirichlet', got {split!r}")
    if not (isinstance(test_fraction, (int, float)) and 0 < test_fraction < 1):
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction!r}")
    rng = np.random.default_rng([data_seed, PROBLEMS.index(name)])
    if name == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        kind, classes, lam0 = "softmax", 10, 1e-2
    else:
        n_train = check_int(n_train, "n_train", lo=2, hi=10**7)
        n_features = check_int(n_features, "n_features", lo=1, hi=10**4)
        if n_train * n_features > 10**8:
            raise ValueError(f"n_train * n_features = {n_train * n_features:,} exceeds 10**8 "
                             "(0.8 GB of features); use a smaller synthetic problem")
        if isinstance(noise, bool) or not isinstance(noise, numbers.Real) \
                or not 0 <= noise <= MAX_NOISE:
            raise ValueError(f"noise must be a number in [0, {MAX_NOISE:g}] (the label noise's "
                             f"standard deviation; larger labels overflow the squared loss), "
                             f"got {noise!r}")
        beta = rng.standard_normal(n_features)
        if name == "synthetic-logistic":
            X = rng.standard_normal((n_train, n_features))
            z = X @ beta / math.sqrt(n_features) * 3.0
            y = (rng.random(n_train) < 1.0 / (1.0 + np.exp(-z))).astype(np.intp)
            kind, classes, lam0 = "logistic", 1, 1e-2
        else:
            scales = np.geomspace(1.0, 0.2, n_features)
            X = rng.standard_normal((n_train, n_features)) * scales
            y = X @ beta + noise * rng.standard_normal(n_train)
            kind, classes, lam0 = "squared", 1, 0.0
    strat = kind != "squared"
    tr, te = _train_test(y, float(test_fraction), rng, stratify=strat)
    if tr.size < 2 or te.size < 1:
        raise ValueError(f"test_fraction={test_fraction:g} of {y.size} samples leaves {tr.size} "
                         f"training and {te.size} test samples (need >= 2 and >= 1); use more "
                         f"samples (n_train) or another test_fraction")
    Xtr, Xte = _standardise(X[tr].astype(float), X[te].astype(float))
    ytr, yte = y[tr], y[te]
    if M > ytr.size:
        raise ValueError(f"M={M} clients exceed the {ytr.size} training samples")
    if split == "iid":
        client = iid_split(ytr.size, M, rng)
    else:
        labels = ytr if strat else np.searchsorted(np.quantile(ytr, np.linspace(0, 1, 11)[1:-1]),
                                                   ytr)
        client = dirichlet_split(labels, M, alpha, rng, min_size=min(2, ytr.size // M))
    return Problem(Xtr, ytr, client, M, kind, lam=lam0 if lam is None else lam,
                   X_test=Xte, y_test=yte, classes=classes, weighting=weighting,
                   name=name if split == "iid" else f"{name} (dirichlet alpha={alpha:g})")
