"""Commission's reactions to attribution's and the orders' events. They run inside the publisher's
transaction, which holds the order's lock (lock order: the order first, then the employees'
commission balances in id order)."""

from typing import Any

from o2o.commission import services
from o2o.core import events


@events.subscribe(events.LINES_CREDITED)
def accrue_commission(*, order: Any, credits: list, **_: Any) -> None:
    services.accrue(order=order, credits=credits)


@events.subscribe(events.CREDITS_REVERSED)
def reverse_commission(*, order: Any, credits: list, **_: Any) -> None:
    services.reverse(credits=credits)


@events.subscribe(events.ORDER_COMPLETED)
def settle_commission(*, order: Any, **_: Any) -> None:
    services.settle_order(order_id=order.pk)
