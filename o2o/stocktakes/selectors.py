"""Reading stocktakes: the counts at a location and a count's variance report (by SKU and value)."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import OuterRef, QuerySet, Subquery

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.catalog.models import Channel, Price
from o2o.core.errors import not_found
from o2o.core.money import to_money
from o2o.stocktakes.models import StockCount, StockCountLine


def counts_at(*, actor: Actor, location_id: int) -> QuerySet[StockCount]:
    """The location's counts, newest first (paginate them)."""
    authorize(actor, Operation.VIEW_STOCK, location_id=location_id)
    return StockCount.objects.filter(location_id=location_id).order_by("-started_at", "-pk")


@dataclass(frozen=True)
class VarianceLine:
    sku_id: int
    sku_code: str
    sku_name: str
    book_quantity: int
    counted_quantity: int | None
    variance: int | None
    unit_price: Decimal | None
    variance_value: Decimal | None


@dataclass(frozen=True)
class VarianceReport:
    count: StockCount
    lines: list[VarianceLine]
    counted: int
    not_counted: int
    units_over: int
    units_short: int
    value_over: Decimal
    value_short: Decimal


def _prices(channel: str) -> tuple[Subquery, Subquery]:
    """The store's price of the SKU at the counter, else the chain-wide one: what a unit is
    worth to the store (there is no cost price in the catalogue)."""
    prices = Price.objects.filter(sku_id=OuterRef("sku_id"), channel=channel)
    own = prices.filter(location_id=OuterRef("count__location_id")).values("amount")[:1]
    chain = prices.filter(location_id__isnull=True).values("amount")[:1]
    return Subquery(own), Subquery(chain)


def variance_report(*, actor: Actor, count_id: int) -> VarianceReport:
    """Every line of the count with its variance in units and at the counter price; the largest
    variances by value first. Two queries however many lines."""
    count = StockCount.objects.select_related("location", "category").filter(pk=count_id).first()
    if count is None or not actor.can_see_location(count.location_id):
        raise not_found("stock count")
    authorize(actor, Operation.VIEW_STOCK, location_id=count.location_id)
    own, chain = _prices(Channel.POS)
    rows = (
        StockCountLine.objects.filter(count=count)
        .annotate(own_price=own, chain_price=chain)
        .values_list("sku_id", "sku__code", "sku__name", "book_quantity", "counted_quantity",
                     "own_price", "chain_price")  # fmt: skip
    )
    lines = []
    for sku_id, code, name, book, counted, own_price, chain_price in rows:
        price = own_price if own_price is not None else chain_price
        variance = None if counted is None else counted - book
        value = None if variance is None or price is None else to_money(price * variance)
        lines.append(VarianceLine(sku_id, code, name, book, counted, variance, price, value))
    lines.sort(key=lambda line: (line.variance is None, -abs(line.variance_value or 0), -abs(line.variance or 0),
                                 line.sku_code))  # fmt: skip
    counted_lines = [line for line in lines if line.variance is not None]
    return VarianceReport(
        count=count,
        lines=lines,
        counted=len(counted_lines),
        not_counted=len(lines) - len(counted_lines),
        units_over=sum(line.variance for line in counted_lines if line.variance > 0),
        units_short=-sum(line.variance for line in counted_lines if line.variance < 0),
        value_over=to_money(sum((line.variance_value for line in counted_lines
                                 if line.variance_value and line.variance_value > 0), Decimal(0))),  # fmt: skip
        value_short=to_money(-sum((line.variance_value for line in counted_lines
                                   if line.variance_value and line.variance_value < 0), Decimal(0))),  # fmt: skip
    )
