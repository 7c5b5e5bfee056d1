"""Coupon tests' short-cuts: a template made by the platform, a coupon granted to a member."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.coupons import services


@pytest.fixture
def template():
    def make(**fields):
        defaults = {"name": "10 off", "kind": "amount_off", "amount": Decimal("10.00"), "valid_days": 30}
        if "valid_from" in fields or "valid_until" in fields:
            defaults.pop("valid_days")
        if fields.get("kind") in ("percent_off", "free_item"):
            defaults.pop("amount")
        return services.create_template(actor=SYSTEM, **(defaults | fields))

    return make


@pytest.fixture
def coupon_of(template):
    def give(member, tpl=None, *, reference: str = "test", **fields):
        tpl = tpl or template(**fields)
        return services.grant_coupon(template_id=tpl.pk, member_id=member.pk, source="grant", reference=reference)

    return give


def window(days_from: int, days_until: int) -> dict:
    now = timezone.now()
    return {"valid_from": now + timedelta(days=days_from), "valid_until": now + timedelta(days=days_until)}
