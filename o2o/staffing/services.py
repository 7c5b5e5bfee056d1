"""Staff support between stores (docs/staffing.md): ask, lend, accept, confirm the hours, cancel.

Locks, in one order everywhere: the request row first, then the employee row (lending) or the
loan row. Lending locks the request (two lenders for its last seat queue there; the seat itself is
taken by a conditional UPDATE under a CHECK) and then the employee (two stores lending the same
employee for overlapping windows queue there, and the second sees the first's loan).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize, may
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.idempotency import fingerprint, run_once
from o2o.core.money import to_money
from o2o.staff.models import Employee, Role
from o2o.staffing.models import (
    LIVE_LOAN_STATES,
    MAX_HEADCOUNT,
    Loan,
    LoanState,
    RequestState,
    SupportRequest,
    window_hours,
)
from o2o.stores.models import Location

# The roles a store can ask for: those that work at a store.
LENDABLE_ROLES = (Role.CLERK, Role.TECHNICIAN, Role.STORE_MANAGER, Role.WAREHOUSE_CLERK)
SHORTEST_WINDOW = timedelta(minutes=30)
LONGEST_WINDOW = timedelta(days=7)
# Loans that hold the employee's time: a new loan may not overlap any of them.
_BUSY_STATES = (*LIVE_LOAN_STATES, LoanState.DONE)


@dataclass(frozen=True)
class RequestIn:
    location_id: int
    role: str
    headcount: int
    starts_at: datetime
    ends_at: datetime
    note: str = ""


def _check_window(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise DomainError(ErrorCode.INVALID, "times carry their time zone")
    if not SHORTEST_WINDOW <= ends_at - starts_at <= LONGEST_WINDOW:
        raise DomainError(ErrorCode.INVALID, "a window lasts from 30 minutes to 7 days and ends after it starts")
    if ends_at <= now:
        raise DomainError(ErrorCode.INVALID, "the window has already ended")


def create_request(*, actor: Actor, request: RequestIn, idempotency_key: str | None = None) -> SupportRequest:
    """A store asks for help: `headcount` employees of `role` for a window. A store manager asks
    for their own store, a regional supervisor for the region's, HQ for any store."""
    authorize(actor, Operation.ASK_FOR_STAFF, location_id=request.location_id)
    if request.role not in LENDABLE_ROLES:
        raise DomainError(ErrorCode.INVALID, "ask for a role that works at a store", role=request.role)
    if not 1 <= request.headcount <= MAX_HEADCOUNT:
        raise DomainError(ErrorCode.INVALID, f"a headcount of 1 to {MAX_HEADCOUNT}")
    _check_window(request.starts_at, request.ends_at, timezone.now())
    if not Location.objects.filter(pk=request.location_id, kind=Location.Kind.STORE, is_active=True).exists():
        raise DomainError(ErrorCode.LOCATION_UNAVAILABLE, "support is asked for by an active store")

    def perform() -> dict:
        created = SupportRequest.objects.create(
            requesting_location_id=request.location_id,
            role=request.role,
            headcount=request.headcount,
            starts_at=request.starts_at,
            ends_at=request.ends_at,
            note=request.note.strip(),
            created_by=actor.user,
        )
        return {"request_id": created.pk}

    result = run_once(
        scope=actor.idempotency_scope,
        operation="staffing.create_request",
        key=idempotency_key,
        fingerprint=fingerprint(**vars(request)),
        perform=perform,
    )
    return SupportRequest.objects.select_related("requesting_location").get(pk=result["request_id"])


def _locked_request(request_id: int) -> SupportRequest:
    request = SupportRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        raise not_found("support request")
    return request


def _lendable_employee(actor: Actor, employee_id: int) -> Employee:
    """The employee, if the actor may lend from their home store; one the actor cannot see is a 404."""
    employee = Employee.objects.filter(pk=employee_id).first()
    if employee is None or employee.home_location_id is None:
        raise not_found("employee")
    if not (actor.system or actor.can_see_location(employee.home_location_id)):
        raise not_found("employee")
    authorize(actor, Operation.LEND_STAFF, location_id=employee.home_location_id)
    return employee


@transaction.atomic(durable=True)
def lend_employee(
    *,
    actor: Actor,
    request_id: int,
    employee_id: int,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> Loan:
    """A nearby store offers one of its employees (same role as asked, active, not lent elsewhere
    in an overlapping window) for the request's window or a part of it. The offer takes a seat."""
    _lendable_employee(actor, employee_id)
    request = _locked_request(request_id)
    employee = Employee.objects.select_for_update().get(pk=employee_id)  # after the request: the lock order
    now = timezone.now()
    if request.state != RequestState.OPEN or request.ends_at <= now:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "this request is no longer open", state=request.state)
    starts_at = starts_at or request.starts_at
    ends_at = ends_at or request.ends_at
    _check_window(starts_at, ends_at, now)
    if starts_at < request.starts_at or ends_at > request.ends_at:
        raise DomainError(ErrorCode.INVALID, "a loan lies within the request's window")
    if employee.role != request.role or not employee.is_active:
        raise DomainError(ErrorCode.INVALID, "lend an active employee of the role asked for", role=request.role)
    if employee.home_location_id == request.requesting_location_id:
        raise DomainError(ErrorCode.INVALID, "a store does not lend to itself")
    overlapping = Loan.objects.filter(
        employee=employee, state__in=_BUSY_STATES, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if overlapping.exists():
        raise DomainError(ErrorCode.STAFF_ALREADY_LENT, "this employee is lent elsewhere at that time")
    seat = SupportRequest.objects.filter(pk=request.pk, taken__lt=F("headcount")).update(taken=F("taken") + 1)
    if not seat:
        raise DomainError(ErrorCode.HEADCOUNT_FILLED, "every seat of this request is taken")
    return Loan.objects.create(
        request=request,
        employee=employee,
        lending_location_id=employee.home_location_id,
        starts_at=starts_at,
        ends_at=ends_at,
        window_hours=window_hours(starts_at, ends_at),
        offered_by=actor.user,
    )


def _loan_and_request(loan_id: int) -> tuple[Loan, SupportRequest]:
    """Both rows locked, the request first (the lock order)."""
    request_id = Loan.objects.filter(pk=loan_id).values_list("request_id", flat=True).first()
    if request_id is None:
        raise not_found("loan")
    request = _locked_request(request_id)
    return Loan.objects.select_for_update().get(pk=loan_id), request


def _borrower(actor: Actor, request: SupportRequest) -> None:
    """Only the borrowing store (its manager, the region's supervisor, HQ) accepts and confirms."""
    authorize(actor, Operation.ASK_FOR_STAFF, location_id=request.requesting_location_id)


def _transition(loan: Loan, *, to: LoanState, source: tuple[LoanState, ...], **fields) -> None:
    if not Loan.objects.filter(pk=loan.pk, state__in=source).update(state=to, updated_at=timezone.now(), **fields):
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"a {loan.state} loan cannot become {to}", state=loan.state)


@transaction.atomic(durable=True)
def accept_loan(*, actor: Actor, loan_id: int) -> Loan:
    """The borrowing store takes the offered employee; the request is filled when every seat is."""
    loan, request = _loan_and_request(loan_id)
    _borrower(actor, request)
    _transition(loan, to=LoanState.ACCEPTED, source=(LoanState.OFFERED,))
    SupportRequest.objects.filter(pk=request.pk).update(accepted=F("accepted") + 1)
    SupportRequest.objects.filter(pk=request.pk, state=RequestState.OPEN, accepted=F("headcount")).update(
        state=RequestState.FILLED
    )
    loan.refresh_from_db()
    return loan


@transaction.atomic(durable=True)
def confirm_hours(*, actor: Actor, loan_id: int, hours: Decimal) -> Loan:
    """After the loan's window, the borrowing store confirms the hours worked (0 to the window's
    length); the request is closed when all its seats are done."""
    loan, request = _loan_and_request(loan_id)
    _borrower(actor, request)
    if not hours.is_finite() or hours != to_money(hours) or not 0 <= hours <= loan.window_hours:
        raise DomainError(ErrorCode.INVALID, f"hours worked are 0 to {loan.window_hours}, two decimals at most")
    if loan.state == LoanState.ACCEPTED and timezone.now() < loan.ends_at:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "hours are confirmed after the loan's window", state=loan.state)
    _transition(loan, to=LoanState.DONE, source=(LoanState.ACCEPTED,), hours_worked=hours, confirmed_by=actor.user)
    SupportRequest.objects.filter(pk=request.pk).update(done=F("done") + 1)
    SupportRequest.objects.filter(pk=request.pk, state=RequestState.FILLED, done=F("headcount")).update(
        state=RequestState.CLOSED
    )
    loan.refresh_from_db()
    return loan


def _release_seat(request: SupportRequest, loan: Loan) -> None:
    """A cancelled loan gives its seat back; a filled request opens again."""
    was_accepted = loan.state == LoanState.ACCEPTED
    SupportRequest.objects.filter(pk=request.pk).update(
        taken=F("taken") - 1,
        accepted=F("accepted") - (1 if was_accepted else 0),
        state=RequestState.OPEN if request.state == RequestState.FILLED else request.state,
    )


@transaction.atomic(durable=True)
def cancel_loan(*, actor: Actor, loan_id: int) -> Loan:
    """Either store calls an offered or accepted loan off before its hours are confirmed."""
    loan, request = _loan_and_request(loan_id)
    lender = may(actor, Operation.LEND_STAFF, location_id=loan.lending_location_id)
    if not lender:
        _borrower(actor, request)
    _transition(loan, to=LoanState.CANCELLED, source=LIVE_LOAN_STATES)
    _release_seat(request, loan)
    loan.refresh_from_db()
    return loan


@transaction.atomic(durable=True)
def cancel_request(*, actor: Actor, request_id: int) -> SupportRequest:
    """The asking store calls its request off, with every loan not yet worked; a request with
    confirmed hours is not cancelled (its hours stand)."""
    request = _locked_request(request_id)
    authorize(actor, Operation.ASK_FOR_STAFF, location_id=request.requesting_location_id)
    if request.state not in (RequestState.OPEN, RequestState.FILLED) or request.done:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"a {request.state} request cannot be cancelled")
    live = list(Loan.objects.select_for_update().filter(request=request, state__in=LIVE_LOAN_STATES).order_by("pk"))
    Loan.objects.filter(pk__in=[loan.pk for loan in live]).update(state=LoanState.CANCELLED, updated_at=timezone.now())
    SupportRequest.objects.filter(pk=request.pk).update(state=RequestState.CANCELLED, taken=0, accepted=0)
    request.refresh_from_db()
    return request
