"""Test codes shared by the block-code tests (``test_blocks_mc``, ``test_block_subset``)."""

from __future__ import annotations

import numpy as np


def block_code(sizes, seed, integer=False):
    """A block-diagonal code: dense random blocks of the given sizes (entries of either sign,
    magnitudes in [0.5, 2], or integers 1..3 with ``integer``), each block's first row all
    ones (so its rows span the block's all-ones vector), clients permuted so that the blocks
    are not contiguous."""
    rng = np.random.default_rng(seed)
    M = sum(sizes)
    B = np.zeros((M, M))
    start = 0
    for b in sizes:
        mag = rng.integers(1, 4, (b, b)) if integer else rng.uniform(0.5, 2.0, (b, b))
        X = mag * rng.choice([-1.0, 1.0], (b, b))
        X[0] = 1.0
        B[start:start + b, start:start + b] = X
        start += b
    perm = rng.permutation(M)
    return B[np.ix_(perm, perm)]
