"""Reactions to other apps' events, inside the publisher's transaction (docs/aftercare.md)."""

from o2o.aftercare import services
from o2o.core import events


@events.subscribe(events.TICKET_CLOSED)
def schedule_visit_after_ticket(*, ticket, **_payload) -> None:
    services.schedule_ticket_visit(ticket=ticket)
