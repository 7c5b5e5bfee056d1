"""A substitute the customer agreed to, before hand-over: the missing units go out as the other
product, its stock is held in their place, no money moves, and the books agree after hand-over."""

from decimal import Decimal

import pytest

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.incidents.models import Incident, IncidentAction
from o2o.inventory.models import StockLevel
from o2o.inventory.selectors import audit_stock
from o2o.inventory.services import receive_stock
from o2o.orders.audit import stock_from_business_facts
from o2o.orders.models import Exchange, OrderLine, OrderState
from o2o.payments.models import Refund
from o2o.pickup.models import PickupVoucher
from o2o.pickup.services import redeem_pickup_voucher
from o2o.preparation import services as preparation
from o2o.staff.models import Role
from o2o.testing.api import as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def tea(store):
    tea = SKUFactory(name="乌龙茶 500ml", price=Decimal("3.33"))
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=10, actor=SYSTEM)
    return tea


@pytest.fixture
def manager(store):
    return EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)


def _one_missing_of_three(store, member, tea):
    """Three ordered, two on the shelf at pick time: the clerk reports one missing."""
    order = paid_pickup_order(member=member, store=store, sku=tea, quantity=3)
    prep = order.preparation
    preparation.accept_preparation(actor=SYSTEM, preparation_id=prep.pk)
    preparation.pick_line(actor=SYSTEM, preparation_id=prep.pk, sku_id=tea.pk, quantity=2)
    line = OrderLine.objects.get(order=order)
    preparation.report_shortage(actor=SYSTEM, preparation_id=prep.pk, line_id=line.pk, available=2)
    return order, Incident.objects.get(order=order, kind="item_missing")


def _levels(store, *skus) -> list[tuple[int, int]]:
    levels = StockLevel.objects.filter(location=store)
    return [tuple(levels.filter(sku=sku).values_list("on_hand", "reserved").get()) for sku in skus]


def test_an_agreed_substitute_goes_out_in_place_of_the_missing_unit(store, member, tea, manager, clerk):
    order, incident = _one_missing_of_three(store, member, tea)
    green = SKUFactory(name="绿茶 500ml", price=Decimal("3.50"))
    receive_stock(location_id=store.pk, sku_id=green.pk, quantity=4, actor=SYSTEM)
    staff = as_staff(manager)

    assert staff.post(f"incidents/{incident.pk}/substitutes", {"sku_id": green.pk}).status_code == 201
    agreed = staff.post(f"incidents/{incident.pk}/substitutes/answer", {"accepted": True})

    assert agreed.status_code == 201, agreed.content
    assert _levels(store, tea, green) == [(10, 2), (4, 1)]  # the missing tea no longer held, the green tea is
    assert OrderLine.objects.get(order=order).exchanged_quantity == 1
    assert list(Exchange.objects.values_list("from_sku_id", "to_sku_id", "quantity")) == [(tea.pk, green.pk, 1)]
    # the customer took the substitute: the same units are not refunded as well
    refund = staff.post(f"incidents/{incident.pk}/refunds", {"quantity": 1})
    assert (refund.status_code, problem_code(refund)) == (409, "conflict")
    assert Refund.objects.count() == 0

    # the order is made ready and handed over: two teas and one green tea leave the shelf
    preparation.mark_ready(actor=SYSTEM, preparation_id=order.preparation.pk)
    code = PickupVoucher.objects.get(order=order).code
    redeem_pickup_voucher(actor=actor_for_user(clerk.user), presented=code)
    order.refresh_from_db()
    assert order.state == OrderState.PICKED_UP
    assert _levels(store, tea, green) == [(8, 0), (3, 0)]
    assert audit_stock() == [] and stock_from_business_facts() == []
    assert order.refunded_total == 0


def test_a_substitute_not_on_the_shelf_is_refused_and_nothing_changes(store, member, tea, manager):
    order, incident = _one_missing_of_three(store, member, tea)
    absent = SKUFactory(name="红茶 500ml", price=Decimal("3.33"))
    staff = as_staff(manager)
    staff.post(f"incidents/{incident.pk}/substitutes", {"sku_id": absent.pk})

    refused = staff.post(f"incidents/{incident.pk}/substitutes/answer", {"accepted": True})

    assert (refused.status_code, problem_code(refused)) == (409, "insufficient_stock")
    assert not IncidentAction.objects.filter(kind="substitute_accepted").exists()
    assert Incident.objects.get(pk=incident.pk).state == "open"
    assert _levels(store, tea) == [(10, 3)]
    assert OrderLine.objects.get(order=order).exchanged_quantity == 0 and not Exchange.objects.exists()


def test_the_missing_product_itself_is_no_substitute(store, member, tea, manager):
    _order, incident = _one_missing_of_three(store, member, tea)
    offered = as_staff(manager).post(f"incidents/{incident.pk}/substitutes", {"sku_id": tea.pk})
    assert (offered.status_code, problem_code(offered)) == (422, "invalid")
