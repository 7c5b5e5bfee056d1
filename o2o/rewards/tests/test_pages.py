"""The storefront's rewards pages: invite friends (link + QR, referrals masked), the share link's
sign-up, a red packet's claim page, a store's check-in page (walk-ins join first)."""

from decimal import Decimal

import pytest
from django.test import Client

from o2o.access.actors import SYSTEM
from o2o.members.models import Member
from o2o.members.sessions import MEMBER_SESSION_KEY
from o2o.rewards.models import CheckIn, RedPacketShare, Referral, RewardKind
from o2o.rewards.services import (
    CheckInPointSpec,
    RedPacketSpec,
    Reward,
    create_check_in_point,
    create_red_packet,
    create_referral_programme,
)
from o2o.rewards.tests.given import window
from o2o.testing.outbox import last_code_sent_to
from o2o.wallet.models import Wallet

pytestmark = pytest.mark.django_db


def member_client(member) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    session = client.session
    session[MEMBER_SESSION_KEY] = member.pk
    session.save()
    return client


def english() -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    return client


def times() -> dict:
    from datetime import datetime

    return {k: datetime.fromisoformat(v) for k, v in window().items()}


def test_invite_page_shows_link_qr_and_masked_referrals(campaign, member):
    create_referral_programme(actor=SYSTEM, campaign_id=campaign.pk, name="x", referrer=Reward(points=10),
                              friend=Reward(points=10), starts_at=times()["starts_at"])  # fmt: skip
    page = member_client(member).get("/shop/invite/")
    assert page.status_code == 200
    text = page.content.decode()
    code = member.referral_code.code
    assert f"/shop/r/{code}/" in text and "data:image/svg+xml" in text
    friend = Client()
    assert friend.get(f"/shop/r/{code}/").status_code == 200
    assert "o2o_device" in friend.cookies
    friend.post(f"/shop/r/{code}/", {"phone": "13500000001", "action": "send"})
    joined = friend.post(f"/shop/r/{code}/", {"phone": "13500000001", "code": last_code_sent_to("+8613500000001")})
    assert joined.status_code == 302
    referral = Referral.objects.get(friend__phone="+8613500000001")
    assert referral.referrer_id == member.pk and referral.device_key != ""
    assert "135****0001" in member_client(member).get("/shop/invite/").content.decode()
    assert Client().get("/shop/r/NOSUCHCODE/").status_code == 404


def test_red_packet_page_claims_one_share(campaign, member):
    three = Decimal("3.00")
    spec = RedPacketSpec(campaign_id=campaign.pk, name="新春红包", kind=RewardKind.WALLET_CREDIT, shares=2,
                         budget=Decimal("6.00"), min_share=three, max_share=three, **times())  # fmt: skip
    packet = create_red_packet(actor=SYSTEM, spec=spec)
    client = member_client(member)
    assert client.get(f"/shop/red-packets/{packet.code}/").status_code == 200
    assert client.post(f"/shop/red-packets/{packet.code}/").status_code == 302
    assert client.post(f"/shop/red-packets/{packet.code}/").status_code == 302  # a second tap: no second share
    assert "You got ¥3.00" in client.get(f"/shop/red-packets/{packet.code}/").content.decode()
    assert Wallet.objects.get(member=member).bonus == Decimal("3.00")
    assert RedPacketShare.objects.filter(member=member).count() == 1
    assert member_client(member).get("/shop/red-packets/NOSUCH/").status_code == 404
    assert Client().get(f"/shop/red-packets/{packet.code}/").status_code == 302  # to sign in


def test_check_in_page_for_a_member_and_for_a_walk_in(campaign, store, member):
    spec = CheckInPointSpec(campaign_id=campaign.pk, location_id=store.pk, name="到店打卡", reward=Reward(points=20),
                            **times())  # fmt: skip
    point = create_check_in_point(actor=SYSTEM, spec=spec)
    url = f"/shop/check-in/{point.code}/"
    assert member_client(member).post(url).status_code == 302
    assert member_client(member).post(url).status_code == 302
    assert CheckIn.objects.filter(member=member).count() == 1
    walk_in = english()
    assert "Join and check in" in walk_in.get(url).content.decode()
    walk_in.post(url, {"phone": "13500000002", "action": "send"})
    assert walk_in.post(url, {"phone": "13500000002", "code": last_code_sent_to("+8613500000002")}).status_code == 302
    joined = Member.objects.get(phone="+8613500000002")
    assert joined.acquiring_location_id == store.pk
    assert CheckIn.objects.get(member=joined).joined_here is True
    assert Client().get("/shop/check-in/NOSUCHCODE1/").status_code == 404
    assert Client().post(url, {"phone": "x", "code": "1"}).status_code in (200, 302)


def staff_client(employee) -> Client:
    client = english()
    client.force_login(employee.user)
    return client


def test_marketer_page_creates_a_red_packet_and_a_check_in_point_and_reports(marketer, campaign, store, clerk):
    page = staff_client(marketer)
    assert page.get("/marketing/rewards/").status_code == 200
    when = {"starts_at": "2026-01-01T00:00", "ends_at": "2099-01-01T00:00"}
    packet = {"form": "red_packet", "packet-campaign_id": campaign.pk, "packet-name": "新春红包",
              "packet-budget": "10.00", "packet-shares": 4, **{f"packet-{k}": v for k, v in when.items()}}  # fmt: skip
    assert page.post("/marketing/rewards/", packet).status_code == 302
    point = {"form": "check_in", "point-campaign_id": campaign.pk, "point-location_id": store.pk, "point-name": "打卡",
             "point-points": 5, **{f"point-{k}": v for k, v in when.items()}}  # fmt: skip
    assert page.post("/marketing/rewards/", point).status_code == 302
    shown = page.get("/marketing/rewards/").content.decode()
    assert "新春红包" in shown and "打卡" in shown and "¥10.00" in shown
    assert sum(RedPacketShare.objects.values_list("amount", flat=True)) == Decimal("10.00")
    bad = page.post("/marketing/rewards/", {**packet, "packet-budget": "0.01"})
    assert bad.status_code == 422
    assert staff_client(clerk).get("/marketing/rewards/").status_code == 403
