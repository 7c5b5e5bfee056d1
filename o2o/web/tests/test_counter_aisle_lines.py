"""An endless-aisle order of several lines, gathered in the session, all from one location (Django test client)."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from o2o.access.actors import SYSTEM
from o2o.inventory.models import StockLevel
from o2o.inventory.selectors import audit_stock
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order, OrderState
from o2o.testing.factories import LocationFactory, SKUFactory
from o2o.web.counter.aisle import SESSION_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def counter(clerk) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(clerk.user)
    return client


@pytest.fixture
def tea():
    return SKUFactory(name="Jasmine tea 500ml", price=Decimal("4.50"))


@pytest.fixture
def cups():
    return SKUFactory(name="Paper cups x50", price=Decimal("12.00"))


@pytest.fixture
def warehouse():
    return LocationFactory(
        name="Pudong warehouse", kind="warehouse", pickup_enabled=False, latitude=31.22, longitude=121.55
    )


def add(counter: Client, sku, quantity: int, source, **extra):
    data = {"sku_id": sku.pk, "quantity": quantity, "location_id": source.pk, "add": 1, **extra}
    return counter.post(reverse("web:counter-aisle-line"), data)


def change(counter: Client, sku, quantity: int):
    return counter.post(reverse("web:counter-aisle-line"), {"sku_id": sku.pk, "quantity": quantity})


def listed(counter: Client) -> dict[str, int]:
    priced = counter.get(reverse("web:counter-aisle")).context["aisle"]
    return {line.sku.name: line.quantity for line in priced.lines} if priced else {}


def stock(location, sku) -> StockLevel:
    return StockLevel.objects.get(location=location, sku=sku)


def test_a_two_line_aisle_order_from_another_store_is_one_order(counter, store, other_store, tea, cups):
    receive_stock(location_id=other_store.pk, sku_id=tea.pk, quantity=10, actor=SYSTEM)
    receive_stock(location_id=other_store.pk, sku_id=cups.pk, quantity=10, actor=SYSTEM)
    assert add(counter, tea, 2, other_store).status_code == 302
    assert add(counter, cups, 1, other_store).status_code == 302
    page = counter.get(reverse("web:counter-aisle"))
    assert page.context["aisle"].source == other_store
    assert page.context["aisle"].total == Decimal("21.00")  # 2 x 4.50 + 12.00 for pickup
    form = {"fulfilment": "delivery", "delivery_address": "Yuyuan Road 100", "method": "cash"}

    placed = counter.post(reverse("web:counter-aisle-order"), {**form, "token": page.context["token"]})

    order = Order.objects.get()
    assert placed["Location"] == reverse("web:counter-receipt", args=[order.pk])
    assert (order.state, order.selling_location, order.fulfilment_location) == (OrderState.PAID, store, other_store)
    assert sorted((line.sku.name, line.quantity) for line in order.lines.all()) == [
        ("Jasmine tea 500ml", 2),
        ("Paper cups x50", 1),
    ]
    assert (stock(other_store, tea).reserved, stock(other_store, cups).reserved) == (2, 1)
    receipt = counter.get(placed["Location"]).content.decode()
    assert "Jasmine tea 500ml" in receipt and "Paper cups x50" in receipt
    assert f"Delivered from {other_store.name}" in receipt
    assert listed(counter) == {}  # ready for the next customer
    assert audit_stock() == []


def test_a_line_from_a_second_location_is_refused_and_nothing_changes(counter, other_store, warehouse, tea, cups):
    receive_stock(location_id=other_store.pk, sku_id=tea.pk, quantity=10, actor=SYSTEM)
    receive_stock(location_id=warehouse.pk, sku_id=cups.pk, quantity=10, actor=SYSTEM)
    add(counter, tea, 2, other_store)
    before = dict(counter.session[SESSION_KEY])

    response = add(counter, cups, 1, warehouse)

    assert response.status_code == 422
    assert response.context["line_form"].errors["location_id"] == [
        f"One order comes from one location, and this order's items come from {other_store.name}. "
        "Place it, or remove its items, before ordering from another location."
    ]
    assert counter.session[SESSION_KEY] == before
    assert listed(counter) == {"Jasmine tea 500ml": 2}
    assert Order.objects.count() == 0


def test_more_than_the_location_offers_is_a_form_error(counter, warehouse, tea):
    receive_stock(location_id=warehouse.pk, sku_id=tea.pk, quantity=3, actor=SYSTEM)
    add(counter, tea, 2, warehouse)

    more = add(counter, tea, 2, warehouse)  # 2 + 2 > 3
    changed = change(counter, tea, 4)

    for response in (more, changed):
        assert response.status_code == 422
        assert response.context["line_form"].errors["quantity"] == [
            "Pudong warehouse can supply only 3 of this item; the order would need 4."
        ]
    assert listed(counter) == {"Jasmine tea 500ml": 2}
    assert Order.objects.count() == 0


def test_the_clerk_changes_a_quantity_and_removes_a_line(counter, warehouse, other_store, tea, cups):
    receive_stock(location_id=warehouse.pk, sku_id=tea.pk, quantity=10, actor=SYSTEM)
    receive_stock(location_id=warehouse.pk, sku_id=cups.pk, quantity=10, actor=SYSTEM)
    receive_stock(location_id=other_store.pk, sku_id=cups.pk, quantity=10, actor=SYSTEM)
    add(counter, tea, 1, warehouse)
    add(counter, cups, 1, warehouse)

    change(counter, tea, 5)
    change(counter, cups, 0)
    assert listed(counter) == {"Jasmine tea 500ml": 5}
    change(counter, tea, 0)

    assert listed(counter) == {}
    assert add(counter, cups, 1, other_store).status_code == 302  # an empty list may come from anywhere
    assert counter.get(reverse("web:counter-aisle")).context["aisle"].source == other_store


def test_this_store_is_no_source_and_an_empty_list_places_nothing(counter, store, tea):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=10, actor=SYSTEM)

    own = add(counter, tea, 1, store)
    empty = counter.post(
        reverse("web:counter-aisle-order"),
        {"fulfilment": "delivery", "delivery_address": "x", "method": "cash", "token": "t" * 20},
    )

    assert own.status_code == 422 and "This is your own store" in own.content.decode()
    assert empty.status_code == 422 and "The order is empty" in empty.content.decode()
    assert listed(counter) == {} and Order.objects.count() == 0


def test_a_payment_form_of_an_older_list_is_refused(counter, warehouse, tea, cups):
    receive_stock(location_id=warehouse.pk, sku_id=tea.pk, quantity=10, actor=SYSTEM)
    receive_stock(location_id=warehouse.pk, sku_id=cups.pk, quantity=10, actor=SYSTEM)
    add(counter, tea, 1, warehouse)
    old_token = counter.get(reverse("web:counter-aisle")).context["token"]
    add(counter, cups, 1, warehouse)  # in another window

    response = counter.post(
        reverse("web:counter-aisle-order"),
        {"fulfilment": "delivery", "delivery_address": "x", "method": "cash", "token": old_token},
    )

    assert response.status_code == 422 and "The order changed in another window" in response.content.decode()
    assert Order.objects.count() == 0
