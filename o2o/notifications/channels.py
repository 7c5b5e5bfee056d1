"""Channel backends for the outbox (core.messaging): which backend sends which channel is the
setting O2O_MESSAGE_BACKENDS ({"sms": "dotted.path", ...}; a channel not in it goes to
O2O_MESSAGE_BACKEND, the console in development). The simulated backends here record what they
would send and log it; they never open a connection. A real provider is one more class with the
same `send(message)`; a raised exception makes the outbox retry with backoff."""

import json
import logging

from django.conf import settings

from o2o.core.models import OutboxMessage

logger = logging.getLogger("o2o.notifications")

# What the simulated providers were asked to send: (channel, recipient, payload).
SENT: list[tuple[str, str, dict]] = []


def recipient_for(channel: str, member) -> str:
    """SMS goes to the phone; WeChat and app push to the member's id, which their providers map to
    an openid / a device token (as marketing broadcasts do)."""
    return member.phone if channel == "sms" else f"member:{member.pk}"


class SimulatedSmsBackend:
    """An SMS gateway: the chain's sender signature (O2O_SMS_SIGNATURE, e.g. 【O2O】) goes first."""

    def send(self, message: OutboxMessage) -> None:
        text = f"{settings.O2O_SMS_SIGNATURE}{message.text()}"
        SENT.append(("sms", message.recipient, {"text": text}))
        logger.info("[sms to %s] %s", message.recipient, message.body)


class SimulatedWeChatBackend:
    """A WeChat subscription message: the template id (the outbox row's subject) and its data fields
    (the body, JSON)."""

    def send(self, message: OutboxMessage) -> None:
        payload = {"touser": message.recipient, "template_id": message.subject, "data": json.loads(message.text())}
        SENT.append(("wechat", message.recipient, payload))
        logger.info("[wechat to %s] template %s", message.recipient, message.subject)


class SimulatedPushBackend:
    """An app push: a title (the subject) and the text."""

    def send(self, message: OutboxMessage) -> None:
        SENT.append(("push", message.recipient, {"title": message.subject, "body": message.text()}))
        logger.info("[push to %s] %s", message.recipient, message.subject)
