"""Reading stocktakes: the counts at a location, its aisles, a count's variance report (by SKU
and value), and HQ's shrinkage across stores (counts, variances, adjustments by reason)."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.catalog.models import SKU, Channel, Price
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.money import to_money
from o2o.inventory.models import AdjustmentReason, MoveKind, StockLevel, StockMove
from o2o.stocktakes.models import CountState, StockCount, StockCountLine
from o2o.stores.models import Location

MAX_CODE = 40


def sku_by_code(code: str) -> SKU:
    """The SKU with this barcode or SKU code (what a scanner or a person types), or a 422 naming the field."""
    code = code.strip()
    if not code or len(code) > MAX_CODE:
        raise DomainError(ErrorCode.INVALID, "scan a barcode or type a SKU code", field="code")
    sku = SKU.objects.filter(Q(barcode=code) | Q(code=code)).select_related("product").first()
    if sku is None:
        raise DomainError(ErrorCode.UNKNOWN_SKU, "no SKU has this barcode or code", field="code")
    return sku


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


def aisles_at(*, actor: Actor, location_id: int) -> list[tuple[str, int]]:
    """The aisles of the store's shelf plan with how many SKUs each holds, in order."""
    authorize(actor, Operation.VIEW_STOCK, location_id=location_id)
    rows = (
        StockLevel.objects.filter(location_id=location_id).exclude(aisle="")
        .values("aisle").annotate(skus=Count("pk")).order_by("aisle")
    )  # fmt: skip
    return [(row["aisle"], row["skus"]) for row in rows]


def _prices(channel: str, location: str = "count__location_id") -> tuple[Subquery, Subquery]:
    """The store's price of the SKU at the counter, else the chain-wide one: what a unit is
    worth to the store (there is no cost price in the catalogue)."""
    prices = Price.objects.filter(sku_id=OuterRef("sku_id"), channel=channel)
    own = prices.filter(location_id=OuterRef(location)).values("amount")[:1]
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


# the reasons HQ reads shrinkage by, in the order the page shows them
SHRINKAGE_REASONS = list(AdjustmentReason)
RECENT_COUNTS = 10
DEFAULT_DAYS = 30
MAX_DAYS = 366  # a year and a day: longer periods belong to an export, not a page


@dataclass
class StoreShrinkage:
    """One store's (or the chain's, in the totals row) counts and stock corrections in a period.
    Units and values are signed: a loss is negative."""

    location_id: int | None
    name: str
    counts_approved: int = 0
    variance_units: int = 0
    variance_value: Decimal = Decimal("0.00")
    # reason -> (units, value), every reason present
    by_reason: dict[str, tuple[int, Decimal]] = field(
        default_factory=lambda: {str(r): (0, Decimal("0.00")) for r in SHRINKAGE_REASONS}
    )

    def add(self, other: "StoreShrinkage") -> None:
        self.counts_approved += other.counts_approved
        self.variance_units += other.variance_units
        self.variance_value += other.variance_value
        for reason, (units, value) in other.by_reason.items():
            mine = self.by_reason[reason]
            self.by_reason[reason] = (mine[0] + units, mine[1] + value)


@dataclass(frozen=True)
class ShrinkageReport:
    since: datetime
    until: datetime
    stores: list[StoreShrinkage]
    totals: StoreShrinkage
    recent: list[StockCount]


def _worth(quantity: F) -> ExpressionWrapper:
    """quantity x the counter price (the variance report's worth of a unit); a SKU without a
    price counts 0, as an empty value in the report does."""
    own, chain = _prices(Channel.POS, location="location_id")
    return ExpressionWrapper(quantity * Coalesce(own, chain, Decimal(0)),
                             output_field=DecimalField(max_digits=14, decimal_places=2))  # fmt: skip


def period(first: date | None, last: date | None) -> tuple[datetime, datetime]:
    """The days first..last (both included; by default the last 30 days to today) as [since, until)."""
    last = last or timezone.localdate()
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise DomainError(ErrorCode.INVALID, "the period starts after it ends", field="since")
    if (last - first).days >= MAX_DAYS:
        raise DomainError(ErrorCode.INVALID, f"a period is at most {MAX_DAYS} days", field="since")
    return (timezone.make_aware(datetime.combine(first, time.min)),
            timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min)))  # fmt: skip


def shrinkage(*, actor: Actor, first: date | None = None, last: date | None = None) -> ShrinkageReport:
    """Per store the actor sees, for the days first..last (see period()): counts approved, their variance (counted -
    book) in units and at the counter price, and the ledger's adjustments and count moves by
    reason in units and value; the chain's totals; the newest approved counts. Five queries
    however many stores."""
    authorize(actor, Operation.VIEW_SHRINKAGE)
    since, until = period(first, last)
    stores = Location.objects.filter(kind=Location.Kind.STORE)
    if actor.location_ids is not None:
        stores = stores.filter(pk__in=actor.location_ids)
    rows = {pk: StoreShrinkage(pk, name) for pk, name in stores.order_by("code", "pk").values_list("pk", "name")}
    approved = StockCount.objects.filter(location_id__in=list(rows), state=CountState.POSTED,
                                         decided_at__gte=since, decided_at__lt=until)  # fmt: skip
    for location_id, n in approved.values_list("location_id").annotate(n=Count("pk")).order_by():
        rows[location_id].counts_approved = n
    own, chain = _prices(Channel.POS)
    variances = (
        StockCountLine.objects.filter(count__in=approved, counted_quantity__isnull=False)
        .annotate(unit=Coalesce(own, chain, Decimal(0)), diff=F("counted_quantity") - F("book_quantity"))
        .values("count__location_id")
        .annotate(units=Sum("diff"), value=Sum(ExpressionWrapper(
            F("diff") * F("unit"), output_field=DecimalField(max_digits=14, decimal_places=2))))
        .order_by()
    )  # fmt: skip
    for row in variances:
        store = rows[row["count__location_id"]]
        store.variance_units, store.variance_value = row["units"] or 0, to_money(row["value"] or 0)
    moves = (
        StockMove.objects.filter(location_id__in=list(rows), kind__in=[MoveKind.ADJUSTMENT, MoveKind.COUNT],
                                 created_at__gte=since, created_at__lt=until)
        .annotate(worth=_worth(F("quantity")))
        .values("location_id", "reason_code")
        .annotate(units=Sum("quantity"), value=Sum("worth"))
        .order_by()
    )  # fmt: skip
    for row in moves:
        rows[row["location_id"]].by_reason[row["reason_code"]] = (row["units"], to_money(row["value"] or 0))
    totals = StoreShrinkage(None, "")
    for store in rows.values():
        totals.add(store)
    recent = list(approved.select_related("location", "category").order_by("-decided_at", "-pk")[:RECENT_COUNTS])
    return ShrinkageReport(since=since, until=until, stores=list(rows.values()), totals=totals, recent=recent)
