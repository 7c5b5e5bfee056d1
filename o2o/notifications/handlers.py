"""Notifications' reactions to order events: each runs inside the publisher's transaction (which
holds the order's lock), so the Notification row commits with the change it tells about."""

from datetime import datetime
from typing import Any

from o2o.core import events
from o2o.notifications import services
from o2o.notifications.models import Kind


# Last, after pickup's voucher: the message carries its code and number (core.events).
@events.subscribe(events.ORDER_PAID, last=True)
def tell_paid(*, order: Any, **_: Any) -> None:
    services.notify_paid(order=order)


@events.subscribe(events.ORDER_READY_FOR_PICKUP)
def tell_ready(*, order: Any, **_: Any) -> None:
    services.notify_order(order=order, kind=Kind.READY_FOR_PICKUP)


@events.subscribe(events.ORDER_PICKED_UP)
def tell_picked_up(*, order: Any, **_: Any) -> None:
    services.notify_order(order=order, kind=Kind.PICKED_UP)


@events.subscribe(events.ORDER_OUT_FOR_DELIVERY)
def tell_out_for_delivery(*, order: Any, eta: datetime | None = None, **_: Any) -> None:
    services.notify_order(order=order, kind=Kind.OUT_FOR_DELIVERY, eta=eta)


@events.subscribe(events.ORDER_DELIVERED)
def tell_delivered(*, order: Any, **_: Any) -> None:
    services.notify_order(order=order, kind=Kind.DELIVERED)


@events.subscribe(events.ORDER_REFUNDED)
def tell_refunded(*, order: Any, **_: Any) -> None:
    services.notify_order(order=order, kind=Kind.REFUNDED)
