"""The manager's order list searched by number, phone and day, and one order's page."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.payments.services import refund_order
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order, place_pickup_order

pytestmark = pytest.mark.django_db


def _signed_in(employee) -> Client:
    client = Client()
    client.force_login(employee.user)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def manager(store):
    return EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)


@pytest.fixture
def browser(manager) -> Client:
    return _signed_in(manager)


@pytest.fixture
def sku(store, other_store):
    sku = SKUFactory(price=Decimal("8.00"), name="燕麦拿铁")
    for location in (store, other_store):
        receive_stock(location_id=location.pk, sku_id=sku.pk, quantity=20, actor=SYSTEM)
    return sku


def _numbers(html: str) -> list[str]:
    return re.findall(r'data-number="([^"]+)"', html)


def test_orders_are_found_by_number_prefix_or_the_customers_phone(browser, store, sku):
    alice, bob = MemberFactory(phone="+8613800138001"), MemberFactory(phone="+8613800138002")
    first = place_pickup_order(member=alice, store=store, sku=sku)
    second = place_pickup_order(member=bob, store=store, sku=sku)

    by_phone = browser.get("/manager/orders/", {"q": "138 0013 8002"}).content.decode()
    by_number = browser.get("/manager/orders/", {"q": first.number}).content.decode()
    nothing = browser.get("/manager/orders/", {"q": "NO-SUCH"}).content.decode()

    assert _numbers(by_phone) == [second.number]
    assert _numbers(by_number) == [first.number]
    assert _numbers(nothing) == []


def test_orders_are_filtered_by_the_days_they_were_placed(browser, store, member, sku):
    old = place_pickup_order(member=member, store=store, sku=sku)
    new = place_pickup_order(member=member, store=store, sku=sku)
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    today = timezone.localdate()

    recent = browser.get("/manager/orders/", {"placed_from": today.isoformat()}).content.decode()
    earlier = browser.get("/manager/orders/", {"placed_to": (today - timedelta(days=1)).isoformat()}).content.decode()

    assert _numbers(recent) == [new.number]
    assert _numbers(earlier) == [old.number]
    assert f"placed_from={today.isoformat()}" in recent  # the state tabs keep the search


def test_a_period_ending_before_it_starts_is_bad_input(browser, store, member, sku):
    place_pickup_order(member=member, store=store, sku=sku)

    response = browser.get("/manager/orders/", {"placed_from": "2026-11-20", "placed_to": "2026-11-10"})

    assert response.status_code == 422
    assert "The last day comes after the first." in response.content.decode()
    assert _numbers(response.content.decode()) == []


def test_the_order_page_shows_lines_customer_pickup_payments_refunds_and_history(browser, store, member, sku):
    order = paid_pickup_order(member=member, store=store, sku=sku, quantity=2)
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)
    refund_order(actor=actor_for_user(manager.user), order=order, returned=None, reason="customer changed mind")

    response = browser.get(f"/manager/orders/{order.pk}/")
    html = response.content.decode()

    assert response.status_code == 200
    assert "燕麦拿铁" in html and "¥16.00" in html
    assert member.phone[-4:] in html and member.phone not in html  # masked
    assert store.address in html
    assert 'data-method="online_qr"' in html and "customer changed mind" in html and "−¥16.00" in html
    assert re.findall(r'data-to="([a-z_]+)"', html)[0] == "paid"
    assert re.findall(r'data-to="([a-z_]+)"', html)[-1] == "refunded"


def test_another_stores_order_is_not_found(browser, other_store, member, sku):
    elsewhere = place_pickup_order(member=member, store=other_store, sku=sku)

    assert browser.get(f"/manager/orders/{elsewhere.pk}/").status_code == 404
    assert browser.get("/manager/orders/999999/").status_code == 404


def test_the_order_page_is_for_store_staff_only(store, member, sku):
    order = place_pickup_order(member=member, store=store, sku=sku)

    anonymous = Client().get(f"/manager/orders/{order.pk}/")
    clerk_elsewhere = _signed_in(EmployeeFactory(role=Role.CLERK))

    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert clerk_elsewhere.get(f"/manager/orders/{order.pk}/").status_code in (403, 404)
