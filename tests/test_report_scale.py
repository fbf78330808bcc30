"""The report's "outage as M grows" stage: its section, its CSV, its smallest-s table.

Exact rows are checked against closed forms derived here, independently of the routes:
fractional repetition fails iff some block of s+1 clients has no contributing client; the
cyclic code's CoGC outage is a binomial tail (threshold M - s); the s = 1 ring's GC+ outage is
1 - (1-p)^M - M p (1-p)^(M-1) (1-eps)^(M-1) (SPEC section 4).
"""

from __future__ import annotations

import csv
import math
import re
import time

import pytest
from scipy.stats import binom

from cogc_theory import report
from cogc_theory.config import quick_study
from cogc_theory.report import _scale

# float64 sums of a few hundred terms of size <= 1: agreement to ~1e-13 absolute; 1e-10
# relative leaves margin for the route's different summation order
RTOL = 1e-10


@pytest.fixture(scope="module")
def scale_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("scale")
    lines: list[str] = []
    res = report.run_report(out, quick=True, only=["scale"], progress=lines.append)
    with open(out / "data" / "outage_vs_M.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return out, res, rows, (out / "report.md").read_text(), lines


def test_the_stage_is_listed_and_its_files_are_known():
    assert "scale" in [s.key for s in report.STAGES]
    assert "outage_vs_M" in report.FIGURES and "outage_vs_M" in report.DATA


def test_quick_report_has_the_section_figure_and_csv(scale_report):
    out, res, rows, md, lines = scale_report
    assert [sec.status for sec in res.sections] == ["ok"]
    assert "Outage as M grows" in md
    assert "figures/outage_vs_M.png" in md
    for ext in ("png", "pdf"):
        assert (out / "figures" / f"outage_vs_M.{ext}").stat().st_size > 1000
    assert tuple(rows[0]) == _scale.COLUMNS
    st = quick_study()
    # every code, M, s, decoder of the quick grid has one row
    keys = {(r["code"], int(r["M"]), int(r["s"]), r["decoder"]) for r in rows}
    assert keys == {(c, M, s, d) for c in ("cyclic", "fractional") for M in st.scale_M
                    for s in st.scale_s for d in ("standard", "gcplus")}
    assert len(rows) == len(keys)
    assert any(ln.strip().startswith("scale ") for ln in lines)


def test_rows_state_how_they_were_computed(scale_report):
    *_, rows, _md, _lines = scale_report
    st = quick_study()
    for r in rows:
        if r["method"] == "exact":
            assert r["route"] in ("blocks", "threshold", "family", "ring-s1", "enumeration")
            assert 0 <= float(r["outage"]) <= 1 and r["trials"] == ""
        elif r["method"] == "mc":
            n, k = int(r["trials"]), int(r["failures"])
            assert 1 <= n <= st.scale_trials and float(r["outage"]) == k / n
            assert float(r["ci_low"]) <= float(r["outage"]) <= float(r["ci_high"])
            assert "no exact route" in r["note"] or "rank tests" in r["note"]
        else:
            assert r["method"] in ("n/a", "skipped") and r["note"]
    # fractional repetition is exact at every M through its blocks (quick grid: (s+1) | M)
    assert all(r["method"] == "exact" and r["route"] == "blocks" for r in rows
               if r["code"] == "fractional" and r["decoder"] == "standard")


def test_exact_rows_match_independent_closed_forms(scale_report):
    *_, rows, _md, _lines = scale_report
    checked = 0
    for r in rows:
        if r["method"] != "exact":
            continue
        M, s, p, e = int(r["M"]), int(r["s"]), float(r["p"]), float(r["eps"])
        pi = (1 - p) * (1 - e) ** s
        if r["code"] == "fractional" and r["decoder"] == "standard":
            want = 1 - (1 - (1 - pi) ** (s + 1)) ** (M // (s + 1))
        elif r["code"] == "cyclic" and r["decoder"] == "standard":
            want = float(binom.cdf(M - s - 1, M, pi))      # fewer than M - s contribute
        elif r["code"] == "cyclic" and s == 1:
            want = 1 - (1 - p) ** M - M * p * (1 - p) ** (M - 1) * (1 - e) ** (M - 1)
        else:
            continue
        assert float(r["outage"]) == pytest.approx(want, rel=RTOL), r
        checked += 1
    assert checked >= 8


def test_smallest_s_table_agrees_with_the_csv(scale_report):
    *_, rows, md, _lines = scale_report
    st = quick_study()
    section = md.split("Smallest $s$", 1)[1]
    table = {}
    for line in section.splitlines():
        m = re.match(r"\| (\d+) \| (.*) \|$", line)
        if m:
            table[int(m.group(1))] = [c.strip() for c in m.group(2).split("|")]
    assert sorted(table) == sorted(st.scale_M)
    cols = [(c, d) for c in ("cyclic", "fractional") for d in ("standard", "gcplus")]
    for M, cells in table.items():
        for (code, dec), cell in zip(cols, cells, strict=True):
            ok = sorted(int(r["s"]) for r in rows if r["code"] == code and r["decoder"] == dec
                        and int(r["M"]) == M and r["ci_high"] not in ("", "nan")
                        and not math.isnan(float(r["ci_high"]))
                        and float(r["ci_high"]) <= st.scale_target)
            assert cell == (str(ok[0]) if ok else "none"), (M, code, dec)


def test_smallest_s_finds_the_target_when_it_is_reached():
    # a grid where the fractional repetition target is met (p = eps = 0.02: block failure
    # (1 - 0.98 * 0.98**s)**(s+1), 1.6e-5 per block of 5 at M = 10) -> s = 4 for CoGC
    rows = [{"code": "fractional", "decoder": "standard", "M": 10, "s": s,
             "ci_high": 1 - (1 - (1 - 0.98 ** (s + 1)) ** (s + 1)) ** (10 // (s + 1))}
            for s in (1, 4, 9)]
    assert _scale.smallest_s(rows, 1e-3) == {("fractional", "standard", 10): 4}
    rows[1]["ci_high"] = float("nan")                 # a point not computed never counts
    assert _scale.smallest_s(rows, 1e-3) == {("fractional", "standard", 10): 9}


def test_a_spent_budget_skips_monte_carlo_and_says_so():
    import cogc_theory as ct

    net = ct.CooperativeNetwork.cyclic(10, 4, uplink_erasure=0.1, link_erasure=0.1)
    r = _scale.outage_point(net, "gcplus", trials=100, seed=0, deadline=0.0)  # already spent
    assert r["method"] == "skipped" and math.isnan(r["outage"]) and "budget" in r["note"]
    # a deadline passed during the run stops it after a chunk: fewer rounds, said in the note
    r = _scale.outage_point(net, "gcplus", trials=10**6, seed=0,
                            deadline=time.monotonic() + 0.5)
    assert r["method"] == "mc" and r["trials"] < 10**6 and "time budget" in r["note"]
    with pytest.raises(ValueError, match="decoder"):
        _scale.outage_point(net, "gc+", trials=100, seed=0)


def test_study_scale_parameters_are_checked():
    from cogc_theory.config import Study

    with pytest.raises(ValueError, match="scale_target"):
        Study(scale_target=1.5)
    with pytest.raises(ValueError, match="scale_seconds"):
        Study(scale_seconds=0)
    with pytest.raises(ValueError, match="scale_M"):
        Study(scale_M=[1])
