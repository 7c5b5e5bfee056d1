"""Rolling up daily sales, and marking a rolled-up day stale when its sales change.

A day is rolled up once it is closed: it ended SETTLE ago, so that a payment stamped just before
midnight but committed just after it is already visible. Sales of a closed day change only when
money goes back on one of its orders (a refund, a return, a pickup nobody collected): the handlers
in handlers.py call `mark_stale` in that transaction, and the dashboard counts the day live again
until the next rollup. No statement is added to placing or paying an order.

Why the locking is enough: `roll_up_day` locks the day's SalesDay row, then reads the orders. A
refund marks the day after updating its order, in the same transaction. If the refund marked first,
the rollup waits for it to commit and then reads the refunded order; if the rollup locked first,
the refund's UPDATE waits for the rollup to commit and then sets it stale. For this the row must
already exist when the refund runs, so a rollup only rolls up days whose row existed before it
started (`roll_up_closed_days` creates the rows of the coming days well ahead).
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from o2o.analytics.models import (
    CHANNEL_KEYS,
    FULFILMENT_KEYS,
    DailySales,
    SalesDay,
    orders_column,
    sales_column,
)
from o2o.analytics.selectors import live_sales_rows

SETTLE = timedelta(minutes=15)
# The dashboard's longest period (30 days) and the 30 days before it, which its trend line shows.
KEEP_DAYS = 61


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a local day (settings.TIME_ZONE)."""
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(day, time.min, tzinfo=tz),
        datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz),
    )


def last_closed_day(now: datetime) -> date:
    return timezone.localdate(now - SETTLE) - timedelta(days=1)


def mark_stale(*, day: date) -> None:
    """The day's sales changed: its rollup no longer counts until it is rolled up again.

    Unconditional on `fresh` on purpose: a rollup of this day running right now holds the row's lock,
    and this UPDATE must wait for it and then mark its result stale (see the module docstring)."""
    SalesDay.objects.filter(day=day).update(fresh=False, marked_stale_at=timezone.now())


@transaction.atomic
def roll_up_day(*, day: date) -> int:
    """Replace the day's rows by the sales of its orders now and mark the day fresh; returns the rows
    written. The day's SalesDay row must exist (committed) before: see the module docstring."""
    SalesDay.objects.select_for_update().get(day=day)
    start, end = day_bounds(day)
    rows = store_day_rows(live_sales_rows(None, start, end))
    DailySales.objects.filter(day_id=day).delete()
    DailySales.objects.bulk_create(DailySales(day_id=day, **row) for row in rows)
    SalesDay.objects.filter(day=day).update(fresh=True, rolled_up_at=timezone.now())
    return len(rows)


def store_day_rows(rows: list[dict]) -> list[dict]:
    """Live rows (one per store, channel and fulfilment) folded into DailySales fields, one per store."""
    by_store: dict[int, dict] = {}
    for r in rows:
        row = by_store.setdefault(r["selling_location_id"], _empty_row(r["selling_location_id"]))
        sales = r["sales"] or Decimal(0)
        for key in (r["channel"], r["fulfilment"]):
            row[orders_column(key)] += r["orders"]
            row[sales_column(key)] += sales
        row["orders"] += r["orders"]
        row["sales"] += sales
    return [by_store[k] for k in sorted(by_store)]


def _empty_row(location_id: int) -> dict:
    row: dict = {"selling_location_id": location_id, "orders": 0, "sales": Decimal(0)}
    for key in (*CHANNEL_KEYS, *FULFILMENT_KEYS):
        row[orders_column(key)], row[sales_column(key)] = 0, Decimal(0)
    return row


def roll_up_closed_days(*, now: datetime | None = None, keep_days: int = KEEP_DAYS) -> list[date]:
    """Roll up every closed day of the last `keep_days` that is not fresh (idempotent: a second run
    finds nothing to do); returns the days rolled up. Each day is its own transaction.

    The rows of the window and of today and tomorrow are created first (committed) when missing; a
    day whose row this run had to create is left for the next run (see the module docstring)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    window = [today + timedelta(days=1) - timedelta(days=n) for n in range(keep_days + 2)]
    existing = set(SalesDay.objects.filter(day__in=window).values_list("day", flat=True))
    SalesDay.objects.bulk_create(
        [SalesDay(day=d) for d in window if d not in existing], ignore_conflicts=True
    )  # another run may be creating the same rows
    closed = last_closed_day(now)
    due = SalesDay.objects.filter(day__in=existing, day__lte=closed, fresh=False).order_by("day")
    done = []
    for day in due.values_list("day", flat=True):
        roll_up_day(day=day)
        done.append(day)
    return done
