r"""Exact GC+ outage of generic cyclic codes at any :math:`M` by a finite transfer matrix.

**Characterisation.** For a generic cyclic code (row :math:`m` of :math:`B` spans the kernel of
a generic :math:`H\in\mathbb R^{s\times M}`, :math:`H\mathbf 1=0`, on the window
:math:`W_m=\{m,\dots,m+s\}`), GC+ fully recovers iff **every row of** :math:`B` **lies in the
span of the received effective rows** (:mod:`cogc_theory.decode._band_subset`, window criterion with
:math:`K=\{0..M-1\}`); equivalently every kernel vector of the received matrix lies in
:math:`\operatorname{rowspace}H`. The decision depends only on the client states (pattern-only
dependence: the set of codes where it differs from the generic decision is a proper algebraic
subset, by the rank argument of the memo ``research/gcplus_structure.md``).

**Automaton.** Read around the ring, the generic decision is recognised by a finite automaton
(:data:`AUTOMATA`): the first :math:`s` clients select a start state, each further client
(except the last :math:`s`) moves it, and the last :math:`s` clients decide. State 0 is the
absorbing failure. Client states use the *offset* convention: 0 absent, :math:`1+b` arrived
with bit :math:`i` of :math:`b` set iff the link from client :math:`m+1+i` succeeded
(:func:`offset_state_probabilities` converts a network's erasures). The tables were derived by
``research/derive_ring_automaton.py`` (automaton learning over :math:`\mathbb F_p` with random
codes, every transition confirmed on three independent codes, Moore-minimised):

=====  ====================  ===========================
``s``  states (incl. fail)    verified against
=====  ====================  ===========================
1      4                     closed form of :mod:`~cogc_theory.outage.structure`, enumeration
2      21                    enumeration of all :math:`5^M` patterns, :math:`M\le 11`;
                             direct decisions on random patterns up to :math:`M=300`
=====  ====================  ===========================

The :math:`s=2` table is a verified result, not a proof: its correctness for every
:math:`M` rests on the learning consistency and the checks listed (see the memo).

**Transfer matrix.** With :math:`q_m(x)` the probability of client state :math:`x`,

.. math:: P_\mathrm{out} = \sum_{x_{0..s-1}}\Big(\prod_{i<s}q_i(x_i)\Big)\,
          e_{\iota(x)}^\top\Big(\prod_{k=s}^{M-s-1}T_k\Big)\,\rho,\qquad
          (T_k)_{ab}=\sum_{x:\delta(a,x)=b}q_k(x),

where :math:`\rho_a` is the probability that the last :math:`s` clients reject from state
:math:`a` (:math:`\rho_0=1`). Every term is a product of probabilities, so the float result has
no cancellation (outages down to :math:`10^{-300}` keep full relative precision); the cost is
:math:`O(M\,n^2)` for :math:`n` states. Heterogeneous erasures, numbers or sympy symbols.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from ._ring_tables import AUTOMATA as _TABLES

__all__ = [
    "AUTOMATA",
    "RingAutomaton",
    "automaton",
    "check_ring",
    "full_recovery",
    "offset_state_probabilities",
    "ring_outage",
    "ring_s1_full_generic",
]

#: Bandwidths with a tabulated automaton.
AUTOMATA = tuple(sorted(_TABLES))


@dataclass(frozen=True)
class RingAutomaton:
    """Tables of the full-recovery automaton for bandwidth ``s`` (see the module docstring).

    Attributes
    ----------
    s : int
    init : int array (nx**s,)
        Start state from the first ``s`` client states (``itertools.product`` order).
    trans : int array (n, nx)
        Next state after one client in state ``x``.
    accept : bool array (n, nx**s)
        Full recovery given the state and the last ``s`` client states.
    """

    s: int
    init: np.ndarray
    trans: np.ndarray
    accept: np.ndarray

    @property
    def n_states(self) -> int:
        return int(self.trans.shape[0])

    @property
    def n_client_states(self) -> int:
        return 1 + (1 << self.s)


@functools.cache
def automaton(s: int) -> RingAutomaton:
    """The tabulated automaton for bandwidth ``s``.

    Raises
    ------
    ValueError
        No table for this ``s``: enumerate (``ct.outage.gcplus``) or simulate.

    Examples
    --------
    >>> automaton(2).n_states
    21
    """
    if isinstance(s, bool) or not isinstance(s, int | np.integer):
        raise TypeError(f"s must be an integer, got {type(s).__name__}")
    if int(s) not in _TABLES:
        raise ValueError(f"no full-recovery automaton for s={s} (tabulated: {AUTOMATA}); use "
                         "ct.outage.gcplus(net) (enumeration, small M) or "
                         "ct.simulate.outage(net, decoder='gcplus')")
    t = _TABLES[int(s)]
    init = np.array(t["init"], dtype=np.int64)
    trans = np.array(t["trans"], dtype=np.int64)
    acc = np.array([[c == "1" for c in row] for row in t["accept"]], dtype=bool)
    for a in (init, trans, acc):
        a.setflags(write=False)
    return RingAutomaton(s=int(s), init=init, trans=trans, accept=acc)


def _prefix_index(x: np.ndarray, nx: int) -> np.ndarray:
    idx = np.zeros(x.shape[:-1], dtype=np.int64)
    for i in range(x.shape[-1]):
        idx = idx * nx + x[..., i]
    return idx


def full_recovery(states: Any, s: int) -> np.ndarray | bool:
    r"""Generic GC+ full recovery of the ring for client-state patterns (offset convention).

    Parameters
    ----------
    states : int array (M,) or (T, M)
        0 absent, :math:`1+b` arrived with bit :math:`i` of :math:`b` set iff the link from
        client :math:`m+1+i` succeeded (:math:`M\ge 2s`).
    s : int

    Returns
    -------
    bool or bool array (T,)

    Examples
    --------
    Bandwidth 2, ten clients: two absent and the rest complete is a full recovery (any
    :math:`M-s` complete rows decode); one absent and one incomplete is not always:

    >>> C, A = 4, 0                          # complete, absent (s = 2: states 0..4)
    >>> bool(full_recovery([C, A, C, C, A, C, C, C, C, C], 2))
    True
    >>> bool(full_recovery([C, C, C, C, C, C, 2, A, 3, C], 2))
    False
    """
    aut = automaton(s)
    x = np.asarray(states)
    if x.dtype.kind not in "iu":
        raise TypeError(f"states must be an integer array, got dtype {x.dtype}")
    single = x.ndim == 1
    if single:
        x = x[None]
    if x.ndim != 2:
        raise ValueError(f"states must have shape (M,) or (T, M), got {np.shape(states)}")
    nx = aut.n_client_states
    M = x.shape[1]
    if M < 2 * s:
        raise ValueError(f"the automaton needs M >= 2s clients (M={M}, s={s}); enumerate "
                         "smaller rings")
    if x.size and (x.min() < 0 or x.max() >= nx):
        raise ValueError(f"client states must lie in 0..{nx - 1} for s={s}")
    q = aut.init[_prefix_index(x[:, :s], nx)]
    for k in range(s, M - s):
        q = aut.trans[q, x[:, k]]
    out = aut.accept[q, _prefix_index(x[:, M - s:], nx)]
    return bool(out[0]) if single else out


# ----------------------------------------------------------------------------- networks
def check_ring(net: Any) -> int:
    """Bandwidth ``s`` of a network the automaton applies to, or raise naming the reason.

    Requires: cyclic support exactly :math:`\\{m,\\dots,m+s\\}` per row, a tabulated ``s``,
    :math:`M\\ge 2s` and :math:`M\\ge s+2`, independent (non-reciprocal) links.
    Genericity of the code is *assumed* (see the module docstring and the memo): it holds
    outside a measure-zero set, e.g. for the random float constructions, but small-integer
    exact codes can violate it.
    """
    from ..network import CooperativeNetwork

    if not isinstance(net, CooperativeNetwork):
        raise TypeError(f"net must be a CooperativeNetwork, got {type(net).__name__}")
    M = net.M
    sup = np.asarray(net.support, dtype=bool)
    off = (np.arange(M)[None, :] - np.arange(M)[:, None]) % M
    s = int(np.max(np.where(sup, off, 0)))
    if not np.array_equal(sup, off <= s):
        raise ValueError("the ring automaton needs the cyclic support {m, ..., m+s} mod M in "
                         "every row (codes.cyclic_repetition); use ct.outage.gcplus(net)")
    if s not in _TABLES:
        raise ValueError(f"no full-recovery automaton for s={s} (tabulated: {AUTOMATA}); use "
                         "ct.outage.gcplus(net) at small M or "
                         "ct.simulate.outage(net, decoder='gcplus')")
    if M < max(2 * s, s + 2):
        raise ValueError(f"the ring automaton needs M >= {max(2 * s, s + 2)} for s={s}; use "
                         "ct.outage.gcplus(net)")
    if net.reciprocal:
        raise ValueError("the ring automaton assumes independent clients; with reciprocal "
                         "links use ct.simulate.outage(net, decoder='gcplus')")
    return s


def offset_state_probabilities(net: Any) -> list[list[Any]]:
    r"""Per-client state probabilities in the offset convention (sympy expressions).

    :math:`q_m(0)=p_m`, :math:`q_m(1+b)=(1-p_m)\prod_{i<s}(1-\varepsilon_{m,m+1+i})^{b_i}
    \varepsilon_{m,m+1+i}^{1-b_i}`.
    """
    s = check_ring(net)
    M = net.M
    out = []
    for m in range(M):
        p = sp.sympify(net.p[m])
        e = [sp.sympify(net.eps[m, (m + 1 + i) % M]) for i in range(s)]
        row = [p]
        for b in range(1 << s):
            t = 1 - p
            for i in range(s):
                t = t * ((1 - e[i]) if (b >> i) & 1 else e[i])
            row.append(t)
        out.append(row)
    return out


def _float_probabilities(net: Any, s: int) -> np.ndarray:
    """:func:`offset_state_probabilities` in float64, vectorised (no sympy), (M, 1 + 2**s)."""
    M = net.M
    p = np.array([float(x) for x in net.p])
    rows = np.arange(M)[:, None]
    cols = (rows + 1 + np.arange(s)[None, :]) % M
    e = np.array(net.eps[rows, cols], dtype=float)                     # (M, s)
    b = (np.arange(1 << s)[:, None] >> np.arange(s)[None, :]) & 1      # (2**s, s)
    link = np.prod(np.where(b[None] == 1, 1 - e[:, None, :], e[:, None, :]), axis=2)
    return np.concatenate([p[:, None], (1 - p)[:, None] * link], axis=1)


def _outage_generic(aut: RingAutomaton, q: list[list[Any]], zero: Any, one: Any) -> Any:
    """Transfer-matrix outage with scalars supporting + and * (floats, Fractions, ring)."""
    s, nx, n = aut.s, aut.n_client_states, aut.n_states
    M = len(q)
    v = [zero] * n
    for xs in itertools.product(range(nx), repeat=s):
        w = one
        for i, x in enumerate(xs):
            w = w * q[i][x]
        j = int(aut.init[_prefix_index(np.array(xs), nx)])
        v[j] = v[j] + w
    trans = aut.trans.tolist()
    for k in range(s, M - s):
        nv = [zero] * n
        nv[0] = v[0]
        for a in range(1, n):
            if v[a] == zero:
                continue
            for x in range(nx):
                b = trans[a][x]
                nv[b] = nv[b] + v[a] * q[k][x]
        v = nv
    out = v[0]
    acc = aut.accept.tolist()
    sufw = []
    for xs in itertools.product(range(nx), repeat=s):
        w = one
        for i, x in enumerate(xs):
            w = w * q[M - s + i][x]
        sufw.append(w)
    for a in range(1, n):
        if v[a] == zero:
            continue
        rej = zero
        for j, w in enumerate(sufw):
            if not acc[a][j]:
                rej = rej + w
        out = out + v[a] * rej
    return out


def _outage_float(aut: RingAutomaton, q: np.ndarray) -> float:
    """Vectorised float transfer (q: (M, nx) floats)."""
    s, nx, n = aut.s, aut.n_client_states, aut.n_states
    M = q.shape[0]
    pre = np.ones(1)
    for i in range(s):
        pre = np.outer(pre, q[i]).ravel()
    v = np.bincount(aut.init, weights=pre, minlength=n)
    onehot = np.zeros((n, nx, n))
    onehot[np.arange(n)[:, None], np.arange(nx)[None, :], aut.trans] = 1.0
    onehot[0] = 0.0                                # the failure mass is carried apart
    for k in range(s, M - s):
        T = np.einsum("axb,x->ab", onehot, q[k])
        fail = v[0]
        v = v @ T
        v[0] += fail
    suf = np.ones(1)
    for i in range(s):
        suf = np.outer(suf, q[M - s + i]).ravel()
    rej = (~aut.accept).astype(float) @ suf
    rej[0] = 1.0
    return float(v @ rej)


def ring_outage(net: Any, *, symbolic: bool = False) -> float | sp.Expr:
    r"""GC+ :math:`P(\text{no full recovery})` of a generic cyclic code by the automaton.

    Parameters
    ----------
    net : CooperativeNetwork
        Cyclic support with a tabulated bandwidth (:func:`check_ring`); erasures numbers or
        sympy expressions, heterogeneous allowed.
    symbolic : bool
        Return a sympy expression (exact: rationals stay rational, symbols stay symbols);
        otherwise a float (needs numeric erasures).

    Returns
    -------
    float or sympy.Expr

    Raises
    ------
    TypeError
        ``net`` is not a network, ``symbolic`` not a bool.
    ValueError
        Not applicable (see :func:`check_ring`), or symbolic erasures with ``symbolic=False``.

    Examples
    --------
    >>> import cogc_theory as ct, sympy as sp
    >>> net = ct.CooperativeNetwork.cyclic(8, 1, uplink_erasure=sp.Rational(1, 10),
    ...                                    link_erasure=sp.Rational(1, 5))
    >>> ring_outage(net, symbolic=True) == ct.outage.structure.ring_s1_outage(net)
    True
    >>> net = ct.CooperativeNetwork.cyclic(100, 2, uplink_erasure=0.01, link_erasure=0.05,
    ...                                    construction="orthonormal")
    >>> round(ring_outage(net), 6)
    0.633788
    """
    if not isinstance(symbolic, bool):
        raise TypeError(f"symbolic must be True or False, got {symbolic!r}")
    s = check_ring(net)
    aut = automaton(s)
    if not symbolic:
        if net.is_symbolic:
            raise ValueError("the network has symbolic erasures; substitute numbers or use "
                             "symbolic=True")
        return _outage_float(aut, _float_probabilities(net, s))
    q = offset_state_probabilities(net)
    syms = sorted(set().union(*[sp.sympify(x).free_symbols for row in q for x in row]),
                  key=str)
    if not syms:
        qq = [[Fraction(int(sp.Rational(x).p), int(sp.Rational(x).q))
               if sp.sympify(x).is_Rational else None for x in row] for row in q]
        if all(x is not None for row in qq for x in row):
            out = _outage_generic(aut, qq, Fraction(0), Fraction(1))
            return sp.Rational(out.numerator, out.denominator)
        return sp.expand(_outage_generic(aut, [[sp.sympify(x) for x in row] for row in q],
                                         sp.Integer(0), sp.Integer(1)))
    R, *_ = sp.ring(syms, sp.QQ)
    qr = [[R.from_expr(sp.expand(x)) for x in row] for row in q]
    return _outage_generic(aut, qr, R.zero, R.one).as_expr()


def ring_s1_full_generic(net: Any, *, rtol: float = 1e-9) -> bool:
    r"""Whether an :math:`s=1` ring takes the generic GC+ *full-recovery* decisions.

    With :math:`h` spanning :math:`\ker B`, a pattern whose only block ending at an absent
    client is the arc :math:`J` (the block before it ends at an incomplete client) is a full
    recovery iff :math:`\sum_{k\in J}h_k=0`. So the decisions are the generic ones (the
    closed form and the automaton apply) **iff no proper arc of** :math:`h` **sums to zero**,
    i.e. iff the prefix sums :math:`P_j=\sum_{k<j}h_k`, :math:`j=0,\dots,M-1`, are distinct
    (an arc is :math:`P_j-P_i`; wrapping arcs are complements). :math:`O(M\log M)`, any
    :math:`M` — unlike :func:`cogc_theory.outage.structure.ring_s1_generic`, which checks all
    :math:`2^M` subsets (the condition the law of :math:`|K|` needs) and stops at
    :math:`M=22`.

    Exact (rational) when ``net.B_exact`` is set; otherwise two prefix sums closer than
    ``rtol`` times :math:`\max|h|` count as equal.

    Examples
    --------
    >>> import cogc_theory as ct
    >>> ring_s1_full_generic(ct.CooperativeNetwork.cyclic(
    ...     300, 1, uplink_erasure=0.1, link_erasure=0.1, construction="orthonormal"))
    True
    """
    if check_ring(net) != 1:
        raise ValueError("ring_s1_full_generic is for the s = 1 ring (support {m, m+1})")
    M = net.M
    if net.B_exact is not None:
        ker = sp.Matrix(net.B_exact).nullspace()
        if len(ker) != 1:
            return False
        h = [Fraction(int(sp.Rational(x).p), int(sp.Rational(x).q)) for x in ker[0]]
        pref = list(itertools.accumulate(h[:-1], initial=Fraction(0)))
        return sum(h) == 0 and len(set(pref)) == M
    _, S, Vh = np.linalg.svd(np.asarray(net.B, dtype=float))
    if S[-1] > rtol * S[0] or S[-2] <= rtol * S[0]:
        return False
    h = Vh[-1] / np.abs(Vh[-1]).max()
    if abs(h.sum()) > rtol * M:
        return False
    pref = np.sort(np.concatenate([[0.0], np.cumsum(h[:-1])]))
    return bool(np.all(np.diff(pref) > rtol))
