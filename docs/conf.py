"""Sphinx configuration of the cogc-theory documentation.

Build (no network needed): ``sh docs/build.sh``, or
``sphinx-build -W --keep-going -b html docs docs/_build/html`` with the ``docs`` extra installed.
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
