"""Incidents and their standard remedies (docs/incidents.md): a store's list, one incident with
who did what, opening by hand, the remedies, closing, and HQ's counts by type, store and step.

A store's staff see and work only their store's incidents (another store's answers 404)."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field, StrictBool, StrictInt

from o2o.api.auth import actor
from o2o.api.pagination import CursorPagination
from o2o.api.types import Id, IdempotencyKey, Quantity, StrictId
from o2o.core.errors import DomainError, ErrorCode
from o2o.incidents import selectors, services
from o2o.incidents.catalogue import CATALOGUE, IncidentKind
from o2o.incidents.models import IncidentState, Outcome

router = Router(tags=["incidents"])

MAX_PERIOD = timedelta(days=366)


class CatalogueOut(Schema):
    kind: str
    step: str
    remedy: str
    window_minutes: int
    needs_line: bool


class IncidentOut(Schema):
    id: int
    kind: str
    step: str
    state: str
    order_id: int
    order_number: str
    line_id: int | None
    location_id: int
    remedy: str
    quantity: int
    refunded_quantity: int
    refunded_amount: Decimal
    detail: str
    opened_by_id: int | None
    opened_at: datetime
    due_by: datetime
    overdue: bool
    remedied_at: datetime | None
    closed_at: datetime | None
    outcome: str
    outcome_note: str

    @staticmethod
    def resolve_order_number(incident) -> str:
        return incident.order.number

    @staticmethod
    def resolve_overdue(incident) -> bool:
        return bool(getattr(incident, "overdue", False))


class ActionOut(Schema):
    id: int
    kind: str
    actor_id: int | None
    at: datetime
    quantity: int | None
    amount: Decimal | None
    sku_id: int | None
    reference: str
    note: str


class IncidentDetailOut(IncidentOut):
    actions: list[ActionOut]

    @staticmethod
    def resolve_actions(incident) -> list:
        return list(incident.actions.all())


class OpenIn(Schema):
    order_id: Id
    kind: Literal[tuple(IncidentKind.values)]  # type: ignore[valid-type]
    line_id: Id | None = None
    quantity: StrictInt = Field(0, ge=0, le=1_000_000, description="units of the line concerned")
    detail: str = Field("", max_length=services.MAX_NOTE)


class RefundIn(Schema):
    quantity: Quantity = Field(le=1_000_000)


class CouponIn(Schema):
    template_id: StrictId


class NoteIn(Schema):
    note: str = Field(min_length=1, max_length=services.MAX_NOTE)


class SubstituteIn(Schema):
    sku_id: StrictId
    note: str = Field("", max_length=services.MAX_NOTE)


class AnswerIn(Schema):
    accepted: StrictBool
    note: str = Field("", max_length=services.MAX_NOTE)


class CloseIn(Schema):
    outcome: Literal[tuple(Outcome.values)]  # type: ignore[valid-type]
    note: str = Field("", max_length=services.MAX_NOTE)


class ListFilter(Schema):
    state: Literal[tuple(IncidentState.values)] | None = None  # type: ignore[valid-type]
    kind: Literal[tuple(IncidentKind.values)] | None = None  # type: ignore[valid-type]
    location_id: Id | None = None
    overdue: bool = False


class CountRow(Schema):
    key: str
    name: str
    total: int
    open: int
    overdue: int


class CountsOut(Schema):
    since: datetime
    until: datetime
    total: int
    overdue: int
    by_kind: list[CountRow]
    by_location: list[CountRow]
    by_step: list[CountRow]


@router.get("/catalogue", response=list[CatalogueOut])
def catalogue(request: HttpRequest):
    """Every failure the chain knows, its step, standard remedy and time to act."""
    return [
        {
            "kind": f.kind,
            "step": f.step,
            "remedy": f.remedy,
            "window_minutes": int(f.window.total_seconds() // 60),
            "needs_line": f.needs_line,
        }
        for f in CATALOGUE.values()
    ]


@router.get("", response=list[IncidentOut])
@paginate(CursorPagination, ordering=("-opened_at", "-id"))
def incidents(request: HttpRequest, filters: Query[ListFilter]):
    return selectors.incidents_for(
        actor=actor(request),
        state=filters.state,
        kind=filters.kind,
        location_id=filters.location_id,
        overdue_only=filters.overdue,
    )


@router.get("/counts", response=CountsOut)
def counts(request: HttpRequest, since: datetime | None = None, until: datetime | None = None):
    """HQ's view: incidents opened in [since, until) (the last 7 days by default) by type, store and step."""
    until = until or timezone.now()
    since = since or until - timedelta(days=7)
    if since.tzinfo is None or until.tzinfo is None or not since < until <= since + MAX_PERIOD:
        raise DomainError(ErrorCode.INVALID, "a period with a time zone, since before until, at most a year")
    found = selectors.counts(actor=actor(request), since=since, until=until)
    return {
        "since": since,
        "until": until,
        "total": found["total"],
        "overdue": found["overdue"],
        "by_kind": [_row(r["kind"], IncidentKind(r["kind"]).label, r) for r in found["by_kind"]],
        "by_location": [_row(str(r["location_id"]), r["location__name"], r) for r in found["by_location"]],
        "by_step": [_row(r["step"], r["step"], r) for r in found["by_step"]],
    }


def _row(key: str, name, row: dict) -> dict:
    return {"key": key, "name": str(name), "total": row["total"], "open": row["open"], "overdue": row["overdue"]}


@router.get("/{incident_id}", response=IncidentDetailOut)
def incident(request: HttpRequest, incident_id: Id):
    return selectors.get_incident_for(actor=actor(request), incident_id=incident_id)


@router.post("", response={201: IncidentDetailOut})
def open_incident(request: HttpRequest, payload: OpenIn):
    """Open an incident by hand (a wrong or damaged item: name the line and the units); 409 when
    the same one is open already."""
    opened = services.open_incident(
        actor=actor(request),
        order_id=payload.order_id,
        kind=payload.kind,
        line_id=payload.line_id,
        quantity=payload.quantity,
        detail=payload.detail,
    )
    return Status(201, incident(request, opened.pk))


@router.post("/{incident_id}/refunds", response={201: ActionOut})
def refund(request: HttpRequest, incident_id: Id, payload: RefundIn, idempotency_key: IdempotencyKey = None):
    """Money back for units of the incident's line (never more than it concerns); a retry under the
    same Idempotency-Key returns the first refund."""
    done = services.refund_units(
        actor=actor(request), incident_id=incident_id, quantity=payload.quantity, key=idempotency_key
    )
    return Status(201, done)


@router.post("/{incident_id}/coupons", response={201: ActionOut})
def coupon(request: HttpRequest, incident_id: Id, payload: CouponIn, idempotency_key: IdempotencyKey = None):
    done = services.grant_apology_coupon(
        actor=actor(request), incident_id=incident_id, template_id=payload.template_id, key=idempotency_key
    )
    return Status(201, done)


@router.post("/{incident_id}/redeliveries", response={201: ActionOut})
def redelivery(request: HttpRequest, incident_id: Id, payload: NoteIn, idempotency_key: IdempotencyKey = None):
    done = services.arrange_redelivery(
        actor=actor(request), incident_id=incident_id, note=payload.note, key=idempotency_key
    )
    return Status(201, done)


@router.post("/{incident_id}/substitutes", response={201: ActionOut})
def substitute(request: HttpRequest, incident_id: Id, payload: SubstituteIn):
    """Offer another product in place of the incident's units; nothing is swapped until the customer agrees."""
    done = services.offer_substitute(
        actor=actor(request), incident_id=incident_id, sku_id=payload.sku_id, note=payload.note
    )
    return Status(201, done)


@router.post("/{incident_id}/substitutes/answer", response={201: ActionOut})
def answer(request: HttpRequest, incident_id: Id, payload: AnswerIn):
    done = services.record_substitute_answer(
        actor=actor(request), incident_id=incident_id, accepted=payload.accepted, note=payload.note
    )
    return Status(201, done)


@router.post("/{incident_id}/contacts", response={201: ActionOut})
def contact(request: HttpRequest, incident_id: Id, payload: NoteIn):
    done = services.record_contact(actor=actor(request), incident_id=incident_id, note=payload.note)
    return Status(201, done)


@router.post("/{incident_id}/close", response=IncidentDetailOut)
def close(request: HttpRequest, incident_id: Id, payload: CloseIn):
    closed = services.close_incident(
        actor=actor(request), incident_id=incident_id, outcome=payload.outcome, note=payload.note
    )
    return incident(request, closed.pk)
