"""Points end to end through the API: earn on an order, spend them on the next one with the gateway
paying the rest, return a unit: points back exactly, pending reversed, the books audit clean."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from o2o.loyalty import audit
from o2o.orders.services import complete_orders
from o2o.payments.models import Payment
from o2o.payments.simulator import simulate_customer_payment
from o2o.testing.api import as_member, as_staff

pytestmark = pytest.mark.django_db


def order(member, store, sku, quantity: int) -> dict:
    body = {"channel": "app", "fulfilment": "pickup", "location_id": store.pk,
            "lines": [{"sku_id": sku.pk, "quantity": quantity}]}  # fmt: skip
    response = as_member(member).post("orders", body)
    assert response.status_code == 201, response.content
    return response.json()


def gateway_pays(order_id: int) -> None:
    payment = Payment.objects.get(order_id=order_id, method="online_qr")
    simulate_customer_payment(gateway_ref=payment.gateway_ref)


def collect(clerk, member, order_id: int) -> None:
    code = as_member(member).get(f"pickup/orders/{order_id}/voucher").json()["code"]
    assert as_staff(clerk).post("pickup/redeem", {"code": code}).status_code == 200


def points(member) -> tuple[int, int]:
    body = as_member(member).get("loyalty/me").json()
    return body["available"], body["pending"]


def test_earn_spend_return_and_the_points_come_back_exactly(member, store, tea, clerk, manager, cs_agent):
    # given a first order of 8 teas (100.00) paid online, collected and completed: 100 points
    first = order(member, store, tea, 8)
    as_member(member).post(f"payments/orders/{first['id']}/online")
    gateway_pays(first["id"])
    assert points(member) == (0, 100)
    collect(clerk, member, first["id"])
    complete_orders(now=timezone.now() + timedelta(days=8))
    assert points(member) == (100, 0)
    # and 1900 points of goodwill from customer service
    goodwill = {"member_id": member.pk, "points": 1900, "reason": "late delivery"}
    assert as_staff(cs_agent).post("loyalty/adjustments", goodwill).status_code == 200
    assert points(member) == (2000, 0)

    # when the member pays a second order of 2 teas (25.00) with 2000 points (20.00) and the gateway
    second = order(member, store, tea, 2)
    paid = as_member(member).post(
        f"payments/orders/{second['id']}/tenders",
        {"tenders": [{"method": "points", "points": 2000}, {"method": "online_qr"}]},
        headers={"Idempotency-Key": "pay-second"},
    )
    assert paid.status_code == 201, paid.content
    assert points(member) == (0, 0)
    gateway_pays(second["id"])
    # then the order earns on its lines' net (25.00), points part included
    assert points(member) == (0, 25)

    # when one of the two teas comes back after pickup
    collect(clerk, member, second["id"])
    line_id = as_member(member).get(f"orders/{second['id']}").json()["lines"][0]["id"]
    returned = as_staff(manager).post(
        f"orders/{second['id']}/returns", {"lines": [{"line_id": line_id, "quantity": 1}], "reason": "dented"}
    )
    assert returned.status_code == 200, returned.content

    # then its 12.50 goes back to the points first (1250 points), and its pending points go
    assert points(member) == (1250, 13)
    history = as_member(member).get("loyalty/me/history").json()["results"]
    assert [(e["kind"], e["points"]) for e in history] == [("refund", 1250), ("spend", -2000), ("adjust", 1900),
                                                           ("earn", 100)]  # fmt: skip
    assert audit.run() == []
    call_command("audit")
