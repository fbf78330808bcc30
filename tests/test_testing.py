"""The user-facing testing toolkit: strategies produce what they promise, and check_decoder
accepts correct decoders and catches broken ones with a named property and a counterexample."""

from __future__ import annotations

import itertools
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from cogc_theory import _linalg as linalg
from cogc_theory import decode, testing
from cogc_theory.network import CooperativeNetwork
from cogc_theory.testing import _run as testing_run
from cogc_theory.testing._cases import ladder
from cogc_theory.testing._matrices import (
    as_fractions,
    float_matrix,
    hard_matrix,
    hard_specs,
    k_max_for,
    zero_rows,
)
from cogc_theory.testing._oracle import Oracle


def spans_ones(B, rows):
    A = B.extract(list(rows), list(range(B.shape[1])))
    return A.col_join(sp.ones(1, B.shape[1])).rank() == A.rank()


@pytest.mark.parametrize("M, s, seed", [(3, 1, 0), (4, 2, 1), (5, 2, 0), (6, 3, 2)])
def test_cyclic_exact_is_a_gc_matrix_with_cyclic_support(M, s, seed):
    B = testing.cyclic_exact(M, s, seed=seed)
    assert all(x.is_Rational for x in B)
    for m in range(M):
        assert [k for k in range(M) if B[m, k] != 0] == sorted((m + j) % M for j in range(s + 1))
    for rows in itertools.combinations(range(M), M - s):
        assert spans_ones(B, rows)


@pytest.mark.parametrize("M, s", [(4, 1), (6, 2), (6, 1)])
def test_fractional_exact_needs_one_row_per_group(M, s):
    B = testing.fractional_exact(M, s)
    groups = [list(range(g, g + s + 1)) for g in range(0, M, s + 1)]
    for pick in itertools.product(*groups):
        assert spans_ones(B, pick)
    assert not spans_ones(B, [m for m in range(M) if m not in groups[0]])
    with pytest.raises(ValueError, match="M"):
        testing.fractional_exact(5, 1)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_strategies_produce_consistent_patterns(data):
    exact = data.draw(st.booleans())
    B = data.draw(testing.gc_matrices(exact=exact))
    assert isinstance(B, sp.MatrixBase) if exact else B.dtype == float
    M = B.shape[0]
    Bf = np.array(B.tolist(), dtype=float)
    assert np.all(np.diag(Bf) != 0)
    tau, arrived = data.draw(testing.erasure_patterns(B))
    assert tau.shape == (M, M) and arrived.shape == (M,)
    assert np.all(np.diag(tau)) and np.all(tau[Bf == 0])
    Bt, arrived2 = data.draw(testing.effective_matrices(B))
    Btf = np.array(Bt.tolist(), dtype=float)
    assert np.all((Btf == Bf) | (Btf == 0)) and np.array_equal(np.diag(Btf), np.diag(Bf))


@settings(max_examples=30, deadline=None)
@given(testing.networks(kinds=("cyclic", "fractional")))
def test_networks_strategy_builds_valid_networks(net):
    """M within the default range [3, 6], and B a GC matrix: every set of M - s rows spans
    the all-ones vector (least-squares residual at rounding level; numpy's lstsq, not the
    decoders or the codes module)."""
    assert isinstance(net, CooperativeNetwork)
    assert 3 <= net.M <= 6
    B = np.asarray(net.B, dtype=float)
    s = min(len(net.neighbors(m)) for m in range(net.M))
    for rows in itertools.combinations(range(net.M), net.M - s):
        A = B[list(rows)]
        a = np.linalg.lstsq(A.T, np.ones(net.M), rcond=None)[0]
        assert np.abs(a @ A - 1.0).max() < 1e-9


@pytest.mark.parametrize("min_M, max_M", [(3, 3), (3, 6), (5, 5), (2, 2), (7, 7)])
def test_gc_matrices_strategy_respects_the_size_range(min_M, max_M):
    """Every kind, fractional included (M a multiple of s + 1), stays within [min_M, max_M]."""
    from hypothesis import find

    for kind in testing.KINDS:
        @settings(max_examples=25, deadline=None)
        @given(testing.gc_matrices(min_M=min_M, max_M=max_M, kinds=(kind,)))
        def check(B):
            assert min_M <= B.shape[0] <= max_M

        check()
    if min_M <= 6 <= max_M:    # two groups of 3 (s = 2) fit in the range
        find(testing.gc_matrices(min_M=min_M, max_M=max_M, kinds=("fractional",)),
             lambda B: B.shape[0] == 6 and B[0, 3] == 0 and B[0, 2] == 1)


def test_networks_strategy_reaches_every_documented_form():
    """Homogeneous and heterogeneous erasures, and the endpoints 0 and 1, are drawn; with
    exact=True the matrix and the probabilities are rational. (Generation only, no
    shrinking: the first example found is enough, and shrinking sympy networks is slow.)"""
    from hypothesis import Phase, find

    once = settings(phases=[Phase.generate], database=None, derandomize=True,
                    max_examples=2000)

    def hetero(n):
        p, eps = n.numeric()
        return len(set(p.tolist())) > 1

    find(testing.networks(), lambda n: n.is_homogeneous, settings=once)
    find(testing.networks(), hetero, settings=once)
    find(testing.networks(), lambda n: 0.0 in n.numeric()[0], settings=once)
    find(testing.networks(), lambda n: 1.0 in n.numeric()[1], settings=once)
    net = find(testing.networks(exact=True, homogeneous=False), hetero, settings=once)
    assert net.B_exact is not None and all(x.is_Rational for x in net.B_exact)
    assert all(isinstance(x, sp.Rational) for x in np.ravel(net.p))


@settings(max_examples=5, deadline=None)
@given(testing.networks(exact=True))
def test_networks_strategy_exact_keeps_rational_B(net):
    assert net.B_exact is not None


# ----------------------------------------------------------------------------- check_decoder
# The suite's own runs use seed=0 (fixed cases, no database); mutants are in
# tests/test_conformance_mutants.py. One second of shrinking (the default five polish the
# printed case; these tests read other parts of the message).
@pytest.fixture(autouse=True)
def _short_shrink(monkeypatch):
    monkeypatch.setattr(testing_run, "SHRINK_SECONDS", 1.0)

def _status(report):
    return {r.name: r.status for r in report.results}


@pytest.mark.parametrize("fn, kwargs", [
    (decode.gcplus, {}),
    (decode.gcplus, {"rules": ["max-subset"]}),
    (decode.gcplus, {"rules": ["individual"]}),
    (decode.gcplus, {"rules": ["least-squares"]}),
    (decode.standard, {"kind": "standard"}),
], ids=["gcplus", "max-subset", "individual", "least-squares", "standard"])
def test_every_decoder_in_ct_decode_passes_every_property(fn, kwargs):
    report = testing.check_decoder(fn, seed=0, max_examples=10, **kwargs)
    assert set(_status(report).values()) == {"pass"}, report.table()
    assert [r.name for r in report.results] == list(testing.PROPERTIES)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_ct_decode_passes_at_default_settings_and_well_within_a_minute(seed):
    import time

    for fn, kind in ((decode.gcplus, "gcplus"), (decode.standard, "standard")):
        t0 = time.process_time()
        report = testing.check_decoder(fn, kind=kind, seed=seed)
        assert report.passed and time.process_time() - t0 < 30, report.table()


def test_the_default_limits_leave_room_for_ct_decode_tolerances():
    """A case within the suite's limits is one ``ct.decode`` (the row-space rule of
    ``_linalg``) can decide: its membership tolerance is below the suite's ``tol`` (a target
    at distance >= tol is refused), and its rank threshold rtol * sigma_1 is far below the
    smallest singular value a case may have, sigma_1 / cond_max."""
    assert linalg.ATOL < testing.TOL
    assert linalg.RTOL * testing.COND_MAX <= 1e-2


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(B=testing.gc_matrices(exact=True, max_M=5), data=st.data())
def test_the_suites_oracle_agrees_with_the_exact_decoder(B, data):
    """Two exact routes: the suite's oracle (null space, Gram inverse) and ct.decode's exact
    path (reduced row echelon form, subset search) decide identically."""
    tau, arrived = data.draw(testing.erasure_patterns(B))
    Bt = testing.apply_links(B, tau)
    A = zero_rows(as_fractions(Bt), arrived)
    orc = Oracle(A)
    assert orc.full == decode.gcplus(Bt, arrived).full
    assert np.array_equal(orc.individual, decode.gcplus(Bt, arrived, rule="individual").recovered)
    assert orc.max_size == decode.gcplus(Bt, arrived, rule="max-subset").size
    assert list(decode.gcplus(Bt, arrived, rule="max-subset").recovered.nonzero()[0]) in [
        list(S) for S in orc.optimal_sets]
    assert orc.projection == list(decode.gcplus(Bt, arrived, rule="least-squares").target)


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(A=testing.near_singular_matrices(max_M=5), data=st.data())
def test_oracle_distances_match_float_least_squares(A, data):
    """The exact squared distance of a target to the row space, against numpy's lstsq residual
    on well-conditioned row sets (relative 1e-6: lstsq's error is ~ 1e-16 * cond)."""
    keep = np.array(data.draw(st.lists(st.booleans(), min_size=len(A), max_size=len(A))))
    orc = Oracle(zero_rows(as_fractions(A), keep))
    hypothesis_assume(orc.cond < 1e6)
    t = np.array(data.draw(st.lists(st.integers(0, 1), min_size=len(A), max_size=len(A))),
                 dtype=float)
    rows = A[keep]
    res = t - (np.linalg.lstsq(rows.T, t, rcond=None)[0] @ rows if rows.size else 0)
    d = float(np.sqrt(float(orc.dist2([Fraction(int(x)) for x in t]))))
    assert d == pytest.approx(float(np.linalg.norm(res)), rel=1e-6, abs=1e-12)


def hypothesis_assume(cond):
    from hypothesis import assume

    assume(cond)


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(spec=hard_specs(26))
def test_hard_matrices_are_exactly_their_rationals(spec):
    """Every float of a hard case is the rational the oracle judges (no rounding)."""
    B = hard_matrix(spec)
    Bf = float_matrix(B)
    assert all(Fraction(float(Bf[i, j])) == B[i][j] for i in range(len(B))
               for j in range(len(B)))


def test_the_ladder_sweeps_every_tolerance_window():
    """Within the default limits the ladder puts, in every decade, a target off the row
    space by that much (distances 1e-7..1e-1) and a recovery whose rows have that condition
    number (10..1e6, and up to cond_max = 1e7): any membership tolerance or relative rank
    threshold between the suite's limits and 0.1 is crossed by a rung."""
    dist, cond = set(), set()
    for case in ladder(k_max_for(testing.COND_MAX)):
        orc = Oracle(zero_rows(case.Bt, case.arrived))
        if orc.unfair("max-subset", testing.COND_MAX, Fraction(testing.TOL)):
            continue
        if orc.full:
            cond.add(int(np.floor(np.log10(orc.cond))))
        else:
            dist.add(int(np.floor(np.log10(float(orc.dist2([Fraction(1)] * orc.M)) ** 0.5))))
    assert set(range(-7, 0)) <= dist and set(range(1, 7)) <= cond


def _ones(M):
    return np.ones(M)


def optimistic(Bt, arrived, rule="max-subset"):
    """Claims full recovery whenever at most one partial sum is missing."""
    r = decode.gcplus(Bt, arrived, rule=rule)
    M = len(arrived)
    if np.sum(arrived) >= M - 1 and not r.full:
        return decode.DecodeResult(True, np.ones(M, bool), r.weights, np.ones(M), r.rank,
                                   0.0, 0.0, False, rule, False)
    return r


def test_a_failure_prints_a_case_that_reproduces_it():
    """The message names the property and the call; the printed numpy code, pasted, gives
    inputs on which the decoder contradicts ct.decode."""
    with pytest.raises(AssertionError) as info:
        testing.check_decoder(optimistic, seed=0, properties=["exact oracle"])
    msg = str(info.value)
    assert "property 'exact oracle' fails: agrees with the exact oracle" in msg
    assert "fn(Bt, arrived, rule=" in msg and "exact oracle full=False" in msg
    ns = {"np": np, "sp": sp}
    for name in ("B", "tau", "arrived"):
        line = next(ln for ln in msg.splitlines() if ln.strip().startswith(f"{name} = "))
        ns[name] = eval(line.split("=", 1)[1].split("  #")[0], ns)
    Bt = ns["B"] * ns["tau"]
    rule = msg.split("rule='")[1].split("'")[0]
    assert optimistic(Bt, ns["arrived"], rule).full and not decode.gcplus(Bt, ns["arrived"]).full


def test_a_raising_decoder_is_reported_with_its_exception_and_the_case():
    def crashes(Bt, arrived, rule="max-subset"):
        return np.linalg.inv(np.zeros((2, 2)))

    report = testing.run_conformance(crashes, seed=0, properties=["result types"])
    [res] = report.results
    assert res.status == "fail"
    assert "raised LinAlgError: Singular matrix" in res.detail
    assert "test_testing.py" in res.detail and "in crashes" in res.detail
    assert "arrived = np.array([" in res.detail and "_Case object" not in res.detail


def zeroes_rows(Bt, arrived, rule="max-subset"):
    """Right answers, but zeroes the rows that did not arrive in the caller's Bt."""
    if isinstance(Bt, np.ndarray):
        Bt[~np.asarray(arrived, dtype=bool)] = 0.0
    return decode.gcplus(Bt, arrived, rule=rule)


def test_writes_into_inputs_are_caught_and_never_reach_the_suite():
    """A decoder that zeroes rows of Bt in place fails 'inputs unchanged' only: every call got
    a copy, so the other properties see intact matrices and pass."""
    report = testing.run_conformance(zeroes_rows, seed=0, max_examples=15)
    status = _status(report)
    assert status.pop("inputs unchanged") == "fail"
    assert set(status.values()) == {"pass"}, report.table()
    assert "modified its arguments: Bt[" in report.failed[0].detail


def test_declared_capabilities():
    def individual_only(Bt, arrived):          # no rule keyword, one rule
        return decode.gcplus(Bt, arrived, rule="individual")

    ok = testing.check_decoder(individual_only, rules=["individual"], seed=0, max_examples=5)
    assert ok.modes == ("individual",)
    undeclared = testing.run_conformance(individual_only, seed=0, max_examples=5,
                                         properties=["exact oracle"])
    assert not undeclared.passed and "no rule= keyword" in undeclared.notes[0]

    def full_only(Bt, arrived):                # an outage unless full, like standard
        r = decode.gcplus(Bt, arrived)
        keep = np.asarray(r.full)[..., None]
        return SimpleNamespace(full=r.full, recovered=r.recovered & keep,
                               weights=r.weights * keep, target=r.target * keep)

    rep = testing.check_decoder(full_only, full_only=True, seed=0, max_examples=5,
                                exact=False)
    assert rep.modes == ("full-only",) and _status(rep)["exact input"] == "skip"

    def one_round_only(Bt, arrived, rule="max-subset"):
        if np.ndim(arrived) != 1:
            raise ValueError("one round only")
        return decode.gcplus(Bt, arrived, rule=rule)

    probed = testing.run_conformance(one_round_only, seed=0, max_examples=5,
                                     properties=["batched"])
    assert probed.results[0].status == "skip" and "batch" in probed.results[0].detail
    required = testing.run_conformance(one_round_only, batched=True, seed=0, max_examples=5,
                                       properties=["batched"])
    assert required.results[0].status == "fail"
    assert "raised ValueError: one round only" in required.results[0].detail
    off = testing.run_conformance(decode.gcplus, batched=False, exact=False, seed=0,
                                  max_examples=5, properties=["batched", "exact input"])
    assert [r.status for r in off.results] == ["skip", "skip"]

    def no_least_squares(Bt, arrived, rule="max-subset"):
        if rule == "least-squares":
            raise NotImplementedError("not implemented")
        return decode.gcplus(Bt, arrived, rule=rule)

    rep = testing.check_decoder(no_least_squares, seed=0, max_examples=5)
    assert rep.modes == ("max-subset", "individual")
    assert "'least-squares' (NotImplementedError: not implemented" in rep.notes[0]


def test_standard_messages_name_B_and_print_residuals_in_full():
    def rounded(B, received):
        r = decode.standard(B, received)
        return decode.DecodeResult(r.full, r.recovered, np.round(r.weights, 3), r.target,
                                   r.rank, r.residual, r.cert_error, r.downgraded, r.rule,
                                   r.exact)

    report = testing.run_conformance(rounded, kind="standard", seed=0,
                                     properties=["certificate"])
    detail = report.results[0].detail
    assert "weights @ B == target" in detail and "weights @ Bt" not in detail
    err = float(detail.split("max |weights @ B - target| = ")[1].split(" ")[0])
    assert err > 1e-7 and len(repr(err)) > 8        # all the digits, not '0.000123'


def test_reproduce_replays_the_failing_case():
    first = testing.run_conformance(zeroes_rows, seed=0, properties=["inputs unchanged"])
    [res] = first.results
    assert res.reproduce and res.reproduce.startswith("inputs unchanged:")
    again = testing.run_conformance(zeroes_rows, reproduce=res.reproduce)
    assert again.results[0].status == "fail" and again.results[0].detail == res.detail
    assert f"reproduce={res.reproduce!r}" in first.failure_text()


def test_an_explicit_case_says_so_instead_of_a_blob():
    report = testing.run_conformance(optimistic, seed=0, properties=["certificate"])
    [res] = report.results
    assert res.reproduce is None and "an explicit case: every run checks it first" in res.detail


def test_default_seed_explores_and_keeps_failures_in_the_database():
    """seed=None uses the hypothesis profile's database: a failure is saved and replayed
    first by the next run (same case)."""
    from hypothesis.database import InMemoryExampleDatabase

    db = InMemoryExampleDatabase()
    previous = settings.get_current_profile_name()
    settings.register_profile("check-decoder-db", derandomize=False, database=db)
    settings.load_profile("check-decoder-db")
    try:
        one = testing.run_conformance(zeroes_rows, properties=["inputs unchanged"])
        assert one.results[0].status == "fail" and db.data
        two = testing.run_conformance(zeroes_rows, properties=["inputs unchanged"])
        assert two.results[0].detail == one.results[0].detail
    finally:
        settings.load_profile(previous)


def test_check_decoder_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        testing.check_decoder(decode.gcplus, kind="fancy")
    with pytest.raises(ValueError, match="rules"):
        testing.check_decoder(decode.gcplus, rules=["median"])
    with pytest.raises(TypeError, match="fn"):
        testing.check_decoder("not a function")
    with pytest.raises(ValueError, match="kinds"):
        testing.gc_matrices(kinds=("triangular",))
    with pytest.raises(ValueError, match="tol"):
        testing.check_decoder(decode.gcplus, tol=0.5)
    with pytest.raises(ValueError, match="cond_max"):
        testing.check_decoder(decode.gcplus, cond_max=1e20)
    with pytest.raises(ValueError, match="max_examples"):
        testing.check_decoder(decode.gcplus, max_examples=0)
    with pytest.raises(ValueError, match="full_only"):
        testing.check_decoder(decode.gcplus, full_only=True, rules=["individual"])
    with pytest.raises(ValueError, match="reproduce"):
        testing.check_decoder(decode.gcplus, reproduce="nonsense")
    with pytest.raises(ValueError, match="one rule"):
        testing.check_decoder(lambda Bt, arrived: None, rules=["max-subset", "individual"])
    with pytest.raises(TypeError, match="batched"):
        testing.check_decoder(decode.gcplus, batched="yes")


# ----------------------------------------------------------------------------- command line
DECODERS = """
import numpy as np
from cogc_theory import decode

def good(Bt, arrived, rule="max-subset"):
    return decode.gcplus(Bt, arrived, rule=rule)

def sloppy(B, received):
    B, received = np.asarray(B, dtype=float), np.asarray(received, dtype=bool)
    M = len(received)
    a = np.zeros(M)
    if received.any():
        a[received] = np.linalg.lstsq(B[received].T, np.ones(M), rcond=None)[0]
    if np.allclose(a @ B, 1):
        return decode.DecodeResult(True, np.ones(M, bool), a, np.ones(M), 0, 0.0, 0.0, False,
                                   "standard", False)
    return decode.standard(B, np.zeros(M, bool))

NOT_A_FUNCTION = 3
"""


@pytest.fixture
def decoders_dir(tmp_path, monkeypatch):
    (tmp_path / "my_decoders.py").write_text(DECODERS)
    (tmp_path / "broken_module.py").write_text("raise RuntimeError('import-time bug')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_cli_check_decoder_passes_and_prints_the_table(decoders_dir, capsys):
    from cogc_theory import cli

    code = cli.main(["check-decoder", "my_decoders:good", "--examples", "5", "--seed", "0",
                     "--only", "certificate,exact oracle,batched"])
    out = capsys.readouterr().out
    assert code == 0
    assert "conformance of my_decoders.good" in out and "PASSED: 3 passed, 0 failed" in out
    assert [ln.split()[0] for ln in out.splitlines()[2:5]] == ["certificate", "exact", "batched"]


def test_cli_check_decoder_fails_with_status_1_and_the_details(decoders_dir, capsys):
    from cogc_theory import cli

    code = cli.main(["check-decoder", "my_decoders.py:sloppy", "--kind", "standard",
                     "--seed", "0", "--only", "exact oracle", "--no-exact"])
    out = capsys.readouterr().out
    assert code == 1
    assert "exact oracle      FAIL" in out and "FAILED: 0 passed, 1 failed" in out
    assert "property 'exact oracle' fails" in out and "received = np.array(" in out


@pytest.mark.parametrize("target, message", [
    ("my_decoders", "package.module:function"),
    ("no_such_module:fn", "cannot import module 'no_such_module'"),
    ("broken_module:fn", "importing 'broken_module' raised RuntimeError: import-time bug"),
    ("my_decoders:nothing", "has no attribute 'nothing' (callables there: "),
    ("my_decoders:NOT_A_FUNCTION", "is a int, not a function"),
    ("missing.py:fn", "no such file"),
])
def test_cli_check_decoder_errors_are_one_line(decoders_dir, capsys, target, message):
    from cogc_theory import cli

    assert cli.main(["check-decoder", target]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cogc: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_cli_check_decoder_bad_option_values_are_one_line(decoders_dir, capsys):
    from cogc_theory import cli

    assert cli.main(["check-decoder", "my_decoders:good", "--tol", "3"]) == 2
    assert "tol must lie in (0, 1e-2]" in capsys.readouterr().err
    assert cli.main(["check-decoder", "my_decoders:good", "--rules", "median"]) == 2
    assert "rules must be" in capsys.readouterr().err


def test_readme_five_line_guide_runs():
    """The README's 'Test your decoder in 5 lines' block runs as printed (with a short
    profile: the block itself uses the default example count)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Test your decoder in 5 lines\n\n```python\n(.*?)```", text, re.S)
    assert block is not None
    code = block.group(1)
    assert len([ln for ln in code.splitlines() if ln.strip()]) <= 6
    previous = settings.get_current_profile_name()
    settings.register_profile("readme-short", max_examples=5, derandomize=True, database=None)
    settings.load_profile("readme-short")
    try:
        exec(compile(code, "README.md", "exec"), {"__name__": "readme_guide"})
    finally:
        settings.load_profile(previous)
