r"""GC+ convergence from the heterogeneity at the optimum: the squared-distance recursion.

**Theorem** (notation of :mod:`cogc_theory.bounds._distance`). If :math:`F` is :math:`L`-smooth
and :math:`\mu`-strongly convex with minimiser :math:`w^\star`, every :math:`f_k` is
:math:`\mu_k`-strongly convex and :math:`L_k`-smooth, the recovered set :math:`K` has a law with
inclusion weights :math:`\pi, W` and is drawn afresh each round independently of :math:`w`, then
for every step size :math:`\eta>0`

.. math:: \mathbb E\lVert w_{t+1}-w^\star\rVert^2\le r\,\mathbb E\lVert w_t-w^\star\rVert^2
          +2s\sqrt{\mathbb E\lVert w_t-w^\star\rVert^2}+b,\qquad
          \mathbb EF(w_T)-F^\star\le\frac L2u_T,

with :math:`r=\mathbb Eq_K^2`, :math:`s=\eta\lVert\pi-\bar\pi\mathbf 1\rVert\sqrt{M\zeta_\star^2}
(1+\eta L)+\eta^2\lambda_\perp M\sqrt{\delta^2\zeta_\star^2}`,
:math:`b=\eta^2(\lambda_\perp M\zeta_\star^2+\sigma^2(\operatorname{tr}W+P_M/M))` and
:math:`u_{t+1}=ru_t+2s\sqrt{u_t}+b`, :math:`u_0=\lVert w_0-w^\star\rVert^2`.

The algebraic steps are verified with sympy. Independent routes: every sequence of recovered
sets is enumerated for :math:`T\le4` on small federated quadratics (scalar and
two-dimensional clients with non-commuting Hessians, symmetric and asymmetric laws of
:math:`K`), the exact :math:`\mathbb EF(w_T)-F^\star` computed in rationals and compared with
the bound evaluated at 40 digits from this module's own formulas for :math:`r,s,b` (which must
also agree with :class:`cogc_theory.bounds.DistanceBound`); two controls must be rejected by
the enumeration — the bound without the heterogeneity term :math:`b`, and with the
contraction :math:`r` lowered by 10%.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import mpmath
import sympy as sp

from cogc_theory import bounds as bd

from ._core import Check, ProofResult, Step

TITLE = "GC+ bound from the heterogeneity at the optimum (distance recursion)"
T_MAX = 4
F_ = Fraction


# ----------------------------------------------------------------- derivation
def _derivation() -> list[Step]:
    eta, mu, L, G = sp.symbols("eta mu L G", positive=True)
    steps = []
    # 1. Lipschitz constant of the gradient step on F_{mu,L}
    phi = (1 - 2 * eta * mu * L / (mu + L)) + (eta**2 - 2 * eta / (mu + L)) * G
    ok = (sp.simplify(phi.subs(G, L**2) - (1 - eta * L) ** 2) == 0
          and sp.simplify(phi.subs(G, mu**2) - (1 - eta * mu) ** 2) == 0)
    steps.append(Step(
        "Gradient step on $f\\in\\mathcal F_{\\mu,L}$: with $\\Delta=x-y$, $g=\\nabla f(x)-"
        "\\nabla f(y)$, coercivity $\\langle g,\\Delta\\rangle\\ge\\frac{\\mu L}{\\mu+L}\\lVert"
        "\\Delta\\rVert^2+\\frac1{\\mu+L}\\lVert g\\rVert^2$ gives $\\lVert\\Delta-\\eta g\\rVert^2"
        "\\le\\varphi(G)\\lVert\\Delta\\rVert^2$, $\\varphi$ affine in $G=\\lVert g\\rVert^2/"
        "\\lVert\\Delta\\rVert^2\\in[\\mu^2,L^2]$, so its maximum is at an end:",
        r"\lVert\Delta-\eta g\rVert\le q\lVert\Delta\rVert,\qquad q=\max(|1-\eta\mu|,"
        r"|1-\eta L|).", ok, "sympy: phi(L^2) = (1 - eta L)^2, phi(mu^2) = (1 - eta mu)^2"))
    steps.append(Step(
        "$f_K=\\frac1{|K|}\\sum_{j\\in K}f_j$ is $\\bar\\mu_K$-strongly convex and "
        "$\\bar L_K$-smooth (means over $K$), so the step $T_Ke=e-\\eta(\\nabla f_K(w)-\\nabla "
        "f_K(w^\\star))$ is $q_K$-Lipschitz; $q=1$ on an outage, $q_F=\\max(|1-\\eta\\mu|,"
        "|1-\\eta L|)$ on full recovery."))
    # 3. expansion of the square, vectors in R^2
    e, v, bt, xi = (sp.Matrix(sp.symbols(f"{n}1:3")) for n in ("e", "v", "beta", "xi"))
    ep = e - eta * v - eta * bt - eta * xi
    Te = e - eta * v
    lhs = (ep.T * ep)[0]
    rhs = ((Te.T * Te)[0] - 2 * eta * (e.T * bt)[0] + 2 * eta**2 * (v.T * bt)[0]
           + eta**2 * (bt.T * bt)[0] - 2 * eta * ((Te - eta * bt).T * xi)[0]
           + eta**2 * (xi.T * xi)[0])
    steps.append(Step(
        "With $\\beta_K=\\nabla f_K(w^\\star)$, $v_K=\\nabla f_K(w)-\\nabla f_K(w^\\star)$ and "
        "the noise $\\bar\\xi_K$, $e^+=T_Ke-\\eta\\beta_K-\\eta\\bar\\xi_K$; expanding (the noise "
        "terms vanish in expectation, $\\mathbb E\\lVert\\bar\\xi_K\\rVert^2\\le\\sigma^2/|K|$):",
        r"\lVert e^+\rVert^2=\lVert T_Ke\rVert^2-2\eta\langle e,\beta_K\rangle+2\eta^2\langle "
        r"v_K,\beta_K\rangle+\eta^2\lVert\beta_K\rVert^2+(\text{noise}).",
        sp.expand(lhs - rhs) == 0, "sympy: identity in R^2 components"))
    # 4. expectation over K: row sums of W are pi
    M = 3
    subsets = [K for n in (1, 2) for K in itertools.combinations(range(M), n)]
    p = sp.symbols(f"p0:{len(subsets)}", nonnegative=True)
    vv, dd = sp.symbols("v0:3"), sp.symbols("d0:3")
    W = sp.zeros(M, M)
    for pK, K in zip(p, subsets, strict=True):
        vec = sp.Matrix([sp.Rational(1, len(K)) if j in K else 0 for j in range(M)])
        W += pK * vec * vec.T
    pi = [sum(W[j, l] for l in range(M)) for j in range(M)]
    direct = sum(pK * sum(vv[j] for j in K) * sum(dd[l] for l in K) / len(K) ** 2
                 for pK, K in zip(p, subsets, strict=True))
    vbar = sum(vv) / M
    split = (vbar * sum(pi[l] * dd[l] for l in range(M))
             + sum(W[j, l] * (vv[j] - vbar) * dd[l] for j in range(M) for l in range(M)))
    pi_direct = [sum(pK * (sp.Rational(1, len(K)) if j in K else 0)
                     for pK, K in zip(p, subsets, strict=True)) for j in range(M)]
    ok4 = sp.expand(direct - split) == 0 and all(sp.expand(a - b) == 0
                                                  for a, b in zip(pi, pi_direct, strict=True))
    steps.append(Step(
        "Averaging over the partial outcomes ($v_K=\\mathbf 1_K/|K|$ weights, $W=\\mathbb E[v_K"
        "v_K^\\top]\\succeq0$ with row sums $\\pi$, $\\bar v=\\frac1M\\sum_jv_j=\\nabla F(w)$, "
        "$\\bar\\beta=\\sum_j\\pi_j\\nabla f_j(w^\\star)$):",
        r"\mathbb E\langle e,\beta_K\rangle=\langle e,\bar\beta\rangle,\quad\mathbb E\langle "
        r"v_K,\beta_K\rangle=\langle\bar v,\bar\beta\rangle+\sum_{jl}W_{jl}\langle v_j-\bar v,"
        r"\nabla f_l(w^\star)\rangle.", ok4,
        "sympy, M = 3 with a generic law over the 6 partial sets: both sides and W 1 = pi"))
    steps.append(Step(
        "Bounds: $\\sum_j\\nabla f_j(w^\\star)=0$ gives $\\lVert\\bar\\beta\\rVert\\le\\lVert"
        "\\pi-\\bar\\pi\\mathbf 1\\rVert\\sqrt{M\\zeta_\\star^2}$ (Cauchy–Schwarz); "
        "$\\lVert\\bar v\\rVert\\le L\\lVert e\\rVert$; Cauchy–Schwarz in the $W$ inner product "
        "and $x^\\top Wx\\le\\lambda_\\perp\\lVert x\\rVert^2$ for $x\\perp\\mathbf 1$ (both "
        "$v_j-\\bar v$ and $\\nabla f_j(w^\\star)$ sum to zero over $j$) bound the last sum by "
        "$\\lambda_\\perp M\\delta\\zeta_\\star\\lVert e\\rVert$ and $\\mathbb E\\lVert\\beta_K"
        "\\rVert^2$ by $\\lambda_\\perp M\\zeta_\\star^2$. Collecting terms:",
        r"\mathbb E\lVert e^+\rVert^2\le r\lVert e\rVert^2+2s\lVert e\rVert+b."))
    # 6. Jensen, fixed point, linearisation
    r, s, b, u, th, x = sp.symbols("r s b u theta x", positive=True)
    root = (s + sp.sqrt(s**2 + (1 - r) * b)) / (1 - r)
    ok6 = (sp.simplify(((1 - r) * x**2 - 2 * s * x - b).subs(x, root)) == 0
           and sp.expand(th * u + s**2 / th - 2 * s * sp.sqrt(u)
                         - (sp.sqrt(th * u) - s / sp.sqrt(th)) ** 2) == 0
           and sp.simplify((b + s**2 / (s / root)) / (1 - r - s / root) - root**2) == 0)
    steps.append(Step(
        "Taking expectations, $\\mathbb E\\lVert e\\rVert\\le\\sqrt{\\mathbb E\\lVert e"
        "\\rVert^2}$ (Jensen) and $u\\mapsto ru+2s\\sqrt u+b$ increasing give $\\mathbb E\\lVert "
        "e_t\\rVert^2\\le u_t$; $F-F^\\star\\le\\frac L2\\lVert e\\rVert^2$. The fixed point "
        "$x_\\star^2$ solves $(1-r)x^2-2sx-b=0$; $2s\\sqrt u\\le\\theta u+s^2/\\theta$ "
        "linearises the recursion, with the same floor at $\\theta=s/x_\\star$:",
        r"\lim_T\tfrac L2u_T=\tfrac L2x_\star^2,\quad x_\star=\frac{s+\sqrt{s^2+(1-r)b}}{1-r}.",
        ok6, "sympy: the root, the AM-GM square, the floor of the linearisation at theta*"))
    return steps


# ----------------------------------------------------------------- exact toys
class Toy:
    """Quadratic clients ``f_k(w) = w'H_k w / 2 - b_k'w`` (Fractions), a law ``{K: p}``."""

    def __init__(self, H: list, b: list, law: dict, eta: Fraction, w0: list) -> None:
        self.H = [[list(map(F_, row)) for row in h] for h in H]
        self.b = [list(map(F_, v)) for v in b]
        self.law, self.eta = law, F_(eta)
        self.M, self.d = len(H), len(b[0])
        self.w0 = self.wstar() if w0 is None else [F_(x) for x in w0]   # None: start at w*

    def grad(self, k: int, w: tuple) -> list:
        return [sum(h * x for h, x in zip(row, w, strict=True)) - bi
                for row, bi in zip(self.H[k], self.b[k], strict=True)]

    def Hbar(self) -> list:
        return [[sum(self.H[k][i][j] for k in range(self.M)) / self.M for j in range(self.d)]
                for i in range(self.d)]

    def wstar(self) -> list:
        A = sp.Matrix(self.Hbar())
        bb = sp.Matrix([sum(self.b[k][i] for k in range(self.M)) / self.M
                        for i in range(self.d)])
        return [F_(int(x.p), int(x.q)) for x in A.LUsolve(bb)]

    def gaps(self) -> list[Fraction]:
        ws = self.wstar()
        Hb = self.Hbar()

        def gap(w: tuple) -> Fraction:
            e = [a - c for a, c in zip(w, ws, strict=True)]
            return sum(e[i] * Hb[i][j] * e[j] for i in range(self.d)
                       for j in range(self.d)) / 2
        dist = {tuple(self.w0): F_(1)}
        out = []
        for _ in range(T_MAX + 1):
            out.append(sum((p * gap(w) for w, p in dist.items()), F_(0)))
            new: dict = {}
            for w, p in dist.items():
                for K, pK in self.law.items():
                    if not K:
                        w1 = w
                    else:
                        gs = [self.grad(k, w) for k in K]
                        w1 = tuple(w[i] - self.eta * sum(g[i] for g in gs) / len(K)
                                   for i in range(self.d))
                    new[w1] = new.get(w1, F_(0)) + p * pK
            dist = new
        return out

    def constants(self) -> dict:
        """L, mu, client constants, zeta*^2, delta^2 at 40 digits (mpmath)."""
        with mpmath.workdps(40):
            def eig(h: list) -> list:
                return sorted(mpmath.eigsy(mpmath.matrix([[mpmath.mpf(x.numerator) /
                                                          x.denominator for x in r]
                                                         for r in h]))[0])
            Hb = self.Hbar()
            ev = eig(Hb)
            cev = [eig(h) for h in self.H]
            ws = self.wstar()
            z2 = sum(sum(mpmath.mpf(g.numerator) / g.denominator for g in [x * x for x in
                                                                           self.grad(k, ws)])
                     for k in range(self.M)) / self.M
            dev = [[[self.H[k][i][j] - Hb[i][j] for j in range(self.d)] for i in range(self.d)]
                   for k in range(self.M)]
            S = [[sum(dev[k][i][m] * dev[k][m][j] for k in range(self.M) for m in range(self.d))
                  / self.M for j in range(self.d)] for i in range(self.d)]
            delta2 = eig(S)[-1]
            D0 = sum(mpmath.mpf(((w - x) ** 2).numerator) / ((w - x) ** 2).denominator
                     for w, x in zip(self.w0, ws, strict=True))
        return {"L": ev[-1], "mu": ev[0], "client_mu": [c[0] for c in cev],
                "client_L": [c[-1] for c in cev], "zeta2_star": z2, "delta2": delta2, "D0": D0}

    def coefficients(self, c: dict) -> dict:
        """r, s, b by this module's formulas (40 digits), independently of bounds._distance."""
        with mpmath.workdps(40):
            M, eta = self.M, mpmath.mpf(self.eta.numerator) / self.eta.denominator
            W = mpmath.matrix(M, M)
            pi = [mpmath.mpf(0)] * M
            r = mpmath.mpf(0)
            for K, pK in self.law.items():
                p = mpmath.mpf(pK.numerator) / pK.denominator
                if len(K) in (0, M):
                    mu_, L_ = (c["mu"], c["L"]) if K else (0, 0)
                else:
                    mu_ = sum(c["client_mu"][k] for k in K) / len(K)
                    L_ = sum(c["client_L"][k] for k in K) / len(K)
                    for j in K:
                        pi[j] += p / len(K)
                        for m_ in K:
                            W[j, m_] += p / len(K) ** 2
                q = max(abs(1 - eta * mu_), abs(1 - eta * L_))
                r += p * q * q
            P = mpmath.eye(M) - mpmath.ones(M, M) / M
            lam = max(mpmath.eigsy(P * W * P)[0])
            pib = sum(pi) / M
            spread = mpmath.sqrt(sum((x - pib) ** 2 for x in pi))
            z2, d2 = c["zeta2_star"], c["delta2"]
            s = (eta * spread * mpmath.sqrt(M * z2) * (1 + eta * c["L"])
                 + eta**2 * lam * M * mpmath.sqrt(d2 * z2))
            return {"r": r, "s": s, "b": eta**2 * lam * M * z2}

    def bound(self, c: dict, co: dict, *, r_scale: float = 1.0, drop_b: bool = False) -> list:
        with mpmath.workdps(40):
            r, s, b = co["r"] * r_scale, co["s"], 0 if drop_b else co["b"]
            u = [c["D0"]]
            for _ in range(T_MAX):
                u.append(r * u[-1] + 2 * s * mpmath.sqrt(u[-1]) + b)
            return [c["L"] / 2 * x for x in u]


def _sub(M: int, probs: dict) -> dict:
    """Spread P(|K| = k) uniformly over the sets of size k."""
    out = {}
    for k, p in probs.items():
        Ks = list(itertools.combinations(range(M), k))
        for K in Ks:
            out[K] = F_(p) / len(Ks)
    return out


TOYS = {
    "scalar clients, symmetric law, M=3": Toy(
        [[[1]], [[2]], [[3]]], [[-1], [0], [6]],
        _sub(3, {0: F_(1, 10), 1: F_(3, 10), 2: F_(1, 5), 3: F_(2, 5)}), F_(1, 2), [3]),
    "scalar clients, asymmetric law, M=3": Toy(
        [[[1]], [[3]], [[2]]], [[2], [0], [-3]],
        {(): F_(1, 10), (0,): F_(2, 5), (1, 2): F_(1, 10), (0, 1, 2): F_(2, 5)}, F_(1, 2),
        [-2]),
    "2-d clients, non-commuting Hessians, M=3": Toy(
        [[[2, 1], [1, 1]], [[1, 0], [0, 3]], [[3, -1], [-1, 2]]],
        [[1, 0], [0, -2], [2, 1]],
        _sub(3, {0: F_(1, 5), 1: F_(3, 10), 2: F_(1, 10), 3: F_(2, 5)}), F_(2, 5), [2, -1]),
    "2-d clients started at w*, M=2": Toy(
        [[[2, 1], [1, 1]], [[1, 0], [0, 3]]], [[1, 0], [0, -2]],
        {(): F_(1, 5), (0,): F_(3, 10), (1,): F_(1, 10), (0, 1): F_(2, 5)}, F_(2, 5), None),
    "identical clients (no heterogeneity), M=3": Toy(
        [[[2]], [[2]], [[2]]], [[1], [1], [1]],
        _sub(3, {0: F_(1, 5), 1: F_(1, 5), 2: F_(1, 5), 3: F_(2, 5)}), F_(1, 4), [4]),
}


def _toy_checks() -> list[Check]:
    out = []
    ctrl = {"b removed (homogeneous-data bound)": [], "r lowered by 10%": []}
    agree = []
    for name, toy in TOYS.items():
        gaps = toy.gaps()
        c = toy.constants()
        co = toy.coefficients(c)
        bnd = toy.bound(c, co)
        with mpmath.workdps(40):   # exact gaps at 40 digits; equality cases tie to ~1e-38
            slack = [bv - mpmath.mpf(g.numerator) / g.denominator
                     for g, bv in zip(gaps, bnd, strict=True)]
            ok = all(x >= -1e-30 * (1 + abs(bv)) for x, bv in zip(slack, bnd, strict=True))
            slack = [float(x) for x in slack]
        out.append(Check(f"{name}: exact E F(w_T) - F* <= (L/2) u_T for T = 0..{T_MAX} (every "
                         "sequence of recovered sets enumerated in rationals; bound at 40 digits)",
                         ok, f"gaps {[f'{float(g):.4g}' for g in gaps]}; bound - gap "
                             f"{[f'{x:.3g}' for x in slack]}"))
        law = bd.RecoveryLaw.from_sets({K: float(p) for K, p in toy.law.items()}, toy.M)
        lib = bd.gcplus_distance(law).coefficients(
            eta=float(toy.eta), L=float(c["L"]), mu=float(c["mu"]),
            zeta2_star=float(c["zeta2_star"]), delta2=float(c["delta2"]),
            client_mu=[float(x) for x in c["client_mu"]],
            client_L=[float(x) for x in c["client_L"]])
        agree.append(max(abs(lib[k] - float(co[k])) / max(abs(float(co[k])), 1e-300)
                         for k in ("r", "s", "b") if float(co[k]) != 0 or lib[k] != 0))
        for label, kw in (("b removed (homogeneous-data bound)", {"drop_b": True}),
                          ("r lowered by 10%", {"r_scale": 0.9})):
            wrong = toy.bound(c, co, **kw)
            with mpmath.workdps(40):
                viol = [n for n in range(T_MAX + 1) if mpmath.mpf(gaps[n].numerator)
                        / gaps[n].denominator > wrong[n] * (1 + mpmath.mpf(10) ** -20)]
            if viol:
                ctrl[label].append(f"{name}: T = {viol}")
    out.append(Check("bounds.gcplus_distance(...).coefficients equals this module's r, s, b on "
                     "every toy (relative 1e-12)", max(agree) < 1e-12,
                     f"largest relative difference {max(agree):.2g}"))
    for label, hits in ctrl.items():
        out.append(Check(f"control — the bound with {label} is violated by some enumerated toy "
                         "(the check can fail)", bool(hits), "; ".join(hits) or "never violated"))
    return out


def run() -> ProofResult:
    """Derive the distance recursion and check it against exact enumeration."""
    return ProofResult(
        name="bound_gcplus_distance", title=TITLE,
        assumptions=[
            "$F=\\frac1M\\sum_kf_k$ is $L$-smooth and $\\mu$-strongly convex with minimiser "
            "$w^\\star$; $f_k$ is $\\mu_k$-strongly convex ($\\mu_k\\ge0$) and $L_k$-smooth; "
            "any step size $\\eta>0$.",
            "$\\zeta_\\star^2\\ge\\frac1M\\sum_k\\lVert\\nabla f_k(w^\\star)\\rVert^2$ (at the "
            "optimum only).",
            "$\\frac1M\\sum_k\\lVert v_k-\\bar v\\rVert^2\\le\\delta^2\\lVert w-w^\\star\\rVert^2$"
            " for all $w$, $v_k=\\nabla f_k(w)-\\nabla f_k(w^\\star)$ (Hessian dissimilarity).",
            "$g_k=\\nabla f_k(w)+\\xi_k$ with independent zero-mean noise of variance "
            "$\\le\\sigma^2$.",
            "$K$ is independent of $w_t$ and i.i.d. across rounds; the update averages the "
            "gradients of $K$ with weight $1/|K|$ (full: all $M$), an outage leaves $w$.",
        ],
        statement=r"\mathbb EF(w_T)-F^\star\le\frac L2u_T,\quad u_{t+1}=ru_t+2s\sqrt{u_t}+b,"
                  r"\quad u_0=\lVert w_0-w^\star\rVert^2,\quad r=\mathbb E\,q_K^2,\ "
                  r"s=\eta\lVert\pi-\bar\pi\mathbf 1\rVert\sqrt{M\zeta_\star^2}(1+\eta L)"
                  r"+\eta^2\lambda_\perp M\sqrt{\delta^2\zeta_\star^2},\ "
                  r"b=\eta^2\lambda_\perp M\zeta_\star^2\ (\sigma=0).",
        derivation=_derivation(), checks=_toy_checks())

