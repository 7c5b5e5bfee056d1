"""The demo chain comes with levels, points and growth that the points audit agrees with."""

from datetime import date

import pytest

from o2o.demo.generator import generate_demo
from o2o.loyalty import audit
from o2o.loyalty.models import GrowthEntry, PointsAccount, PointsEarning, PointsEntry
from o2o.members.models import Member, MemberLevel

pytestmark = pytest.mark.django_db


def test_the_demo_has_levels_points_and_growth_that_add_up():
    generate_demo(seed=3, stores=3, skus=20, members=50, days=30, orders_per_store_day=6, today=date(2026, 3, 2))

    assert list(MemberLevel.objects.order_by("rank").values_list("name", flat=True)) == ["普通", "银卡", "金卡", "钻石"]
    assert PointsAccount.objects.filter(available__gt=0).exists()
    assert PointsEntry.objects.filter(kind="earn").exists()
    assert PointsEarning.objects.filter(state="pending").exists()
    assert GrowthEntry.objects.exists()
    assert Member.objects.filter(level__isnull=False).exists()
    assert audit.run() == []
