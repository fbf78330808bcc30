"""``cogc outage``, ``cogc bound`` and ``cogc plot``: the exact analysis of one scenario."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from ._common import DEC_NAME, CLIError, decoders, given, out_stem, refuse, scenario

__all__ = ["cmd_bound", "cmd_outage", "cmd_plot"]


def cmd_outage(args: argparse.Namespace) -> int:
    from .. import outage

    if args.symbolic:
        refuse(given(("-p", args.p), ("-e", args.eps), ("--precise", args.precise),
                     ("--rel-tol", args.rel_tol)),
               "cannot be combined with --symbolic, which gives the formula in the symbols p "
               "and epsilon (the same for every link)")
    elif args.rel_tol is not None and not args.precise:
        raise CLIError("--rel-tol applies to --precise only; add --precise or drop --rel-tol")
    sc = scenario(args)
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
        for d in decoders(sc):
            f = outage.cogc_formula(net) if d == "standard" else outage.gcplus_formula(net)
            formulas[d] = {"closed_form": str(f.closed_form), "latex": f.latex}
        if args.json:
            print(json.dumps({"scenario": {**sc.to_dict(), "p": "p", "eps": "epsilon"},
                              "formulas": formulas}))
            return 0
        for d, f in formulas.items():
            print(f"{DEC_NAME[d]}: P_out = {f['closed_form']}")
            print(f"  LaTeX: {f['latex']}")
        return 0
    net = sc.network()
    results = {}
    for d in decoders(sc):
        if args.precise:
            from ..outage import precision

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
            print(f"{DEC_NAME[d]}: P_out = {v!r}" if isinstance(v, float)
                  else f"{DEC_NAME[d]}: P_out = {v}")
    return 0


def cmd_bound(args: argparse.Namespace) -> int:
    from .. import bounds

    if args.target is not None and not (math.isfinite(args.target) and args.target > 0):
        raise CLIError(f"--target must be a positive finite number (the bound value to "
                       f"reach), got {args.target:g}")
    for k in ("eta", "L", "mu", "sigma2", "zeta2", "Delta0"):
        v = getattr(args, k)
        if v is not None and not math.isfinite(v):
            raise CLIError(f"--{k} must be a finite number, got {v:g}")
    sc = scenario(args)
    if args.rule == "least-squares" and "gcplus" in decoders(sc):
        raise CLIError("--rule least-squares has no recovered subset K, which the GC+ bounds "
                       "need; use --rule max-subset or individual (or --decoder standard)")
    kind = args.kind or "strongly-convex"
    vals = {"eta": 0.5, "L": 1.0, "mu": 0.1, "sigma2": 0.0, "zeta2": 0.0, "Delta0": 1.0}
    vals.update({k: getattr(args, k) for k in vals if getattr(args, k) is not None})
    if kind == "nonconvex":
        vals.pop("mu")
    net = sc.network()
    lines = []   # everything is computed (and so checked) before anything is printed
    for d in decoders(sc):
        scheme = "cogc" if d == "standard" else "gcplus"
        fn = bounds.strongly_convex if kind == "strongly-convex" else bounds.nonconvex
        # GC+: the law of |K| under --rule; by default max-subset, or the individual rule
        # when max-subset enumeration is out of reach (the bound then says so)
        b = fn(scheme, net=net, **({"rule": args.rule or "auto"} if scheme == "gcplus" else {}))
        use = {k: v for k, v in vals.items() if bounds.SYMBOLS[k] in b.free_symbols}
        value = b(T=sc.rounds, **use)
        floor = float(b.floor.subs({bounds.SYMBOLS[k]: v for k, v in use.items()}))
        rule = " [individual rule]" if "individual" in b.name else ""
        lines.append(f"{DEC_NAME[d]}{rule} ({kind}): bound at T={sc.rounds}: {value:.6g}; "
                     f"floor (T -> oo): {floor:.6g}")
        lines.append(f"  parameters: {', '.join(f'{k}={v:g}' for k, v in use.items())}")
        if args.target is not None:
            lines.append(f"  rounds to reach {args.target:g}: "
                         f"{b.rounds_to_accuracy(args.target, **use)}")
        if args.latex:
            lines.append(f"  LaTeX: {b.latex}")
    print("\n".join(lines))
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from .. import plots

    _check_plot_options(args)
    stem = out_stem(args.out)
    sc = scenario(args)
    if args.kind == "outage":
        fig = _outage_figure(sc, args)
    elif args.kind == "snr":
        fig = _snr_figure(sc, args)
    else:
        fig = _recovered_figure(sc)
    paths = plots.save(fig, stem)
    print("wrote " + ", ".join(paths))
    return 0


def _check_plot_options(args: argparse.Namespace) -> None:
    """Refuse the options of other kinds of plot (rather than ignore them), bad grids, rates."""
    kind = args.kind
    kinds = {"--vary": ("outage",), "--rate": ("snr",), "--grid": ("outage", "snr"),
             "--decoder": ("outage", "snr")}
    options = {"--vary": args.vary, "--rate": args.rate, "--grid": args.grid,
               "--decoder": args.decoder}
    refuse([f for f, v in options.items() if v is not None and kind not in kinds[f]],
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
    from ..channels import MAX_RATE

    if args.rate is not None and not (math.isfinite(args.rate) and 0 < args.rate <= MAX_RATE):
        raise CLIError(f"--rate must be a positive number of bits (at most {MAX_RATE:g}), got "
                       f"{args.rate:g}")


def _outage_figure(sc: Any, args: argparse.Namespace) -> Any:
    """Exact outage against the uplink (``--vary p``) or client-link erasure probability."""
    import numpy as np

    from .. import outage, plots

    grid = args.grid or [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4]
    vary = args.vary or "p"
    exact: dict[str, list[float]] = {}
    for d in decoders(sc):
        vals = []
        for v in grid:
            kw = {"p": v} if vary == "p" else {"eps": v}
            net = sc.__class__(**{**sc.to_dict(), **kw}).network()
            vals.append(float((outage.cogc if d == "standard" else outage.gcplus)(net)))
        exact[f"{'CoGC' if d == 'standard' else 'GC+'} s={sc.s}"] = vals
    xl = "uplink erasure probability $p$" if vary == "p" else \
        r"client-link erasure probability $\varepsilon$"
    return plots.outage_vs_erasure(np.asarray(grid), exact, xlabel=xl,
                                   title=f"{sc.code}, M={sc.M}")


def _snr_figure(sc: Any, args: argparse.Namespace) -> Any:
    """Outage under Rayleigh fading against the SNR, with the diversity asymptotes."""
    import numpy as np

    from .. import outage, plots
    from ..outage import fading

    B = sc.network().B                  # the scenario's code; fading replaces its erasures
    net = fading.fading_network(B, rate=1.0 if args.rate is None else args.rate)
    snr_db = np.asarray(args.grid or [0, 5, 10, 15, 20, 25, 30], dtype=float)
    curves, asym = {}, {}
    for d in decoders(sc):
        lab = "CoGC" if d == "standard" else "GC+"
        fn = outage.cogc if d == "standard" else outage.gcplus
        curves[lab] = [float(fn(net.subs({fading.SNR: 10 ** (x / 10)}))) for x in snr_db]
        dv = fading.diversity(net, d)
        asym[lab] = (dv.order, float(dv.constant))
    return plots.outage_vs_snr(snr_db, curves, asym, title=f"M={sc.M}, s={sc.s}")


def _recovered_figure(sc: Any) -> Any:
    """The law of the GC+ recovered-set size."""
    import numpy as np

    from .. import outage, plots

    d = outage.gcplus_distribution(sc.network())
    return plots.recovered_set_distribution(
        {r: np.asarray(v, dtype=float) for r, v in d.size_pmf.items()},
        title=f"GC+ recovered-set size, M={sc.M}, s={sc.s}")
