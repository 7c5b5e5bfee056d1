"""Audit checks on money: every order's tenders (payments) and their refunds against its total
and refunded total, every refund booked against its payment, and money that is stuck (payments pending past
their time, refunds that failed or never went out). Findings, not exceptions: the `o2o audit`
command prints them and fails when there are any."""

from datetime import datetime, timedelta

from django.db.models import Count, DecimalField, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from o2o.core.findings import Finding
from o2o.orders.models import PAID_STATES, Order, OrderState
from o2o.payments.models import Payment, Refund

LIMIT = 1000  # findings per check: enough to act on, bounded on a broken database
# A pending payment may outlive its order's deadline by this much (a late callback still counts).
PENDING_GRACE = timedelta(hours=1)
# A refund to a gateway that has not gone through after this long needs a person.
REFUND_STUCK_AFTER = timedelta(days=1)

_ZERO = Value(0, output_field=DecimalField(max_digits=12, decimal_places=2))


def _findings(check: str, rows, describe) -> list[Finding]:
    return [Finding(check, *describe(*row)) for row in rows[:LIMIT]]


def _per_order(field: str) -> Coalesce:
    """The sum of `field` over an order's succeeded tenders (0 when it has none)."""
    tenders = (
        Payment.objects.filter(order=OuterRef("pk"), state=Payment.State.SUCCEEDED)
        .values("order")
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(Subquery(tenders), _ZERO)


def orders_against_payments() -> list[Finding]:
    """A paid order's succeeded tenders add up to its total exactly (an order of 0.00 has none), and
    their refunds to its refunded total; an unpaid order waiting for payment has tenders within its total; any other
    unpaid order (cancelled, expired) has no succeeded tender (they were returned) and no refunds."""
    succeeded = Payment.objects.filter(order=OuterRef("pk"), state=Payment.State.SUCCEEDED)
    sums = Order.objects.annotate(tendered=_per_order("amount"), tenders_refunded=_per_order("refunded_amount"))
    paid = sums.filter(state__in=PAID_STATES)
    findings = _findings(
        "paid_order_without_payment",
        # (an order of 0.00 is paid at once without a tender)
        Order.objects.filter(state__in=PAID_STATES, total__gt=0)
        .filter(~Exists(succeeded))
        .values_list("number", "state", "total"),
        lambda number, state, total: (f"order {number}", f"{state}, total {total}, but no succeeded payment"),
    )
    findings += _findings(
        "tenders_against_total",
        paid.filter(Exists(succeeded)).exclude(tendered=F("total")).values_list("number", "total", "tendered"),
        lambda number, total, tendered: (f"order {number}", f"total {total}, its tenders add up to {tendered}"),
    )
    findings += _findings(
        "tenders_exceed_total",
        sums.filter(state=OrderState.PENDING_PAYMENT, tendered__gt=F("total")).values_list(
            "number", "total", "tendered"
        ),
        lambda number, total, tendered: (f"order {number}", f"waits for {total}, but its tenders took {tendered}"),
    )
    findings += _findings(
        "payment_against_order",
        paid.exclude(tenders_refunded=F("refunded_total")).values_list("number", "refunded_total", "tenders_refunded"),
        lambda number, refunded, tenders_refunded: (
            f"order {number}",
            f"refunded {refunded}, its tenders refunded {tenders_refunded}",
        ),
    )
    findings += _findings(
        "payment_of_unpaid_order",
        Payment.objects.filter(state=Payment.State.SUCCEEDED)
        .exclude(order__state__in=[*PAID_STATES, OrderState.PENDING_PAYMENT])
        .values_list("pk", "order__number", "order__state"),
        lambda pk, number, state: (f"payment {pk}", f"succeeded for order {number}, which is {state}"),
    )
    findings += _findings(
        "refund_of_unpaid_order",
        Order.objects.exclude(state__in=PAID_STATES).exclude(refunded_total=0).values_list("number", "refunded_total"),
        lambda number, refunded: (f"order {number}", f"never paid, but {refunded} refunded"),
    )
    return findings


def payments_against_refunds() -> list[Finding]:
    """What a payment says it refunded is the sum of its refund rows; a returned payment went back in full."""
    booked = Payment.objects.annotate(refunds_total=Coalesce(Sum("refunds__amount"), _ZERO), n=Count("refunds"))
    findings = _findings(
        "refunds_against_payment",
        booked.exclude(refunded_amount=F("refunds_total")).values_list("pk", "refunded_amount", "refunds_total"),
        lambda pk, refunded, rows: (f"payment {pk}", f"refunded {refunded}, refund rows add up to {rows}"),
    )
    findings += _findings(
        "returned_payment_not_refunded",
        Payment.objects.filter(state=Payment.State.RETURNED)
        .exclude(refunded_amount=F("amount"))
        .values_list("pk", "amount", "refunded_amount"),
        lambda pk, amount, refunded: (f"payment {pk}", f"returned, took {amount}, refunded {refunded}"),
    )
    return findings


def stuck_money(*, now: datetime | None = None) -> list[Finding]:
    now = now or timezone.now()
    findings = _findings(
        "pending_payment_past_its_time",
        Payment.objects.filter(state=Payment.State.PENDING)
        .filter(~Q(order__state=OrderState.PENDING_PAYMENT) | Q(order__payment_deadline__lt=now - PENDING_GRACE))
        .values_list("pk", "order__number", "order__state"),
        lambda pk, number, state: (f"payment {pk}", f"still pending; order {number} is {state}"),
    )
    findings += _findings(
        "refund_failed",
        Refund.objects.filter(state=Refund.State.FAILED).values_list("pk", "amount", "last_error"),
        lambda pk, amount, error: (f"refund {pk}", f"{amount} not paid back: {error}"),
    )
    findings += _findings(
        "refund_stuck",
        Refund.objects.filter(
            state__in=[Refund.State.REQUESTED, Refund.State.SENT], created_at__lt=now - REFUND_STUCK_AFTER
        ).values_list("pk", "amount", "attempts"),
        lambda pk, amount, attempts: (f"refund {pk}", f"{amount} not through after {attempts} attempts"),
    )
    return findings


def run(*, now: datetime | None = None) -> list[Finding]:
    return [*orders_against_payments(), *payments_against_refunds(), *stuck_money(now=now)]
