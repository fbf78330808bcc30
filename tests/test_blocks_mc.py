"""The blocks route of GC+ Monte Carlo (``simulate._blocks``): the SVD engine's rule computed
block by block must give the decoder's decisions and extras, trial by trial."""

from __future__ import annotations

import numpy as np
import pytest
from _codes import block_code
from hypothesis import given, settings
from hypothesis import strategies as st

import cogc_theory as ct
from cogc_theory.simulate._blocks import BlockDecider
from cogc_theory.simulate._fastmc import FastOutageSystem
from cogc_theory.simulate.links import LinkModel
from cogc_theory.simulate.outage_mc import OutageSystem


def dense_reference(net, ok, rule):
    """``decode.gcplus`` on the whole effective matrices (the decoder itself)."""
    d = LinkModel(net).to_draw(ok)
    return ct.decode.gcplus(d.effective(net.B), d.u, rule=rule)


@pytest.mark.parametrize("rule", ["individual", "least-squares", "max-subset"])
@pytest.mark.parametrize("net_args", [
    ("fractional", 12, 2, 0.2, 0.2), ("fractional", 20, 3, 0.1, 0.3),
    ("random", (2, 3, 3, 5), 0, 0.15, 0.25), ("reciprocal", 12, 2, 0.2, 0.2)],
    ids=lambda a: f"{a[0]}-{a[1]}")
def test_blocks_route_is_the_decoder(net_args, rule):
    kind, size, s, p, eps = net_args
    if kind == "random":
        net = ct.CooperativeNetwork(block_code(size, 3), uplink_erasure=p, link_erasure=eps)
    else:
        net = ct.CooperativeNetwork.fractional(size, s, uplink_erasure=p, link_erasure=eps,
                                               reciprocal=kind == "reciprocal")
    fast = FastOutageSystem(net, "gcplus", rule)
    assert fast.route == "blocks"
    assert OutageSystem(net, "gcplus", rule).route == "blocks"
    ok = fast.model.sample_channels(np.random.default_rng(5), (1500,))
    try:
        ref = dense_reference(net, ok, rule)
    except ValueError as exc:                             # max-subset beyond its limit:
        assert rule == "max-subset" and "max_candidates" in str(exc)
        d = LinkModel(net).to_draw(ok)                    # the block decoder (B=) decides
        ref = ct.decode.gcplus(d.effective(net.B), d.u, rule=rule, B=net.B)
    fail, extras = fast.failures(ok)
    np.testing.assert_array_equal(fail, ~ref.full)
    np.testing.assert_array_equal(extras["recovered_size"], ref.size)
    np.testing.assert_array_equal(extras["total_outage"], ref.outage)
    assert 0 < fail.sum() < fail.size                    # the sample mixes both outcomes
    if rule != "max-subset":
        r = fast._blocks.decide(ok, rule)
        assert r["settled"].mean() > 0.99                 # the route does the work


def test_blocks_are_the_components():
    net = ct.CooperativeNetwork(block_code((2, 3, 3, 5), 1), uplink_erasure=0.1,
                                link_erasure=0.1)
    dec = BlockDecider(np.asarray(net.B), LinkModel(net))
    assert dec.applies
    assert [g.shape for g in dec.idx] == [(1, 2), (2, 3), (1, 5)]
    seen = np.sort(np.concatenate([g.ravel() for g in dec.idx]))
    np.testing.assert_array_equal(seen, np.arange(13))
    one = ct.CooperativeNetwork.cyclic(8, 2, uplink_erasure=0.1, link_erasure=0.1)
    assert not BlockDecider(np.asarray(one.B), LinkModel(one)).applies


def test_unclear_rounds_are_left_to_the_decoder():
    """A block whose second singular value sits at the rank threshold (rtol sigma_1): the
    decider must not settle rounds where it is present, and the system still gives the
    decoder's answer."""
    B = np.zeros((4, 4))
    B[:2, :2] = [[1.0, 1.0], [1.0, 1.0 + 2e-10]]         # sigma_2 ~ 1e-10 * sigma_1
    B[2:, 2:] = [[1.0, 0.5], [0.5, 1.0]]
    net = ct.CooperativeNetwork(B, uplink_erasure=0.1, link_erasure=0.1)
    dec = BlockDecider(B, LinkModel(net))
    ok = np.ones((1, LinkModel(net).C), dtype=bool)
    assert not dec.decide(ok, "individual")["settled"][0]
    fast = FastOutageSystem(net, "gcplus")
    ok = fast.model.sample_channels(np.random.default_rng(0), (300,))
    fail, extras = fast.failures(ok)
    ref = dense_reference(net, ok, "individual")
    np.testing.assert_array_equal(fail, ~ref.full)
    np.testing.assert_array_equal(extras["recovered_size"], ref.size)


def test_simulate_outage_by_blocks_ignores_batch_size():
    net = ct.CooperativeNetwork.fractional(30, 2, uplink_erasure=0.1, link_erasure=0.1)
    kw = dict(trials=6000, seed=4, chunk=1000)
    a, b = (ct.simulate.outage(net, "gcplus", batch_size=k, **kw) for k in (1, 3))
    assert a.failures == b.failures and a.mean("recovered_size") == b.mean("recovered_size")
    assert 0 < a.failures < a.trials


def test_slices_of_rounds_give_the_same_decisions(monkeypatch):
    import cogc_theory.simulate._blocks as bl

    net = ct.CooperativeNetwork.fractional(12, 2, uplink_erasure=0.2, link_erasure=0.2)
    dec = BlockDecider(np.asarray(net.B), LinkModel(net))
    ok = LinkModel(net).sample_channels(np.random.default_rng(1), (500,))
    whole = dec.decide(ok, "least-squares")
    monkeypatch.setattr(bl, "BLOCK_FLOATS", 12 * 3 * 37)          # slices of 37 rounds
    sliced = dec.decide(ok, "least-squares")
    for k in whole:
        np.testing.assert_array_equal(whole[k], sliced[k])


def test_standard_decoding_of_a_large_block_code_goes_by_blocks():
    """Fractional repetition at M = 200, s = 4: the left null space has dimension 160, beyond
    the erased-rows route (d <= 64), so standard decoding takes the blocks route; its
    decisions are decode.standard's."""
    from cogc_theory.simulate._erasures import MAX_D, ErasureDecider

    net = ct.CooperativeNetwork.fractional(200, 4, uplink_erasure=0.1, link_erasure=0.1)
    dec = ErasureDecider(np.asarray(net.B))
    assert dec.d == 160 > MAX_D and not dec.applies
    fast = FastOutageSystem(net, "standard")
    assert fast.route == "blocks"
    ok = fast.model.sample_channels(np.random.default_rng(2), (200,))
    fail, extras = fast.failures(ok)
    d = fast.model.to_draw(ok)
    ref = ct.decode.standard(net.B, d.received)
    np.testing.assert_array_equal(fail, ~np.asarray(ref.full))
    assert extras == {} and 0 < fail.sum() < fail.size


@settings(max_examples=30, deadline=None)
@given(sizes=st.lists(st.integers(1, 4), min_size=2, max_size=5),
       seed=st.integers(0, 2**31 - 1), p=st.sampled_from([0.1, 0.3]),
       eps=st.sampled_from([0.1, 0.4]), near=st.booleans(),
       rule=st.sampled_from(["individual", "least-squares", "max-subset"]))
def test_random_block_codes_give_the_decoders_answers(sizes, seed, p, eps, near, rule):
    """Random block codes (some with a nearly dependent pair of rows, singular value ~1e-10
    relative, at the rank threshold): failures and |K| equal the decoder's, trial by trial,
    for GC+ and standard decoding (unclear rounds go to the decoder)."""
    B = block_code(sizes, seed)
    if near and max(sizes) >= 2:
        # two rows of one block (dense random blocks: same support) nearly dependent
        i = int(np.argmax((B != 0).sum(axis=1)))
        k = int(np.flatnonzero((B[i] != 0) & (np.arange(B.shape[0]) != i))[0])
        noise = np.random.default_rng(seed).standard_normal(B.shape[0]) * (B[i] != 0)
        B[k] = B[i] + 1e-10 * noise                      # sigma ~ 1e-10: at the threshold
    net = ct.CooperativeNetwork(B, uplink_erasure=p, link_erasure=eps)
    ok = LinkModel(net).sample_channels(np.random.default_rng(seed % 1000), (200,))
    for decoder in ("gcplus", "standard"):
        fast = FastOutageSystem(net, decoder, rule, route="blocks")
        d = fast.model.to_draw(ok)
        if decoder == "standard":
            ref = ct.decode.standard(net.B, d.received)
            np.testing.assert_array_equal(fast.failures(ok)[0], ~np.asarray(ref.full))
            continue
        try:
            ref = ct.decode.gcplus(d.effective(net.B), d.u, rule=rule)
        except ValueError:                                # max-subset beyond its limit
            continue
        fail, extras = fast.failures(ok)
        np.testing.assert_array_equal(fail, ~ref.full)
        np.testing.assert_array_equal(extras["recovered_size"], ref.size)
