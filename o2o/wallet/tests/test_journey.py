"""The issue's journey through the API: top up 500 and get 550, buy online with wallet + points,
return one unit after pickup: the wallet and the points come back exactly, `o2o audit` is clean."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from o2o.access.actors import SYSTEM
from o2o.inventory.services import receive_stock
from o2o.payments.gateways import SIGNATURE_HEADER, SimulatedGateway
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, as_member, as_staff
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.wallet import audit
from o2o.wallet.models import TopUp, TopUpTier

pytestmark = pytest.mark.django_db

D = Decimal


def gateway_pays(top_up_id: int) -> None:
    top_up = TopUp.objects.get(pk=top_up_id)
    gateway = SimulatedGateway()
    body = gateway.callback_body(event_id=f"evt-{top_up_id}", gateway_ref=top_up.gateway_ref, succeeded=True,
                                 amount=top_up.amount, txn_id=f"TXN{top_up_id}")  # fmt: skip
    response = ApiClient().post("payments/callbacks/simulated", body, headers={SIGNATURE_HEADER: gateway.sign(body)})
    assert response.json() == {"outcome": "top_up_credited"}


def wallet(member) -> tuple[str, str]:
    body = as_member(member).get("wallet/").json()
    return body["principal"], body["bonus"]


def points(member) -> int:
    return as_member(member).get("loyalty/me").json()["available"]


def test_top_up_buy_with_wallet_and_points_return_one_unit(member, store, clerk):
    TopUpTier.objects.create(pay_amount=D("500.00"), bonus_amount=D("50.00"))
    tea = SKUFactory(price=D("12.50"))
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=10, actor=SYSTEM)
    manager = EmployeeFactory(home_location=store, role=Role.STORE_MANAGER)
    cs_agent = EmployeeFactory(home_location=None, role=Role.CS_AGENT)

    # given 500 paid in online with the 500 -> 550 tier, and 2000 points of goodwill
    started = as_member(member).post("wallet/top-ups", {"amount": "500.00"})
    gateway_pays(started.json()["top_up"]["id"])
    goodwill = {"member_id": member.pk, "points": 2000, "reason": "welcome"}
    assert as_staff(cs_agent).post("loyalty/adjustments", goodwill).status_code == 200
    assert (wallet(member), points(member)) == (("500.00", "50.00"), 2000)

    # when the member buys 4 teas (50.00): 1000 points (10.00) and the wallet for the rest (40.00)
    body = {"channel": "app", "fulfilment": "pickup", "location_id": store.pk,
            "lines": [{"sku_id": tea.pk, "quantity": 4}]}  # fmt: skip
    order = as_member(member).post("orders", body).json()
    paid = as_member(member).post(
        f"payments/orders/{order['id']}/tenders",
        {"tenders": [{"method": "points", "points": 1000}, {"method": "wallet"}]},
        headers={"Idempotency-Key": "pay-1"},
    )

    # then it is paid at once; the wallet gave 40.00 in proportion: 36.36 principal + 3.64 bonus
    assert paid.status_code == 201, paid.content
    assert as_member(member).get(f"orders/{order['id']}").json()["state"] == "paid"
    assert (wallet(member), points(member)) == (("463.64", "46.36"), 1000)

    # when one tea (12.50) comes back after pickup
    code = as_member(member).get(f"pickup/orders/{order['id']}/voucher").json()["code"]
    assert as_staff(clerk).post("pickup/redeem", {"code": code}).status_code == 200
    line_id = as_member(member).get(f"orders/{order['id']}").json()["lines"][0]["id"]
    returned = as_staff(manager).post(
        f"orders/{order['id']}/returns", {"lines": [{"line_id": line_id, "quantity": 1}], "reason": "dented"}
    )

    # then the points go back first (10.00 = 1000 points), the wallet the other 2.50 in the
    # spend's proportion: 0.23 bonus (3.64 x 2.50 / 40.00, to the fen) and 2.27 principal
    assert returned.status_code == 200, returned.content
    assert (wallet(member), points(member)) == (("465.91", "46.59"), 2000)
    entries = as_member(member).get("wallet/entries").json()["results"]
    assert [(e["kind"], e["principal_delta"], e["bonus_delta"]) for e in entries] == [
        ("spend_refund", "2.27", "0.23"),
        ("spend", "-36.36", "-3.64"),
        ("top_up_bonus", "0.00", "50.00"),
        ("top_up", "500.00", "0.00"),
    ]
    assert audit.problems() == []
    call_command("audit")
