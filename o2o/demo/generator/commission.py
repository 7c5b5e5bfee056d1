"""Demo commission: a plan in force over the whole history (2% by default, 3% on the first
top-level category, tiers from 5,000 and 20,000 a month, a 3,000 monthly cap), then the ledger
for the credits attribution wrote for the history's orders (the first store's staff, the last
21 days): accrued, reversed for returned units, settled for completed orders. Written through
commission's own services (inside the demo's transaction), so balances, months and entries agree
(`o2o audit`)."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model

from o2o.attribution.models import CreditKind, LineCredit
from o2o.catalog.models import Category
from o2o.commission import services
from o2o.commission.models import CommissionEntry, CommissionPlan, EntryKind, PlanRate, PlanTier
from o2o.demo.generator.base import Run
from o2o.orders.models import Order, OrderState
from o2o.staff.models import Employee, Role
from o2o.stores.models import Location

LEDGER_DAYS = 21


def create_commission(run: Run) -> int:
    owner = Employee.objects.filter(role=Role.HQ).select_related("user").first()
    user = owner.user if owner else get_user_model().objects.filter(is_superuser=True).first()
    if user is None:
        return 0
    plan = CommissionPlan.objects.create(name="门店提成 2026", effective_from=run.today - timedelta(days=run.days + 62),
                                         monthly_cap=Decimal("3000.00"), created_by=user)  # fmt: skip
    PlanRate.objects.create(plan=plan, percent=Decimal("2.00"))
    top = Category.objects.filter(parent=None).order_by("pk").first()
    if top is not None:
        PlanRate.objects.create(plan=plan, category=top, percent=Decimal("3.00"))
    PlanTier.objects.create(plan=plan, monthly_volume_from=Decimal("5000.00"), bonus_percent=Decimal("0.50"))
    PlanTier.objects.create(plan=plan, monthly_volume_from=Decimal("20000.00"), bonus_percent=Decimal("1.00"))
    # The ledger goes through the services order by order (about 30 ms each): the first store's staff
    # (the demo's logins) over the last LEDGER_DAYS days keep `make demo` quick; the plan is the chain's.
    first_store = Location.objects.filter(kind=Location.Kind.STORE).order_by("pk").first()
    credits = (
        LineCredit.objects.filter(
            employee__isnull=False,
            employee__home_location=first_store,
            occurred_at__gte=run.at(run.today - timedelta(days=LEDGER_DAYS)),
        )
        .select_related("line")
        .order_by("occurred_at", "pk")
    )
    by_order: dict[int, list[LineCredit]] = defaultdict(list)
    reversals: list[LineCredit] = []
    for credit in credits:
        (by_order[credit.order_id] if credit.kind == CreditKind.CREDIT else reversals).append(credit)
    orders = Order.objects.in_bulk(list(by_order))
    for order_id, order_credits in by_order.items():
        services.accrue(order=orders[order_id], credits=order_credits)
    services.reverse(credits=reversals)
    completed = Order.objects.filter(pk__in=list(by_order), state=OrderState.COMPLETED).values_list("pk", flat=True)
    for order_id in completed:
        services.settle_order(order_id=order_id)
    accrued = CommissionEntry.objects.filter(kind=EntryKind.ACCRUAL).count()
    run.say(f"commission: plan {plan.name}, {accrued} accruals for {len(by_order)} orders")
    return accrued
