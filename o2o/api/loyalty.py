"""Points and member levels: a member's own points, level and history; HQ's level rules, category
points rules and points liability; adjustments by HQ or customer service. Every rule lives in
o2o.loyalty."""

import hashlib
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate
from pydantic import BeforeValidator, Field, StrictBool, StrictInt

from o2o.api.auth import actor
from o2o.api.pagination import CursorPagination
from o2o.api.types import Id, IdempotencyKey
from o2o.loyalty import levels as level_rules
from o2o.loyalty import selectors
from o2o.loyalty import services as loyalty
from o2o.loyalty.selectors import LoyaltyStatus

router = Router(tags=["loyalty"])


def _decimal_text(value: object) -> object:
    """A JSON number or a decimal string; `true` is not 1."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError("a number with at most two decimals")
    return value


Percent = Annotated[
    Decimal, BeforeValidator(_decimal_text), Field(ge=0, lt=100, max_digits=5, decimal_places=2, allow_inf_nan=False)
]
Multiplier = Annotated[
    Decimal, BeforeValidator(_decimal_text), Field(ge=0, le=10, max_digits=4, decimal_places=2, allow_inf_nan=False)
]


class ExpiringOut(Schema):
    on: date
    points: int


class LevelOut(Schema):
    code: str
    name: str
    rank: int
    min_growth: int
    discount_percent: Decimal
    points_multiplier: Decimal
    free_delivery: bool


class LoyaltyOut(Schema):
    member_id: int
    available: int
    available_value: Decimal
    pending: int
    expiring_soon: ExpiringOut | None
    level: LevelOut | None
    growth: int
    next_level: LevelOut | None
    growth_needed: int | None


def _status_out(status: LoyaltyStatus) -> dict:
    return {
        "member_id": status.member_id,
        "available": status.balance.available,
        "available_value": status.available_value,
        "pending": status.balance.pending,
        "expiring_soon": status.balance.expiring_soon,
        "level": status.level,
        "growth": status.growth,
        "next_level": status.next_level,
        "growth_needed": status.growth_needed,
    }


class EntryOut(Schema):
    id: int
    kind: str
    points: int
    order_id: int | None
    expires_at: datetime | None
    note: str
    created_at: datetime


class PendingOut(Schema):
    order_id: int
    line_id: int
    quantity: int
    points: int
    reversed_points: int
    created_at: datetime


class AdjustmentIn(Schema):
    member_id: Id
    points: StrictInt = Field(ge=-100_000_000, le=100_000_000, description="positive gives, negative takes")
    reason: str = Field(min_length=1, max_length=200)


class LevelIn(Schema):
    code: str = Field(pattern=r"^[a-z0-9_-]{1,20}$")
    name: str = Field(min_length=1, max_length=40)
    rank: StrictInt = Field(ge=0, le=1000)
    min_growth: StrictInt = Field(ge=0, le=100_000_000, description="yuan kept on completed orders in 12 months")
    discount_percent: Percent = Decimal(0)
    points_multiplier: Multiplier = Field(Decimal(1), ge=1)
    free_delivery: StrictBool = False


class CategoryRuleIn(Schema):
    category_id: Id
    multiplier: Multiplier | None = Field(description="0 to 10; null removes the rule (x1)")


class CategoryRuleOut(Schema):
    category_id: int
    category_name: str
    multiplier: Decimal | None


def _rule_out(rule) -> dict:
    return {"category_id": rule.category_id, "category_name": rule.category.name, "multiplier": rule.multiplier}


class LiabilityOut(Schema):
    accounts: int
    available: int
    available_value: Decimal
    pending: int
    pending_value: Decimal
    expiring_this_year: int


@router.get("/me", response=LoyaltyOut)
def my_points(request: HttpRequest):
    """The signed-in member's points (available, pending, expiring soon), level and growth value."""
    return _status_out(selectors.my_loyalty(actor=actor(request)))


@router.get("/me/history", response=list[EntryOut])
@paginate(CursorPagination, ordering=("-created_at", "-id"))
def my_history(request: HttpRequest):
    """Movements of the member's available points, newest first."""
    return selectors.my_history(actor=actor(request))


@router.get("/me/pending", response=list[PendingOut])
@paginate(CursorPagination, ordering=("-id",))
def my_pending(request: HttpRequest):
    """Points earned on orders that have not completed yet, by order line."""
    return selectors.my_pending(actor=actor(request))


@router.get("/levels", response=list[LevelOut])
def list_levels(request: HttpRequest):
    """The member levels with their thresholds and benefits."""
    return list(selectors.levels())


@router.post("/levels", response=LevelOut)
def save_level(request: HttpRequest, payload: LevelIn):
    """HQ creates or changes a level (by code); members move at the next nightly run."""
    return level_rules.save_level(actor=actor(request), rule=level_rules.LevelRule(**payload.dict()))


@router.get("/category-rules", response=list[CategoryRuleOut])
def list_category_rules(request: HttpRequest):
    return [_rule_out(rule) for rule in selectors.category_rules()]


@router.post("/category-rules", response=CategoryRuleOut)
def set_category_rule(request: HttpRequest, payload: CategoryRuleIn):
    """HQ sets a category's points multiplier (sub-categories without a rule follow it)."""
    rule = loyalty.set_category_rule(
        actor=actor(request), category_id=payload.category_id, multiplier=payload.multiplier
    )
    if rule is None:
        return {"category_id": payload.category_id, "category_name": "", "multiplier": None}
    return _rule_out(rule)


@router.post("/adjustments", response=EntryOut)
def adjust(request: HttpRequest, payload: AdjustmentIn, idempotency_key: IdempotencyKey = None):
    """HQ or customer service gives or takes points with a reason. A retry with the same
    Idempotency-Key returns the first entry."""
    who = actor(request)
    key = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40] if idempotency_key else uuid.uuid4().hex
    adjustment = loyalty.Adjustment(
        member_id=payload.member_id, points=payload.points, reason=payload.reason, reference=f"api:{who.user_id}:{key}"
    )
    return loyalty.adjust_points(actor=who, adjustment=adjustment)


@router.get("/members/{member_id}", response=LoyaltyOut)
def member_points(request: HttpRequest, member_id: Id):
    """A member's points and level, for HQ and customer service."""
    return _status_out(selectors.member_loyalty_for(actor=actor(request), member_id=member_id))


@router.get("/liability", response=LiabilityOut)
def liability(request: HttpRequest):
    """HQ: points the chain owes (available and pending) and what they are worth as tenders."""
    return selectors.liability_for(actor=actor(request))
