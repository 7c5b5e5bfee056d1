"""Attribution's reactions to order events, inside the publisher's transaction (which holds the
order's lock): credits when the order is paid, reversals when units come back or the money goes
back before hand-over."""

from decimal import Decimal
from typing import Any

from o2o.attribution import services
from o2o.core import events


@events.subscribe(events.ORDER_PAID)
def credit_paid_lines(*, order: Any, **_: Any) -> None:
    services.attribute_order(order=order)


@events.subscribe(events.ORDER_RETURNED)
def reverse_returned_units(*, order: Any, lines: list[dict], amount: Decimal, **_: Any) -> None:
    services.reverse_returned_units(order=order, lines=lines)


@events.subscribe(events.ORDER_REFUNDED)
@events.subscribe(events.ORDER_UNCOLLECTED)
def reverse_what_is_left(*, order: Any, **_: Any) -> None:
    services.reverse_all(order=order)
