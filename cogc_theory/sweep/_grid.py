"""Points and their keys (internal): JSON-clean values, stable point keys, unit seeds, grids."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

__all__ = ["dumps", "expand_grid", "jsonable", "point_key", "unit_seed"]


def jsonable(x: Any, where: str) -> Any:
    """Convert numpy values to plain Python and check that ``x`` is finite JSON (``where``
    names ``x`` in the errors)."""
    if isinstance(x, np.ndarray):
        x = x.tolist()
    elif isinstance(x, np.generic):
        x = x.item()
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ValueError(f"{where} is {x}; sweep values must be finite numbers")
        return x
    if isinstance(x, Mapping):
        out = {}
        for k, v in x.items():
            if not isinstance(k, str):
                raise TypeError(f"{where} has key {k!r}; keys must be strings")
            out[k] = jsonable(v, f"{where}[{k!r}]")
        return out
    if isinstance(x, (list, tuple)):
        return [jsonable(v, f"{where}[{i}]") for i, v in enumerate(x)]
    raise TypeError(
        f"{where} is a {type(x).__name__} ({x!r}); sweep values must be numbers, strings, "
        f"booleans, None, lists or dicts of them (or numpy arrays)"
    )


def dumps(obj: Any) -> str:
    """Canonical JSON: keys sorted, no spaces, no NaN."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def point_key(point: Mapping[str, Any]) -> str:
    """Stable identifier of a point: SHA-256 of its canonical JSON, 32 hex digits.

    Examples
    --------
    >>> point_key({"M": 10, "p": 0.1}) == point_key({"p": 0.1, "M": 10})
    True
    """
    text = dumps(jsonable(dict(point), "point"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def unit_seed(seed: int, point: Mapping[str, Any], chunk: int) -> np.random.SeedSequence:
    """The seed sequence of unit ``(point, chunk)`` in a sweep seeded with ``seed``.

    ``SeedSequence(entropy=seed, spawn_key=(int(point_key(point), 16), chunk))``.

    Examples
    --------
    >>> a = unit_seed(0, {"p": 0.1}, 3).generate_state(2)
    >>> b = unit_seed(0, {"p": 0.1}, 3).generate_state(2)
    >>> bool((a == b).all()), bool((a == unit_seed(0, {"p": 0.1}, 4).generate_state(2)).all())
    (True, False)
    """
    return np.random.SeedSequence(entropy=seed, spawn_key=(int(point_key(point), 16), chunk))


#: Most points a grid may have: a sweep runs at most ``MAX_UNITS`` (10**6) units and every
#: point has at least one (a grid of 10**9 points took minutes and gigabytes to expand).
MAX_POINTS = 1_000_000


def expand_grid(grid: Any) -> list[dict[str, Any]]:
    """Points of a grid: a list of dicts as given, or a dict of lists crossed as a product.

    In a dict, a value that is not a list or tuple is a fixed parameter; the product varies the
    last key fastest (as :func:`itertools.product`).

    Examples
    --------
    >>> expand_grid({"M": 10, "s": [1, 2], "p": [0.1, 0.2]})   # doctest: +NORMALIZE_WHITESPACE
    [{'M': 10, 's': 1, 'p': 0.1}, {'M': 10, 's': 1, 'p': 0.2},
     {'M': 10, 's': 2, 'p': 0.1}, {'M': 10, 's': 2, 'p': 0.2}]
    """
    if isinstance(grid, Mapping):
        if not grid:
            raise ValueError("grid is empty; give a dict of lists or a non-empty list of dicts")
        keys = list(grid)
        values = []
        for k in keys:
            v = grid[k]
            v = list(v) if isinstance(v, (list, tuple, np.ndarray)) else [v]
            if not v:
                raise ValueError(f"grid[{k!r}] is an empty list, so the grid has no points")
            values.append(v)
        n = math.prod(len(v) for v in values)
        if n > MAX_POINTS:
            raise ValueError(f"the grid has {n:,} points ({' x '.join(str(len(v)) for v in values)}"
                             f"), more than MAX_POINTS = {MAX_POINTS:,}; use fewer values")
        points = [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*values)]
    elif isinstance(grid, Iterable) and not isinstance(grid, (str, bytes)):
        points = list(itertools.islice(grid, MAX_POINTS + 1))     # an iterator may not end
        if len(points) > MAX_POINTS:
            raise ValueError(f"the grid has more than MAX_POINTS = {MAX_POINTS:,} points; use "
                             f"fewer")
        if not points:
            raise ValueError("grid is empty; give a dict of lists or a non-empty list of dicts")
        for i, pt in enumerate(points):
            if not isinstance(pt, Mapping):
                raise TypeError(f"grid[{i}] must be a dict of parameters, got {pt!r}")
        points = [dict(pt) for pt in points]
    else:
        raise TypeError(f"grid must be a dict of lists or a list of dicts, got {grid!r}")
    out = [jsonable(pt, f"grid point {i}") for i, pt in enumerate(points)]
    keys_seen: dict[str, int] = {}
    for i, pt in enumerate(out):
        k = point_key(pt)
        if k in keys_seen:
            raise ValueError(f"grid points {keys_seen[k]} and {i} are the same point {pt}; "
                             f"remove the duplicate")
        keys_seen[k] = i
    return out
