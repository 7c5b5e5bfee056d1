"""Commission (docs/commission.md): an employee's balance and statements, HQ's plans. Every rule
lives in o2o.commission."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import BeforeValidator, Field, StrictStr

from o2o.api.auth import actor
from o2o.api.types import Id, IdempotencyKey, MoneyOrZero
from o2o.commission import selectors
from o2o.commission import services as commission
from o2o.commission.exports import statement_csv
from o2o.core.errors import DomainError, ErrorCode

router = Router(tags=["commission"])

Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2, allow_inf_nan=False)]


def _strict_date(value: object) -> object:
    if isinstance(value, str) and len(value) == 10:
        return value
    raise ValueError("a date is written YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_strict_date)]
Period = Annotated[StrictStr, Field(pattern=r"^\d{4}-\d{2}$")]


class RateIn(Schema):
    percent: Percent
    sku_id: Id | None = Field(None, description="a rate for this SKU")
    category_id: Id | None = Field(None, description="a rate for this category and the ones under it")


class TierIn(Schema):
    monthly_volume_from: MoneyOrZero
    bonus_percent: Percent


class PlanIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    effective_from: IsoDate
    effective_to: IsoDate | None = None
    monthly_cap: MoneyOrZero | None = None
    rates: list[RateIn] = Field(min_length=1, max_length=500, description="exactly one without sku and category")
    tiers: list[TierIn] = Field(default_factory=list, max_length=20)


class EndPlanIn(Schema):
    effective_to: IsoDate


class RateOut(Schema):
    sku_id: int | None
    category_id: int | None
    percent: Decimal


class TierOut(Schema):
    monthly_volume_from: Decimal
    bonus_percent: Decimal


class PlanOut(Schema):
    id: int
    name: str
    effective_from: date
    effective_to: date | None
    monthly_cap: Decimal | None
    rates: list[RateOut]
    tiers: list[TierOut]


class TotalsOut(Schema):
    accrued: Decimal
    reversed: Decimal
    clawed_back: Decimal
    settled: Decimal
    frozen: Decimal


class LineOut(Schema):
    entry_id: int
    order_id: int
    order_number: str
    paid_at: datetime | None
    sku_code: str
    sku_name: str
    touchpoint: str
    party: str
    split_percent: Decimal
    plan_id: int
    plan_name: str
    base_percent: Decimal
    tier_from: Decimal | None
    tier_bonus_percent: Decimal
    rate: Decimal
    base: Decimal
    accrued: Decimal
    clipped: bool
    reversed: Decimal
    settled: Decimal
    frozen: Decimal
    state: str
    frozen_until: datetime | None


class StatementOut(Schema):
    employee_id: int
    employee_name: str
    period: str
    lines: list[LineOut]
    totals: TotalsOut


class MeOut(Schema):
    employee_id: int
    frozen: Decimal
    settled: Decimal
    period: str
    month_volume: Decimal
    month: TotalsOut
    plan: PlanOut | None


class StatementQuery(Schema):
    employee_id: Id | None = Field(None, description="yours when left out")
    period: Period | None = Field(None, description="YYYY-MM; this month when left out")


def _plan(plan) -> dict:
    return {
        "id": plan.pk, "name": plan.name, "effective_from": plan.effective_from, "effective_to": plan.effective_to,
        "monthly_cap": plan.monthly_cap, "rates": list(plan.rates.all()), "tiers": list(plan.tiers.all()),
    }  # fmt: skip


def _totals(totals: selectors.Totals) -> dict:
    return {"accrued": totals.accrued, "reversed": totals.reversed, "clawed_back": totals.clawed_back,
            "settled": totals.settled, "frozen": totals.frozen}  # fmt: skip


def _statement(request: HttpRequest, query: StatementQuery) -> selectors.Statement:
    caller = actor(request)
    caller.require_staff()
    employee_id = query.employee_id or (caller.employee.pk if caller.employee else None)
    if employee_id is None:
        raise DomainError(ErrorCode.INVALID, "name the employee", field="employee_id")
    employee = selectors.employee_for(actor=caller, employee_id=employee_id)
    return selectors.statement(employee=employee, period=selectors.parse_period(query.period))


@router.get("/me", response=MeOut)
def my_commission(request: HttpRequest):
    """The signed-in employee's frozen and settled commission, and this month so far."""
    mine = selectors.my_commission(actor=actor(request))
    return {
        "employee_id": mine.employee.pk, "frozen": mine.frozen, "settled": mine.settled,
        "period": f"{mine.period:%Y-%m}", "month_volume": mine.month_volume, "month": _totals(mine.month),
        "plan": _plan(mine.plan) if mine.plan else None,
    }  # fmt: skip


@router.get("/statements", response=StatementOut)
def statement(request: HttpRequest, query: Query[StatementQuery]):
    """An employee's statement for a month: every credited line with the order, the touchpoint and
    split, the plan, rate and tier that produced it, what became of it, and the month's totals."""
    result = _statement(request, query)
    return {
        "employee_id": result.employee.pk, "employee_name": result.employee.display_name,
        "period": f"{result.period:%Y-%m}", "lines": result.lines, "totals": _totals(result.totals),
    }  # fmt: skip


@router.get("/statements.csv", response={200: str})
def statement_export(request: HttpRequest, query: Query[StatementQuery]):
    """The same statement as CSV (one row per line, then the totals)."""
    result = _statement(request, query)
    response = HttpResponse(statement_csv(result), content_type="text/csv; charset=utf-8")
    name = f"commission-{result.employee.code}-{result.period:%Y-%m}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get("/plans", response=list[PlanOut])
def plans(request: HttpRequest):
    """Every plan, newest first: the rules are open to every employee."""
    return [_plan(plan) for plan in selectors.plans_for(actor=actor(request))]


@router.get("/plans/{plan_id}", response=PlanOut)
def plan(request: HttpRequest, plan_id: Id):
    return _plan(selectors.plan_for_id(actor=actor(request), plan_id=plan_id))


@router.post("/plans", response={201: PlanOut})
def create_plan(request: HttpRequest, payload: PlanIn, idempotency_key: IdempotencyKey = None):
    """HQ: a new plan from a date: rates (one default, per category, per SKU), monthly volume tiers
    and a monthly cap. A retry with the same Idempotency-Key returns the first plan."""
    created = commission.create_plan(
        actor=actor(request),
        name=payload.name,
        effective_from=payload.effective_from,
        effective_to=payload.effective_to,
        monthly_cap=payload.monthly_cap,
        rates=[commission.RateIn(percent=r.percent, sku_id=r.sku_id, category_id=r.category_id) for r in payload.rates],
        tiers=[commission.TierIn(monthly_volume_from=t.monthly_volume_from, bonus_percent=t.bonus_percent)
               for t in payload.tiers],
        idempotency_key=idempotency_key,
    )  # fmt: skip
    return Status(201, _plan(created))


@router.post("/plans/{plan_id}/end", response=PlanOut)
def end_plan(request: HttpRequest, plan_id: Id, payload: EndPlanIn):
    """HQ: end a plan on a date (exclusive); entries already accrued under it keep it."""
    return _plan(commission.end_plan(actor=actor(request), plan_id=plan_id, effective_to=payload.effective_to))
