"""The README's Python tour runs as printed (a new user copies it first)."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _tour() -> str:
    text = README.read_text(encoding="utf-8")
    m = re.search(r"## A short tour in Python\n\n```python\n(.*?)```", text, re.S)
    if m is None:
        pytest.fail("README.md has no '## A short tour in Python' code block")
    return m.group(1)


def test_readme_python_tour_runs():
    """Executing the tour raises nothing (its own asserts included)."""
    exec(compile(_tour(), str(README), "exec"), {"__name__": "readme_tour"})


def test_readme_starts_with_the_two_setup_commands():
    """The README opens with exactly two set-up commands: the main job and the tests."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    cmds = [ln.split("#")[0].strip() for ln in block.splitlines() if ln.strip()]
    assert cmds == ['python -m pip install -e . && cogc report --out report',
                    'python -m pip install -e ".[test,dask]" && python -m pytest']


def _table_calls() -> list[tuple[str, ast.Call]]:
    """Every ``ct.<module>.<name>(...)`` call written in a code span of a README table."""
    text = README.read_text(encoding="utf-8")
    calls = []
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        for span in re.findall(r"`([^`]+)`", line):
            if not span.startswith("ct."):
                continue
            try:
                tree = ast.parse(span, mode="eval")
            except SyntaxError:   # a fragment such as `ct.outage.cogc, gcplus` is not a call
                continue
            calls += [(ast.unparse(node.func), node) for node in ast.walk(tree)
                      if isinstance(node, ast.Call) and ast.unparse(node.func).startswith("ct.")]
    return calls


def _resolve(dotted: str):
    import cogc_theory as ct

    obj = ct
    for part in dotted.split(".")[1:]:
        assert hasattr(obj, part), f"README table names {dotted}, but {part!r} does not exist"
        obj = getattr(obj, part)
    return obj


def test_readme_table_calls_match_the_api():
    """The README tables are not run, so check them against the code: every ``ct.x.y`` named
    there exists; each ``ct.x.y(...)`` call's arguments bind to its signature (no unknown
    keyword, no extra positional); and a positional argument spelled like a parameter
    (``grid``) sits in that parameter's place (catches ``run_sweep(grid, task, out=...)``)."""
    text = README.read_text(encoding="utf-8")
    table = "\n".join(ln for ln in text.splitlines() if ln.startswith("|"))
    for span in re.findall(r"`([^`]+)`", table):
        for dotted in re.findall(r"\bct(?:\.\w+)+", span):   # calls and plain references
            _resolve(dotted)
    calls = _table_calls()
    names = {name for name, _ in calls}
    assert {"ct.sweep.run_sweep", "ct.bounds.strongly_convex"} <= names, names  # parsed
    for name, call in calls:
        fn = _resolve(name)
        sig = inspect.signature(fn)
        params = list(sig.parameters)
        args = [f"arg{i}" for i in range(len(call.args))]
        kwargs = {kw.arg: None for kw in call.keywords if kw.arg is not None}
        try:
            sig.bind_partial(*args, **kwargs)
        except TypeError as exc:
            pytest.fail(f"README table: {ast.unparse(call)} does not fit {name}{sig}: {exc}")
        for i, a in enumerate(call.args):
            if isinstance(a, ast.Name) and a.id in params:
                assert params.index(a.id) == i, (
                    f"README table: {ast.unparse(call)} passes {a.id!r} as argument {i}, but "
                    f"it is parameter {params.index(a.id)} of {name}{sig}")


def test_readme_run_sweep_example_uses_real_keywords():
    """The sweep example's keywords are parameters of run_sweep, and it passes the three
    required arguments (task, grid, out_dir) in that order."""
    from cogc_theory import sweep

    (call,) = [c for n, c in _table_calls() if n == "ct.sweep.run_sweep"]
    params = inspect.signature(sweep.run_sweep).parameters
    assert all(kw.arg in params for kw in call.keywords), ast.unparse(call)
    assert list(params)[:3] == ["task", "grid", "out_dir"]
    assert len(call.args) == 3
    task, grid, _ = call.args
    assert isinstance(task, ast.Call) and ast.unparse(task.func).endswith("make_task")
    assert isinstance(grid, ast.Name) and grid.id == "grid"
