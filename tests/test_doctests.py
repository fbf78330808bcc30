"""Every docstring example in the package runs and prints what it says (doctest).

Examples in the documentation are claims a user will copy; this runs them all, module by
module, including the installed ``cogc_theory.proofs`` and ``cogc_theory.validation``.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import cogc_theory


def _modules() -> list[str]:
    names = {m.name for m in pkgutil.walk_packages(cogc_theory.__path__, "cogc_theory.")}
    # proofs/ and validation/ install as subpackages from the repository's top level
    for sub in ("cogc_theory.proofs", "cogc_theory.validation"):
        pkg = importlib.import_module(sub)
        names.add(sub)
        names.update(m.name for m in pkgutil.walk_packages(pkg.__path__, sub + "."))
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name):
    """The module's doctests all pass."""
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             report=True, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
