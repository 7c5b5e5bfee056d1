"""Every bad input is a 4xx problem+json, and nothing is written."""

from decimal import Decimal

import pytest

from o2o.access.actors import SYSTEM
from o2o.inventory.models import Reservation, StockLevel
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import SKUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sku(store):
    sku = SKUFactory(price=Decimal("8.00"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)
    return sku


def order_body(store, lines, **extra):
    return {"channel": "app", "fulfilment": "pickup", "location_id": store.pk, "lines": lines, **extra}


def assert_nothing_written(store, sku):
    assert not Order.objects.exists()
    assert not Reservation.objects.exists()
    assert StockLevel.objects.get(location=store, sku=sku).reserved == 0


@pytest.mark.parametrize("quantity", [0, -1, 1000, 10**12, "two", 1.5, None])
def test_bad_quantities_are_422(store, member, sku, quantity):
    response = as_member(member).post("orders", order_body(store, [{"sku_id": sku.pk, "quantity": quantity}]))

    assert response.status_code == 422
    assert problem_code(response) == "invalid"
    assert response.json()["errors"][0]["field"].startswith("lines")
    assert_nothing_written(store, sku)


def test_quantities_of_one_sku_over_several_lines_are_capped_together(store, member, sku):
    lines = [{"sku_id": sku.pk, "quantity": 600}, {"sku_id": sku.pk, "quantity": 600}]

    response = as_member(member).post("orders", order_body(store, lines))

    assert problem_code(response) == "invalid"
    assert_nothing_written(store, sku)


def test_more_than_in_stock_is_409_and_no_line_is_reserved(store, member, sku):
    second = SKUFactory()
    receive_stock(location_id=store.pk, sku_id=second.pk, quantity=100, actor=SYSTEM)
    lines = [{"sku_id": second.pk, "quantity": 1}, {"sku_id": sku.pk, "quantity": 5}]  # buffer keeps 1 of 5

    response = as_member(member).post("orders", order_body(store, lines))

    assert response.status_code == 409
    assert problem_code(response) == "insufficient_stock"
    assert_nothing_written(store, sku)
    assert StockLevel.objects.get(location=store, sku=second).reserved == 0


@pytest.mark.parametrize(
    "body_change",
    [
        {"lines": [{"sku_id": 999999, "quantity": 1}]},
        {"location_id": 999999},
        {"channel": "fax"},
        {"fulfilment": "teleport"},
        {"lines": []},
        {"fulfilment": "delivery"},  # without an address
        {"channel": "pos"},  # a customer cannot use the counter channel
    ],
)
def test_unknown_or_impossible_orders_are_4xx(store, member, sku, body_change):
    body = {**order_body(store, [{"sku_id": sku.pk, "quantity": 1}]), **body_change}

    response = as_member(member).post("orders", body)

    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert_nothing_written(store, sku)


def test_amounts_from_the_client_are_ignored(store, member, sku):
    body = order_body(store, [{"sku_id": sku.pk, "quantity": 2, "unit_price": "0.01"}], total="0.01")

    order = as_member(member).post("orders", body).json()

    assert Decimal(order["total"]) == Decimal("16.00")
    assert Decimal(order["lines"][0]["unit_price"]) == Decimal("8.00")


def test_malformed_json_is_4xx(store, member):
    response = as_member(member).post("orders", "{not json")

    assert 400 <= response.status_code < 500
    assert not Order.objects.exists()


def test_signing_in_is_required(store, sku):
    response = ApiClient().post("orders", order_body(store, [{"sku_id": sku.pk, "quantity": 1}]))

    assert response.status_code == 401
    assert problem_code(response) == "unauthenticated"


def test_illegal_state_transitions_are_409(store, clerk, member, sku):
    order = as_member(member).post("orders", order_body(store, [{"sku_id": sku.pk, "quantity": 1}])).json()
    counter = as_staff(clerk)

    dispatched = counter.post(f"orders/{order['id']}/dispatch")
    delivered = counter.post(f"orders/{order['id']}/delivered")

    assert (dispatched.status_code, problem_code(dispatched)) == (409, "illegal_transition")
    assert (delivered.status_code, problem_code(delivered)) == (409, "illegal_transition")
    assert Order.objects.get().state == "pending_payment"


def test_nearby_rejects_bad_coordinates_and_items():
    for params in [
        {"lat": 91, "lng": 121},
        {"lat": 31, "lng": "east"},
        {"lat": 31, "lng": 121, "items": "x:1"},
        {"lat": 31, "lng": 121, "items": "12:0"},
        {"lat": 31, "lng": 121, "radius_km": 0},
    ]:
        response = ApiClient().get("stores/nearby", **params)
        assert response.status_code == 422, params
        assert problem_code(response) == "invalid"
    assert problem_code(ApiClient().get("stores/nearby", lat=31, lng=121, items="999999:1")) == "unknown_sku"
