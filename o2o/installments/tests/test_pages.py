"""The pages: the plan choice offered on the pay page and taken by the member, "my installments",
the counter's set-up / repayment / settlement page, and HQ's overdue list."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from o2o.access.actors import SYSTEM
from o2o.installments.models import InstallmentPlan, InstallmentRepayment
from o2o.installments.services import run_daily
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import payment_code_of, place_counter_sale, place_pickup_order
from o2o.web.auth import MEMBER_SESSION_KEY

pytestmark = pytest.mark.django_db

D = Decimal


def signed_in(member) -> Client:
    client = Client()
    session = client.session
    session[MEMBER_SESSION_KEY] = member.pk
    session.save()
    return client


def staff(employee) -> Client:
    client = Client()
    client.force_login(employee.user)
    return client


@pytest.fixture
def tyre(store):
    sku = SKUFactory(price=D("1000.00"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=20, actor=SYSTEM)
    return sku


def test_the_pay_page_offers_a_plan_for_a_big_order_only(store, member, tyre):
    big = place_pickup_order(member=member, store=store, sku=tyre)
    small_sku = SKUFactory(price=D("20.00"))
    receive_stock(location_id=store.pk, sku_id=small_sku.pk, quantity=5, actor=SYSTEM)
    small = place_pickup_order(member=member, store=store, sku=small_sku)
    client = signed_in(member)

    offer = client.get(reverse("web:shop-installments-offer", args=[big.pk]), headers={"HX-Request": "true"})
    none = client.get(reverse("web:shop-installments-offer", args=[small.pk]), headers={"HX-Request": "true"})
    pay_page = client.get(reverse("web:shop-pay", args=[big.pk]))

    assert offer.status_code == 200
    assert reverse("web:shop-installments-choose", args=[big.pk]) in offer.content.decode()
    assert none.status_code == 204
    assert reverse("web:shop-installments-offer", args=[big.pk]) in pay_page.content.decode()


def test_the_member_chooses_six_months_and_the_order_is_paid(store, member, tyre):
    order = place_pickup_order(member=member, store=store, sku=tyre)
    client = signed_in(member)
    url = reverse("web:shop-installments-choose", args=[order.pk])
    assert "166.66" in client.get(url).content.decode()

    response = client.post(url, {"periods": "6", "down_payment": "0.00", "key": "form-1"})
    again = client.post(url, {"periods": "6", "down_payment": "0.00", "key": "form-1"})

    assert response.status_code == 302
    assert response["Location"] == reverse("web:shop-order", args=[order.pk])
    assert again.status_code in (200, 302)
    assert Order.objects.get(pk=order.pk).state == "paid"  # the store prepares it next
    assert InstallmentPlan.objects.get().periods == 6
    mine = client.get(reverse("web:shop-installments")).content.decode()
    assert order.number in mine and "166.70" in mine


def test_a_bad_choice_is_a_form_error_and_writes_nothing(store, member, tyre):
    order = place_pickup_order(member=member, store=store, sku=tyre)

    response = signed_in(member).post(
        reverse("web:shop-installments-choose", args=[order.pk]), {"periods": "5", "down_payment": "-1", "key": "k"}
    )

    assert response.status_code == 422
    assert InstallmentPlan.objects.count() == 0


def test_another_members_order_has_no_plan_page(store, member, tyre):
    order = place_pickup_order(member=member, store=store, sku=tyre)

    response = signed_in(MemberFactory()).post(
        reverse("web:shop-installments-choose", args=[order.pk]), {"periods": "3", "down_payment": "0", "key": "k"}
    )

    assert response.status_code == 404
    assert InstallmentPlan.objects.count() == 0


def test_the_counter_sets_up_a_plan_takes_a_repayment_and_settles(store, clerk, member, tyre):
    order = place_counter_sale(clerk=clerk, sku=tyre, member=member)
    client = staff(clerk)
    page = client.get(reverse("web:counter-installments"), {"order": order.number})
    assert "333.33" in page.content.decode()

    client.post(
        reverse("web:counter-installments-set-up", args=[order.pk]),
        {"periods": "3", "down_payment": "0.00", "method": "cash", "key": "a", "member_code": payment_code_of(member)},
    )
    client.post(
        reverse("web:counter-installments-repay", args=[order.pk]), {"amount": "333.33", "method": "card", "key": "b"}
    )
    client.post(reverse("web:counter-installments-settle", args=[order.pk]), {"method": "cash", "key": "c"})

    assert Order.objects.get(pk=order.pk).state == "picked_up"
    assert InstallmentPlan.objects.get().state == "settled"
    assert list(InstallmentRepayment.objects.order_by("pk").values_list("kind", "amount", "method")) == [
        ("due", D("333.33"), "card"),
        ("settlement", D("666.67"), "cash"),
    ]


def test_hq_sees_the_overdue_list(store, member, tyre):
    order = place_pickup_order(member=member, store=store, sku=tyre)
    signed_in(member).post(
        reverse("web:shop-installments-choose", args=[order.pk]), {"periods": "3", "down_payment": "0", "key": "k"}
    )
    due_date = InstallmentPlan.objects.get().dues.get(seq=1).due_date
    run_daily(today=due_date + timedelta(days=1))

    hq = staff(EmployeeFactory(role=Role.HQ, home_location=None)).get(reverse("web:hq-installments-overdue"))
    clerk = staff(EmployeeFactory(home_location=store)).get(reverse("web:hq-installments-overdue"))

    assert hq.status_code == 200
    assert order.number in hq.content.decode() and "333.33" in hq.content.decode()
    assert clerk.status_code == 403


def test_the_counter_says_why_a_repayment_is_refused_and_takes_nothing(store, clerk, member, tyre):
    order = place_counter_sale(clerk=clerk, sku=tyre, member=member)
    client = staff(clerk)
    client.cookies["django_language"] = "en"
    client.post(
        reverse("web:counter-installments-set-up", args=[order.pk]),
        {"periods": "3", "down_payment": "0.00", "method": "cash", "key": "a", "member_code": payment_code_of(member)},
    )

    response = client.post(
        reverse("web:counter-installments-repay", args=[order.pk]),
        {"amount": "1000.01", "method": "cash", "key": "b"},
        follow=True,
    )

    assert "That is more than is owed (¥1000.00)." in response.content.decode()
    assert InstallmentRepayment.objects.count() == 0
