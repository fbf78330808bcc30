"""Validation campaigns: exact oracles, the Holm family, and that wrong formulas are caught."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from cogc_theory.validation import campaigns as cp
from cogc_theory.validation.enumeration import spans_ones

import cogc_theory as ct


def test_brute_force_cogc_matches_hand_formula_fractional():
    """Fractional M=4, s=1: groups {0,1}, {2,3}; decodable iff each group has a contributor,
    so P_out = 1 - (1 - (1-pi)^2)^2 with pi = (1-p)(1-eps)."""
    net = ct.CooperativeNetwork.fractional(4, 1, uplink_erasure=0.125, link_erasure=0.25)
    pi = Fraction(7, 8) * Fraction(3, 4)
    assert cp.brute_force_cogc(net) == 1 - (1 - (1 - pi) ** 2) ** 2


def test_brute_force_gcplus_matches_ring_characterisation():
    """Cyclic s=1, M=3 (generic): GC+ full iff all arrive or exactly one is absent and the
    others are complete."""
    p, e = Fraction(1, 10), Fraction(1, 5)
    net = ct.CooperativeNetwork.cyclic(3, 1, uplink_erasure=p, link_erasure=e, exact=True)
    ref = 1 - (1 - p) ** 3 - 3 * p * ((1 - p) * (1 - e)) ** 2
    assert cp.brute_force_gcplus(net) == ref


def test_spans_ones_exact():
    F = Fraction
    assert spans_ones([[F(1), F(1), F(0)], [F(0), F(0), F(1)]], 3)
    assert not spans_ones([[F(1), F(-1), F(0)], [F(0), F(0), F(1)]], 3)
    assert not spans_ones([], 2)


def test_holm_step_down():
    rows = [cp.CheckRow("s", f"c{i}", 0.5, kind="mc", p_value=pv)
            for i, pv in enumerate([0.5, 1e-5, 3e-4, 6e-4])]
    cp.holm(rows, 1e-3)
    # sorted: 1e-5 <= 1e-3/4 reject; 3e-4 <= 1e-3/3 reject; 6e-4 > 1e-3/2 accept -> stop
    assert [r.passed for r in rows] == [True, False, False, True]
    assert rows[1].threshold == pytest.approx(2.5e-4)


def test_holm_stops_at_first_acceptance():
    rows = [cp.CheckRow("s", f"c{i}", 0.5, kind="mc", p_value=pv)
            for i, pv in enumerate([0.9, 4e-4, 4.9e-4])]
    cp.holm(rows, 1e-3)   # 4e-4 > 1e-3/3: accept, and so everything after it
    assert all(r.passed for r in rows)


def test_wrong_formula_fails_right_formula_passes():
    """The same Monte Carlo counts; the right value passes, a 10% error is flagged."""
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    right = float(cp.brute_force_cogc(ct.CooperativeNetwork.cyclic(
        4, 1, uplink_erasure=0.1, link_erasure=0.2, exact=True)))
    k = cp.sample_outage(net, "standard", 40_000, np.random.default_rng(5))
    rows = [cp.mc_row("ring", "right", right, k, 40_000),
            cp.mc_row("ring", "wrong", right * 1.1, k, 40_000)]
    cp.holm(rows, 1e-3)
    assert rows[0].status == "PASS" and rows[1].status == "FAIL"
    assert rows[0].ci_low <= k / 40_000 <= rows[0].ci_high


def test_campaign_flags_a_wrong_closed_form(monkeypatch):
    real = ct.outage.cogc
    monkeypatch.setattr(ct.outage, "cogc", lambda net, **kw: real(net, **kw) * (1 + 1e-6))
    sc = [cp.CampaignScenario("cyclic", 4, 1)]
    res = cp.run_campaign(sc, include_mc=False, include_extra=False)
    row = next(r for r in res.rows if r.check.startswith("CoGC"))
    assert row.status == "FAIL" and not res.passed and res.n_failed == 1


def test_campaign_quick_passes_and_is_reproducible():
    sc = cp.default_scenarios(quick=True)[:4]
    a = cp.run_campaign(sc, trials=3000, seed=2, include_extra=False)
    b = cp.run_campaign(sc, trials=3000, seed=2, include_extra=False)
    assert a.passed, a.table_markdown()
    assert [r.failures for r in a.rows] == [r.failures for r in b.rows]
    kinds = {r.kind for r in a.rows}
    assert kinds == {"exact", "mc"}
    assert "Holm" in a.method() and "0.001" in a.method()


def test_default_grid_covers_codes_links_and_s():
    sc = cp.default_scenarios()
    assert {x.code for x in sc} == {"cyclic", "fractional"}
    assert {x.links for x in sc} == {"homogeneous", "heterogeneous"}
    assert {x.s for x in sc} == {1, 2, 3}
    assert {x.s for x in sc if x.code == "fractional"} == {1, 2, 3}


def test_table_and_csv(tmp_path):
    res = cp.run_campaign([cp.CampaignScenario("fractional", 4, 1, "heterogeneous")],
                          trials=2000, seed=0, include_extra=False)
    md = res.table_markdown()
    assert md.count("\n") == len(res.rows) + 1 and "p-value" in md
    res.to_csv(tmp_path / "v.csv")
    text = (tmp_path / "v.csv").read_text().splitlines()
    assert len(text) == len(res.rows) + 1 and "status" in text[0]


def test_bad_arguments():
    with pytest.raises(ValueError, match="fwer"):
        cp.run_campaign([], fwer=2)
    with pytest.raises(ValueError, match="trials"):
        cp.run_campaign([], trials=0)
    with pytest.raises(ValueError, match="probability"):
        cp.mc_row("s", "c", 1.5, 1, 10)
    with pytest.raises(ValueError, match="decoder"):
        cp.sample_outage(ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1,
                                                      link_erasure=0.1), "x", 10,
                         np.random.default_rng(0))


def test_sample_outage_gcplus_matches_exact():
    """Two-sided exact binomial test, alpha = 1e-6; the count does not depend on the batch
    size (the link draws consume the generator trial by trial)."""
    from scipy.stats import binomtest

    net = ct.CooperativeNetwork.cyclic(5, 2, uplink_erasure=0.15, link_erasure=0.1)
    k = cp.sample_outage(net, "gcplus", 20_000, np.random.default_rng(9), batch=7000)
    assert binomtest(k, 20_000, ct.outage.gcplus(net)).pvalue > 1e-6
    assert cp.sample_outage(net, "gcplus", 20_000, np.random.default_rng(9), batch=3000) == k


def test_extra_checks_quick_pass():
    rows = cp.extra_checks(quick=True)
    checks = {r.check.split()[0] + " " + r.check.split()[1] for r in rows}
    assert {"CoGC mpmath", "GC+ mpmath", "CoGC diversity", "GC+ diversity",
            "GC+ polynomial", "CoGC symbolic"} <= checks
    assert all(r.passed for r in rows), [(r.check, r.note) for r in rows if not r.passed]


def test_ring_row_catches_a_wrong_gcplus_value():
    net = ct.CooperativeNetwork.cyclic(5, 1, uplink_erasure=0.1, link_erasure=0.2)
    good = cp.ring_rows(net, "ring", ct.outage.gcplus(net))
    bad = cp.ring_rows(net, "ring", ct.outage.gcplus(net) * 1.001)
    assert good[0].status == "PASS" and bad[0].status == "FAIL"


def _interrupted_estimate(*args, **kwargs):
    """What ``ct.simulate.outage`` returns on Ctrl-C: the finished chunks only."""
    from cogc_theory.simulate.montecarlo import OutageEstimate

    return OutageEstimate(failures=7, trials=20_000, status="interrupted", max_trials=10**6)


def test_interrupted_monte_carlo_is_not_recorded_as_a_full_one(monkeypatch):
    """A partial estimate raises KeyboardInterrupt instead of becoming a campaign row."""
    from cogc_theory import simulate

    monkeypatch.setattr(simulate, "outage", _interrupted_estimate)
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    with pytest.raises(KeyboardInterrupt, match="20,000 of 1,000,000 trials"):
        cp.mc_counts(net, "standard", 1_000_000, 0)
    seen = []
    with pytest.raises(KeyboardInterrupt):
        cp.run_campaign([cp.CampaignScenario("cyclic", 4, 1)], trials=1_000_000,
                        include_extra=False, progress=seen.append)
    assert seen == []          # the scenario did not finish


def test_csv_write_failing_midway_leaves_no_file(tmp_path, monkeypatch):
    import csv

    res = cp.run_campaign([cp.CampaignScenario("cyclic", 4, 1)], include_mc=False,
                          include_extra=False)
    real = csv.DictWriter.writerow
    count = {"n": 0}

    def writerow(self, row):
        count["n"] += 1
        if count["n"] == 2:
            raise OSError(28, "No space left on device")
        return real(self, row)

    monkeypatch.setattr(csv.DictWriter, "writerow", writerow)
    with pytest.raises(OSError, match="No space"):
        res.to_csv(tmp_path / "validation.csv")
    assert list(tmp_path.iterdir()) == []


def test_method_without_monte_carlo_does_not_claim_trials():
    res = cp.run_campaign([cp.CampaignScenario("cyclic", 4, 1)], trials=100_000,
                          include_mc=False, include_extra=False)
    assert "trials each" not in res.method() and "No Monte Carlo rows" in res.method()
    assert not any(r.kind == "mc" for r in res.rows)
