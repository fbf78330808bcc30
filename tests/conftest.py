"""Shared pytest configuration.

Hypothesis runs without per-example deadlines (the machine is small and shared) and, under CI
(``CI`` set in the environment), derandomised so that a CI run is reproducible.
"""

from __future__ import annotations

import os

import matplotlib
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.register_profile(
    "ci", parent=settings.get_profile("default"), derandomize=True, database=None
)
settings.load_profile("ci" if os.environ.get("CI") else "default")
