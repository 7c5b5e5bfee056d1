"""The tenders of one order: taking them, giving them back, and the sums that keep them honest.

Every function here runs inside the caller's transaction, which holds the order's lock
(`o2o.orders.locks.lock_order`): the order row is the lock that serialises everything that adds
or removes a tender of that order, so "the tenders never cover more than the total" is read and
written under one lock. The database holds each tender's own rules (CHECK constraints on Payment
and Refund); the sum over an order's tenders is checked by `o2o audit` (payments/audit.py).

Money goes back tender by tender in `REFUND_ORDER` (points, stored value, store credit, then the
gateway and the counter): see docs/money.md.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Sum
from django.db.models.functions import Round
from django.utils import timezone

from o2o.core import events
from o2o.core.enqueue import enqueue_on_commit
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.money import to_money
from o2o.loyalty import services as loyalty
from o2o.orders.models import Order
from o2o.payments import sql
from o2o.payments.models import REFUND_ORDER, Payment, PaymentMethod, Refund
from o2o.wallet import services as wallet

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class TenderRequest:
    """One tender asked for: `amount` None means "whatever is left to pay"; a points tender names
    its `points` (its amount is their value); a wallet tender at the counter carries the member's
    dynamic payment code."""

    method: str
    amount: Decimal | None = None
    points: int | None = None
    member_code: str | None = None


def spend_reference(payment: Payment) -> str:
    """The reference a tender's spend carries in the wallet or points ledger."""
    return f"payment:{payment.pk}"


def refund_reference(refund: Refund) -> str:
    return f"refund:{refund.pk}"


def tenders_of(order: Order) -> list[Payment]:
    """Every tender of the order, oldest first (one statement), each pointing at this order."""
    payments = sql.tenders_of_order(order.pk)
    for payment in payments:
        payment.order = order
    return payments


def covered(payments: list[Payment]) -> Decimal:
    """What the succeeded tenders cover."""
    return sum((p.amount for p in payments if p.state == Payment.State.SUCCEEDED), ZERO)


def pending_gateway(payments: list[Payment]) -> Payment | None:
    return next((p for p in payments if p.state == Payment.State.PENDING), None)


def fail_pending(payment: Payment) -> bool:
    """A waiting gateway tender that no longer fits the order is closed; money that still arrives
    for it is returned when its callback finds it does not fit (or kept when it does)."""
    closed = Payment.objects.filter(pk=payment.pk, state=Payment.State.PENDING).update(state=Payment.State.FAILED)
    payment.state = Payment.State.FAILED if closed else payment.state
    return bool(closed)


def check_fits(order: Order, payments: list[Payment], amount: Decimal) -> None:
    """Refuse a new tender that would take the succeeded tenders past the order's total."""
    if covered(payments) + amount > order.total:
        raise DomainError(
            ErrorCode.TENDERS_EXCEED_PAYABLE,
            "the tenders exceed what is left to pay",
            left_to_pay=str(order.total - covered(payments)),
        )


def take_immediate(
    *,
    order: Order,
    method: str,
    amount: Decimal,
    actor_id: int | None,
    points: int | None = None,
    payer_id: int | None = None,
    location_id: int | None = None,
    reference: str | None = None,
) -> Payment:
    """A tender that succeeds at once: the member's stored value or points (spent in their ledger
    under the payment's reference, so a retry never spends twice), store credit, or money handed
    over at the counter."""
    payment = Payment.objects.create(
        order=order,
        method=method,
        amount=amount,
        points=points,
        payer_id=payer_id,
        state=Payment.State.SUCCEEDED,
        location_id=location_id,
        received_by_id=actor_id if location_id else None,
        reference=reference,
        succeeded_at=timezone.now(),
    )
    if method == PaymentMethod.WALLET:
        wallet.spend(member_id=payer_id, amount=amount, reference=spend_reference(payment), actor_id=actor_id)
    elif method == PaymentMethod.POINTS:
        loyalty.spend_points(member_id=payer_id, points=points, reference=spend_reference(payment))
    return payment


def refund_tender(
    *, payment: Payment, amount: Decimal, reason: str, actor_id: int | None, points: int | None = None
) -> Refund:
    """Book `amount` of one tender going back, in the caller's transaction.

    Back to a gateway it is a job (requested, sent, succeeded or failed) that `refunds.send_refund`
    works after commit, with retries. Stored value and points go back into the member's ledger now
    (`wallet.refund_spend` / `loyalty.refund_points`, by the refund's own reference); store credit
    and counter money are settled at once (the installment plan listens to TENDER_REFUNDED)."""
    # ROUND: SQLite computes decimals as floats (29.97 - 19.98 is 9.989999999999998 there, below 9.99)
    if not Payment.objects.filter(pk=payment.pk, refunded_amount__lte=Round(F("amount") - amount, 2)).update(
        refunded_amount=Round(F("refunded_amount") + amount, 2)
    ):
        raise DomainError(ErrorCode.INVALID, "refund exceeds what was paid")
    payment.refunded_amount += amount
    now = timezone.now()
    if payment.gateway and payment.gateway_txn_id:
        refund = Refund.objects.create(
            payment=payment, amount=amount, reason=reason, created_by_id=actor_id, next_attempt_at=now
        )
        from o2o.payments.tasks import send_refund

        enqueue_on_commit(send_refund, refund_id=refund.pk)
    else:
        if payment.method == PaymentMethod.POINTS:
            points = points or _points_left(payment)
        refund = Refund.objects.create(
            payment=payment,
            amount=amount,
            points=points if payment.method == PaymentMethod.POINTS else None,
            reason=reason,
            created_by_id=actor_id,
            state=Refund.State.SUCCEEDED,
            finished_at=now,
        )
        _back_to_the_ledger(payment, refund, actor_id)
    events.publish(events.TENDER_REFUNDED, payment=payment, refund=refund)
    return refund


def _points_left(payment: Payment) -> int:
    given_back = Refund.objects.filter(payment=payment).aggregate(n=Sum("points"))["n"] or 0
    return payment.points - given_back


def _back_to_the_ledger(payment: Payment, refund: Refund, actor_id: int | None) -> None:
    if payment.method == PaymentMethod.WALLET:
        wallet.refund_spend(
            spend_reference=spend_reference(payment),
            amount=refund.amount,
            refund_reference=refund_reference(refund),
            actor_id=actor_id,
        )
    elif payment.method == PaymentMethod.POINTS:
        loyalty.refund_points(
            spend_reference=spend_reference(payment), points=refund.points, refund_reference=refund_reference(refund)
        )


def _points_for(payment: Payment, part: Decimal) -> int:
    """The points that go back for `part` of a points tender: all that are left when the rest of the
    tender goes back (so the sum is exact), else the points worth `part`."""
    if part == payment.amount - payment.refunded_amount:
        return _points_left(payment)
    return loyalty.points_for_value(part)


def refund_across_tenders(*, order: Order, amount: Decimal, reason: str, actor_id: int | None) -> list[Refund]:
    """Pay `amount` back across the order's succeeded tenders in REFUND_ORDER, each up to what is
    left of it; the parts add up to `amount` exactly (or nothing is booked: 422)."""
    amount = to_money(amount)
    rank = {method: i for i, method in enumerate(REFUND_ORDER)}
    tenders = sorted(
        (p for p in tenders_of(order) if p.state == Payment.State.SUCCEEDED), key=lambda p: (rank[p.method], p.pk)
    )
    if amount > sum((p.amount - p.refunded_amount for p in tenders), ZERO):
        raise DomainError(ErrorCode.INVALID, "refund exceeds what was paid")
    refunds, left = [], amount
    for payment in tenders:
        part = min(left, payment.amount - payment.refunded_amount)
        if part <= 0:
            continue
        points = _points_for(payment, part) if payment.method == PaymentMethod.POINTS else None
        refunds.append(refund_tender(payment=payment, amount=part, reason=reason, actor_id=actor_id, points=points))
        left -= part
        if left == 0:
            break
    return refunds


def return_tenders(*, order: Order, reason: str, actor_id: int | None = None) -> list[Refund]:
    """An order that will not be paid by these tenders (its gateway part failed, or it was cancelled
    or expired unpaid): every succeeded tender goes back in full and is `returned`."""
    refunds = []
    for payment in tenders_of(order):
        if payment.state != Payment.State.SUCCEEDED:
            continue
        Payment.objects.filter(pk=payment.pk).update(state=Payment.State.RETURNED)
        payment.state = Payment.State.RETURNED
        left = payment.amount - payment.refunded_amount
        if left > 0:
            refunds.append(refund_tender(payment=payment, amount=left, reason=reason, actor_id=actor_id))
    return refunds
