"""Tests for cogc_theory.sweep: seeding rule, backends, resumability, bad input.

The engine is tested with small deterministic tasks defined here (so these tests do not depend
on the outage / simulate modules); expected numbers come from the documented seeding rule
re-implemented independently below (hashlib + numpy), never from the sweep's own helpers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from fractions import Fraction
from math import comb
from pathlib import Path

import numpy as np
import pytest

from cogc_theory import sweep
from cogc_theory.sweep import expand_grid, load_results, make_task, run_sweep

TESTS_DIR = Path(__file__).resolve().parent


# ---------------------------------------------------------------------------- test tasks
@dataclasses.dataclass(frozen=True)
class Draws:
    """Chunk c of point {"n": n, ...} draws `per_chunk` uniforms; n chunks per point."""

    per_chunk: int = 3
    delay: float = 0.0
    name: str = "draws"

    def chunks(self, point):
        if point.get("n", 0) < 1:
            raise ValueError("point['n'] must be >= 1")
        return point["n"]

    def run(self, point, chunk, seed_sequence):
        if self.delay:
            time.sleep(self.delay)
        rng = np.random.default_rng(seed_sequence)
        return {"draws": rng.random(self.per_chunk), "chunk": np.int64(chunk)}

    def reduce(self, point, chunk_results):
        return {"total": float(sum(sum(r["draws"]) for r in chunk_results)),
                "order": [r["chunk"] for r in chunk_results]}


FAIL = {"at": None}


@dataclasses.dataclass(frozen=True)
class Flaky(Draws):
    name: str = "flaky"

    def run(self, point, chunk, seed_sequence):
        if FAIL["at"] == (point["n"], chunk):
            raise RuntimeError("boom")
        return super().run(point, chunk, seed_sequence)


@dataclasses.dataclass(frozen=True)
class Bad:
    what: str = "nan"
    name: str = "bad"

    def chunks(self, point):
        return 1

    def run(self, point, chunk, seed_sequence):
        if self.what == "nan":
            return {"x": float("nan")}
        if self.what == "object":
            return {"x": object()}
        return {"x": 1.0}

    def reduce(self, point, chunk_results):
        return {"n": 1}  # clashes with the grid parameter "n" when what == "clash"


def expected_draws(seed, point, chunk, per_chunk=3):
    """The documented rule, re-implemented: SeedSequence(seed, spawn_key=(sha256 key, chunk))."""
    text = json.dumps(point, sort_keys=True, separators=(",", ":"))
    key = int(hashlib.sha256(text.encode()).hexdigest()[:32], 16)
    ss = np.random.SeedSequence(entropy=seed, spawn_key=(key, chunk))
    return np.random.default_rng(ss).random(per_chunk)


def tree(d):
    """All files of a sweep directory, relative path -> bytes."""
    d = Path(d)
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


GRID = {"n": [2, 3], "tag": ["a", "b"]}   # 4 points, 10 units


# ---------------------------------------------------------------------------- grids
def test_expand_grid_product_order_and_fixed_values():
    pts = expand_grid({"M": 10, "s": [1, 2], "p": (0.1, 0.2)})
    assert pts == [{"M": 10, "s": 1, "p": 0.1}, {"M": 10, "s": 1, "p": 0.2},
                   {"M": 10, "s": 2, "p": 0.1}, {"M": 10, "s": 2, "p": 0.2}]
    assert expand_grid([{"a": np.int64(1)}, {"a": np.float64(0.5)}]) == [{"a": 1}, {"a": 0.5}]
    assert type(expand_grid([{"a": np.int64(1)}])[0]["a"]) is int


def test_expand_grid_refuses_more_points_than_a_sweep_can_run():
    """A product of nine 10-value axes (10**9 points) ran for minutes and gigabytes, an endless
    iterator forever (found by the fuzz test): both refused at once."""
    from cogc_theory.sweep._grid import MAX_POINTS

    assert MAX_POINTS == sweep.MAX_UNITS      # every point has at least one unit
    with pytest.raises(ValueError, match=r"1,000,000,000 points \(10 x 10 .*MAX_POINTS"):
        expand_grid({f"k{i}": list(range(10)) for i in range(9)})
    with pytest.raises(ValueError, match="more than MAX_POINTS"):
        expand_grid({"a": i} for i in itertools.count())
    with pytest.raises(ValueError, match="MAX_POINTS"):
        sweep.plan_sweep("outage-exact", {"M": [4], "s": [1], "p": list(np.linspace(0, 1,
                                                                                    1001)),
                                            "eps": list(np.linspace(0, 1, 1001))})


# ---------------------------------------------------------------------------- results
def test_results_follow_documented_seed_rule(tmp_path):
    res = run_sweep(Draws(), GRID, tmp_path, seed=5, n_workers=1)
    assert res.complete and res.n_run == 10 and res.n_skipped == 0 and res.n_units == 10
    assert [(r["n"], r["tag"]) for r in res.rows] == [(2, "a"), (2, "b"), (3, "a"), (3, "b")]
    for row in res.rows:
        point = {"n": row["n"], "tag": row["tag"]}
        want = [expected_draws(5, point, c) for c in range(row["n"])]
        assert row["order"] == list(range(row["n"]))
        # the generator's numbers (JSON round-trips floats exactly) summed in the same order
        # by the same Python expression: exactly equal
        assert row["total"] == float(sum(sum(w) for w in want))
    # every unit file holds exactly the documented draws
    units = sorted((tmp_path / "units").glob("*.json"))
    assert len(units) == 10
    for path in units:
        unit = json.loads(path.read_text())
        point = next(p for p in expand_grid(GRID)
                     if sweep.point_key(p) == unit["key"])
        assert unit["result"]["draws"] == expected_draws(5, point, unit["chunk"]).tolist()
    assert load_results(tmp_path) == res.rows


def test_adding_points_keeps_results_of_existing_points(tmp_path):
    small = run_sweep(Draws(), {"n": [2], "tag": ["b"]}, tmp_path / "s", seed=1, n_workers=1)
    big = run_sweep(Draws(), GRID, tmp_path / "b", seed=1, n_workers=1)
    assert small.rows[0] == big.rows[1]       # the point's own draws, summed alike: exact
    other_seed = run_sweep(Draws(), GRID, tmp_path / "o", seed=2, n_workers=1)
    assert other_seed.rows[1]["total"] != big.rows[1]["total"]


def test_identical_with_1_and_2_workers(tmp_path):
    run_sweep(Draws(per_chunk=4), GRID, tmp_path / "w1", seed=3, n_workers=1)
    run_sweep(Draws(per_chunk=4), GRID, tmp_path / "w2", seed=3, n_workers=2)
    a, b = tree(tmp_path / "w1"), tree(tmp_path / "w2")
    assert len(a) == 1 + 10 + 4
    assert a == b           # each unit is the same call whichever process runs it: exact


def test_rerun_skips_done_and_recomputes_missing(tmp_path):
    first = run_sweep(Draws(), GRID, tmp_path, seed=0, n_workers=1)
    before = tree(tmp_path)
    again = run_sweep(Draws(), GRID, tmp_path, seed=0, n_workers=1)
    assert (again.n_run, again.n_skipped) == (0, 10) and again.rows == first.rows
    # lose one unit and its point: exactly that unit is recomputed, identically
    unit = sorted((tmp_path / "units").glob("*.json"))[4]
    unit.unlink()
    (tmp_path / "points" / (unit.name.split("-")[0] + ".json")).unlink()
    partial = load_results(tmp_path)
    assert len(partial) == 3
    # a half-written temporary file, as a kill during a write leaves, is ignored and removed
    (tmp_path / "units" / ".tmp-half").write_text('{"chunk": 0, "ke')
    third = run_sweep(Draws(), GRID, tmp_path, seed=0, n_workers=1)
    assert (third.n_run, third.n_skipped) == (1, 9)
    assert tree(tmp_path) == before


def test_failing_unit_keeps_finished_work_and_resumes(tmp_path):
    run_sweep(Flaky(), GRID, tmp_path / "ref", seed=4, n_workers=1)
    FAIL["at"] = (3, 1)
    try:
        with pytest.raises(RuntimeError, match="boom") as info:
            run_sweep(Flaky(), GRID, tmp_path / "run", seed=4, n_workers=1)
        assert any("chunk 1" in note and "'flaky'" in note for note in info.value.__notes__)
    finally:
        FAIL["at"] = None
    n_written = len(list((tmp_path / "run" / "units").glob("*.json")))
    assert 0 < n_written < 10
    res = run_sweep(Flaky(), GRID, tmp_path / "run", seed=4, n_workers=1)
    assert res.n_skipped == n_written and res.complete
    assert tree(tmp_path / "run") == tree(tmp_path / "ref")


def test_progress_callback_and_stream(tmp_path):
    events = []
    run_sweep(Draws(), GRID, tmp_path / "a", n_workers=1, progress=events.append)
    assert [e.done for e in events] == list(range(1, 11))
    assert all(e.total == 10 for e in events)
    assert sum(e.row is not None for e in events) == 4

    class Stream:
        text = ""

        def write(self, s):
            self.text += s

    stream = Stream()
    run_sweep(Draws(), GRID, tmp_path / "b", n_workers=1, progress=stream)
    lines = stream.text.splitlines()
    assert len(lines) == 10 and lines[-1].startswith("[10/10]")


def test_pandas_frame(tmp_path):
    pd = pytest.importorskip("pandas")
    res = run_sweep(Draws(), GRID, tmp_path, n_workers=1)
    df = load_results(tmp_path, as_frame=True)
    assert isinstance(df, pd.DataFrame) and list(df["n"]) == [2, 2, 3, 3]
    assert df.to_dict("records") == res.rows


def test_directory_lock(tmp_path):
    import socket

    host = socket.gethostname()
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / ".lock").write_text(f"{host} {os.getpid()}")   # alive: this process
    with pytest.raises(RuntimeError, match=f"another sweep \\(process {os.getpid()}"):
        run_sweep(Draws(), GRID, tmp_path / "busy", n_workers=1)
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    (tmp_path / "stale").mkdir()
    (tmp_path / "stale" / ".lock").write_text(f"{host} {done.stdout.strip()}")  # dead process
    assert run_sweep(Draws(), GRID, tmp_path / "stale", n_workers=1).complete
    assert not (tmp_path / "stale" / ".lock").exists()


# ---------------------------------------------------------------------------- kill and resume
KILL_SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from test_sweep import Draws, KILL_GRID
    from cogc_theory.sweep import run_sweep
    run_sweep(Draws(delay=0.05), KILL_GRID, {out!r}, seed=11, n_workers=2)
""")
KILL_GRID = {"n": [4, 5, 6], "tag": ["x", "y"]}   # 30 units


def test_sigkill_midway_then_rerun_equals_uninterrupted(tmp_path):
    ref, run = tmp_path / "ref", tmp_path / "run"
    run_sweep(Draws(delay=0.05), KILL_GRID, ref, seed=11, n_workers=2)
    script = KILL_SCRIPT.format(tests=str(TESTS_DIR), out=str(run))
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    units = run / "units"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if units.is_dir() and len(list(units.glob("*.json"))) >= 8:
                break
            time.sleep(0.01)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)   # the session we started: parent and pool
        _, err = proc.communicate()
    assert proc.returncode == -signal.SIGKILL, err.decode()
    n_before = len(list(units.glob("*.json")))
    assert 8 <= n_before < 30
    res = run_sweep(Draws(delay=0.05), KILL_GRID, run, seed=11, n_workers=2)
    assert res.complete and res.n_skipped == n_before and res.n_run == 30 - n_before
    assert tree(run) == tree(ref)        # byte for byte, no temporary files left
    assert load_results(run) == load_results(ref)


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _running(pid: int) -> bool:
    """Alive and not a zombie (a dead worker not yet reaped has exited)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the workers in /proc")
def test_workers_exit_when_the_sweep_process_is_killed(tmp_path):
    """Issue 14: after SIGKILL of the sweep process (only it, not its process group), its
    pool's workers lived on. Each worker now exits once its parent is gone (watchdog polling
    every WATCH_SECONDS = 0.5 s); allowed: 10 s on a loaded machine."""
    script = KILL_SCRIPT.replace("Draws(delay=0.05)", "Draws(delay=2.0)").format(
        tests=str(TESTS_DIR), out=str(tmp_path / "run"))
    log = tmp_path / "stderr.txt"
    with open(log, "wb") as err:                # not a pipe: orphans would hold it open
        proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=err)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None and len(workers) < 2:
            workers = _children(proc.pid)
            time.sleep(0.05)
        assert len(workers) == 2, log.read_text()
        time.sleep(0.5)                         # the workers are inside their first units
        os.kill(proc.pid, signal.SIGKILL)       # the sweep process alone
        assert proc.wait(timeout=60) == -signal.SIGKILL
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(map(_running, workers)):
            time.sleep(0.05)
        alive = [w for w in workers if _running(w)]
        assert alive == [], f"workers {alive} outlived the sweep process"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        for w in workers:                       # only the workers this test started
            if _running(w):
                os.kill(w, signal.SIGKILL)


# ---------------------------------------------------------------------------- Dask
@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                       dashboard_address=None)
    yield cluster
    cluster.close()


def test_dask_client_and_address_match_local(tmp_path, dask_cluster):
    import distributed

    run_sweep(Draws(), GRID, tmp_path / "local", seed=9, n_workers=2)
    with distributed.Client(dask_cluster) as client:
        res = run_sweep(Draws(), GRID, tmp_path / "dask", seed=9, scheduler=client)
        assert client.status == "running"          # a client passed in stays open
    assert res.complete and res.n_run == 10
    assert tree(tmp_path / "dask") == tree(tmp_path / "local")
    run_sweep(Draws(), GRID, tmp_path / "addr", seed=9, scheduler=dask_cluster.scheduler_address)
    assert tree(tmp_path / "addr") == tree(tmp_path / "local")


@pytest.mark.slow
def test_dask_worker_processes_match_local(tmp_path):
    """Real worker processes: the task and the unit function travel by pickle."""
    distributed = pytest.importorskip("distributed")
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[Draws.__module__])  # tests/ not importable
    try:
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster:
            run_sweep(Draws(), GRID, tmp_path / "dask", seed=9,
                      scheduler=cluster.scheduler_address)
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[Draws.__module__])
    run_sweep(Draws(), GRID, tmp_path / "local", seed=9, n_workers=1)
    assert tree(tmp_path / "dask") == tree(tmp_path / "local")


def test_failing_unit_on_pool_and_dask_then_resume(tmp_path, dask_cluster):
    import distributed

    run_sweep(Flaky(), GRID, tmp_path / "ref", seed=4, n_workers=1)
    with distributed.Client(dask_cluster) as client:
        for name, kw in (("pool", {"n_workers": 2}), ("dask", {"scheduler": client})):
            FAIL["at"] = (2, 1)
            try:
                with pytest.raises(RuntimeError, match="boom"):
                    run_sweep(Flaky(), GRID, tmp_path / name, seed=4, **kw)
            finally:
                FAIL["at"] = None
            res = run_sweep(Flaky(), GRID, tmp_path / name, seed=4, **kw)
            assert res.complete and res.n_run >= 1
            assert tree(tmp_path / name) == tree(tmp_path / "ref"), name


def test_dask_missing_gives_install_hint(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"pip install 'cogc-theory\[dask\]'"):
        run_sweep(Draws(), GRID, tmp_path, scheduler="tcp://127.0.0.1:8786")


# ---------------------------------------------------------------------------- bad input
def test_unknown_task_and_options():
    with pytest.raises(ValueError, match="unknown task 'outage'.*outage-exact"):
        run_sweep("outage", {"M": [4]}, "unused")
    with pytest.raises(TypeError, match="no options \\['trails'\\]"):
        make_task("outage-mc", trails=10)
    with pytest.raises(TypeError, match="lacks \\['reduce'\\]"):
        run_sweep(object.__new__(type("T", (), {"name": "t", "chunks": 1, "run": 1})),
                  {"n": [1]}, "unused")


@pytest.mark.parametrize("grid, match", [
    ({}, "grid is empty"),
    ([], "grid is empty"),
    ({"n": [1, 2], "tag": []}, r"grid\['tag'\] is an empty list"),
    ([{"n": 1}, {"n": 1}], "grid points 0 and 1 are the same point"),
    ([{"n": 1}, 3], r"grid\[1\] must be a dict"),
    ({"n": [float("inf")]}, "finite"),
])
def test_bad_grids(tmp_path, grid, match):
    with pytest.raises((ValueError, TypeError), match=match):
        run_sweep(Draws(), grid, tmp_path)
    assert not (tmp_path / "manifest.json").exists()


def test_point_rejected_by_task_before_any_work(tmp_path):
    with pytest.raises(ValueError, match="must be >= 1"):
        run_sweep(Draws(), {"n": [2, 0]}, tmp_path, n_workers=1)
    assert not (tmp_path / "manifest.json").exists()


def test_spec_mismatch_in_existing_dir(tmp_path):
    run_sweep(Draws(), GRID, tmp_path, seed=0, n_workers=1)
    with pytest.raises(ValueError, match="different sweep.*seed"):
        run_sweep(Draws(), GRID, tmp_path, seed=1, n_workers=1)
    with pytest.raises(ValueError, match="different sweep.*points"):
        run_sweep(Draws(), {"n": [2, 3], "tag": ["a"]}, tmp_path, seed=0, n_workers=1)
    with pytest.raises(ValueError, match="different sweep.*task"):
        run_sweep(Draws(per_chunk=4), GRID, tmp_path, seed=0, n_workers=1)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not empty and holds no manifest.json"):
        run_sweep(Draws(), GRID, tmp_path / "other", n_workers=1)


def test_bad_results_and_arguments(tmp_path):
    with pytest.raises(ValueError, match="must be finite"):
        run_sweep(Bad("nan"), {"n": [1]}, tmp_path / "a", n_workers=1)
    with pytest.raises(TypeError, match="sweep values must be numbers"):
        run_sweep(Bad("object"), {"n": [1]}, tmp_path / "b", n_workers=1)
    with pytest.raises(ValueError, match=r"result keys \['n'\] that are also grid parameters"):
        run_sweep(Bad("clash"), {"n": [1]}, tmp_path / "c", n_workers=1)
    with pytest.raises(ValueError, match="n_workers applies to the local backend"):
        run_sweep(Draws(), GRID, tmp_path / "d", scheduler="tcp://x:1", n_workers=2)
    with pytest.raises(ValueError, match="n_workers must be >= 1"):
        run_sweep(Draws(), GRID, tmp_path / "e", n_workers=0)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        run_sweep(Draws(), GRID, tmp_path / "f", seed=-1)
    with pytest.raises(TypeError, match="progress must be"):
        run_sweep(Draws(), GRID, tmp_path / "g", progress=3)
    with pytest.raises(FileNotFoundError, match="not a sweep directory"):
        load_results(tmp_path / "nowhere")
    with pytest.raises(TypeError, match="scheduler must be None, an address string"):
        run_sweep(Draws(), GRID, tmp_path / "h", scheduler=3)
    with pytest.raises(TypeError, match="n_workers must be an integer"):
        run_sweep(Draws(), GRID, tmp_path / "i", n_workers="2")
    # issue 14: a refused sweep writes nothing, not even its (empty) directory
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "c"]   # failed while running


def test_plan_sweep_checks_without_writing(tmp_path):
    """plan_sweep runs run_sweep's checks alone; SweepPlan.check_dir reads the directory only."""
    plan = sweep.plan_sweep(Draws(), GRID, seed=2)
    assert plan.n_units == 10 and plan.chunks == [2, 2, 3, 3] and plan.seed == 2
    plan.check_dir(tmp_path / "new" / "deeper")          # a new directory: fine, not created
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="is not empty and holds no manifest.json"):
        plan.check_dir(tmp_path / "other")
    run_sweep(Draws(), GRID, tmp_path / "done", seed=2, n_workers=1)
    plan.check_dir(tmp_path / "done")                    # the same sweep: resumable
    with pytest.raises(ValueError, match="holds a different sweep"):
        sweep.plan_sweep(Draws(), GRID, seed=3).check_dir(tmp_path / "done")


def test_plan_over_max_units_refused_before_anything_is_written(tmp_path, monkeypatch):
    """trials = 10**12 in chunks of 10**4 is 10**8 units (files): refused at once, naming the
    fix, with nothing written; the limit is MAX_UNITS units in all (boundary checked on GRID,
    2 + 3 + 2 + 3 = 10 units)."""
    task = make_task("outage-mc", trials=10**12)          # chunk_trials = 10**4 by default
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"100,000,000 units.*MAX_UNITS.*chunk_trials"):
        run_sweep(task, {"M": 4, "s": 1, "p": 0.1, "eps": 0.1}, tmp_path / "big")
    assert time.perf_counter() - t0 < 5
    assert not (tmp_path / "big").exists()
    from cogc_theory.sweep import _run  # the module whose run_sweep reads the limit

    monkeypatch.setattr(_run, "MAX_UNITS", 9)
    with pytest.raises(ValueError, match="plans 10 units"):
        run_sweep(Draws(), GRID, tmp_path / "g9", n_workers=1)
    assert not (tmp_path / "g9").exists()
    monkeypatch.setattr(_run, "MAX_UNITS", 10)
    assert run_sweep(Draws(), GRID, tmp_path / "g10", n_workers=1).n_units == 10


def test_outage_mc_trials_share_the_simulator_limit(tmp_path):
    """An outage-mc task or point asking for more than MAX_TRIALS trials is refused with the
    simulator's own message (consistent limits), before anything is written."""
    with pytest.raises(ValueError, match=r"trials = 10,000,000,000,000 is more than MAX_TRIALS"):
        make_task("outage-mc", trials=10**13, chunk_trials=10**7)
    task = make_task("outage-mc", chunk_trials=10**7)
    with pytest.raises(ValueError, match=r"point\['trials'\] = .* is more than MAX_TRIALS"):
        run_sweep(task, {"M": 4, "s": 1, "trials": 10**13}, tmp_path / "w")
    assert not (tmp_path / "w").exists()


@pytest.mark.parametrize("options, exc, match", [
    ({"scheme": "x"}, ValueError, r"scheme must be one of \[.*'gcplus'.*\], got 'x'"),
    ({"problem": "x"}, ValueError, r"problem must be one of \[.*'digits'.*\], got 'x'"),
    ({"problem": 3}, TypeError, "problem must be a name"),
])
def test_train_names_checked_by_make_task(options, exc, match):
    """A problem or scheme simulate.train would refuse is refused by make_task, naming the
    argument and listing the valid names."""
    with pytest.raises(exc, match=match):
        make_task("train", **options)


def test_task_names_in_grid_checked_before_anything_is_written(tmp_path):
    """Grid values overriding the train task's scheme / problem, and a bad outage-exact
    decoder option, are refused before the output directory is created; aliases that
    simulate.train accepts ('standard') are accepted."""
    for key in ("scheme", "problem"):
        with pytest.raises(ValueError, match=rf"point\['{key}'\] must be one of"):
            run_sweep("train", {"M": 4, "s": 1, "p": 0.1, key: "nope"}, tmp_path / key)
        assert not (tmp_path / key).exists()
    with pytest.raises(ValueError, match="decoder must be 'standard', 'gcplus' or 'both'"):
        make_task("outage-exact", decoder="x")
    assert make_task("train", scheme="standard").scheme == "standard"


@pytest.mark.parametrize("text", ["[]\n", "null\n", '{"key": "KEY"}\n',
                                  '{"key": "KEY", "result": 1}\n',
                                  '{"key": "0000", "result": {}}\n', "{not json"])
def test_damaged_point_file_is_named_and_rebuilt_without_losing_work(tmp_path, text):
    """load_results on a damaged point file raises ValueError naming the file and the fix
    (it is not skipped: the table would silently miss a finished point); deleting the file
    and rerunning rebuilds it from its unit files, computing nothing again."""
    run_sweep(Draws(), GRID, tmp_path, seed=1, n_workers=1)
    before = tree(tmp_path)
    key = json.loads((tmp_path / "manifest.json").read_text())["keys"][1]
    bad = tmp_path / "points" / f"{key}.json"
    bad.write_text(text.replace("KEY", key))
    with pytest.raises(ValueError, match=rf"{bad.name}.*delete it"):
        load_results(tmp_path)
    bad.unlink()
    res = run_sweep(Draws(), GRID, tmp_path, seed=1, n_workers=1)
    assert res.n_run == 0 and res.complete
    assert tree(tmp_path) == before


def test_damaged_unit_file_is_named(tmp_path):
    """A unit file that is valid JSON but not a unit record stops the reduction with a
    ValueError naming it (no bare TypeError / AttributeError); the other points are kept."""
    run_sweep(Draws(), GRID, tmp_path, seed=1, n_workers=1)
    keys = json.loads((tmp_path / "manifest.json").read_text())["keys"]
    (tmp_path / "points" / f"{keys[0]}.json").unlink()
    unit = tmp_path / "units" / f"{keys[0]}-000001.json"
    unit.write_text("[1, 2]\n")
    with pytest.raises(ValueError, match=rf"{unit.name}.*delete it"):
        run_sweep(Draws(), GRID, tmp_path, seed=1, n_workers=1)
    assert len(load_results(tmp_path)) == 3
    unit.unlink()
    assert run_sweep(Draws(), GRID, tmp_path, seed=1, n_workers=1).n_run == 1


# ---------------------------------------------------------------------------- real tasks
def test_outage_exact_task_matches_closed_form(tmp_path):
    grid = {"M": 6, "s": [1, 2], "p": [0.1, 0.25], "eps": 0.2, "decoder": "standard"}
    res = run_sweep("outage-exact", grid, tmp_path, n_workers=1)
    for row in res.rows:
        M, s = row["M"], row["s"]
        pi = (1 - Fraction(row["p"])) * (1 - Fraction(row["eps"])) ** s
        want = sum(comb(M, j) * pi**j * (1 - pi) ** (M - j) for j in range(M - s))
        assert row["outage_standard"] == pytest.approx(float(want), rel=1e-9)
    with pytest.raises(ValueError, match=r"does not know grid parameters \['q'\]"):
        run_sweep("outage-exact", {"M": 4, "s": 1, "q": 0.1}, tmp_path / "x")


def gcplus_outage_by_enumeration(B, p, eps):
    """P(1 not in rowspace of the arrived effective rows), by enumerating every link pattern.

    B: sympy matrix of rationals; p, eps: Fractions. Independent of cogc_theory.outage.
    """
    import sympy as sp

    M = B.rows
    links = [(m, k) for m in range(M) for k in range(M) if k != m and B[m, k] != 0]
    ones = sp.ones(1, M)
    total = Fraction(0)
    for bits in itertools.product((0, 1), repeat=len(links) + M):
        tau, up = bits[:len(links)], bits[len(links):]
        prob = Fraction(1)
        Bt = sp.Matrix(B)
        for (m, k), ok in zip(links, tau, strict=True):
            prob *= (1 - eps) if ok else eps
            if not ok:
                Bt[m, k] = 0
        for u in up:
            prob *= (1 - p) if u else p
        A = sp.Matrix([list(Bt.row(m)) for m in range(M) if up[m]]) if any(up) else None
        full = A is not None and A.rank() == A.col_join(ones).rank()
        if not full:
            total += prob
    return total


def test_outage_exact_task_gcplus_matches_enumeration(tmp_path):
    from cogc_theory.sweep import network_from_point

    grid = {"M": 4, "s": 1, "p": [0.1, 0.3], "eps": 0.2, "exact": True}
    res = run_sweep("outage-exact", grid, tmp_path, n_workers=2)
    for row in res.rows:
        B = network_from_point(row).B_exact
        want = gcplus_outage_by_enumeration(B, Fraction(row["p"]).limit_denominator(1000),
                                            Fraction(1, 5))
        assert row["outage_gcplus"] == pytest.approx(float(want), rel=1e-9)
        assert row["outage_gcplus"] <= row["outage_standard"]


# ---------------------------------------------------------------------------- built-in tasks
# Their plumbing (validation, chunking, seeding, reduction) is tested against stand-ins for the
# network builder and the simulator, so that it does not wait for the outage / simulate modules.
class FakeEstimate:
    status = "max trials"                      # a finished estimate (see OutageEstimate)

    def __init__(self, failures, trials):
        self.failures, self.trials = failures, trials


@pytest.fixture
def fake_sim(monkeypatch):
    import cogc_theory.outage
    import cogc_theory.simulate

    calls = []

    def outage(net, decoder, trials, seed):
        failures = int((np.random.default_rng(seed).random(trials) < 0.3).sum())
        calls.append(("outage", net["p"], decoder, trials, seed, failures))
        return FakeEstimate(failures, trials)

    def train(net, problem, scheme, rounds, trials, seed):
        loss = np.random.default_rng(seed).random((trials, rounds + 1))
        calls.append(("train", net["p"], (problem, scheme), trials, seed, loss))
        return type("Run", (), {"loss": loss})()

    from cogc_theory.sweep import _tasks  # the module whose tasks build the networks

    monkeypatch.setattr(_tasks, "network_from_point", lambda point: dict(point))
    monkeypatch.setattr(cogc_theory.simulate, "outage", outage, raising=False)
    monkeypatch.setattr(cogc_theory.simulate, "train", train, raising=False)
    monkeypatch.setattr(cogc_theory.outage, "cogc", lambda net: net["p"] / 2, raising=False)
    monkeypatch.setattr(cogc_theory.outage, "gcplus", lambda net: net["p"] / 4, raising=False)
    return calls


def wilson(k, n, z=1.959963984540054):
    centre = (k + z * z / 2) / (n + z * z)
    half = z / (n + z * z) * (k * (n - k) / n + z * z / 4) ** 0.5
    return centre - half, centre + half


def test_outage_mc_task_chunks_seeds_and_interval(tmp_path, fake_sim):
    task = make_task("outage-mc", trials=25, chunk_trials=10, decoder="gcplus")
    grid = [{"M": 4, "s": 1, "p": 0.1}, {"M": 4, "s": 1, "p": 0.2, "trials": 31,
                                         "decoder": "standard"}]
    res = run_sweep(task, grid, tmp_path, seed=2, n_workers=1)
    by_p = {p: [c for c in fake_sim if c[1] == p] for p in (0.1, 0.2)}
    assert [c[3] for c in by_p[0.1]] == [10, 10, 5]
    assert [c[3] for c in by_p[0.2]] == [10, 10, 10, 1]
    assert {c[2] for c in by_p[0.1]} == {"gcplus"} and {c[2] for c in by_p[0.2]} == {"standard"}
    assert len({c[4] for c in fake_sim}) == 7                    # one seed per unit
    for row, p in zip(res.rows, (0.1, 0.2), strict=True):
        k = sum(c[5] for c in by_p[p])
        n = sum(c[3] for c in by_p[p])
        assert (row["failures"], row["n_trials"], row["estimate"]) == (k, n, k / n)
        lo, hi = wilson(k, n)
        assert row["ci_low"] == pytest.approx(lo, rel=1e-9)
        assert row["ci_high"] == pytest.approx(hi, rel=1e-9)
    # the same sweep, one more point: old points keep their seeds, so their rows
    fake_sim.clear()
    grid2 = [{"M": 4, "s": 1, "p": 0.3}, *grid]
    res2 = run_sweep(task, grid2, tmp_path / "more", seed=2, n_workers=1)
    assert res2.rows[1:] == res.rows
    with pytest.raises(ValueError, match=r"point\['decoder'\] must be 'standard' or 'gcplus'"):
        run_sweep(task, [{"M": 4, "s": 1, "p": 0.1, "decoder": "best"}], tmp_path / "x")
    with pytest.raises(ValueError, match=r"does not know grid parameters \['trails'\]"):
        run_sweep(task, [{"M": 4, "s": 1, "p": 0.1, "trails": 3}], tmp_path / "y")
    with pytest.raises(TypeError, match="trials must be an integer"):
        make_task("outage-mc", trials=1e5)


def test_train_task_concatenates_chunks(tmp_path, fake_sim):
    task = make_task("train", rounds=4, trials=5, chunk_trials=2, problem="synthetic-logistic")
    res = run_sweep(task, {"M": 4, "s": 1, "p": [0.1]}, tmp_path, n_workers=1)
    assert [c[3] for c in fake_sim] == [2, 2, 1]
    assert {c[2] for c in fake_sim} == {("synthetic-logistic", "gcplus")}
    loss = np.concatenate([c[5] for c in fake_sim])
    (row,) = res.rows
    assert row["n_trials"] == 5 and row["loss_mean"] == loss.mean(axis=0).tolist()
    assert row["final_loss_mean"] == float(loss[:, -1].mean())
    assert row["final_loss_std"] == float(loss[:, -1].std())


def test_outage_exact_task_plumbing(tmp_path, fake_sim):
    res = run_sweep("outage-exact", {"M": 4, "s": 1, "p": [0.1, 0.5]}, tmp_path, n_workers=1)
    assert [(r["outage_standard"], r["outage_gcplus"]) for r in res.rows] == [
        (0.05, 0.025), (0.25, 0.125)]
    res = run_sweep(make_task("outage-exact", decoder="gcplus"), {"M": 4, "s": 1, "p": [0.1]},
                    tmp_path / "g", n_workers=1)
    assert set(res.rows[0]) == {"M", "s", "p", "outage_gcplus"}


def test_network_from_point():
    from cogc_theory.sweep import network_from_point

    net = network_from_point({"M": 5, "s": 2, "p": 0.1, "eps": 0.25})
    assert (net.M, net.s) == (5, 2) and all(len(net.neighbors(m)) == 2 for m in range(5))
    assert np.allclose(net.success_probabilities(), 0.9 * 0.75**2)
    net = network_from_point({"M": 6, "s": 2, "uplink_erasure": [0, 0.1, 0.2, 0.3, 0.4, 0.5],
                              "link_erasure": 0.5, "code": "fractional"})
    assert np.allclose(net.success_probabilities(), [(1 - q) * 0.25 for q in
                                                     (0, 0.1, 0.2, 0.3, 0.4, 0.5)])
    assert network_from_point({"M": 4, "s": 1, "exact": True}).B_exact is not None
    with pytest.raises(ValueError, match="both 'uplink_erasure' and its alias 'p'"):
        network_from_point({"M": 4, "s": 1, "p": 0.1, "uplink_erasure": 0.1})
    with pytest.raises(ValueError, match="'M'"):
        network_from_point({"s": 1})
    with pytest.raises(ValueError, match="point\\['s'\\] must be <= 3"):
        network_from_point({"M": 4, "s": 4})
    with pytest.raises(ValueError, match="point\\['code'\\] must be one of"):
        network_from_point({"M": 4, "s": 1, "code": "mds"})
    with pytest.raises(ValueError, match="uplink_erasure"):
        network_from_point({"M": 4, "s": 1, "p": 1.5})


def test_interrupted_outage_mc_unit_is_not_saved_as_finished(tmp_path, monkeypatch):
    """Ctrl-C inside a unit: simulate.outage returns its partial estimate, but the unit must
    not be recorded (the sweep stops); the rerun then simulates every trial of the point."""
    from types import SimpleNamespace

    from cogc_theory import simulate

    real = simulate.outage
    monkeypatch.setattr(simulate, "outage", lambda net, decoder, trials, seed: SimpleNamespace(
        status="interrupted", failures=1, trials=trials // 3))
    task = make_task("outage-mc", trials=4_000, chunk_trials=2_000)
    grid = {"M": 4, "s": 1, "p": 0.2, "eps": 0.2}
    with pytest.raises(KeyboardInterrupt):
        run_sweep(task, grid, tmp_path / "w", seed=1, n_workers=1)
    monkeypatch.setattr(simulate, "outage", real)
    res = run_sweep(task, grid, tmp_path / "w", seed=1, n_workers=1)
    assert res.rows[0]["n_trials"] == 4_000


def test_outage_mc_task_real_simulator(tmp_path):
    """Monte Carlo outage against the closed form: two-sided binomial tests, family-wise
    false-alarm rate 1e-6 (Bonferroni over the 2 points); identical files with 1 and 2 workers."""
    from scipy.stats import binomtest

    task = make_task("outage-mc", trials=20_000, chunk_trials=5_000)
    grid = {"M": 4, "s": 1, "p": [0.1, 0.3], "eps": 0.2}
    res = run_sweep(task, grid, tmp_path / "w1", seed=3, n_workers=1)
    run_sweep(task, grid, tmp_path / "w2", seed=3, n_workers=2)
    # integer counts and the same interval formula on them: byte for byte
    assert tree(tmp_path / "w1") == tree(tmp_path / "w2")
    for row in res.rows:
        pi = (1 - Fraction(row["p"]).limit_denominator(100)) * Fraction(4, 5)
        exact = float(sum(comb(4, j) * pi**j * (1 - pi) ** (4 - j) for j in range(3)))
        assert row["n_trials"] == 20_000
        assert binomtest(row["failures"], row["n_trials"], exact).pvalue > 1e-6 / 2
        assert row["ci_low"] <= row["estimate"] <= row["ci_high"]


def test_train_task_real_simulator(tmp_path):
    """The train task on the real simulator: each unit is simulate.train with the unit's own
    seed (rows equal direct calls, chunk by chunk), and the files are identical with 1 and 2
    workers."""
    from cogc_theory import simulate
    from cogc_theory.sweep import network_from_point, unit_seed
    from cogc_theory.sweep._tasks import int_seed

    task = make_task("train", rounds=6, trials=4, chunk_trials=2, problem="least-squares",
                     scheme="gcplus")
    grid = {"M": 4, "s": 1, "p": 0.3, "eps": 0.3}
    res = run_sweep(task, grid, tmp_path / "w1", seed=5, n_workers=1)
    run_sweep(task, grid, tmp_path / "w2", seed=5, n_workers=2)
    # a unit is the same simulate.train call (2 trials, its seed, single-threaded BLAS) in
    # this process or a worker process on this machine: the same arithmetic, byte for byte
    assert tree(tmp_path / "w1") == tree(tmp_path / "w2")
    (row,) = res.rows
    point = expand_grid(grid)[0]
    direct = np.concatenate([
        simulate.train(network_from_point(point), problem="least-squares", scheme="gcplus",
                       rounds=6, trials=2, seed=int_seed(unit_seed(5, point, c))).loss
        for c in range(2)])
    assert row["n_trials"] == 4
    # the units' losses are these very calls (read back exactly from JSON), concatenated and
    # averaged by the same numpy operations: exactly equal
    np.testing.assert_array_equal(np.asarray(row["loss_mean"]), direct.mean(axis=0))
    assert row["final_loss_mean"] == float(direct[:, -1].mean())
