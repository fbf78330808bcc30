r"""GC+ bound from the heterogeneity at the optimum: a recursion on the squared distance.

**Setting.** :math:`F=\frac1M\sum_kf_k`, each :math:`f_k` is :math:`\mu_k`-strongly convex
(:math:`\mu_k\ge0`) and :math:`L_k`-smooth, :math:`F` is :math:`\mu`-strongly convex and
:math:`L`-smooth with minimiser :math:`w^\star`. A round recovers :math:`K` with the law of
:class:`~cogc_theory.bounds._law.RecoveryLaw`, independent of :math:`w` and i.i.d. across rounds,
and updates :math:`w^+=w-\frac\eta{|K|}\sum_{j\in K}g_j` (full recovery: all :math:`M`;
outage: no update), :math:`g_j=\nabla f_j(w)+\xi_j` with independent zero-mean noise,
:math:`\mathbb E\lVert\xi_j\rVert^2\le\sigma^2`. The heterogeneity enters through

* :math:`\zeta_\star^2=\frac1M\sum_k\lVert\nabla f_k(w^\star)\rVert^2`, the dissimilarity **at
  the optimum** (there :math:`\sum_k\nabla f_k(w^\star)=0`);
* :math:`\delta^2`, a Hessian-dissimilarity constant: for all :math:`w`,
  :math:`\frac1M\sum_k\lVert v_k-\bar v\rVert^2\le\delta^2\lVert w-w^\star\rVert^2` with
  :math:`v_k=\nabla f_k(w)-\nabla f_k(w^\star)`, :math:`\bar v=\frac1M\sum_kv_k`. For
  quadratics :math:`\delta^2=\lambda_{\max}(\frac1M\sum_k(H_k-H)^2)`; always
  :math:`\delta^2\le\frac1M\sum_kL_k^2-\mu^2`.

**One round** (derived and checked in :mod:`cogc_theory.proofs.bound_gcplus_distance`). With
:math:`e=w-w^\star`, :math:`f_K=\frac1{|K|}\sum_{j\in K}f_j` and
:math:`\beta_K=\nabla f_K(w^\star)`, :math:`e^+=T_Ke-\eta\beta_K-\eta\bar\xi_K` where
:math:`T_Ke=e-\eta(\nabla f_K(w)-\nabla f_K(w^\star))` is the gradient step on :math:`f_K`,
:math:`q_K`-Lipschitz with :math:`q_K=\max(|1-\eta\bar\mu_K|,|1-\eta\bar L_K|)` (means of the
client constants over :math:`K`; :math:`q=1` on an outage, :math:`\max(|1-\eta\mu|,|1-\eta L|)`
on full recovery). Expanding the square, the cross terms are controlled by the inclusion weights
:math:`\pi, W` of the law: :math:`\mathbb E\langle e,\beta_K\rangle=\langle e,\sum_j\pi_j
\nabla f_j(w^\star)\rangle`, and :math:`\mathbb E\langle\nabla f_K(w)-\nabla f_K(w^\star),
\beta_K\rangle=\langle\bar v,\bar\beta\rangle+\sum_{jl}W_{jl}\langle v_j-\bar v,
\nabla f_l(w^\star)\rangle` (Cauchy–Schwarz in the :math:`W` inner product). Hence

.. math:: \mathbb E\lVert e^+\rVert^2\le r\lVert e\rVert^2+2s\lVert e\rVert+b,\qquad
          r=\mathbb E\,q_K^2,

.. math:: s=\eta\,\lVert\pi-\bar\pi\mathbf 1\rVert\sqrt{M\zeta_\star^2}\,(1+\eta L)
          +\eta^2\lambda_\perp M\sqrt{\delta^2\zeta_\star^2},\qquad
          b=\eta^2\Big(\lambda_\perp M\zeta_\star^2+\sigma^2\big(\operatorname{tr}W
          +\tfrac{P_M}M\big)\Big),

:math:`\lambda_\perp=\lambda_{\max}(PWP)` (:attr:`RecoveryLaw.lam_perp`). Taking expectations
(Jensen: :math:`\mathbb E\lVert e\rVert\le\sqrt{\mathbb E\lVert e\rVert^2}`) and since
:math:`u\mapsto ru+2s\sqrt u+b` is increasing,

.. math:: \mathbb EF(w_T)-F^\star\le\frac L2u_T,\qquad u_{t+1}=ru_t+2s\sqrt{u_t}+b,\quad
          u_0=\lVert w_0-w^\star\rVert^2,

which converges (when :math:`r<1`) to the floor :math:`\frac L2x_\star^2`,
:math:`x_\star=\frac{s+\sqrt{s^2+(1-r)b}}{1-r}`. For any :math:`\theta>0`,
:math:`2s\sqrt u\le\theta u+s^2/\theta` linearises it into
:math:`u_T\le\rho_\theta^Tu_0+\frac{c_\theta}{1-\rho_\theta}(1-\rho_\theta^T)`,
:math:`\rho_\theta=r+\theta`, :math:`c_\theta=b+s^2/\theta` (solved by
:func:`~cogc_theory.bounds.solve_linear_recursion`), with the same floor at
:math:`\theta=s/x_\star`; the nonlinear recursion is below every linearisation and is what
:class:`DistanceBound` evaluates.

When every client is recovered with the same weight (:math:`\pi\propto\mathbf 1`, as on a
network with rotational symmetry) the first term of :math:`s` vanishes and a partial round is
an unbiased step; the floor is then set by :math:`\mathbb E\lVert\beta_K\rVert^2\le
\lambda_\perp M\zeta_\star^2` — the bias *at the optimum* under the exact law of :math:`K` —
instead of the worst case :math:`(M-k)\zeta^2/k` with :math:`\zeta^2` a supremum over the
trajectory.

Examples
--------
>>> import cogc_theory as ct
>>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.2, link_erasure=0.2, seed=0)
>>> b = gcplus_distance(net=net)
>>> c = dict(eta=0.8, L=1.2, mu=0.8, zeta2_star=0.01, delta2=0.2, client_mu=0.4,
...          client_L=1.9)
>>> bool(b(T=0, D0=5.0, **c) == 0.6 * 5.0)          # (L/2) D0
True
>>> round(b.floor(**c), 6)
0.001116
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import sympy as sp

from .._validate import as_float
from ._law import RecoveryLaw, recovery_law
from ._recursion import solve_linear_recursion

__all__ = ["MAX_ROUNDS", "DistanceBound", "gcplus_distance"]

#: Largest number of rounds the recursion is iterated for (evaluation, rounds to accuracy).
MAX_ROUNDS = 10_000_000
#: Symbols of the one-round inequality and its linearisation.
r_, s_, b_, u_, theta_, D0_ = sp.symbols("r s b u theta D_0", nonnegative=True)
_T = sp.Symbol("T", integer=True, nonnegative=True)

ASSUMPTIONS = (
    "F = (1/M) sum_k f_k is L-smooth and mu-strongly convex with minimiser w*; each f_k is "
    "mu_k-strongly convex (mu_k >= 0) and L_k-smooth; step size eta > 0 (any);",
    "zeta2_star >= (1/M) sum_k ||grad f_k(w*)||^2 (dissimilarity at the optimum);",
    "delta2: (1/M) sum_k ||v_k - mean(v)||^2 <= delta2 ||w - w*||^2 for all w, v_k = grad "
    "f_k(w) - grad f_k(w*) (Hessian dissimilarity; <= mean(L_k^2) - mu^2 always);",
    "g_k = grad f_k + xi_k, E xi_k = 0, E||xi_k||^2 <= sigma2, independent of everything else;",
    "the recovered set K is independent of w, i.i.d. across rounds, with the law given; "
    "the update averages the gradients in K (weight 1/|K|), an outage leaves w unchanged.",
)


def _positive(x: Any, name: str, *, zero: bool = True) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real) \
            or not math.isfinite(as_float(x, name)) or x < 0 or (not zero and x == 0):
        rel = ">= 0" if zero else "> 0"
        raise ValueError(f"{name} must be a finite number {rel}, got {x!r}")
    return float(x)


@dataclass(eq=False)
class DistanceBound:
    r"""The GC+ bound :math:`\mathbb EF(w_T)-F^\star\le\frac L2u_T` (see the module docs).

    Attributes
    ----------
    name : str
    law : RecoveryLaw
    assumptions : tuple of str

    Examples
    --------
    With no heterogeneity at the optimum (:math:`\zeta_\star^2=0`, :math:`\delta^2=0`) every
    recovered subset moves towards the optimum, so the bound goes to zero; with
    :math:`\zeta_\star^2>0` partial rounds leave a floor:

    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> d = ct.bounds.gcplus_distance(net=net, rule="individual")
    >>> kw = dict(eta=0.5, L=1.0, mu=0.5, delta2=0.0, client_mu=0.5, client_L=1.0)
    >>> d.floor(zeta2_star=0.0, **kw)
    0.0
    >>> 0 < d.floor(zeta2_star=0.1, **kw) < d(10, D0=1.0, zeta2_star=0.1, **kw) < 1
    True
    """

    name: str
    law: RecoveryLaw
    assumptions: tuple[str, ...] = ASSUMPTIONS

    # ------------------------------------------------------------------ symbolic
    @property
    def step(self) -> sp.Expr:
        """Right-hand side of the one-round inequality, :math:`ru+2s\\sqrt u+b`."""
        return r_ * u_ + 2 * s_ * sp.sqrt(u_) + b_

    def linearized(self) -> sp.Expr:
        r""":math:`u_T` of the linearisation with parameter :math:`\theta` (sympy, in
        ``r, s, b, theta, D_0, T``), solved by :func:`sympy.rsolve`."""
        from ._recursion import T as T_lin

        e = solve_linear_recursion(r_ + theta_, b_ + s_**2 / theta_, D0_)
        return e.subs(T_lin, _T)

    #: The bound in LaTeX (the same for every law).
    LATEX: ClassVar[str] = (
        r"\mathbb{E}F(w_T)-F^*\le\frac{L}{2}u_T,\quad u_{t+1}=r\,u_t+2s\sqrt{u_t}+b,"
        r"\quad u_0=\lVert w_0-w^\star\rVert^2,\quad r=\mathbb{E}\,q_K^2,\ "
        r"s=\eta\lVert\pi-\bar\pi\mathbf{1}\rVert\sqrt{M\zeta_\star^2}(1+\eta L)"
        r"+\eta^2\lambda_\perp M\sqrt{\delta^2\zeta_\star^2},\ "
        r"b=\eta^2\big(\lambda_\perp M\zeta_\star^2+\sigma^2(\operatorname{tr}W"
        r"+P_M/M)\big)")

    @property
    def latex(self) -> str:
        return self.LATEX

    # ------------------------------------------------------------------ numbers
    def coefficients(self, *, eta: float, L: float, mu: float, zeta2_star: float,
                     delta2: float, client_mu: Any, client_L: Any,
                     sigma2: float = 0.0) -> dict[str, float]:
        r"""``{"r", "s", "b"}`` of the one-round inequality (and ``"r_full"``,
        ``"r_partial"``: the contributions of full and partial rounds to :math:`r`).

        ``client_mu``, ``client_L``: per-client constants, ``(M,)``, or one number for all.
        """
        law, M = self.law, self.law.M
        eta = _positive(eta, "eta", zero=False)
        L = _positive(L, "L", zero=False)
        mu = _positive(mu, "mu", zero=False)
        if mu > L:
            raise ValueError(f"mu must lie in (0, L], got mu={mu}, L={L}")
        z2 = _positive(zeta2_star, "zeta2_star")
        d2 = _positive(delta2, "delta2")
        s2 = _positive(sigma2, "sigma2")
        try:
            if np.iscomplexobj(client_mu) or np.iscomplexobj(client_L):
                raise TypeError("complex")
            cm = np.broadcast_to(np.asarray(client_mu, dtype=float), (M,))
            cL = np.broadcast_to(np.asarray(client_L, dtype=float), (M,))
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"client_mu and client_L must be one finite number or M = {M} "
                             f"numbers, got {client_mu!r} and {client_L!r}") from None
        if not (np.all(np.isfinite(cm)) and np.all(np.isfinite(cL)) and np.all(cm >= 0)
                and np.all(cL >= cm)):
            raise ValueError("client_mu and client_L must be finite with 0 <= client_mu <= "
                             f"client_L (one value, or M = {M} values)")
        qF = max(abs(1 - eta * mu), abs(1 - eta * L))
        r_full = law.P_full * qF * qF
        r_part = 0.0
        if law.sets.size:
            qK = np.maximum(np.abs(1 - eta * law.set_means(cm)),
                            np.abs(1 - eta * law.set_means(cL)))
            r_part = float(law.set_prob @ (qK * qK))
        lam = law.lam_perp
        s = (eta * law.pi_spread * math.sqrt(M * z2) * (1 + eta * L)
             + eta * eta * lam * M * math.sqrt(d2 * z2))
        b = eta * eta * (lam * M * z2 + s2 * (law.inv_size + law.P_full / M))
        return {"r": law.P_outage + r_full + r_part, "s": s, "b": b, "r_full": r_full,
                "r_partial": r_part}

    def _u(self, n: int, D0: float, c: dict[str, float]) -> np.ndarray:
        r, s, b = c["r"], c["s"], c["b"]
        u = np.empty(n + 1)
        u[0] = D0
        x = D0
        for i in range(1, n + 1):
            x = r * x + 2.0 * s * math.sqrt(x) + b
            u[i] = x
        return u

    def __call__(self, T: Any, *, D0: float, **consts: Any) -> Any:
        r"""The bound :math:`\frac L2u_T` at ``T`` (int or array of ints), for
        ``D0`` :math:`=\lVert w_0-w^\star\rVert^2` and the constants of :meth:`coefficients`."""
        c = self.coefficients(**consts)
        D0 = _positive(D0, "D0")
        Tv = np.asarray(T)
        if (Tv.dtype == bool or Tv.dtype.kind not in "iuf" or not np.all(np.isfinite(Tv))
                or not np.all(np.mod(Tv, 1) == 0)):
            raise TypeError(f"T must be a nonnegative integer or an array of them, got {T!r}")
        if Tv.dtype.kind == "f":              # float16 cannot even hold MAX_ROUNDS
            Tv = Tv.astype(np.float64)
        if Tv.size and (Tv.min() < 0 or Tv.max() > MAX_ROUNDS):
            raise ValueError(f"T must lie in [0, {MAX_ROUNDS:,}], got {T!r}")
        Tv = Tv.astype(np.int64)
        u = self._u(int(Tv.max()) if Tv.size else 0, D0, c)
        out = 0.5 * float(consts["L"]) * u[Tv]
        return float(out) if out.ndim == 0 else out

    def floor(self, **consts: Any) -> float:
        r""":math:`\lim_T\frac L2u_T=\frac L2x_\star^2` (``inf`` when :math:`r\ge1`)."""
        c = self.coefficients(**consts)
        r, s, b = c["r"], c["s"], c["b"]
        if r >= 1:
            return math.inf
        x = (s + math.sqrt(s * s + (1 - r) * b)) / (1 - r)
        return 0.5 * float(consts["L"]) * x * x

    def rounds_to_accuracy(self, target: float, *, D0: float, **consts: Any) -> int | float:
        """Smallest ``T`` with bound ``<= target`` (``math.inf`` if the floor is not below it;
        iterated up to :data:`MAX_ROUNDS`, beyond which ``ValueError`` is raised)."""
        target = _positive(target, "target", zero=False)
        c = self.coefficients(**consts)
        D0 = _positive(D0, "D0")
        half_L = 0.5 * float(consts["L"])
        if half_L * D0 <= target:
            return 0
        if self.floor(**consts) >= target:
            return math.inf
        r, s, b = c["r"], c["s"], c["b"]
        x = D0
        for n in range(1, MAX_ROUNDS + 1):
            x = r * x + 2.0 * s * math.sqrt(x) + b
            if half_L * x <= target:
                return n
        raise ValueError(f"the bound needs more than {MAX_ROUNDS:,} rounds to reach {target}")


def gcplus_distance(law: RecoveryLaw | None = None, *, net: Any = None,
                    scheme: str = "gcplus", rule: str = "auto") -> DistanceBound:
    r"""The GC+ bound from the heterogeneity at the optimum (see the module docs).

    Parameters
    ----------
    law : RecoveryLaw, optional
        The law of the recovered set; default :func:`recovery_law(net, scheme, rule=rule)
        <cogc_theory.bounds.recovery_law>`. Any scheme's law is accepted (for CoGC it gives the
        distance form of gradient descent with outages; federated averaging over the arrived
        clients is a law of :math:`K` too).
    net : CooperativeNetwork, optional
    scheme, rule : str
        Passed to :func:`~cogc_theory.bounds.recovery_law` when ``law`` is not given.

    Returns
    -------
    DistanceBound

    Examples
    --------
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
    >>> d = ct.bounds.gcplus_distance(net=net, rule="individual")
    >>> d.name, round(d.law.P_full, 7)                # the exact GC+ full-recovery probability
    ('GC+ (individual rule) distance bound', 0.8053992)
    """
    if law is None:
        if net is None:
            raise ValueError("gcplus_distance needs law= (a RecoveryLaw) or net=")
        law = recovery_law(net, scheme, rule=rule)
    elif net is not None:
        raise ValueError("give law= or net=, not both (the law already fixes the network)")
    if not isinstance(law, RecoveryLaw):
        raise TypeError(f"law must be a RecoveryLaw (ct.bounds.recovery_law), got "
                        f"{type(law).__name__}")
    lab = {"gcplus": "GC+", "cogc": "CoGC", "fedavg": "FedAvg", "gc": "GC", "ideal":
           "ideal GD"}[law.scheme]
    if law.rule == "individual":
        lab += " (individual rule)"
    return DistanceBound(f"{lab} distance bound", law)
