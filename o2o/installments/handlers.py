"""The installments app's reactions to events of other apps (run inside the publisher's
transaction, which holds the order's lock)."""

from o2o.core import events
from o2o.installments import services
from o2o.payments.models import Payment, PaymentMethod


@events.subscribe(events.TENDER_REFUNDED)
def reduce_plan_when_store_credit_refunded(*, payment: Payment, **_payload) -> None:
    """A return or cancellation paid back (part of) the store credit tender: the customer owes
    that much less, taken off the last dues first (docs/installments.md)."""
    if payment.method == PaymentMethod.STORE_CREDIT:
        services.apply_refunds(order_id=payment.order_id)
