"""Audit check on the daily sales rollups: every fresh day's rows equal the orders' sales now.

A day marked fresh is read by the dashboard instead of the orders, so a difference here is a wrong
number on the dashboard: a change to a past day's sales that did not mark the day stale (a writer
that bypasses the order services and their events), or a rollup row edited by hand."""

from collections import defaultdict
from datetime import date

from django.db.models import Q

from o2o.analytics.models import FIGURES, SalesDay
from o2o.analytics.selectors import live_sales_orders, rolled_up_sales, sales_by_day
from o2o.analytics.services import day_bounds, store_day_rows
from o2o.core.findings import Finding
from o2o.core.money import to_money

LIMIT = 1000


def rollups_against_orders() -> list[Finding]:
    """Compare the rollup rows of every fresh day with the orders paid that day, store by store, field by field."""
    days = sorted(SalesDay.objects.filter(fresh=True).values_list("day", flat=True))
    if not days:
        return []
    rolled = {
        (r["day_id"], r["selling_location_id"]): r
        for r in rolled_up_sales(None, days).values("day_id", "selling_location_id", *FIGURES)
    }
    (start, _), (_, end) = day_bounds(days[0]), day_bounds(days[-1])
    by_day: dict[date, list[dict]] = defaultdict(list)
    for r in sales_by_day(live_sales_orders(None, Q(paid_at__gte=start, paid_at__lt=end))):
        by_day[r["day"]].append(r)
    fresh = set(days)
    live = {(day, r["selling_location_id"]): r for day in fresh for r in store_day_rows(by_day.get(day, []))}
    findings = []
    for key in sorted({*rolled, *live}):
        book, orders = rolled.get(key, {}), live.get(key, {})
        wrong = [f for f in FIGURES if (book.get(f) or 0) != (orders.get(f) or 0)]
        if wrong:
            day, location_id = key
            findings.append(
                Finding(
                    "sales_rollup",
                    f"{day} location {location_id}",
                    ", ".join(f"{f} rollup {_shown(f, book.get(f))} orders {_shown(f, orders.get(f))}" for f in wrong),
                )
            )
    return findings[:LIMIT]


def _shown(field: str, value) -> str:
    return str(to_money(value or 0)) if field.startswith("sales") else str(value or 0)


def run() -> list[Finding]:
    return rollups_against_orders()
