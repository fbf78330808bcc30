"""Figures: every plot function draws and saves non-empty PNG and PDF files."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from cogc_theory import plots

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _check_saved(fig, tmp_path, name):
    assert isinstance(fig, Figure)
    paths = plots.save(fig, tmp_path / "sub" / name)
    assert [p.rsplit(".", 1)[1] for p in paths] == ["png", "pdf"]
    png, pdf = (open(p, "rb").read() for p in paths)
    assert png.startswith(PNG_MAGIC) and len(png) > 5000
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    return fig


def test_outage_vs_erasure_with_mc_points(tmp_path):
    x = np.array([0.05, 0.1, 0.2, 0.3])
    mc = {"CoGC": ([0.1, 0.3], [0.2, 0.5], [0.18, 0.47], [0.22, 0.53])}
    fig = plots.outage_vs_erasure(x, {"CoGC": 2 * x, "GC+": x}, mc, xlabel="p")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert len(fig.legends[0].get_texts()) == 2      # one entry per series (line + marker)
    assert len(ax.lines) >= 3                        # two curves + the MC markers
    _check_saved(fig, tmp_path, "erasure")


def test_outage_vs_snr_draws_asymptotes(tmp_path):
    snr_db = np.array([0, 10, 20, 30])
    y = np.minimum(1, 5 * (10 ** (snr_db / 10)) ** -2.0)
    fig = plots.outage_vs_snr(snr_db, {"CoGC": y}, {"CoGC": (2, 5.0)})
    assert len(fig.axes[0].lines) == 2
    _check_saved(fig, tmp_path, "snr")


def test_recovered_set_distribution(tmp_path):
    fig = plots.recovered_set_distribution({"a": [0.1, 0.2, 0.7], "b": [0.3, 0.3, 0.4]})
    assert len(fig.axes[0].patches) == 6
    _check_saved(fig, tmp_path, "K")


def test_training_curves_band(tmp_path):
    rng = np.random.default_rng(0)
    L = np.exp(-np.arange(21) / 5) + 0.01 * rng.random((4, 21))
    fig = plots.training_curves({"ideal": L, "gcplus": L * 1.1})
    assert len(fig.axes[0].collections) == 2         # one band per scheme
    _check_saved(fig, tmp_path, "train")


def test_bound_vs_gap(tmp_path):
    r = np.arange(10)
    g = 0.9 ** r
    fig = plots.bound_vs_gap(r, {"CoGC": 2 * g}, {"CoGC": (g, 0.9 * g, 1.1 * g)})
    _check_saved(fig, tmp_path, "bound")


def test_styles_distinct_for_grayscale():
    st = [plots.style(i) for i in range(8)]
    assert len({s["marker"] for s in st}) == 8
    assert len({str(s["linestyle"]) for s in st}) == 8


@pytest.mark.parametrize("call", [
    lambda: plots.outage_vs_erasure([0.1, 0.2], {"a": [0.1]}),
    lambda: plots.outage_vs_erasure([[0.1]], {"a": [0.1]}),
    lambda: plots.recovered_set_distribution({}),
    lambda: plots.training_curves({"a": np.ones((2, 3, 4))}),
    lambda: plots.training_curves({"a": np.ones((2, 3))}, band="bogus"),
])
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_save_failing_midway_leaves_no_truncated_figure(tmp_path, monkeypatch):
    """A full disk during the PDF: no truncated PDF, no temporary file; the PNG before it is
    complete, and an earlier PDF is kept as it was."""
    fig = plots.recovered_set_distribution({"a": [0.1, 0.2, 0.7]})
    real = Figure.savefig

    def savefig(self, fh, format=None, **kw):
        if format == "pdf":
            fh.write(b"%PDF-1.4 truncated")
            raise OSError(28, "No space left on device")
        return real(self, fh, format=format, **kw)

    monkeypatch.setattr(Figure, "savefig", savefig)
    with pytest.raises(OSError, match="No space"):
        plots.save(fig, tmp_path / "K")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["K.png"]
    assert (tmp_path / "K.png").read_bytes().startswith(PNG_MAGIC)
    (tmp_path / "K.pdf").write_bytes(b"%PDF earlier, complete")
    with pytest.raises(OSError):
        plots.save(fig, tmp_path / "K")
    assert (tmp_path / "K.pdf").read_bytes() == b"%PDF earlier, complete"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["K.pdf", "K.png"]


def test_save_needs_a_file_name(tmp_path):
    fig = plots.recovered_set_distribution({"a": [0.5, 0.5]})
    with pytest.raises(ValueError, match="no file name"):
        plots.save(fig, str(tmp_path) + "/")
    assert list(tmp_path.iterdir()) == []


def test_outage_vs_snr_checks_before_drawing():
    """Non-finite SNR is refused by name; an all-zero curve (nothing to show on a log axis)
    draws without a RuntimeWarning."""
    import warnings

    with pytest.raises(ValueError, match="snr_db"):
        plots.outage_vs_snr([0, np.inf], {"a": [0.1, 0.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plots.outage_vs_snr([0, 10], {"a": [0.0, 0.0]})
    assert fig.axes[0].get_yscale() == "log"
