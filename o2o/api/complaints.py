"""Complaints and feedback on tickets (docs/service.md): the promise to the customer, remedies carried
out through the apps that own the money or goods, and the employee/team a feedback concerns.

Customer service and HQ work any ticket; store staff only one escalated to their store (else 404).
"""

from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from o2o.api.auth import actor
from o2o.api.types import Id, IdempotencyKey, Quantity, StrictId
from o2o.service import complaints, feedback

router = Router(tags=["customer service: complaints"])


class PromiseIn(Schema):
    solution: str = Field(min_length=1, max_length=complaints.MAX_SOLUTION)
    promised_by: datetime = Field(description="With a time zone; not in the past")


class PromiseOut(Schema):
    ticket_id: int
    promised_solution: str
    promised_by: datetime

    @staticmethod
    def resolve_ticket_id(ticket) -> int:
        return ticket.pk


class ReturnedLine(Schema):
    line_id: Id
    quantity: Quantity = Field(le=1_000_000)


class RemedyIn(Schema):
    kind: Literal["coupon", "refund", "redelivery"]
    template_id: StrictId | None = Field(None, description="coupon: the apology coupon's template")
    lines: list[ReturnedLine] | None = Field(
        None, max_length=200, description="refund: the units returned per order line (omitted: all that is left)"
    )
    note: str = Field("", max_length=complaints.MAX_NOTE, description="re-delivery: the instruction to the store")


class RemedyOut(Schema):
    id: int
    ticket_id: int
    kind: str
    amount: Decimal | None
    reference: str
    note: str
    at: datetime


class AttributionIn(Schema):
    employee_id: Id | None = None
    team_id: Id | None = None


class AttributionOut(Schema):
    ticket_id: int
    kind: str
    concerned_employee_id: int | None
    concerned_team_id: int | None

    @staticmethod
    def resolve_ticket_id(ticket) -> int:
        return ticket.pk


@router.post("/tickets/{ticket_id}/promise", response=PromiseOut)
def promise(request: HttpRequest, ticket_id: Id, payload: PromiseIn):
    """Record (or change) the solution and date promised to the customer; they are told in the conversation."""
    return complaints.promise_solution(
        actor=actor(request), ticket_id=ticket_id, solution=payload.solution, promised_by=payload.promised_by
    )


@router.post("/tickets/{ticket_id}/remedies", response={201: RemedyOut})
def remedy(request: HttpRequest, ticket_id: Id, payload: RemedyIn, idempotency_key: IdempotencyKey = None):
    """An apology coupon, a refund of returned goods or a re-delivery; a retry under the same
    Idempotency-Key returns the first remedy."""
    lines = None if payload.lines is None else {}
    for line in payload.lines or []:
        lines[line.line_id] = lines.get(line.line_id, 0) + line.quantity
    asked = complaints.RemedyRequest(kind=payload.kind, template_id=payload.template_id, lines=lines, note=payload.note)
    done = complaints.carry_out_remedy(actor=actor(request), ticket_id=ticket_id, request=asked, key=idempotency_key)
    return Status(201, done)


@router.post("/tickets/{ticket_id}/attribution", response=AttributionOut)
def attribute(request: HttpRequest, ticket_id: Id, payload: AttributionIn):
    """Name the employee and/or team a praise, suggestion or complaint concerns (the employee's team by default)."""
    return feedback.attribute_feedback(
        actor=actor(request), ticket_id=ticket_id, employee_id=payload.employee_id, team_id=payload.team_id
    )
