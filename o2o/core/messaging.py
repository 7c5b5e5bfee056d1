"""Outbound messages: an outbox row per message, delivered after commit through a backend."""

import logging
from functools import partial
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from o2o.core.models import OutboxMessage

logger = logging.getLogger("o2o.messaging")


class MessageBackend(Protocol):
    def send(self, message: OutboxMessage) -> None: ...


class ConsoleBackend:
    """Development backend: the message goes to the log (and the console)."""

    def send(self, message: OutboxMessage) -> None:
        logger.info("[%s to %s] %s", message.channel, message.recipient, message.text())


def queue_message(*, channel: str, recipient: str, body: str, subject: str = "", secret: str = "") -> OutboxMessage:
    """Queue a message; a one-time code goes in `secret` and stands as {secret} in the body."""
    from o2o.core.tasks import deliver_message

    message = OutboxMessage.objects.create(
        channel=channel, recipient=recipient, subject=subject, body=body, secret=secret
    )
    transaction.on_commit(partial(deliver_message.enqueue, message_id=message.pk))
    return message


def deliver(*, message_id: int) -> None:
    sent = OutboxMessage.objects.filter(pk=message_id, state=OutboxMessage.State.PENDING)
    message = sent.first()
    if message is None:
        return
    backend: MessageBackend = import_string(settings.O2O_MESSAGE_BACKEND)()
    try:
        backend.send(message)
    except Exception:
        logger.exception("delivering message %s failed", message_id)
        OutboxMessage.objects.filter(pk=message_id).update(attempts=message.attempts + 1)
        return
    sent.update(state=OutboxMessage.State.SENT, sent_at=timezone.now(), attempts=message.attempts + 1, secret="")
