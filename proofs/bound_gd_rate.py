r"""The exact one-step rate of gradient descent, and the tight CoGC bound built on it.

**Theorem.** Let :math:`f` be :math:`L`-smooth and :math:`\mu`-strongly convex
(:math:`0<\mu<L`), :math:`x^+=x-\eta\nabla f(x)` with :math:`0<\eta\le1/L`. Then

.. math:: f(x^+)-f^\star\le(1-\eta\mu)^2\,(f(x)-f^\star),

with equality for :math:`f=\frac\mu2\lVert x\rVert^2`: no smaller factor holds for the class.
Hence for CoGC (a round is a gradient step with probability :math:`1-P_\mathrm{out}`, else
nothing) :math:`\mathbb Ef(w_T)-f^\star\le(P_\mathrm{out}+(1-P_\mathrm{out})(1-\eta\mu)^2)^T
\Delta_0`, attained by the same quadratic — the bound
``strongly_convex("cogc", method="pep")``.

**Proof (a performance-estimation certificate).** Without loss of generality
:math:`x^\star=0`, :math:`f^\star=0`. Every :math:`f` of the class satisfies, for all pairs
of points :math:`i,j` (Taylor, Hendrickx, Glineur, *Smooth strongly convex interpolation and
exact worst-case performance of first-order methods*, Math. Program. 161, 2017, Theorem 4),

.. math:: s_{ij}=f_i-f_j-\langle g_j,x_i-x_j\rangle-\frac{1}{2(1-\mu/L)}\Big(\frac1L
          \lVert g_i-g_j\rVert^2+\mu\lVert x_i-x_j\rVert^2-\frac{2\mu}L\langle g_j-g_i,
          x_j-x_i\rangle\Big)\ \ge0.

With the points :math:`x, x^+, x^\star` and multipliers
:math:`\lambda_{x,x^+}=(1-\eta\mu)(2-\eta\mu)`, :math:`\lambda_{x^+,x}=1-\eta\mu`,
:math:`\lambda_{\star,x^+}=\eta\mu(2-\eta\mu)` (all :math:`\ge0`) the identity

.. math:: (1-\eta\mu)^2f(x)-f(x^+)=\lambda_{x,x^+}s_{x,x^+}+\lambda_{x^+,x}s_{x^+,x}
          +\lambda_{\star,x^+}s_{\star,x^+}+z^\top Rz,\qquad z=(x,\nabla f(x),\nabla f(x^+)),

holds identically (sympy), and :math:`R=\Lambda D\Lambda^\top` with :math:`\Lambda` unit lower
triangular and :math:`D=\operatorname{diag}\big(\frac{Lk^2t(2-kt)}{2(1-k)},
\frac{(1-kt)^2q(t)}{2L(1-k)},0\big)`, :math:`t=\eta L`, :math:`k=\mu/L`,
:math:`q(t)=kt^2-2(k+1)t+3`; :math:`q` decreases on :math:`[0,1]` and :math:`q(1)=1-k>0`, so
:math:`D\succeq0` and the right side is :math:`\ge0`. The multipliers were found by solving the
semidefinite program numerically and reading off the exact values (:math:`\lambda_{x^+,x}` is
the double root of :math:`\det R`).

Independent checks: exact rational evaluations on random diagonal quadratics and on
non-quadratic functions of the class (strongly convex quadratic plus a Huber sum), exhaustive
enumeration of CoGC outcome sequences on a scalar quadratic, and controls that must fail: a
multiplier moved off its value (:math:`R` is then indefinite) and a rate 1% below
:math:`(1-\eta\mu)^2` (refuted by the quadratic).
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import sympy as sp

from cogc_theory import bounds as bd

from ._core import Check, ProofResult, Step

TITLE = "Exact one-step rate of gradient descent and the tight CoGC bound"

eta, L, mu = bd.eta, bd.L, bd.mu
Delta0, T, P_out, sigma2 = bd.Delta0, bd.T, bd.P_out, bd.sigma2
f0, f1 = sp.symbols("f_x f_xp", real=True)
RATE = (1 - eta * mu) ** 2
F_ = Fraction


# ----------------------------------------------------------------- the certificate
def _interp(pts: dict, i: str, j: str) -> tuple[sp.Expr, sp.Matrix]:
    r"""``(function part, Gram matrix)`` of :math:`s_{ij}` in the basis
    :math:`(x, g, g^+)`: :math:`s_{ij}=` function part :math:`+z^\top Qz`."""
    (xi, gi, fi), (xj, gj, fj) = pts[i], pts[j]

    def sym(a: sp.Matrix, b: sp.Matrix) -> sp.Matrix:
        return (a * b.T + b * a.T) / 2

    Q = -sym(gj, xi - xj) - (sym(gi - gj, gi - gj) / L + mu * sym(xi - xj, xi - xj)
                             - 2 * mu / L * sym(gj - gi, xj - xi)) / (2 * (1 - mu / L))
    return fi - fj, Q


def points() -> dict:
    """The three points in the basis (x, g, g+): x, x+ = x - eta g, x* = 0 (f* = 0)."""
    z = sp.zeros(3, 1)
    return {"x": (sp.Matrix([1, 0, 0]), sp.Matrix([0, 1, 0]), f0),
            "x+": (sp.Matrix([1, -eta, 0]), sp.Matrix([0, 0, 1]), f1),
            "*": (z, z, sp.Integer(0))}


#: The multipliers of the certificate (pairs (i, j) of s_ij).
MULTIPLIERS = {("x", "x+"): (1 - eta * mu) * (2 - eta * mu), ("x+", "x"): 1 - eta * mu,
               ("*", "x+"): eta * mu * (2 - eta * mu)}


def remainder(multipliers: dict | None = None, rate: sp.Expr = RATE
              ) -> tuple[sp.Expr, sp.Matrix]:
    r"""``(function-value residue, R)`` with ``rate f(x) - f(x+) - sum lambda s = residue +
    z' R z``; the certificate needs residue 0 and :math:`R\succeq0`."""
    multipliers = MULTIPLIERS if multipliers is None else multipliers
    pts = points()
    fpart, Q = rate * f0 - f1, sp.zeros(3, 3)
    for (i, j), lam in multipliers.items():
        fp, Qij = _interp(pts, i, j)
        fpart -= lam * fp
        Q -= lam * Qij
    return sp.expand(fpart), Q.applyfunc(sp.cancel)


def certificate_holds(multipliers: dict | None = None, rate: sp.Expr = RATE
                      ) -> tuple[bool, str]:
    """Whether the certificate proves ``f(x+) <= rate f(x)`` for every eta in (0, 1/L] and
    0 < mu < L: zero residue, and R = Lambda D Lambda' with D >= 0 on that domain (decided
    symbolically where possible, and on an exact rational grid of (eta L, mu / L))."""
    res, R = remainder(multipliers, rate)
    if res != 0:
        return False, f"function values do not cancel: residue {res}"
    t, k = sp.symbols("t k", positive=True)
    R2 = R.subs({eta: t / L, mu: k * L}).subs(L, 1)
    # every principal minor, as an exact rational function of (t, k), evaluated in Fractions
    # on a rational grid: R is PSD there iff all are >= 0
    idxs = ([0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2])
    minors = [sp.lambdify((t, k), sp.cancel(R2.extract(i, i).det()), "math") for i in idxs]
    bad = []
    for tv, kv in itertools.product([F_(i, 8) for i in range(1, 9)],
                                    [F_(i, 8) for i in range(1, 8)]):
        neg = [i for i, m in zip(idxs, minors, strict=True) if m(tv, kv) < 0]
        if neg:
            bad.append((str(tv), str(kv), neg[0]))
    if bad:
        return False, f"R is not PSD at (eta L, mu/L, minor) = {bad[0]} ({len(bad)} grid points)"
    return True, "residue 0; every principal minor of R >= 0 at 56 exact rational grid points"


def _ldl_factors() -> tuple[sp.Matrix, list[sp.Expr], sp.Expr]:
    t, k = sp.symbols("t k", positive=True)
    _, R = remainder()
    R2 = R.subs({eta: t / L, mu: k * L}).applyfunc(sp.cancel)
    Lm, Dm = R2.LDLdecomposition(hermitian=False)
    return (Lm * Dm * Lm.T - R2).applyfunc(sp.cancel), [sp.factor(Dm[i, i]) for i in
                                                          range(3)], t


# ----------------------------------------------------------------- checks
def _huber(x: Fraction) -> Fraction:
    return x * x / 2 if abs(x) <= 1 else abs(x) - F_(1, 2)


def _huber_grad(x: Fraction) -> Fraction:
    return x if abs(x) <= 1 else F_(1 if x > 0 else -1)


def _class_functions(rng: np.random.Generator) -> list[tuple[str, Fraction, Fraction, object]]:
    """``(name, mu, L, f_and_grad)``: functions of F_{mu,L} with minimiser 0 and f* = 0, in
    exact rationals. Quadratics sum_i h_i x_i^2 / 2 (h_i in [mu, L], both ends attained) and
    mu/2 |x|^2 + (L - mu) sum_i c_i huber(a_i'x) with sum_i c_i |a_i|^2 <= 1 (so the Huber
    part is convex and 1-smooth, minimised at 0)."""
    out = []
    for n in range(4):
        muv, Lv = F_(int(rng.integers(1, 5)), 10), F_(1)
        h = [muv, Lv] + [F_(int(rng.integers(1, 10)), 10) * (Lv - muv) + muv for _ in range(2)]

        def fq(x, h=h):
            return (sum(hi * xi * xi for hi, xi in zip(h, x, strict=True)) / 2,
                    [hi * xi for hi, xi in zip(h, x, strict=True)])
        out.append((f"quadratic #{n}", muv, Lv, fq))
        A = [[F_(int(v), 2) for v in rng.integers(-2, 3, 4)] for _ in range(3)]
        nrm = sum(sum(a * a for a in row) for row in A)
        c = [F_(1) / nrm] * 3

        def fh(x, A=A, c=c, muv=muv, Lv=Lv):
            z = [sum(a * xi for a, xi in zip(row, x, strict=True)) for row in A]
            val = muv * sum(xi * xi for xi in x) / 2 + (Lv - muv) * sum(
                ci * _huber(zi) for ci, zi in zip(c, z, strict=True))
            g = [muv * xi for xi in x]
            for ci, zi, row in zip(c, z, A, strict=True):
                gz = (Lv - muv) * ci * _huber_grad(zi)
                g = [gi + gz * a for gi, a in zip(g, row, strict=True)]
            return val, g
        out.append((f"quadratic + Huber sum #{n}", muv, Lv, fh))
    return out


def _rate_checks() -> list[Check]:
    rng = np.random.default_rng(20240917)
    worst, n = F_(0), 0
    viol_control = []
    for name, muv, Lv, fg in _class_functions(rng):
        for _ in range(25):
            x = [F_(int(v), 4) for v in rng.integers(-12, 13, 4)]
            etav = F_(int(rng.integers(1, 9)), 8) / Lv
            f_x, g = fg(x)
            if f_x == 0:
                continue
            f_p, _ = fg([xi - etav * gi for xi, gi in zip(x, g, strict=True)])
            ratio = f_p / ((1 - etav * muv) ** 2 * f_x)
            worst = max(worst, ratio)
            n += 1
            if f_p > (1 - etav * muv) ** 2 * f_x * F_(99, 100):
                viol_control.append(name)
    out = [Check("f(x - eta grad f(x)) <= (1 - eta mu)^2 f(x) on functions of the class "
                 "(diagonal quadratics; quadratic + Huber sums), exact rationals, eta L in "
                 "{1/8, ..., 1}", worst <= 1,
                 f"{n} points; largest f(x+) / ((1 - eta mu)^2 f(x)) = {float(worst):.6f}")]
    # attained: f = mu/2 x^2
    ok = all(((1 - F_(i, 8) * F_(1, 3)) ** 2) * (F_(1, 3) * 9 / 2)
             == F_(1, 3) * (3 - F_(i, 8) * F_(1, 3) * 3) ** 2 / 2 for i in range(1, 9))
    out.append(Check("the rate is attained by f = mu/2 x^2 (mu = 1/3, x = 3, eta L = i/8, L = 1)",
                     ok, "f(x+) = (1 - eta mu)^2 f(x) exactly for i = 1..8"))
    out.append(Check("control — the claimed rate lowered by 1% is violated by some function "
                     "of the class above (the check can fail)", bool(viol_control),
                     f"violated on {len(viol_control)} points (e.g. {viol_control[:1]})"))
    return out


def _cogc_enumeration() -> list[Check]:
    """CoGC on a scalar quadratic f = h/2 w^2 (L = mu = h, attains the rate) and on a
    two-curvature quadratic: every outcome sequence of T <= 6 rounds enumerated exactly."""
    out = []
    Po = F_(1, 4)
    for name, hs, e0 in (("scalar h = 2", [F_(2)], [F_(3)]),
                         ("two curvatures (mu, L) = (1/2, 2)", [F_(1, 2), F_(2)],
                          [F_(1), F_(1)])):
        muv, Lv = min(hs), max(hs)
        etav = 1 / Lv if len(hs) > 1 else F_(1, 3)
        b = bd.strongly_convex("cogc", P_out=sp.Rational(1, 4), M=3, method="pep")
        vals = {eta: sp.Rational(etav.numerator, etav.denominator),
                L: sp.Rational(Lv.numerator, Lv.denominator),
                mu: sp.Rational(muv.numerator, muv.denominator), sigma2: 0}
        bad, eq = [], True
        for n in range(7):
            gap = F_(0)
            for seq in itertools.product((0, 1), repeat=n):
                p = F_(1)
                e = list(e0)
                for full in seq:
                    p *= (1 - Po) if full else Po
                    if full:
                        e = [ei - etav * h * ei for ei, h in zip(e, hs, strict=True)]
                gap += p * sum(h * ei * ei for h, ei in zip(hs, e, strict=True)) / 2
            d0 = sum(h * ei * ei for h, ei in zip(hs, e0, strict=True)) / 2
            bv = b.expr.subs({**vals, Delta0: sp.Rational(d0.numerator, d0.denominator),
                              T: n})
            if sp.Rational(gap.numerator, gap.denominator) > bv:
                bad.append(n)
            eq &= sp.Rational(gap.numerator, gap.denominator) == bv
        what = (f"CoGC (P_out = 1/4), {name}: exact E f(w_T) - f* <= the pep bound for "
                "T = 0..6 (all 2^T outcome sequences)")
        out.append(Check(what, not bad, "holds" + (" with equality (attained)" if eq else "")
                         if not bad else f"violated at T = {bad}"))
    return out


def _derivation() -> list[Step]:
    steps = [Step(
        "Interpolation inequalities of the class $\\mathcal F_{\\mu,L}$ (necessary for every "
        "$L$-smooth $\\mu$-strongly convex $f$; THG 2017, Theorem 4), at the points "
        "$x$, $x^+=x-\\eta\\nabla f(x)$, $x^\\star=0$ with $f^\\star=0$:",
        r"s_{ij}=f_i-f_j-\langle g_j,x_i-x_j\rangle-\tfrac{1}{2(1-\mu/L)}\big(\tfrac1L"
        r"\lVert g_i-g_j\rVert^2+\mu\lVert x_i-x_j\rVert^2-\tfrac{2\mu}{L}\langle g_j-g_i,"
        r"x_j-x_i\rangle\big)\ge0.")]
    res, R = remainder()
    steps.append(Step(
        "With $\\lambda_{x,x^+}=(1-\\eta\\mu)(2-\\eta\\mu)$, $\\lambda_{x^+,x}=1-\\eta\\mu$, "
        "$\\lambda_{\\star,x^+}=\\eta\\mu(2-\\eta\\mu)$ the function values cancel:",
        r"(1-\eta\mu)^2f(x)-f(x^+)-\sum\lambda_{ij}s_{ij}=z^\top Rz,\quad "
        r"z=(x,\nabla f(x),\nabla f(x^+)).", res == 0,
        "sympy: the residue in f(x), f(x+) expands to 0"))
    diff, D, t = _ldl_factors()
    k = sp.Symbol("k", positive=True)
    q = k * t**2 - 2 * (k + 1) * t + 3
    ok_d = (sp.simplify(D[0] - L * k**2 * t * (2 - k * t) / (2 * (1 - k))) == 0
            and sp.simplify(D[1] - (1 - k * t) ** 2 * q / (2 * L * (1 - k))) == 0
            and D[2] == 0)
    ok_q = sp.expand(q.subs(t, 1) - (1 - k)) == 0 and \
        sp.expand(sp.diff(q, t) - (2 * k * (t - 1) - 2)) == 0
    steps.append(Step(
        "$R=\\Lambda D\\Lambda^\\top$ ($t=\\eta L$, $k=\\mu/L$) with the diagonal below; "
        "$q'(t)=2k(t-1)-2<0$ and $q(1)=1-k>0$, so $q>0$ on $(0,1]$ and $D\\succeq0$ for "
        "$0<\\eta\\le1/L$, $0<\\mu<L$:",
        r"D=\operatorname{diag}\Big(\tfrac{Lk^2t(2-kt)}{2(1-k)},\ "
        r"\tfrac{(1-kt)^2(kt^2-2(k+1)t+3)}{2L(1-k)},\ 0\Big).",
        all(x == 0 for x in diff) and ok_d and ok_q,
        "sympy: LDL' reproduces R; the factored pivots; q(1) and q'(t)"))
    steps.append(Step(
        "Hence $f(x^+)\\le(1-\\eta\\mu)^2f(x)$; $f=\\frac\\mu2\\lVert x\\rVert^2$ gives "
        "equality. For CoGC the outcome is independent of $w_t$; averaging the full round "
        "(factor $(1-\\eta\\mu)^2$, noise adds $\\frac{L\\eta^2\\sigma^2}{2M}$ by smoothness at "
        "$x^+$) and the outage (factor 1):",
        r"\mathbb EF(w_T)-F^*\le\big(P_\mathrm{out}+(1-P_\mathrm{out})(1-\eta\mu)^2\big)^T"
        r"\Delta_0\quad(\sigma^2=0).",
        sp.simplify(bd.strongly_convex("cogc", method="pep").expr.subs(sigma2, 0)
                    - (P_out + (1 - P_out) * RATE) ** T * Delta0) == 0,
        "sympy: equals bounds.strongly_convex('cogc', method='pep') at sigma2 = 0"))
    return steps


def run() -> ProofResult:
    """Derive the exact one-step rate and check it and the CoGC bound independently."""
    steps = _derivation()
    ok, ev = certificate_holds()
    wrong = dict(MULTIPLIERS)
    wrong[("x+", "x")] = 1 - eta * mu + sp.Rational(1, 10)
    wrong[("x", "x+")] = wrong[("x+", "x")] + RATE
    bad_ok, bad_ev = certificate_holds(wrong)
    checks = [Check("the certificate: residue 0 and R PSD on an exact grid of eta L in (0, 1], "
                    "mu/L in (0, 1)", ok, ev),
              Check("control — the certificate with lambda_{x+,x} moved by 1/10 (the function "
                    "values still cancel) is rejected (R indefinite)", not bad_ok, bad_ev)]
    checks += _rate_checks() + _cogc_enumeration()
    return ProofResult(
        name="bound_gd_rate", title=TITLE,
        assumptions=["$f$ is $L$-smooth and $\\mu$-strongly convex, $0<\\mu<L$; step size "
                     "$0<\\eta\\le1/L$.",
                     "CoGC: the round's outcome is independent of $w_t$, i.i.d. across rounds; "
                     "full recovery is a gradient step, an outage leaves $w$ unchanged."],
        statement=r"f(x-\eta\nabla f(x))-f^\star\le(1-\eta\mu)^2\big(f(x)-f^\star\big),\qquad"
                  r"\mathbb EF(w_T)-F^\star\le\big(P_\mathrm{out}+(1-P_\mathrm{out})"
                  r"(1-\eta\mu)^2\big)^T\Delta_0.",
        derivation=steps, checks=checks)
