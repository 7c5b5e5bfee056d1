"""Reads of the cash book: a store's takings per business day, the daily closes, franchise shares.

A business day's takings run from the previous day's close (or local midnight when that day was
not closed before midnight) to this day's close (or its end): money taken after a close counts
to the next business day, so the figures of a closed day never change (docs/cashbook.md).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.cashbook.days import end_of, start_of
from o2o.cashbook.models import DailyClose
from o2o.catalog.models import Channel
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.money import to_money
from o2o.installments.models import InstallmentRepayment
from o2o.orders.models import PAID_STATES, Fulfilment, Order, OrderState
from o2o.payments.models import IN_STORE_METHODS, Payment, PaymentMethod, Refund
from o2o.stores.models import Location
from o2o.stores.selectors import active_locations, get_location
from o2o.wallet.models import COUNTER_TOP_UP_METHODS, EntryKind, TopUp, WalletEntry


class Kind:
    """Where a line of takings stands in the store's books."""

    COUNTER = "counter"  # paid at this store's counter: the store's own takings
    TOP_UP = "top_up"  # wallet top-ups at this store's counter: takings too (a liability to the member)
    REPAYMENT = "repayment"  # store credit plans repaid at this store's counter (and repaid money handed back)
    ONLINE = "online"  # gateway payments of orders this store sold: settled through HQ
    NON_CASH = "non_cash"  # wallet, points, store credit: liabilities used, not takings


KIND_ORDER = (Kind.COUNTER, Kind.TOP_UP, Kind.REPAYMENT, Kind.ONLINE, Kind.NON_CASH)
# Kinds whose cash is in the drawer.
DRAWER_KINDS = (Kind.COUNTER, Kind.TOP_UP, Kind.REPAYMENT)
ZERO = Decimal("0.00")
# The longest range the franchise report adds up in one request.
MAX_REPORT_DAYS = 92
# Orders that can no longer change their money: their franchise share is final.
FINAL_ORDER_STATES = (OrderState.COMPLETED, OrderState.REFUNDED, OrderState.UNCOLLECTED)


@dataclass(frozen=True)
class TakingsLine:
    kind: str
    method: str
    count: int = 0
    taken: Decimal = ZERO
    refunded: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.taken - self.refunded


@dataclass(frozen=True)
class Takings:
    location: Location
    business_date: date
    start: datetime
    end: datetime
    opening_float: Decimal
    lines: list[TakingsLine] = field(default_factory=list)
    close: DailyClose | None = None

    def _cash(self, attribute: str) -> Decimal:
        cash = (line for line in self.lines if line.kind in DRAWER_KINDS and line.method == PaymentMethod.CASH)
        return sum((getattr(line, attribute) for line in cash), ZERO)

    @property
    def cash_in(self) -> Decimal:
        return self._cash("taken")

    @property
    def cash_out(self) -> Decimal:
        return self._cash("refunded")

    @property
    def expected_cash(self) -> Decimal:
        return self.opening_float + self.cash_in - self.cash_out

    def total(self, kind: str) -> Decimal:
        return sum((line.net for line in self.lines if line.kind == kind), ZERO)

    def snapshot(self) -> dict:
        """The takings as the JSON a close keeps (amounts as strings with two places)."""
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "opening_float": str(self.opening_float),
            "cash_in": str(self.cash_in),
            "cash_out": str(self.cash_out),
            "expected_cash": str(self.expected_cash),
            "lines": [
                {
                    "kind": line.kind,
                    "method": line.method,
                    "count": line.count,
                    "taken": str(line.taken),
                    "refunded": str(line.refunded),
                    "net": str(line.net),
                }
                for line in self.lines
            ],
        }


def opening_float() -> Decimal:
    return to_money(settings.O2O_CASH_FLOAT)


def variance_alert() -> Decimal:
    return to_money(settings.O2O_CASH_VARIANCE_ALERT)


def takings_window(*, location_id: int, business_date: date, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The moments a business day's takings run between (see the module's docstring)."""
    now = now or timezone.now()
    bounds = dict(
        DailyClose.objects.filter(
            location_id=location_id, business_date__in=[business_date - timedelta(days=1), business_date]
        ).values_list("business_date", "takings_to")
    )
    start = bounds.get(business_date - timedelta(days=1), start_of(business_date))
    end = bounds.get(business_date) or min(now, end_of(business_date))
    return start, max(start, end)


def _kind_of(method: str, gateway: str) -> str:
    if method in IN_STORE_METHODS:
        return Kind.COUNTER
    return Kind.ONLINE if gateway else Kind.NON_CASH


def takings_lines(location_id: int, start: datetime, end: datetime) -> list[TakingsLine]:
    """The takings of a store between two moments, by kind and method (a few grouped queries)."""
    # Two queries each rather than one OR across a join, so that each can start from an index:
    # what the store's counter took (payment.location), and tenders without a counter (gateway,
    # stored value...) of the orders the store sold (order.selling_location).
    at_store = [Q(location_id=location_id), Q(location__isnull=True, order__selling_location_id=location_id)]
    taken = [
        Payment.objects.filter(where, state__in=[Payment.State.SUCCEEDED, Payment.State.RETURNED])
        .filter(succeeded_at__gte=start, succeeded_at__lt=end)
        .values("method", "gateway")
        .annotate(total=Sum("amount"), n=Count("pk"))
        for where in at_store
    ]
    given_back = [
        Refund.objects.filter(payment__in=Payment.objects.filter(where), state=Refund.State.SUCCEEDED)
        .filter(finished_at__gte=start, finished_at__lt=end)
        .values("payment__method", "payment__gateway")
        .annotate(total=Sum("amount"))
        for where in at_store
    ]
    top_ups = (
        TopUp.objects.filter(location_id=location_id, state=TopUp.State.SUCCEEDED, method__in=COUNTER_TOP_UP_METHODS)
        .filter(succeeded_at__gte=start, succeeded_at__lt=end)
        .values("method")
        .annotate(total=Sum("amount"), n=Count("pk"))
    )
    # Stored-value principal paid back at this store's counter leaves its drawer in cash.
    principal_paid_back = WalletEntry.objects.filter(
        kind=EntryKind.PRINCIPAL_REFUND, location_id=location_id, created_at__gte=start, created_at__lt=end
    ).aggregate(total=Sum("principal_delta"), n=Count("pk"))
    # Store credit plans repaid at this store's counter (positive rows, by method), and repaid money
    # handed back there after a return took more off the debt than was owed (negative `refund` rows).
    repayments = (
        InstallmentRepayment.objects.filter(location_id=location_id, created_at__gte=start, created_at__lt=end)
        .values("method")
        .annotate(
            total=Sum("amount", filter=Q(amount__gt=0), default=ZERO),
            n=Count("pk", filter=Q(amount__gt=0)),
            handed_back=Sum("amount", filter=Q(amount__lt=0), default=ZERO),
        )
    )
    found: dict[tuple[str, str], dict] = {}

    def add(kind: str, method: str, **amounts) -> None:
        line = found.setdefault((kind, method), {"count": 0, "taken": ZERO, "refunded": ZERO})
        for name, value in amounts.items():
            line[name] += value if name == "count" else to_money(value)

    for row in (row for rows in taken for row in rows):
        add(_kind_of(row["method"], row["gateway"]), row["method"], count=row["n"], taken=row["total"])
    for row in (row for rows in given_back for row in rows):
        add(_kind_of(row["payment__method"], row["payment__gateway"]), row["payment__method"], refunded=row["total"])
    for row in top_ups:
        add(Kind.TOP_UP, row["method"], count=row["n"], taken=row["total"])
    if principal_paid_back["n"]:
        add(Kind.TOP_UP, PaymentMethod.CASH, refunded=-principal_paid_back["total"])
    for row in repayments:
        add(Kind.REPAYMENT, row["method"], count=row["n"], taken=row["total"], refunded=-row["handed_back"])
    return [
        TakingsLine(kind=kind, method=method, **found[(kind, method)])
        for kind, method in sorted(found, key=lambda key: (KIND_ORDER.index(key[0]), key[1]))
    ]


def store_takings(*, location: Location, business_date: date, now: datetime | None = None) -> Takings:
    """The day's takings, from the close's snapshot when the day is closed, else as they stand now."""
    close = (
        DailyClose.objects.filter(location=location, business_date=business_date).select_related("closed_by").first()
    )
    if close is not None:
        return takings_of_close(close)
    start, end = takings_window(location_id=location.pk, business_date=business_date, now=now)
    return Takings(
        location=location,
        business_date=business_date,
        start=start,
        end=end,
        opening_float=opening_float(),
        lines=takings_lines(location.pk, start, end),
    )


def takings_of_close(close: DailyClose) -> Takings:
    snapshot = close.takings
    lines = [
        TakingsLine(
            kind=line["kind"],
            method=line["method"],
            count=line["count"],
            taken=Decimal(line["taken"]),
            refunded=Decimal(line["refunded"]),
        )
        for line in snapshot["lines"]
    ]
    return Takings(
        location=close.location,
        business_date=close.business_date,
        start=close.takings_from,
        end=close.takings_to,
        opening_float=close.opening_float,
        lines=lines,
        close=close,
    )


def takings_for(*, actor: Actor, location_id: int, business_date: date) -> Takings:
    """A store's takings of a day, for someone the permission table lets see its cash book."""
    authorize(actor, Operation.VIEW_CASHBOOK, location_id=location_id)
    return store_takings(location=get_location(location_id=location_id), business_date=business_date)


def _check_range(date_from: date, date_to: date, *, max_days: int | None = None) -> None:
    if date_from > date_to:
        raise DomainError(ErrorCode.INVALID, "date_from is after date_to")
    if max_days is not None and (date_to - date_from).days >= max_days:
        raise DomainError(ErrorCode.INVALID, f"ask for at most {max_days} days at a time", max_days=max_days)


def closes_for(*, actor: Actor, date_from: date, date_to: date, location_id: int | None = None) -> QuerySet[DailyClose]:
    """The daily closes of the stores the actor sees (HQ: all), of the days in the range."""
    authorize(actor, Operation.VIEW_CASHBOOK, location_id=location_id)
    _check_range(date_from, date_to)
    closes = DailyClose.objects.filter(business_date__gte=date_from, business_date__lte=date_to).select_related(
        "location", "closed_by"
    )
    if actor.location_ids is not None:
        closes = closes.filter(location_id__in=actor.location_ids)
    if location_id is not None:
        closes = closes.filter(location_id=location_id)
    return closes


def stores_not_closed(*, actor: Actor, business_date: date) -> QuerySet[Location]:
    """The active stores the actor sees whose day is not closed yet."""
    authorize(actor, Operation.VIEW_CASHBOOK)
    stores = active_locations().filter(kind=Location.Kind.STORE)
    if actor.location_ids is not None:
        stores = stores.filter(pk__in=actor.location_ids)
    return stores.exclude(daily_closes__business_date=business_date).order_by("id")


# The longest range of days the HQ page lists unclosed stores for.
MAX_UNCLOSED_DAYS = 31


def unclosed_days(*, actor: Actor, date_from: date, date_to: date) -> list[tuple[date, list[Location]]]:
    """For each day of the range, the active stores the actor sees that have not closed it (two queries)."""
    authorize(actor, Operation.VIEW_CASHBOOK)
    _check_range(date_from, date_to, max_days=MAX_UNCLOSED_DAYS)
    stores = active_locations().filter(kind=Location.Kind.STORE).order_by("code")
    if actor.location_ids is not None:
        stores = stores.filter(pk__in=actor.location_ids)
    stores = list(stores)
    closed = set(
        DailyClose.objects.filter(
            location_id__in=[store.pk for store in stores], business_date__gte=date_from, business_date__lte=date_to
        ).values_list("business_date", "location_id")
    )
    days = [date_from + timedelta(days=n) for n in range((date_to - date_from).days + 1)]
    return [(day, [store for store in stores if (day, store.pk) not in closed]) for day in days]


@dataclass(frozen=True)
class FranchiseDay:
    """What a franchise store earned on one business day from the online orders it fulfilled."""

    location: Location
    business_date: date
    orders: int
    gross: Decimal
    refunded: Decimal
    percent: Decimal
    open_orders: int  # still in their return window (or not handed over): the figures may change

    @property
    def net(self) -> Decimal:
        return self.gross - self.refunded

    @property
    def share(self) -> Decimal:
        return to_money(self.net * self.percent / 100)

    @property
    def final(self) -> bool:
        return self.open_orders == 0


def franchise_days(
    *, actor: Actor, date_from: date, date_to: date, location_id: int | None = None
) -> list[FranchiseDay]:
    """Per franchise store and business day (the local date the order was paid): the online
    orders it fulfilled, their net revenue (total minus refunded) and the share owed to it."""
    authorize(actor, Operation.VIEW_CASHBOOK, location_id=location_id)
    _check_range(date_from, date_to, max_days=MAX_REPORT_DAYS)
    orders = Order.objects.filter(
        fulfilment_location__ownership=Location.Ownership.FRANCHISE,
        channel__in=Channel.online(),
        state__in=PAID_STATES,
        paid_at__gte=start_of(date_from),
        paid_at__lt=end_of(date_to),
    ).exclude(fulfilment=Fulfilment.IN_STORE)
    if actor.location_ids is not None:
        orders = orders.filter(fulfilment_location_id__in=actor.location_ids)
    if location_id is not None:
        orders = orders.filter(fulfilment_location_id=location_id)
    rows = list(
        orders.annotate(day=TruncDate("paid_at", tzinfo=timezone.get_current_timezone()))
        .values("fulfilment_location_id", "day")
        .annotate(
            n=Count("pk"),
            gross=Sum("total"),
            refunded=Sum("refunded_total"),
            still_open=Count("pk", filter=~Q(state__in=FINAL_ORDER_STATES)),
        )
        .order_by("day", "fulfilment_location_id")
    )
    stores = Location.objects.in_bulk({row["fulfilment_location_id"] for row in rows})
    return [
        FranchiseDay(
            location=stores[row["fulfilment_location_id"]],
            business_date=row["day"],
            orders=row["n"],
            gross=to_money(row["gross"]),
            refunded=to_money(row["refunded"]),
            percent=stores[row["fulfilment_location_id"]].franchise_share_percent,
            open_orders=row["still_open"],
        )
        for row in rows
    ]
