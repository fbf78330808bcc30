"""Sphinx configuration of the cogc-theory documentation.

Build (no network needed): ``sh docs/build.sh``, or
``sphinx-build -n -W --keep-going -b html docs docs/_build/html`` with the ``docs`` extra
installed.
The API reference pages (``docs/api/``) are generated here from the public surface
(:mod:`public_api`); the tutorials and the formulas page are notebooks kept as MyST text and
executed during the build, so a tutorial that no longer runs fails the build.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import public_api  # noqa: E402

import cogc_theory  # noqa: E402

project = "cogc-theory"
author = "cogc-theory contributors"
copyright = "2025-2026, cogc-theory contributors"  # noqa: A001
release = version = cogc_theory.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
]

# No intersphinx: the build must not need the network (CI has none).
exclude_patterns = ["_build", "**.ipynb_checkpoints", "README.md"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
root_doc = "index"
# numpydoc renders a References section as citations; most are not cited in the text.
suppress_warnings = ["ref.citation"]

# -- autodoc / numpydoc ---------------------------------------------------------------------
autodoc_typehints = "none"                 # numpydoc's Parameters section carries the types
autodoc_member_order = "bysource"
autodoc_default_options = {"exclude-members": "__init__, __new__"}
autosummary_generate = False               # pages come from write_api_pages below
numpydoc_show_class_members = False        # autoclass :members: documents the methods
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = False

# -- MyST / MyST-NB -------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
nb_execution_mode = os.environ.get("COGC_DOCS_EXECUTE", "force")   # "cache": rerun changed only
nb_execution_timeout = 300
nb_execution_raise_on_error = True         # a tutorial that fails fails the build
nb_execution_show_tb = True
nb_render_markdown_format = "myst"         # Markdown outputs (the formulas) as MyST, with math
nb_merge_streams = True

# -- HTML -----------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"cogc-theory {version}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path: list[str] = []


# -- API pages, generated from the public surface -------------------------------------------
def _title(text: str, ch: str) -> str:
    return f"{text}\n{ch * len(text)}\n"


def _module_page(pm: public_api.PublicModule) -> str:
    name = pm.name
    lines = [_title(name, "="), f".. automodule:: {name}", "   :no-members:"]
    parent, _, leaf = name.rpartition(".")
    collides = parent and not _is_module(getattr(sys.modules[parent], leaf, None))
    if collides:       # e.g. cogc_theory.outage.cogc is a module and ct.outage.cogc a function
        lines.append("   :no-index:")
    lines += ["", f".. currentmodule:: {name}", ""]
    if pm.documented:
        lines += [".. autosummary::", "   :nosignatures:", ""]
        lines += [f"   {n}" for n, _ in pm.documented]
        lines.append("")
    if pm.submodules:
        lines += [_title("Submodules", "-"), ""]
        lines += [f"- :mod:`{s}`" for s in pm.submodules]
        lines.append("")
    if pm.elsewhere:
        lines += [_title("Also available here", "-"),
                  "Re-exported from, or into, the module where each is documented:", ""]
        lines += [f"- ``{n}``: :obj:`{c}`" for n, c in pm.elsewhere]
        lines.append("")
    if pm.data:
        lines += [_title("Constants", "-"), ""]
        for d in pm.data:
            value = getattr(pm.module, d)
            lines.append(f".. autodata:: {d}")
            if len(repr(value)) > 70:
                lines.append("   :no-value:")
            lines.append("")
    if pm.documented:
        lines += [_title("Functions and classes", "-"), ""]
        for n, obj in pm.documented:
            if isinstance(obj, type):
                lines += [f".. autoclass:: {n}", "   :members:", ""]
            else:
                lines += [f".. autofunction:: {n}", ""]
    return "\n".join(lines)


def _is_module(obj: object) -> bool:
    import types

    return isinstance(obj, types.ModuleType)


def write_api_pages() -> None:
    """Write ``docs/api/*.rst`` (only files whose text changed, so rebuilds stay incremental)."""
    api = HERE / "api"
    api.mkdir(exist_ok=True)
    mods = public_api.walk()
    pages = {"index": "\n".join([
        _title("API reference", "="),
        "Everything public: ``cogc_theory.CooperativeNetwork`` and the modules of "
        "``cogc_theory.__all__`` (each documents its ``__all__``), and the ``cogc`` command "
        "(:mod:`cogc_theory.cli`). Modules whose names start with an underscore are internal.",
        "", ".. toctree::", "   :maxdepth: 1", "",
        *[f"   {pm.name}" for pm in mods], ""])}
    pages.update({pm.name: _module_page(pm) for pm in mods})
    for stem, text in pages.items():
        path = api / f"{stem}.rst"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    for path in api.glob("*.rst"):
        if path.stem not in pages:
            path.unlink()


write_api_pages()


# -- cross-references: one documented place per object ---------------------------------------
# An object is documented once (public_api.walk), but docstrings name it by the path of the
# module that defines it (``cogc_theory.simulate.outage_mc.outage``) or relative to the current
# module or class (``run_mc``, ``TrainingRun.outcome``). Unresolved Python references are
# imported and mapped to the documented name, so that nitpicky builds (-n) flag only names
# that really do not exist.
_CANONICAL: dict[int, str] = {id(obj): name for name, obj in public_api.definitions().items()}

# No intersphinx (no network): references into other projects, and mentions of internal
# modules (names starting with an underscore), stay plain text.
nitpick_ignore_regex = [
    ("py:.*", r"(numpy|scipy|sympy|mpmath|networkx|matplotlib|pandas|dask|hypothesis|sklearn|"
              r"threadpoolctl|fractions|os|itertools|concurrent|tomllib|typing|collections|"
              r"pathlib|dataclasses|numbers|math|tests)(\..*)?"),
    ("py:.*", r"(.*\.)?_[A-Za-z]\w*(\..*)?"),
]


def _import_dotted(path: str) -> object | None:
    import importlib

    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:i]))
        except Exception:  # noqa: BLE001 - not a module path: try a shorter prefix
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def _candidates(target: str, modname: str | None, clsname: str | None,
                defined_in: str = "") -> list[str]:
    """Full names ``target`` may mean, innermost scope first (as Python looks names up):
    from the documented module and class, then from where the docstring is defined."""
    target = target.lstrip(".~")
    scopes = []
    if defined_in:
        parts = defined_in.split(".")
        scopes += [".".join(parts[:i]) for i in range(len(parts), 0, -1)]
    if modname:
        parts = modname.split(".")
        if clsname:
            scopes.append(f"{modname}.{clsname}")
        scopes += [".".join(parts[:i]) for i in range(len(parts), 0, -1)]
    return [f"{s}.{target}" for s in scopes] + [target]


def _exists(cand: str) -> bool:
    """``cand`` names an object of this package, or a field of one of its (data)classes."""
    if not cand.startswith("cogc_theory"):
        return False
    if _import_dotted(cand) is not None:
        return True
    owner, _, attr = cand.rpartition(".")
    cls = _import_dotted(owner)
    return isinstance(cls, type) and any(attr in getattr(c, "__annotations__", {})
                                         for c in cls.__mro__)


def _documented_name(cands: list[str]) -> str | None:
    """The documented name of the first of ``cands`` that imports as an object."""
    import inspect as _inspect

    for cand in cands:
        obj = _import_dotted(cand)
        if obj is None:
            continue
        if id(obj) in _CANONICAL:
            return _CANONICAL[id(obj)]
        if _inspect.ismodule(obj) and obj.__name__.startswith("cogc_theory"):
            return obj.__name__
        owner, _, attr = cand.rpartition(".")
        parent = _import_dotted(owner)
        if parent is not None and id(parent) in _CANONICAL:
            return f"{_CANONICAL[id(parent)]}.{attr}"
    return None


def _missing_reference(app, env, node, contnode):  # noqa: ANN001 - Sphinx event signature
    """Resolve a Python reference the domain did not find, in this order: the documented name
    of the object it imports as; the one documented name ending with it (``Problem.gradient``
    from another module); plain text if it names an existing but undocumented object of the
    package (a constant outside ``__all__``, a dataclass field); else leave it (a warning)."""
    if node.get("refdomain") != "py":
        return None
    domain = env.get_domain("py")
    target = node["reftarget"]
    source = node.source or ""
    defined_in = source.rpartition("docstring of ")[2] if "docstring of " in source else ""
    cands = _candidates(target, node.get("py:module"), node.get("py:class"), defined_in)
    name = _documented_name(cands)
    if name is None:
        suffix = "." + target.lstrip(".~")
        hits = [n for n in domain.objects if n.endswith(suffix)]
        name = hits[0] if len(hits) == 1 else None
    if name is not None and name != target:
        for role in ("obj", "mod"):
            ref = domain.resolve_xref(env, node["refdoc"], app.builder, role, name, node,
                                      contnode)
            if ref is not None:
                return ref
    if any(_exists(c) for c in cands):
        return contnode
    return None


def setup(app):  # noqa: ANN001, ANN201 - Sphinx extension hook
    app.connect("missing-reference", _missing_reference)
