r"""Validation campaigns: every outage formula against exact enumeration and Monte Carlo.

Size: about 650 lines because every public function carries a doctested example; one concept
(the outage campaign: scenarios, exact and Monte Carlo rows, verdicts).

For each scenario of a grid — cyclic and fractional repetition, homogeneous and heterogeneous
erasures, :math:`s\in\{1,2,3\}` — the campaign checks

1. **CoGC closed form vs exact enumeration.** :func:`cogc_theory.outage.cogc` against an
   independent brute force (:mod:`cogc_theory.validation.enumeration`): every contributing
   set :math:`R\subseteq[M]`, its decodability decided by Gaussian elimination over
   :class:`fractions.Fraction` on the rational ``B``, its probability
   :math:`\prod_{m\in R}\pi_m\prod_{m\notin R}(1-\pi_m)` in exact rationals (the float
   erasures converted exactly). Pass: relative difference :math:`\le 10^{-9}`.
2. **GC+ exact vs exact enumeration** (when the client-state space is small): the same brute
   force over every client state (absent, or arrived with one pattern of link successes),
   effective rows :math:`\tilde B_m = B_m\odot\tau_m`, full recovery iff
   :math:`\mathbf 1\in\operatorname{rowspace}`.
3. **CoGC exact vs Monte Carlo** and 4. **GC+ exact vs Monte Carlo**: ``n`` seeded trials,
   ``k`` outages; the two-sided exact binomial test of :math:`H_0: P = P_\text{formula}`
   (:func:`scipy.stats.binomtest`) gives a p-value.

The Monte Carlo p-values form one family; the campaign rejects with **Holm's step-down
procedure** at family-wise false-alarm rate ``fwer`` (default :math:`10^{-3}`): sorted p-values
:math:`p_{(1)}\le\dots\le p_{(n)}` are rejected while :math:`p_{(i)}\le \alpha/(n-i+1)`. So if
every formula is right, the probability that *any* Monte Carlo row fails is at most
:math:`\alpha`. A rejected row is a FAIL; every row keeps its evidence (formula value, estimate,
Wilson 95% interval, p-value, Holm threshold, trials).

Monte Carlo uses :func:`cogc_theory.simulate.outage` (recorded per row as ``mc_source``).

Examples
--------
>>> res = run_campaign(quick=True, trials=2000, seed=1, include_mc=False)
>>> res.passed, len(res.rows) > 0
(True, True)
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from .enumeration import MAX_BRUTE_STATES, brute_force_cogc, brute_force_gcplus

__all__ = ["MAX_BRUTE_STATES", "CampaignResult", "CampaignScenario", "CheckRow",
           "brute_force_cogc", "brute_force_gcplus", "default_scenarios", "extra_checks", "holm",
           "mc_counts", "mc_row", "ring_rows", "run_campaign", "sample_outage"]

#: Relative tolerance of formula-vs-enumeration checks.
EXACT_RTOL = 1e-9
#: Largest number of client-state patterns for which ``outage.gcplus`` is checked
#: (cyclic M=10, s=2 has 5**10 ~ 9.8e6 and takes ~10 s).
MAX_EXACT_GC_STATES = 10_000_000


# --------------------------------------------------------------------------- scenarios
@dataclass(frozen=True)
class CampaignScenario:
    """One network of the campaign grid.

    ``links`` is ``"homogeneous"`` (``p``, ``eps`` scalars) or ``"heterogeneous"`` (per-client
    ``p`` and per-link ``eps`` drawn uniformly from ``[lo, hi]`` with ``het_seed``).

    Examples
    --------
    >>> sc = CampaignScenario("cyclic", 4, 1)
    >>> sc.name, sc.erasures()
    ('cyclic M=4 s=1 hom', (0.1, 0.15))
    >>> sc.network()
    CooperativeNetwork(M=4, links=4, numeric)
    """

    code: str
    M: int
    s: int
    links: str = "homogeneous"
    p: float = 0.1
    eps: float = 0.15
    lo: float = 0.02
    hi: float = 0.3
    het_seed: int = 0

    @property
    def name(self) -> str:
        return f"{self.code} M={self.M} s={self.s} {self.links[:3]}"

    def erasures(self) -> tuple[Any, Any]:
        if self.links == "homogeneous":
            return self.p, self.eps
        rng = np.random.default_rng(self.het_seed)
        p = np.round(rng.uniform(self.lo, self.hi, self.M), 3)
        eps = np.round(rng.uniform(self.lo, self.hi, (self.M, self.M)), 3)
        return p, eps

    def network(self) -> Any:
        """The network (:class:`~cogc_theory.scenario.NetworkSpec`); cyclic ``B`` is exact
        (rational), as the brute force needs."""
        from cogc_theory.scenario import NetworkSpec

        p, eps = self.erasures()
        return NetworkSpec(self.M, self.s, code=self.code, uplink_erasure=p, link_erasure=eps,
                           exact=self.code == "cyclic").network()


def default_scenarios(quick: bool = False, *, M_study: int | None = 10) -> list[
        CampaignScenario]:
    """The campaign grid.

    Full: cyclic :math:`M=6`, :math:`s\\in\\{1,2,3\\}`; fractional :math:`(M,s)\\in
    \\{(6,1),(6,2),(4,3)\\}`; each homogeneous and heterogeneous; plus the study's cyclic codes
    at ``M_study`` (homogeneous, :math:`s\\in\\{1,2,3\\}`). Quick: cyclic and fractional
    :math:`M=4`, :math:`s\\in\\{1,3\\}` / :math:`\\{1,3\\}`, homogeneous and heterogeneous.

    Examples
    --------
    >>> [s.name for s in default_scenarios(quick=True)][:3]
    ['cyclic M=4 s=1 hom', 'cyclic M=4 s=1 het', 'cyclic M=4 s=2 hom']
    """
    out: list[CampaignScenario] = []
    if quick:
        shapes = [("cyclic", 4, 1), ("cyclic", 4, 2), ("fractional", 4, 1),
                  ("fractional", 4, 3)]
    else:
        shapes = [("cyclic", 6, 1), ("cyclic", 6, 2), ("cyclic", 6, 3), ("fractional", 6, 1),
                  ("fractional", 6, 2), ("fractional", 4, 3)]
    for i, (code, M, s) in enumerate(shapes):
        for links in ("homogeneous", "heterogeneous"):
            out.append(CampaignScenario(code, M, s, links, het_seed=100 + i))
    if not quick and M_study:
        for s in (1, 2, 3):
            out.append(CampaignScenario("cyclic", M_study, s, "homogeneous", p=0.1, eps=0.1))
    return out


# --------------------------------------------------------------------------- Monte Carlo
def sample_outage(net: Any, decoder: str, trials: int, rng: np.random.Generator, *,
                  batch: int = 20_000) -> int:
    r"""Count outages in ``trials`` independent rounds from one generator.

    Draws the channels with :class:`cogc_theory.simulate.links.LinkModel` (so reciprocal links
    are honoured), forms :math:`\tilde B = B\odot\tau` and decodes with
    :func:`cogc_theory.decode.standard` (complete and arrived rows) or
    :func:`cogc_theory.decode.gcplus` (all arrived rows). Returns the number of rounds without
    full recovery. :func:`cogc_theory.simulate.outage` is the seeded, chunked estimator the
    campaigns use; this is the plain one-generator loop over batches.

    Examples
    --------
    About :math:`0.313` of the rounds of the :math:`M=4` ring fail (the binomial tail):

    >>> import numpy as np
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> k = sample_outage(net, "standard", 20_000, np.random.default_rng(0))
    >>> bool(abs(k / 20_000 - 0.3132) < 0.01)                # ~3 standard errors
    True
    """
    from cogc_theory import decode
    from cogc_theory.simulate.links import LinkModel

    if decoder not in ("standard", "gcplus"):
        raise ValueError(f"decoder must be 'standard' or 'gcplus', got {decoder!r}")
    model = LinkModel(net)
    fails = 0
    left = int(trials)
    while left > 0:
        n = min(batch, left)
        d = model.draw(rng, (n,))
        if decoder == "standard":
            r = decode.standard(net.B, d.received)
        else:
            r = decode.gcplus(d.effective(net.B), d.u, rule="individual")
        fails += int(np.count_nonzero(~np.asarray(r.full)))
        left -= n
    return fails


def mc_counts(net: Any, decoder: str, trials: int, seed: int) -> tuple[int, int, str]:
    """(failures, trials, source) from :func:`cogc_theory.simulate.outage`.

    ``simulate.outage`` answers Ctrl-C with a partial estimate (status ``"interrupted"``); a
    partial estimate must not be recorded as a full one, so that raises
    :class:`KeyboardInterrupt` here and the caller's interruption handling takes over.

    Examples
    --------
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> failures, trials, source = mc_counts(net, "standard", 2000, seed=0)
    >>> trials, source, 0 < failures < trials
    (2000, 'ct.simulate.outage', True)
    """
    from cogc_theory import simulate

    est = simulate.outage(net, decoder=decoder, trials=trials, seed=seed)
    if est.status == "interrupted":
        raise KeyboardInterrupt(f"the Monte Carlo run stopped after {est.trials:,} of "
                                f"{trials:,} trials")
    return int(est.failures), int(est.trials), "ct.simulate.outage"


# --------------------------------------------------------------------------- rows and tests
@dataclass
class CheckRow:
    """One line of the pass/fail table with its evidence.

    Examples
    --------
    290 outages in 1000 trials against a formula value of 0.3:

    >>> row = mc_row("ring", "CoGC exact vs MC", 0.3, failures=290, trials=1000)
    >>> row.kind, row.reference, round(row.p_value, 3), row.passed       # undecided until holm
    ('mc', 0.29, 0.512, None)
    """

    scenario: str
    check: str
    formula: float
    reference: float | None = None
    kind: str = "exact"                 # "exact" (vs enumeration) or "mc" (vs Monte Carlo)
    failures: int | None = None
    trials: int | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    threshold: float | None = None      # Holm threshold for this row
    passed: bool | None = None
    note: str = ""
    source: str = ""

    @property
    def status(self) -> str:
        if self.passed is None:
            return "SKIP"
        return "PASS" if self.passed else "FAIL"


def mc_row(scenario: str, check: str, formula: float, failures: int, trials: int,
           source: str = "") -> CheckRow:
    """A Monte Carlo row: estimate, Wilson 95% interval, two-sided exact binomial p-value.

    ``passed`` is left ``None`` until :func:`holm` decides the family.

    Examples
    --------
    The p-value is the two-sided exact binomial test (:func:`scipy.stats.binomtest`):

    >>> from scipy.stats import binomtest
    >>> row = mc_row("ring", "CoGC exact vs MC", 0.3, failures=290, trials=1000)
    >>> bool(abs(row.p_value - binomtest(290, 1000, 0.3).pvalue) < 1e-12)
    True
    """
    from scipy.stats import binomtest

    if not 0.0 <= formula <= 1.0 or not math.isfinite(formula):
        raise ValueError(f"{check}: formula value {formula} is not a probability")
    bt = binomtest(int(failures), int(trials), p=float(formula))
    ci = bt.proportion_ci(confidence_level=0.95, method="wilson")
    return CheckRow(scenario=scenario, check=check, formula=float(formula),
                    reference=failures / trials, kind="mc", failures=int(failures),
                    trials=int(trials), ci_low=float(ci.low), ci_high=float(ci.high),
                    p_value=float(bt.pvalue), source=source)


def holm(rows: Sequence[CheckRow], fwer: float) -> None:
    r"""Decide the Monte Carlo rows (``kind == "mc"``) by Holm's step-down procedure.

    With :math:`n` p-values sorted ascending, reject :math:`p_{(i)}` (1-based) while
    :math:`p_{(i)}\le \mathrm{fwer}/(n-i+1)`; stop at the first acceptance. Controls the
    family-wise false-alarm rate at ``fwer`` under any dependence. Sets ``passed`` and
    ``threshold`` in place.

    Examples
    --------
    Two Monte Carlo rows at family-wise rate :math:`10^{-3}`: the smaller p-value is compared
    with :math:`10^{-3}/2`, the next with :math:`10^{-3}`:

    >>> rows = [mc_row("a", "ok", 0.3, 290, 1000), mc_row("b", "off", 0.3, 400, 1000)]
    >>> holm(rows, 0.001)
    >>> [(r.scenario, r.passed, r.threshold) for r in rows]
    [('a', True, 0.001), ('b', False, 0.0005)]
    """
    mc = [r for r in rows if r.kind == "mc" and r.p_value is not None]
    n = len(mc)
    order = sorted(range(n), key=lambda i: mc[i].p_value)
    rejecting = True
    for rank, i in enumerate(order):
        thr = fwer / (n - rank)
        mc[i].threshold = thr
        if rejecting and mc[i].p_value <= thr:
            mc[i].passed = False
            mc[i].note = (mc[i].note + " " if mc[i].note else "") + "H0 rejected (Holm)"
        else:
            rejecting = False
            mc[i].passed = True


def exact_row(scenario: str, check: str, formula: float, reference: Fraction | float,
              rtol: float = EXACT_RTOL) -> CheckRow:
    """A formula-vs-enumeration row: pass iff :math:`|f-r|\\le \\mathrm{rtol}\\,\\max(|r|,
    10^{-300})`."""
    ref = float(reference)
    ok = math.isfinite(formula) and abs(formula - ref) <= rtol * max(abs(ref), 1e-300)
    return CheckRow(scenario=scenario, check=check, formula=float(formula), reference=ref,
                    kind="exact", passed=bool(ok),
                    note=f"abs. diff {abs(formula - ref):.2e}, rtol {rtol:g}")


@dataclass
class CampaignResult:
    """All rows of a campaign, the family-wise rate, and how long it took.

    Examples
    --------
    >>> res = run_campaign([CampaignScenario("fractional", 4, 1)], trials=2000, seed=0,
    ...                    include_extra=False)
    >>> res.passed, res.n_failed, [r.kind for r in res.rows]
    (True, 0, ['exact', 'exact', 'mc', 'mc'])
    >>> res.table_markdown().splitlines()[0].split(" | ")[:4]
    ['| scenario', 'check', 'formula', 'reference / MC']
    """

    rows: list[CheckRow]
    fwer: float
    trials: int
    seed: int
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    include_mc: bool = True

    @property
    def passed(self) -> bool:
        return not self.errors and all(r.passed is not False for r in self.rows)

    @property
    def n_failed(self) -> int:
        return sum(r.passed is False for r in self.rows) + len(self.errors)

    def method(self) -> str:
        n_mc = sum(r.kind == "mc" for r in self.rows)
        if not self.include_mc:
            return (f"Exact rows: formula vs exact rational enumeration, relative tolerance "
                    f"{EXACT_RTOL:g}. No Monte Carlo rows: exact checks only (Monte Carlo "
                    f"was turned off).")
        return (f"Exact rows: formula vs exact rational enumeration, relative tolerance "
                f"{EXACT_RTOL:g}. Monte Carlo rows: two-sided exact binomial test of "
                f"H0: P = formula, {self.trials:,} trials each (seed {self.seed}); the "
                f"{n_mc} p-values are decided together by Holm's step-down procedure at "
                f"family-wise false-alarm rate {self.fwer:g} (if every formula is right, the "
                f"chance that any Monte Carlo row fails is at most {self.fwer:g}).")

    def table_markdown(self) -> str:
        head = ("| scenario | check | formula | reference / MC | 95% CI | p-value | Holm thr. "
                "| trials | status | evidence |\n|---|---|---|---|---|---|---|---|---|---|")
        lines = [head]
        for r in self.rows:
            ci = f"[{r.ci_low:.4g}, {r.ci_high:.4g}]" if r.ci_low is not None else ""
            pv = f"{r.p_value:.3g}" if r.p_value is not None else ""
            thr = f"{r.threshold:.2g}" if r.threshold is not None else ""
            tr = f"{r.trials:,}" if r.trials is not None else ""
            ref = f"{r.reference:.6g}" if r.reference is not None else ""
            st = r.status if r.status != "FAIL" else "**FAIL**"
            note = (r.note + (f"; {r.source}" if r.source else "")).replace("|", "/")
            lines.append(f"| {r.scenario} | {r.check} | {r.formula:.6g} | {ref} | {ci} | {pv} "
                         f"| {thr} | {tr} | {st} | {note} |")
        for e in self.errors:
            lines.append(f"| (error) | {e} | | | | | | | **FAIL** | |")
        return "\n".join(lines)

    def to_csv(self, path: Any) -> None:
        """Write the rows (and errors) to ``path``, atomically: a failed write leaves no
        truncated file."""
        from cogc_theory._io import atomic_open

        names = [f for f in CheckRow.__dataclass_fields__] + ["status"]
        with atomic_open(path, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=names)
            w.writeheader()
            for r in self.rows:
                d = asdict(r)
                d["status"] = r.status
                w.writerow(d)
            for e in self.errors:
                w.writerow({"scenario": "(error)", "check": e, "status": "FAIL"})

    def summary(self) -> str:
        n = len(self.rows)
        return (f"validation: {n - self.n_failed + len(self.errors)}/{n} rows pass, "
                f"{len(self.errors)} errors, FWER {self.fwer:g}, {self.seconds:.1f} s -> "
                f"{'PASS' if self.passed else 'FAIL'}")


def run_campaign(scenarios: Sequence[CampaignScenario] | None = None, *, quick: bool = False,
                 trials: int = 50_000, seed: int = 0, fwer: float = 1e-3,
                 include_mc: bool = True, include_extra: bool = True,
                 M_study: int | None = 10,
                 progress: Callable[[str], None] | None = None) -> CampaignResult:
    """Run the campaign over ``scenarios`` (default :func:`default_scenarios`).

    Errors inside one scenario (a missing module, an enumeration out of reach) become rows
    with ``passed=False`` and the reason, so the rest of the campaign still runs.

    Parameters
    ----------
    scenarios : sequence of CampaignScenario, optional
    quick : bool
        Use the quick grid when ``scenarios`` is not given.
    trials : int
        Monte Carlo trials per comparison.
    seed : int
        Each Monte Carlo comparison uses ``seed`` spawned by its index (reproducible).
    fwer : float
        Family-wise false-alarm rate of the Monte Carlo family (Holm).
    include_mc : bool
        Skip the Monte Carlo rows (exact checks only).
    include_extra : bool
        Add :func:`extra_checks` (high-precision tails, diversity asymptotes, symbolic
        polynomial identities).
    progress : callable, optional
        Called with one line of text per scenario.

    Examples
    --------
    >>> res = run_campaign([CampaignScenario("cyclic", 4, 1)], trials=2000, seed=0,
    ...                    include_extra=False)
    >>> for r in res.rows:
    ...     print(r.check)
    CoGC closed form = enumeration
    GC+ exact = enumeration
    GC+ ring s=1 formula = enumeration
    CoGC exact vs MC
    GC+ exact vs MC
    >>> res.summary()
    'validation: 5/5 rows pass, 0 errors, FWER 0.001, ... s -> PASS'
    """
    if not 0 < fwer < 1:
        raise ValueError(f"fwer must be in (0, 1), got {fwer}")
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise ValueError(f"trials must be a positive integer, got {trials!r}")
    t0 = time.perf_counter()
    if scenarios is None:
        scenarios = default_scenarios(quick, M_study=M_study)
    rows: list[CheckRow] = []
    seeds = np.random.SeedSequence(seed).spawn(2 * len(scenarios))
    for i, sc in enumerate(scenarios):
        ts = time.perf_counter()
        rows.extend(_scenario_rows(sc, seeds[2 * i: 2 * i + 2] if include_mc else None,
                                   trials))
        if progress is not None:
            progress(f"  validate {sc.name}: {time.perf_counter() - ts:.1f} s")
    if include_extra:
        ts = time.perf_counter()
        rows.extend(extra_checks(quick))
        if progress is not None:
            progress(f"  validate high-precision tails, diversity, symbolic: "
                     f"{time.perf_counter() - ts:.1f} s")
    holm(rows, fwer)
    return CampaignResult(rows=rows, fwer=fwer, trials=trials, seed=seed,
                          seconds=time.perf_counter() - t0, include_mc=include_mc)


def _scenario_rows(sc: CampaignScenario, seeds: Sequence[np.random.SeedSequence] | None,
                   trials: int) -> list[CheckRow]:
    """The rows of one scenario: formulas vs enumeration, and (``seeds`` given: one per
    decoder) vs Monte Carlo. An error becomes a failing row naming it."""
    from cogc_theory import outage

    name = sc.name
    try:
        net = sc.network()
    except Exception as exc:  # noqa: BLE001 - recorded as a failing row
        return [_error_row(name, "build network", exc)]
    rows: list[CheckRow] = []
    cogc_val = gc_val = None
    # 1. CoGC closed form vs brute force
    try:
        cogc_val = float(outage.cogc(net))
        if net.M <= 12:
            rows.append(exact_row(name, "CoGC closed form = enumeration", cogc_val,
                                  brute_force_cogc(net)))
    except Exception as exc:  # noqa: BLE001
        rows.append(_error_row(name, "CoGC closed form = enumeration", exc))
    # 2. GC+ exact vs brute force
    n_states = math.prod(1 + 2 ** len(net.neighbors(m)) for m in range(net.M))
    if n_states <= MAX_EXACT_GC_STATES:
        try:
            gc_val = float(outage.gcplus(net))
            if n_states <= MAX_BRUTE_STATES:
                rows.append(exact_row(name, "GC+ exact = enumeration", gc_val,
                                      brute_force_gcplus(net)))
        except Exception as exc:  # noqa: BLE001
            rows.append(_error_row(name, "GC+ exact = enumeration", exc))
    # 2b. the s = 1 ring characterisation (any M) vs the enumeration
    if sc.code == "cyclic" and sc.s == 1 and gc_val is not None:
        rows.extend(ring_rows(net, name, gc_val))
    # 3./4. Monte Carlo
    checks = (("standard", cogc_val, "CoGC exact vs MC"), ("gcplus", gc_val, "GC+ exact vs MC"))
    for ss, (dec, val, label) in zip(seeds or (), checks, strict=False):
        if val is None:
            continue
        try:
            k, n, src = mc_counts(net, dec, trials, int(ss.generate_state(1)[0]))
            rows.append(mc_row(name, label, val, k, n, src))
        except Exception as exc:  # noqa: BLE001
            rows.append(CheckRow(name, label, val, kind="error", passed=False,
                                 note=f"{type(exc).__name__}: {exc}"))
    return rows


# --------------------------------------------------------------------------- extra checks
def _error_row(scenario: str, check: str, exc: BaseException) -> CheckRow:
    return CheckRow(scenario, check, math.nan, passed=False,
                    note=f"{type(exc).__name__}: {exc}")


def ring_rows(net: Any, name: str, gc_val: float) -> list[CheckRow]:
    """GC+ outage of the s = 1 ring by its characterisation vs the enumeration.

    Examples
    --------
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> [(r.check, r.passed) for r in ring_rows(net, "ring M=4", float(ct.outage.gcplus(net)))]
    [('GC+ ring s=1 formula = enumeration', True)]
    """
    check = "GC+ ring s=1 formula = enumeration"
    try:
        from cogc_theory.outage import structure

        if not structure.ring_s1_generic(net):
            return [CheckRow(name, check, math.nan, passed=None,
                             note="this B is not generic (zero-sum subset of h); skipped")]
        val = float(structure.ring_s1_outage(net))
        return [exact_row(name, check, val, gc_val)]
    except Exception as exc:  # noqa: BLE001
        return [_error_row(name, check, exc)]


def extra_checks(quick: bool = False) -> list[CheckRow]:
    r"""Checks of the other formulas, each against an independent route.

    * **High precision**: ``outage.precision.cogc`` / ``.gcplus`` at erasures
      :math:`10^{-5}` (outage :math:`\sim 10^{-15}` and below, where ``1 - P(success)`` in
      float64 is meaningless) against the rational brute force, relative tolerance
      :math:`10^{-10}`.
    * **Diversity**: ``outage.fading.diversity`` gives :math:`A\,\mathrm{snr}^{-d}`; the exact
      outage at :math:`\mathrm{snr}=10^6` must match it to relative :math:`10^{-3}` (the next
      term of the series is :math:`O(\mathrm{snr}^{-1})` relative).
    * **Symbolic**: the GC+ polynomial from the enumeration (``outage.gcplus_polynomial``)
      minus the ring closed form :math:`1-(1-p)^M-Mp(1-p)^{M-1}(1-\varepsilon)^{M-1}`
      expands to 0; the symbolic CoGC outage minus the binomial tail expands to 0.

    Examples
    --------
    >>> rows = extra_checks(quick=True)
    >>> len(rows) > 0 and all(r.passed for r in rows)
    True
    """
    return _precision_rows(quick) + _diversity_rows(quick) + _symbolic_rows(quick)


def _precision_rows(quick: bool) -> list[CheckRow]:
    """High-precision tails at erasures 1e-5 against the rational brute force."""
    import sympy as sp

    from cogc_theory.network import CooperativeNetwork
    from cogc_theory.outage import precision

    rows: list[CheckRow] = []
    tiny = sp.Rational(1, 100_000)
    cases = [(6, 1), (6, 2)] if quick else [(8, 1), (8, 2), (8, 3)]
    for M, s in cases:
        name = f"cyclic M={M} s={s} p=eps=1e-5"
        net = CooperativeNetwork.cyclic(M, s, uplink_erasure=tiny, link_erasure=tiny,
                                        exact=True)
        try:
            rows.append(exact_row(name, "CoGC mpmath tail = enumeration",
                                  float(precision.cogc(net, rel_tol=1e-12)),
                                  brute_force_cogc(net), rtol=1e-10))
        except Exception as exc:  # noqa: BLE001
            rows.append(_error_row(name, "CoGC mpmath tail = enumeration", exc))
    name = "cyclic M=4 s=1 p=eps=1e-5"
    try:
        net = CooperativeNetwork.cyclic(4, 1, uplink_erasure=tiny, link_erasure=tiny,
                                        exact=True)
        rows.append(exact_row(name, "GC+ mpmath tail = enumeration",
                              float(precision.gcplus(net, rel_tol=1e-12)),
                              brute_force_gcplus(net), rtol=1e-10))
    except Exception as exc:  # noqa: BLE001
        rows.append(_error_row(name, "GC+ mpmath tail = enumeration", exc))
    return rows


def _diversity_rows(quick: bool) -> list[CheckRow]:
    """Diversity asymptotes :math:`A\\,\\mathrm{snr}^{-d}` against the exact outage at 1e6."""
    from cogc_theory import codes, outage
    from cogc_theory.outage import fading

    rows: list[CheckRow] = []
    div_cases = [(6, 1, "standard"), (6, 1, "gcplus")] if quick else [
        (10, 1, "standard"), (10, 2, "standard"), (10, 3, "standard"), (10, 1, "gcplus")]
    for M, s, dec in div_cases:
        name = f"fading cyclic M={M} s={s}"
        check = f"{'CoGC' if dec == 'standard' else 'GC+'} diversity A snr^-d = exact at 1e6"
        try:
            net = fading.fading_network(codes.cyclic_repetition(M, s, seed=0), rate=1)
            d = fading.diversity(net, dec)
            snr = 1e6
            fn = outage.cogc if dec == "standard" else outage.gcplus
            exact = float(fn(net.subs({fading.SNR: snr})))
            rows.append(exact_row(name, check, float(d.constant) * snr ** (-d.order), exact,
                                  rtol=1e-3))
            rows[-1].note += f", d={d.order}"
        except Exception as exc:  # noqa: BLE001
            rows.append(_error_row(name, check, exc))
    return rows


def _symbolic_rows(quick: bool) -> list[CheckRow]:
    """Symbolic polynomials minus their closed forms expand to 0."""
    import sympy as sp

    from cogc_theory import outage
    from cogc_theory.network import CooperativeNetwork

    rows: list[CheckRow] = []
    p, e = sp.symbols("p epsilon")
    for M in ((4, 5) if quick else (4, 5, 6)):
        name = f"symbolic cyclic M={M} s=1"
        check = "GC+ polynomial - ring closed form == 0"
        try:
            net = CooperativeNetwork.cyclic(M, 1, uplink_erasure=p, link_erasure=e)
            poly = outage.gcplus_polynomial(net)
            ring = 1 - (1 - p) ** M - M * p * (1 - p) ** (M - 1) * (1 - e) ** (M - 1)
            diff = sp.expand(poly - ring)
            rows.append(CheckRow(name, check, 0.0, reference=0.0, passed=diff == 0,
                                 note="sympy.expand(difference) = " + str(diff)[:60]))
        except Exception as exc:  # noqa: BLE001
            rows.append(_error_row(name, check, exc))
    for M, s in ((5, 1), (6, 2)):
        name = f"symbolic cyclic M={M} s={s}"
        check = "CoGC symbolic - binomial tail == 0"
        try:
            net = CooperativeNetwork.cyclic(M, s, uplink_erasure=p, link_erasure=e)
            expr = outage.cogc(net, symbolic=True)
            pi = (1 - p) * (1 - e) ** s
            tail = sum(sp.binomial(M, j) * pi**j * (1 - pi) ** (M - j) for j in range(M - s))
            diff = sp.expand(sp.sympify(expr).doit() - tail)
            rows.append(CheckRow(name, check, 0.0, reference=0.0, passed=diff == 0,
                                 note="sympy.expand(difference) = " + str(diff)[:60]))
        except Exception as exc:  # noqa: BLE001
            rows.append(_error_row(name, check, exc))
    return rows
