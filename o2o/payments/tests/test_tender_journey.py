"""The money journey through the API: top up 500 and get 550, buy online with stored value +
points + the gateway, take it home, return one line: stored value and points come back exactly,
and the audit finds nothing."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from o2o.access.actors import SYSTEM
from o2o.inventory.services import receive_stock
from o2o.payments.models import Payment
from o2o.payments.simulator import simulate_customer_payment
from o2o.payments.topups import simulate_top_up_payment
from o2o.pickup.models import PickupVoucher
from o2o.staff.models import Role
from o2o.testing.api import as_member, as_staff
from o2o.testing.factories import EmployeeFactory, SKUFactory

pytestmark = pytest.mark.django_db

D = Decimal


def test_top_up_buy_with_wallet_and_points_return_one_line_and_everything_comes_back(store, member):
    hq = as_staff(EmployeeFactory(role=Role.HQ, home_location=None))
    customer = as_member(member)
    # HQ offers "pay 500, get 550" and gives the member 3000 points
    assert hq.post("wallet/tiers", {"pay_amount": "500.00", "bonus_amount": "50.00"}).status_code == 201
    given = hq.post("loyalty/adjustments", {"member_id": member.pk, "points": 3000, "reason": "welcome"})
    assert given.status_code == 200, given.content

    # the member tops up 500.00 at the gateway and gets 550.00
    top_up = customer.post("wallet/top-ups", {"amount": "500.00"}).json()["top_up"]
    simulate_top_up_payment(gateway_ref=_top_up_ref(top_up["id"]))
    assert customer.get("wallet/").json()["total"] == "550.00"

    # an order of 2 × 150.00 + 1 × 80.00 = 380.00, picked up at the store
    shirt, cap = SKUFactory(price=D("150.00")), SKUFactory(price=D("80.00"))
    for sku in (shirt, cap):
        receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=5)
    placed = customer.post(
        "orders",
        {"channel": "app", "fulfilment": "pickup", "location_id": store.pk,
         "lines": [{"sku_id": shirt.pk, "quantity": 2}, {"sku_id": cap.pk, "quantity": 1}]},
    )  # fmt: skip
    assert placed.status_code == 201, placed.content
    order_id = placed.json()["id"]
    total = D(placed.json()["total"])
    assert total == D("380.00")

    # paid with 300.00 of stored value, 2000 points (20.00) and the rest (60.00) at the gateway
    body = {"tenders": [{"method": "wallet", "amount": "300.00"}, {"method": "points", "points": 2000},
                        {"method": "online_qr"}]}  # fmt: skip
    paying = customer.post(f"payments/orders/{order_id}/tenders", body, headers={"Idempotency-Key": "pay-1"})
    assert paying.status_code == 201, paying.content
    gateway = Payment.objects.get(order_id=order_id, method="online_qr")
    assert gateway.amount == D("60.00")
    assert simulate_customer_payment(gateway_ref=gateway.gateway_ref) == "paid"

    # picked up, then the cap (80.00) comes back
    clerk = as_staff(EmployeeFactory(home_location=store))
    assert clerk.post("pickup/redeem", {"code": PickupVoucher.objects.get(order_id=order_id).code}).status_code == 200
    manager = as_staff(EmployeeFactory(home_location=store, role=Role.STORE_MANAGER))
    order_lines = customer.get(f"orders/{order_id}").json()["lines"]
    cap_line = next(line["id"] for line in order_lines if line["sku_id"] == cap.pk)
    returned = manager.post(
        f"orders/{order_id}/returns",
        {"lines": [{"line_id": cap_line, "quantity": 1}], "reason": "wrong size"},
        headers={"Idempotency-Key": "return-1"},
    )
    assert returned.status_code == 200, returned.content

    # points first (20.00 = 2000 points), then stored value (60.00); the gateway part is kept
    tenders = {p.method: p for p in Payment.objects.filter(order_id=order_id)}
    assert (tenders["points"].refunded_amount, tenders["wallet"].refunded_amount) == (D("20.00"), D("60.00"))
    assert tenders["online_qr"].refunded_amount == D("0.00")
    wallet = customer.get("wallet/").json()
    assert wallet["total"] == "310.00"  # 550.00 - 300.00 + 60.00
    assert customer.get("loyalty/me").json()["available"] == 3000
    out = StringIO()
    call_command("audit", stdout=out)  # raises when the books disagree
    assert "0 differences" in out.getvalue()


def _top_up_ref(top_up_id: int) -> str:
    from o2o.wallet.models import TopUp

    return TopUp.objects.get(pk=top_up_id).gateway_ref
