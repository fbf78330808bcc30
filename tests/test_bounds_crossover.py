"""The trade-off stage (validation/crossover.py) and the report's bounds and crossover stages.

Oracles: the closed-form gap of gradient descent with outages (eigendecomposition, written out
here) for CoGC, the binomial law of classic gradient coding, and the defining property of a
crossover (CoGC's exact final gap equals FedAvg's there, by an independent evaluation).
"""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from cogc_theory.validation import bounds_vs_simulation as bvs
from cogc_theory.validation import crossover as cx

import cogc_theory as ct
from cogc_theory import report
from cogc_theory.config import Study, quick_study
from cogc_theory.simulate import make_problem

M, S, P = 4, 1, 0.2
EPS = (0.05, 0.5)
ROUNDS = 30


@pytest.fixture(scope="module")
def res():
    return cx.run(M, S, P, EPS, rounds=ROUNDS, trials=4, seed=1, splits=("dirichlet", "iid"))


def _cogc_closed_form(prob, Po: float, rounds: int) -> np.ndarray:
    X, a = prob.X, prob.sample_weight
    h, V = np.linalg.eigh(X.T @ (a[:, None] * X) + prob.lam * np.eye(prob.d))
    e0 = V.T @ (-prob.optimum()[0])
    t = np.arange(rounds + 1)[:, None]
    return np.sum(0.5 * h * e0**2 * (Po + (1 - Po) * (1 - h / h[-1]) ** 2) ** t, axis=1)


def test_rows_and_exact_gaps(res):
    """One row per (split, eps, scheme); CoGC's exact final gap is the closed form with P_out
    from ct.outage.cogc; every bound is >= the exact expected gap; the max-subset law is
    enumerable at M=4, the least-squares rule never has one."""
    assert len(res.rows) == 2 * len(EPS) * len(cx.SCHEMES)
    for split in res.splits:
        prob = make_problem("least-squares", M, split=split)
        for e in EPS:
            net = ct.CooperativeNetwork.cyclic(M, S, uplink_erasure=P, link_erasure=e, seed=0)
            want = _cogc_closed_form(prob, ct.outage.cogc(net), ROUNDS)[-1]
            got = res.series(split, "cogc", "final_exact")[EPS.index(e)]
            assert got == pytest.approx(want, rel=1e-8)
    for r in res.rows:
        if r["final_exact"] is not None and r["final_bound"] is not None:
            assert r["final_bound"] >= r["final_exact"] * (1 - 1e-9), r
        if r["scheme"] == "gcplus-least-squares":
            assert r["final_exact"] is None and r["final_bound"] is None
        if r["scheme"] == "gcplus":
            assert r["final_exact"] is not None
        assert r["final_mc"] >= 0


def test_crossing_with_fedavg_is_where_the_exact_gaps_meet(res):
    """At the reported eps*, CoGC's exact final gap (recomputed here from the closed form) equals
    FedAvg's (which does not depend on eps) to within the bisection's resolution."""
    for split in res.splits:
        e = res.crossings[split]["fedavg"]["exact"]
        fed = float(np.nanmean(res.series(split, "fedavg", "final_exact")))
        if e is None:      # then CoGC is on one side of FedAvg over the whole grid
            cg = res.series(split, "cogc", "final_exact")
            assert np.all(cg < fed) or np.all(cg > fed)
            continue
        prob = make_problem("least-squares", M, split=split)

        def gap(x, prob=prob):
            net = ct.CooperativeNetwork.cyclic(M, S, uplink_erasure=P, link_erasure=x, seed=0)
            return _cogc_closed_form(prob, ct.outage.cogc(net), ROUNDS)[-1]

        d = (EPS[-1] - EPS[0]) / 2**14
        assert (gap(e - 2 * d) - fed) * (gap(e + 2 * d) - fed) <= 0


def test_advice_table_and_figure(res):
    """One sentence per regime naming a scheme; the Markdown table has a row per eps and
    'MC / exact / bound' cells; the figure has a panel per split with log axes."""
    for split in res.splits:
        adv = res.advice[split]
        assert adv and all("use **" in a for a in adv)
        assert sum(a.count("$") >= 2 for a in adv) == len(adv)
        md = res.table_markdown(split)
        assert md.count("\n| 0.") == len(EPS)
        assert "CoGC" in md and "FedAvg" in md
    fig = res.figure()
    assert len(fig.axes) == 2 and all(ax.get_yscale() == "log" for ax in fig.axes)


def test_first_round_below_target_is_sticky():
    """Rounds to target: the first round from which the curve stays below the level."""
    assert cx.first_round_below(np.array([5.0, 0.5, 2.0, 0.5, 0.4]), 1.0) == 3
    assert cx.first_round_below(np.array([0.5, 0.4]), 1.0) == 0
    assert cx.first_round_below(np.array([5.0, 0.5, 2.0]), 1.0) == math.inf


def test_bad_input():
    with pytest.raises(ValueError, match="eps_grid"):
        cx.run(M, S, P, (1.5,), rounds=2, trials=2)
    with pytest.raises(ValueError, match="splits"):
        cx.run(M, S, P, (0.1,), rounds=2, trials=2, splits=("label",))
    with pytest.raises(ValueError, match="target"):
        cx.run(M, S, P, (0.1,), rounds=2, trials=2, target=2.0)


def test_study_defaults_are_non_iid():
    """The report's default study trains non-IID (Dirichlet, alpha 0.5); IID is an option; bad
    values are refused by name; simulate.train's own default split stays IID."""
    st = Study()
    assert st.split == "dirichlet" and st.dirichlet_alpha == 0.5
    assert Study.from_mapping({"split": "iid"}).split == "iid"
    with pytest.raises(ValueError, match="study.split"):
        Study(split="label")
    with pytest.raises(ValueError, match="dirichlet_alpha"):
        Study(dirichlet_alpha=0.0)
    with pytest.raises(ValueError, match="crossover_target"):
        Study(crossover_target=1.5)
    import inspect

    assert inspect.signature(ct.simulate.train).parameters["split"].default == "iid"


@pytest.mark.slow
def test_report_bounds_and_crossover_stages(tmp_path):
    """The quick study's bounds and crossover stages: ok; both bound figures (the study's
    non-IID split and the IID variant) and the crossover figure; data/bounds.csv keeps the
    columns scheme, T, bound, gap_mean and adds gap_exact and split (both splits present, the
    exact gap never above the bound); data/crossover.csv; the regime sentences."""
    res = report.run_report(tmp_path, quick=True, only=["bounds", "crossover"])
    assert [s.status for s in res.sections] == ["ok", "ok"], [s.error for s in res.sections]
    for name in ("bound_vs_gap", "bound_vs_gap_variant", "crossover"):
        assert (tmp_path / "figures" / f"{name}.png").stat().st_size > 1000
    with open(tmp_path / "data" / "bounds.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {"scheme", "T", "bound", "gap_mean", "gap_exact", "split"} <= set(rows[0])
    assert {r["split"] for r in rows} == {"IID", "non-IID (Dirichlet, alpha=0.5)"}
    assert all(float(r["bound"]) >= float(r["gap_exact"]) * (1 - 1e-9) for r in rows
               if r["gap_exact"])
    assert (tmp_path / "data" / "crossover.csv").stat().st_size > 0
    md = (tmp_path / "report.md").read_text()
    assert "Which scheme to use" in md and "use **" in md
    assert "bound / exact expected gap" in md
    assert quick_study().split == "dirichlet"
    assert bvs.REPORT_ROUNDS[0] == 1
