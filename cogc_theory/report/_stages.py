"""The report's stages, in the order they run: the one list to edit to add a stage.

Each entry is a :class:`Stage` ``(key, title, run)``: ``key`` names the section (``--only``,
``logs/<key>.txt``, the Markdown anchor), ``title`` heads it, and ``run(ctx)`` computes it and
returns its Markdown body (see :mod:`cogc_theory.report._context`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from ._checks import stage_proofs, stage_validation
from ._context import Context
from ._outage import stage_fading, stage_formulas, stage_outage, stage_recovered
from ._scale import stage_scale
from ._training import stage_bounds, stage_crossover, stage_training

__all__ = ["STAGES", "Stage"]


class Stage(NamedTuple):
    """One section of the report."""

    key: str
    title: str
    run: Callable[[Context], str]


STAGES: list[Stage] = [
    Stage("formulas", "Derived formulas", stage_formulas),
    Stage("outage", "Outage against erasure probability", stage_outage),
    Stage("fading", "Outage against SNR and diversity", stage_fading),
    Stage("recovered", "GC+ recovered-set distribution", stage_recovered),
    Stage("scale", "Outage as M grows", stage_scale),
    Stage("training", "Training on the default problem", stage_training),
    Stage("bounds", "Convergence bounds against simulation", stage_bounds),
    Stage("crossover", "Trade-off: which scheme at which client-link erasure", stage_crossover),
    Stage("proofs", "Proofs", stage_proofs),
    Stage("validation", "Validation: pass/fail table", stage_validation),
]
