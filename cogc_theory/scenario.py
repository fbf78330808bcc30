r"""The one path from scenario parameters to a :class:`~cogc_theory.network.CooperativeNetwork`.

A configuration file (:class:`cogc_theory.config.Scenario`), a sweep point
(:func:`cogc_theory.sweep.network_from_point`), a validation campaign
(:class:`cogc_theory.validation.campaigns.CampaignScenario`) and the report all describe a
network by the same few numbers; :class:`NetworkSpec` checks them and builds the network, so
a network means the same thing wherever it is named.

=====================  ======================================================================
parameter              meaning
=====================  ======================================================================
``M``, ``s``           clients and straggler tolerance, :math:`0 \le s \le M-1`
``code``               ``"cyclic"`` (cyclic repetition) or ``"fractional"`` (fractional
                       repetition, needs :math:`(s+1) \mid M`)
``uplink_erasure``     :math:`p`: a probability (a number or a sympy expression), or ``M``
                       numbers (alias ``p``)
``link_erasure``       :math:`\varepsilon`: a probability (a number or a sympy expression), or
                       an ``M x M`` nested list of numbers (alias ``eps``); entry ``[m][k]``
                       is used where :math:`k \in N_m`
``code_seed``          seed of the cyclic construction (cyclic codes only)
``exact``              rational cyclic ``B`` (cyclic codes only)
``construction``       the cyclic construction of :func:`cogc_theory.codes.cyclic_repetition`
                       (``None``: its default; cyclic codes only)
``reciprocal``         one channel per pair of clients (:math:`\tau_{mk}=\tau_{km}`)
=====================  ======================================================================

Examples
--------
>>> spec = NetworkSpec.from_mapping({"M": 4, "s": 1, "p": 0.1, "eps": 0.2}, name="point")
>>> spec
NetworkSpec(M=4, s=1, code='cyclic', uplink_erasure=0.1, link_erasure=0.2, code_seed=0,
            exact=False, construction=None, reciprocal=False)
>>> net = spec.network()
>>> net.M, net.s, net.neighbors(0)
(4, 1, (1,))
>>> NetworkSpec.from_mapping({"M": 4, "s": 4}, name="point")
Traceback (most recent call last):
...
ValueError: point['s'] must be <= 3, got 4
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import sympy as sp

from ._validate import check_bool, check_erasure, check_int, check_probability, check_str
from .vocabulary import CODES, check_choice

__all__ = ["NetworkSpec"]


@dataclasses.dataclass(frozen=True)
class NetworkSpec:
    """A checked description of a cooperative network; :meth:`network` builds it.

    Parameters
    ----------
    M, s : int
        Clients (:math:`M \\ge 2`) and straggler tolerance (:math:`0 \\le s \\le M-1`).
    code : {"cyclic", "fractional"}
        The GC matrix family; fractional repetition needs :math:`(s+1) \\mid M`.
    uplink_erasure : float, sympy expression or sequence of M floats
        Uplink erasure probabilities :math:`p` (stored as a float, the expression, or a
        tuple).
    link_erasure : float, sympy expression or M x M nested sequence
        Client-link erasure probabilities :math:`\\varepsilon` (a float, the expression, or a
        tuple of tuples).
    code_seed : int
        Seed of the cyclic construction.
    exact : bool
        Rational cyclic ``B``.
    construction : str or None
        Cyclic construction (``None``: the library's default).
    reciprocal : bool
        Reciprocal client links.

    ``code_seed``, ``exact`` and ``construction`` apply to cyclic codes and are ignored for
    fractional repetition, whose ``B`` has no seed and is already integer.

    Raises
    ------
    TypeError, ValueError
        A parameter of the wrong type or out of range, naming it.

    Examples
    --------
    >>> spec = NetworkSpec(6, 2, code="fractional", uplink_erasure=[0, 0.1, 0.2, 0.3, 0.4, 0.5])
    >>> spec.uplink_erasure
    (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
    >>> [round(float(x), 2) for x in spec.network().success_probabilities()]
    [1.0, 0.9, 0.8, 0.7, 0.6, 0.5]
    >>> NetworkSpec(5, 1, code="fractional")
    Traceback (most recent call last):
    ...
    ValueError: code 'fractional' (fractional repetition) needs s+1 to divide M; got M=5, ...
    """

    M: int
    s: int
    code: str = "cyclic"
    uplink_erasure: Any = 0.0
    link_erasure: Any = 0.0
    code_seed: int = 0
    exact: bool = False
    construction: str | None = None
    reciprocal: bool = False

    #: Other accepted names of parameters in :meth:`from_mapping`.
    ALIASES: ClassVar[dict[str, str]] = {"p": "uplink_erasure", "eps": "link_erasure"}

    def __post_init__(self) -> None:
        values = _checked({f.name: getattr(self, f.name) for f in dataclasses.fields(self)},
                          label=lambda key: key)
        for key, value in values.items():
            object.__setattr__(self, key, value)

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        """The parameter names :meth:`from_mapping` reads (fields and aliases).

        >>> NetworkSpec.keys()[:4]
        ('M', 's', 'code', 'uplink_erasure')
        """
        return tuple(f.name for f in dataclasses.fields(cls)) + tuple(cls.ALIASES)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], *, name: str = "mapping") -> NetworkSpec:
        """The spec a mapping describes (a sweep point, a config table), aliases resolved.

        ``M`` and ``s`` are required; ``p`` / ``eps`` stand for ``uplink_erasure`` /
        ``link_erasure`` (giving both spellings is refused). Keys that are not network
        parameters are ignored (a sweep point also carries its task's options). Errors name
        the key as ``name['key']``.

        Examples
        --------
        >>> NetworkSpec.from_mapping({"M": 4, "s": 1, "p": 0.1, "trials": 10}).uplink_erasure
        0.1
        >>> NetworkSpec.from_mapping({"M": 4, "s": 1, "p": 0.1, "uplink_erasure": 0.2},
        ...                          name="point")
        Traceback (most recent call last):
        ...
        ValueError: point gives both 'uplink_erasure' and its alias 'p'; keep one
        """
        if not isinstance(mapping, Mapping):
            raise TypeError(f"{name} must be a mapping of network parameters, got "
                            f"{type(mapping).__name__}")
        for alias, key in cls.ALIASES.items():
            if alias in mapping and key in mapping:
                raise ValueError(f"{name} gives both {key!r} and its alias {alias!r}; keep one")
        if "M" not in mapping or "s" not in mapping:
            raise ValueError(f"{name} {dict(mapping)} must give the number of clients 'M' and "
                             f"the straggler tolerance 's'")
        given: dict[str, str] = {}          # field -> key as spelled in the mapping
        for key in cls.keys():
            if key in mapping:
                given[cls.ALIASES.get(key, key)] = key

        def label(field: str) -> str:
            key = given.get(field, field)
            return f"{name}[{key!r}]" + (f" ({field})" if key != field else "")

        values = _checked({field: mapping[key] for field, key in given.items()}, label)
        return cls(**values)

    def network(self) -> Any:
        """The :class:`~cogc_theory.network.CooperativeNetwork` this spec describes.

        Examples
        --------
        >>> net = NetworkSpec(4, 1, uplink_erasure=0.1, link_erasure=0.2).network()
        >>> round(float(net.success_probabilities()[0]), 6)       # (1 - p)(1 - eps)
        0.72
        """
        import numpy as np

        from .network import CooperativeNetwork

        p, eps = (np.asarray(x, dtype=float) if isinstance(x, tuple) else x
                  for x in (self.uplink_erasure, self.link_erasure))
        if self.code == "fractional":
            return CooperativeNetwork.fractional(self.M, self.s, uplink_erasure=p,
                                                 link_erasure=eps, reciprocal=self.reciprocal)
        kw: dict[str, Any] = {"reciprocal": self.reciprocal}
        if self.construction is not None:
            kw["construction"] = self.construction
        return CooperativeNetwork.cyclic(self.M, self.s, uplink_erasure=p, link_erasure=eps,
                                         seed=self.code_seed, exact=self.exact, **kw)


def _tuples(x: Any) -> Any:
    """Lists (nested) as tuples, so that a frozen spec holds no mutable value."""
    return tuple(_tuples(v) for v in x) if isinstance(x, list) else x


def _checked(values: dict[str, Any], label: Callable[[str], str]) -> dict[str, Any]:
    """The given parameters checked and normalised; ``label(field)`` names one in errors."""
    out = dict(values)
    M = out["M"] = check_int(values["M"], label("M"), lo=2)     # both codes need 2 clients
    s = out["s"] = check_int(values["s"], label("s"), lo=0, hi=M - 1)
    if "code" in values:
        check_choice(values["code"], CODES, label("code"))
        if values["code"] == "fractional" and M % (s + 1):
            raise ValueError(f"{label('code')} 'fractional' (fractional repetition) needs s+1 "
                             f"to divide M; got M={M}, s={s}: choose s with s+1 dividing M, "
                             f"or code 'cyclic'")
    for field, matrix in (("uplink_erasure", False), ("link_erasure", True)):
        if field not in values:
            continue
        if isinstance(values[field], sp.Basic):            # a symbol or an exact number
            out[field] = check_probability(values[field], label(field))
        else:
            out[field] = _tuples(check_erasure(values[field], label(field), M, matrix=matrix))
    if "code_seed" in values:
        out["code_seed"] = check_int(values["code_seed"], label("code_seed"), lo=0)
    for field in ("exact", "reciprocal"):
        if field in values:
            out[field] = check_bool(values[field], label(field))
    if values.get("construction") is not None:
        out["construction"] = check_str(values["construction"], label("construction"))
    return out
