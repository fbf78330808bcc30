"""cogc-theory: analysis of cooperative gradient coding (CoGC) and the GC+ decoder.

The public API (see ``SPEC.md`` section 7 and the README)::

    import cogc_theory as ct
    B = ct.codes.cyclic_repetition(M, s, seed=0)
    net = ct.CooperativeNetwork(B, uplink_erasure=p, link_erasure=eps)
    r = ct.decode.gcplus(Bt, arrived)
    ct.outage.cogc(net); ct.outage.gcplus(net)
    ct.simulate.outage(net, decoder="standard", trials=100_000, seed=0)
    ct.simulate.train(net, problem="digits", scheme="gcplus", rounds=200, trials=20, seed=0)

**What is public** is decided here, in one place: ``CooperativeNetwork`` and the modules in
``__all__`` (each re-exports its public names; SPEC section 7 names the stable core). The
``cogc`` command is :mod:`cogc_theory.cli` (``cli.main(argv)`` runs it from Python).
Modules whose names start with an underscore are internal (see ``ARCHITECTURE.md``).
Submodules are imported lazily so that ``import cogc_theory`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: The public modules (imported on first use).
MODULES = ("bounds", "channels", "codes", "config", "decode", "exact", "network", "outage",
           "plots", "proofs", "report", "scenario", "simulate", "sweep", "testing",
           "validation", "vocabulary")
_LAZY = set(MODULES) | {"cli"}

__all__ = ["CooperativeNetwork", "__version__", *MODULES]

if TYPE_CHECKING:  # pragma: no cover
    from . import (  # noqa: F401
        bounds,
        channels,
        codes,
        config,
        decode,
        exact,
        network,
        outage,
        plots,
        report,
        scenario,
        simulate,
        sweep,
        testing,
        vocabulary,
    )
    from .network import CooperativeNetwork  # noqa: F401


def __getattr__(name: str) -> Any:
    if name == "CooperativeNetwork":
        from .network import CooperativeNetwork

        return CooperativeNetwork
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'cogc_theory' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | _LAZY)
