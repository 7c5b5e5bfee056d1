"""Outbound messages: an outbox row per message, delivered after commit through a backend.

Delivery is at least once and never twice at the same time: a sender claims a due message by
one conditional UPDATE that counts the attempt and pushes `next_attempt_at` out by a lease. A
failed try is retried with exponential backoff; after O2O_OUTBOX_MAX_ATTEMPTS tries the message
is marked failed. The periodic sweep (`deliver_due_messages`) sends whatever is due, so a crash
between the commit and the delivery loses nothing. The secret is wiped once sent or failed."""

import logging
from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from o2o.core.enqueue import enqueue_on_commit
from o2o.core.models import OutboxMessage
from o2o.core.sql import insert_model

logger = logging.getLogger("o2o.messaging")

# How long a sender holds a claimed message; if it dies meanwhile, the sweep retries after this.
LEASE = timedelta(seconds=60)
MAX_RETRY_DELAY = timedelta(hours=6)
SWEEP_BATCH = 100


class MessageBackend(Protocol):
    def send(self, message: OutboxMessage) -> None: ...


class ConsoleBackend:
    """Development backend: the message goes to the log (and the console), where it plays the
    customer's phone. Outside development mode the log never shows a one-time code."""

    def send(self, message: OutboxMessage) -> None:
        text = message.text() if settings.DEVELOPMENT else message.body.replace("{secret}", "******")
        logger.info("[%s to %s] %s", message.channel, message.recipient, text)


def queue_message(*, channel: str, recipient: str, body: str, subject: str = "", secret: str = "") -> OutboxMessage:
    """Queue a message; a one-time code goes in `secret` and stands as {secret} in the body."""
    from o2o.core.tasks import deliver_message

    message = insert_model(
        OutboxMessage(
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body,
            secret=secret,
            next_attempt_at=timezone.now(),
        )
    )
    enqueue_on_commit(deliver_message, message_id=message.pk)
    return message


def backend_path(channel: str) -> str:
    """The backend of a channel: O2O_MESSAGE_BACKENDS names one per channel (sms, wechat, push...);
    any other channel goes to O2O_MESSAGE_BACKEND."""
    return settings.O2O_MESSAGE_BACKENDS.get(channel, settings.O2O_MESSAGE_BACKEND)


def retry_delay(attempts: int) -> timedelta:
    """Wait before the next try after `attempts` failed ones: base, 2 x base, 4 x base, ..."""
    delay = timedelta(seconds=settings.O2O_OUTBOX_RETRY_SECONDS * 2 ** max(attempts - 1, 0))
    return min(delay, MAX_RETRY_DELAY)


def deliver(*, message_id: int, now: datetime | None = None) -> None:
    """Try to send one message if it is pending and due; record the outcome."""
    now = now or timezone.now()
    claimed = OutboxMessage.objects.filter(
        pk=message_id, state=OutboxMessage.State.PENDING, next_attempt_at__lte=now
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    if not claimed:
        return  # sent, failed, not due yet, or another sender holds it
    message = OutboxMessage.objects.get(pk=message_id)
    # Our claim: later writes apply only while the row is still the one we claimed.
    ours = OutboxMessage.objects.filter(pk=message_id, state=OutboxMessage.State.PENDING, attempts=message.attempts)
    backend: MessageBackend = import_string(backend_path(message.channel))()
    try:
        backend.send(message)
    except Exception as exc:
        _record_failure(message, ours, exc)
        return
    ours.update(state=OutboxMessage.State.SENT, sent_at=timezone.now(), secret="", last_error="")


def _record_failure(message: OutboxMessage, ours, exc: Exception) -> None:
    error = f"{type(exc).__name__}: {exc}"
    if message.secret:
        error = error.replace(message.secret, "******")  # a backend's error may echo the text
    error = error[:2000]
    if message.attempts >= settings.O2O_OUTBOX_MAX_ATTEMPTS:
        logger.error("message %s failed for good after %s attempts: %s", message.pk, message.attempts, error)
        ours.update(state=OutboxMessage.State.FAILED, failed_at=timezone.now(), secret="", last_error=error)
        return
    delay = retry_delay(message.attempts)
    logger.warning("message %s attempt %s failed, retry in %s: %s", message.pk, message.attempts, delay, error)
    ours.update(next_attempt_at=timezone.now() + delay, last_error=error)


def deliver_due(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> int:
    """The sweep: try every pending message that is due (oldest first); returns how many were tried."""
    now = now or timezone.now()
    due = OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING, next_attempt_at__lte=now)
    ids = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:batch])
    for message_id in ids:
        deliver(message_id=message_id, now=now)
    return len(ids)
