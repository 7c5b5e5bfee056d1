import time
from argparse import ArgumentParser, ArgumentTypeError
from functools import partial

from django.conf import settings
from django.core.management.base import BaseCommand

from o2o.demo.generator import (
    DEMO_MEMBER_PHONE,
    PASSWORD,
    default_orders_per_store_day,
    generate_demo,
)
from o2o.demo.generator.replace import replacing_contents, sqlite_file
from o2o.staff.models import Employee
from o2o.stores.models import Location


def _at_least(minimum: int):
    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise ArgumentTypeError(f"must be at least {minimum}")
        return value

    return parse


def _rate(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 10_000:
        raise ArgumentTypeError("must be between 0 and 10000")
    return value


DEMO_LOGINS = ("hq", "manager1", "clerk1", "clerk2", "cs1", "cs2")


class Command(BaseCommand):
    help = "Fill the database with a deterministic demo chain in Shanghai, then print how to sign in."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--seed", type=int, default=42, help="same seed, same data (default 42)")
        parser.add_argument("--stores", type=_at_least(1), default=8)
        parser.add_argument("--skus", type=_at_least(1), default=200)
        parser.add_argument("--members", type=_at_least(1), default=2000, help="including the demo member")
        parser.add_argument("--days", type=_at_least(0), default=90, help="days of order history (0: none)")
        parser.add_argument(
            "--orders-per-store-day",
            type=_rate,
            default=None,
            help="average orders a store a day (default 30, fewer for large chains: about 1 M orders in all)",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="replace all existing data (an interrupted run leaves the old data as it was)",
        )
        parser.add_argument(
            "--site",
            default="",
            help="the address the server is reached at, for the links printed "
            "(default: O2O_SITE_URL, else http://127.0.0.1:8000, where `o2o serve` listens by default)",
        )

    def handle(self, *args, **options) -> None:
        self.site = (options["site"] or settings.O2O_SITE_URL or "http://127.0.0.1:8000").rstrip("/")
        # `make demo HOST=0.0.0.0` listens everywhere; this machine answers on 127.0.0.1 too.
        self.site = self.site.replace("://0.0.0.0:", "://127.0.0.1:")
        if not options["reset"] and Location.objects.exists():
            self.stdout.write("The database already has data; nothing generated (--reset starts over).")
            self._print_logins()
            return
        per_day = options["orders_per_store_day"]
        if per_day is None:
            per_day = default_orders_per_store_day(stores=options["stores"], days=options["days"])
        started = time.monotonic()
        generate = partial(
            generate_demo,
            seed=options["seed"],
            stores=options["stores"],
            skus=options["skus"],
            members=options["members"],
            days=options["days"],
            orders_per_store_day=per_day,
            stdout=self.stdout,
        )
        if options["reset"]:
            if path := sqlite_file():
                self.stdout.write(f"Building the new demo beside {path.name}; it replaces the old one when complete.")
            with replacing_contents():
                summary = generate()
            self.stdout.write("Existing data replaced.")
        else:
            summary = generate()  # one transaction: an interruption leaves the database empty, as it was
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready in {time.monotonic() - started:.1f} s: {summary.stores} stores, {summary.skus} SKUs, "
                f"{summary.members} members, {summary.orders} orders ({per_day:g} a store a day)."
            )
        )
        self._print_logins()

    def _print_logins(self) -> None:
        site = self.site
        store = Location.objects.filter(kind=Location.Kind.STORE).order_by("pk").first()
        staff = {
            e.user.username: e
            for e in Employee.objects.select_related("user", "home_location").filter(
                user__username__in=DEMO_LOGINS
            )
        }
        lines = [
            "",
            "Open:",
            f"  storefront {site}/shop/          (customers, phone-sized)",
            f"  counter    {site}/counter/       (clerks: pickups, POS sale, other locations)",
            f"  manager    {site}/manager/       (store stock, counts, transfers, orders, staff, escalated tickets)",
            f"  service    {site}/service/       (customer service: inbox, customers, follow-ups, reports)",
            f"  dashboard  {site}/hq/            (HQ)",
            f"  my store   {site}/me/            (every employee: share link, customers, materials, commission)",
            f"  boss       {site}/boss/          (HQ, supervisors, managers: stores, teams, employees)",
            f"  staff sign-in {site}/accounts/login/",
            f"  admin      {site}/admin/",
            f"  API docs   {site}/api/v1/docs",
        ]
        if store is not None and "clerk1" in staff:
            lines.append(f"  join link  {site}/join/{store.code}?ref={staff['clerk1'].code}")
            lines.append(f"  share link {site}/shop/e/{staff['clerk1'].code}/   (clerk1's virtual store)")
        lines += ["", f"Staff logins (password {PASSWORD}):"]
        for username in DEMO_LOGINS:
            if employee := staff.get(username):
                admin = ", Django admin" if employee.user.is_staff else ""
                where = employee.home_location.name if employee.home_location else f"all stores{admin}"
                lines.append(f"  {username:<10} {employee.get_role_display()}, {where}")
        lines += [
            "",
            "Member:",
            f"  {DEMO_MEMBER_PHONE}  sign in with a one-time code; the code is printed in the server console",
        ]
        self.stdout.write("\n".join(lines))
