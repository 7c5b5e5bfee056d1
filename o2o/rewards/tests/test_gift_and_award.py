"""The wallet's promotional credit and loyalty's awarded points: once per reference, into the bonus."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from o2o.core.errors import DomainError, ErrorCode
from o2o.loyalty.models import PointsAccount, PointsEntry
from o2o.loyalty.services import award_points
from o2o.wallet import audit
from o2o.wallet.models import Wallet, WalletEntry
from o2o.wallet.services import credit_gift

pytestmark = pytest.mark.django_db


def test_gift_goes_to_the_bonus_once_per_reference(member):
    first = credit_gift(member_id=member.pk, amount=Decimal("8.88"), reference="red_packet:1:3")
    again = credit_gift(member_id=member.pk, amount=Decimal("8.88"), reference="red_packet:1:3")
    assert again.pk == first.pk
    wallet = Wallet.objects.get(member=member)
    assert (wallet.principal, wallet.bonus) == (Decimal("0.00"), Decimal("8.88"))
    assert [(e.kind, e.principal_delta, e.bonus_delta) for e in WalletEntry.objects.filter(wallet=wallet)] == [
        ("gift", Decimal("0.00"), Decimal("8.88"))
    ]
    assert audit.wallets_against_ledger() == []


def test_gift_with_another_amount_or_a_bad_amount_is_refused_and_writes_nothing(member):
    credit_gift(member_id=member.pk, amount=Decimal("5.00"), reference="referral:1:friend")
    with pytest.raises(DomainError) as conflict:
        credit_gift(member_id=member.pk, amount=Decimal("6.00"), reference="referral:1:friend")
    assert conflict.value.code == ErrorCode.IDEMPOTENCY_CONFLICT
    for bad in (Decimal("0"), Decimal("-1"), Decimal("1.001")):
        with pytest.raises(DomainError) as invalid:
            credit_gift(member_id=member.pk, amount=bad, reference="x")
        assert invalid.value.code == ErrorCode.INVALID
    assert Wallet.objects.get(member=member).bonus == Decimal("5.00")
    assert WalletEntry.objects.count() == 1


def test_gift_entry_must_be_bonus_only_in_the_database(member):
    wallet = Wallet.objects.create(member=member)
    with pytest.raises(IntegrityError), transaction.atomic():
        WalletEntry.objects.create(wallet=wallet, kind="gift", principal_delta=1, bonus_delta=0, reference="r")


def test_awarded_points_are_available_once_per_reference(member):
    first = award_points(member_id=member.pk, points=300, reference="referral:7:friend")
    again = award_points(member_id=member.pk, points=300, reference="referral:7:friend")
    assert again.pk == first.pk
    assert PointsAccount.objects.get(member=member).available == 300
    assert first.lot.remaining == 300
    with pytest.raises(DomainError) as conflict:
        award_points(member_id=member.pk, points=301, reference="referral:7:friend")
    assert conflict.value.code == ErrorCode.IDEMPOTENCY_CONFLICT
    for bad in (0, -5, True, 1.5):
        with pytest.raises(DomainError):
            award_points(member_id=member.pk, points=bad, reference="other")
    assert PointsEntry.objects.count() == 1
