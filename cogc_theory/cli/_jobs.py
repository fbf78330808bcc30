"""``cogc sweep``, ``cogc prove``, ``cogc validate`` and ``cogc report``: the jobs that write
folders."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._common import CLIError, err, out_dir

__all__ = ["cmd_prove", "cmd_report", "cmd_sweep", "cmd_validate"]


def _grid_arg(items: Sequence[str]) -> dict[str, Any]:
    grid: dict[str, Any] = {}
    for it in items:
        if "=" not in it:
            raise ValueError(f"--grid expects KEY=V1,V2,..., got {it!r}")
        k, v = it.split("=", 1)
        if k.strip() in grid:
            raise ValueError(f"--grid {k.strip()} is given twice; list its values once, e.g. "
                             f"--grid {k.strip()}=6,8")
        vals = []
        for x in v.split(","):
            x = x.strip()
            try:
                vals.append(int(x))
            except ValueError:
                try:
                    vals.append(float(x))
                except ValueError:
                    vals.append(x)
        grid[k.strip()] = vals
    return grid


def cmd_sweep(args: argparse.Namespace) -> int:
    """``cogc sweep``: everything is checked before ``--out`` is created (the task and its
    options, every grid point, the unit limit, the backend, the folder), so a refused sweep
    writes nothing."""
    from .. import sweep

    task, grid, out, seed, scheduler, workers = _sweep_spec(args)
    plan = sweep.plan_sweep(task, grid, seed=seed)
    sweep.check_backend(scheduler, workers)
    out_dir(str(out), create=False)
    plan.check_dir(out)
    t0 = time.perf_counter()
    try:
        res = sweep.run_sweep(task, grid, out, seed=seed, scheduler=scheduler,
                              n_workers=workers, progress=None if args.quiet else sys.stderr)
    except KeyboardInterrupt:
        raise KeyboardInterrupt(f"the finished points are kept in {out}; rerun the same "
                                "command to resume") from None
    for row in res.rows:
        print(json.dumps({k: (v if not hasattr(v, "tolist") else v.tolist())
                          for k, v in row.items()
                          if not (isinstance(v, list) and len(v) > 8)}))
    err(f"cogc sweep: {len(res.rows)} points in {time.perf_counter() - t0:.1f} s; "
        f"results in {out}")
    return 0


def _sweep_spec(args: argparse.Namespace) -> tuple[Any, dict[str, Any], Path, Any, Any, Any]:
    """The sweep the options and the ``[sweep]`` table describe (options win): ``(task,
    grid, out, seed, scheduler, workers)``. A relative ``out`` read from a config file is
    relative to the file's folder; ``--out`` to the working directory."""
    from .. import sweep
    from ..config import load_table

    spec: dict[str, Any] = {}
    if args.config is not None:
        spec = load_table(args.config, "sweep")
    grid = spec.pop("grid", {})
    if not isinstance(grid, dict):
        raise ValueError(f"[sweep] grid in {args.config!r} must be a table: [sweep.grid] with "
                         "KEY = [V1, V2, ...]")
    grid = dict(grid)
    grid.update(_grid_arg(args.grid or []))
    task_name = args.task or spec.pop("task", "outage-exact")
    spec.pop("task", None)
    out: Any = args.out
    if out is None and spec.get("out") is not None:
        out = spec["out"]
        if not isinstance(out, str):
            raise ValueError(f"[sweep] out in {args.config!r} must be a directory name (a "
                             f"string), got {out!r}")
        out = Path(args.config).parent / out       # relative to the config file's folder
    spec.pop("out", None)
    if not out:
        raise ValueError("cogc sweep needs --out DIR (where finished points are written)")
    if not grid:
        raise ValueError("cogc sweep needs a grid: --grid M=10 --grid s=1,2 --grid p=0.1,0.2 "
                         "or a [sweep.grid] table in --config")
    seed = args.seed if args.seed is not None else spec.pop("seed", 0)
    spec.pop("seed", None)
    opts = {k: v for k, v in spec.items() if k not in ("scheduler", "workers")}
    if args.trials is not None:
        opts["trials"] = args.trials
    if args.chunk_trials is not None:
        opts["chunk_trials"] = args.chunk_trials
    task = sweep.make_task(task_name, **opts)
    return (task, grid, Path(out), seed, args.scheduler or spec.get("scheduler"),
            args.workers or spec.get("workers"))


def cmd_prove(args: argparse.Namespace) -> int:
    import importlib

    from .._io import write_text

    out = out_dir(args.out)
    proofs = importlib.import_module("cogc_theory.proofs")
    run_all = getattr(proofs, "run_all", None)
    if run_all is None:
        raise CLIError("cogc_theory.proofs.run_all is not available in this installation", 1)
    try:
        res = run_all()
    except KeyboardInterrupt:
        raise KeyboardInterrupt("the proofs were not finished; nothing was written") from None
    write_text(out / "proofs.md", res.to_markdown())
    res.path = out / "proofs.md"
    print(res)
    print(f"wrote proofs report to {args.out}")
    ok = getattr(res, "passed", getattr(res, "ok", True))
    return 0 if ok is not False else 1


def cmd_validate(args: argparse.Namespace) -> int:
    from .._io import write_text
    from ..validation import campaigns

    if args.no_mc and args.trials is not None:
        raise CLIError("--trials sets the Monte Carlo trials and cannot be combined with "
                       "--no-mc; drop one of them")
    if not (math.isfinite(args.fwer) and 0 < args.fwer < 1):
        raise CLIError(f"--fwer must lie in (0, 1), got {args.fwer:g}")
    out = out_dir(args.out) if args.out is not None else None
    try:
        res = campaigns.run_campaign(quick=args.quick, trials=args.trials or (
            5000 if args.quick else 50_000), seed=args.seed or 0, fwer=args.fwer,
            include_mc=not args.no_mc, progress=None if args.quiet else err)
    except KeyboardInterrupt as exc:
        detail = f"{exc}; " if str(exc) else ""
        raise KeyboardInterrupt(f"{detail}the campaign was not finished and nothing was "
                                "written") from None
    print(res.method())
    print()
    print(res.table_markdown())
    print()
    print(res.summary())
    if out is not None:
        res.to_csv(out / "validation.csv")
        write_text(out / "validation.md", res.method() + "\n\n" + res.table_markdown() + "\n")
        print(f"wrote {out / 'validation.csv'} and {out / 'validation.md'}")
    return 0 if res.passed else 1


def cmd_report(args: argparse.Namespace) -> int:
    from .. import report
    from ..config import Study, default_study, load_table, quick_study

    base = quick_study() if args.quick else default_study()
    study = base
    if args.config is not None:
        study = Study.from_mapping(load_table(args.config, "study"), base=base)
    if args.seed is not None:
        study.seed = args.seed
    only = None
    if args.only is not None:
        keys = [k for k, _, _ in report.STAGES]
        only = [k.strip() for k in args.only.split(",") if k.strip()]
        if not only:
            raise CLIError(f"--only is empty; give comma-separated stages from {keys}")
        unknown = [k for k in only if k not in keys]
        if unknown:
            raise CLIError(f"--only: unknown stage(s) {unknown}; choose from {keys}")
    # the folder is checked before any work: new, empty, or an earlier report with --overwrite
    report.check_out_dir(args.out, overwrite=args.overwrite, option="--out",
                         flag="--overwrite")
    out_dir(args.out)
    t0 = time.perf_counter()

    def progress(msg: str) -> None:
        err(f"[{time.perf_counter() - t0:6.1f} s] {msg}")

    try:
        res = report.run_report(args.out, study=study, quick=args.quick, progress=progress,
                                only=only, overwrite=args.overwrite)
    except KeyboardInterrupt as exc:
        detail = f"{exc}; " if str(exc) else ""
        raise KeyboardInterrupt(f"{detail}{Path(args.out) / 'report.md'} keeps the finished "
                                "sections and marks the others") from None
    failed = [s.key for s in res.failed_sections]
    err(f"cogc report: {len(res.sections) - len(failed)}/{len(res.sections)} sections ok"
         + (f", FAILED: {', '.join(failed)}" if failed else "")
         + (f"; validation {'PASS' if res.validation_passed else 'FAIL'}"
            if res.validation is not None else "")
         + f"; {res.seconds:.1f} s")
    written = set()   # what this run wrote (not what an earlier run may have left)
    for f in res.files:
        parts = Path(f).relative_to(res.out_dir).parts
        written.add(parts[0] + ("/" if len(parts) > 1 else ""))
    written.discard("report.md")
    print(f"wrote {Path(args.out) / 'report.md'} (and {', '.join(sorted(written))} in "
          f"{args.out})")
    return res.exit_code
