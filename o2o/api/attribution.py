"""Attribution: the touchpoint matrix and who was credited for an order's lines (docs/attribution.md)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import BeforeValidator, Field

from o2o.api.auth import actor
from o2o.api.types import Id, IdempotencyKey
from o2o.attribution import selectors, services
from o2o.attribution.models import MATRIX_PARTIES, Lead, Touchpoint

router = Router(tags=["attribution"])


def _number_text(value: object) -> object:
    """A JSON number or a decimal string; `true` is not 1 percent."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError("a percentage is a number with at most two decimals")
    return value


Percent = Annotated[
    Decimal,
    BeforeValidator(_number_text),
    Field(gt=0, le=100, max_digits=5, decimal_places=2, allow_inf_nan=False),
]


class ShareSchema(Schema):
    party: str = Field(description="One of: " + ", ".join(MATRIX_PARTIES), max_length=24)
    percent: Percent
    is_owner: bool = False


class RuleSchema(Schema):
    touchpoint: Touchpoint
    lead: Lead
    shares: list[ShareSchema] = Field(min_length=1, max_length=len(MATRIX_PARTIES))


class VersionIn(Schema):
    effective_from: date = Field(description="Today or later (local date); orders paid from then on")
    note: str = Field("", max_length=200)
    rules: list[RuleSchema] = Field(description="Every touchpoint once", max_length=len(Touchpoint.values))


class VersionOut(Schema):
    id: int
    effective_from: date
    note: str
    created_at: datetime


class MatrixOut(Schema):
    current: VersionOut | None
    rules: list[RuleSchema] = Field(description="The rules of the version in force today")
    versions: list[VersionOut] = Field(description="Every version, newest first (future ones too)")


class CreditOut(Schema):
    id: int
    line_id: int
    sku_code: str
    touchpoint: str
    version_id: int
    party: str
    redirected_from: str = Field(description="Whose share it was, when that party was missing")
    employee_id: int | None
    employee_name: str | None
    location_id: int | None
    location_name: str | None
    percent: Decimal
    amount: Decimal = Field(description="Signed: reversals of returned units are negative")
    quantity: int
    kind: str
    reverses_id: int | None
    occurred_at: datetime

    @staticmethod
    def resolve_sku_code(credit) -> str:
        return credit.line.sku.code

    @staticmethod
    def resolve_employee_name(credit) -> str | None:
        return credit.employee.display_name if credit.employee_id else None

    @staticmethod
    def resolve_location_name(credit) -> str | None:
        return credit.location.name if credit.location_id else None


class OrderCreditsOut(Schema):
    order_id: int
    order_number: str
    credits: list[CreditOut]
    total: Decimal = Field(description="Sum of the credits shown")


@router.get("/matrix", response=MatrixOut)
def matrix(request: HttpRequest):
    """Staff: the version of the matrix in force today (its rules) and every version."""
    current, versions = selectors.matrix_for(actor=actor(request))
    return {
        "current": current.version if current else None,
        "rules": [
            {"touchpoint": r.touchpoint, "lead": r.lead, "shares": [vars(s) for s in r.shares]}
            for r in (current.rules if current else [])
        ],
        "versions": versions,
    }


@router.post("/matrix/versions", response={201: VersionOut})
def publish_version(request: HttpRequest, payload: VersionIn, idempotency_key: IdempotencyKey = None):
    """HQ: a new version of the matrix, in force from its date (today or later). Every touchpoint's
    shares add up to 100 with one owner; credits already written never change."""
    version = services.publish_matrix_version(
        actor=actor(request),
        effective_from=payload.effective_from,
        note=payload.note,
        rules=[
            services.RuleIn(
                touchpoint=rule.touchpoint,
                lead=rule.lead,
                shares=[services.ShareIn(s.party, s.percent, s.is_owner) for s in rule.shares],
            )
            for rule in payload.rules
        ],
        idempotency_key=idempotency_key,
    )
    return Status(201, version)


@router.get("/orders/{order_id}/credits", response=OrderCreditsOut)
def order_credits(request: HttpRequest, order_id: Id):
    """Who was credited for the order's lines: HQ, the region's supervisor, the manager of the
    selling or fulfilling store see all; an employee credited on it sees their own; others 404."""
    order, credits = selectors.order_credits_for(actor=actor(request), order_id=order_id)
    return {
        "order_id": order.pk,
        "order_number": order.number,
        "credits": credits,
        "total": sum((c.amount for c in credits), Decimal("0.00")),
    }
