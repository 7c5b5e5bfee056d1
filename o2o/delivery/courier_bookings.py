"""Writes for orders handed to a third-party courier instead of a run (docs/delivery.md)."""

from django.db import IntegrityError, transaction

from o2o.access.actors import SYSTEM, Actor
from o2o.access.permissions import Operation, authorize
from o2o.core import events
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.delivery.couriers import courier
from o2o.delivery.geo import geocode
from o2o.delivery.models import CourierBooking, CourierEvent, CourierState, RunState, RunStop, StopState
from o2o.orders.locks import lock_order
from o2o.orders.models import Fulfilment, OrderState
from o2o.orders.selectors import get_order_for
from o2o.orders.services import mark_delivered, send_out


def _route(order) -> tuple[tuple[float, float], tuple[float, float]]:
    origin = (order.fulfilment_location.latitude, order.fulfilment_location.longitude)
    return origin, geocode(order.delivery_address, near=origin)


def book_courier(*, actor: Actor, order_id: int, courier_name: str = "simulated") -> CourierBooking:
    """A packed delivery order goes with a courier: it leaves any planned (not yet dispatched) run;
    one already on the road cannot be booked."""
    order = get_order_for(actor=actor, order_id=order_id)
    authorize(actor, Operation.BOOK_COURIER, location_id=order.fulfilment_location_id)
    backend = courier(courier_name)
    with transaction.atomic(durable=True):
        order = lock_order(order.pk)
        if order.fulfilment != Fulfilment.DELIVERY or order.state != OrderState.PAID:
            raise DomainError(
                ErrorCode.ILLEGAL_TRANSITION, "only a paid delivery order waiting to leave", state=order.state
            )
        on_road = RunStop.objects.filter(order=order, state=StopState.PENDING).exclude(run__state=RunState.PLANNED)
        if on_road.exists():
            raise DomainError(ErrorCode.CONFLICT, "the order is on a run that has left")
        RunStop.objects.filter(order=order, state=StopState.PENDING, run__state=RunState.PLANNED).delete()
        origin, destination = _route(get_order_for(actor=SYSTEM, order_id=order.pk))
        booked = backend.book(reference=order.number, origin=origin, destination=destination)
        try:
            with transaction.atomic():
                return CourierBooking.objects.create(
                    order=order, courier=backend.name, external_id=booked.external_id,
                    fee=booked.fee, eta=booked.eta, booked_by_id=actor.user_id,
                )  # fmt: skip
        except IntegrityError as exc:
            backend.cancel(external_id=booked.external_id)
            raise DomainError(ErrorCode.CONFLICT, "a courier has this order already") from exc


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
