"""The pickup app's reactions to order events (run inside the publisher's transaction; a payment's
arrival is told before its transaction opens)."""

from django.utils import timezone

from o2o.core import events
from o2o.orders.models import Order
from o2o.pickup import numbers, services, slots
from o2o.stores.selectors import get_location


@events.subscribe(events.ORDER_PLACED)
def book_pickup_slot_when_placed(*, order: Order) -> None:
    """The chosen pickup time must be one the store offers now; its place is taken at once."""
    if order.pickup_at is None:
        return
    location = get_location(location_id=order.fulfilment_location_id)
    pickup_at = slots.check_offered(location, order.pickup_at)
    slots.book_slot(order=order, location=location, pickup_at=pickup_at)


@events.subscribe(events.ORDER_PAYMENT_ARRIVING)
def draw_number_ahead(*, order_id: int) -> None:
    """The short number in a statement of its own, before the payment's transaction (pickup.numbers)."""
    numbers.draw_ahead(order_id=order_id, day=slots.local_day(timezone.now()))


# Last: drawing the short number here (when the payment's callback did not draw it ahead) locks the
# store's counter row of the day until the payment commits; every other payment at that store
# waits for it (core.events).
@events.subscribe(events.ORDER_PAID, last=True)
def issue_voucher_when_paid(*, order: Order) -> None:
    services.issue_voucher(order=order)


@events.subscribe(events.ORDER_CANCELLED)
@events.subscribe(events.ORDER_REFUNDED)
def revoke_voucher_when_cancelled(*, order: Order) -> None:
    services.revoke_voucher(order=order)
    slots.release_slot(order=order)
