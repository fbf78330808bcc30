"""Max-subset GC+ decoding of block codes, block by block (``decode._block_subset``)."""

from __future__ import annotations

import numpy as np
import pytest
from _codes import block_code

import cogc_theory as ct
from cogc_theory.decode._block_subset import block_max_subset, blocks_of
from cogc_theory.simulate.links import LinkModel


def rounds(B, n, p, eps, seed):
    net = ct.CooperativeNetwork(B, uplink_erasure=p, link_erasure=eps)
    d = LinkModel(net).to_draw(LinkModel(net).sample_channels(np.random.default_rng(seed),
                                                              (n,)))
    return d.effective(B), d.u


@pytest.mark.parametrize("B", [ct.codes.fractional_repetition(12, 2),
                               ct.codes.fractional_repetition(16, 3),
                               block_code((2, 3, 4, 5), 1, integer=True),
                               block_code((1, 1, 6, 6), 2, integer=True)],
                         ids=["frc12", "frc16", "random-2345", "random-1166"])
def test_blocks_give_the_global_enumeration(B):
    """At M <= 16 the enumeration over all columns is exact for every code: the block
    decoder must give the same K (and tie-break), full recovery and a valid certificate."""
    B = np.asarray(B, dtype=float)
    Bt, u = rounds(B, 300, 0.3, 0.3, 0)
    ref = ct.decode.gcplus(Bt, u, "max-subset")
    got = block_max_subset(B, Bt, u)
    np.testing.assert_array_equal(got.full, ref.full)
    np.testing.assert_array_equal(got.recovered, ref.recovered)
    assert 0 < got.full.sum() < len(got) and (got.size[~got.full] > 0).any()
    err = np.abs(np.einsum("tm,tmk->tk", got.weights, Bt) - got.target).max(axis=1)
    assert np.all(err <= 1e-8)
    np.testing.assert_array_equal(got.target, got.recovered.astype(float))


def test_exact_blocks_match_the_exact_enumeration():
    B = ct.codes.fractional_repetition(6, 1, exact=True)
    Bf = np.asarray(ct.codes.fractional_repetition(6, 1), dtype=float)
    Bt, u = rounds(Bf, 40, 0.4, 0.4, 3)
    Bt_exact = np.where(Bt != 0, np.asarray(B, dtype=object), 0)
    for t in range(40):
        ref = ct.decode.gcplus(Bt_exact[t], u[t], "max-subset")
        got = block_max_subset(B, Bt_exact[t], u[t])
        assert got.exact and got.full == ref.full
        np.testing.assert_array_equal(got.recovered, ref.recovered)
        assert np.all(got.weights @ Bt_exact[t] == got.target)


def test_large_block_code_through_gcplus_with_B():
    """M = 60: the enumeration refuses; gcplus(..., B=) decodes block by block, every block
    by enumeration, and the certificates verify."""
    B = np.asarray(ct.codes.fractional_repetition(60, 3), dtype=float)
    Bt, u = rounds(B, 200, 0.3, 0.3, 4)
    with pytest.raises(ValueError, match="max_candidates"):
        ct.decode.gcplus(Bt, u, "max-subset")
    r = ct.decode.gcplus(Bt, u, "max-subset", B=B)
    err = np.abs(np.einsum("tm,tmk->tk", r.weights, Bt) - r.target).max(axis=1)
    assert np.all(err <= 1e-8)
    # a block with a complete arrived row is recovered whole (that row is its indicator)
    parts = r.recovered.reshape(200, 15, 4).all(axis=2)
    complete = ((Bt == B).all(axis=2) & u).reshape(200, 15, 4).any(axis=2)
    assert np.all(parts | ~complete) and (parts & ~complete).any()


def test_bt_outside_the_blocks_is_refused():
    B = np.asarray(ct.codes.fractional_repetition(20, 1), dtype=float)
    Bt = B.copy()
    Bt[0, 5] = 1.0
    with pytest.raises(ValueError, match="outside the blocks"):
        block_max_subset(B, Bt, np.ones(20, dtype=bool))
    assert [b.size for b in blocks_of(B)] == [2] * 10


def test_training_gcplus_on_fractional_repetition_beyond_the_enumeration():
    net = ct.CooperativeNetwork.fractional(30, 2, uplink_erasure=0.2, link_erasure=0.2)
    run = ct.simulate.train(net, problem="digits", scheme="gcplus", rounds=5, trials=2,
                            seed=0)
    assert run.loss.shape == (2, 6) and np.all(np.isfinite(run.loss))


def test_training_names_the_schemes_that_work_when_max_subset_refuses():
    """A user-built cyclic B (no construction known, so no structural max-subset) at M = 30:
    the enumeration refuses; train says which schemes work."""
    B = ct.codes.cyclic_repetition(30, 2, seed=0)
    net = ct.CooperativeNetwork(B, uplink_erasure=0.3, link_erasure=0.3)
    with pytest.raises(ValueError, match="scheme='gcplus-individual'"):
        ct.simulate.train(net, problem="digits", scheme="gcplus", rounds=5, trials=2, seed=0)
    run = ct.simulate.train(net, problem="digits", scheme="gcplus-individual", rounds=5,
                            trials=2, seed=0)
    assert np.all(np.isfinite(run.loss))


def test_large_blocks_enumerate_first():
    """Fractional repetition with blocks of 20 (> max_candidates, not banded): each block
    is enumerated with its screens (as without B=); training runs."""
    net = ct.CooperativeNetwork.fractional(40, 19, uplink_erasure=0.1, link_erasure=0.05)
    B = np.asarray(net.B)
    Bt, u = rounds(B, 50, 0.1, 0.05, 6)
    ref = ct.decode.gcplus(Bt, u, "max-subset")          # the screens settle these rounds
    got = ct.decode.gcplus(Bt, u, "max-subset", B=B)
    np.testing.assert_array_equal(got.recovered, ref.recovered)
    run = ct.simulate.train(net, problem="least-squares", scheme="gcplus", rounds=5,
                            trials=2, seed=0)
    assert np.all(np.isfinite(run.loss))


def test_outage_monte_carlo_with_max_subset_extras_on_a_large_block_code():
    net = ct.CooperativeNetwork.fractional(30, 2, uplink_erasure=0.2, link_erasure=0.2)
    est = ct.simulate.outage(net, "gcplus", rule="max-subset", trials=2000, seed=1)
    assert 0 < est.failures < est.trials and 0 < est.mean("recovered_size") < 30
