"""Loyalty's reactions to order events. They run inside the publisher's transaction, which holds
the order's lock, and use only what the payload carries (loyalty never imports orders).

ORDER_PAID is on every order's payment path: for a member it costs one INSERT (the lines with
their categories and the member's level come with the paid order, the category rules are kept per
process); for an order without a member, nothing."""

from decimal import Decimal
from typing import Any

from o2o.core import events
from o2o.loyalty import levels, services


@events.subscribe(events.ORDER_PAID)
def earn_pending_points(*, order: Any) -> None:
    services.record_pending_points(order=order)


@events.subscribe(events.ORDER_RETURNED)
def reverse_points_of_returned_units(*, order: Any, lines: list[dict], amount: Decimal, **_: Any) -> None:
    if order.member_id is not None:
        services.reverse_returned_points(order_id=order.pk, lines=lines)


@events.subscribe(events.ORDER_CANCELLED)
@events.subscribe(events.ORDER_REFUNDED)
@events.subscribe(events.ORDER_UNCOLLECTED)
def reverse_all_pending_points(*, order: Any, **_: Any) -> None:
    if order.member_id is not None:
        services.reverse_all_pending_points(order_id=order.pk)


@events.subscribe(events.ORDER_COMPLETED)
def confirm_points_and_growth(*, order: Any, amount: Decimal, **_: Any) -> None:
    if order.member_id is None:
        return
    services.confirm_order_points(order_id=order.pk, member_id=order.member_id)
    levels.record_growth(member_id=order.member_id, order_id=order.pk, amount=amount)
