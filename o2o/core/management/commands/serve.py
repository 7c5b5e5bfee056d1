from django.core.management import call_command
from django.core.management.base import BaseCommand

from o2o.core.checks import refuse_unsafe_production
from o2o.core.periodic import start_in_background


class Command(BaseCommand):
    help = (
        "The embedded setup: web server and periodic jobs in one process (127.0.0.1:8000 by default). "
        "Django's development server: set O2O_ENV=development (as `make demo` does); production runs gunicorn."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options) -> None:
        refuse_unsafe_production()
        start_in_background()
        # --insecure: serve the admin's and the API docs' static files without DEBUG.
        call_command("runserver", addrport, use_reloader=False, insecure_serving=True)
