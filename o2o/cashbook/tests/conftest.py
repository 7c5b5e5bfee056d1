from decimal import Decimal

import pytest

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.payments.services import refund_order, take_in_store_payment
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.journeys import place_counter_sale


@pytest.fixture
def tea(store, other_store):
    sku = SKUFactory(price=Decimal("12.50"))
    for location in (store, other_store):
        receive_stock(actor=SYSTEM, location_id=location.pk, sku_id=sku.pk, quantity=100)
    return sku


@pytest.fixture
def manager(store):
    return EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)


@pytest.fixture
def hq():
    return EmployeeFactory(role=Role.HQ, home_location=None)


def counter_sale(clerk, sku, *, method: str, quantity: int = 1) -> Order:
    """A paid in-store sale at the clerk's counter."""
    order = place_counter_sale(clerk=clerk, sku=sku, quantity=quantity)
    take_in_store_payment(actor=actor_for_user(clerk.user), order=order, method=method)
    order.refresh_from_db()
    return order


def give_back(manager, order: Order, quantity: int = 1) -> None:
    """The customer brings units back; the money is handed back at the counter."""
    line = order.lines.get()
    refund_order(actor=actor_for_user(manager.user), order=order, returned={line.pk: quantity}, reason="broken")
