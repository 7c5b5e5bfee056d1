"""An employee's leads, notes, tags and follow-ups (docs/leads.md): the salesperson's briefcase.

Every lead here is the caller's own (another employee's is a 404), so its phone is shown in full:
the employee calls their customers. A store manager or HQ assigns follow-ups without reading them.
"""

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from o2o.api.auth import actor
from o2o.api.pagination import CursorPagination
from o2o.api.types import Id, IdempotencyKey
from o2o.leads import selectors, services
from o2o.leads.models import FollowUpKind

router = Router(tags=["leads"])


class LeadOut(Schema):
    id: int
    member_id: int | None
    name: str
    phone: str = Field(description="In full: the lead is the caller's own")
    source: str
    created_at: datetime
    next_follow_up_on: date | None
    last_contact_at: datetime | None
    tags: list[str]

    @staticmethod
    def resolve_name(lead) -> str:
        return selectors.lead_name(lead)

    @staticmethod
    def resolve_phone(lead) -> str:
        return selectors.lead_phone(lead)

    @staticmethod
    def resolve_tags(lead) -> list[str]:
        return [tag.tag for tag in lead.tags.all()]


class NoteOut(Schema):
    id: int
    author: str
    body: str
    created_at: datetime

    @staticmethod
    def resolve_author(note) -> str:
        return note.author.display_name


class FollowUpOut(Schema):
    id: int
    lead_id: int
    employee_id: int
    assigned_by_id: int
    due_on: date
    kind: str
    note: str
    state: str
    done_at: datetime | None
    cancelled_at: datetime | None
    outcome: str


class LeadDetailOut(LeadOut):
    notes: list[NoteOut]
    follow_ups: list[FollowUpOut]

    @staticmethod
    def resolve_notes(lead) -> list:
        return list(selectors.notes_of(lead.pk))

    @staticmethod
    def resolve_follow_ups(lead) -> list:
        return list(selectors.follow_ups_of_lead(lead.pk))


class CustomerOut(Schema):
    id: int = Field(description="The member's id: open their card with POST /leads {member_id}")
    name: str
    phone: str
    source: str

    @staticmethod
    def resolve_source(member) -> str:
        return member.lead_source


class LeadIn(Schema):
    """Either a member who is the caller's customer (acquired or served), or a phone typed in."""

    member_id: Id | None = None
    phone: str | None = Field(None, min_length=5, max_length=20)
    name: str = Field("", max_length=100)
    note: str = Field("", max_length=services.MAX_NOTE_LENGTH)


class LeadPatch(Schema):
    name: str | None = Field(None, max_length=100)
    next_follow_up_on: date | None = None
    clear_next_follow_up: bool = False
    contacted: bool = Field(False, description="Record a contact now (last_contact_at)")


class NoteIn(Schema):
    body: str = Field(min_length=1, max_length=services.MAX_NOTE_LENGTH)


class TagsIn(Schema):
    tags: list[str] = Field(max_length=services.MAX_TAGS)


class TagsOut(Schema):
    tags: list[str]


class FollowUpIn(Schema):
    due_on: date
    kind: FollowUpKind
    note: str = Field("", max_length=500)


class AssignIn(FollowUpIn):
    employee_id: Id
    lead_id: Id | None = None
    member_id: Id | None = None


class OutcomeIn(Schema):
    outcome: str = Field("", max_length=500)


class ReasonIn(Schema):
    reason: str = Field("", max_length=500)


# Static paths first: "/follow-ups" and "/customers" are not lead ids.


@router.get("/follow-ups", response=list[FollowUpOut])
@paginate(CursorPagination, ordering=("id",))
def my_follow_ups(request: HttpRequest, due_before: date | None = None):
    """My open follow-ups (due on or before a date, when given)."""
    employee = services.lead_owner(actor(request))
    return selectors.follow_ups_for(employee.pk, due_before=due_before).order_by()


@router.post("/follow-ups", response={201: FollowUpOut})
def assign_follow_up(request: HttpRequest, payload: AssignIn, idempotency_key: IdempotencyKey = None):
    """Store managers (for their store's employees) and HQ: a follow-up task for an employee."""
    follow_up = services.assign_follow_up(actor=actor(request), idempotency_key=idempotency_key, **payload.dict())
    return Status(201, follow_up)


@router.post("/follow-ups/{follow_up_id}/complete", response=FollowUpOut)
def complete_follow_up(request: HttpRequest, follow_up_id: Id, payload: OutcomeIn):
    return services.complete_follow_up(actor=actor(request), follow_up_id=follow_up_id, outcome=payload.outcome)


@router.post("/follow-ups/{follow_up_id}/cancel", response=FollowUpOut)
def cancel_follow_up(request: HttpRequest, follow_up_id: Id, payload: ReasonIn):
    return services.cancel_follow_up(actor=actor(request), follow_up_id=follow_up_id, reason=payload.reason)


@router.get("/customers", response=list[CustomerOut])
@paginate(CursorPagination, ordering=("id",))
def my_member_customers(request: HttpRequest):
    """Members I signed up or served who have no lead row yet (my leads are GET /leads)."""
    employee = services.lead_owner(actor(request))
    return selectors.customer_members(employee)


@router.get("", response=list[LeadOut])
@paginate(CursorPagination, ordering=("-id",))
def my_leads(request: HttpRequest, tag: str | None = Query(None, max_length=30), due_before: date | None = None):
    """My leads, newest first; by tag, or those whose next follow-up is on or before a date."""
    employee = services.lead_owner(actor(request))
    return selectors.leads_of(employee.pk, tag=tag, due_before=due_before)


@router.post("", response={201: LeadOut})
def create_lead(request: HttpRequest, payload: LeadIn):
    """A lead typed in (phone, name), or the card of a member who is my customer: idempotent, an
    existing lead is returned as it is."""
    who = actor(request)
    if payload.member_id is not None:
        lead = services.open_customer(actor=who, member_id=payload.member_id)
    else:
        lead = services.add_manual_lead(actor=who, phone=payload.phone or "", name=payload.name, note=payload.note)
    return Status(201, services.lead_for(who, lead.pk))


@router.get("/{lead_id}", response=LeadDetailOut)
def get_lead(request: HttpRequest, lead_id: Id):
    return services.lead_for(actor(request), lead_id)


@router.patch("/{lead_id}", response=LeadOut)
def update_lead(request: HttpRequest, lead_id: Id, payload: LeadPatch):
    who = actor(request)
    services.update_lead(actor=who, lead_id=lead_id, **payload.dict())
    return services.lead_for(who, lead_id)


@router.post("/{lead_id}/notes", response={201: NoteOut})
def add_note(request: HttpRequest, lead_id: Id, payload: NoteIn, idempotency_key: IdempotencyKey = None):
    note = services.add_note(actor=actor(request), lead_id=lead_id, body=payload.body, idempotency_key=idempotency_key)
    return Status(201, note)


@router.put("/{lead_id}/tags", response=TagsOut)
def set_tags(request: HttpRequest, lead_id: Id, payload: TagsIn):
    return {"tags": services.set_tags(actor=actor(request), lead_id=lead_id, tags=payload.tags)}


@router.post("/{lead_id}/follow-ups", response={201: FollowUpOut})
def schedule_follow_up(request: HttpRequest, lead_id: Id, payload: FollowUpIn, idempotency_key: IdempotencyKey = None):
    follow_up = services.schedule_follow_up(
        actor=actor(request), lead_id=lead_id, idempotency_key=idempotency_key, **payload.dict()
    )
    return Status(201, follow_up)
