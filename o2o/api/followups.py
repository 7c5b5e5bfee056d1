"""Follow-up visits after a sale or a service (docs/aftercare.md): the queue customer service and
a store's staff work, the call with its survey, the customer's answer through the link, and
HQ's policies. A visit of another store answers 404 like a missing one."""

from datetime import date, datetime
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field, StrictBool, StrictInt

from o2o.aftercare import selectors, services
from o2o.aftercare.models import FollowUpChannel
from o2o.api.auth import actor
from o2o.api.pagination import CursorPagination
from o2o.api.types import Id
from o2o.members.phones import mask_phone

router = Router(tags=["follow-ups"])

Score = Annotated[StrictInt, Field(ge=1, le=5)]


class SurveyOut(Schema):
    score: int
    comment: str
    answered_by: str
    rated_employee_id: int | None
    rated_team_id: int | None
    complaint_ticket_id: int | None
    answered_at: datetime


class VisitOut(Schema):
    id: int
    member_id: int
    member_name: str
    phone: str = Field(description="In full: the caller rings the customer")
    order_id: int | None
    order_number: str | None
    ticket_id: int | None
    ticket_number: str | None
    location_id: int | None
    due_on: date
    channel: str
    state: str
    assigned_to_id: int | None
    attempts: int
    outcome_note: str
    done_at: datetime | None
    link_sent: bool
    survey: SurveyOut | None

    @staticmethod
    def resolve_member_name(visit) -> str:
        return visit.member.name

    @staticmethod
    def resolve_phone(visit) -> str:
        return visit.member.phone if visit.member.anonymised_at is None else mask_phone(visit.member.phone)

    @staticmethod
    def resolve_order_number(visit) -> str | None:
        return visit.order.number if visit.order_id else None

    @staticmethod
    def resolve_ticket_number(visit) -> str | None:
        return visit.ticket.number if visit.ticket_id else None

    @staticmethod
    def resolve_link_sent(visit) -> bool:
        return visit.token_hash is not None

    @staticmethod
    def resolve_survey(visit):
        return getattr(visit, "survey", None)


class CallIn(Schema):
    reached: StrictBool
    score: Score | None = Field(None, description="The survey, when the customer answered it (1-5)")
    comment: str = Field("", max_length=services.MAX_COMMENT)
    note: str = Field("", max_length=services.MAX_NOTE, description="What the call was about, for the record")


class AnswerIn(Schema):
    score: Score
    comment: str = Field("", max_length=services.MAX_COMMENT)


class AnswerOut(Schema):
    score: int
    comment: str
    answered_at: datetime


class PolicyIn(Schema):
    category_id: Id | None = Field(None, description="None: the default policy")
    delay_days: Annotated[StrictInt, Field(ge=0, le=365)]
    channel: Literal["phone", "message"]
    active: StrictBool = True


class PolicyOut(Schema):
    id: int
    category_id: int | None
    delay_days: int
    channel: str
    active: bool


def _visit_out(who, visit_id: int):
    return services.visit_for(actor=who, visit_id=visit_id)


@router.get("/visits", response=list[VisitOut])
@paginate(CursorPagination, ordering=("due_on", "id"))
def visit_queue(request: HttpRequest, channel: FollowUpChannel | None = None, mine: bool = False):
    """Open visits due today or earlier that the caller may work (customer service: all; a store's
    staff: their store's), oldest first."""
    who = actor(request)
    services.authorize_queue(actor=who)
    return selectors.visit_queue(actor=who, channel=channel, mine=mine).order_by()


@router.get("/visits/{visit_id}", response=VisitOut)
def get_visit(request: HttpRequest, visit_id: Id):
    return _visit_out(actor(request), visit_id)


@router.post("/visits/{visit_id}/claim", response=VisitOut)
def claim_visit(request: HttpRequest, visit_id: Id):
    """Take the visit (409 follow_up_claimed when another agent has it)."""
    who = actor(request)
    services.claim_visit(actor=who, visit_id=visit_id)
    return _visit_out(who, visit_id)


@router.post("/visits/{visit_id}/release", response=VisitOut)
def release_visit(request: HttpRequest, visit_id: Id):
    who = actor(request)
    services.release_visit(actor=who, visit_id=visit_id)
    return _visit_out(who, visit_id)


@router.post("/visits/{visit_id}/calls", response=VisitOut)
def record_call(request: HttpRequest, visit_id: Id, payload: CallIn):
    """The claimer records the call: reached (with the survey, if answered) or not reached (tried
    again tomorrow; after the last attempt the visit is unreachable)."""
    who = actor(request)
    services.record_call(actor=who, visit_id=visit_id, call=services.CallRecord(**payload.dict()))
    return _visit_out(who, visit_id)


@router.post("/surveys/{token}", response={201: AnswerOut}, auth=None)
def answer_survey(request: HttpRequest, token: Annotated[str, Field(min_length=16, max_length=64)], payload: AnswerIn):
    """The customer's answer through the link they were sent (no sign-in: the link is the key).
    Answered already: 409 survey_answered (the first answer stands); expired: 410."""
    response = services.answer_survey(token=token, score=payload.score, comment=payload.comment)
    return Status(201, response)


@router.get("/policies", response=list[PolicyOut])
def list_policies(request: HttpRequest):
    services.authorize_policies(actor=actor(request))
    return list(selectors.policies())


@router.post("/policies", response=PolicyOut)
def set_policy(request: HttpRequest, payload: PolicyIn):
    """HQ: the delay and channel of a category's visits (or the default's, without a category)."""
    return services.set_policy(actor=actor(request), **payload.dict())
