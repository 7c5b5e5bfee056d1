"""Store credit plans (分期): set up at checkout, repaid at the counter, listed for the member and HQ."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from o2o.api.auth import actor
from o2o.api.pagination import CursorPagination
from o2o.api.types import Id, IdempotencyKey
from o2o.installments import selectors
from o2o.installments import services as installments
from o2o.installments.models import DueState, InstallmentRepayment, PlanState, RepaymentMethod
from o2o.orders.selectors import get_order_for

router = Router(tags=["installments"])

Amount = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]
Periods = Annotated[int, Field(strict=True, description="3, 6 or 12 monthly dues")]


class PlanIn(Schema):
    periods: Periods
    down_payment: Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)] = Decimal("0.00")
    down_payment_method: RepaymentMethod | None = Field(
        None, description="At the counter: how the down payment is paid now. Online: leave out (pay it at the gateway)."
    )
    member_code: str | None = Field(
        None, min_length=1, max_length=40, description="At the counter: the member's payment code (their consent)."
    )


class DueOut(Schema):
    seq: int
    due_date: date
    amount: Decimal
    paid_amount: Decimal
    paid_at: datetime | None
    state: DueState


class RepaymentOut(Schema):
    id: int
    plan_id: int
    kind: InstallmentRepayment.Kind
    amount: Decimal
    method: RepaymentMethod
    location_id: int
    created_at: datetime


class PlanOut(Schema):
    id: int
    order_id: int
    order_number: str
    member_id: int
    periods: int
    down_payment: Decimal
    financed_amount: Decimal
    fee_percent: Decimal
    fee: Decimal
    credit_refunded: Decimal
    outstanding: Decimal
    state: PlanState
    created_at: datetime
    settled_at: datetime | None
    dues: list[DueOut]

    @staticmethod
    def resolve_order_number(plan) -> str:
        return plan.order.number

    @staticmethod
    def resolve_outstanding(plan) -> Decimal:
        return sum(
            (d.amount - d.paid_amount for d in plan.dues.all() if d.state in ("due", "overdue")), Decimal("0.00")
        )

    @staticmethod
    def resolve_dues(plan) -> list:
        return sorted(plan.dues.all(), key=lambda d: d.seq)


class RepaymentIn(Schema):
    amount: Amount
    method: RepaymentMethod


class SettleIn(Schema):
    method: RepaymentMethod


class RepaidOut(Schema):
    repayment: RepaymentOut
    plan: PlanOut


class OptionOut(Schema):
    periods: int
    financed: Decimal
    fee_percent: Decimal
    fee: Decimal
    total: Decimal
    dues: list[tuple[date, Decimal]]


class PlanFilter(Schema):
    state: PlanState | None = None


class OverdueOut(Schema):
    plan_id: int
    order_number: str
    location_id: int
    seq: int
    due_date: date
    amount: Decimal
    paid_amount: Decimal

    @staticmethod
    def resolve_order_number(due) -> str:
        return due.plan.order.number

    @staticmethod
    def resolve_location_id(due) -> int:
        return due.plan.location_id


class OptionsFilter(Schema):
    down_payment: Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)] = Decimal("0.00")


@router.get("/orders/{order_id}/options", response=list[OptionOut])
def plan_options(request: HttpRequest, order_id: Id, filters: Query[OptionsFilter]):
    """The plans this order can be paid with (empty when it is below the minimum)."""
    order = get_order_for(actor=actor(request), order_id=order_id)
    return selectors.plan_options(order=order, down_payment=filters.down_payment)


@router.post("/orders/{order_id}/plan", response={201: PlanOut})
def set_up_plan(request: HttpRequest, order_id: Id, payload: PlanIn, idempotency_key: IdempotencyKey = None):
    """Pay the order (what is left after the down payment) with a store credit plan. The member
    for their own order online, or a clerk of the selling store at the counter."""
    who = actor(request)
    order = get_order_for(actor=who, order_id=order_id)
    plan_request = installments.PlanRequest(
        periods=payload.periods,
        down_payment=payload.down_payment,
        down_payment_method=payload.down_payment_method,
        member_code=payload.member_code,
    )
    plan = installments.set_up_plan(actor=who, order=order, request=plan_request, idempotency_key=idempotency_key)
    return Status(201, selectors.get_plan_for(actor=who, plan_id=plan.pk))


@router.get("/plans", response=list[PlanOut])
@paginate(CursorPagination, ordering=("-id",))
def list_plans(request: HttpRequest, filters: Query[PlanFilter]):
    """A member's own plans; staff: the plans of the stores they see."""
    return selectors.plans_for(actor=actor(request), state=filters.state)


@router.get("/plans/{plan_id}", response=PlanOut)
def get_plan(request: HttpRequest, plan_id: Id):
    return selectors.get_plan_for(actor=actor(request), plan_id=plan_id)


@router.post("/plans/{plan_id}/repayments", response={201: RepaidOut})
def repay(request: HttpRequest, plan_id: Id, payload: RepaymentIn, idempotency_key: IdempotencyKey = None):
    """Money taken at the counter for the plan, paying the oldest dues first. A retry with the
    same Idempotency-Key returns the first repayment."""
    who = actor(request)
    plan = selectors.get_plan_for(actor=who, plan_id=plan_id)
    repayment = installments.repay(
        actor=who, plan=plan, amount=payload.amount, method=payload.method, idempotency_key=idempotency_key
    )
    return Status(201, {"repayment": repayment, "plan": selectors.get_plan_for(actor=who, plan_id=plan_id)})


@router.post("/plans/{plan_id}/settle", response={201: RepaidOut})
def settle(request: HttpRequest, plan_id: Id, payload: SettleIn, idempotency_key: IdempotencyKey = None):
    """Early settlement at the counter: everything still owed, in one repayment."""
    who = actor(request)
    plan = selectors.get_plan_for(actor=who, plan_id=plan_id)
    repayment = installments.settle(actor=who, plan=plan, method=payload.method, idempotency_key=idempotency_key)
    return Status(201, {"repayment": repayment, "plan": selectors.get_plan_for(actor=who, plan_id=plan_id)})


@router.get("/overdue", response=list[OverdueOut])
@paginate(CursorPagination, ordering=("id",))
def overdue(request: HttpRequest):
    """HQ and customer service: every due past its date and not paid."""
    return selectors.overdue_dues(actor=actor(request))
