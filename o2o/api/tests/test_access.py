"""Members see and cancel only their own orders; staff see only their stores' data."""

from decimal import Decimal

import pytest

from o2o.access.actors import SYSTEM
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(store, member):
    sku = SKUFactory(price=Decimal("5.00"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10, actor=SYSTEM)
    return (
        as_member(member)
        .post(
            "orders",
            {
                "channel": "app",
                "fulfilment": "pickup",
                "location_id": store.pk,
                "lines": [{"sku_id": sku.pk, "quantity": 1}],
            },
        )
        .json()
    )


def test_a_member_cannot_read_or_cancel_another_members_order(order):
    intruder = as_member(MemberFactory())

    read = intruder.get(f"orders/{order['id']}")
    cancel = intruder.post(f"orders/{order['id']}/cancel")

    assert (read.status_code, problem_code(read)) == (404, "not_found")
    assert (cancel.status_code, problem_code(cancel)) == (404, "not_found")
    assert Order.objects.get().state == "pending_payment"
    assert intruder.get("orders").json()["results"] == []


def test_a_member_cancels_their_own_unpaid_order_and_the_stock_returns(order, member, store):
    response = as_member(member).post(f"orders/{order['id']}/cancel")

    assert response.json()["state"] == "cancelled"
    assert store.stock_levels.get().reserved == 0


def test_cancelling_twice_is_409(order, member):
    as_member(member).post(f"orders/{order['id']}/cancel")

    again = as_member(member).post(f"orders/{order['id']}/cancel")

    assert (again.status_code, problem_code(again)) == (409, "illegal_transition")


def test_staff_of_another_store_do_not_see_the_order_but_hq_does(order, other_store):
    stranger = as_staff(EmployeeFactory(home_location=other_store))
    hq = as_staff(EmployeeFactory(role=Role.HQ, home_location=None))

    assert stranger.get(f"orders/{order['id']}").status_code == 404
    assert stranger.get("orders").json()["results"] == []
    assert hq.get(f"orders/{order['id']}").status_code == 200
    assert [o["id"] for o in hq.get("orders").json()["results"]] == [order["id"]]


def test_a_clerk_cannot_touch_another_stores_stock(store, other_store):
    sku = SKUFactory()
    stranger = as_staff(EmployeeFactory(home_location=other_store))

    response = stranger.post("inventory/receipts", {"location_id": store.pk, "sku_id": sku.pk, "quantity": 5})

    assert (response.status_code, problem_code(response)) == (404, "not_found")
    assert not store.stock_levels.exists()


def test_a_user_without_an_employee_record_is_not_staff(order):
    plain = ApiClient(user=UserFactory())

    assert plain.get(f"orders/{order['id']}").status_code == 404
    assert problem_code(plain.get("staff/me")) == "forbidden"
