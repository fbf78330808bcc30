"""The ``cogc`` command line.

``cogc report --out DIR`` runs the main job; the other subcommands expose each part. Every
scenario parameter is an option and may also come from ``--config FILE.toml`` (a
``[scenario]`` table; options given on the command line win). Errors are one line on stderr
(``cogc: error: ...``) and a non-zero exit status; Ctrl-C exits with status 130.

Exit status: 0 success; 1 a failed check, validation row or report stage; 2 bad usage or bad
input; 130 interrupted.

Every input, including each ``--out``, is checked before any work starts; options that would be
ignored (``--json`` with ``--symbolic``, ``--out`` for ``simulate`` without ``--train``, ...)
are refused. Files are written to a temporary name and renamed when complete
(:mod:`cogc_theory._io`), so a file that is there is complete.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

PROG = "cogc"


class CLIError(Exception):
    """An error to report as one line with exit status ``code``."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CLIError(f"{message} (see '{self.prog} --help')", 2)


def _err(*args: Any) -> None:
    print(*args, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- parsing helpers
def _prob_list(text: str) -> float | list[float]:
    """``0.1`` or ``0.1,0.2,...`` (per-client values)."""
    try:
        vals = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a probability or a comma-separated list of probabilities, got {text!r}"
        ) from None
    if not vals:
        raise argparse.ArgumentTypeError("empty value")
    for v in vals:
        if not (math.isfinite(v) and 0.0 <= v <= 1.0):
            raise argparse.ArgumentTypeError(f"probabilities must lie in [0, 1], got {v}")
    return vals[0] if len(vals) == 1 else vals


def _float_list(text: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}") from None


def _positive_int(text: str) -> int:
    try:
        v = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {v}")
    return v


def _nonneg_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {v}")
    return v


_SCENARIO_DEST = {"M": "M", "s": "s", "code": "code", "construction": "construction",
                  "code_seed": "code_seed", "exact": "exact", "p": "p", "eps": "eps",
                  "reciprocal": "reciprocal", "decoder": "decoder", "rule": "rule",
                  "trials": "trials", "seed": "seed", "rounds": "rounds", "problem": "problem",
                  "scheme": "scheme"}


def _add_config(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE.toml",
                   help="read parameters from a TOML file: its [scenario] table (outage, "
                        "bound, simulate, plot), [study] (report) or [sweep] (sweep); other "
                        "tables are refused; command-line options override it")


def _add_network(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("network")
    g.add_argument("-M", "--clients", dest="M", type=_positive_int, metavar="M",
                   help="number of clients (default 10)")
    g.add_argument("-s", "--stragglers", dest="s", type=_nonneg_int, metavar="S",
                   help="straggler tolerance s of the code (default 2)")
    g.add_argument("--code", choices=("cyclic", "fractional"),
                   help="GC matrix: cyclic repetition (default) or fractional repetition")
    g.add_argument("--construction",
                   help="cyclic construction passed to codes.cyclic_repetition (default: "
                        "the library's well-conditioned default)")
    g.add_argument("--code-seed", dest="code_seed", type=_nonneg_int, metavar="SEED",
                   help="seed of the cyclic construction (default 0)")
    g.add_argument("--exact", action="store_const", const=True, default=None,
                   help="rational cyclic B (exact arithmetic)")
    g.add_argument("-p", "--uplink-erasure", dest="p", type=_prob_list, metavar="P",
                   help="uplink erasure probability, or M comma-separated values "
                        "(default 0.1)")
    g.add_argument("-e", "--eps", "--link-erasure", dest="eps", type=_prob_list,
                   metavar="EPS", help="client-link erasure probability (default 0.1; a "
                                       "matrix only via --config)")
    g.add_argument("--reciprocal", action="store_const", const=True, default=None,
                   help="reciprocal client links (one draw per pair)")


def _add_decoder(p: argparse.ArgumentParser, both: bool = True) -> None:
    choices = ("standard", "gcplus", "both") if both else ("standard", "gcplus")
    p.add_argument("--decoder", choices=choices,
                   help="standard GC decoding (CoGC), GC+, or both (default: both)")
    p.add_argument("--rule", choices=("max-subset", "individual", "least-squares"),
                   help="GC+ partial-recovery rule (default max-subset)")


def _add_mc(p: argparse.ArgumentParser) -> None:
    p.add_argument("--trials", type=_positive_int, help="Monte Carlo trials")
    p.add_argument("--seed", type=_nonneg_int, help="random seed (default 0)")


def _add_train(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("training")
    g.add_argument("--rounds", type=_positive_int, help="training rounds (default 100)")
    g.add_argument("--problem", help="training problem (default digits)")
    g.add_argument("--scheme", help="training scheme (default gcplus)")


def _scenario(args: argparse.Namespace, **defaults: Any) -> Any:
    from .config import Scenario, load_table

    data: dict[str, Any] = dict(defaults)
    if getattr(args, "config", None) is not None:
        data.update(load_table(args.config, "scenario"))
    for key, dest in _SCENARIO_DEST.items():
        v = getattr(args, dest, None)
        if v is not None:
            data[key] = v
    return Scenario.from_mapping(data)


def _given(*pairs: tuple[str, Any]) -> list[str]:
    """The option names among ``(name, value)`` pairs whose value was given (not None/False)."""
    return [name for name, v in pairs if v is not None and v is not False]


def _refuse(given: list[str], why: str) -> None:
    """Refuse the options ``given`` (exit 2) with one line: "OPTIONS {why}", where ``why``
    may hold ``{apply}`` and ``{them}`` (singular or plural to match)."""
    if given:
        one = len(given) == 1
        why = why.format(apply="applies" if one else "apply", them="it" if one else "them")
        raise CLIError(f"{', '.join(given)} {why}")


def _out_dir(path: str) -> Path:
    """Check a directory ``--out`` before any work: create it (with parents), probe a write."""
    from ._io import writable_dir

    if not path.strip():
        raise CLIError("--out is empty; give a directory, e.g. --out results")
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {path!r} is an existing file, not a directory; give a new or "
                       "existing directory")
    try:
        writable_dir(out)
    except OSError as exc:
        raise CLIError(f"--out {path!r}: cannot write there ({exc.strerror or exc}); choose "
                       "a writable directory") from None
    return out


def _out_file(path: str, example: str) -> Path:
    """Check a file ``--out`` before any work: a file name, parent created and writable."""
    from ._io import writable_dir

    if not path.strip():
        raise CLIError(f"--out is empty; give a file name, e.g. --out {example}")
    out = Path(path)
    if path.endswith(("/", os.sep)) or out.is_dir():
        raise CLIError(f"--out {path!r} is a directory; give a file name, e.g. --out "
                       f"{os.path.join(path, example)}")
    try:
        writable_dir(out.parent)
    except OSError as exc:
        raise CLIError(f"--out {path!r}: cannot write in {str(out.parent)!r} "
                       f"({exc.strerror or exc}); choose a writable location") from None
    return out


def _decoders(sc: Any) -> tuple[str, ...]:
    return ("standard", "gcplus") if sc.decoder == "both" else (sc.decoder,)


_DEC_NAME = {"standard": "CoGC (standard decoding)", "gcplus": "GC+"}


# ---------------------------------------------------------------------------- subcommands
def cmd_outage(args: argparse.Namespace) -> int:
    from . import outage

    if args.symbolic:
        _refuse(_given(("-p", args.p), ("-e", args.eps), ("--precise", args.precise),
                       ("--rel-tol", args.rel_tol)),
                "cannot be combined with --symbolic, which gives the formula in the symbols p "
                "and epsilon (the same for every link)")
    elif args.rel_tol is not None and not args.precise:
        raise CLIError("--rel-tol applies to --precise only; add --precise or drop --rel-tol")
    sc = _scenario(args)
    if args.symbolic:
        import sympy as sp

        het = [k for k in ("p", "eps") if isinstance(getattr(sc, k), list)]
        if het:
            raise CLIError(f"--symbolic needs the same erasure on every link, but the config "
                           f"gives per-link values for {', '.join(het)}; drop them or "
                           "--symbolic")
        p, e = sp.symbols("p epsilon")
        net = sc.__class__(**{**sc.to_dict(), "p": 0.0, "eps": 0.0}).network()
        net = net.with_erasures(uplink_erasure=p, link_erasure=e)
        formulas = {}
        for d in _decoders(sc):
            f = outage.cogc_formula(net) if d == "standard" else outage.gcplus_formula(net)
            formulas[d] = {"closed_form": str(f.closed_form), "latex": f.latex}
        if args.json:
            print(json.dumps({"scenario": {**sc.to_dict(), "p": "p", "eps": "epsilon"},
                              "formulas": formulas}))
            return 0
        for d, f in formulas.items():
            print(f"{_DEC_NAME[d]}: P_out = {f['closed_form']}")
            print(f"  LaTeX: {f['latex']}")
        return 0
    net = sc.network()
    results = {}
    for d in _decoders(sc):
        if args.precise:
            from .outage import precision

            fn = precision.cogc if d == "standard" else precision.gcplus
            val = fn(net) if args.rel_tol is None else fn(net, rel_tol=args.rel_tol)
            results[d] = str(val)
        else:
            fn = outage.cogc if d == "standard" else outage.gcplus
            results[d] = float(fn(net))
    if args.json:
        print(json.dumps({"scenario": sc.to_dict(), "outage": results}))
    else:
        for d, v in results.items():
            print(f"{_DEC_NAME[d]}: P_out = {v!r}" if isinstance(v, float)
                  else f"{_DEC_NAME[d]}: P_out = {v}")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    if not args.train:
        _refuse(_given(("--out", args.out), ("--problem", args.problem),
                       ("--scheme", args.scheme), ("--rounds", args.rounds),
                       ("--train-trials", args.train_trials)),
                "{apply} to --train only; add --train or drop {them}")
        return _simulate_outage_cli(args)
    _refuse(_given(("--decoder", args.decoder), ("--rule", args.rule), ("--json", args.json)),
            "{apply} to the Monte Carlo outage, not to --train (the training scheme is "
            "--scheme); drop {them}")
    import numpy as np

    from . import simulate
    from ._io import atomic_open

    sc = _scenario(args, trials=100_000)
    out = _out_file(args.out, "loss.csv") if args.out is not None else None
    net = sc.network()
    train_trials = 10 if args.train_trials is None else args.train_trials
    try:
        run = simulate.train(net, problem=sc.problem, scheme=sc.scheme, rounds=sc.rounds,
                             trials=min(sc.trials, train_trials), seed=sc.seed)
    except KeyboardInterrupt:
        raise KeyboardInterrupt("training was not finished; nothing was printed or "
                                "written") from None
    L = np.asarray(run.loss, dtype=float)
    print(f"training {sc.problem} / {sc.scheme}: {L.shape[0]} trials x {sc.rounds} rounds")
    step = max(1, sc.rounds // 10)
    for t in list(range(0, L.shape[1], step)) + ([L.shape[1] - 1]
                                                 if (L.shape[1] - 1) % step else []):
        print(f"  round {t:5d}: loss mean {L[:, t].mean():.6g} (std {L[:, t].std():.3g})")
    if out is not None:
        with atomic_open(out, "w") as fh:
            np.savetxt(fh, L, delimiter=",")
        print(f"wrote {out}")
    return 0


def _simulate_outage_cli(args: argparse.Namespace) -> int:
    """``cogc simulate`` without ``--train``: Monte Carlo outage per decoder.

    ``ct.simulate.outage`` answers Ctrl-C with a partial estimate (status ``"interrupted"``):
    it is printed labelled ``interrupted (N of M trials)``, the remaining decoders are not
    run, and the exit status is 130.
    """
    from scipy.stats import binomtest

    from . import simulate

    sc = _scenario(args, trials=100_000)
    net = sc.network()
    decs = _decoders(sc)
    out: dict[str, dict[str, Any]] = {}
    interrupted = None
    for d in decs:
        t0 = time.perf_counter()
        est = simulate.outage(net, decoder=d, trials=sc.trials, seed=sc.seed)
        k, n = int(est.failures), int(est.trials)
        r: dict[str, Any] = {"estimate": None, "failures": k, "trials": n, "ci_low": None,
                             "ci_high": None, "seconds": time.perf_counter() - t0,
                             "source": "ct.simulate.outage", "status": "complete"}
        if n > 0:
            ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
            r.update(estimate=k / n, ci_low=ci.low, ci_high=ci.high)
        out[d] = r
        if est.status == "interrupted":
            r["status"] = f"interrupted ({n:,} of {sc.trials:,} trials)"
            interrupted = d
            break
    if args.json:
        print(json.dumps({"scenario": sc.to_dict(), "monte_carlo": out,
                          "interrupted": interrupted is not None}))
    else:
        for d, r in out.items():
            label = "" if r["status"] == "complete" else f"  [{r['status']}]"
            if r["estimate"] is None:
                print(f"{_DEC_NAME[d]}: no estimate{label}")
                continue
            print(f"{_DEC_NAME[d]}: P_out ~ {r['estimate']:.6g}  95% CI [{r['ci_low']:.6g}, "
                  f"{r['ci_high']:.6g}]  ({r['failures']:,} outages in {r['trials']:,} "
                  f"trials, {r['seconds']:.1f} s, {r['source']}){label}")
    if interrupted is not None:
        skipped = [_DEC_NAME[d] for d in decs[decs.index(interrupted) + 1:]]
        raise KeyboardInterrupt(
            f"the {_DEC_NAME[interrupted]} estimate covers {out[interrupted]['trials']:,} of "
            f"{sc.trials:,} trials" + (f"; {', '.join(skipped)} was not run" if skipped
                                       else ""))
    return 0


def cmd_bound(args: argparse.Namespace) -> int:
    from . import bounds

    if args.target is not None and not (math.isfinite(args.target) and args.target > 0):
        raise CLIError(f"--target must be a positive finite number (the bound value to "
                       f"reach), got {args.target:g}")
    for k in ("eta", "L", "mu", "sigma2", "zeta2", "Delta0"):
        v = getattr(args, k)
        if v is not None and not math.isfinite(v):
            raise CLIError(f"--{k} must be a finite number, got {v:g}")
    sc = _scenario(args)
    if args.rule == "least-squares" and "gcplus" in _decoders(sc):
        raise CLIError("--rule least-squares has no recovered subset K, which the GC+ bounds "
                       "need; use --rule max-subset or individual (or --decoder standard)")
    kind = args.kind or "strongly-convex"
    vals = {"eta": 0.5, "L": 1.0, "mu": 0.1, "sigma2": 0.0, "zeta2": 0.0, "Delta0": 1.0}
    vals.update({k: getattr(args, k) for k in vals if getattr(args, k) is not None})
    if kind == "nonconvex":
        vals.pop("mu")
    net = sc.network()
    lines = []   # everything is computed (and so checked) before anything is printed
    for d in _decoders(sc):
        scheme = "cogc" if d == "standard" else "gcplus"
        fn = bounds.strongly_convex if kind == "strongly-convex" else bounds.nonconvex
        # GC+: the law of |K| under --rule; by default max-subset, or the individual rule
        # when max-subset enumeration is out of reach (the bound then says so)
        b = fn(scheme, net=net, **({"rule": args.rule or "auto"} if scheme == "gcplus" else {}))
        use = {k: v for k, v in vals.items() if bounds.SYMBOLS[k] in b.free_symbols}
        value = b(T=sc.rounds, **use)
        floor = float(b.floor.subs({bounds.SYMBOLS[k]: v for k, v in use.items()}))
        rule = " [individual rule]" if "individual" in b.name else ""
        lines.append(f"{_DEC_NAME[d]}{rule} ({kind}): bound at T={sc.rounds}: {value:.6g}; "
                     f"floor (T -> oo): {floor:.6g}")
        lines.append(f"  parameters: {', '.join(f'{k}={v:g}' for k, v in use.items())}")
        if args.target is not None:
            lines.append(f"  rounds to reach {args.target:g}: "
                         f"{b.rounds_to_accuracy(args.target, **use)}")
        if args.latex:
            lines.append(f"  LaTeX: {b.latex}")
    print("\n".join(lines))
    return 0


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
    from . import sweep
    from .config import load_table

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
    out = args.out or spec.pop("out", None)
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
    scheduler = args.scheduler or spec.get("scheduler")
    _out_dir(str(out))
    t0 = time.perf_counter()
    try:
        res = sweep.run_sweep(task, grid, out, seed=seed, scheduler=scheduler,
                              n_workers=args.workers or spec.get("workers"),
                              progress=None if args.quiet else sys.stderr)
    except KeyboardInterrupt:
        raise KeyboardInterrupt(f"the finished points are kept in {out}; rerun the same "
                                "command to resume") from None
    for row in res.rows:
        print(json.dumps({k: (v if not hasattr(v, "tolist") else v.tolist())
                          for k, v in row.items()
                          if not (isinstance(v, list) and len(v) > 8)}))
    _err(f"cogc sweep: {len(res.rows)} points in {time.perf_counter() - t0:.1f} s; "
         f"results in {out}")
    return 0


def _out_stem(path: str) -> str:
    """Check ``plot --out`` (a path without extension) before any work."""
    if not path.strip() or not os.path.basename(path):
        raise CLIError(f"--out {path!r} has no file name; give a path without extension, "
                       f"e.g. --out {os.path.join(path, 'figure')}")
    for ext in ("png", "pdf"):
        if os.path.isdir(f"{path}.{ext}"):
            raise CLIError(f"--out {path!r}: {path}.{ext} is a directory; choose another name")
    _out_file(path, "figure")
    return path


def cmd_plot(args: argparse.Namespace) -> int:
    import numpy as np

    from . import outage, plots

    kind = args.kind
    # options of one kind of plot only: refused for the others rather than ignored
    kinds = {"--vary": ("outage",), "--rate": ("snr",), "--grid": ("outage", "snr"),
             "--decoder": ("outage", "snr")}
    given = {"--vary": args.vary, "--rate": args.rate, "--grid": args.grid,
             "--decoder": args.decoder}
    _refuse([f for f, v in given.items() if v is not None and kind not in kinds[f]],
            f"{{apply}} to other kinds of plot, not to 'plot {kind}'; drop {{them}}")
    if args.grid is not None:
        if not args.grid:
            raise CLIError("--grid is empty; give comma-separated values, e.g. --grid "
                           + ("0.05,0.1,0.2" if kind == "outage" else "0,10,20"))
        what = "probabilities in [0, 1]" if kind == "outage" else "finite SNR values in dB"
        bad = [v for v in args.grid
               if not math.isfinite(v) or (kind == "outage" and not 0.0 <= v <= 1.0)]
        if bad:
            raise CLIError(f"--grid values must be {what}, got {bad[0]:g}")
    from .channels import _MAX_RATE

    if args.rate is not None and not (math.isfinite(args.rate) and 0 < args.rate <= _MAX_RATE):
        raise CLIError(f"--rate must be a positive number of bits (at most {_MAX_RATE:g}), got "
                       f"{args.rate:g}")
    stem = _out_stem(args.out)
    sc = _scenario(args)
    if kind == "outage":
        grid = args.grid or [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4]
        vary = args.vary or "p"
        exact: dict[str, list[float]] = {}
        for d in _decoders(sc):
            vals = []
            for v in grid:
                kw = {"p": v} if vary == "p" else {"eps": v}
                net = sc.__class__(**{**sc.to_dict(), **kw}).network()
                vals.append(float((outage.cogc if d == "standard" else outage.gcplus)(net)))
            exact[f"{'CoGC' if d == 'standard' else 'GC+'} s={sc.s}"] = vals
        xl = "uplink erasure probability $p$" if vary == "p" else \
            r"client-link erasure probability $\varepsilon$"
        fig = plots.outage_vs_erasure(np.asarray(grid), exact, xlabel=xl,
                                      title=f"{sc.code}, M={sc.M}")
    elif kind == "snr":
        from . import codes
        from .outage import fading

        B = (codes.cyclic_repetition(sc.M, sc.s, seed=sc.code_seed) if sc.code == "cyclic"
             else codes.fractional_repetition(sc.M, sc.s))
        net = fading.fading_network(B, rate=1.0 if args.rate is None else args.rate)
        snr_db = np.asarray(args.grid or [0, 5, 10, 15, 20, 25, 30], dtype=float)
        curves, asym = {}, {}
        for d in _decoders(sc):
            lab = "CoGC" if d == "standard" else "GC+"
            fn = outage.cogc if d == "standard" else outage.gcplus
            curves[lab] = [float(fn(net.subs({fading.SNR: 10 ** (x / 10)}))) for x in snr_db]
            dv = fading.diversity(net, d)
            asym[lab] = (dv.order, float(dv.constant))
        fig = plots.outage_vs_snr(snr_db, curves, asym, title=f"M={sc.M}, s={sc.s}")
    else:  # recovered
        d = outage.gcplus_distribution(sc.network())
        fig = plots.recovered_set_distribution(
            {r: np.asarray(v, dtype=float) for r, v in d.size_pmf.items()},
            title=f"GC+ recovered-set size, M={sc.M}, s={sc.s}")
    paths = plots.save(fig, stem)
    print("wrote " + ", ".join(paths))
    return 0


def cmd_prove(args: argparse.Namespace) -> int:
    import importlib

    from ._io import write_text

    out = _out_dir(args.out)
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
    from ._io import write_text
    from .validation import campaigns

    if args.no_mc and args.trials is not None:
        raise CLIError("--trials sets the Monte Carlo trials and cannot be combined with "
                       "--no-mc; drop one of them")
    if not (math.isfinite(args.fwer) and 0 < args.fwer < 1):
        raise CLIError(f"--fwer must lie in (0, 1), got {args.fwer:g}")
    out = _out_dir(args.out) if args.out is not None else None
    try:
        res = campaigns.run_campaign(quick=args.quick, trials=args.trials or (
            5000 if args.quick else 50_000), seed=args.seed or 0, fwer=args.fwer,
            include_mc=not args.no_mc, progress=None if args.quiet else _err)
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
    from . import report
    from .config import Study, default_study, load_table, quick_study

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
    _out_dir(args.out)
    t0 = time.perf_counter()

    def progress(msg: str) -> None:
        _err(f"[{time.perf_counter() - t0:6.1f} s] {msg}")

    try:
        res = report.run_report(args.out, study=study, quick=args.quick, progress=progress,
                                only=only, overwrite=args.overwrite)
    except KeyboardInterrupt as exc:
        detail = f"{exc}; " if str(exc) else ""
        raise KeyboardInterrupt(f"{detail}{Path(args.out) / 'report.md'} keeps the finished "
                                "sections and marks the others") from None
    failed = [s.key for s in res.failed_sections]
    _err(f"cogc report: {len(res.sections) - len(failed)}/{len(res.sections)} sections ok"
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


# ---------------------------------------------------------------------------- parser
EPILOG = """\
examples:
  cogc report --out report              # the main job (default study, a few minutes)
  cogc report --quick --out /tmp/r      # reduced study (under a minute)
  cogc outage -M 10 -s 2 -p 0.1 -e 0.2  # exact outage of CoGC and GC+
  cogc outage -M 6 -s 2 --symbolic      # the formulas in p and epsilon, with LaTeX
  cogc simulate -M 10 -s 2 -p 0.1 -e 0.2 --trials 200000 --seed 1
  cogc validate --quick                 # formulas vs enumeration and Monte Carlo
  cogc sweep --task outage-exact --grid M=10 --grid s=1,2,3 --grid p=0.05,0.1 \\
    --grid decoder=standard --out sw    # exact CoGC outage on a grid (resumable)
  cogc plot outage --vary p -M 10 -s 2 --out fig/outage
  cogc prove --out proofs_out
  cogc outage --config scenario.toml    # parameters from a [scenario] TOML table

exit status: 0 ok; 1 a failed check/validation/report stage; 2 bad input; 130 interrupted
"""


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    fmt = argparse.RawDescriptionHelpFormatter
    parser = _Parser(prog=PROG, formatter_class=fmt, epilog=EPILOG,
                     description="Cooperative gradient coding (CoGC) and GC+: exact outage, "
                                 "bounds, simulation, validation and reports.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("outage", help="exact outage probability of CoGC and/or GC+",
                       formatter_class=fmt, description="Exact outage probabilities.",
                       epilog="examples:\n  cogc outage -M 10 -s 2 -p 0.1 -e 0.2\n"
                              "  cogc outage -M 4 -s 1 --decoder standard --symbolic\n"
                              "  cogc outage -M 10 -s 1 -p 1e-4 -e 1e-4 --precise\n"
                              "  cogc outage --config scenario.toml --json")
    _add_config(p)
    _add_network(p)
    _add_decoder(p)
    p.add_argument("--symbolic", action="store_true",
                   help="print the formula in symbols p, epsilon (and its LaTeX); not with "
                        "-p, -e, --precise")
    p.add_argument("--precise", action="store_true",
                   help="high-precision tail (mpmath) with relative error --rel-tol")
    p.add_argument("--rel-tol", type=float, help="for --precise (default 1e-10)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_outage)

    p = sub.add_parser("bound", help="convergence bounds for CoGC and GC+",
                       formatter_class=fmt, description="Convergence bounds (ct.bounds).",
                       epilog="examples:\n  cogc bound -M 10 -s 2 -p 0.1 -e 0.1 --eta 0.5 "
                              "--L 1 --mu 0.1 --rounds 100 --target 1e-3\n"
                              "  cogc bound -M 6 -s 1 --kind nonconvex --sigma2 0.1 --latex")
    _add_config(p)
    _add_network(p)
    _add_decoder(p)
    p.add_argument("--kind", choices=("strongly-convex", "nonconvex"), help="bound type")
    for name, h in (("eta", "step size"), ("L", "smoothness constant"),
                    ("mu", "strong convexity"), ("sigma2", "gradient noise variance"),
                    ("zeta2", "client heterogeneity"),
                    ("Delta0", "initial gap F(w_0) - F*")):
        p.add_argument(f"--{name}", type=float, help=h)
    p.add_argument("--rounds", type=_positive_int, help="rounds T (default 100)")
    p.add_argument("--target", type=float,
                   help="also print the rounds to reach this bound value (> 0)")
    p.add_argument("--latex", action="store_true", help="print the bound in LaTeX")
    p.set_defaults(func=cmd_bound)

    p = sub.add_parser("simulate", help="Monte Carlo outage (or training with --train)",
                       formatter_class=fmt, description="Monte Carlo simulation.",
                       epilog="examples:\n  cogc simulate -M 10 -s 2 -p 0.1 -e 0.2 "
                              "--trials 200000\n  cogc simulate --train --problem digits "
                              "--scheme gcplus --rounds 100")
    _add_config(p)
    _add_network(p)
    _add_decoder(p)
    _add_mc(p)
    _add_train(p)
    p.add_argument("--train", action="store_true",
                   help="run training instead of outage (then --decoder, --rule, --json do "
                        "not apply; --out, --problem, --scheme, --rounds, --train-trials "
                        "apply only then)")
    p.add_argument("--train-trials", type=_positive_int,
                   help="training trials (default 10)")
    p.add_argument("--out", help="with --train: write the loss matrix (trials x rounds+1) "
                                 "as CSV (parent directories are created)")
    p.add_argument("--json", action="store_true",
                   help="print JSON (an interrupted run is marked \"interrupted\": true)")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("sweep", help="parameter sweep (local or Dask), resumable",
                       formatter_class=fmt, description="Parameter sweeps (ct.sweep).",
                       epilog="examples:\n  cogc sweep --task outage-exact --grid M=10 --grid "
                              "s=1,2 --grid p=0.05,0.1 --grid eps=0.1 --out sw\n"
                              "  cogc sweep --task outage-mc --trials 100000 --grid M=10 "
                              "--grid s=2 --grid p=0.1 --out sw2 --scheduler tcp://host:8786\n"
                              "  cogc sweep --config sweep.toml   # [sweep] task, out, "
                              "[sweep.grid]")
    _add_config(p)
    p.add_argument("--task", choices=("outage-exact", "outage-mc", "train"))
    p.add_argument("--grid", action="append", metavar="KEY=V1,V2",
                   help="grid axis (repeat); keys: M, s, p, eps, code, decoder, trials, ...")
    p.add_argument("--out", help="output directory (rerun to resume)")
    p.add_argument("--seed", type=_nonneg_int)
    p.add_argument("--trials", type=_positive_int, help="Monte Carlo / training trials")
    p.add_argument("--chunk-trials", type=_positive_int, help="trials per unit of work")
    p.add_argument("--scheduler", help="Dask scheduler address (default: local machine)")
    p.add_argument("--workers", type=_positive_int, help="local worker processes")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("plot", help="one figure (PNG and PDF)", formatter_class=fmt,
                       description="Draw one figure from a scenario.",
                       epilog="examples:\n  cogc plot outage --vary p -M 10 -s 2 -e 0.1 "
                              "--out fig/outage\n  cogc plot snr -M 10 -s 2 --decoder standard "
                              "--out fig/snr\n  cogc plot recovered -M 8 -s 1 --out fig/K")
    p.add_argument("kind", choices=("outage", "snr", "recovered"))
    _add_config(p)
    _add_network(p)
    _add_decoder(p)
    p.add_argument("--vary", choices=("p", "eps"),
                   help="for 'outage': the erasure probability on the x axis (default p)")
    p.add_argument("--grid", type=_float_list,
                   help="x values (probabilities, or SNR in dB for 'snr'); not for 'recovered'")
    p.add_argument("--rate", type=float, help="for 'snr': rate R in bits (default 1)")
    p.add_argument("--out", required=True,
                   help="output path without extension (writes OUT.png and OUT.pdf; parent "
                        "directories are created)")
    p.set_defaults(func=cmd_plot)

    p = sub.add_parser("prove", help="run the self-checking proofs, write a report",
                       formatter_class=fmt, description="Run proofs/ (cogc_theory.proofs).",
                       epilog="examples:\n  cogc prove --out proofs_out")
    p.add_argument("--out", required=True,
                   help="output directory (created if missing; proofs.md is written there)")
    p.set_defaults(func=cmd_prove)

    p = sub.add_parser("validate", help="formulas vs enumeration and Monte Carlo",
                       formatter_class=fmt,
                       description="Validation campaign: closed forms vs exact enumeration "
                                   "and Monte Carlo, Holm-controlled family-wise rate.",
                       epilog="examples:\n  cogc validate --quick\n  cogc validate --trials "
                              "100000 --fwer 1e-3 --out val")
    p.add_argument("--quick", action="store_true", help="small scenario grid")
    p.add_argument("--trials", type=_positive_int,
                   help="Monte Carlo trials per comparison (50000; quick 5000); not with "
                        "--no-mc")
    p.add_argument("--seed", type=_nonneg_int)
    p.add_argument("--fwer", type=float, default=1e-3,
                   help="family-wise false-alarm rate (default 1e-3)")
    p.add_argument("--no-mc", action="store_true", help="exact checks only")
    p.add_argument("--out", help="also write validation.csv / validation.md in this directory "
                                 "(created if missing)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("report", help="the main job: run the study, write a report folder",
                       formatter_class=fmt,
                       description="Run the embedded default study (M=10, cyclic B, "
                                   "s in {1,2,3}, erasure grids,\ntraining on digits) and "
                                   "write report.md, figures (PNG, PDF), CSV and the\n"
                                   "validation table.\n\n"
                                   "--out must be a new or empty folder. A folder that holds "
                                   "an earlier report is reused\nonly with --overwrite, "
                                   "which first removes the files that report wrote\n"
                                   "(report.md, study.json, validation.csv/.md and the "
                                   "files in figures/, data/, logs/,\nproofs/) and keeps "
                                   "every other file.",
                       epilog="examples:\n  cogc report --out report\n  cogc report --quick "
                              "--out /tmp/r\n  cogc report --config study.toml --out r   "
                              "# [study] table overrides the default study\n"
                              "  cogc report --quick --only formulas --out r --overwrite")
    p.add_argument("--out", required=True,
                   help="output directory: new, empty, or an earlier report with --overwrite")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the earlier report in --out: remove the files it wrote first "
                        "(other files are kept)")
    p.add_argument("--quick", action="store_true", help="reduced study (< 1 minute)")
    _add_config(p)
    p.add_argument("--seed", type=_nonneg_int)
    p.add_argument("--only", help="comma-separated stages: formulas, outage, fading, "
                                  "recovered, training, bounds, proofs, validation (default "
                                  "all)")
    p.set_defaults(func=cmd_report)
    _add_check_decoder(sub, fmt)
    return parser


# ---------------------------------------------------------------------------- check-decoder
# Registration only: the command's logic is cogc_theory.testing.check_decoder_command (it
# imports hypothesis, so it is loaded when the command runs). Self-contained; move as a block.
def _add_check_decoder(sub: Any, fmt: Any) -> None:
    p = sub.add_parser(
        "check-decoder", help="conformance suite for your own decoder (pass/fail table)",
        formatter_class=fmt, description="Property-test a decoder against the exact oracle "
        "(cogc_theory.testing.check_decoder); exit status 1 if a property fails.",
        epilog="examples:\n  cogc check-decoder cogc_theory.decode:gcplus --examples 5\n"
               "  cogc check-decoder cogc_theory.decode:standard --kind standard --seed 0 "
               "--examples 5\n  cogc check-decoder cogc_theory.decode:gcplus --rules individual "
               "--no-batched --only 'exact oracle'\n"
               "(yours: cogc check-decoder mypkg.decoders:decode, or path/to/file.py:decode; "
               "in CI --examples 2000)")
    p.add_argument("decoder", metavar="MODULE:FUNCTION",
                   help="package.module:function or path/to/file.py:function")
    p.add_argument("--kind", choices=("gcplus", "standard"), default="gcplus",
                   help="fn(Bt, arrived, rule=...) (default) or fn(B, received)")
    p.add_argument("--examples", type=_positive_int, help="examples per property (100)")
    p.add_argument("--rules", help="comma-separated GC+ rules it implements (default: "
                                   "those it accepts)")
    p.add_argument("--full-only", action="store_true", help="GC+ decoder of full recovery only")
    p.add_argument("--batched", action=argparse.BooleanOptionalAction, default=None,
                   help="require / skip batched input (default: tested if accepted)")
    p.add_argument("--exact", action=argparse.BooleanOptionalAction, default=None,
                   help="require / skip sympy input (default: tested if accepted)")
    p.add_argument("--seed", type=_nonneg_int, help="fixed run (default: explore)")
    p.add_argument("--tol", type=float, help="certificate tolerance (1e-7)")
    p.add_argument("--cond-max", type=float, help="largest condition number (1e7)")
    p.add_argument("--only", help="comma-separated properties to run")
    p.add_argument("--reproduce", metavar="PROPERTY:BLOB", help="replay a printed failure")
    p.set_defaults(func=cmd_check_decoder)


def cmd_check_decoder(args: argparse.Namespace) -> int:
    from .testing import check_decoder_command

    return check_decoder_command(args)


def _one_line(exc: BaseException) -> str:
    msg = str(exc).strip() or type(exc).__name__
    return " ".join(msg.split())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``cogc``; returns the exit status."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if getattr(args, "func", None) is None:
            parser.print_help(sys.stderr)
            return 2
        return int(args.func(args))
    except CLIError as exc:
        _err(f"{PROG}: error: {_one_line(exc)}")
        return exc.code
    except KeyboardInterrupt as exc:
        # commands re-raise with what was kept (or that nothing was written)
        detail = " ".join(str(exc).split())
        _err(f"{PROG}: interrupted" + (f"; {detail}" if detail else ""))
        return 130
    except (ValueError, TypeError, KeyError, ArithmeticError) as exc:
        _err(f"{PROG}: error: {_one_line(exc)}")
        return 2
    except ImportError as exc:
        _err(f"{PROG}: error: a required module is missing: {_one_line(exc)}")
        return 1
    except OSError as exc:
        _err(f"{PROG}: error: {_one_line(exc)}")
        return 1
    except SystemExit as exc:   # argparse --help / --version
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    except Exception as exc:  # noqa: BLE001 - never a traceback
        _err(f"{PROG}: error: internal error ({type(exc).__name__}): {_one_line(exc)}")
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
