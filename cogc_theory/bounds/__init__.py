r"""Convergence bounds for CoGC and GC+ (SPEC section 4, item 5).

Three families, each derived and self-checked in :mod:`cogc_theory.proofs`:

* **linear recursions on the gap** :math:`a_t=\mathbb EF(w_t)-F^*`
  (:func:`strongly_convex`, :func:`nonconvex`; module ``_linear``, with the one-round
  inequalities and the solver in ``_recursion``, the law of :math:`|K|` in ``_outcomes`` and
  the :class:`Bound` object in ``_bound``): per outcome
  :math:`a_{t+1}\le\rho_ka_t+c_k`, averaged over the law of :math:`|K|` and solved with
  :func:`sympy.rsolve`. ``method="descent"`` (the default, SPEC 4.5) uses the descent lemma
  and the PL inequality; ``method="pep"`` contracts a full round by the exact worst-case rate
  of gradient descent, :math:`(1-\eta\mu)^2`. For CoGC with exact gradients the latter,
  :math:`(P_\mathrm{out}+(1-P_\mathrm{out})(1-\eta\mu)^2)^T\Delta_0`, is attained by a
  quadratic: no bound that holds for every :math:`L`-smooth :math:`\mu`-strongly convex
  :math:`F` with these constants can be smaller.
* **GC+ from the heterogeneity at the optimum** (:func:`gcplus_distance`; module
  ``_distance``): a recursion on :math:`\mathbb E\lVert w_t-w^\star\rVert^2` whose floor is
  set by the client gradients *at* :math:`w^\star` and by the exact first- and second-order
  inclusion weights of the recovered set (:class:`RecoveryLaw`), not by a supremum of the
  dissimilarity along the trajectory.
* **the recovery law** (:func:`recovery_law`; module ``_law``): the law of the recovered set
  :math:`K` of a scheme on a network, exactly, by enumeration of client states (GC+) or in
  closed form (CoGC, federated averaging, classic gradient coding).

Examples
--------
>>> b = strongly_convex("cogc", P_out=0.2, M=4)
>>> round(b(T=10, eta=0.5, L=1.0, mu=0.1, sigma2=0.0, Delta0=1.0), 6)
0.538615
>>> b.rounds_to_accuracy(1e-3, eta=0.5, L=1.0, mu=0.1, sigma2=0.0, Delta0=1.0)
112
>>> bp = strongly_convex("cogc", P_out=0.2, M=4, method="pep")
>>> bp.rounds_to_accuracy(1e-3, eta=0.5, L=1.0, mu=0.1, sigma2=0.0, Delta0=1.0)
86
"""

from ._bound import Bound
from ._distance import DistanceBound, gcplus_distance
from ._law import RecoveryLaw, recovery_law
from ._linear import cli_summary, nonconvex, strongly_convex
from ._outcomes import SCHEMES, outcome_probabilities
from ._recursion import (
    METHODS,
    SYMBOLS,
    Delta0,
    L,
    Msym,
    P_out,
    T,
    eta,
    mu,
    one_round,
    outcome_step,
    sigma2,
    solve_linear_recursion,
    t,
    zeta2,
)

__all__ = [
    "METHODS",
    "SCHEMES",
    "SYMBOLS",
    "Bound",
    "DistanceBound",
    "RecoveryLaw",
    "cli_summary",
    "gcplus_distance",
    "nonconvex",
    "one_round",
    "outcome_probabilities",
    "outcome_step",
    "recovery_law",
    "solve_linear_recursion",
    "strongly_convex",
]

# the symbols the bounds are written in, which callers (tests, proofs) import from here
_REEXPORTED = (Delta0, L, Msym, P_out, T, eta, mu, sigma2, t, zeta2)
