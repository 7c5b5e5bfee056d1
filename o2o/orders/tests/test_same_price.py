"""The same cart, channel, store and member cost the same wherever they are priced: the storefront
cart page, the API (quote and the placed order) and the counter basket all go through price_cart."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from o2o.access.actors import SYSTEM
from o2o.inventory.services import receive_stock
from o2o.members.models import MemberLevel
from o2o.testing.api import as_member
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory
from o2o.web.auth import MEMBER_SESSION_KEY

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def gold_member():
    level = MemberLevel.objects.create(code="gold", name="Gold", rank=2, min_growth=1000, discount_percent=D("10"))
    return MemberFactory(level=level)


@pytest.fixture
def cart(store):
    """Three units at 3.33 and one at 12.50: 22.49 at list prices, 20.24 for a 10% member."""
    skus = [SKUFactory(price=D("3.33")), SKUFactory(price=D("12.50"))]
    for sku in skus:
        receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10, actor=SYSTEM)
    return [(skus[0], 3), (skus[1], 1)]


def storefront_total(member, cart) -> tuple[Decimal, Decimal]:
    client = Client()
    session = client.session
    session[MEMBER_SESSION_KEY] = member.pk
    session.save()
    for sku, quantity in cart:
        client.post("/shop/cart/add/", {"sku_id": sku.pk, "quantity": quantity}, headers={"HX-Request": "true"})
    page = client.get("/shop/cart/")
    assert page.status_code == 200
    return page.context["total"], page.context["priced"].discount_total


def counter_total(store, member, cart) -> tuple[Decimal, Decimal]:
    client = Client()
    client.force_login(EmployeeFactory(home_location=store).user)
    client.post(reverse("web:counter-customer"), {"phone": member.phone, "back": "sale"})
    for sku, quantity in cart:
        client.post(reverse("web:counter-sale-scan"), {"barcode": sku.barcode})
        client.post(reverse("web:counter-sale-line"), {"sku_id": sku.pk, "quantity": quantity})
    basket = client.get(reverse("web:counter-sale")).context["basket"]
    return basket.total, basket.discount_total


def api_body(store, cart) -> dict:
    lines = [{"sku_id": sku.pk, "quantity": quantity} for sku, quantity in cart]
    return {"channel": "h5", "fulfilment": "pickup", "location_id": store.pk, "lines": lines}


def test_the_same_cart_costs_the_same_on_the_storefront_the_api_and_the_counter(store, gold_member, cart):
    quote = as_member(gold_member).post("orders/quote", api_body(store, cart)).json()
    placed = as_member(gold_member).post("orders", api_body(store, cart)).json()

    assert storefront_total(gold_member, cart) == (D("20.24"), D("2.25"))
    assert (D(quote["payable"]), D(quote["discount_total"])) == (D("20.24"), D("2.25"))
    assert (D(placed["total"]), D(placed["discount_total"])) == (D("20.24"), D("2.25"))
    assert counter_total(store, gold_member, cart) == (D("20.24"), D("2.25"))


def test_without_a_level_everyone_pays_list_prices(store, member, cart):
    placed = as_member(member).post("orders", api_body(store, cart)).json()

    assert storefront_total(member, cart) == (D("22.49"), D("0.00"))
    assert (D(placed["total"]), D(placed["discount_total"])) == (D("22.49"), D("0.00"))
    assert counter_total(store, member, cart) == (D("22.49"), D("0.00"))
