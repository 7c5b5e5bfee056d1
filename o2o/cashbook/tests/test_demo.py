"""The demo chain comes with franchise shares and past daily closes that agree with their takings."""

from decimal import Decimal

import pytest

from o2o.cashbook.models import DailyClose
from o2o.cashbook.selectors import store_takings
from o2o.demo.generator import generate_demo
from o2o.stores.models import Location

pytestmark = pytest.mark.django_db


def test_the_demo_has_closes_with_their_days_takings_and_one_flagged():
    generate_demo(seed=3, stores=3, skus=10, members=20, days=7, orders_per_store_day=6)

    closes = list(DailyClose.objects.select_related("location").order_by("location__code", "business_date"))
    assert len(closes) == 3 * 5 - 1  # the first store has not closed yesterday
    assert sum(close.variance_flagged for close in closes) == 1
    for close in closes:
        assert close.variance == close.counted_cash - close.expected_cash
        assert store_takings(location=close.location, business_date=close.business_date).expected_cash == (
            close.expected_cash
        )
    franchise = Location.objects.filter(ownership=Location.Ownership.FRANCHISE)
    assert set(franchise.values_list("franchise_share_percent", flat=True)) == {Decimal("8.00")}
