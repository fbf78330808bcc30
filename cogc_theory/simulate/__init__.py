r"""Vectorized Monte Carlo simulation of the whole system (SPEC section 5).

* :mod:`.links` — channel draws: independent (default), reciprocal, Gilbert–Elliott memory,
  Rayleigh gains.
* :mod:`.montecarlo` — the driver :func:`run_mc` (any system as one callable, chunk-spawned
  seeds, failing patterns recorded, partial results on Ctrl-C); its stop criteria are in
  :mod:`.stopping`, its results (Wilson / Clopper–Pearson intervals) in :mod:`.estimates`.
* :mod:`.outage_mc` — the outage of a network by Monte Carlo, the driver's simple face
  :func:`outage`.

* :mod:`.importance` — rare outages by tilting the erasure probabilities
  (:func:`importance_outage`).
* :mod:`.problems` — least squares, logistic and softmax regression on synthetic data and on
  scikit-learn's bundled digits, split IID or by Dirichlet label skew; exact ``L``, ``mu``, optimum.
* :mod:`.training` — :func:`train` / :func:`train_schemes`: every scheme (ideal, CoGC, GC+ with
  each rule, federated averaging, classic GC with replication) on the same link draws,
  vectorized over trials.

Every estimator refuses more than :data:`MAX_TRIALS` (10**12) trials up front.

Examples
--------
>>> import cogc_theory as ct
>>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
>>> est = ct.simulate.outage(net, decoder="standard", trials=20_000, seed=0)
>>> lo, hi = est.ci(0.95)
>>> bool(lo < ct.outage.cogc(net) < hi)
True
"""

from ._mc import MAX_TRIALS, chunk_rng, chunk_seed
from .estimates import FailurePatterns, ImportanceEstimate, MonteCarloResult, OutageEstimate
from .importance import choose_tilt, importance_outage, likelihood_ratio
from .links import LinkDraw, LinkModel, sample_rayleigh
from .montecarlo import run_mc
from .outage_mc import OutageSystem, outage
from .problems import PROBLEMS, Problem, dirichlet_split, iid_split, make_problem
from .stopping import AllOf, AnyOf, MaxTrials, RelativeError, StopCriterion, TargetFailures
from .training import (
    FULL,
    OUTAGE,
    PARTIAL,
    SCHEMES,
    Outcomes,
    TrainingRun,
    decode_scheme,
    link_draws,
    train,
    train_schemes,
)

__all__ = [
    "FULL",
    "OUTAGE",
    "PARTIAL",
    "AllOf",
    "AnyOf",
    "FailurePatterns",
    "ImportanceEstimate",
    "LinkDraw",
    "LinkModel",
    "MAX_TRIALS",
    "MaxTrials",
    "MonteCarloResult",
    "OutageEstimate",
    "OutageSystem",
    "Outcomes",
    "PROBLEMS",
    "Problem",
    "RelativeError",
    "SCHEMES",
    "StopCriterion",
    "TargetFailures",
    "TrainingRun",
    "choose_tilt",
    "chunk_rng",
    "chunk_seed",
    "decode_scheme",
    "dirichlet_split",
    "iid_split",
    "importance_outage",
    "likelihood_ratio",
    "link_draws",
    "make_problem",
    "outage",
    "run_mc",
    "sample_rayleigh",
    "train",
    "train_schemes",
]
