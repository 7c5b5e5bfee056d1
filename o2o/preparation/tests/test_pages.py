"""The counter's preparation queue page and the customer's order page: 备货中 -> 待自提."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from o2o.access.actors import SYSTEM
from o2o.inventory.services import receive_stock
from o2o.orders.models import OrderState
from o2o.preparation.models import Preparation
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order
from o2o.web.auth import MEMBER_SESSION_KEY

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def sku(store):
    sku = SKUFactory(price=Decimal("18.00"), barcode="6901111111111", name="乌龙茶")
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=10)
    return sku


def _signed_in(employee) -> Client:
    client = Client()
    client.force_login(employee.user)
    return client


def _customer(member) -> Client:
    client = Client()
    session = client.session
    session[MEMBER_SESSION_KEY] = member.pk
    session.save()
    return client


def test_the_clerk_prepares_an_order_on_the_queue_page(store, member, sku, clerk):
    order = paid_pickup_order(member=member, store=store, sku=sku, quantity=2)
    preparation = Preparation.objects.get(order=order)
    counter = _signed_in(clerk)

    page = counter.get("/counter/queue/").content.decode()
    assert f'id="prep-{preparation.pk}"' in page and 'data-state="to_prepare"' in page
    assert counter.get("/counter/queue/badge/").content.decode().count('data-count="1"') == 1

    counter.post(f"/counter/queue/{preparation.pk}/accept/", **HTMX)
    scanned = counter.post(f"/counter/queue/{preparation.pk}/pick/", {"code": sku.barcode, "quantity": 1}, **HTMX)
    tapped = counter.post(f"/counter/queue/{preparation.pk}/pick/", {"sku_id": sku.pk, "quantity": 1}, **HTMX)
    too_many = counter.post(f"/counter/queue/{preparation.pk}/pick/", {"sku_id": sku.pk, "quantity": 1}, **HTMX)
    ready = counter.post(f"/counter/queue/{preparation.pk}/ready/", **HTMX)

    assert (scanned.status_code, tapped.status_code, too_many.status_code, ready.status_code) == (200, 200, 422, 200)
    assert 'data-state="ready"' in ready.content.decode()
    order.refresh_from_db()
    assert order.state == OrderState.READY_FOR_PICKUP
    assert 'data-count="0"' in counter.get("/counter/queue/badge/").content.decode()


def test_a_tap_sent_twice_from_one_board_counts_one_unit(store, member, sku, clerk):
    order = paid_pickup_order(member=member, store=store, sku=sku, quantity=2)
    preparation = Preparation.objects.get(order=order)
    counter = _signed_in(clerk)
    counter.post(f"/counter/queue/{preparation.pk}/accept/", **HTMX)
    board = counter.get("/counter/queue/").content.decode()
    key = re.search(r'name="key" value="([^"]+)"', board).group(1)
    tap = {"sku_id": sku.pk, "quantity": 1, "key": key}
    first = counter.post(f"/counter/queue/{preparation.pk}/pick/", tap, **HTMX)
    again = counter.post(f"/counter/queue/{preparation.pk}/pick/", tap, **HTMX)
    assert (first.status_code, again.status_code) == (200, 200)
    assert preparation.picks.get().picked_quantity == 1
    # the board the answer drew carries a new key: the next tap counts
    fresh = re.search(r'name="key" value="([^"]+)"', again.content.decode()).group(1)
    assert fresh != key
    counter.post(f"/counter/queue/{preparation.pk}/pick/", {**tap, "key": fresh}, **HTMX)
    assert preparation.picks.get().picked_quantity == 2


def test_another_stores_clerk_cannot_touch_the_order(store, other_store, member, sku):
    preparation = Preparation.objects.get(order=paid_pickup_order(member=member, store=store, sku=sku))
    stranger = _signed_in(EmployeeFactory(role=Role.CLERK, home_location=other_store))

    page = stranger.get("/counter/queue/").content.decode()
    accepted = stranger.post(f"/counter/queue/{preparation.pk}/accept/", **HTMX)

    assert f'id="prep-{preparation.pk}"' not in page
    assert accepted.status_code == 404
    preparation.refresh_from_db()
    assert preparation.state == "to_prepare"


def test_the_order_page_shows_preparing_then_ready_for_pickup(store, member, sku, clerk):
    order = paid_pickup_order(member=member, store=store, sku=sku)
    preparation = Preparation.objects.get(order=order)
    customer = _customer(member)
    status = f"/shop/orders/{order.pk}/status/"

    with translation.override("zh-hans"):
        page = customer.get(f"/shop/orders/{order.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-state="paid"' in page and 'class="preparing"' in page
    assert f'hx-get="{status}?seen=paid"' in page
    assert customer.get(status, {"seen": "paid"}, **HTMX).status_code == 204  # still preparing: nothing to swap

    counter = _signed_in(clerk)
    counter.post(f"/counter/queue/{preparation.pk}/accept/", **HTMX)
    counter.post(f"/counter/queue/{preparation.pk}/pick/", {"sku_id": sku.pk, "quantity": 1}, **HTMX)
    counter.post(f"/counter/queue/{preparation.pk}/ready/", **HTMX)

    polled = customer.get(status, {"seen": "paid"}, **HTMX)
    assert polled.status_code == 200
    swapped = polled.content.decode()
    assert 'data-state="ready_for_pickup"' in swapped and 'class="preparing"' not in swapped


def test_the_manager_sets_the_stores_fulfilment_settings(store, other_store, clerk):
    manager = _signed_in(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store))

    saved = manager.post("/manager/fulfilment/", {"preparation_minutes": "25", "auto_accept_orders": "on",
                                                  "pickup_slot_capacity": "6"})  # fmt: skip
    refused = manager.post("/manager/fulfilment/", {"preparation_minutes": "0"})
    by_clerk = _signed_in(clerk).post("/manager/fulfilment/", {"preparation_minutes": "5"})
    elsewhere = manager.post(f"/manager/fulfilment/?location={other_store.pk}", {"preparation_minutes": "5"})

    assert (saved.status_code, refused.status_code, by_clerk.status_code, elsewhere.status_code) == (302, 422, 403, 404)
    store.refresh_from_db()
    other_store.refresh_from_db()
    assert (store.preparation_minutes, store.auto_accept_orders, store.pickup_slot_capacity) == (25, True, 6)
    assert other_store.preparation_minutes == 15
