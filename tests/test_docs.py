"""Every public function and class has a doctested ``Examples`` section.

The public surface is the one the API reference documents (``docs/public_api.py``, from
``ARCHITECTURE.md``: ``ct.CooperativeNetwork`` and the modules of ``ct.__all__``, each module's
``__all__``, and the ``cogc`` command's :mod:`cogc_theory.cli`). The examples themselves run in
``tests/test_doctests.py``; this test only checks that they exist.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _public_api():
    spec = importlib.util.spec_from_file_location("cogc_docs_public_api",
                                                  DOCS / "public_api.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


pa = _public_api()
DEFS = pa.definitions()


def test_public_surface_is_walked():
    """The walk reaches every module of ``ct.__all__`` and the names the README leads with."""
    import cogc_theory as ct

    names = {pm.name for pm in pa.walk()}
    assert {f"cogc_theory.{m}" for m in (*ct.MODULES, "cli")} <= names
    defs = DEFS
    for must in ("cogc_theory.network.CooperativeNetwork", "cogc_theory.decode.gcplus",
                 "cogc_theory.outage.cogc", "cogc_theory.simulate.train",
                 "cogc_theory.testing.check_decoder", "cogc_theory.cli.main"):
        assert must in defs
    assert len(defs) > 150


def test_example_detection():
    """``example_of`` finds a doctest only inside an ``Examples`` section."""

    def with_example():
        """Do it.

        Examples
        --------
        >>> 1 + 1
        2
        """

    def example_elsewhere():
        """Do it.

        Notes
        -----
        >>> 1 + 1
        2
        """

    def heading_only():
        """Do it.

        Examples
        --------
        Call it.

        Returns
        -------
        >>> 1
        1
        """

    assert pa.example_of(with_example)
    assert not pa.example_of(example_elsewhere)
    assert not pa.example_of(heading_only)


@pytest.mark.parametrize("name", sorted(DEFS))
def test_has_doctested_example(name):
    """The docstring of ``name`` has an ``Examples`` section with a doctest."""
    obj = DEFS[name]
    assert pa.example_of(obj), (f"{name} has no doctested Examples section; add one "
                                "(numpydoc 'Examples' heading, then '>>> ' lines)")
