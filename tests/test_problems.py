"""Training problems: gradients, curvature constants, optima, splits (simulate.problems).

Expected values come from independent routes: sympy differentiation of the objective written
out symbolically, the L-smoothness / strong-convexity inequalities on random pairs, numpy's
least-squares solver, and counting. Results reached by different code paths or batch shapes are
compared within the rounding bounds of ``_rounding`` (they may sum in another order on another
machine, BLAS kernel or thread count); exact equality is kept only for identical arithmetic.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from _rounding import assert_within, direction_bound, loss_bound

from cogc_theory.simulate.problems import (
    BLOCK,
    Problem,
    dirichlet_split,
    iid_split,
    make_problem,
    single_threaded_blas,
)


def _tiny(kind: str, weighting: str = "clients") -> Problem:
    """4 samples, features (x, 1), 2 clients of sizes 3 and 1 (unequal, so weights matter)."""
    X = np.array([[0.5, 1.0], [-1.0, 1.0], [2.0, 1.0], [0.25, 1.0]])
    client = np.array([0, 1, 0, 0])
    if kind == "squared":
        y = np.array([1.0, -0.5, 2.0, 0.0])
        return Problem(X, y, client, 2, "squared", lam=0.3, weighting=weighting)
    if kind == "logistic":
        y = np.array([1, 0, 1, 0])
        return Problem(X, y, client, 2, "logistic", lam=0.3, weighting=weighting)
    y = np.array([0, 2, 1, 2])
    return Problem(X, y, client, 2, "softmax", lam=0.3, classes=3, weighting=weighting)


def _sympy_objective(prob: Problem):
    """F and each f_k as sympy expressions in the weights (row-major W of shape (p, C))."""
    p, C = prob.p, prob.C
    w = sp.symbols(f"w0:{p * C}")
    Wm = sp.Matrix(p, C, w)
    lam = sp.nsimplify(prob.lam)
    fk = []
    for k in range(prob.M):
        rows = np.flatnonzero(prob.client == k)
        n_k = len(rows)
        ck = sp.Rational(1, n_k) if prob.weighting == "clients" else sp.Rational(
            prob.M, prob.X.shape[0])
        tot = 0
        for i in rows:
            x = sp.Matrix([[sp.nsimplify(v) for v in prob.X[i]]])
            z = x * Wm                                     # 1 x C
            if prob.kind == "squared":
                tot += (z[0] - sp.nsimplify(prob.y[i])) ** 2 / 2
            elif prob.kind == "logistic":
                tot += sp.log(1 + sp.exp(z[0])) - int(prob.y[i]) * z[0]
            else:
                tot += sp.log(sum(sp.exp(z[c]) for c in range(C))) - z[int(prob.y[i])]
        fk.append(ck * tot + lam / 2 * sum(v ** 2 for v in w))
    F = sum(fk) / prob.M
    return w, F, fk


@pytest.mark.parametrize("kind", ["squared", "logistic", "softmax"])
@pytest.mark.parametrize("weighting", ["clients", "samples"])
def test_loss_and_gradients_equal_sympy_autograd(kind, weighting):
    """F, f_k, grad F, grad f_k and the Hessian-vector product equal sympy's exact derivatives
    of the objective written out term by term (to float rounding)."""
    prob = _tiny(kind, weighting)
    w, F, fk = _sympy_objective(prob)
    rng = np.random.default_rng(1)
    W = rng.standard_normal((3, prob.d))
    gF = [sp.diff(F, v) for v in w]
    gk = [[sp.diff(f, v) for v in w] for f in fk]
    v = rng.standard_normal(prob.d)
    for t in range(3):
        sub = dict(zip(w, W[t], strict=True))
        assert prob.loss(W)[t] == pytest.approx(float(F.evalf(subs=sub)), rel=1e-13)
        assert np.allclose(prob.client_losses(W)[t], [float(f.evalf(subs=sub)) for f in fk],
                           rtol=1e-13, atol=0)
        np.testing.assert_allclose(prob.gradient(W)[t], [float(g.evalf(subs=sub)) for g in gF],
                                   rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(prob.client_gradients(W)[t],
                                   [[float(g.evalf(subs=sub)) for g in row] for row in gk],
                                   rtol=1e-12, atol=1e-14)
    H = sp.hessian(F, w)
    sub = dict(zip(w, W[0], strict=True))
    Hn = np.array(H.evalf(subs=sub).tolist(), dtype=float)
    np.testing.assert_allclose(prob.hessian_vector(W[0], v), Hn @ v, rtol=1e-11, atol=1e-14)


def test_digits_gradient_matches_finite_differences():
    """On the real problem (digits, 650 weights) the gradient's directional derivative equals
    a central finite difference, within the difference's truncation + rounding error."""
    prob = make_problem("digits", 10)
    rng = np.random.default_rng(2)
    w = 0.1 * rng.standard_normal(prob.d)
    e = rng.standard_normal(prob.d)
    e /= np.linalg.norm(e)
    h = 1e-5
    fd = (prob.loss(w + h * e) - prob.loss(w - h * e)) / (2 * h)
    # error: h^2/6 * |F'''| + eps*|F|/h, both below 1e-9 here
    assert prob.gradient(w) @ e == pytest.approx(fd, abs=1e-8)
    hv = prob.hessian_vector(w, e)
    fdh = (prob.gradient(w + h * e) - prob.gradient(w - h * e)) / (2 * h)
    np.testing.assert_allclose(hv, fdh, atol=1e-8)


def test_client_gradients_average_to_the_gradient():
    """grad F = (1/M) sum_k grad f_k (the SPEC update rule is gradient descent on F)."""
    prob = make_problem("digits", 10, split="dirichlet", alpha=0.3)
    w = np.random.default_rng(3).standard_normal((4, prob.d)) * 0.05
    # per-client products then a mean over clients vs one product: the same sums in another
    # order, within the rounding bound of either (the mean's division by M is one more u)
    assert_within(prob.client_gradients(w).mean(axis=1), prob.gradient(w),
                  direction_bound(prob, w), "mean of client gradients")
    assert_within(prob.client_losses(w).mean(axis=1), prob.loss(w), loss_bound(prob, w),
                  "mean of client losses")


@pytest.mark.parametrize("name", ["least-squares", "synthetic-logistic", "digits"])
def test_smoothness_and_strong_convexity_hold_on_random_pairs(name):
    """mu/2 |y-x|^2 <= F(y) - F(x) - <grad F(x), y-x> <= L/2 |y-x|^2 for random pairs at
    several scales (the defining inequalities)."""
    prob = make_problem(name, 5, split="dirichlet", alpha=1.0)
    L, mu = prob.smoothness(), prob.strong_convexity()
    assert 0 < mu <= L
    rng = np.random.default_rng(4)
    for scale in (0.01, 1.0, 10.0):
        x = scale * rng.standard_normal((20, prob.d))
        y = x + scale * rng.standard_normal((20, prob.d))
        diff = prob.loss(y) - prob.loss(x) - np.einsum("td,td->t", prob.gradient(x), y - x)
        sq = np.einsum("td,td->t", y - x, y - x)
        slack = 1e-9 * (1 + np.abs(prob.loss(y)))
        assert np.all(diff <= L / 2 * sq + slack)
        assert np.all(diff >= mu / 2 * sq - slack)


@pytest.mark.parametrize("name", ["least-squares", "synthetic-logistic", "digits"])
def test_curvature_constants_are_tight(name):
    """L and mu are attained (or approached to e^-60): the Hessian quadratic form along the
    returned directions equals them, and power iteration at random points never exceeds L."""
    prob = make_problem(name, 5)
    L, mu = prob.smoothness(), prob.strong_convexity()
    dirs = prob.curvature_directions()
    qL = dirs["L_dir"] @ prob.hessian_vector(dirs["L_at"], dirs["L_dir"])
    assert qL == pytest.approx(L, rel=1e-10)
    if prob.kind == "logistic":
        # approached only as |w| -> infinity: far out along a direction the curvature is ~mu
        far = 200.0 * dirs["L_dir"]
        q = dirs["mu_dir"] @ prob.hessian_vector(far, dirs["mu_dir"])
        assert mu <= q + 1e-12 and q < mu + 0.05 * (L - mu)
    else:
        at = np.random.default_rng(5).standard_normal(prob.d)
        qmu = dirs["mu_dir"] @ prob.hessian_vector(at, dirs["mu_dir"])
        assert qmu == pytest.approx(mu, rel=1e-10)
    rng = np.random.default_rng(6)
    for _ in range(3):
        at, v = rng.standard_normal(prob.d), rng.standard_normal(prob.d)
        for _ in range(50):
            v = prob.hessian_vector(at, v)
            v /= np.linalg.norm(v)
        assert v @ prob.hessian_vector(at, v) <= L * (1 + 1e-12)


def test_least_squares_optimum_matches_numpy_lstsq():
    """w* of least squares equals numpy's lstsq on the sqrt(a)-weighted system, and F* is
    F(w*) to rounding; the certified error bound is at rounding level."""
    prob = make_problem("least-squares", 4, split="dirichlet", alpha=0.5)
    w, F = prob.optimum()
    sa = np.sqrt(prob.sample_weight)
    ref = np.linalg.lstsq(sa[:, None] * prob.X, sa * prob.y, rcond=None)[0]
    np.testing.assert_allclose(w, ref, rtol=1e-10, atol=1e-12)
    assert F == prob.loss(w)          # exact: optimum() evaluates loss(w) itself, same call
    assert prob.optimum_error_bound() < 1e-20


@pytest.mark.parametrize("name", ["synthetic-logistic", "digits"])
def test_logistic_optimum_is_certified(name):
    """The Newton optimum has a gradient at rounding level, so F(w*) - F* <= |g|^2/(2 mu) is
    negligible, and F* is below F at perturbed points."""
    prob = make_problem(name, 10)
    w, F = prob.optimum()
    assert np.linalg.norm(prob.gradient(w)) < 1e-11
    assert prob.optimum_error_bound() < 1e-18
    pert = w + 1e-3 * np.random.default_rng(7).standard_normal((5, prob.d))
    assert np.all(prob.loss(pert) > F)


def test_results_do_not_depend_on_how_many_trials_are_evaluated():
    """Trial i's loss and gradient are the same, up to rounding, whether evaluated alone, with a
    few others, or in a batch spanning several blocks (no trial leaks into another: a mix-up
    would differ by O(1), the rounding bound is ~1e-12)."""
    prob = make_problem("digits", 10)
    W = 0.05 * np.random.default_rng(8).standard_normal((2 * BLOCK + 3, prob.d))
    big_l, big_g = prob.loss(W), prob.gradient(W)
    # other batch shapes may round differently (BLAS blocking): within the rounding bound
    lb, gb = loss_bound(prob, W[:3]), direction_bound(prob, W[:3])
    assert_within(prob.loss(W[:3]), big_l[:3], lb, "loss of 3 trials")
    assert_within(prob.gradient(W[:3]), big_g[:3], gb, "gradient of 3 trials")
    assert_within(prob.loss(W[0]), big_l[0], lb[0], "loss of one trial")
    assert_within(prob.gradient(W[0]), big_g[0], gb[0], "gradient of one trial")
    # the same call again is the same arithmetic: exactly equal
    assert np.array_equal(prob.loss(W), big_l) and np.array_equal(prob.gradient(W), big_g)


def _plain_client_gradient(prob: Problem, w: np.ndarray, k: int) -> np.ndarray:
    """grad f_k for softmax in plain numpy, one client's rows, (p, C) flattened row-major."""
    lo, hi = prob.bounds[k], prob.bounds[k + 1]
    Wm = w.reshape(prob.p, prob.C)
    Z = prob.X[lo:hi] @ Wm
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    P[np.arange(hi - lo), prob.y[lo:hi]] -= 1.0
    return (prob.coef[k] * (prob.X[lo:hi].T @ P) + prob.lam * Wm).ravel()


def test_weighted_directions_of_any_client_subset():
    """The engine's direction sum_k cw_k grad f_k (one product per run of consecutive clients
    with nonzero weight) equals the same sum of plain per-client numpy gradients, for full,
    contiguous, wrapped-around, scattered, single and empty subsets; every trial's direction
    is the same (up to rounding) alone and in a mixed batch, exactly the same through ``sel``,
    and full weights 1/M give ``gradient`` (up to rounding)."""
    prob = make_problem("digits", 10)
    M = prob.M
    rng = np.random.default_rng(11)
    subsets = [range(M), [2, 3, 4], [8, 9, 0, 1], [1, 3, 7], [5], []]
    cw = np.zeros((len(subsets), M))
    for j, K in enumerate(subsets):
        cw[j, list(K)] = 1.0 / M if len(K) == M else rng.uniform(0.1, 1.0, len(K))
    w = 0.05 * rng.standard_normal((len(subsets), prob.d))
    W = prob.to_internal(w)

    def direction(rows, sel=None):
        with single_threaded_blas():            # as every public method and the trainer
            _, R = prob.forward(W[rows], prob.sample_scale(cw[rows]))
            return prob.from_internal(prob.backward(W[rows], R, cw[rows], scaled=True,
                                                    sel=sel))

    batch = direction(np.arange(len(subsets)))
    bound = direction_bound(prob, w, cw)
    for j, K in enumerate(subsets):
        expect = sum((cw[j, k] * _plain_client_gradient(prob, w[j], k) for k in K),
                     np.zeros(prob.d))
        assert_within(batch[j], expect, bound[j], f"subset {list(K)} vs plain numpy")
        # alone: another batch shape (and for the full subset the stacked product instead of
        # the per-run loop), so only up to rounding
        assert_within(direction(np.array([j]))[0], batch[j], bound[j], f"subset {list(K)}")
    # sel computes the selected trials with the very products of the unselected call (same
    # forward pass, same per-trial loop, same shapes, same thread count): exactly equal
    picked = direction(np.arange(len(subsets)), sel=np.array([4, 0, 2]))
    assert np.array_equal(picked, batch[[4, 0, 2]])
    assert_within(batch[0], prob.gradient(w[0]), bound[0], "full weights vs gradient")


def test_softmax_with_huge_logits_matches_a_high_precision_oracle():
    """Logits far beyond exp's range (|z| ~ 1e3) are shifted by the per-sample maximum, small
    ones are not: loss and gradient agree with mpmath at 40 digits either way, and a trial's
    numbers do not depend on whether the batch mixes both kinds."""
    import mpmath

    prob = _tiny("softmax")
    rng = np.random.default_rng(12)
    w = rng.standard_normal((3, prob.d))
    w[1] *= 800.0                                        # logits of order 1e3
    mpmath.mp.dps = 40
    X, y, a = prob.X, prob.y, prob.sample_weight
    for t in range(3):
        Wm = [[mpmath.mpf(float(v)) for v in row] for row in w[t].reshape(prob.p, prob.C)]
        F = prob.lam / 2 * sum(v * v for row in Wm for v in row)
        G = [[prob.lam * v for v in row] for row in Wm]
        for i in range(X.shape[0]):
            z = [sum(mpmath.mpf(float(X[i, j])) * Wm[j][c] for j in range(prob.p))
                 for c in range(prob.C)]
            lse = mpmath.log(sum(mpmath.exp(v) for v in z))
            F += a[i] * (lse - z[y[i]])
            for c in range(prob.C):
                r = mpmath.exp(z[c] - lse) - (1 if c == y[i] else 0)
                for j in range(prob.p):
                    G[j][c] += a[i] * r * float(X[i, j])
        scale = max(1.0, abs(float(F)))
        assert abs(prob.loss(w)[t] - float(F)) <= 1e-13 * scale
        np.testing.assert_allclose(prob.gradient(w)[t], np.array(G, dtype=float).ravel(),
                                   rtol=1e-11, atol=1e-12 * scale)
    assert prob._big(prob.to_internal(w)).tolist() == [False, True, False]
    # alone vs in the mixed batch: another batch shape, so up to rounding (the shift is a
    # per-trial decision: a trial computed with the other kind's formula would differ by far
    # more than the bound for the huge logits, |l| ~ 1e3)
    lb, gb = loss_bound(prob, w), direction_bound(prob, w)
    for t in range(3):
        assert_within(prob.loss(w[t]), prob.loss(w)[t], lb[t], f"loss of trial {t}")
        assert_within(prob.gradient(w[t]), prob.gradient(w)[t], gb[t], f"gradient of {t}")


def test_samples_weighting_gives_the_pooled_empirical_risk():
    """weighting='samples': F is the mean loss over all n samples (+ lam/2 |w|^2), computed
    here directly from the data with sklearn-free numpy."""
    prob = make_problem("synthetic-logistic", 6, split="dirichlet", alpha=0.2, weighting="samples")
    w = np.random.default_rng(9).standard_normal(prob.d)
    z = prob.X @ w
    ref = np.mean(np.logaddexp(0, z) - prob.y * z) + prob.lam / 2 * w @ w
    assert prob.loss(w) == pytest.approx(ref, rel=1e-13)


def test_digits_data():
    """Digits: 10 classes, standardised training features (mean 0, std 1) plus an intercept
    column, a stratified 20% held-out set, every client non-empty; the optimum classifies the
    held-out set well (a sanity check that the labels line up with the features)."""
    prob = make_problem("digits", 10)
    X = prob.X
    assert prob.kind == "softmax" and prob.C == 10 and prob.d == X.shape[1] * 10
    np.testing.assert_allclose(X[:, :-1].mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X[:, :-1].std(axis=0), 1, atol=1e-12)
    assert np.all(X[:, -1] == 1)
    assert X.shape[0] + prob.X_test.shape[0] == 1797
    assert abs(prob.X_test.shape[0] - 0.2 * 1797) <= 10
    assert np.all(np.bincount(prob.y_test) >= 30)
    assert prob.accuracy(prob.optimum()[0]) > 0.9


def test_iid_split_sizes():
    """IID split: every sample to exactly one client, sizes differ by at most one."""
    c = iid_split(103, 7, np.random.default_rng(0))
    sizes = np.bincount(c, minlength=7)
    assert sizes.sum() == 103 and sizes.max() - sizes.min() <= 1


@pytest.mark.parametrize("call, exc, match", [
    (lambda: iid_split(10, 3, 0), TypeError, "rng must be a numpy.random.Generator"),
    (lambda: iid_split(10**12, 3, np.random.default_rng(0)), ValueError, "n must be <="),
    (lambda: iid_split(10, 0, np.random.default_rng(0)), ValueError, "M must be >= 1"),
    (lambda: dirichlet_split([0, 1] * 3, 2, 0.5, 7), TypeError, "rng must be"),
    (lambda: dirichlet_split([0, 1] * 3, 2, 10**400, np.random.default_rng(0)), ValueError,
     "alpha is beyond the float range"),
])
def test_splits_check_their_arguments(call, exc, match):
    """Found by the fuzz test: an int rng raised AttributeError, n=10**12 MemoryError and a
    huge alpha OverflowError."""
    with pytest.raises(exc, match=match):
        call()


def test_least_squares_optimum_with_fewer_samples_than_features():
    """Two training samples, 20 features, lam = 0: the normal equations are exactly singular
    (LinAlgError, found by the fuzz test); the least-norm solution is a minimiser: F* = 0 (the
    data are interpolated) and the gradient vanishes."""
    prob = make_problem("least-squares", 1, n_train=3)
    assert prob.X.shape[0] == 2 and prob.X.shape[1] > 2
    w, F = prob.optimum()
    # residuals and gradient at rounding level of the O(1) standardised data
    assert 0 <= F <= 1e-25 and np.linalg.norm(prob.gradient(w)) <= 1e-12


def test_noise_up_to_its_cap_trains_with_finite_losses():
    """noise = MAX_NOISE: squared labels of 1e200 keep every loss finite (no warning)."""
    import cogc_theory as ct
    from cogc_theory.simulate.problems import MAX_NOISE

    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    run = ct.simulate.train(net, problem="least-squares", rounds=3, trials=2,
                            problem_options={"noise": MAX_NOISE})
    assert np.all(np.isfinite(run.loss))


def test_dirichlet_split_properties():
    """Dirichlet split: a partition (class totals preserved), min size respected, seeded, and
    skew decreasing in alpha (mean largest-class share per client)."""
    labels = np.repeat(np.arange(10), 100)
    shares = {}
    for alpha in (0.05, 100.0):
        c = dirichlet_split(labels, 8, alpha, np.random.default_rng(1), min_size=2)
        counts = np.zeros((8, 10), int)
        np.add.at(counts, (c, labels), 1)
        assert np.array_equal(counts.sum(axis=0), np.full(10, 100))
        assert counts.sum(axis=1).min() >= 2
        shares[alpha] = np.mean(counts.max(axis=1) / counts.sum(axis=1))
        again = dirichlet_split(labels, 8, alpha, np.random.default_rng(1), min_size=2)
        assert np.array_equal(c, again)
    assert shares[0.05] > 0.5 and shares[100.0] < 0.2


def test_problem_label_counts_follow_the_split():
    """label_counts() of a Dirichlet digits problem sums to the training class counts."""
    prob = make_problem("digits", 5, split="dirichlet", alpha=0.1)
    lc = prob.label_counts()
    assert np.array_equal(lc.sum(axis=0), np.bincount(prob.y, minlength=10))
    assert np.array_equal(lc.sum(axis=1), prob.n_k)


def test_heterogeneity_zero_for_identical_clients():
    """zeta^2 = 0 when every client holds the same data, > 0 for a Dirichlet split."""
    X = np.tile(np.array([[1.0, 1.0], [-1.0, 1.0], [0.5, 1.0]]), (3, 1))
    y = np.tile(np.array([1.0, 0.0, 2.0]), 3)
    prob = Problem(X, y, np.repeat(np.arange(3), 3), 3, "squared", lam=0.1)
    assert prob.heterogeneity(np.array([0.3, -0.2])) == pytest.approx(0, abs=1e-28)
    assert make_problem("digits", 5, split="dirichlet", alpha=0.1).heterogeneity() > 0


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"name": "mnist"}, ValueError, "problem must be one of"),
    ({"split": "skewed"}, ValueError, "split must be"),
    ({"split": "dirichlet", "alpha": 0.0}, ValueError, "alpha must be"),
    ({"lam": -1.0}, ValueError, "lam must be"),
    ({"M": 0}, ValueError, "M must be"),
    ({"M": 2.5}, TypeError, "M must be an integer"),
    ({"test_fraction": 1.5}, ValueError, "test_fraction"),
    ({"weighting": "equal"}, ValueError, "weighting"),
    ({"noise": "a"}, ValueError, "noise must be"),
    ({"noise": -1.0}, ValueError, "noise must be"),
    ({"n_features": 10**7}, ValueError, "n_features must be <="),
    ({"n_train": 10**7, "n_features": 100}, ValueError, "exceeds 10\\*\\*8"),
    # found by the fuzz test: OverflowError for 10**400, a RuntimeWarning (overflow of the
    # squared loss) in training for noise=1e300, alpha ignored under split="iid"
    ({"noise": 10**400}, ValueError, r"noise must be a number in \[0, 1e\+100\]"),
    ({"noise": 1e300}, ValueError, r"noise must be a number in \[0, 1e\+100\]"),
    ({"lam": 10**400}, ValueError, "lam is beyond the float range"),
    ({"lam": np.float16(1.0)}, None, None),         # numpy scalars are fine (no warning)
    ({"split": "dirichlet", "alpha": 10**400}, ValueError, "alpha is beyond the float range"),
    ({"alpha": float("nan")}, ValueError, "alpha must be a positive finite"),
    # an empty test split: numpy's "zero-size array to reduction" and RuntimeWarnings
    ({"n_train": 2}, ValueError, "leaves 2 training and 0 test samples"),
    ({"n_train": 5, "test_fraction": 1e-300}, ValueError, "leaves 5 training and 0 test"),
    ({"name": "synthetic-logistic", "n_train": 3}, ValueError, "and 0 test samples"),
])
def test_make_problem_rejects_bad_arguments(kwargs, exc, match):
    """Bad arguments raise with a message naming the argument."""
    kw = {"name": "least-squares", "M": 4, **kwargs}
    if exc is None:
        make_problem(kw.pop("name"), **kw)
        return
    with pytest.raises(exc, match=match):
        make_problem(kw.pop("name"), **kw)


def test_problem_rejects_bad_arrays():
    """Wrong shapes, empty clients, bad labels and non-finite weights raise ValueError."""
    X = np.ones((4, 2))
    with pytest.raises(ValueError, match="every client needs data"):
        Problem(X, np.zeros(4), np.zeros(4, int), 2, "squared")
    with pytest.raises(ValueError, match="labels in 0..1"):
        Problem(X, np.array([0, 1, 2, 0]), np.array([0, 1, 0, 1]), 2, "logistic")
    with pytest.raises(ValueError, match="y must have shape"):
        Problem(X, np.zeros(3), np.array([0, 1, 0, 1]), 2, "squared")
    prob = _tiny("squared")
    with pytest.raises(ValueError, match=r"w must have shape \(2,\)"):
        prob.loss(np.zeros(3))
    with pytest.raises(ValueError, match="w must be finite"):
        prob.gradient(np.array([np.nan, 0.0]))
    with pytest.raises(ValueError, match="accuracy is defined for classification"):
        make_problem("least-squares", 2).accuracy(np.zeros(21))
