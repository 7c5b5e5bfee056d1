from django.core.management.base import BaseCommand

from o2o.core.periodic import run_forever


class Command(BaseCommand):
    help = "Enqueue the periodic jobs (expire unpaid orders, expire pickup vouchers, ...) as they fall due."

    def handle(self, *args, **options) -> None:
        self.stdout.write("scheduler running; Ctrl-C to stop")
        run_forever()
