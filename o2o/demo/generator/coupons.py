"""Demo coupons: a claim-centre coupon (spend 99 save 15), an in-store 12% coupon capped at 30, a
welcome gift for new members, and a free item at the first store; the demo member and a sample of
members hold some (o2o/coupons, docs/coupons.md)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.coupons import services
from o2o.demo.generator.base import Run
from o2o.demo.generator.people import DEMO_MEMBER_PHONE
from o2o.inventory.models import StockLevel
from o2o.members.models import Member
from o2o.pricing.models import Campaign
from o2o.stores.models import Location

SAMPLE = 200


def create_coupons(run: Run) -> int:
    now = timezone.now()
    campaign = Campaign.objects.create(name="会员回馈季", starts_at=now - timedelta(days=7), control_percent=0)
    claim = services.create_template(
        actor=SYSTEM, name="满99减15", kind="threshold", amount=Decimal("15.00"), min_spend=Decimal("99.00"),
        valid_days=14, claimable=True, quota=5000, campaign_id=campaign.pk,
    )  # fmt: skip
    in_store = services.create_template(
        actor=SYSTEM, name="到店88折券", kind="percent_off", percent=12, cap=Decimal("30.00"),
        channel_scope="in_store", valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=30), campaign_id=campaign.pk,
    )  # fmt: skip
    services.create_template(
        actor=SYSTEM, name="新人礼10元券", kind="amount_off", amount=Decimal("10.00"), min_spend=Decimal("50.00"),
        valid_days=30, on_registration=True,
    )  # fmt: skip
    templates = [claim, in_store]
    store = Location.objects.filter(kind=Location.Kind.STORE).order_by("pk").first()
    stocked = StockLevel.objects.filter(location=store, on_hand__gt=0).order_by("sku_id").first() if store else None
    if stocked is not None:
        templates.append(services.create_template(
            actor=SYSTEM, name="到店领赠品", kind="free_item", free_sku_id=stocked.sku_id, channel_scope="in_store",
            location_ids=[store.pk], valid_days=7,
        ))  # fmt: skip
    members = list(Member.objects.order_by("pk").values_list("pk", flat=True)[:SAMPLE])
    demo = Member.objects.filter(phone=DEMO_MEMBER_PHONE).values_list("pk", flat=True).first()
    granted = 0
    for template in templates:
        outcome = services.grant_coupons(
            template_id=template.pk, member_ids=[m for m in [demo, *members] if m], source="grant", reference="demo"
        )
        granted += outcome.granted
    run.say(f"coupons: {len(templates) + 1} templates, {granted} coupons granted")
    return granted
