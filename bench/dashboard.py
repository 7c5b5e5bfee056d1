"""HQ dashboard benchmark: server time of `dashboard()` (and the page's trend line) on the big demo chain,
counted live from the orders ("before") and from the daily rollups ("after"), for HQ and a regional
supervisor, today / 7 days / 30 days.

    psql -h 127.0.0.1 -p 5433 -U postgres -c 'CREATE DATABASE o2o_dash_bench'
    DATABASE_URL=postgres://postgres@127.0.0.1:5433/o2o_dash_bench .venv/bin/python bench/dashboard.py

The first run migrates and seeds the chain (`o2o demo --stores 1000 --days 0`, then ~2.7 M orders of
90 days written by SQL: see ORDERS_SQL); later runs reuse it (the database is not wiped). Each run
applies new migrations, ANALYZEs, rolls the closed days up, checks that both paths give the same
numbers, then times them. Refuses a database whose name does not contain "bench".
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import timedelta
from functools import partial
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]  # bench/http.py shadows http
sys.path.insert(0, str(REPO))


def log(text: str) -> None:
    print(text, flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20, help="timed calls per case (default 20)")
    parser.add_argument("--stores", type=int, default=1000, help="stores when seeding (default 1000)")
    parser.add_argument("--days", type=int, default=90, help="days of history when seeding (default 90)")
    parser.add_argument("--orders-per-store-day", type=int, default=30, help="when seeding (default 30)")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of each query of one call")
    return parser.parse_args(argv)


# The orders of the history, written by SQL in about a minute: per store and day `per_day` orders at
# random hours 08:00-22:00 local (today only up to now): 40 % counter sales, 30 % app, 15 % H5, 15 %
# share links; online orders 70 % pickup, 30 % delivery (8.00 fee); 10.00-300.00 each; 4 % cancelled
# unpaid, 3 % refunded in full, 0.5 % uncollected pickups, 3 % partly refunded (30 %), 2 % of today's
# unpaid; pickups of the last 3 days partly still waiting (voucher issued), older ones handed over.
# Written in time order, as a shop writes them: a day's orders lie together on disk, not one a page.
ORDERS_SQL = """
WITH x AS (
    SELECT s.id AS store, d, n, random() AS r_hour, random() AS r_channel, random() AS r_fulfil,
           random() AS r_amount, random() AS r_state,
           ((date_trunc('day', now() AT TIME ZONE %(tz)s) - d * interval '1 day' + interval '8 hours'
             + random() * interval '14 hours') AT TIME ZONE %(tz)s) AS created
    FROM stores_location s
    CROSS JOIN generate_series(0, %(days)s - 1) AS d
    CROSS JOIN generate_series(1, %(per_day)s) AS n
    WHERE s.kind = 'store' AND s.is_active
), y AS (
    SELECT *, CASE WHEN r_channel < 0.4 THEN 'pos' WHEN r_channel < 0.7 THEN 'app'
                   WHEN r_channel < 0.85 THEN 'h5' ELSE 'share_link' END AS channel,
           round((10 + r_amount * 290)::numeric, 2) AS subtotal
    FROM x WHERE created < now() - interval '1 minute'
), z AS (
    SELECT *, CASE WHEN channel = 'pos' THEN 'in_store' WHEN r_fulfil < 0.7 THEN 'pickup' ELSE 'delivery' END
               AS fulfilment
    FROM y
), o AS (
    SELECT *, CASE WHEN fulfilment = 'delivery' THEN 8.00 ELSE 0 END AS fee,
           CASE
               WHEN d = 0 AND r_state > 0.98 THEN 'pending_payment'
               WHEN r_state < 0.04 THEN 'cancelled'
               WHEN r_state < 0.07 THEN 'refunded'
               WHEN r_state < 0.075 AND fulfilment = 'pickup' AND d > 3 THEN 'uncollected'
               WHEN d > 7 THEN 'completed'
               WHEN fulfilment = 'pickup' AND d <= 3 AND r_state > 0.8 THEN 'ready_for_pickup'
               WHEN fulfilment = 'delivery' THEN 'delivered'
               ELSE 'picked_up'
           END AS state
    FROM z
)
INSERT INTO orders_order (number, channel, fulfilment, state, delivery_address, subtotal, discount_total,
    delivery_fee, total, refunded_total, idempotency_scope, request_fingerprint, created_at, paid_at, closed_at,
    fulfilment_location_id, selling_location_id, on_hold, offer)
SELECT 'B' || d || '-' || store || '-' || n, channel, fulfilment, state,
       CASE WHEN fulfilment = 'delivery' THEN 'bench address' ELSE '' END,
       subtotal, 0, fee, subtotal + fee,
       CASE WHEN state IN ('refunded', 'uncollected') THEN subtotal + fee
            WHEN r_state > 0.97 AND state IN ('completed', 'picked_up', 'delivered')
                THEN round((subtotal + fee) * 0.3, 2)
            ELSE 0 END,
       '', '', created,
       CASE WHEN state IN ('cancelled', 'pending_payment') THEN NULL ELSE created + interval '1 minute' END,
       CASE WHEN state IN ('pending_payment', 'ready_for_pickup') THEN NULL ELSE created + interval '2 hours' END,
       store, store, false, ''
FROM o
ORDER BY created
"""
VOUCHERS_SQL = """
INSERT INTO pickup_pickupvoucher (code, state, issued_at, expires_at, redeemed_at, redeemed_by_id, location_id,
    order_id)
SELECT lpad(o.id::text, 12, '0'),
       CASE WHEN o.state = 'ready_for_pickup' THEN 'issued' WHEN o.state = 'picked_up' OR o.state = 'completed'
            THEN 'redeemed' WHEN o.state = 'uncollected' THEN 'expired' ELSE 'revoked' END,
       o.paid_at, o.paid_at + interval '7 days',
       CASE WHEN o.state IN ('picked_up', 'completed') THEN o.paid_at + interval '1 hour' END,
       CASE WHEN o.state IN ('picked_up', 'completed') THEN %(user)s END,
       o.fulfilment_location_id, o.id
FROM orders_order o
WHERE o.fulfilment = 'pickup' AND o.paid_at IS NOT NULL AND o.number LIKE 'B%%'
"""


def seed_if_empty(args: argparse.Namespace) -> None:
    """The demo chain without history (`o2o demo --days 0`: stores, regions, staff, members: seconds),
    then the orders by SQL. The demo's own history generator is far too slow at this size: at 1,000
    stores it had not finished after 50 minutes (its attribution step credits order by order, and it
    all runs in one transaction)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from o2o.orders.models import Order
    from o2o.stores.models import Location

    if not Location.objects.exists():
        log(f"seeding the demo chain: {args.stores} stores, no history ...")
        subprocess.run([str(REPO / ".venv/bin/o2o"), "demo", f"--stores={args.stores}", "--days=0"], check=True)
    if Order.objects.filter(number__startswith="B").exists():
        return
    log(f"seeding orders by SQL: {args.days} days x {args.orders_per_store_day} a store a day ...")
    started = time.perf_counter()
    user = get_user_model().objects.order_by("pk").values_list("pk", flat=True).first()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(ORDERS_SQL, {"tz": settings.TIME_ZONE, "days": args.days, "per_day": args.orders_per_store_day})
        cursor.execute(VOUCHERS_SQL, {"user": user})
    log(f"seeded {Order.objects.count():,} orders in {time.perf_counter() - started:.0f} s")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(call, calls: int) -> tuple[float, float, int]:
    """p50 and p99 in ms of `calls` calls after one warm-up call, and the statements of one call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), percentile(times, 99), len(captured.captured_queries)


def explain(call) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plan = [row[0] for row in cursor.fetchall()]
            log(f"\n-- {query['sql'][:300]}\n" + "\n".join(plan))


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    db_name = urlparse(url).path.lstrip("/")
    if not url.startswith(("postgres://", "postgresql://")) or "bench" not in db_name:
        log(
            "dashboard bench: set DATABASE_URL to a PostgreSQL database whose name contains 'bench', e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5433/o2o_dash_bench .venv/bin/python bench/dashboard.py"
        )
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "o2o.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from o2o.access.actors import actor_for_user
    from o2o.analytics.selectors import Period, dashboard, dashboard_scope, period_bounds, sales_orders
    from o2o.analytics.services import roll_up_closed_days
    from o2o.analytics.trends import sales_trend
    from o2o.orders.models import Order
    from o2o.staff.models import Employee, Role

    call_command("migrate", verbosity=0)
    seed_if_empty(args)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # fresh statistics and visibility map after a bulk seed
    started = time.perf_counter()
    days = roll_up_closed_days()
    days += roll_up_closed_days()  # days seen for the first time are rolled up by the second run
    log(f"rollup: {len(days)} day(s) rolled up in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE analytics_dailysales")
        cursor.execute("VACUUM ANALYZE analytics_salesday")

    supervisor = Employee.objects.filter(role=Role.REGIONAL_SUPERVISOR, user__is_active=True).order_by("pk").first()
    scopes = {"HQ (all stores)": None}
    if supervisor:
        region = dashboard_scope(actor_for_user(supervisor.user))
        scopes[f"regional supervisor ({len(region)} stores)"] = region
    log(f"database {db_name}: {Order.objects.count():,} orders; {args.calls} timed calls per case\n")

    header = f"{'scope':<34} {'period':<6} {'what':<16} {'before p50/p99 ms':>18} {'q':>3}   "
    header += f"{'after p50/p99 ms':>17} {'q':>3}"
    log(header)
    log("-" * len(header))
    for label, scope in scopes.items():
        for period in Period:
            start, end = period_bounds(period)
            live = asdict(dashboard(location_ids=scope, start=start, end=end, rollups=False))
            rolled = asdict(dashboard(location_ids=scope, start=start, end=end))
            trend_live = sales_trend(location_ids=scope, start=start, end=end, rollups=False)
            trend_rolled = sales_trend(location_ids=scope, start=start, end=end)
            if live != rolled or trend_live != trend_rolled:
                log(f"DIFFERENT NUMBERS: {label} {period}")
                return 1
            cases = {
                "dashboard()": partial(dashboard, location_ids=scope, start=start, end=end),
                "sales_trend()": partial(sales_trend, location_ids=scope, start=start, end=end),
            }
            for what, call in cases.items():
                b50, b99, bq = timed(partial(call, rollups=False), args.calls)
                a50, a99, aq = timed(partial(call, rollups=True), args.calls)
                log(
                    f"{label:<34} {period.value:<6} {what:<16} {b50:>8.1f} /{b99:>7.1f}  {bq:>3}   "
                    f"{a50:>7.1f} /{a99:>7.1f}  {aq:>3}"
                )
                if args.explain:
                    explain(partial(call, rollups=True))
    log("\nsame numbers (to the fen) from both paths in every case")
    # The seeded today ends when the seed ran: time the busiest of the last closed days counted from the
    # orders instead, which is what "today" costs at closing time (today is never read from the rollups).
    today_start, today_end = period_bounds(Period.TODAY)
    closed = [(today_start - timedelta(days=k), today_end - timedelta(days=k)) for k in range(1, 8)]
    sales, start, end = max((sales_orders(None, *bounds).count(), *bounds) for bounds in closed)
    day = {"start": start, "end": end, "rollups": False}
    log(f"\na whole day counted from the orders ({day['start']:%Y-%m-%d}, {sales:,} sales): today at closing time")
    for label, scope in scopes.items():
        p50, p99, q = timed(partial(dashboard, location_ids=scope, **day), args.calls)
        log(f"{label:<34} {'1 day':<6} {'dashboard()':<16} {p50:>8.1f} /{p99:>7.1f}  {q:>3}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
