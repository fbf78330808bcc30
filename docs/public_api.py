"""The public surface of ``cogc_theory``, walked the way the API reference and its test see it.

Public (``ARCHITECTURE.md``): ``ct.CooperativeNetwork`` and the modules in ``ct.__all__``
(plus :mod:`cogc_theory.cli`, the ``cogc`` command). A module's public names are its
``__all__``; a module named there is walked too, and so is every public submodule of a package
(name not starting with ``_``) that declares ``__all__``. A public submodule without
``__all__`` (a proof module of :mod:`cogc_theory.proofs`, the reference-data script
``validation/make_reference.py``) is a plug-in or a script: its docstring is shown, its helpers
are not API. Each function or class is documented once, under the first public module (in this
walk) whose ``__all__`` names it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import cogc_theory as ct

#: Top-level public modules in the order of the API reference (``ct.MODULES`` + ``cli``).
TOP = (*ct.MODULES, "cli")


@dataclass
class PublicModule:
    """One public module: its name, the objects it documents and the ones it re-exports."""

    name: str
    module: ModuleType
    documented: list[tuple[str, Any]] = field(default_factory=list)   # (name, obj) here
    elsewhere: list[tuple[str, str]] = field(default_factory=list)    # (name, canonical)
    data: list[str] = field(default_factory=list)                     # constants in __all__
    submodules: list[str] = field(default_factory=list)


def _is_def(obj: Any) -> bool:
    return inspect.isfunction(obj) or inspect.isclass(obj)


def walk() -> list[PublicModule]:
    """The public modules in reference order, each object assigned to one of them.

    An object listed by several modules is documented under the first that is its defining
    module or a package above it (``simulate.link_draws``, not ``simulate.links.link_draws``);
    if none is, under the first that lists it.
    """
    out: list[PublicModule] = []
    seen: set[str] = set()
    listed: list[tuple[PublicModule, str, Any]] = []

    def visit(mod: ModuleType) -> None:
        if mod.__name__ in seen:
            return
        seen.add(mod.__name__)
        pm = PublicModule(mod.__name__, mod)
        out.append(pm)
        children: list[ModuleType] = []
        for name in getattr(mod, "__all__", ()):
            obj = getattr(mod, name)
            if inspect.ismodule(obj):
                children.append(obj)
            elif _is_def(obj):
                listed.append((pm, name, obj))
            elif not name.startswith("__"):
                pm.data.append(name)
        if hasattr(mod, "__path__"):
            for info in pkgutil.iter_modules(mod.__path__):
                if info.name.startswith("_"):
                    continue
                sub = importlib.import_module(f"{mod.__name__}.{info.name}")
                if sub not in children:
                    children.append(sub)
        pm.submodules = [sub.__name__ for sub in children]
        for sub in children:
            if hasattr(sub, "__all__") or hasattr(sub, "__path__"):
                visit(sub)
            elif sub.__name__ not in seen:
                seen.add(sub.__name__)
                out.append(PublicModule(sub.__name__, sub))     # plug-in / script: docstring

    for top in TOP:
        visit(importlib.import_module(f"cogc_theory.{top}"))
    home: dict[int, tuple[str, bool]] = {}
    for pm, name, obj in listed:
        defining = getattr(obj, "__module__", "") or ""
        above = defining == pm.name or defining.startswith(pm.name + ".")
        if id(obj) not in home or (above and not home[id(obj)][1]):
            home[id(obj)] = (f"{pm.name}.{name}", above)
    for pm, name, obj in listed:
        here = f"{pm.name}.{name}"
        if home[id(obj)][0] == here:
            pm.documented.append((name, obj))
        else:
            pm.elsewhere.append((name, home[id(obj)][0]))
    return out


def definitions() -> dict[str, Any]:
    """Every public function and class, by its documented name (``ct.CooperativeNetwork`` is
    documented as ``cogc_theory.network.CooperativeNetwork``)."""
    return {f"{pm.name}.{n}": obj for pm in walk() for n, obj in pm.documented}


_EXAMPLES = re.compile(r"^Examples\n-{8,}\n(.*?)(?=^\S[^\n]*\n-{3,}\n|\Z)", re.M | re.S)


def example_of(obj: Any) -> str:
    """The ``Examples`` section of ``obj``'s docstring, or ``""`` when it has none with a
    doctest (a line starting ``>>>``)."""
    doc = inspect.getdoc(obj) or ""
    m = _EXAMPLES.search(doc)
    if not m or not re.search(r"^\s*>>> ", m.group(1), re.M):
        return ""
    return m.group(1)
