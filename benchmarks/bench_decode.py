"""Throughput of the batched decoders against plain per-trial loops, in the same run.

Setting (issue 2, item 6): M = 10 clients, cyclic-repetition B with s = 2, uplink erasure
p = 0.1, client-link erasure eps in {0.1, 0.2, 0.3}, independent draws per trial.

For each eps it reports trials per second of

* ``decode.standard`` batched (T = 1e6 trials; the outcome is keyed by the received mask and
  looked up in a per-B table), against a plain loop that solves ``lstsq`` per trial;
* ``decode.gcplus`` batched (T = 1e5 trials, each rule), with an empty cache ("cold") and on a
  fresh batch after that ("warm"), against a plain per-trial loop for the same rule
  (max-subset: SVD kernel and an ``itertools`` subset search; individual: SVD kernel;
  least-squares: ``lstsq``), and the one-round API called in a loop;
* for every rule (all go through the Gram–Schmidt engine first, the SVD engine only for the
  matrices it cannot settle), the same cold batch through the SVD engine alone (the batched
  path before that engine; for max-subset the SVD kernel plus its subset enumeration).

Times are the best of ``--repeats`` runs (cold runs clear the cache first; warm runs draw a
fresh batch each time); the slow max-subset loops (reference and one-round API) run once. Each
reference also checks that
its answers equal the batched ones on the trials it ran, and the SVD-only run that the two
engines recover the same sets. A summary of the batched-vs-loop ratios and of the
Gram–Schmidt-vs-SVD-only speed-ups ends the run.

Run:  python benchmarks/bench_decode.py            (about two minutes)
      python benchmarks/bench_decode.py --quick    (smaller batches)
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

from cogc_theory import decode
from cogc_theory.decode import _float


def cyclic_B(M: int, s: int, seed: int = 0) -> np.ndarray:
    """The package's cyclic-repetition code if available, else a local null-space construction."""
    try:
        from cogc_theory import codes  # type: ignore[attr-defined]

        return np.asarray(codes.cyclic_repetition(M, s, seed=seed), dtype=float)
    except (ImportError, AttributeError):
        pass
    rng = np.random.default_rng(seed)
    H = rng.standard_normal((s, M))
    H[:, -1] = -H[:, :-1].sum(axis=1)          # H 1 = 0
    B = np.zeros((M, M))
    for m in range(M):
        S = [(m + j) % M for j in range(s + 1)]
        v = np.linalg.svd(H[:, S])[2][-1]       # kernel of H on the row's support
        B[m, S] = v / v[0]
    return B


def draw(B: np.ndarray, T: int, p: float, eps: float, rng: np.random.Generator):
    M = B.shape[0]
    used = (B != 0) & ~np.eye(M, dtype=bool)
    tau = (rng.random((T, M, M)) >= eps) | ~used
    arrived = rng.random((T, M)) >= p
    received = arrived & tau.all(axis=2)
    return tau, arrived, received


# ----------------------------------------------------------------------------- references
def ref_standard(B: np.ndarray, received: np.ndarray, atol: float = 1e-8) -> bool:
    A = B[received]
    if A.shape[0] == 0:
        return False
    a = np.linalg.lstsq(A.T, np.ones(B.shape[0]), rcond=None)[0]
    return bool(np.abs(a @ A - 1.0).max() <= atol)


def ref_gcplus(Bt: np.ndarray, arrived: np.ndarray, rtol: float = 1e-10,
               atol: float = 1e-8) -> np.ndarray:
    """Max-subset K by a straightforward per-trial computation (the loop reference)."""
    M = Bt.shape[0]
    A = Bt * arrived[:, None]
    S, Vh = np.linalg.svd(A)[1:]
    r = int((S > rtol * S[0]).sum()) if S[0] > 0 else 0
    N = Vh[r:].T
    if np.linalg.norm(N.sum(axis=0)) <= atol:
        return np.ones(M, dtype=bool)
    K = np.linalg.norm(N, axis=1) <= atol
    cand = [k for k in range(M) if not K[k] and np.any(A[:, k] != 0)]
    for size in range(len(cand), 0, -1):
        for sub in itertools.combinations(cand, size):   # lexicographic: the documented tie rule
            if np.linalg.norm(N[list(sub)].sum(axis=0)) <= atol:
                K[list(sub)] = True
                return K
    return K


def ref_individual(Bt: np.ndarray, arrived: np.ndarray, rtol: float = 1e-10,
                   atol: float = 1e-8) -> np.ndarray:
    """Individual-rule K per trial: SVD kernel, full check, zero kernel rows."""
    A = Bt * arrived[:, None]
    S, Vh = np.linalg.svd(A)[1:]
    r = int((S > rtol * S[0]).sum()) if S[0] > 0 else 0
    N = Vh[r:].T
    if np.linalg.norm(N.sum(axis=0)) <= atol:
        return np.ones(Bt.shape[0], dtype=bool)
    return np.linalg.norm(N, axis=1) <= atol


def ref_least_squares(Bt: np.ndarray, arrived: np.ndarray) -> np.ndarray:
    """Least-squares target per trial: projection of 1 with lstsq."""
    A = Bt[arrived]
    if A.shape[0] == 0:
        return np.zeros(Bt.shape[0])
    a = np.linalg.lstsq(A.T, np.ones(Bt.shape[0]), rcond=1e-10)[0]
    return a @ A


EPS = (0.1, 0.2, 0.3)
REFERENCES = {"max-subset": ref_gcplus, "individual": ref_individual,
              "least-squares": ref_least_squares}


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def best_of(repeats, fn, *args, before=None, **kwargs):
    """(output, fastest wall time) of ``repeats`` runs; ``before()`` runs untimed before each."""
    best, out = float("inf"), None
    for _ in range(repeats):
        if before is not None:
            before()
        out, dt = timed(fn, *args, **kwargs)
        best = min(best, dt)
    return out, best


def loop(fn, *arrays, **kwargs):
    return [fn(*(a[i] for a in arrays), **kwargs) for i in range(len(arrays[0]))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller batches")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3,
                    help="timed repeats per row (best kept; 1 for the slow max-subset loop)")
    args = ap.parse_args()
    M, s, p = 10, 2, 0.1
    T_std = 200_000 if args.quick else 1_000_000
    T_gc = 20_000 if args.quick else 100_000
    T_ref = 300 if args.quick else 1_000
    B = cyclic_B(M, s)
    rng = np.random.default_rng(args.seed)
    print(f"M={M}, s={s}, p={p}; B: {'codes' if _has_codes() else 'local'} cyclic construction")
    print(f"{'decoder':<30}{'eps':>5}{'trials':>9}{'trials/s':>11}{'vs loop':>9}  note")

    def row(name, eps, T, dt, ref_rate=None, note=""):
        r = T / dt
        ratio = f"{r / ref_rate:8.1f}x" if ref_rate else " " * 9
        print(f"{name:<30}{eps:>5}{T:>9}{r:>11.3g}{ratio}  {note}")
        return r

    ratios = {}
    for eps in EPS:
        decode.clear_cache()
        # -- standard: loop reference, then batched cold (empty cache) and warm (fresh draws)
        rec_ref = draw(B, T_ref, p, eps, rng)[2]
        ref_out, dt = timed(loop, lambda x: ref_standard(B, x), rec_ref)
        assert ref_out == decode.standard(B, rec_ref).full.tolist(), "standard mismatch"
        ref_rate = row("standard: loop (lstsq)", eps, T_ref, dt, note="reference")
        decode.clear_cache()
        rec = draw(B, T_std, p, eps, rng)[2]
        row("standard: batched, cold", eps, T_std, timed(decode.standard, B, rec)[1], ref_rate)
        rec = draw(B, T_std, p, eps, rng)[2]
        row("standard: batched, warm", eps, T_std, timed(decode.standard, B, rec)[1], ref_rate)
        # -- GC+
        tau_r, arr_r, _ = draw(B, T_ref, p, eps, rng)
        Bt_r = np.where(tau_r, B, 0.0)
        for rule in decode.RULES:
            reps = 1 if rule == "max-subset" else args.repeats      # its loop is slow
            ref_out, dt = best_of(reps, loop, REFERENCES[rule], Bt_r, arr_r)
            ref_rate = row(f"gcplus {rule}: loop", eps, T_ref, dt,
                           note=f"reference (best of {reps})")
            got = decode.gcplus(Bt_r, arr_r, rule=rule)
            want = np.array(ref_out)
            if rule == "least-squares":
                assert np.allclose(got.target, want, atol=1e-7), "least-squares mismatch"
            else:
                assert np.array_equal(got.recovered, want), f"{rule} mismatch"
            _, dt = best_of(reps, loop, lambda a, b, rule=rule: decode.gcplus(a, b, rule=rule),
                            Bt_r, arr_r, before=decode.clear_cache)
            row(f"gcplus {rule}: one-round API", eps, T_ref, dt, ref_rate)
            tau, arr, _ = draw(B, T_gc, p, eps, rng)
            Bt = np.where(tau, B, 0.0)
            reps = args.repeats                                         # batched: fast enough
            res, dt = best_of(reps, decode.gcplus, Bt, arr, rule=rule, before=decode.clear_cache)
            ratios[(rule, eps, "cold")] = row(f"gcplus {rule}: batched, cold", eps, T_gc, dt,
                                              ref_rate) / ref_rate
            # the same batch through the SVD engine alone (the engine before Gram-Schmidt)
            fast = _float.FAST_RULES
            _float.FAST_RULES = ()
            try:
                svd, dt = best_of(reps, decode.gcplus, Bt, arr, rule=rule,
                                  before=decode.clear_cache)
            finally:
                _float.FAST_RULES = fast
                decode.clear_cache()
            assert np.array_equal(svd.recovered, res.recovered), f"{rule}: engines differ"
            ratios[(rule, eps, "svd")] = row(f"gcplus {rule}: batched, SVD only", eps, T_gc,
                                             dt, ref_rate,
                                             "cold; Gram-Schmidt engine off") / ref_rate
            decode.gcplus(Bt, arr, rule=rule)                          # warm the cache again
            dts = []
            for _ in range(reps):                                       # fresh draws each time
                tau, arr, _ = draw(B, T_gc, p, eps, rng)
                Bt = np.where(tau, B, 0.0)
                res, dt = timed(decode.gcplus, Bt, arr, rule=rule)
                dts.append(dt)
            keys = len(np.unique(np.packbits((Bt != 0) & arr[:, :, None], axis=1)
                                 .reshape(T_gc, -1), axis=0))
            ratios[(rule, eps, "warm")] = row(
                f"gcplus {rule}: batched, warm", eps, T_gc, min(dts), ref_rate,
                f"fresh draws; {keys} distinct A; full {res.full.mean():.3f}") / ref_rate
    print("\nbatched vs per-trial loop (target >= 30x):")
    for rule in decode.RULES:
        cells = ", ".join(f"eps={eps}: {ratios[(rule, eps, 'cold')]:.1f}x cold / "
                          f"{ratios[(rule, eps, 'warm')]:.1f}x warm" for eps in EPS)
        print(f"  gcplus {rule}: {cells}")
    print("cold batch, Gram-Schmidt engine vs SVD engine alone:")
    for rule in decode.RULES:
        cells = ", ".join(f"eps={eps}: "
                          f"{ratios[(rule, eps, 'cold')] / ratios[(rule, eps, 'svd')]:.2f}x"
                          for eps in EPS)
        print(f"  gcplus {rule}: {cells}")


def _has_codes() -> bool:
    try:
        from cogc_theory import codes  # type: ignore[attr-defined]  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
