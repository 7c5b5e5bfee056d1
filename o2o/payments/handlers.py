"""The payments app's reactions to order events (run inside the publisher's transaction, which
holds the order's lock)."""

from decimal import Decimal

from o2o.core import events
from o2o.orders.models import Order
from o2o.payments import services
from o2o.payments.models import Payment


@events.subscribe(events.ORDER_CANCELLED)
def close_pending_payments_when_cancelled(*, order: Order) -> None:
    """A waiting gateway payment of a cancelled order will not pay it: failed. Money that still
    arrives for it is returned (the callback finds the order cancelled)."""
    Payment.objects.filter(order=order, state=Payment.State.PENDING).update(state=Payment.State.FAILED)


@events.subscribe(events.ORDER_UNCOLLECTED)
def refund_when_uncollected(*, order: Order, amount: Decimal) -> None:
    services.refund_in_full_what_is_left(order=order, amount=amount, reason="not collected before the voucher expired")
