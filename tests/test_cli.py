"""The `cogc` command line: help, one-line errors, values against independent closed forms."""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shlex
import signal
import subprocess
import sys
import warnings
from fractions import Fraction

import numpy as np
import pytest

from cogc_theory import cli

SUBCOMMANDS = ["outage", "bound", "simulate", "sweep", "plot", "prove", "validate", "report",
               "check-decoder"]


def _cogc_threshold(M: int, s: int, p: Fraction, e: Fraction) -> Fraction:
    """Independent closed form: P[Bin(M, pi) <= M-s-1], pi = (1-p)(1-e)^s."""
    pi = (1 - p) * (1 - e) ** s
    return sum(math.comb(M, j) * pi**j * (1 - pi) ** (M - j) for j in range(M - s))


def _values(out: str) -> dict[str, float]:
    vals = {}
    for line in out.splitlines():
        m = re.match(r"(CoGC|GC\+).*P_out = (\S+)$", line)
        if m:
            vals[m.group(1)] = float(m.group(2))
    return vals


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_help_of_every_subcommand_shows_examples(sub, capsys):
    assert cli.main([sub, "--help"]) == 0
    out = capsys.readouterr().out
    assert f"usage: cogc {sub}" in out and "examples:" in out


def test_top_level_help_lists_every_subcommand(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(s in out for s in SUBCOMMANDS) and "cogc report --out" in out


def test_version(capsys):
    from cogc_theory import __version__

    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"cogc {__version__}"


@pytest.mark.parametrize("argv, code", [
    (["outage", "-p", "1.5"], 2),                     # probability out of range
    (["outage", "-p", "nan"], 2),
    (["outage", "-M", "4", "-s", "9"], 2),            # s out of range
    (["outage", "-M", "6", "-s", "3", "--code", "fractional"], 2),   # (s+1) does not divide M
    (["outage", "--config", "/nonexistent/x.toml"], 2),   # bad input, like any --config
    (["outage", "--decoder", "nope"], 2),
    (["frobnicate"], 2),
    (["report"], 2),                                  # --out missing
    (["sweep", "--grid", "M=4", "--grid", "s=1"], 2),  # --out missing
    (["validate", "--trials", "0"], 2),
    (["sweep", "--grid", "M=6", "--grid", "M=8", "--grid", "s=1", "--out", "x"], 2),  # twice
])
def test_errors_are_one_line_and_nonzero(argv, code, capsys):
    assert cli.main(argv) == code
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("cogc: error: ") and "Traceback" not in err


def test_bad_config_contents_are_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[scenario\nM = 4\n")
    assert cli.main(["outage", "--config", str(bad)]) == 2
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("[scenario]\nMM = 4\n")
    assert cli.main(["outage", "--config", str(unknown)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "not valid TOML" in err[0] and "'MM'" in err[1]


def test_subprocess_error_has_no_traceback():
    r = subprocess.run([sys.executable, "-m", "cogc_theory.cli", "outage", "-M", "4", "-s",
                        "7"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("cogc: error: ")
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_internal_errors_and_interrupts_are_one_line(monkeypatch, capsys):
    def boom(args):
        raise RuntimeError("something\nbroke")

    def interrupt(args):
        raise KeyboardInterrupt

    from cogc_theory.cli import _analysis  # the module the parser takes cmd_outage from

    monkeypatch.setattr(_analysis, "cmd_outage", boom)
    assert cli.main(["outage"]) == 1
    monkeypatch.setattr(_analysis, "cmd_outage", interrupt)
    assert cli.main(["outage"]) == 130
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln]
    assert err[0] == "cogc: error: internal error (RuntimeError): something broke"
    assert err[1].startswith("cogc: interrupted")


def test_outage_equals_independent_closed_forms(capsys):
    """CoGC: binomial tail; GC+ on the generic s=1 ring with M=4: full iff every client
    arrived or exactly one is absent and the other three are complete."""
    assert cli.main(["outage", "-M", "4", "-s", "1", "-p", "0.1", "-e", "0.2"]) == 0
    vals = _values(capsys.readouterr().out)
    p, e = Fraction(1, 10), Fraction(1, 5)
    assert vals["CoGC"] == pytest.approx(float(_cogc_threshold(4, 1, p, e)), rel=1e-12)
    gc = 1 - (1 - p) ** 4 - 4 * p * (1 - p) ** 3 * (1 - e) ** 3
    assert vals["GC+"] == pytest.approx(float(gc), rel=1e-12)


def test_outage_from_config_and_override(tmp_path, capsys):
    cfg = tmp_path / "s.toml"
    cfg.write_text('[scenario]\nM = 5\ns = 2\np = 0.1\neps = 0.2\ndecoder = "standard"\n')
    assert cli.main(["outage", "--config", str(cfg)]) == 0
    assert cli.main(["outage", "--config", str(cfg), "-p", "0.3", "--json"]) == 0
    out = capsys.readouterr().out.splitlines()
    v1 = _values(out[0])["CoGC"]
    v2 = json.loads(out[1])["outage"]["standard"]
    assert v1 == pytest.approx(float(_cogc_threshold(5, 2, Fraction(1, 10), Fraction(1, 5))),
                               rel=1e-12)
    assert v2 == pytest.approx(float(_cogc_threshold(5, 2, Fraction(3, 10), Fraction(1, 5))),
                               rel=1e-12)


def test_per_client_uplink_list(capsys):
    assert cli.main(["outage", "-M", "3", "-s", "1", "-p", "0.1,0.2,0.3", "-e", "0",
                     "--decoder", "standard"]) == 0
    v = _values(capsys.readouterr().out)["CoGC"]
    # fails iff at most one of the three uplinks succeeds
    q = [0.1, 0.2, 0.3]
    ref = q[0] * q[1] * q[2] + sum((1 - q[i]) * math.prod(q[j] for j in range(3) if j != i)
                                   for i in range(3))
    assert v == pytest.approx(ref, rel=1e-12)


def test_symbolic_outage_prints_latex(capsys):
    assert cli.main(["outage", "-M", "4", "-s", "1", "--symbolic", "--decoder",
                     "standard"]) == 0
    out = capsys.readouterr().out
    assert "LaTeX:" in out and r"\binom{4}{j}" in out


def test_simulate_agrees_with_exact_binomial_test(capsys):
    """Two-sided exact binomial test at alpha = 1e-6 against the closed form."""
    from scipy.stats import binomtest

    assert cli.main(["simulate", "-M", "4", "-s", "1", "-p", "0.1", "-e", "0.2",
                     "--decoder", "standard", "--trials", "20000", "--seed", "3",
                     "--json"]) == 0
    r = json.loads(capsys.readouterr().out)["monte_carlo"]["standard"]
    ref = float(_cogc_threshold(4, 1, Fraction(1, 10), Fraction(1, 5)))
    assert binomtest(r["failures"], r["trials"], ref).pvalue > 1e-6


def test_sweep_writes_results(tmp_path, capsys):
    out = tmp_path / "sw"
    assert cli.main(["sweep", "--task", "outage-exact", "--grid", "M=4", "--grid", "s=1",
                     "--grid", "p=0.1,0.2", "--grid", "eps=0.2", "--grid",
                     "decoder=standard", "--out", str(out), "--workers", "1",
                     "--quiet"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["p"] for r in rows] == [0.1, 0.2]
    for r in rows:
        ref = _cogc_threshold(4, 1, Fraction(r["p"]), Fraction(1, 5))
        assert r["outage_standard"] == pytest.approx(float(ref), rel=1e-12)
    assert (out / "manifest.json").exists()


def test_plot_writes_png_and_pdf(tmp_path, capsys):
    stem = tmp_path / "fig" / "o"
    assert cli.main(["plot", "outage", "-M", "4", "-s", "1", "--grid", "0.1,0.2",
                     "--out", str(stem)]) == 0
    for ext in ("png", "pdf"):
        assert (tmp_path / "fig" / f"o.{ext}").stat().st_size > 1000


def test_validate_quick_exact_only(capsys):
    assert cli.main(["validate", "--quick", "--no-mc", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith("-> PASS") and "**FAIL**" not in out


def test_bound_equals_contraction_closed_form(capsys):
    """CoGC, exact gradients: E F(w_T) - F* <= (1 - (1-P_out) mu eta (2 - L eta))^T Delta0."""
    assert cli.main(["bound", "-M", "4", "-s", "1", "-p", "0.1", "-e", "0.2", "--decoder",
                     "standard", "--eta", "0.5", "--L", "1", "--mu", "0.1", "--rounds",
                     "30"]) == 0
    out = capsys.readouterr().out
    val = float(re.search(r"bound at T=30: (\S+);", out).group(1))
    P = float(_cogc_threshold(4, 1, Fraction(1, 10), Fraction(1, 5)))
    ref = (1 - (1 - P) * 0.1 * 0.5 * (2 - 0.5)) ** 30
    assert val == pytest.approx(ref, rel=1e-5)


# ------------------------------------------------------------------ robustness (audit)
def _one_error(capsys, *words, prefix="cogc: error: "):
    """stderr is exactly one line starting with ``prefix`` and holding ``words``."""
    cap = capsys.readouterr()
    lines = [ln for ln in cap.err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith(prefix), cap.err
    assert "Traceback" not in cap.err
    for w in words:
        assert w in lines[0], (w, lines[0])
    return cap


def _ctrl_c_in_decoding(monkeypatch, after: int) -> None:
    """Ctrl-C inside ``ct.simulate.outage``'s decoding after ``after`` decoded batches; the
    library keeps the finished chunks and returns an estimate with status 'interrupted'."""
    from cogc_theory.simulate.montecarlo import OutageSystem

    real = OutageSystem.failures
    calls = {"n": 0}

    def failures(self, ok):
        if calls["n"] == after:
            raise KeyboardInterrupt
        calls["n"] += 1
        return real(self, ok)

    monkeypatch.setattr(OutageSystem, "failures", failures)


def test_simulate_ctrl_c_labels_partial_estimate_and_stops(monkeypatch, capsys):
    """Ctrl-C during CoGC's Monte Carlo: the JSON says interrupted (N of M trials), GC+ is not
    run, exit 130; the partial counts are exactly those of an uninterrupted N-trial run (chunk
    seeds depend on (seed, chunk) only)."""
    argv = ["simulate", "-M", "4", "-s", "1", "-p", "0.1", "-e", "0.2", "--seed", "3",
            "--json"]
    _ctrl_c_in_decoding(monkeypatch, after=2)
    assert cli.main(argv + ["--trials", "1000000"]) == 130
    cap = _one_error(capsys, "GC+ was not run", prefix="cogc: interrupted; ")
    res = json.loads(cap.out)
    r = res["monte_carlo"]["standard"]
    n = r["trials"]
    assert res["interrupted"] is True and list(res["monte_carlo"]) == ["standard"]
    assert 0 < n < 1_000_000 and n % 10_000 == 0
    assert r["status"] == f"interrupted ({n:,} of 1,000,000 trials)"
    assert f"covers {n:,} of 1,000,000 trials" in cap.err
    monkeypatch.undo()
    assert cli.main(argv + ["--trials", str(n), "--decoder", "standard"]) == 0
    full = json.loads(capsys.readouterr().out)
    assert full["interrupted"] is False
    assert full["monte_carlo"]["standard"]["status"] == "complete"
    assert full["monte_carlo"]["standard"]["failures"] == r["failures"]


def test_simulate_refuses_absurd_trials_at_once(capsys):
    """Issue 14: --trials 10**15 ran until killed. Refused in one line (exit 2) naming the
    limit, why, and the option to change, before any simulation."""
    import time

    t0 = time.perf_counter()
    assert cli.main(["simulate", "-M", "10", "-s", "2", "--trials", "1000000000000000"]) == 2
    assert time.perf_counter() - t0 < 5
    cap = _one_error(capsys, "--trials 1,000,000,000,000,000", "MAX_TRIALS = 10**12", "days",
                     "fewer --trials")
    assert cap.out == ""


def test_simulate_shows_progress_of_a_long_run(monkeypatch, capsys):
    """A run longer than PROGRESS_SECONDS prints progress lines to stderr (here the interval
    is 0, so one per batch of chunks); the result on stdout is that of a quiet run."""
    from cogc_theory.cli import _simulate

    argv = ["simulate", "-M", "4", "-s", "1", "--decoder", "standard", "--trials", "90000",
            "--json"]
    monkeypatch.setattr(_simulate, "PROGRESS_SECONDS", 0.0)
    assert cli.main(argv) == 0
    cap = capsys.readouterr()
    lines = cap.err.splitlines()
    assert [ln.split(":")[1].split(" of ")[0].strip() for ln in lines] == ["40,000", "80,000"]
    assert all("of 90,000 trials" in ln and "Ctrl-C stops" in ln for ln in lines)
    monkeypatch.setattr(_simulate, "PROGRESS_SECONDS", 3600.0)
    assert cli.main(argv) == 0
    quiet = capsys.readouterr()
    assert quiet.err == ""
    strip = [{k: v for k, v in json.loads(c.out)["monte_carlo"]["standard"].items()
              if k != "seconds"} for c in (cap, quiet)]
    assert strip[0] == strip[1]


def test_simulate_ctrl_c_text_output_is_labelled(monkeypatch, capsys):
    _ctrl_c_in_decoding(monkeypatch, after=0)       # before any chunk finished: no estimate
    assert cli.main(["simulate", "-M", "4", "-s", "1", "--decoder", "gcplus", "--trials",
                     "1000000"]) == 130
    cap = _one_error(capsys, "covers 0 of 1,000,000 trials", prefix="cogc: interrupted; ")
    assert cap.out.strip() == "GC+: no estimate  [interrupted (0 of 1,000,000 trials)]"


def test_validate_ctrl_c_writes_nothing(monkeypatch, tmp_path, capsys):
    """A partial Monte Carlo is not recorded as a full one: the campaign stops, exit 130."""
    _ctrl_c_in_decoding(monkeypatch, after=1)
    out = tmp_path / "val"
    assert cli.main(["validate", "--quick", "--quiet", "--out", str(out)]) == 130
    cap = _one_error(capsys, "the Monte Carlo run stopped after", "nothing was written",
                     prefix="cogc: interrupted; ")
    assert cap.out == "" and list(out.iterdir()) == []


def test_validate_sigint_subprocess(tmp_path):
    """A real SIGINT (Ctrl-C) during the campaign's Monte Carlo: exit 130, one line, no file.
    The signal is sent once the first scenario's progress line shows the campaign running."""
    out = tmp_path / "val"
    # ``python -m cogc_theory.cli`` with Python's Ctrl-C handler installed explicitly: a child
    # of a background job (a CI runner, ``cmd &``) inherits SIGINT *ignored*, and Python then
    # keeps ignoring it, so the signal would never reach the CLI
    child = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler)"
             "; sys.argv[0] = 'cogc'; runpy.run_module('cogc_theory.cli', run_name='__main__')")
    proc = subprocess.Popen([sys.executable, "-c", child, "validate", "--trials", "3000000",
                             "--out", str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stderr.readline()
        assert first.startswith("  validate "), first
        proc.send_signal(signal.SIGINT)
        stdout, rest = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    lines = [ln for ln in rest.splitlines() if ln.strip() and not ln.startswith("  validate ")]
    assert proc.returncode == 130, rest
    assert len(lines) == 1 and lines[0].startswith("cogc: interrupted; "), rest
    assert "nothing was written" in lines[0] and stdout == ""
    assert list(out.iterdir()) == []


def test_training_ctrl_c_says_nothing_was_written(monkeypatch, tmp_path, capsys):
    from cogc_theory import simulate

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(simulate, "train", interrupted)
    out = tmp_path / "loss.csv"
    assert cli.main(["simulate", "--train", "--rounds", "3", "--out", str(out)]) == 130
    cap = _one_error(capsys, "nothing was printed or written", prefix="cogc: interrupted; ")
    assert cap.out == "" and not out.exists()


@pytest.fixture
def no_work(monkeypatch, tmp_path):
    """Files afile, adir/ in a fresh cwd; every heavy entry point fails if it is reached."""
    import cogc_theory.proofs
    from cogc_theory.validation import campaigns

    from cogc_theory import outage, report, simulate, sweep

    def reached(*a, **k):
        pytest.fail("work started before the inputs were checked")

    for mod, name in ((cogc_theory.proofs, "run_all"), (campaigns, "run_campaign"),
                      (simulate, "train"), (simulate, "outage"), (report, "run_report"),
                      (sweep, "run_sweep"), (outage, "cogc"), (outage, "gcplus"),
                      (outage, "gcplus_distribution")):
        monkeypatch.setattr(mod, name, reached)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("keep\n")
    (tmp_path / "adir").mkdir()
    return tmp_path


@pytest.mark.parametrize("argv, words", [
    (["prove", "--out", "afile"], ["--out 'afile'", "not a directory"]),
    (["prove", "--out", "afile/sub"], ["--out 'afile/sub'", "cannot write"]),
    (["validate", "--quick", "--out", "afile"], ["--out 'afile'"]),
    (["sweep", "--grid", "M=4", "--grid", "s=1", "--out", "afile"], ["--out 'afile'"]),
    (["simulate", "--train", "--out", "adir"], ["--out 'adir' is a directory",
                                                "adir/loss.csv"]),
    (["simulate", "--train", "--out", "afile/x.csv"], ["--out 'afile/x.csv'",
                                                       "cannot write"]),
    (["plot", "outage", "--out", "adir/"], ["--out 'adir/' has no file name"]),
    (["plot", "outage", "--out", "adir"], ["--out 'adir' is a directory"]),
    (["plot", "outage", "--out", ""], ["has no file name"]),
    (["report", "--quick", "--out", ""], ["--out is empty"]),
    (["report", "--quick", "--out", "afile"], ["--out 'afile' is a file"]),
])
def test_out_is_checked_before_any_work(no_work, argv, words, capsys):
    assert cli.main(argv) == 2
    assert _one_error(capsys, *words).out == ""
    assert (no_work / "afile").read_text() == "keep\n"
    assert sorted(p.name for p in no_work.iterdir()) == ["adir", "afile"]
    assert list((no_work / "adir").iterdir()) == []


def test_train_out_creates_parents_and_writes_complete_csv(tmp_path, capsys):
    out = tmp_path / "new" / "dir" / "loss.csv"
    assert cli.main(["simulate", "--train", "--rounds", "2", "--train-trials", "2", "--out",
                     str(out)]) == 0
    L = np.loadtxt(out, delimiter=",", ndmin=2)
    assert L.shape == (2, 3) and np.isfinite(L).all()
    assert sorted(os.listdir(out.parent)) == ["loss.csv"]


def test_failed_write_leaves_no_truncated_file(monkeypatch, tmp_path, capsys):
    """The disk fills up half-way through the loss CSV: no file that looks finished, no
    temporary file, and an earlier complete file is kept as it was."""
    def half_then_enospc(fh, *a, **k):
        fh.write("1.0,2.0\n")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savetxt", half_then_enospc)
    out = tmp_path / "loss.csv"
    argv = ["simulate", "--train", "--rounds", "2", "--train-trials", "1", "--out", str(out)]
    assert cli.main(argv) == 1
    _one_error(capsys, "No space left on device")
    assert os.listdir(tmp_path) == []
    out.write_text("earlier,complete\n")
    assert cli.main(argv) == 1
    assert out.read_text() == "earlier,complete\n" and os.listdir(tmp_path) == ["loss.csv"]


def test_atomic_open_cleans_up_on_failure(tmp_path):
    from cogc_theory import _io

    target = tmp_path / "a.csv"
    with pytest.raises(KeyboardInterrupt):
        with _io.atomic_open(target) as fh:
            fh.write("partial")
            raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []
    _io.write_text(target, "x\n")
    with pytest.raises(OSError):
        with _io.atomic_open(target, "wb") as fh:
            fh.write(b"partial")
            raise OSError(28, "No space left on device")
    assert target.read_text() == "x\n" and os.listdir(tmp_path) == ["a.csv"]


def _parser_and_subparsers():
    parser = cli.build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return parser, action.choices


def _help_examples() -> list[list[str]]:
    """Every example command in `cogc --help` and in each subcommand's --help (a line ending
    in a backslash continues on the next)."""
    parser, subs = _parser_and_subparsers()
    found: list[list[str]] = []
    for text in [parser.format_help()] + [p.format_help() for p in subs.values()]:
        joined: list[str] = []
        for ln in text.split("examples:", 1)[1].splitlines():
            if joined and joined[-1].endswith("\\"):
                joined[-1] = joined[-1][:-1] + " " + ln.strip()
            elif ln.startswith("  cogc "):
                joined.append(ln.strip())
        found += [shlex.split(j, comments=True) for j in joined]
    return found


EXAMPLES = _help_examples()
_SLOW_EXAMPLES = {"prove"}   # the proofs take ~15 s


def test_help_examples_found():
    assert len(EXAMPLES) >= 20
    assert {a[1] for a in EXAMPLES} == set(SUBCOMMANDS)


@pytest.mark.parametrize("argv", EXAMPLES, ids=" ".join)
def test_help_example_parses(argv):
    assert argv[0] == "cogc"
    args = cli.build_parser().parse_args(argv[1:])
    assert callable(args.func)


def _shrunk(argv: list[str]) -> list[str]:
    """The example with the work made small: 2000 trials, 5 rounds, M=6 for M=10, the quick
    study (formulas only) for report, the quick grid for validate, one sweep worker; outputs
    stay in the (temporary) working directory."""
    a, out = argv[1:], []
    small = {"--trials": "2000", "--rounds": "5"}
    i = 0
    while i < len(a):
        x, nxt = a[i], a[i + 1] if i + 1 < len(a) else None
        if x in small:
            out += [x, small[x]]
        elif x == "-M" and nxt == "10" or x == "--grid" and nxt == "M=10":
            out += [x, nxt.replace("10", "6")]
        elif x == "--out" and os.path.isabs(nxt):
            out += [x, "abs_" + os.path.basename(nxt)]
        else:
            out.append(x)
            i += 1
            continue
        i += 2
    extra = {"report": ["--quick", "--only", "formulas"], "validate": ["--quick", "--quiet"],
             "sweep": ["--workers", "1", "--quiet"]}
    return out + extra.get(out[0], [])


CONFIGS = {
    "scenario.toml": "[scenario]\nM = 4\ns = 1\np = 0.1\neps = 0.2\n",
    "study.toml": "[study]\nM = 5\ns_values = [1]\n",
    "sweep.toml": '[sweep]\ntask = "outage-exact"\nout = "swc"\n[sweep.grid]\nM = [4]\n'
                  's = [1]\np = [0.1]\ndecoder = ["standard"]\n',
}


@pytest.mark.parametrize("argv", [
    pytest.param(a, marks=pytest.mark.slow) if a[1] in _SLOW_EXAMPLES else a
    for a in EXAMPLES if "--scheduler" not in a], ids=" ".join)
def test_help_example_runs_shrunk(argv, tmp_path, monkeypatch, capsys):
    """Each help example (the work made small) exits 0; the one with a Dask scheduler
    address is only parsed (above)."""
    monkeypatch.chdir(tmp_path)
    for name, text in CONFIGS.items():
        (tmp_path / name).write_text(text)
    code = cli.main(_shrunk(argv))
    cap = capsys.readouterr()
    assert code == 0, (_shrunk(argv), cap.err[-2000:])
    assert "Traceback" not in cap.err


def test_sweep_help_example_is_within_the_enumeration_limit():
    """An exact sweep example asks for GC+ only where its enumeration is in reach: the
    top-level one (M=10, s up to 3) is CoGC only, as 9**10 client-state patterns are beyond
    the limit."""
    from cogc_theory.outage._states import MAX_PATTERNS

    for a in EXAMPLES:
        if a[1] == "sweep" and "--task" in a and a[a.index("--task") + 1] == "outage-exact":
            grid = dict(a[i + 1].split("=", 1) for i, x in enumerate(a) if x == "--grid")
            M = int(grid["M"])
            s_max = max(int(v) for v in grid["s"].split(","))
            if (1 + 2 ** s_max) ** M > MAX_PATTERNS:
                assert grid.get("decoder") == "standard", a


@pytest.mark.parametrize("toml, words", [
    ("[senario]\nM = 4\n", ["unknown table [senario]", "[scenario]"]),
    ("[study]\nM = 5\n", ["has no [scenario] table", "[study] (for cogc report)"]),
    ("M = 4\n", ["['M'] are outside a table", "[scenario]"]),
    ("[scenario]\nM = 2\ns = 1\neps = [[0.1, 0.2], [0.1]]\n", ["eps (client-link erasure)",
                                                              "row 1"]),
    ("[scenario]\nM = 3\ns = 1\np = [0.1, 0.2]\n", ["p (uplink erasure)", "M = 3"]),
    ("[scenario]\nM = 3\ns = 1\np = [0.1, \"a\", 0.2]\n", ["p (uplink erasure)[1]"]),
    ("[scenario]\nexact = \"yes\"\n", ["exact must be true or false"]),
])
def test_bad_scenario_config_names_the_table_or_key(toml, words, tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text(toml)
    assert cli.main(["outage", "--decoder", "standard", "--config", str(cfg)]) == 2
    assert _one_error(capsys, *words).out == ""


@pytest.mark.parametrize("depth", [400, 5000])    # within tomllib's recursion, and beyond it
@pytest.mark.parametrize("argv, table, key", [
    (["outage", "--decoder", "standard"], "scenario", "p"),
    (["report", "--quick", "--out", "r"], "study", "p_grid"),
    (["sweep", "--out", "sw"], "sweep.grid", "p"),
])
def test_deeply_nested_config_is_a_clean_error(no_work, argv, table, key, depth, capsys):
    """Issue 14: a deeply nested TOML value gave 'internal error (RecursionError)', exit 1.
    Every table reader answers with one line and exit 2, and nothing is written."""
    extra = "[sweep.grid]\nM = 4\ns = 1\n" if table == "sweep.grid" else f"[{table}]\n"
    (no_work / "deep.toml").write_text(extra + f"{key} = " + "[" * depth + "]" * depth + "\n")
    assert cli.main(argv + ["--config", "deep.toml"]) == 2
    cap = _one_error(capsys, *(["nests arrays or tables too deeply"] if depth > 1000 else []))
    assert cap.out == "" and "RecursionError" not in cap.err
    assert sorted(p.name for p in no_work.iterdir()) == ["adir", "afile", "deep.toml"]


SW7 = ["sweep", "--task", "outage-mc", "--grid", "M=4", "--grid", "s=1", "--grid", "p=0.1",
       "--grid", "eps=0.1", "--grid", "decoder=standard"]


@pytest.mark.parametrize("argv, config, words", [
    (SW7 + ["--trials", "1000000000000000"], None, ["MAX_TRIALS"]),     # issue 14's reproducer
    (SW7 + ["--trials", "1000000000000"], None, ["MAX_UNITS"]),          # 10**8 units
    (SW7 + ["--grid", "trails=3"], None, ["does not know grid parameters ['trails']"]),
    (["sweep", "--grid", "M=4", "--grid", "s=9"], None, ["point['s'] must be <= 3"]),
    (["sweep", "--grid", "M=4", "--grid", "s=1", "--grid", "p=2"], None, ["probability"]),
    (["sweep", "--grid", "M=4", "--grid", "s=1"], '[sweep]\nworkers = "2"\n',
     ["n_workers must be an integer"]),
    (["sweep", "--grid", "M=4", "--grid", "s=1"], '[sweep]\nworkers = 2\nscheduler = "tcp://x:1"\n',
     ["n_workers applies to the local backend"]),
    (SW7, '[sweep]\nchunk_trials = 0\n', ["chunk_trials must be >= 1"]),
])
def test_refused_sweep_writes_nothing(no_work, argv, config, words, capsys):
    """Issue 14: a refused sweep left an empty --out folder. Every input is checked before the
    folder (or its parents) is created."""
    if config is not None:
        (no_work / "c.toml").write_text(config)
        argv = argv + ["--config", "c.toml"]
    assert cli.main(argv + ["--out", "new/sw7"]) == 2
    _one_error(capsys, *words)
    assert sorted(p.name for p in no_work.iterdir()) == sorted(
        ["adir", "afile"] + (["c.toml"] if config else []))


def test_relative_out_in_a_config_is_relative_to_the_config_file(tmp_path, monkeypatch,
                                                                 capsys):
    """[sweep] out = "sw" in cfg/sweep.toml writes cfg/sw whatever the working directory
    (the documented rule); --out on the command line stays relative to the working directory."""
    (tmp_path / "cfg").mkdir()
    (tmp_path / "run").mkdir()
    (tmp_path / "cfg" / "sweep.toml").write_text(
        '[sweep]\ntask = "outage-exact"\nout = "sw"\nworkers = 1\n'
        '[sweep.grid]\nM = [4]\ns = [1]\ndecoder = ["standard"]\n')
    monkeypatch.chdir(tmp_path / "run")
    assert cli.main(["sweep", "--config", "../cfg/sweep.toml", "--quiet"]) == 0
    assert (tmp_path / "cfg" / "sw" / "manifest.json").is_file()
    assert list((tmp_path / "run").iterdir()) == []
    assert cli.main(["sweep", "--config", "../cfg/sweep.toml", "--quiet", "--out", "here"]) == 0
    assert (tmp_path / "run" / "here" / "manifest.json").is_file()
    capsys.readouterr()


def test_config_file_errors_name_the_file(tmp_path, capsys):
    binary = tmp_path / "latin1.toml"
    binary.write_bytes("[scenario]\nconstruction = 'caf\u00e9'\n".encode("latin-1"))
    for path, words in ((binary, ["latin1.toml", "not UTF-8"]),
                        (tmp_path, [str(tmp_path), "is a directory"]),
                        (tmp_path / "missing.toml", ["missing.toml", "does not exist"])):
        assert cli.main(["outage", "--config", str(path)]) == 2
        _one_error(capsys, *words)


@pytest.mark.parametrize("toml, words", [
    ("[study]\ns_values = 2\n", ["study.s_values must be a list of integers"]),
    ("[study]\nvalidation_fwer = \"x\"\n", ["study.validation_fwer"]),
    ("[study]\nrate = \"x\"\n", ["study.rate"]),
    ("[study]\nsnr_db = [0, 10, inf]\n", ["study.snr_db"]),
    ("[scenario]\nM = 4\n", ["has no [study] table"]),
])
def test_bad_study_config_is_refused_before_any_work(no_work, toml, words, capsys):
    (no_work / "c.toml").write_text(toml)
    assert cli.main(["report", "--quick", "--config", "c.toml", "--out", "r"]) == 2
    assert _one_error(capsys, *words).out == ""
    assert not (no_work / "r").exists()


@pytest.mark.parametrize("argv, words", [
    (["bound", "-M", "6", "-s", "1", "--target", "0"], ["--target", "positive"]),
    (["bound", "-M", "6", "-s", "1", "--target", "nan"], ["--target"]),
    (["bound", "-M", "6", "-s", "1", "--rule", "least-squares"], ["--rule least-squares"]),
    (["bound", "-M", "4", "-s", "1", "--eta", "5"], ["eta"]),   # found by the library
])
def test_bound_checks_everything_before_printing(argv, words, capsys):
    assert cli.main(argv) == 2
    assert _one_error(capsys, *words).out == ""


@pytest.mark.parametrize("argv, words", [
    (["outage", "-M", "4", "-s", "1", "--symbolic", "-p", "0.1,0.2,0.1,0.1"], ["-p",
                                                                             "--symbolic"]),
    (["outage", "-M", "4", "-s", "1", "--symbolic", "--precise"], ["--precise",
                                                                  "--symbolic"]),
    (["outage", "-M", "4", "-s", "1", "--rel-tol", "1e-5"], ["--rel-tol", "--precise"]),
    (["simulate", "-M", "4", "-s", "1", "--out", "x.csv", "--rounds", "3"],
     ["--out, --rounds apply to --train only"]),
    (["simulate", "--problem", "digits"], ["--problem applies to --train only"]),
    (["simulate", "--train", "--json"], ["--json applies to the Monte Carlo outage"]),
    (["simulate", "--train", "--decoder", "gcplus"], ["--decoder"]),
    (["report", "--quick", "--out", "r", "--only", ""], ["--only is empty"]),
    (["report", "--quick", "--out", "r", "--only", ","], ["--only is empty"]),
    (["report", "--quick", "--out", "r", "--only", "formulas,nope"], ["--only", "'nope'"]),
    (["validate", "--no-mc", "--trials", "1000"], ["--trials", "--no-mc"]),
    (["validate", "--fwer", "2"], ["--fwer"]),
    (["plot", "snr", "--grid", "inf", "--out", "f"], ["--grid", "finite"]),
    (["plot", "outage", "--grid", "0.1,1.5", "--out", "f"], ["--grid", "[0, 1]"]),
    (["plot", "outage", "--grid", ",", "--out", "f"], ["--grid is empty"]),
    (["plot", "recovered", "--grid", "1", "--rate", "2", "--out", "f"],
     ["--rate, --grid apply to other kinds of plot"]),
    (["plot", "outage", "--rate", "2", "--out", "f"], ["--rate applies"]),
    (["plot", "snr", "--vary", "eps", "--out", "f"], ["--vary applies"]),
])
def test_ignored_or_conflicting_options_are_refused(no_work, argv, words, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")        # no RuntimeWarning before the error
        assert cli.main(argv) == 2
    assert _one_error(capsys, *words).out == ""
    assert sorted(p.name for p in no_work.iterdir()) == ["adir", "afile"]


def test_symbolic_json(capsys):
    assert cli.main(["outage", "-M", "4", "-s", "1", "--symbolic", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    import sympy as sp

    p, e = sp.symbols("p epsilon")
    gc = sp.sympify(res["formulas"]["gcplus"]["closed_form"], locals={"epsilon": e})
    ring = 1 - (1 - p) ** 4 - 4 * p * (1 - p) ** 3 * (1 - e) ** 3   # independent closed form
    assert sp.expand(gc - ring) == 0 and res["scenario"]["p"] == "p"
    assert "\\binom" in res["formulas"]["standard"]["latex"]


def test_validate_no_mc_does_not_claim_trials(capsys):
    assert cli.main(["validate", "--quick", "--no-mc", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "trials each" not in out and "No Monte Carlo rows" in out


def test_sweep_ctrl_c_says_finished_points_are_kept(monkeypatch, tmp_path, capsys):
    from cogc_theory import sweep

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep, "run_sweep", interrupted)
    assert cli.main(["sweep", "--grid", "M=4", "--grid", "s=1", "--out",
                     str(tmp_path / "sw")]) == 130
    _one_error(capsys, "finished points are kept", "rerun", prefix="cogc: interrupted; ")

