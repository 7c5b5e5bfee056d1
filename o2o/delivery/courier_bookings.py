"""Writes for orders handed to a third-party courier instead of a run (docs/delivery.md)."""

from django.db import IntegrityError, transaction

from o2o.access.actors import SYSTEM, Actor
from o2o.access.permissions import Operation, authorize
from o2o.core import events
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.idempotency import MAX_KEY_LENGTH
from o2o.delivery.couriers import courier
from o2o.delivery.geo import geocode
from o2o.delivery.models import (
    ACTIVE_COURIER_STATES,
    CourierBooking,
    CourierEvent,
    CourierState,
    RunState,
    RunStop,
    StopState,
)
from o2o.orders.locks import lock_order
from o2o.orders.models import Fulfilment, OrderState
from o2o.orders.selectors import get_order_for
from o2o.orders.services import mark_delivered, send_out


def _route(order) -> tuple[tuple[float, float], tuple[float, float]]:
    origin = (order.fulfilment_location.latitude, order.fulfilment_location.longitude)
    return origin, geocode(order.delivery_address, near=origin)


def book_courier(
    *, actor: Actor, order_id: int, courier_name: str = "simulated", idempotency_key: str | None = None
) -> CourierBooking:
    """A packed delivery order goes with a courier: it leaves any planned (not yet dispatched) run;
    one already on the road cannot be booked.

    Three short steps, so that no row stays locked while the courier's service answers: claim the
    order (a `requested` booking, under the order lock), ask the courier (no transaction), then
    record its answer. If the courier refuses or fails, the claim is cancelled and the order can be
    booked or planned again. A retry under the same Idempotency-Key answers with the same booking."""
    order = get_order_for(actor=actor, order_id=order_id)
    authorize(actor, Operation.BOOK_COURIER, location_id=order.fulfilment_location_id)
    backend = courier(courier_name)
    key = _request_key(idempotency_key)
    if key and (earlier := CourierBooking.objects.filter(order_id=order.pk, request_key=key).first()):
        return _replayed(earlier, backend.name)
    try:
        claim = _claim(actor, order.pk, backend.name, key)
    except IntegrityError as exc:
        # lost a race: another booking of this order (perhaps our own retry) claimed it first
        earlier = CourierBooking.objects.filter(order_id=order.pk, request_key=key).first() if key else None
        if earlier is not None:
            return _replayed(earlier, backend.name)
        raise DomainError(ErrorCode.CONFLICT, "a courier has this order already") from exc
    try:
        origin, destination = _route(get_order_for(actor=SYSTEM, order_id=order.pk))
        booked = backend.book(reference=order.number, origin=origin, destination=destination)
    except Exception as exc:
        # nothing was booked: free the order, and the key, so that a retry asks the courier again
        CourierBooking.objects.filter(pk=claim.pk, state=CourierState.REQUESTED).update(
            state=CourierState.CANCELLED, request_key=""
        )
        if isinstance(exc, DomainError):
            raise
        raise DomainError(ErrorCode.SERVICE_UNAVAILABLE, "the courier did not answer; try again") from exc
    with transaction.atomic(durable=True):
        still_waiting = lock_order(order.pk).state == OrderState.PAID
        claimed = CourierBooking.objects.filter(pk=claim.pk, state=CourierState.REQUESTED)
        if still_waiting:
            recorded = claimed.update(
                state=CourierState.BOOKED, external_id=booked.external_id, fee=booked.fee, eta=booked.eta
            )
        else:
            claimed.update(state=CourierState.CANCELLED)
            recorded = 0
    if not recorded:  # the order was cancelled or refunded while the courier answered: it must not come
        backend.cancel(external_id=booked.external_id)
        raise DomainError(ErrorCode.CONFLICT, "the order changed while the courier answered; nothing is booked")
    claim.refresh_from_db()
    return claim


def _request_key(key: str | None) -> str:
    if key is not None and not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise DomainError(ErrorCode.INVALID, f"an idempotency key has 1 to {MAX_KEY_LENGTH} characters")
    return key or ""


def _replayed(earlier: CourierBooking, courier_name: str) -> CourierBooking:
    if earlier.courier != courier_name:
        raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, "this idempotency key was used for another request")
    if earlier.state == CourierState.REQUESTED:
        raise DomainError(ErrorCode.CONFLICT, "this booking is still waiting for the courier's answer; try again")
    return earlier


def _claim(actor: Actor, order_id: int, courier_name: str, key: str) -> CourierBooking:
    with transaction.atomic(durable=True):
        order = lock_order(order_id)
        if order.fulfilment != Fulfilment.DELIVERY or order.state != OrderState.PAID:
            raise DomainError(
                ErrorCode.ILLEGAL_TRANSITION, "only a paid delivery order waiting to leave", state=order.state
            )
        on_road = RunStop.objects.filter(order=order, state=StopState.PENDING).exclude(run__state=RunState.PLANNED)
        if on_road.exists():
            raise DomainError(ErrorCode.CONFLICT, "the order is on a run that has left")
        if CourierBooking.objects.filter(order=order, state__in=ACTIVE_COURIER_STATES).exists():
            raise DomainError(ErrorCode.CONFLICT, "a courier has this order already")
        RunStop.objects.filter(order=order, state=StopState.PENDING, run__state=RunState.PLANNED).delete()
        return CourierBooking.objects.create(
            order=order, courier=courier_name, booked_by_id=actor.user_id, request_key=key
        )


def cancel_courier(*, actor: Actor, booking_id: int) -> CourierBooking:
    booking = CourierBooking.objects.filter(pk=booking_id).first()
    if booking is None:
        raise not_found("courier booking")
    order = get_order_for(actor=actor, order_id=booking.order_id)
    authorize(actor, Operation.BOOK_COURIER, location_id=order.fulfilment_location_id)
    with transaction.atomic(durable=True):
        lock_order(order.pk)
        if not CourierBooking.objects.filter(pk=booking.pk, state=CourierState.BOOKED).update(
            state=CourierState.CANCELLED
        ):
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "the courier has the goods already", state=booking.state)
        courier(booking.courier).cancel(external_id=booking.external_id)
    booking.state = CourierState.CANCELLED
    return booking


_NEXT = {
    CourierState.OUT_FOR_DELIVERY: (CourierState.BOOKED,),
    CourierState.DELIVERED: (CourierState.BOOKED, CourierState.OUT_FOR_DELIVERY),
    CourierState.FAILED: (CourierState.BOOKED, CourierState.OUT_FOR_DELIVERY),
}


def handle_courier_callback(*, courier_name: str, body: bytes, signature: str) -> str:
    """Apply a signed status callback once: the order goes out for delivery, is delivered, or
    its delivery failed. A repeated event answers "duplicate" and changes nothing."""
    backend = courier(courier_name)
    update = backend.parse_callback(body, signature)
    booking = CourierBooking.objects.filter(courier=backend.name, external_id=update.external_id).first()
    if booking is None:
        raise DomainError(ErrorCode.BAD_CALLBACK, "unknown courier order")
    with transaction.atomic(durable=True):
        order = lock_order(booking.order_id)
        booking = CourierBooking.objects.select_for_update().get(pk=booking.pk)
        if CourierEvent.objects.filter(booking=booking, event_id=update.event_id).exists():
            return "duplicate"
        CourierEvent.objects.create(booking=booking, event_id=update.event_id, status=update.status)
        if booking.state not in _NEXT[update.status]:
            return "ignored"  # late or out of order (e.g. "out" after "delivered"): nothing to do
        _apply(booking, order, update)
        return "applied"


def _apply(booking: CourierBooking, order, update) -> None:
    # The courier is no person of ours: its signature proved the call, the order's history names nobody.
    if update.status in (CourierState.OUT_FOR_DELIVERY, CourierState.DELIVERED) and order.state == OrderState.PAID:
        send_out(order=order, actor_id=None, eta=booking.eta)
    if update.status == CourierState.DELIVERED:
        mark_delivered(order=order, actor_id=None)
    if update.status == CourierState.FAILED:
        events.publish(events.DELIVERY_FAILED, order=order, reason=f"courier: {update.reason or 'failed'}",
                       actor_id=None)  # fmt: skip
    CourierBooking.objects.filter(pk=booking.pk).update(state=update.status)
