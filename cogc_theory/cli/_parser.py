"""The ``cogc`` argument parser (internal): the shared option groups and one builder per
subcommand."""

from __future__ import annotations

import argparse
import math
from typing import Any, NoReturn

from . import _analysis, _check, _jobs, _simulate
from ._common import PROG, CLIError

__all__ = ["EPILOG", "Parser", "build_parser"]


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are :class:`CLIError` (one line, exit 2)."""

    def error(self, message: str) -> NoReturn:
        raise CLIError(f"{message} (see '{self.prog} --help')", 2)


# ---------------------------------------------------------------------------- option types
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


# ---------------------------------------------------------------------------- option groups
def _add_config(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE.toml",
                   help="read parameters from a TOML file: its [scenario] table (outage, "
                        "bound, simulate, plot), [study] (report) or [sweep] (sweep); other "
                        "tables are refused; command-line options override it; a relative "
                        "path in the file is relative to the file's folder")


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


# ---------------------------------------------------------------------------- the parser
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
    """The ``cogc`` parser: global options and one subparser per command (``args.func``).

    Examples
    --------
    >>> args = build_parser().parse_args(["outage", "-M", "4", "-s", "1"])
    >>> args.command, args.M, args.s, args.func.__name__
    ('outage', 4, 1, 'cmd_outage')
    """
    from .. import __version__

    fmt = argparse.RawDescriptionHelpFormatter
    parser = Parser(prog=PROG, formatter_class=fmt, epilog=EPILOG,
                    description="Cooperative gradient coding (CoGC) and GC+: exact outage, "
                                "bounds, simulation, validation and reports.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for add in (_build_outage, _build_bound, _build_simulate, _build_sweep, _build_plot,
                _build_prove, _build_validate, _build_report, _build_check_decoder):
        add(sub, fmt)
    return parser


def _build_outage(sub: Any, fmt: type) -> None:
    """The ``cogc outage`` subcommand."""
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
    p.set_defaults(func=_analysis.cmd_outage)


def _build_bound(sub: Any, fmt: type) -> None:
    """The ``cogc bound`` subcommand."""
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
    p.set_defaults(func=_analysis.cmd_bound)


def _build_simulate(sub: Any, fmt: type) -> None:
    """The ``cogc simulate`` subcommand."""
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
    p.set_defaults(func=_simulate.cmd_simulate)


def _build_sweep(sub: Any, fmt: type) -> None:
    """The ``cogc sweep`` subcommand."""
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
    p.add_argument("--out", help="output directory (rerun to resume; created only once every "
                                 "input is checked)")
    p.add_argument("--seed", type=_nonneg_int)
    p.add_argument("--trials", type=_positive_int, help="Monte Carlo / training trials")
    p.add_argument("--chunk-trials", type=_positive_int, help="trials per unit of work")
    p.add_argument("--scheduler", help="Dask scheduler address (default: local machine)")
    p.add_argument("--workers", type=_positive_int, help="local worker processes")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=_jobs.cmd_sweep)


def _build_plot(sub: Any, fmt: type) -> None:
    """The ``cogc plot`` subcommand."""
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
    p.set_defaults(func=_analysis.cmd_plot)


def _build_prove(sub: Any, fmt: type) -> None:
    """The ``cogc prove`` subcommand."""
    p = sub.add_parser("prove", help="run the self-checking proofs, write a report",
                       formatter_class=fmt, description="Run proofs/ (cogc_theory.proofs).",
                       epilog="examples:\n  cogc prove --out proofs_out")
    p.add_argument("--out", required=True,
                   help="output directory (created if missing; proofs.md is written there)")
    p.set_defaults(func=_jobs.cmd_prove)


def _build_validate(sub: Any, fmt: type) -> None:
    """The ``cogc validate`` subcommand."""
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
    p.set_defaults(func=_jobs.cmd_validate)


def _build_report(sub: Any, fmt: type) -> None:
    """The ``cogc report`` subcommand."""
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
    p.set_defaults(func=_jobs.cmd_report)


def _build_check_decoder(sub: Any, fmt: type) -> None:
    """The ``cogc check-decoder`` subcommand."""
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
    p.set_defaults(func=_check.cmd_check_decoder)
