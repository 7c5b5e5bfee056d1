from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from o2o.core.checks import refuse_unsafe_production
from o2o.core.periodic import start_in_background


def served_at(addrport: str) -> str:
    """Where the pages are, at the address actually served (not a fixed 127.0.0.1:8000)."""
    host, _, port = addrport.rpartition(":")
    if not host:  # only a port
        host, port = "127.0.0.1", addrport
    # Listening on every interface: this machine answers on 127.0.0.1 too (and on its LAN address).
    site = f"http://{'127.0.0.1' if host in ('0.0.0.0', '0', '[::]') else host}:{port}"
    return "\n".join([f"O2O on {site}/", *(f"  {name:<9} {site}{path}" for name, path in _PAGES)])


_PAGES = [
    ("shop", "/shop/"),
    ("counter", "/counter/"),
    ("manager", "/manager/"),
    ("HQ", "/hq/"),
    ("admin", "/admin/"),
    ("API docs", "/api/v1/docs"),
]


class Command(BaseCommand):
    help = (
        "The embedded setup: web server and periodic jobs in one process (127.0.0.1:8000 by default). "
        "Django's development server, for the demo only: `o2o serve --demo` (or O2O_ENV=development, as "
        "`make demo` sets); production runs gunicorn (docs/operations.md)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--demo",
            action="store_true",
            help="development mode: payment simulator on, development secrets allowed (sets O2O_ENV=development)",
        )

    def handle(self, *args, addrport: str, demo: bool, **options) -> None:
        if demo and not settings.DEVELOPMENT:
            raise CommandError("--demo works through the o2o command (`o2o serve --demo`); or set O2O_ENV=development")
        refuse_unsafe_production()
        start_in_background()
        self.stdout.write(served_at(addrport))
        # --insecure: serve the admin's and the API docs' static files without DEBUG.
        call_command("runserver", addrport, use_reloader=False, insecure_serving=True)
