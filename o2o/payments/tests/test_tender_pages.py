"""Split tenders on the pages: the counter takes stored value by the member's payment code and
cash for the rest; the storefront's pay page takes stored value and points, the gateway the rest."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from o2o.access.actors import SYSTEM, actor_for_member, actor_for_user
from o2o.inventory.services import receive_stock
from o2o.loyalty.selectors import points_balance
from o2o.loyalty.services import Adjustment, adjust_points
from o2o.orders.models import Order, OrderState
from o2o.payments.models import Payment
from o2o.payments.simulator import simulate_customer_payment
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.journeys import place_pickup_order
from o2o.wallet.selectors import balance
from o2o.wallet.services import issue_payment_code, top_up_at_counter
from o2o.web.auth import MEMBER_SESSION_KEY

pytestmark = pytest.mark.django_db

D = Decimal


def _fund(member, store) -> None:
    cashier = actor_for_user(EmployeeFactory(home_location=store).user)
    top_up_at_counter(actor=cashier, location_id=store.pk, amount="100.00", method="cash", member_id=member.pk)
    adjust_points(actor=SYSTEM, adjustment=Adjustment(member.pk, 5000, "welcome", f"welcome:{member.pk}"))


def _counter(clerk) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(clerk.user)
    return client


def _shop(member) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    session = client.session
    session[MEMBER_SESSION_KEY] = member.pk
    session.save()
    return client


def test_the_counter_takes_stored_value_by_code_and_cash_for_the_rest(store, clerk, member):
    _fund(member, store)
    sku = SKUFactory(price=D("30.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=5)
    counter = _counter(clerk)
    counter.post(reverse("web:counter-sale-scan"), {"barcode": sku.barcode})
    token = counter.get(reverse("web:counter-sale")).context["token"]
    code, _row = issue_payment_code(actor=actor_for_member(member))

    paid = counter.post(
        reverse("web:counter-sale-pay"),
        {"method": "cash", "token": token, "member_code": code, "wallet_amount": "12.50"},
    )

    order = Order.objects.get()
    assert paid.status_code == 302 and paid["Location"] == reverse("web:counter-receipt", args=[order.pk])
    assert order.state == OrderState.PICKED_UP
    assert list(Payment.objects.order_by("pk").values_list("method", "amount", "payer")) == [
        ("wallet", D("12.50"), member.pk),
        ("cash", D("17.50"), None),
    ]
    assert balance(member_id=member.pk).total == D("87.50")
    receipt = counter.get(paid["Location"]).content.decode()
    assert "¥12.50" in receipt and "¥17.50" in receipt


def test_a_used_code_at_the_counter_sells_nothing(store, clerk, member):
    _fund(member, store)
    sku = SKUFactory(price=D("30.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=5)
    counter = _counter(clerk)
    counter.post(reverse("web:counter-sale-scan"), {"barcode": sku.barcode})
    token = counter.get(reverse("web:counter-sale")).context["token"]

    refused = counter.post(
        reverse("web:counter-sale-pay"), {"method": "cash", "token": token, "member_code": "000000000000000000"}
    )

    assert refused.status_code == 422
    assert "This payment code cannot be used" in refused.content.decode()
    assert Order.objects.get().state == OrderState.CANCELLED and Payment.objects.count() == 0
    assert balance(member_id=member.pk).total == D("100.00")


def test_the_pay_page_takes_stored_value_and_points_and_the_gateway_the_rest(store, member):
    _fund(member, store)
    sku = SKUFactory(price=D("100.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=5)
    order = place_pickup_order(member=member, store=store, sku=sku)
    shop = _shop(member)
    page = shop.get(reverse("web:shop-pay", args=[order.pk]))
    token = page.context["balance_form"]["token"].value()
    assert page.status_code == 200 and "Use stored value or points" in page.content.decode()

    applied = shop.post(
        reverse("web:shop-pay-balance", args=[order.pk]), {"wallet_amount": "30.00", "points": "2000", "token": token}
    )
    again = shop.post(
        reverse("web:shop-pay-balance", args=[order.pk]), {"wallet_amount": "30.00", "points": "2000", "token": token}
    )

    assert applied.status_code == again.status_code == 302
    assert balance(member_id=member.pk).total == D("70.00")
    assert points_balance(member_id=member.pk).available == 3000
    page = shop.get(reverse("web:shop-pay", args=[order.pk]))
    assert page.context["left_to_pay"] == D("50.00") and "¥50.00" in page.content.decode()
    gateway = Payment.objects.get(method="online_qr", state="pending")
    assert gateway.amount == D("50.00") and page.context["pay_url"].endswith(gateway.gateway_ref)

    assert simulate_customer_payment(gateway_ref=gateway.gateway_ref) == "paid"
    order.refresh_from_db()
    assert order.state == OrderState.PAID


def test_stored_value_that_covers_the_order_pays_it_at_once(store, member):
    _fund(member, store)
    sku = SKUFactory(price=D("40.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=5)
    order = place_pickup_order(member=member, store=store, sku=sku)
    shop = _shop(member)
    token = shop.get(reverse("web:shop-pay", args=[order.pk])).context["balance_form"]["token"].value()

    paid = shop.post(reverse("web:shop-pay-balance", args=[order.pk]), {"wallet_amount": "40.00", "token": token})

    order.refresh_from_db()
    assert paid["Location"] == reverse("web:shop-order", args=[order.pk])
    assert order.state == OrderState.PAID and balance(member_id=member.pk).total == D("60.00")
    too_much = shop.post(reverse("web:shop-pay-balance", args=[order.pk]), {"wallet_amount": "abc", "token": "t"})
    assert too_much.status_code == 302 and Payment.objects.count() == 1


def test_more_points_than_can_exist_is_refused_on_the_pay_page_not_a_server_error(store, member):
    _fund(member, store)
    sku = SKUFactory(price=D("40.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=5)
    order = place_pickup_order(member=member, store=store, sku=sku)
    shop = _shop(member)
    token = shop.get(reverse("web:shop-pay", args=[order.pk])).context["balance_form"]["token"].value()

    refused = shop.post(reverse("web:shop-pay-balance", args=[order.pk]), {"points": "200000000", "token": token})

    order.refresh_from_db()
    assert refused.status_code in (302, 422)
    assert order.state == OrderState.PENDING_PAYMENT and not Payment.objects.filter(state="succeeded").exists()
    assert points_balance(member_id=member.pk).available == 5000


def test_stored_value_for_the_whole_sale_at_the_counter_leaves_no_cash_part(store, clerk, member):
    _fund(member, store)
    sku = SKUFactory(price=D("30.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=5)
    counter = _counter(clerk)
    counter.post(reverse("web:counter-sale-scan"), {"barcode": sku.barcode})
    token = counter.get(reverse("web:counter-sale")).context["token"]
    code, _row = issue_payment_code(actor=actor_for_member(member))

    paid = counter.post(
        reverse("web:counter-sale-pay"),
        {"method": "cash", "token": token, "member_code": code, "wallet_amount": "30.00"},
    )

    order = Order.objects.get()
    assert paid.status_code == 302 and order.state == OrderState.PICKED_UP
    assert list(Payment.objects.values_list("method", "amount")) == [("wallet", D("30.00"))]
    assert balance(member_id=member.pk).total == D("70.00")
