"""Throughput of ``simulate.outage`` and the reach of importance sampling, in the same run.

Setting (issue 4): M = 10 clients, cyclic-repetition B with s = 2, uplink and link erasure
p = eps in {0.1, 0.01}, independent links.

1. Trials per second of the Monte Carlo outage estimator (``montecarlo.outage``: chunked,
   per-chunk seeds, one batched decode per batch of chunks) for the standard and GC+ decoders,
   against a plain per-trial Python loop in the same run (draw the channels of one round,
   build the effective matrix, decide ``1 in rowspace`` by two ``matrix_rank`` calls). The
   ratio is the speed-up. GC+ is reported "cold" (first call: the decoder's cache is empty)
   and "warm".
2. Importance sampling at P_out ~ 1e-9 (p = eps = 7e-5): wall time to +-10% (95% interval),
   pilot included, against the time plain Monte Carlo would need for the same precision,
   (1.96 / 0.1)^2 (1 - P) / P trials at the plain estimator's measured rate.

Run:  python benchmarks/bench_montecarlo.py            (about half a minute)
      python benchmarks/bench_montecarlo.py --quick    (smaller runs)
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import cogc_theory as ct
from cogc_theory import decode
from cogc_theory.simulate.importance import importance_outage
from cogc_theory.simulate.montecarlo import outage


def reference_loop(net: ct.CooperativeNetwork, decoder: str, trials: int,
                   seed: int) -> tuple[int, float]:
    """(failures, seconds) of a plain per-trial loop: one round drawn and decided at a time."""
    rng = np.random.default_rng(seed)
    B = np.asarray(net.B, dtype=float)
    p, eps = net.numeric()
    used = np.asarray(net.link_used)
    M = B.shape[0]
    ones = np.ones((1, M))
    fails = 0
    t0 = time.perf_counter()
    for _ in range(trials):
        u = rng.random(M) >= p
        tau = (rng.random((M, M)) >= eps) | ~used
        if decoder == "standard":
            rows = B[u & tau.all(axis=1)]
        else:
            rows = (B * tau)[u]
        if rows.shape[0] == 0:
            fails += 1
            continue
        r = np.linalg.matrix_rank(rows)
        fails += np.linalg.matrix_rank(np.vstack([rows, ones])) != r
    return fails, time.perf_counter() - t0


def timed_outage(net: ct.CooperativeNetwork, decoder: str, trials: int, seed: int,
                 **kw) -> tuple[int, float]:
    t0 = time.perf_counter()
    est = outage(net, decoder, trials=trials, seed=seed, **kw)
    return est.failures, time.perf_counter() - t0


def throughput(trials: int, ref_trials: int) -> list[tuple]:
    rows = []
    for q in (0.1, 0.01):
        net = ct.CooperativeNetwork.cyclic(10, 2, uplink_erasure=q, link_erasure=q)
        for decoder in ("standard", "gcplus"):
            decode.clear_cache()
            k_ref, t_ref = reference_loop(net, decoder, ref_trials, seed=1)
            ref_rate = ref_trials / t_ref
            _, t_cold = timed_outage(net, decoder, trials, seed=2)
            k, t_warm = timed_outage(net, decoder, trials, seed=3)
            rows.append((q, decoder, ref_rate, trials / t_cold, trials / t_warm,
                         trials / t_warm / ref_rate, k / trials, k_ref / ref_trials))
    return rows


def rare(plain_rate: dict[str, float]) -> list[tuple]:
    net = ct.CooperativeNetwork.cyclic(10, 2, uplink_erasure=7e-5, link_erasure=7e-5)
    rows = []
    for decoder, exact in (("standard", ct.outage.cogc(net)), ("gcplus", None)):
        decode.clear_cache()
        t0 = time.perf_counter()
        est = importance_outage(net, decoder, seed=0, rel_error=0.1, max_trials=10**7)
        dt = time.perf_counter() - t0
        P = est.estimate
        need = (1.96 / 0.1) ** 2 * (1 - P) / P
        rows.append((decoder, P, exact, est.rel_error(), est.trials + est.pilot_trials, dt,
                     need, need / plain_rate[decoder], need / plain_rate[decoder] / dt))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller runs")
    args = ap.parse_args()
    trials, ref_trials = (100_000, 1_000) if args.quick else (1_000_000, 5_000)

    print(f"1. simulate.outage throughput, M=10 s=2, {trials} trials "
          f"(reference loop: {ref_trials} trials)")
    head = (f"{'p=eps':>6} | {'decoder':>8} | {'loop tr/s':>10} | {'cold tr/s':>10} | "
            f"{'warm tr/s':>10} | {'speed-up':>8} | {'P_out (MC)':>10} | {'P_out (loop)':>12}")
    print(head)
    print("-" * len(head))
    plain = {}
    for q, dec, r_ref, r_cold, r_warm, ratio, est, est_ref in throughput(trials, ref_trials):
        print(f"{q:>6} | {dec:>8} | {r_ref:>10.3g} | {r_cold:>10.3g} | {r_warm:>10.3g} | "
              f"{ratio:>7.0f}x | {est:>10.4g} | {est_ref:>12.4g}")
        if q == 0.01:
            plain[dec] = r_warm
    print()
    print("2. importance sampling to +-10% (95%) at P_out ~ 1e-9, M=10 s=2, p=eps=7e-5")
    head = (f"{'decoder':>8} | {'estimate':>10} | {'exact':>10} | {'rel.err':>7} | "
            f"{'rounds':>8} | {'time':>7} | {'plain MC rounds':>15} | {'plain MC time':>13} | "
            f"{'gain':>8}")
    print(head)
    print("-" * len(head))
    for dec, P, exact, rel, rounds, dt, need, t_plain, gain in rare(plain):
        ex = "-" if exact is None else f"{exact:.4g}"
        print(f"{dec:>8} | {P:>10.4g} | {ex:>10} | {rel:>7.3f} | {rounds:>8d} | {dt:>6.2f}s | "
              f"{need:>15.3g} | {t_plain / 3600:>12.3g}h | {gain:>7.2g}x")
    print("\nplain MC time = plain MC rounds / the warm standard/GC+ rate at p=eps=0.01 above")


if __name__ == "__main__":
    main()
