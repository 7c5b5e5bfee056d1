import contextlib
import signal
import threading

from django.core.management.base import BaseCommand

from o2o.core.periodic import run_forever, scheduler_name


class Command(BaseCommand):
    help = (
        "Enqueue the periodic jobs (expire unpaid orders, expire pickup vouchers, retry messages, ...) as they "
        "fall due. The schedule lives in the database: run one or more anywhere; a job runs once per interval."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tick", type=float, default=5.0, help="seconds between looks at the schedule")

    def handle(self, *args, tick: float, **options) -> None:
        stop = threading.Event()
        # SIGTERM (systemd, Kubernetes) ends the loop after the current tick, like Ctrl-C.
        signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
        self.stdout.write(f"scheduler {scheduler_name()} running every {tick:g}s; Ctrl-C to stop")
        with contextlib.suppress(KeyboardInterrupt):
            run_forever(tick_seconds=tick, stop=stop)
