"""Self-checking symbolic derivations; run them all with `cogc prove --out DIR`."""
