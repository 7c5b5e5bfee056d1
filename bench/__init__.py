"""Benchmarks of the O2O platform (figures, not tests). Entry point: bench/run.py."""
