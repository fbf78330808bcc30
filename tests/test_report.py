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

    stages = [report.Stage("formulas", "Derived formulas", broken)] + [
        s for s in report.STAGES if s.key == "recovered"]
    monkeypatch.setattr(report._stages, "STAGES", stages)   # the list the runner reads
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
    for name in ("mc_trials", "validation_trials"):     # issue 14: refused up front
        with pytest.raises(ValueError, match=rf"study.{name} = .* more than MAX_TRIALS"):
            Study(**{name: 10**15})


# ------------------------------------------------------------------ robustness (audit)
def test_report_files_lists_every_file_written(quick_report):
    """--overwrite removes report_files(); it must cover everything a report writes, and a
    finished report leaves no temporary file."""
    out, res, lines = quick_report
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert written <= set(report.report_files()), written - set(report.report_files())
    assert not [f for f in written if f.endswith(".tmp")]
    assert {"report.md", "study.json", "validation.csv", "proofs/proofs.md"} <= written


def _old_report(d):
    """A finished earlier report folder, plus files of the user's."""
    for rel in ("report.md", "study.json", "validation.csv", "validation.md",
                "figures/outage_vs_p.png", "figures/outage_vs_p.pdf", "data/training.csv",
                "logs/outage.txt", "proofs/proofs.md", "data/.training.csv.0123abcd.tmp"):
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / rel).write_text("old\n")
    (d / "notes.txt").write_text("mine\n")
    (d / "figures" / "mine.png").write_text("mine\n")


def _tree(d):
    return {p.relative_to(d).as_posix(): p.read_text() for p in d.rglob("*") if p.is_file()}


def test_existing_report_is_refused_without_overwrite(tmp_path, capsys):
    _old_report(tmp_path)
    before = _tree(tmp_path)
    assert cli.main(["report", "--quick", "--only", "formulas", "--out", str(tmp_path)]) == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln]
    assert len(err) == 1 and "already holds a report" in err[0] and "--overwrite" in err[0]
    assert _tree(tmp_path) == before


def test_overwrite_removes_only_the_earlier_reports_files(tmp_path, capsys):
    """Rerun with --only formulas --seed 7: nothing stale of the earlier run is left (figures,
    validation, other data), the user's files are kept, and the message names what was
    written."""
    _old_report(tmp_path)
    assert cli.main(["report", "--quick", "--only", "formulas", "--seed", "7", "--out",
                     str(tmp_path), "--overwrite"]) == 0
    tree = _tree(tmp_path)
    assert tree["notes.txt"] == "mine\n" and tree["figures/mine.png"] == "mine\n"
    assert set(tree) == {"notes.txt", "figures/mine.png", "report.md", "study.json",
                         "data/formulas.csv"}
    assert json.loads(tree["study.json"])["seed"] == 7
    assert "Derived formulas" in tree["report.md"] and "Validation" not in tree["report.md"]
    out = capsys.readouterr().out
    assert out.strip() == f"wrote {tmp_path / 'report.md'} (and data/, study.json in {tmp_path})"


def test_folder_that_is_not_a_report_is_refused(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine\n")
    for extra in ([], ["--overwrite"]):
        assert cli.main(["report", "--quick", "--out", str(tmp_path)] + extra) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("cogc: error: --out") and "holds no report" in err
    assert _tree(tmp_path) == {"notes.txt": "mine\n"}
    with pytest.raises(ValueError, match="holds no report"):
        report.run_report(tmp_path, quick=True, only=["formulas"], overwrite=True)


def test_interrupted_monte_carlo_marks_the_section_and_exits_130(tmp_path, monkeypatch,
                                                                 capsys):
    """ct.simulate.outage returns a partial estimate on Ctrl-C; the report does not record it
    as a Monte Carlo point: the section is marked interrupted, no outage data is written."""
    from cogc_theory import simulate
    from cogc_theory.simulate.montecarlo import OutageEstimate

    monkeypatch.setattr(simulate, "outage", lambda *a, **k: OutageEstimate(
        failures=3, trials=10_000, status="interrupted", max_trials=4000))
    out = tmp_path / "r"
    assert cli.main(["report", "--quick", "--only", "formulas,outage", "--out",
                     str(out)]) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("cogc: interrupted; ") and "report.md keeps" in err[-1]
    md = (out / "report.md").read_text()
    assert "| [Derived formulas](#formulas) | ok |" in md
    assert "| [Outage against erasure probability](#outage) | **FAILED**: interrupted" in md
    assert not (out / "data" / "outage_vs_p.csv").exists()
    assert (out / "data" / "formulas.csv").exists()


def test_csv_write_failing_midway_leaves_no_truncated_file(tmp_path, monkeypatch):
    import csv

    ctx = report.Context(tmp_path, quick_study(), None, True)
    real = csv.DictWriter.writerow
    count = {"n": 0}

    def writerow(self, row):
        count["n"] += 1
        if count["n"] == 3:
            raise OSError(28, "No space left on device")
        return real(self, row)

    monkeypatch.setattr(csv.DictWriter, "writerow", writerow)
    with pytest.raises(OSError, match="No space"):
        ctx.write_csv("formulas", [{"s": 1, "latex": "a"}, {"s": 2, "latex": "b"}])
    assert list((tmp_path / "data").iterdir()) == []


def test_study_types_are_checked_by_name():
    for kw, name in ((dict(s_values=2), "study.s_values"), (dict(rate="x"), "study.rate"),
                     (dict(validation_fwer="x"), "study.validation_fwer"),
                     (dict(schemes="gcplus"), "study.schemes"),
                     (dict(validation_quick=1), "study.validation_quick")):
        with pytest.raises((TypeError, ValueError), match=name.replace(".", r"\.")):
            Study(**kw)
