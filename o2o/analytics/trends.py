"""Sales over time beside the period before: the HQ dashboard's trend line.

Today is shown hour by hour against yesterday's same hours; longer periods day by day against the
as many days before them. One GROUP BY query covers both periods."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import Trunc
from django.utils import timezone

from o2o.analytics.selectors import MONEY, live_sales_orders, rolled_up_sales, rollup_split, sales_orders
from o2o.core.money import to_money
from o2o.orders.models import Order

HOUR, DAY = "hour", "day"


@dataclass(frozen=True)
class TrendPoint:
    start: datetime  # local time, naive: the hour or day this point covers
    sales: Decimal
    orders: int
    previous_sales: Decimal  # the same hour or day of the period before
    previous_orders: int


@dataclass(frozen=True)
class Trend:
    step: str  # HOUR or DAY
    points: list[TrendPoint]
    sales: Decimal
    orders: int
    previous_sales: Decimal
    previous_orders: int

    @staticmethod
    def change(now: Decimal | int, before: Decimal | int) -> Decimal | None:
        """Percentage change against the period before; None when there was nothing before."""
        if not before:
            return None
        return (Decimal(now - before) * 100 / Decimal(before)).quantize(Decimal("0.1"))

    @property
    def sales_change(self) -> Decimal | None:
        return self.change(self.sales, self.previous_sales)

    @property
    def orders_change(self) -> Decimal | None:
        return self.change(self.orders, self.previous_orders)


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment).replace(tzinfo=None)


def _buckets(orders: QuerySet[Order], step: str) -> dict[datetime, tuple[Decimal, int]]:
    """Sales and orders per local hour or day (naive local start of the bucket), from the orders."""
    rows = (
        orders.annotate(bucket=Trunc("paid_at", step, tzinfo=timezone.get_current_timezone()))
        .values("bucket")
        .annotate(sales=Sum(F("total") - F("refunded_total"), output_field=MONEY), orders=Count("pk"))
        .order_by()
    )
    return {_local(row["bucket"]): (row["sales"] or Decimal(0), row["orders"]) for row in rows}


def _days(location_ids: frozenset[int] | None, start: datetime, end: datetime) -> dict[datetime, tuple[Decimal, int]]:
    """Per day: fresh rolled-up days from DailySales, the others from the orders (`rollup_split`)."""
    split = rollup_split(start, end)
    found = {}
    if split.days:
        rows = (
            rolled_up_sales(location_ids, split.days)
            .values("day_id")
            .annotate(sales=Sum("sales"), orders=Sum("orders"))
            .order_by()
        )
        found = {datetime.combine(r["day_id"], time.min): (r["sales"], r["orders"]) for r in rows}
    if split.live is not None:
        found |= _buckets(live_sales_orders(location_ids, split.live), DAY)
    return found


def sales_trend(*, location_ids: frozenset[int] | None, start: datetime, end: datetime, rollups: bool = True) -> Trend:
    """Net sales and orders per hour (a period of a day) or per day in [start, end), each beside
    the same point of the period just before (as long as this one), as `dashboard` counts them.
    Days are read from the daily rollups where they are fresh (`rollups=False`: all from the orders)."""
    span = end - start
    step = HOUR if span <= timedelta(days=1) else DAY
    width = timedelta(hours=1) if step == HOUR else timedelta(days=1)
    if step == DAY and rollups:
        found = _days(location_ids, start - span, end)
    else:
        found = _buckets(sales_orders(location_ids, start - span, end), step)
    first, shift = _local(start), span
    points = []
    for index in range(int(span / width)):
        at = first + index * width
        sales, orders = found.get(at, (Decimal(0), 0))
        before_sales, before_orders = found.get(at - shift, (Decimal(0), 0))
        points.append(TrendPoint(at, to_money(sales), orders, to_money(before_sales), before_orders))
    return Trend(
        step=step,
        points=points,
        sales=to_money(sum((p.sales for p in points), Decimal(0))),
        orders=sum(p.orders for p in points),
        previous_sales=to_money(sum((p.previous_sales for p in points), Decimal(0))),
        previous_orders=sum(p.previous_orders for p in points),
    )
