"""The `o2o` command: Django's management commands under the product's name.

`o2o demo`, `o2o serve`, `o2o worker`, `o2o audit`, `o2o bench` and every Django command.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "o2o.settings")
    from django.core.management import execute_from_command_line

    aliases = {"worker": ["db_worker"]}
    args = sys.argv[1:]
    if args[:1] == ["serve"] and "--demo" in args:
        # The embedded demo's mode has to be set before the settings load (o2o/core/checks.py).
        os.environ["O2O_ENV"] = "development"
    if args and args[0] in aliases:
        args = aliases[args[0]] + args[1:]
    execute_from_command_line(["o2o", *args])
