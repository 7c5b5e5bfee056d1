from django.core.management.base import BaseCommand

from o2o.analytics import services


class Command(BaseCommand):
    help = (
        "Roll up the daily sales of every closed day of the window that is not fresh (idempotent), as the "
        "periodic job `roll_up_sales` does. Days seen for the first time are rolled up by the next run: "
        "run it twice to fill a new database at once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=services.KEEP_DAYS, help="window in days, ending yesterday")

    def handle(self, *args, **options) -> None:
        done = services.roll_up_closed_days(keep_days=options["days"])
        self.stdout.write(f"rolled up {len(done)} day(s)" + (f": {done[0]} .. {done[-1]}" if done else ""))
