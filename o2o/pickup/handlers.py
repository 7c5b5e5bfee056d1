"""The pickup app's reactions to order events (run inside the publisher's transaction)."""

from o2o.core import events
from o2o.orders.models import Order
from o2o.pickup import services


@events.subscribe(events.ORDER_PAID)
def issue_voucher_when_paid(*, order: Order) -> None:
    services.issue_voucher(order=order)


@events.subscribe(events.ORDER_CANCELLED)
@events.subscribe(events.ORDER_REFUNDED)
def revoke_voucher_when_cancelled(*, order: Order) -> None:
    services.revoke_voucher(order=order)
