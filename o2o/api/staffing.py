"""Staff support between stores: docs/staffing.md."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import BeforeValidator, Field

from o2o.api.auth import actor
from o2o.api.types import Id, IdempotencyKey
from o2o.staff.models import Role
from o2o.staffing import selectors, services
from o2o.staffing.models import MAX_HEADCOUNT

router = Router(tags=["staff support"])


def _number_text(value: object) -> object:
    """A JSON number or a decimal string; `true` is not 1 hour."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError("hours are a number with at most two decimals")
    return value


Hours = Annotated[
    Decimal,
    BeforeValidator(_number_text),
    Field(ge=0, le=Decimal("9999.99"), max_digits=6, decimal_places=2, allow_inf_nan=False),
]


class RequestIn(Schema):
    location_id: Id = Field(description="The store short of hands")
    role: Role
    headcount: int = Field(ge=1, le=MAX_HEADCOUNT, strict=True)
    starts_at: datetime
    ends_at: datetime
    note: str = Field("", max_length=500)


class LoanOut(Schema):
    id: int
    request_id: int
    state: str
    employee_id: int
    employee_name: str
    lending_location_id: int
    lending_location_name: str
    borrowing_location_id: int
    borrowing_location_name: str
    starts_at: datetime
    ends_at: datetime
    window_hours: Decimal
    hours_worked: Decimal | None

    @staticmethod
    def resolve_employee_name(loan) -> str:
        return loan.employee.display_name

    @staticmethod
    def resolve_lending_location_name(loan) -> str:
        return loan.lending_location.name

    @staticmethod
    def resolve_borrowing_location_id(loan) -> int:
        return loan.request.requesting_location_id

    @staticmethod
    def resolve_borrowing_location_name(loan) -> str:
        return loan.request.requesting_location.name


class RequestOut(Schema):
    id: int
    location_id: int
    location_name: str
    role: str
    headcount: int
    taken: int = Field(description="Seats held by loans offered, accepted or done")
    accepted: int
    done: int
    starts_at: datetime
    ends_at: datetime
    note: str
    state: str

    @staticmethod
    def resolve_location_id(request) -> int:
        return request.requesting_location_id

    @staticmethod
    def resolve_location_name(request) -> str:
        return request.requesting_location.name


class RequestDetailOut(RequestOut):
    loans: list[LoanOut]

    @staticmethod
    def resolve_loans(request) -> list:
        return list(selectors.loans_of_request(request.pk).select_related("request__requesting_location"))


class NearbyOut(Schema):
    request: RequestOut
    distance_km: float | None = Field(description="From the `near` store; none without `near`")
    same_region: bool | None


class NearQuery(Schema):
    near: Id | None = Field(None, description="The lending store: open requests of other stores, nearest first")


class LendIn(Schema):
    employee_id: Id
    starts_at: datetime | None = Field(None, description="Part of the request's window; none: all of it")
    ends_at: datetime | None = None


class HoursIn(Schema):
    hours: Hours


def _loan(who, loan_id: int):
    return selectors.get_loan_for(actor=who, loan_id=loan_id)


@router.post("/requests", response={201: RequestOut})
def create_request(request: HttpRequest, payload: RequestIn, idempotency_key: IdempotencyKey = None):
    """Store managers (their own store), regional supervisors, HQ: ask for help for a window."""
    asked = services.create_request(
        actor=actor(request), request=services.RequestIn(**payload.dict()), idempotency_key=idempotency_key
    )
    return Status(201, asked)


@router.get("/requests", response=list[NearbyOut])
def list_requests(request: HttpRequest, query: Query[NearQuery]):
    """With `near`: the open requests a store could help with, same region first, then by distance.
    Without: the requests of the stores you ask for, newest first."""
    who = actor(request)
    if query.near is not None:
        return selectors.nearby_requests_for(actor=who, location_id=query.near, now=timezone.now())
    return [{"request": r, "distance_km": None, "same_region": None} for r in selectors.requests_for(actor=who)]


@router.get("/requests/{request_id}", response=RequestDetailOut)
def get_request(request: HttpRequest, request_id: Id):
    """The asking store's view of its request and the loans offered to it."""
    return selectors.get_request_for(actor=actor(request), request_id=request_id)


@router.post("/requests/{request_id}/cancel", response=RequestOut)
def cancel_request(request: HttpRequest, request_id: Id):
    """The asking store calls the request off with every loan not yet worked."""
    return services.cancel_request(actor=actor(request), request_id=request_id)


@router.post("/requests/{request_id}/loans", response={201: LoanOut})
def lend(request: HttpRequest, request_id: Id, payload: LendIn):
    """A nearby store's manager lends one of its employees (same role, free at that time)."""
    who = actor(request)
    loan = services.lend_employee(actor=who, request_id=request_id, **payload.dict())
    return Status(201, _loan(who, loan.pk))


@router.post("/loans/{loan_id}/accept", response=LoanOut)
def accept(request: HttpRequest, loan_id: Id):
    """The borrowing store takes the offered employee."""
    who = actor(request)
    return _loan(who, services.accept_loan(actor=who, loan_id=loan_id).pk)


@router.post("/loans/{loan_id}/cancel", response=LoanOut)
def cancel(request: HttpRequest, loan_id: Id):
    """Either store calls an offered or accepted loan off."""
    who = actor(request)
    return _loan(who, services.cancel_loan(actor=who, loan_id=loan_id).pk)


@router.post("/loans/{loan_id}/confirm-hours", response=LoanOut)
def confirm_hours(request: HttpRequest, loan_id: Id, payload: HoursIn):
    """The borrowing store confirms the hours worked, after the loan's window."""
    who = actor(request)
    return _loan(who, services.confirm_hours(actor=who, loan_id=loan_id, hours=payload.hours).pk)


@router.get("/loans/mine", response=list[LoanOut])
def my_loans(request: HttpRequest):
    """An employee's own loans to other stores, latest first."""
    return list(selectors.my_loans(actor=actor(request)))
