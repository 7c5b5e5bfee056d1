"""Placing orders and moving them through their states."""

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.catalog.models import SKU, Channel
from o2o.catalog.selectors import sellable_skus_with_prices
from o2o.core import events
from o2o.core.codes import random_readable
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.money import to_money
from o2o.core.sql import cache_related_rows, commit_without_waiting_for_disk, insert_model, insert_models
from o2o.inventory import services as inventory
from o2o.inventory.models import Reservation
from o2o.members.models import Member
from o2o.orders import sql
from o2o.orders.locks import lock_order
from o2o.orders.models import Exchange, Fulfilment, Order, OrderLine, OrderLineDiscount, OrderState, OrderTransition
from o2o.orders.states import HANDED_OVER, IN_RETURN_WINDOW, PAID_NOT_HANDED_OVER, can_transition
from o2o.pricing.allocation import share_of_units
from o2o.pricing.cart import ZERO, CartLine, PricedCart, price_cart
from o2o.pricing.claims import PlacedOrder, claim_offers
from o2o.pricing.rules import ManualDiscount
from o2o.staff.models import Employee
from o2o.stores.models import Location
from o2o.stores.selectors import get_location

MAX_LINE_QUANTITY = 999
MAX_LINES = 100
NUMBER_ATTEMPTS = 3


@dataclass(frozen=True)
class LineRequest:
    sku_id: int
    quantity: int


@dataclass(frozen=True)
class OrderRequest:
    channel: str
    fulfilment: str
    fulfilment_location_id: int
    lines: list[LineRequest]
    selling_location_id: int | None = None
    delivery_address: str = ""
    referrer: Employee | None = None
    # A store manager's discount off this counter sale (Operation.APPLY_MANUAL_DISCOUNT).
    manual_discount: ManualDiscount | None = None
    # Offers the customer chose (o2o.pricing.rules.CartContext): their coupons to redeem, and the
    # special offer bought through ("flash:<id>", "group:<id>", "chain:<id>").
    coupon_ids: tuple[int, ...] = ()
    offer: str = ""
    # The pickup slot the customer chose (its start, aware); None: as soon as it is ready.
    pickup_at: datetime | None = None


def _new_number() -> str:
    return timezone.localdate().strftime("%y%m%d") + random_readable(8)


def _fingerprint(request: OrderRequest, member_id: int | None) -> str:
    body = {
        "channel": request.channel,
        "fulfilment": request.fulfilment,
        "member": member_id,
        "location": request.fulfilment_location_id,
        "selling": request.selling_location_id,
        "lines": sorted((line.sku_id, line.quantity) for line in request.lines),
        "address": request.delivery_address,
    }
    if request.coupon_ids or request.offer:  # (absent, so older keys keep their fingerprint)
        body |= {"coupons": sorted(request.coupon_ids), "offer": request.offer}
    if request.pickup_at is not None:
        body["pickup_at"] = request.pickup_at.isoformat()
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _merged_lines(lines: list[LineRequest]) -> dict[int, int]:
    if not lines or len(lines) > MAX_LINES:
        raise DomainError(ErrorCode.INVALID, f"an order has 1 to {MAX_LINES} lines")
    merged: dict[int, int] = {}
    for line in lines:
        if not 1 <= line.quantity <= MAX_LINE_QUANTITY:
            raise DomainError(ErrorCode.INVALID, f"quantity must be 1 to {MAX_LINE_QUANTITY}", sku_id=line.sku_id)
        merged[line.sku_id] = merged.get(line.sku_id, 0) + line.quantity
    if any(q > MAX_LINE_QUANTITY for q in merged.values()):
        raise DomainError(ErrorCode.INVALID, f"quantity must be 1 to {MAX_LINE_QUANTITY}")
    return merged


def _check_fulfilment(request: OrderRequest, location: Location) -> None:
    if request.fulfilment == Fulfilment.PICKUP and not (
        location.kind == Location.Kind.STORE and location.pickup_enabled
    ):
        raise DomainError(
            ErrorCode.LOCATION_UNAVAILABLE, "this location does not offer pickup", location_id=location.pk
        )
    if request.pickup_at is not None and request.fulfilment != Fulfilment.PICKUP:
        raise DomainError(ErrorCode.INVALID, "only pickup orders take a pickup time")
    if request.fulfilment == Fulfilment.DELIVERY and not request.delivery_address.strip():
        raise DomainError(ErrorCode.INVALID, "a delivery order needs an address")
    if request.fulfilment == Fulfilment.IN_STORE and request.channel != Channel.POS:
        raise DomainError(ErrorCode.INVALID, "in-store sales are placed at the POS")


def _check_actor(request: OrderRequest, actor: Actor, member: Member | None) -> None:
    if actor.member is not None and (request.channel == Channel.POS or member != actor.member):
        raise DomainError(ErrorCode.FORBIDDEN, "customers order for themselves on an online channel")
    if actor.member is None and not actor.is_staff:
        raise DomainError(ErrorCode.FORBIDDEN, "sign in to order")
    if actor.is_staff and request.channel != Channel.POS:
        raise DomainError(ErrorCode.INVALID, "staff place orders for customers at the POS")


def _selling_location_id(request: OrderRequest, actor: Actor) -> int:
    if request.channel == Channel.POS:
        # A counter order is credited to the clerk's store, wherever the goods come from.
        if actor.employee is None or actor.employee.home_location_id is None:
            raise DomainError(ErrorCode.FORBIDDEN, "counter orders are placed by store staff")
        return actor.employee.home_location_id
    if request.referrer is not None and request.referrer.home_location_id is not None:
        return request.referrer.home_location_id
    return request.selling_location_id or request.fulfilment_location_id


def place_order(
    *, actor: Actor, member: Member | None, request: OrderRequest, idempotency_key: str | None = None
) -> Order:
    """Price the lines on the server, reserve every line's stock or none, set the payment deadline.

    A retry with the same idempotency key returns the first order.
    """
    if request.channel == Channel.POS:
        home = actor.employee.home_location_id if actor.employee else None
        authorize(actor, Operation.PLACE_COUNTER_ORDER, location_id=home)
    else:
        authorize(actor, Operation.PLACE_ONLINE_ORDER)
    if request.manual_discount is not None:
        _check_manual_discount(request, actor)
    scope = f"member:{member.pk}" if actor.member else f"user:{actor.user_id}"
    fingerprint = _fingerprint(request, member.pk if member else None)
    if idempotency_key and (existing := _replay(scope, idempotency_key, fingerprint)):
        return existing
    for attempt in range(NUMBER_ATTEMPTS):
        try:
            return _place(
                actor=actor,
                member=member,
                request=request,
                scope=scope,
                idempotency_key=idempotency_key,
                fingerprint=fingerprint,
            )
        except IntegrityError:
            # Either the same key raced us to its unique constraint (answer with the order it
            # created) or the random order number was taken (draw again).
            if idempotency_key and (existing := _replay(scope, idempotency_key, fingerprint)):
                return existing
            if attempt == NUMBER_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _replay(scope: str, key: str, fingerprint: str) -> Order | None:
    existing = Order.objects.filter(idempotency_scope=scope, idempotency_key=key).first()
    if existing is not None and existing.request_fingerprint != fingerprint:
        raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, "this idempotency key was used for another order")
    return existing


@transaction.atomic(durable=True)
def _place(
    *,
    actor: Actor,
    member: Member | None,
    request: OrderRequest,
    scope: str,
    idempotency_key: str | None,
    fingerprint: str,
) -> Order:
    _check_actor(request, actor, member)
    wanted = _merged_lines(request.lines)
    if request.channel not in Channel.values or request.fulfilment not in Fulfilment.values:
        raise DomainError(ErrorCode.INVALID, "unknown channel or fulfilment")
    location = get_location(location_id=request.fulfilment_location_id)
    _check_fulfilment(request, location)
    selling_location_id = _selling_location_id(request, actor)
    priced, skus = _price(request, wanted, member, selling_location_id)
    if priced.payable > 0 and settings.O2O_ASYNC_COMMIT_UNPAID_ORDERS:
        # Unpaid, the order holds only stock and claims that vanish with it: a crash in the
        # following ~0.6 s may lose it whole, and the customer orders again. Its payment waits for
        # the disk and flushes the order's log with its own, so money never refers to a lost
        # order. Meanwhile the hot stock row is released at COMMIT, not after the disk's flush.
        commit_without_waiting_for_disk()
    order = insert_model(
        Order(
            number=_new_number(),
            member=member,
            channel=request.channel,
            fulfilment=request.fulfilment,
            selling_location_id=selling_location_id,
            fulfilment_location=location,
            placed_by=actor.user if actor.is_staff else None,
            referrer=request.referrer,
            offer=request.offer,
            delivery_address=request.delivery_address.strip(),
            pickup_at=_as_stored(request.pickup_at),
            subtotal=priced.subtotal,
            discount_total=priced.discount_total,
            delivery_fee=priced.delivery_fee,
            total=priced.payable,
            refunded_total=ZERO,  # as the database gives it back (0.00): the answer shows this instance
            payment_deadline=timezone.now() + timedelta(minutes=settings.O2O_PAYMENT_DEADLINE_MINUTES),
            idempotency_scope=scope if idempotency_key else "",
            idempotency_key=idempotency_key,
            request_fingerprint=fingerprint,
        )
    )
    lines = _create_lines(order, priced, skus)
    claim_offers(
        PlacedOrder(
            order_id=order.pk,
            member_id=member.pk if member else None,
            channel=request.channel,
            selling_location_id=selling_location_id,
            fulfilment_location_id=location.pk,
            priced=priced,
            coupon_ids=tuple(request.coupon_ids),
            offer=request.offer,
        )
    )
    inventory.reserve_stock(
        requests=[inventory.StockRequest(location.pk, line.sku_id, line.quantity, line.pk) for line in lines],
        online=request.channel in Channel.online(),
        expires_at=order.payment_deadline,
        locations={location.pk: location},
    )
    events.publish(events.ORDER_PLACED, order=order)  # pickup books the chosen slot (or refuses it)
    if order.total == 0:  # nothing to pay (an offer or a discount covers it all): paid at once
        mark_paid(order=order, actor_id=actor.user_id)
    return order


def _as_stored(moment: datetime | None) -> datetime | None:
    """The moment as the database gives it back, in UTC (the answer to placing shows the order as
    written); a moment without a zone is the stores' local time, as Django would save it."""
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment.astimezone(UTC)


def _check_manual_discount(request: OrderRequest, actor: Actor) -> None:
    if request.channel != Channel.POS:
        raise DomainError(ErrorCode.INVALID, "a manual discount is given at the counter")
    home = actor.employee.home_location_id if actor.employee else None
    authorize(actor, Operation.APPLY_MANUAL_DISCOUNT, location_id=home)
    discount = request.manual_discount
    if discount.amount <= 0 or discount.amount != to_money(discount.amount) or not discount.reason.strip():
        raise DomainError(ErrorCode.INVALID, "a manual discount is a positive amount in fen with a reason")


def _price(
    request: OrderRequest, wanted: dict[int, int], member: Member | None, selling_location_id: int
) -> tuple[PricedCart, dict[int, SKU]]:
    """The cart priced by `pricing.price_cart` at the selling store, and its SKUs (SKUs and prices in
    one query); a manual discount must fit in full (it is never silently cut to what the goods cost)."""
    skus, prices = sellable_skus_with_prices(
        sku_ids=set(wanted), channel=request.channel, location_id=selling_location_id
    )
    manual = request.manual_discount
    priced = price_cart(
        lines=[CartLine(s, q) for s, q in sorted(wanted.items())],
        channel=request.channel,
        location_id=selling_location_id,
        member=member,
        fulfilment=request.fulfilment,
        prices=prices,
        skus=skus,
        extra_rules=[manual] if manual else [],
        coupon_ids=request.coupon_ids,
        offer=request.offer,
    )
    if manual is not None:
        given = sum((d.amount for line in priced.lines for d in line.discounts if d.source == manual.source), ZERO)
        if given != manual.amount:
            raise DomainError(
                ErrorCode.INVALID, "the manual discount is more than the goods cost", most=str(priced.net + given)
            )
    return priced, skus


def _create_lines(order: Order, priced: PricedCart, skus: dict[int, SKU]) -> list[OrderLine]:
    """The order's lines and their discount rows, kept on the order as a read would give them
    (`order.lines.all()`, each line's SKU and discounts): the answer to placing the order shows
    them without reading them back (`selectors.as_placed`)."""
    lines = insert_models(
        [
            OrderLine(
                order=order,
                sku_id=line.sku_id,
                quantity=line.quantity,
                unit_price=line.unit_price,
                line_total=line.gross,
                discount_total=line.discount_total,
                net_amount=line.net,
            )
            for line in priced.lines
        ]
    )
    discounts = [
        OrderLineDiscount(
            line=row,
            source=d.source,
            amount=d.amount,
            label=d.label[:120],
            rule_ref=d.rule_ref[:80],
            campaign_id=d.campaign_id,
        )
        for row, line in zip(lines, priced.lines, strict=True)
        for d in line.discounts
    ]
    if discounts:  # no statement for an order without discounts
        OrderLineDiscount.objects.bulk_create(discounts)
    for line in lines:
        line.order, line.sku = order, skus[line.sku_id]
        if line.discount_total:
            cache_related_rows(line, "discounts", [d for d in discounts if d.line is line])
    cache_related_rows(order, "lines", lines)
    return lines


def quote_order(*, actor: Actor, member: Member | None, request: OrderRequest) -> PricedCart:
    """What placing this order would cost, without placing it (reads only, writes nothing).

    The same checks and prices as `place_order`: customers quote online channels for themselves,
    staff quote counter sales at their store for a customer they name. An anonymous caller may
    quote online channels and gets list prices only (no member, so no member benefits)."""
    if actor.member is not None or actor.is_staff:
        _check_actor(request, actor, member)
    elif member is not None or request.channel == Channel.POS:
        raise DomainError(ErrorCode.FORBIDDEN, "sign in to see member or counter prices")
    wanted = _merged_lines(request.lines)
    if request.channel not in Channel.values or request.fulfilment not in Fulfilment.values:
        raise DomainError(ErrorCode.INVALID, "unknown channel or fulfilment")
    if request.fulfilment == Fulfilment.DELIVERY and not request.delivery_address.strip():
        request = replace(request, delivery_address="(quote)")  # the address does not change the price
    _check_fulfilment(request, get_location(location_id=request.fulfilment_location_id))
    return _price(request, wanted, member, _selling_location_id(request, actor))[0]


CLOSING_STATES = frozenset(
    {
        OrderState.PICKED_UP,
        OrderState.DELIVERED,
        OrderState.COMPLETED,
        OrderState.CANCELLED,
        OrderState.REFUNDED,
        OrderState.UNCOLLECTED,
    }
)


def transition(*, order: Order, to_state: str, actor_id: int | None = None, note: str = "") -> Order:
    """Move the order from the state we saw to `to_state`, or raise 409 if that is not allowed
    or another request moved it first. Runs inside the caller's transaction."""
    return advance(order=order, path=[to_state], actor_id=actor_id, note=note)


def advance(*, order: Order, path: list[str], actor_id: int | None = None, note: str = "") -> Order:
    """Walk the order through several allowed states in one conditional UPDATE (paid -> ready for
    pickup at once), recording every step in the history."""
    steps = list(zip([order.state, *path[:-1]], path, strict=True))
    for from_state, to_state in steps:
        if not can_transition(from_state, to_state):
            raise DomainError(
                ErrorCode.ILLEGAL_TRANSITION,
                f"an order that is {from_state} cannot become {to_state}",
                state=from_state,
                to_state=to_state,
            )
    now = timezone.now()
    changes: dict = {"state": path[-1]}
    if OrderState.PAID in path:
        changes["paid_at"] = now
    if path[-1] in CLOSING_STATES:
        changes["closed_at"] = now
    moved = sql.move_order(order_id=order.pk, from_state=order.state, to_state=path[-1],
                           paid_at=changes.get("paid_at"), closed_at=changes.get("closed_at"))  # fmt: skip
    if not moved:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "the order changed meanwhile; reload it", state=order.state)
    insert_models(
        [OrderTransition(order=order, from_state=a, to_state=b, actor_id=actor_id, note=note) for a, b in steps]
    )
    for field, value in changes.items():
        setattr(order, field, value)
    return order


def _reservations(order: Order):
    return list(Reservation.objects.filter(order_line__order=order))


def _active_reservations(order: Order):
    return [r for r in _reservations(order) if r.state == Reservation.State.ACTIVE]


FULFILMENT_AFTER_PAYMENT = {
    # handed over at the counter at once; completed when the return window closes
    Fulfilment.IN_STORE: [OrderState.PAID, OrderState.PICKED_UP],
    # prepared by the store first (o2o.preparation): ready for pickup when staff mark it ready
    Fulfilment.PICKUP: [OrderState.PAID],
    Fulfilment.DELIVERY: [OrderState.PAID],
}


def mark_paid(*, order: Order, actor_id: int | None = None) -> Order:
    """Payment received: hold the stock for good and start fulfilment. Inside the payment's transaction."""
    advance(order=order, path=FULFILMENT_AFTER_PAYMENT[order.fulfilment], actor_id=actor_id)
    if order.fulfilment == Fulfilment.IN_STORE:
        inventory.fulfil_reservations(
            reservations=_active_reservations(order), actor_id=actor_id, reference=f"order:{order.number}"
        )
    else:
        inventory.keep_reservations_of_order(order_id=order.pk)
    # Read once for every reaction (preparation, attribution, loyalty's category rules), unless the
    # caller read them with the order (a gateway's callback: payments.sql.lock_order_paid_by).
    if not _lines_with_categories_read(order):
        cache_related_rows(order, "lines", sql.lines_with_categories(order))
    events.publish(events.ORDER_PAID, order=order)
    return order


def _lines_with_categories_read(order: Order) -> bool:
    """Whether the order's lines were read with the order, as `sql.lines_with_categories` reads them
    (lines read for another use, such as an order's page, lack the categories)."""
    read = getattr(order, "_prefetched_objects_cache", {}).get("lines")
    return read is not None and all(hasattr(line, "sku_category_id") for line in read)


def hand_over(*, order: Order, actor_id: int | None) -> Order:
    """The customer takes the goods at the counter (called when a pickup voucher is redeemed)."""
    transition(order=order, to_state=OrderState.PICKED_UP, actor_id=actor_id)
    inventory.fulfil_reservations(
        reservations=_active_reservations(order), actor_id=actor_id, reference=f"order:{order.number}"
    )
    events.publish(events.ORDER_PICKED_UP, order=order)
    return order


def undo_hand_over(*, order: Order, actor_id: int | None, reason: str) -> Order:
    """The goods are back in the store, waiting for pickup again: only the units the customer did
    not return meanwhile are reserved again (returned ones are on the shelf already). An order with
    an exchange or a substitute is not undone: its goods come back as a return."""
    if Exchange.objects.filter(order=order).exists():
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "goods of this order were exchanged; use a return",
                          state=order.state)  # fmt: skip
    transition(order=order, to_state=OrderState.READY_FOR_PICKUP, actor_id=actor_id, note=reason)
    kept = dict(OrderLine.objects.filter(order=order).values_list("pk", F("quantity") - F("returned_quantity")))
    fulfilled = [r for r in _reservations(order) if r.state == Reservation.State.FULFILLED]
    inventory.unfulfil_reservations(
        reservations=fulfilled,
        quantities={r.pk: kept[r.order_line_id] for r in fulfilled},
        actor_id=actor_id,
        reference=f"order:{order.number}",
        reason=reason,
    )
    return order


@transaction.atomic
def dispatch_order(*, actor: Actor, order: Order, eta: datetime | None = None) -> Order:
    """The goods leave for the customer; `eta` is when they should arrive (a run's planned arrival)."""
    authorize(actor, Operation.DISPATCH_ORDER, location_id=order.fulfilment_location_id)
    return send_out(order=order, actor_id=actor.user_id, eta=eta)


def send_out(*, order: Order, actor_id: int | None, eta: datetime | None = None) -> Order:
    """dispatch_order's work: out for delivery, the reserved stock leaves. The caller has authorised
    (a delivery run leaving, or dispatch_order above) and holds the order's lock."""
    transition(order=order, to_state=OrderState.OUT_FOR_DELIVERY, actor_id=actor_id)
    inventory.fulfil_reservations(
        reservations=_active_reservations(order), actor_id=actor_id, reference=f"order:{order.number}"
    )
    events.publish(events.ORDER_OUT_FOR_DELIVERY, order=order, eta=eta)
    return order


@transaction.atomic
def confirm_delivery(*, actor: Actor, order: Order) -> Order:
    authorize(actor, Operation.CONFIRM_DELIVERY, location_id=order.fulfilment_location_id)
    return mark_delivered(order=order, actor_id=actor.user_id)


def mark_delivered(*, order: Order, actor_id: int | None) -> Order:
    """confirm_delivery's work: out for delivery -> delivered. The caller has authorised (a run's
    stop delivered, or confirm_delivery above) and holds the order's lock."""
    transition(order=order, to_state=OrderState.DELIVERED, actor_id=actor_id)
    events.publish(events.ORDER_DELIVERED, order=order)
    return order


def cancel_unpaid(*, order: Order, actor_id: int | None, note: str = "") -> Order:
    transition(order=order, to_state=OrderState.CANCELLED, actor_id=actor_id, note=note)
    inventory.release_reservations(reservations=_active_reservations(order))
    events.publish(events.ORDER_CANCELLED, order=order)
    return order


def expire_unpaid_orders(*, now=None, batch: int = 500) -> int:
    """Cancel orders whose payment deadline has passed and give their stock back."""
    now = now or timezone.now()
    expired = 0
    overdue = Order.objects.filter(state=OrderState.PENDING_PAYMENT, payment_deadline__lt=now).order_by("pk")
    for order_id in list(overdue.values_list("pk", flat=True)[:batch]):
        with transaction.atomic(durable=True):
            order = lock_order(order_id)  # a callback paying it now waits, or we wait for it
            if order.state == OrderState.PENDING_PAYMENT and order.payment_deadline < now:
                cancel_unpaid(order=order, actor_id=None, note="payment deadline passed")
                expired += 1
    return expired


def mark_uncollected(*, order: Order, note: str) -> Decimal:
    """Nobody came for a pickup order: give the stock back and owe the customer what is left
    of the money (returned by payments, which listens to ORDER_UNCOLLECTED). The caller holds
    the order's lock."""
    transition(order=order, to_state=OrderState.UNCOLLECTED, note=note)
    inventory.release_reservations(reservations=_active_reservations(order))
    amount = to_money(order.total - order.refunded_total)
    Order.objects.filter(pk=order.pk).update(refunded_total=F("total"))
    order.refunded_total = order.total
    events.publish(events.ORDER_UNCOLLECTED, order=order, amount=amount)
    return amount


def _line_event(line: OrderLine, quantity: int, amount: Decimal) -> dict:
    """A line of ORDER_RETURNED / ORDER_COMPLETED: `unit_price` is the list price, `amount` what the
    customer paid for these units after discounts (their share of the line's net amount)."""
    return dict(line_id=line.pk, sku_id=line.sku_id, quantity=quantity, unit_price=line.unit_price, amount=amount)


def _kept_lines(order: Order) -> list[dict]:
    lines = []
    for line in OrderLine.objects.filter(order=order).order_by("pk"):
        kept = line.quantity - line.returned_quantity
        if kept:
            amount = share_of_units(line.net_amount, line.quantity, line.returned_quantity, kept)
            lines.append(_line_event(line, kept, amount))
    return lines


def complete_orders(*, now=None, batch: int = 500) -> int:
    """Orders handed over more than O2O_RETURN_WINDOW_DAYS ago are completed: no more returns,
    and ORDER_COMPLETED tells commission and points what the customer kept."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.O2O_RETURN_WINDOW_DAYS)
    due = Order.objects.filter(state__in=IN_RETURN_WINDOW, closed_at__lte=cutoff).order_by("pk")
    completed = 0
    for order_id in list(due.values_list("pk", flat=True)[:batch]):
        with transaction.atomic(durable=True):
            order = lock_order(order_id)
            if order.state in IN_RETURN_WINDOW and order.closed_at <= cutoff:
                transition(order=order, to_state=OrderState.COMPLETED, note="return window closed")
                lines = _kept_lines(order)
                amount = to_money(sum((line["amount"] for line in lines), Decimal(0)))
                events.publish(events.ORDER_COMPLETED, order=order, lines=lines, amount=amount)
                completed += 1
    return completed


def refund_goods(*, order: Order, actor_id: int | None, returned: dict[int, int] | None) -> Decimal:
    """Book what the customer returns (all of it when `returned` is None) and return the amount owed:
    the net (after discounts) of the returned units, plus the delivery fee when nothing is left
    (everything returned, or cancelled before hand-over) — then it is the order's total, exactly.

    Before hand-over, the reserved stock is released; after it, returned goods go back on the shelf.
    The money is paid back by the caller (payments), in the same transaction.
    """
    handed_over = order.state in HANDED_OVER
    if not handed_over and order.state not in PAID_NOT_HANDED_OVER:
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION, f"an order that is {order.state} takes no returns", state=order.state
        )
    if not handed_over and returned is not None:
        # Goods still in the store: nothing to take back line by line; cancelling refunds it all.
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION, "the goods have not been handed over; cancel the order", state=order.state
        )
    lines = {line.pk: line for line in order.lines.all()}
    if returned is None:
        returned = {pk: line.quantity - line.returned_quantity - line.exchanged_quantity for pk, line in lines.items()}
        returned = {pk: q for pk, q in returned.items() if q > 0}
    if not returned or any(pk not in lines or q <= 0 for pk, q in returned.items()):
        raise DomainError(ErrorCode.INVALID, "name the order lines and positive quantities to return")
    amount = Decimal(0)
    returned_lines = []
    for pk, quantity in sorted(returned.items(), key=lambda item: (lines[item[0]].sku_id, item[0])):
        line = lines[pk]
        # Units exchanged for another variant stay with the customer: they cannot come back as this SKU.
        kept = F("quantity") - F("exchanged_quantity") - quantity
        if not OrderLine.objects.filter(pk=pk, returned_quantity__lte=kept).update(
            returned_quantity=F("returned_quantity") + quantity
        ):
            raise DomainError(ErrorCode.RETURN_EXCEEDS_SOLD, "more than was sold", line_id=pk)
        # The net of these units, rounded cumulatively: all returns of a line add up to its net.
        # `line` was read under the order's lock, so its returned quantity is the one before this return.
        share = share_of_units(line.net_amount, line.quantity, line.returned_quantity, quantity)
        amount += share
        returned_lines.append(_line_event(line, quantity, share))
        if handed_over:
            inventory.return_stock(
                location_id=order.fulfilment_location_id,
                sku_id=line.sku_id,
                quantity=quantity,
                actor_id=actor_id,
                reference=f"order:{order.number}",
            )
    if not handed_over:
        inventory.release_reservations(reservations=_active_reservations(order))
    fully_returned = not OrderLine.objects.filter(order=order, returned_quantity__lt=F("quantity")).exists()
    if fully_returned or not handed_over:
        amount += order.delivery_fee  # the delivery is paid back only with everything else
    amount = to_money(amount)
    Order.objects.filter(pk=order.pk).update(refunded_total=F("refunded_total") + amount)
    order.refresh_from_db(fields=["refunded_total"])
    if handed_over:
        events.publish(events.ORDER_RETURNED, order=order, lines=returned_lines, amount=amount)
    if fully_returned or not handed_over:
        transition(order=order, to_state=OrderState.REFUNDED, actor_id=actor_id)
        events.publish(events.ORDER_REFUNDED, order=order)
    return amount


def refund_missing_units(*, order: Order, line_id: int, quantity: int, actor_id: int | None) -> Decimal:
    """Units of a line that turned out missing before hand-over (not on the shelf at pick time) are
    no longer owed: they count as returned on the line (its CHECK keeps returned <= sold), that
    much of the line's reservation is released (the rest stays reserved), and the net of those
    units (the same cumulative `share_of_units` rule as a return) is returned for payments to pay
    back. The order keeps its state; the last units of the whole order cannot go this way (cancel
    the order instead: that refunds the delivery fee too). The caller holds the order's lock."""
    if order.state not in PAID_NOT_HANDED_OVER:
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION, f"an order that is {order.state} has no units waiting", state=order.state
        )
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise DomainError(ErrorCode.INVALID, "name a positive number of units")
    line = OrderLine.objects.filter(pk=line_id, order=order).first()
    if line is None:
        raise DomainError(ErrorCode.INVALID, "that line is not on this order", line_id=line_id)
    # units substituted by another product (exchanged_quantity) go out as that product: not missing
    still_held = F("quantity") - F("exchanged_quantity") - quantity
    if not OrderLine.objects.filter(pk=line.pk, returned_quantity__lte=still_held).update(
        returned_quantity=F("returned_quantity") + quantity
    ):
        raise DomainError(ErrorCode.RETURN_EXCEEDS_SOLD, "more units than the line still holds", line_id=line.pk)
    if not OrderLine.objects.filter(order=order, returned_quantity__lt=F("quantity")).exists():
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION, "nothing of the order would be left; cancel the order", state=order.state
        )
    amount = share_of_units(line.net_amount, line.quantity, line.returned_quantity, quantity)
    left = line.quantity - line.returned_quantity - line.exchanged_quantity - quantity
    active = [r for r in _active_reservations(order) if r.order_line_id == line.pk and r.sku_id == line.sku_id]
    inventory.release_reservations(reservations=active)
    if active and left > 0:
        # the rest of the line stays held: its units were reserved a moment ago, so this cannot fail
        inventory.reserve_stock(
            requests=[inventory.StockRequest(active[0].location_id, line.sku_id, left, line.pk)],
            online=False,
            expires_at=None,
        )
    Order.objects.filter(pk=order.pk).update(refunded_total=F("refunded_total") + amount)
    order.refresh_from_db(fields=["refunded_total"])
    events.publish(
        events.ORDER_RETURNED, order=order, lines=[_line_event(line, quantity, amount)], amount=amount, missing=True
    )
    return amount
