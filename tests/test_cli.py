"""The `cogc` command line: help, one-line errors, values against independent closed forms."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from fractions import Fraction

import pytest

from cogc_theory import cli

SUBCOMMANDS = ["outage", "bound", "simulate", "sweep", "plot", "prove", "validate", "report"]


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
    (["outage", "--config", "/nonexistent/x.toml"], 1),
    (["outage", "--decoder", "nope"], 2),
    (["frobnicate"], 2),
    (["report"], 2),                                  # --out missing
    (["sweep", "--grid", "M=4", "--grid", "s=1"], 2),  # --out missing
    (["validate", "--trials", "0"], 2),
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

    monkeypatch.setattr(cli, "cmd_outage", boom)
    assert cli.main(["outage"]) == 1
    monkeypatch.setattr(cli, "cmd_outage", interrupt)
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
