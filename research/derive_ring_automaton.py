r"""Derive the finite automaton of GC+ full recovery on a generic cyclic code (bandwidth s).

Generator of ``cogc_theory/outage/_ring_tables.py`` (run from the repository root)::

    python research/derive_ring_automaton.py --s 1 2 --out cogc_theory/outage/_ring_tables.py

What it does (details and evidence in ``research/gcplus_structure.md``):

1. **Decision by a sweep.** For a generic code, GC+ fully recovers iff every row of ``B``
   lies in the span of the received effective rows, i.e. iff every kernel vector of the
   received matrix :math:`A` lies in :math:`U=\operatorname{rowspace}H`. Writing
   :math:`x=u^\top H+y` with :math:`u` fixed by the first :math:`s` coordinates
   (:math:`y_{0..s-1}=0`), a complete row reads :math:`c^{(m)}\cdot y=0` and a row missing
   the links :math:`J` reads :math:`r_m\cdot y+u\cdot D_m=0`,
   :math:`D_m=-\sum_{j\in J}c^{(m)}_jh_j`. A sweep over the rows keeps the solution space
   :math:`S` projected on :math:`(u, y_{\text{lookahead}})` and its subspace :math:`Z` of
   solutions whose eliminated :math:`y` vanish; a solution vanishing on everything that is
   still visible but not on an eliminated coordinate is a failure, and the ring is a full
   recovery iff :math:`S=Z` at the end (:func:`decide`). All arithmetic is exact over
   :math:`\mathbb F_p`, :math:`p=268{,}435{,}399`, with a random code (generic with high
   probability, Schwartz–Zippel).
2. **Types.** A state at position :math:`k` is summarised by a *signature*: the dimensions of
   :math:`S\cap Q` and :math:`Z\cap Q` for the subspaces :math:`Q` cut out by the conditions
   :math:`w_j=0`, :math:`y_j=0`, :math:`x_j=0` (:math:`w_j=u\cdot h_j`, :math:`x_j=w_j+y_j`)
   on the lookahead coordinates and :math:`w_j=0` on the first :math:`s`, plus the
   acceptance of every way of closing the ring right there (:func:`signature`).
3. **Learning.** Breadth-first search over signatures from the states after the first
   :math:`s` clients, each type carried by representatives on ``reps`` independent random
   codes; a transition is recorded only if all representatives agree (the script reports
   disagreements; there are none for :math:`s\le 2`). The acceptance of each type with every
   choice of the last :math:`s` clients is computed on fresh codes that replay a witness
   prefix, again checked on two codes.
4. **Minimisation** (Moore) and canonical numbering (breadth-first from the initial states);
   state 0 is the absorbing failure.

The resulting tables are checked against exact enumeration in ``proofs/gcplus_ring.py`` and
``tests/test_gcplus_ring.py``; :func:`decide` is the independent per-pattern oracle used for
random long patterns.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import sys
import textwrap
import time

import numpy as np

P = 268_435_399                       # prime < 2**28: products of two residues fit in int64


def _inv(a: int) -> int:
    return pow(int(a) % P, P - 2, P)


def rref(A: np.ndarray) -> np.ndarray:
    """Reduced row echelon form over GF(P) (nonzero rows only)."""
    A = np.array(A, dtype=np.int64) % P
    if A.ndim != 2 or A.shape[0] == 0:
        return A.reshape(0, A.shape[-1] if A.ndim == 2 else 0)
    n, m = A.shape
    r = 0
    for c in range(m):
        if r == n:
            break
        nz = np.nonzero(A[r:, c])[0]
        if nz.size == 0:
            continue
        i = r + int(nz[0])
        if i != r:
            A[[r, i]] = A[[i, r]]
        A[r] = (A[r] * _inv(A[r, c])) % P
        f = A[:, c].copy()
        f[r] = 0
        A = (A - f[:, None] * A[r][None, :]) % P
        r += 1
    return A[:r]


def nullspace(A: np.ndarray, m: int) -> np.ndarray:
    """Basis (rows) of :math:`\\{x\\in GF(P)^m: Ax=0\\}`."""
    if len(A) == 0:
        return np.eye(m, dtype=np.int64)
    R = rref(A)
    piv = [int(np.nonzero(row)[0][0]) for row in R]
    free = [j for j in range(m) if j not in piv]
    N = np.zeros((len(free), m), dtype=np.int64)
    for t, f in enumerate(free):
        N[t, f] = 1
        for i, pc in enumerate(piv):
            N[t, pc] = (-R[i, f]) % P
    return N


def intersect(S: np.ndarray, C: np.ndarray) -> np.ndarray:
    """Basis of :math:`\\{v\\in\\operatorname{span}S: Cv=0\\}` (rows, reduced)."""
    if len(S) == 0 or len(C) == 0:
        return S
    G = (S @ C.T) % P
    N = nullspace(G.T, len(S))
    if len(N) == 0:
        return S[:0]
    return rref((N @ S) % P)


class Code:
    """Cyclic code over GF(P): row m spans the kernel of H on {m..m+s} (mod M), B[m, m] = 1."""

    def __init__(self, M: int, s: int, seed: int | None = None, H: np.ndarray | None = None):
        self.M, self.s = M, s
        if H is None:
            rng = np.random.default_rng(seed)
            H = rng.integers(0, P, size=(s, M)).astype(np.int64)
            H[:, -1] = (-H[:, :-1].sum(axis=1)) % P          # H 1 = 0
        self.H = H
        self.B = np.zeros((M, M), dtype=np.int64)
        for m in range(M):
            W = [(m + j) % M for j in range(s + 1)]
            n = nullspace(H[:, W], s + 1)
            if len(n) != 1:
                raise ValueError("degenerate window (kernel dimension != 1); draw again")
            self.B[m, W] = n[0] * _inv(n[0, 0]) % P
        self._trunc: dict[int, Code] = {}

    def live(self, k: int) -> list[int]:
        """Lookahead coordinates after row k (k = -1: before any row)."""
        return list(range(max(self.s, k + 1), min(self.M, k + self.s + 1)))

    def truncated(self, Mp: int) -> Code:
        """The ring of the first Mp columns of H (rows < Mp - s are unchanged)."""
        if Mp not in self._trunc:
            self._trunc[Mp] = Code(Mp, self.s, H=self.H[:, :Mp].copy())
        return self._trunc[Mp]


State = tuple[np.ndarray, np.ndarray]


def initial(cd: Code) -> State:
    eye = np.eye(cd.s, dtype=np.int64)
    return eye, eye.copy()


def step(cd: Code, k: int, state: State, x: int) -> State | None:
    """Row k in client state x (0 absent, 1 + b with bit i = link from k+1+i up)."""
    s, M, B, H = cd.s, cd.M, cd.B, cd.H
    S, Z = state
    lp, ln = cd.live(k - 1), cd.live(k)
    ext = lp + [j for j in ln if j not in lp]
    n = s + len(ext)

    def extend(X: np.ndarray) -> np.ndarray:
        add = n - X.shape[1]
        out = np.concatenate([X, np.zeros((len(X), add), dtype=np.int64)], axis=1)
        if add:
            new = np.concatenate([np.zeros((add, n - add), dtype=np.int64),
                                  np.eye(add, dtype=np.int64)], axis=1)
            out = np.concatenate([out, new])
        return out

    S, Z = extend(S), extend(Z)
    pos = {j: s + i for i, j in enumerate(ext)}
    if x:
        b = x - 1
        W = [(k + i) % M for i in range(s + 1)]
        T = [W[0]] + [W[i + 1] for i in range(s) if (b >> i) & 1]
        a = np.zeros(n, dtype=np.int64)
        for j in T:
            if j >= s:                                   # y vanishes on the first s coords
                a[pos[j]] = (a[pos[j]] + B[k, j]) % P
        for i in range(s):
            if not (b >> i) & 1:
                j = W[i + 1]
                a[:s] = (a[:s] - B[k, j] * H[:, j]) % P  # u . D_k
        S, Z = intersect(S, a[None]), intersect(Z, a[None])
    for j in [j for j in ext if j not in ln]:
        c = pos[j]
        keep = [i for i in range(n) if i != c]
        Sp = rref(S[:, keep]) if len(S) else S[:, keep]
        if len(Sp) < len(S):
            return None                                  # hidden solution: not full
        e = np.zeros(n, dtype=np.int64)
        e[c] = 1
        Zk = intersect(Z, e[None])
        S, Z = Sp, (rref(Zk[:, keep]) if len(Zk) else Zk[:, keep])
        n -= 1
        pos = {jj: (p if p < c else p - 1) for jj, p in pos.items() if jj != j}
    return S, Z


def accept(state: State | None) -> bool:
    return state is not None and len(state[0]) == len(state[1])


def decide(cd: Code, xs: tuple[int, ...]) -> bool:
    """Generic GC+ full recovery of the ring with client states ``xs`` (len == cd.M)."""
    st: State | None = initial(cd)
    for k, x in enumerate(xs):
        st = step(cd, k, st, x)
        if st is None:
            return False
    return accept(st)


def _conditions(cd: Code, k: int) -> list[np.ndarray]:
    s, H = cd.s, cd.H
    L = cd.live(k)
    n = s + len(L)

    def w(j: int) -> np.ndarray:
        r = np.zeros(n, dtype=np.int64)
        r[:s] = H[:, j] % P
        return r

    def y(j: int) -> np.ndarray:
        r = np.zeros(n, dtype=np.int64)
        r[s + L.index(j)] = 1
        return r

    opts = [[[], [w(j)], [y(j)], [(w(j) + y(j)) % P], [w(j), y(j)]] for j in L]
    opts += [[[], [w(j)]] for j in range(s)]
    return [np.array([r for part in combo for r in part], dtype=np.int64).reshape(-1, n)
            for combo in itertools.product(*opts)]


def _closure(cd: Code, k: int, state: State) -> tuple[bool, ...]:
    s = cd.s
    tc = cd.truncated(k + 1 + s)
    out = []
    for suf in itertools.product(range(1 + (1 << s)), repeat=s):
        st: State | None = state
        for i, x in enumerate(suf):
            st = step(tc, k + 1 + i, st, x)
            if st is None:
                break
        out.append(accept(st))
    return tuple(out)


def signature(cd: Code, k: int, state: State | None) -> object:
    if state is None:
        return "FAIL"
    S, Z = state
    dims = [len(S), len(Z)]
    for Q in _conditions(cd, k):
        dims.append(len(intersect(S, Q)) if len(S) else 0)
        dims.append(len(intersect(Z, Q)) if len(Z) else 0)
    return tuple(dims), _closure(cd, k, state)


def learn(s: int, length: int = 200, reps: int = 3, log=print) -> dict:
    """Raw automaton: init (prefix -> type), trans ((type, x) -> type), acc (type -> tuple)."""
    codes = [Code(length, s, seed=100 + i) for i in range(reps)]
    nx = 1 + (1 << s)
    types: dict = {}
    rep: dict[int, list] = {}
    witness: dict[int, tuple] = {}
    trans: dict[tuple[int, int], int] = {}
    queue: collections.deque = collections.deque()
    bad = 0

    def add(sig, r, wit) -> int:
        if sig not in types:
            types[sig] = len(types)
            rep[types[sig]] = []
            witness[types[sig]] = wit
            queue.append(types[sig])
        tid = types[sig]
        if r is not None and len(rep[tid]) < reps and all(q[0] != r[0] for q in rep[tid]):
            rep[tid].append(r)
        return tid

    fail = add("FAIL", None, None)
    init = {}
    for xs in itertools.product(range(nx), repeat=s):
        for ci, cd in enumerate(codes):
            st: State | None = initial(cd)
            for k, x in enumerate(xs):
                st = step(cd, k, st, x) if st is not None else None
            tid = add(signature(cd, s - 1, st), (ci, s - 1, st) if st is not None else None, xs)
            if ci == 0:
                init[xs] = tid
            elif init[xs] != tid:
                bad += 1
    t0 = time.time()
    while queue:
        tid = queue.popleft()
        if tid == fail:
            continue
        for ci, k, st in list(rep[tid]):
            cd = codes[ci]
            for x in range(nx):
                nst = step(cd, k + 1, st, x)
                nid = add(signature(cd, k + 1, nst), (ci, k + 1, nst) if nst is not None else None,
                          witness[tid] + (x,))
                if trans.get((tid, x), nid) != nid:
                    bad += 1
                trans[(tid, x)] = nid
        if len(types) % 50 == 0:
            log(f"  s={s}: {len(types)} types, {len(queue)} queued, {time.time() - t0:.0f} s")
    acc = {}
    for tid, w in witness.items():
        if tid == fail:
            continue
        res = None
        for seed in (7, 8):
            cd = Code(len(w) + s, s, seed=seed * 100_003 + tid)
            st = initial(cd)
            for k, x in enumerate(w):
                st = step(cd, k, st, x)
            r = []
            for suf in itertools.product(range(nx), repeat=s):
                st2: State | None = st
                for i, x in enumerate(suf):
                    st2 = step(cd, len(w) + i, st2, x)
                    if st2 is None:
                        break
                r.append(accept(st2))
            if res is not None and res != r:
                bad += 1
            res = r
        acc[tid] = tuple(res)
    acc[fail] = (False,) * nx ** s
    return {"s": s, "n": len(types), "init": init, "trans": trans, "acc": acc, "fail": fail,
            "disagreements": bad}


def minimize(A: dict) -> dict:
    """Moore minimisation and canonical breadth-first numbering (failure = state 0)."""
    s, n, fail = A["s"], A["n"], A["fail"]
    nx = 1 + (1 << s)

    def nxt(t: int, x: int) -> int:
        return fail if t == fail else A["trans"][(t, x)]

    part = {}
    cls: dict = {}
    for t in range(n):
        part[t] = cls.setdefault(A["acc"][t], len(cls))
    while True:
        new: dict = {}
        newpart = {t: new.setdefault((part[t],) + tuple(part[nxt(t, x)] for x in range(nx)),
                                     len(new)) for t in range(n)}
        done = len(new) == len(cls)
        cls, part = new, newpart
        if done:
            break
    # canonical numbering
    order = {part[fail]: 0}
    queue = collections.deque()
    for xs in itertools.product(range(nx), repeat=s):
        c = part[A["init"][xs]]
        if c not in order:
            order[c] = len(order)
            queue.append(c)
    rep = {}
    for t in range(n):
        rep.setdefault(part[t], t)
    while queue:
        c = queue.popleft()
        for x in range(nx):
            d = part[nxt(rep[c], x)]
            if d not in order:
                order[d] = len(order)
                queue.append(d)
    k = len(order)
    init = [order[part[A["init"][xs]]] for xs in itertools.product(range(nx), repeat=s)]
    trans = [[0] * nx for _ in range(k)]
    acc = [""] * k
    for c, i in order.items():
        t = rep[c]
        trans[i] = [order[part[nxt(t, x)]] for x in range(nx)]
        acc[i] = "".join("1" if a else "0" for a in A["acc"][t])
    return {"s": s, "init": init, "trans": trans, "accept": acc}


def emit(autos: dict[int, dict]) -> str:
    lines = ['"""Automata of GC+ full recovery on generic cyclic codes (generated; do not edit).',
             "",
             "Generated by ``python research/derive_ring_automaton.py --s "
             + " ".join(str(s) for s in sorted(autos)) + " --out",
             "cogc_theory/outage/_ring_tables.py``; read by",
             ":mod:`cogc_theory.outage._ring`, which documents the format. For each bandwidth "
             "``s``:",
             "``init[i]`` is the state after the first ``s`` clients (``i`` indexes their "
             "states in", "``itertools.product`` order), ``trans[q][x]`` the state after one "
             "more client in state ``x``,",
             "``accept[q][j]`` whether the ring is a full recovery when the last ``s`` clients "
             "are in the",
             "states indexed ``j``; state 0 is the absorbing failure.", '"""', "",
             "AUTOMATA = {"]
    for s in sorted(autos):
        a = autos[s]
        lines.append(f"    {s}: {{")
        init = textwrap.wrap(", ".join(map(str, a["init"])), 80)
        lines.append("        \"init\": [")
        lines += [f"            {chunk}" for chunk in init]
        lines.append("        ],")
        lines.append("        \"trans\": [")
        for row in a["trans"]:
            lines.append(f"            {row},")
        lines.append("        ],")
        lines.append("        \"accept\": [")
        for row in a["accept"]:
            lines.append(f"            \"{row}\",")
        lines.append("        ],")
        lines.append("    },")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--s", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--length", type=int, default=200, help="length of the learning codes")
    ap.add_argument("--reps", type=int, default=3, help="independent codes per type")
    ap.add_argument("--out", default=None, help="write the tables module here")
    args = ap.parse_args(argv)
    autos = {}
    for s in args.s:
        t0 = time.time()
        raw = learn(s, args.length, args.reps, log=lambda m: print(m, file=sys.stderr))
        mini = minimize(raw)
        print(f"s={s}: {raw['n']} signature types -> {len(mini['trans'])} states after "
              f"minimisation; {raw['disagreements']} disagreements between codes; "
              f"{time.time() - t0:.0f} s", file=sys.stderr)
        if raw["disagreements"]:
            print("  representatives disagree: the signature does not determine the "
                  "behaviour; tables not trustworthy", file=sys.stderr)
            return 1
        autos[s] = mini
    text = emit(autos)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
