"""Cash at the counter: the cash given and the change on the receipt; too little cash sells nothing."""

from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.core.errors import DomainError
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.payments.cash import record_cash_tendered
from o2o.payments.models import Payment
from o2o.testing.factories import EmployeeFactory, SKUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tea(store):
    sku = SKUFactory(name="Jasmine tea 500ml", barcode="6901234567892", price=Decimal("4.50"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10, actor=SYSTEM)
    return sku


@pytest.fixture
def counter(clerk) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(clerk.user)
    return client


def _ring_up(counter: Client, tea, units: int) -> str:
    for _unit in range(units):
        counter.post(reverse("web:counter-sale-scan"), {"barcode": tea.barcode})
    return counter.get(reverse("web:counter-sale")).context["token"]


def test_the_receipt_shows_the_cash_given_and_the_change(counter, tea):
    token = _ring_up(counter, tea, 3)  # ¥13.50

    paid = counter.post(reverse("web:counter-sale-pay"), {"method": "cash", "token": token, "cash_tendered": "20"})

    payment = Payment.objects.get()
    assert (payment.amount, payment.cash_tendered, payment.change) == (
        Decimal("13.50"),
        Decimal("20.00"),
        Decimal("6.50"),
    )
    receipt = counter.get(paid["Location"]).content.decode()
    assert "Cash given ¥20.00" in receipt and "Change ¥6.50" in receipt


def test_too_little_cash_is_refused_and_nothing_is_sold(counter, tea):
    token = _ring_up(counter, tea, 3)

    response = counter.post(reverse("web:counter-sale-pay"), {"method": "cash", "token": token, "cash_tendered": "10"})

    assert response.status_code == 422
    assert "The cash given (¥10.00) is less than the ¥13.50 due." in response.content.decode()
    assert (Order.objects.count(), Payment.objects.count()) == (0, 0)


def test_cash_given_is_ignored_for_a_card_payment(counter, tea):
    token = _ring_up(counter, tea, 1)

    counter.post(reverse("web:counter-sale-pay"), {"method": "card", "token": token, "cash_tendered": "1"})

    assert Payment.objects.get().cash_tendered is None


def test_the_figure_is_noted_once_and_only_for_the_sellers_store(counter, tea, clerk, other_store):
    token = _ring_up(counter, tea, 1)  # ¥4.50
    counter.post(reverse("web:counter-sale-pay"), {"method": "cash", "token": token, "cash_tendered": "5"})
    order = Order.objects.get()

    again = record_cash_tendered(actor=actor_for_user(clerk.user), order=order, tendered=Decimal("50"))
    stranger = actor_for_user(EmployeeFactory(home_location=other_store).user)
    with pytest.raises(DomainError) as refused:
        record_cash_tendered(actor=stranger, order=order, tendered=Decimal("10"))

    assert again == Decimal("0.50")  # the first figure stands
    assert refused.value.code == "not_found"  # another store's sale reads as missing
    assert Payment.objects.get().cash_tendered == Decimal("5.00")


def test_the_database_refuses_cash_given_below_the_tender(counter, tea):
    token = _ring_up(counter, tea, 1)
    counter.post(reverse("web:counter-sale-pay"), {"method": "cash", "token": token})

    with pytest.raises(IntegrityError):
        Payment.objects.update(cash_tendered=Decimal("1.00"))
