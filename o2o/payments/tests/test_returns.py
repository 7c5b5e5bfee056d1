from decimal import Decimal

import pytest

from o2o.access.actors import SYSTEM
from o2o.inventory.selectors import audit_stock
from o2o.inventory.services import receive_stock
from o2o.payments.models import Payment
from o2o.staff.models import Role
from o2o.testing.api import as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, SKUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(store):
    """Money goes back to a customer on a store manager's word (the permission table)."""
    return EmployeeFactory(home_location=store, role=Role.STORE_MANAGER)


@pytest.fixture
def sale(store, clerk):
    shirt, socks = SKUFactory(price=Decimal("99.00")), SKUFactory(price=Decimal("15.50"))
    for sku in (shirt, socks):
        receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10, actor=SYSTEM)
    counter = as_staff(clerk)
    order = counter.post(
        "orders",
        {
            "channel": "pos",
            "fulfilment": "in_store",
            "location_id": store.pk,
            "lines": [{"sku_id": shirt.pk, "quantity": 1}, {"sku_id": socks.pk, "quantity": 3}],
        },
    ).json()
    counter.post(f"payments/orders/{order['id']}/in-store", {"method": "cash"})
    return counter.get(f"orders/{order['id']}").json()


def test_a_partial_return_refunds_those_units_and_puts_them_back_on_the_shelf(sale, manager, store):
    socks = next(line for line in sale["lines"] if line["quantity"] == 3)

    response = as_staff(manager).post(
        f"orders/{sale['id']}/returns", {"lines": [{"line_id": socks["id"], "quantity": 2}], "reason": "wrong size"}
    )

    assert response.status_code == 200, response.content
    assert (response.json()["state"], Decimal(response.json()["refunded_total"])) == ("picked_up", Decimal("31.00"))
    assert Payment.objects.get().refunded_amount == Decimal("31.00")
    assert store.stock_levels.get(sku_id=socks["sku_id"]).on_hand == 9
    assert audit_stock() == []


def test_returning_everything_refunds_the_order(sale, manager):
    lines = [{"line_id": line["id"], "quantity": line["quantity"]} for line in sale["lines"]]

    response = as_staff(manager).post(f"orders/{sale['id']}/returns", {"lines": lines, "reason": "changed mind"})

    assert response.json()["state"] == "refunded"
    assert Payment.objects.get().refunded_amount == Decimal("145.50")


def test_returning_more_than_was_sold_is_refused_and_nothing_changes(sale, manager, store):
    socks = next(line for line in sale["lines"] if line["quantity"] == 3)
    counter = as_staff(manager)
    counter.post(f"orders/{sale['id']}/returns", {"lines": [{"line_id": socks["id"], "quantity": 2}], "reason": "a"})

    response = counter.post(
        f"orders/{sale['id']}/returns", {"lines": [{"line_id": socks["id"], "quantity": 2}], "reason": "again"}
    )

    assert (response.status_code, problem_code(response)) == (422, "return_exceeds_sold")
    assert Payment.objects.get().refunded_amount == Decimal("31.00")
    assert store.stock_levels.get(sku_id=socks["sku_id"]).on_hand == 9
    assert audit_stock() == []
