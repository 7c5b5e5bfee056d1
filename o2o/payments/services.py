"""Taking money (online through a gateway, or at the counter) and giving it back.

Every use case here that touches an existing order takes the order's lock first
(`o2o.orders.locks.lock_order`, which documents the one lock order) inside its one transaction.
"""

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
from o2o.core.idempotency import fingerprint, run_once
from o2o.orders import services as orders
from o2o.orders.locks import lock_order
from o2o.orders.models import Order, OrderState
from o2o.orders.states import PAID_NOT_HANDED_OVER
from o2o.payments.gateways import CallbackEvent, SimulatedGateway, get_gateway
from o2o.payments.models import IN_STORE_METHODS, GatewayCallback, Payment, PaymentAlert, PaymentMethod, Refund
from o2o.payments.selectors import succeeded_payment

logger = logging.getLogger("o2o.payments")


def _scope(actor: Actor) -> str:
    """Whose idempotency keys these are."""
    return f"member:{actor.member.pk}" if actor.member is not None else f"user:{actor.user_id}"


def _overdue(order: Order) -> bool:
    return bool(order.payment_deadline and order.payment_deadline < timezone.now())


def _cancel_if_overdue(order_id: int) -> None:
    with transaction.atomic(durable=True):
        order = lock_order(order_id)
        if order.state == OrderState.PENDING_PAYMENT and _overdue(order):
            orders.cancel_unpaid(order=order, actor_id=None, note="payment deadline passed")


def _payable(order: Order) -> None:
    if order.state != OrderState.PENDING_PAYMENT:
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION, f"an order that is {order.state} cannot be paid", state=order.state
        )
    if _overdue(order):
        _cancel_if_overdue(order.pk)
        raise DomainError(ErrorCode.PAYMENT_DEADLINE_PASSED, "the payment deadline has passed; the order is cancelled")


def start_online_payment(
    *, actor: Actor, order: Order, gateway_name: str = SimulatedGateway.name
) -> tuple[Payment, str]:
    """A pending payment the customer completes at the gateway; returns it with the pay URL."""
    authorize(actor, Operation.PAY_ONLINE, location_id=order.selling_location_id)
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

    Returns the outcome recorded for the event. A database error other than "this event was
    recorded already" propagates (a 5xx), so that the gateway delivers the callback again.
    """
    gateway = get_gateway(gateway_name)
    event = gateway.parse_callback(body, signature)
    try:
        return _apply_callback(gateway_name, event)
    except IntegrityError as exc:
        if GatewayCallback.objects.filter(gateway=gateway_name, event_id=event.event_id).exists():
            # The same event committed first in another request (unique gateway + event id).
            logger.info("duplicate gateway callback %s", event.event_id)
            return "duplicate"
        # Any other constraint: nothing was applied or recorded. Answer 5xx so that the gateway
        # delivers the callback again, instead of taking "duplicate" for an answer.
        logger.exception("gateway callback %s not applied", event.event_id)
        raise DomainError(ErrorCode.CALLBACK_NOT_APPLIED, "the callback could not be applied; send it again") from exc


@transaction.atomic(durable=True)
def _apply_callback(gateway_name: str, event: CallbackEvent) -> str:
    found = (
        Payment.objects.filter(gateway=gateway_name, gateway_ref=event.gateway_ref)
        .values_list("pk", "order_id")
        .first()
    )
    if found is None:
        outcome = _alert_unknown_payment(gateway_name, event)
    else:
        lock_order(found[1])  # the order first, then its payment (read again under the lock)
        outcome = _settle(Payment.objects.select_related("order").get(pk=found[0]), event)
    # Recorded last, with its outcome: a second delivery of the same event fails on the unique
    # (gateway, event id) here and rolls back whatever it did.
    GatewayCallback.objects.create(
        gateway=gateway_name, event_id=event.event_id, payload=event.payload, outcome=outcome
    )
    return outcome


def _alert(**fields) -> PaymentAlert:
    alert = PaymentAlert.objects.create(**fields)
    # Logged once the alert is committed (a duplicate delivery rolls it back and logs nothing).
    transaction.on_commit(partial(logger.error, "payment alert %s: %s", alert.kind, alert.detail))
    return alert


def _alert_unknown_payment(gateway_name: str, event: CallbackEvent) -> str:
    _alert(
        kind=PaymentAlert.Kind.UNKNOWN_PAYMENT,
        gateway=gateway_name,
        event_id=event.event_id,
        received_amount=event.amount,
        detail=f"callback {event.event_id} for unknown gateway reference {event.gateway_ref[:64]}",
    )
    return "unknown_payment"


def _settle(payment: Payment, event: CallbackEvent) -> str:
    if not event.succeeded:
        updated = Payment.objects.filter(pk=payment.pk, state=Payment.State.PENDING).update(state=Payment.State.FAILED)
        return "failed" if updated else "ignored_late_failure"
    if event.amount != payment.amount:
        return _amount_mismatch(payment, event)
    if payment.state not in (Payment.State.PENDING, Payment.State.FAILED):
        return "already_settled"
    # The order decides first: only the payment that moves it to paid succeeds; money for an
    # order that is paid already or cancelled is returned.
    took_order = _mark_order_paid(payment.order)
    state = Payment.State.SUCCEEDED if took_order else Payment.State.RETURNED
    now = timezone.now()
    Payment.objects.filter(pk=payment.pk).update(state=state, gateway_txn_id=event.txn_id, succeeded_at=now)
    payment.state, payment.gateway_txn_id, payment.succeeded_at = state, event.txn_id, now
    if took_order:
        return "paid"
    _refund_payment(
        payment=payment, amount=payment.amount, reason="the order could not take this payment", actor_id=None
    )
    return "returned"


def _amount_mismatch(payment: Payment, event: CallbackEvent) -> str:
    """The gateway took another amount than the order asks: never pay the order with it; give the
    money back (what the gateway took), and tell a person."""
    _alert(
        kind=PaymentAlert.Kind.AMOUNT_MISMATCH,
        payment=payment,
        gateway=payment.gateway,
        event_id=event.event_id,
        expected_amount=payment.amount,
        received_amount=event.amount,
        detail=f"payment {payment.pk}: expected {payment.amount}, the gateway took {event.amount}",
    )
    if payment.state not in (Payment.State.PENDING, Payment.State.FAILED):
        return "amount_mismatch"
    # The payment records what really moved, then all of it goes back.
    Payment.objects.filter(pk=payment.pk).update(
        state=Payment.State.RETURNED, amount=event.amount, gateway_txn_id=event.txn_id, succeeded_at=timezone.now()
    )
    payment.refresh_from_db()
    _refund_payment(payment=payment, amount=event.amount, reason="the amount paid did not match", actor_id=None)
    return "amount_mismatch"


def _mark_order_paid(order: Order) -> bool:
    if order.state != OrderState.PENDING_PAYMENT:
        return False
    orders.mark_paid(order=order)
    return True


def take_in_store_payment(*, actor: Actor, order: Order, method: str, idempotency_key: str | None = None) -> Payment:
    """Cash, card or QR at the counter of the store that sold the order, recorded in its cash account.

    A retry with the same idempotency key returns the first payment."""
    if method not in IN_STORE_METHODS:
        raise DomainError(ErrorCode.INVALID, "unknown in-store payment method", method=method)
    authorize(actor, Operation.TAKE_COUNTER_PAYMENT, location_id=order.selling_location_id)
    result = run_once(
        scope=_scope(actor),
        operation=f"counter_payment:{order.pk}",
        key=idempotency_key,
        fingerprint=fingerprint(order=order.pk, method=method),
        perform=lambda: _take_in_store_payment(actor=actor, order_id=order.pk, method=method),
    )
    if result.get("deadline_passed"):
        raise DomainError(ErrorCode.PAYMENT_DEADLINE_PASSED, "the payment deadline has passed; the order is cancelled")
    return Payment.objects.get(pk=result["payment_id"])


def _take_in_store_payment(*, actor: Actor, order_id: int, method: str) -> dict:
    order = lock_order(order_id)
    existing = succeeded_payment(order_id=order.pk)
    if existing is not None and existing.method == method:
        return {"payment_id": existing.pk}  # a retry of the same hand-over of money
    if order.state != OrderState.PENDING_PAYMENT:
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION, f"an order that is {order.state} cannot be paid", state=order.state
        )
    if _overdue(order):
        orders.cancel_unpaid(order=order, actor_id=None, note="payment deadline passed")
        return {"deadline_passed": True}
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
    return {"payment_id": payment.pk}


def _refund_payment(*, payment: Payment, amount: Decimal, reason: str, actor_id: int | None) -> Refund:
    """Book the refund in the caller's transaction. Back to a gateway it is a job (requested,
    sent, succeeded or failed) that `refunds.send_refund` works after commit, with retries;
    at the counter the money is handed back now."""
    if not Payment.objects.filter(pk=payment.pk, refunded_amount__lte=F("amount") - amount).update(
        refunded_amount=F("refunded_amount") + amount
    ):
        raise DomainError(ErrorCode.INVALID, "refund exceeds what was paid")
    now = timezone.now()
    if payment.gateway and payment.gateway_txn_id:
        refund = Refund.objects.create(
            payment=payment, amount=amount, reason=reason, created_by_id=actor_id, next_attempt_at=now
        )
        from o2o.payments.tasks import send_refund

        transaction.on_commit(partial(send_refund.enqueue, refund_id=refund.pk))
        return refund
    return Refund.objects.create(
        payment=payment,
        amount=amount,
        reason=reason,
        created_by_id=actor_id,
        state=Refund.State.SUCCEEDED,
        finished_at=now,
    )


def refund_in_full_what_is_left(*, order: Order, amount: Decimal, reason: str) -> Refund | None:
    """Pay back `amount` of the order's payment (an uncollected pickup); inside the caller's
    transaction, which holds the order's lock."""
    payment = succeeded_payment(order_id=order.pk)
    if payment is None or amount <= 0:
        return None
    return _refund_payment(payment=payment, amount=amount, reason=reason, actor_id=None)


def _paying_payment(order: Order) -> Payment:
    payment = succeeded_payment(order_id=order.pk)
    if payment is None:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "the order has no payment to refund")
    return payment


def refund_order(
    *, actor: Actor, order: Order, returned: dict[int, int] | None, reason: str, idempotency_key: str | None = None
) -> Refund:
    """Return goods (or the whole order before hand-over) and pay the money back to where it came from.

    A retry with the same idempotency key returns the first refund and moves nothing again."""
    authorize(actor, Operation.RETURN_GOODS, location_id=order.fulfilment_location_id)
    result = run_once(
        scope=_scope(actor),
        operation=f"refund_order:{order.pk}",
        key=idempotency_key,
        fingerprint=fingerprint(order=order.pk, returned=sorted((returned or {}).items()), reason=reason),
        perform=lambda: {
            "refund_id": _refund_order(actor=actor, order_id=order.pk, returned=returned, reason=reason).pk
        },  # fmt: skip
    )
    return Refund.objects.get(pk=result["refund_id"])


def _refund_order(*, actor: Actor, order_id: int, returned: dict[int, int] | None, reason: str) -> Refund:
    order = lock_order(order_id)
    amount = orders.refund_goods(order=order, actor_id=actor.user_id, returned=returned)
    return _refund_payment(payment=_paying_payment(order), amount=amount, reason=reason, actor_id=actor.user_id)


def cancel_order(*, actor: Actor, order: Order, idempotency_key: str | None = None) -> Order:
    """Unpaid: cancel and release the stock. Paid, goods still in the store: refund in full.

    Of two cancellations racing, the second finds the order cancelled (409); a retry with the
    same idempotency key gets the first answer instead."""
    run_once(
        scope=_scope(actor),
        operation=f"cancel_order:{order.pk}",
        key=idempotency_key,
        fingerprint=fingerprint(order=order.pk),
        perform=lambda: _cancel_order(actor=actor, order_id=order.pk),
    )
    order.refresh_from_db()
    return order


def _cancel_order(*, actor: Actor, order_id: int) -> dict:
    order = lock_order(order_id)
    if order.state == OrderState.PENDING_PAYMENT:
        authorize(actor, Operation.CANCEL_UNPAID_ORDER, location_id=order.fulfilment_location_id)
        orders.cancel_unpaid(order=order, actor_id=actor.user_id, note="cancelled by request")
    elif order.state in PAID_NOT_HANDED_OVER:
        authorize(actor, Operation.CANCEL_PAID_ORDER, location_id=order.fulfilment_location_id)
        _refund_order(actor=actor, order_id=order_id, returned=None, reason="cancelled by request")
    else:
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION, f"an order that is {order.state} cannot be cancelled", state=order.state
        )
    return {"order_id": order_id}
