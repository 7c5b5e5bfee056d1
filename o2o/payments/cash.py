"""Cash at the counter: what the customer handed over, so the receipt can show the change."""

from decimal import Decimal

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.money import to_money
from o2o.orders.models import Order
from o2o.payments.models import Payment, PaymentMethod


def change_due(*, cash_due: Decimal, tendered: Decimal) -> Decimal:
    """The change for `tendered` against `cash_due`; refused when the customer gave too little."""
    if tendered < cash_due:
        raise DomainError(ErrorCode.INVALID, "less cash than is due", due=str(cash_due), tendered=str(tendered))
    return to_money(tendered - cash_due)


def record_cash_tendered(*, actor: Actor, order: Order, tendered: Decimal) -> Decimal:
    """Note the cash handed over for the order's cash tender and return the change.

    Written once (a conditional UPDATE on an empty field, under a CHECK that it covers the tender):
    a retry keeps the first figure and answers with its change. Money does not move here."""
    authorize(actor, Operation.TAKE_COUNTER_PAYMENT, location_id=order.selling_location_id)
    tender = Payment.objects.filter(order=order, method=PaymentMethod.CASH, state=Payment.State.SUCCEEDED).first()
    if tender is None:
        raise not_found("cash payment")
    change_due(cash_due=tender.amount, tendered=to_money(tendered))  # refuses too little cash
    Payment.objects.filter(pk=tender.pk, cash_tendered__isnull=True).update(cash_tendered=to_money(tendered))
    tender.refresh_from_db(fields=["cash_tendered"])
    return to_money(tender.change)
