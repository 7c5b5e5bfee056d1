"""Who works a ticket (docs/service.md, "Assignment"): agents' availability, automatic assignment
to an available agent, claiming, manual (re)assignment by HQ or the online team's lead.

Automatic assignment (O2O_SERVICE_ASSIGNMENT): among available agents under their
max_open_tickets (open + waiting tickets they hold), `least_load` takes the fewest open tickets,
ties by the longest since their last assignment; `round_robin` the longest since their last
assignment. Nobody available: the ticket stays NEW in the team queue and the periodic job
(`assign_waiting_tickets`, every 30 s) hands it out when someone becomes available.

Lock order: the ticket row first, then the presence rows, in primary-key order. The capacity is
counted only after the presence rows are locked, so two tickets assigned at once wait for each
other and never both take an agent's last free place.
"""

from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import PERMISSIONS, Operation, authorize, role_of
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.service.models import AgentPresence, Ticket, TicketEventKind, TicketState
from o2o.service.moves import conflict, move
from o2o.service.states import AGENT_LOAD
from o2o.staff.models import Employee, Role, Team

LEAST_LOAD = "least_load"
ROUND_ROBIN = "round_robin"
STRATEGIES = (LEAST_LOAD, ROUND_ROBIN)
MAX_CAPACITY = 200
_NEVER = datetime.min.replace(tzinfo=UTC)


def _agent_roles() -> frozenset[str]:
    return PERMISSIONS[Operation.WORK_TICKETS]


def open_load(employee_ids: list[int]) -> dict[int, int]:
    """Open and waiting tickets each agent holds (one GROUP BY)."""
    rows = (
        Ticket.objects.filter(assignee_id__in=employee_ids, state__in=AGENT_LOAD)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )
    return dict(rows)


def _choose(presences: list[AgentPresence]) -> AgentPresence | None:
    load = open_load([p.employee_id for p in presences])
    free = [p for p in presences if load.get(p.employee_id, 0) < p.max_open_tickets]
    if not free:
        return None
    if settings.O2O_SERVICE_ASSIGNMENT == ROUND_ROBIN:
        return min(free, key=lambda p: (p.last_assigned_at or _NEVER, p.pk))
    return min(free, key=lambda p: (load.get(p.employee_id, 0), p.last_assigned_at or _NEVER, p.pk))


def assign_new(ticket: Ticket) -> Employee | None:
    """Hand a NEW (locked or just created) ticket to an available agent, if there is one."""
    if ticket.state != TicketState.NEW:
        return None
    presences = list(
        AgentPresence.objects.select_for_update(of=("self",))
        .filter(available=True, employee__is_active=True, employee__role__in=_agent_roles())
        .order_by("pk")
    )
    chosen = _choose(presences)
    if chosen is None:
        return None
    _give(ticket, chosen.employee_id, presence_id=chosen.pk, detail={"how": settings.O2O_SERVICE_ASSIGNMENT})
    return chosen.employee


def _give(ticket: Ticket, employee_id: int, *, presence_id: int | None, detail: dict, by: Employee | None = None):
    now = timezone.now()
    previous = ticket.assignee_id
    move(ticket, TicketState.OPEN, event=TicketEventKind.ASSIGNED, by=by,
         detail={"employee_id": employee_id, "previous": previous, **detail}, assignee_id=employee_id)  # fmt: skip
    if presence_id is not None:
        AgentPresence.objects.filter(pk=presence_id).update(last_assigned_at=now)


def take(ticket: Ticket, *, employee: Employee, by: Employee | None) -> None:
    """Give a locked ticket to this employee (claimed, or assigned by hand: no capacity check)."""
    presence_id = (
        AgentPresence.objects.select_for_update().filter(employee=employee).values_list("pk", flat=True).first()
    )
    how = "claimed" if by is not None and by.pk == employee.pk else "by_hand"
    _give(ticket, employee.pk, presence_id=presence_id, detail={"how": how}, by=by)


def _locked(ticket_id: int) -> Ticket:
    ticket = Ticket.objects.select_for_update(of=("self",)).filter(pk=ticket_id).first()
    if ticket is None:
        raise not_found("ticket")
    return ticket


def _employee(actor: Actor) -> Employee:
    if actor.employee is None:
        raise DomainError(ErrorCode.FORBIDDEN, "only an employee works tickets")
    return actor.employee


@transaction.atomic(durable=True)
def claim(*, actor: Actor, ticket_id: int) -> Ticket:
    """An agent takes a new ticket from the queue; two agents racing for it: one gets it, the
    other a 409."""
    authorize(actor, Operation.WORK_TICKETS)
    employee = _employee(actor)
    ticket = _locked(ticket_id)
    if ticket.state != TicketState.NEW:
        raise conflict("someone has this ticket already" if ticket.assignee_id else "this ticket is not new", ticket)
    take(ticket, employee=employee, by=employee)
    return ticket


def _may_assign(actor: Actor, ticket: Ticket) -> None:
    """HQ assigns any ticket; a CS agent only as the lead of the ticket's online team."""
    authorize(actor, Operation.ASSIGN_TICKETS)
    if actor.system or role_of(actor) != Role.CS_AGENT:
        return
    leads = Team.objects.filter(kind=Team.Kind.ONLINE, lead=actor.employee)
    if not (leads.filter(pk=ticket.team_id).exists() if ticket.team_id else leads.exists()):
        raise DomainError(ErrorCode.FORBIDDEN, "only HQ or the lead of the ticket's team assigns it")


@transaction.atomic(durable=True)
def assign(*, actor: Actor, ticket_id: int, employee_id: int) -> Ticket:
    """Assign a new or open ticket to an agent by hand (may exceed their max_open_tickets: a
    lead's decision)."""
    ticket = _locked(ticket_id)
    _may_assign(actor, ticket)
    employee = Employee.objects.filter(pk=employee_id).first()
    if employee is None:
        raise not_found("employee")
    if not employee.is_active or employee.role not in _agent_roles():
        raise DomainError(ErrorCode.INVALID, "assign to an active customer-service agent", field="employee_id")
    if ticket.state not in (TicketState.NEW, TicketState.OPEN):
        raise conflict(f"a ticket that is {ticket.state} is not assigned", ticket)
    if ticket.assignee_id == employee.pk:
        raise conflict("the ticket is this agent's already", ticket)
    take(ticket, employee=employee, by=actor.employee)
    return ticket


@transaction.atomic(durable=True)
def set_availability(*, actor: Actor, available: bool, max_open_tickets: int | None = None) -> AgentPresence:
    """An agent marks themself available (or away) for automatic assignment, and how many open
    tickets they take at most."""
    authorize(actor, Operation.WORK_TICKETS)
    employee = _employee(actor)
    if max_open_tickets is not None and (
        isinstance(max_open_tickets, bool) or not 1 <= max_open_tickets <= MAX_CAPACITY
    ):
        raise DomainError(ErrorCode.INVALID, f"max_open_tickets is 1 to {MAX_CAPACITY}", field="max_open_tickets")
    presence, _ = AgentPresence.objects.get_or_create(employee=employee)
    changes = {"available": bool(available), "changed_at": timezone.now()}
    if max_open_tickets is not None:
        changes["max_open_tickets"] = max_open_tickets
    AgentPresence.objects.filter(pk=presence.pk).update(**changes)
    presence.refresh_from_db()
    return presence


def assign_waiting_tickets(*, batch: int = 200) -> int:
    """The periodic job: new tickets, most urgent first, to agents who became available; each in
    its own transaction; stops when nobody has room."""
    ids = list(
        Ticket.objects.filter(state=TicketState.NEW).order_by("due_at", "pk").values_list("pk", flat=True)[:batch]
    )
    assigned = 0
    for ticket_id in ids:
        with transaction.atomic(durable=True):
            ticket = Ticket.objects.select_for_update(of=("self",)).filter(pk=ticket_id).first()
            if ticket is None or ticket.state != TicketState.NEW:
                continue
            if assign_new(ticket) is None:
                break
            assigned += 1
    return assigned
