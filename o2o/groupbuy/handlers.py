"""Group buys react to their orders' events (inside the publisher's transaction, which holds the
order's lock; see the lock order in o2o/groupbuy/services.py)."""

from o2o.core import events
from o2o.groupbuy import services
from o2o.orders.models import Order


@events.subscribe(events.ORDER_PAID)
def count_paid_seat(*, order: Order) -> None:
    services.seat_paid(order=order)


@events.subscribe(events.ORDER_CANCELLED)
@events.subscribe(events.ORDER_REFUNDED)
def free_seat(*, order: Order) -> None:
    services.seat_given_back(order=order)
