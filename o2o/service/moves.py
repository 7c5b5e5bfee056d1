"""Moving a ticket through its state machine (o2o.service.states) and writing its history."""

from o2o.core.errors import DomainError, ErrorCode
from o2o.service.models import Ticket, TicketEvent
from o2o.service.states import can_transition
from o2o.staff.models import Employee


def conflict(message: str, ticket: Ticket, **extra) -> DomainError:
    return DomainError(ErrorCode.CONFLICT, message, state=ticket.state, **extra)


def record(ticket: Ticket, kind: str, by: Employee | None, detail: dict | None = None) -> TicketEvent:
    return TicketEvent.objects.create(ticket=ticket, kind=kind, actor=by, detail=detail or {})


def move(
    ticket: Ticket,
    to_state: str,
    *,
    event: str,
    by: Employee | None,
    detail: dict | None = None,
    **changes,
) -> Ticket:
    """Move the ticket from the state we saw to `to_state` with one conditional UPDATE and record
    the event; 409 when the move is not allowed or another request moved it first."""
    from_state = ticket.state
    if not can_transition(from_state, to_state):
        raise conflict(f"a ticket that is {from_state} cannot become {to_state}", ticket, to_state=to_state)
    if not Ticket.objects.filter(pk=ticket.pk, state=from_state).update(state=to_state, **changes):
        raise conflict("the ticket changed meanwhile; reload it", ticket)
    ticket.state = to_state
    for field, value in changes.items():
        setattr(ticket, field, value)
    record(ticket, event, by, {"from": from_state, "to": to_state, **(detail or {})})
    return ticket
