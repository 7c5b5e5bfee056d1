"""Commission tests drive the API: HQ creates a plan, a clerk sells at the counter (the store-sale
touchpoint credits the cashier 80% + the acquiring employee's 20%, which goes to the cashier when
the member was acquired by nobody), a manager takes goods back, the return window closes."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.inventory.services import receive_stock
from o2o.orders.services import complete_orders
from o2o.staff.models import Role
from o2o.testing.api import as_staff
from o2o.testing.factories import EmployeeFactory, SKUFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def hq():
    return EmployeeFactory(role=Role.HQ, home_location=None)


@pytest.fixture
def manager(store):
    return EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)


def stocked_sku(store, price: str, **kwargs):
    sku = SKUFactory(price=Decimal(price), **kwargs)
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=1000)
    return sku


def create_plan(hq, *, default="5.00", rates=(), tiers=(), cap=None, effective_from=None, name="Standard"):
    body = {
        "name": name,
        "effective_from": str(effective_from or timezone.localdate() - timedelta(days=40)),
        "monthly_cap": cap,
        "rates": [{"percent": default}, *rates],
        "tiers": list(tiers),
    }
    response = as_staff(hq).post("commission/plans", body)
    assert response.status_code == 201, response.content
    return response.json()


def counter_sale(clerk, *lines):
    """A paid counter sale by the clerk: lines of (sku, quantity). Returns the order JSON."""
    api = as_staff(clerk)
    body = {"channel": "pos", "fulfilment": "in_store", "location_id": clerk.home_location_id,
            "lines": [{"sku_id": sku.pk, "quantity": quantity} for sku, quantity in lines]}  # fmt: skip
    placed = api.post("orders", body)
    assert placed.status_code == 201, placed.content
    paid = api.post(f"payments/orders/{placed.json()['id']}/in-store", {"method": "cash"})
    assert paid.status_code == 201, paid.content
    return api.get(f"orders/{placed.json()['id']}").json()


def take_back(manager, order, line_index: int, quantity: int):
    line = order["lines"][line_index]
    response = as_staff(manager).post(
        f"orders/{order['id']}/returns", {"lines": [{"line_id": line["id"], "quantity": quantity}], "reason": "damaged"}
    )
    assert response.status_code == 200, response.content
    return response.json()


def close_return_windows():
    return complete_orders(now=timezone.now() + timedelta(days=30))


def me(employee):
    response = as_staff(employee).get("commission/me")
    assert response.status_code == 200, response.content
    return response.json()


def statement_of(viewer, employee, period=None):
    period = period or f"{timezone.localdate():%Y-%m}"
    return as_staff(viewer).get("commission/statements", employee_id=employee.pk, period=period)
