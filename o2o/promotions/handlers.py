"""Promotions' part in orders: the per-member limit of a timed price is claimed when an order is
placed (claimer "promotion") and given back when the order is cancelled unpaid or expires. They
run in the order service's transaction, which holds the order's lock, and use only the payload."""

from typing import Any

from o2o.core import events
from o2o.pricing.claims import on_order_placed
from o2o.promotions import services

on_order_placed("promotion")(services.claim_timed_units)


@events.subscribe(events.ORDER_CANCELLED)
def give_back_on_cancel(*, order: Any, **_: Any) -> None:
    if order.member_id is not None and order.discount_total:  # no query for an order without discounts
        services.give_back_units(order_id=order.pk)
