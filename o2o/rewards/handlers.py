"""Rewards' reaction to order events: a referred friend's first completed order pays the referral."""

from typing import Any

from o2o.core import events
from o2o.rewards import services


@events.subscribe(events.ORDER_COMPLETED)
def pay_referral_on_first_completed_order(*, order: Any, **_: Any) -> None:
    # Completion is a periodic job, not the checkout path: one indexed SELECT for a member's order.
    services.settle_referral(order=order)
