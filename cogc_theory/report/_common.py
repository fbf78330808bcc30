"""Helpers shared by the report stages: the study's network, Monte Carlo points, LaTeX."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..scenario import NetworkSpec

__all__ = ["gc_states", "latex_block", "mc_indices", "mc_outage", "network"]


def network(M: int, s: int, p: Any, eps: Any) -> Any:
    """The study's network: cyclic ``B`` (construction seed 0)."""
    return NetworkSpec(M, s, uplink_erasure=p, link_erasure=eps).network()


def gc_states(M: int, s: int) -> int:
    """Client-state patterns of the cyclic code, :math:`(1+2^s)^M` (the GC+ enumeration)."""
    return (1 + 2 ** s) ** M


def mc_outage(net: Any, decoder: str, trials: int, seed: int) -> dict[str, Any]:
    """Monte Carlo outage (``ct.simulate.outage``) with a Wilson 95% interval.

    ``simulate.outage`` answers Ctrl-C with a partial estimate (status ``"interrupted"``),
    which must not become a Monte Carlo point: that raises :class:`KeyboardInterrupt` here,
    and the section is marked interrupted.
    """
    from .. import simulate

    est = simulate.outage(net, decoder=decoder, trials=trials, seed=seed)
    if est.status == "interrupted":
        raise KeyboardInterrupt(f"the Monte Carlo run stopped after {est.trials:,} of "
                                f"{trials:,} trials")
    lo, hi = est.ci(0.95, "wilson")
    return {"failures": int(est.failures), "trials": int(est.trials),
            "estimate": float(est.estimate), "ci_low": lo, "ci_high": hi,
            "source": "ct.simulate.outage"}


def mc_indices(n: int, k: int) -> list[int]:
    """``k`` indices spread evenly over ``range(n)`` (the grid points simulated)."""
    if k >= n:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, k).round().astype(int).tolist()))


def latex_block(expr: str) -> str:
    """A displayed LaTeX block of the Markdown report."""
    return f"$$\n{expr}\n$$\n"
