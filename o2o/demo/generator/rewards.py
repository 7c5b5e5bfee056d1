"""Demo rewards: a referral programme (the referrer 200 points + ¥10, the friend ¥5), a red packet
of ¥88.88 in 20 shares open now, and a check-in QR at the first store (50 points once a day), all
under one campaign, so /shop/invite/, /shop/red-packets/<code>/ and /shop/check-in/<code>/ work.

The generator runs in one transaction, so rows are written here directly (the services are the
request's durable transactions); the shares are cut by the same `services.cut`."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from o2o.core.codes import random_readable
from o2o.demo.generator.base import Run
from o2o.pricing.models import Campaign
from o2o.rewards.models import CheckInPoint, RedPacket, RedPacketShare, ReferralProgram, RewardKind
from o2o.rewards.services import CODE_LENGTH, cut
from o2o.stores.models import Location


def create_rewards(run: Run) -> int:
    store = Location.objects.filter(kind=Location.Kind.STORE).order_by("pk").first()
    now = timezone.now()
    campaign = Campaign.objects.create(name="老带新 · 到店有礼", starts_at=now - timedelta(days=1))
    ReferralProgram.objects.create(campaign=campaign, name="邀请好友", referrer_points=200,
                                   referrer_credit=Decimal("10.00"), friend_credit=Decimal("5.00"),
                                   starts_at=now - timedelta(days=1))  # fmt: skip
    window = {"starts_at": now - timedelta(minutes=5), "ends_at": now + timedelta(days=14)}
    budget, low, high = Decimal("88.88"), Decimal("1.00"), Decimal("10.00")
    packet = RedPacket.objects.create(campaign=campaign, name="新春红包", code=random_readable(CODE_LENGTH),
                                      kind=RewardKind.WALLET_CREDIT, budget=budget, shares=20, min_share=low,
                                      max_share=high, **window)  # fmt: skip
    amounts = cut(budget=budget, shares=20, min_share=low, max_share=high, rng=run.rng("red-packet"))
    RedPacketShare.objects.bulk_create(RedPacketShare(packet=packet, seq=i, amount=a) for i, a in enumerate(amounts, 1))
    run.say(f"rewards: referral programme, red packet /shop/red-packets/{packet.code}/")
    if store is None:
        return 2
    point = CheckInPoint.objects.create(campaign=campaign, location=store, name="到店打卡",
                                        code=random_readable(CODE_LENGTH), points=50, once_per_day=True,
                                        **window)  # fmt: skip
    run.say(f"rewards: check-in /shop/check-in/{point.code}/ at {store.code}")
    return 3
