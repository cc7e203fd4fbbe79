"""dataprints: what a trained image classifier gives away about its training data."""

__version__ = "0.1.0"
