"""Journey 7 with an automatic promotion instead of a coupon, through the API: a marketer runs a
spend-X-save-Y promotion in a campaign and pushes it to a segment; the same cart gets the same
discount in the app and at a store's counter; the campaign report counts both, online and offline."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.core.models import OutboxMessage
from o2o.inventory.services import receive_stock
from o2o.payments.models import Payment
from o2o.staff.models import Role
from o2o.testing.api import ApiClient
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory

pytestmark = pytest.mark.django_db
D = Decimal


def _ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


def test_journey_7_a_promotion_redeemed_online_and_in_store_is_in_the_campaign_report(store, clerk):
    marketer = ApiClient(user=EmployeeFactory(role=Role.MARKETER, home_location=None).user)
    sku = SKUFactory(price=D("60.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=10)
    online_member = MemberFactory(marketing_consent=True, marketing_consent_at=timezone.now())
    store_member = MemberFactory(marketing_consent=True, marketing_consent_at=timezone.now())

    # a campaign and its promotion: spend 100 save 10, online and in store
    starts = timezone.now() - timedelta(minutes=5)
    campaign = _ok(marketer.post("marketing/campaigns", {"name": "满100减10", "starts_at": starts.isoformat()}), 201)
    _ok(marketer.post("promotions", {
        "name": "满100减10", "kind": "spend_tiers", "starts_at": starts.isoformat(), "campaign_id": campaign["id"],
        "tiers": [{"threshold": "100.00", "amount_off": "10.00"}], "activate": True,
    }), 201)  # fmt: skip

    # pushed to a segment of members who gave consent
    segment = _ok(
        marketer.post(
            "marketing/segments", {"name": "同意营销", "rules": [{"kind": "marketing_consent", "value": True}]}
        ),
        201,
    )
    message = _ok(marketer.post("marketing/message-templates", {
        "name": "满减", "channel": "sms", "body": "{name}，满100减10，线上线下同享",
    }), 201)  # fmt: skip
    broadcast = _ok(marketer.post("marketing/broadcasts", {
        "segment_id": segment["id"], "template_id": message["id"], "campaign_id": campaign["id"],
    }), 201)  # fmt: skip
    _ok(marketer.post(f"marketing/broadcasts/{broadcast['id']}/send"))
    assert sorted(OutboxMessage.objects.filter(channel="sms").values_list("recipient", flat=True)) == sorted(
        [online_member.phone, store_member.phone]
    )

    # the same cart, 120.00, costs 110.00 in the app and at the counter
    lines = [{"sku_id": sku.pk, "quantity": 2}]
    online_client = ApiClient(member=online_member)
    online = _ok(online_client.post("orders", {
        "channel": "app", "fulfilment": "pickup", "location_id": store.pk, "lines": lines,
    }), 201)  # fmt: skip
    assert (online["total"], online["lines"][0]["discounts"][0]["campaign_id"]) == ("110.00", campaign["id"])
    _ok(online_client.post(f"payments/orders/{online['id']}/online"), 201)
    _ok(ApiClient().post(f"payments/simulator/{Payment.objects.get(order_id=online['id']).gateway_ref}"))

    counter = ApiClient(user=clerk.user)
    sale = _ok(counter.post("orders", {
        "channel": "pos", "fulfilment": "in_store", "location_id": store.pk, "member_phone": store_member.phone,
        "lines": lines,
    }), 201)  # fmt: skip
    assert sale["total"] == "110.00"
    _ok(counter.post(f"payments/orders/{sale['id']}/in-store", {"method": "cash"}), 201)

    # the report: 20.00 given, 2 orders, 220.00 taken, one online and one in store
    report = _ok(marketer.get(f"marketing/campaigns/{campaign['id']}/report"))
    assert (report["cost"], report["orders"], report["revenue"]) == ("20.00", 2, "220.00")
    assert (report["online"]["orders"], report["online"]["cost"]) == (1, "10.00")
    assert (report["offline"]["orders"], report["offline"]["cost"]) == (1, "10.00")
