"""Reads of tickets (docs/service.md, "Tickets"), each scoped to who asks: customer service and HQ
every ticket, a store's staff the tickets escalated to their store, a member their own. Missing and
"not yours" answer the same 404.

Lists are querysets ordered for cursor pagination, with what a row shows joined in (member,
assignee, team, stores) and the SLA state annotated in SQL: a page costs the same few queries
whatever its length."""

from datetime import datetime

from django.db.models import Q, QuerySet, Subquery
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import MEMBER, PERMISSIONS, Operation, authorize, role_of
from o2o.core.codes import READABLE
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.ids import is_id
from o2o.members.models import Member
from o2o.members.phones import normalize_phone
from o2o.orders.models import Order
from o2o.service import sla
from o2o.service.models import AgentPresence, Ticket, TicketEvent, TicketMessage
from o2o.service.states import ACTIVE

BREACHED = "breached"
DUE_SOON = "due_soon"
SLA_FILTERS = (BREACHED, DUE_SOON)
MAX_QUERY = 100
NUMBER_LENGTH = 8  # a ticket number's (o2o.service.services); an order's is longer
MAX_PHONE = 24  # longer text is no phone number (and phonenumbers is not asked)

_ROW_RELATIONS = ("member", "assignee", "team", "location", "escalated_to")


def _rows() -> QuerySet[Ticket]:
    return Ticket.objects.select_related(*_ROW_RELATIONS)


def inbox(
    *,
    actor: Actor,
    state: str | None = None,
    mine: bool = False,
    unassigned: bool = False,
    team_id: int | None = None,
    sla_filter: str | None = None,
    kind: str | None = None,
    q: str | None = None,
    now: datetime | None = None,
) -> QuerySet[Ticket]:
    """Customer service's inbox: unfinished tickets (or those of `state`), the most urgent due
    time that runs first, each annotated with `sla_state` (o2o.service.sla)."""
    authorize(actor, Operation.WORK_TICKETS)
    now = now or timezone.now()
    tickets = _rows().filter(state=state) if state else _rows().filter(state__in=ACTIVE)
    if mine:
        tickets = tickets.filter(assignee_id=actor.employee.pk if actor.employee else None)
    if unassigned:
        tickets = tickets.filter(assignee__isnull=True)
    if team_id is not None:
        tickets = tickets.filter(team_id=team_id)
    if kind:
        tickets = tickets.filter(kind=kind)
    if q and (q := q.replace("\x00", "").strip()[:MAX_QUERY]):  # PostgreSQL takes no NUL in text
        tickets = tickets.filter(search_q(q))
    if sla_filter == BREACHED:
        tickets = tickets.filter(sla.breached_q(now))
    tickets = sla.with_sla_state(tickets, now)
    if sla_filter == DUE_SOON:
        tickets = tickets.filter(sla_state=sla.SlaStatus.DUE_SOON)
    return tickets.order_by("due_at", "id")


def search_q(q: str) -> Q:
    """What the inbox's search box finds, each by an indexed lookup: a ticket number or id, the
    customer's phone (the member's or the caller's, normalised), an order number; free text (not a
    phone, not a number) also the subject. The member and order are uncorrelated one-row
    subqueries (InitPlans), so PostgreSQL reads each arm from its index and ORs the bitmaps."""
    code = q.upper()
    found = Q(number=code) | Q(order_id=Subquery(Order.objects.filter(number=code).values("pk")[:1]))
    # a ticket or an order number (letters only may be a word: the subject is searched too)
    exact = len(code) >= NUMBER_LENGTH and all(c in READABLE for c in code) and any(c.isdigit() for c in code)
    if q.isascii() and is_id(q):
        found |= Q(pk=int(q))
        exact = True
    if len(q) <= MAX_PHONE and (phone := _phone(q)):
        member = Subquery(Member.objects.filter(phone=phone).values("pk")[:1])
        found |= Q(phone=phone) | Q(member_id=member)
        exact = True
    return found if exact else found | Q(subject__icontains=q)


def _phone(raw: str) -> str:
    try:
        return normalize_phone(raw)
    except DomainError:
        return ""


def escalations(*, actor: Actor, state: str | None = None) -> QuerySet[Ticket]:
    """A store's staff: the tickets escalated to the stores they see (resolved ones too, until
    they close), newest escalation first by due time."""
    authorize(actor, Operation.HANDLE_ESCALATIONS)
    tickets = _rows().filter(escalated_to__isnull=False)
    if actor.location_ids is not None:
        tickets = tickets.filter(escalated_to_id__in=actor.location_ids)
    tickets = tickets.filter(state=state) if state else tickets.exclude(state="closed")
    return sla.with_sla_state(tickets, timezone.now()).order_by("due_at", "id")


def my_tickets(*, actor: Actor) -> QuerySet[Ticket]:
    """A member's own tickets, newest first."""
    authorize(actor, Operation.CONTACT_SERVICE)
    return _rows().filter(member=actor.require_member()).order_by("-id")


def ticket_for(*, actor: Actor, ticket_id: int) -> Ticket:
    """One ticket if the actor may see it: a member their own, customer service and HQ any, a
    store's staff one escalated to a store they see; the same 404 otherwise."""
    role = role_of(actor)
    tickets = _rows().select_related("order", "sku")
    if role == MEMBER:
        authorize(actor, Operation.CONTACT_SERVICE)
        tickets = tickets.filter(member=actor.member)
    elif actor.system or role in PERMISSIONS[Operation.WORK_TICKETS]:
        pass
    elif role in PERMISSIONS[Operation.HANDLE_ESCALATIONS]:
        tickets = tickets.filter(escalated_to__isnull=False)
        if actor.location_ids is not None:
            tickets = tickets.filter(escalated_to_id__in=actor.location_ids)
    else:
        raise DomainError(ErrorCode.FORBIDDEN, "your role may not read tickets")
    ticket = sla.with_sla_state(tickets, timezone.now()).filter(pk=ticket_id).first()
    if ticket is None:
        raise not_found("ticket")
    return ticket


def messages_of(*, ticket: Ticket, staff: bool, after_id: int | None = None) -> QuerySet[TicketMessage]:
    """The conversation in order; internal notes only for staff; only those after `after_id` for
    a page that polls."""
    messages = TicketMessage.objects.filter(ticket=ticket).select_related("author", "article")
    if not staff:
        messages = messages.filter(internal=False)
    if after_id is not None:
        messages = messages.filter(pk__gt=after_id)
    return messages.order_by("id")


def events_of(*, ticket: Ticket) -> QuerySet[TicketEvent]:
    return TicketEvent.objects.filter(ticket=ticket).select_related("actor").order_by("id")


def presence_of(*, actor: Actor) -> AgentPresence | None:
    authorize(actor, Operation.WORK_TICKETS)
    if actor.employee is None:
        return None
    return AgentPresence.objects.filter(employee=actor.employee).first()


def ticket_row(ticket_id: int) -> Ticket:
    """A ticket with its SLA state, unscoped: for answering a write the service already allowed."""
    return sla.with_sla_state(_rows(), timezone.now()).get(pk=ticket_id)
