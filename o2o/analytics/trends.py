"""Sales over time beside the period before: the HQ dashboard's trend line.

Today is shown hour by hour against yesterday's same hours; longer periods day by day against the
as many days before them. One GROUP BY query covers both periods."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, F, Sum
from django.db.models.functions import Trunc
from django.utils import timezone

from o2o.analytics.selectors import MONEY, sales_orders
from o2o.core.money import to_money

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


def sales_trend(*, location_ids: frozenset[int] | None, start: datetime, end: datetime) -> Trend:
    """Net sales and orders per hour (a period of a day) or per day in [start, end), each beside
    the same point of the period just before (as long as this one), as `dashboard` counts them."""
    span = end - start
    step = HOUR if span <= timedelta(days=1) else DAY
    width = timedelta(hours=1) if step == HOUR else timedelta(days=1)
    rows = (
        sales_orders(location_ids, start - span, end)
        .annotate(bucket=Trunc("paid_at", step, tzinfo=timezone.get_current_timezone()))
        .values("bucket")
        .annotate(sales=Sum(F("total") - F("refunded_total"), output_field=MONEY), orders=Count("pk"))
        .order_by()
    )
    found = {_local(row["bucket"]): (row["sales"] or Decimal(0), row["orders"]) for row in rows}
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
