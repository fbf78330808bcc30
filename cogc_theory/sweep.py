r"""Parameter sweeps: a grid of points crossed with a task, local by default, Dask when asked.

A **sweep** evaluates a task on every point of a parameter grid. Each point is split into
chunks (Monte Carlo trials, training trials), and the **unit of work** is one
``(point, chunk)`` pair with its own random stream

.. math:: \mathrm{ss}_{x,c} = \mathtt{SeedSequence}\big(\mathrm{entropy}=\mathrm{seed},\;
          \mathrm{spawn\_key}=(h(x),\, c)\big),

where :math:`h(x)` is a 128-bit integer taken from the SHA-256 hash of the point's parameters
in canonical JSON (keys sorted). The stream of a unit depends only on the sweep seed, the point
and the chunk index — not on the point's position in the grid, on the order in which units run,
on the backend or on the number of workers — so results are the same whatever runs them
(identical on machines with the same numpy and BLAS; floating-point results computed on
different ones agree up to rounding, draws and counts exactly), and adding points to a grid
does not change the numbers of the points already in it. (The value
``1`` and the value ``1.0`` are different parameters and hash differently.)

Nothing is lost. Before any work, ``out_dir/manifest.json`` records the sweep's specification
(task name and parameters, seed, points, chunks per point). Each finished unit is written to
``out_dir/units/`` as it completes, and each point's reduced result to ``out_dir/points/`` as soon
as its last chunk is in; every file is written to a temporary name and moved into place with
:func:`os.replace`, so a killed sweep leaves only whole files. Rerunning the same sweep in the
same directory skips the finished units and ends with exactly the files an uninterrupted run
writes; a different specification in the same directory raises :class:`ValueError`. A sweep
has at most :data:`MAX_UNITS` (one million) units, checked before anything is written: each
unit is a file, so a larger plan (e.g. ``trials=10**12`` in chunks of ``10**4``) is refused
with a :class:`ValueError` (use fewer trials or points, or larger ``chunk_trials``). A lock
file (``out_dir/.lock``: host and process id) keeps a second sweep out of a directory in use; a
lock left by a killed process on the same host is taken over.

Backends (``scheduler=``):

* ``None`` (default): the local machine; ``n_workers`` processes
  (:class:`concurrent.futures.ProcessPoolExecutor`, default one per available core), or in the
  calling process when ``n_workers=1``;
* an address string such as ``"tcp://10.0.0.1:8786"``, or a :class:`dask.distributed.Client`:
  a Dask cluster (optional: ``pip install 'cogc-theory[dask]'``). Units are computed on the
  workers; files are written by the calling process, so workers need no shared file system.

Tasks. A task is a picklable object (define its class at module top level) with

* ``name`` — a short string, recorded in the manifest;
* ``chunks(point) -> int`` — the number of chunks of a point (validate the point here: it is
  called for every point before any work starts);
* ``run(point, chunk, seed_sequence) -> dict`` — one unit; JSON-serialisable values (numbers,
  strings, lists, numpy arrays and scalars, which are converted); non-finite floats are rejected;
* ``reduce(point, chunk_results) -> dict`` — combines the chunk results (in chunk order, as read
  back from JSON) into the point's row;
* optionally ``params() -> dict`` — the task's configuration, recorded in the manifest (dataclass
  tasks get their fields by default).

Built-in tasks (see :func:`make_task`): ``"outage-exact"`` (:class:`OutageExact`),
``"outage-mc"`` (:class:`OutageMC`) and ``"train"`` (:class:`Train`); their points describe a
network (see :func:`network_from_point`).

Examples
--------
A task of our own: the number of heads in ``n`` fair coin flips, in chunks of 100 flips.

>>> import dataclasses, tempfile, numpy as np
>>> @dataclasses.dataclass(frozen=True)
... class Heads:
...     name: str = "heads"
...     def chunks(self, point): return -(-point["n"] // 100)
...     def run(self, point, chunk, seed_sequence):
...         n = min(100, point["n"] - 100 * chunk)
...         return {"heads": int(np.random.default_rng(seed_sequence).integers(0, 2, n).sum())}
...     def reduce(self, point, chunk_results):
...         return {"heads": sum(r["heads"] for r in chunk_results)}
>>> out = tempfile.mkdtemp()
>>> res = run_sweep(Heads(), {"n": [250, 1000]}, out, seed=1, n_workers=1)
>>> res.complete, [row["n"] for row in res.rows]
(True, [250, 1000])
>>> rows = load_results(out)
>>> rows == res.rows and all(0 <= r["heads"] <= r["n"] for r in rows)
True
>>> run_sweep(Heads(), {"n": [250, 1000]}, out, seed=1, n_workers=1).n_run   # nothing to do
0
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import hashlib
import itertools
import json
import math
import numbers
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ._validate import check_int

__all__ = [
    "DaskBackend",
    "LocalBackend",
    "OutageExact",
    "OutageMC",
    "SweepProgress",
    "SweepResult",
    "Task",
    "Train",
    "expand_grid",
    "MAX_UNITS",
    "load_results",
    "make_task",
    "network_from_point",
    "point_key",
    "run_sweep",
    "unit_seed",
]

FORMAT = "cogc-sweep/1"
MANIFEST = "manifest.json"
_TMP_PREFIX = ".tmp-"
_DASK_HINT = "pip install 'cogc-theory[dask]'"
#: Most units (``(point, chunk)`` pairs, one file each) a sweep may plan; checked up front.
MAX_UNITS = 1_000_000


# ---------------------------------------------------------------------------- task protocol
@runtime_checkable
class Task(Protocol):
    """What a sweep runs on each ``(point, chunk)``; see the module docstring."""

    name: str

    def chunks(self, point: dict[str, Any]) -> int: ...

    def run(self, point: dict[str, Any], chunk: int,
            seed_sequence: np.random.SeedSequence) -> dict[str, Any]: ...

    def reduce(self, point: dict[str, Any],
               chunk_results: list[dict[str, Any]]) -> dict[str, Any]: ...


def _task_params(task: Any) -> dict[str, Any]:
    if hasattr(task, "params"):
        params = task.params()
    elif dataclasses.is_dataclass(task):
        params = {f.name: getattr(task, f.name) for f in dataclasses.fields(task)
                  if f.name != "name"}
    else:
        params = {}
    return _jsonable(params, "task.params()")


def _check_task(task: Any) -> Any:
    if isinstance(task, str):
        return make_task(task)
    missing = [a for a in ("name", "chunks", "run", "reduce") if not hasattr(task, a)]
    if missing:
        raise TypeError(
            f"task must be a task name ({', '.join(sorted(_TASKS))}) or an object with "
            f"name, chunks(point), run(point, chunk, seed_sequence) and "
            f"reduce(point, chunk_results); {type(task).__name__} lacks {missing}"
        )
    if not isinstance(task.name, str) or not task.name:
        raise TypeError(f"task.name must be a non-empty string, got {task.name!r}")
    return task


# ---------------------------------------------------------------------------- JSON and keys
def _jsonable(x: Any, where: str) -> Any:
    """Convert numpy values to plain Python and check that ``x`` is finite JSON."""
    if isinstance(x, np.ndarray):
        x = x.tolist()
    elif isinstance(x, np.generic):
        x = x.item()
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ValueError(f"{where} is {x}; sweep values must be finite numbers")
        return x
    if isinstance(x, Mapping):
        out = {}
        for k, v in x.items():
            if not isinstance(k, str):
                raise TypeError(f"{where} has key {k!r}; keys must be strings")
            out[k] = _jsonable(v, f"{where}[{k!r}]")
        return out
    if isinstance(x, (list, tuple)):
        return [_jsonable(v, f"{where}[{i}]") for i, v in enumerate(x)]
    raise TypeError(
        f"{where} is a {type(x).__name__} ({x!r}); sweep values must be numbers, strings, "
        f"booleans, None, lists or dicts of them (or numpy arrays)"
    )


def _dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def point_key(point: Mapping[str, Any]) -> str:
    """Stable identifier of a point: SHA-256 of its canonical JSON, 32 hex digits.

    >>> point_key({"M": 10, "p": 0.1}) == point_key({"p": 0.1, "M": 10})
    True
    """
    text = _dumps(_jsonable(dict(point), "point"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def unit_seed(seed: int, point: Mapping[str, Any], chunk: int) -> np.random.SeedSequence:
    """The seed sequence of unit ``(point, chunk)`` in a sweep seeded with ``seed``.

    ``SeedSequence(entropy=seed, spawn_key=(int(point_key(point), 16), chunk))``.

    >>> a = unit_seed(0, {"p": 0.1}, 3).generate_state(2)
    >>> b = unit_seed(0, {"p": 0.1}, 3).generate_state(2)
    >>> bool((a == b).all()), bool((a == unit_seed(0, {"p": 0.1}, 4).generate_state(2)).all())
    (True, False)
    """
    return np.random.SeedSequence(entropy=seed, spawn_key=(int(point_key(point), 16), chunk))


# ---------------------------------------------------------------------------- grids
def expand_grid(grid: Any) -> list[dict[str, Any]]:
    """Points of a grid: a list of dicts as given, or a dict of lists crossed as a product.

    In a dict, a value that is not a list or tuple is a fixed parameter; the product varies the
    last key fastest (as :func:`itertools.product`).

    >>> expand_grid({"M": 10, "s": [1, 2], "p": [0.1, 0.2]})   # doctest: +NORMALIZE_WHITESPACE
    [{'M': 10, 's': 1, 'p': 0.1}, {'M': 10, 's': 1, 'p': 0.2},
     {'M': 10, 's': 2, 'p': 0.1}, {'M': 10, 's': 2, 'p': 0.2}]
    """
    if isinstance(grid, Mapping):
        if not grid:
            raise ValueError("grid is empty; give a dict of lists or a non-empty list of dicts")
        keys = list(grid)
        values = []
        for k in keys:
            v = grid[k]
            v = list(v) if isinstance(v, (list, tuple, np.ndarray)) else [v]
            if not v:
                raise ValueError(f"grid[{k!r}] is an empty list, so the grid has no points")
            values.append(v)
        points = [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*values)]
    elif isinstance(grid, Iterable) and not isinstance(grid, (str, bytes)):
        points = list(grid)
        if not points:
            raise ValueError("grid is empty; give a dict of lists or a non-empty list of dicts")
        for i, pt in enumerate(points):
            if not isinstance(pt, Mapping):
                raise TypeError(f"grid[{i}] must be a dict of parameters, got {pt!r}")
        points = [dict(pt) for pt in points]
    else:
        raise TypeError(f"grid must be a dict of lists or a list of dicts, got {grid!r}")
    out = [_jsonable(pt, f"grid point {i}") for i, pt in enumerate(points)]
    keys_seen: dict[str, int] = {}
    for i, pt in enumerate(out):
        k = point_key(pt)
        if k in keys_seen:
            raise ValueError(f"grid points {keys_seen[k]} and {i} are the same point {pt}; "
                             f"remove the duplicate")
        keys_seen[k] = i
    return out


# ---------------------------------------------------------------------------- files
def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read sweep file {path}: {exc}; delete it to recompute") from exc


def _unit_path(out: Path, key: str, chunk: int) -> Path:
    return out / "units" / f"{key}-{chunk:06d}.json"


def _point_path(out: Path, key: str) -> Path:
    return out / "points" / f"{key}.json"


# ---------------------------------------------------------------------------- the unit of work
def _run_unit(task: Any, point: dict[str, Any], key: str, chunk: int, seed: int) -> str:
    """Compute one unit and return the text of its file (runs on a worker)."""
    ss = np.random.SeedSequence(entropy=seed, spawn_key=(int(key, 16), chunk))
    result = task.run(dict(point), chunk, ss)
    if not isinstance(result, Mapping):
        raise TypeError(f"task {task.name!r}: run() must return a dict, got {type(result)}")
    result = _jsonable(result, f"task {task.name!r} result")
    return _dumps({"chunk": chunk, "key": key, "result": result}) + "\n"


# ---------------------------------------------------------------------------- backends
def _limit_threads(n: int) -> None:
    """Worker initializer: at most ``n`` BLAS/OpenMP threads per process (no oversubscription)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return
    threadpool_limits(n)


class LocalBackend:
    """The local machine: a process pool of ``n_workers``, or the calling process if 1.

    Each worker process is limited to ``cpu_count // n_workers`` BLAS/OpenMP threads (with
    :mod:`threadpoolctl`), so that ``n_workers`` processes do not oversubscribe the cores.
    """

    def __init__(self, n_workers: int | None = None) -> None:
        if n_workers is None:
            n_workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
                else (os.cpu_count() or 1)
        self.n_workers = check_int(n_workers, "n_workers", lo=1)
        # units in flight; 1 in this process so that each unit is written as soon as it is done
        self.capacity = 2 * self.n_workers if self.n_workers > 1 else 1
        self._pool = None
        if self.n_workers > 1:
            cores = os.cpu_count() or 1
            self._pool = cf.ProcessPoolExecutor(self.n_workers, initializer=_limit_threads,
                                                initargs=(max(1, cores // self.n_workers),))

    def submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future:
        if self._pool is not None:
            return self._pool.submit(fn, *args)
        fut: cf.Future = cf.Future()
        try:
            fut.set_result(fn(*args))
        except Exception as exc:
            fut.set_exception(exc)
        return fut

    def wait_any(self, futures: set[Any]) -> tuple[set[Any], set[Any]]:
        done, pending = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
        return set(done), set(pending)

    def cancel(self, futures: set[Any]) -> None:
        for fut in futures:
            fut.cancel()

    def close(self, cancel: bool = False) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=cancel)


class DaskBackend:
    """A Dask cluster: a scheduler address or an existing ``dask.distributed.Client``.

    Requires the optional dependency (``pip install 'cogc-theory[dask]'``); an address opens a
    client that :meth:`close` closes, a client passed in is left open.
    """

    def __init__(self, scheduler: Any) -> None:
        try:
            import distributed
        except ImportError as exc:
            raise ImportError(
                f"scheduler={scheduler!r} needs Dask: {_DASK_HINT}"
            ) from exc
        self._distributed = distributed
        self._own = not isinstance(scheduler, distributed.Client)
        if self._own and not isinstance(scheduler, str):
            raise TypeError(f"scheduler must be None, an address string such as "
                            f"'tcp://host:8786' or a dask.distributed.Client, got {scheduler!r}")
        self.client = distributed.Client(scheduler) if self._own else scheduler
        self.capacity = max(8, 4 * sum(self.client.nthreads().values()))

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def wait_any(self, futures: set[Any]) -> tuple[set[Any], set[Any]]:
        done, pending = self._distributed.wait(list(futures), return_when="FIRST_COMPLETED")
        return set(done), set(pending)

    def cancel(self, futures: set[Any]) -> None:
        self.client.cancel(list(futures))

    def close(self, cancel: bool = False) -> None:
        if self._own:
            self.client.close()


def _backend(scheduler: Any, n_workers: int | None) -> Any:
    if scheduler is None:
        return LocalBackend(n_workers)
    if n_workers is not None:
        raise ValueError("n_workers applies to the local backend only; the size of a Dask "
                         "cluster is set where the cluster is started (leave n_workers=None)")
    if hasattr(scheduler, "submit") and hasattr(scheduler, "wait_any"):
        return scheduler  # a backend object of the user's own
    return DaskBackend(scheduler)


# ---------------------------------------------------------------------------- results
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
    """What :func:`run_sweep` returns.

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
        return _frame(self.rows)


def _frame(rows: list[dict[str, Any]]) -> Any:
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError("a DataFrame needs pandas: pip install pandas "
                          "(the rows are also available as a list of dicts)") from exc
    return pd.DataFrame(rows)


def _make_row(point: dict[str, Any], result: dict[str, Any], task_name: str) -> dict[str, Any]:
    clash = sorted(set(point) & set(result))
    if clash:
        raise ValueError(f"task {task_name!r} returned result keys {clash} that are also grid "
                         f"parameters; rename the parameters or the result keys")
    return {**point, **result}


def _load_manifest(out: Path) -> dict[str, Any]:
    path = out / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"{out} is not a sweep directory: no {MANIFEST}")
    manifest = _read_json(path)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"{path} is not a {FORMAT} manifest")
    ok = (isinstance(manifest.get("task"), dict) and isinstance(manifest["task"].get("name"), str)
          and all(isinstance(manifest.get(k), list) for k in ("points", "keys", "chunks"))
          and len(manifest["points"]) == len(manifest["keys"]) == len(manifest["chunks"]))
    if not ok:
        raise ValueError(f"{path} is damaged (it needs task.name and equally long points, "
                         f"keys and chunks); restore it, or rerun the sweep in a new out_dir")
    return manifest


def _read_record(path: Path, key: str, chunk: int | None = None) -> dict[str, Any]:
    """The ``result`` of a unit file (``chunk`` given) or point file, checked to belong to
    ``key``; a damaged file raises :class:`ValueError` naming it (finished work elsewhere in
    the directory is untouched: deleting the file and rerunning recomputes only it)."""
    rec = _read_json(path)
    fix = ("delete it and rerun run_sweep to recompute this unit" if chunk is not None else
           "delete it and rerun run_sweep to rebuild it from the point's unit files")
    if not isinstance(rec, dict) or not isinstance(rec.get("result"), dict):
        raise ValueError(f"sweep file {path} is damaged (not a record with a 'result' dict); "
                         f"{fix}")
    if rec.get("key") != key or (chunk is not None and rec.get("chunk") != chunk):
        raise ValueError(f"sweep file {path} does not belong to this unit; {fix}")
    return rec["result"]


def load_results(out_dir: str | os.PathLike[str], *, as_frame: bool = False) -> Any:
    """Load the rows of a sweep directory as one table.

    Parameters
    ----------
    out_dir : path
        A directory written by :func:`run_sweep`.
    as_frame : bool
        Return a :class:`pandas.DataFrame` (needs pandas) instead of a list of dicts.

    Returns
    -------
    list of dict or pandas.DataFrame
        One row per finished point, in grid order: its parameters, then its reduced result.
        Points not yet finished are absent (rerun :func:`run_sweep` to finish them).

    Raises
    ------
    ValueError
        A damaged manifest, or a point file that is not a whole record of its point (it names
        the file: delete that file and rerun :func:`run_sweep`, which rebuilds it from the
        point's unit files). Damaged files are not skipped, so that a table is never silently
        missing a finished point.
    """
    out = Path(out_dir)
    manifest = _load_manifest(out)
    rows = []
    for point, key in zip(manifest["points"], manifest["keys"], strict=True):
        path = _point_path(out, key)
        if path.is_file():
            rows.append(_make_row(point, _read_record(path, key), manifest["task"]["name"]))
    return _frame(rows) if as_frame else rows


# ---------------------------------------------------------------------------- the engine
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
    ValueError
        Empty grid, duplicate points, a point the task rejects, more than :data:`MAX_UNITS`
        units in all, or ``out_dir`` holding a different sweep (all checked before anything
        is written). The error of a failing unit (or a ``KeyboardInterrupt``) propagates,
        with a note naming the unit; units finished before it stay written, so
        :func:`load_results` shows the partial table and a rerun resumes.
    ImportError
        A Dask scheduler without Dask installed.

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
    task = _check_task(task)
    seed = check_int(seed, "seed", lo=0)
    points = expand_grid(grid)
    emit = _progress_fn(progress)
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
    manifest = {"format": FORMAT, "task": {"name": task.name, "params": _task_params(task)},
                "seed": seed, "points": points, "keys": keys, "chunks": chunks}

    out = Path(out_dir)
    _check_dir(out, manifest)
    out.mkdir(parents=True, exist_ok=True)
    lock = _acquire_lock(out)
    try:
        return _run_locked(task, out, manifest, points, keys, chunks, seed, scheduler,
                           n_workers, emit, t0)
    finally:
        lock.unlink(missing_ok=True)


def _run_locked(task: Any, out: Path, manifest: dict[str, Any], points: list[dict[str, Any]],
                keys: list[str], chunks: list[int], seed: int, scheduler: Any,
                n_workers: int | None, emit: Callable[[SweepProgress], None] | None,
                t0: float) -> SweepResult:
    _prepare_dir(out, manifest)

    # what is already done
    todo: list[tuple[int, int]] = []
    remaining = []
    for i, (key, n) in enumerate(zip(keys, chunks, strict=True)):
        missing = [c for c in range(n) if not _unit_path(out, key, c).is_file()]
        remaining.append(len(missing))
        todo.extend((i, c) for c in missing)
    n_units = sum(chunks)
    result = SweepResult(out, [], len(points), n_units, n_skipped=n_units - len(todo))
    for i in range(len(points)):
        if remaining[i] == 0 and not _point_path(out, keys[i]).is_file():
            _reduce_point(task, out, points[i], keys[i], chunks[i])

    if todo:
        backend = _backend(scheduler, n_workers)
        done = result.n_skipped
        pending: dict[Any, tuple[int, int]] = {}
        queue = iter(todo)
        ok = False
        try:
            while True:
                room = max(0, getattr(backend, "capacity", 8) - len(pending))
                for i, c in itertools.islice(queue, room):
                    fut = backend.submit(_run_unit, task, points[i], keys[i], c, seed)
                    pending[fut] = (i, c)
                if not pending:
                    break
                finished, _ = backend.wait_any(set(pending))
                failed = None
                for fut in sorted(finished, key=lambda f: pending[f]):
                    i, c = pending.pop(fut)
                    try:
                        text = fut.result()
                    except Exception as exc:
                        exc.add_note(f"in sweep task {task.name!r}, grid point {i} "
                                     f"{points[i]}, chunk {c}")
                        failed = failed or exc
                        continue   # keep the other finished units of this batch
                    _atomic_write(_unit_path(out, keys[i], c), text)
                    result.n_run += 1
                    done += 1
                    remaining[i] -= 1
                    row = None
                    if remaining[i] == 0:
                        row = _reduce_point(task, out, points[i], keys[i], chunks[i])
                    if emit is not None:
                        emit(SweepProgress(done, n_units, i, c, time.perf_counter() - t0, row))
                if failed is not None:
                    raise failed
            ok = True
        finally:
            if not ok and pending and hasattr(backend, "cancel"):
                backend.cancel(set(pending))
            backend_close = getattr(backend, "close", None)
            if backend_close is not None:
                backend_close(cancel=not ok)

    result.rows = load_results(out)
    return result


_LOCK = ".lock"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)   # signal 0: existence check only, nothing is sent
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _acquire_lock(out: Path) -> Path:
    """Claim ``out_dir`` for this process; a lock left by a dead process is taken over."""
    lock = out / _LOCK
    me = f"{socket.gethostname()} {os.getpid()}"
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                host, pid = lock.read_text().split()
            except (OSError, ValueError):
                host, pid = "", "0"
            if host == socket.gethostname() and not _pid_alive(int(pid)):
                lock.unlink(missing_ok=True)   # left by a killed run
                continue
            raise RuntimeError(
                f"another sweep (process {pid} on {host or '?'}) is running in {out}; wait for "
                f"it, or delete {lock} if that process no longer exists"
            ) from None
        with os.fdopen(fd, "w") as f:
            f.write(me)
        return lock
    raise RuntimeError(f"cannot lock {out}; delete {lock} if no sweep is running there")


def _check_dir(out: Path, manifest: dict[str, Any]) -> None:
    """Raise unless ``out`` is new, empty, or holds this very sweep."""
    if (out / MANIFEST).is_file():
        old = _load_manifest(out)
        if old != json.loads(_dumps(manifest)):
            diff = [k for k in manifest if old.get(k) != json.loads(_dumps(manifest[k]))]
            raise ValueError(
                f"{out} holds a different sweep (differs in: {', '.join(diff)}); rerun with "
                f"the same task, grid and seed to resume it, or choose another out_dir"
            )
    elif out.exists():
        if not out.is_dir():
            raise ValueError(f"out_dir {out} exists and is not a directory")
        if any(p for p in out.iterdir()
               if not p.name.startswith(_TMP_PREFIX) and p.name != _LOCK):
            raise ValueError(f"out_dir {out} is not empty and holds no {MANIFEST}; choose an "
                             f"empty or new directory")


def _prepare_dir(out: Path, manifest: dict[str, Any]) -> None:
    """Under the lock: check again, remove temporary files of killed runs, write the manifest."""
    _check_dir(out, manifest)
    for sub in ("units", "points"):
        (out / sub).mkdir(exist_ok=True)
        for tmp in (out / sub).glob(_TMP_PREFIX + "*"):  # left by a killed run
            tmp.unlink(missing_ok=True)
    for tmp in out.glob(_TMP_PREFIX + "*"):
        tmp.unlink(missing_ok=True)
    if not (out / MANIFEST).is_file():
        _atomic_write(out / MANIFEST, json.dumps(manifest, sort_keys=True, indent=1,
                                                 allow_nan=False) + "\n")


def _reduce_point(task: Any, out: Path, point: dict[str, Any], key: str,
                  n_chunks: int) -> dict[str, Any]:
    chunk_results = []
    for c in range(n_chunks):
        chunk_results.append(_read_record(_unit_path(out, key, c), key, c))
    reduced = task.reduce(dict(point), chunk_results)
    if not isinstance(reduced, Mapping):
        raise TypeError(f"task {task.name!r}: reduce() must return a dict, got {type(reduced)}")
    reduced = _jsonable(reduced, f"task {task.name!r} reduced result")
    row = _make_row(point, reduced, task.name)
    _atomic_write(_point_path(out, key), _dumps({"key": key, "result": reduced}) + "\n")
    return row


# ---------------------------------------------------------------------------- built-in tasks
_NET_KEYS = ("M", "s", "uplink_erasure", "link_erasure", "p", "eps", "code", "code_seed",
             "exact", "reciprocal")
_CODES = ("cyclic", "fractional")


def network_from_point(point: Mapping[str, Any]) -> Any:
    """Build the :class:`~cogc_theory.network.CooperativeNetwork` a point describes.

    Keys: ``M``, ``s`` (required); ``uplink_erasure`` (alias ``p``) and ``link_erasure``
    (alias ``eps``), scalars or lists (length ``M`` / ``M x M``), default 0; ``code``:
    ``"cyclic"`` (default) or ``"fractional"``; for cyclic codes ``code_seed`` (default 0) and
    ``exact`` (default False); ``reciprocal`` (default False). Other keys are ignored here.

    >>> net = network_from_point({"M": 4, "s": 1, "p": 0.1, "eps": 0.2})
    >>> net.M, net.s, net.neighbors(0)
    (4, 1, (1,))
    """
    from .network import CooperativeNetwork

    for a, b in (("uplink_erasure", "p"), ("link_erasure", "eps")):
        if a in point and b in point:
            raise ValueError(f"point gives both {a!r} and its alias {b!r}; keep one")
    if "M" not in point or "s" not in point:
        raise ValueError(f"point {dict(point)} must give the number of clients 'M' and the "
                         f"straggler tolerance 's'")
    M = check_int(point["M"], "point['M']", lo=1)
    s = check_int(point["s"], "point['s']", lo=0, hi=M - 1)
    p = point.get("uplink_erasure", point.get("p", 0.0))
    eps = point.get("link_erasure", point.get("eps", 0.0))
    p = np.asarray(p, dtype=float) if isinstance(p, list) else p
    eps = np.asarray(eps, dtype=float) if isinstance(eps, list) else eps
    code = point.get("code", "cyclic")
    kw = {"reciprocal": point.get("reciprocal", False)}
    if code == "cyclic":
        return CooperativeNetwork.cyclic(M, s, uplink_erasure=p, link_erasure=eps,
                                         seed=point.get("code_seed", 0),
                                         exact=point.get("exact", False), **kw)
    if code == "fractional":
        return CooperativeNetwork.fractional(M, s, uplink_erasure=p, link_erasure=eps, **kw)
    raise ValueError(f"point['code'] must be one of {_CODES}, got {code!r}")


def _check_keys(point: Mapping[str, Any], task: str, extra: tuple[str, ...]) -> None:
    unknown = sorted(set(point) - set(_NET_KEYS) - set(extra))
    if unknown:
        raise ValueError(f"task {task!r} does not know grid parameters {unknown}; "
                         f"known: {sorted(set(_NET_KEYS) | set(extra))}")


def _int_seed(ss: np.random.SeedSequence) -> int:
    """A 63-bit integer seed drawn from a seed sequence, for APIs that take an int."""
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))


def _trial_split(trials: int, chunk_trials: int, chunk: int) -> int:
    return min(chunk_trials, trials - chunk * chunk_trials)


_DECODERS = ("standard", "gcplus")


@dataclasses.dataclass(frozen=True)
class OutageExact:
    """Exact outage probabilities (``ct.outage.cogc`` and/or ``ct.outage.gcplus``).

    Point keys: the network keys of :func:`network_from_point`, and ``decoder`` (overrides the
    task's). One chunk per point; no randomness. Row: ``outage_standard`` and/or
    ``outage_gcplus``.
    """

    decoder: str = "both"
    name: str = "outage-exact"

    def __post_init__(self) -> None:
        self._decoders({})                       # checks the default decoder

    def chunks(self, point: dict[str, Any]) -> int:
        _check_keys(point, self.name, ("decoder",))
        self._decoders(point)
        network_from_point(point)
        return 1

    def _decoders(self, point: dict[str, Any]) -> tuple[str, ...]:
        d = point.get("decoder", self.decoder)
        if d == "both":
            return _DECODERS
        if d not in _DECODERS:
            raise ValueError(f"decoder must be 'standard', 'gcplus' or 'both', got {d!r}")
        return (d,)

    def run(self, point: dict[str, Any], chunk: int,
            seed_sequence: np.random.SeedSequence) -> dict[str, Any]:
        from . import outage

        net = network_from_point(point)
        fns = {"standard": outage.cogc, "gcplus": outage.gcplus}
        return {f"outage_{d}": float(fns[d](net)) for d in self._decoders(point)}

    def reduce(self, point: dict[str, Any],
               chunk_results: list[dict[str, Any]]) -> dict[str, Any]:
        return dict(chunk_results[0])


@dataclasses.dataclass(frozen=True)
class OutageMC:
    """Monte Carlo outage (``ct.simulate.outage``), ``chunk_trials`` trials per unit.

    Point keys: the network keys, and ``decoder``, ``trials`` (override the task's). The
    number of chunks is :math:`\\lceil \\mathrm{trials} / \\mathrm{chunk\\_trials}\\rceil`.
    Row: ``failures``, ``n_trials``, ``estimate`` and the 95% Wilson interval
    ``ci_low``, ``ci_high``.
    """

    decoder: str = "standard"
    trials: int = 100_000
    chunk_trials: int = 10_000
    name: str = "outage-mc"

    def __post_init__(self) -> None:
        check_int(self.trials, "trials", lo=1)
        check_int(self.chunk_trials, "chunk_trials", lo=1)
        if self.decoder not in _DECODERS:
            raise ValueError(f"decoder must be 'standard' or 'gcplus', got {self.decoder!r}")

    def chunks(self, point: dict[str, Any]) -> int:
        _check_keys(point, self.name, ("decoder", "trials"))
        trials = check_int(point.get("trials", self.trials), "point['trials']", lo=1)
        if point.get("decoder", self.decoder) not in _DECODERS:
            raise ValueError(f"point['decoder'] must be 'standard' or 'gcplus', "
                             f"got {point['decoder']!r}")
        network_from_point(point)
        return -(-trials // self.chunk_trials)

    def run(self, point: dict[str, Any], chunk: int,
            seed_sequence: np.random.SeedSequence) -> dict[str, Any]:
        from . import simulate

        n = _trial_split(point.get("trials", self.trials), self.chunk_trials, chunk)
        est = simulate.outage(network_from_point(point),
                              decoder=point.get("decoder", self.decoder),
                              trials=n, seed=_int_seed(seed_sequence))
        if est.status == "interrupted" or est.trials != n:
            # simulate.outage returns what it finished on Ctrl-C; a cut-short unit must not
            # be saved as a finished one (a rerun could never complete it)
            raise KeyboardInterrupt(f"outage-mc unit interrupted after {est.trials:,} of "
                                    f"{n:,} trials")
        return {"failures": int(est.failures), "trials": int(est.trials)}

    def reduce(self, point: dict[str, Any],
               chunk_results: list[dict[str, Any]]) -> dict[str, Any]:
        from scipy.stats import binomtest

        k = sum(r["failures"] for r in chunk_results)
        n = sum(r["trials"] for r in chunk_results)
        ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        return {"failures": k, "n_trials": n, "estimate": k / n,
                "ci_low": float(ci.low), "ci_high": float(ci.high)}


def _check_train_names(problem: Any, scheme: Any, where: str) -> None:
    """Refuse a problem or scheme name that :func:`cogc_theory.simulate.train` would refuse,
    before a sweep writes anything (``where``: ``""`` for task options, ``"point"`` for grid
    values)."""
    from .simulate.problems import PROBLEMS
    from .simulate.training import _ALIASES, SCHEMES

    for arg, value, valid in (("problem", problem, PROBLEMS),
                              ("scheme", scheme, SCHEMES + tuple(_ALIASES))):
        name = f"{where}[{arg!r}]" if where else arg
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a name, one of {list(valid)}, got {value!r}")
        if value not in valid:
            raise ValueError(f"{name} must be one of {list(valid)}, got {value!r}")


@dataclasses.dataclass(frozen=True)
class Train:
    """Training runs (``ct.simulate.train``), ``chunk_trials`` trials per unit.

    Point keys: the network keys, and ``problem``, ``scheme``, ``rounds``, ``trials``
    (override the task's); ``problem`` and ``scheme`` must be names
    :func:`cogc_theory.simulate.train` accepts (checked when the task is made, and for grid
    values before a sweep writes anything). Row: ``n_trials``, ``loss_mean`` (list,
    ``rounds + 1`` values: the mean over trials of the global loss after each round),
    ``final_loss_mean`` and ``final_loss_std`` (over trials, ``ddof=0``).
    """

    problem: str = "digits"
    scheme: str = "gcplus"
    rounds: int = 200
    trials: int = 20
    chunk_trials: int = 20
    name: str = "train"

    def __post_init__(self) -> None:
        for k in ("rounds", "trials", "chunk_trials"):
            check_int(getattr(self, k), k, lo=1)
        _check_train_names(self.problem, self.scheme, "")

    def _opt(self, point: dict[str, Any], k: str) -> Any:
        return point.get(k, getattr(self, k))

    def chunks(self, point: dict[str, Any]) -> int:
        _check_keys(point, self.name, ("problem", "scheme", "rounds", "trials"))
        _check_train_names(self._opt(point, "problem"), self._opt(point, "scheme"), "point")
        check_int(self._opt(point, "rounds"), "point['rounds']", lo=1)
        trials = check_int(self._opt(point, "trials"), "point['trials']", lo=1)
        network_from_point(point)
        return -(-trials // self.chunk_trials)

    def run(self, point: dict[str, Any], chunk: int,
            seed_sequence: np.random.SeedSequence) -> dict[str, Any]:
        from . import simulate

        n = _trial_split(self._opt(point, "trials"), self.chunk_trials, chunk)
        run = simulate.train(network_from_point(point), problem=self._opt(point, "problem"),
                             scheme=self._opt(point, "scheme"),
                             rounds=self._opt(point, "rounds"), trials=n,
                             seed=_int_seed(seed_sequence))
        return {"loss": np.asarray(run.loss, dtype=float)}

    def reduce(self, point: dict[str, Any],
               chunk_results: list[dict[str, Any]]) -> dict[str, Any]:
        loss = np.concatenate([np.asarray(r["loss"], dtype=float) for r in chunk_results])
        return {"n_trials": int(loss.shape[0]), "loss_mean": loss.mean(axis=0),
                "final_loss_mean": float(loss[:, -1].mean()),
                "final_loss_std": float(loss[:, -1].std())}


_TASKS: dict[str, type] = {"outage-exact": OutageExact, "outage-mc": OutageMC, "train": Train}


def make_task(name: str, **options: Any) -> Any:
    """A built-in task by name: ``"outage-exact"``, ``"outage-mc"`` or ``"train"``.

    ``options`` are the task's fields (e.g. ``trials=``, ``chunk_trials=``, ``decoder=``).

    >>> make_task("outage-mc", trials=1000, chunk_trials=100)
    OutageMC(decoder='standard', trials=1000, chunk_trials=100, name='outage-mc')
    """
    if name not in _TASKS:
        raise ValueError(f"unknown task {name!r}; choose one of {sorted(_TASKS)} or pass a "
                         f"task object")
    cls = _TASKS[name]
    fields = {f.name for f in dataclasses.fields(cls)} - {"name"}
    bad = sorted(set(options) - fields)
    if bad:
        raise TypeError(f"task {name!r} has no options {bad}; its options are {sorted(fields)}")
    return cls(**options)
