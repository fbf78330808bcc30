"""`cogc report`: the quick study writes the folder; failures are marked, never lose work."""

from __future__ import annotations

import json

import pytest
from cogc_theory.validation import campaigns

from cogc_theory import cli, report
from cogc_theory.config import Study, quick_study


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    lines: list[str] = []
    res = report.run_report(out, quick=True, progress=lines.append)
    return out, res, lines


def test_quick_report_writes_the_folder(quick_report):
    out, res, lines = quick_report
    md = (out / "report.md").read_text()
    assert md.startswith("# CoGC / GC+ report")
    for name in ("outage_vs_p", "outage_vs_eps", "outage_vs_snr", "recovered_set", "training",
                 "bound_vs_gap"):
        for ext in ("png", "pdf"):
            assert (out / "figures" / f"{name}.{ext}").stat().st_size > 1000
        assert f"figures/{name}.png" in md
    for name in ("outage_vs_p", "outage_vs_eps", "outage_vs_snr", "formulas",
                 "recovered_set_size", "training", "bounds"):
        assert (out / "data" / f"{name}.csv").stat().st_size > 0
    assert (out / "validation.csv").exists()
    assert (out / "proofs" / "proofs.md").stat().st_size > 0
    assert "| scenario | check |" in md and "$$" in md
    assert json.loads((out / "study.json").read_text())["M"] == quick_study().M


def test_quick_report_progress_and_status(quick_report):
    out, res, lines = quick_report
    n = len(report.STAGES)
    assert sum(ln.startswith(f"[{i + 1}/{n}]") for i in range(n) for ln in lines) == 2 * n
    assert res.validation_passed is True
    # every stage of the quick study works (marking a failure is tested below)
    assert [sec.status for sec in res.sections] == ["ok"] * n, [
        (sec.title, sec.error) for sec in res.sections if sec.status != "ok"]
    assert not res.failed_sections and res.exit_code == 0


def test_failed_stage_is_marked_and_others_run(tmp_path, monkeypatch):
    def broken(ctx):
        raise RuntimeError("deliberately broken")

    stages = [("formulas", "Derived formulas", broken)] + [
        s for s in report.STAGES if s[0] == "recovered"]
    monkeypatch.setattr(report, "STAGES", stages)
    res = report.run_report(tmp_path, study=quick_study())
    md = (tmp_path / "report.md").read_text()
    assert "FAILED**: RuntimeError: deliberately broken" in md
    assert (tmp_path / "logs" / "formulas.txt").read_text().count("Traceback") == 1
    assert [s.status for s in res.sections] == ["FAILED", "ok"]
    assert (tmp_path / "figures" / "recovered_set.png").exists()
    assert res.exit_code == 1


def test_failing_validation_row_gives_nonzero_exit(tmp_path, monkeypatch, capsys):
    def fake(**kw):
        row = campaigns.CheckRow("x", "wrong formula", 0.5, reference=0.4, passed=False)
        return campaigns.CampaignResult(rows=[row], fwer=1e-3, trials=1, seed=0)

    monkeypatch.setattr(campaigns, "run_campaign", fake)
    code = cli.main(["report", "--quick", "--out", str(tmp_path), "--only", "validation"])
    assert code == 1
    md = (tmp_path / "report.md").read_text()
    assert "**FAIL**" in md and "validation row(s) failed" in md
    captured = capsys.readouterr()
    assert "report.md" in captured.out and "validation FAIL" in captured.err


def test_report_study_config(tmp_path):
    cfg = tmp_path / "study.toml"
    cfg.write_text("[study]\nM = 5\ns_values = [1]\nmc_trials = 500\n")
    code = cli.main(["report", "--quick", "--config", str(cfg), "--out", str(tmp_path / "r"),
                     "--only", "formulas,outage"])
    assert code == 0
    assert json.loads((tmp_path / "r" / "study.json").read_text())["M"] == 5


def test_unknown_stage_and_bad_study():
    with pytest.raises(ValueError, match="stage"):
        report.run_report("/tmp/never-written-cogc", only=["nope"])
    with pytest.raises(ValueError, match="p_grid"):
        Study(p_grid=[])
    with pytest.raises(ValueError, match="probability"):
        Study(p_fixed=1.5)
