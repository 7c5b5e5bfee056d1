"""Audit checks on store credit plans, business facts against each other:

- the dues add up to what was financed plus the fee, less what returns took off (the refunded
  part of the store credit tender and the fee that goes with it);
- the repayment rows add up to what the dues say was paid;
- every plan of an order that was not cancelled is the order's store credit tender, of the
  financed amount, and has applied exactly the refunds of that tender;
- a plan's state agrees with its dues (settled or cancelled: nothing open; open: something owed).
"""

from django.db.models import Count, DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from o2o.core.findings import Finding
from o2o.installments.models import OPEN_PLAN_STATES, DueState, InstallmentPlan, InstallmentRepayment
from o2o.installments.terms import fee_share
from o2o.orders.models import OrderState
from o2o.payments.models import Payment

LIMIT = 1000
_ZERO = Value(0, output_field=DecimalField(max_digits=12, decimal_places=2))
_OPEN_DUES = Q(dues__state__in=[DueState.DUE, DueState.OVERDUE])


def dues_against_plans() -> list[Finding]:
    findings = []
    plans = InstallmentPlan.objects.annotate(dues_total=Coalesce(Sum("dues__amount"), _ZERO), n=Count("dues"))
    for plan in plans.order_by("pk")[: LIMIT * 10]:
        expected = plan.financed_amount + plan.fee - plan.credit_refunded - fee_share(plan, plan.credit_refunded)
        if plan.dues_total != expected or plan.n != plan.periods:
            findings.append(
                Finding(
                    "installment_dues_against_plan",
                    f"plan {plan.pk}",
                    f"{plan.n} dues of {plan.dues_total}; expected {plan.periods} of {expected}",
                )
            )
    return findings[:LIMIT]


def repayments_against_dues() -> list[Finding]:
    repaid = (
        InstallmentRepayment.objects.filter(plan=OuterRef("pk"))
        .values("plan")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    plans = InstallmentPlan.objects.annotate(
        paid=Coalesce(Sum("dues__paid_amount"), _ZERO), repaid=Coalesce(Subquery(repaid), _ZERO)
    ).exclude(paid=Coalesce(Subquery(repaid), _ZERO))
    return [
        Finding("installment_repayments_against_dues", f"plan {pk}", f"dues paid {paid}, repayments add up to {rep}")
        for pk, paid, rep in plans.values_list("pk", "paid", "repaid")[:LIMIT]
    ]


def plans_against_tenders() -> list[Finding]:
    tender = Payment.objects.filter(order_id=OuterRef("order_id"), method="store_credit", state="succeeded")
    plans = InstallmentPlan.objects.exclude(order__state=OrderState.CANCELLED).annotate(
        tender_amount=Coalesce(Subquery(tender.values("amount")[:1]), _ZERO),
        tender_refunded=Coalesce(Subquery(tender.values("refunded_amount")[:1]), _ZERO),
    )
    findings = []
    for pk, financed, reduced, amount, refunded in plans.values_list(
        "pk", "financed_amount", "credit_refunded", "tender_amount", "tender_refunded"
    )[:LIMIT]:
        if amount != financed or refunded != reduced:
            findings.append(
                Finding(
                    "installment_plan_against_tender",
                    f"plan {pk}",
                    f"financed {financed}, reduced {reduced}; store credit tender {amount}, refunded {refunded}",
                )
            )
    return findings


def states_against_dues() -> list[Finding]:
    plans = InstallmentPlan.objects.annotate(open_dues=Count("dues", filter=_OPEN_DUES))
    wrong = plans.filter(
        Q(state__in=OPEN_PLAN_STATES, open_dues=0) | (~Q(state__in=OPEN_PLAN_STATES) & Q(open_dues__gt=0))
    )
    return [
        Finding("installment_state_against_dues", f"plan {pk}", f"{state} with {n} open dues")
        for pk, state, n in wrong.values_list("pk", "state", "open_dues")[:LIMIT]
    ]


def run() -> list[Finding]:
    return [*dues_against_plans(), *repayments_against_dues(), *plans_against_tenders(), *states_against_dues()]
