"""The self-checking proofs (cogc_theory.proofs): every discovered proof passes and is complete;
the framework turns failures into failed results, writes the report, and drives `cogc prove`.

The per-proof tests are parametrized over :func:`cogc_theory.proofs.available`, so proof
modules added later (e.g. the convergence-bound proofs) are tested without editing this file.
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
import sympy as sp
from cogc_theory.proofs import Check, ProofResult, ProofRun, Step, cogc_outage
from cogc_theory.proofs import _enumerate as en

from cogc_theory import cli, proofs

NAMES = proofs.available()
OURS = ("cogc_outage", "fractional_repetition", "ring_s1")


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> tuple[ProofRun, object]:
    out = tmp_path_factory.mktemp("proofs")
    return proofs.run_all(out), out


def test_discovery_finds_the_outage_proofs() -> None:
    """Discovery lists every public module of the package and skips private ones."""
    for name in OURS:
        assert name in NAMES
    assert not [n for n in NAMES if n.startswith("_")]


@pytest.mark.parametrize("name", NAMES)
def test_proof_passes(results, name: str) -> None:
    """Every check of every proof holds (each compares with an independent route)."""
    res = {r.name: r for r in results[0]}[name]
    failed = [f"{c.what}: {c.evidence}" for c in res.checks if not c.passed]
    failed += [f"step {s.text[:60]}: {s.evidence}" for s in res.derivation
               if s.verified is False]
    assert res.passed and not failed, failed


@pytest.mark.parametrize("name", NAMES)
def test_proof_is_complete(results, name: str) -> None:
    """A proof states a theorem with assumptions, a derivation and checks, has a module
    docstring, and its Markdown section carries the statement and every check."""
    mod = sys.modules[f"cogc_theory.proofs.{name}"]
    assert (mod.__doc__ or "").strip()
    res = {r.name: r for r in results[0]}[name]
    assert res.name == name and res.title and res.statement
    assert res.assumptions and res.derivation and res.checks
    md = res.to_markdown()
    assert res.statement.strip() in md
    for c in res.checks:
        assert c.evidence, f"check without evidence: {c.what}"
        assert c.what.replace("|", r"\|") in md


@pytest.mark.parametrize("name", OURS)
def test_outage_proofs_verify_their_symbolic_steps(results, name: str) -> None:
    """Each outage proof verifies at least one derivation step symbolically."""
    res = {r.name: r for r in results[0]}[name]
    assert any(s.verified for s in res.derivation)


def test_report_written(results) -> None:
    """run_all(out_dir) writes proofs.md: index table (name | result | checks) then sections
    with display LaTeX, one per proof; the returned list reports the path and passes."""
    run, out = results
    path = out / "proofs.md"
    assert run.path == path and path.exists()
    md = path.read_text()
    assert "| proof | result | checks |" in md
    for r in run:
        assert f"(`{r.name}`)" in md and f'<a id="{r.name}"></a>' in md
    assert md.count("$$") >= 2 * len(run)
    assert run.passed and str(path) in str(run)


def test_run_all_budget(results) -> None:
    """All proofs together stay within the budget: about 4 s each (10 proofs; wall time,
    measured 33 s on the shared 2-core machine at load 7), so 45 s."""
    assert sum(r.seconds for r in results[0]) < 45


# ----------------------------------------------------------------------------- framework
def _fake(monkeypatch, modules: dict[str, types.ModuleType]) -> None:
    monkeypatch.setattr(proofs, "available", lambda: sorted(modules))
    for name, mod in modules.items():
        monkeypatch.setitem(sys.modules, f"cogc_theory.proofs.{name}", mod)


def _module(name: str, run=None) -> types.ModuleType:
    mod = types.ModuleType(f"cogc_theory.proofs.{name}", f"fake proof {name}")
    if run is not None:
        mod.run = run
    return mod


def _ok() -> ProofResult:
    return ProofResult("ok", "A true fact", ["none"], r"1+1=2",
                       [Step("add", r"1+1=2", True, "arithmetic")],
                       [Check("1+1 == 2", 1 + 1 == 2, "2")])


def _boom() -> ProofResult:
    raise ZeroDivisionError("division by zero inside the proof")


def test_exception_becomes_failed_result(monkeypatch, tmp_path) -> None:
    """A proof that raises, lacks run() or returns the wrong type gives a failed result with
    the error as evidence; run_all does not raise and the other proofs still run."""
    _fake(monkeypatch, {"ok": _module("ok", _ok), "boom": _module("boom", _boom),
                        "norun": _module("norun"), "wrong": _module("wrong", lambda: 42)})
    run = proofs.run_all(tmp_path)
    by = {r.name: r for r in run}
    assert by["ok"].passed
    assert not by["boom"].passed and "ZeroDivisionError" in by["boom"].checks[0].evidence
    assert not by["norun"].passed and "no run()" in by["norun"].checks[0].evidence
    assert not by["wrong"].passed and "ProofResult" in by["wrong"].checks[0].evidence
    assert not run.passed and run.n_failed == 3
    assert "**FAIL**" in (tmp_path / "proofs.md").read_text()


def test_names_selects_and_validates(monkeypatch) -> None:
    """names= runs only the named proofs; an unknown name is a ValueError naming the argument
    and the available names; a bare string is a TypeError."""
    _fake(monkeypatch, {"ok": _module("ok", _ok), "boom": _module("boom", _boom)})
    assert [r.name for r in proofs.run_all(names=["ok"])] == ["ok"]
    with pytest.raises(ValueError, match=r"names.*nope.*available"):
        proofs.run_all(names=["nope"])
    with pytest.raises(TypeError, match="names"):
        proofs.run_all(names="ok")


def test_pass_requires_checks_and_verified_steps() -> None:
    """A result passes only with >= 1 check, all checks true and no failed symbolic step."""
    assert _ok().passed
    assert not ProofResult("x", "x").passed
    r = _ok()
    r.derivation.append(Step("bad step", "1=2", False, "sympy says no"))
    assert not r.passed and "FAILED" in r.to_markdown()
    r = _ok()
    r.checks.append(Check("false", False, "counterexample"))
    assert not r.passed


def test_cli_prove_exit_status(monkeypatch, tmp_path, capsys) -> None:
    """`cogc prove --out DIR` writes DIR/proofs.md, prints where, exits 0 when all proofs pass
    and 1 when one fails."""
    _fake(monkeypatch, {"ok": _module("ok", _ok)})
    assert cli.main(["prove", "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path / "a" / "proofs.md") in out and (tmp_path / "a" / "proofs.md").exists()
    _fake(monkeypatch, {"ok": _module("ok", _ok), "boom": _module("boom", _boom)})
    assert cli.main(["prove", "--out", str(tmp_path / "b")]) == 1
    assert "boom: FAIL" in capsys.readouterr().out


# ----------------------------------------------------------------------------- the oracle
def test_enumeration_oracle_rowspan_matches_sympy_rank() -> None:
    """The proofs' Fraction elimination decides t in rowspace(A) exactly as sympy's rank test
    rank(A) == rank([A; t]) does, on seeded random small-integer matrices (many rank-deficient
    and many t outside the span)."""
    rng = np.random.default_rng(7)
    seen = set()
    for _ in range(200):
        n, M = int(rng.integers(1, 5)), int(rng.integers(2, 5))
        A = rng.integers(-2, 3, (n, M))
        t = rng.integers(-1, 2, M)
        if rng.random() < 0.5:                   # force some t inside the span
            t = rng.integers(-2, 3, n) @ A
        want = sp.Matrix(A).rank() == sp.Matrix(np.vstack([A, t])).rank()
        rows = [[en.Fraction(int(x)) for x in r] for r in A]
        assert en.in_rowspan(rows, [en.Fraction(int(x)) for x in t]) == want
        seen.add(want)
    assert seen == {True, False}


def test_enumeration_oracle_probabilities_sum_to_one() -> None:
    """The exhaustive link+uplink pattern weights of a heterogeneous rational network sum to
    exactly 1, and P[X_m = 1] summed over patterns is (1-p_m) prod_k (1-eps_mk) computed by
    hand for client 0 of the M=4, s=1 network (p_0 = 1/10, eps_01 = 1/5)."""
    net = cogc_outage.rational_network(4, 1)
    pat = en.Patterns(net)
    assert pat.probability(np.ones(len(pat.bits), dtype=bool)) == 1
    X = pat.complete_and_delivered()
    assert pat.probability(X[:, 0]) == en.Fraction(9, 10) * en.Fraction(4, 5)


# ----------------------------------------------------------------------------- bound proofs
def test_gd_rate_proof_fails_on_a_wrong_step(monkeypatch) -> None:
    """bound_gd_rate rejects a deliberately wrong derivation: with a multiplier moved off its
    value (function values still cancelling) the PSD certificate fails, and a claimed rate
    below (1 - eta mu)^2 does not even cancel; patching the module's multipliers makes the
    whole proof fail."""
    from cogc_theory.proofs import bound_gd_rate as g

    e, m = g.eta, g.mu
    ok, _ = g.certificate_holds()
    assert ok
    wrong = {**g.MULTIPLIERS, ("x+", "x"): 1 - e * m + sp.Rational(1, 10),
             ("x", "x+"): (1 - e * m) ** 2 + 1 - e * m + sp.Rational(1, 10)}
    assert g.certificate_holds(wrong)[0] is False
    ok, why = g.certificate_holds(rate=(1 - e * m) ** 2 * sp.Rational(99, 100))
    assert not ok and "residue" in why
    monkeypatch.setattr(g, "MULTIPLIERS", wrong)
    assert not g.run().passed


def test_gcplus_distance_proof_fails_on_a_wrong_step(monkeypatch) -> None:
    """bound_gcplus_distance fails when its own formula for the heterogeneity term b is
    dropped (the enumeration of the toys refutes the bound) — its checks can fail."""
    from cogc_theory.proofs import bound_gcplus_distance as gd

    assert gd.run().passed
    orig = gd.Toy.coefficients

    def no_b(self, c):
        out = orig(self, c)
        out["b"] = 0 * out["b"]
        return out

    monkeypatch.setattr(gd.Toy, "coefficients", no_b)
    res = gd.run()
    assert not res.passed
    assert any("exact E F(w_T) - F* <=" in c.what and not c.passed for c in res.checks)
