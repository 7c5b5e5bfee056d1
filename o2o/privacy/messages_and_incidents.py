"""The member's notifications and the incidents of their orders in the export, and the erasure of
what was sent to them (registered in `sections.py`). Kept apart from `sections.py`, which is long.

Export: each notification's kind, channels, language, text and time (only the member's own rows:
the query is by member); each incident of the member's orders with what was done about it, without
who on the staff did it. Erasure: a deleted member's notification texts and the outbox messages
behind them (body, recipient, code) are blanked; the rows stay, as the books of what was sent.
"""

from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from o2o.core.models import OutboxMessage
from o2o.incidents.models import ActionKind, Incident, IncidentAction
from o2o.members.models import Member
from o2o.notifications import selectors as notification_selectors
from o2o.notifications.models import Notification, NotificationMessage

# What an erased text reads (the same mark as an erased delivery address).
ERASED = "[deleted]"


def notifications(member: Member) -> list[dict[str, Any]]:
    rows = notification_selectors.notifications_of(member_id=member.pk).order_by("created_at", "pk")
    return [
        {
            "kind": n.kind,
            "order": n.order.number if n.order is not None else None,
            "language": n.language,
            "channels": sorted(m.channel for m in n.messages.all()),
            "text": n.text,  # the pickup code in it is masked
            "sent_at": n.created_at,
        }
        for n in rows
    ]


def incidents(member: Member) -> list[dict[str, Any]]:
    found = (
        Incident.objects.filter(order__member=member)
        .select_related("order", "location", "line__sku")
        .prefetch_related(Prefetch("actions", queryset=IncidentAction.objects.order_by("at", "pk")))
        .order_by("opened_at", "pk")
    )
    return [
        {
            "order": i.order.number,
            "kind": i.kind,
            "step": i.step,
            "store": i.location.name,
            "product": i.line.sku.name if i.line is not None else None,
            "units": i.quantity,
            "state": i.state,
            "refunded_units": i.refunded_quantity,
            "refunded_amount": i.refunded_amount,
            "detail": i.detail,
            "opened_at": i.opened_at,
            "remedied_at": i.remedied_at,
            "closed_at": i.closed_at,
            "outcome": i.outcome,
            "actions": [
                {"kind": a.kind, "at": a.at, "units": a.quantity, "amount": a.amount, "note": a.note}
                for a in i.actions.all()
            ],
        }
        for i in found
    ]


def erase_notifications(member: Member, *, placeholder: str) -> None:
    """Blank what was sent to the member: the texts in their list, the copies the incidents keep,
    and the outbox messages behind them (one still pending is given up: it would go to nobody)."""
    Notification.objects.filter(member=member).update(text=ERASED)
    IncidentAction.objects.filter(incident__order__member=member, kind=ActionKind.CUSTOMER_TOLD).update(note="")
    sent = OutboxMessage.objects.filter(
        pk__in=NotificationMessage.objects.filter(notification__member=member).values("message_id")
    )
    sent.update(body=ERASED, recipient=placeholder, secret="")
    sent.filter(state=OutboxMessage.State.PENDING).update(
        state=OutboxMessage.State.FAILED, failed_at=timezone.now(), last_error="account deleted"
    )
