r"""Channel models that turn SNRs and client positions into erasure probabilities.

**Rayleigh block fading with a rate threshold.** A link with mean SNR :math:`\bar\gamma` carries
rate :math:`R` bits per channel use unless it is in outage, :math:`\log_2(1+|h|^2\bar\gamma)<R`.
With :math:`|h|^2\sim\mathrm{Exp}(1)`,

.. math:: \varepsilon(\bar\gamma) = \Pr\big[|h|^2 < (2^R-1)/\bar\gamma\big]
          = 1 - \exp\!\Big(-\frac{2^R-1}{\bar\gamma}\Big)
          = \frac{2^R-1}{\bar\gamma} + O(\bar\gamma^{-2}).

**Path loss.** A link of length :math:`d` has mean SNR :math:`\bar\gamma = \mathrm{snr}\,
(d/d_0)^{-\alpha}` for a reference SNR ``snr`` at distance :math:`d_0` and path-loss exponent
:math:`\alpha`. :func:`erasures_from_positions` applies this to every client-to-client link
and every uplink to the parameter server.

Every function accepts numbers (numpy, vectorised) or sympy expressions (then returns sympy).

Examples
--------
>>> round(float(rayleigh_erasure(10.0, rate=1.0)), 6)
0.095163
>>> import sympy as sp
>>> snr = sp.Symbol("snr", positive=True)
>>> rayleigh_erasure(snr, rate=2)
1 - exp(-3/snr)
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import sympy as sp

from ._validate import check_real_array, is_symbolic

__all__ = [
    "MAX_RATE",
    "erasures_from_positions",
    "mean_snr",
    "path_loss",
    "rayleigh_erasure",
    "snr_threshold",
]


#: Largest rate (bits per channel use) the functions accept: :math:`2^R` overflows a float
#: beyond :math:`R = 1024`.
MAX_RATE = 1000.0


def _check_rate(rate: Any) -> Any:
    if isinstance(rate, sp.Basic):
        if rate.is_number and not (rate > 0):
            raise ValueError(f"rate must be positive (bits per channel use), got {rate}")
        return rate
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not np.isfinite(rate):
        raise TypeError(f"rate must be a positive finite number, got {rate!r}")
    if rate <= 0:
        raise ValueError(f"rate must be positive (bits per channel use), got {rate}")
    if rate > MAX_RATE:
        raise ValueError(f"rate must be at most {MAX_RATE:g} bits per channel use (2**rate "
                         f"overflows a float beyond), got {rate}")
    return rate


def _check_positive(x: Any, name: str) -> Any:
    if isinstance(x, sp.Basic):
        if x.is_number and not (x.is_extended_real and x.is_finite and x > 0):
            raise ValueError(f"{name} must be positive and finite, got {x}")
        if not x.is_number and (x.has(sp.I, sp.zoo, sp.oo, sp.nan)
                                or x.is_extended_positive is False):
            raise ValueError(f"{name} must be a positive real expression, got {x}")
        return x
    if isinstance(x, (bool, np.bool_)) or np.asarray(x, dtype=object).dtype.kind == "b":
        raise TypeError(f"{name} must be a positive real number or array, got {x!r}")
    arr = check_real_array(x, name, "a positive real number or array")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{name} must be positive and finite, got {x!r}")
    return arr if arr.ndim else float(arr)


def _finite(x: Any, what: str) -> Any:
    """``x`` if every entry is finite, else ValueError: ``what`` overflowed the floats."""
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{what} overflows the float range; rescale the inputs (e.g. "
                         f"distances in other units, d0, or the SNR)")
    return x


def snr_threshold(rate: Any) -> Any:
    """:math:`2^R - 1`, the SNR below which a rate-``R`` link is in outage.

    Examples
    --------
    >>> snr_threshold(1), snr_threshold(2)
    (1, 3)
    """
    rate = _check_rate(rate)
    if isinstance(rate, sp.Basic) or isinstance(rate, numbers.Rational):
        return sp.Integer(2) ** sp.sympify(rate) - 1
    return 2.0 ** rate - 1.0


def rayleigh_erasure(snr: Any, rate: Any = 1.0) -> Any:
    r"""Erasure probability :math:`1-\exp(-(2^R-1)/\bar\gamma)` of a Rayleigh-faded link.

    Parameters
    ----------
    snr : float, array_like or sympy.Expr
        Mean SNR :math:`\bar\gamma` (linear, not dB), positive.
    rate : float or sympy.Expr
        Rate threshold :math:`R` in bits per channel use.

    Returns
    -------
    float, ndarray (same shape as ``snr``) or sympy.Expr

    Examples
    --------
    At rate :math:`R=1` the threshold is :math:`2^1-1=1`, so at mean SNR 1 the erasure
    probability is :math:`1-e^{-1}`:

    >>> import math
    >>> round(float(rayleigh_erasure(1.0)), 12), round(1 - math.exp(-1), 12)
    (0.632120558829, 0.632120558829)
    >>> import sympy as sp
    >>> rayleigh_erasure(sp.Symbol("snr", positive=True), rate=2)
    1 - exp(-3/snr)
    """
    rate = _check_rate(rate)
    if is_symbolic(snr) or is_symbolic(rate) or isinstance(snr, sp.Basic):
        snr = _check_positive(sp.sympify(snr), "snr")
        th = sp.Integer(2) ** sp.nsimplify(rate) - 1
        return 1 - sp.exp(-th / snr)
    g = _check_positive(snr, "snr")
    with np.errstate(over="ignore"):       # threshold / tiny SNR -> inf: erasure exactly 1
        return -np.expm1(-(2.0 ** float(rate) - 1.0) / g)


def path_loss(distance: Any, alpha: Any = 3.0, d0: float = 1.0) -> Any:
    r"""Power gain :math:`(d/d_0)^{-\alpha}` of a link of length :math:`d`.

    Examples
    --------
    >>> float(path_loss(2.0))            # (2/1)**-3
    0.125
    """
    alpha = _check_positive(alpha, "alpha")
    d0 = _check_positive(d0, "d0")
    if isinstance(distance, sp.Basic) or isinstance(alpha, sp.Basic):
        return (_check_positive(sp.sympify(distance), "distance") / d0) ** (-alpha)
    d = _check_positive(distance, "distance")
    with np.errstate(over="ignore"):
        return _finite((np.asarray(d) / d0) ** (-alpha), "the path loss (distance/d0)**-alpha")


def mean_snr(snr: Any, distance: Any, alpha: Any = 3.0, d0: float = 1.0) -> Any:
    r""":math:`\bar\gamma = \mathrm{snr}\,(d/d_0)^{-\alpha}`.

    Examples
    --------
    At ten times the reference distance with path-loss exponent 3, the mean SNR drops by
    :math:`10^3`:

    >>> float(mean_snr(100.0, 10.0))
    0.1
    """
    snr = _check_positive(snr, "snr")
    gain = path_loss(distance, alpha, d0)
    if isinstance(snr, sp.Basic) or isinstance(gain, sp.Basic):
        return snr * gain
    with np.errstate(over="ignore"):
        return _finite(snr * gain, "the mean SNR snr * (distance/d0)**-alpha")


def _norms(diff: np.ndarray) -> np.ndarray:
    """Euclidean norms along the last axis, scaled so that squaring cannot overflow."""
    scale = np.max(np.abs(diff), axis=-1, keepdims=True)
    scale = np.where(scale > 0, scale, 1.0)
    return scale[..., 0] * np.linalg.norm(diff / scale, axis=-1)


def erasures_from_positions(positions: Any, ps_position: Any, snr: Any, *, rate: Any = 1.0,
                            alpha: Any = 3.0, d0: float = 1.0, link_rate: Any = None
                            ) -> tuple[np.ndarray, np.ndarray]:
    r"""Uplink and client-link erasure probabilities from client positions.

    .. math:: p_m = \varepsilon\big(\mathrm{snr}\,(\lVert x_m - x_\mathrm{PS}\rVert/d_0)^{-\alpha}
              \big),\qquad
              \varepsilon_{mk} = \varepsilon\big(\mathrm{snr}\,(\lVert x_m-x_k\rVert/d_0)^{-\alpha}
              \big),

    with :math:`\varepsilon(\cdot)` of :func:`rayleigh_erasure`.

    Parameters
    ----------
    positions : array_like (M, D)
        Client coordinates (distinct points).
    ps_position : array_like (D,)
        Parameter-server coordinates.
    snr : float or sympy.Expr
        Reference SNR at distance ``d0``.
    rate, link_rate : float
        Uplink rate; client-link rate (default: ``rate``).
    alpha, d0 : float
        Path-loss exponent and reference distance.

    Returns
    -------
    p : ndarray (M,)
        float, or object (sympy) when ``snr`` is symbolic.
    eps : ndarray (M, M)
        ``eps[m, k]`` for the link bringing :math:`g_k` to client :math:`m` (zero diagonal).

    Examples
    --------
    >>> p, eps = erasures_from_positions([[0, 0], [1, 0]], [0, 2], 100.0, alpha=2)
    >>> p.round(4).tolist(), eps.round(4).tolist()
    ([0.0392, 0.0488], [[0.0, 0.01], [0.01, 0.0]])
    """
    X = check_real_array(positions, "positions", "an (M, D) array of client coordinates")
    if X.ndim != 2 or X.shape[0] < 1:
        raise ValueError(f"positions must be an (M, D) array of client coordinates, got shape "
                         f"{X.shape}")
    ps = check_real_array(ps_position, "ps_position", "a coordinate vector").reshape(-1)
    if ps.shape[0] != X.shape[1]:
        raise ValueError(f"ps_position must have {X.shape[1]} coordinates like positions, got "
                         f"{ps.shape[0]}")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(ps))):
        raise ValueError("positions and ps_position must be finite")
    M = X.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):
        d_up = _finite(_norms(X - ps[None]), "a distance between the positions")
        d_ll = _finite(_norms(X[:, None] - X[None]), "a distance between the positions")
    off = ~np.eye(M, dtype=bool)
    if np.any(d_up == 0) or np.any(d_ll[off] == 0):
        raise ValueError("positions must be distinct from each other and from ps_position "
                         "(zero distance has no path loss)")
    link_rate = rate if link_rate is None else link_rate
    symbolic = isinstance(snr, sp.Basic)
    if symbolic:
        def to_sym(d: float) -> sp.Expr:
            return sp.nsimplify(d) if float(d).is_integer() else sp.sqrt(sp.nsimplify(d * d))
        a = sp.nsimplify(alpha)
        d0 = sp.nsimplify(d0)
        p = np.array([rayleigh_erasure(snr * (to_sym(d) / d0) ** (-a), rate) for d in d_up],
                     dtype=object)
        eps = np.zeros((M, M), dtype=object)
        for m in range(M):
            for k in range(M):
                if m != k:
                    eps[m, k] = rayleigh_erasure(snr * (to_sym(d_ll[m, k]) / d0) ** (-a),
                                                 link_rate)
        return p, eps
    snr = _check_positive(snr, "snr")
    p = rayleigh_erasure(mean_snr(snr, d_up, alpha, d0), rate)
    eps = np.zeros((M, M))
    eps[off] = rayleigh_erasure(mean_snr(snr, d_ll[off], alpha, d0), link_rate)
    return p, eps
