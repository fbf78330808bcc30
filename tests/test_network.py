"""Tests of the cooperative-network model (cogc_theory/network.py)."""

from __future__ import annotations

import itertools
from fractions import Fraction

import networkx as nx
import numpy as np
import pytest
import sympy as sp

import cogc_theory as ct
from cogc_theory.network import PS, GilbertElliott

# Tandon et al. (2017), n = 3, s = 1: N_0 = {1}, N_1 = {2}, N_2 = {0}
TANDON = np.array([[0.5, 1.0, 0.0], [0.0, 1.0, -1.0], [0.5, 0.0, 1.0]])


def ring_support(M: int, s: int) -> np.ndarray:
    """A matrix with the cyclic support {m, ..., m+s} (values irrelevant for the model)."""
    B = np.zeros((M, M))
    for m in range(M):
        for j in range(s + 1):
            B[m, (m + j) % M] = 1.0 + j
    return B


def test_neighbors_are_the_off_diagonal_support():
    B = ring_support(6, 2)
    net = ct.CooperativeNetwork(B, uplink_erasure=0.1, link_erasure=0.2)
    for m in range(6):
        assert net.neighbors(m) == tuple(sorted({(m + 1) % 6, (m + 2) % 6}))
    assert net.link_used.sum() == 12


def test_success_probability_equals_enumeration_of_the_clients_links():
    """pi_m equals P(uplink and every needed link succeed), by enumerating all link patterns."""
    rng = np.random.default_rng(1)
    M = 4
    B = ring_support(M, 2)
    p = [Fraction(int(x), 20) for x in rng.integers(0, 20, M)]
    eps = [[Fraction(int(x), 20) for x in row] for row in rng.integers(0, 20, (M, M))]
    net = ct.CooperativeNetwork(B, uplink_erasure=p, link_erasure=eps)
    pis = net.success_probabilities(symbolic=True)
    for m in range(M):
        links = [(m, k) for k in range(M) if k != m and B[m, k] != 0]
        total = Fraction(0)
        for pattern in itertools.product([0, 1], repeat=len(links) + 1):
            prob = Fraction(1)
            for (mm, k), ok in zip(links, pattern[:-1], strict=True):
                prob *= (1 - eps[mm][k]) if ok else eps[mm][k]
            prob *= (1 - p[m]) if pattern[-1] else p[m]
            if all(pattern):
                total += prob
        assert sp.Rational(total.numerator, total.denominator) == pis[m]
    assert np.allclose(net.success_probabilities(), [float(x) for x in pis], rtol=1e-15)


def test_graph_round_trip_preserves_erasures_and_reciprocity():
    rng = np.random.default_rng(2)
    B = ring_support(5, 2)
    p = rng.uniform(0, 1, 5)
    eps = rng.uniform(0, 1, (5, 5))
    net = ct.CooperativeNetwork(B, uplink_erasure=p, link_erasure=eps)
    G = net.graph
    assert isinstance(G, nx.DiGraph)
    assert set(G.nodes) == set(range(5)) | {PS}
    assert G.number_of_edges() == 5 + 10
    for m in range(5):
        assert G.edges[m, PS]["erasure"] == p[m]
        for k in net.neighbors(m):
            assert G.edges[k, m]["erasure"] == eps[m, k]
    back = ct.CooperativeNetwork.from_graph(G, B)
    # the probabilities are stored on the edges and read back, no arithmetic: exact
    assert np.array_equal(back.numeric()[0], net.numeric()[0])
    assert np.array_equal(back.numeric()[1], net.numeric()[1])
    assert np.array_equal(back.B, net.B)


def test_from_graph_ignores_unused_edges():
    B = ring_support(4, 1)
    G = ct.CooperativeNetwork(B, 0.1, 0.2).graph
    G.add_edge(0, 2, erasure=0.9)  # client 2 does not combine g_0
    net = ct.CooperativeNetwork.from_graph(G, B)
    assert net.neighbors(2) == (3,)


def test_symbolic_homogeneous_success_probability():
    p, e = sp.symbols("p epsilon")
    net = ct.CooperativeNetwork(ring_support(5, 2), uplink_erasure=p, link_erasure=e)
    assert net.is_symbolic and net.is_homogeneous and net.symbols == {p, e}
    for pi in net.success_probabilities(symbolic=True):
        assert sp.expand(pi - (1 - p) * (1 - e) ** 2) == 0
    with pytest.raises(ValueError, match="symbolic"):
        net.numeric()
    num = net.subs({p: sp.Rational(1, 10), e: sp.Rational(1, 5)})
    assert not num.is_symbolic
    assert num.success_probabilities(symbolic=True)[0] == sp.Rational(9, 10) * sp.Rational(16, 25)


def test_substituting_a_value_outside_the_unit_interval_is_rejected():
    x = sp.Symbol("x")
    net = ct.CooperativeNetwork(TANDON, uplink_erasure=2 * x, link_erasure=0.1)
    with pytest.raises(ValueError, match=r"uplink_erasure\[0\]"):
        net.subs({x: 0.75})


def test_heterogeneous_network_is_not_homogeneous():
    net = ct.CooperativeNetwork(TANDON, uplink_erasure=[0.1, 0.2, 0.1], link_erasure=0.3)
    assert not net.is_homogeneous


def test_exact_B_is_kept():
    B = sp.Matrix(TANDON.tolist()).applyfunc(sp.nsimplify)
    net = ct.CooperativeNetwork(B, 0, 0)
    assert net.B_exact == B
    assert net.B.dtype == float


def test_gilbert_elliott_keeps_the_marginal_erasure():
    """The stationary law of the two-state chain puts mass eps on the bad state."""
    ge = GilbertElliott(mean_burst=3.0)
    eps = np.array([0.0, 0.05, 0.3, 0.7])
    g2b, b2g = ge.transitions(eps)
    for e, a, b in zip(eps, g2b, b2g, strict=True):
        P = np.array([[1 - a, a], [b, 1 - b]])  # rows: from good, from bad
        w, v = np.linalg.eig(P.T)
        stat = np.real(v[:, np.argmin(abs(w - 1))])
        stat /= stat.sum()
        assert stat[1] == pytest.approx(e, abs=1e-12)
    assert b2g[1] == pytest.approx(1 / 3)


def test_gilbert_elliott_rejects_a_burst_too_short_for_the_erasure():
    with pytest.raises(ValueError, match="mean_burst"):
        GilbertElliott(mean_burst=1.0).transitions(np.array([0.9]))
    with pytest.raises(ValueError, match="mean_burst"):
        ct.CooperativeNetwork(TANDON, 0.9, 0.1, memory=GilbertElliott(1.0))
    with pytest.raises(ValueError, match="mean_burst"):
        GilbertElliott(0.5)


def test_reciprocal_links_need_symmetric_erasures():
    B = ring_support(4, 1) + ring_support(4, 1).T  # symmetric support
    eps = np.full((4, 4), 0.1)
    net = ct.CooperativeNetwork(B, 0.1, eps, reciprocal=True)
    assert net.reciprocal and net.graph.graph["reciprocal"]
    eps[0, 1] = 0.3
    with pytest.raises(ValueError, match="symmetric"):
        ct.CooperativeNetwork(B, 0.1, eps, reciprocal=True)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"uplink_erasure": 1.5}, "uplink_erasure"),
        ({"uplink_erasure": -0.1}, "uplink_erasure"),
        ({"uplink_erasure": float("nan")}, "uplink_erasure"),
        ({"uplink_erasure": [0.1, 0.2]}, "uplink_erasure"),
        ({"link_erasure": float("inf")}, "link_erasure"),
        ({"link_erasure": np.full((2, 2), 0.1)}, "link_erasure"),
        ({"link_erasure": [0.2, 0.2, 0.2]}, r"link_erasure must be a scalar or an \(3, 3\)"),
        ({"link_erasure": [[0.1, 0.1], [0.1], [0.2]]}, "link_erasure must be a scalar"),
        ({"link_erasure": np.full((3, 3), 1.2)}, r"link_erasure\[0, 1\]"),
        ({"B": np.ones((2, 3))}, "square"),
        ({"B": [[1.0, np.nan], [0.0, 1.0]]}, "finite"),
        ({"B": [[0.0, 1.0], [1.0, 1.0]]}, "diagonal"),
        ({"uplink_erasure": "0.1"}, "uplink_erasure"),
        ({"uplink_erasure": True}, "uplink_erasure"),
        ({"reciprocal": 1}, "reciprocal"),
        ({"memory": 3}, "memory"),
    ],
)
def test_bad_input_names_the_argument(kwargs, match):
    args = {"B": TANDON, "uplink_erasure": 0.1, "link_erasure": 0.2}
    args.update(kwargs)
    B = args.pop("B")
    with pytest.raises((ValueError, TypeError), match=match):
        ct.CooperativeNetwork(B, **args)


def test_graph_missing_a_needed_edge_is_rejected():
    G = ct.CooperativeNetwork(TANDON, 0.1, 0.2).graph
    G.remove_edge(2, 1)  # client 1 needs g_2
    with pytest.raises(ValueError, match="missing edge 2 -> 1"):
        ct.CooperativeNetwork.from_graph(G, TANDON)
    G = ct.CooperativeNetwork(TANDON, 0.1, 0.2).graph
    G.remove_edge(0, PS)
    with pytest.raises(ValueError, match="missing edge 0 -> PS"):
        ct.CooperativeNetwork.from_graph(G, TANDON)
    G = ct.CooperativeNetwork(TANDON, 0.1, 0.2).graph
    del G.edges[1, 0]["erasure"]
    with pytest.raises(ValueError, match="erasure"):
        ct.CooperativeNetwork.from_graph(G, TANDON)
    with pytest.raises(TypeError, match="DiGraph"):
        ct.CooperativeNetwork.from_graph(nx.Graph(), TANDON)
    G = ct.CooperativeNetwork(TANDON, 0.1, 0.2).graph
    G.add_node(7)
    with pytest.raises(ValueError, match="neither clients"):
        ct.CooperativeNetwork.from_graph(G, TANDON)


def test_neighbors_index_is_checked():
    net = ct.CooperativeNetwork(TANDON, 0.1, 0.2)
    with pytest.raises(ValueError, match="m must be <= 2"):
        net.neighbors(3)


def test_complex_symbolic_erasures_are_refused():
    """p + 1j used to give a complex polynomial; an expression that is real for real symbols
    (1 - p) is kept, to be checked in [0, 1] when numbers are substituted."""
    p = sp.Symbol("p")
    for bad in (p + 1j, sp.I * p):
        with pytest.raises(ValueError, match="uplink_erasure must be a real expression"):
            ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=bad, link_erasure=0.1)
        with pytest.raises(ValueError, match="link_erasure.*real expression"):
            ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=bad)
    net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=1 - p, link_erasure=p / 2)
    assert net.is_symbolic
