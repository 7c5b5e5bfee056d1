from decimal import Decimal

import pytest

from o2o.access.actors import SYSTEM
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.testing.api import as_member, problem_code
from o2o.testing.factories import MemberFactory, SKUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def body(store):
    sku = SKUFactory(price=Decimal("3.00"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10, actor=SYSTEM)
    return {
        "channel": "app",
        "fulfilment": "pickup",
        "location_id": store.pk,
        "lines": [{"sku_id": sku.pk, "quantity": 2}],
    }


def test_a_retry_with_the_same_key_returns_the_first_order(body, member, store):
    customer = as_member(member)

    first = customer.post("orders", body, headers={"Idempotency-Key": "k-1"})
    retry = customer.post("orders", body, headers={"Idempotency-Key": "k-1"})

    assert first.json()["id"] == retry.json()["id"]
    assert Order.objects.count() == 1
    assert store.stock_levels.get().reserved == 2


def test_the_same_key_for_a_different_order_is_409(body, member):
    customer = as_member(member)
    customer.post("orders", body, headers={"Idempotency-Key": "k-1"})
    body["lines"][0]["quantity"] = 3

    response = customer.post("orders", body, headers={"Idempotency-Key": "k-1"})

    assert (response.status_code, problem_code(response)) == (409, "idempotency_conflict")
    assert Order.objects.count() == 1


def test_keys_are_per_customer(body, member):
    as_member(member).post("orders", body, headers={"Idempotency-Key": "k-1"})
    as_member(MemberFactory()).post("orders", body, headers={"Idempotency-Key": "k-1"})

    assert Order.objects.count() == 2


def test_a_taken_order_number_is_drawn_again(body, member, monkeypatch):
    numbers = iter(["26112500000001", "26112500000001", "26112500000002"])
    monkeypatch.setattr("o2o.orders.services._new_number", lambda: next(numbers))
    customer = as_member(member)

    first = customer.post("orders", body)
    second = customer.post("orders", body)

    assert (first.json()["number"], second.json()["number"]) == ("26112500000001", "26112500000002")
    assert Order.objects.count() == 2
