"""A pytest plugin (`-p o2o.testing.devmode` in pyproject.toml) that runs the suite in the
development mode of the embedded demo: payment simulator on, development secrets allowed.

It has to be a plugin: pytest-django imports the settings before any conftest.py is read."""

import os

os.environ.setdefault("O2O_ENV", "development")
