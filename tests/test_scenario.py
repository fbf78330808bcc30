"""The one path from scenario parameters to a network (cogc_theory/scenario.py).

Expected success probabilities come from the closed form
:math:`\\pi_m = (1-p_m)\\prod_{k\\in N_m}(1-\\varepsilon_{mk})` with the neighbourhoods of the
code (cyclic: :math:`N_m = \\{m+1, \\dots, m+s\\}` mod M), computed here by hand.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp
from cogc_theory.validation.campaigns import CampaignScenario

import cogc_theory as ct
from cogc_theory.config import Scenario
from cogc_theory.scenario import NetworkSpec
from cogc_theory.sweep import network_from_point


def test_aliases_and_fields_give_the_same_spec():
    a = NetworkSpec.from_mapping({"M": 5, "s": 2, "p": 0.1, "eps": 0.25}, name="point")
    b = NetworkSpec.from_mapping({"M": 5, "s": 2, "uplink_erasure": 0.1, "link_erasure": 0.25})
    assert a == b == NetworkSpec(5, 2, uplink_erasure=0.1, link_erasure=0.25)
    assert hash(a) == hash(b)                       # frozen, no mutable field
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.M = 6


def test_every_caller_builds_the_same_network():
    """config.Scenario, a sweep point and a campaign scenario describe one network the same
    way; its success probabilities are the closed form (cyclic, M = 5, s = 2: two neighbours)."""
    p, eps = 0.1, 0.25
    nets = [Scenario(M=5, s=2, p=p, eps=eps).network(),
            network_from_point({"M": 5, "s": 2, "p": p, "eps": eps}),
            NetworkSpec(5, 2, uplink_erasure=p, link_erasure=eps).network()]
    for net in nets:
        assert net.M == 5 and net.s == 2
        assert [net.neighbors(m) for m in range(5)] == [
            tuple(sorted(((m + 1) % 5, (m + 2) % 5))) for m in range(5)]
        np.testing.assert_allclose(net.success_probabilities(), (1 - p) * (1 - eps) ** 2,
                                   rtol=1e-15)           # a product of three floats
        np.testing.assert_array_equal(net.B, nets[0].B)   # same construction, same code path
    camp = CampaignScenario("cyclic", 4, 1, p=0.1, eps=0.15).network()
    spec = NetworkSpec(4, 1, uplink_erasure=0.1, link_erasure=0.15, exact=True).network()
    assert camp.B_exact == spec.B_exact and camp.B_exact is not None


def test_per_client_erasures_are_tuples_and_reach_the_network():
    q = [0, 0.1, 0.2, 0.3, 0.4, 0.5]
    spec = NetworkSpec.from_mapping({"M": 6, "s": 2, "code": "fractional", "p": q,
                                     "eps": 0.5, "trials": 7}, name="point")
    assert spec.uplink_erasure == tuple(q) and spec.code == "fractional"
    np.testing.assert_allclose(spec.network().success_probabilities(),
                               [(1 - x) * 0.25 for x in q], rtol=1e-15)
    eps = np.full((3, 3), 0.2)
    assert NetworkSpec(3, 1, link_erasure=eps).link_erasure == ((0.2,) * 3,) * 3


def test_each_caller_keeps_its_own_defaults():
    """A sweep point without erasures is lossless; a CLI scenario defaults to 0.1 each."""
    assert np.all(network_from_point({"M": 4, "s": 1}).success_probabilities() == 1.0)
    np.testing.assert_allclose(Scenario(M=4, s=1).network().success_probabilities(),
                               0.9 * 0.9, rtol=1e-15)


def test_cyclic_options_reach_the_code():
    B = NetworkSpec(5, 2, code_seed=3, construction="gaussian").network().B
    np.testing.assert_array_equal(B, ct.codes.cyclic_repetition(5, 2, seed=3,
                                                                construction="gaussian"))
    assert NetworkSpec(4, 1, exact=True).network().B_exact is not None
    net = NetworkSpec(4, 1, reciprocal=True, link_erasure=0.1).network()
    assert net.reciprocal


def test_symbolic_erasures_are_kept():
    p, e = sp.symbols("p epsilon")
    net = NetworkSpec(4, 1, uplink_erasure=p, link_erasure=e).network()
    assert net.is_symbolic
    assert sp.simplify(net.success_probabilities(symbolic=True)[0] - (1 - p) * (1 - e)) == 0


@pytest.mark.parametrize("point, exc, match", [
    ({"s": 1}, ValueError, "must give the number of clients 'M'"),
    ({"M": 4, "s": 4}, ValueError, r"^point\['s'\] must be <= 3, got 4$"),
    ({"M": 4, "s": 1, "p": 1.5}, ValueError,
     r"point\['p'\] \(uplink_erasure\) must be a probability in \[0, 1\]"),
    ({"M": 4, "s": 1, "uplink_erasure": [0.1, 0.2]}, ValueError,
     r"point\['uplink_erasure'\] must be a probability or a list of M = 4 values"),
    ({"M": 4, "s": 1, "eps": [[0.1] * 4] * 3}, ValueError, r"point\['eps'\] \(link_erasure\)"),
    ({"M": 4, "s": 1, "code": "mds"}, ValueError, r"point\['code'\] must be one of"),
    ({"M": 5, "s": 1, "code": "fractional"}, ValueError, "needs s\\+1 to divide M"),
    ({"M": 4, "s": 1, "exact": "yes"}, TypeError, r"point\['exact'\] must be true or false"),
    ({"M": 4, "s": 1, "construction": ""}, TypeError, "non-empty string"),
    ({"M": 4.0, "s": 1}, TypeError, r"point\['M'\] must be an integer"),
    # accepted as a spec, refused by the code constructions later (found by the fuzz test)
    ({"M": 1, "s": 0}, ValueError, r"^point\['M'\] must be >= 2, got 1$"),
    ({"M": 4, "s": 1, "p": 0.1, "uplink_erasure": 0.1}, ValueError,
     "both 'uplink_erasure' and its alias 'p'"),
])
def test_bad_parameters_are_refused_naming_the_key(point, exc, match):
    with pytest.raises(exc, match=match):
        NetworkSpec.from_mapping(point, name="point")


def test_direct_construction_names_the_field():
    with pytest.raises(ValueError, match=r"^link_erasure must be a probability in \[0, 1\]"):
        NetworkSpec(4, 1, link_erasure=-0.1)
    with pytest.raises(TypeError, match="mapping of network parameters"):
        NetworkSpec.from_mapping([("M", 4)])
