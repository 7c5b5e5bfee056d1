"""Journey 4, employee as a store (B2S2C), end to end over the API: an employee's share link, a
customer joining through it, an order through the link credited to the employee and their store,
commission accrued (frozen) when paid, the goods handed over, a partial return reversing exactly
the returned units, the return window closing and the commission settling, the statement showing it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.catalog.models import Channel, Price
from o2o.commission import audit as commission_audit
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.orders.services import complete_orders
from o2o.payments.gateways import SIGNATURE_HEADER
from o2o.payments.models import Payment
from o2o.payments.simulator import signed_callback
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.outbox import last_code_sent_to

pytestmark = pytest.mark.django_db

PHONE, E164 = "13912345678", "+8613912345678"


def test_an_order_through_a_share_link_credits_the_employee_and_their_store(store, other_store, clerk, member):
    sku = SKUFactory(price=Decimal("20.00"))
    Price.objects.filter(sku=sku, channel=Channel.SHARE_LINK).update(amount=Decimal("18.00"))
    receive_stock(location_id=other_store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)

    response = as_member(member).post(
        "orders",
        {
            "channel": "share_link",
            "fulfilment": "pickup",
            "location_id": other_store.pk,
            "referrer_code": clerk.code,
            "lines": [{"sku_id": sku.pk, "quantity": 2}],
        },
    )

    assert response.status_code == 201, response.content
    order = response.json()
    assert (order["referrer_id"], order["selling_location_id"]) == (clerk.pk, store.pk)
    assert order["fulfilment_location_id"] == other_store.pk
    assert Decimal(order["total"]) == Decimal("36.00")  # the share-link price


def test_an_unknown_share_code_is_refused_and_nothing_is_written(store, member):
    sku = SKUFactory()
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)

    response = as_member(member).post(
        "orders",
        {
            "channel": "share_link",
            "fulfilment": "pickup",
            "location_id": store.pk,
            "referrer_code": "NOBODY",
            "lines": [{"sku_id": sku.pk, "quantity": 1}],
        },
    )

    assert (response.status_code, problem_code(response)) == (422, "invalid")
    assert not Order.objects.exists()


def _share_link_order(customer, store, clerk, lines):
    body = {"channel": "share_link", "fulfilment": "pickup", "location_id": store.pk, "referrer_code": clerk.code,
            "lines": [{"sku_id": sku.pk, "quantity": quantity} for sku, quantity in lines]}  # fmt: skip
    placed = customer.post("orders", body)
    assert placed.status_code == 201, placed.content
    return placed.json()


def _pay_through_the_gateway(customer, order):
    started = customer.post(f"payments/orders/{order['id']}/online")
    assert started.status_code == 201, started.content
    body, signature = signed_callback(Payment.objects.get(pk=started.json()["payment"]["id"]))
    assert ApiClient().post("payments/callbacks/simulated", body, headers={SIGNATURE_HEADER: signature}).json() == {
        "outcome": "paid"
    }


def _statement(viewer, employee):
    response = as_staff(viewer).get("commission/statements", employee_id=employee.pk,
                                     period=f"{timezone.localdate():%Y-%m}")  # fmt: skip
    assert response.status_code == 200, response.content
    return response.json()


def test_journey_4_share_link_to_settled_commission_with_a_partial_return(store, clerk):
    # HQ's plan: 5% by default, 10% on the tea
    hq = EmployeeFactory(role=Role.HQ, home_location=None)
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)
    tea, snack = SKUFactory(price=Decimal("20.00")), SKUFactory(price=Decimal("20.00"))
    Price.objects.filter(sku=tea, channel=Channel.SHARE_LINK).update(amount=Decimal("18.00"))
    for sku in (tea, snack):
        receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10, actor=SYSTEM)
    plan = as_staff(hq).post("commission/plans", {
        "name": "门店提成 2026", "effective_from": str(timezone.localdate() - timedelta(days=40)),
        "rates": [{"percent": "5.00"}, {"sku_id": tea.pk, "percent": "10.00"}],
    }, headers={"Idempotency-Key": "plan-2026"})  # fmt: skip
    assert plan.status_code == 201, plan.content

    # a new customer opens the clerk's share link and joins through it (the clerk acquired them)
    assert ApiClient().post("members/join/code", {"phone": PHONE, "store_code": store.code}).status_code == 202
    joined = ApiClient().post("members/join", {"phone": PHONE, "code": last_code_sent_to(E164),
                                               "store_code": store.code, "ref": clerk.code})  # fmt: skip
    assert joined.status_code == 200, joined.content
    customer = ApiClient()
    customer.headers["Authorization"] = f"Bearer {joined.json()['token']}"
    assert customer.get("members/me").json()["acquiring_employee_id"] == clerk.pk

    # orders through the link and pays: commission accrues, frozen
    order = _share_link_order(customer, store, clerk, [(tea, 3), (snack, 1)])
    assert (order["referrer_id"], Decimal(order["total"])) == (clerk.pk, Decimal("74.00"))
    _pay_through_the_gateway(customer, order)
    mine = as_staff(clerk).get("commission/me").json()
    # share-link sale: the link's employee 70% + the acquiring employee 10%, both the clerk
    # tea 54.00: 37.80 + 5.40 at 10% = 3.78 + 0.54; snack 20.00: 14.00 + 2.00 at 5% = 0.70 + 0.10
    assert (mine["frozen"], mine["settled"]) == ("5.12", "0.00")
    statement = _statement(clerk, clerk)
    assert [(line["order_number"], line["party"], line["split_percent"], line["base"], line["rate"],
             line["accrued"], line["state"]) for line in statement["lines"]] == [
        (order["number"], "share_link_employee", "70.00", "37.80", "10.00", "3.78", "frozen"),
        (order["number"], "acquiring_employee", "10.00", "5.40", "10.00", "0.54", "frozen"),
        (order["number"], "share_link_employee", "70.00", "14.00", "5.00", "0.70", "frozen"),
        (order["number"], "acquiring_employee", "10.00", "2.00", "5.00", "0.10", "frozen"),
    ]  # fmt: skip
    assert {line["touchpoint"] for line in statement["lines"]} == {"share_link_sale"}

    # the clerk hands the goods over at the store
    voucher = customer.get(f"pickup/orders/{order['id']}/voucher").json()
    assert as_staff(clerk).post("pickup/redeem", {"code": voucher["code"]}).status_code == 200

    # one tea comes back within the window: exactly its units' commission is reversed
    tea_line = next(line for line in order["lines"] if line["sku_id"] == tea.pk)
    one_back = {"lines": [{"line_id": tea_line["id"], "quantity": 1}], "reason": "破损"}
    returned = as_staff(manager).post(f"orders/{order['id']}/returns", one_back)
    assert returned.status_code == 200, returned.content
    assert as_staff(clerk).get("commission/me").json()["frozen"] == "3.68"  # 5.12 - (1.26 + 0.18)

    # the return window passes: what is left settles
    assert complete_orders(now=timezone.now() + timedelta(days=settings.O2O_RETURN_WINDOW_DAYS, minutes=1)) == 1
    mine = as_staff(clerk).get("commission/me").json()
    assert (mine["frozen"], mine["settled"]) == ("0.00", "3.68")

    # the statement shows every line settled, the returned share reversed, and totals that reconcile
    statement = _statement(clerk, clerk)
    assert [(line["accrued"], line["reversed"], line["settled"], line["state"]) for line in statement["lines"]] == [
        ("3.78", "-1.26", "2.52", "settled"),
        ("0.54", "-0.18", "0.36", "settled"),
        ("0.70", "0.00", "0.70", "settled"),
        ("0.10", "0.00", "0.10", "settled"),
    ]
    assert statement["totals"] == {"accrued": "5.12", "reversed": "-1.44", "clawed_back": "0.00",
                                   "settled": "3.68", "frozen": "0.00"}  # fmt: skip
    # the store manager sees it too; another clerk does not
    assert _statement(manager, clerk)["totals"] == statement["totals"]
    other = EmployeeFactory(home_location=store)
    assert as_staff(other).get("commission/statements", employee_id=clerk.pk).status_code == 403
    assert commission_audit.run() == []
