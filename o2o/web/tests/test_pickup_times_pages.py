"""Pickup times and short pickup numbers on the pages: checkout, the customer's order page, the
counter's look-up and the endless-aisle receipt (Django test client, frozen clock)."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from o2o.access.actors import SYSTEM
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.pickup.models import PickupSlot, PickupVoucher
from o2o.testing.factories import EmployeeFactory, LocationFactory, SKUFactory
from o2o.testing.journeys import pay_online
from o2o.web.auth import MEMBER_SESSION_KEY

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEAR_STORE = {"lat": "31.2310", "lng": "121.4740"}  # beside the `store` fixture (open 09:00-21:00)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def tea(store):
    sku = SKUFactory(name="Oolong 500ml", price=Decimal("6.50"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10, actor=SYSTEM)
    return sku


def shop(member) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    session = client.session
    session[MEMBER_SESSION_KEY] = member.pk
    session.save()
    return client


def staff(employee) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(employee.user)
    return client


def checkout(client: Client, tea, **fields):
    client.post("/shop/cart/add/", {"sku_id": tea.pk, "quantity": 1}, headers={"HX-Request": "true"})
    page = client.get("/shop/checkout/", NEAR_STORE)
    form = page.context["form"]
    posted = {"token": form.initial["token"], "lat": form.initial["lat"], "lng": form.initial["lng"], **fields}
    return page, client.post("/shop/checkout/", posted)


def test_checkout_offers_the_stores_times_and_places_the_chosen_one(store, tea, member):
    client = shop(member)
    with time_machine.travel(at(1, 17, 50), tick=False):
        page, placed = checkout(
            client, tea, fulfilment="pickup", pickup_store=store.pk, **{f"pickup_at_{store.pk}": at(1, 19).isoformat()}
        )
        order = Order.objects.get()
        status = client.get(f"/shop/orders/{order.pk}/").content.decode()

    html = page.content.decode()
    assert "09:00–21:00" in html and "As soon as it is ready" in html
    assert f'value="{at(1, 18, 30).isoformat()}">18:30 today<' in html
    assert f'value="{at(2, 9, 30).isoformat()}">09:30 tomorrow<' in html
    assert placed.status_code == 302
    assert order.pickup_at == at(1, 19)
    assert "Pickup from 19:00 today" in status
    assert PickupSlot.objects.get().booked == 1


def test_checkout_at_a_closed_store_says_when_the_earliest_pickup_is(store, tea, member):
    with time_machine.travel(at(1, 22, 0), tick=False):
        page, _placed = checkout(shop(member), tea)

    html = page.content.decode()
    assert "Closed now" in html and "Closed now, earliest 09:30 tomorrow" in html


def test_checkout_refuses_a_time_the_store_does_not_offer_and_places_nothing(store, tea, member):
    with time_machine.travel(at(1, 17, 50), tick=False):
        _page, late = checkout(
            shop(member),
            tea,
            fulfilment="pickup",
            pickup_store=store.pk,
            **{f"pickup_at_{store.pk}": at(1, 22).isoformat()},
        )
        _page, junk = checkout(
            shop(member), tea, fulfilment="pickup", pickup_store=store.pk, **{f"pickup_at_{store.pk}": "soon"}
        )

    assert late.status_code == 422 and "This pickup time is no longer offered" in late.content.decode()
    assert junk.status_code == 422 and "Choose one of the pickup times offered" in junk.content.decode()
    assert not Order.objects.exists()


def test_the_order_page_shows_the_number_beside_the_code_and_as_soon_as_ready(store, tea, member):
    client = shop(member)
    with time_machine.travel(at(1, 17, 50), tick=False):
        checkout(client, tea, fulfilment="pickup", pickup_store=store.pk)
        order = pay_online(Order.objects.get())
        page = client.get(f"/shop/orders/{order.pk}/").content.decode()

    voucher = PickupVoucher.objects.get(order=order)
    assert "Pickup as soon as it is ready" in page
    assert voucher.display_code in page
    assert 'data-number="A001"' in page


def test_the_counter_looks_todays_number_up_and_asks_for_the_code_to_hand_over(store, tea, member):
    other_store = LocationFactory()
    clerk, stranger = EmployeeFactory(home_location=store), EmployeeFactory(home_location=other_store)
    client = shop(member)
    with time_machine.travel(at(1, 17, 50), tick=False):
        checkout(client, tea, fulfilment="pickup", pickup_store=store.pk)
        order = pay_online(Order.objects.get())
        mine = staff(clerk).post(reverse("web:counter-pickup-lookup"), {"code": "A001"})
        theirs = staff(stranger).post(reverse("web:counter-pickup-lookup"), {"code": "A001"})
        by_number = staff(clerk).post(reverse("web:counter-pickup-redeem"), {"code": "A001"})

    page = mine.content.decode()
    assert mine.status_code == 200
    assert order.number in page and "A001" in page
    assert "Scan or type the customer's 12-digit pickup code to hand over" in page
    assert PickupVoucher.objects.get(order=order).code not in page  # the number does not reveal the code
    assert theirs.status_code == 422 and "No pickup order with this code at this store" in theirs.content.decode()
    assert by_number.status_code == 422
    assert PickupVoucher.objects.get(order=order).state == PickupVoucher.State.ISSUED


def test_the_counter_is_told_when_a_pickup_is_due_before_its_time(store, tea, member):
    clerk = EmployeeFactory(home_location=store)
    client = shop(member)
    with time_machine.travel(at(1, 17, 50), tick=False):
        checkout(
            client, tea, fulfilment="pickup", pickup_store=store.pk, **{f"pickup_at_{store.pk}": at(1, 19).isoformat()}
        )
        order = pay_online(Order.objects.get())
        early = staff(clerk).post(reverse("web:counter-pickup-redeem"), {"code": order.pickup_voucher.code})

    assert early.status_code == 422
    assert "This order is picked up from 12-01 19:00 and is not ready yet" in early.content.decode()
    assert PickupVoucher.objects.get(order=order).state == PickupVoucher.State.ISSUED
