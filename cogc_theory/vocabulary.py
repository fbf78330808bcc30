r"""The names the toolkit uses for its choices: one definition each, checked in one place.

Every module that accepts one of these names imports it from here, so a name means the same
thing everywhere and a new choice is added in one place.

============================  =============================================================
name                          meaning
============================  =============================================================
:data:`DECODERS`              how the server decodes one round: ``"standard"`` (CoGC: only
                              complete partial sums, all or nothing) or ``"gcplus"`` (GC+)
:data:`RULES`                 GC+ partial-recovery rules of :func:`cogc_theory.decode.gcplus`
:data:`SUBSET_RULES`          the rules whose recovered set :math:`K` is a subset with an
                              exact law (:func:`cogc_theory.outage.gcplus_distribution`, the
                              bounds); least squares recovers a biased projection instead
:data:`CODES`                 GC matrix families a scenario can name
:data:`TRAINING_SCHEMES`      what :func:`cogc_theory.simulate.train` can run (each decoder
                              and rule, and the baselines)
:data:`SCHEME_ALIASES`        other accepted spellings of training schemes
:data:`BOUND_SCHEMES`         the schemes a convergence bound exists for
============================  =============================================================

Examples
--------
>>> from cogc_theory import vocabulary as v
>>> v.check_choice("individual", v.RULES, "rule")
'individual'
>>> v.training_scheme("standard")
'cogc'
>>> v.check_choice("max_subset", v.RULES, "rule")
Traceback (most recent call last):
...
ValueError: rule must be one of ('max-subset', 'individual', 'least-squares'), got 'max_subset'
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BOUND_SCHEMES",
    "CODES",
    "DECODERS",
    "RULES",
    "SCHEME_ALIASES",
    "SCHEME_RULE",
    "SUBSET_RULES",
    "TRAINING_SCHEMES",
    "check_choice",
    "training_scheme",
]

#: How the server decodes a round.
DECODERS = ("standard", "gcplus")
#: GC+ partial-recovery rules (SPEC section 3); the first is the default.
RULES = ("max-subset", "individual", "least-squares")
#: Rules whose recovered set has an exact law (least squares has none).
SUBSET_RULES = ("max-subset", "individual")
#: GC matrix families a scenario can name.
CODES = ("cyclic", "fractional")
#: Schemes of the training simulator: ideal GD, CoGC, GC+ with each rule, federated averaging
#: over the arrived clients, and classic gradient coding with data replication (Tandon et al.)
#: over the same uplinks (see :mod:`cogc_theory.simulate.training`).
TRAINING_SCHEMES = ("ideal", "cogc", "gcplus", "gcplus-individual", "gcplus-least-squares",
                    "fedavg", "gc")
#: Other accepted spellings of training schemes.
SCHEME_ALIASES = {"gcplus-max-subset": "gcplus", "standard": "cogc"}
#: The GC+ rule each GC+ training scheme decodes with.
SCHEME_RULE = {"gcplus": "max-subset", "gcplus-individual": "individual",
               "gcplus-least-squares": "least-squares"}
#: Schemes with a convergence bound (:mod:`cogc_theory.bounds`).
BOUND_SCHEMES = ("ideal", "cogc", "gcplus")


def check_choice(value: Any, allowed: tuple[str, ...], name: str) -> str:
    """Return ``value`` if it is one of the strings ``allowed``, else raise naming ``name``.

    Raises
    ------
    TypeError
        ``value`` is not a string.
    ValueError
        ``value`` is not in ``allowed``.

    Examples
    --------
    >>> check_choice("individual", RULES, "rule")
    'individual'
    >>> check_choice("fast", RULES, "rule")
    Traceback (most recent call last):
    ...
    ValueError: rule must be one of ('max-subset', 'individual', 'least-squares'), got 'fast'
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {allowed}, got "
                        f"{type(value).__name__} {value!r}")
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def training_scheme(value: Any, name: str = "scheme") -> str:
    """The canonical name of a training scheme (aliases resolved), or raise naming ``name``.

    Examples
    --------
    >>> training_scheme("standard"), training_scheme("gcplus-max-subset")
    ('cogc', 'gcplus')
    """
    if isinstance(value, str):
        value = SCHEME_ALIASES.get(value, value)
    return check_choice(value, TRAINING_SCHEMES, name)
