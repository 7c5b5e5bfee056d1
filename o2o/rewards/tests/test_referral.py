"""Referral (老带新) end to end through the API: share link -> friend signs up -> friend's first
order completes -> both rewarded once; the fraud guard; self-referral and existing members refused."""

import pytest

from o2o.members.models import Member
from o2o.rewards.models import Referral, RewardGrant
from o2o.rewards.tests.given import bonus_and_points, complete_an_order, sign_up, token_client, window
from o2o.testing.api import as_member, as_staff, problem_code
from o2o.testing.factories import MemberFactory
from o2o.testing.outbox import last_code_sent_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(marketer, campaign):
    body = {"campaign_id": campaign.pk, "name": "Bring a friend", "referrer": {"credit": "10.00", "points": 100},
            "friend": {"credit": "5.00"}, "starts_at": window()["starts_at"]}  # fmt: skip
    response = as_staff(marketer).post("rewards/referral-programmes", body)
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def referrer():
    return MemberFactory(phone="+8613900000001")


def share_code(member) -> str:
    body = as_member(member).get("rewards/me/referral").json()
    assert body["link"].endswith(f"/shop/r/{body['code']}/")
    return body["code"]


def test_friend_first_completed_order_rewards_both_once(programme, referrer, store, tea, clerk, campaign):
    # given the referrer's stable share link and a friend who signs up through it
    code = share_code(referrer)
    assert share_code(referrer) == code
    signed_up = sign_up(code, "+8613700000001", device_id="phone-A")
    assert signed_up.status_code == 201, signed_up.content
    friend = Member.objects.get(phone="+8613700000001")
    friend_api = token_client(signed_up.json()["token"])
    assert Referral.objects.get(friend=friend).state == "pending"

    # when the friend's first order completes
    complete_an_order(friend_api, store=store, sku=tea, clerk=clerk)

    # then both are rewarded: the referrer 10.00 bonus + 100 points, the friend 5.00 bonus (+ its own order points)
    assert bonus_and_points(referrer) == ("10.00", 100)
    assert bonus_and_points(friend)[0] == "5.00"
    referral = Referral.objects.get(friend=friend)
    assert (referral.state, referral.reason) == ("rewarded", "")
    mine = as_member(referrer).get("rewards/me/referral").json()
    assert [(r["friend"], r["state"]) for r in mine["referrals"]] == [("137****0001", "rewarded")]
    assert sorted((g["kind"], g["amount"], g["points"]) for g in mine["rewards"]) == [
        ("points", "0.00", 100), ("wallet_credit", "10.00", 0)]  # fmt: skip
    assert {g.channel for g in RewardGrant.objects.all()} == {"online"}
    assert {g.campaign_id for g in RewardGrant.objects.all()} == {campaign.pk}

    # when a second order completes: no more reward
    complete_an_order(friend_api, store=store, sku=tea, clerk=clerk)
    assert bonus_and_points(referrer) == ("10.00", 100)
    assert bonus_and_points(friend)[0] == "5.00"
    assert RewardGrant.objects.count() == 3


def test_same_device_is_rewarded_once_the_second_referral_is_blocked(programme, referrer, store, tea, clerk):
    code = share_code(referrer)
    first = token_client(sign_up(code, "+8613700000002", device_id="phone-A").json()["token"])
    second = token_client(sign_up(code, "+8613700000003", device_id=" PHONE-a ").json()["token"])
    complete_an_order(first, store=store, sku=tea, clerk=clerk)
    complete_an_order(second, store=store, sku=tea, clerk=clerk)
    blocked = Referral.objects.get(friend__phone="+8613700000003")
    assert (blocked.state, blocked.reason) == ("blocked", "same device already rewarded")
    assert bonus_and_points(referrer) == ("10.00", 100)
    assert bonus_and_points(Member.objects.get(phone="+8613700000003"))[0] == "0.00"
    assert RewardGrant.objects.filter(reference__startswith=f"referral:{blocked.pk}:").count() == 0


def test_same_delivery_address_is_rewarded_once(programme, referrer, store, tea, clerk):
    code = share_code(referrer)
    first = token_client(sign_up(code, "+8613700000004").json()["token"])
    second = token_client(sign_up(code, "+8613700000005").json()["token"])
    complete_an_order(first, store=store, sku=tea, clerk=clerk, delivery_address="上海市 南京东路 1号 101室")
    complete_an_order(second, store=store, sku=tea, clerk=clerk, delivery_address="上海市  南京东路 1号 101室 ")
    blocked = Referral.objects.get(friend__phone="+8613700000005")
    assert (blocked.state, blocked.reason) == ("blocked", "same delivery address already rewarded")
    assert bonus_and_points(referrer) == ("10.00", 100)


def test_same_phone_after_a_deleted_account_is_rewarded_once(programme, referrer, store, tea, clerk):
    code = share_code(referrer)
    first = token_client(sign_up(code, "+8613700000006").json()["token"])
    complete_an_order(first, store=store, sku=tea, clerk=clerk)
    # the friend deletes the account (phone anonymised), and the same phone signs up again
    assert first.post("privacy/deletion/code").status_code == 202
    deleted = first.post("privacy/deletion", {"code": last_code_sent_to("+8613700000006")})
    assert deleted.status_code == 200, deleted.content
    again = sign_up(code, "+8613700000006")
    assert again.status_code == 201, again.content
    complete_an_order(token_client(again.json()["token"]), store=store, sku=tea, clerk=clerk)
    blocked = Referral.objects.get(friend__phone="+8613700000006")
    assert (blocked.state, blocked.reason) == ("blocked", "same phone already rewarded")
    assert bonus_and_points(referrer) == ("10.00", 100)


def test_self_referral_is_refused_and_writes_nothing(programme, referrer):
    response = sign_up(share_code(referrer), referrer.phone)
    assert (response.status_code, problem_code(response)) == (422, "self_referral")
    assert Referral.objects.count() == 0


def test_an_existing_member_cannot_become_a_friend(programme, referrer, member):
    response = sign_up(share_code(referrer), member.phone)
    assert (response.status_code, problem_code(response)) == (409, "not_a_new_member")
    assert Referral.objects.count() == 0


def test_unknown_link_and_bad_input_are_4xx(programme, referrer):
    assert problem_code(sign_up("NOSUCHCODE", "+8613700000009")) == "not_found"
    bad = [
        {"phone": "+8613700000009", "code": "123456", "referral_code": ""},
        {"phone": "+8613700000009", "code": "123456", "referral_code": "X", "device_id": "d" * 129},
        {"phone": "+8613700000009", "referral_code": "X"},
    ]
    for body in bad:
        response = token_client("").post("rewards/referrals/sign-up", body)
        assert response.status_code == 422, body
    code = share_code(referrer)
    wrong = token_client("").post(
        "rewards/referrals/sign-up", {"phone": "+8613700000009", "code": "000000", "referral_code": code}
    )
    assert wrong.status_code == 400
    assert Referral.objects.count() == 0


def test_no_programme_running_refuses_the_sign_up(referrer):
    response = sign_up(share_code(referrer), "+8613700000010")
    assert (response.status_code, problem_code(response)) == (409, "reward_not_open")


def test_only_marketers_create_programmes_and_bad_rewards_are_4xx(marketer, campaign, member, clerk):
    body = {"campaign_id": campaign.pk, "name": "x", "referrer": {"points": 1}, "friend": {},
            "starts_at": window()["starts_at"]}  # fmt: skip
    assert as_member(member).post("rewards/referral-programmes", body).status_code == 403
    assert as_staff(clerk).post("rewards/referral-programmes", body).status_code == 403
    for broken in ({"referrer": {"points": -1}}, {"referrer": {"credit": "1.001"}}, {"referrer": {"points": True}},
                   {"campaign_id": 0}, {"referrer": {}, "friend": {}}):  # fmt: skip
        response = as_staff(marketer).post("rewards/referral-programmes", {**body, **broken})
        assert 400 <= response.status_code < 500, broken
    missing = as_staff(marketer).post("rewards/referral-programmes", {**body, "campaign_id": 999999})
    assert missing.status_code == 404
    from o2o.rewards.models import ReferralProgram

    assert ReferralProgram.objects.count() == 0
