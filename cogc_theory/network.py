r"""The cooperative network: a GC matrix together with the erasure probabilities of its links.

A :class:`CooperativeNetwork` holds

* the GC matrix :math:`B \in \mathbb{R}^{M\times M}`, whose row :math:`m` is client :math:`m`'s
  encoding vector, with support :math:`S_m` and neighbours :math:`N_m = S_m \setminus \{m\}`;
* the uplink erasure probabilities :math:`p_m` (client :math:`m` to the parameter server);
* the client-link erasure probabilities :math:`\varepsilon_{mk}` of the link that brings
  :math:`g_k` to client :math:`m`, used for :math:`k \in N_m` (same indexing as ``B``);
* the link model: independent draws (default), reciprocal pairs
  (:math:`\tau_{mk} = \tau_{km}`), and optional memory across rounds (:class:`GilbertElliott`).

Probabilities are numbers or sympy expressions (symbols such as ``p``, ``epsilon`` or an SNR).
The same data is available as a :class:`networkx.DiGraph` (:attr:`CooperativeNetwork.graph`):
an edge ``k -> m`` with attribute ``erasure = eps[m, k]`` for every :math:`k\in N_m`, and an edge
``m -> "PS"`` with ``erasure = p[m]``. :meth:`CooperativeNetwork.from_graph` is its inverse.

Client :math:`m`'s partial sum is complete and delivered with probability

.. math:: \pi_m = (1-p_m)\prod_{k\in N_m}(1-\varepsilon_{mk}),

independently across clients when links are not reciprocal.

Examples
--------
>>> import numpy as np
>>> B = np.array([[0.5, 1, 0], [0, 1, -1], [0.5, 0, 1]])   # Tandon et al. (2017), n=3, s=1
>>> net = CooperativeNetwork(B, uplink_erasure=0.1, link_erasure=0.2)
>>> net.M, net.neighbors(0), net.neighbors(1)
(3, (1,), (2,))
>>> [round(float(x), 6) for x in net.success_probabilities()]
[0.72, 0.72, 0.72]
>>> G = net.graph
>>> G.edges[0, 2]["erasure"], G.edges[0, "PS"]["erasure"]   # g_0 reaches client 2; uplink
(0.2, 0.1)
>>> CooperativeNetwork.from_graph(G, B).success_probabilities().round(6).tolist()
[0.72, 0.72, 0.72]
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import sympy as sp

from ._validate import check_int, check_probability, check_square_matrix, is_symbolic

__all__ = ["CooperativeNetwork", "GilbertElliott", "PS"]

#: Name of the parameter-server node in :attr:`CooperativeNetwork.graph`.
PS = "PS"


@dataclass(frozen=True)
class GilbertElliott:
    r"""Two-state Markov (Gilbert–Elliott) memory for every link, keeping its marginal erasure.

    Each link is a chain on {good, bad}; a link is erased in the bad state. With marginal
    erasure probability :math:`\varepsilon` and mean burst length :math:`L` (rounds spent in
    the bad state per visit),

    .. math:: P(\mathrm{bad}\to\mathrm{good}) = 1/L, \qquad
              P(\mathrm{good}\to\mathrm{bad}) = \frac{\varepsilon}{(1-\varepsilon) L},

    so the stationary erasure probability is exactly :math:`\varepsilon`: every per-round
    formula still holds, only rounds become correlated. ``mean_burst = 1 / (1 - eps)`` gives
    independent rounds.

    Parameters
    ----------
    mean_burst : float
        Mean number of consecutive rounds a link stays erased, ``>= 1``.

    Examples
    --------
    Links that stay erased for 3 rounds on average, with marginal erasure 0.25: the chain leaves
    the bad state with probability :math:`1/3` and enters it with
    :math:`0.25/(0.75\cdot 3)=1/9`:

    >>> ge = GilbertElliott(mean_burst=3.0)
    >>> p_gb, p_bg = ge.transitions(0.25)
    >>> round(float(p_gb), 12), round(float(p_bg), 12)
    (0.111111111111, 0.333333333333)
    >>> import cogc_theory as ct
    >>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.25, memory=ge)
    """

    mean_burst: float

    def __post_init__(self) -> None:
        mb = self.mean_burst
        if isinstance(mb, bool) or not isinstance(mb, numbers.Real) or not np.isfinite(mb):
            raise TypeError(f"mean_burst must be a finite real number >= 1, got {mb!r}")
        if mb < 1:
            raise ValueError(f"mean_burst must be >= 1 (rounds), got {mb}")

    def transitions(self, erasure: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(p_good_to_bad, p_bad_to_good)`` arrays for marginal erasures ``erasure``.

        Raises ``ValueError`` when a marginal is too large for this burst length
        (``p_good_to_bad`` would exceed 1: need ``mean_burst >= eps / (1 - eps)``).
        """
        e = np.asarray(erasure, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            g2b = np.where(e < 1, e / np.where(e < 1, 1 - e, 1) / self.mean_burst, 1.0)
        if np.any(g2b > 1 + 1e-12):
            raise ValueError(
                f"mean_burst={self.mean_burst} is too short for erasure probability "
                f"{float(e.max())}: need mean_burst >= eps / (1 - eps)"
            )
        b2g = np.where(e > 0, 1.0 / self.mean_burst, 1.0)
        return np.minimum(g2b, 1.0), b2g


def _as_object_vector(value: Any, name: str, M: int) -> np.ndarray:
    if isinstance(value, sp.MatrixBase):
        value = list(value)
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a probability or a length-{M} sequence, got a string")
    arr = np.empty(M, dtype=object)
    if np.ndim(value) == 0 and not isinstance(value, (list, tuple)):
        item = value.item() if isinstance(value, np.ndarray) else value
        arr[:] = [check_probability(item, name)] * M
        return arr
    seq = list(value.tolist() if isinstance(value, np.ndarray) else value)
    if len(seq) != M or any(np.ndim(v) != 0 for v in seq):
        raise ValueError(
            f"{name} must be a scalar or a length-{M} vector (one per client), "
            f"got shape {np.shape(value)}"
        )
    for m, v in enumerate(seq):
        arr[m] = check_probability(v, f"{name}[{m}]")
    return arr


def _as_object_matrix(value: Any, name: str, used: np.ndarray) -> np.ndarray:
    M = used.shape[0]
    out = np.zeros((M, M), dtype=object)
    if isinstance(value, sp.MatrixBase):
        value = value.tolist()
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a probability or an (M, M) matrix, got a string")
    try:
        shape = np.shape(value)
    except ValueError:                                  # ragged nested lists
        shape = ("ragged",)
    if shape == () and not isinstance(value, (list, tuple)):
        item = check_probability(value.item() if isinstance(value, np.ndarray) else value, name)
        out[used] = item
        return out
    if len(shape) != 2:
        raise ValueError(
            f"{name} must be a scalar or an ({M}, {M}) matrix indexed like B "
            f"(eps[m, k] for the link bringing g_k to client m), got shape {shape}")
    rows = value.tolist() if isinstance(value, np.ndarray) else [list(r) for r in value]
    if len(rows) != M or any(len(r) != M for r in rows):
        raise ValueError(
            f"{name} must be a scalar or an ({M}, {M}) matrix indexed like B "
            f"(eps[m, k] for the link bringing g_k to client m), got shape {np.shape(value)}"
        )
    for m, k in zip(*np.nonzero(used), strict=True):
        out[m, k] = check_probability(rows[m][k], f"{name}[{m}, {k}]")
    return out


def _to_float(x: Any, name: str) -> float:
    if is_symbolic(x):
        raise ValueError(
            f"{name} is symbolic ({x}); substitute numbers first with net.subs({{symbol: value}})"
        )
    return float(x)


class CooperativeNetwork:
    r"""A GC matrix ``B`` with uplink and client-link erasure probabilities.

    Parameters
    ----------
    B : array_like (M, M) or sympy.Matrix
        The GC matrix. A sympy matrix of rationals is kept as :attr:`B_exact` for exact
        decoding; :attr:`B` is always its float copy.
    uplink_erasure : float, sympy.Expr or sequence of length M
        :math:`p_m`, probability that client :math:`m`'s upload is lost.
    link_erasure : float, sympy.Expr or (M, M) array_like
        :math:`\varepsilon_{mk}`, probability that :math:`g_k` fails to reach client
        :math:`m`; read only where :math:`k\in N_m` (other entries are ignored).
    reciprocal : bool
        One channel draw per client pair: :math:`\tau_{mk}=\tau_{km}`. Requires
        :math:`\varepsilon_{mk}=\varepsilon_{km}` wherever both links are used.
    memory : GilbertElliott or None
        Correlation of each link across rounds (marginals unchanged). ``None``: fresh draws.

    Raises
    ------
    ValueError, TypeError
        For a non-square or non-finite ``B``, a probability outside [0, 1] or NaN, or a
        vector/matrix of the wrong size; the message names the argument.

    Examples
    --------
    Four clients on a ring (:math:`s=1`): client :math:`m` contributes to standard decoding with
    probability :math:`\pi_m=(1-p)(1-\varepsilon)=0.9\cdot0.8`:

    >>> import cogc_theory as ct
    >>> B = ct.codes.cyclic_repetition(4, 1, seed=0)
    >>> net = ct.CooperativeNetwork(B, uplink_erasure=0.1, link_erasure=0.2)
    >>> net
    CooperativeNetwork(M=4, links=4, numeric)
    >>> net.success_probabilities()
    array([0.72, 0.72, 0.72, 0.72])
    >>> set(net.graph.successors(1)) == {0, "PS"}   # g_1 goes to client 0, and the uplink
    True
    >>> import sympy as sp
    >>> p, e = sp.symbols("p epsilon")
    >>> sorted(ct.CooperativeNetwork(B, uplink_erasure=p, link_erasure=e).symbols, key=str)
    [epsilon, p]
    """

    def __init__(self, B: Any, uplink_erasure: Any, link_erasure: Any, *,
                 reciprocal: bool = False, memory: GilbertElliott | None = None) -> None:
        self.B_exact: sp.ImmutableMatrix | None = None
        """The exact rational ``B`` when one was given (a sympy matrix of rationals)."""
        if isinstance(B, sp.MatrixBase) and all(x.is_Rational for x in B):
            self.B_exact = sp.ImmutableMatrix(B)
        self.s: int | None = None
        """Straggler tolerance of ``B`` when the network was built from a named code."""
        self.threshold: int | None = None
        """``t`` when the code's construction guarantees (by a theorem, not by rank tests)
        that exactly the client sets of size ``>= t`` decode; ``None``: not known, verified
        where needed (:func:`cogc_theory.outage.decodable_family`)."""
        self.generic: bool = False
        """True when the code's construction guarantees (by the theorem of
        :mod:`cogc_theory.codes`, with probability 1) that GC+ decisions depend only on the
        client-state pattern, so pattern-only routes (the ring automaton) apply."""
        self.construction: str | None = None
        """The cyclic construction the network was built with (``None`` otherwise)."""
        B_float = check_square_matrix(B, "B")
        B_float.setflags(write=False)
        self.B: np.ndarray = B_float
        self.M: int = B_float.shape[0]
        support = B_float != 0
        support.setflags(write=False)
        self.support: np.ndarray = support
        used = support.copy()
        np.fill_diagonal(used, False)
        used.setflags(write=False)
        self.link_used: np.ndarray = used
        """Bool (M, M): ``link_used[m, k]`` iff ``k`` is in ``N_m``."""
        if not np.all(np.diag(support)):
            missing = [int(m) for m in np.nonzero(~np.diag(support))[0]]
            raise ValueError(
                f"B must have a nonzero diagonal (client m always uses its own gradient); "
                f"rows {missing} have B[m, m] == 0"
            )
        self.p: np.ndarray = _as_object_vector(uplink_erasure, "uplink_erasure", self.M)
        self.eps: np.ndarray = _as_object_matrix(link_erasure, "link_erasure", used)
        if not isinstance(reciprocal, bool):
            raise TypeError(f"reciprocal must be True or False, got {reciprocal!r}")
        self.reciprocal = reciprocal
        if reciprocal:
            both = used & used.T
            for m, k in zip(*np.nonzero(both), strict=True):
                diff = sp.sympify(self.eps[m, k]) - sp.sympify(self.eps[k, m])
                if m < k and sp.simplify(diff) != 0:
                    raise ValueError(
                        f"link_erasure must be symmetric for reciprocal links: "
                        f"eps[{m}, {k}]={self.eps[m, k]} != eps[{k}, {m}]={self.eps[k, m]}"
                    )
        if memory is not None and not isinstance(memory, GilbertElliott):
            raise TypeError(f"memory must be a GilbertElliott instance or None, got {memory!r}")
        self.memory = memory
        if memory is not None and not self.is_symbolic:
            p, eps = self.numeric()
            memory.transitions(np.concatenate([p, eps[used]]))

    # ------------------------------------------------------------------ constructors
    @classmethod
    def cyclic(cls, M: int, s: int, *, uplink_erasure: Any, link_erasure: Any, seed: int = 0,
               exact: bool = False, construction: str = "auto",
               **kwargs: Any) -> CooperativeNetwork:
        """Network on the cyclic-repetition code ``codes.cyclic_repetition(M, s, seed, exact,
        construction)``.

        ``construction="auto"`` (default) is ``"optimized"`` for ``M <= 100`` and
        ``"generic"`` (:func:`cogc_theory.codes.generic_cyclic_code`, any ``M`` up to 10,000)
        above. When the construction is covered by the threshold theorem
        (:func:`cogc_theory.codes.covered_by_theorem`: the float constructions
        ``"optimized"``, ``"orthonormal"``, ``"gaussian"``, ``"generic"``; not exact codes,
        not ``"circulant"``), :attr:`threshold` is set to ``M - s`` and :attr:`generic` to
        True, so the exact outage routes need no rank test. Extra keyword arguments
        (``reciprocal``, ``memory``) go to the constructor.

        Examples
        --------
        >>> net = CooperativeNetwork.cyclic(200, 3, uplink_erasure=0.1, link_erasure=0.1)
        >>> net.construction, net.threshold, net.generic
        ('generic', 197, True)
        >>> CooperativeNetwork.cyclic(7, 2, uplink_erasure=0.1, link_erasure=0.1,
        ...                           construction="circulant").threshold is None
        True
        """
        from . import codes

        code = codes.cyclic_code(M, s, seed=seed, exact=exact, construction=construction)
        net = cls(code.B if exact else np.array(code.B), uplink_erasure, link_erasure, **kwargs)
        net.s = code.design_tolerance
        net.construction = code.construction
        if codes.covered_by_theorem(code.construction, exact=exact):
            net.threshold = code.M - code.design_tolerance
            net.generic = True
        return net

    @classmethod
    def fractional(cls, M: int, s: int, *, uplink_erasure: Any, link_erasure: Any,
                   **kwargs: Any) -> CooperativeNetwork:
        """Network on the fractional-repetition code ``codes.fractional_repetition(M, s)``."""
        from . import codes

        net = cls(codes.fractional_repetition(M, s), uplink_erasure, link_erasure, **kwargs)
        net.s = s
        return net

    @classmethod
    def from_graph(cls, G: nx.DiGraph, B: Any, **kwargs: Any) -> CooperativeNetwork:
        """Build the network from a cooperative graph and a GC matrix.

        ``G`` must have client nodes ``0..M-1`` and a node ``"PS"``; every edge that ``B``
        needs (``k -> m`` for ``k`` in ``N_m``, and ``m -> "PS"``) must exist and carry an
        ``erasure`` attribute. Edges that ``B`` does not use are ignored. ``reciprocal`` is
        read from ``G.graph`` unless given.
        """
        if not isinstance(G, nx.DiGraph):
            raise TypeError(f"G must be a networkx.DiGraph, got {type(G).__name__}")
        Bf = check_square_matrix(B, "B")
        M = Bf.shape[0]
        clients = set(range(M))
        nodes = set(G.nodes)
        if not clients <= nodes or PS not in nodes:
            raise ValueError(
                f"G must contain client nodes 0..{M - 1} (M from B) and a node {PS!r}; "
                f"missing {sorted(clients - nodes, key=str) + ([PS] if PS not in nodes else [])}"
            )
        extra = nodes - clients - {PS}
        if extra:
            raise ValueError(f"G has nodes {sorted(extra, key=str)} that are neither clients "
                             f"0..{M - 1} nor {PS!r}; B has only {M} rows")

        def erasure(u: Any, v: Any) -> Any:
            if not G.has_edge(u, v):
                raise ValueError(
                    f"G is missing edge {u} -> {v}, which B needs "
                    + (f"(B[{v}, {u}] != 0: client {v} combines g_{u})" if v != PS
                       else f"(client {u}'s uplink)")
                    + "; add it with an 'erasure' attribute"
                )
            data = G.edges[u, v]
            if "erasure" not in data:
                raise ValueError(f"edge {u} -> {v} of G has no 'erasure' attribute")
            return data["erasure"]

        p = [erasure(m, PS) for m in range(M)]
        eps = np.zeros((M, M), dtype=object)
        for m in range(M):
            for k in range(M):
                if k != m and Bf[m, k] != 0:
                    eps[m, k] = erasure(k, m)
        kwargs.setdefault("reciprocal", bool(G.graph.get("reciprocal", False)))
        return cls(B, p, eps, **kwargs)

    # ------------------------------------------------------------------ views
    @property
    def graph(self) -> nx.DiGraph:
        """The cooperative graph as a fresh :class:`networkx.DiGraph` (see module docstring)."""
        G = nx.DiGraph(reciprocal=self.reciprocal)
        G.add_nodes_from(range(self.M), kind="client")
        G.add_node(PS, kind="server")
        for m in range(self.M):
            for k in self.neighbors(m):
                G.add_edge(k, m, erasure=self.eps[m, k], weight=float(self.B[m, k]))
            G.add_edge(m, PS, erasure=self.p[m])
        return G

    def neighbors(self, m: int) -> tuple[int, ...]:
        """:math:`N_m`: the clients whose gradients client ``m`` must hear (sorted)."""
        m = check_int(m, "m", lo=0, hi=self.M - 1)
        return tuple(int(k) for k in np.nonzero(self.link_used[m])[0])

    @property
    def symbols(self) -> set[sp.Symbol]:
        """Free sympy symbols in the erasure probabilities."""
        out: set[sp.Symbol] = set()
        for x in list(self.p) + list(self.eps[self.link_used]):
            if isinstance(x, sp.Basic):
                out |= x.free_symbols
        return out

    @property
    def is_symbolic(self) -> bool:
        """True when some erasure probability has free symbols."""
        return bool(self.symbols)

    @property
    def is_homogeneous(self) -> bool:
        """True when all uplinks share one erasure value and all used client links another."""
        ps = {sp.sympify(x) for x in self.p}
        es = {sp.sympify(x) for x in self.eps[self.link_used]}
        return len(ps) == 1 and len(es) <= 1

    def numeric(self) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(p, eps)`` as float arrays ``(M,)`` and ``(M, M)`` (zeros off the links used).

        Raises ``ValueError`` if the network is symbolic (use :meth:`subs` first).
        """
        p = np.array([_to_float(x, f"uplink_erasure[{m}]") for m, x in enumerate(self.p)])
        eps = np.zeros((self.M, self.M))
        for m, k in zip(*np.nonzero(self.link_used), strict=True):
            eps[m, k] = _to_float(self.eps[m, k], f"link_erasure[{m}, {k}]")
        return p, eps

    def subs(self, values: dict[Any, Any]) -> CooperativeNetwork:
        """A copy with sympy symbols replaced, e.g. ``net.subs({p: 0.1, eps: 0.2})``.

        Substituted values are validated as probabilities (so a value that pushes an
        expression outside [0, 1] raises ``ValueError``).
        """
        def sub(x: Any) -> Any:
            if isinstance(x, sp.Basic):
                y = x.subs(values)
                if not y.free_symbols and not y.is_Rational:
                    y = float(y)
                return y
            return x

        p = [sub(x) for x in self.p]
        eps = np.zeros((self.M, self.M), dtype=object)
        for m, k in zip(*np.nonzero(self.link_used), strict=True):
            eps[m, k] = sub(self.eps[m, k])
        B = self.B_exact if self.B_exact is not None else self.B
        net = type(self)(B, p, eps, reciprocal=self.reciprocal, memory=self.memory)
        net.s, net.threshold = self.s, self.threshold
        net.generic, net.construction = self.generic, self.construction
        return net

    def with_erasures(self, *, uplink_erasure: Any = None,
                      link_erasure: Any = None) -> CooperativeNetwork:
        """A copy with new uplink and/or link erasure probabilities (same ``B`` and link model)."""
        B = self.B_exact if self.B_exact is not None else self.B
        p = self.p if uplink_erasure is None else uplink_erasure
        eps = self.eps if link_erasure is None else link_erasure
        net = type(self)(B, p, eps, reciprocal=self.reciprocal, memory=self.memory)
        net.s, net.threshold = self.s, self.threshold
        net.generic, net.construction = self.generic, self.construction
        return net

    def success_probabilities(self, *, symbolic: bool = False) -> np.ndarray:
        r""":math:`\pi_m = (1-p_m)\prod_{k\in N_m}(1-\varepsilon_{mk})` for every client.

        Returns a float array ``(M,)``, or an object array of sympy expressions with
        ``symbolic=True`` (always exact when the inputs are rationals or symbols).
        """
        if symbolic:
            out = np.empty(self.M, dtype=object)
            for m in range(self.M):
                term = 1 - sp.sympify(self.p[m])
                for k in self.neighbors(m):
                    term *= 1 - sp.sympify(self.eps[m, k])
                out[m] = term
            return out
        p, eps = self.numeric()
        return (1 - p) * np.prod(np.where(self.link_used, 1 - eps, 1.0), axis=1)

    def __repr__(self) -> str:
        kind = "symbolic" if self.is_symbolic else "numeric"
        extra = ", reciprocal" if self.reciprocal else ""
        extra += f", memory={self.memory}" if self.memory is not None else ""
        return (f"CooperativeNetwork(M={self.M}, links={int(self.link_used.sum())}, "
                f"{kind}{extra})")
