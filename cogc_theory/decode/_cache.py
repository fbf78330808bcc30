"""Decoded results cached per matrix: trials keyed by bit patterns (packed), looked up in a
dense table or sorted keys; thread safe (decoding runs outside the lock)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

__all__ = ["CACHES", "clear", "get_cache", "pack", "unpack"]

_DENSE_BITS = 16          # keys with at most this many bits use a dense table
_CACHE_BYTES = 64 << 20   # memory per matrix's cache before it is reset (about 64 MB)
_CACHE_MATRICES = 8       # matrices kept (least recently used dropped)


def pack(bits: np.ndarray) -> np.ndarray:
    """Pack bool rows (T, L) into 1-D keys: uint64 if L <= 64, else fixed-width void."""
    T, L = bits.shape
    packed = np.packbits(bits, axis=1, bitorder="little")
    nb = 8 * max(1, -(-packed.shape[1] // 8))
    if packed.shape[1] < nb:
        packed = np.concatenate([packed, np.zeros((T, nb - packed.shape[1]), np.uint8)], axis=1)
    packed = np.ascontiguousarray(packed)
    if nb == 8:
        return packed.view("<u8").ravel()
    return packed.view(f"V{nb}").ravel()


def unpack(keys: np.ndarray, L: int) -> np.ndarray:
    raw = np.ascontiguousarray(keys).view(np.uint8).reshape(keys.shape[0], -1)
    return np.unpackbits(raw, axis=1, bitorder="little", count=L).astype(bool)


def _find(keys: np.ndarray | None, uk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``uk`` in the sorted ``keys`` and whether each is there."""
    if keys is None or keys.size == 0:
        return np.zeros(uk.size, dtype=np.intp), np.zeros(uk.size, dtype=bool)
    pos = np.minimum(np.searchsorted(keys, uk), keys.size - 1)
    return pos, keys[pos] == uk


class _Cache:
    """Decoded results per key for one (matrix, mode, tolerances): dense table or sorted keys."""

    def __init__(self, L: int, M: int, trials: int) -> None:
        # a dense table of 2**L results only pays when a batch is large enough to fill it:
        # one-round calls on distinct matrices (a new cache each) would allocate it every time
        self.dense = L <= _DENSE_BITS and (1 << L) <= max(1024, 64 * trials)
        self.M = M
        self.keys: np.ndarray | None = None
        self.data: dict[str, np.ndarray] | None = None
        self.done: np.ndarray | None = np.zeros(1 << L, dtype=bool) if self.dense else None
        self.lock = threading.Lock()

    def _alloc(self, n: int, like: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {f: np.zeros((n,) + v.shape[1:], dtype=v.dtype) for f, v in like.items()}

    def lookup(self, keys: np.ndarray,
               compute: Callable[[np.ndarray], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        """Per-trial results for ``keys`` (T,), computing the unseen keys with ``compute``.

        ``compute`` runs outside the lock, so threads decoding different trials of one matrix
        work concurrently; a key two threads both miss is computed twice, with the same
        result (decoding is a deterministic function of the key), and stored once.
        """
        if self.dense:
            return self._lookup_dense(keys, compute)
        uk, inv = np.unique(keys, return_inverse=True)
        res = self._fetch(uk, compute)
        return {f: v[inv] for f, v in res.items()}

    def _lookup_dense(self, keys: np.ndarray,
                      compute: Callable[[np.ndarray], dict[str, np.ndarray]]
                      ) -> dict[str, np.ndarray]:
        idx = keys.astype(np.intp)
        seen = np.zeros(self.done.size, dtype=bool)
        seen[idx] = True
        with self.lock:
            need = np.flatnonzero(seen & ~self.done)
        if need.size:
            new = compute(need.astype(np.uint64))
            with self.lock:
                if self.data is None:
                    self.data = self._alloc(self.done.size, new)
                for f, v in new.items():
                    self.data[f][need] = v
                self.done[need] = True
        with self.lock:
            return {f: v[idx] for f, v in self.data.items()}

    def _fetch(self, uk: np.ndarray,
               compute: Callable[[np.ndarray], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        n = uk.size
        with self.lock:
            keys, data = self.keys, self.data              # a consistent snapshot
        pos, hit = _find(keys, uk)
        miss = np.flatnonzero(~hit)
        new = compute(uk[miss]) if miss.size else None
        like = new if new is not None else data
        out = self._alloc(n, like)
        for f in out:
            if hit.any():
                out[f][hit] = data[f][pos[hit]]
            if new is not None:
                out[f][miss] = new[f]
        if new is not None:
            with self.lock:
                self._store(uk[miss], new)
        return out

    def _store(self, mk: np.ndarray, new: dict[str, np.ndarray]) -> None:
        """Add sorted keys ``mk`` and their results (under the lock; skips the keys another
        thread stored meanwhile)."""
        fresh = ~_find(self.keys, mk)[1]
        if not fresh.all():
            mk = mk[fresh]
            new = {f: v[fresh] for f, v in new.items()}
        if mk.size == 0:
            return
        per_key = sum(v[:1].nbytes for v in new.values()) + mk.itemsize
        if self.keys is None or (self.keys.size + mk.size) * per_key > _CACHE_BYTES:
            self.keys, self.data = mk, new
        else:
            keys = np.concatenate([self.keys, mk])
            order = np.argsort(keys, kind="stable")
            self.keys = keys[order]
            self.data = {f: np.concatenate([self.data[f], new[f]])[order] for f in new}


CACHES: OrderedDict[tuple, _Cache] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def get_cache(key: tuple, L: int, M: int, trials: int) -> _Cache:
    with _CACHE_LOCK:
        cache = CACHES.get(key)
        if cache is None:
            cache = CACHES[key] = _Cache(L, M, trials)
            while len(CACHES) > _CACHE_MATRICES:
                CACHES.popitem(last=False)
        else:
            CACHES.move_to_end(key)
        return cache


def clear() -> None:
    """Forget every cached decoding."""
    with _CACHE_LOCK:
        CACHES.clear()
