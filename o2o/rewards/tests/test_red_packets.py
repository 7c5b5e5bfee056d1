"""Red packets through the API: shares cut to sum exactly to the budget, one share per member,
never over budget; the marketer's report; bad input 4xx."""

import random
from decimal import Decimal

import pytest

from o2o.rewards.models import RedPacket, RedPacketShare, RewardGrant
from o2o.rewards.selectors import red_packets_against_shares
from o2o.rewards.services import cut
from o2o.rewards.tests.given import window
from o2o.testing.api import as_member, as_staff, problem_code
from o2o.testing.factories import MemberFactory
from o2o.wallet.models import Wallet

pytestmark = pytest.mark.django_db


def create(marketer, campaign, **fields):
    body = {"campaign_id": campaign.pk, "name": "新春红包", "kind": "wallet_credit", "shares": 10,
            "budget": "100.00", **window(), **fields}  # fmt: skip
    return as_staff(marketer).post("rewards/red-packets", body)


def test_budget_of_100_in_10_shares_sums_exactly(marketer, campaign):
    response = create(marketer, campaign, min_share="1.00", max_share="30.00")
    assert response.status_code == 201, response.content
    packet = RedPacket.objects.get(pk=response.json()["id"])
    amounts = list(RedPacketShare.objects.filter(packet=packet).values_list("amount", flat=True))
    assert len(amounts) == 10
    assert sum(amounts) == Decimal("100.00")
    assert all(Decimal("1.00") <= a <= Decimal("30.00") for a in amounts)
    assert response.json()["link"].endswith(f"/shop/red-packets/{packet.code}/")
    assert red_packets_against_shares() == []


def test_cut_always_sums_to_the_budget_within_the_bounds():
    rng = random.Random(7)
    cases = [("100.00", 10, "0.01", "100.00"), ("0.10", 10, "0.01", "0.01"), ("50.00", 7, "3.00", "9.00"),
             ("1000.00", 1000, "0.50", "1.50"), ("8.88", 1, "0.01", "8.88")]  # fmt: skip
    for budget, shares, low, high in cases:
        for _ in range(20):
            amounts = cut(
                budget=Decimal(budget), shares=shares, min_share=Decimal(low), max_share=Decimal(high), rng=rng
            )
            assert sum(amounts) == Decimal(budget)
            assert all(Decimal(low) <= a <= Decimal(high) for a in amounts)


def test_members_claim_one_share_each_until_none_is_left(marketer, campaign):
    packet = create(marketer, campaign, shares=3, budget="3.00", min_share="1.00", max_share="1.00").json()
    members = [MemberFactory() for _ in range(4)]
    claims = [as_member(m).post(f"rewards/red-packets/{packet['code']}/claim") for m in members]
    assert [c.status_code for c in claims] == [201, 201, 201, 409]
    assert problem_code(claims[3]) == "red_packet_empty"
    assert [c.json()["amount"] for c in claims[:3]] == ["1.00", "1.00", "1.00"]
    again = as_member(members[0]).post(f"rewards/red-packets/{packet['code']}/claim")
    assert (again.status_code, problem_code(again)) == (409, "reward_already_claimed")
    assert [Wallet.objects.get(member=m).bonus for m in members[:3]] == [Decimal("1.00")] * 3
    assert not Wallet.objects.filter(member=members[3]).exists()
    report = as_staff(marketer).get(f"rewards/red-packets/{packet['id']}").json()
    assert (report["claimed"], report["claimed_amount"], report["budget_left"], report["shares_left"]) == (
        3, "3.00", "0.00", 0)  # fmt: skip
    assert RewardGrant.objects.filter(source="red_packet", kind="wallet_credit").count() == 3


def test_closed_unknown_and_held_out_packets_are_refused(marketer, campaign, member):
    assert as_member(member).post("rewards/red-packets/NOSUCHCODE/claim").status_code == 404
    later = create(marketer, campaign, starts_at="2099-01-01T00:00:00+08:00", ends_at="2099-02-01T00:00:00+08:00")
    refused = as_member(member).post(f"rewards/red-packets/{later.json()['code']}/claim")
    assert (refused.status_code, problem_code(refused)) == (409, "reward_not_open")
    campaign.control_percent = 50
    campaign.save()
    held = next(m for m in (MemberFactory() for _ in range(50)) if campaign.holds_out(m.pk))
    packet = create(marketer, campaign).json()
    refused = as_member(held).post(f"rewards/red-packets/{packet['code']}/claim")
    assert (refused.status_code, problem_code(refused)) == (403, "reward_held_out")
    assert RedPacketShare.objects.filter(member__isnull=False).count() == 0


def test_bad_packets_are_4xx_and_nothing_is_written(marketer, campaign, member, clerk):
    for broken in ({"shares": 0}, {"shares": 10001}, {"budget": "0.05"}, {"budget": "100.001"},
                   {"min_share": "20.00"}, {"max_share": "5.00"}, {"kind": "points"}, {"shares": True},
                   {"kind": "coupon"}, {"ends_at": "2020-01-01T00:00:00+08:00"}, {"campaign_id": 999999},
                   {"name": ""}):  # fmt: skip
        response = create(marketer, campaign, **broken)
        assert 400 <= response.status_code < 500, (broken, response.content)
    assert create(marketer, campaign).status_code == 201
    assert as_member(member).post("rewards/red-packets", {}).status_code in (403, 422)
    body = {"campaign_id": campaign.pk, "name": "x", "kind": "wallet_credit", "shares": 1, "budget": "1.00", **window()}
    assert as_staff(clerk).post("rewards/red-packets", body).status_code == 403
    assert RedPacket.objects.count() == 1


def test_a_retried_creation_or_claim_with_the_same_key_does_it_once(marketer, campaign):
    body = {"campaign_id": campaign.pk, "name": "新春红包", "kind": "wallet_credit", "shares": 2,
            "budget": "2.00", "min_share": "1.00", "max_share": "1.00", **window()}  # fmt: skip
    key = {"Idempotency-Key": "packet-1"}
    first = as_staff(marketer).post("rewards/red-packets", body, headers=key)
    retry = as_staff(marketer).post("rewards/red-packets", body, headers=key)
    assert (first.status_code, retry.status_code, retry.json()["id"]) == (201, 201, first.json()["id"])
    assert RedPacket.objects.count() == 1

    member = MemberFactory()
    claim = f"rewards/red-packets/{first.json()['code']}/claim"
    taken = as_member(member).post(claim, headers={"Idempotency-Key": "claim-1"})
    again = as_member(member).post(claim, headers={"Idempotency-Key": "claim-1"})
    assert (taken.status_code, again.status_code, again.json()["seq"]) == (201, 201, taken.json()["seq"])
    assert Wallet.objects.get(member=member).bonus == Decimal("1.00")
