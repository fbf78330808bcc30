r"""Reference outage probabilities by brute force, independent of ``cogc_theory.outage``.

The oracle here walks **every** uplink-and-link pattern :math:`(u,\tau)` of a small network —
:math:`2^{M+\sum_m|N_m|}` of them — multiplies the exact :class:`fractions.Fraction`
probabilities, forms the effective matrix, and decides each event with sympy's exact rank:

* standard decoding succeeds iff :math:`\operatorname{rank}B_R = \operatorname{rank}[B_R;\mathbf
  1^\top]`, :math:`R` the arrived clients with complete rows;
* GC+ recovers :math:`\mathbf 1_K` iff :math:`\operatorname{rank}A = \operatorname{rank}[A;
  \mathbf 1_K^\top]`, :math:`A` the arrived effective rows; the individual rule tests each
  :math:`e_k`, the max-subset rule every nonempty :math:`K` (largest first).

It shares no code with the package (it uses only sympy and the standard library), so it can
check the package. Ranks are cached per effective matrix to keep it fast enough for
:math:`M\le 5`.

Run ``python validation/make_reference.py`` to rewrite ``validation/reference/outage.json``:
a list of cases, each with ``B`` (rational strings), ``p``, ``eps`` (``[m, k, value]``) and the
exact results as strings ``"num/den"``.
"""

from __future__ import annotations

import itertools
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import sympy as sp

OUT = Path(__file__).with_name("reference") / "outage.json"


def _rank(rows: tuple[tuple[Fraction, ...], ...], cache: dict) -> int:
    if not rows:
        return 0
    r = cache.get(rows)
    if r is None:
        r = sp.Matrix([[sp.Rational(x.numerator, x.denominator) for x in row]
                       for row in rows]).rank()
        cache[rows] = r
    return r


def brute_force(B: list[list[Fraction]], p: list[Fraction], eps: dict[tuple[int, int], Fraction],
                rules: bool = True) -> dict[str, Any]:
    """Exact outcome probabilities of one network by enumeration of all (u, tau) patterns.

    Returns a dict of Fractions: ``cogc`` (standard-decoding outage), ``gcplus`` (no full
    recovery), ``size_individual`` and ``size_max`` (lists over ``|K| = 0..M``) and ``rank``
    (law of the rank of the arrived effective matrix).
    """
    M = len(B)
    links = [(m, k) for m in range(M) for k in range(M) if k != m and B[m][k] != 0]
    cache: dict = {}
    one = tuple(Fraction(1) for _ in range(M))
    out = {"cogc": Fraction(0), "gcplus": Fraction(0),
           "size_individual": [Fraction(0)] * (M + 1), "size_max": [Fraction(0)] * (M + 1),
           "rank": [Fraction(0)] * (M + 1)}
    decided: dict = {}
    for u in itertools.product((0, 1), repeat=M):
        pu = Fraction(1)
        for m in range(M):
            pu *= (1 - p[m]) if u[m] else p[m]
        # links of clients whose upload is lost do not change anything, but the oracle
        # enumerates them anyway: it is meant to be naive.
        for tau in itertools.product((0, 1), repeat=len(links)):
            prob = pu
            ok = dict.fromkeys(range(M), True)
            up = {}
            for (m, k), t in zip(links, tau, strict=True):
                prob *= (1 - eps[(m, k)]) if t else eps[(m, k)]
                up[(m, k)] = t
                if not t:
                    ok[m] = False
            if prob == 0:
                continue
            rows = tuple(tuple(B[m][k] if (k == m or B[m][k] == 0 or up[(m, k)]) else
                               Fraction(0) for k in range(M)) for m in range(M) if u[m])
            complete = tuple(tuple(B[m]) for m in range(M) if u[m] and ok[m])
            if _rank(complete, cache) != _rank(complete + (one,), cache):
                out["cogc"] += prob
            key = rows
            if key not in decided:
                r = _rank(rows, cache)
                full = r == _rank(rows + (one,), cache)
                ind = M if full else sum(
                    r == _rank(rows + (tuple(Fraction(int(j == k)) for j in range(M)),), cache)
                    for k in range(M))
                best = M if full else 0
                if rules and not full:
                    for size in range(M - 1, 0, -1):
                        for K in itertools.combinations(range(M), size):
                            t = tuple(Fraction(int(j in K)) for j in range(M))
                            if r == _rank(rows + (t,), cache):
                                best = size
                                break
                        if best:
                            break
                decided[key] = (r, full, ind, best)
            r, full, ind, best = decided[key]
            if not full:
                out["gcplus"] += prob
            out["size_individual"][ind] += prob
            out["size_max"][best] += prob
            out["rank"][r] += prob
    return out


# ----------------------------------------------------------------------------- cases
def _F(x: Any) -> Fraction:
    return Fraction(str(x))


def _cyclic(M: int, s: int, H: list[list[int]]) -> list[list[Fraction]]:
    """Cyclic-repetition rows from an integer ``H`` (``H 1 = 0``), computed with sympy here."""
    Hs = sp.Matrix(H)
    B = [[Fraction(0)] * M for _ in range(M)]
    for m in range(M):
        S = [(m + j) % M for j in range(s + 1)]
        ker = Hs[:, S].nullspace()
        assert len(ker) == 1 and all(x != 0 for x in ker[0]), "choose another H"
        v = ker[0] / ker[0][0]
        for j, k in enumerate(S):
            B[m][k] = Fraction(int(sp.fraction(v[j])[0]), int(sp.fraction(v[j])[1]))
    return B


def cases() -> list[dict[str, Any]]:
    """The reference networks: cyclic, fractional repetition, user matrices; heterogeneous."""
    het4 = [_F(x) for x in ("1/10", "1/5", "1/20", "3/10")]
    out = []

    def add(name: str, B: list[list[Fraction]], p: list[Fraction],
            eps_of: Any) -> None:
        M = len(B)
        eps = {(m, k): eps_of(m, k) for m in range(M) for k in range(M)
               if k != m and B[m][k] != 0}
        out.append({"name": name, "B": B, "p": p, "eps": eps})

    add("cyclic M=4 s=1 heterogeneous", _cyclic(4, 1, [[1, 2, -4, 1]]), het4,
        lambda m, k: Fraction(1 + m + 2 * k, 20))
    add("cyclic M=4 s=2 heterogeneous", _cyclic(4, 2, [[1, 2, -4, 1], [3, -1, 0, -2]]), het4,
        lambda m, k: Fraction(1 + (m * k) % 5, 12))
    add("cyclic M=5 s=1 homogeneous", _cyclic(5, 1, [[1, 2, -4, 3, -2]]),
        [Fraction(1, 10)] * 5, lambda m, k: Fraction(1, 5))
    add("fractional M=4 s=1 heterogeneous",
        [[Fraction(int(m // 2 == k // 2)) for k in range(4)] for m in range(4)], het4,
        lambda m, k: Fraction(1 + m, 10))
    add("fractional M=6 s=1 homogeneous",
        [[Fraction(int(m // 2 == k // 2)) for k in range(6)] for m in range(6)],
        [Fraction(1, 5)] * 6, lambda m, k: Fraction(1, 4))
    add("Tandon n=3 s=1 (user B)",
        [[Fraction(1, 2), Fraction(1), Fraction(0)], [Fraction(0), Fraction(1), Fraction(-1)],
         [Fraction(1, 2), Fraction(0), Fraction(1)]],
        [_F("1/10"), _F("1/3"), _F("1/7")], lambda m, k: Fraction(1, 4 + m))
    add("user B M=4 irregular support",
        [[Fraction(1), Fraction(2), Fraction(0), Fraction(0)],
         [Fraction(0), Fraction(1), Fraction(-1), Fraction(1, 2)],
         [Fraction(1), Fraction(0), Fraction(1), Fraction(0)],
         [Fraction(0), Fraction(0), Fraction(3), Fraction(1)]],
        het4, lambda m, k: Fraction(1, 3 + k))
    return out


def _s(x: Fraction) -> str:
    return f"{x.numerator}/{x.denominator}"


def main() -> None:
    data = []
    for case in cases():
        res = brute_force(case["B"], case["p"], case["eps"])
        data.append({
            "name": case["name"],
            "B": [[_s(x) for x in row] for row in case["B"]],
            "p": [_s(x) for x in case["p"]],
            "eps": [[m, k, _s(v)] for (m, k), v in sorted(case["eps"].items())],
            "cogc": _s(res["cogc"]),
            "gcplus": _s(res["gcplus"]),
            "size_individual": [_s(x) for x in res["size_individual"]],
            "size_max": [_s(x) for x in res["size_max"]],
            "rank": [_s(x) for x in res["rank"]],
        })
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"generator": "validation/make_reference.py",
                               "method": "brute force over all (u, tau) with sympy exact rank",
                               "cases": data}, indent=1) + "\n")


if __name__ == "__main__":
    main()
