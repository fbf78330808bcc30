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
writes; a different specification in the same directory raises :class:`ValueError`.
Every input is checked before anything is written, ``out_dir`` itself included
(:func:`plan_sweep`, :func:`check_backend` and :meth:`SweepPlan.check_dir` run those checks
alone). A sweep has at most :data:`MAX_UNITS` (one million) units: each unit is a file, so a
larger plan (e.g. ``trials=10**12`` in chunks of ``10**4``) is refused with a
:class:`ValueError` (use fewer trials or points, or larger ``chunk_trials``). A lock file
(``out_dir/.lock``: host and process id) keeps a second sweep out of a directory in use; a
lock left by a killed process on the same host is taken over.

Backends (``scheduler=``):

* ``None`` (default): the local machine; ``n_workers`` processes
  (:class:`concurrent.futures.ProcessPoolExecutor`, default one per available core), or in the
  calling process when ``n_workers=1``; the worker processes end on their own when the sweep
  process dies, even killed by SIGKILL (POSIX);
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

from ._backends import DaskBackend, LocalBackend, check_backend
from ._grid import expand_grid, point_key, unit_seed
from ._run import MAX_UNITS, SweepPlan, SweepProgress, SweepResult, plan_sweep, run_sweep
from ._store import load_results
from ._tasks import OutageExact, OutageMC, Task, Train, make_task, network_from_point

__all__ = [
    "DaskBackend",
    "LocalBackend",
    "MAX_UNITS",
    "OutageExact",
    "OutageMC",
    "SweepPlan",
    "SweepProgress",
    "SweepResult",
    "Task",
    "Train",
    "check_backend",
    "expand_grid",
    "load_results",
    "make_task",
    "network_from_point",
    "plan_sweep",
    "point_key",
    "run_sweep",
    "unit_seed",
]
