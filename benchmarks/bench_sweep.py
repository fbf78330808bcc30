"""Sweep engine overhead and local scaling, measured against plain loops in the same run.

Run: ``python benchmarks/bench_sweep.py [--units 300] [--busy-units 24] [--repeats 3]``

1. Overhead per unit: a trivial task through ``run_sweep(n_workers=1)`` (hash, seed, atomic
   write with fsync, manifest, reduce) against calling ``task.run`` in a loop.
2. Scaling: a CPU-bound task (a fixed amount of numpy work per unit) with ``n_workers=1`` and
   ``n_workers=2`` against a plain loop; ideal speed-up with 2 workers is 2x on 2 idle cores
   (the loop and ``n_workers=1`` let BLAS use every core, worker processes get
   ``cores // n_workers`` threads each).
3. Resume: rerunning a finished sweep (nothing to compute) — the cost of checking what is done.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time

import numpy as np

from cogc_theory.sweep import run_sweep


@dataclasses.dataclass(frozen=True)
class Trivial:
    name: str = "trivial"

    def chunks(self, point):
        return 1

    def run(self, point, chunk, seed_sequence):
        return {"x": float(np.random.default_rng(seed_sequence).random())}

    def reduce(self, point, chunk_results):
        return dict(chunk_results[0])


@dataclasses.dataclass(frozen=True)
class Busy:
    size: int = 200
    reps: int = 10
    name: str = "busy"

    def chunks(self, point):
        return 1

    def run(self, point, chunk, seed_sequence):
        rng = np.random.default_rng(seed_sequence)
        a = rng.random((self.size, self.size))
        s = 0.0
        for _ in range(self.reps):
            s += float(np.linalg.svd(a, compute_uv=False)[0])
        return {"s": s}

    def reduce(self, point, chunk_results):
        return dict(chunk_results[0])


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def best_of(repeats, make):
    """Minimum time over ``repeats`` runs (the machine is shared: the minimum is the signal)."""
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as d:
            times.append(timed(lambda d=d: make(d)))
    return min(times)


def loop(task, n):
    for i in range(n):
        task.run({"i": i}, 0, np.random.SeedSequence(i))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=300)
    ap.add_argument("--busy-units", type=int, default=24)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    grid = {"i": list(range(args.units))}

    t_loop = best_of(args.repeats, lambda d: loop(Trivial(), args.units))
    t_sweep = best_of(args.repeats, lambda d: run_sweep(Trivial(), grid, d, n_workers=1))
    with tempfile.TemporaryDirectory() as d:
        run_sweep(Trivial(), grid, d, n_workers=1)
        t_resume = timed(lambda: run_sweep(Trivial(), grid, d, n_workers=1))
    per_unit = (t_sweep - t_loop) / args.units * 1e3
    print(f"overhead: {args.units} trivial units: loop {t_loop:.3f} s, sweep {t_sweep:.3f} s "
          f"-> {per_unit:.2f} ms per unit; resume of the finished sweep {t_resume:.3f} s")

    busy = Busy()
    n = args.busy_units
    bgrid = {"i": list(range(n))}
    r = args.repeats
    t_ref = best_of(r, lambda d: loop(busy, n))
    t1 = best_of(r, lambda d: run_sweep(busy, bgrid, d, n_workers=1))
    t2 = best_of(r, lambda d: run_sweep(busy, bgrid, d, n_workers=2))
    print(f"scaling (best of {r}): {n} busy units ({t_ref / n * 1e3:.0f} ms each): "
          f"loop {t_ref:.2f} s, 1 worker {t1:.2f} s (x{t_ref / t1:.2f} of loop), "
          f"2 workers {t2:.2f} s (x{t_ref / t2:.2f} of loop, x{t1 / t2:.2f} of 1 worker)")

if __name__ == "__main__":
    main()
