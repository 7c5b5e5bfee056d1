"""Taking money (online through a gateway, or at the counter) and giving it back.

Every use case here that touches an existing order takes the order's lock first
(`o2o.orders.locks.lock_order`, which documents the one lock order) inside its one transaction.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core import events
from o2o.core.codes import new_token
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.idempotency import fingerprint, run_once
from o2o.core.inserts import insert_unless_conflicting
from o2o.core.money import to_money
from o2o.core.sql import insert_model, insert_model_where
from o2o.loyalty import services as loyalty
from o2o.orders import services as orders
from o2o.orders.locks import lock_order
from o2o.orders.models import Order, OrderState
from o2o.orders.states import PAID_NOT_HANDED_OVER
from o2o.payments import sql, tenders
from o2o.payments.gateways import CallbackEvent, PaymentGateway, SimulatedGateway, get_gateway
from o2o.payments.models import (
    IN_STORE_METHODS,
    INSTALLMENT_PERIODS,
    MEMBER_METHODS,
    REFUND_ORDER,
    GatewayCallback,
    Payment,
    PaymentAlert,
    PaymentMethod,
    Refund,
)
from o2o.payments.tenders import TenderRequest
from o2o.payments.topups import settle_top_up_callback
from o2o.wallet import services as wallet

__all__ = [
    "PaymentResult",
    "TenderRequest",
    "cancel_order",
    "handle_gateway_callback",
    "pay_order",
    "record_tender",
    "refund_in_full_what_is_left",
    "refund_goods_locked",
    "refund_order",
    "start_online_payment",
    "take_in_store_payment",
]

logger = logging.getLogger("o2o.payments")


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


def payment_url(payment: Payment) -> str:
    """Where the customer pays a pending gateway payment (with its installment terms)."""
    gateway = get_gateway(payment.gateway)
    return gateway.pay_url(payment.gateway_ref, installment_periods=payment.installment_periods)


def _installment_terms(order: Order, periods: int | None, amount: Decimal, gateway: PaymentGateway) -> dict:
    """The gateway's installment product for this tender (fee and who bears it), or nothing."""
    if periods is None:
        return {}
    if not getattr(gateway, "supports_installments", False):
        raise DomainError(ErrorCode.INVALID, "this gateway has no installment product", gateway=gateway.name)
    if periods not in INSTALLMENT_PERIODS:
        raise DomainError(ErrorCode.INVALID, "installments are over 3, 6 or 12 periods", periods=periods)
    if order.total < settings.O2O_INSTALLMENT_MIN_AMOUNT:
        raise DomainError(
            ErrorCode.INVALID,
            "this order is too small to pay in installments",
            minimum=str(settings.O2O_INSTALLMENT_MIN_AMOUNT),
        )
    percent = Decimal(str(settings.O2O_GATEWAY_INSTALLMENT_FEE_PERCENT[periods]))
    return {
        "installment_periods": periods,
        "installment_fee": to_money(amount * percent / 100),
        "installment_fee_borne_by": settings.O2O_INSTALLMENT_FEE_BORNE_BY,
    }


def start_online_payment(
    *,
    actor: Actor,
    order: Order,
    gateway_name: str = SimulatedGateway.name,
    installment_periods: int | None = None,
) -> tuple[Payment, str]:
    """A pending gateway payment of what is left to pay; returns it with the pay URL.

    The single-tender case of `pay_order`, kept cheap for the hot path (no lock: one statement
    for an order's first tender). A waiting payment of the same amount and terms is reused (a
    double tap); one that no longer fits is replaced under the order's lock."""
    authorize(actor, Operation.PAY_ONLINE, location_id=order.selling_location_id)
    _payable(order)
    gateway = get_gateway(gateway_name)
    if order.total > 0 and (first := _first_tender(order, gateway, installment_periods)) is not None:
        return first, payment_url(first)
    payments = tenders.tenders_of(order)
    rest = order.total - tenders.covered(payments)
    if rest <= 0:  # an order of 0.00 (free goods, a discount of everything): no gateway payment of 0
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "nothing is left to pay at the gateway")
    terms = _installment_terms(order, installment_periods, rest, gateway)
    payment = tenders.pending_gateway(payments)
    if payment is not None and (payment.amount, payment.installment_periods) == (rest, installment_periods):
        return payment, payment_url(payment)
    if payment is not None or rest != order.total:
        payment = _replace_gateway_payment(actor=actor, order_id=order.pk, gateway=gateway, periods=installment_periods)
        return payment, payment_url(payment)
    payment = Payment(
        order=order, method=PaymentMethod.ONLINE_QR, amount=rest, gateway=gateway.name,
        gateway_ref=new_token()[:32], **terms,
    )  # fmt: skip
    # One statement, its own transaction: a pending payment the unique index finds already is a
    # double tap a moment ago, and needs neither a savepoint nor BEGIN ... COMMIT around it.
    if not insert_unless_conflicting(payment):
        payment = Payment.objects.get(order=order, state=Payment.State.PENDING)
    return payment, payment_url(payment)


def _first_tender(order: Order, gateway: PaymentGateway, periods: int | None) -> Payment | None:
    """The order's whole total as its first tender, inserted only while the order has none: one
    statement, its own transaction. None when it has one (a double tap, another tender, an
    earlier attempt): the caller reads them and decides."""
    payment = Payment(
        order=order, method=PaymentMethod.ONLINE_QR, amount=order.total, gateway=gateway.name,
        gateway_ref=new_token()[:32], **_installment_terms(order, periods, order.total, gateway),
    )  # fmt: skip
    return payment if insert_model_where(payment, sql.NO_TENDER_YET, [order.pk]) else None


def _replace_gateway_payment(*, actor: Actor, order_id: int, gateway: PaymentGateway, periods: int | None) -> Payment:
    with transaction.atomic(durable=True):
        order = lock_order(order_id)
        _payable(order)
        return _open_gateway_tender(order=order, payments=tenders.tenders_of(order), gateway=gateway, periods=periods)


def _open_gateway_tender(
    *, order: Order, payments: list[Payment], gateway: PaymentGateway, periods: int | None
) -> Payment:
    """Under the order's lock: the one pending gateway tender for what is left after the succeeded
    tenders (including the immediate ones taken in the same request)."""
    rest = order.total - tenders.covered(payments)
    if rest <= 0:
        raise DomainError(ErrorCode.TENDERS_EXCEED_PAYABLE, "nothing is left to pay at the gateway")
    pending = tenders.pending_gateway(payments)
    if pending is not None:
        if (pending.amount, pending.installment_periods, pending.gateway) == (rest, periods, gateway.name):
            return pending
        tenders.fail_pending(pending)
    return insert_model(Payment(
        order=order, method=PaymentMethod.ONLINE_QR, amount=rest, gateway=gateway.name,
        gateway_ref=new_token()[:32], **_installment_terms(order, periods, rest, gateway),
    ))  # fmt: skip


def handle_gateway_callback(*, gateway_name: str, body: bytes, signature: str) -> str:
    """Process a signed gateway callback exactly once; duplicates, replays and late arrivals are harmless.

    Returns the outcome recorded for the event. A database error other than "this event was
    recorded already" propagates (a 5xx), so that the gateway delivers the callback again.
    """
    gateway = get_gateway(gateway_name)
    event = gateway.parse_callback(body, signature)
    _announce_arrival(gateway_name, event)
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


def _announce_arrival(gateway_name: str, event: CallbackEvent) -> None:
    """Before the callback's transaction: when it is about to pay a whole order, the order's
    reactions may prepare what they need in short statements of their own (core.events)."""
    if not event.succeeded:
        return
    order_id = sql.order_awaiting(gateway=gateway_name, gateway_ref=event.gateway_ref, amount=event.amount)
    if order_id is not None:
        events.publish(events.ORDER_PAYMENT_ARRIVING, order_id=order_id)


@transaction.atomic(durable=True)
def _apply_callback(gateway_name: str, event: CallbackEvent) -> str:
    order = _lock_order_paid_by(gateway_name, event.gateway_ref)
    if order is None:
        outcome = settle_top_up_callback(gateway_name, event) or _alert_unknown_payment(gateway_name, event)
    else:
        payments = tenders.tenders_of(order)  # read under the order's lock
        paid = next(p for p in payments if p.gateway == gateway_name and p.gateway_ref == event.gateway_ref)
        outcome = _settle(paid, payments, event)
    # Recorded last, with its outcome: a second delivery of the same event fails on the unique
    # (gateway, event id) here and rolls back whatever it did.
    insert_model(GatewayCallback(gateway=gateway_name, event_id=event.event_id, payload=event.payload, outcome=outcome))
    return outcome


def _lock_order_paid_by(gateway_name: str, gateway_ref: str) -> Order | None:
    """The order the gateway payment belongs to, locked as `lock_order` does (the order row first),
    found through the payment in the same statement."""
    # read now, not by each reaction to the payment (the message, the preparation queue, points)
    return sql.lock_order_paid_by(gateway_name, gateway_ref)


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


def _settle(payment: Payment, payments: list[Payment], event: CallbackEvent) -> str:
    if not event.succeeded:
        return _gateway_failed(payment)
    if event.amount != payment.amount:
        return _amount_mismatch(payment, event)
    if payment.state not in (Payment.State.PENDING, Payment.State.FAILED):
        return "already_settled"  # as read under the order's lock; the UPDATE below checks it again
    # The order decides: the gateway tender succeeds only while the order waits for payment and
    # the tenders still fit its total; otherwise the money is returned.
    order = payment.order
    before = tenders.covered(payments)
    fits = order.state == OrderState.PENDING_PAYMENT and before + payment.amount <= order.total
    state = Payment.State.SUCCEEDED if fits else Payment.State.RETURNED
    now = timezone.now()
    if not sql.settle_payment(payment_id=payment.pk, state=state, gateway_txn_id=event.txn_id, at=now):
        return "already_settled"
    payment.state, payment.gateway_txn_id, payment.succeeded_at = state, event.txn_id, now
    if not fits:
        tenders.refund_tender(
            payment=payment, amount=payment.amount, reason="the order could not take this payment", actor_id=None
        )
        return "returned"
    if before + payment.amount < order.total:
        return "partly_paid"
    orders.mark_paid(order=order)
    return "paid"


def _gateway_failed(payment: Payment) -> str:
    """The customer did not pay at the gateway: an unpaid order gets back the tenders that
    succeeded at once (stored value, points...) and stays payable until its deadline."""
    if not tenders.fail_pending(payment):
        return "ignored_late_failure"
    if payment.order.state == OrderState.PENDING_PAYMENT:
        tenders.return_tenders(order=payment.order, reason="the gateway part of the payment failed")
    return "failed"


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
    tenders.refund_tender(payment=payment, amount=event.amount, reason="the amount paid did not match", actor_id=None)
    return "amount_mismatch"


@dataclass(frozen=True)
class PaymentResult:
    """What a pay request did: the tenders it took (or found, on a retry) and, when a gateway
    part is left, the waiting gateway payment."""

    order: Order
    payments: list[Payment]
    gateway_payment: Payment | None

    def pay_url(self) -> str | None:
        if self.gateway_payment is None:
            return None
        return payment_url(self.gateway_payment)


def pay_order(
    *,
    actor: Actor,
    order: Order,
    tenders: list[TenderRequest],
    idempotency_key: str | None,
    gateway_name: str = SimulatedGateway.name,
    installment_periods: int | None = None,
) -> PaymentResult:
    """Pay an order with one or more tenders (split tender), in one transaction under its lock.

    Stored value, points, store credit and counter money succeed at once; an `online_qr` tender
    opens the one pending gateway payment for what is left (paid when its callback arrives). The
    order is marked paid in the transaction where its tenders first cover the total. Either every
    immediate tender of the request is taken or none (a refusal writes nothing). A retry with the
    same idempotency key returns the first result and moves nothing again."""
    requested = _validated(tenders)
    scanned = any(t.member_code is not None for t in requested)
    if scanned:
        wallet.refuse_when_guessing_codes(actor)  # a scanner that guesses codes is stopped (429)
    try:
        result = _run_pay_order(
            actor=actor, order=order, requested=requested, idempotency_key=idempotency_key,
            gateway_name=gateway_name, periods=installment_periods,
        )  # fmt: skip
    except DomainError as error:
        if scanned and error.code == ErrorCode.PAYMENT_CODE_INVALID:
            wallet.count_failed_code(actor)  # after the rollback: the count must survive it
        raise
    if result.get("deadline_passed"):
        raise DomainError(ErrorCode.PAYMENT_DEADLINE_PASSED, "the payment deadline has passed; the order is cancelled")
    by_pk = Payment.objects.in_bulk(result["payment_ids"])
    gateway_id = result["gateway_payment_id"]
    asked = {id(tender): n for n, tender in enumerate(tenders)}  # answered in the order asked
    taken = sorted(zip(requested, result["payment_ids"], strict=True), key=lambda pair: asked[id(pair[0])])
    return PaymentResult(
        order=Order.objects.get(pk=order.pk),
        payments=[by_pk[pk] for _tender, pk in taken],
        gateway_payment=by_pk.get(gateway_id) if gateway_id else None,
    )


def _run_pay_order(
    *,
    actor: Actor,
    order: Order,
    requested: list[TenderRequest],
    idempotency_key: str | None,
    gateway_name: str,
    periods: int | None,
) -> dict:
    return run_once(
        scope=actor.idempotency_scope,
        operation=f"pay_order:{order.pk}",
        key=idempotency_key,
        fingerprint=fingerprint(
            order=order.pk,
            periods=periods,
            gateway=gateway_name,
            tenders=[(t.method, str(t.amount), t.points, t.member_code) for t in requested],
        ),
        perform=lambda: _pay_order(
            actor=actor, order_id=order.pk, requested=requested, gateway_name=gateway_name, periods=periods
        ),
    )


_PAY_METHODS = {m.value for m in PaymentMethod} - {PaymentMethod.STORE_CREDIT}


def _validated(requested: list[TenderRequest]) -> list[TenderRequest]:
    """The shape of a request, before anything is read or locked: 4xx for what can never be paid."""
    if not 1 <= len(requested) <= 5:
        raise DomainError(ErrorCode.INVALID, "name one to five tenders")
    for tender in requested:
        if tender.method not in _PAY_METHODS:
            raise DomainError(ErrorCode.INVALID, "unknown payment method", method=tender.method)
        if tender.method == PaymentMethod.POINTS:
            if tender.points is None or tender.points <= 0 or tender.amount is not None:
                raise DomainError(ErrorCode.INVALID, "a points tender names a positive number of points")
        elif tender.points is not None:
            raise DomainError(ErrorCode.INVALID, "only a points tender names points")
        if tender.amount is not None and (tender.amount <= 0 or tender.amount != to_money(tender.amount)):
            raise DomainError(ErrorCode.INVALID, "an amount is positive, to the fen")
        if tender.member_code is not None and tender.method != PaymentMethod.WALLET:
            raise DomainError(ErrorCode.INVALID, "a member code pays from the member's stored value")
    rests = [t for t in requested if t.amount is None and t.method != PaymentMethod.POINTS]
    if len(rests) > 1:
        raise DomainError(ErrorCode.INVALID, "at most one tender takes what is left to pay")
    if sum(t.method == PaymentMethod.ONLINE_QR for t in requested) > 1:
        raise DomainError(ErrorCode.INVALID, "at most one gateway tender")
    if any(t.method == PaymentMethod.ONLINE_QR and t.amount is not None for t in requested):
        raise DomainError(ErrorCode.INVALID, "the gateway takes what is left to pay: give it no amount")
    if sum(t.member_code is not None for t in requested) > 1:
        raise DomainError(ErrorCode.INVALID, "one member code per payment")
    # The rest comes last, once the fixed amounts are known; the others in REFUND_ORDER, so paying
    # and refunding take a member's points account and wallet in the same order (no deadlock).
    return sorted(
        requested, key=lambda t: (t.amount is None and t.method != PaymentMethod.POINTS, REFUND_ORDER.index(t.method))
    )


def _authorize_tender(actor: Actor, order: Order, tender: TenderRequest) -> None:
    """Counter money and a scanned member code: staff of the store that sold the order. The
    member's own stored value and points without a code: only that member, on their own order."""
    if tender.method in IN_STORE_METHODS or tender.member_code is not None:
        authorize(actor, Operation.TAKE_COUNTER_PAYMENT, location_id=order.selling_location_id)
    elif tender.method in MEMBER_METHODS:
        authorize(actor, Operation.PAY_FROM_BALANCE, location_id=order.selling_location_id)
        if actor.member is None or actor.member.pk != order.member_id:
            raise DomainError(ErrorCode.FORBIDDEN, "a member spends their own balance on their own order")
    else:
        authorize(actor, Operation.PAY_ONLINE, location_id=order.selling_location_id)


def _pay_order(
    *, actor: Actor, order_id: int, requested: list[TenderRequest], gateway_name: str, periods: int | None
) -> dict:
    order = lock_order(order_id)
    for tender in requested:
        _authorize_tender(actor, order, tender)
    if order.state != OrderState.PENDING_PAYMENT:
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION, f"an order that is {order.state} cannot be paid", state=order.state
        )
    if _overdue(order):
        orders.cancel_unpaid(order=order, actor_id=None, note="payment deadline passed")
        return {"deadline_passed": True}
    payments = tenders.tenders_of(order)
    taken, gateway_payment = [], None
    for tender in requested:
        if tender.method == PaymentMethod.ONLINE_QR:
            gateway = get_gateway(gateway_name)
            gateway_payment = _open_gateway_tender(order=order, payments=payments, gateway=gateway, periods=periods)
            taken.append(gateway_payment)
            continue
        payment = _take(actor=actor, order=order, payments=payments, tender=tender)
        payments.append(payment)
        taken.append(payment)
    _close_if_covered(actor_id=actor.user_id, order=order, payments=payments, gateway_payment=gateway_payment)
    return {"payment_ids": [p.pk for p in taken], "gateway_payment_id": gateway_payment and gateway_payment.pk}


def _take(*, actor: Actor, order: Order, payments: list[Payment], tender: TenderRequest) -> Payment:
    """One immediate tender under the lock, after checking it fits what is left to pay."""
    amount, payer_id = tender.amount, None
    if tender.method == PaymentMethod.POINTS:
        amount = to_money(loyalty.points_value(tender.points))
        if amount <= 0:
            raise DomainError(ErrorCode.INVALID, "too few points to pay anything")
    elif amount is None:
        amount = order.total - tenders.covered(payments)
        if amount <= 0:
            raise DomainError(ErrorCode.TENDERS_EXCEED_PAYABLE, "nothing is left to pay")
    tenders.check_fits(order, payments, amount)
    if tender.method in MEMBER_METHODS:
        payer_id = _payer(actor=actor, order=order, tender=tender)
    counter = tender.method in IN_STORE_METHODS or tender.member_code is not None
    return tenders.take_immediate(
        order=order, method=tender.method, amount=amount, actor_id=actor.user_id, points=tender.points,
        payer_id=payer_id, location_id=order.selling_location_id if counter else None,
    )  # fmt: skip


def _payer(*, actor: Actor, order: Order, tender: TenderRequest) -> int:
    """Whose balance pays: the member themself online, or the member whose code the clerk scanned.
    A code pays an order of that member, or an order without a member (a walk-in sale), which
    stays without one: the payment records the payer (docs/money.md)."""
    if tender.member_code is None:
        return actor.member.pk
    member_id = wallet.redeem_payment_code(code=tender.member_code)
    if order.member_id is not None and order.member_id != member_id:
        raise DomainError(ErrorCode.PAYMENT_CODE_INVALID, "this payment code belongs to another member")
    return member_id


def _close_if_covered(
    *, actor_id: int | None, order: Order, payments: list[Payment], gateway_payment: Payment | None
) -> None:
    """Paid when the succeeded tenders cover the total; a waiting gateway payment that the
    immediate tenders no longer leave room for is closed."""
    pending = gateway_payment or tenders.pending_gateway(payments)
    stale = pending is not None and pending is not gateway_payment
    if stale and tenders.covered(payments) + pending.amount > order.total:
        tenders.fail_pending(pending)
    if tenders.covered(payments) == order.total:
        orders.mark_paid(order=order, actor_id=actor_id)


def record_tender(*, order: Order, method: str, amount: Decimal, reference: str, actor_id: int | None) -> Payment:
    """A tender that another app takes for an order (a store credit plan; or counter money it
    handled), in the caller's transaction, which holds the order's lock. The order is marked paid
    when the tenders cover its total. The same `reference` again returns the first tender."""
    if (existing := Payment.objects.filter(reference=reference).first()) is not None:
        if existing.order_id != order.pk:
            raise DomainError(ErrorCode.CONFLICT, "this reference belongs to another order's tender")
        return existing
    if method != PaymentMethod.STORE_CREDIT and method not in IN_STORE_METHODS:
        raise DomainError(ErrorCode.INVALID, "another app records store credit or counter money", method=method)
    amount = Decimal(amount)
    if amount <= 0 or amount != to_money(amount):
        raise DomainError(ErrorCode.INVALID, "an amount is positive, to the fen")
    if order.state != OrderState.PENDING_PAYMENT:
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION, f"an order that is {order.state} cannot be paid", state=order.state
        )
    payments = tenders.tenders_of(order)
    tenders.check_fits(order, payments, amount)
    payment = tenders.take_immediate(
        order=order, method=method, amount=amount, actor_id=actor_id, reference=reference,
        location_id=order.selling_location_id if method in IN_STORE_METHODS else None,
    )  # fmt: skip
    payments.append(payment)
    _close_if_covered(actor_id=actor_id, order=order, payments=payments, gateway_payment=None)
    return payment


def take_in_store_payment(*, actor: Actor, order: Order, method: str, idempotency_key: str | None = None) -> Payment:
    """Cash, card or QR at the counter of the store that sold the order, for what is left to pay,
    recorded in its cash account (the single-tender case of `pay_order`).

    A retry with the same idempotency key returns the first payment; a second tap of the same
    method on an order it paid already returns that payment too."""
    if method not in IN_STORE_METHODS:
        raise DomainError(ErrorCode.INVALID, "unknown in-store payment method", method=method)
    authorize(actor, Operation.TAKE_COUNTER_PAYMENT, location_id=order.selling_location_id)
    result = run_once(
        scope=actor.idempotency_scope,
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
    if order.state != OrderState.PENDING_PAYMENT:
        last = Payment.objects.filter(order=order, state=Payment.State.SUCCEEDED, method=method).order_by("-pk").first()
        if last is not None:
            return {"payment_id": last.pk}  # a retry of the same hand-over of money
    result = _pay_order(
        actor=actor, order_id=order_id, requested=[TenderRequest(method=method)], gateway_name="", periods=None
    )
    return result if result.get("deadline_passed") else {"payment_id": result["payment_ids"][0]}


def refund_in_full_what_is_left(*, order: Order, amount: Decimal, reason: str) -> list[Refund]:
    """Pay back `amount` across the order's tenders (an uncollected pickup); inside the caller's
    transaction, which holds the order's lock."""
    if amount <= 0:
        return []
    return tenders.refund_across_tenders(order=order, amount=amount, reason=reason, actor_id=None)


def refund_order(
    *, actor: Actor, order: Order, returned: dict[int, int] | None, reason: str, idempotency_key: str | None = None
) -> list[Refund]:
    """Return goods (or the whole order before hand-over) and pay the money back tender by tender,
    to where it came from (docs/money.md: points, stored value, store credit, then gateway/counter).

    A retry with the same idempotency key returns the first refunds and moves nothing again."""
    authorize(actor, Operation.RETURN_GOODS, location_id=order.fulfilment_location_id)
    result = run_once(
        scope=actor.idempotency_scope,
        operation=f"refund_order:{order.pk}",
        key=idempotency_key,
        fingerprint=fingerprint(order=order.pk, returned=sorted((returned or {}).items()), reason=reason),
        perform=lambda: _refund_ids(_refund_order(actor=actor, order_id=order.pk, returned=returned, reason=reason)),
    )
    return list(Refund.objects.filter(pk__in=result["refund_ids"]).order_by("pk"))


def _refund_ids(refunds: list[Refund]) -> dict:
    return {"refund_ids": [refund.pk for refund in refunds]}


def _refund_order(*, actor: Actor, order_id: int, returned: dict[int, int] | None, reason: str) -> list[Refund]:
    order = lock_order(order_id)
    return refund_goods_locked(actor_id=actor.user_id, order=order, returned=returned, reason=reason)


def refund_goods_locked(
    *, actor_id: int | None, order: Order, returned: dict[int, int] | None, reason: str
) -> list[Refund]:
    """Goods coming back (all of them when `returned` is None; orders.refund_goods says what they
    are worth) and their money paid back tender by tender, inside the caller's transaction: the
    caller authorised the actor and locked `order` first (`lock_order`). The one after-hand-over
    refund path of a counter return, an incident's remedy and a complaint's remedy."""
    amount = orders.refund_goods(order=order, actor_id=actor_id, returned=returned)
    if amount <= 0:
        return []
    return tenders.refund_across_tenders(order=order, amount=amount, reason=reason, actor_id=actor_id)


def cancel_order(*, actor: Actor, order: Order, idempotency_key: str | None = None) -> Order:
    """Unpaid: cancel, release the stock and return any tender that succeeded already. Paid,
    goods still in the store: refund in full, tender by tender.

    Of two cancellations racing, the second finds the order cancelled (409); a retry with the
    same idempotency key gets the first answer instead."""
    run_once(
        scope=actor.idempotency_scope,
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


def refund_missing_units_locked(
    *, actor: Actor, order: Order, line_id: int, quantity: int, reason: str
) -> list[Refund]:
    """Units of a line missing before hand-over: no longer owed, their net paid back tender by
    tender (orders.refund_missing_units says what they are worth), inside the caller's transaction,
    which locked `order` first (`lock_order`): for a use case that records its own rows with the
    refund (an incident's remedy)."""
    authorize(actor, Operation.REFUND_MISSING_UNITS, location_id=order.fulfilment_location_id)
    amount = orders.refund_missing_units(order=order, line_id=line_id, quantity=quantity, actor_id=actor.user_id)
    if amount <= 0:
        return []
    return tenders.refund_across_tenders(order=order, amount=amount, reason=reason[:200], actor_id=actor.user_id)
