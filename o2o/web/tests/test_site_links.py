"""Links the server hands out (join QR, pay URL, the addresses it prints) are at the address it is
reached at, or at O2O_SITE_URL when that is set: never a fixed http://127.0.0.1:8000."""

from decimal import Decimal

import pytest
from django.test import Client

from o2o.access.actors import SYSTEM
from o2o.core.management.commands.serve import served_at
from o2o.inventory.services import receive_stock
from o2o.payments.models import Payment
from o2o.staff.models import Role
from o2o.testing.api import as_member
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.journeys import place_pickup_order

pytestmark = pytest.mark.django_db

ELSEWHERE = {"Host": "localhost:8040"}  # `o2o serve 8040`, opened as http://localhost:8040/


def _unpaid_order(store, member):
    tea = SKUFactory(price=Decimal("6.50"))
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    return place_pickup_order(member=member, store=store, sku=tea, channel="h5")


def test_the_api_pay_url_is_on_the_address_the_request_came_to(store, member):
    order = _unpaid_order(store, member)

    started = as_member(member).client.post(
        f"/api/v1/payments/orders/{order.pk}/online",
        "{}",
        content_type="application/json",
        headers={**as_member(member).headers, **ELSEWHERE},
    )

    assert started.status_code == 201, started.content
    ref = Payment.objects.get(order=order).gateway_ref
    assert started.json()["pay_url"] == f"http://localhost:8040/api/v1/payments/simulator/{ref}"


def test_o2o_site_url_when_set_is_the_address_of_the_pay_url(store, member, settings):
    settings.O2O_SITE_URL = "https://shop.example/"
    order = _unpaid_order(store, member)

    started = as_member(member).post(f"payments/orders/{order.pk}/online")

    ref = Payment.objects.get(order=order).gateway_ref
    assert started.json()["pay_url"] == f"https://shop.example/api/v1/payments/simulator/{ref}"


def test_the_join_qr_link_is_on_the_address_the_manager_opened(store):
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)
    browser = Client()
    browser.force_login(manager.user)

    html = browser.get("/manager/staff/", headers=ELSEWHERE).content.decode()

    assert f'href="http://localhost:8040/join/{store.code}?ref={manager.code}"' in html
    assert "127.0.0.1:8000" not in html


def test_o2o_serve_prints_the_address_it_serves():
    assert served_at("8040").splitlines()[:2] == [
        "O2O on http://127.0.0.1:8040/",
        "  shop      http://127.0.0.1:8040/shop/",
    ]
    assert served_at("0.0.0.0:9000").splitlines()[0] == "O2O on http://127.0.0.1:9000/"
    assert "http://[::1]:8000/api/v1/docs" in served_at("[::1]:8000")
