"""Conditioning of cyclic-repetition codes as M grows (10 to 10,000), cost, and a Monte Carlo check.

Run: ``python benchmarks/bench_conditioning_scale.py [--quick] [--sets N] [--mc-trials T]
[--mc-fast-trials F] [--no-mc]``. Set ``OPENBLAS_NUM_THREADS=1`` on a shared machine: the
batched small SVDs of the constructions slow down tenfold under thread contention.

Constructions: ``generic`` (:func:`cogc_theory.codes._generic.generic_cyclic_code`, the locally
conditioned draw whose threshold family is a theorem), ``orthonormal`` (a Haar parity, one draw;
for M >= 3000 built in banded form from the same parity as ``codes.cyclic_repetition``, checked
equal at M = 1000), ``optimized`` (best of 16 Haar draws, M <= 100 only).

Table 1 — cost of the construction: time and peak Python memory (tracemalloc) at M = 1000 and
10,000, against ``codes.cyclic_repetition(construction="orthonormal")`` (dense (M, M) output).

Table 2 — straggler sets. For each (M, s, construction) and seeds 0-2 (M <= 1000; seed 0
beyond): the condition number ``kappa(B_R) = sigma_1 / sigma_{M-s}`` over ``N`` uniform
straggler sets (|R| = M - s) and two cyclic windows per seed: median, 90th percentile and the
worst found (a lower bound on the worst case over all C(M, s) sets); and the smallest
distance ``||1 - P_R' 1||_2`` of the all-ones vector from the row space of sampled sets of
M - s - 1 rows (the theorem says > 0; the decoder calls it "not decodable" only when it exceeds
atol = 1e-8). ``kappa`` is exact (dense SVD) for M <= 300 and from sparse inverse iteration on
``B_R B_R^T`` with a power-iteration sigma_1 (checked against the dense SVD to 4 digits at
M = 1000) beyond. The ratio column is the median kappa of orthonormal over generic; a summary
fits the slope of log(median kappa) against log M.

Table 3 — sets the decoders meet at realistic erasures: p = eps = q with M (1 - pi) = s,
pi = (1 - q)^(s + 1) (so about s clients fail to contribute and the outage is near 1/2).
Standard decoding: sigma_1 / sigma_{M-s} over the sampled contributing sets that decode
(|R| >= M - s; exact for M <= 300, beyond an upper bound from a random (M - s)-row subset) and
the distance of 1 over those that do not; GC+ (M <= 1000, dense SVD of the arrived effective rows):
the smallest kept singular value sigma_r / sigma_1 and the largest dropped one
sigma_{r+1} / sigma_1 at rtol = 1e-10 (a trustworthy rank needs the first far above 1e-10 and
the second far below), and the smallest distance of 1 from the row space of the patterns that do
not fully recover.

Monte Carlo check (M = 1000, s = 10, generic code): standard decoding's outage estimate against
the exact threshold-family outage P[Binomial(M, pi) <= M - s - 1] by a two-sided binomial test
at false-alarm rate 1 % (each of two decoders: ``ct.decode.standard`` batched, slow at M = 1000,
and a sparse float decoder — a regularised augmented system with refinement, the same atol —
for more trials); and, trial by trial, the float decision must equal "|R| >= M - s" with a
certificate ``max|a B_R - 1| <= 1e-8``.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import scipy.sparse
import scipy.sparse.linalg as spl
import scipy.stats

import cogc_theory as ct
from cogc_theory import codes
from cogc_theory.codes import _generic as gc

RTOL, ATOL = 1e-10, 1e-8
GRID_M = [10, 30, 100, 300, 1000, 3000, 10000]
GRID_S = [1, 2, 5, 10]


# ---------------------------------------------------------------------------- codes, banded
def haar_parity(rng: np.random.Generator, s: int, M: int) -> np.ndarray:
    """The parity of ``construction="orthonormal"`` (the same draw as cogc_theory.codes):
    a centred Gaussian (s, M) orthonormalised by QR, signs fixed by R's diagonal."""
    G = rng.standard_normal((s, M))
    G -= G.mean(axis=1, keepdims=True)
    Q, R = np.linalg.qr(G.T)
    return (Q * np.sign(np.diag(R))[None, :]).T.copy()


def banded(M: int, s: int, construction: str, seed: int = 0) -> scipy.sparse.csr_array:
    """B of the construction as a sparse matrix (built banded where the library is dense)."""
    if construction == "generic":
        return gc.generic_cyclic_code(M, s, seed=seed).sparse()
    if construction == "orthonormal" and M >= 3000:
        H = haar_parity(np.random.default_rng(seed), s, M)
        coef = gc.window_vectors(H)
        code = gc.GenericCyclicCode(M=M, s=s, coef=coef, H=H, seed=seed, block_kappa=np.nan)
        return code.sparse()
    return scipy.sparse.csr_array(np.array(codes.cyclic_repetition(M, s, seed=seed,
                                                                   construction=construction)))


def check_banded_orthonormal() -> float:
    """The banded orthonormal build equals codes.cyclic_repetition (same parity) at M = 1000."""
    H = haar_parity(np.random.default_rng(0), 5, 1000)
    coef = gc.window_vectors(H)
    B = np.array(codes.cyclic_repetition(1000, 5, seed=0, construction="orthonormal"))
    cols = (np.arange(1000)[:, None] + np.arange(6)[None, :]) % 1000
    return float(np.abs(np.take_along_axis(B, cols, axis=1) - coef).max())


# ---------------------------------------------------------------------------- linear algebra
def kappa(A: scipy.sparse.csr_array, dense: bool) -> float:
    """sigma_1 / sigma_min of a full-row-rank A (rows <= columns)."""
    if dense:
        sv = np.linalg.svd(A.toarray(), compute_uv=False)
        return float(sv[0] / sv[-1]) if sv[-1] > 0 else np.inf
    x = np.random.default_rng(1).standard_normal(A.shape[1])
    for _ in range(300):                   # power iteration on A^T A (sigma_1 from below;
        y = A.T @ (A @ x)                  # ARPACK's svds fails to converge on some of these)
        smax = np.sqrt(np.linalg.norm(y) / np.linalg.norm(x))
        x = y / np.linalg.norm(y)
    lu = spl.splu((A @ A.T).tocsc())
    X = np.random.default_rng(0).standard_normal((A.shape[0], 3))
    prev = np.inf
    for _ in range(15):                    # block inverse iteration; Ritz values of A^T X bound
        X, _ = np.linalg.qr(lu.solve(X))   # sigma_min from above (kappa from below)
        est = np.linalg.svd(A.T @ X, compute_uv=False)[-1]
        if abs(prev - est) <= 1e-6 * est:
            break
        prev = est
    return float(smax / est)


def distance_to_ones(A: scipy.sparse.csr_array, dense: bool) -> float:
    """||1 - P 1||_2 with P the projector on rowspace(A) (A of full row rank)."""
    M = A.shape[1]
    one = np.ones(M)
    if dense:
        _, sv, Vt = np.linalg.svd(A.toarray(), full_matrices=False)
        V = Vt[sv > RTOL * sv[0]]
        return float(np.linalg.norm(one - V.T @ (V @ one)))
    lu = spl.splu((A @ A.T).tocsc())
    a = lu.solve(A @ one)
    r = one - A.T @ a
    a += lu.solve(A @ r)                   # one refinement step
    return float(np.linalg.norm(one - A.T @ a))


def rank_gap(A: np.ndarray) -> tuple[float, float, float]:
    """(sigma_r / sigma_1, sigma_{r+1} / sigma_1, distance of 1) at rtol for a dense A."""
    _, sv, Vt = np.linalg.svd(A, full_matrices=True)
    r = int(np.sum(sv > RTOL * sv[0]))
    kept = sv[r - 1] / sv[0]
    dropped = sv[r] / sv[0] if r < len(sv) else 0.0
    V = Vt[:r]
    one = np.ones(A.shape[1])
    return float(kept), float(dropped), float(np.linalg.norm(one - V.T @ (V @ one)))


# ---------------------------------------------------------------------------- table 1: cost
def table_cost() -> None:
    print("Table 1: construction cost (time, peak Python memory)")
    print(f"{'M':>6} {'s':>3} {'generic':>10} {'peak MB':>8} {'orthonormal (dense)':>20} "
          f"{'peak MB':>8}")
    for M in (1000, 10000):
        for s in (1, 2, 5, 10, 20):
            tracemalloc.start()
            t0 = time.perf_counter()
            gc.generic_cyclic_code(M, s, seed=np.random.default_rng(123))   # not cached
            tg = time.perf_counter() - t0
            pg = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            if M <= 1000 or s in (2, 10):
                tracemalloc.start()
                t0 = time.perf_counter()
                codes.cyclic_repetition(M, s, seed=np.random.default_rng(123),   # not cached
                                        construction="orthonormal")
                to = time.perf_counter() - t0
                po = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
                orth = f"{to:>19.2f}s {po:>8.0f}"
            else:
                orth = f"{'-':>20} {'-':>8}"
            print(f"{M:>6} {s:>3} {tg:>9.2f}s {pg:>8.1f} {orth}", flush=True)
    print()


# ---------------------------------------------------------------------------- table 2: sets
def straggler_sets(M: int, s: int, n: int, rng: np.random.Generator) -> list[np.ndarray]:
    out = [np.arange(s), (M // 2 + np.arange(s)) % M]
    out += [rng.choice(M, size=s, replace=False) for _ in range(n)]
    return out


def seeds_for(M: int) -> range:
    return range(3) if M <= 1000 else range(1)


def table_sets(grid_m: list[int], n_sets: int) -> dict:
    print("Table 2: kappa(B_R) over straggler sets (|R| = M - s), and the distance of 1 from "
          "the row space of M - s - 1 rows (seeds 0-2 pooled for M <= 1000, seed 0 beyond)")
    head = (f"{'M':>6} {'s':>3} {'construction':<12} {'sets':>5} {'median':>9} {'p90':>9} "
            f"{'worst':>9} {'min dist(1)':>11} {'orth/gen':>8} {'time':>6}")
    print(head)
    print("-" * len(head))
    results = {}
    for M in grid_m:
        for s in GRID_S:
            if s >= M:
                continue
            med = {}
            for c in ("generic", "orthonormal", "optimized"):
                if c == "optimized" and M > codes.OPTIMIZED_MAX_M:
                    continue
                t0 = time.perf_counter()
                dense = M <= 300
                ks, ds = [], []
                for seed in seeds_for(M):
                    B = banded(M, s, c, seed)
                    rng = np.random.default_rng(1000 + M + s + seed)
                    for T in straggler_sets(M, s, n_sets, rng):
                        ks.append(kappa(B[np.setdiff1d(np.arange(M), T)], dense))
                    for _ in range(max(2, n_sets // 2)):
                        T = rng.choice(M, size=s + 1, replace=False)
                        ds.append(distance_to_ones(B[np.setdiff1d(np.arange(M), T)], dense))
                ks_a = np.array(ks)
                med[c] = float(np.median(ks_a))
                results[(M, s, c)] = (med[c], float(np.quantile(ks_a, 0.9)), float(ks_a.max()),
                                      float(min(ds)))
                ratio = (f"{med['orthonormal'] / med['generic']:>7.3g}x"
                         if c == "orthonormal" else "")
                print(f"{M:>6} {s:>3} {c:<12} {len(ks):>5} {med[c]:>9.2e} "
                      f"{np.quantile(ks_a, 0.9):>9.2e} {ks_a.max():>9.2e} {min(ds):>11.2e} "
                      f"{ratio:>8} {time.perf_counter() - t0:>5.0f}s", flush=True)
    print()
    print("log-log slope of the median kappa against M (M >= 300): kappa ~ M^slope")
    for c in ("generic", "orthonormal"):
        for s in GRID_S:
            pts = [(M, results[(M, s, c)][0]) for M in grid_m if M >= 300 and (M, s, c) in results]
            if len(pts) >= 2:
                x, y = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
                print(f"  {c:<12} s = {s:>2}: slope {np.polyfit(x, y, 1)[0]:.2f} over "
                      f"M = {', '.join(str(p[0]) for p in pts)}")
    print()
    return results


# ---------------------------------------------------------------------------- table 3: realistic
def erasure_level(M: int, s: int) -> float:
    """q with M (1 - (1 - q)^(s + 1)) = s."""
    return 1.0 - (1.0 - s / M) ** (1.0 / (s + 1))


def effective_kappa(B: scipy.sparse.csr_array, R: np.ndarray, s: int, dense: bool,
                    rng: np.random.Generator) -> float:
    """sigma_1 / sigma_{M-s} of B_R for a set with |R| >= M - s (rank M - s): exact (dense), or
    the kappa of a random (M - s)-row subset, an upper bound (adding rows raises every
    singular value)."""
    M = B.shape[0]
    if dense:
        sv = np.linalg.svd(B[R].toarray(), compute_uv=False)
        return float(sv[0] / sv[M - s - 1])
    return kappa(B[np.sort(rng.choice(R, size=M - s, replace=False))], False)


def table_realistic(grid_m: list[int], n_sets: int) -> None:
    print("Table 3: systems met at realistic erasures p = eps = q (about s clients do not "
          "contribute); seed 0")
    head = (f"{'M':>6} {'s':>3} {'construction':<12} {'q':>8} | {'std: decodable':>14} "
            f"{'med kappa':>9} {'worst':>9} {'min dist(1)':>11} | {'GC+: n':>6} "
            f"{'min kept':>9} {'max dropped':>11} {'min dist(1)':>11}")
    print(head)
    print("-" * len(head))
    for M in grid_m:
        for s in GRID_S:
            if s >= M:
                continue
            q = erasure_level(M, s)
            pi = (1 - q) ** (s + 1)
            for c in ("generic", "orthonormal"):
                B = banded(M, s, c)
                dense = M <= 300
                rng = np.random.default_rng(7 + M + s)
                ks, ds = [], []
                for _ in range(2 * n_sets):
                    R = np.flatnonzero(rng.random(M) < pi)
                    if len(R) >= M - s:
                        ks.append(effective_kappa(B, R, s, dense, rng))
                    elif len(R) >= 1:
                        ds.append(distance_to_ones(B[R], dense))
                gcp = ""
                if M <= 1000:
                    Bd = B.toarray()
                    kept, dropped, dist = [], [], []
                    for _ in range(max(2, n_sets // 3)):
                        u = rng.random(M) >= q
                        tau = (rng.random((M, M)) >= q) | np.eye(M, dtype=bool)
                        a, b, d = rank_gap((Bd * tau)[u])
                        kept.append(a)
                        dropped.append(b)
                        if d > ATOL:
                            dist.append(d)
                    gcp = (f"{len(kept):>6} {min(kept):>9.1e} {max(dropped):>11.1e} "
                           f"{(min(dist) if dist else float('nan')):>11.2e}")
                ks_s = (f"{len(ks):>14} {np.median(ks):>9.2e} {max(ks):>9.2e}" if ks
                        else f"{0:>14} {'-':>9} {'-':>9}")
                print(f"{M:>6} {s:>3} {c:<12} {q:>8.2g} | {ks_s} "
                      f"{(min(ds) if ds else float('nan')):>11.2e} | {gcp}", flush=True)
    print()


# ---------------------------------------------------------------------------- Monte Carlo
def contributing(rng: np.random.Generator, T: int, M: int, s: int, q: float) -> np.ndarray:
    """(T, M) masks: uplink up and all s links up (p = eps = q), the model of ct.simulate."""
    up = rng.random((T, M)) >= q
    links = (rng.random((T, M, s)) >= q).all(axis=2)
    return up & links


def sparse_decode(B: scipy.sparse.csr_array, R: np.ndarray) -> tuple[bool, float]:
    """Float standard decoding without the theorem, by the augmented system
    [[I, A^T], [A, -delta I]] [r; a] = [1; 0] (sparse LU; delta = 1e-14) with up to 12
    refinement steps on the residual 1 - A^T a: this is the regularised least-squares solution
    without forming A A^T, whose condition number (kappa^2, about 1e13 on the worst sets met
    at M = 1000, s = 10) defeats the normal equations (6 wrong decisions in 5000 trials).
    Then the certificate max|a A - 1| <= atol. Returns (full, certificate residual)."""
    M = B.shape[0]
    A = B[np.flatnonzero(R)]
    n = A.shape[0]
    one = np.ones(M)
    K = scipy.sparse.block_array([[scipy.sparse.identity(M), A.T],
                                  [A, -1e-14 * scipy.sparse.identity(n)]]).tocsc()
    lu = spl.splu(K)
    a = np.zeros(n)
    for _ in range(12):
        r = one - A.T @ a
        if np.abs(r).max() <= 1e-13:
            break
        a += lu.solve(np.concatenate((r, np.zeros(n))))[M:]
    res = float(np.abs(A.T @ a - one).max())
    return res <= ATOL, res


def monte_carlo(trials: int, fast_trials: int) -> None:
    M, s = 1000, 10
    q = erasure_level(M, s)
    pi = (1 - q) ** (s + 1)
    exact = float(scipy.stats.binom.cdf(M - s - 1, M, pi))
    code = gc.generic_cyclic_code(M, s, seed=0)
    print(f"Monte Carlo, M = {M}, s = {s}, generic code seed 0, p = eps = {q:.4g} "
          f"(pi = {pi:.6f}); exact outage (threshold family) P[Bin(M, pi) <= {M - s - 1}] = "
          f"{exact:.6f}")
    alpha = 0.01
    for name, n in (("ct.decode.standard", trials), ("sparse float decoder", fast_trials)):
        if n <= 0:
            continue
        rng = np.random.default_rng(2024 if name.startswith("ct") else 2025)
        R = contributing(rng, n, M, s, q)
        t0 = time.perf_counter()
        if name.startswith("ct"):
            B = code.dense()
            full, resid = [], []
            for i in range(0, n, 8):
                res = ct.decode.standard(B, R[i:i + 8])
                full.extend(res.full.tolist())
                for j, r in enumerate(res):
                    if r.full:
                        resid.append(float(np.abs(r.weights @ B - 1.0).max()))
                        assert np.all(r.weights[~R[i + j]] == 0)
            full = np.array(full)
        else:
            Bs = code.sparse()
            out = [sparse_decode(Bs, r) for r in R]
            full = np.array([f for f, _ in out])
            resid = [res for f, res in out if f]
        dt = time.perf_counter() - t0
        predicted = R.sum(axis=1) >= M - s
        outages = int((~full).sum())
        test = scipy.stats.binomtest(outages, n, exact)
        ci = test.proportion_ci(0.99, method="wilson")
        mism = int((full != predicted).sum())
        print(f"  {name:<22} {n:>5} trials in {dt:6.1f}s: outage {outages / n:.4f} "
              f"(99% Wilson CI [{ci.low:.4f}, {ci.high:.4f}]), binomial test p = "
              f"{test.pvalue:.3f} -> {'agrees' if test.pvalue >= alpha else 'REJECTED'} at "
              f"alpha = {alpha}; decisions != (|R| >= M - s): {mism}; boundary trials "
              f"|R| in {{M-s-1, M-s}}: {int(np.isin(R.sum(1), (M - s - 1, M - s)).sum())}; "
              f"max certificate residual {max(resid) if resid else float('nan'):.1e}",
              flush=True)
    print()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="M <= 1000 and fewer sets")
    ap.add_argument("--sets", type=int, default=12, help="sampled sets per row (default 12)")
    ap.add_argument("--mc-trials", type=int, default=200,
                    help="trials of ct.decode.standard at M = 1000 (about 1-3 s each)")
    ap.add_argument("--mc-fast-trials", type=int, default=5000,
                    help="trials of the sparse float decoder at M = 1000")
    ap.add_argument("--no-mc", action="store_true")
    ap.add_argument("--only-mc", action="store_true", help="run the Monte Carlo check only")
    args = ap.parse_args()
    grid = [M for M in GRID_M if not args.quick or M <= 1000]
    n = 4 if args.quick else args.sets
    if not args.only_mc:
        print(f"banded orthonormal vs codes.cyclic_repetition at M = 1000: max |diff| = "
              f"{check_banded_orthonormal():.1e}\n")
        table_cost()
        table_sets(grid, n)
        table_realistic(grid, n)
    if not args.no_mc:
        monte_carlo(args.mc_trials, args.mc_fast_trials)


if __name__ == "__main__":
    main()
