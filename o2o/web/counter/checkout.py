"""Ringing up a counter order: place it and take the customer's money in one step, or leave nothing behind."""

from o2o.access.actors import Actor
from o2o.core.errors import DomainError
from o2o.members.models import Member
from o2o.orders.models import Order, OrderState
from o2o.orders.services import OrderRequest, place_order
from o2o.payments.services import cancel_order, take_in_store_payment


def sell(*, actor: Actor, member: Member | None, request: OrderRequest, method: str, key: str) -> Order:
    """Place the order and take the payment at the counter.

    The idempotency key makes a second tap replay the first order, and the payment service returns the
    first payment, so a sale is never rung up twice. Should the payment be refused, the unpaid order is
    cancelled at once and its reserved stock goes back on the shelf.
    """
    order = place_order(actor=actor, member=member, request=request, idempotency_key=key)
    try:
        take_in_store_payment(actor=actor, order=order, method=method)
    except DomainError:
        order.refresh_from_db()
        if order.state == OrderState.PENDING_PAYMENT:
            cancel_order(actor=actor, order=order)
            raise
        if order.paid_at is None:
            raise
        # Paid already: a second tap with another payment method. The first payment stands.
    return order
