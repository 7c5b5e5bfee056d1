"""Store check-in QR through the API: the reward once per member (or once a day), the store and
campaign attributed; a wrong or expired code is 404; a walk-in joins at the point, then is rewarded."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.coupons.models import Coupon
from o2o.coupons.services import create_template
from o2o.members.models import Member
from o2o.rewards.models import CheckIn, RewardGrant
from o2o.rewards.selectors import rewards_by_campaign
from o2o.rewards.tests.given import token_client, window
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.outbox import last_code_sent_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def coupon_template():
    return create_template(actor=SYSTEM, name="到店礼 5元", kind="amount_off", amount=Decimal("5.00"), valid_days=30)


def point(marketer, campaign, store, **fields) -> dict:
    body = {"campaign_id": campaign.pk, "location_id": store.pk, "name": "到店打卡", "reward": {"points": 50},
            **window(), **fields}  # fmt: skip
    response = as_staff(marketer).post("rewards/check-in-points", body)
    assert response.status_code == 201, response.content
    return response.json()


def test_check_in_rewards_a_member_once_with_store_and_campaign(marketer, campaign, store, member, coupon_template):
    qr = point(marketer, campaign, store, reward={"coupon_template_id": coupon_template.pk, "points": 50})
    assert qr["link"].endswith(f"/shop/check-in/{qr['code']}/")
    first = as_member(member).post(f"rewards/check-ins/{qr['code']}")
    assert first.status_code == 201, first.content
    assert (first.json()["location_id"], first.json()["campaign_id"]) == (store.pk, campaign.pk)
    again = as_member(member).post(f"rewards/check-ins/{qr['code']}")
    assert (again.status_code, problem_code(again)) == (409, "reward_already_claimed")
    assert as_member(member).get("loyalty/me").json()["available"] == 50
    coupons = Coupon.objects.filter(member=member)
    assert [(c.template_id, c.source) for c in coupons] == [(coupon_template.pk, "check_in")]
    assert sorted((g.kind, g.channel, g.location_id) for g in RewardGrant.objects.all()) == [
        ("coupon", "in_store", store.pk), ("points", "in_store", store.pk)]  # fmt: skip
    report = rewards_by_campaign(campaign.pk)
    assert (report["grants"], report["members"], report["points"], report["coupons"], report["check_ins"]) == (
        2, 1, 50, 1, 1)  # fmt: skip
    assert report["by_store"] == [{"location_id": store.pk, "count": 2, "amount": Decimal("0.00"), "points": 50}]
    campaign_report = as_staff(marketer).get(f"rewards/campaigns/{campaign.pk}")
    assert campaign_report.status_code == 200
    assert campaign_report.json()["by_channel"] == {"in_store": {"count": 2, "amount": "0.00", "points": 50}}
    assert as_member(member).get(f"rewards/campaigns/{campaign.pk}").status_code == 403


def test_once_a_day_point_takes_one_check_in_a_day(marketer, campaign, store, member):
    qr = point(marketer, campaign, store, once_per_day=True, reward={"credit": "1.00"})
    assert as_member(member).post(f"rewards/check-ins/{qr['code']}").status_code == 201
    assert as_member(member).post(f"rewards/check-ins/{qr['code']}").status_code == 409
    CheckIn.objects.update(slot=(timezone.localdate() - timedelta(days=1)).isoformat())  # that was yesterday
    assert as_member(member).post(f"rewards/check-ins/{qr['code']}").status_code == 201
    assert as_member(member).get("/api/v1/wallet/").json()["bonus"] == "2.00"


def test_wrong_or_expired_code_is_404_and_writes_nothing(marketer, campaign, store, member):
    assert as_member(member).post("rewards/check-ins/NOSUCHCODE1").status_code == 404
    now = timezone.now()
    old = point(marketer, campaign, store, starts_at=(now - timedelta(days=3)).isoformat(),
                ends_at=(now - timedelta(days=1)).isoformat())  # fmt: skip
    expired = as_member(member).post(f"rewards/check-ins/{old['code']}")
    assert (expired.status_code, problem_code(expired)) == (404, "not_found")
    assert as_member(member).post(f"rewards/check-ins/{'X' * 17}").status_code == 422
    assert CheckIn.objects.count() == 0
    assert RewardGrant.objects.count() == 0


def test_a_walk_in_joins_at_the_point_and_is_rewarded(marketer, campaign, store):
    qr = point(marketer, campaign, store)
    walk_in = ApiClient()
    assert walk_in.post("members/join/code", {"phone": "+8613600000001", "store_code": store.code}).status_code == 202
    body = {"phone": "+8613600000001", "code": last_code_sent_to("+8613600000001"), "marketing_consent": True}
    joined = walk_in.post(f"rewards/check-ins/{qr['code']}/join", body)
    assert joined.status_code == 201, joined.content
    assert joined.json()["check_in"]["joined_here"] is True
    member = Member.objects.get(phone="+8613600000001")
    assert (member.acquiring_location_id, member.registration_channel) == (store.pk, "store_qr")
    assert token_client(joined.json()["token"]).get("loyalty/me").json()["available"] == 50
    assert rewards_by_campaign(campaign.pk)["joined_at_check_in"] == 1


def test_walk_in_with_a_wrong_code_or_point_is_refused(marketer, campaign, store):
    qr = point(marketer, campaign, store)
    walk_in = ApiClient()
    walk_in.post("members/join/code", {"phone": "+8613600000002", "store_code": store.code})
    wrong = walk_in.post(f"rewards/check-ins/{qr['code']}/join", {"phone": "+8613600000002", "code": "000000"})
    assert wrong.status_code == 400
    code = last_code_sent_to("+8613600000002")
    missing = walk_in.post("rewards/check-ins/NOSUCHCODE1/join", {"phone": "+8613600000002", "code": code})
    assert missing.status_code == 404
    assert not Member.objects.filter(phone="+8613600000002").exists()
    assert CheckIn.objects.count() == 0


def test_only_marketers_make_points_and_bad_points_are_4xx(marketer, campaign, store, clerk, member):
    body = {"campaign_id": campaign.pk, "location_id": store.pk, "name": "x", "reward": {"points": 1}, **window()}
    assert as_staff(clerk).post("rewards/check-in-points", body).status_code == 403
    assert as_member(member).post("rewards/check-in-points", body).status_code == 403
    broken_fields = [{"reward": {}}, {"reward": {"points": -1}}, {"reward": {"coupon_template_id": 999999}},
                     {"location_id": 999999}, {"ends_at": body["starts_at"]}, {"starts_at": "yesterday"}]  # fmt: skip
    for broken in broken_fields:
        response = as_staff(marketer).post("rewards/check-in-points", {**body, **broken})
        assert 400 <= response.status_code < 500, (broken, response.content)
    from o2o.rewards.models import CheckInPoint

    assert CheckInPoint.objects.count() == 0
