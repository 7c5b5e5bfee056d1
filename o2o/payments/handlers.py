"""The payments app's reactions to order events (run inside the publisher's transaction, which
holds the order's lock)."""

from decimal import Decimal

from o2o.core import events
from o2o.orders.models import Order
from o2o.payments import services, tenders
from o2o.payments.models import Payment


@events.subscribe(events.ORDER_CANCELLED)
def return_tenders_when_cancelled(*, order: Order) -> None:
    """A cancelled (or expired) unpaid order: its waiting gateway payment will not pay it (failed;
    money that still arrives for it is returned when the callback finds the order cancelled), and
    every tender that succeeded already goes back in full."""
    Payment.objects.filter(order=order, state=Payment.State.PENDING).update(state=Payment.State.FAILED)
    tenders.return_tenders(order=order, reason="the order was cancelled before it was paid")


@events.subscribe(events.ORDER_UNCOLLECTED)
def refund_when_uncollected(*, order: Order, amount: Decimal) -> None:
    services.refund_in_full_what_is_left(order=order, amount=amount, reason="not collected before the voucher expired")
