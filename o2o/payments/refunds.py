"""Refunds to a gateway, worked after commit with retries and backoff.

A refund row is the durable record of money that must leave the process: `requested` (due at
`next_attempt_at`), `sent` (a worker holds it: the claim pushes `next_attempt_at` out by the
backoff, so a worker that dies mid-call is retried after that lease), then `succeeded`, or
`failed` after O2O_REFUND_MAX_ATTEMPTS tries (with a PaymentAlert). The gateway call carries
the refund's own id, so a retry after a lost answer never pays twice.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from o2o.payments.gateways import get_gateway
from o2o.payments.models import PaymentAlert, Refund

logger = logging.getLogger("o2o.payments")

_OPEN = (Refund.State.REQUESTED, Refund.State.SENT)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th try: doubling, at most a day."""
    return timedelta(seconds=min(settings.O2O_REFUND_RETRY_SECONDS * 2 ** max(attempts - 1, 0), 86_400))


def send_refund(*, refund_id: int, now: datetime | None = None) -> str:
    """Try one due refund once; returns what came of it (or "not_due")."""
    now = now or timezone.now()
    attempts = Refund.objects.filter(pk=refund_id).values_list("attempts", flat=True).first()
    if attempts is None:
        return "not_due"
    claimed = Refund.objects.filter(pk=refund_id, state__in=_OPEN, next_attempt_at__lte=now).update(
        state=Refund.State.SENT, attempts=F("attempts") + 1, next_attempt_at=now + backoff(attempts + 1)
    )
    if not claimed:
        return "not_due"  # done already, or another worker holds it
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    payment = refund.payment
    try:
        get_gateway(payment.gateway).refund(
            refund_id=refund.gateway_refund_id, txn_id=payment.gateway_txn_id, amount=refund.amount
        )
    except Exception as exc:  # whatever the gateway or the network did: try again later
        return _attempt_failed(refund, exc)
    Refund.objects.filter(pk=refund.pk, state=Refund.State.SENT).update(
        state=Refund.State.SUCCEEDED, finished_at=timezone.now(), last_error=""
    )
    return "succeeded"


def _attempt_failed(refund: Refund, exc: Exception) -> str:
    error = f"{type(exc).__name__}: {exc}"[:255]
    if refund.attempts < settings.O2O_REFUND_MAX_ATTEMPTS:
        logger.warning("refund %s attempt %s failed: %s", refund.pk, refund.attempts, error)
        Refund.objects.filter(pk=refund.pk, state=Refund.State.SENT).update(
            state=Refund.State.REQUESTED, last_error=error
        )
        return "retry"
    Refund.objects.filter(pk=refund.pk, state=Refund.State.SENT).update(
        state=Refund.State.FAILED, last_error=error, finished_at=timezone.now()
    )
    PaymentAlert.objects.create(
        kind=PaymentAlert.Kind.REFUND_FAILED,
        payment_id=refund.payment_id,
        refund=refund,
        gateway=refund.payment.gateway,
        expected_amount=refund.amount,
        detail=f"refund {refund.pk} of {refund.amount} failed after {refund.attempts} attempts: {error}"[:255],
    )
    logger.error("refund %s failed for good after %s attempts: %s", refund.pk, refund.attempts, error)
    return "failed"


def send_due_refunds(*, now: datetime | None = None, batch: int = 200) -> int:
    """Work every refund that is due (the periodic sweep behind the after-commit task)."""
    now = now or timezone.now()
    due = Refund.objects.filter(state__in=_OPEN, next_attempt_at__lte=now).order_by("next_attempt_at", "pk")
    return sum(
        send_refund(refund_id=pk, now=now) == "succeeded" for pk in list(due.values_list("pk", flat=True)[:batch])
    )
