"""Vectorized simulation (SPEC section 5)."""
