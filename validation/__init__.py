"""Validation campaigns: every formula against exact enumeration and Monte Carlo."""
