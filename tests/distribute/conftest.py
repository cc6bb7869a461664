"""Fixtures for the distribution tests (helpers live in distfix.py)."""

from distfix import copies, master, master_template  # noqa: F401
