"""Coupons' part in orders and members: redeem the chosen coupon when an order is placed, give it
back when the order is cancelled unpaid or refunded in full, and the welcome coupons of a new
member. They run inside the publisher's transaction (which holds the order's lock) and use only
what the payload carries (coupons never imports orders)."""

from typing import Any

from o2o.core import events
from o2o.core.errors import DomainError, ErrorCode
from o2o.coupons import services
from o2o.pricing.claims import PlacedOrder, on_order_placed


@on_order_placed("coupon")
def redeem_chosen_coupons(placed: PlacedOrder) -> None:
    """The chosen coupon must have given its discount (the rule checked the member, date, channel,
    store, scope and min spend) and is then used by ONE conditional UPDATE; otherwise the order is
    refused and rolls back. No query when no coupon was chosen."""
    if not placed.coupon_ids:
        return
    coupon_id = placed.coupon_ids[0]
    ref = f"coupon:{coupon_id}"
    if not any(d.rule_ref == ref for line in placed.priced.lines for d in line.discounts):
        raise DomainError(ErrorCode.COUPON_UNAVAILABLE, "this coupon cannot be used on this order", coupon_id=coupon_id)
    services.redeem(coupon_id=coupon_id, member_id=placed.member_id, order_id=placed.order_id)


@events.subscribe(events.ORDER_CANCELLED)
def give_back_on_cancel(*, order: Any, **_: Any) -> None:
    if order.member_id is not None and order.discount_total:
        services.give_back_unpaid(order_id=order.pk)


@events.subscribe(events.ORDER_REFUNDED)
@events.subscribe(events.ORDER_UNCOLLECTED)
def give_back_on_refund(*, order: Any, **_: Any) -> None:
    if order.member_id is not None and order.discount_total:
        services.give_back_refunded(order_id=order.pk)


@events.subscribe(events.MEMBER_REGISTERED)
def welcome_coupons(*, member: Any, **_: Any) -> None:
    services.grant_registration_coupons(member_id=member.pk)
