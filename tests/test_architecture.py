"""The rules of ARCHITECTURE.md, checked against the code.

* layers: a module imports only from its own layer and the layers below (lazy imports inside
  functions included);
* private names: a name starting with ``_`` never leaves its module (no ``from x import _y``
  and no ``x._y`` on an imported module), in the package, its proofs and validation, the tests
  and the benchmarks;
* size: a package module over 600 lines says why (a ``Size:`` line in its docstring);
* the public surface: every name of ``ct.__all__`` resolves, and every public module is in it.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import cogc_theory as ct

ROOT = Path(__file__).resolve().parents[1]
#: Layer of each top-level module of the package (ARCHITECTURE.md).
LAYERS = {
    "_validate": 0, "_io": 0, "_linalg": 0, "exact": 0, "vocabulary": 0,
    "codes": 1, "network": 1, "channels": 1, "scenario": 1,
    "decode": 2,
    "outage": 3, "simulate": 3, "bounds": 3,
    "sweep": 4, "plots": 4, "config": 4, "report": 4, "testing": 4, "proofs": 4,
    "validation": 4,
    "cli": 5,
}
MAX_LINES = 600


def _sources(*folders: str) -> list[Path]:
    out = []
    for f in folders:
        out += sorted(p for p in (ROOT / f).rglob("*.py") if ".venv" not in p.parts)
    return out


def _module_name(path: Path) -> str:
    """Dotted name of a file as installed (proofs/ and validation/ live under cogc_theory)."""
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[0] in ("proofs", "validation"):
        parts = ["cogc_theory"] + parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(node: ast.ImportFrom, module: str, is_pkg: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_pkg:
        base = base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(path: Path) -> list[tuple[str, str | None, int]]:
    """(imported module, imported name or None, line) for every import in the file."""
    module = _module_name(path)
    is_pkg = path.name == "__init__.py"
    tree = ast.parse(path.read_text())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, None, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            src = _resolve(node, module, is_pkg)
            out += [(src, a.name, node.lineno) for a in node.names]
    return out


def _layer(dotted: str) -> int | None:
    parts = dotted.split(".")
    if parts[0] != "cogc_theory" or len(parts) < 2:
        return None
    return LAYERS.get(parts[1])


@pytest.mark.parametrize("path", _sources("cogc_theory", "proofs", "validation"),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_down_the_layers(path):
    me = _module_name(path)
    mine = _layer(me)
    if mine is None:                                    # the package __init__ (lazy re-exports)
        return
    for src, name, line in _imports(path):
        target = f"{src}.{name}" if name and _layer(f"{src}.{name}") is not None and \
            src == "cogc_theory" else src
        theirs = _layer(target)
        assert theirs is None or theirs <= mine, (
            f"{path.relative_to(ROOT)}:{line} (layer {mine}) imports {target} (layer {theirs})")


def _is_module(dotted: str) -> bool:
    """Whether ``dotted`` names a module or package of ours (an internal module may be
    imported: its names without underscore are its package's internal API)."""
    parts = dotted.split(".")
    if parts[0] != "cogc_theory":
        return False
    if len(parts) > 1 and parts[1] in ("proofs", "validation"):
        base = ROOT.joinpath(*parts[1:])
    else:
        base = ROOT.joinpath(*parts)
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _private_uses(path: Path) -> list[str]:
    me = _module_name(path)
    tree = ast.parse(path.read_text())
    bad = []
    modules: dict[str, str] = {}                        # local name -> our module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("cogc_theory"):
                    local = a.asname or a.name.split(".")[0]
                    modules[local] = a.name if a.asname else "cogc_theory"
        elif isinstance(node, ast.ImportFrom):
            src = _resolve(node, me, path.name == "__init__.py")
            for a in node.names:
                if _is_module(f"{src}.{a.name}"):
                    modules[a.asname or a.name] = f"{src}.{a.name}"
                elif _private(a.name) and src != me and src.startswith("cogc_theory"):
                    bad.append(f"line {node.lineno}: from {src} import {a.name}")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in modules and _private(node.attr)
                and not _is_module(f"{modules[node.value.id]}.{node.attr}")):
            bad.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return bad


@pytest.mark.parametrize("path", _sources("cogc_theory", "proofs", "validation", "tests",
                                          "benchmarks"),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_private_names_stay_in_their_module(path):
    bad = _private_uses(path)
    assert not bad, f"{path.relative_to(ROOT)} reaches private names: " + "; ".join(bad)


@pytest.mark.parametrize("path", _sources("cogc_theory", "proofs", "validation"),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_long_modules_say_why(path):
    text = path.read_text()
    n = text.count("\n")
    if n <= MAX_LINES:
        return
    doc = ast.get_docstring(ast.parse(text)) or ""
    assert "Size:" in doc, (f"{path.relative_to(ROOT)} has {n} lines (> {MAX_LINES}); split it "
                            f"by concept or say why in a 'Size:' line of its docstring")


def test_public_surface_is_declared_and_resolves():
    for name in ct.__all__:
        assert getattr(ct, name) is not None
    public = {p.stem if p.suffix else p.name for p in (ROOT / "cogc_theory").iterdir()
              if not p.name.startswith("_") and (p.suffix == ".py" or (p / "__init__.py").exists())}
    assert public - {"cli"} <= set(ct.__all__), public - set(ct.__all__)
    for name in public:
        importlib.import_module(f"cogc_theory.{name}")


def test_the_checker_catches_what_it_forbids(tmp_path):
    """Controls: a private import, a private attribute and an upward import are each caught."""
    pkg = ROOT / "cogc_theory"
    probe = pkg / "_probe_architecture.py"
    try:
        probe.write_text("from .decode._gs import _gs_core\nfrom . import decode\n"
                         "x = decode._nope\ny = decode._float\n"
                         "from .report import run_report\n")
        assert [b.split(":")[0] for b in _private_uses(probe)] == ["line 1", "line 3"]
        LAYERS["_probe_architecture"] = 0
        with pytest.raises(AssertionError, match=r"\(layer 0\) imports cogc_theory\.decode"):
            test_imports_point_down_the_layers(probe)
    finally:
        LAYERS.pop("_probe_architecture", None)
        probe.unlink()


def test_every_package_is_installed():
    """A package missing from pyproject's list works in an editable install and is absent
    from a wheel: every folder with an __init__ must be listed."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {".".join(p.relative_to(ROOT).parent.parts)
             for p in (ROOT / "cogc_theory").rglob("__init__.py")}
    assert found <= listed, found - listed
