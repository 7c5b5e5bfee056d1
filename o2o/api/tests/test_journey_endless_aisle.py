"""Journey 2: the store lacks the item, the clerk orders it from another location for the customer."""

from decimal import Decimal

import pytest

from o2o.access.actors import SYSTEM
from o2o.inventory.selectors import audit_stock
from o2o.inventory.services import receive_stock
from o2o.payments.models import Payment
from o2o.pickup.models import PickupVoucher
from o2o.staff.models import Role
from o2o.stores.models import Location
from o2o.testing.api import as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, LocationFactory, SKUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse():
    return LocationFactory(name="浦东仓", kind=Location.Kind.WAREHOUSE, pickup_enabled=False)


@pytest.fixture
def drill():
    return SKUFactory(name="电钻", price=Decimal("299.00"))


def test_clerk_orders_from_the_warehouse_customer_pays_in_store_and_it_ships_home(
    store, clerk, warehouse, member, drill
):
    receive_stock(location_id=warehouse.pk, sku_id=drill.pk, quantity=2, actor=SYSTEM)
    counter = as_staff(clerk)

    placed = counter.post(
        "orders",
        {
            "channel": "pos",
            "fulfilment": "delivery",
            "location_id": warehouse.pk,
            "member_phone": member.phone,
            "delivery_address": "上海市静安区愚园路100号",
            "lines": [{"sku_id": drill.pk, "quantity": 1}],
        },
    )
    assert placed.status_code == 201, placed.content
    order = placed.json()
    assert (order["selling_location_id"], order["fulfilment_location_id"]) == (store.pk, warehouse.pk)
    assert order["member_id"] == member.pk

    paid = counter.post(f"payments/orders/{order['id']}/in-store", {"method": "card"})
    assert paid.status_code == 201, paid.content
    payment = Payment.objects.get(pk=paid.json()["id"])
    assert (payment.location_id, payment.amount) == (store.pk, Decimal("299.00"))  # the store's cash account

    shipper = as_staff(EmployeeFactory(role=Role.WAREHOUSE_CLERK, home_location=warehouse))
    assert shipper.post(f"orders/{order['id']}/dispatch").json()["state"] == "out_for_delivery"
    assert shipper.post(f"orders/{order['id']}/delivered").json()["state"] == "delivered"
    level = warehouse.stock_levels.get(sku=drill)
    assert (level.on_hand, level.reserved) == (1, 0)
    assert as_member(member).get(f"orders/{order['id']}").json()["state"] == "delivered"
    assert audit_stock() == []


def test_clerk_orders_from_another_store_for_pickup_there_later(store, other_store, clerk, drill):
    receive_stock(location_id=other_store.pk, sku_id=drill.pk, quantity=1, actor=SYSTEM)
    counter = as_staff(clerk)
    order = counter.post(
        "orders",
        {
            "channel": "pos",
            "fulfilment": "pickup",
            "location_id": other_store.pk,
            "lines": [{"sku_id": drill.pk, "quantity": 1}],
        },
    ).json()

    counter.post(f"payments/orders/{order['id']}/in-store", {"method": "cash"})

    voucher = PickupVoucher.objects.get(order_id=order["id"])
    assert voucher.location_id == other_store.pk
    other_clerk = as_staff(EmployeeFactory(home_location=other_store))
    assert other_clerk.post("pickup/redeem", {"code": voucher.code}).json()["state"] == "redeemed"
    assert audit_stock() == []


def test_only_the_selling_stores_staff_take_the_payment(store, other_store, clerk, drill):
    receive_stock(location_id=store.pk, sku_id=drill.pk, quantity=1, actor=SYSTEM)
    order = (
        as_staff(clerk)
        .post(
            "orders",
            {
                "channel": "pos",
                "fulfilment": "in_store",
                "location_id": store.pk,
                "lines": [{"sku_id": drill.pk, "quantity": 1}],
            },
        )
        .json()
    )
    stranger = as_staff(EmployeeFactory(home_location=other_store))

    response = stranger.post(f"payments/orders/{order['id']}/in-store", {"method": "cash"})

    assert response.status_code == 404  # another store's order is not visible at all
    assert problem_code(response) == "not_found"
    assert not Payment.objects.exists()
