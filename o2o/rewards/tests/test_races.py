"""Red packets on PostgreSQL: 30 members racing for 10 shares get exactly 10, and the wallet
credits add up to the budget; one member racing themself gets one share."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_member
from o2o.core.errors import ErrorCode
from o2o.pricing.models import Campaign
from o2o.rewards.models import RedPacketShare, RewardKind
from o2o.rewards.services import RedPacketSpec, claim_red_packet, create_red_packet
from o2o.testing.factories import MemberFactory
from o2o.testing.races import domain_errors, requires_postgres, run_together, values
from o2o.wallet.models import Wallet, WalletEntry

pytestmark = [pytest.mark.django_db(transaction=True), requires_postgres]


def packet(shares: int = 10, budget: str = "100.00", low: str | None = None):
    now = timezone.now()
    campaign = Campaign.objects.create(name="race", starts_at=now - timedelta(days=1))
    share = Decimal(low) if low else None
    spec = RedPacketSpec(campaign_id=campaign.pk, name="race", kind=RewardKind.WALLET_CREDIT, shares=shares,
                         budget=Decimal(budget), min_share=share, max_share=share,
                         starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(days=1))  # fmt: skip
    return create_red_packet(actor=SYSTEM, spec=spec)


def test_30_members_racing_for_10_shares_get_exactly_10_and_the_budget():
    red = packet()
    members = [MemberFactory() for _ in range(30)]
    outcomes = run_together([lambda m=m: claim_red_packet(actor=actor_for_member(m), code=red.code) for m in members])
    assert len(values(outcomes)) == 10
    assert {e.code for e in domain_errors(outcomes)} == {ErrorCode.RED_PACKET_EMPTY}
    assert len(domain_errors(outcomes)) == 20
    assert RedPacketShare.objects.filter(packet=red, member__isnull=False).count() == 10
    assert Wallet.objects.aggregate(total=Sum("bonus"))["total"] == Decimal("100.00")
    assert WalletEntry.objects.filter(kind="gift").aggregate(total=Sum("bonus_delta"))["total"] == Decimal("100.00")


def test_one_member_racing_themself_gets_one_share():
    red = packet(shares=5, budget="5.00", low="1.00")
    member = MemberFactory()
    outcomes = run_together([lambda: claim_red_packet(actor=actor_for_member(member), code=red.code) for _ in range(8)])
    assert len(values(outcomes)) == 1
    assert {e.code for e in domain_errors(outcomes)} == {ErrorCode.REWARD_ALREADY_CLAIMED}
    assert len(domain_errors(outcomes)) == 7
    assert Wallet.objects.get(member=member).bonus == Decimal("1.00")
    assert RedPacketShare.objects.filter(member=member).count() == 1
