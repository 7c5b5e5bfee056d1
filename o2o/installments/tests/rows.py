"""A store credit plan with a repayment, made through the services (for screens that must show data)."""

from decimal import Decimal

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.installments.services import PlanRequest, repay, set_up_plan
from o2o.inventory.services import receive_stock
from o2o.testing.factories import SKUFactory
from o2o.testing.journeys import place_pickup_order


def installment_rows(*, store, member, clerk) -> None:
    sku = SKUFactory(price=Decimal("1000.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=2)
    order = place_pickup_order(member=member, store=store, sku=sku)
    plan = set_up_plan(actor=SYSTEM, order=order, request=PlanRequest(periods=3))
    repay(actor=actor_for_user(clerk.user), plan=plan, amount=Decimal("100.00"), method="cash")
