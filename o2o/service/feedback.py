"""Feedback attribution (docs/service.md, "Feedback"): customer service tags a praise, suggestion or
complaint ticket with the employee and/or team it concerns (an ATTRIBUTED event keeps each change),
and the counts per employee and per team over a period feed the owner's view (analytics).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Q

from o2o.access.actors import Actor
from o2o.access.permissions import Operation
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.service.complaints import lock_ticket_for
from o2o.service.models import Ticket, TicketEvent, TicketEventKind, TicketKind
from o2o.staff.models import Employee, Team

FEEDBACK_KINDS = (TicketKind.PRAISE, TicketKind.SUGGESTION, TicketKind.COMPLAINT)


@transaction.atomic(durable=True)
def attribute_feedback(*, actor: Actor, ticket_id: int, employee_id: int | None, team_id: int | None) -> Ticket:
    """Name the employee and/or team a praise, suggestion or complaint concerns. Naming only the
    employee credits their team too; both None clears the attribution. Only those kinds (409)."""
    ticket = lock_ticket_for(actor=actor, ticket_id=ticket_id, operation=Operation.ATTRIBUTE_FEEDBACK)
    if ticket.kind not in FEEDBACK_KINDS:
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION,
            f"a ticket of type {ticket.kind} is not feedback to attribute",
            kind=ticket.kind,
        )
    employee = None
    if employee_id is not None:
        employee = Employee.objects.filter(pk=employee_id).first()
        if employee is None:
            raise not_found("employee")
        if team_id is None:
            team_id = employee.team_id
    if team_id is not None and not Team.objects.filter(pk=team_id).exists():
        raise not_found("team")
    if employee is not None and team_id is not None and employee.team_id not in (None, team_id):
        raise DomainError(ErrorCode.INVALID, "the employee is not on that team")
    previous = {"employee_id": ticket.concerned_employee_id, "team_id": ticket.concerned_team_id}
    Ticket.objects.filter(pk=ticket.pk).update(concerned_employee_id=employee_id, concerned_team_id=team_id)
    ticket.concerned_employee_id, ticket.concerned_team_id = employee_id, team_id
    TicketEvent.objects.create(
        ticket=ticket,
        kind=TicketEventKind.ATTRIBUTED,
        actor=actor.employee,
        detail={"employee_id": employee_id, "team_id": team_id, "previous": previous},
    )
    return ticket


@dataclass(frozen=True)
class FeedbackCounts:
    praise: int = 0
    suggestions: int = 0
    complaints: int = 0


def _counts(group_by: str, since: datetime, until: datetime, ids) -> dict[int, FeedbackCounts]:
    tickets = Ticket.objects.filter(
        created_at__gte=since, created_at__lt=until, kind__in=FEEDBACK_KINDS, **{f"{group_by}__isnull": False}
    )
    if ids is not None:
        tickets = tickets.filter(**{f"{group_by}__in": list(ids)})
    rows = (
        tickets.values(group_by)
        .order_by(group_by)
        .annotate(
            praise=Count("pk", filter=Q(kind=TicketKind.PRAISE)),
            suggestions=Count("pk", filter=Q(kind=TicketKind.SUGGESTION)),
            complaints=Count("pk", filter=Q(kind=TicketKind.COMPLAINT)),
        )
    )
    return {row[group_by]: FeedbackCounts(row["praise"], row["suggestions"], row["complaints"]) for row in rows}


def feedback_by_employee(*, since: datetime, until: datetime, employee_ids=None) -> dict[int, FeedbackCounts]:
    """Praise, suggestions and complaints attributed to each employee, of tickets opened in
    [since, until) (one GROUP BY; `employee_ids` None: everyone)."""
    return _counts("concerned_employee", since, until, employee_ids)


def feedback_by_team(*, since: datetime, until: datetime, team_ids=None) -> dict[int, FeedbackCounts]:
    """The same per team."""
    return _counts("concerned_team", since, until, team_ids)
