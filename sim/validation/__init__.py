"""Validation of the decision model against recorded episodes (back-test with placebos)."""
