"""The demo's coupons: templates of every kind in use, and the demo member holds coupons usable online."""

from datetime import date

import pytest

from o2o.coupons.models import Coupon, CouponTemplate
from o2o.demo.generator import DEMO_MEMBER_PHONE, generate_demo
from o2o.members.models import Member
from o2o.testing.api import ApiClient, as_member

pytestmark = pytest.mark.django_db


def test_the_demo_member_holds_coupons_and_the_claim_centre_has_one():
    generate_demo(stores=3, skus=20, members=60, days=3, orders_per_store_day=3, today=date(2025, 3, 10))

    member = Member.objects.get(phone=DEMO_MEMBER_PHONE)
    assert set(CouponTemplate.objects.values_list("kind", flat=True)) == {
        "threshold", "percent_off", "amount_off", "free_item",
    }  # fmt: skip
    assert Coupon.objects.filter(member=member).count() == 3
    assert [t["name"] for t in ApiClient().get("coupons/claimable").json()] == ["满99减15"]
    usable = as_member(member).get("coupons/usable", channel="app").json()
    assert [c["name"] for c in usable] == ["满99减15"]
