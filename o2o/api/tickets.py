"""Customer service tickets (docs/service.md, "Tickets").

- /service/my/tickets...: a member's own tickets: open one (about their order or a product), write,
  confirm the solution (with a 1-5 score) or reopen. Internal notes never appear here.
- /service/tickets...: customer service and HQ: the inbox with SLA state, a ticket with its whole
  conversation and history, claim, (re)assign, reply or note, wait on the customer, resume,
  escalate to a store, resolve, close praise and suggestions; staff open tickets for callers.
- /service/presence: an agent's own availability for automatic assignment.
- /service/escalations...: a store's staff on the tickets escalated to their store: reply, resolve,
  hand back to online service.
"""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field, StrictBool, StrictInt

from o2o.api.auth import actor
from o2o.api.pagination import CursorPagination
from o2o.api.types import Id, IdempotencyKey
from o2o.members.phones import mask_phone
from o2o.service import assignment, selectors, services
from o2o.service.models import TicketKind, TicketPriority, TicketState

router = Router(tags=["service"])

Text = Field(min_length=1, max_length=services.MAX_BODY)
_INBOX_ORDER = ("due_at", "id")


class MyTicketOut(Schema):
    """What the customer sees of their ticket."""

    id: int
    number: str
    channel: str
    kind: str
    state: str
    subject: str
    order_id: int | None
    sku_id: int | None
    created_at: datetime
    promised_solution: str
    promised_by: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    close_reason: str
    satisfaction: int | None


class TicketOut(MyTicketOut):
    """What staff see: who it is, who works it, and the SLA clock."""

    priority: str
    member_id: int | None
    customer: str = Field(description="The member's name (or masked phone), or the caller's masked phone")
    location_id: int | None
    team_id: int | None
    assignee_id: int | None
    assignee: str
    escalated_to_id: int | None
    escalation_reason: str
    first_response_due_at: datetime
    first_response_at: datetime | None
    resolution_due_at: datetime
    due_at: datetime = Field(description="The due time that runs: first response until given, then resolution")
    paused_at: datetime | None
    sla_state: str = Field(description="met | on_track | due_soon | breached")

    @staticmethod
    def resolve_customer(ticket) -> str:
        if ticket.member_id is None:
            return mask_phone(ticket.phone)
        return ticket.member.name or mask_phone(ticket.member.phone)

    @staticmethod
    def resolve_assignee(ticket) -> str:
        return ticket.assignee.display_name if ticket.assignee_id else ""


class MessageOut(Schema):
    id: int
    author_kind: str
    author: str
    body: str
    article_id: int | None
    internal: bool
    created_at: datetime

    @staticmethod
    def resolve_author(message) -> str:
        return message.author.display_name if message.author_id else ""


class EventOut(Schema):
    id: int
    kind: str
    actor_id: int | None
    detail: dict
    at: datetime


class MyTicketDetail(MyTicketOut):
    messages: list[MessageOut]

    @staticmethod
    def resolve_messages(ticket) -> list:
        return ticket.messages_list


class TicketDetail(TicketOut):
    messages: list[MessageOut]
    events: list[EventOut]

    @staticmethod
    def resolve_messages(ticket) -> list:
        return ticket.messages_list

    @staticmethod
    def resolve_events(ticket) -> list:
        return ticket.events_list


class MyTicketIn(Schema):
    kind: TicketKind = TicketKind.INQUIRY
    subject: str = Field(min_length=1, max_length=services.MAX_SUBJECT)
    body: str = Text
    order_id: Id | None = None
    sku_id: Id | None = None


class CallerTicketIn(Schema):
    channel: Literal["phone", "in_store", "review", "after_sale"]
    kind: TicketKind
    priority: TicketPriority = TicketPriority.NORMAL
    subject: str = Field(min_length=1, max_length=services.MAX_SUBJECT)
    body: str = Field(min_length=1, max_length=services.MAX_BODY, description="What the caller said (staff only)")
    member_id: Id | None = None
    phone: str | None = Field(None, min_length=5, max_length=20)
    order_id: Id | None = None
    sku_id: Id | None = None
    location_id: Id | None = None


class BodyIn(Schema):
    body: str = Text


class ReplyIn(Schema):
    body: str = Text
    internal: StrictBool = False
    article_id: Id | None = None


class StoreReplyIn(Schema):
    body: str = Text
    internal: StrictBool = False


class ReopenIn(Schema):
    body: str = Field("", max_length=services.MAX_BODY)


class ConfirmIn(Schema):
    satisfaction: StrictInt | None = Field(None, ge=1, le=5)


class AssignIn(Schema):
    employee_id: Id


class EscalateIn(Schema):
    location_id: Id
    reason: str = Field(min_length=1, max_length=services.MAX_REASON)


class SummaryIn(Schema):
    summary: str = Text


class NoteIn(Schema):
    note: str = Field("", max_length=services.MAX_REASON)


class ClassifyIn(Schema):
    kind: TicketKind | None = None
    priority: TicketPriority | None = None


class PresenceIn(Schema):
    available: StrictBool
    max_open_tickets: StrictInt | None = Field(None, ge=1, le=assignment.MAX_CAPACITY)


class PresenceOut(Schema):
    available: bool
    max_open_tickets: int
    last_assigned_at: datetime | None


class InboxFilters(Schema):
    state: TicketState | None = None
    mine: bool = False
    unassigned: bool = False
    team_id: Id | None = None
    sla: Literal["breached", "due_soon"] | None = None
    kind: TicketKind | None = None
    q: str | None = Field(None, max_length=selectors.MAX_QUERY)


def _detail(request: HttpRequest, ticket_id: int, *, staff: bool):
    ticket = selectors.ticket_for(actor=actor(request), ticket_id=ticket_id)
    ticket.messages_list = list(selectors.messages_of(ticket=ticket, staff=staff))
    if staff:
        ticket.events_list = list(selectors.events_of(ticket=ticket))
    return ticket


def _staff_ticket(request: HttpRequest, ticket_id: int):
    """The ticket as it is after a write the service allowed (the store may no longer see one it
    handed back)."""
    return selectors.ticket_row(ticket_id)


# --- the member's own tickets --------------------------------------------------------------------------


@router.post("/my/tickets", response={201: MyTicketDetail})
def open_my_ticket(request: HttpRequest, payload: MyTicketIn, idempotency_key: IdempotencyKey = None):
    """Contact customer service (from an order or a product page: order_id / sku_id). The first
    message is acknowledged at once; a retry with the same Idempotency-Key opens one ticket."""
    ticket_request = services.TicketRequest(
        kind=payload.kind, subject=payload.subject, body=payload.body, order_id=payload.order_id,
        sku_id=payload.sku_id,
    )  # fmt: skip
    ticket = services.open_ticket(actor=actor(request), request=ticket_request, idempotency_key=idempotency_key)
    return Status(201, _detail(request, ticket.pk, staff=False))


@router.get("/my/tickets", response=list[MyTicketOut])
@paginate(CursorPagination, ordering=("-id",))
def my_tickets(request: HttpRequest):
    return selectors.my_tickets(actor=actor(request))


@router.get("/my/tickets/{ticket_id}", response=MyTicketDetail)
def my_ticket(request: HttpRequest, ticket_id: Id):
    return _detail(request, ticket_id, staff=False)


@router.get("/my/tickets/{ticket_id}/messages", response=list[MessageOut])
def my_ticket_messages(request: HttpRequest, ticket_id: Id, after_id: Id | None = None):
    """The conversation (after a message id, for a page that polls)."""
    ticket = selectors.ticket_for(actor=actor(request), ticket_id=ticket_id)
    return list(selectors.messages_of(ticket=ticket, staff=False, after_id=after_id))


@router.post("/my/tickets/{ticket_id}/messages", response={201: MessageOut})
def write_on_my_ticket(request: HttpRequest, ticket_id: Id, payload: BodyIn):
    message = services.post_customer_message(actor=actor(request), ticket_id=ticket_id, body=payload.body)
    return Status(201, message)


@router.post("/my/tickets/{ticket_id}/confirm", response=MyTicketOut)
def confirm_my_ticket(request: HttpRequest, ticket_id: Id, payload: ConfirmIn):
    """The solution worked: the ticket closes (with a 1-5 satisfaction score, if given)."""
    return services.confirm_resolution(actor=actor(request), ticket_id=ticket_id, satisfaction=payload.satisfaction)


@router.post("/my/tickets/{ticket_id}/reopen", response=MyTicketOut)
def reopen_my_ticket(request: HttpRequest, ticket_id: Id, payload: ReopenIn):
    return services.reopen(actor=actor(request), ticket_id=ticket_id, body=payload.body)


# --- customer service ------------------------------------------------------------------------------


@router.post("/tickets", response={201: TicketOut})
def open_callers_ticket(request: HttpRequest, payload: CallerTicketIn, idempotency_key: IdempotencyKey = None):
    """Staff open a ticket for a caller (a member by id, or a phone number)."""
    ticket_request = services.TicketRequest(**payload.dict(exclude={"phone"}), phone=payload.phone or "")
    ticket = services.open_ticket(actor=actor(request), request=ticket_request, idempotency_key=idempotency_key)
    return Status(201, _staff_ticket(request, ticket.pk))


@router.get("/tickets", response=list[TicketOut])
@paginate(CursorPagination, ordering=_INBOX_ORDER)
def inbox(request: HttpRequest, filters: Query[InboxFilters]):
    """The inbox, the most urgent due time first, each ticket with its SLA state."""
    return selectors.inbox(
        actor=actor(request), state=filters.state, mine=filters.mine, unassigned=filters.unassigned,
        team_id=filters.team_id, sla_filter=filters.sla, kind=filters.kind, q=filters.q,
    )  # fmt: skip


@router.get("/tickets/{ticket_id}", response=TicketDetail)
def ticket(request: HttpRequest, ticket_id: Id):
    return _detail(request, ticket_id, staff=True)


@router.get("/tickets/{ticket_id}/messages", response=list[MessageOut])
def ticket_messages(request: HttpRequest, ticket_id: Id, after_id: Id | None = None):
    ticket = selectors.ticket_for(actor=actor(request), ticket_id=ticket_id)
    return list(selectors.messages_of(ticket=ticket, staff=True, after_id=after_id))


@router.post("/tickets/{ticket_id}/messages", response={201: MessageOut})
def reply(request: HttpRequest, ticket_id: Id, payload: ReplyIn):
    """A reply to the customer (who is told to look), or an internal note (never shown to them)."""
    message = services.reply(actor=actor(request), ticket_id=ticket_id, body=payload.body,
                             internal=payload.internal, article_id=payload.article_id)  # fmt: skip
    return Status(201, message)


@router.post("/tickets/{ticket_id}/claim", response=TicketOut)
def claim(request: HttpRequest, ticket_id: Id):
    assignment.claim(actor=actor(request), ticket_id=ticket_id)
    return _staff_ticket(request, ticket_id)


@router.post("/tickets/{ticket_id}/assign", response=TicketOut)
def assign(request: HttpRequest, ticket_id: Id, payload: AssignIn):
    """HQ, or the lead of the ticket's online team: (re)assign to an agent."""
    assignment.assign(actor=actor(request), ticket_id=ticket_id, employee_id=payload.employee_id)
    return _staff_ticket(request, ticket_id)


@router.post("/tickets/{ticket_id}/wait", response=TicketOut)
def wait_on_customer(request: HttpRequest, ticket_id: Id):
    services.wait_on_customer(actor=actor(request), ticket_id=ticket_id)
    return _staff_ticket(request, ticket_id)


@router.post("/tickets/{ticket_id}/resume", response=TicketOut)
def resume(request: HttpRequest, ticket_id: Id):
    services.resume(actor=actor(request), ticket_id=ticket_id)
    return _staff_ticket(request, ticket_id)


@router.post("/tickets/{ticket_id}/classify", response=TicketOut)
def classify(request: HttpRequest, ticket_id: Id, payload: ClassifyIn):
    """Change the type or priority: the due times are computed again from the ticket's creation."""
    services.reclassify(actor=actor(request), ticket_id=ticket_id, kind=payload.kind, priority=payload.priority)
    return _staff_ticket(request, ticket_id)


@router.post("/tickets/{ticket_id}/escalate", response=TicketOut)
def escalate(request: HttpRequest, ticket_id: Id, payload: EscalateIn):
    services.escalate(actor=actor(request), ticket_id=ticket_id, location_id=payload.location_id,
                      reason=payload.reason)  # fmt: skip
    return _staff_ticket(request, ticket_id)


@router.post("/tickets/{ticket_id}/resolve", response=TicketOut)
def resolve(request: HttpRequest, ticket_id: Id, payload: SummaryIn):
    services.resolve(actor=actor(request), ticket_id=ticket_id, summary=payload.summary)
    return _staff_ticket(request, ticket_id)


@router.post("/tickets/{ticket_id}/close", response=TicketOut)
def close(request: HttpRequest, ticket_id: Id, payload: NoteIn):
    """Praise passed on, a suggestion noted: closed at once (no_action)."""
    services.close_without_action(actor=actor(request), ticket_id=ticket_id, note=payload.note)
    return _staff_ticket(request, ticket_id)


@router.get("/presence", response=PresenceOut | None)
def my_presence(request: HttpRequest):
    return selectors.presence_of(actor=actor(request))


@router.put("/presence", response=PresenceOut)
def set_my_presence(request: HttpRequest, payload: PresenceIn):
    """Available for automatic assignment (or away), and the most open tickets at once."""
    return assignment.set_availability(actor=actor(request), available=payload.available,
                                       max_open_tickets=payload.max_open_tickets)  # fmt: skip


# --- a store's escalations -------------------------------------------------------------------------------


@router.get("/escalations", response=list[TicketOut])
@paginate(CursorPagination, ordering=_INBOX_ORDER)
def store_escalations(request: HttpRequest, state: TicketState | None = None):
    return selectors.escalations(actor=actor(request), state=state)


@router.get("/escalations/{ticket_id}", response=TicketDetail)
def store_escalation(request: HttpRequest, ticket_id: Id):
    return _detail(request, ticket_id, staff=True)


@router.post("/escalations/{ticket_id}/messages", response={201: MessageOut})
def store_reply(request: HttpRequest, ticket_id: Id, payload: StoreReplyIn):
    message = services.store_reply(actor=actor(request), ticket_id=ticket_id, body=payload.body,
                                   internal=payload.internal)  # fmt: skip
    return Status(201, message)


@router.post("/escalations/{ticket_id}/resolve", response=TicketOut)
def store_resolve(request: HttpRequest, ticket_id: Id, payload: SummaryIn):
    services.store_resolve(actor=actor(request), ticket_id=ticket_id, summary=payload.summary)
    return _staff_ticket(request, ticket_id)


@router.post("/escalations/{ticket_id}/return", response=TicketOut)
def return_to_online(request: HttpRequest, ticket_id: Id, payload: NoteIn):
    """Hand the ticket back to online service (its agent, or the queue)."""
    services.return_to_online(actor=actor(request), ticket_id=ticket_id, note=payload.note)
    return _staff_ticket(request, ticket_id)
