"""The customer's order page and the counter receipt show the discount lines, the delivery fee
and the subtotal next to the total."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.inventory.services import receive_stock
from o2o.members.models import MemberLevel
from o2o.orders.services import LineRequest, OrderRequest, place_order
from o2o.payments.services import take_in_store_payment
from o2o.testing.api import as_member
from o2o.testing.factories import MemberFactory, SKUFactory
from o2o.web.auth import MEMBER_SESSION_KEY

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def gold_member():
    level = MemberLevel.objects.create(code="gold", name="Gold", rank=2, min_growth=1000, discount_percent=D("10"))
    return MemberFactory(level=level)


@pytest.fixture
def tea(store):
    sku = SKUFactory(price=D("12.50"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10, actor=SYSTEM)
    return sku


def test_the_order_page_shows_the_member_price_and_the_delivery_fee(store, gold_member, tea):
    body = {"channel": "h5", "fulfilment": "delivery", "location_id": store.pk, "delivery_address": "上海市 1 号",
            "lines": [{"sku_id": tea.pk, "quantity": 2}]}  # fmt: skip
    order = as_member(gold_member).post("orders", body).json()
    client = Client()
    client.cookies["django_language"] = "en"
    session = client.session
    session[MEMBER_SESSION_KEY] = gold_member.pk
    session.save()

    page = client.get(reverse("web:shop-order", args=[order["id"]])).content.decode()

    # 25.00 - 2.50 (Gold 10%) + 8.00 delivery = 30.50; the discount line keeps the words it was
    # priced with (the order was placed in Chinese)
    for text in ("Gold会员价", "−¥2.50", "¥22.50", "Subtotal", "¥25.00", "Delivery fee", "¥8.00", "¥30.50"):
        assert text in page, text


def test_the_counter_receipt_shows_the_member_discount(store, clerk, gold_member, tea):
    request = OrderRequest(channel="pos", fulfilment="in_store", fulfilment_location_id=store.pk,
                           lines=[LineRequest(tea.pk, 1)])  # fmt: skip
    with translation.override("en"):  # the clerk sells in English: the discount line is priced in English
        order = place_order(actor=actor_for_user(clerk.user), member=gold_member, request=request)
    take_in_store_payment(actor=actor_for_user(clerk.user), order=order, method="cash")
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(clerk.user)

    receipt = client.get(reverse("web:counter-receipt", args=[order.pk])).content.decode()

    for text in ("Gold member price", "−1.25", "Discounts", "¥11.25"):
        assert text in receipt, text
