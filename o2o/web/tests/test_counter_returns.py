"""The counter's returns page: a store manager finds an order by its number, takes units back and sees
what goes back to which tender; clerks may not, other stores' orders are not found, a double submit
returns once."""

import re
from decimal import Decimal

import pytest
from django.test import Client

from o2o.access.actors import SYSTEM
from o2o.inventory.models import StockLevel
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order, OrderLine
from o2o.payments.gateways import SIGNATURE_HEADER, SimulatedGateway
from o2o.payments.models import Refund
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, as_member, as_staff
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.wallet.models import TopUp

pytestmark = pytest.mark.django_db

D = Decimal


def staff(employee) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    client.force_login(employee.user)
    return client


def wallet(member) -> tuple[str, str]:
    body = as_member(member).get("wallet/").json()
    return body["principal"], body["bonus"]


def points(member) -> int:
    return as_member(member).get("loyalty/me").json()["available"]


def gateway_pays(top_up_id: int) -> None:
    top_up = TopUp.objects.get(pk=top_up_id)
    gateway = SimulatedGateway()
    body = gateway.callback_body(event_id=f"evt-{top_up_id}", gateway_ref=top_up.gateway_ref, succeeded=True,
                                 amount=top_up.amount, txn_id=f"TXN{top_up_id}")  # fmt: skip
    response = ApiClient().post("payments/callbacks/simulated", body, headers={SIGNATURE_HEADER: gateway.sign(body)})
    assert response.json() == {"outcome": "top_up_credited"}


def key_of(html: str) -> str:
    return re.search(r'name="key" value="([0-9a-f]+)"', html).group(1)


@pytest.fixture
def sold(member, store, clerk):
    """A picked-up order of 2 teas (12.50) and 1 cake (30.00) = 55.00, paid with 1000 points (10.00) and
    the wallet (45.00, all principal: 500.00 topped up online, no tier so no bonus)."""
    tea, cake = SKUFactory(price=D("12.50"), name="Tea"), SKUFactory(price=D("30.00"), name="Cake")
    for sku in (tea, cake):
        receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10, actor=SYSTEM)
    cs_agent = EmployeeFactory(home_location=None, role=Role.CS_AGENT)
    goodwill = {"member_id": member.pk, "points": 2000, "reason": "welcome"}
    assert as_staff(cs_agent).post("loyalty/adjustments", goodwill).status_code == 200
    started = as_member(member).post("wallet/top-ups", {"amount": "500.00"})
    gateway_pays(started.json()["top_up"]["id"])
    body = {"channel": "app", "fulfilment": "pickup", "location_id": store.pk,
            "lines": [{"sku_id": tea.pk, "quantity": 2}, {"sku_id": cake.pk, "quantity": 1}]}  # fmt: skip
    order = as_member(member).post("orders", body).json()
    paid = as_member(member).post(
        f"payments/orders/{order['id']}/tenders",
        {"tenders": [{"method": "points", "points": 1000}, {"method": "wallet"}]},
        headers={"Idempotency-Key": "pay-1"},
    )
    assert paid.status_code == 201, paid.content
    code = as_member(member).get(f"pickup/orders/{order['id']}/voucher").json()["code"]
    assert as_staff(clerk).post("pickup/redeem", {"code": code}).status_code == 200
    assert (wallet(member), points(member)) == (("455.00", "0.00"), 1000)
    return Order.objects.get(pk=order["id"]), tea, cake


@pytest.fixture
def manager(store):
    return EmployeeFactory(home_location=store, role=Role.STORE_MANAGER)


def test_manager_takes_one_tea_back_and_sees_points_then_wallet(sold, manager, member, store):
    order, tea, _cake = sold
    client = staff(manager)
    page = client.get("/counter/returns/", {"number": order.number})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Tea" in html and "Cake" in html and "¥12.50" in html and "¥55.00" not in html
    line = OrderLine.objects.get(order=order, sku=tea)
    cake_line = OrderLine.objects.exclude(pk=line.pk).get(order=order)

    done = client.post(
        f"/counter/returns/{order.pk}/",
        {f"line-{line.pk}": "1", f"line-{cake_line.pk}": "0", "reason": "dented", "key": key_of(html)},
    )

    # 12.50 back: 1000 points were 10.00 of the 55.00, so points first (10.00), the wallet 2.50
    text = done.content.decode()
    assert done.status_code == 200, text
    assert "Goods taken back: ¥12.50 goes back" in text
    assert re.search(r'data-refund="points">.*?1000 points.*?¥10\.00', text, re.S)
    assert re.search(r'data-refund="wallet">.*?¥2\.50', text, re.S)
    assert (wallet(member), points(member)) == (("457.50", "0.00"), 2000)
    assert OrderLine.objects.get(pk=line.pk).returned_quantity == 1
    assert StockLevel.objects.get(location=store, sku=tea).on_hand == 9


def test_nav_link_only_for_whoever_may_return(manager, clerk):
    assert "/counter/returns/" in staff(manager).get("/counter/").content.decode()
    assert "/counter/returns/" not in staff(clerk).get("/counter/").content.decode()


def test_clerk_gets_403_and_nothing_changes(sold, clerk, member):
    order, tea, _cake = sold
    line = OrderLine.objects.get(order=order, sku=tea)
    client = staff(clerk)
    assert client.get("/counter/returns/", {"number": order.number}).status_code == 403
    refused = client.post(f"/counter/returns/{order.pk}/", {f"line-{line.pk}": "1", "reason": "x", "key": "k1"})
    assert refused.status_code == 403
    assert (wallet(member), points(member)) == (("455.00", "0.00"), 1000)
    assert OrderLine.objects.get(pk=line.pk).returned_quantity == 0
    assert not Refund.objects.exists()


def test_more_than_sold_is_a_form_error_and_nothing_is_written(sold, manager, member):
    order, tea, _cake = sold
    line = OrderLine.objects.get(order=order, sku=tea)
    client = staff(manager)
    # first one comes back, then 2 more of the 2 sold: only 1 is left
    html = client.get("/counter/returns/", {"number": order.number}).content.decode()
    one = {f"line-{line.pk}": "1", "reason": "dented", "key": key_of(html)}
    first = client.post(f"/counter/returns/{order.pk}/", one)
    assert first.status_code == 200
    before = (wallet(member), points(member), Refund.objects.count())

    html = client.get("/counter/returns/", {"number": order.number}).content.decode()
    refused = client.post(f"/counter/returns/{order.pk}/", {f"line-{line.pk}": "2", "reason": "x", "key": key_of(html)})

    assert refused.status_code == 422
    assert "That is more than was sold, less what came back already." in refused.content.decode()
    assert (wallet(member), points(member), Refund.objects.count()) == before
    assert OrderLine.objects.get(pk=line.pk).returned_quantity == 1

    typed = client.post(f"/counter/returns/{order.pk}/", {f"line-{line.pk}": "5", "reason": "x", "key": key_of(html)})
    assert typed.status_code == 422
    assert (wallet(member), points(member), Refund.objects.count()) == before


def test_double_submit_with_the_same_key_returns_once(sold, manager, member):
    order, tea, _cake = sold
    line = OrderLine.objects.get(order=order, sku=tea)
    client = staff(manager)
    key = key_of(client.get("/counter/returns/", {"number": order.number}).content.decode())
    form = {f"line-{line.pk}": "1", "reason": "dented", "key": key}

    first = client.post(f"/counter/returns/{order.pk}/", form)
    again = client.post(f"/counter/returns/{order.pk}/", form)

    assert (first.status_code, again.status_code) == (200, 200)
    assert "Goods taken back: ¥12.50 goes back" in again.content.decode()
    assert Refund.objects.count() == 2
    assert OrderLine.objects.get(pk=line.pk).returned_quantity == 1
    assert (wallet(member), points(member)) == (("457.50", "0.00"), 2000)


def test_another_stores_order_is_not_found(sold, other_store):
    order, tea, _cake = sold
    elsewhere = EmployeeFactory(home_location=other_store, role=Role.STORE_MANAGER)
    line = OrderLine.objects.get(order=order, sku=tea)
    client = staff(elsewhere)
    assert client.get("/counter/returns/", {"number": order.number}).status_code == 404
    refused = client.post(f"/counter/returns/{order.pk}/", {f"line-{line.pk}": "1", "reason": "x", "key": "k2"})
    assert refused.status_code == 404
    assert OrderLine.objects.get(pk=line.pk).returned_quantity == 0
    assert not Refund.objects.exists()


def test_an_order_not_handed_over_takes_no_return_here(member, store, manager):
    cake = SKUFactory(price=D("30.00"), name="Cake")
    receive_stock(location_id=store.pk, sku_id=cake.pk, quantity=5, actor=SYSTEM)
    body = {"channel": "app", "fulfilment": "pickup", "location_id": store.pk,
            "lines": [{"sku_id": cake.pk, "quantity": 1}]}  # fmt: skip
    order = Order.objects.get(pk=as_member(member).post("orders", body).json()["id"])
    line = order.lines.get()
    client = staff(manager)
    html = client.get("/counter/returns/", {"number": order.number}).content.decode()
    assert "This order takes no returns" in html
    refused = client.post(f"/counter/returns/{order.pk}/", {f"line-{line.pk}": "1", "reason": "x", "key": "k3"})
    assert refused.status_code == 422
    assert "This order takes no returns now" in refused.content.decode()
    assert not Refund.objects.exists()


def test_unknown_number_is_not_found_and_empty_number_is_a_form_error(manager):
    client = staff(manager)
    assert client.get("/counter/returns/", {"number": "NOPE"}).status_code == 404
    assert client.get("/counter/returns/", {"number": ""}).status_code == 422
