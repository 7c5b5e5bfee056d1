"""Preparation's reactions to order events, inside the publisher's transaction (which holds the
order's lock): a paid pickup or delivery order joins its store's queue; the preparation closes
when the goods leave or the order ends."""

from typing import Any

from o2o.core import events
from o2o.preparation import services


@events.subscribe(events.ORDER_PAID)
def queue_paid_order(*, order: Any, **_: Any) -> None:
    services.open_preparation(order=order)


@events.subscribe(events.ORDER_PICKED_UP)
@events.subscribe(events.ORDER_OUT_FOR_DELIVERY)
@events.subscribe(events.ORDER_CANCELLED)
@events.subscribe(events.ORDER_REFUNDED)
@events.subscribe(events.ORDER_UNCOLLECTED)
def close_when_done(*, order: Any, **_: Any) -> None:
    services.close_preparation(order=order)
