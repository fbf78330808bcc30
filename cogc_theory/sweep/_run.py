r"""Running a sweep (internal; re-exported by :mod:`cogc_theory.sweep`): plan, resume, write.

See :mod:`cogc_theory.sweep` for the seeding rule, the files and the backends.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .._validate import check_int
from ._backends import check_backend, make_backend
from ._grid import dumps, expand_grid, jsonable, point_key
from ._store import (
    FORMAT,
    acquire_lock,
    atomic_write,
    check_dir,
    frame,
    load_results,
    make_row,
    point_path,
    prepare_dir,
    read_record,
    unit_path,
)
from ._tasks import check_task, task_params

__all__ = ["MAX_UNITS", "SweepPlan", "SweepProgress", "SweepResult", "plan_sweep", "run_sweep"]

#: Most units (``(point, chunk)`` pairs, one file each) a sweep may plan; checked up front.
MAX_UNITS = 1_000_000


def _run_unit(task: Any, point: dict[str, Any], key: str, chunk: int, seed: int) -> str:
    """Compute one unit and return the text of its file (runs on a worker)."""
    ss = np.random.SeedSequence(entropy=seed, spawn_key=(int(key, 16), chunk))
    result = task.run(dict(point), chunk, ss)
    if not isinstance(result, Mapping):
        raise TypeError(f"task {task.name!r}: run() must return a dict, got {type(result)}")
    result = jsonable(result, f"task {task.name!r} result")
    return dumps({"chunk": chunk, "key": key, "result": result}) + "\n"


@dataclasses.dataclass(frozen=True)
class SweepProgress:
    """One progress event, sent after every finished unit.

    Attributes
    ----------
    done, total : int
        Units finished (including those found already done) and units in the sweep.
    point_index, chunk : int
        The unit just finished (index into the grid, chunk of that point).
    elapsed : float
        Seconds since :func:`run_sweep` started.
    row : dict or None
        The point's row (parameters and reduced result) when this unit completed the point.

    Examples
    --------
    >>> import tempfile
    >>> from cogc_theory import sweep
    >>> events = []
    >>> res = sweep.run_sweep(sweep.OutageExact(), {"M": 4, "s": [1, 2], "p": 0.1, "eps": 0.2},
    ...                       tempfile.mkdtemp(), n_workers=1, progress=events.append)
    >>> [(e.done, e.total, e.point_index) for e in events]
    [(1, 2, 0), (2, 2, 1)]
    >>> events[-1].row["s"]
    2
    """

    done: int
    total: int
    point_index: int
    chunk: int
    elapsed: float
    row: dict[str, Any] | None = None

    def format(self) -> str:
        """One line of text, as written to a progress stream."""
        line = (f"[{self.done}/{self.total}] point {self.point_index} chunk {self.chunk} "
                f"({self.elapsed:.1f} s)")
        if self.row is not None:
            line += " point done"
        return line


@dataclasses.dataclass
class SweepResult:
    r"""What :func:`run_sweep` returns.

    Attributes
    ----------
    out_dir : pathlib.Path
    rows : list of dict
        One row per finished point, in grid order: the point's parameters, then the task's
        reduced result.
    n_points, n_units : int
        Points and units in the sweep.
    n_run, n_skipped : int
        Units computed by this call and units found already done.

    Examples
    --------
    Exact outages of the :math:`M=4` ring (:math:`s=1`) and of the :math:`s=2` code at
    :math:`p=0.1`, :math:`\varepsilon=0.2`:

    >>> import tempfile
    >>> from cogc_theory import sweep
    >>> res = sweep.run_sweep(sweep.OutageExact(), {"M": 4, "s": [1, 2], "p": 0.1, "eps": 0.2},
    ...                       tempfile.mkdtemp(), n_workers=1)
    >>> res.complete, res.n_points, res.n_run, res.n_skipped
    (True, 2, 2, 0)
    >>> [(r["s"], round(r["outage_standard"], 8)) for r in res.rows]
    [(1, 0.31322368), (2, 0.20794187)]
    """

    out_dir: Path
    rows: list[dict[str, Any]]
    n_points: int
    n_units: int
    n_run: int = 0
    n_skipped: int = 0

    @property
    def complete(self) -> bool:
        """True when every point has its result."""
        return len(self.rows) == self.n_points

    def to_frame(self) -> Any:
        """The rows as a :class:`pandas.DataFrame` (needs pandas)."""
        return frame(self.rows)


def _progress_fn(progress: Any) -> Callable[[SweepProgress], None] | None:
    if progress is None:
        return None
    if hasattr(progress, "write"):
        def emit(event: SweepProgress) -> None:
            progress.write(event.format() + "\n")
            if hasattr(progress, "flush"):
                progress.flush()
        return emit
    if callable(progress):
        return progress
    raise TypeError(f"progress must be None, a callable taking a SweepProgress, or a text "
                    f"stream, got {progress!r}")


def run_sweep(task: Any, grid: Any, out_dir: str | os.PathLike[str], *, seed: int = 0,
              scheduler: Any = None, n_workers: int | None = None,
              progress: Any = None) -> SweepResult:
    r"""Run ``task`` on every point of ``grid``, writing each finished unit to ``out_dir``.

    The units :math:`(x, c)`, :math:`c < \mathrm{chunks}(x)`, each run with the seed sequence
    :func:`unit_seed`\ ``(seed, x, c)``; a point's row is ``reduce(x, [run(x, c, ...) for c])``.
    Rerunning with the same arguments and ``out_dir`` computes only what is missing.

    Parameters
    ----------
    task : str or Task
        ``"outage-exact"``, ``"outage-mc"``, ``"train"`` (with default options; see
        :func:`make_task`) or a task object (see the module docstring).
    grid : dict of lists or list of dicts
        The points (see :func:`expand_grid`). Values: numbers, strings, booleans, lists.
    out_dir : path
        Output directory; created if missing. If it holds a sweep, its specification must be
        the same (task name and parameters, seed, points in the same order, chunks).
    seed : int
        Sweep seed, ``>= 0``.
    scheduler : None, str, dask.distributed.Client or backend
        ``None`` runs on the local machine; an address (``"tcp://host:8786"``) or a client runs
        on a Dask cluster (``pip install 'cogc-theory[dask]'``). Any other object with
        ``submit(fn, *args) -> future`` (futures with ``result()``) and
        ``wait_any(futures) -> (done, pending)``, and optionally ``capacity`` (units in
        flight), ``cancel(futures)`` and ``close(cancel)``, is used as the backend.
    n_workers : int, optional
        Local processes (default: one per available core; ``1`` runs in this process).
        Only for the local backend.
    progress : callable or text stream, optional
        Called with a :class:`SweepProgress` after every finished unit, or a stream (such as
        ``sys.stderr``) that receives one line per unit. Default: silent.

    Returns
    -------
    SweepResult
        ``rows`` holds one dict per point in grid order; ``complete`` is True.

    Raises
    ------
    ValueError, TypeError
        Empty grid, duplicate points, a point the task rejects, more than :data:`MAX_UNITS`
        units in all, bad ``scheduler`` / ``n_workers`` / ``progress``, or ``out_dir`` holding
        a different sweep: all checked before anything is written (``out_dir`` is not even
        created; :func:`plan_sweep` and :meth:`SweepPlan.check_dir` run the same checks
        alone). The error of a failing unit (or a ``KeyboardInterrupt``) propagates,
        with a note naming the unit; units finished before it stay written, so
        :func:`load_results` shows the partial table and a rerun resumes.
    ImportError
        A Dask scheduler without Dask installed (also before anything is written).

    Examples
    --------
    Exact CoGC outage of the cyclic code with :math:`M=4, s=1` at two uplink erasure
    probabilities; each equals :math:`\sum_{j\le 2}\binom 4j\pi^j(1-\pi)^{4-j}`,
    :math:`\pi=(1-p)(1-\varepsilon)`:

    >>> import tempfile
    >>> grid = {"M": 4, "s": 1, "p": [0.1, 0.2], "eps": 0.2, "decoder": "standard"}
    >>> res = run_sweep("outage-exact", grid, tempfile.mkdtemp(), n_workers=1)
    >>> [(r["p"], round(r["outage_standard"], 8)) for r in res.rows]
    [(0.1, 0.31322368), (0.2, 0.45474048)]
    """
    t0 = time.perf_counter()
    plan = plan_sweep(task, grid, seed=seed)
    emit = _progress_fn(progress)
    check_backend(scheduler, n_workers)
    out = Path(out_dir)
    plan.check_dir(out)
    out.mkdir(parents=True, exist_ok=True)
    lock = acquire_lock(out)
    try:
        return _run_locked(plan, out, scheduler, n_workers, emit, t0)
    finally:
        lock.unlink(missing_ok=True)


@dataclasses.dataclass(frozen=True)
class SweepPlan:
    """A checked sweep: its task, points, their keys and chunk counts, and the seed.

    Made by :func:`plan_sweep`; :meth:`manifest` is what ``out_dir/manifest.json`` records.

    Examples
    --------
    Everything is checked before anything is written; the plan knows its units:

    >>> from cogc_theory import sweep
    >>> plan = sweep.plan_sweep(sweep.OutageExact(), {"M": 4, "s": [1, 2], "p": 0.1, "eps": 0.2})
    >>> plan.n_units, plan.chunks, len(plan.keys[0])
    (2, [1, 1], 32)
    >>> sorted(plan.manifest())
    ['chunks', 'format', 'keys', 'points', 'seed', 'task']
    """

    task: Any
    points: list[dict[str, Any]]
    keys: list[str]
    chunks: list[int]
    seed: int

    @property
    def n_units(self) -> int:
        """Units ``(point, chunk)`` in the sweep."""
        return sum(self.chunks)

    def check_dir(self, out_dir: str | os.PathLike[str]) -> None:
        """Raise :class:`ValueError` unless ``out_dir`` is new, empty, or holds this very sweep
        (reading only: nothing is created)."""
        check_dir(Path(out_dir), self.manifest())

    def manifest(self) -> dict[str, Any]:
        """The specification recorded in (and compared with) ``manifest.json``."""
        return {"format": FORMAT,
                "task": {"name": self.task.name, "params": task_params(self.task)},
                "seed": self.seed, "points": self.points, "keys": self.keys,
                "chunks": self.chunks}


def plan_sweep(task: Any, grid: Any, *, seed: int = 0) -> SweepPlan:
    """Check a sweep without running it or touching a file: what :func:`run_sweep` plans.

    Every point is expanded and given to ``task.chunks`` (which validates it), and the plan
    must hold at most :data:`MAX_UNITS` units.

    Parameters
    ----------
    task : str or Task
        As in :func:`run_sweep`.
    grid : dict of lists or list of dicts
        As in :func:`run_sweep` (see :func:`~cogc_theory.sweep.expand_grid`).
    seed : int
        Sweep seed, ``>= 0``.

    Returns
    -------
    SweepPlan
        The task, points, keys, chunks per point and seed; :meth:`SweepPlan.check_dir` checks
        an output directory against it.

    Raises
    ------
    ValueError, TypeError
        What :func:`run_sweep` raises before anything is written (except a foreign
        ``out_dir``, which only :func:`run_sweep` sees).

    Examples
    --------
    >>> plan = plan_sweep("outage-mc", {"M": 4, "s": 1, "p": [0.1, 0.2]})
    >>> plan.chunks, plan.n_units                 # 100,000 trials in units of 10,000
    ([10, 10], 20)
    """
    task = check_task(task)
    seed = check_int(seed, "seed", lo=0)
    points = expand_grid(grid)
    keys = [point_key(pt) for pt in points]
    chunks = []
    for i, pt in enumerate(points):
        n = task.chunks(dict(pt))
        chunks.append(check_int(n, f"task {task.name!r} chunks(grid point {i})", lo=1))
    n_units = sum(chunks)
    if n_units > MAX_UNITS:
        worst = max(range(len(points)), key=chunks.__getitem__)
        raise ValueError(
            f"the sweep plans {n_units:,} units (one file each; grid point {worst} alone has "
            f"{chunks[worst]:,} chunks), more than MAX_UNITS = {MAX_UNITS:,}; use fewer "
            f"chunks per point (for the built-in tasks: fewer trials, or a larger "
            f"chunk_trials, e.g. make_task('outage-mc', trials=..., chunk_trials=...)) or "
            f"fewer grid points"
        )
    return SweepPlan(task, points, keys, chunks, seed)


def _run_locked(plan: SweepPlan, out: Path, scheduler: Any, n_workers: int | None,
                emit: Callable[[SweepProgress], None] | None, t0: float) -> SweepResult:
    """Under the lock: prepare ``out``, reduce the points already done, run the rest."""
    prepare_dir(out, plan.manifest())
    todo: list[tuple[int, int]] = []
    remaining = []
    for i, (key, n) in enumerate(zip(plan.keys, plan.chunks, strict=True)):
        missing = [c for c in range(n) if not unit_path(out, key, c).is_file()]
        remaining.append(len(missing))
        todo.extend((i, c) for c in missing)
    result = SweepResult(out, [], len(plan.points), plan.n_units,
                         n_skipped=plan.n_units - len(todo))
    for i in range(len(plan.points)):
        if remaining[i] == 0 and not point_path(out, plan.keys[i]).is_file():
            _reduce_point(plan, out, i)
    if todo:
        backend = make_backend(scheduler, n_workers)
        ok = False
        pending: dict[Any, tuple[int, int]] = {}
        try:
            _execute(plan, out, backend, todo, pending, remaining, result, emit, t0)
            ok = True
        finally:
            if not ok and pending and hasattr(backend, "cancel"):
                backend.cancel(set(pending))
            backend_close = getattr(backend, "close", None)
            if backend_close is not None:
                backend_close(cancel=not ok)
    result.rows = load_results(out)
    return result


def _execute(plan: SweepPlan, out: Path, backend: Any, todo: list[tuple[int, int]],
             pending: dict[Any, tuple[int, int]], remaining: list[int], result: SweepResult,
             emit: Callable[[SweepProgress], None] | None, t0: float) -> None:
    """Keep the backend's capacity of units in flight; write each finished unit (and each
    finished point) at once; raise the first error of a batch after writing the others."""
    queue = iter(todo)
    while True:
        room = max(0, getattr(backend, "capacity", 8) - len(pending))
        for i, c in itertools.islice(queue, room):
            fut = backend.submit(_run_unit, plan.task, plan.points[i], plan.keys[i], c,
                                 plan.seed)
            pending[fut] = (i, c)
        if not pending:
            return
        finished, _ = backend.wait_any(set(pending))
        failed = None
        for fut in sorted(finished, key=lambda f: pending[f]):
            i, c = pending.pop(fut)
            try:
                text = fut.result()
            except Exception as exc:
                exc.add_note(f"in sweep task {plan.task.name!r}, grid point {i} "
                             f"{plan.points[i]}, chunk {c}")
                failed = failed or exc
                continue   # keep the other finished units of this batch
            atomic_write(unit_path(out, plan.keys[i], c), text)
            result.n_run += 1
            remaining[i] -= 1
            row = _reduce_point(plan, out, i) if remaining[i] == 0 else None
            if emit is not None:
                emit(SweepProgress(result.n_skipped + result.n_run, plan.n_units, i, c,
                                   time.perf_counter() - t0, row))
        if failed is not None:
            raise failed


def _reduce_point(plan: SweepPlan, out: Path, i: int) -> dict[str, Any]:
    """Reduce point ``i`` from its unit files, write its point file; its row."""
    task, point, key = plan.task, plan.points[i], plan.keys[i]
    chunk_results = [read_record(unit_path(out, key, c), key, c) for c in range(plan.chunks[i])]
    reduced = task.reduce(dict(point), chunk_results)
    if not isinstance(reduced, Mapping):
        raise TypeError(f"task {task.name!r}: reduce() must return a dict, got {type(reduced)}")
    reduced = jsonable(reduced, f"task {task.name!r} reduced result")
    row = make_row(point, reduced, task.name)
    atomic_write(point_path(out, key), dumps({"key": key, "result": reduced}) + "\n")
    return row
