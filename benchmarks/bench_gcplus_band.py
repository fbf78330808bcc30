"""Max-subset GC+ at any M (``decode._band_subset``) and the ring outage automaton
(``outage._ring``).

Part 1 — decoding. Cyclic code (``construction="orthonormal"``), uplink erasure 2/M and
client-link erasure 1/M (a few events per ring, so that partial recoveries are common),
distinct random patterns. For each (M, s) it reports the time per trial of

* ``decode.banded_max_subset`` on a batch (exact max-subset for generic codes, certified),
* the reference: a plain per-trial numpy loop doing one dense SVD of the received rows and one
  ``lstsq`` (the cost of a single membership test, the floor of any SVD-based decoder),
* ``ct.decode.gcplus(rule="max-subset")`` (enumerates 2**r subsets; refused beyond 16
  candidates — printed as "refused"; not attempted for M > 30, where it always refuses),

and the ratio band / reference, then the log-log slope of the band decoder against M.

Part 2 — outage. ``outage._ring.ring_outage`` (float, heterogeneous erasures) for s = 1, 2 and
M up to 3,000, against exact enumeration (``ct.outage.gcplus``) where it runs (M <= 9), with
the relative difference.

Run:  python benchmarks/bench_gcplus_band.py           (a few minutes on 2 cores)
      python benchmarks/bench_gcplus_band.py --quick   (M <= 300)
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import cogc_theory as ct
from cogc_theory.decode._band_subset import banded_max_subset
from cogc_theory.outage._ring import ring_outage


def draw(B: np.ndarray, T: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    M = B.shape[0]
    arrived = rng.random((T, M)) >= 2.0 / M
    tau = rng.random((T, M, M)) >= 1.0 / M
    return B[None] * tau, arrived


def reference(Bt: np.ndarray, arrived: np.ndarray) -> float:
    """Seconds per trial of one dense SVD + one lstsq of the received rows."""
    t0 = time.perf_counter()
    M = Bt.shape[-1]
    for t in range(Bt.shape[0]):
        A = Bt[t][arrived[t]]
        np.linalg.svd(A)
        np.linalg.lstsq(A.T, np.ones(M), rcond=None)
    return (time.perf_counter() - t0) / Bt.shape[0]


def bench_decode(Ms: list[int], ss: list[int]) -> None:
    print("part 1: max-subset decoding, seconds per trial")
    print(f"{'M':>5} {'s':>2} {'T':>5} {'band':>10} {'SVD+lstsq':>10} {'ratio':>7} "
          f"{'decode.gcplus':>14} {'mean|K|':>8} {'full':>5}")
    rng = np.random.default_rng(0)
    slopes: dict[int, list[tuple[int, float]]] = {s: [] for s in ss}
    for s in ss:
        for M in Ms:
            T = max(3, min(400, 4_000 // M))
            B = ct.codes.cyclic_repetition(M, s, seed=0, construction="orthonormal")
            Bt, U = draw(B, T, rng)
            t0 = time.perf_counter()
            r = banded_max_subset(B, Bt, U)
            band = (time.perf_counter() - t0) / T
            ref = reference(Bt[:min(T, 20)], U[:min(T, 20)])
            try:
                if M > 30:                 # more than max_candidates: refused after the SVD
                    raise ValueError("skipped")
                ct.decode.clear_cache()
                t0 = time.perf_counter()
                old = ct.decode.gcplus(Bt, U, rule="max-subset")
                dec = f"{(time.perf_counter() - t0) / T:14.2e}"
                assert np.array_equal(old.recovered, r.recovered)
            except ValueError:
                dec = f"{'refused':>14}"
            slopes[s].append((M, band))
            print(f"{M:5d} {s:2d} {T:5d} {band:10.2e} {ref:10.2e} {band / ref:7.2f} {dec} "
                  f"{r.size.mean():8.1f} {r.full.mean():5.2f}", flush=True)
    for s, pts in slopes.items():
        big = [(m, t) for m, t in pts if m >= 100]
        if len(big) >= 2:
            x, y = np.log([m for m, _ in big]), np.log([t for _, t in big])
            print(f"  s={s}: log-log slope of the band decoder for M >= 100: "
                  f"{np.polyfit(x, y, 1)[0]:.2f}")


def bench_outage(Ms: list[int]) -> None:
    print("part 2: exact GC+ outage of the generic cyclic code by the automaton")
    print(f"{'M':>6} {'s':>2} {'P_out':>12} {'seconds':>9} {'enumeration':>12} {'rel.diff':>9}")
    rng = np.random.default_rng(1)
    for s in (1, 2):
        for M in Ms:
            p = rng.uniform(0.001, 0.02, M)
            eps = rng.uniform(0.001, 0.02, (M, M))
            kw = {"construction": "orthonormal"} if M > 100 else {}
            net = ct.CooperativeNetwork.cyclic(M, s, uplink_erasure=p, link_erasure=eps, **kw)
            t0 = time.perf_counter()
            out = ring_outage(net)
            dt = time.perf_counter() - t0
            if M <= 9:
                t1 = time.perf_counter()
                ref = ct.outage.gcplus(net, route="enumeration")
                enum = f"{time.perf_counter() - t1:11.2f}s"
                rel = f"{abs(out - ref) / ref:9.1e}"
            else:
                enum, rel = f"{'refused':>12}" if M > 11 else f"{'(slow)':>12}", f"{'':>9}"
            print(f"{M:6d} {s:2d} {out:12.5e} {dt:9.4f} {enum} {rel}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    Ms = [10, 30, 100, 300] if args.quick else [10, 30, 100, 300, 1000]
    bench_decode(Ms, [1, 2, 3])
    bench_outage([6, 9, 30, 100, 1000] + ([] if args.quick else [3000]))


if __name__ == "__main__":
    main()
