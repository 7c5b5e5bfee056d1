"""Journey 7, the campaign, end to end through the API: a marketer creates a campaign, a coupon and
a segment (bought in the last 30 days), grants the coupon to the segment, broadcasts to it (consent
and the control group respected); one member redeems online, another at a store's counter; the
report shows the cost, 2 orders, their revenue, online 1 / offline 1, and the uplift."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.payments.models import Payment
from o2o.pricing.models import in_control_group
from o2o.staff.models import Role
from o2o.testing.api import ApiClient
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order
from o2o.testing.outbox import not_order_notifications

pytestmark = pytest.mark.django_db


def _recent_buyers(store, n: int):
    """n members who paid an order 10 days ago; every other one gave marketing consent."""
    sku = SKUFactory(price=Decimal("20.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=n + 5)
    members = []
    for i in range(n):
        consent = {"marketing_consent": True, "marketing_consent_at": timezone.now()} if i % 2 == 0 else {}
        member = MemberFactory(**consent)
        order = paid_pickup_order(member=member, store=store, sku=sku)
        Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(days=10))
        members.append(member)
    return members


def _ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


def test_journey_7_campaign_segment_grant_broadcast_redeem_online_and_in_store_report(store, clerk):
    # given: buyers of the last 30 days (and one who bought long ago), a marketer, goods in the store
    buyers = _recent_buyers(store, 8)
    lapsed = _recent_buyers(store, 1)[0]
    Order.objects.filter(member=lapsed).update(paid_at=timezone.now() - timedelta(days=90))
    marketer = ApiClient(user=EmployeeFactory(role=Role.MARKETER, home_location=None).user)
    sku = SKUFactory(price=Decimal("100.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=10)

    # the marketer creates the campaign (a quarter held out), its coupon and the segment
    starts = timezone.now() - timedelta(minutes=5)
    campaign = _ok(marketer.post("marketing/campaigns", {
        "name": "老客回流", "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(days=7)).isoformat(),
        "control_percent": 25,
    }), 201)  # fmt: skip
    template = _ok(marketer.post("coupon-templates", {
        "name": "满80减15", "kind": "amount_off", "amount": "15.00", "min_spend": "80.00", "valid_days": 7,
        "channel_scope": "both", "campaign_id": campaign["id"],
    }), 201)  # fmt: skip
    rules = [{"kind": "purchased_within", "days": 30}]
    assert _ok(marketer.get("marketing/segments/preview", rules='[{"kind": "purchased_within", "days": 30}]')) == {
        "members": 8
    }
    segment = _ok(marketer.post("marketing/segments", {"name": "近30天购买", "rules": rules}), 201)
    treated = [
        m for m in buyers if not in_control_group(campaign_id=campaign["id"], control_percent=25, member_id=m.pk)
    ]
    control = [m for m in buyers if m not in treated]

    # grants the coupon to the segment: the control group gets none
    grant = _ok(marketer.post(f"marketing/segments/{segment['id']}/grants", {"template_id": template["id"]}), 201)
    assert (grant["members"], grant["granted"], grant["held_out"]) == (8, len(treated), len(control))

    # broadcasts to it: only members with consent outside the control group get a message
    message = _ok(marketer.post("marketing/message-templates", {
        "name": "到账提醒", "channel": "sms", "body": "{name}，15元券已到账，全渠道可用",
    }), 201)  # fmt: skip
    broadcast = _ok(marketer.post("marketing/broadcasts", {
        "segment_id": segment["id"], "template_id": message["id"], "campaign_id": campaign["id"],
    }), 201)  # fmt: skip
    sent = _ok(marketer.post(f"marketing/broadcasts/{broadcast['id']}/send"))
    messaged = sorted(m.phone for m in treated if m.marketing_consent)
    assert sorted(not_order_notifications().filter(channel="sms").values_list("recipient", flat=True)) == messaged
    assert sent["deliveries"]["skipped_no_consent"] == sum(1 for m in buyers if not m.marketing_consent)
    assert sent["deliveries"]["skipped_control"] == sum(1 for m in control if m.marketing_consent)

    # one member redeems online: orders with the coupon and pays through the gateway
    online_member, store_member = treated[0], treated[1]
    online_client = ApiClient(member=online_member)
    coupon = _ok(online_client.get("me/coupons"))["results"][0]
    online = _ok(online_client.post("orders", {
        "channel": "app", "fulfilment": "pickup", "location_id": store.pk,
        "lines": [{"sku_id": sku.pk, "quantity": 1}], "coupon_ids": [coupon["id"]],
    }), 201)  # fmt: skip
    assert Decimal(online["total"]) == Decimal("85.00")
    _ok(online_client.post(f"payments/orders/{online['id']}/online"), 201)
    gateway_ref = Payment.objects.get(order_id=online["id"]).gateway_ref
    _ok(ApiClient().post(f"payments/simulator/{gateway_ref}"))

    # another redeems in store: the clerk rings the sale up with the member's coupon and takes cash
    counter = ApiClient(user=clerk.user)
    store_coupon = _ok(ApiClient(member=store_member).get("me/coupons"))["results"][0]
    sale = _ok(counter.post("orders", {
        "channel": "pos", "fulfilment": "in_store", "location_id": store.pk, "member_phone": store_member.phone,
        "lines": [{"sku_id": sku.pk, "quantity": 2}], "coupon_ids": [store_coupon["id"]],
    }), 201)  # fmt: skip
    assert Decimal(sale["total"]) == Decimal("185.00")
    _ok(counter.post(f"payments/orders/{sale['id']}/in-store", {"method": "cash"}), 201)

    # then: the report
    report = _ok(marketer.get(f"marketing/campaigns/{campaign['id']}/report"))
    assert (report["cost"], report["orders"], report["revenue"]) == ("30.00", 2, "270.00")
    assert (report["online"]["orders"], report["online"]["revenue"], report["online"]["cost"]) == (1, "85.00", "15.00")
    assert (report["offline"]["orders"], report["offline"]["revenue"]) == (1, "185.00")
    assert (report["online"]["coupons_used"], report["offline"]["coupons_used"]) == (1, 1)
    assert report["coupons_issued"] == len(treated)
    assert report["by_store"] == [
        {"location_id": store.pk, "name": store.name, "orders": 2, "revenue": "270.00", "cost": "30.00"}
    ]
    uplift = report["uplift"]
    assert (uplift["treated"]["members"], uplift["treated"]["orders"], uplift["treated"]["revenue"]) == (
        len(treated), 2, "270.00"
    )  # fmt: skip
    assert (uplift["control"]["members"], uplift["control"]["orders"]) == (len(control), 0)
    expected = (Decimal("270.00") / len(treated)).quantize(Decimal("0.01"))
    assert Decimal(uplift["revenue_per_member"]) == expected
    assert lapsed.phone not in str(report)
