r"""Exact outage analysis of CoGC and GC+ (SPEC section 4, items 1–4).

* :func:`cogc` — :math:`P(\text{standard decoding fails})`: Poisson-binomial for threshold
  codes, the reliability polynomial of the decodable family otherwise; numeric or symbolic
  (:mod:`.cogc`).
* :func:`gcplus` — :math:`P(\text{no full recovery})` under GC+, exact by enumeration of
  client states; :func:`gcplus_distribution` adds partial recovery, total outage and the law
  of :math:`|K|` for each partial rule (:mod:`.gcplus`).
* :func:`explain` — which exact route a call takes (independent blocks, a threshold family,
  the s = 1 ring's closed form, the full-recovery automaton of generic cyclic codes with
  s = 1, 2, or enumeration), why, and its cost as :math:`M` grows
  (:mod:`._routes`); every function above takes ``route="auto"`` or a route's name.
* :mod:`.structure` — which client-state patterns leave :math:`\mathbf 1` in the row space,
  minimal patterns, rank distribution, and the cyclic ring with :math:`s=1` solved for any
  :math:`M` by a transfer matrix.
* :mod:`.precision` — outage probabilities down to :math:`10^{-30}` with mpmath.
* :mod:`.fading` — Rayleigh block fading, SNR-parameterised networks, diversity order and
  coding gain by series expansion.

Examples
--------
>>> import cogc_theory as ct
>>> net = ct.CooperativeNetwork.cyclic(4, 1, uplink_erasure=0.1, link_erasure=0.2)
>>> round(ct.outage.cogc(net), 6)
0.313224
>>> ct.outage.gcplus(net) < ct.outage.cogc(net)
True
"""

from . import fading, precision, structure
from ._routes import Route, explain
from .cogc import DecodableFamily, OutageFormula, cogc, cogc_formula, decodable_family
from .gcplus import (
    GCPlusOutage,
    gcplus,
    gcplus_distribution,
    gcplus_formula,
    gcplus_polynomial,
)

__all__ = [
    "DecodableFamily",
    "GCPlusOutage",
    "OutageFormula",
    "Route",
    "cogc",
    "cogc_formula",
    "decodable_family",
    "explain",
    "gcplus",
    "gcplus_distribution",
    "gcplus_formula",
    "gcplus_polynomial",
    "fading",
    "precision",
    "structure",
]
