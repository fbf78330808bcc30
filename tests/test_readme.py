"""The README's Python tour runs as printed (a new user copies it first)."""

from __future__ import annotations

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
