"""Taking money (online through a gateway, or at the counter) and giving it back."""

import logging
from decimal import Decimal
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.codes import new_token
from o2o.core.errors import DomainError, ErrorCode
from o2o.orders import services as orders
from o2o.orders.models import Order, OrderState
from o2o.orders.states import PAID_NOT_HANDED_OVER
from o2o.payments.gateways import SimulatedGateway, get_gateway
from o2o.payments.models import IN_STORE_METHODS, GatewayCallback, Payment, PaymentMethod, Refund
from o2o.payments.selectors import succeeded_payment

logger = logging.getLogger("o2o.payments")


def _payable(order: Order) -> None:
    if order.state != OrderState.PENDING_PAYMENT:
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION, f"an order that is {order.state} cannot be paid", state=order.state
        )
    if order.payment_deadline and order.payment_deadline < timezone.now():
        with transaction.atomic():
            orders.cancel_unpaid(order=order, actor_id=None, note="payment deadline passed")
        raise DomainError(ErrorCode.PAYMENT_DEADLINE_PASSED, "the payment deadline has passed; the order is cancelled")


def start_online_payment(*, order: Order, gateway_name: str = SimulatedGateway.name) -> tuple[Payment, str]:
    """A pending payment the customer completes at the gateway; returns it with the pay URL."""
    _payable(order)
    gateway = get_gateway(gateway_name)
    pending = Payment.objects.filter(order=order, state=Payment.State.PENDING, method=PaymentMethod.ONLINE_QR)
    payment = pending.first()
    if payment is None:
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    order=order,
                    method=PaymentMethod.ONLINE_QR,
                    amount=order.total,
                    gateway=gateway.name,
                    gateway_ref=new_token()[:32],
                )
        except IntegrityError:
            payment = pending.get()  # a double tap started it a moment ago (one pending per order)
    return payment, gateway.pay_url(payment.gateway_ref)


def handle_gateway_callback(*, gateway_name: str, body: bytes, signature: str) -> str:
    """Process a signed gateway callback exactly once; duplicates, replays and late arrivals are harmless.

    Returns the outcome recorded for the event.
    """
    gateway = get_gateway(gateway_name)
    event = gateway.parse_callback(body, signature)
    try:
        return _apply_callback(gateway_name, event)
    except IntegrityError:
        # The same event committed first in another request (unique gateway + event id).
        logger.info("duplicate gateway callback %s", event.event_id)
        return "duplicate"


@transaction.atomic(durable=True)
def _apply_callback(gateway_name: str, event) -> str:
    payment = (
        Payment.objects.select_related("order").filter(gateway=gateway_name, gateway_ref=event.gateway_ref).first()
    )
    outcome = _settle(payment, event)
    # Recorded last, with its outcome: a second delivery of the same event fails on the unique
    # (gateway, event id) here and rolls back whatever it did; the payment's conditional UPDATE
    # above already serialises racing deliveries.
    GatewayCallback.objects.create(
        gateway=gateway_name, event_id=event.event_id, payload=event.payload, outcome=outcome
    )
    return outcome


def _settle(payment: Payment | None, event) -> str:
    if payment is None:
        return "unknown_payment"
    if not event.succeeded:
        updated = Payment.objects.filter(pk=payment.pk, state=Payment.State.PENDING).update(state=Payment.State.FAILED)
        return "failed" if updated else "ignored_late_failure"
    if event.amount != payment.amount:
        return "amount_mismatch"
    if payment.state not in (Payment.State.PENDING, Payment.State.FAILED):
        return "already_settled"
    # The order decides first (its conditional UPDATE serialises every payment of the order):
    # only the payment that moves it to paid succeeds; money for an order that is paid already
    # or cancelled is returned.
    took_order = _mark_order_paid(payment.order)
    state = Payment.State.SUCCEEDED if took_order else Payment.State.RETURNED
    now = timezone.now()
    settled = Payment.objects.filter(pk=payment.pk, state__in=[Payment.State.PENDING, Payment.State.FAILED]).update(
        state=state, gateway_txn_id=event.txn_id, succeeded_at=now
    )
    if not settled:
        if took_order:  # another delivery of this payment settled it meanwhile: undo ours, let it retry
            raise DomainError(ErrorCode.CONFLICT, "the payment changed meanwhile")
        return "already_settled"
    payment.state, payment.gateway_txn_id, payment.succeeded_at = state, event.txn_id, now
    if took_order:
        return "paid"
    _refund_payment(
        payment=payment, amount=payment.amount, reason="the order could not take this payment", actor_id=None
    )
    return "returned"


def _mark_order_paid(order: Order) -> bool:
    if order.state != OrderState.PENDING_PAYMENT:
        return False
    try:
        orders.mark_paid(order=order)
    except DomainError as error:
        # Paid or expired in the same instant; mark_paid wrote nothing.
        if error.code != ErrorCode.ILLEGAL_TRANSITION:
            raise
        return False
    return True


def take_in_store_payment(*, actor: Actor, order: Order, method: str) -> Payment:
    """Cash, card or QR at the counter of the store that sold the order, recorded in its cash account."""
    if method not in IN_STORE_METHODS:
        raise DomainError(ErrorCode.INVALID, "unknown in-store payment method", method=method)
    authorize(actor, Operation.TAKE_COUNTER_PAYMENT, location_id=order.selling_location_id)
    existing = Payment.objects.filter(order=order, state=Payment.State.SUCCEEDED).first()
    if existing is not None and existing.method == method:
        return existing  # a retry of the same hand-over of money
    _payable(order)
    try:
        with transaction.atomic(durable=True):
            # The order row first, then the payment: the same lock order as gateway callbacks.
            orders.mark_paid(order=order, actor_id=actor.user_id)
            payment = Payment.objects.create(
                order=order,
                method=method,
                amount=order.total,
                state=Payment.State.SUCCEEDED,
                location_id=order.selling_location_id,
                received_by=actor.user,
                succeeded_at=timezone.now(),
            )
    except IntegrityError as exc:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "the order is already paid") from exc
    return payment


def _refund_payment(*, payment: Payment, amount: Decimal, reason: str, actor_id: int | None) -> Refund:
    if not Payment.objects.filter(pk=payment.pk, refunded_amount__lte=F("amount") - amount).update(
        refunded_amount=F("refunded_amount") + amount
    ):
        raise DomainError(ErrorCode.INVALID, "refund exceeds what was paid")
    refund = Refund.objects.create(payment=payment, amount=amount, reason=reason, created_by_id=actor_id)
    if payment.gateway and payment.gateway_txn_id:
        gateway = get_gateway(payment.gateway)
        transaction.on_commit(partial(gateway.refund, txn_id=payment.gateway_txn_id, amount=amount))
    return refund


def _paying_payment(order: Order) -> Payment:
    payment = succeeded_payment(order_id=order.pk)
    if payment is None:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "the order has no payment to refund")
    return payment


@transaction.atomic(durable=True)
def refund_order(*, actor: Actor, order: Order, returned: dict[int, int] | None, reason: str) -> Refund:
    """Return goods (or the whole order before hand-over) and pay the money back to where it came from."""
    order = Order.objects.get(pk=order.pk)
    amount = orders.refund_goods(order=order, actor_id=actor.user_id, returned=returned)
    return _refund_payment(payment=_paying_payment(order), amount=amount, reason=reason, actor_id=actor.user_id)


def cancel_order(*, actor: Actor, order: Order) -> Order:
    """Unpaid: cancel and release the stock. Paid, goods still in the store: refund in full."""
    if order.state == OrderState.PENDING_PAYMENT:
        with transaction.atomic(durable=True):
            return orders.cancel_unpaid(order=order, actor_id=actor.user_id, note="cancelled by request")
    if order.state in PAID_NOT_HANDED_OVER:
        refund_order(actor=actor, order=order, returned=None, reason="cancelled by request")
        order.refresh_from_db()
        return order
    raise DomainError(
        ErrorCode.ILLEGAL_TRANSITION, f"an order that is {order.state} cannot be cancelled", state=order.state
    )
