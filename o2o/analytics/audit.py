"""Audit check on the daily sales rollups: every fresh day's rows equal the orders' sales now.

A day marked fresh is read by the dashboard instead of the orders, so a difference here is a wrong
number on the dashboard: a change to a past day's sales that did not mark the day stale (a writer
that bypasses the order services and their events), or a rollup row edited by hand."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from o2o.analytics.models import SalesDay
from o2o.analytics.selectors import MONEY, NOT_SALES, rolled_up_sales
from o2o.analytics.services import day_bounds
from o2o.core.findings import Finding
from o2o.core.money import to_money
from o2o.orders.models import Order

LIMIT = 1000
Key = tuple[date, int, str, str]


def rollups_against_orders() -> list[Finding]:
    """Compare the rollup rows of every fresh day with the orders paid that day, key by key."""
    days = sorted(SalesDay.objects.filter(fresh=True).values_list("day", flat=True))
    if not days:
        return []
    rolled: dict[Key, tuple[Decimal, int]] = {
        (r.day_id, r.selling_location_id, r.channel, r.fulfilment): (r.sales, r.orders)
        for r in rolled_up_sales(None, days)
    }
    (start, _), (_, end) = day_bounds(days[0]), day_bounds(days[-1])
    live: dict[Key, tuple[Decimal, int]] = defaultdict(lambda: (Decimal(0), 0))
    rows = (
        Order.objects.filter(paid_at__gte=start, paid_at__lt=end)
        .exclude(state__in=NOT_SALES)
        .annotate(day=TruncDate("paid_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "selling_location_id", "channel", "fulfilment")
        .annotate(sales=Sum(F("total") - F("refunded_total"), output_field=MONEY), orders=Count("pk"))
        .order_by()
    )
    fresh = set(days)
    for r in rows:
        if r["day"] in fresh:
            live[r["day"], r["selling_location_id"], r["channel"], r["fulfilment"]] = (r["sales"], r["orders"])
    findings = []
    for key in sorted({*rolled, *live}):
        book, orders = rolled.get(key, (Decimal(0), 0)), live.get(key, (Decimal(0), 0))
        if book != orders:
            day, location_id, channel, fulfilment = key
            findings.append(
                Finding(
                    "sales_rollup",
                    f"{day} location {location_id} {channel}/{fulfilment}",
                    f"rollup {to_money(book[0])} in {book[1]} orders, "
                    f"orders {to_money(orders[0])} in {orders[1]} orders",
                )
            )
    return findings[:LIMIT]


def run() -> list[Finding]:
    return rollups_against_orders()
