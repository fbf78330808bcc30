"""Training simulator (cogc_theory.simulate.training): schemes, pairing, exactness, reproducibility.

Expected values come from independent routes: a plain gradient-descent loop written here with
``Problem.gradient``; client gradients summed by hand over the recovered set; the one-round
decoders applied to the run's own link draws; and counting arrivals. Runs compared across trial
counts, chunks, workers or subsets of updated trials may round differently (other batch shapes):
they are compared within the rounding bounds of ``_rounding``; exact equality is kept where the
simulator performs the very operations of the reference (same routine, same shapes).
"""

from __future__ import annotations

import numpy as np
import pytest
from _rounding import (
    U,
    accuracy_slack,
    assert_within,
    direction_bound,
    loss_bound,
    loss_gradient,
    trajectory_bound,
    trajectory_loss_bound,
)

import cogc_theory as ct
from cogc_theory import decode
from cogc_theory.network import GilbertElliott
from cogc_theory.simulate.links import LinkModel
from cogc_theory.simulate.problems import BLOCK, make_problem
from cogc_theory.simulate.training import (
    FULL,
    OUTAGE,
    PARTIAL,
    SCHEMES,
    link_draws,
    train,
    train_schemes,
)

M, S = 6, 2


def _net(p=0.2, eps=0.3, **kw):
    return ct.CooperativeNetwork.cyclic(M, S, uplink_erasure=p, link_erasure=eps, seed=0, **kw)


def _centralised_gd(prob, eta, rounds, trials, w0=None):
    """w <- w - eta * grad F(w), written independently of the simulator."""
    W = np.zeros((trials, prob.d)) if w0 is None else np.array(w0, dtype=float)
    losses, its = [prob.loss(W)], [W]
    for _ in range(rounds):
        W = W - eta * prob.gradient(W)
        losses.append(prob.loss(W))
        its.append(W)
    return np.stack(losses, axis=1), np.stack(its, axis=1)


@pytest.mark.parametrize("problem", ["least-squares", "synthetic-logistic", "digits"])
def test_no_erasures_every_scheme_equals_centralised_gd_bitwise(problem):
    """With p = eps = 0 every scheme (all GC+ rules, fedavg, gc) reproduces centralised gradient
    descent to the last bit: same losses, same final models, every round a full recovery."""
    net = _net(p=0.0, eps=0.0)
    rounds, trials = 15, 3
    runs = train_schemes(net, SCHEMES, problem=problem, rounds=rounds, trials=trials, seed=4,
                         split="dirichlet", alpha=0.5)
    prob = runs["ideal"].problem
    eta = 1.0 / prob.smoothness()
    loss, its = _centralised_gd(prob, eta, rounds, trials)
    # exact by construction (module docstring, "Exactness"): a full round calls the routines
    # of Problem.gradient / Problem.loss (_forward, _backward) on the same 3 trials (one block,
    # one chunk), with the same weights 1/M and single-threaded BLAS, then w - eta * D
    for name, run in runs.items():
        assert run.eta == eta
        assert np.array_equal(run.loss, loss), name
        assert np.array_equal(run.w_final, its[:, -1]), name
        assert np.all(run.outcome == FULL) and np.all(run.recovered_size == M), name


def test_cogc_full_rounds_match_the_ideal_update():
    """CoGC equals the ideal run until its first outage; afterwards every full round is one
    centralised gradient step from the current model and every outage round leaves the model
    unchanged. (CoGC updates only the trials with a full round, i.e. other batch shapes than
    the ideal run and than ``prob.gradient`` on all 12 trials: equal up to rounding.)"""
    net = _net(p=0.15, eps=0.15)
    rounds, trials = 25, 12
    runs = train_schemes(net, ["ideal", "cogc"], problem="synthetic-logistic", rounds=rounds,
                         trials=trials, seed=3, keep_iterates=True)
    cogc, ideal = runs["cogc"], runs["ideal"]
    prob = cogc.problem
    code = cogc.outcome
    assert np.any(code == OUTAGE) and np.any(code == FULL)
    assert set(np.unique(code)) <= {FULL, OUTAGE}
    first = np.where(np.any(code == OUTAGE, axis=1), np.argmax(code == OUTAGE, axis=1), rounds)
    delta = trajectory_bound(prob, cogc.eta, ideal.iterates)
    for i in range(trials):
        upto = first[i] + 1                       # w_0 .. w_first equal (up to rounding)
        dist = np.linalg.norm(cogc.iterates[i, :upto] - ideal.iterates[i, :upto], axis=1)
        assert np.all(dist <= delta[i, :upto]), (i, dist, delta[i, :upto])
    for t in range(rounds):
        W = cogc.iterates[:, t]
        D = prob.gradient(W)
        step = W - cogc.eta * D
        # one step: the two directions differ by at most direction_bound; w - eta D rounds
        bound = (cogc.eta * direction_bound(prob, W)
                 + 2 * U * (np.abs(W) + np.abs(step) + cogc.eta * np.abs(D)))
        full = code[:, t] == FULL
        assert_within(cogc.iterates[full, t + 1], step[full], bound[full], f"round {t}")
        # an outage performs no arithmetic on w: exactly unchanged
        assert np.array_equal(cogc.iterates[~full, t + 1], W[~full])
    assert np.any(first < rounds)


def test_schemes_see_identical_link_draws():
    """train() per scheme with one seed equals train_schemes() on shared draws (pairing), and
    the paired outcomes are consistent: CoGC full => GC+ full; GC+ max-subset |K| >= individual
    |K|; fedavg |K| is the number of arrived uplinks of link_draws()."""
    net = _net()
    kw = {"problem": "least-squares", "rounds": 30, "trials": 7, "seed": 11}
    names = ["cogc", "gcplus", "gcplus-individual", "fedavg", "gc"]
    together = train_schemes(net, names, **kw)
    for name in names:
        alone = train(net, scheme=name, **kw)
        # the same draws, weights and trials through the same code: exactly equal
        assert np.array_equal(alone.loss, together[name].loss)
        assert np.array_equal(alone.outcome, together[name].outcome)
    assert np.all(together["gcplus"].outcome[together["cogc"].outcome == FULL] == FULL)
    assert np.all(together["gcplus"].recovered_size >= together["gcplus-individual"]
                  .recovered_size)
    draws = link_draws(net, 30, 7, 11)
    assert np.array_equal(together["fedavg"].recovered_size, draws.u.sum(axis=2).T)


def test_link_draws_are_per_block_generators_and_honour_memory():
    """link_draws() is LinkModel.draw_rounds with one SeedSequence child per block of trials
    (the rule that makes results batch-size independent), Gilbert–Elliott memory included."""
    net = _net(memory=GilbertElliott(4.0))
    d = link_draws(net, 12, BLOCK + 3, seed=5)
    model = LinkModel(net)
    for b in range(2):
        ss = np.random.SeedSequence(5, spawn_key=(b,))
        ref = model.draw_rounds(np.random.default_rng(ss), 12, (BLOCK,))
        n = min(BLOCK, BLOCK + 3 - b * BLOCK)
        assert np.array_equal(d.tau[:, b * BLOCK:b * BLOCK + n], ref.tau[:, :n])
        assert np.array_equal(d.u[:, b * BLOCK:b * BLOCK + n], ref.u[:, :n])


def test_link_draws_of_zero_rounds_and_astronomical_requests():
    """Found by the fuzz test: zero rounds of 10**12 trials passed the memory check (0 bytes)
    and then looped over 10**11 blocks of seeds (hours); 10**400 rounds made the memory
    message itself raise OverflowError. Zero rounds now return empty draws at once, with
    the shapes of the general case."""
    net = _net()
    empty, one = link_draws(net, 0, 7, seed=1), link_draws(net, 1, 7, seed=1)
    assert empty.tau.shape == (0,) + one.tau.shape[1:] and empty.tau.dtype == one.tau.dtype
    assert empty.u.shape == (0,) + one.u.shape[1:] and empty.u.dtype == one.u.dtype
    assert np.array_equal(empty.link_used, one.link_used)
    assert link_draws(net, 0, 10**12).shape == (0, 10**12)
    for rounds, trials in ((10**400, 1), (1, 10**400)):
        with pytest.raises(ValueError, match=r"would take [0-9.E+]+ GiB \(limit 8 GiB\)"):
            link_draws(net, rounds, trials)


def test_results_do_not_depend_on_the_number_of_trials_chunks_or_workers(monkeypatch):
    """Trial i is the same whether 3 or 2*BLOCK+4 trials run, in one compute chunk or in chunks
    of 4, on 1 or 2 threads: its outcomes exactly (they come from its own link draws), its
    models, losses and accuracies up to rounding (other batch shapes), within the bounds of
    ``_rounding`` propagated through the rounds (a trial mixed up with another would differ by
    O(1), the bounds are ~1e-11)."""
    from cogc_theory.simulate import training

    net = _net()
    kw = {"problem": "digits", "scheme": "gcplus", "rounds": 12, "seed": 2,
          "keep_iterates": True}
    small = train(net, trials=3, **kw)
    big = train(net, trials=2 * BLOCK + 4, workers=2, **kw)
    monkeypatch.setattr(training, "_CHUNK", 4)
    chunked = train(net, trials=2 * BLOCK + 4, **kw)
    prob = big.problem
    delta = trajectory_bound(prob, big.eta, big.iterates)
    bounds = {"loss": trajectory_loss_bound(prob, big.iterates, delta),
              "test_loss": trajectory_loss_bound(prob, big.iterates, delta, "test"),
              "accuracy": accuracy_slack(prob, big.iterates, delta) + 1e-15}
    for a, b, rows in ((small, big, slice(0, 3)), (chunked, big, slice(None))):
        for f in ("outcome", "recovered_size"):          # integers from the draws: exact
            assert np.array_equal(getattr(a, f), getattr(b, f)[rows]), f
        dist = np.linalg.norm(a.iterates - b.iterates[rows], axis=2)
        assert np.all(dist <= delta[rows]), "iterates"
        for f, bound in bounds.items():
            assert_within(getattr(a, f), getattr(b, f)[rows], bound[rows], f)
        assert np.array_equal(a.w_final, a.iterates[:, -1])


def test_initial_model_is_not_modified():
    """A user's w0 array is left untouched (the simulator works on copies)."""
    net = _net()
    w0 = np.full((2, 21), 0.5)
    train(net, "least-squares", "gcplus", rounds=5, trials=2, w0=w0)
    assert np.all(w0 == 0.5)


def test_gcplus_outcome_frequencies_match_the_exact_law():
    """Over 3000 rounds x 10 trials the GC+ full / partial / total-outage frequencies of the
    training runs (max-subset and individual rules) agree with ct.outage.gcplus_distribution
    (exact enumeration): two-sided binomial tests, each at alpha = 1e-4 (six tests, family-wise
    false-alarm rate <= 6e-4; seeded, so reproducible)."""
    from scipy.stats import binomtest

    net = _net(p=0.2, eps=0.2)
    law = ct.outage.gcplus_distribution(net)
    runs = train_schemes(net, ["gcplus", "gcplus-individual"], problem="least-squares",
                         rounds=3000, trials=10, seed=12)
    for scheme, rule in (("gcplus", "max-subset"), ("gcplus-individual", "individual")):
        code = runs[scheme].outcome
        n = code.size
        for k, prob in ((np.count_nonzero(code == FULL), law.full),
                        (np.count_nonzero(code == PARTIAL), law.partial[rule]),
                        (np.count_nonzero(code == OUTAGE), law.total[rule])):
            assert binomtest(int(k), n, float(prob)).pvalue > 1e-4, (scheme, k, n, prob)


def test_cogc_outcomes_are_standard_decoding_of_the_draws_reciprocal_memory():
    """On a reciprocal network with Gilbert–Elliott memory, CoGC's per-round outcome is
    decode.standard(B, complete & arrived) of the run's own draws, and GC's is
    decode.standard(B, arrived)."""
    net = ct.CooperativeNetwork.cyclic(M, S, uplink_erasure=0.2, link_erasure=0.3, seed=0,
                                       reciprocal=True, memory=GilbertElliott(3.0))
    rounds, trials, seed = 40, 3, 8
    runs = train_schemes(net, ["cogc", "gc"], problem="least-squares", rounds=rounds,
                         trials=trials, seed=seed)
    draws = link_draws(net, rounds, trials, seed)
    for t in range(rounds):
        for i in range(trials):
            complete = np.all(draws.tau[t, i] | ~net.link_used, axis=1)
            r = decode.standard(net.B, complete & draws.u[t, i])
            assert (runs["cogc"].outcome[i, t] == FULL) == r.full
            assert (runs["gc"].outcome[i, t] == FULL) == decode.standard(net.B, draws.u[t, i]).full


@pytest.mark.parametrize("renormalize", [True, False])
def test_partial_rounds_follow_the_update_rule_by_hand(renormalize):
    """On a GC+ partial round, w_{t+1} = w_t - eta * c * sum_{k in K} grad f_k(w_t) with
    c = 1/|K| (renormalised) or 1/M, K being what the one-round decoder recovers from the run's
    own draws; likewise for fedavg with K = arrived uplinks."""
    net = _net(p=0.3, eps=0.4)
    rounds, trials, seed = 20, 4, 9
    runs = train_schemes(net, ["gcplus", "fedavg"], problem="synthetic-logistic",
                         rounds=rounds, trials=trials, seed=seed, renormalize=renormalize,
                         keep_iterates=True)
    draws = link_draws(net, rounds, trials, seed)
    prob = runs["gcplus"].problem
    checked = 0
    for name, run in runs.items():
        for i, t in zip(*np.nonzero(run.outcome == PARTIAL), strict=True):
            if name == "gcplus":
                r = decode.gcplus(net.B * draws.tau[t, i], draws.u[t, i], rule="max-subset")
                assert not r.full
                K = r.recovered
            else:
                K = draws.u[t, i]
            assert run.recovered_size[i, t] == K.sum()
            w = run.iterates[i, t]
            G = prob.client_gradients(w)
            c = 1.0 / K.sum() if renormalize else 1.0 / M
            D = c * G[K].sum(axis=0)
            expect = w - run.eta * D
            # per-client products summed by hand vs one product per run of recovered clients:
            # the same sum in another order, plus the rounding of w - eta D
            bound = (run.eta * direction_bound(prob, w, c * K)
                     + 2 * U * (np.abs(w) + np.abs(expect) + run.eta * np.abs(D)))
            assert_within(run.iterates[i, t + 1], expect, bound, f"{name} trial {i} round {t}")
            checked += 1
    assert checked >= 10


def test_least_squares_rule_uses_the_projection():
    """GC+ least-squares partial rounds step along sum_k t_k grad f_k / sum_k t_k with t the
    decoder's projection of 1 onto the row space (and never an outage unless nothing arrived)."""
    net = _net(p=0.3, eps=0.4)
    rounds, trials, seed = 15, 3, 1
    run = train(net, "least-squares", "gcplus-least-squares", rounds=rounds, trials=trials,
                seed=seed, keep_iterates=True)
    draws = link_draws(net, rounds, trials, seed)
    prob = run.problem
    n = 0
    for i, t in zip(*np.nonzero(run.outcome == PARTIAL), strict=True):
        A = net.B * draws.tau[t, i]
        r = decode.gcplus(A, draws.u[t, i], rule="least-squares")
        tt = np.where(r.recovered, r.target, 0.0)
        w = run.iterates[i, t]
        G = prob.client_gradients(w)
        cw = tt / tt.sum()
        D = cw @ G
        expect = w - run.eta * D
        # the run decoded this round in a batch, here alone: its projection t may differ by
        # its rounding, ~M eps kappa (16 M eps kappa allowed, kappa of the arrived rows), and
        # so may cw = t / sum(t) (twice that, relatively); then the direction's own bound
        sv = np.linalg.svd(A[draws.u[t, i]], compute_uv=False)
        dcw = 2 * 16 * M * np.finfo(float).eps * sv[0] / sv[r.rank - 1] * np.abs(cw).max()
        bound = (run.eta * (direction_bound(prob, w, np.abs(cw)) + dcw * np.abs(G).sum(axis=0))
                 + 2 * U * (np.abs(w) + np.abs(expect) + run.eta * np.abs(D)))
        assert_within(run.iterates[i, t + 1], expect, bound, f"trial {i} round {t}")
        n += 1
    assert n > 0
    outage = run.outcome == OUTAGE
    assert np.array_equal(outage, ~draws.u.any(axis=2).T)


def test_gc_replicates_data_so_client_links_do_not_matter():
    """Classic GC: with every client link erased (eps = 1) but perfect uplinks it equals the
    ideal run bitwise (data replication), while CoGC never decodes; with lossy uplinks it is
    full iff at least M - s uplinks arrived (cyclic B) and an outage otherwise."""
    net = _net(p=0.0, eps=1.0)
    runs = train_schemes(net, ["ideal", "gc", "cogc"], problem="least-squares", rounds=10,
                         trials=2, seed=0)
    # every gc round is a full recovery with the weights 1/M of the ideal run, on the same
    # trials: the same operations, exactly equal
    assert np.array_equal(runs["gc"].loss, runs["ideal"].loss)
    assert np.all(runs["cogc"].outcome == OUTAGE)
    assert np.all(runs["cogc"].loss == runs["cogc"].loss[:, :1])   # never recomputed: exact
    net = _net(p=0.35, eps=0.5)
    run = train(net, "least-squares", "gc", rounds=40, trials=5, seed=6)
    arrived = link_draws(net, 40, 5, 6).u.sum(axis=2).T
    assert np.array_equal(run.outcome == FULL, arrived >= M - S)
    assert np.any(arrived < M - S) and np.any(arrived >= M - S)


def test_ideal_gap_decreases_by_the_descent_lemma():
    """Ideal run with eta = 1/L: F(w_{t+1}) <= F(w_t) - |grad F(w_t)|^2 / (2L) (descent lemma),
    and the optimality gap stays >= 0 (up to F*'s certified error)."""
    net = _net()
    run = train(net, "digits", "ideal", rounds=30, trials=1, keep_iterates=True)
    prob = run.problem
    L = prob.smoothness()
    its = run.iterates[0]
    g = prob.gradient(its[:-1])
    dec = run.loss[0, :-1] - run.loss[0, 1:]
    # the lemma holds for exact arithmetic: the floating-point floor is the rounding of both
    # loss evaluations (loss_bound bounds the difference of two evaluations, so also each
    # one's error) and the step's own rounding, carried to F through |grad F| and L
    # (and the computed |g|^2 vs the exact one)
    lb = loss_bound(prob, its)
    dg = np.linalg.norm(direction_bound(prob, its[:-1]), axis=1)
    ds = run.eta * dg + 2 * U * np.linalg.norm(np.abs(its[:-1]) + np.abs(its[1:]), axis=1)
    gn = np.linalg.norm(loss_gradient(prob, its[1:]), axis=1)
    gg = np.einsum("td,td->t", g, g)
    floor = (lb[:-1] + lb[1:] + gn * ds + L / 2 * ds * ds
             + (2 * np.sqrt(gg) * dg + dg * dg) / (2 * L))
    assert np.all(dec >= gg / (2 * L) * (1 - 4 * U) - floor)
    w_star = prob.optimum()[0]
    assert np.all(run.gap >= -prob.optimum_error_bound() - lb - loss_bound(prob, w_star))
    assert run.accuracy.shape == (1, 31) and run.accuracy[0, -1] > 0.85


def test_report_consumer_signature():
    """The call made by report._train_runs / cli / sweep works for the default schemes and
    gives loss (trials, rounds + 1)."""
    from cogc_theory.config import Study

    net = ct.CooperativeNetwork.cyclic(10, 2, uplink_erasure=0.2, link_erasure=0.2)
    for scheme in Study().schemes:
        run = train(net, problem="digits", scheme=scheme, rounds=3, trials=2, seed=0)
        assert run.loss.shape == (2, 4) and np.all(np.isfinite(run.loss))


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"scheme": "gcplus2"}, ValueError, "scheme must be one of"),
    ({"problem": "mnist"}, ValueError, "problem must be one of"),
    ({"problem": 3}, TypeError, "problem must be one of"),
    ({"eta": 0.0}, ValueError, r"eta must be a step size in \(0, 2/L\)"),
    ({"eta": float("nan")}, ValueError, "eta must be a step size"),
    ({"eta": 1e6}, ValueError, "eta must be a step size"),
    ({"keep_iterates": "x"}, TypeError, "keep_iterates must be a bool"),
    ({"problem_options": [1]}, TypeError, "problem_options must be a dict"),
    ({"eta": 10**400}, ValueError, "eta is beyond the float range"),   # OverflowError
    ({"rounds": 10**9}, ValueError, "would take .* GiB"),
    ({"rounds": -1}, ValueError, "rounds must be >= 0"),
    ({"trials": 0}, ValueError, "trials must be >= 1"),
    ({"seed": np.random.default_rng(0)}, TypeError, "seed must be"),
    ({"seed": -2}, ValueError, "seed must be"),
    ({"w0": np.zeros(5)}, ValueError, "w0 must be"),
    ({"renormalize": "yes"}, TypeError, "renormalize must be a bool"),
    ({"workers": 0}, ValueError, "workers must be"),
])
def test_train_rejects_bad_arguments(kwargs, exc, match):
    """Bad arguments raise with a message naming the argument and the fix."""
    kw = {"problem": "least-squares", "rounds": 2, "trials": 1, **kwargs}
    with pytest.raises(exc, match=match):
        train(_net(), **kw)


@pytest.mark.parametrize("rounds", [3, 0])
def test_huge_trial_counts_are_refused_before_any_allocation(rounds):
    """Issue 14: train(net, 'least-squares', rounds=3, trials=10**12) let MemoryError escape
    (w0, (trials, d), was allocated before the memory check). Now a ValueError names the size
    and the limit at once, whatever the rounds (rounds = 0 still keeps w0 and w_final)."""
    import time

    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"1,000,000,000,000 trials would take .* GiB "
                                         r"\(limit 8 GiB\)"):
        train(_net(), problem="least-squares", rounds=rounds, trials=10**12)
    assert time.perf_counter() - t0 < 5


@pytest.mark.parametrize("split", ["iid", "dirichlet"])
@pytest.mark.parametrize("alpha, exc", [(float("nan"), ValueError), (0.0, ValueError),
                                        (-1.0, ValueError), (float("inf"), ValueError),
                                        (True, TypeError), ("0.5", TypeError)])
def test_alpha_is_checked_whatever_the_split(split, alpha, exc):
    """Issue 14: alpha=nan was silently ignored with split='iid'. It is checked for every split
    (documented choice: a bad value is refused even where it is unused)."""
    with pytest.raises(exc, match="alpha must be a positive"):
        train(_net(), problem="least-squares", rounds=1, trials=1, split=split, alpha=alpha)


def test_step_size_limit_is_two_over_l_and_divergence_is_reported():
    """eta just below 2/L is accepted (gradient descent on least squares still contracts,
    every factor |1 - eta h_i| < 1 for the Hessian's eigenvalues h_i <= L), 2/L is refused;
    a non-finite loss (here from an overflowing w0) comes back with a RuntimeWarning."""
    prob = make_problem("least-squares", M)
    L = prob.smoothness()
    # the Hessian's top eigenvalue, from the singular values of diag(sqrt(a)) X (not the
    # Gram matrix smoothness() forms)
    sv = np.linalg.svd(np.sqrt(prob.sample_weight)[:, None] * prob.X, compute_uv=False)
    assert sv[0] ** 2 + prob.lam == pytest.approx(L, rel=1e-12)   # L is the top eigenvalue
    run = train(_net(), prob, "ideal", rounds=200, trials=1, eta=1.99 / L)
    assert run.loss[0, -1] < run.loss[0, 0]
    with pytest.raises(ValueError, match="2/L"):
        train(_net(), prob, "ideal", rounds=1, trials=1, eta=2.0 / L)
    with pytest.warns(RuntimeWarning, match="loss is not finite in 1 of 1 trials"):
        train(_net(), prob, "ideal", rounds=1, trials=1, w0=np.full(prob.d, 1e200))
    with pytest.raises(ValueError, match="link draws of .* would take"):
        link_draws(_net(), 10**6, 10**4)
    with pytest.raises(TypeError, match="schemes must be a scheme name or a list"):
        train_schemes(_net(), None, problem="least-squares")


def test_train_rejects_mismatched_problem_and_symbolic_network():
    """A problem built for another M, or a symbolic network, is refused with the fix."""
    with pytest.raises(ValueError, match="problem has M=4 clients but the network has 6"):
        train(_net(), make_problem("least-squares", 4), rounds=1, trials=1)
    import sympy as sp

    net = ct.CooperativeNetwork.cyclic(M, S, uplink_erasure=sp.Symbol("p"), link_erasure=0.1)
    with pytest.raises(ValueError, match="substitute numbers first"):
        train(net, "least-squares", rounds=1, trials=1)
    with pytest.raises(TypeError, match="net must be a CooperativeNetwork"):
        train("net", "least-squares", rounds=1, trials=1)
