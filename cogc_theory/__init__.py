"""cogc-theory: analysis of cooperative gradient coding (CoGC) and the GC+ decoder.

The public API (see ``SPEC.md`` section 7 and the README)::

    import cogc_theory as ct
    B = ct.codes.cyclic_repetition(M, s, seed=0)
    net = ct.CooperativeNetwork(B, uplink_erasure=p, link_erasure=eps)
    r = ct.decode.gcplus(Bt, arrived)
    ct.outage.cogc(net); ct.outage.gcplus(net)
    ct.simulate.outage(net, decoder="standard", trials=100_000, seed=0)
    ct.simulate.train(net, problem="digits", scheme="gcplus", rounds=200, trials=20, seed=0)

Submodules are imported lazily so that ``import cogc_theory`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_SUBMODULES = {"codes", "decode", "exact", "outage", "simulate", "bounds", "testing", "sweep",
               "plots", "channels"}

__all__ = ["CooperativeNetwork", "codes", "decode", "outage", "simulate", "bounds", "__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from . import bounds, codes, decode, outage, simulate  # noqa: F401
    from .network import CooperativeNetwork  # noqa: F401


def __getattr__(name: str) -> Any:
    if name == "CooperativeNetwork":
        from .network import CooperativeNetwork

        return CooperativeNetwork
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'cogc_theory' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | _SUBMODULES)
