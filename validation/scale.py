r"""Validation at scale: the exact structured outage routes against Monte Carlo at large M.

Enumeration checks the structured routes (blocks, threshold, the s = 1 ring) only at small
:math:`M` (``tests/test_outage_routes.py``). This campaign checks them where they are the only
exact method: for each case of a grid up to :math:`M=1000`, the value of
:func:`cogc_theory.outage.cogc` / :func:`~cogc_theory.outage.gcplus` (``route="auto"``, the
route named by :func:`cogc_theory.outage.explain` recorded with the row) against ``n`` seeded
rounds of :func:`cogc_theory.simulate.outage`, which decodes every round with the decoders'
rule (certified row-space decisions), not with the structure: it runs on a twin of the
network built from ``B`` alone, which does not know its threshold (a network that does
would have its rounds decided by counting, by the theorem under test).

**Test.** With :math:`k` outages in :math:`n` rounds, the two-sided exact binomial test of
:math:`H_0: P=P_\text{route}` (:func:`scipy.stats.binomtest`) gives a p-value per row; the rows
are decided together by Holm's step-down procedure
(:func:`cogc_theory.validation.campaigns.holm`) at family-wise false-alarm rate ``fwer``: if
every route is right, the chance that any row fails is at most ``fwer``. A case whose
quantity has no exact route on this code (e.g. CoGC on a cyclic code whose threshold family
is neither known by construction nor cheap to verify) is a ``SKIP`` row naming the reason.

**Cost.** The exact side costs what :func:`~cogc_theory.outage.explain` states (at most
:math:`O(M^2)` for the cases here); the Monte Carlo side costs ``n`` decodings per row by
the structured Monte Carlo routes of :mod:`cogc_theory.simulate` (erased rows for standard
decoding, blocks for fractional repetition, banded elimination for GC+ on cyclic codes),
which dominate: the full grid with the default 20,000 rounds per row took 21 s on the
2-core machine (it was hours when every round was an :math:`M\times M` SVD); the quick
grid (:math:`M=30`) takes seconds.

Examples
--------
>>> res = run_scale_campaign([ScaleCase("fractional", 12, 2, 0.1, 0.1)], trials=2000, seed=1)
>>> [(r.check, r.status) for r in res.rows]
[('CoGC route blocks vs MC', 'PASS'), ('GC+ route blocks vs MC', 'PASS')]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .campaigns import CampaignResult, CheckRow, holm, mc_counts, mc_row

__all__ = ["ScaleCase", "default_cases", "run_scale_campaign"]


@dataclass(frozen=True)
class ScaleCase:
    """One network of the scale campaign (homogeneous erasures ``p``, ``eps``).

    ``construction`` is the cyclic construction (``None``: the library's default).

    Examples
    --------
    >>> case = ScaleCase("fractional", M=30, s=2, p=0.1, eps=0.1)
    >>> case.name
    'fractional M=30 s=2 p=0.1 eps=0.1'
    >>> net = case.network()
    >>> net.M, net.s
    (30, 2)
    """

    code: str
    M: int
    s: int
    p: float
    eps: float
    construction: str | None = None

    @property
    def name(self) -> str:
        cons = f" {self.construction}" if self.construction else ""
        return f"{self.code}{cons} M={self.M} s={self.s} p={self.p:g} eps={self.eps:g}"

    def network(self) -> Any:
        """The network (:class:`~cogc_theory.scenario.NetworkSpec`)."""
        from cogc_theory.scenario import NetworkSpec

        return NetworkSpec(self.M, self.s, code=self.code, uplink_erasure=self.p,
                           link_erasure=self.eps, construction=self.construction).network()


def default_cases(quick: bool = False) -> list[ScaleCase]:
    r"""The campaign grid, erasures chosen so that every outage lies in :math:`(0.05, 0.95)`
    (where a binomial test with a few thousand rounds has power).

    Full: fractional repetition :math:`M=300, s=2` and :math:`M=1000, s=4` (route
    ``blocks``); cyclic :math:`M=100`, :math:`s=1` (CoGC ``threshold``, GC+ ``ring-s1``) and
    :math:`s=3` (exact CoGC when the construction the report's scale stage uses,
    ``cyclic_construction`` in ``cogc_theory/report/_scale.py``, knows its threshold; a
    ``SKIP`` row otherwise). Quick: fractional :math:`M=30, s=2` and cyclic :math:`M=30, s=1`.

    Examples
    --------
    >>> [c.M for c in default_cases(quick=True)]
    [30, 30]
    """
    from cogc_theory.report._scale import cyclic_construction

    if quick:
        return [ScaleCase("fractional", 30, 2, 0.1, 0.1),
                ScaleCase("cyclic", 30, 1, 0.02, 0.02)]
    return [ScaleCase("fractional", 300, 2, 0.05, 0.05),
            ScaleCase("fractional", 1000, 4, 0.05, 0.05),
            ScaleCase("cyclic", 100, 1, 0.005, 0.005, cyclic_construction(100)),
            ScaleCase("cyclic", 100, 3, 0.02, 0.02, cyclic_construction(100))]


def run_scale_campaign(cases: Sequence[ScaleCase] | None = None, *, quick: bool = False,
                       trials: int = 20_000, seed: int = 0, fwer: float = 1e-3,
                       progress: Callable[[str], None] | None = None) -> CampaignResult:
    """Check the exact route of every case against Monte Carlo (see the module docstring).

    Parameters
    ----------
    cases : sequence of ScaleCase, optional
        Default :func:`default_cases` (``quick``).
    quick : bool
    trials : int
        Monte Carlo rounds per row.
    seed : int
        Row ``i`` uses ``SeedSequence(seed).spawn(...)[i]``.
    fwer : float
        Family-wise false-alarm rate (Holm).
    progress : callable, optional
        Called with one line per case.

    Returns
    -------
    CampaignResult
        One row per case and decoder (``check`` names the route), decided by Holm.

    Examples
    --------
    >>> res = run_scale_campaign([ScaleCase("cyclic", 12, 1, 0.05, 0.05)], trials=2000,
    ...                          seed=2)
    >>> [r.check for r in res.rows], res.passed
    (['CoGC route threshold vs MC', 'GC+ route ring-s1 vs MC'], True)
    """
    from cogc_theory import outage
    from cogc_theory.network import CooperativeNetwork

    if not 0 < fwer < 1:
        raise ValueError(f"fwer must be in (0, 1), got {fwer}")
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise ValueError(f"trials must be a positive integer, got {trials!r}")
    t0 = time.perf_counter()
    cases = list(default_cases(quick) if cases is None else cases)
    seeds = np.random.SeedSequence(seed).spawn(2 * len(cases))
    rows: list[CheckRow] = []
    for i, case in enumerate(cases):
        ts = time.perf_counter()
        net = case.network()
        for j, (dec, what, fn, lab) in enumerate((
                ("standard", "cogc", outage.cogc, "CoGC"),
                ("gcplus", "gcplus", outage.gcplus, "GC+"))):
            try:
                route = outage.explain(net, what).name
            except ValueError as exc:
                rows.append(CheckRow(case.name, f"{lab} exact route vs MC", float("nan"),
                                     kind="skip", passed=None,
                                     note=str(exc).split("; estimate it by", 1)[0]))
                continue
            value = float(fn(net, route="auto"))
            # the Monte Carlo side decodes: a twin network that does not know its threshold
            # (with net.threshold, simulate.outage would count rows by the same theorem)
            twin = CooperativeNetwork(net.B, uplink_erasure=case.p, link_erasure=case.eps)
            k, n, src = mc_counts(twin, dec, trials, int(seeds[2 * i + j].generate_state(1)[0]))
            row = mc_row(case.name, f"{lab} route {route} vs MC", value, k, n, src)
            row.note = f"route {route}"
            rows.append(row)
        if progress is not None:
            progress(f"  validate scale {case.name}: {time.perf_counter() - ts:.1f} s")
    holm(rows, fwer)
    return CampaignResult(rows=rows, fwer=fwer, trials=trials, seed=seed,
                          seconds=time.perf_counter() - t0)
