from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.core.errors import DomainError, not_found
from o2o.core.sql import cache_related_rows
from o2o.inventory.selectors import Supply, nearby_supply
from o2o.members.phones import normalize_phone
from o2o.orders import sql
from o2o.orders.models import Order, OrderLine, OrderTransition
from o2o.stores.models import Location


def _visible_orders(actor: Actor) -> QuerySet[Order]:
    orders = Order.objects.all()
    if actor.member is not None:
        return orders.filter(member=actor.member)  # also written as SQL: orders.sql.members_order
    if not actor.is_staff:
        return orders.none()
    if actor.location_ids is None:
        return orders
    return orders.filter(
        Q(selling_location_id__in=actor.location_ids) | Q(fulfilment_location_id__in=actor.location_ids)
    )


def _one_visible(orders: QuerySet[Order], *, order_id: int | None, number: str | None) -> Order:
    found = orders.filter(pk=order_id) if order_id is not None else orders.filter(number=number)
    for order in found[:1]:  # a key finds one row at most: no ORDER BY to build
        return order
    raise not_found("order")


def get_order_for(*, actor: Actor, order_id: int | None = None, number: str | None = None) -> Order:
    """The order if the actor may see it; the same 404 whether it is missing or not theirs."""
    orders = (
        _visible_orders(actor)
        .select_related("member", "selling_location", "fulfilment_location")
        .prefetch_related("lines__sku")
    )
    order = _one_visible(orders, order_id=order_id, number=number)
    _read_discounts(order)
    return order


def get_order_row_for(*, actor: Actor, order_id: int) -> Order:
    """The order alone (none of its lines or related rows), if the actor may see it, with the same
    404 as `get_order_for`: for operations that read only the order's own columns."""
    if actor.member is None:
        return _one_visible(_visible_orders(actor), order_id=order_id, number=None)
    # A customer's own order (`_visible_orders`' rule for members), the app's every look at an
    # order: one named statement.
    order = sql.members_order(order_id=order_id, member_id=actor.member.pk)
    if order is None:
        raise not_found("order")
    return order


def get_order_with_lines_for(*, actor: Actor, order_id: int) -> Order:
    """The order with its lines and their SKUs (and their discounts where a line has some), if the
    actor may see it, with the same 404 as `get_order_for`: what an answer about an order shows, in
    two statements. Its member and locations are not read."""
    order = get_order_row_for(actor=actor, order_id=order_id)
    cache_related_rows(order, "lines", sql.lines_with_skus(order))
    _read_discounts(order)
    return order


def as_placed(*, actor: Actor, order: Order) -> Order:
    """The answer to placing an order: the order as `place_order` left it, its lines with their SKUs
    and discounts in hand (no statement); else, as `get_order_with_lines_for` reads it (a retry
    answered with the first order; an order paid at once, whose lines the payment read again)."""
    lines = getattr(order, "_prefetched_objects_cache", {}).get("lines")
    if lines is not None and all(OrderLine.sku.is_cached(line) for line in lines):
        return order
    return get_order_with_lines_for(actor=actor, order_id=order.pk)


def _read_discounts(order: Order) -> None:
    # Discount rows only when a line has some: an order without discounts costs no query for them.
    if discounted := [line for line in order.lines.all() if line.discount_total]:
        prefetch_related_objects(discounted, "discounts")


def orders_for(*, actor: Actor, state: str | None = None, location_id: int | None = None) -> QuerySet[Order]:
    orders = (
        _visible_orders(actor)
        .select_related("selling_location", "fulfilment_location")
        .prefetch_related("lines__sku", "lines__discounts")
    )
    if state:
        orders = orders.filter(state=state)
    if location_id is not None:
        orders = orders.filter(Q(selling_location_id=location_id) | Q(fulfilment_location_id=location_id))
    return orders.order_by("-pk")


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def matching_orders(
    orders: QuerySet[Order], *, text: str = "", placed_from: date | None = None, placed_to: date | None = None
) -> QuerySet[Order]:
    """Narrow a list of orders by what staff type (an order number, or the customer's phone) and by
    the local days they were placed on; each is an indexed lookup (number, member's phone, created_at)."""
    text = text.strip()
    if text:
        try:
            phone = normalize_phone(text)
        except DomainError:
            orders = orders.filter(number__startswith=text)
        else:
            orders = orders.filter(member__phone=phone)
    if placed_from:
        orders = orders.filter(created_at__gte=_local_midnight(placed_from))
    if placed_to:
        orders = orders.filter(created_at__lt=_local_midnight(placed_to + timedelta(days=1)))
    return orders


def lines_of(order: Order) -> list[OrderLine]:
    """The order's lines, oldest first: those read with the order when they were (`mark_paid` reads
    them once for every reaction to the payment), else one query."""
    return sorted(order.lines.all(), key=lambda line: line.pk)


def order_history(*, order_id: int) -> list[OrderTransition]:
    """Every state the order went through, oldest first, with who moved it."""
    return list(OrderTransition.objects.filter(order_id=order_id).select_related("actor").order_by("pk"))


def member_history(*, member_id: int) -> QuerySet[Order]:
    """One history for online and in-store orders alike."""
    return Order.objects.filter(member_id=member_id).prefetch_related("lines__sku").order_by("-created_at", "-pk")


# Stores and warehouses a city apart are still candidates; the nearest ones come first anyway.
FULFILMENT_RADIUS_KM = 50.0
_ALL = 10_000


def pickup_stores_for(*, latitude: float, longitude: float, wanted: dict[int, int], limit: int = 10) -> list[Supply]:
    """Stores near the customer where every wanted unit can be picked up (online stock), nearest first."""
    supplies = nearby_supply(
        latitude=latitude,
        longitude=longitude,
        wanted=wanted,
        radius_km=FULFILMENT_RADIUS_KM,
        limit=_ALL,
        pickup_only=True,
        only_complete=True,
    )
    return [s for s in supplies if s.nearby.location.kind == Location.Kind.STORE][:limit]


def ship_from_for(*, latitude: float, longitude: float, wanted: dict[int, int]) -> Supply | None:
    """The nearest location that can supply every wanted unit and delivers that far (its delivery radius)."""
    supplies = nearby_supply(
        latitude=latitude,
        longitude=longitude,
        wanted=wanted,
        radius_km=FULFILMENT_RADIUS_KM,
        limit=_ALL,
        only_complete=True,
    )
    return next((s for s in supplies if s.nearby.distance_km <= float(s.nearby.location.delivery_radius_km)), None)
