"""Messages to the customer about their ticket (through the outbox, delivered after commit).

A message says only that something happened on the ticket and where to read it: never the
reply's text, and never anything from an internal note."""

from django.utils.translation import gettext as _

from o2o.core.messaging import queue_message
from o2o.service.models import Ticket


def customer_phone(ticket: Ticket) -> str:
    """Where the customer hears from us: the member's phone, or the caller's; none once the
    member deleted their account."""
    if ticket.member_id is None:
        return ticket.phone
    member = ticket.member
    return "" if member.anonymised_at is not None else member.phone


def reply_posted(ticket: Ticket) -> None:
    """Customer service (or the store) answered on the ticket."""
    if not (phone := customer_phone(ticket)):
        return
    text = _("Customer service replied on ticket %(number)s. Open your tickets to read it and reply.")
    queue_message(channel="sms", recipient=phone, body=text % {"number": ticket.number})
