"""Model core: pure mechanism modules and the Mesa model (no I/O)."""
