"""Member levels: growth from completed orders, the nightly job moves members up and down."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.core.models import OutboxMessage
from o2o.inventory.services import receive_stock
from o2o.loyalty import levels
from o2o.loyalty.models import GrowthEntry, LevelChange
from o2o.loyalty.selectors import growth_value
from o2o.members.models import Member, MemberLevel
from o2o.orders.services import complete_orders
from o2o.testing.api import as_staff
from o2o.testing.factories import MemberFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order
from o2o.testing.outbox import not_order_notifications

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiers():
    return {
        "silver": MemberLevel.objects.create(code="silver", name="银卡", rank=1, min_growth=1000),
        "gold": MemberLevel.objects.create(
            code="gold", name="金卡", rank=2, min_growth=3000, points_multiplier=Decimal("1.50")
        ),
    }


def grow(member, amount: str, *, days_ago: int = 0, order_id: int) -> None:
    at = timezone.now() - timedelta(days=days_ago)
    levels.record_growth(member_id=member.pk, order_id=order_id, amount=Decimal(amount), now=at)


def level_code(member) -> str | None:
    level = Member.objects.get(pk=member.pk).level
    return level.code if level else None


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("999.99", None), ("1000.00", "silver"), ("2999.99", "silver"), ("3000.00", "gold"), ("12000.00", "gold")],
)
def test_the_nightly_job_gives_the_highest_level_the_growth_reaches(tiers, amount, expected):
    member = MemberFactory()
    grow(member, amount, order_id=1)

    levels.recompute_levels()

    assert level_code(member) == expected


def test_a_completed_order_counts_its_kept_net_towards_the_level(tiers, store, clerk, member):
    tyres = SKUFactory(price=Decimal("1000.00"))
    receive_stock(location_id=store.pk, sku_id=tyres.pk, quantity=5, actor=SYSTEM)
    order = paid_pickup_order(member=member, store=store, sku=tyres, quantity=1)
    as_staff(clerk).post("pickup/redeem", {"code": order.pickup_voucher.code})
    levels.recompute_levels()
    assert level_code(member) is None  # paid, not completed: no growth yet

    complete_orders(now=timezone.now() + timedelta(days=8))
    changed = levels.recompute_levels()

    assert GrowthEntry.objects.get().amount == Decimal("1000.00")
    assert growth_value(member_id=member.pk) == 1000
    assert (changed, level_code(member)) == (1, "silver")
    change = LevelChange.objects.get()
    assert (change.from_level, change.to_level, change.growth) == (None, tiers["silver"], 1000)
    message = not_order_notifications().get(recipient=member.phone)
    assert "银卡" in message.body and "1000" in message.body


def test_growth_older_than_12_months_no_longer_counts_and_the_member_moves_down(tiers):
    member = MemberFactory()
    grow(member, "2500.00", days_ago=364, order_id=1)
    grow(member, "1200.00", days_ago=10, order_id=2)
    levels.recompute_levels()
    assert level_code(member) == "gold"

    changed = levels.recompute_levels(now=timezone.now() + timedelta(days=2))

    assert (changed, level_code(member)) == (1, "silver")
    assert list(LevelChange.objects.order_by("pk").values_list("to_level__code", "growth")) == [
        ("gold", 3700),
        ("silver", 1200),
    ]
    assert levels.recompute_levels(now=timezone.now() + timedelta(days=400)) == 1
    assert level_code(member) is None


def test_a_second_run_changes_nothing_and_sends_nothing(tiers):
    member = MemberFactory()
    grow(member, "1500.00", order_id=1)
    levels.recompute_levels()

    assert levels.recompute_levels() == 0
    assert LevelChange.objects.count() == 1 and OutboxMessage.objects.count() == 1


def test_anonymised_members_are_left_alone(tiers):
    member = MemberFactory(anonymised_at=timezone.now())
    grow(member, "5000.00", order_id=1)

    assert levels.recompute_levels() == 0
    assert level_code(member) is None


def test_growth_is_counted_once_per_order(tiers):
    member = MemberFactory()
    grow(member, "800.00", order_id=7)
    grow(member, "800.00", order_id=7)

    assert growth_value(member_id=member.pk) == 800
