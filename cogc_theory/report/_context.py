"""What a report stage is given: the output folder, the study, and the writers of its files.

A stage receives a :class:`Context` and returns the Markdown body of its section. It writes
data with :meth:`Context.write_csv` and figures with :meth:`Context.savefig` (atomically, and
only under the names listed in :data:`FIGURES` / :data:`DATA`, so that ``overwrite=True``
knows every file a report writes); it raises :class:`Partial` to keep a finished body while
marking the section failed.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._io import atomic_open
from ..config import Study

__all__ = ["DATA", "FIGURES", "SUBDIRS", "Context", "Partial"]

#: Figures (``figures/NAME.png|pdf``) and data files (``data/NAME.csv``) a report writes.
FIGURES = ("outage_vs_p", "outage_vs_eps", "outage_vs_snr", "recovered_set", "training",
           "bound_vs_gap", "bound_vs_gap_variant", "crossover", "outage_vs_M")
DATA = ("formulas", "outage_vs_p", "outage_vs_eps", "outage_vs_snr", "recovered_set_size",
        "training", "bounds", "crossover", "outage_vs_M")
#: Sub-folders of a report folder.
SUBDIRS = ("figures", "data", "logs", "proofs")


class Context:
    """The state a stage works with (see the module docs); ``shared`` caches results that
    several stages use (the training runs)."""

    def __init__(self, out: Path, study: Study, progress: Callable[[str], None] | None,
                 quick: bool) -> None:
        self.out = out
        self.study = study
        self.quick = quick
        self.progress = progress or (lambda _msg: None)
        self.figs = out / "figures"
        self.data = out / "data"
        self.logs = out / "logs"
        for d in (self.figs, self.data, self.logs):
            d.mkdir(parents=True, exist_ok=True)
        self.files: list[str] = []
        self.shared: dict[str, Any] = {}
        self.validation: Any = None

    def savefig(self, fig: Any, name: str, caption: str) -> str:
        from .. import plots

        if name not in FIGURES:   # so that overwrite=True knows every file a report writes
            raise ValueError(f"figure {name!r} is not listed in report.FIGURES")
        paths = plots.save(fig, self.figs / name)
        self.files += paths
        return (f"![{caption}](figures/{name}.png)\n\n*{caption}* "
                f"([PDF](figures/{name}.pdf))\n")

    def write_csv(self, name: str, rows: list[dict[str, Any]]) -> str:
        if name not in DATA:   # so that overwrite=True knows every file a report writes
            raise ValueError(f"data file {name!r} is not listed in report.DATA")
        path = self.data / f"{name}.csv"
        keys: list[str] = []
        for r in rows:
            keys += [k for k in r if k not in keys]
        with atomic_open(path, "w", newline="") as fh:
            if rows:
                w = csv.DictWriter(fh, fieldnames=keys)
                w.writeheader()
                for r in rows:
                    w.writerow(r)
        self.files.append(str(path))
        return f"data/{name}.csv"



class Partial(Exception):  # noqa: N818 - carries a finished body with a failure reason
    """A stage failed after writing a body that the report keeps (the message is the reason)."""

    def __init__(self, body: str, reason: str) -> None:
        super().__init__(reason)
        self.body = body
