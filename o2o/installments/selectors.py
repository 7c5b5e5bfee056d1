"""Reads of store credit plans for the API, the pages and the audit."""

from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.errors import not_found
from o2o.core.money import to_money
from o2o.installments.models import PLAN_LENGTHS, DueState, InstallmentDue, InstallmentPlan, PlanState
from o2o.installments.terms import Terms, min_amount, terms_for
from o2o.orders.models import Order, OrderState
from o2o.payments.models import Payment

ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=12, decimal_places=2))


def _visible_plans(actor: Actor) -> QuerySet[InstallmentPlan]:
    plans = InstallmentPlan.objects.all()
    if actor.member is not None:
        return plans.filter(member=actor.member)
    if not actor.is_staff:
        return plans.none()
    if actor.location_ids is None:
        return plans
    return plans.filter(location_id__in=actor.location_ids)


def plans_for(*, actor: Actor, state: str | None = None) -> QuerySet[InstallmentPlan]:
    plans = _visible_plans(actor).select_related("order", "member").prefetch_related("dues")
    if state:
        plans = plans.filter(state=state)
    return plans.order_by("-pk")


def get_plan_for(*, actor: Actor, plan_id: int) -> InstallmentPlan:
    """The plan if the actor may see it; the same 404 whether it is missing or not theirs."""
    plan = plans_for(actor=actor).filter(pk=plan_id).first()
    if plan is None:
        raise not_found("installment plan")
    return plan


def plan_of_order(*, order_id: int) -> InstallmentPlan | None:
    return InstallmentPlan.objects.filter(order_id=order_id).first()


def outstanding(*, plan_id: int) -> Decimal:
    """What is still owed on the plan (open dues, unpaid parts)."""
    dues = InstallmentDue.objects.filter(plan_id=plan_id, state__in=[DueState.DUE, DueState.OVERDUE])
    owed = dues.aggregate(owed=Coalesce(Sum("amount"), ZERO) - Coalesce(Sum("paid_amount"), ZERO))["owed"]
    return to_money(owed)  # SQLite sums decimals as floats


def tendered(*, order_id: int) -> Decimal:
    """What the order's succeeded tenders cover already (a down payment by another tender)."""
    paid = Payment.objects.filter(order_id=order_id, state=Payment.State.SUCCEEDED)
    return to_money(paid.aggregate(total=Coalesce(Sum("amount"), ZERO))["total"])


def store_credit_refunded(*, order_id: int) -> Decimal:
    """What the payments app refunded of the order's store credit tender (returns, cancellation)."""
    tenders = Payment.objects.filter(order_id=order_id, method="store_credit")
    return tenders.aggregate(total=Coalesce(Sum("refunded_amount"), ZERO))["total"]


def plan_options(*, order: Order, down_payment: Decimal = Decimal("0.00")) -> list[Terms]:
    """The plans the customer can choose from for this order (empty when it does not qualify)."""
    financed = order.total - tendered(order_id=order.pk) - down_payment
    if order.total < min_amount() or financed <= 0:
        return []
    start = timezone.localdate()
    return [terms_for(financed=financed, periods=periods, start=start) for periods in PLAN_LENGTHS]


def overdue_dues(*, actor: Actor, today: date | None = None) -> QuerySet[InstallmentDue]:
    """HQ's list: every due past its date and not paid, oldest first, with its plan, order and store."""
    authorize(actor, Operation.VIEW_OVERDUE_INSTALLMENTS)
    today = today or timezone.localdate()
    return (
        InstallmentDue.objects.filter(Q(state=DueState.OVERDUE) | Q(state=DueState.DUE, due_date__lt=today))
        .filter(plan__state__in=[PlanState.ACTIVE, PlanState.OVERDUE])
        .select_related("plan__order", "plan__member", "plan__location")
        .order_by("due_date", "pk")
    )


def plans_behind_refunds() -> list[int]:
    """Order ids of plans that have not yet applied all the refunds of their store credit tender
    (or whose order was cancelled unpaid)."""
    refunded = (
        Payment.objects.filter(order_id=OuterRef("order_id"), method="store_credit")
        .values("order_id")
        .annotate(total=Sum("refunded_amount"))
        .values("total")
    )
    plans = InstallmentPlan.objects.annotate(tender_refunded=Coalesce(Subquery(refunded), ZERO)).filter(
        Q(credit_refunded__lt=F("tender_refunded"))
        | Q(order__state=OrderState.CANCELLED, credit_refunded__lt=F("financed_amount"))
    )
    return list(plans.values_list("order_id", flat=True)[:500])
