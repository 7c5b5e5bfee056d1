"""The services the payments app calls: spend_points, refund_points, points_value, points_for_value."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.core.errors import DomainError, ErrorCode
from o2o.loyalty import services
from o2o.loyalty.models import EntryKind, PointsAccount, PointsEntry, PointsLot, PointsLotUse
from o2o.loyalty.selectors import points_balance
from o2o.testing.factories import MemberFactory

pytestmark = pytest.mark.django_db

SYSTEM = Actor(system=True)


def give(member, points: int, reference: str, *, at: datetime | None = None) -> PointsLot:
    """Points available to the member, as one lot (an HQ adjustment, made at `at`)."""
    adjustment = services.Adjustment(member_id=member.pk, points=points, reason="test", reference=reference)
    if at is None:
        entry = services.adjust_points(actor=SYSTEM, adjustment=adjustment)
    else:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(timezone, "now", lambda: at)
            entry = services.adjust_points(actor=SYSTEM, adjustment=adjustment)
    return entry.lot


def spend(**kwargs):
    with transaction.atomic():
        return services.spend_points(**kwargs)


def refund(**kwargs):
    with transaction.atomic():
        return services.refund_points(**kwargs)


def available(member) -> int:
    return PointsAccount.objects.get(member=member).available


@pytest.mark.parametrize(
    ("points", "value"),
    [(0, Decimal("0.00")), (1, Decimal("0.01")), (100, Decimal("1.00")), (2050, Decimal("20.50"))],
)
def test_points_value_and_its_inverse_at_100_points_a_yuan(points, value):
    assert services.points_value(points) == value
    assert services.points_for_value(value) == points


def test_points_for_value_refuses_what_is_not_a_fen_amount():
    for bad in (Decimal("0.001"), Decimal("-1.00"), Decimal("NaN"), 1.5):
        with pytest.raises(DomainError) as caught:
            services.points_for_value(bad)
        assert caught.value.code == ErrorCode.INVALID


def test_points_value_at_another_rate(settings):
    settings.O2O_POINTS_PER_YUAN_TENDER = 50
    assert services.points_value(75) == Decimal("1.50")
    assert services.points_for_value(Decimal("1.51")) == 76  # 75.5 points: rounded up


def test_spend_takes_the_soonest_expiring_lots_first():
    member = MemberFactory()
    older = give(member, 300, "a", at=timezone.now().replace(year=timezone.now().year - 1))
    newer = give(member, 500, "b")

    entry = spend(member_id=member.pk, points=400, reference="pay-1")

    assert entry.kind == EntryKind.SPEND and entry.points == -400
    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.remaining, newer.remaining) == (0, 400)
    assert available(member) == 400
    assert sorted(PointsLotUse.objects.filter(entry=entry).values_list("lot_id", "points")) == sorted(
        [(older.pk, 300), (newer.pk, 100)]
    )


def test_the_same_spend_reference_again_returns_the_first_entry_and_takes_nothing_more():
    member = MemberFactory()
    give(member, 1000, "a")

    first = spend(member_id=member.pk, points=300, reference="pay-1")
    again = spend(member_id=member.pk, points=300, reference="pay-1")

    assert again.pk == first.pk
    assert available(member) == 700
    assert PointsEntry.objects.filter(kind=EntryKind.SPEND).count() == 1


def test_the_same_spend_reference_for_other_points_is_a_conflict():
    member = MemberFactory()
    give(member, 1000, "a")
    spend(member_id=member.pk, points=300, reference="pay-1")

    with pytest.raises(DomainError) as caught:
        spend(member_id=member.pk, points=200, reference="pay-1")

    assert caught.value.code == ErrorCode.IDEMPOTENCY_CONFLICT
    assert available(member) == 700


def test_spending_more_than_available_is_refused_and_writes_nothing():
    member = MemberFactory()
    lot = give(member, 299, "a")

    with pytest.raises(DomainError) as caught:
        spend(member_id=member.pk, points=300, reference="pay-1")

    assert caught.value.code == ErrorCode.INSUFFICIENT_POINTS and caught.value.status == 409
    assert caught.value.extra == {"available": 299, "requested": 300}
    lot.refresh_from_db()
    assert (available(member), lot.remaining) == (299, 299)
    assert not PointsEntry.objects.filter(kind=EntryKind.SPEND).exists()


def test_a_member_without_points_cannot_spend():
    member = MemberFactory()
    with pytest.raises(DomainError) as caught:
        spend(member_id=member.pk, points=1, reference="pay-1")
    assert caught.value.code == ErrorCode.INSUFFICIENT_POINTS
    assert not PointsAccount.objects.exists()


@pytest.mark.parametrize("points", [0, -5, 1.5, "100", True, 10**9])
def test_spend_refuses_bad_points(points):
    member = MemberFactory()
    give(member, 1000, "a")
    with pytest.raises(DomainError) as caught:
        spend(member_id=member.pk, points=points, reference="pay-1")
    assert caught.value.code == ErrorCode.INVALID
    assert available(member) == 1000


def test_refund_gives_back_into_the_lots_the_spend_took_and_is_idempotent():
    member = MemberFactory()
    older = give(member, 300, "a", at=timezone.now().replace(year=timezone.now().year - 1))
    newer = give(member, 500, "b")
    spend(member_id=member.pk, points=400, reference="pay-1")

    first = refund(spend_reference="pay-1", points=150, refund_reference="ref-1")
    again = refund(spend_reference="pay-1", points=150, refund_reference="ref-1")

    assert again.pk == first.pk and first.points == 150
    assert available(member) == 550
    older.refresh_from_db()
    newer.refresh_from_db()
    # the latest-expiring lot first: the 100 taken from it, then 50 of the older one
    assert (older.remaining, newer.remaining) == (50, 500)


def test_refunds_never_give_back_more_than_the_spend_took():
    member = MemberFactory()
    give(member, 1000, "a")
    spend(member_id=member.pk, points=400, reference="pay-1")
    refund(spend_reference="pay-1", points=300, refund_reference="ref-1")

    with pytest.raises(DomainError) as caught:
        refund(spend_reference="pay-1", points=101, refund_reference="ref-2")

    assert caught.value.code == ErrorCode.POINTS_REFUND_EXCEEDS_SPEND
    assert caught.value.extra == {"refundable": 100}
    assert available(member) == 900
    refund(spend_reference="pay-1", points=100, refund_reference="ref-2")
    assert available(member) == 1000


def test_refund_of_an_unknown_spend_is_not_found():
    with pytest.raises(DomainError) as caught:
        refund(spend_reference="nope", points=1, refund_reference="ref-1")
    assert caught.value.code == ErrorCode.NOT_FOUND


def test_points_from_a_lot_that_expired_since_come_back_as_a_new_lot_living_30_days(settings):
    member = MemberFactory()
    lot = give(member, 300, "a")
    spend(member_id=member.pk, points=200, reference="pay-1")
    later = lot.expires_at  # the lot's time has come: 100 expire
    services.expire_points(later)
    assert available(member) == 0

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timezone, "now", lambda: later)
        entry = refund(spend_reference="pay-1", points=200, refund_reference="ref-1")

    lot.refresh_from_db()
    assert (lot.remaining, lot.expired_at) == (0, later)
    assert entry.lot.points == 200 and entry.lot.remaining == 200
    assert timezone.localdate(entry.lot.expires_at) == timezone.localdate(later) + services.REFUND_GRACE + timedelta(
        days=1
    )
    assert available(member) == 200
    assert points_balance(member_id=member.pk, now=later).available == 200
