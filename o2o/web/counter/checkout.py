"""Ringing up a counter order: place it and take the customer's money in one step, or leave nothing behind."""

from decimal import Decimal

from o2o.access.actors import Actor
from o2o.core.errors import DomainError
from o2o.members.models import Member
from o2o.orders.models import Order, OrderState
from o2o.orders.services import OrderRequest, place_order
from o2o.payments.services import TenderRequest, cancel_order, pay_order


def counter_tenders(*, method: str, member_code: str = "", wallet_amount: Decimal | None = None) -> list[TenderRequest]:
    """Cash, card or QR for the whole sale; or, when the clerk scanned the member's payment code,
    stored value first (`wallet_amount`, or all of it when blank) and `method` for the rest."""
    if not member_code:
        return [TenderRequest(method=method)]
    if wallet_amount is None:
        return [TenderRequest(method="wallet", member_code=member_code)]
    return [TenderRequest(method="wallet", amount=wallet_amount, member_code=member_code), TenderRequest(method=method)]


def sell(
    *,
    actor: Actor,
    member: Member | None,
    request: OrderRequest,
    method: str,
    key: str,
    member_code: str = "",
    wallet_amount: Decimal | None = None,
) -> Order:
    """Place the order and take the payment at the counter (split between the member's stored
    value, by their payment code, and cash, card or QR for the rest).

    The idempotency key makes a second tap replay the first order and the first payment, so a sale
    is never rung up twice. Should the payment be refused, the unpaid order is cancelled at once
    and its reserved stock goes back on the shelf (nothing was taken: the tenders of one payment
    succeed together or not at all).
    """
    order = place_order(actor=actor, member=member, request=request, idempotency_key=key)
    if wallet_amount is not None and wallet_amount >= order.total:
        wallet_amount = None  # stored value for all of it: no cash part of 0
    tenders = counter_tenders(method=method, member_code=member_code, wallet_amount=wallet_amount)
    try:
        pay_order(actor=actor, order=order, tenders=tenders, idempotency_key=key)
    except DomainError:
        order.refresh_from_db()
        if order.state == OrderState.PENDING_PAYMENT:
            cancel_order(actor=actor, order=order)
            raise
        if order.paid_at is None:
            raise
        # Paid already: a second tap with another payment method. The first payment stands.
    return order
