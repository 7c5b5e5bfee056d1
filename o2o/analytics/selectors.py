"""The HQ dashboard's numbers: a few GROUP BY queries over orders, members and pickup vouchers.

Every figure on the dashboard page and in GET /api/v1/analytics/dashboard comes from `dashboard()`,
so the two always agree. The selector returns plain data (dataclasses of str, int and Decimal);
labels and formatting belong to the callers.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum

from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.analytics.models import (
    CHANNEL_KEYS,
    FIGURES,
    FULFILMENT_KEYS,
    DailySales,
    SalesDay,
    orders_column,
    sales_column,
)
from o2o.catalog.models import Channel
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.money import to_money
from o2o.members.models import Member
from o2o.orders.models import Fulfilment, Order, OrderState
from o2o.pickup.selectors import waiting_and_overdue_by_location
from o2o.staff.models import Role
from o2o.stores.models import Location

TOP = 20
# Orders that never brought money in: they are not sales.
NOT_SALES = (OrderState.PENDING_PAYMENT, OrderState.CANCELLED)
ONLINE, IN_STORE = "online", "in_store"
MONEY = DecimalField(max_digits=14, decimal_places=2)


class Period(StrEnum):
    TODAY = "today"
    LAST_7_DAYS = "7d"
    LAST_30_DAYS = "30d"


DAYS = {Period.TODAY: 1, Period.LAST_7_DAYS: 7, Period.LAST_30_DAYS: 30}


def period_bounds(period: Period | str, *, now: datetime | None = None) -> tuple[datetime, datetime]:
    """[start, end) of whole local days (settings.TIME_ZONE) ending with today: today, the last 7 or 30 days."""
    today = timezone.localdate(now or timezone.now())
    tz = timezone.get_current_timezone()
    start_day = today - timedelta(days=DAYS[Period(period)] - 1)
    start = datetime.combine(start_day, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    return start, end


def dashboard_scope(actor: Actor) -> frozenset[int] | None:
    """The locations whose numbers the actor may see: HQ and chain-wide staff every one, a regional
    supervisor their region's. Everyone else is refused."""
    if not actor.is_staff or not (actor.is_chain_wide or actor.has_role(Role.HQ, Role.REGIONAL_SUPERVISOR)):
        raise DomainError(ErrorCode.FORBIDDEN, "the dashboard is for HQ and regional supervisors")
    return actor.location_ids


@dataclass(frozen=True)
class Totals:
    """Sales are paid orders net of refunds (exactly: `live_sales_rows`); the average is sales / orders."""

    sales: Decimal
    orders: int
    average_order_value: Decimal
    new_members: int
    pickups_waiting: int
    pickups_overdue: int


@dataclass(frozen=True)
class StoreFigures:
    location_id: int | None  # None: members who joined online, with no store
    code: str
    name: str
    sales: Decimal
    orders: int
    average_order_value: Decimal
    new_members: int
    pickups_waiting: int
    pickups_overdue: int


@dataclass(frozen=True)
class Slice:
    """Sales and order count of one channel, channel group (online / in_store) or fulfilment type."""

    key: str
    sales: Decimal
    orders: int


@dataclass(frozen=True)
class Acquirer:
    """Who brought new members in: a store, or an employee (with their store)."""

    id: int | None
    name: str
    location_name: str
    members: int


@dataclass(frozen=True)
class Dashboard:
    start: datetime
    end: datetime
    totals: Totals
    by_store: list[StoreFigures]
    by_channel: list[Slice]
    by_channel_group: list[Slice]
    by_fulfilment: list[Slice]
    new_members_by_store: list[Acquirer]
    new_members_by_employee: list[Acquirer]


def _in_scope(field: str, location_ids: frozenset[int] | None) -> Q:
    """Rows whose `field` is a location in scope, the ids asked for through the locations table.

    Not `field IN (ids)`: once PostgreSQL runs a prepared statement under a generic plan it checks a
    list of parameters element by element on every row (64 ms for a region's 167 stores over a
    day's 29,000 orders), where it hashes the rows of a subquery (12-20 ms)."""
    if location_ids is None:
        return Q()
    return Q(**{f"{field}__in": Location.objects.filter(pk__in=location_ids).values("pk")})


def sales_orders(location_ids: frozenset[int] | None, start: datetime, end: datetime) -> QuerySet[Order]:
    """The orders that are sales: paid in [start, end), not pending payment or cancelled, of the
    selling stores in scope (None: every store). The boss view sums and lists these too."""
    return Order.objects.filter(
        _in_scope("selling_location_id", location_ids), paid_at__gte=start, paid_at__lt=end
    ).exclude(state__in=NOT_SALES)


def live_sales_rows(location_ids: frozenset[int] | None, start: datetime, end: datetime) -> list[dict]:
    """One row per (selling store, channel, fulfilment): net sales and order count, from the orders.

    Sales are orders with `paid_at` in [start, end) whose state is not pending_payment or cancelled;
    each counts `total - refunded_total` (refunds made so far, whenever they happened), so a fully
    refunded order adds 0 to sales but still counts as an order. A sale belongs to its selling store
    (the store credited with it), not to the location the goods came from.
    """
    return _grouped(sales_orders(location_ids, start, end))


def _net_sales_and_orders() -> dict:
    """An order's net sales (total less what was refunded) and the order count, to annotate a group with."""
    return {"sales": Sum(F("total") - F("refunded_total"), output_field=MONEY), "orders": Count("pk")}


def _grouped(orders: QuerySet[Order], *by: str) -> list[dict]:
    """Net sales and order count per (`by`..., selling store, channel, fulfilment)."""
    return list(
        orders.values(*by, "selling_location_id", "channel", "fulfilment")
        .annotate(**_net_sales_and_orders())
        .order_by()
    )


def sales_by_day(orders: QuerySet[Order]) -> list[dict]:
    """`_grouped` per local day of payment too (key `day`): what a day's rollup rows are made of."""
    return _grouped(orders.annotate(day=TruncDate("paid_at", tzinfo=timezone.get_current_timezone())), "day")


Sums = tuple[dict[tuple, Decimal], dict[tuple, int]]


def _sales_sums(location_ids: frozenset[int] | None, start: datetime, end: datetime, *, rollups: bool = True) -> Sums:
    """Net sales and order counts of [start, end) per ("store", id), ("channel", key), ("group", key),
    ("fulfilment", key) and ("all", None): the fresh rolled-up days read from DailySales (one row per
    store and day), only the other hours (today, stale or not yet rolled-up days, partial days) counted
    from the orders. `rollups=False`: everything from the orders (`live_sales_rows`).

    The database folds the rows: per store only sales and orders come back (a thousand rows at a big
    chain's HQ), and the channels and fulfilment types as a dozen rows of live orders and one row of
    rolled-up sums. Folding a (store, channel, fulfilment) row each in Python took most of HQ's time."""
    sales: dict[tuple, Decimal] = defaultdict(Decimal)
    orders: dict[tuple, int] = defaultdict(int)

    def add(key: tuple, amount: Decimal | None, count: int | None) -> None:
        sales[key] += amount or 0
        orders[key] += count or 0

    split = rollup_split(start, end) if rollups else RollupSplit(days=[], live=Q(paid_at__gte=start, paid_at__lt=end))
    if split.live is not None:
        live = live_sales_orders(location_ids, split.live)
        for store, amount, count in _net_by(live, "selling_location_id"):
            add(("store", store), amount, count)
        for channel, fulfilment, amount, count in _net_by(live, "channel", "fulfilment"):
            add(("channel", channel), amount, count)
            add(("fulfilment", fulfilment), amount, count)
    if split.days:
        rolled = rolled_up_sales(location_ids, split.days)
        for store, amount, count in _net_by(
            rolled, "selling_location_id", net={"sales": Sum("sales"), "orders": Sum("orders")}
        ):
            add(("store", store), amount, count)
        totals = rolled.aggregate(**{figure: Sum(figure) for figure in FIGURES[2:]})
        for kind, keys in (("channel", CHANNEL_KEYS), ("fulfilment", FULFILMENT_KEYS)):
            for key in keys:
                add((kind, key), totals[sales_column(key)], totals[orders_column(key)])
    for (kind, channel), amount in list(sales.items()):
        if kind == "channel":
            for key in (("group", channel_group(channel)), ("all", None)):
                add(key, amount, orders[(kind, channel)])
    return sales, orders


def _net_by(rows: QuerySet, *by: str, net: dict | None = None) -> QuerySet:
    """(*by, sales, orders) tuples: orders' net sales and count (or `net`, e.g. rollups' sums) per `by`."""
    return rows.values_list(*by).annotate(**(net or _net_sales_and_orders())).order_by()


def live_sales_orders(location_ids: frozenset[int] | None, paid: Q) -> QuerySet[Order]:
    """`sales_orders` with any condition on `paid_at` (the live part of a `rollup_split`)."""
    return Order.objects.filter(_in_scope("selling_location_id", location_ids), paid).exclude(state__in=NOT_SALES)


def rolled_up_sales(location_ids: frozenset[int] | None, days: list[date]) -> QuerySet[DailySales]:
    """The DailySales rows of the stores in scope on these days (fresh ones: see `rollup_split`)."""
    return DailySales.objects.filter(_in_scope("selling_location_id", location_ids), day_id__in=days)


@dataclass(frozen=True)
class RollupSplit:
    """[start, end) split into fresh rolled-up days and a condition on `paid_at` for everything else
    (None when nothing is left)."""

    days: list[date]
    live: Q | None


def rollup_split(start: datetime, end: datetime) -> RollupSplit:
    """Which local days wholly inside [start, end) have a fresh rollup; the rest is counted live.

    A day that is not fresh (a refund changed it, or the rollup has not run yet) is never read from
    DailySales, so a stale or missing rollup cannot give a wrong number, only a slower one."""
    tz = timezone.get_current_timezone()
    first, last = timezone.localdate(start), timezone.localdate(end)
    if _midnight(first, tz) < start:
        first += timedelta(days=1)
    fresh = (
        set(SalesDay.objects.filter(day__gte=first, day__lt=last, fresh=True).values_list("day", flat=True))
        if first < last
        else set()
    )
    days = sorted(fresh)
    # The live hours: the gaps between the fresh days, merged into as few ranges as possible.
    ranges, at = [], start
    for day in days:
        if _midnight(day, tz) > at:
            ranges.append((at, _midnight(day, tz)))
        at = _midnight(day + timedelta(days=1), tz)
    if at < end:
        ranges.append((at, end))
    live = None
    for low, high in ranges:
        q = Q(paid_at__gte=low, paid_at__lt=high)
        live = q if live is None else live | q
    return RollupSplit(days=days, live=live)


def _midnight(day: date, tz) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def _members_by_location(location_ids: frozenset[int] | None, start: datetime, end: datetime) -> dict[int | None, int]:
    rows = (
        Member.objects.filter(
            _in_scope("acquiring_location_id", location_ids), created_at__gte=start, created_at__lt=end
        )
        .values("acquiring_location_id")
        .annotate(members=Count("pk"))
        .order_by()
    )
    return {r["acquiring_location_id"]: r["members"] for r in rows}


def _members_by_employee(location_ids: frozenset[int] | None, start: datetime, end: datetime) -> list[Acquirer]:
    rows = (
        Member.objects.filter(
            _in_scope("acquiring_location_id", location_ids),
            created_at__gte=start,
            created_at__lt=end,
            acquiring_employee__isnull=False,
        )
        .values("acquiring_employee_id", "acquiring_employee__display_name", "acquiring_employee__home_location__name")
        .annotate(members=Count("pk"))
        .order_by("-members", "acquiring_employee_id")[:TOP]
    )
    return [
        Acquirer(
            id=r["acquiring_employee_id"],
            name=r["acquiring_employee__display_name"],
            location_name=r["acquiring_employee__home_location__name"] or "",
            members=r["members"],
        )
        for r in rows
    ]


def _slices(kind: str, keys: list[str], sales: dict[tuple, Decimal], orders: dict[tuple, int]) -> list[Slice]:
    return [Slice(key=str(k), sales=to_money(sales.get((kind, k), 0)), orders=orders.get((kind, k), 0)) for k in keys]


def _average(sales: Decimal, orders: int) -> Decimal:
    return to_money(sales / orders) if orders else to_money(0)


def dashboard(
    *, location_ids: frozenset[int] | None, start: datetime, end: datetime, rollups: bool = True
) -> Dashboard:
    """Sales, orders, members and pickups of the locations in scope (None: every location) in [start, end).

    Sales: see `live_sales_rows` (read through the daily rollups: `_sales_sums`). New members: members
    who joined in the period, credited to their acquiring store (members who joined online with no
    store count only chain-wide, in a row with no location). Pickups waiting and overdue are the state
    now, whatever the period.
    `rollups=False` counts every sale from the orders (the benchmark's "before"; the same numbers).
    """
    sales, orders = _sales_sums(location_ids, start, end, rollups=rollups)
    members = _members_by_location(location_ids, start, end)
    waiting, overdue = waiting_and_overdue_by_location(location_ids=location_ids)  # now, not for the period

    store_sales = {k[1]: v for k, v in sales.items() if k[0] == "store"}
    store_orders = {k[1]: v for k, v in orders.items() if k[0] == "store"}
    by_store = _stores(location_ids, store_sales, store_orders, members, waiting, overdue)
    total_sales = to_money(sales["all", None])
    return Dashboard(
        start=start,
        end=end,
        totals=Totals(
            sales=total_sales,
            orders=orders["all", None],
            average_order_value=_average(total_sales, orders["all", None]),
            new_members=sum(members.values()),
            pickups_waiting=sum(waiting.values()),
            pickups_overdue=sum(overdue.values()),
        ),
        by_store=by_store,
        by_channel=_slices("channel", [Channel.APP, Channel.H5, Channel.SHARE_LINK, Channel.POS], sales, orders),
        by_channel_group=_slices("group", [ONLINE, IN_STORE], sales, orders),
        by_fulfilment=_slices(
            "fulfilment", [Fulfilment.PICKUP, Fulfilment.DELIVERY, Fulfilment.IN_STORE], sales, orders
        ),
        new_members_by_store=sorted(
            (Acquirer(id=s.location_id, name=s.name, location_name=s.name, members=s.new_members) for s in by_store),
            key=lambda a: (-a.members, a.id is None, a.id or 0),
        )[:TOP],
        new_members_by_employee=_members_by_employee(location_ids, start, end),
    )


def channel_group(channel: str) -> str:
    """`online` for the app, H5 and employee share links; `in_store` for the counter (POS)."""
    return ONLINE if channel in Channel.online() else IN_STORE


def _stores(location_ids, sales, orders, members, waiting, overdue) -> list[StoreFigures]:
    """A row for every active store in scope, and for any other location that has a number."""
    with_numbers = {k for k in [*sales, *members, *waiting, *overdue] if k is not None}
    # Every location in scope, filtered here: `pk IN (...)` a thousand numbers long cost more to build
    # and send than the few other locations (warehouses, closed stores) cost to read.
    locations = [
        (pk, code, name)
        for pk, code, name, is_store in Location.objects.filter(Q() if location_ids is None else Q(pk__in=location_ids))
        .annotate(is_store=Q(kind=Location.Kind.STORE, is_active=True))
        .values_list("pk", "code", "name", "is_store")
        .order_by("code")
        if is_store or pk in with_numbers
    ]
    rows = [
        StoreFigures(
            location_id=pk,
            code=code,
            name=name,
            sales=to_money(sales.get(pk, 0)),
            orders=orders.get(pk, 0),
            average_order_value=_average(sales.get(pk, Decimal(0)), orders.get(pk, 0)),
            new_members=members.get(pk, 0),
            pickups_waiting=waiting.get(pk, 0),
            pickups_overdue=overdue.get(pk, 0),
        )
        for pk, code, name in locations
    ]
    if members.get(None):
        rows.append(StoreFigures(None, "", "", to_money(0), 0, to_money(0), members[None], 0, 0))
    return rows
