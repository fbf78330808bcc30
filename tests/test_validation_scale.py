"""The scale campaign (validation/scale.py): structured exact routes against Monte Carlo."""

from __future__ import annotations

import pytest
from cogc_theory.validation import scale

from cogc_theory import outage

# Monte Carlo rounds per row: standard error <= 0.0092 at the quick cases' outages, so an
# error of 30% in the fractional outage 0.182 (0.055, about 7.8 standard errors) is rejected
# with power > 0.999 at FWER 1e-3 (Holm threshold >= 2.5e-4, |z| >= 3.7)
TRIALS = 3000


def test_quick_campaign_passes_and_names_its_routes():
    res = scale.run_scale_campaign(quick=True, trials=TRIALS, seed=5, fwer=1e-3)
    assert res.passed, res.table_markdown()
    checks = [r.check for r in res.rows]
    assert checks == ["CoGC route blocks vs MC", "GC+ route blocks vs MC",
                      "CoGC route threshold vs MC", "GC+ route ring-s1 vs MC"]
    for r in res.rows:
        assert r.trials == TRIALS and r.threshold is not None and r.p_value > r.threshold
        assert 0.05 < r.formula < 0.95          # where the test has power (default_cases)


def test_a_wrong_route_value_is_rejected(monkeypatch):
    """The campaign can fail: a CoGC 'route' 30% too high is rejected at FWER 1e-3."""
    real = outage.cogc
    monkeypatch.setattr(outage, "cogc", lambda net, **kw: 1.3 * float(real(net, **kw)))
    res = scale.run_scale_campaign([scale.ScaleCase("fractional", 30, 2, 0.1, 0.1)],
                                   trials=TRIALS, seed=5, fwer=1e-3)
    assert not res.passed
    assert [r.status for r in res.rows] == ["FAIL", "PASS"]


def test_a_quantity_without_exact_route_is_a_skip_row():
    # cyclic M = 24, s = 3: CoGC threshold known by construction; GC+ has no structured
    # route for s = 3 (the ring automaton covers s <= 2) and would enumerate 9**24 client
    # states, so it is skipped with the reason
    res = scale.run_scale_campaign([scale.ScaleCase("cyclic", 24, 3, 0.01, 0.01)],
                                   trials=1000, seed=1)
    assert [r.status for r in res.rows] == ["PASS", "SKIP"]
    assert "no exact route" in res.rows[1].note and res.passed


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="fwer"):
        scale.run_scale_campaign([], fwer=0)
    with pytest.raises(ValueError, match="trials"):
        scale.run_scale_campaign([], trials=0)


def test_the_monte_carlo_side_decodes(monkeypatch):
    """A network that knows its threshold would have its Monte Carlo rounds decided by
    counting (the theorem under test); the campaign's Monte Carlo runs on a twin that does
    not, so every round is decoded."""
    from cogc_theory.simulate.outage_mc import OutageSystem

    seen = []
    real = scale.mc_counts

    def spy(net, decoder, trials, seed):
        seen.append((net.threshold, OutageSystem(net, decoder).route))
        return real(net, decoder, trials, seed)

    monkeypatch.setattr(scale, "mc_counts", spy)
    case = scale.ScaleCase("cyclic", 24, 3, 0.01, 0.01)
    assert case.network().threshold == 21                # known by construction
    scale.run_scale_campaign([case], trials=500, seed=1)
    assert seen == [(None, "erasures")]                  # GC+ has no route: skipped


@pytest.mark.slow
def test_full_campaign_passes():
    """The full grid (M up to 1000, 20,000 rounds per row; about 20 s): every structured
    route agrees with Monte Carlo at family-wise false-alarm rate 1e-3."""
    res = scale.run_scale_campaign(trials=20_000, seed=0, fwer=1e-3)
    assert res.passed, res.table_markdown()
    statuses = [r.status for r in res.rows]
    assert statuses.count("PASS") == 7 and statuses.count("SKIP") == 1
