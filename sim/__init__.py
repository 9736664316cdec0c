"""multivector-sim: an agent-based simulator of Kazakhstan's multi-vector foreign policy."""

__version__ = "0.1.0"
