"""The ``cogc`` command line.

``cogc report --out DIR`` runs the main job; the other subcommands expose each part. Every
scenario parameter is an option and may also come from ``--config FILE.toml`` (a
``[scenario]`` table; options given on the command line win). Errors are one line on stderr
(``cogc: error: ...``) and a non-zero exit status; Ctrl-C exits with status 130.

Exit status: 0 success; 1 a failed check, validation row or report stage; 2 bad usage or bad
input; 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import math
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
                   help="read parameters from a TOML file ([scenario], [study] or [sweep] "
                        "table); command-line options override it")


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
    from .config import Scenario, load_toml

    data: dict[str, Any] = dict(defaults)
    if getattr(args, "config", None):
        cfg = load_toml(args.config)
        table = cfg.get("scenario", {})
        if not isinstance(table, dict):
            raise ValueError(f"[scenario] in {args.config} must be a table")
        data.update(table)
    for key, dest in _SCENARIO_DEST.items():
        v = getattr(args, dest, None)
        if v is not None:
            data[key] = v
    return Scenario.from_mapping(data)


def _decoders(sc: Any) -> tuple[str, ...]:
    return ("standard", "gcplus") if sc.decoder == "both" else (sc.decoder,)


_DEC_NAME = {"standard": "CoGC (standard decoding)", "gcplus": "GC+"}


# ---------------------------------------------------------------------------- subcommands
def cmd_outage(args: argparse.Namespace) -> int:
    from . import outage

    sc = _scenario(args)
    if args.symbolic:
        import sympy as sp

        p, e = sp.symbols("p epsilon")
        net = sc.__class__(**{**sc.to_dict(), "p": 0.0, "eps": 0.0}).network()
        net = net.with_erasures(uplink_erasure=p, link_erasure=e)
        for d in _decoders(sc):
            f = outage.cogc_formula(net) if d == "standard" else outage.gcplus_formula(net)
            print(f"{_DEC_NAME[d]}: P_out = {f.closed_form}")
            print(f"  LaTeX: {f.latex}")
        return 0
    net = sc.network()
    results = {}
    for d in _decoders(sc):
        if args.precise:
            from .outage import precision

            fn = precision.cogc if d == "standard" else precision.gcplus
            val = fn(net, rel_tol=args.rel_tol)
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
    from scipy.stats import binomtest

    sc = _scenario(args, trials=100_000)
    net = sc.network()
    if args.train:
        from . import simulate

        run = simulate.train(net, problem=sc.problem, scheme=sc.scheme, rounds=sc.rounds,
                             trials=min(sc.trials, args.train_trials), seed=sc.seed)
        import numpy as np

        L = np.asarray(run.loss, dtype=float)
        print(f"training {sc.problem} / {sc.scheme}: {L.shape[0]} trials x {sc.rounds} rounds")
        step = max(1, sc.rounds // 10)
        for t in list(range(0, L.shape[1], step)) + ([L.shape[1] - 1]
                                                     if (L.shape[1] - 1) % step else []):
            print(f"  round {t:5d}: loss mean {L[:, t].mean():.6g} (std {L[:, t].std():.3g})")
        if args.out:
            np.savetxt(args.out, L, delimiter=",")
            print(f"wrote {args.out}")
        return 0
    from .validation.campaigns import _simulate_outage

    out = {}
    for d in _decoders(sc):
        t0 = time.perf_counter()
        k, n, src = _simulate_outage(net, d, sc.trials, sc.seed)
        ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        out[d] = {"estimate": k / n, "failures": k, "trials": n, "ci_low": ci.low,
                  "ci_high": ci.high, "seconds": time.perf_counter() - t0, "source": src}
    if args.json:
        print(json.dumps({"scenario": sc.to_dict(), "monte_carlo": out}))
    else:
        for d, r in out.items():
            print(f"{_DEC_NAME[d]}: P_out ~ {r['estimate']:.6g}  95% CI [{r['ci_low']:.6g}, "
                  f"{r['ci_high']:.6g}]  ({r['failures']:,} outages in {r['trials']:,} "
                  f"trials, {r['seconds']:.1f} s, {r['source']})")
    return 0


def cmd_bound(args: argparse.Namespace) -> int:
    from . import bounds

    sc = _scenario(args)
    kind = args.kind or "strongly-convex"
    vals = {"eta": 0.5, "L": 1.0, "mu": 0.1, "sigma2": 0.0, "zeta2": 0.0, "Delta0": 1.0}
    vals.update({k: getattr(args, k) for k in vals if getattr(args, k) is not None})
    if kind == "nonconvex":
        vals.pop("mu")
    net = sc.network()
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
        print(f"{_DEC_NAME[d]}{rule} ({kind}): bound at T={sc.rounds}: {value:.6g}; "
              f"floor (T -> oo): {floor:.6g}")
        print(f"  parameters: {', '.join(f'{k}={v:g}' for k, v in use.items())}")
        if args.target is not None:
            print(f"  rounds to reach {args.target:g}: "
                  f"{b.rounds_to_accuracy(args.target, **use)}")
        if args.latex:
            print(f"  LaTeX: {b.latex}")
    return 0


def _grid_arg(items: Sequence[str]) -> dict[str, Any]:
    grid: dict[str, Any] = {}
    for it in items:
        if "=" not in it:
            raise ValueError(f"--grid expects KEY=V1,V2,..., got {it!r}")
        k, v = it.split("=", 1)
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
    from .config import load_toml

    spec: dict[str, Any] = {}
    if args.config:
        spec = dict(load_toml(args.config).get("sweep", {}))
    grid = dict(spec.pop("grid", {}))
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
    t0 = time.perf_counter()
    res = sweep.run_sweep(task, grid, out, seed=seed, scheduler=scheduler,
                          n_workers=args.workers or spec.get("workers"),
                          progress=None if args.quiet else sys.stderr)
    for row in res.rows:
        print(json.dumps({k: (v if not hasattr(v, "tolist") else v.tolist())
                          for k, v in row.items()
                          if not (isinstance(v, list) and len(v) > 8)}))
    _err(f"cogc sweep: {len(res.rows)} points in {time.perf_counter() - t0:.1f} s; "
         f"results in {out}")
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    import numpy as np

    from . import outage, plots

    sc = _scenario(args)
    if args.kind == "outage":
        grid = args.grid or [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4]
        exact: dict[str, list[float]] = {}
        for d in _decoders(sc):
            vals = []
            for v in grid:
                kw = {"p": v} if args.vary == "p" else {"eps": v}
                net = sc.__class__(**{**sc.to_dict(), **kw}).network()
                vals.append(float((outage.cogc if d == "standard" else outage.gcplus)(net)))
            exact[f"{'CoGC' if d == 'standard' else 'GC+'} s={sc.s}"] = vals
        xl = "uplink erasure probability $p$" if args.vary == "p" else \
            r"client-link erasure probability $\varepsilon$"
        fig = plots.outage_vs_erasure(np.asarray(grid), exact, xlabel=xl,
                                      title=f"{sc.code}, M={sc.M}")
    elif args.kind == "snr":
        from . import codes
        from .outage import fading

        B = (codes.cyclic_repetition(sc.M, sc.s, seed=sc.code_seed) if sc.code == "cyclic"
             else codes.fractional_repetition(sc.M, sc.s))
        net = fading.fading_network(B, rate=args.rate)
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
    paths = plots.save(fig, args.out)
    print("wrote " + ", ".join(paths))
    return 0


def cmd_prove(args: argparse.Namespace) -> int:
    import importlib

    proofs = importlib.import_module("cogc_theory.proofs")
    run_all = getattr(proofs, "run_all", None)
    if run_all is None:
        raise CLIError("cogc_theory.proofs.run_all is not available in this installation", 1)
    res = run_all(args.out)
    if res is not None:
        print(res)
    print(f"wrote proofs report to {args.out}")
    ok = getattr(res, "passed", getattr(res, "ok", True))
    return 0 if ok is not False else 1


def cmd_validate(args: argparse.Namespace) -> int:
    from .validation import campaigns

    res = campaigns.run_campaign(quick=args.quick, trials=args.trials or (
        5000 if args.quick else 50_000), seed=args.seed or 0, fwer=args.fwer,
        include_mc=not args.no_mc, progress=None if args.quiet else _err)
    print(res.method())
    print()
    print(res.table_markdown())
    print()
    print(res.summary())
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        res.to_csv(out / "validation.csv")
        (out / "validation.md").write_text(res.method() + "\n\n" + res.table_markdown() + "\n")
        print(f"wrote {out / 'validation.csv'} and {out / 'validation.md'}")
    return 0 if res.passed else 1


def cmd_report(args: argparse.Namespace) -> int:
    from . import report
    from .config import Study, default_study, load_toml, quick_study

    base = quick_study() if args.quick else default_study()
    study = base
    if args.config:
        table = load_toml(args.config).get("study", {})
        study = Study.from_mapping(table, base=base)
    if args.seed is not None:
        study.seed = args.seed
    t0 = time.perf_counter()

    def progress(msg: str) -> None:
        _err(f"[{time.perf_counter() - t0:6.1f} s] {msg}")

    only = args.only.split(",") if args.only else None
    res = report.run_report(args.out, study=study, quick=args.quick, progress=progress,
                            only=only)
    failed = [s.key for s in res.failed_sections]
    _err(f"cogc report: {len(res.sections) - len(failed)}/{len(res.sections)} sections ok"
         + (f", FAILED: {', '.join(failed)}" if failed else "")
         + (f"; validation {'PASS' if res.validation_passed else 'FAIL'}"
            if res.validation is not None else "")
         + f"; {res.seconds:.1f} s")
    print(f"wrote {Path(args.out) / 'report.md'} (figures, data, validation.csv in "
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
  cogc sweep --task outage-exact --grid M=10 --grid s=1,2,3 --grid p=0.05,0.1 --out sw
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
                   help="print the formula in symbols p, epsilon (and its LaTeX)")
    p.add_argument("--precise", action="store_true",
                   help="high-precision tail (mpmath) with relative error --rel-tol")
    p.add_argument("--rel-tol", type=float, default=1e-10, help="for --precise (1e-10)")
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
    p.add_argument("--target", type=float, help="also print the rounds to reach this bound")
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
    p.add_argument("--train", action="store_true", help="run training instead of outage")
    p.add_argument("--train-trials", type=_positive_int, default=10,
                   help="training trials (default 10)")
    p.add_argument("--out", help="with --train: write the loss matrix (trials x rounds+1) "
                                 "as CSV")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("sweep", help="parameter sweep (local or Dask), resumable",
                       formatter_class=fmt, description="Parameter sweeps (ct.sweep).",
                       epilog="examples:\n  cogc sweep --task outage-exact --grid M=10 --grid "
                              "s=1,2,3 --grid p=0.05,0.1 --grid eps=0.1 --out sw\n"
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
    p.add_argument("--vary", choices=("p", "eps"), default="p",
                   help="for 'outage': the erasure probability on the x axis")
    p.add_argument("--grid", type=_float_list,
                   help="x values (probabilities, or SNR in dB for 'snr')")
    p.add_argument("--rate", type=float, default=1.0, help="for 'snr': rate R (default 1)")
    p.add_argument("--out", required=True, help="output path without extension")
    p.set_defaults(func=cmd_plot)

    p = sub.add_parser("prove", help="run the self-checking proofs, write a report",
                       formatter_class=fmt, description="Run proofs/ (cogc_theory.proofs).",
                       epilog="examples:\n  cogc prove --out proofs_out")
    p.add_argument("--out", required=True, help="output directory")
    p.set_defaults(func=cmd_prove)

    p = sub.add_parser("validate", help="formulas vs enumeration and Monte Carlo",
                       formatter_class=fmt,
                       description="Validation campaign: closed forms vs exact enumeration "
                                   "and Monte Carlo, Holm-controlled family-wise rate.",
                       epilog="examples:\n  cogc validate --quick\n  cogc validate --trials "
                              "100000 --fwer 1e-3 --out val")
    p.add_argument("--quick", action="store_true", help="small scenario grid")
    p.add_argument("--trials", type=_positive_int,
                   help="trials per comparison (50000; quick 5000)")
    p.add_argument("--seed", type=_nonneg_int)
    p.add_argument("--fwer", type=float, default=1e-3,
                   help="family-wise false-alarm rate (default 1e-3)")
    p.add_argument("--no-mc", action="store_true", help="exact checks only")
    p.add_argument("--out", help="also write validation.csv / validation.md here")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("report", help="the main job: run the study, write a report folder",
                       formatter_class=fmt,
                       description="Run the embedded default study (M=10, cyclic B, "
                                   "s in {1,2,3}, erasure grids, training on digits) and "
                                   "write report.md, figures (PNG, PDF), CSV and the "
                                   "validation table.",
                       epilog="examples:\n  cogc report --out report\n  cogc report --quick "
                              "--out /tmp/r\n  cogc report --config study.toml --out r   "
                              "# [study] table overrides the default study")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--quick", action="store_true", help="reduced study (< 1 minute)")
    _add_config(p)
    p.add_argument("--seed", type=_nonneg_int)
    p.add_argument("--only", help="comma-separated stages: formulas, outage, fading, "
                                  "recovered, training, bounds, proofs, validation")
    p.set_defaults(func=cmd_report)
    return parser


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
    except KeyboardInterrupt:
        _err(f"{PROG}: interrupted; finished work was kept")
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
