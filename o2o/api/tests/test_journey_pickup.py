"""Journey 1: buy online, pick up in store — end to end over the API."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.inventory.selectors import audit_stock
from o2o.inventory.services import receive_stock
from o2o.orders.services import expire_unpaid_orders
from o2o.payments.gateways import SIGNATURE_HEADER
from o2o.payments.models import Payment
from o2o.payments.simulator import signed_callback
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, SKUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tea():
    return SKUFactory(name="乌龙茶 500ml", price=Decimal("6.50"))


def stock_of(store, sku):
    return store.stock_levels.get(sku=sku)


def test_member_buys_online_and_picks_up_at_the_nearest_store(store, other_store, clerk, member, tea, settings):
    settings.O2O_ONLINE_SAFETY_BUFFER = 1
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    customer = as_member(member)

    # finds the nearest store that has the item
    found = ApiClient().get("stores/nearby", lat=31.2310, lng=121.4740, items=f"{tea.pk}:2", only_complete=True)
    assert found.status_code == 200
    nearest = found.json()[0]
    assert nearest["location"]["id"] == store.pk
    assert nearest["availability"] == [{"sku_id": tea.pk, "available": 4}]  # 5 on the shelf, 1 kept back
    assert nearest["distance_km"] < 0.2

    # orders two for pickup: priced on the server, stock reserved at that store
    placed = customer.post(
        "orders",
        {
            "channel": "h5",
            "fulfilment": "pickup",
            "location_id": store.pk,
            "lines": [{"sku_id": tea.pk, "quantity": 2}],
        },
    )
    assert placed.status_code == 201, placed.content
    order = placed.json()
    assert order["state"] == "pending_payment"
    assert Decimal(order["total"]) == Decimal("13.00")
    assert stock_of(store, tea).reserved == 2

    # pays through the gateway, which confirms by a signed callback
    started = customer.post(f"payments/orders/{order['id']}/online")
    assert started.status_code == 201
    payment = Payment.objects.get(pk=started.json()["payment"]["id"])
    body, signature = signed_callback(payment)
    callback = ApiClient().post("payments/callbacks/simulated", body, headers={SIGNATURE_HEADER: signature})
    assert callback.json() == {"outcome": "paid"}
    assert customer.get(f"orders/{order['id']}").json()["state"] == "paid"  # 备货中: the store prepares it
    assert customer.get("loyalty/me").json()["pending"] == 13  # 13.00 yuan: points pending until completion

    # the store's clerk takes it from the preparation queue, scans both units and marks it ready
    preparing = as_staff(clerk)
    (queued,) = preparing.get("preparations").json()["results"]
    assert (queued["order_id"], queued["state"]) == (order["id"], "to_prepare")
    assert preparing.post(f"preparations/{queued['id']}/accept").status_code == 200
    assert preparing.post(f"preparations/{queued['id']}/picks", {"sku_id": tea.pk, "quantity": 2}).status_code == 200
    assert preparing.post(f"preparations/{queued['id']}/ready").json()["state"] == "ready"
    assert customer.get(f"orders/{order['id']}").json()["state"] == "ready_for_pickup"

    # a pickup voucher is issued: 12 digits and a signed QR
    voucher = customer.get(f"pickup/orders/{order['id']}/voucher").json()
    assert voucher["state"] == "issued" and len(voucher["code"]) == 12
    assert voucher["qr_svg_data_uri"].startswith("data:image/svg+xml")

    # a clerk of another store is refused, whether typing the code or scanning the QR
    stranger = as_staff(EmployeeFactory(home_location=other_store))
    assert problem_code(stranger.post("pickup/redeem", {"code": voucher["code"]})) == "not_found"
    assert problem_code(stranger.post("pickup/redeem", {"code": voucher["qr_payload"]})) == "forbidden"

    # the clerk of the pickup store scans the QR, sees what to hand over, and redeems it
    counter = as_staff(clerk)
    looked_up = counter.post("pickup/verify", {"code": voucher["qr_payload"]})
    assert looked_up.status_code == 200
    assert [(line["sku_id"], line["quantity"]) for line in looked_up.json()["lines"]] == [(tea.pk, 2)]
    redeemed = counter.post("pickup/redeem", {"code": voucher["display_code"]})
    assert redeemed.status_code == 200, redeemed.content
    assert redeemed.json()["state"] == "redeemed"

    # the order is done, the goods left the store's books, and a second redemption is refused
    assert customer.get(f"orders/{order['id']}").json()["state"] == "picked_up"
    level = stock_of(store, tea)
    assert (level.on_hand, level.reserved) == (3, 0)
    assert problem_code(counter.post("pickup/redeem", {"code": voucher["code"]})) == "voucher_not_redeemable"
    assert audit_stock() == []


def test_unpaid_order_expires_and_its_stock_returns(store, member, tea):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=3, actor=SYSTEM)
    customer = as_member(member)
    order = customer.post(
        "orders",
        {
            "channel": "app",
            "fulfilment": "pickup",
            "location_id": store.pk,
            "lines": [{"sku_id": tea.pk, "quantity": 2}],
        },
    ).json()
    assert stock_of(store, tea).reserved == 2

    expired = expire_unpaid_orders(now=timezone.now() + timedelta(minutes=16))

    assert expired == 1
    assert customer.get(f"orders/{order['id']}").json()["state"] == "cancelled"
    assert stock_of(store, tea).reserved == 0
    assert problem_code(customer.post(f"payments/orders/{order['id']}/online")) == "illegal_transition"
    assert audit_stock() == []


def test_payment_after_the_deadline_cancels_instead_of_paying(store, member, tea, settings):
    settings.O2O_PAYMENT_DEADLINE_MINUTES = -1
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=3, actor=SYSTEM)
    customer = as_member(member)
    order = customer.post(
        "orders",
        {
            "channel": "app",
            "fulfilment": "pickup",
            "location_id": store.pk,
            "lines": [{"sku_id": tea.pk, "quantity": 1}],
        },
    ).json()

    response = customer.post(f"payments/orders/{order['id']}/online")

    assert problem_code(response) == "payment_deadline_passed"
    assert customer.get(f"orders/{order['id']}").json()["state"] == "cancelled"
    assert stock_of(store, tea).reserved == 0
