"""The flash sale pages: the marketer's list and form, the storefront page with its countdown and Buy."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.flashsale.models import FlashSale, FlashSaleUnit
from o2o.flashsale.services import create_flash_sale
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import pay_online
from o2o.web.auth import MEMBER_SESSION_KEY

pytestmark = pytest.mark.django_db


def staff(role, store) -> Client:
    client = Client()
    client.force_login(EmployeeFactory(role=role, home_location=store).user)
    return client


def shopper(member) -> Client:
    client = Client()
    session = client.session
    session[MEMBER_SESSION_KEY] = member.pk
    session.save()
    return client


@pytest.fixture
def phone(store):
    sku = SKUFactory(price=Decimal("1999.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=20)
    return sku


def sale_of(store, sku, *, opens_in=timedelta(minutes=-1), quantity=3) -> FlashSale:
    starts = timezone.now() + opens_in
    return create_flash_sale(actor=SYSTEM, sku_id=sku.pk, location_id=store.pk, price=Decimal("999.00"),
                             quantity=quantity, per_member_limit=1, starts_at=starts,
                             ends_at=starts + timedelta(hours=1))  # fmt: skip


def test_a_marketer_creates_a_sale_and_sees_left_held_and_sold(store, phone):
    client = staff(Role.MARKETER, None)
    starts = timezone.localtime() - timedelta(minutes=1)
    form = {"sku_id": phone.pk, "location_id": store.pk, "price": "999.00", "quantity": 3, "per_member_limit": 1,
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M:%S"),
            "ends_at": (starts + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")}  # fmt: skip

    response = client.post("/marketing/flash-sales/", form)

    assert response.status_code == 302
    sale = FlashSale.objects.get()
    assert FlashSaleUnit.objects.filter(sale=sale).count() == 3
    held = shopper(MemberFactory()).post(f"/shop/flash/{sale.pk}/buy/", {"quantity": 1, "token": "a" * 20})
    paid_response = shopper(MemberFactory()).post(f"/shop/flash/{sale.pk}/buy/", {"quantity": 1, "token": "b" * 20})
    assert held.status_code == 302 and paid_response.status_code == 302
    pay_online(Order.objects.order_by("pk").last())
    page = client.get("/marketing/flash-sales/").content.decode()
    row = page.split(f'data-sale="{sale.pk}"')[1].split("</tr>")[0]
    assert '<td class="num">1</td>' in row  # left
    assert '<td class="num held">1</td>' in row and '<td class="num sold">1</td>' in row


def test_bad_terms_are_a_form_error_and_nothing_is_created(store, phone):
    client = staff(Role.MARKETER, None)
    now = timezone.localtime()
    form = {"sku_id": phone.pk, "location_id": store.pk, "price": "999.00", "quantity": 3, "per_member_limit": 5,
            "starts_at": now.strftime("%Y-%m-%dT%H:%M:%S"),
            "ends_at": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")}  # fmt: skip

    response = client.post("/marketing/flash-sales/", form)

    assert response.status_code == 422 and FlashSale.objects.count() == 0


def test_a_clerk_may_not_open_the_marketing_page(store):
    assert staff(Role.CLERK, store).get("/marketing/flash-sales/").status_code == 403


def test_before_the_opening_the_page_counts_down_and_cannot_buy(store, phone, member):
    sale = sale_of(store, phone, opens_in=timedelta(minutes=10))
    client = shopper(member)

    page = client.get(f"/shop/flash/{sale.pk}/").content.decode()
    bought = client.post(f"/shop/flash/{sale.pk}/buy/", {"quantity": 1, "token": "c" * 20}, follow=True)

    assert 'class="countdown" data-seconds="5' in page or 'class="countdown" data-seconds="6' in page
    assert "<script>" not in page
    assert Order.objects.count() == 0 and "抢购尚未开始或已结束。" in bought.content.decode()


def test_buy_goes_to_the_pay_page_and_a_second_tap_buys_once(store, phone, member):
    sale = sale_of(store, phone)
    client = shopper(member)
    form = {"quantity": 1, "token": "d" * 20}

    first = client.post(f"/shop/flash/{sale.pk}/buy/", form)
    second = client.post(f"/shop/flash/{sale.pk}/buy/", form)

    order = Order.objects.get()
    assert first["Location"] == second["Location"] == f"/shop/orders/{order.pk}/pay/"
    assert order.total == Decimal("999.00")


def test_sold_out_is_said_on_the_page(store, phone):
    sale = sale_of(store, phone, quantity=1)
    assert (
        shopper(MemberFactory()).post(f"/shop/flash/{sale.pk}/buy/", {"quantity": 1, "token": "e" * 20}).status_code
        == 302
    )

    refused = shopper(MemberFactory()).post(
        f"/shop/flash/{sale.pk}/buy/", {"quantity": 1, "token": "f" * 20}, follow=True
    )

    assert "已抢光" in refused.content.decode() and Order.objects.count() == 1
