"""surgeon: a minimal-diff code editing agent."""

__version__ = "0.1.0"
