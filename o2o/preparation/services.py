"""Preparation at the store (docs/preparation.md): the queue of paid pickup and delivery orders,
accepted by one clerk, picked line by line (scanning), shortages reported, then ready for pickup
(the order becomes ready_for_pickup) or packed for delivery (the order stays paid until dispatched).

Lock order (orders.locks): the order row first, then the preparation row, then its picks. Every
step is also a conditional UPDATE on the state the lock saw, so the database keeps one winner.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.catalog.models import SKU
from o2o.core import events
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.idempotency import fingerprint, run_once
from o2o.core.inserts import insert_unless_conflicting
from o2o.core.sql import insert_models
from o2o.orders import services as orders
from o2o.orders.locks import lock_order
from o2o.orders.models import Fulfilment, Order, OrderState
from o2o.orders.selectors import lines_of
from o2o.preparation.models import Preparation, PreparationKind, PreparationPick, PreparationState
from o2o.stores.models import Location

MAX_CODE = 40
PREPARED_FULFILMENTS = (Fulfilment.PICKUP, Fulfilment.DELIVERY)


# --- created and closed by order events (handlers.py), inside the publisher's transaction ---


def due_at_for(order: Order) -> datetime:
    """The store's target: paid time + its preparation minutes, or the customer's slot when later."""
    due = order.paid_at + timedelta(minutes=order.fulfilment_location.preparation_minutes)
    return max(due, order.pickup_at) if order.pickup_at is not None else due


def open_preparation(*, order: Order) -> Preparation | None:
    """A paid pickup or delivery order joins its store's queue (accepted at once when the store
    accepts orders automatically). One preparation per order, by the table's constraint: a replayed
    event finds the first one (read only then)."""
    if order.fulfilment not in PREPARED_FULFILMENTS:
        return None
    location = order.fulfilment_location
    now = timezone.now()
    auto = location.auto_accept_orders
    preparation = Preparation(
        order=order, location=location, kind=PreparationKind(order.fulfilment), due_at=due_at_for(order),
        state=PreparationState.ACCEPTED if auto else PreparationState.TO_PREPARE, accepted_at=now if auto else None,
    )  # fmt: skip
    if not insert_unless_conflicting(preparation):
        return Preparation.objects.get(order=order)
    insert_models(
        [
            PreparationPick(preparation=preparation, line=line, sku_id=line.sku_id, ordered=line.quantity)
            for line in lines_of(order)
        ]
    )
    return preparation


def close_preparation(*, order: Order) -> int:
    """The goods left (handed over, out for delivery) or the order ended (cancelled, refunded,
    not collected): nothing is left to prepare."""
    return (
        Preparation.objects.filter(order_id=order.pk)
        .exclude(state=PreparationState.CLOSED)
        .update(state=PreparationState.CLOSED, closed_at=timezone.now())
    )


# --- staff steps ---


def _preparation_for(actor: Actor, preparation_id: int) -> Preparation:
    """The preparation, when the actor may prepare at its store; one at a store the actor cannot
    see answers like a missing one."""
    preparation = Preparation.objects.filter(pk=preparation_id).first()
    if preparation is None or not actor.can_see_location(preparation.location_id):
        raise not_found("preparation")
    authorize(actor, Operation.PREPARE_ORDER, location_id=preparation.location_id)
    return preparation


def _locked(preparation: Preparation) -> tuple[Order, Preparation]:
    """The one lock order: the order row first, then the preparation row (read again under the lock)."""
    order = lock_order(preparation.order_id)
    return order, Preparation.objects.select_for_update().get(pk=preparation.pk)


def _refuse(preparation: Preparation, message: str) -> DomainError:
    return DomainError(ErrorCode.ILLEGAL_TRANSITION, message, state=preparation.state)


def _require(preparation: Preparation, order: Order, *states: str) -> None:
    if preparation.state not in states:
        raise _refuse(preparation, f"this preparation is {preparation.state}")
    if order.on_hold:  # a group buy still filling up: nothing is prepared until it is released
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "this order is on hold", state="on_hold")


def summary(preparation: Preparation, order: Order) -> dict:
    """The preparation as the API answers it; `order` is its order (already loaded by the step)."""
    picks = list(preparation.picks.select_related("sku").order_by("line_id"))
    return {
        "id": preparation.pk,
        "order_id": preparation.order_id,
        "order_number": order.number,
        "location_id": preparation.location_id,
        "kind": preparation.kind,
        "state": preparation.state,
        "accepted_by_id": preparation.accepted_by_id,
        # as text: the result may be kept under an idempotency key (JSON)
        "accepted_at": _iso(preparation.accepted_at),
        "due_at": _iso(preparation.due_at),
        "ready_at": _iso(preparation.ready_at),
        "closed_at": _iso(preparation.closed_at),
        "lines": [pick_out(pick) for pick in picks],
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def pick_out(pick: PreparationPick) -> dict:
    """One line of a preparation as the API and pages show it (the SKU must be loaded)."""
    return {"line_id": pick.line_id, "sku_id": pick.sku_id, "sku_code": pick.sku.code, "sku_name": pick.sku.name,
            "ordered": pick.ordered, "picked": pick.picked_quantity, "short": pick.short_quantity}  # fmt: skip


def accept_preparation(*, actor: Actor, preparation_id: int) -> dict:
    """Take an order from the queue. Of two clerks accepting the same order exactly one wins; the
    other gets 409. The winner asking again gets the same answer."""
    found = _preparation_for(actor, preparation_id)
    with transaction.atomic(durable=True):
        order, preparation = _locked(found)
        if preparation.state == PreparationState.ACCEPTED and preparation.accepted_by_id == actor.user_id:
            return summary(preparation, order)  # a retry of our own accept
        _require(preparation, order, PreparationState.TO_PREPARE)
        now = timezone.now()
        if not Preparation.objects.filter(pk=preparation.pk, state=PreparationState.TO_PREPARE).update(
            state=PreparationState.ACCEPTED, accepted_by_id=actor.user_id, accepted_at=now
        ):
            raise _refuse(preparation, "someone accepted this order first")
        preparation.refresh_from_db()
        return summary(preparation, order)


def _sku_for(code: str | None, sku_id: int | None) -> int:
    if sku_id is not None:
        return sku_id
    code = (code or "").strip()
    if not code or len(code) > MAX_CODE:
        raise DomainError(ErrorCode.INVALID, "scan a barcode or type a SKU code", field="code")
    found = SKU.objects.filter(Q(barcode=code) | Q(code=code)).values_list("pk", flat=True).first()
    if found is None:
        raise DomainError(ErrorCode.UNKNOWN_SKU, "no SKU has this barcode or code", field="code")
    return found


def pick_line(
    *, actor: Actor, preparation_id: int, quantity: int = 1, code: str | None = None, sku_id: int | None = None,
    idempotency_key: str | None = None,
) -> dict:  # fmt: skip
    """Add picked units to the line of the scanned SKU (a negative quantity takes a mis-scan
    back). Never more than the line ordered (less what is reported missing): 422. Send an
    Idempotency-Key: a retried scan is then counted once."""
    found = _preparation_for(actor, preparation_id)
    if isinstance(quantity, bool) or quantity == 0:
        raise DomainError(ErrorCode.INVALID, "pick a quantity other than 0", field="quantity")
    wanted_sku = _sku_for(code, sku_id)

    def perform() -> dict:
        order, preparation = _locked(found)
        _require(preparation, order, PreparationState.ACCEPTED)
        pick = preparation.picks.filter(sku_id=wanted_sku).first()
        if pick is None:
            raise DomainError(ErrorCode.INVALID, "this order has no such item", field="code", sku_id=wanted_sku)
        rows = PreparationPick.objects.filter(pk=pick.pk)
        if quantity > 0:
            rows = rows.filter(picked_quantity__lte=F("ordered") - F("short_quantity") - quantity)
        else:
            rows = rows.filter(picked_quantity__gte=-quantity)
        if not rows.update(picked_quantity=F("picked_quantity") + quantity, picked_by_id=actor.user_id,
                           updated_at=timezone.now()):  # fmt: skip
            pick.refresh_from_db()
            raise DomainError(
                ErrorCode.INVALID, "that is more than the order needs" if quantity > 0 else "that takes back too much",
                field="quantity", ordered=pick.ordered, picked=pick.picked_quantity, short=pick.short_quantity,
            )  # fmt: skip
        return summary(preparation, order)

    request = fingerprint(preparation_id=preparation_id, sku_id=wanted_sku, quantity=quantity)
    return run_once(scope=f"user:{actor.user_id}", operation="pick_line", key=idempotency_key, fingerprint=request,
                    perform=perform)  # fmt: skip


def report_shortage(*, actor: Actor, preparation_id: int, line_id: int, available: int) -> dict:
    """The shelf has only `available` units of the line: the rest is missing. Publishes
    PICK_SHORTAGE (incidents open one and propose the remedy; nothing is refunded here). Once per
    line: the same report again changes nothing; a different one is a 409."""
    found = _preparation_for(actor, preparation_id)
    if isinstance(available, bool) or available < 0:
        raise DomainError(ErrorCode.INVALID, "available is 0 or more", field="available")
    with transaction.atomic(durable=True):
        order, preparation = _locked(found)
        _require(preparation, order, PreparationState.TO_PREPARE, PreparationState.ACCEPTED)
        pick = preparation.picks.filter(line_id=line_id).select_related("line").first()
        if pick is None:
            raise not_found("order line")
        missing = pick.ordered - available
        if missing <= 0:
            raise DomainError(ErrorCode.INVALID, "that is not a shortage", field="available", ordered=pick.ordered)
        if pick.short_quantity == missing:
            return summary(preparation, order)  # the same report again
        if pick.short_quantity:
            raise DomainError(ErrorCode.CONFLICT, "a shortage was reported for this line already",
                              short=pick.short_quantity)  # fmt: skip
        if not PreparationPick.objects.filter(pk=pick.pk, short_quantity=0, picked_quantity__lte=available).update(
            short_quantity=missing, updated_at=timezone.now()
        ):
            raise DomainError(ErrorCode.INVALID, "more than that is picked already; take it back first",
                              field="available", picked=pick.picked_quantity)  # fmt: skip
        events.publish(events.PICK_SHORTAGE, order=order, line=pick.line, missing=missing, actor_id=actor.user_id)
        return summary(preparation, order)


def _finish(actor: Actor, preparation_id: int, kind: str, target: str, publish: Callable[[Order], None]) -> dict:
    """Ready or packed: every line picked or reported missing, something picked, the order still
    paid; then `publish` moves the order on and tells the others."""
    found = _preparation_for(actor, preparation_id)
    with transaction.atomic(durable=True):
        order, preparation = _locked(found)
        if preparation.kind != kind:
            raise DomainError(ErrorCode.INVALID, f"this is a {preparation.kind} order", kind=preparation.kind)
        if preparation.state == target:
            return summary(preparation, order)  # a retry: already done
        _require(preparation, order, PreparationState.ACCEPTED)
        picks = list(preparation.picks.all())
        unfinished = [pick.line_id for pick in picks if not pick.complete]
        if unfinished:
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "pick every line or report what is missing first",
                              state=preparation.state, lines=unfinished)  # fmt: skip
        if not any(pick.picked_quantity for pick in picks):
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "nothing was picked", state=preparation.state)
        if order.state != OrderState.PAID:
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"the order is {order.state}", state=order.state)
        if not Preparation.objects.filter(pk=preparation.pk, state=PreparationState.ACCEPTED).update(
            state=target, ready_at=timezone.now()
        ):
            raise _refuse(preparation, "the preparation changed meanwhile; reload it")
        publish(order)
        preparation.refresh_from_db()
        return summary(preparation, order)


def mark_ready(*, actor: Actor, preparation_id: int) -> dict:
    """A pickup order is ready at the counter: the order becomes ready_for_pickup."""

    def publish(order: Order) -> None:
        orders.transition(order=order, to_state=OrderState.READY_FOR_PICKUP, actor_id=actor.user_id)
        events.publish(events.ORDER_READY_FOR_PICKUP, order=order)

    return _finish(actor, preparation_id, PreparationKind.PICKUP, PreparationState.READY, publish)


def mark_packed(*, actor: Actor, preparation_id: int) -> dict:
    """A delivery order is packed: it waits (still paid) for a delivery run or a courier."""

    def publish(order: Order) -> None:
        events.publish(events.ORDER_PACKED, order=order)

    return _finish(actor, preparation_id, PreparationKind.DELIVERY, PreparationState.PACKED, publish)


def set_fulfilment_settings(
    *, actor: Actor, location_id: int, preparation_minutes: int, auto_accept_orders: bool,
    pickup_slot_capacity: int | None,
) -> dict:  # fmt: skip
    """The store's preparation target, automatic accepting and pickup slot capacity (the store
    manager's, or HQ's). The stores table's CHECKs keep the ranges; they are checked here first
    for a clear 422."""
    if not actor.can_see_location(location_id):
        raise not_found("location")
    authorize(actor, Operation.MANAGE_FULFILMENT_SETTINGS, location_id=location_id)
    if isinstance(preparation_minutes, bool) or not 1 <= preparation_minutes <= 24 * 60:
        raise DomainError(ErrorCode.INVALID, "1 to 1440 minutes", field="preparation_minutes")
    if pickup_slot_capacity is not None and (isinstance(pickup_slot_capacity, bool) or pickup_slot_capacity < 1):
        raise DomainError(ErrorCode.INVALID, "at least 1 order per slot, or none", field="pickup_slot_capacity")
    settings = {"preparation_minutes": preparation_minutes, "auto_accept_orders": bool(auto_accept_orders),
                "pickup_slot_capacity": pickup_slot_capacity}  # fmt: skip
    Location.objects.filter(pk=location_id).update(**settings)
    return {"location_id": location_id, **settings}
