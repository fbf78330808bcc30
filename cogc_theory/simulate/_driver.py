"""The Monte Carlo engine (internal): chunks run in order, accumulated, stopped, reported.

:func:`drive` runs the points of a sweep chunk by chunk through a batch evaluator (which
draws and decodes a batch of chunks at once), accumulates each chunk in chunk order
(:class:`Accumulator`), checks the stop rule after every chunk and turns Ctrl-C into the
statuses ``"interrupted"`` / ``"not run"``. The public faces are
:func:`~cogc_theory.simulate.montecarlo.run_mc`,
:func:`~cogc_theory.simulate.outage_mc.outage` and
:func:`~cogc_theory.simulate.importance.importance_outage`; the seeding and stopping rules are
documented in :mod:`cogc_theory.simulate.montecarlo`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TextIO

import numpy as np

from .._validate import check_int
from ._mc import MAX_CHUNK, check_level, check_trials, chunk_seed
from .estimates import HEADER, FailurePatterns, ImportanceEstimate, MonteCarloResult, OutageEstimate
from .stopping import StopCriterion

__all__ = ["Accumulator", "BatchEvaluator", "check_common", "drive"]


class Accumulator:
    """Running sums of one point, updated chunk by chunk in chunk order."""

    def __init__(self, max_patterns: int, weighted: bool | None = None) -> None:
        self.k = 0
        self.n = 0
        self.chunks = 0
        self.weighted = weighted
        self.has_pat: bool | None = None
        self.mean = 0.0
        self.m2 = 0.0
        self.sum_x2 = 0.0
        self.totals: dict[str, np.ndarray] = {}
        self.max_patterns = max_patterns
        self.rec_trial: list[np.ndarray] = []
        self.rec_chunk: list[np.ndarray] = []
        self.rec_offset: list[np.ndarray] = []
        self.rec_pat: list[np.ndarray] = []
        self.rec_w: list[np.ndarray] = []
        self.n_rec = 0

    def add(self, out: dict[str, Any], chunk: int, chunk_size: int) -> None:
        fail, w, pat, extras = out["failures"], out["weights"], out["patterns"], out["extras"]
        nb = fail.shape[0]
        if self.weighted is None:
            self.weighted = w is not None
        if self.has_pat is None:
            self.has_pat = pat is not None
        if self.weighted != (w is not None) or self.has_pat != (pat is not None):
            raise ValueError("the callable must return the same keys ('weights', 'patterns') "
                             "in every chunk")
        self.k += int(np.count_nonzero(fail))
        if self.weighted and nb:
            x = np.where(fail, w, 0.0)
            mb = float(x.mean())
            m2b = float(np.sum((x - mb) ** 2))
            n = self.n + nb
            delta = mb - self.mean
            self.mean += delta * nb / n
            self.m2 += m2b + delta * delta * self.n * nb / n
            self.sum_x2 += float(np.sum(x * x))
        self.n += nb
        self.chunks += 1
        for name, arr in extras.items():
            s = np.asarray(arr, dtype=float).sum(axis=0)
            if name in self.totals:
                self.totals[name] = self.totals[name] + s
            else:
                self.totals[name] = s
        if self.n_rec < self.max_patterns:
            idx = np.flatnonzero(fail)[: self.max_patterns - self.n_rec]
            if idx.size:
                self.rec_offset.append(idx.astype(np.int64))
                self.rec_chunk.append(np.full(idx.size, chunk, dtype=np.int64))
                self.rec_trial.append(chunk * chunk_size + idx.astype(np.int64))
                if pat is not None:
                    self.rec_pat.append(np.asarray(pat)[idx])
                if w is not None:
                    self.rec_w.append(np.asarray(w, dtype=float)[idx])
                self.n_rec += idx.size

    def patterns(self) -> FailurePatterns:
        if not self.n_rec:
            return FailurePatterns.empty()
        return FailurePatterns(
            trial=np.concatenate(self.rec_trial), chunk=np.concatenate(self.rec_chunk),
            offset=np.concatenate(self.rec_offset),
            patterns=np.concatenate(self.rec_pat) if self.rec_pat else None,
            weights=np.concatenate(self.rec_w) if self.rec_w else None)

    def snapshot(self, status: str, elapsed: float, point: Any, info: dict[str, Any],
                 patterns: bool = False) -> OutageEstimate:
        common = dict(failures=self.k, trials=self.n, status=status, chunks=self.chunks,
                      time=elapsed, point=point,
                      failure_patterns=self.patterns() if patterns else FailurePatterns.empty(),
                      totals=dict(self.totals), **info)
        if self.weighted:
            return ImportanceEstimate(**common, mean_x=self.mean, m2=self.m2,
                                      sum_x2=self.sum_x2)
        return OutageEstimate(**common)


def _normalise(out: Any, n: int, chunk: int) -> dict[str, Any]:
    """Check the callable's output for one chunk of ``n`` trials."""
    where = f"the callable's output for chunk {chunk} (n={n})"
    if isinstance(out, dict):
        if "failures" not in out:
            raise ValueError(f"{where} is a dict without the key 'failures' (bool (n,))")
        rest = {k: v for k, v in out.items() if k not in ("failures", "weights", "patterns")}
        fail, w, pat = out["failures"], out.get("weights"), out.get("patterns")
    else:
        fail, w, pat, rest = out, None, None, {}
    fail = np.asarray(fail)
    if fail.dtype != bool:
        if fail.dtype.kind not in "iu" or not np.all((fail == 0) | (fail == 1)):
            raise TypeError(f"{where}: failures must be a boolean array (n,), got dtype "
                            f"{fail.dtype}")
        fail = fail.astype(bool)
    if fail.shape != (n,):
        raise ValueError(f"{where}: failures must have shape ({n},), got {fail.shape}")
    if w is not None:
        w = np.asarray(w, dtype=float)
        if w.shape != (n,):
            raise ValueError(f"{where}: weights must have shape ({n},), got {w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError(f"{where}: weights must be finite and non-negative")
    if pat is not None:
        pat = np.asarray(pat)
        if pat.ndim < 1 or pat.shape[0] != n:
            raise ValueError(f"{where}: patterns must have leading axis {n}, got {pat.shape}")
    extras = {}
    for name, arr in rest.items():
        a = np.asarray(arr)
        if a.ndim < 1 or a.shape[0] != n or a.dtype.kind not in "biuf":
            raise ValueError(f"{where}: extra output {name!r} must be a numeric array with "
                             f"leading axis {n}, got {a.dtype} {a.shape}")
        if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            raise ValueError(f"{where}: extra output {name!r} has non-finite values (NaN or "
                             f"inf); its running total would be meaningless")
        extras[name] = a
    return {"failures": fail, "weights": w, "patterns": pat, "extras": extras}



#: ``evaluate(point, point_index, chunks)`` with ``chunks`` a list of ``(chunk_index, n,
#: seed_sequence)``; yields one raw output per chunk, in order.
BatchEvaluator = Callable[[Any, int, list[tuple[int, int, np.random.SeedSequence]]],
                          Iterable[Any]]


def drive(evaluate: BatchEvaluator, points: Sequence[Any], *, seed: np.random.SeedSequence,
          chunk: int, max_trials: int, stop: StopCriterion, skip_after_zero: bool,
          max_patterns: int, batch_size: int, verbose: bool, stream: TextIO | None,
          extra_info: dict[str, Any] | None = None, weighted: bool | None = None,
          display: tuple[float, str | None] = (0.95, None),
          progress: Callable[[OutageEstimate], None] | None = None) -> MonteCarloResult:
    """Run every point in order (chunks seeded by :func:`chunk_seed` ``(seed, j, i)``) until
    ``stop`` fires or Ctrl-C; one estimate per point. ``extra_info`` is stored on each
    estimate, ``weighted`` forces (or, if None, detects) importance weights, ``display`` is the
    ``(level, method)`` of the verbose rows, ``progress`` is called with the running estimate
    (status ``"running"``) after every batch of chunks."""
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be a callable taking the running estimate, got "
                        f"{type(progress).__name__}")
    stream = sys.stderr if stream is None else stream
    if verbose and not callable(getattr(stream, "write", None)):
        raise TypeError(f"stream must be a text stream with a write() method (default "
                        f"sys.stderr), got {type(stream).__name__}")
    out: list[OutageEstimate] = []
    interrupted = skipping = False
    if verbose:
        print(HEADER, file=stream, flush=True)
    for j, point in enumerate(points):
        info = {"point_index": j, "chunk_size": chunk, "max_trials": max_trials, "seed": seed}
        if extra_info is not None:
            info.update(extra_info)
        acc = Accumulator(max_patterns, weighted)
        if interrupted or skipping:
            est = acc.snapshot("not run" if interrupted else "skipped", 0.0, point, info)
        else:
            t0 = time.perf_counter()
            status = _run_point(evaluate, point, j, acc, info, seed=seed, chunk=chunk,
                                max_trials=max_trials, stop=stop, batch_size=batch_size,
                                progress=progress, t0=t0)
            interrupted = status == "interrupted"
            skipping = skip_after_zero and status == "no failures"
            est = acc.snapshot(status, time.perf_counter() - t0, point, info, patterns=True)
        out.append(est)
        if verbose:
            print(est.row(*display), file=stream, flush=True)
    return MonteCarloResult(tuple(out), tuple(points), interrupted, seed, chunk)


def _run_point(evaluate: BatchEvaluator, point: Any, j: int, acc: Accumulator,
               info: dict[str, Any], *, seed: np.random.SeedSequence, chunk: int,
               max_trials: int, stop: StopCriterion, batch_size: int,
               progress: Callable[[OutageEstimate], None] | None, t0: float) -> str:
    """Run point ``j``'s chunks in batches into ``acc`` until ``stop`` fires; its status."""
    n_chunks = -(-max_trials // chunk)
    status = None
    i = 0
    try:
        while status is None and i < n_chunks:
            todo = [(c, min(chunk, max_trials - c * chunk), chunk_seed(seed, j, c))
                    for c in range(i, min(i + batch_size, n_chunks))]
            results = iter(evaluate(point, j, todo))
            try:
                for c, n, _ in todo:
                    acc.add(_normalise(next(results), n, c), c, chunk)
                    status = stop.reason(acc.snapshot("", 0.0, point, info))
                    if status is not None:
                        break
            finally:
                close = getattr(results, "close", None)
                if close is not None:
                    close()
            i += batch_size
            if progress is not None and status is None:
                progress(acc.snapshot("running", time.perf_counter() - t0, point, info))
    except KeyboardInterrupt:
        return "interrupted"
    if status is None or (status == "max trials" and acc.k == 0):
        status = "no failures" if acc.k == 0 else "max trials"
    return status


def check_common(chunk: Any, max_trials: Any, batch_size: Any, max_patterns: Any,
                 level: Any) -> tuple[int, int, int, int, float]:
    """The driver's common arguments, checked: ``(chunk, max_trials, batch_size,
    max_patterns, level)``."""
    return (check_int(chunk, "chunk", lo=1, hi=MAX_CHUNK),
            check_trials(max_trials, "max_trials"),
            check_int(batch_size, "batch_size", lo=1),
            check_int(max_patterns, "max_patterns", lo=0), check_level(level))

