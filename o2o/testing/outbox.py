"""What the message backends sent during a test (the phone's inbox), since the outbox itself
never keeps a one-time code once the message is out."""

import re

from o2o.core.models import OutboxMessage

SENT: list[tuple[str, str]] = []  # (recipient, text)


class CapturingBackend:
    def send(self, message: OutboxMessage) -> None:
        SENT.append((message.recipient, message.text()))


def texts_to(recipient: str) -> list[str]:
    return [text for to, text in SENT if to == recipient]


def last_code_sent_to(recipient: str) -> str:
    """The six-digit code of the latest message to this phone (E.164): from the inbox once
    delivered, or from the outbox row while it waits for its transaction's commit (tests that
    roll back never commit)."""
    waiting = OutboxMessage.objects.filter(recipient=recipient).exclude(secret="").order_by("pk").last()
    text = waiting.text() if waiting is not None else texts_to(recipient)[-1]
    return re.search(r"\b(\d{6})\b", text).group(1)


def not_order_notifications():
    """Outbox rows other than the order notifications (paid, ready...) that every paid order now
    sends: what a test of another message counts."""
    from o2o.notifications.models import NotificationMessage

    return OutboxMessage.objects.exclude(pk__in=NotificationMessage.objects.values("message_id"))
