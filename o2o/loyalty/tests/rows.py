"""One row of every loyalty table, made through the services (for screens that must show data)."""

from decimal import Decimal

from django.db import transaction

from o2o.access.actors import SYSTEM
from o2o.loyalty import levels, services
from o2o.loyalty.models import CategoryPointsRule
from o2o.members.models import MemberLevel
from o2o.testing.factories import CategoryFactory


def loyalty_rows(member) -> None:
    """A level and a category rule; points given and partly spent; growth and a level change.
    (Pending earnings come from any paid order of a member.)"""
    MemberLevel.objects.create(code="rows-silver", name="银卡", rank=901, min_growth=1)
    CategoryPointsRule.objects.create(category=CategoryFactory(), multiplier=Decimal(2))
    adjustment = services.Adjustment(member_id=member.pk, points=500, reason="welcome", reference="rows")
    services.adjust_points(actor=SYSTEM, adjustment=adjustment)
    with transaction.atomic():
        services.spend_points(member_id=member.pk, points=100, reference="rows")
    levels.record_growth(member_id=member.pk, order_id=10**9, amount=Decimal("10.00"))
    levels.recompute_levels()
