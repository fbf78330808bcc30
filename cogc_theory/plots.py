r"""Figures for reports: outage curves, diversity, recovered sets, training, bounds.

Every function takes plain arrays or result objects, draws on a new
:class:`matplotlib.figure.Figure` (the non-interactive Agg canvas — no display needed, no
global ``pyplot`` state) and returns it; :func:`save` writes PNG and PDF. Styles are chosen to
survive grayscale printing: each series has its own line style *and* marker, and the colours
differ in lightness.

Examples
--------
>>> import numpy as np, tempfile, os
>>> x = np.array([0.05, 0.1, 0.2])
>>> fig = outage_vs_erasure(x, {"CoGC": x * 2, "GC+": x}, xlabel="p")
>>> paths = save(fig, os.path.join(tempfile.mkdtemp(), "demo"))
>>> [os.path.splitext(p)[1] for p in paths]
['.png', '.pdf']
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["bound_vs_gap", "outage_vs_erasure", "outage_vs_snr", "recovered_set_distribution",
           "save", "style", "training_curves"]

#: Colours with distinct lightness (dark to light) so series stay apart in grayscale.
COLORS = ("#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
          "#666666")
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 1)), (0, (8, 2)),
              (0, (3, 1, 1, 1)))
MARKERS = ("o", "s", "^", "D", "v", "x", "P", "*")
RC = {"font.size": 11, "axes.labelsize": 12, "axes.titlesize": 12, "legend.fontsize": 9.5,
      "xtick.labelsize": 10, "ytick.labelsize": 10, "lines.linewidth": 1.8,
      "lines.markersize": 6, "savefig.dpi": 200}
FIGSIZE = (6.4, 4.4)


def style(i: int) -> dict[str, Any]:
    """Line style number ``i``: colour, line style and marker, all distinct for i < 8.

    Examples
    --------
    >>> style(0)
    {'color': '#000000', 'linestyle': '-', 'marker': 'o'}
    >>> len({tuple(style(i).values()) for i in range(8)}), style(8) == style(0)
    (8, True)
    """
    return {"color": COLORS[i % len(COLORS)], "linestyle": LINESTYLES[i % len(LINESTYLES)],
            "marker": MARKERS[i % len(MARKERS)]}


def _figure(figsize: tuple[float, float] = FIGSIZE) -> tuple[Figure, Any]:
    import matplotlib

    with matplotlib.rc_context(RC):
        fig = Figure(figsize=figsize, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
    ax.grid(True, which="major", alpha=0.35)
    ax.grid(True, which="minor", alpha=0.12)
    return fig, ax


def _finish(ax: Any, title: str | None, xlabel: str, ylabel: str, legend: bool = True) -> None:
    ax.set_xlabel(xlabel, fontsize=RC["axes.labelsize"])
    ax.set_ylabel(ylabel, fontsize=RC["axes.labelsize"])
    ax.tick_params(labelsize=RC["xtick.labelsize"])
    if title:
        ax.set_title(title, fontsize=RC["axes.titlesize"])
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=RC["legend.fontsize"], framealpha=0.9)


def _arr(x: Any, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {a.shape}")
    return a


def outage_vs_erasure(x: Any, exact: Mapping[str, Any], mc: Mapping[str, Any] | None = None, *,
                      xlabel: str = "erasure probability", ylabel: str = "outage probability",
                      title: str | None = None, logy: bool = True,
                      styles: Mapping[str, Mapping[str, Any]] | None = None) -> Figure:
    r"""Outage probability against an erasure probability: exact curves and MC points.

    Each series gets one legend entry (its line and marker); exact values are the line,
    Monte Carlo estimates the open markers with 95% interval bars.

    Parameters
    ----------
    x : array_like (n,)
        The erasure probabilities of the exact curves.
    exact : mapping label -> array_like (n,)
        Exact outage values (lines).
    mc : mapping label -> (x_mc, estimate, ci_low, ci_high), optional
        Monte Carlo points with interval bars (same label as an exact curve shares its style).
    logy : bool
        Logarithmic outage axis (non-positive values are not drawn).
    styles : mapping label -> dict(color=, linestyle=, marker=), optional
        Override the default styles (:func:`style`).

    Examples
    --------
    Exact outage of the :math:`M=4` ring against the uplink erasure, with one Monte Carlo point:

    >>> import cogc_theory as ct
    >>> p = [0.05, 0.1, 0.2]
    >>> exact = {"CoGC s=1": [ct.outage.cogc(ct.CooperativeNetwork.cyclic(
    ...     4, 1, uplink_erasure=x, link_erasure=0.1)) for x in p]}
    >>> est = ct.simulate.outage(ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1,
    ...                                                       link_erasure=0.1), trials=4000)
    >>> mc = {"CoGC s=1": ([0.1], [est.estimate], *([v] for v in est.ci(0.95)))}
    >>> fig = outage_vs_erasure(p, exact, mc, xlabel="uplink erasure $p$")
    >>> fig.axes[0].get_yscale(), [t.get_text() for t in fig.legends[0].get_texts()]
    ('log', ['CoGC s=1'])
    """
    from matplotlib.lines import Line2D

    x = _arr(x, "x")
    fig, ax = _figure((6.4, 5.0))
    labels = list(exact) + [k for k in (mc or {}) if k not in exact]
    handles = []
    for i, lab in enumerate(labels):
        st = {**style(i), **dict((styles or {}).get(lab, {}))}
        has_line = lab in exact
        if has_line:
            y = _arr(exact[lab], f"exact[{lab!r}]")
            if y.shape != x.shape:
                raise ValueError(f"exact[{lab!r}] has {y.size} values for {x.size} x values")
            ax.plot(x, np.where(y > 0, y, np.nan) if logy else y, color=st["color"],
                    linestyle=st["linestyle"])
        has_mc = bool(mc) and lab in mc and len(mc[lab][0]) > 0
        if has_mc:
            xm, est, lo, hi = (np.asarray(v, dtype=float) for v in mc[lab])
            yerr = np.vstack([np.maximum(est - lo, 0), np.maximum(hi - est, 0)])
            ax.errorbar(xm, est, yerr=yerr, color=st["color"], marker=st["marker"],
                        linestyle="none", capsize=3, markerfacecolor="white")
        suffix = "" if has_line else " (Monte Carlo only)"
        handles.append(Line2D([], [], color=st["color"],
                              linestyle=st["linestyle"] if has_line else "none",
                              marker=st["marker"] if has_mc else None,
                              markerfacecolor="white", label=lab + suffix))
    if logy:
        ax.set_yscale("log")
    _finish(ax, title, xlabel, ylabel, legend=False)
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=min(3, len(handles)),
                   fontsize=RC["legend.fontsize"], frameon=False)
    return fig


def outage_vs_snr(snr_db: Any, curves: Mapping[str, Any],
                  asymptotes: Mapping[str, tuple[int, float]] | None = None, *,
                  title: str | None = None) -> Figure:
    r"""Outage against mean SNR (dB) with the high-SNR asymptotes :math:`A\,\mathrm{snr}^{-d}`.

    Parameters
    ----------
    snr_db : array_like (n,)
    curves : mapping label -> array_like (n,)
        Exact outage at each SNR.
    asymptotes : mapping label -> (d, A), optional
        Diversity order and constant; drawn as thin dashed lines, labelled with the slope.

    Examples
    --------
    A curve with diversity 2 and its asymptote :math:`5\,\mathrm{snr}^{-2}`:

    >>> import numpy as np
    >>> snr_db = np.array([10.0, 20.0, 30.0])
    >>> fig = outage_vs_snr(snr_db, {"CoGC": 5 * (10 ** (snr_db / 10)) ** -2.0},
    ...                     {"CoGC": (2, 5.0)})
    >>> fig.axes[0].get_legend_handles_labels()[1]
    ['CoGC', 'CoGC: slope $-2$ ($A\\,\\mathrm{snr}^{-2}$)']
    """
    snr_db = _arr(snr_db, "snr_db")
    if not np.isfinite(snr_db).all():
        raise ValueError(f"snr_db must be finite values in dB, got {snr_db.tolist()}")
    snr = 10 ** (snr_db / 10)
    fig, ax = _figure()
    for i, (lab, y) in enumerate(curves.items()):
        st = style(i)
        y = _arr(y, f"curves[{lab!r}]")
        ax.plot(snr_db, np.where(y > 0, y, np.nan), color=st["color"],
                linestyle=st["linestyle"], marker=st["marker"], markerfacecolor="white",
                label=lab)
        if asymptotes and lab in asymptotes:
            d, A = asymptotes[lab]
            ax.plot(snr_db, float(A) * snr ** (-float(d)), color=st["color"], linestyle=":",
                    linewidth=1.0, label=f"{lab}: slope $-{d}$ ($A\\,\\mathrm{{snr}}^{{-{d}}}$)")
    ax.set_yscale("log")
    positive = [v for y in curves.values() for v in _arr(y, "y") if v > 0]
    if positive:   # nothing to draw on a log axis otherwise: keep matplotlib's limits
        ax.set_ylim(bottom=max(min(positive) / 10, 1e-300), top=1.5)
    _finish(ax, title, "mean SNR (dB)", "outage probability")
    return fig


def recovered_set_distribution(pmfs: Mapping[str, Any], *, title: str | None = None,
                               logy: bool = False) -> Figure:
    r"""Bar chart of :math:`P(|K| = k)`, ``k = 0..M``, one group of bars per label.

    Parameters
    ----------
    pmfs : mapping label -> array_like (M + 1,)

    Examples
    --------
    >>> fig = recovered_set_distribution({"s=1": [0.034, 0.048, 0.054, 0.058, 0.806]})
    >>> len(fig.axes[0].patches), fig.axes[0].get_xlabel()               # one bar per size
    (5, 'recovered-set size $|K|$')
    """
    fig, ax = _figure()
    n = len(pmfs)
    if n == 0:
        raise ValueError("pmfs is empty; give at least one distribution")
    width = 0.8 / n
    hatches = ("", "//", "..", "xx", "\\\\", "oo")
    for i, (lab, pmf) in enumerate(pmfs.items()):
        pmf = _arr(pmf, f"pmfs[{lab!r}]")
        k = np.arange(pmf.size)
        ax.bar(k + (i - (n - 1) / 2) * width, pmf, width=width, color=COLORS[(i + 1) % 8],
               edgecolor="black", hatch=hatches[i % len(hatches)], alpha=0.85, label=lab)
        ax.set_xticks(k)
    if logy:
        ax.set_yscale("log")
    _finish(ax, title, "recovered-set size $|K|$", "probability")
    return fig


def training_curves(losses: Mapping[str, Any], *, ylabel: str = "training loss",
                    title: str | None = None, logy: bool = True, band: str = "ci") -> Figure:
    r"""Mean training curve of each scheme with a band.

    Parameters
    ----------
    losses : mapping label -> array_like (trials, rounds + 1)
    band : {"ci", "std"}
        95% normal interval of the mean (:math:`\pm 1.96\,s/\sqrt{n}`) or :math:`\pm` one
        standard deviation over trials.

    Examples
    --------
    >>> import numpy as np
    >>> loss = 1.0 + np.random.default_rng(0).random((3, 11)) / np.arange(1, 12)  # (3, 10 + 1)
    >>> fig = training_curves({"cogc": loss}, title="least squares")
    >>> fig.axes[0].get_ylabel(), fig.axes[0].get_title()
    ('training loss', 'least squares')
    """
    if band not in ("ci", "std"):
        raise ValueError(f"band must be 'ci' or 'std', got {band!r}")
    fig, ax = _figure()
    for i, (lab, L) in enumerate(losses.items()):
        L = np.asarray(L, dtype=float)
        if L.ndim == 1:
            L = L[None, :]
        if L.ndim != 2:
            raise ValueError(f"losses[{lab!r}] must have shape (trials, rounds + 1)")
        st = style(i)
        t = np.arange(L.shape[1])
        mean = L.mean(axis=0)
        sd = L.std(axis=0, ddof=1) if L.shape[0] > 1 else np.zeros_like(mean)
        half = 1.96 * sd / np.sqrt(L.shape[0]) if band == "ci" else sd
        every = max(1, L.shape[1] // 10)
        ax.plot(t, mean, color=st["color"], linestyle=st["linestyle"], marker=st["marker"],
                markevery=(i % every, every), markerfacecolor="white", label=lab)
        ax.fill_between(t, mean - half, mean + half, color=st["color"], alpha=0.15,
                        linewidth=0)
    if logy:
        ax.set_yscale("log")
    _finish(ax, title, "round", ylabel)
    return fig


def bound_vs_gap(rounds: Any, bounds: Mapping[str, Any], gaps: Mapping[str, Any], *,
                 title: str | None = None) -> Figure:
    r"""Convergence bound (lines) against the simulated optimality gap (markers with band).

    Parameters
    ----------
    rounds : array_like (n,)
    bounds : mapping label -> array_like (n,)
    gaps : mapping label -> (mean, low, high), each array_like (n,)

    Examples
    --------
    >>> import numpy as np
    >>> T = np.arange(5)
    >>> fig = bound_vs_gap(T, {"CoGC": 0.9 ** T}, {"CoGC": (0.8 ** T, 0.7 ** T, 0.85 ** T)})
    >>> fig.axes[0].get_legend_handles_labels()[1]
    ['CoGC bound', 'CoGC simulated']
    """
    r = _arr(rounds, "rounds")
    fig, ax = _figure()
    labels = list(bounds) + [k for k in gaps if k not in bounds]
    for i, lab in enumerate(labels):
        st = style(i)
        if lab in bounds:
            ax.plot(r, _arr(bounds[lab], "bound"), color=st["color"],
                    linestyle=st["linestyle"], label=f"{lab} bound")
        if lab in gaps:
            mean, lo, hi = (np.asarray(v, dtype=float) for v in gaps[lab])
            every = max(1, r.size // 10)
            ax.plot(r, mean, color=st["color"], linestyle="none", marker=st["marker"],
                    markevery=every, markerfacecolor="white", label=f"{lab} simulated")
            ax.fill_between(r, lo, hi, color=st["color"], alpha=0.15, linewidth=0)
    ax.set_yscale("log")
    _finish(ax, title, "round $T$", r"$F(w_T) - F^\star$")
    return fig


def save(fig: Figure, stem: str | os.PathLike[str], formats: Sequence[str] = ("png", "pdf")
         ) -> list[str]:
    """Write ``fig`` to ``stem.png`` and ``stem.pdf`` (or ``formats``); returns the paths.

    The parent directory is created if missing. Each file is written to a temporary name and
    renamed when complete, so a failed write (a full disk) never leaves a truncated figure.

    Examples
    --------
    >>> import os
    >>> import tempfile
    >>> fig = recovered_set_distribution({"s=1": [0.2, 0.3, 0.5]})
    >>> paths = save(fig, os.path.join(tempfile.mkdtemp(), "figures", "recovered"))
    >>> [os.path.basename(p) for p in paths]
    ['recovered.png', 'recovered.pdf']
    """
    from ._io import atomic_open

    stem = os.fspath(stem)
    parent, name = os.path.split(stem)
    if not name:
        raise ValueError(f"stem {stem!r} has no file name; give a path without extension, "
                         f"e.g. {os.path.join(stem, 'figure')!r}")
    if parent:
        os.makedirs(parent, exist_ok=True)
    out = []
    for fmt in formats:
        path = f"{stem}.{fmt}"
        with atomic_open(path, "wb") as fh:
            fig.savefig(fh, format=fmt, dpi=RC["savefig.dpi"])
        out.append(path)
    return out
