"""Messages about a ticket (through the outbox, delivered after commit): to the customer, and to
a store's staff when a ticket is escalated to their store.

A message to the customer says only that something happened on the ticket and where to read it: never the
reply's text, and never anything from an internal note."""

from django.db.models import Q
from django.utils.translation import gettext as _

from o2o.core.messaging import queue_message
from o2o.service.models import Ticket
from o2o.staff.models import Employee, Role, Team


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


def escalated_to_store(ticket: Ticket, *, store_id: int, reason: str) -> int:
    """Customer service handed the ticket to a store: its active managers and the lead of its
    store team hear of it by e-mail (once per escalation: called inside the escalating
    transaction, after the conditional UPDATE that only one request wins). Returns how many
    messages were queued."""
    store_team_leads = Team.objects.filter(kind=Team.Kind.STORE, location_id=store_id, lead__isnull=False)
    recipients = (
        Employee.objects.filter(is_active=True)
        .filter(Q(role=Role.STORE_MANAGER, home_location_id=store_id) | Q(pk__in=store_team_leads.values("lead_id")))
        .exclude(user__email="")
        .order_by("pk")
        .values_list("user__email", flat=True)
    )
    text = _("Ticket %(number)s was escalated to your store: %(reason)s") % {"number": ticket.number, "reason": reason}
    subject = _("Ticket %(number)s escalated to your store") % {"number": ticket.number}
    emails = list(dict.fromkeys(recipients))  # one message a person, even a manager who leads the team
    for email in emails:
        queue_message(channel="email", recipient=email, subject=subject, body=text)
    return len(emails)
