"""Demo marketing: a running campaign with a 10% control group, three segments (bought in the last
30 days, lapsed 90 days, online only) and a draft SMS broadcast to the first, ready to send from
/marketing/broadcasts/. Written as rows (the generator runs in one transaction)."""

from datetime import timedelta

from django.utils import timezone

from o2o.demo.generator.base import Run
from o2o.marketing import rules
from o2o.marketing.models import Broadcast, MessageChannel, MessageTemplate, Segment
from o2o.pricing.models import Campaign


def create_marketing(run: Run) -> int:
    now = timezone.now()
    campaign = Campaign.objects.create(
        name="老客回流", description="近30天购买的会员：发券 + 短信提醒", starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=30), control_percent=10,
    )  # fmt: skip
    recent, _lapsed, _online = (
        Segment.objects.create(name=name, rules=rules.validate(conditions))
        for name, conditions in (
            ("近30天购买", [{"kind": "purchased_within", "days": 30}, {"kind": "marketing_consent", "value": True}]),
            ("90天未购买", [{"kind": "not_purchased_within", "days": 90}]),
            ("仅线上购买", [{"kind": "channel", "value": "online"}]),
        )
    )
    template = MessageTemplate.objects.create(
        name="回流提醒", channel=MessageChannel.SMS, body="{name}您好，送您一张满100减15券，线上线下都能用。"
    )
    Broadcast.objects.create(campaign=campaign, segment=recent, template=template)
    run.say("marketing: 1 campaign, 3 segments, 1 draft broadcast")
    return 3
