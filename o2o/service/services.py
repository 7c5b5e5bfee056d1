"""Tickets (docs/service.md, "Tickets"): opening them from every channel, the conversation, the
state machine, escalation to a store, resolution and closing. Assignment lives in
`o2o.service.assignment`.

Every use case is one durable transaction that locks the ticket row first (`SELECT ... FOR
UPDATE`), then anything else (an agent's presence row when assigning). A state change is one
conditional UPDATE (`WHERE state = <the state we saw>`) and writes a TicketEvent; an illegal one
is a 409 (ErrorCode.CONFLICT).

Who: a member on their own tickets (CONTACT_SERVICE), customer service and HQ on any ticket
(WORK_TICKETS), a store's staff on tickets escalated to their store (HANDLE_ESCALATIONS), staff
opening a ticket for a caller (OPEN_TICKET, at a store they see).
"""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.catalog.models import SKU
from o2o.core import events
from o2o.core.codes import random_readable
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.idempotency import fingerprint, run_once
from o2o.knowledge.models import Article
from o2o.members.models import Member
from o2o.members.phones import normalize_phone
from o2o.orders.selectors import get_order_for
from o2o.service import assignment, notifications, sla
from o2o.service.models import (
    AuthorKind,
    CloseReason,
    Ticket,
    TicketChannel,
    TicketEvent,
    TicketEventKind,
    TicketKind,
    TicketMessage,
    TicketPriority,
    TicketState,
)
from o2o.service.moves import conflict, move, record
from o2o.service.states import CUSTOMER_MAY_WRITE, STAFF_MAY_WRITE, can_transition
from o2o.staff.models import Employee, Team
from o2o.stores.models import Location

MAX_SUBJECT = 200
MAX_BODY = 5000
MAX_REASON = 500
NUMBER_LENGTH = 8
# Kinds an agent may close at once, with nothing to do (praise passed on, a suggestion noted).
CLOSABLE_AT_ONCE = frozenset({TicketKind.PRAISE, TicketKind.SUGGESTION})
STAFF_CHANNELS = frozenset(TicketChannel.values) - {TicketChannel.CHAT}


@dataclass(frozen=True)
class TicketRequest:
    """What a new ticket is about. A member opens a chat about their order or a product; staff
    open one for a caller, who is a member (member_id) or a phone number."""

    kind: str
    subject: str
    body: str
    channel: str = TicketChannel.CHAT
    priority: str = TicketPriority.NORMAL
    order_id: int | None = None
    sku_id: int | None = None
    member_id: int | None = None
    phone: str = ""
    location_id: int | None = None


# --- checks ----------------------------------------------------------------------------------------


def _text(value: str, *, what: str, most: int) -> str:
    value = value.strip() if isinstance(value, str) else ""
    if not 1 <= len(value) <= most:
        raise DomainError(ErrorCode.INVALID, f"{what} needs 1 to {most} characters", field=what)
    return value


def _choice(value: str, choices: list[str], *, what: str) -> str:
    if value not in choices:
        raise DomainError(ErrorCode.INVALID, f"unknown {what}: {value!r}", field=what, allowed=choices)
    return value


def _employee(actor: Actor) -> Employee:
    if actor.employee is None:
        raise DomainError(ErrorCode.FORBIDDEN, "only an employee works tickets")
    return actor.employee


# --- the scoped, locked ticket ------------------------------------------------------------------------


def _locked(ticket_id: int, **scope) -> Ticket:
    ticket = Ticket.objects.select_for_update(of=("self",)).filter(pk=ticket_id, **scope).first()
    if ticket is None:
        raise not_found("ticket")
    return ticket


def _members_ticket(actor: Actor, ticket_id: int) -> Ticket:
    authorize(actor, Operation.CONTACT_SERVICE)
    return _locked(ticket_id, member_id=actor.require_member().pk)


def _agents_ticket(actor: Actor, ticket_id: int, operation: Operation = Operation.WORK_TICKETS) -> Ticket:
    authorize(actor, operation)
    return _locked(ticket_id)


def _stores_ticket(actor: Actor, ticket_id: int) -> Ticket:
    """A ticket escalated to a store the actor sees; any other answers 404 like a missing one."""
    authorize(actor, Operation.HANDLE_ESCALATIONS)
    ticket = _locked(ticket_id, escalated_to__isnull=False)
    if not actor.can_see_location(ticket.escalated_to_id):
        raise not_found("ticket")
    authorize(actor, Operation.HANDLE_ESCALATIONS, location_id=ticket.escalated_to_id)
    return ticket


# --- opening --------------------------------------------------------------------------------------


def open_ticket(*, actor: Actor, request: TicketRequest, idempotency_key: str | None = None) -> Ticket:
    """Open a ticket: a member's chat (about their order or a product), or staff for a caller.
    Due times from the SLA policy; handed to an available agent at once when there is one. A retry
    with the same Idempotency-Key returns the first ticket."""
    result = run_once(
        scope=actor.idempotency_scope,
        operation="service.open_ticket",
        key=idempotency_key,
        fingerprint=fingerprint(**asdict(request)),
        perform=lambda: {"ticket_id": _open(actor, request).pk},
    )
    return Ticket.objects.get(pk=result["ticket_id"])


def _open(actor: Actor, request: TicketRequest) -> Ticket:
    by_member = request.channel == TicketChannel.CHAT  # a member online; staff use the other channels
    authorize(actor, Operation.CONTACT_SERVICE if by_member else Operation.OPEN_TICKET)
    kind = _choice(request.kind, TicketKind.values, what="kind")
    priority = _choice(request.priority, TicketPriority.values, what="priority")
    subject = _text(request.subject, what="subject", most=MAX_SUBJECT)
    body = _text(request.body, what="message", most=MAX_BODY)
    if by_member:
        ticket = _new_members_ticket(actor, request, kind=kind, subject=subject)
        customer_message(ticket, body)
    else:
        ticket = _new_callers_ticket(actor, request, kind=kind, priority=priority, subject=subject)
        # what the caller said, as the employee typed it: for staff only (no acknowledgement)
        TicketMessage.objects.create(
            ticket=ticket, author_kind=AuthorKind.AGENT, author=actor.employee, body=body, internal=True
        )
    assignment.assign_new(ticket)
    return ticket


def _new_members_ticket(actor: Actor, request: TicketRequest, *, kind: str, subject: str) -> Ticket:
    authorize(actor, Operation.CONTACT_SERVICE)
    member = actor.require_member()
    if request.channel != TicketChannel.CHAT:
        raise DomainError(ErrorCode.INVALID, "a member writes through online chat", field="channel")
    order = get_order_for(actor=actor, order_id=request.order_id) if request.order_id is not None else None
    sku_id = _sku_id(request.sku_id)
    location_id = (order.fulfilment_location_id or order.selling_location_id) if order else None
    return _create(
        channel=TicketChannel.CHAT, kind=kind, priority=TicketPriority.NORMAL, subject=subject,
        member=member, phone="", order_id=order.pk if order else None, sku_id=sku_id, location_id=location_id, by=None,
    )  # fmt: skip


def _new_callers_ticket(actor: Actor, request: TicketRequest, *, kind: str, priority: str, subject: str) -> Ticket:
    authorize(actor, Operation.OPEN_TICKET)
    employee = _employee(actor)
    channel = _choice(request.channel, sorted(STAFF_CHANNELS), what="channel")
    location_id = request.location_id
    if location_id is None and not actor.is_chain_wide:
        location_id = employee.home_location_id
    if location_id is not None:
        if not Location.objects.filter(pk=location_id).exists():
            raise not_found("location")
        authorize(actor, Operation.OPEN_TICKET, location_id=location_id)
    member, phone = _caller(request)
    order = get_order_for(actor=actor, order_id=request.order_id) if request.order_id is not None else None
    if order is not None:
        if member is not None and order.member_id not in (None, member.pk):
            raise DomainError(ErrorCode.INVALID, "the order is another customer's", field="order_id")
        member = member or order.member
        location_id = location_id or order.fulfilment_location_id or order.selling_location_id
    if member is None and not phone:
        raise DomainError(ErrorCode.INVALID, "say who the customer is: a member or a phone number", field="phone")
    return _create(
        channel=channel, kind=kind, priority=priority, subject=subject, member=member,
        phone="" if member else phone,
        order_id=order.pk if order else None, sku_id=_sku_id(request.sku_id), location_id=location_id, by=employee,
    )  # fmt: skip


def _caller(request: TicketRequest) -> tuple[Member | None, str]:
    if request.member_id is not None:
        member = Member.objects.filter(pk=request.member_id).first()
        if member is None:
            raise not_found("member")
        return member, ""
    if not request.phone:
        return None, ""
    phone = normalize_phone(request.phone)
    return Member.objects.filter(phone=phone).first(), phone


def _sku_id(sku_id: int | None) -> int | None:
    if sku_id is not None and not SKU.objects.filter(pk=sku_id).exists():
        raise not_found("product")
    return sku_id


def online_team_id() -> int | None:
    """The team whose business hours run a new ticket's clock: the first online team, if any."""
    return Team.objects.filter(kind=Team.Kind.ONLINE).order_by("pk").values_list("pk", flat=True).first()


def _new_number() -> str:
    while Ticket.objects.filter(number=(number := random_readable(NUMBER_LENGTH))).exists():
        pass  # 31^8 numbers: a clash is rare; the unique constraint is the last guard
    return number


def _create(*, channel, kind, priority, subject, member, phone, order_id, sku_id, location_id, by) -> Ticket:
    now = timezone.now()
    team_id = online_team_id()
    first_due, resolution_due = sla.due_times(kind=kind, priority=priority, team_id=team_id, start=now)
    ticket = Ticket.objects.create(
        number=_new_number(), channel=channel, kind=kind, priority=priority, subject=subject, member=member,
        phone=phone, order_id=order_id, sku_id=sku_id, location_id=location_id, team_id=team_id,
        first_response_due_at=first_due, resolution_due_at=resolution_due,
    )  # fmt: skip
    record(ticket, TicketEventKind.CREATED, by, {"channel": channel})
    return ticket


# --- the conversation -------------------------------------------------------------------------------


def customer_message(ticket: Ticket, body: str) -> TicketMessage:
    """The customer's message on a locked ticket: the first one is acknowledged at once (once:
    the ticket row is locked, and a unique constraint keeps one ACKNOWLEDGED event per ticket);
    a ticket waiting on the customer resumes."""
    now = timezone.now()
    message = TicketMessage.objects.create(ticket=ticket, author_kind=AuthorKind.CUSTOMER, body=body)
    Ticket.objects.filter(pk=ticket.pk).update(last_customer_message_at=now)
    ticket.last_customer_message_at = now
    if not TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.ACKNOWLEDGED).exists():
        text = _("We have received your message (ticket %(number)s). An agent will reply shortly.") % {
            "number": ticket.number
        }
        TicketMessage.objects.create(ticket=ticket, author_kind=AuthorKind.SYSTEM, body=text)
        record(ticket, TicketEventKind.ACKNOWLEDGED, None)
    if ticket.state == TicketState.WAITING_ON_CUSTOMER:
        _resume(ticket, by=None, now=now)
    return message


def staff_message(
    ticket: Ticket, *, author: Employee, body: str, internal: bool = False, article_id: int | None = None
) -> TicketMessage:
    """A reply (or an internal note) on a locked ticket. The first public reply is the first
    response (set once, by a conditional UPDATE); a reply tells the customer to look."""
    article = _article(article_id, author) if article_id is not None else None
    message = TicketMessage.objects.create(
        ticket=ticket, author_kind=AuthorKind.AGENT, author=author, body=body, internal=internal, article=article
    )
    if internal:
        return message
    if ticket.first_response_at is None:
        now = timezone.now()
        if Ticket.objects.filter(pk=ticket.pk, first_response_at__isnull=True).update(first_response_at=now):
            ticket.first_response_at = now
            record(ticket, TicketEventKind.FIRST_RESPONSE, author, {"due": ticket.first_response_due_at.isoformat()})
    notifications.reply_posted(ticket)
    return message


def _article(article_id: int, author: Employee) -> Article:
    article = Article.objects.filter(pk=article_id, published=True).first()
    if article is None or not article.readable_by(author.role):
        raise not_found("article")
    return article


@transaction.atomic(durable=True)
def post_customer_message(*, actor: Actor, ticket_id: int, body: str) -> TicketMessage:
    """A member writes on their own ticket (not once it is resolved: they confirm or reopen it)."""
    body = _text(body, what="message", most=MAX_BODY)
    ticket = _members_ticket(actor, ticket_id)
    if ticket.state not in CUSTOMER_MAY_WRITE:
        raise conflict(f"a ticket that is {ticket.state} takes no message; confirm or reopen it", ticket)
    return customer_message(ticket, body)


@transaction.atomic(durable=True)
def reply(
    *, actor: Actor, ticket_id: int, body: str, internal: bool = False, article_id: int | None = None
) -> TicketMessage:
    """An agent's reply or internal note. A public reply on a new ticket first takes it for the
    agent (whoever answers owns it)."""
    body = _text(body, what="message", most=MAX_BODY)
    ticket = _agents_ticket(actor, ticket_id)
    author = _employee(actor)
    if ticket.state not in STAFF_MAY_WRITE:
        raise conflict(f"a ticket that is {ticket.state} takes no reply", ticket)
    if ticket.state == TicketState.NEW and not internal:
        assignment.take(ticket, employee=author, by=author)
    return staff_message(ticket, author=author, body=body, internal=internal, article_id=article_id)


@transaction.atomic(durable=True)
def store_reply(*, actor: Actor, ticket_id: int, body: str, internal: bool = False) -> TicketMessage:
    """The store's staff reply (or note) on a ticket escalated to their store."""
    body = _text(body, what="message", most=MAX_BODY)
    ticket = _stores_ticket(actor, ticket_id)
    if ticket.state != TicketState.ESCALATED:
        raise conflict("the store works a ticket only while it is escalated to it", ticket)
    return staff_message(ticket, author=_employee(actor), body=body, internal=internal)


# --- pause and resume --------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def wait_on_customer(*, actor: Actor, ticket_id: int) -> Ticket:
    """The agent waits for the customer's answer: the SLA clock stops until they write (or the
    agent resumes)."""
    ticket = _agents_ticket(actor, ticket_id)
    return move(
        ticket, TicketState.WAITING_ON_CUSTOMER, event=TicketEventKind.PAUSED, by=_employee(actor),
        paused_at=timezone.now(),
    )  # fmt: skip


@transaction.atomic(durable=True)
def resume(*, actor: Actor, ticket_id: int) -> Ticket:
    ticket = _agents_ticket(actor, ticket_id)
    return _resume(ticket, by=_employee(actor), now=timezone.now())


def _resume(ticket: Ticket, *, by: Employee | None, now: datetime) -> Ticket:
    """Waiting -> open, both due times moved on by the business minutes of the pause (the first
    response's only while it is still unanswered)."""
    if ticket.state != TicketState.WAITING_ON_CUSTOMER:
        raise conflict(f"a ticket that is {ticket.state} is not waiting", ticket)
    shift = {"team_id": ticket.team_id, "paused_at": ticket.paused_at, "resumed_at": now}
    changes = {"paused_at": None, "resolution_due_at": sla.shifted_after_pause(due=ticket.resolution_due_at, **shift)}
    if ticket.first_response_at is None:
        changes["first_response_due_at"] = sla.shifted_after_pause(due=ticket.first_response_due_at, **shift)
    detail = {"paused_at": ticket.paused_at.isoformat(), "by": "agent" if by else "customer"}
    return move(ticket, TicketState.OPEN, event=TicketEventKind.RESUMED, by=by, detail=detail, **changes)


# --- escalation to a store ---------------------------------------------------------------------------


@transaction.atomic(durable=True)
def escalate(*, actor: Actor, ticket_id: int, location_id: int, reason: str) -> Ticket:
    """Hand the ticket to a store's staff (offline takeover), with the reason. An unknown store is
    a 404; a warehouse or a closed store a 422."""
    reason = _text(reason, what="reason", most=MAX_REASON)
    ticket = _agents_ticket(actor, ticket_id)
    store = Location.objects.filter(pk=location_id).first()
    if store is None:
        raise not_found("store")
    if store.kind != Location.Kind.STORE or not store.is_active:
        raise DomainError(ErrorCode.INVALID, "escalate to an open store", field="location_id")
    detail = {"location_id": store.pk, "reason": reason}
    move(
        ticket, TicketState.ESCALATED, event=TicketEventKind.ESCALATED, by=_employee(actor), detail=detail,
        escalated_to_id=store.pk, escalation_reason=reason,
    )  # fmt: skip
    notifications.escalated_to_store(ticket, store_id=store.pk, reason=reason)  # after the move only one wins
    return ticket


@transaction.atomic(durable=True)
def return_to_online(*, actor: Actor, ticket_id: int, note: str = "") -> Ticket:
    """The store hands the ticket back to online service: to its agent (open), or to the queue
    (new) when it had none."""
    note = note.strip()[:MAX_REASON] if isinstance(note, str) else ""
    ticket = _stores_ticket(actor, ticket_id)
    to_state = TicketState.OPEN if ticket.assignee_id else TicketState.NEW
    detail = {"location_id": ticket.escalated_to_id, "note": note}
    move(ticket, to_state, event=TicketEventKind.RETURNED, by=_employee(actor), detail=detail,
         escalated_to_id=None, escalation_reason="")  # fmt: skip
    if note:
        staff_message(ticket, author=_employee(actor), body=note, internal=True)
    if to_state == TicketState.NEW:
        assignment.assign_new(ticket)
    return ticket


# --- resolution and closing --------------------------------------------------------------------------


def _resolve(ticket: Ticket, *, author: Employee, summary: str) -> Ticket:
    if ticket.kind == TicketKind.COMPLAINT and not ticket.promised_solution:
        raise conflict("a complaint is resolved only after a solution was promised to the customer", ticket)
    if not can_transition(ticket.state, TicketState.RESOLVED):
        raise conflict(f"a ticket that is {ticket.state} cannot be resolved", ticket)
    staff_message(ticket, author=author, body=summary)
    return move(ticket, TicketState.RESOLVED, event=TicketEventKind.RESOLVED, by=author, resolved_at=timezone.now())


@transaction.atomic(durable=True)
def resolve(*, actor: Actor, ticket_id: int, summary: str) -> Ticket:
    """Give the solution (a summary message to the customer): the ticket waits for the customer's
    confirmation, or closes after O2O_SERVICE_CONFIRM_DAYS. A complaint needs its promise first."""
    summary = _text(summary, what="summary", most=MAX_BODY)
    ticket = _agents_ticket(actor, ticket_id)
    return _resolve(ticket, author=_employee(actor), summary=summary)


@transaction.atomic(durable=True)
def store_resolve(*, actor: Actor, ticket_id: int, summary: str) -> Ticket:
    summary = _text(summary, what="summary", most=MAX_BODY)
    ticket = _stores_ticket(actor, ticket_id)
    if ticket.state != TicketState.ESCALATED:
        raise conflict("the store works a ticket only while it is escalated to it", ticket)
    return _resolve(ticket, author=_employee(actor), summary=summary)


def _close(ticket: Ticket, *, reason: str, by: Employee | None, now: datetime, **changes) -> Ticket:
    move(ticket, TicketState.CLOSED, event=TicketEventKind.CLOSED, by=by, detail={"reason": reason},
         closed_at=now, close_reason=reason, **changes)  # fmt: skip
    events.publish(events.TICKET_CLOSED, ticket=ticket)
    return ticket


@transaction.atomic(durable=True)
def close_without_action(*, actor: Actor, ticket_id: int, note: str = "") -> Ticket:
    """Praise passed on or a suggestion noted: closed at once, nothing to resolve."""
    ticket = _agents_ticket(actor, ticket_id)
    employee = _employee(actor)
    if ticket.kind not in CLOSABLE_AT_ONCE:
        raise conflict("only praise and suggestions are closed without a resolution", ticket, kind=ticket.kind)
    if isinstance(note, str) and note.strip():
        staff_message(ticket, author=employee, body=note.strip()[:MAX_BODY], internal=True)
    now = timezone.now()
    return _close(ticket, reason=CloseReason.NO_ACTION, by=employee, now=now, resolved_at=now)


@transaction.atomic(durable=True)
def confirm_resolution(*, actor: Actor, ticket_id: int, satisfaction: int | None = None) -> Ticket:
    """The customer confirms the solution (with a 1-5 score if they like): closed."""
    if satisfaction is not None and (isinstance(satisfaction, bool) or satisfaction not in range(1, 6)):
        raise DomainError(ErrorCode.INVALID, "satisfaction is 1 to 5", field="satisfaction")
    ticket = _members_ticket(actor, ticket_id)
    if ticket.state != TicketState.RESOLVED:
        raise conflict(f"a ticket that is {ticket.state} has nothing to confirm", ticket)
    return _close(ticket, reason=CloseReason.CONFIRMED, by=None, now=timezone.now(), satisfaction=satisfaction)


@transaction.atomic(durable=True)
def reopen(*, actor: Actor, ticket_id: int, body: str = "") -> Ticket:
    """The customer is not satisfied: back to its agent (open), or to the queue (new)."""
    body = body.strip() if isinstance(body, str) else ""
    if len(body) > MAX_BODY:
        raise DomainError(ErrorCode.INVALID, f"message needs at most {MAX_BODY} characters", field="body")
    ticket = _members_ticket(actor, ticket_id)
    if ticket.state != TicketState.RESOLVED:
        raise conflict(f"a ticket that is {ticket.state} cannot be reopened", ticket)
    to_state = TicketState.OPEN if ticket.assignee_id else TicketState.NEW
    move(ticket, to_state, event=TicketEventKind.REOPENED, by=None, resolved_at=None, escalated_to_id=None,
         escalation_reason="")  # fmt: skip
    if body:
        customer_message(ticket, body)
    if to_state == TicketState.NEW:
        assignment.assign_new(ticket)
    return ticket


def close_unconfirmed(*, now: datetime | None = None, batch: int = 500) -> int:
    """The periodic job: tickets resolved more than O2O_SERVICE_CONFIRM_DAYS ago close (timeout),
    each in its own transaction (a reopen racing it wins or loses on the conditional UPDATE)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.O2O_SERVICE_CONFIRM_DAYS)
    ids = list(
        Ticket.objects.filter(state=TicketState.RESOLVED, resolved_at__lt=cutoff)
        .order_by("resolved_at")
        .values_list("pk", flat=True)[:batch]
    )
    closed = 0
    for ticket_id in ids:
        with transaction.atomic(durable=True):
            ticket = _locked(ticket_id)
            if ticket.state == TicketState.RESOLVED and ticket.resolved_at < cutoff:
                _close(ticket, reason=CloseReason.TIMEOUT, by=None, now=now)
                closed += 1
    return closed


# --- type and priority ---------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def reclassify(*, actor: Actor, ticket_id: int, kind: str | None = None, priority: str | None = None) -> Ticket:
    """Change the type or priority: the due times are computed again from the ticket's creation
    under the new policy."""
    ticket = _agents_ticket(actor, ticket_id)
    kind = _choice(kind, TicketKind.values, what="kind") if kind is not None else ticket.kind
    priority = _choice(priority, TicketPriority.values, what="priority") if priority is not None else ticket.priority
    if ticket.state in (TicketState.RESOLVED, TicketState.CLOSED):
        raise conflict(f"a ticket that is {ticket.state} keeps its type and priority", ticket)
    if (kind, priority) == (ticket.kind, ticket.priority):
        return ticket
    first_due, resolution_due = sla.due_times(kind=kind, priority=priority, team_id=ticket.team_id,
                                              start=ticket.created_at)  # fmt: skip
    changes = {"kind": kind, "priority": priority, "first_response_due_at": first_due,
               "resolution_due_at": resolution_due}  # fmt: skip
    Ticket.objects.filter(pk=ticket.pk).update(**changes)
    detail = {"kind": [ticket.kind, kind], "priority": [ticket.priority, priority]}
    for field, value in changes.items():
        setattr(ticket, field, value)
    record(ticket, TicketEventKind.RECLASSIFIED, _employee(actor), detail)
    return ticket
