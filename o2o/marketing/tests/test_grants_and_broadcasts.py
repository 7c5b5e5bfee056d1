"""Grants of a coupon to a segment and broadcasts to it, through the API: the control group, consent
(opt-out), the weekly cap, sending once, idempotency, and who may."""

from datetime import timedelta

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.core.models import OutboxMessage
from o2o.coupons.models import Coupon
from o2o.coupons.services import create_template
from o2o.marketing import services
from o2o.marketing.models import Broadcast, BroadcastDelivery, SegmentGrant
from o2o.members.models import Member
from o2o.pricing.models import Campaign
from o2o.staff.models import Role
from o2o.testing import outbox
from o2o.testing.api import ApiClient, problem_code
from o2o.testing.factories import EmployeeFactory, MemberFactory

pytestmark = pytest.mark.django_db

CONSENTED = {"kind": "marketing_consent", "value": True}


@pytest.fixture
def api():
    return ApiClient(user=EmployeeFactory(role=Role.MARKETER, home_location=None).user)


def _consenting(n: int) -> list[Member]:
    return [MemberFactory(marketing_consent=True, marketing_consent_at=timezone.now()) for _ in range(n)]


def _campaign(control_percent: int = 0) -> Campaign:
    return Campaign.objects.create(
        name="回流", starts_at=timezone.now() - timedelta(hours=1), control_percent=control_percent
    )


def _template(campaign: Campaign | None = None, **fields):
    return create_template(actor=SYSTEM, name="满50减5", kind="amount_off", amount="5.00", min_spend="50.00",
                           valid_days=30, campaign_id=campaign.pk if campaign else None, **fields)  # fmt: skip


def _segment(api, rules=None) -> int:
    response = api.post("marketing/segments", {"name": "全部", "rules": rules if rules is not None else []})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _split(campaign: Campaign, members: list[Member]) -> tuple[list[Member], list[Member]]:
    control = [m for m in members if campaign.holds_out(m.pk)]
    return [m for m in members if m not in control], control


# --- grants ---------------------------------------------------------------------------------


def test_a_grant_gives_the_segment_a_coupon_each_except_the_control_group(api):
    campaign = _campaign(control_percent=50)
    members = _consenting(8)
    treated, control = _split(campaign, members)
    assert treated and control  # a 50% control group of 8: both sides present (stable hash)
    template = _template(campaign)

    response = api.post(f"marketing/segments/{_segment(api)}/grants", {"template_id": template.pk})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["members"], body["granted"], body["held_out"], body["already"], body["refused"]) == (
        8, len(treated), len(control), 0, 0
    )  # fmt: skip
    assert body["campaign_id"] == campaign.pk
    coupons = Coupon.objects.filter(template=template)
    assert sorted(coupons.values_list("member_id", flat=True)) == sorted(m.pk for m in treated)
    assert set(coupons.values_list("reference", flat=True)) == {f"segment-grant:{body['id']}"}


def test_a_grant_retried_with_its_key_gives_nothing_twice(api):
    _consenting(3)
    template = _template()
    segment_id = _segment(api)
    key = {"Idempotency-Key": "grant-1"}

    first = api.post(f"marketing/segments/{segment_id}/grants", {"template_id": template.pk}, headers=key)
    again = api.post(f"marketing/segments/{segment_id}/grants", {"template_id": template.pk}, headers=key)
    other = api.post(f"marketing/segments/{segment_id}/grants", {"template_id": template.pk})

    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert first.json()["granted"] == 3
    # another grant of the same template: the per-member limit (1) refuses them all
    assert (other.json()["granted"], other.json()["refused"]) == (0, 3)
    assert Coupon.objects.filter(template=template).count() == 3
    assert SegmentGrant.objects.count() == 2


def test_a_key_reused_for_another_grant_is_409(api):
    template = _template()
    segment_id = _segment(api)
    key = {"Idempotency-Key": "grant-2"}
    api.post(f"marketing/segments/{segment_id}/grants", {"template_id": template.pk}, headers=key)

    response = api.post(f"marketing/segments/{segment_id}/grants", {"template_id": _template().pk}, headers=key)

    assert response.status_code == 409 and problem_code(response) == "idempotency_conflict"
    assert SegmentGrant.objects.count() == 1


def test_a_grant_naming_another_campaign_than_its_template_is_422(api):
    _consenting(2)
    template = _template(_campaign())

    response = api.post(
        f"marketing/segments/{_segment(api)}/grants", {"template_id": template.pk, "campaign_id": _campaign().pk}
    )

    assert response.status_code == 422 and problem_code(response) == "invalid"
    assert SegmentGrant.objects.count() == 0
    assert Coupon.objects.count() == 0


@pytest.mark.parametrize("body", [{}, {"template_id": 0}, {"template_id": "1"}, {"template_id": 999999}])
def test_bad_grants_are_4xx_and_grant_nothing(api, body):
    _consenting(1)

    response = api.post(f"marketing/segments/{_segment(api)}/grants", body)

    assert response.status_code in (404, 422), response.content
    assert SegmentGrant.objects.count() == 0 and Coupon.objects.count() == 0


def test_a_clerk_may_not_grant_to_a_segment(api, clerk):
    _consenting(1)
    segment_id = _segment(api)

    response = ApiClient(user=clerk.user).post(
        f"marketing/segments/{segment_id}/grants", {"template_id": _template().pk}
    )

    assert response.status_code == 403
    assert Coupon.objects.count() == 0


# --- broadcasts -----------------------------------------------------------------------------


def _message_template(api, channel="sms", body="{name}，您的专属优惠已到账") -> int:
    response = api.post("marketing/message-templates", {"name": "回流短信", "channel": channel, "body": body})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _broadcast(api, segment_id, template_id, **extra) -> int:
    response = api.post("marketing/broadcasts", {"segment_id": segment_id, "template_id": template_id, **extra})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_a_broadcast_messages_consenting_members_only(api, django_capture_on_commit_callbacks):
    yes = _consenting(2)
    no = MemberFactory()  # never consented
    withdrew = MemberFactory(marketing_consent=False, marketing_consent_at=timezone.now())  # opted out
    broadcast_id = _broadcast(api, _segment(api), _message_template(api))

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"marketing/broadcasts/{broadcast_id}/send")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "done"
    assert body["deliveries"]["skipped_no_consent"] == 2
    assert body["deliveries"]["pending"] == 2  # queued; delivered after the commit
    read_back = api.get(f"marketing/broadcasts/{broadcast_id}").json()["deliveries"]
    assert read_back == {"skipped_no_consent": 2, "skipped_cap": 0, "skipped_control": 0,
                         "pending": 0, "sent": 2, "failed": 0}  # fmt: skip
    messages = OutboxMessage.objects.order_by("recipient")
    assert [(m.channel, m.recipient, m.state) for m in messages] == [
        ("sms", m.phone, "sent") for m in sorted(yes, key=lambda m: m.phone)
    ]
    assert outbox.texts_to(yes[0].phone) == [f"{yes[0].name}，您的专属优惠已到账"]
    assert outbox.texts_to(no.phone) == outbox.texts_to(withdrew.phone) == []


def test_a_broadcast_is_sent_once(api):
    _consenting(2)
    broadcast_id = _broadcast(api, _segment(api), _message_template(api))
    api.post(f"marketing/broadcasts/{broadcast_id}/send")

    again = api.post(f"marketing/broadcasts/{broadcast_id}/send")

    assert again.status_code == 409 and problem_code(again) == "illegal_transition"
    assert OutboxMessage.objects.count() == 2
    assert BroadcastDelivery.objects.count() == 2


def test_the_weekly_cap_skips_members_who_had_enough(api, settings):
    settings.O2O_MARKETING_MESSAGES_PER_WEEK = 2
    (member,) = _consenting(1)
    segment_id, template_id = _segment(api), _message_template(api)
    for _ in range(2):
        api.post(f"marketing/broadcasts/{_broadcast(api, segment_id, template_id)}/send")

    third = api.post(f"marketing/broadcasts/{_broadcast(api, segment_id, template_id)}/send")

    assert third.json()["deliveries"]["skipped_cap"] == 1
    assert OutboxMessage.objects.filter(recipient=member.phone).count() == 2
    # a week later the member may hear from us again
    BroadcastDelivery.objects.update(created_at=timezone.now() - timedelta(days=8))
    fourth = api.post(f"marketing/broadcasts/{_broadcast(api, segment_id, template_id)}/send")
    assert fourth.json()["deliveries"]["pending"] == 1
    assert OutboxMessage.objects.filter(recipient=member.phone).count() == 3


def test_the_control_group_gets_no_message(api):
    campaign = _campaign(control_percent=50)
    members = _consenting(8)
    treated, control = _split(campaign, members)
    broadcast_id = _broadcast(api, _segment(api), _message_template(api), campaign_id=campaign.pk)

    body = api.post(f"marketing/broadcasts/{broadcast_id}/send").json()

    assert body["deliveries"]["skipped_control"] == len(control)
    assert sorted(OutboxMessage.objects.values_list("recipient", flat=True)) == sorted(m.phone for m in treated)


def test_wechat_and_push_reach_the_member_by_id(api):
    (member,) = _consenting(1)
    broadcast_id = _broadcast(api, _segment(api), _message_template(api, channel="wechat"))

    api.post(f"marketing/broadcasts/{broadcast_id}/send")

    assert list(OutboxMessage.objects.values_list("channel", "recipient")) == [("wechat", f"member:{member.pk}")]


def test_a_scheduled_broadcast_goes_out_when_due(api):
    _consenting(1)
    at = timezone.now() + timedelta(hours=2)
    broadcast_id = _broadcast(api, _segment(api), _message_template(api), scheduled_at=at.isoformat())

    early = services.send_due_broadcasts(now=timezone.now())
    due = services.send_due_broadcasts(now=at + timedelta(seconds=1))

    assert (early, due) == (0, 1)
    assert Broadcast.objects.get(pk=broadcast_id).state == "done"
    assert OutboxMessage.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "channel": "fax", "body": "hi"},
        {"name": "x", "channel": "sms", "body": ""},
        {"name": "x", "channel": "sms", "body": "hi {phone}"},
        {"name": "x", "channel": "sms", "body": "hi {"},
        {"name": "", "channel": "sms", "body": "hi"},
    ],
)
def test_bad_message_templates_are_422(api, body):
    response = api.post("marketing/message-templates", body)

    assert response.status_code == 422, response.content


def test_a_broadcast_of_an_unknown_segment_is_404_and_a_clerk_may_not_send(api, clerk):
    template_id = _message_template(api)
    missing = api.post("marketing/broadcasts", {"segment_id": 999999, "template_id": template_id})
    broadcast_id = _broadcast(api, _segment(api), template_id)

    refused = ApiClient(user=clerk.user).post(f"marketing/broadcasts/{broadcast_id}/send")

    assert missing.status_code == 404
    assert refused.status_code == 403
    assert Broadcast.objects.get().state == "draft"


def test_no_broadcast_for_an_ended_campaign(api):
    campaign = Campaign.objects.create(
        name="旧", starts_at=timezone.now() - timedelta(days=9), ends_at=timezone.now() - timedelta(days=1)
    )

    response = api.post(
        "marketing/broadcasts",
        {"segment_id": _segment(api), "template_id": _message_template(api), "campaign_id": campaign.pk},
    )

    assert response.status_code == 409
    assert Broadcast.objects.count() == 0
