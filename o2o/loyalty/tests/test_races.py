"""Points spent at the same moment on PostgreSQL: the balance never goes below 0."""

import pytest
from django.db import transaction

from o2o.access.actors import SYSTEM
from o2o.core.errors import DomainError, ErrorCode
from o2o.loyalty import audit, services
from o2o.loyalty.models import EntryKind, PointsAccount, PointsEntry, PointsLot
from o2o.testing.factories import MemberFactory
from o2o.testing.races import requires_postgres, run_together

pytestmark = [pytest.mark.postgres, requires_postgres]


def _spend(member_id: int, reference: str):
    with transaction.atomic():
        return services.spend_points(member_id=member_id, points=100, reference=reference)


def _refund(reference: str, refund_reference: str):
    with transaction.atomic():
        return services.refund_points(spend_reference=reference, points=100, refund_reference=refund_reference)


@pytest.mark.django_db(transaction=True)
def test_twenty_spends_racing_on_points_that_cover_five_succeed_exactly_five_times():
    # given 520 points in two lots
    member = MemberFactory()
    for reference, points in (("a", 300), ("b", 220)):
        services.adjust_points(
            actor=SYSTEM,
            adjustment=services.Adjustment(member_id=member.pk, points=points, reason="race", reference=reference),
        )

    # when twenty spends of 100 start together
    outcomes = run_together([lambda i=i: _spend(member.pk, f"pay-{i}") for i in range(20)])

    # then exactly five succeed, the others are refused with insufficient_points, nothing else
    ok = [o for o in outcomes if o.error is None]
    refused = [o for o in outcomes if isinstance(o.error, DomainError)]
    print(f"\n20 racing spends of 100 on 520 points: {len(ok)} ok, {len(refused)} refused")
    assert len(ok) == 5 and len(refused) == 15
    assert {o.error.code for o in refused} == {ErrorCode.INSUFFICIENT_POINTS}
    assert PointsAccount.objects.get(member=member).available == 20
    assert sum(PointsLot.objects.values_list("remaining", flat=True)) == 20
    assert PointsEntry.objects.filter(kind=EntryKind.SPEND).count() == 5
    assert audit.run() == []


@pytest.mark.django_db(transaction=True)
def test_one_spend_retried_ten_times_at_once_takes_the_points_once_and_its_refund_gives_them_back_once():
    member = MemberFactory()
    services.adjust_points(
        actor=SYSTEM, adjustment=services.Adjustment(member_id=member.pk, points=500, reason="race", reference="a")
    )

    spends = run_together([lambda: _spend(member.pk, "pay-1") for _ in range(10)])
    refunds = run_together([lambda: _refund("pay-1", "ref-1") for _ in range(10)])

    assert all(o.error is None for o in spends + refunds), [o.error for o in spends + refunds if o.error]
    assert len({o.value.pk for o in spends}) == 1 and len({o.value.pk for o in refunds}) == 1
    assert PointsAccount.objects.get(member=member).available == 500
    assert audit.run() == []
