"""Reads of staff support: what attribution, the boss view, the API and the pages ask."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.staffing.models import LIVE_LOAN_STATES, Loan, LoanState, RequestState, SupportRequest
from o2o.stores.geo import haversine_km
from o2o.stores.models import Location

# Loans that were worked (or are being worked): a sale in their window is a support sale.
WORKED_STATES = (LoanState.ACCEPTED, LoanState.DONE)


def active_loan(*, employee_id: int, location_id: int, at: datetime) -> Loan | None:
    """The accepted (or done) loan of this employee to this store that covers `at`, or None; one
    query. Attribution asks it for each sale a lent employee makes at the borrowing store."""
    return (
        Loan.objects.filter(
            employee_id=employee_id,
            request__requesting_location_id=location_id,
            state__in=WORKED_STATES,
            starts_at__lte=at,
            ends_at__gt=at,
        )
        .order_by("starts_at", "pk")
        .first()
    )


@dataclass(frozen=True)
class LoanHours:
    """Hours confirmed on done loans in a period: per store (lent out / borrowed in) and per employee."""

    lent_by_location: dict[int, Decimal]
    borrowed_by_location: dict[int, Decimal]
    by_employee: dict[int, Decimal]


def loan_hours(*, since: datetime, until: datetime, location_ids: frozenset[int] | None = None) -> LoanHours:
    """The hours of done loans whose window starts in [since, until). With `location_ids`, only the
    loans lent by or borrowed into those stores (a store sees both sides of its own loans)."""
    loans = Loan.objects.filter(state=LoanState.DONE, starts_at__gte=since, starts_at__lt=until)
    if location_ids is not None:
        loans = loans.filter(
            Q(lending_location_id__in=location_ids) | Q(request__requesting_location_id__in=location_ids)
        )

    def total(field: str) -> dict[int, Decimal]:
        rows = loans.order_by().values(field).annotate(hours=Sum("hours_worked"))
        return {row[field]: row["hours"] for row in rows}

    return LoanHours(
        lent_by_location=total("lending_location_id"),
        borrowed_by_location=total("request__requesting_location_id"),
        by_employee=total("employee_id"),
    )


@dataclass(frozen=True)
class NearbyRequest:
    request: SupportRequest
    distance_km: float
    same_region: bool


def open_requests_near(*, location: Location, now: datetime, limit: int = 50) -> list[NearbyRequest]:
    """Open requests of other stores whose window has not ended: same region first, then by
    distance from `location` (the lending store)."""
    requests = (
        SupportRequest.objects.filter(state=RequestState.OPEN, ends_at__gt=now)
        .exclude(requesting_location_id=location.pk)
        .select_related("requesting_location")
    )
    nearby = []
    for r in requests:
        asking = r.requesting_location
        distance = haversine_km(location.latitude, location.longitude, asking.latitude, asking.longitude)
        nearby.append(NearbyRequest(r, round(distance, 1), same_region=asking.region_id == location.region_id))
    nearby.sort(key=lambda n: (not n.same_region, n.distance_km, n.request.starts_at, n.request.pk))
    return nearby[:limit]


def requests_of(*, location_ids: frozenset[int] | None, limit: int = 100) -> QuerySet[SupportRequest]:
    """The requests of the stores an actor sees, newest first."""
    requests = SupportRequest.objects.select_related("requesting_location").order_by("-created_at", "-pk")
    if location_ids is not None:
        requests = requests.filter(requesting_location_id__in=location_ids)
    return requests[:limit]


def loans_of_request(request_id: int) -> QuerySet[Loan]:
    return Loan.objects.filter(request_id=request_id).select_related("employee", "lending_location").order_by("pk")


def loans_lent_by(*, location_ids: frozenset[int] | None, limit: int = 100) -> QuerySet[Loan]:
    loans = Loan.objects.select_related("employee", "request__requesting_location").order_by("-starts_at", "-pk")
    if location_ids is not None:
        loans = loans.filter(lending_location_id__in=location_ids)
    return loans[:limit]


def loans_of_employee(employee_id: int, limit: int = 100) -> QuerySet[Loan]:
    """An employee's own loans (offered to them, accepted, done), soonest first."""
    return (
        Loan.objects.filter(employee_id=employee_id)
        .select_related("request__requesting_location", "lending_location")
        .order_by("-starts_at", "-pk")[:limit]
    )


def get_request_for(*, actor: Actor, request_id: int) -> SupportRequest:
    """A request the actor's stores asked for; "missing" and "not yours" are the same 404."""
    request = SupportRequest.objects.select_related("requesting_location").filter(pk=request_id).first()
    if request is None or not (actor.system or actor.can_see_location(request.requesting_location_id)):
        raise not_found("support request")
    return request


def live_loans_of_employee(employee_id: int) -> QuerySet[Loan]:
    return Loan.objects.filter(employee_id=employee_id, state__in=LIVE_LOAN_STATES)


def get_loan_for(*, actor: Actor, loan_id: int) -> Loan:
    """A loan its lending store, its borrowing store or the lent employee may see; else a 404."""
    loan = (
        Loan.objects.select_related("request__requesting_location", "employee", "lending_location")
        .filter(pk=loan_id)
        .first()
    )
    if loan is None:
        raise not_found("loan")
    own = actor.employee is not None and actor.employee.pk == loan.employee_id
    sides = (loan.lending_location_id, loan.request.requesting_location_id)
    if not (actor.system or own or any(actor.can_see_location(side) for side in sides)):
        raise not_found("loan")
    return loan


def nearby_requests_for(*, actor: Actor, location_id: int, now: datetime) -> list[NearbyRequest]:
    """What a store that could lend sees: the open requests of other stores, nearest first."""
    authorize(actor, Operation.LEND_STAFF, location_id=location_id)
    location = Location.objects.filter(pk=location_id).first()
    if location is None:
        raise not_found("location")
    return open_requests_near(location=location, now=now)


def requests_for(*, actor: Actor) -> QuerySet[SupportRequest]:
    """The requests of the stores the actor asks for."""
    authorize(actor, Operation.ASK_FOR_STAFF)
    return requests_of(location_ids=actor.location_ids)


def my_loans(*, actor: Actor) -> QuerySet[Loan]:
    authorize(actor, Operation.VIEW_MY_LOANS)
    if actor.employee is None:
        raise DomainError(ErrorCode.FORBIDDEN, "employees have loans")
    return loans_of_employee(actor.employee.pk)
