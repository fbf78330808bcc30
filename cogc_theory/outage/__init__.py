"""Outage analysis (SPEC section 4)."""
